"""Hugging Face clip action models for users with a network: VideoMAE (Kinetics-400) and X-CLIP (zero-shot).

Both are :class:`~studio.vision.ClipActionModel` s: ``classify_clips(clips)`` labels clips of
``clip_frames`` frames sampled at ``clip_fps`` (:mod:`studio.vision.clip_windows` picks those frames by
timestamp). The frame count and picture side come from the loaded config; the rate, which no config
records, from the spec's ``params["clip_fps"]``, set from how each model was trained:

- VideoMAE, Kinetics-400 fine-tuning (Tong et al. 2022; the MCG-NJU scripts run ``--num_frames 16
  --sampling_rate 4``): 16 frames, every 4th of a ~30 fps Kinetics video, so 7.5 fps and a 2.13 s clip.
- X-CLIP base/32 (Ni et al. 2022; microsoft/VideoX ``X-CLIP/datasets/build.py``): TSN-style sparse
  sampling, ``SampleFrames(clip_len=1, num_clips=8)``, one frame from each eighth of a whole ~10 s
  Kinetics clip, in training and test alike: 8 frames at about 0.8 fps, a 10 s clip. Its frames are
  far apart by design (frame features, then cross-frame attention), so shorter clips are out of its
  training range; a spec may override ``clip_fps`` for short actions.

X-CLIP is also a :class:`~studio.vision.TextVideoScorer` (capability ``video-text``): the prompt's
video-level alignment in ``studio eval prompt``.

Weights load from the local Hub cache or a folder only; ``studio models install NAME`` downloads them
once on a machine with a network. The VideoMAE Kinetics checkpoints are CC-BY-NC-4.0: not for commercial use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from studio.core import InputError
from studio.registry import LoadOptions, ModelSpec
from studio.vision import Scored

__all__ = ["SPECS", "VideoMAEActions", "XCLIPActions"]

_REQUIRES = ("torch", "transformers")
BATCH_CLIPS = 4  # clips per forward pass: 4 × 16 × 224² frames is ~150 MB of pixels in float32

SPECS = [
    ModelSpec(
        name="videomae-base-kinetics", task="action", adapter="models.action_transformers:VideoMAEActions",
        source="hub:MCG-NJU/videomae-base-finetuned-kinetics", revision="main", license="CC-BY-NC-4.0",
        extra="vision-hub", memory_mb=700, offline=False, size_mb=345, requires=_REQUIRES, priority=5,
        params={"clip_fps": 7.5, "batch_clips": BATCH_CLIPS},
        description="VideoMAE base, Kinetics-400: 400 actions from 16-frame clips at 7.5 fps (non-commercial)",
    ),
    ModelSpec(
        name="xclip-base-patch32", task="action", adapter="models.action_transformers:XCLIPActions",
        source="hub:microsoft/xclip-base-patch32", revision="main", license="MIT", extra="vision-hub",
        memory_mb=1200, offline=False, size_mb=790, requires=_REQUIRES, priority=0,
        capabilities=("zero-shot", "video-text"),
        params={"clip_fps": 0.8, "batch_clips": BATCH_CLIPS},
        description="X-CLIP base/32: actions named in your own words, from 8 frames over 10 s",
    ),
]  # fmt: skip


class _HubClipModel:
    """What both adapters share: the model and its processor, clip checks, batching, top-k."""

    zero_shot = False

    def __init__(self, spec: ModelSpec, model: Any, processor: Any, device: str, vision_config: Any) -> None:
        self.name = spec.name
        self.model = model
        self.processor = processor
        self.device = device
        self.memory_mb = spec.memory_mb
        self.clip_frames = int(vision_config.num_frames)
        side = vision_config.image_size
        self.frame_side = int(side if isinstance(side, int) else min(side))
        self.clip_fps = float(spec.params.get("clip_fps", 0.0))
        if not self.clip_fps > 0:
            raise InputError(f"{spec.name}: its spec needs params['clip_fps'], the rate it was trained at")
        self.batch_clips = max(1, int(spec.params.get("batch_clips", BATCH_CLIPS)))

    @classmethod
    def load(cls, spec: ModelSpec, weights: Path, device: str, options: LoadOptions) -> Any:
        options.require(spec.name, dtypes=("float32", "float16", "bfloat16"))
        if cls.zero_shot != spec.can("zero-shot"):
            raise InputError(f"{spec.name}: its spec and its adapter {cls.__name__} disagree on zero-shot")
        import torch

        dtype = getattr(torch, options.dtype or "float32")
        model, processor = cls._from_pretrained(weights, dtype)
        vision_config = getattr(model.config, "vision_config", model.config)
        return cls(spec, model.to(device).eval(), processor, device, vision_config)

    @staticmethod
    def _from_pretrained(weights: Path, dtype: Any) -> tuple[Any, Any]:
        raise NotImplementedError

    def _check(self, clips: list[np.ndarray], top_k: int) -> None:
        if top_k < 1:
            raise InputError(f"expected top_k of at least 1, got {top_k}")
        for i, clip in enumerate(clips):
            shape = getattr(clip, "shape", None)
            if shape is None or len(shape) != 4 or shape[0] != self.clip_frames or shape[3] != 3:
                raise InputError(
                    f"{self.name} takes clips of {self.clip_frames} RGB frames (T×H×W×3), got clip {i} of shape {shape}"
                )
            if clip.dtype != np.uint8:
                raise InputError(f"{self.name} takes uint8 frames, got clip {i} of {clip.dtype}")

    def _batches(self, clips: list[np.ndarray]) -> list[list[list[np.ndarray]]]:
        videos = [list(clip) for clip in clips]
        return [videos[i : i + self.batch_clips] for i in range(0, len(videos), self.batch_clips)]

    def _forward(self, inputs: dict[str, Any]) -> Any:
        import torch

        dtype = next(self.model.parameters()).dtype
        moved = {}
        for key, value in inputs.items():
            value = value.to(self.device) if hasattr(value, "to") else value
            moved[key] = value.to(dtype) if key == "pixel_values" else value
        with torch.inference_mode():
            return self.model(**moved)

    @staticmethod
    def _top(logits: Any, names: list[str], top_k: int) -> list[Scored]:
        probabilities = logits.detach().float().softmax(dim=-1).cpu().numpy()
        order = np.argsort(-probabilities, axis=-1, kind="stable")[:, :top_k]
        return [
            [(names[j], round(float(row[j]), 6)) for j in best] for row, best in zip(probabilities, order, strict=True)
        ]


class VideoMAEActions(_HubClipModel):
    """VideoMAE fine-tuned on a fixed label set (Kinetics-400): the labels are its config's ``id2label``."""

    @staticmethod
    def _from_pretrained(weights: Path, dtype: Any) -> tuple[Any, Any]:
        from transformers import AutoImageProcessor, VideoMAEForVideoClassification

        model = VideoMAEForVideoClassification.from_pretrained(weights, dtype=dtype)
        return model, AutoImageProcessor.from_pretrained(weights)

    @property
    def labels(self) -> tuple[str, ...]:
        """Every label it can give, in its config's order."""
        id2label = self.model.config.id2label
        return tuple(str(id2label[i]) for i in sorted(id2label))

    def classify_clips(self, clips: list[np.ndarray], labels: tuple[str, ...] = (), top_k: int = 5) -> list[Scored]:
        if labels:
            raise InputError(
                f"{self.name} knows only its own {len(self.labels)} actions and cannot take your labels "
                f"({', '.join(repr(label) for label in labels[:3])}); use a zero-shot model such as xclip-base-patch32"
            )
        self._check(clips, top_k)
        names = list(self.labels)
        scored: list[Scored] = []
        for batch in self._batches(clips):
            outputs = self._forward(self.processor(batch, return_tensors="pt"))
            scored.extend(self._top(outputs.logits, names, top_k))
        return scored


class XCLIPActions(_HubClipModel):
    """X-CLIP: how well each of the user's labels describes each clip, as probabilities over those labels."""

    zero_shot = True

    @staticmethod
    def _from_pretrained(weights: Path, dtype: Any) -> tuple[Any, Any]:
        from transformers import XCLIPModel, XCLIPProcessor

        return XCLIPModel.from_pretrained(weights, dtype=dtype), XCLIPProcessor.from_pretrained(weights)

    def classify_clips(self, clips: list[np.ndarray], labels: tuple[str, ...] = (), top_k: int = 5) -> list[Scored]:
        names = [label.strip() for label in labels]
        if not names:
            raise InputError(f"{self.name} is zero-shot and needs your labels, e.g. --label 'waving' --label 'running'")
        if not all(names):
            raise InputError(f"expected action labels with words in them, got {labels!r}")
        if len(set(names)) != len(names):
            repeated = next(name for name in names if names.count(name) > 1)
            raise InputError(f"expected different action labels, got {repeated!r} twice")
        self._check(clips, top_k)
        scored: list[Scored] = []
        for batch in self._batches(clips):
            inputs = self.processor(text=names, videos=batch, return_tensors="pt", padding=True, truncation=True)
            scored.extend(self._top(self._forward(inputs).logits_per_video, names, top_k))
        return scored

    def text_similarity(self, clips: list[np.ndarray], texts: list[str]) -> np.ndarray:
        """Clips × texts cosines of X-CLIP's video embedding and each text's after its video-specific
        prompting (the similarity its ``logits_per_video`` scales): how X-CLIP itself scores a text."""
        if any(not isinstance(text, str) or not text.strip() for text in texts):
            raise InputError(f"{self.name}: expected texts with words in them")
        self._check(clips, top_k=1)
        if not clips or not texts:
            return np.zeros((len(clips), len(texts)), np.float32)
        rows = []
        for batch in self._batches(clips):
            inputs = self.processor(text=list(texts), videos=batch, return_tensors="pt", padding=True, truncation=True)
            outputs = self._forward(inputs)
            video, text = outputs.video_embeds.float(), outputs.text_embeds.float()  # both of unit length
            rows.append((text * video[:, None, :]).sum(dim=-1).cpu().numpy())
        return np.concatenate(rows).astype(np.float32)
