"""A timeline as a picture: one lane per track (grouped by label), one for events, one for
speech, on the source clock in seconds."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on a server

import matplotlib.pyplot as plt

from studio.core import Timeline, atomic_path

__all__ = ["draw_timeline"]

MAX_TRACK_LANES = 40  # more tracks than this are summed up in the title


def draw_timeline(timeline: Timeline, target: str | Path) -> Path:
    """Write the picture of ``timeline`` to ``target`` (PNG), atomically."""
    tracks = sorted(timeline.tracks, key=lambda t: (t.label, t.first_s))[:MAX_TRACK_LANES]
    labels = sorted({t.label for t in tracks})
    colours = {label: plt.get_cmap("tab10")(i % 10) for i, label in enumerate(labels)}
    lanes: list[str] = [f"#{t.id} {t.label}" for t in tracks]
    events_lane = len(lanes)
    lanes.append("events")
    speech_lane = None
    if timeline.transcript is not None and timeline.transcript.segments:
        speech_lane = len(lanes)
        lanes.append("speech")
    figure, axes = plt.subplots(figsize=(10, 1.2 + 0.28 * len(lanes)), dpi=100)
    for lane, track in enumerate(tracks):
        axes.barh(
            lane, max(track.last_s - track.first_s, 0.05), left=track.first_s, height=0.6, color=colours[track.label]
        )
    for event in timeline.events:
        if event.end_s > event.start_s:
            axes.barh(events_lane, event.end_s - event.start_s, left=event.start_s, height=0.6, color="0.6")
        axes.plot([event.start_s], [events_lane], marker="v", color="crimson", markersize=7)
    if speech_lane is not None and timeline.transcript is not None:
        for segment in timeline.transcript.segments:
            axes.barh(speech_lane, segment.end_s - segment.start_s, left=segment.start_s, height=0.6, color="seagreen")
    axes.set_yticks(range(len(lanes)), lanes, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, max(timeline.video.duration_s, 0.1))
    axes.set_xlabel("seconds (source clock)")
    hidden = len(timeline.tracks) - len(tracks)
    title = f"{len(timeline.tracks)} tracks, {len(timeline.events)} events"
    axes.set_title(title + (f" ({hidden} tracks not drawn)" if hidden > 0 else ""), fontsize=10)
    axes.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    with atomic_path(target) as temporary:
        figure.savefig(temporary, format="png")
    plt.close(figure)
    return Path(target)
