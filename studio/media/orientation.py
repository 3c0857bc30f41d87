"""Frames the right way up: a display matrix (a phone's portrait clip stored landscape) is
honoured, so models, timelines and annotated videos all see what a player shows."""

from __future__ import annotations

import numpy as np

__all__ = ["display_size", "quarter_turns", "upright"]


def quarter_turns(rotation: float | int | None) -> int:
    """A display rotation in degrees counter-clockwise (PyAV's ``VideoFrame.rotation``) as
    0-3 quarter turns; angles between quarters go to the nearest one."""
    if not rotation:
        return 0
    return round(float(rotation) / 90) % 4


def display_size(width: int, height: int, rotation: float | int | None) -> tuple[int, int]:
    """The displayed ``(width, height)`` of frames stored ``width×height``."""
    return (height, width) if quarter_turns(rotation) % 2 else (width, height)


def upright(image: np.ndarray, rotation: float | int | None) -> np.ndarray:
    """``image`` (H×W×C, as stored) turned as the display matrix says, contiguous."""
    turns = quarter_turns(rotation)
    if turns == 0:
        return image
    return np.ascontiguousarray(np.rot90(image, k=turns))
