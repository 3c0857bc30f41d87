"""A new frame rate by motion-compensated interpolation, never by duplicating or retiming.

Frames made at ``source_fps`` become frames at ``target_fps`` over the same duration: output
frame ``j`` shows time ``j / target_fps``. A time that falls on a source frame is that frame;
a time between frames ``i`` and ``i + 1`` is drawn from both, each warped along the optical
flow (OpenCV's DIS, dense, both ways) to where its pixels are at that moment, then blended by
nearness:

    I(t)(x) = (1 - a) · I_i(x + F_t→i(x)) + a · I_i+1(x + F_t→i+1(x))
    F_t→i = -(1 - a)·a·F_i→i+1 + a²·F_i+1→i,   F_t→i+1 = (1 - a)²·F_i→i+1 - a·(1 - a)·F_i+1→i

with ``a`` the fraction of the way from ``i`` to ``i + 1`` (the in-between flows of Super
SloMo, Jiang et al. 2018). A moving edge lands in one place
at the in-between time instead of showing twice at half strength (what a cross-fade does).
Each pair's flows are computed once, however many output frames fall between them.

The last source frame covers a frame interval like the others, so output times fall after
it (9 frames 8 -> 16 fps: 18 frames, the last at 8.5 source frames). Those are the last frame
moved on along the motion it arrived with (the last pair's flow, splatted forward), never
the last frame again: no output frame repeats another of a moving scene. A single source
frame has no motion and stays a single frame.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import numpy as np

from studio.core import InputError

__all__ = ["in_between", "interpolated_count", "retime"]


def interpolated_count(frames: int, source_fps: Fraction | int, target_fps: Fraction | int) -> int:
    """How many frames ``frames`` at ``source_fps`` become at ``target_fps`` (same duration).
    One frame stays one frame: a still has no motion to show at other times."""
    if frames <= 1:
        return 1
    return max(1, round(Fraction(frames) * Fraction(target_fps) / Fraction(source_fps)))


def _flow(cv2: object, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    grey = cv2.COLOR_RGB2GRAY  # type: ignore[attr-defined]
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)  # type: ignore[attr-defined]
    flow: np.ndarray = dis.calc(cv2.cvtColor(a, grey), cv2.cvtColor(b, grey), None)  # type: ignore[attr-defined]
    return flow


def _warp(cv2: object, image: np.ndarray, flow: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """``image`` sampled at ``x + flow(x)``."""
    coordinates = grid + flow
    return cv2.remap(image, coordinates[..., 0], coordinates[..., 1], cv2.INTER_LINEAR,  # type: ignore[attr-defined]
                     borderMode=cv2.BORDER_REPLICATE)  # type: ignore[attr-defined]  # fmt: skip


def retime(frames: np.ndarray, source_fps: Fraction | int, target_fps: Fraction | int) -> Iterator[np.ndarray]:
    """``frames`` (T×H×W×3 uint8 RGB at ``source_fps``) as frames at ``target_fps``,
    :func:`interpolated_count` of them, streamed."""
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or len(frames) == 0:
        raise InputError(f"expected T×H×W×3 uint8 frames, got {frames.dtype} {frames.shape}")
    source, target = Fraction(source_fps), Fraction(target_fps)
    if source <= 0 or target <= 0:
        raise InputError(f"expected positive frame rates, got {source} and {target}")
    try:
        import cv2
    except ImportError:
        raise InputError(
            "a frame rate other than the model's needs OpenCV: pip install 'media-studio[vision]'"
        ) from None
    height, width = frames.shape[1:3]
    grid = np.dstack(np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)))
    pair: tuple[int, np.ndarray, np.ndarray] | None = None  # (i, flow i→i+1, flow i+1→i), the last pair used
    last = len(frames) - 1
    for j in range(interpolated_count(len(frames), source, target)):
        position = Fraction(j) * source / target  # in source frames
        i, a = int(position), float(position - int(position))
        if a == 0:
            yield frames[i]
            continue
        pair_index = min(i, last - 1)  # past the last frame, the last pair's motion carries on
        if pair is None or pair[0] != pair_index:
            early_frame, late_frame = frames[pair_index], frames[pair_index + 1]
            pair = (pair_index, _flow(cv2, early_frame, late_frame), _flow(cv2, late_frame, early_frame))
        _, forward, backward = pair
        if i == last:
            yield _extrapolated(cv2, frames[last], backward, a, grid)
            continue
        yield _between(cv2, frames[i], frames[i + 1], forward, backward, a, grid)


def _between(cv2: object, early_frame: np.ndarray, late_frame: np.ndarray, forward: np.ndarray,
             backward: np.ndarray, a: float, grid: np.ndarray) -> np.ndarray:  # fmt: skip
    """The picture ``a`` of the way from ``early_frame`` to ``late_frame``, given the flows
    between them both ways."""
    # the flows from the in-between time to each frame, from the two flows between them
    # (Jiang et al., Super SloMo, 2018): exact for steady motion, and where one flow sees
    # plain background the other still carries the moving object
    to_early = -(1 - a) * a * forward + a * a * backward
    to_late = (1 - a) * (1 - a) * forward - a * (1 - a) * backward
    early = _warp(cv2, early_frame, to_early, grid).astype(np.float32)
    late = _warp(cv2, late_frame, to_late, grid).astype(np.float32)
    return np.clip((1 - a) * early + a * late + 0.5, 0, 255).astype(np.uint8)


def in_between(early: np.ndarray, late: np.ndarray, a: float = 0.5) -> np.ndarray:
    """The picture ``a`` (0-1) of the way from ``early`` to ``late`` (H×W×3 uint8 RGB), drawn as
    :func:`retime` draws it: both warped along the DIS flow between them, blended by nearness."""
    if early.shape != late.shape or early.ndim != 3 or early.shape[-1] != 3 or early.dtype != np.uint8:
        raise InputError(f"expected two H×W×3 uint8 frames of one size, got {early.shape} and {late.shape}")
    if not 0 <= a <= 1:
        raise InputError(f"expected a fraction of the way between 0 and 1, got {a}")
    import cv2

    height, width = early.shape[:2]
    grid = np.dstack(np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)))
    return _between(cv2, early, late, _flow(cv2, early, late), _flow(cv2, late, early), a, grid)


def _extrapolated(cv2: object, image: np.ndarray, to_previous: np.ndarray, a: float, grid: np.ndarray) -> np.ndarray:
    """The last frame ``a`` of a frame interval after it, its pixels moved on at the speed they
    arrived with (``-to_previous``, the flow back to the frame before).

    The flow to the last frame from that later time is splatted forward from each pixel to
    where it goes, the faster pixel winning where two land together (a moving object passes in
    front of a still background). A place nothing lands on is background a moving object has
    uncovered: it takes the flow of the fastest pixel beside it, which samples the background
    just behind the object rather than stretching the object over it.
    """
    height, width = image.shape[:2]
    step = -a * to_previous  # where each pixel goes
    target = np.rint(grid + step).astype(np.int64)
    inside = (target[..., 0] >= 0) & (target[..., 0] < width) & (target[..., 1] >= 0) & (target[..., 1] < height)
    speed = np.hypot(step[..., 0], step[..., 1])[inside]
    order = np.argsort(speed, kind="stable")  # slowest first: the fastest is written last and stays
    at = (target[..., 1] * width + target[..., 0])[inside][order]
    flow = np.zeros((height * width, 2), np.float32)
    reached = np.full(height * width, -1.0, np.float32)  # the speed of what landed; -1: nothing did
    flow[at] = -step[inside][order]
    reached[at] = speed[order]
    flow, reached = flow.reshape(height, width, 2), reached.reshape(height, width)
    while (reached < 0).any():  # grow the flow into the gaps, the fastest neighbour first
        grown, grown_speed = flow.copy(), reached.copy()
        for axis, shift in ((0, 1), (0, -1), (1, 1), (1, -1)):
            neighbour, neighbour_speed = np.roll(flow, shift, axis), np.roll(reached, shift, axis)
            edge = (0 if shift > 0 else -1, slice(None)) if axis == 0 else (slice(None), 0 if shift > 0 else -1)
            neighbour_speed[edge] = -1.0  # np.roll wraps around; nothing comes from the far side
            take = (reached < 0) & (neighbour_speed > grown_speed)
            grown[take], grown_speed[take] = neighbour[take], neighbour_speed[take]
        flow, reached = grown, grown_speed
    return _warp(cv2, image, flow, grid)
