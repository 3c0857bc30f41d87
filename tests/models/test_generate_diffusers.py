"""The diffusers text-to-video adapter on a tiny random-weight Wan pipeline built offline:
the real loading, denoising, VAE decoding, seeding, progress and cancel paths."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path

import numpy as np
import pytest

from evaluations.tiny_pipelines import (
    save_tiny_lora,
    save_tiny_ltx,
    save_tiny_modelscope,
    save_tiny_wan,
    save_tiny_wan22,
    save_tiny_wan_i2v,
)
from models.generate_diffusers import SPECS
from studio import media
from studio.core import Cancelled, InputError, OutOfMemory, Settings
from studio.generation import GenerateOptions, TextToVideoModel, generate_video, parse_lora, resolve_request
from studio.registry import LoadOptions, ModelCache, Registry

TINY = {"width": 32, "height": 32, "frames": 9, "fps": 8, "steps": 3, "call": {"max_sequence_length": 16}}


@pytest.fixture(scope="module")
def tiny_wan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_wan(tmp_path_factory.mktemp("tiny-wan"))


def _cache(folder: Path, tmp_path: Path, device: str = "cpu", memory_mb: int | None = None) -> ModelCache:
    wan = next(spec for spec in SPECS if spec.name == "wan2.1-t2v-1.3b")
    spec = dataclasses.replace(wan, name="tiny-wan", source=f"path:{folder}", params={**wan.params, **TINY})
    settings = Settings(tmp_path, tmp_path / "m", tmp_path / "o", device=device, generate_memory_mb=memory_mb)
    return ModelCache(Registry([spec]), settings)


def _frames(path: Path) -> np.ndarray:
    return np.stack([frame.image for frame in media.iter_frames(path)])


def test_tiny_wan_makes_a_video_that_its_seed_makes_again(tiny_wan: Path, tmp_path: Path) -> None:
    cache = _cache(tiny_wan, tmp_path)
    steps: list[str] = []
    first = generate_video("a red car on the street", tmp_path / "a.mp4", cache=cache,
                           options=GenerateOptions(seed=11), progress=lambda _, m: steps.append(m))  # fmt: skip
    info = media.probe(tmp_path / "a.mp4")
    assert (info.width, info.height, info.frame_count, float(info.fps)) == (32, 32, 9, 8.0)
    assert steps[:4] == ["loading tiny-wan", "denoising step 1 of 3", "denoising step 2 of 3", "denoising step 3 of 3"]
    again = generate_video("a red car on the street", tmp_path / "b.mp4", cache=cache, options=GenerateOptions(seed=11))
    generate_video("a red car on the street", tmp_path / "c.mp4", cache=cache, options=GenerateOptions(seed=12))
    a, b, c = _frames(tmp_path / "a.mp4"), _frames(tmp_path / "b.mp4"), _frames(tmp_path / "c.mp4")
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.std() > 1  # the decoder drew something, not a constant frame
    assert (first.seed, again.seed, cache.stats.loads) == (11, 11, 1)  # loaded once


def test_cancel_stops_the_denoising_loop_and_writes_nothing(tiny_wan: Path, tmp_path: Path) -> None:
    cache, stop = _cache(tiny_wan, tmp_path), threading.Event()
    seen: list[float] = []

    def progress(fraction: float, stage: str) -> None:
        seen.append(fraction)
        if stage.startswith("denoising"):
            stop.set()

    with pytest.raises(Cancelled):
        generate_video("a dog", tmp_path / "x.mp4", cache=cache, progress=progress, cancel=stop)
    assert len(seen) == 2 and list(tmp_path.glob("*x*")) == []  # the load, then the first step only


def test_load_options_the_adapter_cannot_honour_are_refused(tiny_wan: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="loads as float32 or float16 or bfloat16, not int8"):
        generate_video("a dog", tmp_path / "x.mp4", cache=_cache(tiny_wan, tmp_path), load=LoadOptions(dtype="int8"))


def test_a_request_too_big_for_the_memory_is_refused_before_loading(tiny_wan: Path, tmp_path: Path) -> None:
    """The tiny Wan's weights (counted from its files) with the released Wan's activation numbers:
    about 0.5 GB for its own 32x32 video (the assumed VAE tile dominates), far more for 512x512."""
    cache = _cache(tiny_wan, tmp_path, memory_mb=600)
    big = GenerateOptions(seed=1, width=512, height=512, frames=81)
    with pytest.raises(OutOfMemory) as refused:
        generate_video("a cat", tmp_path / "big.mp4", cache=cache, options=big)
    message = str(refused.value)
    assert "tiny-wan needs about" in message and "for 81 frames of 512x512 in float32" in message
    assert (
        "600 MB is available; would fit: --dtype bfloat16 --frames 57; --dtype bfloat16 --width 400 --height 400"
        in message
    )
    assert cache.stats.loads == 0 and not list(tmp_path.glob("big*"))  # nothing loaded, nothing written
    with pytest.raises(OutOfMemory, match=r"in bfloat16, .*would fit: --frames \d+; --width \d+ --height \d+$"):
        generate_video("a cat", tmp_path / "big.mp4", cache=cache, options=big, load=LoadOptions(dtype="bfloat16"))
    made = generate_video("a cat", tmp_path / "tiny.mp4", cache=cache, options=GenerateOptions(seed=1))
    assert made.frames == 9 and cache.stats.loads == 1


def _made(cache: ModelCache, load: LoadOptions) -> np.ndarray:
    """The adapter's own frames (the MP4 encoder is not bit-exact from run to run here)."""
    request = resolve_request("a red car", GenerateOptions(seed=5), cache.registry.get("tiny-wan").params, 5)
    return cache.get("tiny-wan", "cpu", load, kind=TextToVideoModel).generate(request, lambda done, total: None)


def test_an_attention_backend_by_name_makes_the_same_video(tiny_wan: Path, tmp_path: Path) -> None:
    cache = _cache(tiny_wan, tmp_path)
    native = LoadOptions(attention="native")
    assert np.array_equal(_made(cache, LoadOptions()), _made(cache, native))
    assert np.array_equal(_made(cache, LoadOptions(attention="_native_math")), _made(cache, native))
    made = generate_video("a red car", tmp_path / "native.mp4", cache=cache, load=native)
    assert made.attention == "native" and json.loads((tmp_path / "native.json").read_text())["attention"] == "native"
    loads = cache.stats.loads  # each load option its own cache entry
    from diffusers.models.attention_dispatch import _AttentionBackendRegistry

    assert _AttentionBackendRegistry._active_backend.value == "native"  # the process-wide default untouched
    for name, why in (("no-such-backend", "is not one for cpu"), ("flash", "is not one for cpu"),
                      ("flash_hub", "downloads its kernels at run time")):  # fmt: skip
        with pytest.raises(InputError, match=rf"attention backend '{name}' {why}; expected one of .*native"):
            generate_video("a cat", tmp_path / "x.mp4", cache=cache, load=LoadOptions(attention=name))
    assert cache.stats.loads == loads  # refused before any weights loaded


@pytest.mark.slow
def test_compile_makes_a_video_close_to_the_eager_one(tiny_wan: Path, tmp_path: Path) -> None:
    """torch.compile of the tiny Wan's transformer blocks on a CPU (needs a C compiler: ~30 s)."""
    import shutil

    assert shutil.which("gcc") or shutil.which("cc"), "torch.compile on a CPU needs gcc: scripts/setup.sh installs it"
    cache = _cache(tiny_wan, tmp_path)
    eager, compiled = _made(cache, LoadOptions()).astype(int), _made(cache, LoadOptions(compile=True)).astype(int)
    assert np.abs(eager - compiled).max() <= 2  # the same video up to float rounding
    made = generate_video("a red car", tmp_path / "compiled.mp4", cache=cache, load=LoadOptions(compile=True))
    assert made.compile and json.loads((tmp_path / "compiled.json").read_text())["compile"] is True


def test_a_second_family_tiny_ltx_video_from_a_local_folder(tmp_path_factory: pytest.TempPathFactory,
                                                            tmp_path: Path) -> None:  # fmt: skip
    folder = save_tiny_ltx(tmp_path_factory.mktemp("tiny-ltx"))
    ltx = next(spec for spec in SPECS if spec.name == "ltx-video")
    tiny = dataclasses.replace(ltx, name="tiny-ltx", source=f"path:{folder}", params={**ltx.params, **TINY, "fps": 24})
    cache = ModelCache(Registry([tiny]), Settings(tmp_path, tmp_path / "m", tmp_path / "o", device="cpu"))
    steps: list[str] = []
    made = generate_video("a dog on the beach", tmp_path / "a.mp4", cache=cache, options=GenerateOptions(seed=2),
                          progress=lambda _, m: steps.append(m))  # fmt: skip
    info = media.probe(tmp_path / "a.mp4")
    assert (info.width, info.height, info.frame_count, info.fps, made.model) == (32, 32, 9, 24, "tiny-ltx")
    assert "denoising step 3 of 3" in steps
    generate_video("a dog on the beach", tmp_path / "b.mp4", cache=cache, options=GenerateOptions(seed=2, fps=30))
    again = media.probe(tmp_path / "b.mp4")  # 24 -> 30 fps by interpolation: exact rate, same duration
    assert (again.fps, again.frame_count) == (30, round(9 * 30 / 24))
    generate_video("a dog on the beach", tmp_path / "c.mp4", cache=cache, options=GenerateOptions(seed=2))
    assert np.array_equal(_frames(tmp_path / "a.mp4"), _frames(tmp_path / "c.mp4")) and cache.stats.loads == 1
    with pytest.raises(InputError, match="1 \\+ a multiple of 8: got 13, try 9 or 17"):
        generate_video("a dog", tmp_path / "d.mp4", cache=cache, options=GenerateOptions(frames=13))
    # image-to-video: the same loaded modules in LTX's image-to-video pipeline, a picture as the start
    from PIL import Image

    pictures = []
    for name, colour in (("red", (220, 30, 30)), ("blue", (30, 30, 220))):
        Image.new("RGB", (32, 32), colour).save(tmp_path / f"{name}.png")
        generate_video("a dog", tmp_path / f"{name}.mp4", cache=cache,
                       options=GenerateOptions(seed=2, image=str(tmp_path / f"{name}.png")))  # fmt: skip
        pictures.append(_frames(tmp_path / f"{name}.mp4"))
    assert pictures[0].shape == pictures[1].shape == (9, 32, 32, 3) and cache.stats.loads == 1
    assert not np.array_equal(pictures[0], pictures[1]) and not np.array_equal(pictures[0], _frames(tmp_path / "a.mp4"))
    assert json.loads((tmp_path / "red.json").read_text())["image"] == str(tmp_path / "red.png")
    (tmp_path / "fake.png").write_text("not a picture")
    with pytest.raises(InputError, match="not a picture the start image can be made from"):
        generate_video(
            "a dog", tmp_path / "e.mp4", cache=cache, options=GenerateOptions(image=str(tmp_path / "fake.png"))
        )


def test_tiny_wan_image_to_video_from_a_start_image(tmp_path: Path) -> None:
    """The Wan 2.1 image-to-video spec on a tiny random pipeline: the start image conditions the
    video (through the CLIP image embedding and the first frame's latents); none is refused."""
    from PIL import Image

    i2v = next(spec for spec in SPECS if spec.name == "wan2.1-i2v-14b-480p")
    folder = save_tiny_wan_i2v(tmp_path / "wan-i2v")
    tiny = dataclasses.replace(i2v, name="tiny-wan-i2v", source=f"path:{folder}", params={**i2v.params, **TINY})
    cache = ModelCache(Registry([tiny]), Settings(tmp_path, tmp_path / "m", tmp_path / "o", device="cpu"))
    made = []
    for name, colour in (("red", (220, 30, 30)), ("blue", (30, 30, 220))):
        Image.new("RGB", (32, 32), colour).save(tmp_path / f"{name}.png")
        request = resolve_request("a dog", GenerateOptions(seed=2, image=str(tmp_path / f"{name}.png")), tiny.params, 2)
        model = cache.get("tiny-wan-i2v", "cpu", kind=TextToVideoModel)
        made.append(model.generate(request, lambda done, total: None))
    assert made[0].shape == made[1].shape == (9, 32, 32, 3) and not np.array_equal(made[0], made[1])
    video = generate_video("a dog", tmp_path / "red.mp4", cache=cache,
                           options=GenerateOptions(seed=2, image=str(tmp_path / "red.png")))  # fmt: skip
    assert media.probe(tmp_path / "red.mp4").frame_count == 9 and video.image == str(tmp_path / "red.png")
    with pytest.raises(InputError, match="tiny-wan-i2v makes video from a start image: give one"):
        generate_video("a dog", tmp_path / "none.mp4", cache=cache)
    assert cache.stats.loads == 1


def test_a_text_only_model_refuses_a_start_image_and_names_one_that_takes_it(tiny_wan: Path, tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (32, 32)).save(tmp_path / "start.png")
    wan = next(spec for spec in SPECS if spec.name == "wan2.1-t2v-1.3b")
    tiny = dataclasses.replace(wan, name="tiny-wan", source=f"path:{tiny_wan}", params={**wan.params, **TINY})
    registry = Registry([tiny, *(spec for spec in SPECS if spec.can("image-to-video"))])
    cache = ModelCache(registry, Settings(tmp_path, tmp_path / "m", tmp_path / "o", device="cpu"))
    with pytest.raises(InputError, match=r"tiny-wan makes video from text only; .* ltx-video, wan2\.1-i2v-14b-480p"):
        generate_video("a cat", tmp_path / "x.mp4", model="tiny-wan", cache=cache,
                       options=GenerateOptions(image=str(tmp_path / "start.png")))  # fmt: skip
    assert cache.stats.loads == 0


def test_a_tiny_lora_changes_the_video_and_unloading_restores_it(tiny_wan: Path, tmp_path: Path) -> None:
    lora = save_tiny_lora(tiny_wan, tmp_path / "lora")
    cache = _cache(tiny_wan, tmp_path)

    def make(name: str, **options: object) -> np.ndarray:
        generate_video("a cat", tmp_path / f"{name}.mp4", cache=cache, options=GenerateOptions(seed=4, **options))
        return _frames(tmp_path / f"{name}.mp4").astype(int)

    base = make("base")
    full = make("full", loras=((str(lora), 1.0),))
    half = make("half", loras=((str(lora), 0.5),))
    restored = make("restored")
    assert np.abs(full - base).mean() > 2 and np.abs(half - full).mean() > 1  # the LoRA and its scale show
    assert np.array_equal(restored, base)  # unloaded: the base weights alone again
    sidecar = json.loads((tmp_path / "half.json").read_text())
    assert sidecar["loras"] == [[str(lora), 0.5]] and cache.stats.loads == 1
    with pytest.raises(InputError, match=r"expected a LoRA \.safetensors file on this machine"):
        GenerateOptions(loras=((str(tmp_path / "missing.safetensors"), 1.0),))
    with pytest.raises(InputError, match=r"expected a LoRA scale between -8\.0 and 8\.0, got 20\.0"):
        GenerateOptions(loras=((str(lora), 20.0),))
    assert parse_lora("style.safetensors:0.8") == ("style.safetensors", 0.8)
    assert parse_lora("C:/loras/style.safetensors") == ("C:/loras/style.safetensors", 1.0)


def test_a_scheduler_by_name_and_back_to_the_models_own(tmp_path: Path) -> None:
    cache = _cache(save_tiny_wan(tmp_path / "wan", unipc=True), tmp_path)  # the released Wan's scheduler

    def make(name: str, scheduler: str | None) -> np.ndarray:
        generate_video(
            "a dog", tmp_path / f"{name}.mp4", cache=cache, options=GenerateOptions(seed=6, scheduler=scheduler)
        )
        return _frames(tmp_path / f"{name}.mp4")

    own = make("own", None)
    other = make("dpm", "DPMSolverMultistepScheduler")
    assert not np.array_equal(own, other) and np.array_equal(make("again", None), own)
    assert json.loads((tmp_path / "dpm.json").read_text())["scheduler"] == "DPMSolverMultistepScheduler"
    with pytest.raises(InputError, match=r"cannot use scheduler 'NoSuchScheduler'; it can use .*UniPCMultistep"):
        make("bad", "NoSuchScheduler")


@pytest.mark.gpu
def test_tiny_wan_on_cuda_in_bfloat16_with_model_offload(tiny_wan: Path, tmp_path: Path) -> None:
    cache = _cache(tiny_wan, tmp_path, device="cuda")
    for offload in ("none", "model"):
        result = generate_video("a cat", tmp_path / f"{offload}.mp4", cache=cache, options=GenerateOptions(seed=3),
                                load=LoadOptions(dtype="bfloat16", offload=offload))  # fmt: skip
        assert result.device == "cuda" and media.probe(tmp_path / f"{offload}.mp4").frame_count == 9


@pytest.mark.gpu
def test_generate_jobs_share_the_one_device_slot_on_cuda(tiny_wan: Path, tmp_path: Path) -> None:
    """Two generation jobs submitted at once through the service's runner run one after the
    other on the GPU, each with its seed, and make identical videos from the same seed."""
    from studio.service import JobRunner, default_job_kinds

    runner = JobRunner(tmp_path / "jobs", default_job_kinds(_cache(tiny_wan, tmp_path, device="cuda")), workers=2)
    runner.start()
    try:
        settings = {"prompt": "a cat", "seed": 5, "dtype": "bfloat16"}
        jobs = [runner.submit("generate", settings), runner.submit("generate", settings)]
        done = [runner.wait(job.id, 300) for job in jobs]
        assert [job.status for job in done] == ["done", "done"], [job.error for job in done]
        first, second = sorted(done, key=lambda job: job.started_at or 0)
        assert second.started_at is not None and first.finished_at is not None
        assert second.started_at >= first.finished_at  # never two models computing at once on the device
        a, b = (_frames(job.output_paths()["video"]) for job in done)
        assert np.array_equal(a, b) and done[0].summary["seed"] == 5
    finally:
        runner.close()


def test_the_deprecated_modelscope_family_through_its_older_callback(tmp_path: Path) -> None:
    """TextToVideoSDPipeline calls back through ``callback``: progress, seeds and cancel still hold."""
    folder = save_tiny_modelscope(tmp_path / "ms")
    base = next(spec for spec in SPECS if spec.name == "modelscope-t2v-1.7b")
    assert base.non_commercial  # CC-BY-NC-4.0: flagged in `models list` and the UI
    tiny = dataclasses.replace(base, name="tiny-ms", source=f"path:{folder}",
                               params={**base.params, "width": 32, "height": 32, "frames": 8, "steps": 3})  # fmt: skip
    cache = ModelCache(Registry([tiny]), Settings(tmp_path, tmp_path / "m", tmp_path / "o", device="cpu"))
    steps: list[str] = []
    made = generate_video("a red car", tmp_path / "a.mp4", cache=cache, options=GenerateOptions(seed=3),
                          progress=lambda _, m: steps.append(m))  # fmt: skip
    assert (made.frames, made.fps, made.width) == (8, 8, 32) and media.probe(tmp_path / "a.mp4").frame_count == 8
    assert steps[:4] == ["loading tiny-ms", "denoising step 1 of 3", "denoising step 2 of 3", "denoising step 3 of 3"]
    generate_video("a red car", tmp_path / "b.mp4", cache=cache, options=GenerateOptions(seed=3))
    assert np.array_equal(_frames(tmp_path / "a.mp4"), _frames(tmp_path / "b.mp4"))
    stop = threading.Event()

    def cancel_after_one(fraction: float, stage: str) -> None:
        if stage.startswith("denoising"):
            stop.set()

    with pytest.raises(Cancelled):
        generate_video("a red car", tmp_path / "c.mp4", cache=cache, progress=cancel_after_one, cancel=stop)
    assert not (tmp_path / "c.mp4").exists() and cache.stats.loads == 1


def test_a_wan_2_2_shaped_pipeline_makes_video_from_text_and_from_a_start_image(tmp_path: Path) -> None:
    from PIL import Image

    folder = save_tiny_wan22(tmp_path / "wan22")
    base = next(spec for spec in SPECS if spec.name == "wan2.2-ti2v-5b")
    tiny = dataclasses.replace(base, name="tiny-wan22", source=f"path:{folder}",
                               params={**base.params, **TINY, "width": 64, "height": 64, "fps": 24})  # fmt: skip
    cache = ModelCache(Registry([tiny]), Settings(tmp_path, tmp_path / "m", tmp_path / "o", device="cpu"))
    generate_video("a red car", tmp_path / "text.mp4", cache=cache, options=GenerateOptions(seed=1))
    with pytest.raises(InputError, match="widths of a multiple of 32: got 48, try 32 or 64"):
        generate_video("a red car", tmp_path / "x.mp4", cache=cache, options=GenerateOptions(width=48))
    videos = {}
    for name, colour in (("red", (220, 30, 30)), ("blue", (30, 30, 220))):
        Image.new("RGB", (64, 64), colour).save(tmp_path / f"{name}.png")
        generate_video("a red car", tmp_path / f"{name}.mp4", cache=cache,
                       options=GenerateOptions(seed=1, image=str(tmp_path / f"{name}.png")))  # fmt: skip
        videos[name] = _frames(tmp_path / f"{name}.mp4")
    text = _frames(tmp_path / "text.mp4")
    assert text.shape == videos["red"].shape == (9, 64, 64, 3) and cache.stats.loads == 1
    assert not np.array_equal(videos["red"], videos["blue"]) and not np.array_equal(videos["red"], text)
