"""A clip as one fixed-length vector: the trained classifier's input, the same in training and analysis.

A :class:`FeatureRecipe` says how (stored with the trained model, so prediction repeats it exactly):

- ``frames``: frames sampled by TIMESTAMP at ``sample_fps`` (at most ``max_frames``), each turned into
  an embedding by an :class:`~studio.vision.contracts.ImageEmbedder` (EfficientNet-Lite0 by default),
  pooled over time as the mean and the standard deviation (what the clip shows, and how much it changes;
  a scene model pools the mean alone, so that one picture is a valid input too);
- ``pose``: the main person's keypoints on the same samples (a detector, then a pose model), as
  :func:`studio.vision.pose_features.pose_feature_vector` (body-normalised kinematics per second);
- ``frames+pose``: both, one after the other.

:class:`ClipFeaturizer` holds the loaded models; :meth:`ClipFeaturizer.vector` is the ONE function
from decoded frames and their times to the vector, and :func:`clip_label` the one way a trained head
labels a clip, so training and analysis cannot drift apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from studio import media
from studio.core import InputError, JsonResult, MediaError, Settings, one_line
from studio.vision.contracts import DetectorModel, ImageEmbedder, PoseModel, Scored
from studio.vision.detections import box_iou
from studio.vision.pose_features import pose_feature_vector

if TYPE_CHECKING:
    from studio.registry import ModelCache, Registry
    from studio.vision.training.head import TrainedHead

__all__ = ["FEATURE_KINDS", "ClipFeaturizer", "FeatureRecipe", "PersonNotFound", "clip_label", "featurizer_for"]

FEATURE_KINDS = ("frames", "pose", "frames+pose")
POOLINGS = ("mean+std", "mean")
DEFAULT_EMBEDDER = "efficientnet-lite0"
PERSON = "person"
MIN_PERSON_SCORE = 0.3  # a detector's person box under this is not followed
FOLLOW_IOU = 0.1  # a person box overlapping the last one this much is the same person


class PersonNotFound(InputError):
    """Pose features were asked for a clip in which no frame shows a person."""


@dataclass(frozen=True)
class FeatureRecipe(JsonResult):
    """How a clip becomes a vector. Defaults by kind: ``frames`` 4 samples a second (what a scene
    shows changes slowly; 8 frames embed in well under a second on a CPU), ``pose`` 8 a second (pose
    oscillations need 8 samples in a 1.6 s window) over at most 8 s."""

    kind: str = "frames"
    sample_fps: float = 4.0
    max_frames: int = 8
    frame_side: int = 320  # frames are decoded with their longest side this long (the embedder sees 224)
    embedder: str | None = DEFAULT_EMBEDDER  # an ImageEmbedder (``frames`` kinds)
    detector: str | None = None  # a detect model (``pose`` kinds); None: the best installed, named at training
    pose: str | None = None  # a pose model (``pose`` kinds); None: the best installed, named at training
    # embeddings over time: "mean+std" (a clip: what it shows and how much that changes) or "mean" (a
    # scene model, which analysis also asks about single pictures: one picture's vector is its embedding)
    pooling: str = "mean+std"

    def __post_init__(self) -> None:
        if self.pooling not in POOLINGS:
            raise InputError(f"expected pooling one of {', '.join(POOLINGS)}, got {self.pooling!r}")
        if self.kind not in FEATURE_KINDS:
            raise InputError(f"expected features one of {', '.join(FEATURE_KINDS)}, got {self.kind!r}")
        if not 0 < self.sample_fps <= 60:
            raise InputError(f"expected a sampling rate between 0 and 60 frames a second, got {self.sample_fps}")
        if not 2 <= self.max_frames <= 1000:
            raise InputError(f"expected between 2 and 1000 frames a clip, got {self.max_frames}")
        if not 32 <= self.frame_side <= 4096:
            raise InputError(f"expected a frame side between 32 and 4096 pixels, got {self.frame_side}")

    @classmethod
    def for_kind(cls, kind: str, sample_fps: float | None = None, max_frames: int | None = None) -> FeatureRecipe:
        """The recipe of ``kind`` with its own defaults, changed where given."""
        recipe = cls(kind=kind) if kind == "frames" else cls(kind=kind, sample_fps=8.0, max_frames=64, frame_side=640)
        if kind == "pose":
            recipe = replace(recipe, embedder=None)
        changes: dict[str, Any] = {"sample_fps": sample_fps, "max_frames": max_frames}
        return replace(recipe, **{name: value for name, value in changes.items() if value is not None})

    @property
    def uses_frames(self) -> bool:
        return self.kind in ("frames", "frames+pose")

    @property
    def uses_pose(self) -> bool:
        return self.kind in ("pose", "frames+pose")

    def resolved(self, registry: Registry, settings: Settings) -> FeatureRecipe:
        """This recipe with every model named (the best installed where it says None), checked
        against the registry: what a trained model stores, so analysis loads the same models."""
        embedder = registry.choose("classify", self.embedder, settings).name if self.uses_frames else None
        if embedder is not None and not registry.get(embedder).can("embed"):
            raise InputError(
                f"model {embedder!r} gives no frame embeddings (capability 'embed'); use {DEFAULT_EMBEDDER}"
            )
        detector = registry.choose("detect", self.detector, settings).name if self.uses_pose else None
        pose = registry.choose("pose", self.pose, settings).name if self.uses_pose else None
        return replace(self, embedder=embedder, detector=detector, pose=pose)

    def window(self, duration_s: float) -> tuple[float, float | None, Fraction]:
        """Where in a clip of ``duration_s`` to sample and how often: ``(start_s, end_s, fps)``.

        ``frames`` spreads its ``max_frames`` over the whole clip (a lower rate for a long clip:
        the mean embedding describes all of it); ``pose`` kinds keep their rate (speeds and
        oscillations need it) over the clip's middle ``max_frames / sample_fps`` seconds.
        """
        rate = Fraction(self.sample_fps).limit_denominator(1001)
        span_s = self.max_frames / self.sample_fps
        if duration_s <= span_s:
            return 0.0, None, rate
        if not self.uses_pose:
            return 0.0, None, Fraction(self.max_frames / duration_s).limit_denominator(1001)
        start_s = (duration_s - span_s) / 2
        return start_s, start_s + span_s, rate


@dataclass
class ClipFeaturizer:
    """A recipe with its models loaded: clips in, vectors out."""

    recipe: FeatureRecipe
    embedder: ImageEmbedder | None = None
    detector: DetectorModel | None = None
    pose: PoseModel | None = None

    def __post_init__(self) -> None:
        if self.recipe.uses_frames and self.embedder is None:
            raise InputError(f"{self.recipe.kind} features need an image embedder")
        if self.recipe.uses_pose and (self.detector is None or self.pose is None):
            raise InputError(f"{self.recipe.kind} features need a person detector and a pose model")

    def sample(self, path: str | os.PathLike[str]) -> tuple[list[np.ndarray], np.ndarray]:
        """The clip's frames (RGB) at the recipe's times, and those times on the source clock.
        A clip that cannot be decoded is an InputError naming it."""
        shown = os.fsdecode(path)
        try:
            start_s, end_s, rate = self.recipe.window(media.probe(path, strict=False).duration_s)
            frames, times = [], []
            for frame in media.iter_frames(path, fps=rate, start_s=start_s, end_s=end_s, size=self.recipe.frame_side):
                frames.append(frame.image)
                times.append(frame.time_s)
                if len(frames) == self.recipe.max_frames:
                    break
        except MediaError as exc:
            raise InputError(f"cannot read clip {shown}: {one_line(exc.reason)}") from None
        if not frames:
            raise InputError(f"clip {shown} gave no frames to sample")
        return frames, np.asarray(times, dtype=np.float64)

    def vector(self, frames: list[np.ndarray], times_s: np.ndarray) -> np.ndarray:
        """THE clip vector (float32) from its decoded frames and their times: training and analysis
        both come here. Frames may be any size (brought to the recipe's, as training saw them); times
        are seconds."""
        if not frames or len(frames) != len(times_s):
            raise InputError(f"expected one time per frame and at least one frame, got {len(frames)} frames "
                             f"and {len(times_s)} times")  # fmt: skip
        frames = [self._at_recipe_size(frame) for frame in frames]
        parts = []
        if self.recipe.uses_frames:
            assert self.embedder is not None  # checked in __post_init__
            embeddings = np.asarray(self.embedder.embed_images(list(frames)), dtype=np.float64)
            parts.append(embeddings.mean(axis=0))
            if self.recipe.pooling == "mean+std":
                parts.append(embeddings.std(axis=0))
        if self.recipe.uses_pose:
            parts.append(self._pose_vector(frames, np.asarray(times_s, dtype=np.float64)))
        return np.concatenate(parts).astype(np.float32)

    def _at_recipe_size(self, frame: np.ndarray) -> np.ndarray:
        """``frame`` with its longest side ``frame_side``, as :meth:`sample` decodes it: whoever
        decoded the frames (training, an analysis at its own size), the models see the same scale."""
        height, width = frame.shape[:2]
        side = self.recipe.frame_side
        if max(height, width) == side:
            return frame
        import cv2

        scale = side / max(height, width)
        size = (max(2, round(width * scale)), max(2, round(height * scale)))
        return np.asarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR))

    def featurize(self, path: str | os.PathLike[str]) -> np.ndarray:
        """The vector of the clip at ``path`` (sampled by :meth:`sample`)."""
        frames, times = self.sample(path)
        try:
            return self.vector(frames, times)
        except PersonNotFound as exc:
            raise PersonNotFound(f"clip {os.fsdecode(path)}: {exc}") from None

    def _pose_vector(self, frames: list[np.ndarray], times_s: np.ndarray) -> np.ndarray:
        assert self.detector is not None and self.pose is not None  # checked in __post_init__
        found = self.detector.detect(list(frames), min_score=MIN_PERSON_SCORE)
        kept_times, keypoints, boxes = [], [], []
        previous: np.ndarray | None = None
        for frame, time_s, detections in zip(frames, times_s, found, strict=True):
            box = _follow_person(detections.xyxy, detections.scores, detections.labels, previous)
            if box is None:
                continue
            keypoints.append(self.pose.keypoints(frame, box[None])[0])
            boxes.append(box)
            kept_times.append(time_s)
            previous = box
        if not boxes:
            raise PersonNotFound(f"no person was found in any of its {len(frames)} sampled frames")
        return pose_feature_vector(np.asarray(kept_times), np.asarray(keypoints), np.asarray(boxes))


def _follow_person(
    xyxy: np.ndarray, scores: np.ndarray, labels: tuple[str, ...], previous: np.ndarray | None
) -> np.ndarray | None:
    """The main person's box in one frame: the one overlapping the last frame's most, else the
    largest confident one (the clip's subject is usually the biggest person in it)."""
    people = [i for i, label in enumerate(labels) if label == PERSON]
    if not people:
        return None
    boxes = np.asarray(xyxy, dtype=np.float64)[people]
    if previous is not None:
        overlap = box_iou(previous[None], boxes)[0]
        if overlap.max() >= FOLLOW_IOU:
            return boxes[int(overlap.argmax())]
    areas = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1) * np.asarray(scores, dtype=np.float64)[people]
    return boxes[int(areas.argmax())]


def featurizer_for(recipe: FeatureRecipe, cache: ModelCache, device: str | None = None) -> ClipFeaturizer:
    """The recipe's models from the cache (a recipe from :meth:`FeatureRecipe.resolved`, or a trained
    head's ``recipe``, names every one)."""
    embedder = (
        cache.get(recipe.embedder, device, kind=ImageEmbedder) if recipe.uses_frames and recipe.embedder else None
    )
    detector = cache.get(recipe.detector, device, kind=DetectorModel) if recipe.uses_pose and recipe.detector else None
    pose = cache.get(recipe.pose, device, kind=PoseModel) if recipe.uses_pose and recipe.pose else None
    return ClipFeaturizer(recipe, embedder, detector, pose)


def clip_label(
    head: TrainedHead, featurizer: ClipFeaturizer, frames: list[np.ndarray], times_s: np.ndarray, top_k: int = 5
) -> Scored:
    """What a trained ``head`` calls one clip, given its decoded frames and their times: the
    ``(label, score)`` pairs, best first. The featurizer must follow the head's own recipe."""
    if featurizer.recipe != head.recipe:
        raise InputError(f"trained model {head.name!r} was trained on {head.recipe}, not {featurizer.recipe}")
    return head.classify_features(featurizer.vector(frames, times_s)[None], top_k=top_k)[0]
