"""Tracking accuracy with ``trackers.eval`` (TrackEval's matching and arithmetic): CLEAR MOT
(MOTA, MOTP, ID switches, mostly tracked / lost), HOTA (DetA, AssA) and IDF1, from MOT
Challenge files (``frame,id,left,top,width,height,conf,class,visibility``, frames numbered from
1; as TrackEval, ground truth counts where conf ≠ 0 and class is 1), plus
class-agnostic detection mAP@0.5 of the same boxes (:mod:`~studio.evaluate.detection_accuracy`).

:func:`write_mot` writes a :class:`~studio.core.Timeline`'s tracks as such a file: each track
point's time on the source clock becomes the source frame it shows (``round(t × fps) + 1``).
Analysis that sampled fewer frames than the source has is scored only on the frames it saw:
ground truth on the others is left out, and the report says how many frames that kept.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from studio.core import InputError, JsonResult, Timeline, write_text
from studio.evaluate.detection_accuracy import score_detections
from studio.vision import Detections

__all__ = ["PEDESTRIAN_CLASS", "TrackingAccuracy", "mot_rows", "score_mot", "write_mot"]

PEDESTRIAN_CLASS = 1  # MOT Challenge's scored class; ground truth of any label is written as it


@dataclass(frozen=True)
class TrackingAccuracy(JsonResult):
    sequence: str
    frames: int  # ground-truth frames scored
    truth_ids: int
    found_ids: int
    mota: float
    motp: float
    id_switches: int
    mostly_tracked: int
    mostly_lost: int
    hota: float
    deta: float
    assa: float
    idf1: float
    map50: float
    definition: str = ("CLEAR MOT, HOTA and IDF1 by trackers.eval (TrackEval parity, IoU 0.5 for CLEAR and IDF1); "
                       "mAP@0.5 class-agnostic by supervision.metrics")  # fmt: skip


def mot_rows(timeline: Timeline, label: str | None = None, fps: float | None = None, truth: bool = False) -> list[str]:
    """The timeline's tracks (those labelled ``label`` when given) as MOT lines, by frame: frames
    of the source (``fps`` None) or of a grid at ``fps``, where a track sampled more often than
    the grid keeps, in each grid frame, its point nearest the frame's time. ``truth``: as ground
    truth (conf 1, class 1: the rows MOT Challenge scores, whatever the label), else as a
    tracker's output (the detection score, no class)."""
    rate = float(fps if fps is not None else timeline.video.fps)
    if not rate > 0:
        raise InputError(f"{Path(timeline.video.path).name!r} has no frame rate to number its frames by")
    nearest: dict[tuple[int, int], tuple[float, str]] = {}
    for track in timeline.tracks:
        if label is not None and track.label != label:
            continue
        for point in track.points:
            left, top, right, bottom = point.xyxy
            frame = round(point.time_s * rate) + 1
            off = abs(point.time_s - (frame - 1) / rate)
            tail = "1,1,1" if truth else f"{point.score:.4f},-1,-1,-1"
            line = f"{frame},{track.id},{left:.2f},{top:.2f},{right - left:.2f},{bottom - top:.2f},{tail}"
            if (frame, track.id) not in nearest or off < nearest[frame, track.id][0]:
                nearest[frame, track.id] = (off, line)
    return [nearest[key][1] for key in sorted(nearest)]


def write_mot(timeline: Timeline, path: str | os.PathLike[str], label: str | None = None,
              fps: float | None = None, truth: bool = False) -> Path:  # fmt: skip
    """:func:`mot_rows` written to ``path`` (atomically)."""
    write_text(path, "".join(line + "\n" for line in mot_rows(timeline, label, fps, truth)))
    return Path(path)


def _read(path: Path) -> dict[int, Any]:
    from trackers import load_mot_file

    try:
        return dict(load_mot_file(path))
    except (ValueError, IndexError) as exc:
        raise InputError(f"{path.name!r} is not a MOT file (frame,id,left,top,width,height,conf,...): {exc}") from None


def _scored(frame: Any) -> np.ndarray:
    """The ground-truth rows TrackEval scores: conf ≠ 0 and class 1 (MOT Challenge's pedestrian)."""
    return (np.asarray(frame.confidences) != 0) & (np.asarray(frame.classes) == PEDESTRIAN_CLASS)


def _boxes(frame: Any, truth: bool) -> Detections:
    if frame is None:
        return Detections.empty()
    boxes = np.asarray(frame.boxes, np.float32)
    keep = _scored(frame) if truth else np.ones(len(boxes), bool)
    boxes = boxes[keep]
    xyxy = np.column_stack([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]]) if len(boxes) else np.zeros((0, 4), np.float32)
    scores = np.ones(len(boxes), np.float32) if truth else np.asarray(frame.confidences, np.float32)[keep]
    return Detections(xyxy.astype(np.float32), scores, ("object",) * len(boxes))


def score_mot(truth: str | os.PathLike[str], found: str | os.PathLike[str],
              frames: set[int] | None = None) -> TrackingAccuracy:  # fmt: skip
    """``found`` (a tracker's MOT file) against ``truth`` (MOT ground truth); ``frames``: score only
    these frame numbers (the ones an analysis sampled)."""
    from trackers.eval import evaluate_mot_sequence

    truth_path, found_path = Path(truth), Path(found)
    for path in (truth_path, found_path):
        if not path.is_file():
            raise InputError(f"{os.fsdecode(path)!r} is not a file")
    truth_frames, found_frames = _read(truth_path), _read(found_path)
    with tempfile.TemporaryDirectory(prefix="mot-") as folder:
        if frames is not None:  # ground truth on frames the analysis never saw is not its miss
            kept = [line for line in truth_path.read_text().splitlines() if line.strip()
                    and int(float(line.split(",")[0])) in frames]  # fmt: skip
            if not kept:
                raise InputError(f"{truth_path.name!r} has no ground truth on the {len(frames)} frames analysed")
            truth_path = Path(folder) / truth_path.name
            truth_path.write_text("\n".join(kept) + "\n")
            truth_frames = {number: data for number, data in truth_frames.items() if number in frames}
        if not any(_scored(data).any() for data in truth_frames.values()):
            raise InputError(f"{Path(truth).name!r} has no ground truth to score: TrackEval scores the rows with "
                             "conf not 0 and class 1 (columns 7 and 8 of MOT Challenge files)")  # fmt: skip
        result = evaluate_mot_sequence(truth_path, found_path, metrics=["CLEAR", "HOTA", "Identity"])
    numbers = sorted(truth_frames)
    truth_boxes = [_boxes(truth_frames.get(n), True) for n in numbers]
    found_boxes = [_boxes(found_frames.get(n), False) for n in numbers]
    detection = score_detections(truth_boxes, found_boxes, class_agnostic=True)
    clear, hota, identity = result.CLEAR, result.HOTA, result.Identity
    assert clear is not None and hota is not None and identity is not None
    truth_ids = {int(i) for data in truth_frames.values() for i in data.ids}
    seen = [found_frames[n] for n in numbers if n in found_frames]
    found_ids = {int(i) for data in seen for i in data.ids}
    return TrackingAccuracy(
        sequence=Path(truth).name, frames=len(numbers), truth_ids=len(truth_ids), found_ids=len(found_ids),
        mota=round(float(clear.MOTA), 6), motp=round(float(clear.MOTP), 6), id_switches=int(clear.IDSW),
        mostly_tracked=int(clear.MT), mostly_lost=int(clear.ML), hota=round(float(hota.HOTA), 6),
        deta=round(float(hota.DetA), 6), assa=round(float(hota.AssA), 6), idf1=round(float(identity.IDF1), 6),
        map50=detection.map50,
    )  # fmt: skip
