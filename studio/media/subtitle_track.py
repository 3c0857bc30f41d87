"""Subtitles as a text track inside a video file: written by ``VideoWriter``, read back here.

MP4, M4V and MOV hold ``mov_text`` (what QuickTime, browsers and VLC show and let a viewer
turn off); MKV holds SubRip. FFmpeg's text encoders take each cue as an ASS dialogue line,
so the track carries a minimal ASS header with one default style.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from studio.core import InputError
from studio.media.inputs import open_media

__all__ = ["TextCue", "add_text_track", "read_text_track", "text_packets"]

TEXT_TIME_BASE = Fraction(1, 1000)  # cue times in milliseconds
_OVERRIDES = re.compile(r"\{\\[^}]*\}")  # ASS style overrides such as {\fnSans}, which SubRip keeps
_CODECS = {".mp4": "mov_text", ".m4v": "mov_text", ".mov": "mov_text", ".mkv": "subrip"}
_ASS_HEADER = (
    b"[Script Info]\nScriptType: v4.00+\nPlayResX: 384\nPlayResY: 288\n\n[V4+ Styles]\n"
    b"Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
    b"Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
    b"MarginR, MarginV, Encoding\n"
    b"Style: Default,Sans,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0\n\n"
    b"[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
)


@dataclass(frozen=True)
class TextCue:
    """One subtitle: shown from ``start_s`` to ``end_s`` (seconds from the video's start)."""

    start_s: float
    end_s: float
    text: str

    def __post_init__(self) -> None:
        if not 0 <= self.start_s < self.end_s:
            raise InputError(f"expected 0 <= start < end for a subtitle, got {self.start_s}..{self.end_s}")


def add_text_track(container: Any, suffix: str, language: str = "eng") -> Any:
    """Add a subtitle stream for ``suffix``'s container to ``container`` (opened for writing)."""
    stream = container.add_stream(_CODECS[suffix.lower()])
    stream.time_base = TEXT_TIME_BASE
    stream.codec_context.subtitle_header = _ASS_HEADER
    stream.metadata["language"] = language
    return stream


def text_packets(stream: Any, cues: Sequence[TextCue]) -> Iterator[Any]:
    """Each cue encoded as one packet of ``stream``, in time order."""
    from av.subtitles.subtitle import SubtitleSet

    for cue in sorted(cues, key=lambda c: c.start_s):
        start = round(cue.start_s / TEXT_TIME_BASE)
        length = max(1, round(cue.end_s / TEXT_TIME_BASE) - start)
        dialogue = "0,0,Default,,0,0,0,," + cue.text.strip().replace("\n", "\\N")
        packet = stream.codec_context.encode_subtitle(SubtitleSet.create(dialogue.encode(), 0, length, pts=start))
        packet.stream = stream
        packet.pts = packet.dts = start
        packet.duration = length
        packet.time_base = TEXT_TIME_BASE
        yield packet


def read_text_track(path: str | os.PathLike[str]) -> list[TextCue]:
    """The cues of ``path``'s first subtitle track (empty when it has none)."""
    with open_media(path) as container:
        if not container.streams.subtitles:
            return []
        stream = container.streams.subtitles[0]
        base = Fraction(stream.time_base)
        cues = []
        for packet in container.demux(stream):
            if packet.pts is None or not packet.size:
                continue
            for subtitle in packet.decode():
                text = _OVERRIDES.sub("", subtitle.dialogue.decode("utf-8", "replace")).strip()
                start = float(packet.pts * base)
                cues.append(TextCue(start, start + float((packet.duration or 1) * base), text))
        return cues
