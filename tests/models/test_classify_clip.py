"""The CLIP / SigLIP zero-shot adapters, offline, on tiny random-weight models built from configs.

Each architecture is built small under a fixed seed (32 px pictures, 16-wide towers) with a tokenizer made
on the spot (a letter-level BPE for CLIP, a letter-level Unigram for SigLIP), saved to a folder and loaded
through the registry like an installed model. The reference for every score is the library's own forward
pass on the prompts the adapter promises (``"a photo of {label}."``): softmax for CLIP, sigmoid for SigLIP.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import tiny_hub
import torch
from skimage import data

from models.classify_clip import SPECS
from studio.core import InputError, ModelLoadError, ModelUnavailable, Settings
from studio.registry import LoadOptions, ModelCache, ModelSpec, Registry
from studio.vision import ImageClassifier, ImageEmbedder, TextImageEmbedder

LETTERS = "abcdefghijklmnopqrstuvwxyz"
PICTURES = [data.coffee(), data.chelsea(), data.astronaut()]  # 400×600, 300×451, 512×512 RGB
LABELS = ("a cup of coffee", "a cat", "an astronaut")
TOWER = tiny_hub.TOWER


def _siglip(folder: Path) -> None:
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, SiglipConfig, SiglipImageProcessor, SiglipModel, SiglipProcessor

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)] + [(c, -1.0) for c in LETTERS + ".▁"]
    backend = Tokenizer(models.Unigram(pieces, unk_id=2))
    backend.normalizer = normalizers.Lowercase()
    backend.pre_tokenizer = pre_tokenizers.Metaspace()
    backend.decoder = decoders.Metaspace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="</s>", eos_token="</s>", unk_token="<unk>")
    config = SiglipConfig(
        text_config={**TOWER, "vocab_size": len(pieces), "max_position_embeddings": 40, "pad_token_id": 1,
                     "bos_token_id": 1, "eos_token_id": 1},
        vision_config={**TOWER, "image_size": 32, "patch_size": 8},
    )  # fmt: skip
    SiglipModel(config).save_pretrained(folder)
    pictures = SiglipImageProcessor(size={"height": 32, "width": 32})
    SiglipProcessor(image_processor=pictures, tokenizer=tokenizer).save_pretrained(folder)


BUILDERS = {"clip-vit-base-patch32": tiny_hub.clip, "siglip-base-patch16-224": _siglip}


@pytest.fixture(scope="module")
def tiny_cache(tmp_path_factory: pytest.TempPathFactory) -> ModelCache:
    def wrong(specs: list[ModelSpec]) -> list[ModelSpec]:  # a CLIP folder read by the SigLIP code
        return [replace(specs[0], name="clip-read-as-siglip", adapter=SPECS[1].adapter)]

    return tiny_hub.tiny_cache(tmp_path_factory.mktemp("tiny-zero-shot"), SPECS, BUILDERS, {"batch_images": 2}, wrong)


def _reference(cache: ModelCache, name: str, labels: tuple[str, ...]) -> np.ndarray:
    """The library's own forward pass on every picture and prompt at once: images × labels scores."""
    adapter = cache.get(name)
    prompts = [f"a photo of {label}." for label in labels]
    siglip = name.startswith("siglip")
    length = adapter.model.config.text_config.max_position_embeddings
    padding = {"padding": "max_length", "max_length": length, "truncation": True} if siglip else {"padding": True}
    inputs = adapter.processor(text=prompts, images=PICTURES, return_tensors="pt", **padding)
    if siglip:
        inputs.pop("attention_mask", None)
    with torch.inference_mode():
        logits = adapter.model(**inputs).logits_per_image
    return (logits.sigmoid() if siglip else logits.softmax(dim=-1)).numpy()


@pytest.mark.parametrize("name", list(BUILDERS))
def test_scores_are_the_models_own_over_the_users_labels(tiny_cache: ModelCache, name: str) -> None:
    model = tiny_cache.get(name, kind=ImageClassifier)
    scored = model.classify_images(PICTURES, labels=LABELS, top_k=10)  # 3 pictures in batches of 2
    assert len(scored) == 3 and all([label for label, _ in s] != [] for s in scored)
    assert all(sorted(label for label, _ in s) == sorted(LABELS) for s in scored)  # top_k past the labels: all
    assert all(s[0][1] >= s[1][1] >= s[2][1] and all(0.0 <= v <= 1.0 for _, v in s) for s in scored)
    expected = _reference(tiny_cache, name, LABELS)
    got = np.array([[dict(s)[label] for label in LABELS] for s in scored])
    assert np.allclose(got, expected, atol=1e-5)
    if name.startswith("clip"):
        assert np.allclose(got.sum(axis=1), 1.0, atol=1e-5)  # a softmax among the given labels
    assert len({round(s[0][1], 6) for s in scored}) > 1  # the pictures matter


@pytest.mark.parametrize("name", list(BUILDERS))
def test_batches_label_order_and_repeats_do_not_change_scores(tiny_cache: ModelCache, name: str) -> None:
    model = tiny_cache.get(name, kind=ImageClassifier)
    scored = model.classify_images(PICTURES, labels=LABELS, top_k=3)
    alone = model.classify_images([PICTURES[2]], labels=LABELS, top_k=3)  # batch of 1 == third of a 2+1 split
    assert [label for label, _ in alone[0]] == [label for label, _ in scored[2]]
    assert np.allclose([v for _, v in alone[0]], [v for _, v in scored[2]], atol=1e-5)
    shuffled = model.classify_images(PICTURES, labels=LABELS[::-1], top_k=3)
    assert all(dict(a) == pytest.approx(dict(b), abs=1e-5) for a, b in zip(shuffled, scored, strict=True))
    assert model.classify_images(PICTURES, labels=LABELS, top_k=3) == scored  # deterministic
    best = model.classify_images(PICTURES, labels=LABELS, top_k=1)
    assert [b[0][0] for b in best] == [s[0][0] for s in scored] and all(len(b) == 1 for b in best)
    assert model.classify_images([], labels=LABELS) == []


@pytest.mark.parametrize(("name", "size"), [("clip-vit-base-patch32", 12), ("siglip-base-patch16-224", 16)])
def test_embeddings_are_unit_rows_of_the_shared_space(tiny_cache: ModelCache, name: str, size: int) -> None:
    model = tiny_cache.get(name, kind=ImageEmbedder)
    assert model.embedding_size == size  # CLIP's projection; SigLIP's pooled vision width
    vectors = model.embed_images(PICTURES)
    assert vectors.shape == (3, size) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(model.embed_images([PICTURES[1]])[0], vectors[1], atol=1e-5)  # batched == alone
    assert not np.allclose(vectors[0], vectors[1], atol=1e-3)
    assert model.embed_images([]).shape == (0, size)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_text_embeddings_share_the_pictures_space_and_give_the_models_scores(tiny_cache: ModelCache, name: str) -> None:
    """Image rows · text rows, through the model's own scale, are the zero-shot scores it gives:
    the texts landed in the pictures' space, as the CLIPScore needs."""
    model = tiny_cache.get(name, kind=TextImageEmbedder)
    prompts = [f"a photo of {label}." for label in LABELS]
    texts = model.embed_texts(prompts)
    assert texts.shape == (3, model.embedding_size) and texts.dtype == np.float32
    assert np.allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
    adapter = tiny_cache.get(name)
    scores = adapter._scores(torch.from_numpy(model.embed_images(PICTURES) @ texts.T)).numpy()
    assert np.allclose(scores, _reference(tiny_cache, name, LABELS), atol=1e-5)
    assert model.embed_texts([]).shape == (0, model.embedding_size)
    with pytest.raises(InputError, match="texts with words"):
        model.embed_texts(["a cat", " "])


@pytest.mark.parametrize(
    ("labels", "top_k", "images", "message"),
    [
        ((), 5, PICTURES[:1], r"zero-shot and needs your labels, e\.g\. --label 'a beach'"),
        (("a cat", "  "), 5, PICTURES[:1], "scene labels with words in them"),
        (("a cat", "a dog", "a cat"), 5, PICTURES[:1], "different scene labels, got 'a cat' twice"),
        (("a cat",), 0, PICTURES[:1], "top_k of at least 1, got 0"),
        (("a cat",), 5, [PICTURES[0], data.camera()], r"H×W×3 uint8 RGB images, got image 1 with shape \(512, 512\)"),
        (("a cat",), 5, [PICTURES[0].astype(np.float32)], "got image 0 with shape .* dtype float32"),
    ],
)
@pytest.mark.parametrize("name", list(BUILDERS))
def test_refuses_missing_labels_and_bad_pictures(
    tiny_cache: ModelCache, name: str, labels: tuple, top_k: int, images: list, message: str
) -> None:
    model = tiny_cache.get(name, kind=ImageClassifier)
    with pytest.raises(InputError, match=message):
        model.classify_images(images, labels=labels, top_k=top_k)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_half_precision_scores_match_full_and_int8_is_refused(tiny_cache: ModelCache, name: str) -> None:
    full = tiny_cache.get(name, kind=ImageClassifier).classify_images(PICTURES, labels=LABELS, top_k=3)
    half = tiny_cache.get(name, options=LoadOptions(dtype="bfloat16"))
    assert next(half.model.parameters()).dtype == torch.bfloat16 and isinstance(half, ImageClassifier)
    scored = half.classify_images(PICTURES, labels=LABELS, top_k=3)
    assert all(dict(a) == pytest.approx(dict(b), abs=0.03) for a, b in zip(scored, full, strict=True))
    with pytest.raises(InputError, match=f"{name} loads as float32 or float16 or bfloat16, not int8"):
        tiny_cache.get(name, options=LoadOptions(dtype="int8"))


def test_a_tokenizer_that_needs_sentencepiece_says_how_to_install_it(
    tiny_cache: ModelCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SigLIP checkpoints without a tokenizer.json need sentencepiece (not a transformers dependency): the
    library's ImportError, several lines long, becomes a one-line ModelUnavailable naming the package."""
    import transformers

    def needs_sentencepiece(*args: object, **kwargs: object) -> None:
        raise ImportError(
            "\nSiglipTokenizer requires the SentencePiece library but it was not found in your\nenvironment."
        )

    monkeypatch.setattr(transformers.AutoProcessor, "from_pretrained", needs_sentencepiece)
    fresh = ModelCache(tiny_cache.registry, tiny_cache.settings)
    with pytest.raises(
        ModelUnavailable, match=r"needs the python package sentencepiece\. Install it with: pip install"
    ):
        fresh.get("siglip-base-patch16-224")


def test_a_checkpoint_of_the_other_family_is_refused(tiny_cache: ModelCache) -> None:
    with pytest.raises(ModelLoadError, match=r"clip-read-as-siglip: expected a siglip checkpoint at .*, got clip"):
        tiny_cache.get("clip-read-as-siglip")


@pytest.mark.parametrize("name", list(BUILDERS))
def test_a_hub_model_not_in_the_cache_says_how_to_install_it(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    cache = ModelCache(Registry(SPECS), Settings(tmp_path, tmp_path / "models", tmp_path / "out", device="cpu"))
    with pytest.raises(ModelUnavailable, match=rf"Install it with: studio models install {name}$") as caught:
        cache.get(name, kind=ImageClassifier)
    assert "\n" not in str(caught.value) and "are not installed" in str(caught.value)


def test_specs_are_zero_shot_embedders_from_the_hub() -> None:
    specs = {s.name: s for s in SPECS}
    assert set(specs) == set(BUILDERS)
    assert all(s.task == "classify" and s.can("zero-shot") and s.can("embed") for s in SPECS)
    assert all(s.source.startswith("hub:") and s.revision and not s.offline and s.extra == "vision-hub" for s in SPECS)
    assert (specs["clip-vit-base-patch32"].license, specs["siglip-base-patch16-224"].license) == ("MIT", "Apache-2.0")


def test_analyze_tags_each_shot_with_the_users_scene_labels(tiny_cache: ModelCache, tmp_path: Path) -> None:
    """Two 1 s still shots (coffee, then the cat) at 10 fps: PySceneDetect cuts them and both zero-shot models
    tag each shot with the user's labels, scored as the adapter scores that shot's (unchanging) picture."""
    from models.shots_scenedetect import SPECS as SHOT_SPECS
    from studio import media
    from studio.vision import AnalyzeOptions, analyze

    stills = [np.ascontiguousarray(picture[:288:3, :432:3]) for picture in PICTURES[:2]]  # 96×144 each
    with media.VideoWriter(tmp_path / "two-shots.mp4", fps=10) as writer:
        for still in stills:
            for _ in range(10):
                writer.write(still)
    decoded = {round(f.time_s, 1): f.image for f in media.iter_frames(tmp_path / "two-shots.mp4")}
    cache = ModelCache(Registry([*tiny_cache.registry.specs(), *SHOT_SPECS]), tiny_cache.settings)
    options = AnalyzeOptions(
        fps=4, tasks=("shots", "scenes"), shot_model="pyscenedetect", scene_models=tuple(BUILDERS), scene_labels=LABELS
    )
    timeline = analyze(tmp_path / "two-shots.mp4", options, cache=cache)
    assert [round(shot.start_s, 1) for shot in timeline.shots] == [0.0, 1.0]
    for shot, frame_s in zip(timeline.shots, (0.5, 1.5), strict=True):
        assert set(shot.tags) == set(BUILDERS)
        for name, tags in shot.tags.items():
            (alone,) = cache.get(name, kind=ImageClassifier).classify_images([decoded[frame_s]], labels=LABELS)
            assert {tag.name for tag in tags} == set(LABELS)
            assert {tag.name: tag.score for tag in tags} == pytest.approx(dict(alone), abs=2e-3)
