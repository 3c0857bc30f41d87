"""The vision contracts every detector, pose, shot, action, classifier and captioner adapter follows.

A detector's loaded model is a :class:`DetectorModel`: ``detect(images)`` takes RGB frames
of any size and returns one :class:`~studio.vision.detections.Detections` per frame, boxes
in that frame's own pixels. An open-vocabulary detector (:class:`TextQueryDetector`) also
takes text queries and labels its boxes with them. A pose model returns 17 COCO keypoints
for each person box it is given.

Understanding a video (shots, actions, scenes, captions):

- :class:`ShotModel` sees every frame as a small thumbnail, pushed in order to a
  :class:`ShotScorer`, and returns the :class:`Transition` s it found (cuts, dissolves, fades);
- :class:`PoseActionModel` labels one person's pose sequence (keypoints on real timestamps);
- :class:`ClipActionModel` labels short clips sampled at its own rate (VideoMAE, X-CLIP,
  a trained classifier); with the ``zero-shot`` capability it takes the user's labels;
- :class:`ImageClassifier` tags pictures (ImageNet classes, or the user's labels zero-shot);
  :class:`ImageEmbedder` turns them into feature vectors (the trainer's input);
  :class:`TextImageEmbedder` puts texts in the same space as pictures (CLIP, SigLIP),
  :class:`TextVideoScorer` scores texts against whole clips (X-CLIP);
- :class:`ImageCaptioner` writes a caption per picture, :class:`VideoDescriber` one for a clip;
- :class:`TextReader` reads the text on a picture (OCR): each line it finds as a :class:`TextLine`.

A model that runs other registry models (a trained classifier needs its embedder) is also a
:class:`UsesModels`: the analysis gives it the cache it loads them from.

Scores are 0-1. Every method takes a batch: adapters batch the model calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from studio.vision.detections import Detections

if TYPE_CHECKING:
    from studio.registry import ModelCache

__all__ = [
    "COCO_KEYPOINTS",
    "COCO_LABELS",
    "SKELETON",
    "ClipActionModel",
    "DetectorModel",
    "ImageCaptioner",
    "ImageClassifier",
    "ImageEmbedder",
    "PoseActionModel",
    "PoseModel",
    "Scored",
    "ShotModel",
    "ShotScorer",
    "TextImageEmbedder",
    "TextLine",
    "TextQueryDetector",
    "TextReader",
    "TextVideoScorer",
    "Transition",
    "UsesModels",
    "VideoDescriber",
]

Scored = list[tuple[str, float]]  # (label, score) pairs, best first

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


@dataclass(frozen=True)
class Transition:
    """A change of shot. ``kind`` is ``cut``, ``dissolve`` or ``fade``; ``end_s`` is the time of
    the new shot's first frame and ``start_s`` that of the transition's first frame (equal
    for a cut). ``score`` is the model's confidence."""

    kind: str
    start_s: float
    end_s: float
    score: float


@runtime_checkable
class ShotScorer(Protocol):
    """One pass of a :class:`ShotModel` over one video: every frame in order, then ``finish``."""

    def push(self, frame: np.ndarray, time_s: float) -> None:
        """The next frame, ``frame_size`` RGB uint8, at its presentation time."""
        ...

    def finish(self) -> list[Transition]: ...


@runtime_checkable
class ShotModel(Protocol):
    frame_size: tuple[int, int]  # (width, height) of the thumbnails it wants, e.g. (48, 27)

    def scorer(self) -> ShotScorer: ...


@runtime_checkable
class PoseActionModel(Protocol):
    """What one person does at each sampled time, from their pose sequence."""

    labels: tuple[str, ...]  # every label it can give

    def label_poses(self, times_s: np.ndarray, keypoints: np.ndarray, boxes: np.ndarray) -> Scored:
        """``times_s`` (T,) on the source clock, ``keypoints`` T×17×3 (x, y, score) and ``boxes``
        T×4 (xyxy) in source pixels: one ``(label, score)`` per time."""
        ...


@runtime_checkable
class ClipActionModel(Protocol):
    """Actions in short clips: ``clip_frames`` frames sampled at ``clip_fps`` (its training rate)."""

    clip_frames: int
    clip_fps: float
    frame_side: int  # frames are given with their shorter side about this long

    def classify_clips(self, clips: list[np.ndarray], labels: tuple[str, ...] = (), top_k: int = 5) -> list[Scored]:
        """``clips``: each T×H×W×3 uint8 RGB; ``labels``: the user's (zero-shot models only)."""
        ...


@runtime_checkable
class ImageClassifier(Protocol):
    def classify_images(self, images: list[np.ndarray], labels: tuple[str, ...] = (), top_k: int = 5) -> list[Scored]:
        """``labels``: the user's (zero-shot models only; others refuse them)."""
        ...


@runtime_checkable
class ImageEmbedder(Protocol):
    embedding_size: int

    def embed_images(self, images: list[np.ndarray]) -> np.ndarray:
        """N×``embedding_size`` float32 feature vectors."""
        ...


@runtime_checkable
class TextImageEmbedder(Protocol):
    """Pictures and texts in one space (CLIP, SigLIP): how well a text describes a picture."""

    embedding_size: int

    def embed_images(self, images: list[np.ndarray]) -> np.ndarray:
        """N×``embedding_size`` float32, each row of unit length."""
        ...

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """N×``embedding_size`` float32, each row of unit length, in the images' space; each text as
        given (no prompt template), cut at the model's longest text."""
        ...


@runtime_checkable
class TextVideoScorer(Protocol):
    """How well texts describe whole clips, in the model's own shared space (X-CLIP)."""

    clip_frames: int  # the frames of a clip it reads

    def text_similarity(self, clips: list[np.ndarray], texts: list[str]) -> np.ndarray:
        """``clips`` (each ``clip_frames``×H×W×3 uint8 RGB) × ``texts`` cosine similarities, -1 to 1,
        each text as given (no prompt template)."""
        ...


@runtime_checkable
class ImageCaptioner(Protocol):
    def caption_images(self, images: list[np.ndarray]) -> list[str]: ...


@runtime_checkable
class VideoDescriber(Protocol):
    clip_frames: int  # how many frames of the clip it looks at

    def describe_video(self, frames: list[np.ndarray], prompt: str = "") -> str: ...


@dataclass(frozen=True)
class TextLine:
    """One line of text on a picture: what it says, the reader's confidence, and its box
    (x1, y1, x2, y2) in the picture's own pixels."""

    text: str
    score: float
    box_xyxy: tuple[float, float, float, float]


@runtime_checkable
class TextReader(Protocol):
    def read_text(self, images: list[np.ndarray]) -> list[list[TextLine]]:
        """Each RGB picture's lines of text, in reading order."""
        ...


@runtime_checkable
class UsesModels(Protocol):
    def bind(self, cache: ModelCache, device: str | None = None) -> object:
        """Get the other models it runs from ``cache``, on ``device``."""
        ...
