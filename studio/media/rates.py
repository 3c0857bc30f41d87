"""Exact frame rates: from user input, from a stream's header, and whether timing is regular."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from studio.core import InputError

__all__ = ["MAX_FPS", "as_fps", "declared_fps", "is_irregular"]

MAX_FPS = 10_000  # far above any camera (high-speed ones record 1000 fps); beyond this is a typo
_EXAMPLES = "like 25, 29.97 or 30000/1001"


def as_fps(value: Fraction | int | float | str) -> Fraction:
    """An exact frame rate from user input: ``"30000/1001"``, ``29.97``, ``25``.

    Floats near an NTSC rate (n·1000/1001) snap to it, so ``29.97`` is ``30000/1001`` (a whole
    float such as ``3.0`` stays whole); other
    floats keep at most a 1001 denominator. Rates must lie in ``[1/1001, 10000]``: a value
    that rounds to zero, infinity, NaN or a typo of ``1e400`` is an :class:`InputError`
    naming the value.
    """
    if isinstance(value, bool):
        raise InputError(f"expected a frame rate {_EXAMPLES}, got {value!r}")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text) if any(c in text.lower() for c in ".einf") else Fraction(text)
        except (ValueError, ZeroDivisionError, OverflowError):
            raise InputError(f"expected a frame rate {_EXAMPLES}, got {text!r}") from None
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(f"expected a finite frame rate {_EXAMPLES}, got {value!r}")
        if abs(value) > MAX_FPS:
            raise InputError(f"expected a frame rate of at most {MAX_FPS}, got {value!r}")
        ntsc = Fraction(round(value * 1.001) * 1000, 1001)
        if value.is_integer():  # 3.0 from a form is 3, never its NTSC neighbour 3000/1001
            ntsc = Fraction(int(value))
        fps = ntsc if ntsc > 0 and abs(float(ntsc) - value) < 0.005 else Fraction(value).limit_denominator(1001)
        if fps == 0 and value > 0:
            raise InputError(f"frame rate {value!r} rounds to zero; the smallest is 1/1001 (one frame in 1001 s)")
    else:
        fps = Fraction(value)
    shown = str(value) if isinstance(value, Fraction) else repr(value)
    if fps <= 0:
        raise InputError(f"expected a positive frame rate, got {shown}")
    if fps > MAX_FPS:
        raise InputError(f"expected a frame rate of at most {MAX_FPS}, got {shown}")
    if fps < Fraction(1, 1001):
        raise InputError(f"frame rate {shown} is below the smallest, 1/1001 (one frame in 1001 s)")
    return fps


def declared_fps(stream: Any) -> Fraction | None:
    """The rate a video stream's header declares, exact; ``None`` when it declares none."""
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            return Fraction(rate)
    return None


def is_irregular(times_s: np.ndarray, tick_s: float) -> bool:
    """True when frame times stray from one constant rate by more than rounding explains.

    Fits ``t_i = t_0 + i * mean_interval``; constant-rate video whose timestamps were
    rounded (29.97 fps in 1 ms ticks gives 33/34 ms steps) stays within one rounding
    step, while a dropped, duplicated or re-timed frame moves every later frame.
    """
    if times_s.size < 3:
        return False
    mean_interval = (times_s[-1] - times_s[0]) / (times_s.size - 1)
    residual = times_s - (times_s[0] + np.arange(times_s.size) * mean_interval)
    rounding = max(tick_s, 0.001)  # containers such as MKV and FLV keep milliseconds
    return bool(np.max(np.abs(residual)) > rounding + 0.05 * mean_interval)
