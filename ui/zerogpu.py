"""ZeroGPU on Hugging Face Spaces: heavy work runs inside ``spaces.GPU`` when the ``spaces``
package is importable (on a ZeroGPU Space it attaches a GPU for the call; elsewhere the
package makes it a no-op). Without the package the work runs as it is."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

__all__ = ["GPU_SECONDS", "on_gpu"]

F = TypeVar("F", bound=Callable[..., object])
GPU_SECONDS = 120  # what one call may hold a ZeroGPU device for


def on_gpu(function: F) -> F:
    try:
        import spaces
    except ImportError:
        return function
    gpu: F = spaces.GPU(duration=GPU_SECONDS)(function)
    return gpu
