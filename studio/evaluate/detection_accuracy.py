"""Detection accuracy with supervision's metrics: COCO mAP@0.5 and mAP@0.5:0.95
(``supervision.metrics.MeanAveragePrecision``), precision and recall at IoU 0.5, per frame
pairs of ground truth and predictions in the studio's :class:`~studio.vision.Detections`.

Labels become class ids by name; ``class_agnostic`` scores boxes whatever their labels (MOT
ground truth of one class, a detector whose label names differ from the truth's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from studio.core import InputError, JsonResult
from studio.vision import Detections

if TYPE_CHECKING:
    import supervision as sv

__all__ = ["DetectionAccuracy", "score_detections"]


@dataclass(frozen=True)
class DetectionAccuracy(JsonResult):
    frames: int
    truth_boxes: int
    found_boxes: int
    map50: float
    map50_95: float
    precision50: float
    recall50: float
    ap50_per_label: dict[str, float]
    class_agnostic: bool
    definition: str = "COCO mAP by supervision.metrics (101-point interpolation); precision and recall at IoU 0.5"


def _as_supervision(found: Detections, ids: dict[str, int], agnostic: bool, truth: bool) -> sv.Detections:
    import supervision as sv

    if not len(found):
        return sv.Detections.empty()
    class_id = np.zeros(len(found), int) if agnostic else np.asarray([ids[label] for label in found.labels], int)
    confidence = None if truth else np.asarray(found.scores, np.float32)
    return sv.Detections(xyxy=np.asarray(found.xyxy, np.float32), class_id=class_id, confidence=confidence)


def score_detections(truth: Sequence[Detections], found: Sequence[Detections],
                     class_agnostic: bool = False) -> DetectionAccuracy:  # fmt: skip
    """``found[i]`` scored against ``truth[i]`` over all frames at once."""
    from supervision.metrics import MeanAveragePrecision, Precision, Recall

    if len(truth) != len(found):
        raise InputError(f"expected predictions for each of the {len(truth)} frames, got {len(found)}")
    labels = sorted({label for frame in (*truth, *found) for label in frame.labels})
    ids = {label: number for number, label in enumerate(labels)}
    targets = [_as_supervision(frame, ids, class_agnostic, truth=True) for frame in truth]
    predictions = [_as_supervision(frame, ids, class_agnostic, truth=False) for frame in found]
    average = MeanAveragePrecision(class_agnostic=class_agnostic).update(predictions, targets).compute()
    precision = Precision().update(predictions, targets).compute()
    recall = Recall().update(predictions, targets).compute()
    names = ["any"] if class_agnostic else labels
    per_label = {}
    for class_id, ap in zip(average.matched_classes, average.ap_per_class, strict=True):
        per_label[names[int(class_id)]] = round(float(ap[0]), 6)  # ap[0]: IoU 0.5
    return DetectionAccuracy(
        frames=len(truth), truth_boxes=sum(map(len, truth)), found_boxes=sum(map(len, found)),
        map50=round(max(0.0, float(average.map50)), 6), map50_95=round(max(0.0, float(average.map50_95)), 6),
        precision50=round(float(precision.precision_at_50), 6), recall50=round(float(recall.recall_at_50), 6),
        ap50_per_label=per_label, class_agnostic=class_agnostic,
    )  # fmt: skip
