"""What to generate: :class:`GenerateOptions` (what a user asks, ``None`` for the model's own
default) resolved against a family's rules into a :class:`GenerationRequest` (every choice
made), and the limits every request is checked against.

A family's rules live in its spec's ``params``: default ``width``, ``height``, ``frames``,
``fps`` (the rate it makes frames at: a request for another rate is met by motion-compensated
interpolation, :mod:`studio.media.retime`), ``steps`` and ``guidance_scale``, and the shapes
it can make: ``size_multiple`` (sides divisible by it) and ``frame_step`` (``frames - 1``
divisible by it, as the temporal VAEs of Wan, LTX-Video and CogVideoX need).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from studio import media
from studio.core import InputError, MediaError

__all__ = [
    "MAX_DURATION_S",
    "MAX_SEED",
    "GenerateOptions",
    "GenerationRequest",
    "parse_lora",
    "resolve_request",
]

MAX_SEED = 2**32 - 1  # what torch.Generator.manual_seed and numpy take everywhere
MAX_SIDE = 4096
MAX_FRAMES = 1025
MAX_STEPS = 500
MAX_DURATION_S = 120.0
MAX_LORA_SCALE = 8.0  # far past any useful strength; beyond it a typo, not a choice


def _check_local(path: str, what: str) -> None:
    """``path`` is a regular local file (:func:`studio.media.check_local_file`), or an
    :class:`InputError` that says what it is instead."""
    try:
        media.check_local_file(path)
    except MediaError as exc:
        reason = f"no such picture for {what}" if exc.reason.startswith("no such file") else exc.reason
        raise InputError(f"{path}: {reason}") from None


@dataclass(frozen=True)
class GenerateOptions:
    """What to make; ``None`` takes the model's own default (its spec's ``params``)."""

    negative_prompt: str = ""
    seed: int | None = None  # None: a random seed, recorded in the result so the video can be made again
    steps: int | None = None
    guidance_scale: float | None = None
    width: int | None = None
    height: int | None = None
    frames: int | None = None
    fps: int | None = None
    loras: tuple[tuple[str, float], ...] = ()  # (a local .safetensors LoRA file, its scale)
    duration_s: float | None = None  # instead of frames: the nearest count the model can make
    scheduler: str | None = None  # a diffusers scheduler class compatible with the model; None: its own
    image: str | None = None  # image-to-video: a local picture, the video's first frame

    def __post_init__(self) -> None:
        if self.image is not None:
            _check_local(self.image, "the start image")
        if self.duration_s is not None:
            if self.frames is not None:
                raise InputError("give frames or a duration, not both")
            if not 0 < self.duration_s <= MAX_DURATION_S:
                raise InputError(
                    f"expected 0 < duration (--duration) <= {MAX_DURATION_S} seconds, got {self.duration_s}"
                )
        for path, scale in self.loras:
            if not str(path).endswith(".safetensors"):
                raise InputError(f"expected a LoRA .safetensors file on this machine, got {path!r}")
            try:
                media.check_local_file(path)
            except MediaError as exc:
                raise InputError(f"expected a LoRA .safetensors file on this machine, got {path!r} "
                                 f"({exc.reason})") from None  # fmt: skip
            if not -MAX_LORA_SCALE <= scale <= MAX_LORA_SCALE:
                raise InputError(f"expected a LoRA scale between -{MAX_LORA_SCALE} and {MAX_LORA_SCALE}, got {scale}")
        checks = (
            ("seed", self.seed, 0, MAX_SEED),
            ("steps", self.steps, 1, MAX_STEPS),
            ("width", self.width, 16, MAX_SIDE),
            ("height", self.height, 16, MAX_SIDE),
            ("frames", self.frames, 1, MAX_FRAMES),
            ("fps", self.fps, 1, 120),
        )
        for name, value, low, high in checks:
            if value is not None and not low <= value <= high:
                raise InputError(f"expected {low} <= {name} (--{name}) <= {high}, got {value}")
        if self.guidance_scale is not None and not 0 <= self.guidance_scale <= 50:
            raise InputError(f"expected 0 <= guidance_scale (--guidance) <= 50, got {self.guidance_scale}")


@dataclass(frozen=True)
class GenerationRequest:
    """A generation with every choice made: what an adapter receives."""

    prompt: str
    negative_prompt: str
    seed: int
    steps: int
    guidance_scale: float
    width: int
    height: int
    frames: int  # what the model makes
    fps: int  # the video's rate
    model_fps: int  # the rate the model makes frames at; another ``fps`` is met by interpolation
    loras: tuple[tuple[str, float], ...]  # LoRA weight files and their scales, applied for this video
    scheduler: str  # a diffusers scheduler class name; "" is the model's own
    image: str  # the start image (image-to-video); "" for none


def _fit(name: str, value: int, multiple: int, offset: int = 0) -> None:
    if multiple > 1 and (value - offset) % multiple:
        below = (value - offset) // multiple * multiple + offset
        raise InputError(
            f"this model makes {name} of {'1 + ' if offset else ''}a multiple of {multiple}: "
            f"got {value}, try {max(below, multiple + offset)} or {below + multiple}"
        )


def _frames_for(duration_s: float | None, params: dict[str, Any]) -> int | None:
    """The frame count nearest ``duration_s`` at the model's own rate that it can make."""
    if duration_s is None:
        return None
    step = int(params.get("frame_step", 1))
    wanted = duration_s * int(params.get("fps", 16))
    return 1 + step * max(1, round((wanted - 1) / step))


def parse_lora(text: str) -> tuple[str, float]:
    """``"style.safetensors:0.8"`` -> (path, 0.8); no scale is 1.0."""
    path, sep, scale = text.strip().rpartition(":")
    if sep and path:
        try:
            return path, float(scale)
        except ValueError:
            pass
    return text.strip(), 1.0


def resolve_request(prompt: str, options: GenerateOptions, params: dict[str, Any], seed: int) -> GenerationRequest:
    """``options`` with the model's defaults filled in, checked against its shape rules."""
    prompt = prompt.strip()
    if not prompt:
        raise InputError("the prompt is empty: describe the video to make")
    request = GenerationRequest(
        prompt=prompt,
        negative_prompt=options.negative_prompt.strip(),
        seed=seed,
        steps=options.steps or int(params.get("steps", 30)),
        guidance_scale=float(
            params.get("guidance_scale", 5.0) if options.guidance_scale is None else options.guidance_scale
        ),
        width=options.width or int(params.get("width", 832)),
        height=options.height or int(params.get("height", 480)),
        frames=options.frames or _frames_for(options.duration_s, params) or int(params.get("frames", 33)),
        fps=options.fps or int(params.get("fps", 16)),
        model_fps=int(params.get("fps", 16)),
        loras=tuple((os.path.abspath(path), float(scale)) for path, scale in options.loras),
        scheduler=(options.scheduler or "").strip(),
        image=os.path.abspath(options.image) if options.image else "",
    )
    multiple = int(params.get("size_multiple", 1))
    _fit("widths", request.width, multiple)
    _fit("heights", request.height, multiple)
    _fit("frame counts", request.frames, int(params.get("frame_step", 1)), offset=1)
    return request
