"""The prompt's score against the whole video: X-CLIP's own video-text similarity on the frames
X-CLIP's test sampling picks, checked against the library's forward pass on X-CLIP's
architecture with tiny random weights (no hub here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tiny_hub

from models.action_transformers import SPECS
from studio import media
from studio.core import InputError, ModelUnavailable, Timeline
from studio.evaluate import check_video_alignment, prompt_adherence, video_alignment_model
from studio.evaluate.video_alignment import middle_indices
from studio.registry import ModelCache, default_cache

XCLIP = [spec for spec in SPECS if spec.name == "xclip-base-patch32"]


def _seeded(folder: Path) -> None:
    """The tiny X-CLIP from seed 4, whose random weights put some of the test's texts near the
    ramp (cosine 0.26) and some away from it (-0.03)."""
    import torch

    torch.manual_seed(4)
    tiny_hub.xclip(folder)


@pytest.fixture(scope="module")
def xclip_cache(tmp_path_factory: pytest.TempPathFactory) -> ModelCache:
    return tiny_hub.tiny_cache(tmp_path_factory.mktemp("tiny-xclip"), XCLIP, {"xclip-base-patch32": _seeded})


def _ramp(path: Path, frames: int = 60) -> Path:
    """``frames`` at 10 fps, 64x48, frame i a square at x = i whose colour says its number."""
    with media.VideoWriter(path, fps=10) as writer:
        for index in range(frames):
            frame = np.full((48, 64, 3), 30, np.uint8)
            frame[10:30, index % 44 : index % 44 + 20] = (200, 4 * index % 256, 255 - 4 * index % 256)
            writer.write(frame)
    return path


def test_middle_indices_are_mmactions_test_sampling() -> None:
    assert middle_indices(80, 8) == [5, 15, 25, 35, 45, 55, 65, 75]
    assert middle_indices(3, 8) == [0, 0, 0, 1, 1, 2, 2, 2]  # fewer frames than parts: some repeat
    assert middle_indices(1, 6) == [0] * 6
    with pytest.raises(InputError, match="at least one frame"):
        middle_indices(10, 0)


def test_video_score_is_xclips_own_similarity_on_its_test_frames(xclip_cache: ModelCache, tmp_path: Path) -> None:
    import torch
    from transformers import XCLIPModel, XCLIPProcessor

    clip = _ramp(tmp_path / "ramp.mp4")
    timeline = Timeline(video=media.probe(clip))
    folder = Path(xclip_cache.registry.get("xclip-base-patch32").source.removeprefix("path:"))
    model, processor = XCLIPModel.from_pretrained(folder).eval(), XCLIPProcessor.from_pretrained(folder)
    every = [frame.image for frame in media.iter_frames(clip)]
    picked = [every[i] for i in (5, 15, 25, 35, 45, 55)]  # 60 frames in the tiny model's 6 parts: each middle one

    def cosine(prompt: str) -> float:
        with torch.inference_mode():
            inputs = processor(text=[prompt], videos=[picked], return_tensors="pt", padding=True)
            out = model(**inputs)
            return float(out.logits_per_video[0, 0] / model.logit_scale.exp())

    scores = {prompt: cosine(prompt) for prompt in ("a red square", "a dog runs", "a blue sky", "snow falls")}
    positive = max(scores, key=scores.__getitem__)
    assert scores[positive] > 0.05  # a prompt these random weights put near the video: the score is not clamped
    report = prompt_adherence(clip, positive, timeline=timeline, cache=xclip_cache, alignment="none")
    whole = report.video_alignment
    assert whole is not None and whole.model == report.models["video_alignment"] == "xclip-base-patch32"
    assert whole.frames == 6 and whole.frame_times_s == pytest.approx([0.5, 1.5, 2.5, 3.5, 4.5, 5.5], abs=1e-3)
    assert whole.score == pytest.approx(100 * scores[positive], abs=1e-3)
    assert "X-CLIP" in whole.definition and report.text_alignment is None
    negative = min(scores, key=scores.__getitem__)
    assert scores[negative] < 0
    below = prompt_adherence(clip, negative, timeline=timeline, cache=xclip_cache, alignment="none")
    assert below.video_alignment is not None and below.video_alignment.score == 0.0  # negative cosines count as 0
    three = _ramp(tmp_path / "short.mp4", frames=3)
    short = prompt_adherence(three, positive, timeline=Timeline(video=media.probe(three)), cache=xclip_cache,
                             alignment="none").video_alignment  # fmt: skip
    assert short is not None and short.frame_times_s == pytest.approx([0, 0, 0.1, 0.1, 0.2, 0.2], abs=1e-3)


def test_video_score_is_left_out_without_xclip_and_refused_when_named_but_missing(
    xclip_cache: ModelCache, tmp_path: Path
) -> None:
    clip = _ramp(tmp_path / "ramp.mp4", frames=20)
    timeline = Timeline(video=media.probe(clip))
    assert prompt_adherence(clip, "a cup", timeline=timeline, cache=default_cache()).video_alignment is None
    skipped = prompt_adherence(clip, "a cup", timeline=timeline, cache=xclip_cache, video_alignment="none")
    assert skipped.video_alignment is None and "video_alignment" not in skipped.models
    with pytest.raises(ModelUnavailable, match="xclip-base-patch32"):
        prompt_adherence(clip, "a cup", timeline=timeline, video_alignment="xclip-base-patch32")
    with pytest.raises(ModelUnavailable, match="xclip-base-patch32"):
        check_video_alignment(default_cache(), "xclip-base-patch32")
    with pytest.raises(InputError, match="does not score texts against whole clips"):
        video_alignment_model(default_cache(), "efficientnet-lite0")
    assert video_alignment_model(default_cache()) == (None, None)
