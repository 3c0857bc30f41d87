"""Shared by the adapters that take pictures: :func:`check_rgb_images`, the one refusal of
anything but H×W×3 uint8 RGB, naming the model and the first bad picture."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from studio.core import InputError

__all__ = ["check_rgb_images"]


def check_rgb_images(name: str, images: Sequence[Any], what: str = "image") -> None:
    """Raise :class:`InputError` for the first of ``images`` that is not an H×W×3 uint8 array of
    at least one pixel ("clip-vit-base-patch32 takes H×W×3 uint8 RGB images, got image 1 with
    shape (8, 8) dtype uint8"); ``what`` names the pictures ("frame" for a clip's)."""
    for number, image in enumerate(images):
        shape, dtype = getattr(image, "shape", None), getattr(image, "dtype", None)
        if shape is None or len(shape) != 3 or shape[2] != 3 or dtype != np.uint8 or min(shape[:2]) < 1:
            raise InputError(
                f"{name} takes H×W×3 uint8 RGB {what}s, got {what} {number} with shape {shape} dtype {dtype}"
            )
