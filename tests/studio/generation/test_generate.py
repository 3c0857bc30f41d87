"""A new model family is one file plus an entry point: a toy text-to-video adapter from this
test's own folder is registered through the ``media_studio.models`` entry points and runs
through the generation pipeline without any edit to the core."""

from __future__ import annotations

import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from studio import media
from studio.core import Cancelled, InputError, ModelLoadError, Settings
from studio.evaluate import score_quality
from studio.generation import GeneratedVideo, GenerateOptions, generate_video
from studio.registry import ENTRY_POINT_GROUP, ModelCache, Registry
from studio.vision import DetectorModel

TOY_T2V = '''
"""A toy text-to-video family: a square that crosses the frame, its colour from the seed."""
import numpy as np

from studio.registry import ModelSpec

SPECS = [ModelSpec(
    name="toy-t2v", task="text-to-video", adapter="toy_t2v:ToyTextToVideo", source="package:toy_t2v",
    license="MIT", extra="generate", memory_mb=10, offline=True,
    params={"width": 96, "height": 64, "frames": 9, "fps": 8, "steps": 4, "size_multiple": 16, "frame_step": 4},
)]


class ToyTextToVideo:
    memory_mb = 10

    @classmethod
    def load(cls, spec, weights, device, options):
        options.require(spec.name)
        return cls()

    def generate(self, request, on_step):
        colour = np.random.default_rng(request.seed).integers(60, 200, 3).astype(np.uint8)
        for step in range(request.steps):
            on_step(step + 1, request.steps)
        frames = np.zeros((request.frames, request.height, request.width, 3), np.uint8)
        side = request.height // 2
        blocks = np.random.default_rng(0).integers(0, 2, (side // 4, side // 4)).repeat(4, 0).repeat(4, 1)
        square = np.where(blocks[..., None] == 1, colour, colour // 2)  # textured, so its motion shows
        for t in range(request.frames):
            x = 4 + round(t * (request.width - side - 8) / max(1, request.frames - 1))
            frames[t, 8 : 8 + side, x : x + side] = square
        return frames
'''


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelCache]:
    package = tmp_path / "site" / "toy_t2v"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(TOY_T2V)
    info = tmp_path / "site" / "toy_t2v-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-t2v\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(f"""
        [{ENTRY_POINT_GROUP}]
        toy = toy_t2v:SPECS
        """))  # fmt: skip
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    settings = Settings(tmp_path, tmp_path / "models", tmp_path / "outputs", device="cpu")
    yield ModelCache(Registry.from_entry_points(), settings)
    sys.modules.pop("toy_t2v", None)


def _frames(path: Path) -> np.ndarray:
    return np.stack([frame.image for frame in media.iter_frames(path)])


def test_a_plugin_family_generates_through_the_pipeline(cache: ModelCache, tmp_path: Path) -> None:
    reported: list[float] = []
    result = generate_video("a square crossing the frame", tmp_path / "toy.mp4", cache=cache,
                            options=GenerateOptions(seed=7), progress=lambda f, _: reported.append(f))  # fmt: skip
    assert cache.registry.default_for("text-to-video", cache.settings).name == "toy-t2v"
    info = media.probe(tmp_path / "toy.mp4")
    assert (info.width, info.height, info.frame_count, info.fps) == (96, 64, 9, 8)
    assert (result.model, result.seed, result.frames, result.steps, result.duration_s) == ("toy-t2v", 7, 9, 4, 9 / 8)
    frames = _frames(tmp_path / "toy.mp4")
    colour = np.random.default_rng(7).integers(60, 200, 3)
    brightest = np.percentile(frames[0, 16:32, 8:24].reshape(-1, 3), 90, axis=0)
    assert np.abs(brightest - colour).max() < 10  # the square, first frame
    assert frames[0, 16:32, 80:96].mean() < 8 and frames[-1, 16:32, 72:88].mean() > 40  # ... and it moved right
    assert reported == sorted(reported) and reported[-1] == 1.0 and len(reported) == 6  # load, 4 steps, write
    assert GeneratedVideo.from_dict(result.to_dict()) == result


def test_a_drawn_seed_is_recorded_and_makes_the_same_video_again(cache: ModelCache, tmp_path: Path) -> None:
    first = generate_video("a square", tmp_path / "a.mp4", cache=cache)
    again = generate_video("a square", tmp_path / "b.mp4", cache=cache, options=GenerateOptions(seed=first.seed))
    assert np.array_equal(_frames(tmp_path / "a.mp4"), _frames(tmp_path / "b.mp4"))
    assert again.seed == first.seed


def test_cancel_between_steps_writes_nothing(cache: ModelCache, tmp_path: Path) -> None:
    stop = threading.Event()
    target = tmp_path / "cancelled.mp4"
    with pytest.raises(Cancelled):
        generate_video("a square", target, cache=cache, progress=lambda f, _: stop.set() if f > 0.4 else None,
                       cancel=stop)  # fmt: skip
    assert list(tmp_path.glob("*cancelled*")) == []


def test_requests_the_model_cannot_make_are_refused_before_loading(cache: ModelCache, tmp_path: Path) -> None:
    out = tmp_path / "x.mp4"
    with pytest.raises(InputError, match="the prompt is empty"):
        generate_video("   ", out, cache=cache)
    with pytest.raises(InputError, match=r"widths of a multiple of 16: got 100, try 96 or 112"):
        generate_video("a square", out, cache=cache, options=GenerateOptions(width=100))
    with pytest.raises(InputError, match=r"frame counts of 1 \+ a multiple of 4: got 10, try 9 or 13"):
        generate_video("a square", out, cache=cache, options=GenerateOptions(frames=10))
    with pytest.raises(InputError, match=r"expected 1 <= steps \(--steps\) <= 500, got 0"):
        GenerateOptions(steps=0)
    with pytest.raises(InputError, match=r"expected a name ending in \.mp4"):
        generate_video("a square", tmp_path / "x.gif", cache=cache)
    assert cache.stats.loads == 0 and not out.exists()


def test_a_model_without_the_task_contract_is_a_typed_error(cache: ModelCache) -> None:
    with pytest.raises(ModelLoadError, match="ToyTextToVideo does not provide DetectorModel"):
        cache.get("toy-t2v", kind=DetectorModel)


def test_the_cli_generates_with_a_plugin_family(cache: ModelCache, tmp_path: Path) -> None:
    import json
    import os
    import subprocess

    studio = str(Path(sys.executable).parent / "studio")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site"), "MEDIA_STUDIO_HOME": str(tmp_path / "home")}
    out = tmp_path / "cli.mp4"
    done = subprocess.run([studio, "generate", "a square", "-o", str(out), "--seed", "3", "--frames", "5"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["seed"], result["frames"], result["model"]) == (3, 5, "toy-t2v")
    assert media.probe(out).frame_count == 5
    # scored once made, into the sidecar: quality as `studio eval quality` gives it; adherence skipped, with why
    sidecar = json.loads(out.with_suffix(".json").read_text())
    assert sidecar["evaluation"] == result["evaluation"] and result["evaluation"]["harnesses"] == ["quality"]
    assert result["evaluation"]["scores"]["quality.temporal_flickering"] == score_quality(out).temporal_flickering
    assert "studio models install" in result["evaluation"]["skipped"]["prompt"]  # no detector in this home
    assert "scores: verdict scored, quality.temporal_flickering" in done.stderr
    again = [studio, "generate", "a square", "-o", str(out), "--seed", "3", "--frames", "5", "--no-score"]
    unscored = subprocess.run(again, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert unscored.returncode == 0 and "evaluation" not in json.loads(unscored.stdout), unscored.stderr
    assert "evaluation" not in json.loads(out.with_suffix(".json").read_text())
    refused = subprocess.run([studio, "generate", " ", "-o", str(out)], capture_output=True, text=True, env=env,
                             timeout=120, check=False)  # fmt: skip
    assert refused.returncode == 2 and "error: the prompt is empty" in refused.stderr


def test_a_sidecar_and_thumbnail_sit_beside_the_video_and_make_it_again(cache: ModelCache, tmp_path: Path) -> None:
    import json
    import os
    import subprocess

    from PIL import Image

    first = generate_video("a square", tmp_path / "first.mp4", cache=cache, options=GenerateOptions(frames=5))
    sidecar = json.loads((tmp_path / "first.json").read_text())
    assert GeneratedVideo.from_dict(sidecar) == first
    assert sidecar["seed"] == first.seed and sidecar["model"] == "toy-t2v" and sidecar["offload"] == "none"
    assert {"media-studio", "av"} <= set(sidecar["versions"]) and sidecar["duration_s"] == 5 / 8
    thumbnail = np.asarray(Image.open(tmp_path / "first.png").convert("RGB"))
    decoded = _frames(tmp_path / "first.mp4")[0].astype(int)
    assert thumbnail.shape == decoded.shape and np.abs(thumbnail - decoded).mean() < 2  # the first frame, lossless
    studio = str(Path(sys.executable).parent / "studio")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site"), "MEDIA_STUDIO_HOME": str(tmp_path / "home")}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([studio, "generate", *args], capture_output=True, text=True, env=env, timeout=120)

    done = cli("--from", str(tmp_path / "first.json"), "-o", str(tmp_path / "again.mp4"))
    assert done.returncode == 0, done.stderr
    assert np.array_equal(_frames(tmp_path / "first.mp4"), _frames(tmp_path / "again.mp4"))
    longer = cli("--from", str(tmp_path / "first.json"), "--frames", "9", "-o", str(tmp_path / "longer.mp4"))
    assert longer.returncode == 0 and media.probe(tmp_path / "longer.mp4").frame_count == 9  # a flag given wins
    (tmp_path / "broken.json").write_text("{}")
    refused = cli("--from", str(tmp_path / "broken.json"), "-o", str(tmp_path / "x.mp4"))
    assert refused.returncode == 2 and "not the sidecar of a generated video" in refused.stderr


def test_another_frame_rate_is_met_by_interpolation_not_retiming(cache: ModelCache, tmp_path: Path) -> None:
    from studio.media import interpolated_count

    native = generate_video("a square", tmp_path / "native.mp4", cache=cache, options=GenerateOptions(seed=1))
    faster = generate_video("a square", tmp_path / "fast.mp4", cache=cache, options=GenerateOptions(seed=1, fps=24))
    info = media.probe(tmp_path / "fast.mp4")
    assert info.fps == 24 and info.frame_count == faster.video_frames == interpolated_count(9, 8, 24) == 27
    assert (native.fps, native.video_frames, faster.frames, faster.model_fps) == (8, 9, 9, 8)
    assert abs(faster.duration_s - native.duration_s) < 1e-9  # the same 1.125 s of motion, not sped up
    ntsc = generate_video("a square", tmp_path / "ntsc.mp4", cache=cache, options=GenerateOptions(seed=1, fps=30))
    assert media.probe(tmp_path / "ntsc.mp4").frame_count == ntsc.video_frames == round(9 * 30 / 8)

    def square(frame: np.ndarray) -> tuple[float, int]:
        lit = frame.max(axis=-1) > 20
        return float(np.nonzero(lit)[1].mean()), int(lit.sum())

    slow, fast = _frames(tmp_path / "native.mp4"), _frames(tmp_path / "fast.mp4")
    side = 32
    for j in range(24):  # every third frame is a made one; the two between sit a third and two thirds along
        i, share = divmod(j, 3)
        expected = square(slow[i])[0] + share / 3 * (square(slow[i + 1])[0] - square(slow[i])[0])
        x, area = square(fast[j])
        assert abs(x - expected) <= 1.5, (j, x, expected)
        assert area <= 1.1 * side * side, (j, area)  # one square where it is, not two faded ones (1.25x)


def test_a_duration_becomes_the_nearest_frame_count_the_model_makes(cache: ModelCache, tmp_path: Path) -> None:
    made = generate_video("a square", tmp_path / "two.mp4", cache=cache, options=GenerateOptions(duration_s=2.0))
    assert made.frames == 17 and media.probe(tmp_path / "two.mp4").frame_count == 17  # 16 at 8 fps -> 4k+1
    assert abs(made.duration_s - 2.0) <= 4 / 8  # within one frame step
    with pytest.raises(InputError, match="give frames or a duration, not both"):
        GenerateOptions(frames=9, duration_s=2.0)
    with pytest.raises(InputError, match=r"expected 0 < duration \(--duration\) <= 120.0 seconds, got -1"):
        GenerateOptions(duration_s=-1)


def test_attention_and_compile_are_refused_by_a_family_that_cannot_honour_them(
    cache: ModelCache, tmp_path: Path
) -> None:
    from studio.registry import LoadOptions

    for load, said in ((LoadOptions(attention="native"), "has no choice of attention backend"),
                       (LoadOptions(compile=True), "cannot be compiled with torch.compile")):  # fmt: skip
        with pytest.raises(InputError, match=f"toy-t2v {said}"):
            generate_video("a square", tmp_path / "x.mp4", cache=cache, load=load)
    assert cache.stats.loads == 0


def test_a_sidecar_gives_back_its_attention_backend_and_compile(cache: ModelCache, tmp_path: Path) -> None:
    import json

    from studio.cli.generation import _sidecar

    made = generate_video("a square", tmp_path / "a.mp4", cache=cache, options=GenerateOptions(frames=5))
    assert (made.attention, made.compile) == (None, False)  # and old sidecars without them still load:
    old = {key: value for key, value in made.to_dict().items() if key not in ("attention", "compile")}
    assert GeneratedVideo.from_dict(old) == made
    (tmp_path / "fast.json").write_text(json.dumps({**made.to_dict(), "attention": "flash", "compile": True}))
    assert {"attention": "flash", "compile": True}.items() <= _sidecar(str(tmp_path / "fast.json")).items()


def test_the_cli_makes_a_story_and_a_second_run_reuses_its_shots(cache: ModelCache, tmp_path: Path) -> None:
    import json
    import os
    import subprocess

    studio = str(Path(sys.executable).parent / "studio")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site"), "MEDIA_STUDIO_HOME": str(tmp_path / "home")}
    script = tmp_path / "story.yaml"
    script.write_text("seed: 9\nshots:\n  - prompt: a square\n    duration: 1\n  - prompt: another square\n"
                      "    narration: The square moves.\n")  # fmt: skip

    def story(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([studio, "story", str(script), "-o", str(tmp_path / "film.mp4"), *args],
                              capture_output=True, text=True, env=env, timeout=120, check=False)  # fmt: skip

    done = story()
    assert done.returncode == 0, done.stderr
    film = json.loads(done.stdout)
    assert (film["model"], film["seed"], len(film["shots"])) == ("toy-t2v", 9, 2)
    assert (
        media.probe(tmp_path / "film.mp4").frame_count
        == film["frames"]
        == 8 + round(film["shots"][1]["duration_s"] * 8)
    )
    assert [cue.text for cue in media.read_text_track(tmp_path / "film.mp4")] == ["The square moves."]
    again = story("--subtitles", "burn")
    assert again.returncode == 0 and "2 shots (2 re-used)" in again.stderr, again.stderr
    script.write_text("shots:\n  - prompt: a square\n    duration: -1\n")
    refused = story()
    assert refused.returncode == 2 and refused.stderr.startswith("error: shot 1: expected 0 < duration")


def test_a_story_script_is_never_overwritten_by_the_film_it_makes(cache: ModelCache, tmp_path: Path) -> None:
    import os
    import subprocess

    studio = str(Path(sys.executable).parent / "studio")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site"), "MEDIA_STUDIO_HOME": str(tmp_path / "home")}
    script = tmp_path / "film.json"  # the name the film's sidecar would have
    script.write_text('{"shots": [{"prompt": "a square", "duration": 1}]}')
    done = subprocess.run([studio, "story", str(script), "-o", str(tmp_path / "film.mp4")], capture_output=True,
                          text=True, env=env, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 2 and "film.json" in done.stderr, done.stderr
    assert script.read_text() == '{"shots": [{"prompt": "a square", "duration": 1}]}'
