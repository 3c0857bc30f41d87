"""The vision contracts every detector and pose adapter follows.

A detector's loaded model is a :class:`DetectorModel`: ``detect(images)`` takes RGB frames
of any size and returns one :class:`~studio.vision.detections.Detections` per frame, boxes
in that frame's own pixels. An open-vocabulary detector (:class:`TextQueryDetector`) also
takes text queries and labels its boxes with them. A pose model returns 17 COCO keypoints
for each person box it is given.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from studio.vision.detections import Detections

__all__ = ["COCO_KEYPOINTS", "COCO_LABELS", "SKELETON", "DetectorModel", "PoseModel", "TextQueryDetector"]

COCO_LABELS = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
    "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
    "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
    "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard",
    "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase",
    "scissors", "teddy bear", "hair drier", "toothbrush",
)  # fmt: skip
COCO_KEYPOINTS = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
    "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip
SKELETON = (
    (0, 1), (0, 2), (1, 3), (2, 4), (5, 6), (5, 7), (7, 9), (6, 8), (8, 10), (5, 11), (6, 12),
    (11, 12), (11, 13), (13, 15), (12, 14), (14, 16),
)  # fmt: skip


@runtime_checkable
class DetectorModel(Protocol):
    input_size: int  # the side the model sees; frames are resized to it

    def detect(self, images: list[np.ndarray], min_score: float = 0.3) -> list[Detections]: ...


@runtime_checkable
class TextQueryDetector(Protocol):
    """An open-vocabulary detector (OWLv2 and the like): it finds what text queries describe,
    and each box's label is the query it matched."""

    input_size: int

    def detect_queries(
        self, images: list[np.ndarray], queries: tuple[str, ...], min_score: float = 0.3
    ) -> list[Detections]: ...


@runtime_checkable
class PoseModel(Protocol):
    def keypoints(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """17 COCO keypoints (x, y, score) in frame pixels for each box: N×17×3."""
        ...
