"""A prompt in, an MP4 out: text-to-video with any registered generation model.

The pipeline resolves the model and every default (:func:`studio.generation.resolve_request`)
before loading anything, draws a seed when none is given (and records it), reports progress
and checks cancel after every denoising step, once for every family, and writes the frames
atomically: the video appears only when complete, and a cancel, an error or a signal leaves
the old file (if any) as it was. Beside the video go its first frame as a PNG thumbnail and
a JSON sidecar (every setting, the seed, model, revision, load options, library versions and
timings) from which ``studio generate --from`` makes it again. Nothing here knows a concrete
model family.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from studio import media
from studio.core import (
    CancelFlag,
    CorruptMedia,
    InputError,
    ModelLoadError,
    Progress,
    atomic_path,
    check_cancel,
    check_outputs,
    write_json,
)
from studio.generation.contract import GeneratedVideo, TextToVideoModel
from studio.generation.memory import check_fits
from studio.generation.options import MAX_SEED, GenerateOptions, resolve_request
from studio.registry import LoadOptions, ModelCache, ModelSpec, default_cache

__all__ = ["check_image", "generate_video", "library_versions", "save_picture", "sidecar_path"]

TASK = "text-to-video"
WRITE_SHARE = 0.05  # of the progress bar: encoding after the last step
VERSIONED = ("media-studio", "torch", "diffusers", "transformers", "accelerate", "av")


def _checked_frames(frames: np.ndarray, spec: ModelSpec, height: int, width: int) -> np.ndarray:
    if frames.ndim != 4 or frames.shape[1:] != (height, width, 3) or frames.dtype != np.uint8:
        raise ModelLoadError(f"{spec.name}'s adapter returned {frames.dtype} frames of shape {frames.shape}, "
                             f"expected uint8 T×{height}×{width}×3")  # fmt: skip
    return frames


def generate_video(
    prompt: str,
    output: str | os.PathLike[str],
    *,
    model: str | None = None,
    options: GenerateOptions | None = None,
    load: LoadOptions | None = None,
    device: str | None = None,
    cache: ModelCache | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> GeneratedVideo:
    """Generate a video from ``prompt`` into ``output`` (.mp4, .m4v, .mov or .mkv).

    ``load`` picks dtype and CPU offload (part of the model cache's key). Cancelling raises
    :class:`~studio.core.errors.Cancelled` and writes nothing.
    """
    options = options or GenerateOptions()
    cache = cache or default_cache()
    media.check_video_suffix(output)
    check_outputs([], [output, Path(output).with_suffix(".png"), sidecar_path(output)])
    spec = cache.registry.choose(TASK, model, cache.settings)
    seed = options.seed if options.seed is not None else secrets.randbelow(MAX_SEED + 1)
    request = resolve_request(prompt, options, spec.params, seed)
    check_image(request.image, spec, cache)
    device = device or cache.settings.resolve_device()
    check_cancel(cancel, "generation")
    check_fits(spec, request, device, load, cache)  # refuses what cannot fit, before any weights load
    if progress is not None:
        progress(0.0, f"loading {spec.name}")  # minutes for a cold multi-GB pipeline: said, not "starting"
    generator = cache.get(spec.name, device, load, kind=TextToVideoModel)
    started = time.perf_counter()

    def on_step(done: int, total: int) -> None:
        if progress is not None:
            progress((1 - WRITE_SHARE) * done / max(1, total), f"denoising step {done} of {total}")
        check_cancel(cancel, "generation")

    frames = _checked_frames(generator.generate(request, on_step), spec, request.height, request.width)
    stream = iter(frames) if request.fps == request.model_fps else media.retime(frames, request.model_fps, request.fps)
    written = 0
    with media.VideoWriter(output, fps=request.fps) as writer:
        for frame in stream:
            writer.write(frame)
            written += 1
    thumbnail = save_picture(frames[0], Path(output).with_suffix(".png"))
    if progress is not None:
        progress(1.0, f"{written} frames written")
    made = {**dataclasses.asdict(request), "frames": len(frames), "video_frames": written}
    load = load or LoadOptions()
    video = GeneratedVideo(
        **made, path=os.fsdecode(output), model=spec.name, device=device,
        processing_s=round(time.perf_counter() - started, 3), revision=spec.revision, dtype=load.dtype,
        offload=load.offload, attention=load.attention, compile=load.compile, thumbnail=os.fsdecode(thumbnail),
        versions=library_versions(),
    )  # fmt: skip
    write_json(sidecar_path(output), video.to_dict())
    return video


def check_image(image: str, spec: ModelSpec, cache: ModelCache) -> None:
    """A start image needs a model that takes one, and must be a picture within the media
    limits (:func:`studio.media.open_picture`); a model that makes video only from an image
    needs one. Checked before any weights load."""
    able = [s.name for s in cache.registry.specs(TASK) if s.can("image-to-video")]
    if image and not spec.can("image-to-video"):
        raise InputError(f"{spec.name} makes video from text only; for a start image use one of: {', '.join(able)}")
    if not image and spec.params.get("image_only"):
        raise InputError(f"{spec.name} makes video from a start image: give one (--image)")
    if image:
        try:  # a regular file, its size held to MEDIA_STUDIO_MAX_PIXELS from its header (RefusedMedia)
            with media.open_picture(image) as picture:
                picture.verify()
        except CorruptMedia:
            raise InputError(f"{image}: not a picture the start image can be made from") from None
        except (OSError, SyntaxError, ValueError, EOFError):  # what Pillow's verify says of damage
            raise InputError(f"{image}: not a picture the start image can be made from (it is damaged)") from None


def sidecar_path(video: str | os.PathLike[str]) -> Path:
    """Where a generated video's JSON sidecar is written: beside it, ``.json`` for its suffix."""
    return Path(video).with_suffix(".json")


def library_versions() -> dict[str, str]:
    """The versions of the libraries that shape a generated video, where installed."""
    found = {}
    for name in VERSIONED:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def save_picture(frame: np.ndarray, target: Path) -> Path:
    """``frame`` as a PNG at ``target``, written atomically (thumbnails, start images)."""
    from PIL import Image

    with atomic_path(target) as temporary:
        Image.fromarray(frame).save(temporary, format="PNG")
    return target
