"""Boxes in one frame (:class:`Detections`, the one detection type from detector to tracker,
zones and annotation) and box arithmetic."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from studio.core import InputError

__all__ = ["Detections", "box_iou", "nms"]


@dataclass(frozen=True)
class Detections:
    """Boxes in one frame, supervision-style: ``xyxy`` (N×4 float32, frame pixels), ``scores``
    (N), ``labels`` (N names), ``tracker_id`` (N ints once tracked, else ``None``) and
    ``extra`` (any other per-box arrays). The one detection type from detector to tracker,
    zones and annotation: selection and scaling keep every per-box field."""

    xyxy: np.ndarray
    scores: np.ndarray
    labels: tuple[str, ...]
    tracker_id: np.ndarray | None = field(default=None, compare=False)
    extra: dict[str, np.ndarray] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.xyxy.ndim != 2 or self.xyxy.shape[1] != 4:
            raise InputError(f"expected boxes of shape N×4, got {self.xyxy.shape}")
        if not (len(self.scores) == len(self.labels) == len(self.xyxy)):
            raise InputError(f"expected as many scores and labels as boxes, got {len(self.scores)}, "
                             f"{len(self.labels)}, {len(self.xyxy)}")  # fmt: skip
        if self.tracker_id is not None and len(self.tracker_id) != len(self.xyxy):
            raise InputError(f"expected a tracker id per box, got {len(self.tracker_id)} for {len(self.xyxy)} boxes")

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), ())

    @classmethod
    def merge(cls, parts: list[Detections]) -> Detections:
        """One frame's detections from several parts (e.g. one tracker per label)."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        ids = [p.tracker_id for p in parts]
        names = set.intersection(*(set(p.extra) for p in parts))
        return cls(
            np.concatenate([p.xyxy for p in parts]).astype(np.float32),
            np.concatenate([p.scores for p in parts]).astype(np.float32),
            tuple(label for p in parts for label in p.labels),
            np.concatenate(ids).astype(int) if all(i is not None for i in ids) else None,  # type: ignore[arg-type]
            {name: np.concatenate([p.extra[name] for p in parts]) for name in names},
        )

    def __len__(self) -> int:
        return len(self.labels)

    def keep(self, mask: np.ndarray) -> Detections:
        """The boxes where ``mask`` is true, with every per-box field."""
        indices = np.flatnonzero(mask)
        extra = {name: np.asarray(values)[indices] for name, values in self.extra.items()}
        tracker_id = self.tracker_id[indices] if self.tracker_id is not None else None
        labels = tuple(self.labels[i] for i in indices)
        return Detections(self.xyxy[indices], self.scores[indices], labels, tracker_id, extra)

    def scaled(self, sx: float, sy: float) -> Detections:
        """Boxes in another resolution: x times ``sx``, y times ``sy`` (every other field kept)."""
        boxes = self.xyxy * np.array([sx, sy, sx, sy], np.float32)
        return Detections(boxes, self.scores, self.labels, self.tracker_id, self.extra)

    def to_supervision(self) -> Any:
        """The same boxes as ``supervision.Detections`` (labels in ``data["class_name"]``),
        for supervision's zones, trackers and annotators."""
        import supervision as sv

        if not len(self):
            return sv.Detections.empty()
        names = sorted(set(self.labels))
        return sv.Detections(
            xyxy=self.xyxy.astype(np.float32).reshape(-1, 4),
            confidence=self.scores.astype(np.float32),
            class_id=np.array([names.index(label) for label in self.labels], dtype=int),
            tracker_id=self.tracker_id.astype(int) if self.tracker_id is not None else None,
            data={"class_name": np.array(self.labels, dtype=object)},
        )


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of N×4 and M×4 xyxy boxes (N×M)."""
    a, b = np.asarray(a, np.float64).reshape(-1, 4), np.asarray(b, np.float64).reshape(-1, 4)
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(bottom_right - top_left, 0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def _nesting(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Intersection over the smaller area: 1.0 when one box lies wholly inside the other."""
    top_left = np.maximum(box[:2], others[:, :2])
    bottom_right = np.minimum(box[2:], others[:, 2:])
    inter = np.prod(np.clip(bottom_right - top_left, 0, None), axis=1)
    smaller = np.minimum(np.prod(box[2:] - box[:2]), np.prod(others[:, 2:] - others[:, :2], axis=1))
    return inter / np.maximum(smaller, 1e-9)


def nms(xyxy: np.ndarray, scores: np.ndarray, iou_threshold: float = 0.5, contained: float | None = None) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression, best first. With ``contained``, a worse
    box nested that much with a better one (either inside the other) also goes: the same
    object boxed twice, tight and loose."""
    order = np.argsort(-scores)
    keep: list[int] = []
    while order.size:
        best = int(order[0])
        keep.append(best)
        if order.size == 1:
            break
        rest = order[1:]
        drop = box_iou(xyxy[best : best + 1], xyxy[rest])[0] >= iou_threshold
        if contained is not None:
            drop |= _nesting(xyxy[best], xyxy[rest]) >= contained
        order = rest[~drop]
    return np.asarray(keep, dtype=np.int64)
