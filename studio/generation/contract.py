"""The text-to-video contract every generation adapter follows, and what a generation makes.

An adapter's loaded model is a :class:`TextToVideoModel`: ``generate(request, on_step)``
takes a fully resolved :class:`~studio.generation.options.GenerationRequest` and returns the
frames, ``T×H×W×3`` uint8 RGB. It calls ``on_step(done, total)`` after every denoising step;
the pipeline (:mod:`studio.generation.generate`) reports progress and checks cancel there,
raising :class:`~studio.core.Cancelled` through the adapter, once for every family.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from studio.core import SCHEMA_VERSION, JsonResult
from studio.generation.options import GenerationRequest

__all__ = ["GeneratedVideo", "TextToVideoModel"]


@runtime_checkable
class TextToVideoModel(Protocol):
    memory_mb: int

    def generate(self, request: GenerationRequest, on_step: Callable[[int, int], None]) -> np.ndarray: ...


@dataclass(frozen=True)
class GeneratedVideo(GenerationRequest, JsonResult):
    """One generated video: the request that made it (so it can be made again with
    ``studio generate --from`` its sidecar), where it is, the model, device, load options and
    library versions, and how long it took."""

    path: str
    model: str
    device: str
    processing_s: float
    revision: str | None = None  # the model's pinned revision, when its spec has one
    dtype: str | None = None  # load options: None is the adapter's default for the device
    offload: str = "none"
    attention: str | None = None  # the attention backend it was loaded with; None: the library's default
    compile: bool = False  # whether the denoiser ran through torch.compile
    thumbnail: str | None = None  # the first frame as PNG, beside the video
    video_frames: int = 0  # frames in the video: ``frames`` at ``model_fps`` brought to ``fps``
    versions: dict[str, str] = field(default_factory=dict)  # library versions that made it
    schema_version: int = SCHEMA_VERSION

    @property
    def duration_s(self) -> float:
        return (self.video_frames or self.frames) / self.fps

    def json_extras(self) -> dict[str, Any]:
        return {"duration_s": self.duration_s}
