"""Quality scores against clips made here: the same pan clean, with planted brightness flicker,
blurred and still; VBench's temporal flickering recomputed independently from the decoded frames."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from studio import media
from studio.cli.main import main
from studio.evaluate import score_quality

SIZE = (192, 108)


def _scene() -> np.ndarray:
    """A band of scikit-image's astronaut photograph, twice the frame's width: real detail."""
    import cv2
    from skimage import data

    photo = cv2.resize(data.astronaut(), (SIZE[0] * 2, SIZE[0] * 2), interpolation=cv2.INTER_AREA)
    top = (photo.shape[0] - SIZE[1]) // 2
    return photo[top : top + SIZE[1]].astype(np.float32)


def _pan(path: Path, flicker: float = 0.0, blur: float = 0.0, speed: int = 2, noise: float = 0.0) -> Path:
    """A 2-second pan over a texture at ``speed`` px/frame; ``flicker`` adds ± that much
    brightness on every other frame; ``blur`` a Gaussian of that sigma; ``noise`` Gaussian noise
    of that standard deviation (grey levels), new on every frame."""
    import cv2

    scene = _scene()
    rng = np.random.default_rng(5)
    with media.VideoWriter(path, fps=25, crf=10) as writer:
        for number in range(50):
            frame = scene[:, number * speed : number * speed + SIZE[0]]
            if blur:
                frame = cv2.GaussianBlur(frame, (0, 0), blur)
            frame = frame + (flicker if number % 2 else -flicker)
            if noise:
                frame = frame + rng.normal(0, noise, frame.shape[:2])[:, :, None]
            writer.write(np.clip(frame, 0, 255).astype(np.uint8))
    return path


def test_flickering_is_vbenchs_definition_and_orders_a_clean_pan_above_a_flickering_one(tmp_path: Path) -> None:
    clean, flickering = _pan(tmp_path / "clean.mp4"), _pan(tmp_path / "flicker.mp4", flicker=25)
    frames = [f.image for f in media.iter_frames(flickering)]  # VBench's own arithmetic, by hand
    pairs = itertools.pairwise(frames)
    independent = 1 - np.mean([np.abs(a.astype(int) - b.astype(int)).mean() for a, b in pairs]) / 255
    report = score_quality(flickering)
    assert report.temporal_flickering == pytest.approx(independent, abs=1e-6)
    assert score_quality(clean).temporal_flickering > report.temporal_flickering + 0.05
    assert (report.frames, report.width, report.height) == (50, *SIZE)
    assert "VBench" in report.definitions["temporal_flickering"]


def test_motion_and_sharpness_order_as_they_should(tmp_path: Path) -> None:
    still = score_quality(_pan(tmp_path / "still.mp4", speed=0))
    slow = score_quality(_pan(tmp_path / "slow.mp4", speed=1))
    fast = score_quality(_pan(tmp_path / "fast.mp4", speed=3))
    assert still.motion_px < 0.1 < slow.motion_px < fast.motion_px
    assert fast.motion_px == pytest.approx(3 * 256 / 108, rel=0.25)  # 3 px/frame, seen at the proxy's 256 px
    blurred = score_quality(_pan(tmp_path / "blurred.mp4", speed=1, blur=2.5))
    assert blurred.sharpness < 0.5 * slow.sharpness
    assert still.temporal_flickering > slow.temporal_flickering  # a still clip changes least


def test_the_command_scores_every_file_and_says_one_line_for_a_bad_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clip = _pan(tmp_path / "clip.mp4")
    (tmp_path / "broken.mp4").write_bytes(b"\x00not a video" * 40)
    out = tmp_path / "q.json"
    assert main(["eval", "quality", str(clip), str(tmp_path / "broken.mp4"), "-o", str(out)]) == 5
    data = json.loads(out.read_text())
    assert [r["path"] for r in data["reports"]] == [str(clip)] and data["errors"][0]["path"].endswith("broken.mp4")
    assert capsys.readouterr().err.count("\n") == 2


def test_motion_smoothness_orders_a_smooth_pan_above_the_same_frames_shuffled(tmp_path: Path) -> None:
    smooth_path = _pan(tmp_path / "smooth.mp4")
    frames = [f.image for f in media.iter_frames(smooth_path)]
    order = np.random.default_rng(7).permutation(len(frames))
    with media.VideoWriter(tmp_path / "shuffled.mp4", fps=25, crf=10) as writer:
        for index in order:
            writer.write(frames[index])
    smooth, shuffled = score_quality(smooth_path), score_quality(tmp_path / "shuffled.mp4")
    assert smooth.motion_smoothness is not None and shuffled.motion_smoothness is not None
    assert smooth.motion_smoothness > 0.97  # a steady pan is what interpolation draws best
    assert smooth.motion_smoothness > shuffled.motion_smoothness + 0.02
    assert "AMT" in smooth.definitions["motion_smoothness"]
    # the same frames (re-encoded once more), so the per-frame proxies agree: only the order was scored
    assert shuffled.sharpness == pytest.approx(smooth.sharpness, rel=0.05)


def test_subject_consistency_on_efficientnet_features_orders_one_scene_above_cuts(tmp_path: Path) -> None:
    from skimage import data

    from studio.evaluate import quality_embedder
    from studio.registry import default_cache

    embedder, features = quality_embedder(default_cache())
    assert features == "efficientnet-lite0"  # installed by the setup: the test runs, never skips
    one_scene = score_quality(_pan(tmp_path / "pan.mp4"), embedder, features)
    import cv2

    other = cv2.resize(data.chelsea(), SIZE, interpolation=cv2.INTER_AREA)  # a cat, nothing like the astronaut
    frames = [f.image for f in media.iter_frames(tmp_path / "pan.mp4")]
    with media.VideoWriter(tmp_path / "cuts.mp4", fps=25, crf=10) as writer:
        for number, frame in enumerate(frames):
            writer.write(other if (number // 5) % 2 else frame)
    cuts = score_quality(tmp_path / "cuts.mp4", embedder, features)
    assert one_scene.subject_consistency is not None and cuts.subject_consistency is not None
    assert one_scene.subject_consistency > 0.85 > cuts.subject_consistency
    assert (one_scene.features, score_quality(tmp_path / "pan.mp4").subject_consistency) == ("efficientnet-lite0", None)


def test_the_noise_proxy_grows_with_planted_noise_and_reads_its_level(tmp_path: Path) -> None:
    """Gaussian noise of 4, 8 and 16 grey levels on the same pan: each reads higher; above the clean
    clip's own texture reading, the excess is the planted level within 25 % (the encoder smooths some)."""
    clean = score_quality(_pan(tmp_path / "clean.mp4", speed=1)).noise_sigma
    levels = {sigma: score_quality(_pan(tmp_path / f"n{sigma}.mp4", speed=1, noise=sigma)).noise_sigma
              for sigma in (4, 8, 16)}  # fmt: skip
    assert clean < levels[4] < levels[8] < levels[16]
    for sigma in (8, 16):
        assert np.sqrt(levels[sigma] ** 2 - clean**2) == pytest.approx(sigma, rel=0.25), levels
    assert score_quality(_pan(tmp_path / "blurred.mp4", speed=1, blur=2.5)).noise_sigma < clean / 2


def test_a_very_thin_video_is_scored_at_a_proxy_opencv_can_take(tmp_path: Path) -> None:
    """16×4096: a 256 px short side would make the proxy 65536 px long, past OpenCV's remap."""
    with media.VideoWriter(tmp_path / "strip.mp4", fps=10) as writer:
        for number in range(5):
            strip = np.zeros((4096, 16, 3), np.uint8)
            strip[number * 40 : number * 40 + 200] = 255
            writer.write(strip)
    report = score_quality(tmp_path / "strip.mp4")
    assert report.proxy_size == (8, 2048) and report.frames == 5 and report.motion_smoothness is not None


def test_background_consistency_is_vbenchs_formula_on_clip_features_and_left_out_without_clip(tmp_path: Path) -> None:
    """CLIP ViT-B/32's architecture, tiny and random (no hub here): the score is VBench's formula
    on its embeddings of the frames, computed here by hand; a still scores 1; without CLIP
    installed the score is None, never stood in for."""
    import cv2
    import tiny_hub

    from models.classify_clip import SPECS
    from studio.evaluate import background_embedder, quality_embedder
    from studio.registry import default_cache

    cache = tiny_hub.tiny_cache(tmp_path / "models", SPECS[:1], {"clip-vit-base-patch32": tiny_hub.clip})
    clip, name = background_embedder(cache)
    assert name == "clip-vit-base-patch32" and clip is not None
    pan = _pan(tmp_path / "pan.mp4", speed=3)
    report = score_quality(pan, background=clip, background_features=name)
    size = report.proxy_size
    vectors = clip.embed_images(
        [cv2.resize(f.image, size, interpolation=cv2.INTER_AREA) for f in media.iter_frames(pan)]
    )
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    by_hand = np.mean([(max(0, vectors[0] @ v) + max(0, vectors[i - 1] @ v)) / 2 for i, v in enumerate(vectors) if i])
    assert report.background_consistency == pytest.approx(float(by_hand), abs=1e-5)
    assert report.background_features == name and report.subject_consistency is None
    assert "CLIP ViT-B/32" in report.definitions["background_consistency"]
    with media.VideoWriter(tmp_path / "still.mp4", fps=25) as writer:
        for _ in range(10):
            writer.write(_scene()[:, : SIZE[0]].astype(np.uint8))
    still = score_quality(tmp_path / "still.mp4", background=clip, background_features=name)
    assert still.background_consistency == pytest.approx(1.0, abs=1e-4)
    assert background_embedder(default_cache()) == (None, None)  # CLIP is a hub model: not installed here
    assert quality_embedder(default_cache())[1] == "efficientnet-lite0"
    plain = score_quality(pan)
    assert (plain.background_consistency, plain.background_features) == (None, None)


def test_a_background_embedder_named_but_not_installed_is_one_line_naming_the_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pan = _pan(tmp_path / "pan.mp4")
    code = main(["eval", "quality", str(pan), "--background-features", "clip-vit-base-patch32"])
    err = capsys.readouterr().err.strip()
    assert code != 0 and len(err.splitlines()) == 1, err
    assert err.endswith("Install it with: studio models install clip-vit-base-patch32")
