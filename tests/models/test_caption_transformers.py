"""The BLIP / Florence-2 captioners and the SmolVLM2 video describer, offline, on tiny random-weight models.

Each architecture is built small under a fixed seed (16-32 px pictures, 16-wide layers) with a tokenizer made
on the spot from the ``tokenizers`` library, saved to a folder and loaded through the registry like an installed
model. Captions are checked against the library's own greedy ``generate`` on each picture alone; the video
prompt against the text SmolVLM's own processor puts in place of ``<video>``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tiny_hub
import torch
from skimage import data

from models.caption_transformers import SPECS, SmolVLMDescriber, _number_words
from studio.core import InputError, ModelUnavailable, Settings
from studio.registry import ModelCache, ModelSpec, Registry
from studio.vision import ImageCaptioner, VideoDescriber

LETTERS = "abcdefghijklmnopqrstuvwxyz"
PICTURES = [data.coffee(), data.chelsea(), data.astronaut()]  # 400×600, 300×451, 512×512 RGB
SMALL = {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2}
MAX_NEW_TOKENS = 6


def _spread(model: Any) -> Any:
    """Redraw every matrix from N(0, 0.5²): with the library's 0.02 init a tiny decoder ignores the picture and
    writes the same words for all; wide random weights let the pictures change them."""
    with torch.no_grad():
        for weight in model.parameters():
            if weight.ndim >= 2:
                weight.normal_(0.0, 0.5)
    return model


def _blip(folder: Path) -> None:
    from transformers import BertTokenizer, BlipConfig, BlipForConditionalGeneration, BlipImageProcessor, BlipProcessor

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]", *LETTERS, *("##" + c for c in LETTERS)]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = BertTokenizer(str(folder / "vocab.txt"), bos_token="[DEC]")
    config = BlipConfig(
        text_config={**SMALL, "vocab_size": len(vocab), "max_position_embeddings": 64, "pad_token_id": 0,
                     "bos_token_id": 5, "sep_token_id": 3, "eos_token_id": 3},  # BLIP starts at [DEC], stops at [SEP]
        vision_config={**SMALL, "image_size": 32, "patch_size": 8}, projection_dim=16,
    )  # fmt: skip
    _spread(BlipForConditionalGeneration(config)).save_pretrained(folder)
    BlipProcessor(
        image_processor=BlipImageProcessor(size={"height": 32, "width": 32}), tokenizer=tokenizer
    ).save_pretrained(folder)


def _florence(folder: Path) -> None:
    from transformers import BartTokenizer, CLIPImageProcessor, Florence2Config, Florence2Processor
    from transformers import Florence2ForConditionalGeneration as Florence2

    pieces = ["<s>", "<pad>", "</s>", "<unk>", "Ġ", ".", "?", *LETTERS, *LETTERS.upper(), "<image>"]
    vocab = {piece: i for i, piece in enumerate(pieces)}  # byte-level BPE over letters only: readable output
    tokenizer = BartTokenizer(vocab=vocab, merges=[], extra_special_tokens={"image_token": "<image>"})
    text = {"model_type": "bart", "vocab_size": len(vocab), "max_position_embeddings": 64, "encoder_layers": 1,
            "decoder_layers": 1, "encoder_ffn_dim": 16, "decoder_ffn_dim": 16, "encoder_attention_heads": 1,
            "decoder_attention_heads": 1, "d_model": 16, "bos_token_id": 0, "pad_token_id": 1, "eos_token_id": 2,
            "decoder_start_token_id": 2, "forced_eos_token_id": 2}  # fmt: skip
    vision = {"depths": [1], "patch_size": [7], "patch_stride": [4], "patch_padding": [3],
              "patch_prenorm": [False], "embed_dim": [16], "num_heads": [1], "num_groups": [1], "window_size": 12,
              "projection_dim": 16}  # fmt: skip
    config = Florence2Config(text_config=text, vision_config=vision, image_token_id=vocab["<image>"])
    _spread(Florence2(config)).save_pretrained(folder)
    # 16 px, stride 4: a 4×4 feature map plus one pooled token = 17 image tokens
    pictures = CLIPImageProcessor(size={"height": 16, "width": 16}, do_center_crop=False, image_seq_length=17)
    Florence2Processor(image_processor=pictures, tokenizer=tokenizer).save_pretrained(folder)


SMOL_SPECIAL = ["<|endoftext|>", "<|im_start|>", "<end_of_utterance>", "<image>", "<fake_token_around_image>",
                "<global-img>"]  # fmt: skip


def _smolvlm(folder: Path) -> None:
    from tokenizers import Tokenizer, decoders, models
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import PreTrainedTokenizerFast, SmolVLMConfig, SmolVLMForConditionalGeneration
    from transformers.models.smolvlm.image_processing_pil_smolvlm import SmolVLMImageProcessorPil

    pieces = [*SMOL_SPECIAL, "Ġ", "Ċ", *LETTERS, *LETTERS.upper(), *"0123456789.:,[]-?"]
    vocab = {piece: i for i, piece in enumerate(pieces)}
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token="<|im_start|>", eos_token="<end_of_utterance>", pad_token="<|endoftext|>",
        additional_special_tokens=SMOL_SPECIAL[3:],
    )  # fmt: skip
    tokenizer.save_pretrained(folder)
    # images split into tiles by default, as the real one; 32 px frames for video
    SmolVLMImageProcessorPil(size={"longest_edge": 64}, max_image_size={"longest_edge": 32}).save_pretrained(folder)
    config = SmolVLMConfig(
        vision_config={**SMALL, "image_size": 32, "patch_size": 8},
        text_config={**SMALL, "model_type": "llama", "vocab_size": len(vocab), "num_key_value_heads": 1,
                     "max_position_embeddings": 512, "pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 2},
        scale_factor=2, image_token_id=vocab["<image>"],
    )  # fmt: skip  # (32 / 8)² / 2² = 4 image tokens per frame
    _spread(SmolVLMForConditionalGeneration(config)).save_pretrained(folder)


BUILDERS = {"blip-base": _blip, "florence-2-base": _florence, "smolvlm2-256m-video": _smolvlm}


@pytest.fixture(scope="module")
def tiny_cache(tmp_path_factory: pytest.TempPathFactory) -> ModelCache:
    def wrong_task(specs: list[ModelSpec]) -> list[ModelSpec]:
        return [replace(specs[1], name="florence-asked-to-detect", params={**specs[1].params, "task": "<OD>"})]

    params = {"max_new_tokens": MAX_NEW_TOKENS, "batch_images": 2}
    return tiny_hub.tiny_cache(tmp_path_factory.mktemp("tiny-captioners"), SPECS, BUILDERS, params, wrong_task)


class _Spy:
    """Stands in for ``model.generate``: records each call's keyword arguments and what it returned."""

    def __init__(self, generate: Any) -> None:
        self.generate = generate
        self.calls: list[tuple[dict[str, Any], Any]] = []

    def __call__(self, **kwargs: Any) -> Any:
        ids = self.generate(**kwargs)
        self.calls.append((kwargs, ids))
        return ids


def _spy(monkeypatch: pytest.MonkeyPatch, model: Any) -> _Spy:
    spy = _Spy(model.model.generate)
    monkeypatch.setattr(model.model, "generate", spy)
    return spy


def _reference_captions(model: Any, name: str) -> list[str]:
    """The library's own greedy captions, one picture at a time."""
    processor = model.parts["processor"]
    captions = []
    for picture in PICTURES:
        if name == "blip-base":
            inputs = processor(images=[picture], return_tensors="pt")
        else:
            inputs = processor(text=["<CAPTION>"], images=[picture], return_tensors="pt")
        with torch.inference_mode():
            ids = model.model.generate(**inputs, max_new_tokens=MAX_NEW_TOKENS, do_sample=False, num_beams=1)
        captions.append(processor.batch_decode(ids, skip_special_tokens=True)[0].strip())
    return captions


@pytest.mark.parametrize("name", ["blip-base", "florence-2-base"])
def test_captions_are_greedy_bounded_and_the_models_own(
    tiny_cache: ModelCache, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tiny_cache.get(name, kind=ImageCaptioner)
    assert not isinstance(model, VideoDescriber)
    expected = _reference_captions(model, name)
    spy = _spy(monkeypatch, model)
    captions = model.caption_images(PICTURES)  # 3 pictures in batches of 2
    assert captions == expected and all(isinstance(c, str) and c for c in captions)
    assert len(set(captions)) > 1  # the pictures matter
    assert [len(kwargs["pixel_values"]) for kwargs, _ in spy.calls] == [2, 1]
    for kwargs, ids in spy.calls:
        assert (kwargs["do_sample"], kwargs["num_beams"], kwargs["max_new_tokens"]) == (False, 1, MAX_NEW_TOKENS)
        assert ids.shape[1] <= MAX_NEW_TOKENS + 1  # + the token the decoder starts from
    assert model.caption_images(PICTURES) == captions  # deterministic
    assert model.caption_images([]) == []


@pytest.mark.parametrize("name", ["blip-base", "florence-2-base"])
def test_captioners_refuse_pictures_that_are_not_rgb(tiny_cache: ModelCache, name: str) -> None:
    model = tiny_cache.get(name, kind=ImageCaptioner)
    with pytest.raises(InputError, match=r"H×W×3 uint8 RGB images, got image 1 with shape \(512, 512\)"):
        model.caption_images([PICTURES[0], data.camera()])
    with pytest.raises(InputError, match=r"got image 0 with shape .* dtype float64"):
        model.caption_images([PICTURES[0] / 255.0])


def test_florence_takes_only_its_caption_tasks(tiny_cache: ModelCache) -> None:
    with pytest.raises(InputError, match=r"params\['task'\] one of <CAPTION>, <DETAILED_CAPTION>.*got '<OD>'"):
        tiny_cache.get("florence-asked-to-detect")


def test_video_prompt_is_the_one_smolvlms_processor_builds(
    tiny_cache: ModelCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    from transformers.models.smolvlm import processing_smolvlm
    from transformers.video_utils import VideoMetadata

    model = tiny_cache.get("smolvlm2-256m-video", kind=SmolVLMDescriber)
    assert (model.clip_frames, model.image_seq_len, model.frame_side) == (8, 4, 32)  # spec, config, processor
    monkeypatch.setattr(processing_smolvlm, "num2words", _number_words)  # the one package it needs that we lack
    library = object.__new__(processing_smolvlm.SmolVLMProcessor)  # its prompt code, without its video processor
    library.image_seq_len, library.image_token, library.fake_image_token = 4, "<image>", "<fake_token_around_image>"
    library.global_image_token = "<global-img>"
    metadata = VideoMetadata(total_num_frames=800, fps=10.0, frames_indices=[0, 25, 130, 795])
    inputs = {"video_metadata": [metadata]}
    assert model._video_prompt([0.0, 2.5, 13.0, 79.5]) == library.replace_video_token(inputs, 0)
    assert [_number_words(n) for n in (1, 8, 20, 21, 64, 120)] == ["one", "eight", "twenty", "twenty-one",
                                                                    "sixty-four", "120"]  # fmt: skip


def test_describe_video_sends_every_frame_once_and_is_deterministic(
    tiny_cache: ModelCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tiny_cache.get("smolvlm2-256m-video", kind=SmolVLMDescriber)
    assert not isinstance(model, ImageCaptioner)
    spy = _spy(monkeypatch, model)
    described = model.describe_video(PICTURES, times_s=[0.0, 4.0, 8.0])
    assert isinstance(described, str) and described == model.describe_video(PICTURES, times_s=[0.0, 4.0, 8.0])
    black = np.zeros((90, 160, 3), dtype=np.uint8)
    assert model.describe_video([PICTURES[0]]) != model.describe_video([black])  # the frames matter
    kwargs, ids = spy.calls[0]
    assert tuple(kwargs["pixel_values"].shape) == (1, 3, 3, 32, 32)  # one clip of 3 frames, unsplit, 32 px
    image_id = model.parts["tokenizer"].convert_tokens_to_ids("<image>")
    assert int((kwargs["input_ids"] == image_id).sum()) == 3 * 4  # 4 tokens per frame
    text = model.parts["tokenizer"].decode(kwargs["input_ids"][0])
    assert text.startswith("<|im_start|>User: You are provided the following series of three frames from a 0:00:08")
    assert text.endswith("Describe this video in detail<end_of_utterance>\nAssistant:")
    assert [text.count(f"Frame from 00:0{s}:") for s in (0, 4, 8)] == [1, 1, 1]
    assert (kwargs["do_sample"], kwargs["num_beams"], kwargs["max_new_tokens"]) == (False, 1, MAX_NEW_TOKENS)
    assert ids.shape[1] - kwargs["input_ids"].shape[1] <= MAX_NEW_TOKENS
    model.describe_video(PICTURES[:2], prompt="What happens?")  # the user's question replaces the default
    asked = model.parts["tokenizer"].decode(spy.calls[-1][0]["input_ids"][0])
    assert "What happens?<end_of_utterance>" in asked and "Frame from 00:01:" in asked  # 1 s apart without times


@pytest.mark.parametrize(
    ("frames", "times", "message"),
    [
        ([], None, "needs at least one frame, got none"),
        ([PICTURES[0]] * 9, None, "up to 8 frames of a clip, got 9"),
        ([PICTURES[0], data.camera()], None, r"RGB frames, got frame 1 with shape \(512, 512\)"),
        (PICTURES[:2], [0.0], r"one time per frame \(2\), got 1 times"),
        (PICTURES[:2], [3.0, 1.0], "increasing from 0 or later, got"),
    ],
)
def test_describe_video_refuses_bad_clips(
    tiny_cache: ModelCache, frames: list, times: list | None, message: str
) -> None:
    model = tiny_cache.get("smolvlm2-256m-video", kind=SmolVLMDescriber)
    with pytest.raises(InputError, match=message):
        model.describe_video(frames, times_s=times)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_a_hub_model_not_in_the_cache_says_how_to_install_it(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    cache = ModelCache(Registry(SPECS), Settings(tmp_path, tmp_path / "models", tmp_path / "out", device="cpu"))
    with pytest.raises(ModelUnavailable, match=rf"Install it with: studio models install {name}$") as caught:
        cache.get(name)
    assert "\n" not in str(caught.value) and "are not installed" in str(caught.value)


def test_specs_name_their_task_licence_and_video_capability() -> None:
    specs = {s.name: s for s in SPECS}
    assert set(specs) == set(BUILDERS)
    assert all(s.task == "caption" and s.source.startswith("hub:") and s.revision and not s.offline for s in SPECS)
    assert [specs[n].license for n in BUILDERS] == ["BSD-3-Clause", "MIT", "Apache-2.0"]
    assert [specs[n].can("video") for n in BUILDERS] == [False, False, True]


def test_analyze_captions_each_shot_and_describes_the_clip(tiny_cache: ModelCache, tmp_path: Path) -> None:
    """Two 1 s shots (coffee, then the cat) at 10 fps: PySceneDetect cuts them, BLIP captions each keyframe
    and SmolVLM2 describes the clip, all through the analyze pipeline."""
    from models.shots_scenedetect import SPECS as SHOT_SPECS
    from studio import media
    from studio.vision import AnalyzeOptions, analyze

    with media.VideoWriter(tmp_path / "two-shots.mp4", fps=10) as writer:
        for picture in (PICTURES[0], PICTURES[1]):
            still = np.ascontiguousarray(picture[:288:3, :432:3])  # 96×144
            for _ in range(10):
                writer.write(still)
    cache = ModelCache(Registry([*tiny_cache.registry.specs(), *SHOT_SPECS]), tiny_cache.settings)
    options = AnalyzeOptions(
        fps=4, tasks=("shots", "captions"), shot_model="pyscenedetect", caption_model="blip-base",
        video_model="smolvlm2-256m-video",
    )  # fmt: skip
    timeline = analyze(tmp_path / "two-shots.mp4", options, cache=cache)
    assert [round(shot.start_s, 1) for shot in timeline.shots] == [0.0, 1.0]  # the cut is at frame 10
    blip = cache.get("blip-base", kind=ImageCaptioner)
    assert all(shot.caption_model == "blip-base" and shot.caption for shot in timeline.shots)
    assert timeline.shots[0].caption != timeline.shots[1].caption  # each keyframe its own words
    assert timeline.shots[0].caption == blip.caption_images([_nearest_frame(tmp_path / "two-shots.mp4", 0.5)])[0]
    assert isinstance(timeline.description, str) and timeline.metadata["description_model"] == "smolvlm2-256m-video"


def _nearest_frame(path: Path, time_s: float) -> np.ndarray:
    from studio import media

    frames = [(abs(f.time_s - time_s), f.image) for f in media.iter_frames(path)]
    return min(frames, key=lambda pair: pair[0])[1]
