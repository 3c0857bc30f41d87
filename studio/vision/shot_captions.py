"""The shots of a timeline as WebVTT cues: the caption strip of the annotated video.

One cue per shot, from its start to its end: ``Shot N: `` and its neural caption when a
captioner ran, else its grounded description (what the studio's own models found), else its top
scene tags. Written beside the annotated video (``out.shots.vtt`` beside ``out.mp4``: VLC loads
it by itself, ``mpv --sub-file``, the page's player shows it as captions), because captions are
known only once each shot has ended, after its frames were already drawn.
"""

from __future__ import annotations

from studio.core import Shot, Timeline

__all__ = ["shot_captions_vtt", "shot_text"]


def _clock(seconds: float) -> str:
    milliseconds = round(max(0.0, seconds) * 1000)
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def shot_text(shot: Shot) -> str:
    """What the strip says of ``shot`` (one line)."""
    tags = [f"{labels[0].name} ({labels[0].score:.2f})" for labels in shot.tags.values() if labels]
    said = shot.caption or shot.description or ", ".join(tags) or "(nothing recognised)"
    return f"Shot {shot.index + 1}: " + " ".join(said.split())


def _escaped(text: str) -> str:
    """Cue text as WebVTT reads it: ``&`` and ``<`` escaped, and never the ``-->`` of a timing line."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shot_captions_vtt(timeline: Timeline) -> str | None:
    """The WebVTT file of ``timeline``'s shots; ``None`` when it has none."""
    if not timeline.shots:
        return None
    cues = [f"{_clock(s.start_s)} --> {_clock(s.end_s)}\n{_escaped(shot_text(s))}" for s in timeline.shots]
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"
