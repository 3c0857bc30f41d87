"""How far one analysis of a video agrees with another: the same content at another frame rate
(:mod:`~studio.evaluate.rate_robustness`), another model, another setting.

Both timelines are on the source clock, so they are compared on a common grid of times (the
slower of the two analysis rates): a grid frame counts where both analysed a frame within half a
grid period of it. On that grid:

- the other timeline's tracks are scored against the reference's as MOT ground truth with
  ``trackers.eval`` (MOTA, IDF1 and ID switches: a track that changes its id where the
  reference kept one);
- label agreement: of the boxes matched at IoU ≥ 0.5 whatever their labels, the share with the
  same label;
- detections per second of each (track points per second of video) and boxes per analysed
  frame (the same, comparable when the analysis rates differ);
- shot boundaries: F1 of the other's against the reference's (one frame period of the grid),
  and the largest offset between matched boundaries in seconds;
- actions: on a 10 Hz grid, the seconds in which the set of action labels differs;
- events: each reference event matched to the other's nearest of the same kind; the mean
  offset of their start times and how many found no partner.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from studio.core import JsonResult, Timeline
from studio.evaluate.shot_accuracy import Boundary, score_shots
from studio.evaluate.tracking_accuracy import score_mot, write_mot
from studio.vision import box_iou

__all__ = ["TimelineAgreement", "compare_timelines"]

ACTION_GRID_HZ = 10
MATCH_IOU = 0.5


@dataclass(frozen=True)
class TimelineAgreement(JsonResult):
    grid_fps: float
    grid_frames: int
    tracks_reference: dict[str, int]  # label -> tracks
    tracks: dict[str, int]
    mota: float | None  # None: the reference has no tracks on the grid
    idf1: float | None
    id_switches: int | None
    label_agreement: float | None  # None: no boxes matched
    detections_per_s_reference: float
    detections_per_s: float
    boxes_per_frame_reference: float  # track points per analysed frame: comparable across analysis rates
    boxes_per_frame: float
    shot_f1: float | None  # None: neither found a boundary
    shot_offset_s: float | None  # the largest offset of matched boundaries
    action_disagreement_s: float
    action_seconds: float  # the seconds compared
    event_offset_s: float | None  # mean |start difference| of matched events
    events_unmatched: int


def _rate(timeline: Timeline) -> float:
    value = timeline.metadata.get("analysis_fps")
    rate = float(Fraction(str(value))) if value else 0.0
    return min(rate, float(timeline.video.fps)) if timeline.video.fps else rate


def _grid_frames(timeline: Timeline, grid: float) -> set[int]:
    return {round(t * grid) + 1 for t in timeline.sample_times_s if abs(t * grid - round(t * grid)) <= 0.5}


def _boxes_at(timeline: Timeline, grid: float) -> dict[int, list[tuple[str, tuple[float, ...]]]]:
    """Per grid frame: each track's label and box at its point nearest the frame's time."""
    nearest: dict[tuple[int, int], tuple[float, str, tuple[float, ...]]] = {}
    for track in timeline.tracks:
        for point in track.points:
            frame = round(point.time_s * grid) + 1
            off = abs(point.time_s - (frame - 1) / grid)
            if (frame, track.id) not in nearest or off < nearest[frame, track.id][0]:
                nearest[frame, track.id] = (off, track.label, point.xyxy)
    boxes: dict[int, list[tuple[str, tuple[float, ...]]]] = {}
    for (frame, _), (_, label, xyxy) in sorted(nearest.items()):
        boxes.setdefault(frame, []).append((label, xyxy))
    return boxes


def _label_agreement(reference: Timeline, other: Timeline, grid: float, frames: set[int]) -> float | None:
    ours, theirs = _boxes_at(reference, grid), _boxes_at(other, grid)
    matched = same = 0
    for frame in frames:
        a, b = ours.get(frame, []), theirs.get(frame, [])
        if not a or not b:
            continue
        iou = box_iou(np.array([x for _, x in a], np.float32), np.array([x for _, x in b], np.float32))
        while iou.size and iou.max() >= MATCH_IOU:
            i, j = np.unravel_index(int(iou.argmax()), iou.shape)
            matched += 1
            same += a[i][0] == b[j][0]
            iou[i, :], iou[:, j] = -1, -1
    return round(same / matched, 4) if matched else None


def _tracking(reference: Timeline, other: Timeline, grid: float, frames: set[int]) -> tuple[float | None, ...]:
    with tempfile.TemporaryDirectory(prefix="agreement-") as folder:
        truth, found = Path(folder) / "reference.txt", Path(folder) / "other.txt"
        write_mot(reference, truth, fps=grid, truth=True)
        write_mot(other, found, fps=grid)
        truth_frames = {int(line.split(",")[0]) for line in truth.read_text().splitlines()}
        if not truth_frames & frames:
            return None, None, None
        if not found.read_text().strip():  # nothing tracked: every reference box is a miss
            return 0.0, 0.0, 0
        result = score_mot(truth, found, frames=frames)
    return result.mota, result.idf1, result.id_switches


def _boundaries(timeline: Timeline) -> list[Boundary]:
    return [Boundary(shot.transition, shot.start_s if shot.transition_start_s is None else shot.transition_start_s,
                     shot.start_s) for shot in timeline.shots[1:]]  # fmt: skip


def _shots(reference: Timeline, other: Timeline, grid: float) -> tuple[float | None, float | None]:
    truth, found = _boundaries(reference), _boundaries(other)
    if not truth and not found:
        return None, None
    score = score_shots(truth, found, grid)
    offsets = [min(abs(f.end_s - t.end_s) for f in found) for t in truth] if found else []
    close = [o for o in offsets if o <= score.tolerance_s]
    return score.f1, round(max(close), 4) if close else None


def _action_sets(timeline: Timeline, times: np.ndarray) -> list[frozenset[str]]:
    return [frozenset(a.label for a in timeline.actions if a.start_s <= t <= a.end_s) for t in times]


def _events(reference: Timeline, other: Timeline) -> tuple[float | None, int]:
    offsets: list[float] = []
    unmatched = 0
    for event in reference.events:
        partners = [abs(e.start_s - event.start_s) for e in other.events if e.kind == event.kind]
        if partners:
            offsets.append(min(partners))
        else:
            unmatched += 1
    return (round(float(np.mean(offsets)), 4) if offsets else None), unmatched


def compare_timelines(reference: Timeline, other: Timeline) -> TimelineAgreement:
    """How ``other`` differs from ``reference`` (see the module docstring)."""
    grid = min(_rate(reference), _rate(other)) or 1.0
    frames = _grid_frames(reference, grid) & _grid_frames(other, grid)
    mota, idf1, switches = _tracking(reference, other, grid, frames)
    shot_f1, shot_offset = _shots(reference, other, grid)
    duration = max(reference.video.duration_s, 1e-9)
    times = np.arange(0, duration, 1 / ACTION_GRID_HZ)
    disagree = sum(a != b for a, b in zip(_action_sets(reference, times), _action_sets(other, times), strict=True))
    event_offset, unmatched = _events(reference, other)
    points, points_reference = sum(len(t.points) for t in other.tracks), sum(len(t.points) for t in reference.tracks)
    return TimelineAgreement(
        grid_fps=round(grid, 4), grid_frames=len(frames),
        tracks_reference=dict(Counter(t.label for t in reference.tracks)),
        tracks=dict(Counter(t.label for t in other.tracks)),
        mota=mota, idf1=idf1, id_switches=None if switches is None else int(switches),
        label_agreement=_label_agreement(reference, other, grid, frames),
        detections_per_s_reference=round(points_reference / duration, 3),
        detections_per_s=round(points / max(other.video.duration_s, 1e-9), 3),
        boxes_per_frame_reference=round(points_reference / max(1, len(reference.sample_times_s)), 3),
        boxes_per_frame=round(points / max(1, len(other.sample_times_s)), 3),
        shot_f1=shot_f1, shot_offset_s=shot_offset,
        action_disagreement_s=round(disagree / ACTION_GRID_HZ, 2), action_seconds=round(len(times) / ACTION_GRID_HZ, 2),
        event_offset_s=event_offset, events_unmatched=unmatched,
    )  # fmt: skip
