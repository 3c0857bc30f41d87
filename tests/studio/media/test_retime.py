"""Motion-compensated frame-rate conversion on frames whose motion we know."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from studio.core import InputError
from studio.media import interpolated_count, retime

SIDE, SPEED = 24, 12  # a 24-px square moving 12 px per source frame


def _scene(x: int, height: int = 96, width: int = 192) -> np.ndarray:
    """The square with its left edge at ``x``: the ground truth of any time it is there."""
    frame = np.zeros((height, width, 3), np.uint8)
    frame[...] = (30, 60, 90)  # a plain background with a little texture for the flow
    frame[::8, :, :] = (40, 70, 100)
    frame[36 : 36 + SIDE, x : x + SIDE] = (240, 200, 40)
    return frame


def _moving_square(frames: int) -> np.ndarray:
    return np.stack([_scene(16 + SPEED * t) for t in range(frames)])


def _square_x(frame: np.ndarray) -> tuple[float, int]:
    """The centre x of the yellow pixels, and how many there are."""
    yellow = (frame[..., 0] > 180) & (frame[..., 2] < 80)
    columns = np.nonzero(yellow)[1]
    return float(columns.mean()) if columns.size else float("nan"), int(yellow.sum())


def test_doubling_the_rate_puts_the_square_halfway_not_twice() -> None:
    source = _moving_square(6)
    out = list(retime(source, 8, 16))
    assert len(out) == 12 == interpolated_count(6, 8, 16)
    for j in range(12):  # the last two lie past the last source frame: its motion carries on
        x, area = _square_x(out[j])
        assert abs(x - (16 + SPEED * j / 2 + SIDE / 2 - 0.5)) <= 1.5, (j, x)
        assert 0.8 * SIDE * SIDE <= area <= 1.2 * SIDE * SIDE, (j, area)  # one square, not two half-squares
    assert np.array_equal(out[0], source[0]) and np.array_equal(out[4], source[2])  # on-frame times are the frames


def test_a_non_integer_ratio_keeps_the_duration_and_the_motion() -> None:
    source = _moving_square(9)
    out = list(retime(source, 16, 24))
    assert len(out) == 14 == interpolated_count(9, 16, 24)  # 9 frames at 16 fps: 0.5625 s; 13.5 -> 14 at 24
    for j in range(14):
        x, _ = _square_x(out[j])
        expected = 16 + SPEED * j * Fraction(16, 24) + SIDE / 2 - 0.5
        assert abs(x - float(expected)) <= 1.5, (j, x, float(expected))


@pytest.mark.parametrize(("frames", "source_fps", "target_fps"), [(9, 8, 16), (9, 8, 24), (9, 16, 24), (4, 8, 40)])
def test_every_output_frame_is_the_scene_at_its_time_and_none_repeats(
    frames: int, source_fps: int, target_fps: int
) -> None:
    out = list(retime(_moving_square(frames), source_fps, target_fps))
    assert len(out) == interpolated_count(frames, source_fps, target_fps) == round(frames * target_fps / source_fps)
    for j, frame in enumerate(out):
        left = 16 + SPEED * Fraction(j * source_fps, target_fps)
        x, area = _square_x(frame)
        assert abs(x - float(left + Fraction(SIDE - 1, 2))) <= 1.5, (j, x)
        assert 0.9 * SIDE * SIDE <= area <= 1.1 * SIDE * SIDE, (j, area)
        if left.denominator == 1:  # the square on whole pixels: the whole frame is known
            error = np.abs(frame.astype(int) - _scene(int(left))).mean()
            assert error < 1.0, (j, error)
    # no output frame repeats another (the square is somewhere else in each)
    assert len({frame.tobytes() for frame in out}) == len(out)


def test_one_frame_stays_one_frame() -> None:
    source = _moving_square(1)
    assert interpolated_count(1, 8, 24) == 1
    out = list(retime(source, 8, 24))
    assert len(out) == 1 and np.array_equal(out[0], source[0])


def test_a_cross_fade_would_fail_this_test() -> None:
    """The check above can fail: a plain blend of neighbours shows two half-strength squares."""
    source = _moving_square(2)
    blend = ((source[0].astype(int) + source[1]) // 2).astype(np.uint8)
    _, area = _square_x(blend)
    assert area < 0.8 * SIDE * SIDE  # only the overlap stays yellow: the area check above catches it


def test_bad_input_is_refused() -> None:
    with pytest.raises(InputError, match="expected T×H×W×3 uint8 frames"):
        list(retime(np.zeros((3, 8, 8), np.uint8), 8, 16))
    with pytest.raises(InputError, match="expected T×H×W×3 uint8 frames"):
        list(retime(np.zeros((0, 8, 8, 3), np.uint8), 8, 16))
    with pytest.raises(InputError, match="expected positive frame rates"):
        list(retime(_moving_square(2), 0, 16))
