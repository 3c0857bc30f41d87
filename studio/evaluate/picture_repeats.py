"""Repeated pictures and repeated fields, from one decode at thumbnail size.

- a frame **repeats** when its 32×18 grey thumbnail (the RGB frame scaled, its channels
  averaged) differs from the previous frame's by less than ``duplicate_mad`` grey levels (mean
  absolute difference, 0-255; an encoder's repeat decodes to under 0.01);
- one **field repeats** (hard telecine: 24 fps film woven into 30 fps video, the pulldown burnt
  into the pictures) when, in the frame's luma at 32 columns and its stored height split into its
  two fields (even and odd rows, each area-averaged to 18 rows), that field differs from the
  previous frame's by less than a third of what the other field does, and the other clearly
  changed (0.5 grey levels or more): FFmpeg's ``idet`` repeated-field test (ratio 3), on
  thumbnails. Field averages dilute a small moving region more than the whole-frame thumbnail
  does, so they are not used for whole repeats.

A regular pattern is named: whole frames repeated one in every ``n`` (24 fps content brought to
30 by repeating frames), or the top and the bottom field each repeated once every 5 frames, in
different frames of the cycle (3:2 pulldown woven into the picture).
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from dataclasses import dataclass

import numpy as np

from studio import media

__all__ = ["FIELD_ROWS", "THUMBNAIL_COLUMNS", "PictureRepeats", "find_repeats", "frame_cadence", "woven_cadence"]

DUPLICATE_SIZE = (32, 18)  # the whole-frame grey thumbnail of the repeat test: a 16:9 frame's shape, 576 pixels
THUMBNAIL_COLUMNS = 32  # the field thumbnails' width
FIELD_ROWS = 18  # rows each field is averaged to: with 32 columns, a 16:9 frame's 576-pixel thumbnail per field
FIELD_CHANGE = 0.5  # grey levels: the other field changed when it differs by this much
FIELD_RATIO = 3.0  # a field repeats when it differs by under 1/3 of the other field's change (idet's)


@dataclass(frozen=True)
class PictureRepeats:
    """Frame numbers and times of repeated frames and of frames with one repeated field."""

    frames: int
    repeat_numbers: tuple[int, ...]
    repeat_times_s: tuple[float, ...]
    field_numbers: tuple[int, ...]  # frames with one field repeating the previous frame's
    field_times_s: tuple[float, ...]
    field_parities: tuple[str, ...]  # "top" or "bottom": which field repeats


def _fields(luma: np.ndarray) -> np.ndarray:
    """``FIELD_ROWS × 2 × columns``: the top (even rows, ``[:, 0]``) and bottom (odd rows,
    ``[:, 1]``) fields, each area-averaged to exactly ``FIELD_ROWS`` rows over its whole height
    (the same shape whatever the frame's, so a stream that changes size mid-way compares)."""
    import cv2

    top, bottom = luma[0::2], luma[1::2] if len(luma) > 1 else luma
    columns = luma.shape[1]
    return np.stack([cv2.resize(rows.astype(np.float32), (columns, FIELD_ROWS), interpolation=cv2.INTER_AREA)
                     for rows in (top, bottom)], axis=1)  # fmt: skip


def find_repeats(path: str | os.PathLike[str], duplicate_mad: float) -> PictureRepeats:
    """Decode ``path`` once and find its repeated frames and repeated fields."""
    previous: tuple[np.ndarray, np.ndarray] | None = None
    repeats: list[tuple[int, float]] = []
    fields: list[tuple[int, float, str]] = []
    frames = 0
    for number, picture in enumerate(media.iter_pictures(path)):
        frames += 1
        current = (picture.rgb(DUPLICATE_SIZE).astype(np.float32).mean(axis=2),
                   _fields(picture.coded_luma(THUMBNAIL_COLUMNS)))  # fmt: skip
        if previous is not None:
            time_s = round(picture.time_s, 6)
            if float(np.abs(current[0] - previous[0]).mean()) < duplicate_mad:
                repeats.append((number, time_s))
            else:
                top, bottom = (float(mad) for mad in np.abs(current[1] - previous[1]).mean(axis=(0, 2)))
                if bottom >= FIELD_CHANGE and top * FIELD_RATIO < bottom:
                    fields.append((number, time_s, "top"))
                elif top >= FIELD_CHANGE and bottom * FIELD_RATIO < top:
                    fields.append((number, time_s, "bottom"))
        previous = current
    return PictureRepeats(
        frames=frames,
        repeat_numbers=tuple(n for n, _ in repeats),
        repeat_times_s=tuple(t for _, t in repeats),
        field_numbers=tuple(n for n, _, _ in fields),
        field_times_s=tuple(t for _, t, _ in fields),
        field_parities=tuple(p for _, _, p in fields),
    )


def regular_step(numbers: list[int] | tuple[int, ...], frames: int) -> int | None:
    """``n`` where ``numbers`` recur every ``n`` frames through most of the file, else None."""
    if len(numbers) < 4:
        return None
    steps = Counter(b - a for a, b in itertools.pairwise(numbers))
    step, count = steps.most_common(1)[0]
    if step < 2 or count < 0.8 * (len(numbers) - 1) or len(numbers) < 0.8 * frames / step:
        return None
    return step


def frame_cadence(repeats: PictureRepeats, fps: float) -> str | None:
    """Whole frames repeated regularly, e.g. "1 repeat every 5 frames (24 fps content at 30)"."""
    step = regular_step(repeats.repeat_numbers, repeats.frames)
    if step is None:
        return None
    return f"1 repeat every {step} frames ({fps * (step - 1) / step:.3g} fps content at {fps:.3g})"


def woven_cadence(repeats: PictureRepeats, fps: float) -> str | None:
    """3:2 pulldown woven into the pictures: the top field repeats once every 5 frames and the
    bottom once every 5, in other frames of the cycle (a progressive picture moving one row a
    frame can leave one field unchanged in every frame: that is no cadence)."""
    places = []
    for parity in ("top", "bottom"):
        numbers = [n for n, p in zip(repeats.field_numbers, repeats.field_parities, strict=True) if p == parity]
        if regular_step(numbers, repeats.frames) != 5:
            return None
        places.append(Counter(n % 5 for n in numbers).most_common(1)[0][0])
    if places[0] == places[1]:
        return None
    return (f"3:2 pulldown in the pictures (hard telecine): each field repeats once every 5 frames, "
            f"{fps * 4 / 5:.3f} fps film in {fps:.3f} fps video")  # fmt: skip
