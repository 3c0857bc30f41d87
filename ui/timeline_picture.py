"""A timeline as a picture, on the source clock in seconds, lanes from top to bottom:

- **shots**: one bar per shot, alternating shades, numbered, with its top scene tag when it has
  one; a gradual transition (dissolve, fade) is the hatched span before the shot it leads into;
- **actions**: one lane per person (``#id``) or clip model, a bar per action segment coloured
  by its label, the label written inside when it fits; a legend names the colours;
- one lane per track (grouped by label), then events, then speech.

Drawn with matplotlib's object API (a ``Figure`` and its Agg canvas), never pyplot's global
figure state, so jobs may draw at once.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from studio.core import Action, Shot, Timeline, atomic_path

__all__ = ["ACTION_COLOURS", "SHOT_SHADES", "SPEECH_COLOUR", "draw_timeline"]

MAX_TRACK_LANES = 40  # more tracks than this are summed up in the title
MAX_ACTION_LANES = 20
SHOT_SHADES = ("#4c72b0", "#8fa9d6")  # alternate, so neighbouring shots read apart
GRADUAL_COLOUR = "#f2b134"
SPEECH_COLOUR = "seagreen"
ACTION_COLOURS = ("#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#e377c2", "#8c564b", "#bcbd22",
                  "#1f77b4", "#7f7f7f")  # fmt: skip


def _action_lanes(actions: tuple[Action, ...]) -> dict[str, list[Action]]:
    """Segments by lane: a person's by track id, the clip's by model; people first, in id order."""
    lanes: dict[str, list[Action]] = {}
    people = sorted({a.track_id for a in actions if a.track_id is not None})
    for track_id in people:
        lanes[f"#{track_id} action"] = [a for a in actions if a.track_id == track_id]
    for model in sorted({a.model for a in actions if a.track_id is None}):
        lanes[f"{model}"] = [a for a in actions if a.track_id is None and a.model == model]
    return dict(list(lanes.items())[:MAX_ACTION_LANES])


def _shot_text(shot: Shot) -> str:
    tags = [labels[0].name for labels in shot.tags.values() if labels]
    return f"{shot.index + 1}" + (f" {tags[0]}" if tags else "")


def draw_timeline(timeline: Timeline, target: str | Path) -> Path:
    """Write the picture of ``timeline`` to ``target`` (PNG), atomically."""
    duration = max(timeline.video.duration_s, 0.1)
    tracks = sorted(timeline.tracks, key=lambda t: (t.label, t.first_s))[:MAX_TRACK_LANES]
    track_colours = {label: f"C{i % 10}" for i, label in enumerate(sorted({t.label for t in tracks}))}
    action_lanes = _action_lanes(timeline.actions)
    action_labels = sorted({a.label for lane in action_lanes.values() for a in lane})
    action_colours = {label: ACTION_COLOURS[i % len(ACTION_COLOURS)] for i, label in enumerate(action_labels)}
    lanes: list[str] = (["shots"] if timeline.shots else []) + list(action_lanes)
    lanes += [f"#{t.id} {t.label}" for t in tracks] + ["events"]
    has_speech = timeline.transcript is not None and bool(timeline.transcript.segments)
    lanes += ["speech"] if has_speech else []
    row = {name: number for number, name in enumerate(lanes)}

    figure = Figure(figsize=(10, 1.4 + 0.3 * len(lanes)), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for shot in timeline.shots:
        axes.barh(row["shots"], shot.duration_s, left=shot.start_s, height=0.7,
                  color=SHOT_SHADES[shot.index % 2])  # fmt: skip
        if shot.transition_start_s is not None and shot.transition in ("dissolve", "fade"):
            axes.barh(row["shots"], max(shot.start_s - shot.transition_start_s, 0.02), left=shot.transition_start_s,
                      height=0.7, color=GRADUAL_COLOUR, hatch="///", edgecolor="black", linewidth=0)  # fmt: skip
        if shot.duration_s / duration > 0.04:
            axes.text(shot.start_s + 0.01 * duration, row["shots"], _shot_text(shot), va="center", fontsize=7,
                      color="white", clip_on=True)  # fmt: skip
    for name, segments in action_lanes.items():
        for action in segments:
            width = max(action.end_s - action.start_s, 0.02)
            axes.barh(row[name], width, left=action.start_s, height=0.7, color=action_colours[action.label])
            if width / duration > 0.06:
                axes.text(action.start_s + 0.005 * duration, row[name], action.label, va="center", fontsize=7,
                          color="white", clip_on=True)  # fmt: skip
    for track in tracks:
        axes.barh(row[f"#{track.id} {track.label}"], max(track.last_s - track.first_s, 0.05), left=track.first_s,
                  height=0.6, color=track_colours[track.label])  # fmt: skip
    for event in timeline.events:
        if event.end_s > event.start_s:
            axes.barh(row["events"], event.end_s - event.start_s, left=event.start_s, height=0.6, color="0.6")
        axes.plot([event.start_s], [row["events"]], marker="v", color="crimson", markersize=7)
    if has_speech and timeline.transcript is not None:
        for segment in timeline.transcript.segments:
            axes.barh(row["speech"], segment.end_s - segment.start_s, left=segment.start_s, height=0.6,
                      color=SPEECH_COLOUR)  # fmt: skip
    axes.set_yticks(range(len(lanes)), lanes, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, duration)
    axes.set_xlabel("seconds (source clock)")
    hidden = len(timeline.tracks) - len(tracks)
    title = f"{len(timeline.shots)} shots, {len(timeline.actions)} actions, {len(timeline.tracks)} tracks, "
    title += f"{len(timeline.events)} events" + (f" ({hidden} tracks not drawn)" if hidden > 0 else "")
    axes.set_title(title, fontsize=10)
    axes.grid(axis="x", alpha=0.3)
    if action_colours:
        handles = [Patch(color=to_rgba(colour), label=label) for label, colour in action_colours.items()]
        axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, title="actions",
                    title_fontsize=7, frameon=False)  # fmt: skip
    figure.tight_layout()
    with atomic_path(target) as temporary:
        figure.savefig(temporary, format="png")
    return Path(target)
