"""Pulldown in the timestamps (soft telecine): frames that last a repeating pattern of fields.

An NTSC DVD keeps film as 23.976 progressive frames and flags every other one to repeat a
field (MPEG-2's ``repeat_first_field``), so a player shows it at 29.97 fps. The packets then
last 3 and 2 fields in turn (50.05 and 33.37 ms): against one frame period that reads as a
variable rate, and against the 59.94 fps field rate the header states as a wrong one. Read
instead as whole fields, the intervals repeat a short pattern. A cadence is what the flags can
make, on a conversion broadcasters use: every frame lasting 2 or 3 fields, some of each, and film
and field rates a pair of 23.976 in 59.94, 24 in 60 or 24 in 50 ("Euro pulldown", one frame in
12 lasting 3 fields). A gap of more than 3 fields is then a dropped frame. Regular drops from a
constant rate (4, 2, 2, 2 fields) are not a cadence: they stay drops.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

__all__ = ["FieldCadence", "field_cadence"]

CONVERSIONS = ((24000 / 1001, 60000 / 1001), (24.0, 60.0), (24.0, 50.0))  # film fps in fields a second
FLAGGED = {2, 3}  # fields a frame lasts under field-repeat flags
RATE_MATCH = 0.005  # a rate within 0.5 % of a standard one is that one
MAX_PATTERN = 12  # 24 fps film at 25 (PAL's "Euro pulldown") repeats a field in every 12 frames
MATCHING = 0.9  # the share of intervals that must repeat the one a pattern length before
NAMES = {(3, 2): "3:2 pulldown", (3, 3, 2, 2): "2:3:3:2 pulldown"}


@dataclass(frozen=True)
class FieldCadence:
    """Intervals read as fields: the pattern, what it carries, and each interval's reading."""

    pattern: tuple[int, ...]  # fields each frame of one cycle lasts, the longest first (3, 2)
    field_s: float  # one field's duration
    jitter_s: float  # rounding allowed on a whole number of fields
    film_fps: float  # frames a second the pattern carries: 1 / (mean fields × field_s)
    on_grid: np.ndarray  # per interval: a whole number of fields, at least the pattern's shortest
    missing: np.ndarray  # per interval: frames missing after it (more than 3 fields)

    @property
    def name(self) -> str:
        return NAMES.get(self.pattern, ":".join(map(str, self.pattern)) + " pulldown")

    @property
    def frame_s(self) -> float:
        """The mean frame duration: the period the film's frames come at."""
        return float(np.mean(self.pattern)) * self.field_s

    def describe(self) -> str:
        fields = " and ".join(map(str, sorted(set(self.pattern), reverse=True)))
        return (f"{self.name} by field-repeat flags (soft telecine): frames last {fields} fields, "
                f"{self.film_fps:.3f} fps film shown at {0.5 / self.field_s:.2f} fps")  # fmt: skip


def _broadcast(film_fps: float, field_fps: float) -> bool:
    return any(abs(film_fps / film - 1) <= RATE_MATCH and abs(field_fps / fields - 1) <= RATE_MATCH
               for film, fields in CONVERSIONS)  # fmt: skip


def _canonical(window: tuple[int, ...]) -> tuple[int, ...]:
    """The rotation of one cycle that reads largest: (2, 3) and (3, 2) are both 3:2."""
    return max(window[k:] + window[:k] for k in range(len(window)))


def _fields(intervals: np.ndarray, field_s: float, tick_s: float) -> tuple[np.ndarray, np.ndarray, float]:
    jitter = max(tick_s, 0.001) + 0.05 * field_s
    counts = np.round(intervals / field_s)
    on = (np.abs(intervals - counts * field_s) <= jitter) & (counts >= 1)
    return counts.astype(np.int64), on, jitter


def field_cadence(intervals: np.ndarray, tick_s: float) -> FieldCadence | None:
    """The cadence the frame ``intervals`` (seconds; timestamps ``tick_s`` apart) follow, or
    None where they follow none a broadcast conversion makes."""
    if len(intervals) < 8 or not np.all(intervals > 0):
        return None
    shortest = float(np.quantile(intervals, 0.1))  # the shortest frames last two fields
    field_s = shortest / 2
    counts, on, _ = _fields(intervals, field_s, tick_s)
    if on.sum() < MATCHING * len(intervals):
        return None
    field_s = float(intervals[on].sum() / counts[on].sum())  # refined over every interval that fits
    counts, on, jitter = _fields(intervals, field_s, tick_s)
    for length in range(2, MAX_PATTERN + 1):
        if len(counts) < 3 * length or np.mean(counts[length:] == counts[:-length]) < MATCHING:
            continue
        windows = Counter(_canonical(tuple(counts[i : i + length].tolist())) for i in range(len(counts) - length))
        pattern = windows.most_common(1)[0][0]
        if set(pattern) != FLAGGED:
            return None  # a constant rate, or gaps no flag makes (4 fields): not a cadence
        film_fps = 1 / (float(np.mean(pattern)) * field_s)
        if not _broadcast(film_fps, 1 / field_s):
            return None
        mean = float(np.mean(pattern))
        missing = np.where(on & (counts > max(FLAGGED)), np.maximum(1, np.round(counts / mean) - 1), 0)
        missing = missing.astype(np.int64)
        return FieldCadence(pattern, field_s, jitter, film_fps, on & (counts >= min(pattern)), missing)
    return None
