"""A trained linear classifier over clip vectors, saved as plain arrays: never a pickle.

A trained model is a folder in the models home (``trained/NAME``) with two files:

- ``model.json``: the name, task, labels, the :class:`~studio.vision.training.features.FeatureRecipe`
  (which models made the vectors, at which rate) and how training went;
- ``head.npz``: ``mean`` and ``scale`` (the standardisation, D each), ``coef`` (labels × D) and
  ``intercept`` (labels), loaded with ``allow_pickle=False``.

Loaded through the registry it is also a :class:`~studio.vision.contracts.ClipActionModel` (clips of
``clip_frames`` at ``clip_fps``, its own recipe's rate) and an :class:`~studio.vision.contracts.ImageClassifier`
(a ``frames`` model: each picture alone), once :meth:`TrainedHead.bind` gave it the models that make its
vectors (the embedder; for pose, the detector and pose model): analysis calls ``bind(cache, device)``.

Prediction is numpy only: ``softmax(((x - mean) / scale) @ coef.T + intercept)``, what
scikit-learn's multinomial logistic regression computes (a two-label one is written as two rows,
``-w/2`` and ``+w/2``, whose softmax is its sigmoid).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from studio.core import InputError, ModelLoadError, json_bytes, write_bytes
from studio.vision.contracts import Scored
from studio.vision.training.features import ClipFeaturizer, FeatureRecipe, clip_label, featurizer_for

if TYPE_CHECKING:
    from studio.registry import LoadOptions, ModelCache, ModelSpec

__all__ = ["HEAD_FILE", "HEAD_FORMAT", "MODEL_FILE", "TrainedHead"]

MODEL_FILE = "model.json"
HEAD_FILE = "head.npz"
HEAD_FORMAT = "media-studio-trained-head/1"  # bumped when the files change meaning
_ARRAYS = ("mean", "scale", "coef", "intercept")


@dataclass
class TrainedHead:
    """Labels for clip vectors. ``task`` is ``action`` or ``classify`` (scenes)."""

    name: str
    task: str
    labels: tuple[str, ...]
    recipe: FeatureRecipe
    mean: np.ndarray  # D, of the training vectors
    scale: np.ndarray  # D, their standard deviation (1 where it was 0)
    coef: np.ndarray  # labels × D, on standardised vectors
    intercept: np.ndarray  # labels
    training: dict[str, Any] = field(default_factory=dict)  # how it was trained (accuracy, clips), for people
    memory_mb: int = 1
    device: str = "cpu"  # where bind() loads the models that make its vectors, by default
    featurizer: ClipFeaturizer | None = field(default=None, repr=False)  # set by bind()

    def __post_init__(self) -> None:
        size, count = len(self.mean), len(self.labels)
        shapes = {"scale": (size,), "coef": (count, size), "intercept": (count,)}
        for name, shape in shapes.items():
            if getattr(self, name).shape != shape:
                raise ModelLoadError(f"trained model {self.name!r}: expected {name} of shape {shape}, "
                                     f"got {getattr(self, name).shape}")  # fmt: skip
        self.memory_mb = max(1, round(sum(getattr(self, n).nbytes for n in _ARRAYS) / 2**20))

    @property
    def feature_size(self) -> int:
        return len(self.mean)

    def classify_features(self, vectors: np.ndarray, top_k: int = 5) -> list[Scored]:
        """``(label, probability)`` pairs, best first, for each row of ``vectors`` (N×D)."""
        rows = np.asarray(vectors, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] != self.feature_size:
            raise InputError(f"trained model {self.name!r} takes N×{self.feature_size} vectors, got {rows.shape}")
        if top_k < 1:
            raise InputError(f"expected top_k of at least 1, got {top_k}")
        logits = ((rows - self.mean) / self.scale) @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        order = np.argsort(-probabilities, axis=1, kind="stable")[:, :top_k]
        return [[(self.labels[i], float(row[i])) for i in best] for row, best in zip(probabilities, order, strict=True)]

    # -- as a clip action model and an image classifier (analysis) -----------------------------
    @property
    def clip_frames(self) -> int:
        return self.recipe.max_frames

    @property
    def clip_fps(self) -> float:
        return self.recipe.sample_fps

    @property
    def frame_side(self) -> int:
        """The shorter side analysis gives its frames: the embedder's 256 (it crops 224); a detector more."""
        return 360 if self.recipe.uses_pose else 256

    def bind(self, cache: ModelCache, device: str | None = None) -> TrainedHead:
        """Get the recipe's models (embedder; detector and pose model) from ``cache``; returns itself."""
        self.featurizer = featurizer_for(self.recipe, cache, device or self.device)
        return self

    def _bound(self) -> ClipFeaturizer:
        if self.featurizer is None:  # loaded outside an analysis: the process-wide cache
            from studio.registry import default_cache

            self.bind(default_cache())
        assert self.featurizer is not None
        return self.featurizer

    def _refuse_labels(self, labels: tuple[str, ...]) -> None:
        if labels:
            raise InputError(f"trained model {self.name!r} knows only its own labels ({', '.join(self.labels)}); "
                             f"it cannot take others ({', '.join(labels)})")  # fmt: skip

    def classify_clips(self, clips: list[np.ndarray], labels: tuple[str, ...] = (), top_k: int = 5) -> list[Scored]:
        """Each clip (T×H×W×3 uint8, sampled at ``clip_fps``) labelled by :func:`clip_label`."""
        self._refuse_labels(labels)
        featurizer = self._bound()
        return [clip_label(self, featurizer, list(clip), np.arange(len(clip)) / self.clip_fps, top_k) for clip in clips]

    def classify_images(self, images: list[np.ndarray], labels: tuple[str, ...] = (), top_k: int = 5) -> list[Scored]:
        """Each picture alone, as a one-frame clip (a scene model pools the mean, which one picture has)."""
        self._refuse_labels(labels)
        if self.recipe.uses_pose:
            raise InputError(f"trained model {self.name!r} labels movement (pose): it needs clips, not pictures")
        featurizer = self._bound()
        return [clip_label(self, featurizer, [image], np.zeros(1), top_k) for image in images]

    # -- files ------------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """``model.json`` and ``head.npz`` into ``folder`` (each written atomically)."""
        buffer = io.BytesIO()
        arrays = [np.asarray(getattr(self, name), dtype=np.float64) for name in _ARRAYS]
        np.savez(buffer, mean=arrays[0], scale=arrays[1], coef=arrays[2], intercept=arrays[3])
        write_bytes(folder / HEAD_FILE, buffer.getvalue())
        about = {"format": HEAD_FORMAT, "name": self.name, "task": self.task, "labels": list(self.labels),
                 "recipe": self.recipe.to_dict(), "training": self.training}  # fmt: skip
        write_bytes(folder / MODEL_FILE, json_bytes(about))

    @staticmethod
    def read_about(folder: Path) -> dict[str, Any]:
        """``model.json`` of the trained model in ``folder``, checked for the fields it needs."""
        path = folder / MODEL_FILE
        try:
            about = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelLoadError(f"trained model file {path} cannot be read: {exc}") from None
        if not isinstance(about, dict) or about.get("format") != HEAD_FORMAT:
            found = about.get("format") if isinstance(about, dict) else type(about).__name__
            raise ModelLoadError(f"expected {path} in format {HEAD_FORMAT}, got {found!r}")
        missing = [key for key in ("name", "task", "labels", "recipe") if key not in about]
        if missing:
            raise ModelLoadError(f"trained model file {path} lacks {', '.join(missing)}")
        return about

    @classmethod
    def read(cls, folder: Path) -> TrainedHead:
        """The trained model saved in ``folder``; a missing or damaged file is a ModelLoadError."""
        about = cls.read_about(folder)
        try:
            with np.load(folder / HEAD_FILE, allow_pickle=False) as arrays:
                values = {name: np.asarray(arrays[name], dtype=np.float64) for name in _ARRAYS}
            recipe = FeatureRecipe.from_dict(about["recipe"])
        except (OSError, KeyError, ValueError, TypeError, InputError) as exc:
            raise ModelLoadError(f"trained model {folder / HEAD_FILE} cannot be read: {exc}") from None
        labels = tuple(str(label) for label in about["labels"])
        return cls(str(about["name"]), str(about["task"]), labels, recipe, values["mean"], values["scale"],
                   values["coef"], values["intercept"], training=dict(about.get("training") or {}))  # fmt: skip

    @classmethod
    def load(cls, spec: ModelSpec, weights: Path, device: str, options: LoadOptions) -> TrainedHead:
        """The registry's way in: ``weights`` is the model's folder (``home:trained/NAME``). Numpy
        only, so any device serves; the embedder it needs loads on its own."""
        options.require(spec.name, dtypes=("float32",))
        head = cls.read(weights)
        head.device = device
        return head
