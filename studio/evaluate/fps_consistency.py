"""FPS consistency of a video file: does its timing match what its header declares?

From one demux pass (:func:`studio.media.scan_timing`: packet timestamps, no decoding) and,
unless asked not to, one decode at thumbnail size (:func:`studio.media.iter_pictures`, each
frame turned into a 32×18 grey picture, and its two fields into 32×18 grey pictures each):

- the **period**: the interval frames really come at (the mean of the intervals within rounding
  of the median one), against the rate the header states (``r_frame_rate`` unless that is only
  FFmpeg's guess from the time base, else ``avg_frame_rate``; off by more than 1 % fails) and the
  measured average (frames over the span of their times);
- **dropped frames**: an interval within ``jitter_s`` (rounding: one tick, at least a
  millisecond, plus 5 % of the period) of a whole number ``k >= 2`` of periods is a gap of
  ``k - 1`` missing frames, each reported with the time of the frame before it;
- **variable frame rate**: the share of intervals that are neither the period nor a drop's whole
  multiple of it, give or take ``jitter_s`` (FFmpeg's ``vfrdet`` compares each interval with the
  one before instead, and so counts drops too);
- **pulldown in the timestamps** (soft telecine, an NTSC DVD's film): where the intervals fit no
  single period, they may still repeat a pattern of whole fields, 3 and 2 for 23.976 fps film
  shown at 29.97 (:func:`~studio.evaluate.field_cadence.field_cadence`); the file is then read on
  that field grid: the period is the film's, the header may state its field or frame rate, and a
  gap of more than 3 fields is a drop;
- **duplicated frames and repeated fields** (:func:`~studio.evaluate.picture_repeats.find_repeats`):
  a frame whose 32×18 grey thumbnail differs from the previous frame's by less than
  ``duplicate_mad`` grey levels repeats its picture. A held still looks the same, as it does to
  FFmpeg's ``mpdecimate``, so the verdict allows a share of them; a regular cadence of repeats
  (one in every 5 frames: 24 fps content brought to 30 by repeating frames) is named as such.
  One field repeating while the other changes is a repeated field (FFmpeg ``idet``'s test); each
  field repeating once every 5 frames is 3:2 pulldown woven into the pictures (hard telecine),
  named and allowed;
- **frame count** against the stream's duration ÷ the period, and the header's count;
- **audio/video**: where the audio starts against the first frame (offset) and how much longer
  or shorter it runs (drift).

The verdict fails a file when any measure is beyond its stated tolerance
(:class:`FpsTolerances`), or when it has a single frame (no interval to time); every
tolerance is in the report.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from studio import media
from studio.core import InputError, JsonResult, fraction_to_str
from studio.evaluate.field_cadence import FieldCadence, field_cadence
from studio.evaluate.picture_repeats import PictureRepeats, find_repeats, frame_cadence, woven_cadence

__all__ = ["FpsReport", "FpsTolerances", "check_fps"]

MAX_LISTED = 1000  # times listed per kind of problem; the counts are always whole
MAX_PLAUSIBLE_FPS = 10_000  # a stated rate above this is a time base, not a frame rate


@dataclass(frozen=True)
class FpsTolerances(JsonResult):
    """What each verdict allows. Audio limits follow EBU R37 (sound at most 40 ms early and
    60 ms late against the picture), with the same 60 ms for drift over the whole file."""

    vfr_share: float = 0.01  # intervals off the declared period, as a share of all
    dropped_frames: int = 0
    duplicated_share: float = 0.05  # repeats of a picture, as a share of frames (a held still counts too)
    frame_count_frames: float = 1.0  # frame count against duration × rate, in frames
    audio_early_s: float = 0.040  # sound leading the picture at the start
    audio_late_s: float = 0.060  # sound lagging the picture at the start
    audio_drift_s: float = 0.060  # audio end against video end
    duplicate_mad: float = 0.1  # grey levels (0-255): below this a frame repeats the one before

    def __post_init__(self) -> None:
        for name in ("vfr_share", "duplicated_share"):
            if not isinstance(getattr(self, name), (int, float)) or not 0 <= getattr(self, name) <= 1:
                raise InputError(f"expected a tolerance {name} between 0 and 1, got {getattr(self, name)!r}")
        if isinstance(self.dropped_frames, bool) or not isinstance(self.dropped_frames, int):
            raise InputError(f"expected a whole number of dropped frames to allow, got {self.dropped_frames!r}")
        numbers = {"vfr_share": self.vfr_share, "frame_count_frames": self.frame_count_frames,
                   "audio_early_s": self.audio_early_s, "audio_late_s": self.audio_late_s,
                   "audio_drift_s": self.audio_drift_s, "duplicate_mad": self.duplicate_mad,
                   "duplicated_share": self.duplicated_share}  # fmt: skip
        for name, value in numbers.items():
            if not isinstance(value, (int, float)) or not (np.isfinite(value) and value >= 0):
                raise InputError(f"expected a tolerance {name} of at least 0, got {value}")
        if self.dropped_frames < 0:
            raise InputError(f"expected a dropped-frame tolerance of at least 0, got {self.dropped_frames}")


@dataclass(frozen=True)
class FpsReport(JsonResult):
    """One file's FPS consistency: measures, problems with their times, verdict and tolerances."""

    path: str
    container: str
    frames: int
    duration_s: float
    avg_frame_rate: str | None
    r_frame_rate: str | None
    time_base: str
    measured_fps: float
    period_s: float  # the interval frames really come at
    declared_fps: float | None  # r_frame_rate, else avg_frame_rate
    jitter_s: float  # how far an interval may stray from the period as rounding
    min_interval_s: float
    max_interval_s: float
    vfr_share: float
    is_vfr: bool
    interval_histogram: dict[str, int]  # interval (ms, 0.1 ms steps) -> how many
    dropped_frames: int
    dropped_after_s: tuple[float, ...]  # the time of the frame after which frames are missing (one per frame)
    duplicated_frames: int | None  # None: pictures not checked
    duplicated_at_s: tuple[float, ...]
    duplicate_cadence: str | None  # e.g. "1 repeat every 5 frames (24 fps content at 30)"
    repeated_fields: int | None  # frames with one field repeating the previous frame's; None: not checked
    repeated_fields_at_s: tuple[float, ...]
    pulldown: str | None  # a field cadence, in the timestamps (soft telecine) or the pictures (hard)
    field_pattern: tuple[int, ...]  # fields each frame lasts by its timestamps, one cycle: (3, 2); () none
    field_period_s: float | None  # one field's duration where the timestamps follow a field pattern
    header_frames: int
    expected_frames: float  # duration × declared rate
    audio_offset_s: float | None  # audio start - first frame; negative: the sound starts early
    audio_drift_s: float | None  # audio end - video end
    verdict: str  # "pass" or "fail"
    failures: tuple[str, ...]
    tolerances: FpsTolerances = field(default_factory=FpsTolerances)


def _rounding(tick_s: float, period: float) -> float:
    """How far an interval may stray from the period as timestamp rounding: a tick (at least a
    millisecond: Matroska, WebM and FLV keep milliseconds) plus 5 % of the period."""
    return max(tick_s, 0.001) + 0.05 * period


def _period(intervals: np.ndarray, tick_s: float) -> float:
    """The interval frames really come at: the mean of the intervals within rounding of the
    median one (29.97 fps in milliseconds alternates 33 and 34 ms: 33.37 ms). The median holds
    while fewer than half the intervals are gaps or off the rate."""
    if not len(intervals):
        return 0.0
    middle = float(np.median(intervals))
    near = intervals[np.abs(intervals - middle) <= _rounding(tick_s, middle)]
    return float(near.mean()) if len(near) else middle


def _header_rate(timing: media.StreamTiming) -> Fraction | None:
    """The rate the header states: ``r_frame_rate`` unless it is only FFmpeg's guess from the
    time base (90000 for a 1/90000 base), else ``avg_frame_rate``."""
    guess = timing.r_frame_rate
    if guess and guess <= MAX_PLAUSIBLE_FPS and guess != 1 / timing.time_base:
        return guess
    return timing.avg_frame_rate or guess


def _histogram(intervals: np.ndarray) -> dict[str, int]:
    counts = Counter(np.round(intervals * 1000, 1).tolist())
    return {f"{ms:.1f}": n for ms, n in sorted(counts.items())}


def _frame_grid(intervals: np.ndarray, period: float, jitter: float) -> tuple[np.ndarray, np.ndarray]:
    """Per interval: on the period's grid (a whole number of periods, give or take ``jitter``),
    and the frames missing after it (one fewer than the periods it spans)."""
    periods = np.round(intervals / period) if period > 0 else np.ones(len(intervals))
    on_grid = (np.abs(intervals - periods * period) <= jitter) & (periods >= 1)
    return on_grid, np.where(on_grid & (periods >= 2), periods - 1, 0).astype(np.int64)


def _declared_matches(declared: Fraction, period: float, cadence: FieldCadence | None) -> bool:
    """The header's rate is the period's (within 1 %); under a field cadence, the film's, the
    frame rate it is shown at, or its field rate (MPEG's ``r_frame_rate`` for soft telecine)."""
    rates = [1 / period] if cadence is None else [cadence.film_fps, 0.5 / cadence.field_s, 1 / cadence.field_s]
    return any(abs(float(declared) / rate - 1) <= 0.01 for rate in rates)


def _pulldown(cadence: FieldCadence | None, repeats: PictureRepeats | None, fps: float) -> str | None:
    found = [cadence.describe()] if cadence else []
    woven = woven_cadence(repeats, fps) if repeats is not None else None
    return "; ".join(found + ([woven] if woven else [])) or None


def check_fps(
    path: str | os.PathLike[str], tolerances: FpsTolerances | None = None, pictures: bool = True
) -> FpsReport:
    """The :class:`FpsReport` of the video ``path``; ``pictures=False`` skips the decode (no
    repeated frames or fields), leaving a pass over the packets alone."""
    limits = tolerances or FpsTolerances()
    timing = media.scan_timing(path)
    times = timing.times_s
    tick = float(timing.time_base)
    intervals = np.diff(times)
    span = float(times[-1] - times[0]) if len(times) > 1 else 0.0
    measured = (len(times) - 1) / span if span > 0 else 0.0
    declared = _header_rate(timing)
    period = _period(intervals, tick) or (float(1 / declared) if declared else 0.0)
    jitter = _rounding(tick, period)
    on_grid, missing = _frame_grid(intervals, period, jitter)
    cadence = None
    if len(intervals) and ((~on_grid).any() or missing.any()):
        # off a single period, or gaps: frames may last a pattern of fields (soft telecine), taken
        # when it explains more intervals than the period does (whatever the tolerances)
        cadence = field_cadence(intervals, tick)
        if cadence is not None and cadence.on_grid.sum() - cadence.missing.sum() <= on_grid.sum() - missing.sum():
            cadence = None
        if cadence is not None:
            period, jitter, on_grid, missing = cadence.frame_s, cadence.jitter_s, cadence.on_grid, cadence.missing
    vfr_share = float((~on_grid).mean()) if len(intervals) else 0.0
    dropped_after = [round(float(start), 6) for start, gap in zip(times[:-1], missing, strict=True) for _ in range(gap)]
    repeats = find_repeats(path, limits.duplicate_mad) if pictures else None
    repeat_times = list(repeats.repeat_times_s) if repeats is not None else []
    shown_fps = (0.5 / cadence.field_s if cadence else 1 / period) if period else measured
    if cadence is None and declared and period > 0 and _declared_matches(declared, period, None):
        shown_fps = float(declared)  # exact where the header agrees (milliseconds round 29.97 to 29.997)
    decoded_fps = cadence.film_fps if cadence else shown_fps  # the frames decoded come at the film's rate
    repeat_cadence = frame_cadence(repeats, decoded_fps) if repeats is not None else None
    duration = max(timing.video_end_s, span + period)  # a last frame without a duration lasts a period
    expected = duration / period if period > 0 else float(len(times))
    offset = drift = None
    if timing.audio_start_s is not None and timing.audio_end_s is not None:
        offset = round(timing.audio_start_s - float(times[0]), 6)
        drift = round(timing.audio_end_s - timing.video_end_s, 6)
    failures = []
    if len(times) < 2:  # nothing to time: a still is not a constant-rate video
        failures.append(f"only {len(times)} frame: there is no frame interval to check the rate against")
    if declared and period > 0 and not _declared_matches(declared, period, cadence):
        failures.append(f"the header declares {float(declared):.3f} fps but frames come every "
                        f"{period * 1000:.2f} ms ({1 / period:.3f} fps)")  # fmt: skip
    if vfr_share > limits.vfr_share:
        failures.append(
            f"{vfr_share:.1%} of frame intervals are off the declared period (allowed {limits.vfr_share:.1%})"
        )
    if len(dropped_after) > limits.dropped_frames:
        failures.append(f"{len(dropped_after)} dropped frames (allowed {limits.dropped_frames})")
    if pictures and len(repeat_times) > limits.duplicated_share * len(times):
        cadence_said = f": {repeat_cadence}" if repeat_cadence else ""
        failures.append(f"{len(repeat_times)} duplicated frames, {len(repeat_times) / len(times):.1%} "
                        f"(allowed {limits.duplicated_share:.0%}){cadence_said}")  # fmt: skip
    if abs(len(times) - expected) > limits.frame_count_frames + 1e-6:
        failures.append(f"{len(times)} frames where duration × rate gives {expected:.1f}")
    if timing.header_frames and timing.header_frames != len(times):
        failures.append(f"{len(times)} frames where the header lists {timing.header_frames}")
    if offset is not None and not -limits.audio_early_s <= offset <= limits.audio_late_s:
        allowed = f"-{limits.audio_early_s * 1000:.0f}..+{limits.audio_late_s * 1000:.0f} ms"
        failures.append(f"audio starts {offset * 1000:+.0f} ms from the first frame (allowed {allowed})")
    if drift is not None and abs(drift) > limits.audio_drift_s:
        failures.append(f"audio ends {drift * 1000:+.0f} ms from the video's end "
                        f"(allowed ±{limits.audio_drift_s * 1000:.0f} ms)")  # fmt: skip
    return FpsReport(
        path=timing.path, container=timing.container, frames=len(times), duration_s=round(duration, 6),
        avg_frame_rate=fraction_to_str(timing.avg_frame_rate) if timing.avg_frame_rate else None,
        r_frame_rate=fraction_to_str(timing.r_frame_rate) if timing.r_frame_rate else None,
        time_base=fraction_to_str(Fraction(timing.time_base)), measured_fps=round(measured, 6),
        period_s=round(period, 9), declared_fps=round(float(declared), 6) if declared else None,
        jitter_s=round(jitter, 9),
        min_interval_s=round(float(intervals.min()), 6) if len(intervals) else 0.0,
        max_interval_s=round(float(intervals.max()), 6) if len(intervals) else 0.0,
        vfr_share=round(vfr_share, 6), is_vfr=vfr_share > limits.vfr_share,
        interval_histogram=_histogram(intervals), dropped_frames=len(dropped_after),
        dropped_after_s=tuple(dropped_after[:MAX_LISTED]), duplicated_frames=len(repeat_times) if pictures else None,
        duplicated_at_s=tuple(repeat_times[:MAX_LISTED]), duplicate_cadence=repeat_cadence,
        repeated_fields=len(repeats.field_times_s) if repeats is not None else None,
        repeated_fields_at_s=repeats.field_times_s[:MAX_LISTED] if repeats is not None else (),
        pulldown=_pulldown(cadence, repeats, decoded_fps), field_pattern=cadence.pattern if cadence else (),
        field_period_s=round(cadence.field_s, 9) if cadence else None, header_frames=timing.header_frames,
        expected_frames=round(expected, 3), audio_offset_s=offset, audio_drift_s=drift,
        verdict="fail" if failures else "pass", failures=tuple(failures), tolerances=limits,
    )  # fmt: skip
