"""DINO's image features as VBench's subject consistency reads them, on ViT's architecture with
tiny random weights (no hub here): the class token after the last layer norm, each picture's
shorter side resized with its aspect kept, no crop."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tiny_hub

from models.embed_dino import SPECS
from studio.core import InputError
from studio.registry import ModelCache
from studio.vision import ImageEmbedder

SIDE = 32  # the tiny model's own picture size stands in for DINO's 224


@pytest.fixture(scope="module")
def dino_cache(tmp_path_factory: pytest.TempPathFactory) -> ModelCache:
    return tiny_hub.tiny_cache(tmp_path_factory.mktemp("tiny-dino"), SPECS, {"dino-vitb16": tiny_hub.dino},
                               {"short_side": SIDE, "batch_images": 2})  # fmt: skip


def _pictures() -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    return [rng.integers(0, 256, size, dtype=np.uint8) for size in ((48, 80, 3), (48, 80, 3), (96, 64, 3), (48, 80, 3))]


def _by_hand(folder: Path, image: np.ndarray) -> np.ndarray:
    """VBench's dino_transform written out: torchvision's Resize(side) arithmetic (the long side
    truncated), bilinear without antialiasing, ImageNet mean and std; the ViT's CLS token."""
    import torch
    from transformers import ViTModel

    height, width = image.shape[:2]
    size = (SIDE, int(SIDE * width / height)) if height <= width else (int(SIDE * height / width), SIDE)
    pixels = torch.tensor(image, dtype=torch.float32).permute(2, 0, 1)[None] / 255
    pixels = torch.nn.functional.interpolate(pixels, size=size, mode="bilinear", antialias=False)
    mean, std = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])
    pixels = (pixels - mean[:, None, None]) / std[:, None, None]
    model = ViTModel.from_pretrained(folder, add_pooling_layer=False).eval()
    with torch.inference_mode():
        return model(pixel_values=pixels, interpolate_pos_encoding=True).last_hidden_state[0, 0].numpy()


def test_dino_features_are_the_class_token_of_vbenchs_preparation(dino_cache: ModelCache) -> None:
    model = dino_cache.get("dino-vitb16", kind=ImageEmbedder)
    pictures = _pictures()
    features = model.embed_images(pictures)
    assert features.shape == (4, model.embedding_size) == (4, 16) and features.dtype == np.float32
    folder = Path(dino_cache.registry.get("dino-vitb16").source.removeprefix("path:"))
    for picture, feature in zip(pictures, features, strict=True):  # landscape and portrait, batched by size
        assert feature == pytest.approx(_by_hand(folder, picture), abs=1e-4)
    assert not np.allclose(features[0], features[1], atol=1e-3)  # the pixels matter
    assert model.embed_images([]).shape == (0, 16)


def test_dino_refuses_what_is_not_an_rgb_picture(dino_cache: ModelCache) -> None:
    model = dino_cache.get("dino-vitb16", kind=ImageEmbedder)
    with pytest.raises(InputError, match=r"dino-vitb16 takes H×W×3 uint8 RGB images, got image 1 with shape \(8, 8\)"):
        model.embed_images([np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8), np.uint8)])


def test_dino_is_a_hub_embedder() -> None:
    [spec] = SPECS
    assert spec.task == "embed" and spec.can("embed") and not spec.offline and spec.source == "hub:facebook/dino-vitb16"


def test_subject_consistency_takes_dino_before_the_offline_stand_in(tmp_path: Path) -> None:
    from models import classify_efficientnet
    from studio.evaluate import quality_embedder
    from studio.registry import default_cache

    both = tiny_hub.tiny_cache(tmp_path, SPECS, {"dino-vitb16": tiny_hub.dino}, {"short_side": SIDE},
                               more=lambda built: list(classify_efficientnet.SPECS))  # fmt: skip
    embedder, name = quality_embedder(both)
    assert name == "dino-vitb16" and embedder is both.get("dino-vitb16")
    assert quality_embedder(both, "efficientnet-lite0")[1] == "efficientnet-lite0"
    assert quality_embedder(both, "none") == (None, None)
    assert quality_embedder(default_cache())[1] == "efficientnet-lite0"  # DINO not installed: the stand-in
