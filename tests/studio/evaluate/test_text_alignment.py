"""The prompt's CLIPScore beside grounded adherence: Hessel et al.'s definition, checked against
the library's own forward pass on CLIP's architecture with tiny random weights (no hub here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tiny_hub

from models.classify_clip import SPECS
from studio import media
from studio.core import InputError, ModelUnavailable, Timeline
from studio.evaluate import alignment_embedder, prompt_adherence
from studio.registry import ModelCache, default_cache


@pytest.fixture(scope="module")
def clip_cache(tmp_path_factory: pytest.TempPathFactory) -> ModelCache:
    return tiny_hub.tiny_cache(
        tmp_path_factory.mktemp("tiny-clip"), SPECS[:1], {"clip-vit-base-patch32": tiny_hub.clip}
    )


def _two_scenes(path: Path) -> Path:
    """1.5 s of the astronaut, then 1.5 s of the coffee, at 10 fps."""
    import cv2
    from skimage import data

    with media.VideoWriter(path, fps=10) as writer:
        for picture in (data.astronaut(), data.coffee()):
            frame = cv2.resize(picture, (160, 120), interpolation=cv2.INTER_AREA)
            for _ in range(15):
                writer.write(frame)
    return path


def test_clip_score_is_hessels_definition_on_the_frames_the_ocr_reads(clip_cache: ModelCache, tmp_path: Path) -> None:
    import torch
    from transformers import CLIPModel, CLIPProcessor

    clip = _two_scenes(tmp_path / "two.mp4")
    prompt = "a cat on a sofa"  # these random weights put it near both scenes: positive cosines
    report = prompt_adherence(clip, prompt, timeline=Timeline(video=media.probe(clip)), cache=clip_cache)
    alignment = report.text_alignment
    assert alignment is not None and alignment.model == "clip-vit-base-patch32"
    assert report.models["alignment"] == "clip-vit-base-patch32"
    frames = list(media.iter_frames(clip, fps=2))  # 2 fps: the OCR's rate, one decode for both
    assert (alignment.frames, alignment.fps) == (6, 2.0)
    assert alignment.times_s == pytest.approx([f.time_s for f in frames], abs=1e-3)
    folder = Path(clip_cache.registry.get("clip-vit-base-patch32").source.removeprefix("path:"))
    model, processor = CLIPModel.from_pretrained(folder).eval(), CLIPProcessor.from_pretrained(folder)
    with torch.inference_mode():
        inputs = processor(text=[prompt], images=[f.image for f in frames], return_tensors="pt", padding=True)
        image = model.get_image_features(pixel_values=inputs["pixel_values"])
        text = model.get_text_features(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])
    image, text = (getattr(x, "pooler_output", x) for x in (image, text))
    cosine = torch.nn.functional.cosine_similarity(image, text).numpy()
    per_frame = 100 * np.maximum(cosine, 0)
    assert alignment.per_frame == pytest.approx(per_frame.tolist(), abs=1e-3)
    assert alignment.clip_score == pytest.approx(float(per_frame.mean()), abs=1e-3)
    assert per_frame[3:].min() - per_frame[:3].max() > 2  # the two scenes score apart: the frames were really seen
    assert "Hessel" in alignment.definition
    away = prompt_adherence(clip, "an astronaut in a white suit", timeline=Timeline(video=media.probe(clip)),
                            cache=clip_cache).text_alignment  # fmt: skip
    assert away is not None and away.per_frame == [0.0] * 6  # negative cosines (-0.37 here) count as 0


def test_clip_score_is_left_out_without_clip_and_refused_when_named_but_missing(
    clip_cache: ModelCache, tmp_path: Path
) -> None:
    clip = _two_scenes(tmp_path / "two.mp4")
    timeline = Timeline(video=media.probe(clip))
    assert prompt_adherence(clip, "a cup", timeline=timeline, cache=default_cache()).text_alignment is None
    skipped = prompt_adherence(clip, "a cup", timeline=timeline, cache=clip_cache, alignment="none")
    assert skipped.text_alignment is None and "alignment" not in skipped.models
    with pytest.raises(ModelUnavailable, match="clip-vit-base-patch32"):
        prompt_adherence(clip, "a cup", timeline=timeline, alignment="clip-vit-base-patch32")
    with pytest.raises(InputError, match="one space"):
        alignment_embedder(default_cache(), "efficientnet-lite0")
    assert alignment_embedder(default_cache()) == (None, None)
