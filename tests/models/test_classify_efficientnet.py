"""EfficientNet-Lite0 with its real packaged weights on the demo video's frames.

The demo's shots are scikit-image photographs with known content (shot 1 a cup of coffee,
shot 2 a cat), so the tags are checked against what each frame shows; the embeddings against
the shot structure (two neighbouring frames of one shot are nearer than frames of two shots).
"""

from __future__ import annotations

import numpy as np
import pytest

import models.classify_efficientnet as efficientnet
from models.classify_efficientnet import SPECS, EfficientNetLite0, imagenet_classes
from studio.core import InputError, Settings
from studio.demo import DemoMedia
from studio.media import iter_frames
from studio.registry import ModelCache, ModelSpec, Registry
from studio.vision.contracts import ImageClassifier, ImageEmbedder

CUP_CLASSES = {"espresso", "cup", "coffee mug", "consomme", "eggnog"}  # ImageNet's cup-of-a-drink classes
CAT_CLASSES = {"tabby cat", "tiger cat", "Persian cat", "Siamese cat", "Egyptian Mau"}  # ImageNet's domestic cats


@pytest.fixture(scope="module")
def model() -> EfficientNetLite0:
    cache = ModelCache(Registry([*SPECS]), Settings.from_env())
    loaded = cache.get("efficientnet-lite0", "cpu", kind=ImageClassifier)
    assert isinstance(loaded, ImageEmbedder) and isinstance(loaded, EfficientNetLite0)
    return loaded


@pytest.fixture(scope="module")
def shot_frames(demo: DemoMedia) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each demo shot, its middle frame and the frame after it."""
    wanted: dict[int, tuple[int, int]] = {}
    for number, shot in enumerate(demo.truth["shots"]):
        middle = (shot["start_frame"] + shot["end_frame"]) // 2
        wanted[middle], wanted[middle + 1] = (number, 0), (number, 1)
    found: dict[tuple[int, int], np.ndarray] = {}
    for frame in iter_frames(demo.video):
        if frame.index in wanted:
            found[wanted[frame.index]] = frame.image
    return [(found[(n, 0)], found[(n, 1)]) for n in range(len(demo.truth["shots"]))]


def test_imagenet_class_names_are_the_thousand_in_index_order() -> None:
    classes = imagenet_classes()
    assert len(classes) == 1000 and len(set(classes)) == 1000
    assert classes[0] == "tench" and classes[999] == "toilet paper"
    assert [classes[i] for i in (281, 282, 285, 967)] == ["tabby cat", "tiger cat", "Egyptian Mau", "espresso"]


def test_the_spec_is_offline_and_its_weights_ship_in_the_package() -> None:
    (spec,) = SPECS
    assert spec.task == "classify" and spec.offline and spec.can("embed") and not spec.can("zero-shot")
    weights = spec.weights_path(Settings.from_env())
    assert weights is not None and weights.name == "efficientnet-lite0-57934424.pth" and spec.size_mb is not None
    assert weights.stat().st_size == pytest.approx(spec.size_mb * 1e6, rel=0.1)


def test_the_coffee_shot_is_tagged_as_a_cup_and_the_cat_shot_as_a_cat(
    model: EfficientNetLite0, shot_frames: list[tuple[np.ndarray, np.ndarray]]
) -> None:
    astronaut, coffee, chelsea, motorcycle = (pair[0] for pair in shot_frames)
    tags = model.classify_images([astronaut, coffee, chelsea, motorcycle], top_k=5)
    assert [len(t) for t in tags] == [5, 5, 5, 5]
    for scored in tags:
        scores = [score for _, score in scored]
        assert scores == sorted(scores, reverse=True) and 0 < sum(scores) <= 1 + 1e-5
    assert {name for name, _ in tags[1]} & CUP_CLASSES, tags[1]
    assert tags[1][0][0] in CUP_CLASSES and tags[1][0][1] > 0.3, tags[1]  # the best tag, confidently
    assert tags[2][0][0] in CAT_CLASSES and tags[2][0][1] > 0.3, tags[2]
    assert not {name for name, _ in tags[3]} & (CUP_CLASSES | CAT_CLASSES)  # the motorcycle is neither
    (alone,) = model.classify_images([coffee], top_k=1)
    assert alone[0][0] == tags[1][0][0] and alone[0][1] == pytest.approx(tags[1][0][1], abs=1e-4)


def test_embeddings_are_deterministic_and_follow_the_shots(
    model: EfficientNetLite0, shot_frames: list[tuple[np.ndarray, np.ndarray]]
) -> None:
    frames = [image for pair in shot_frames for image in pair]  # shot 0 middle, next, shot 1 middle, next...
    vectors = model.embed_images(frames)
    assert vectors.shape == (8, model.embedding_size) == (8, 1280) and vectors.dtype == np.float32
    assert np.isfinite(vectors).all() and (np.linalg.norm(vectors, axis=1) > 0).all()
    np.testing.assert_allclose(model.embed_images(frames[2:3])[0], vectors[2], rtol=1e-4, atol=1e-4)  # batch == alone
    assert np.array_equal(model.embed_images(frames), vectors)  # the same numbers every time

    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    cosine = unit @ unit.T
    same_shot = [cosine[2 * n, 2 * n + 1] for n in range(4)]
    other_shots = [cosine[i, j] for i in range(8) for j in range(8) if i // 2 != j // 2]
    assert min(same_shot) > max(other_shots), (same_shot, max(other_shots))


def test_empty_batches_give_empty_results(model: EfficientNetLite0) -> None:
    assert model.classify_images([]) == []
    assert model.embed_images([]).shape == (0, 1280)


def test_user_labels_are_refused_naming_the_zero_shot_models(
    model: EfficientNetLite0, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = np.zeros((64, 96, 3), np.uint8)
    monkeypatch.setattr(efficientnet, "default_registry", lambda: Registry([]))
    refusal = r"^efficientnet-lite0 is not zero-shot.*\(a cat, a dog\).*clip-vit-base-patch32$"
    with pytest.raises(InputError, match=refusal):
        model.classify_images([image], labels=("a cat", "a dog"))
    zero_shot = ModelSpec(name="siglip-test", task="classify", adapter="x:Y", source="path:/nowhere", license="MIT",
                          extra="understand", memory_mb=1, offline=True, capabilities=("zero-shot",))  # fmt: skip
    monkeypatch.setattr(efficientnet, "default_registry", lambda: Registry([zero_shot, *SPECS]))
    with pytest.raises(InputError, match=r"use a zero-shot classifier: siglip-test$") as refused:
        model.classify_images([image], labels=("a cat",))
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    ("images", "top_k", "message"),
    [
        (
            [np.zeros((64, 64), np.uint8)],
            5,
            r"efficientnet-lite0 takes H×W×3 uint8 RGB images, got image 0 with shape \(64, 64\)",
        ),
        ([np.zeros((64, 64, 3), np.uint8), np.zeros((8, 8, 3), np.float32)], 5, r"got image 1 .* dtype float32"),
        ([np.zeros((0, 64, 3), np.uint8)], 5, r"got image 0 with shape \(0, 64, 3\)"),
        ([[[[0, 0, 0]]]], 5, r"got image 0 with shape None dtype None"),  # a nested list, not an array
        ([np.zeros((64, 64, 3), np.uint8)], 0, r"expected top_k between 1 and 1000, got 0"),
    ],
)
def test_bad_input_is_a_one_line_input_error(
    model: EfficientNetLite0, images: list[np.ndarray], top_k: int, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        model.classify_images(images, top_k=top_k)
