"""DINO ViT-B/16 image features (Caron et al. 2021), VBench's subject-consistency model, for users with a network.

An :class:`~studio.vision.contracts.ImageEmbedder`: each picture's feature is the class token of
the last layer after its layer norm, what ``torch.hub.load("facebookresearch/dino:main",
"dino_vitb16")`` returns and VBench's ``subject_consistency`` reads. Pictures are prepared as
VBench's ``dino_transform(224)`` does: the shorter side resized to 224 with the aspect kept
(bilinear, no antialiasing), 0-1 RGB normalised with the ImageNet mean and standard deviation,
no crop; the position embeddings are interpolated (bicubic) to the picture's own patch grid, as
DINO's own ViT does (transformers' ``interpolate_pos_encoding``). The checkpoint is
``facebook/dino-vitb16``, the hub model's weights as a transformers ``ViTModel``; it also serves
the trainer (``studio train --embedder dino-vitb16``).

Weights load from the local Hub cache or a folder only; ``studio models install dino-vitb16``
downloads them once on a machine with a network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from models.image_checks import check_rgb_images
from studio.core import ModelLoadError
from studio.registry import LoadOptions, ModelSpec

__all__ = ["SPECS", "DinoEmbedder"]

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)  # ImageNet's, as VBench's dino_transform
SHORT_SIDE = 224
BATCH_IMAGES = 16  # pictures of one size per forward pass: 16 × 224×398 is ~200 patches each

SPECS = [
    ModelSpec(
        name="dino-vitb16", task="embed", adapter="models.embed_dino:DinoEmbedder",
        source="hub:facebook/dino-vitb16", revision="main", license="Apache-2.0", extra="vision-hub",
        memory_mb=700, offline=False, size_mb=343, requires=("torch", "transformers"), priority=5,
        capabilities=("embed",), params={"short_side": SHORT_SIDE, "batch_images": BATCH_IMAGES},
        description="DINO ViT-B/16: 768-d self-supervised image features (VBench's subject consistency)",
    ),
]  # fmt: skip


class DinoEmbedder:
    """DINO's class-token features of RGB pictures of any size, VBench's preparation."""

    def __init__(self, spec: ModelSpec, model: Any, device: str) -> None:
        self.name = spec.name
        self.model = model
        self.device = device
        self.memory_mb = spec.memory_mb
        self.short_side = int(spec.params.get("short_side", SHORT_SIDE))
        self.batch_images = max(1, int(spec.params.get("batch_images", BATCH_IMAGES)))
        self.embedding_size = int(model.config.hidden_size)

    @classmethod
    def load(cls, spec: ModelSpec, weights: Path, device: str, options: LoadOptions) -> DinoEmbedder:
        options.require(spec.name, dtypes=("float32", "float16", "bfloat16"))
        import torch
        from transformers import ViTModel

        dtype = getattr(torch, options.dtype or "float32")
        model: Any = ViTModel.from_pretrained(weights, add_pooling_layer=False, dtype=dtype)
        if model.config.model_type != "vit":
            raise ModelLoadError(f"{spec.name}: expected a ViT checkpoint at {weights}, got {model.config.model_type}")
        return cls(spec, model.to(device).eval(), device)

    def _prepared(self, image: np.ndarray) -> Any:
        """VBench's ``dino_transform``: the shorter side to 224 (aspect kept), ImageNet-normalised."""
        import torch
        import torch.nn.functional as F

        height, width = image.shape[:2]
        scale = self.short_side / min(height, width)
        # torchvision's Resize(224) on a tensor: the long side is int(224 * long / short), truncated
        size = (self.short_side, int(width * scale)) if height <= width else (int(height * scale), self.short_side)
        pixels = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float()
        pixels = F.interpolate(pixels, size=size, mode="bilinear", align_corners=False, antialias=False)
        mean = torch.tensor(MEAN).view(1, 3, 1, 1)
        std = torch.tensor(STD).view(1, 3, 1, 1)
        return ((pixels / 255 - mean) / std)[0]

    def embed_images(self, images: list[np.ndarray]) -> np.ndarray:
        """N×768 float32: the last layer's normalised class token of each picture."""
        import torch

        check_rgb_images(self.name, images)
        features = np.zeros((len(images), self.embedding_size), np.float32)
        by_size: dict[tuple[int, int], list[int]] = {}
        for number, image in enumerate(images):  # one batch holds pictures of one size
            by_size.setdefault(image.shape[:2], []).append(number)
        dtype = next(self.model.parameters()).dtype
        for numbers in by_size.values():
            for start in range(0, len(numbers), self.batch_images):
                chosen = numbers[start : start + self.batch_images]
                batch = torch.stack([self._prepared(images[n]) for n in chosen]).to(self.device, dtype)
                with torch.inference_mode():
                    out = self.model(pixel_values=batch, interpolate_pos_encoding=True)
                features[chosen] = out.last_hidden_state[:, 0].float().cpu().numpy()
        return features
