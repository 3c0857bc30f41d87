"""The Hugging Face clip action adapters, offline, on tiny random-weight VideoMAE and X-CLIP models.

Each architecture is built small under a fixed seed (4 or 6 frames of 32 px, where the real ones take
16 and 8 of 224 px, so the numbers can only come from the config), saved with its processor, and
loaded through the registry like an installed model, on clips cut by timestamp from a generated video.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tiny_hub

from models.action_transformers import SPECS
from studio import media
from studio.core import InputError, ModelUnavailable, Settings
from studio.registry import LoadOptions, ModelCache, Registry
from studio.vision.clip_windows import Clip, ClipCollector, ClipPlan, actions_from_clips
from studio.vision.contracts import ClipActionModel

KINETICS_LIKE = {0: "waving hand", 1: "running on treadmill", 2: "sitting"}
TINY_FRAMES = {"videomae-base-kinetics": 4, "xclip-base-patch32": 6}


def _videomae(folder: Path) -> None:
    from transformers import VideoMAEConfig, VideoMAEForVideoClassification, VideoMAEImageProcessor

    config = VideoMAEConfig(
        image_size=32, patch_size=16, num_frames=4, tubelet_size=2, hidden_size=16, num_hidden_layers=1,
        num_attention_heads=2, intermediate_size=32, id2label=KINETICS_LIKE,
        label2id={v: k for k, v in KINETICS_LIKE.items()},
    )  # fmt: skip
    VideoMAEForVideoClassification(config).save_pretrained(folder)
    VideoMAEImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(folder)


BUILDERS = {"videomae-base-kinetics": _videomae, "xclip-base-patch32": tiny_hub.xclip}


@pytest.fixture(scope="module")
def tiny_cache(tmp_path_factory: pytest.TempPathFactory) -> ModelCache:
    return tiny_hub.tiny_cache(tmp_path_factory.mktemp("tiny-actions"), SPECS, BUILDERS, {"batch_clips": 2})


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 s at 30 fps, 96×64: a bright square that moves right for 1.5 s, then back left."""
    path = tmp_path_factory.mktemp("action-video") / "square.mp4"
    with media.VideoWriter(path, fps=30) as writer:
        for index in range(90):
            frame = np.full((64, 96, 3), 40, dtype=np.uint8)
            x = 8 + 2 * (index if index < 45 else 90 - index)
            frame[20:44, x : x + 16] = (250, 200, 40)
            writer.write(frame)
    return path


def _clips(model: ClipActionModel, video: Path, hop_s: float) -> list[Clip]:
    collector = ClipCollector(ClipPlan(model.clip_frames, model.clip_fps, hop_s))
    pictures = ((p.time_s, (lambda p=p: p.rgb())) for p in media.iter_pictures(video))
    return list(collector.iter_clips(pictures))


def test_videomae_labels_clips_with_its_config_labels(tiny_cache: ModelCache, video: Path) -> None:
    model = tiny_cache.get("videomae-base-kinetics", kind=ClipActionModel)
    assert (model.clip_frames, model.frame_side, model.clip_fps) == (4, 32, 7.5)  # config, config, spec
    clips = _clips(model, video, hop_s=0.5)
    assert len(clips) == 6 and all(c.array().shape == (4, 64, 96, 3) for c in clips)
    scored = model.classify_clips([c.array() for c in clips], top_k=2)
    assert len(scored) == 6 and all(len(s) == 2 for s in scored)
    assert all({label for label, _ in s} <= set(KINETICS_LIKE.values()) and s[0][1] >= s[1][1] for s in scored)
    every = model.classify_clips([c.array() for c in clips], top_k=10)  # top_k past the labels: all of them
    assert all(len(s) == 3 and sum(score for _, score in s) == pytest.approx(1.0, abs=1e-4) for s in every)
    single = model.classify_clips([clips[3].array()], top_k=2)  # batched (2 per pass) == alone, deterministic
    assert [label for label, _ in single[0]] == [label for label, _ in scored[3]]
    assert np.allclose([s for _, s in single[0]], [s for _, s in scored[3]], atol=1e-5)
    assert model.classify_clips([c.array() for c in clips], top_k=2) == scored
    actions = actions_from_clips(clips, scored, model="videomae-base-kinetics")
    assert actions and all(a.track_id is None and a.label in KINETICS_LIKE.values() for a in actions)
    assert actions[0].start_s == 0.0 and actions[-1].end_s == pytest.approx(clips[-1].end_s, abs=1e-4)


def test_videomae_refuses_labels_and_clips_of_the_wrong_length(tiny_cache: ModelCache) -> None:
    model = tiny_cache.get("videomae-base-kinetics", kind=ClipActionModel)
    clip = np.zeros((4, 40, 40, 3), dtype=np.uint8)
    with pytest.raises(InputError, match=r"only its own 3 actions .*'juggling'.*use a zero-shot model"):
        model.classify_clips([clip], labels=("juggling",))
    with pytest.raises(InputError, match=r"clips of 4 RGB frames \(T×H×W×3\), got clip 1 of shape \(16, 40, 40, 3\)"):
        model.classify_clips([clip, np.zeros((16, 40, 40, 3), dtype=np.uint8)])
    with pytest.raises(InputError, match="uint8 frames, got clip 0 of float32"):
        model.classify_clips([clip.astype(np.float32)])
    with pytest.raises(InputError, match="top_k of at least 1, got 0"):
        model.classify_clips([clip], top_k=0)
    assert model.classify_clips([]) == []


def test_xclip_scores_the_users_labels(tiny_cache: ModelCache, video: Path) -> None:
    model = tiny_cache.get("xclip-base-patch32", kind=ClipActionModel)
    assert (model.clip_frames, model.frame_side, model.clip_fps) == (6, 32, 0.8)
    plan_clips = _clips(model, video, hop_s=1.0)  # one 7.5 s window over a 3 s video: padded
    assert len(plan_clips) == 1 and plan_clips[0].padded > 0
    moving = np.stack(_frames(video, times_s=np.linspace(0, 2.5, 6)))
    still = np.repeat(moving[:1], 6, axis=0)
    labels = ("waving", "running", "sitting down")
    scored = model.classify_clips([moving, still, plan_clips[0].array()], labels=labels, top_k=3)
    assert all({label for label, _ in s} == set(labels) for s in scored)
    assert all(sum(score for _, score in s) == pytest.approx(1.0, abs=1e-4) for s in scored)
    assert dict(scored[0]) != pytest.approx(dict(scored[1]), abs=1e-6)  # the pictures matter
    shuffled = model.classify_clips([moving], labels=labels[::-1], top_k=3)  # scores do not hang on label order
    assert dict(shuffled[0]) == pytest.approx(dict(scored[0]), abs=1e-5)
    assert len(model.classify_clips([moving], labels=labels, top_k=1)[0]) == 1


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ((), r"zero-shot and needs your labels, e\.g\. --label"),
        (("waving", "  "), "labels with words in them"),
        (("waving", "running", "waving"), "different action labels, got 'waving' twice"),
    ],
)
def test_xclip_refuses_missing_blank_or_repeated_labels(tiny_cache: ModelCache, labels: tuple, message: str) -> None:
    model = tiny_cache.get("xclip-base-patch32", kind=ClipActionModel)
    with pytest.raises(InputError, match=message):
        model.classify_clips([np.zeros((6, 32, 32, 3), dtype=np.uint8)], labels=labels)


def test_it_loads_in_bfloat16_and_refuses_int8(tiny_cache: ModelCache) -> None:
    clip = np.full((4, 32, 32, 3), 128, dtype=np.uint8)
    full = tiny_cache.get("videomae-base-kinetics", kind=ClipActionModel).classify_clips([clip], top_k=3)
    half = tiny_cache.get("videomae-base-kinetics", options=LoadOptions(dtype="bfloat16"), kind=ClipActionModel)
    (scored,) = half.classify_clips([clip], top_k=3)  # its pixels are cast to the model's dtype
    assert dict(scored) == pytest.approx(dict(full[0]), abs=0.02)
    with pytest.raises(InputError, match="videomae-base-kinetics loads as float32 or float16 or bfloat16, not int8"):
        tiny_cache.get("videomae-base-kinetics", options=LoadOptions(dtype="int8"))


@pytest.mark.parametrize("name", ["videomae-base-kinetics", "xclip-base-patch32"])
def test_a_hub_model_not_in_the_cache_says_how_to_install_it(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    cache = ModelCache(Registry(SPECS), Settings(tmp_path, tmp_path / "models", tmp_path / "out", device="cpu"))
    with pytest.raises(ModelUnavailable, match=rf"Install it with: studio models install {name}$") as caught:
        cache.get(name, kind=ClipActionModel)
    assert "\n" not in str(caught.value) and "are not installed" in str(caught.value)


def test_specs_flag_the_licence_and_zero_shot() -> None:
    specs = {s.name: s for s in SPECS}
    assert set(specs) == set(BUILDERS)
    assert all(s.task == "action" and s.source.startswith("hub:") and not s.offline for s in SPECS)
    assert specs["videomae-base-kinetics"].non_commercial and not specs["videomae-base-kinetics"].can("zero-shot")
    assert not specs["xclip-base-patch32"].non_commercial and specs["xclip-base-patch32"].can("zero-shot")


def _frames(video: Path, times_s: np.ndarray) -> list[np.ndarray]:
    """The decoded frames nearest to ``times_s``."""
    pictures = [(f.time_s, f.image) for f in media.iter_frames(video)]
    frame_times = np.array([t for t, _ in pictures])
    return [pictures[int(np.abs(frame_times - t).argmin())][1] for t in times_s]


def test_xclip_scores_texts_against_whole_clips_and_refuses_blank_texts(tiny_cache: ModelCache, video: Path) -> None:
    from studio.vision import TextVideoScorer

    model = tiny_cache.get("xclip-base-patch32", kind=TextVideoScorer)
    moving = np.stack(_frames(video, times_s=np.linspace(0, 2.5, 6)))
    still = np.repeat(moving[:1], 6, axis=0)
    cosines = model.text_similarity([moving, still, moving], ["waving", "a bright square"])
    assert cosines.shape == (3, 2) and np.all(np.abs(cosines) <= 1 + 1e-6)
    assert cosines[0] == pytest.approx(cosines[2], abs=1e-5)  # batched (2 a pass) alike
    assert not np.allclose(cosines[0], cosines[1], atol=1e-5)  # the frames matter
    with pytest.raises(InputError, match="texts with words in them"):
        model.text_similarity([moving], ["  "])
    with pytest.raises(InputError, match="clips of 6 RGB frames"):
        model.text_similarity([moving[:3]], ["waving"])
