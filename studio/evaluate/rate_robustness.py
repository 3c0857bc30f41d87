"""How much an analysis changes when the same content comes at another frame rate: the seed's
warning that a model trained at 24 FPS may not hold at 60, made a number.

The clip is written again at each rate in two ways:

- ``drop``: frames dropped or repeated exactly as FFmpeg's ``fps`` filter does (each source
  frame goes to the output frame its time rounds to; an output frame shows the last source frame
  that went to it or before);
- ``interpolate``: new frames drawn by the studio's motion interpolation
  (:func:`studio.media.retime`), which holds the whole clip in memory, so it is refused above
  :data:`MAX_INTERPOLATE_BYTES` of decoded frames.

Each copy is analysed with the same options as the source (by default at its own rate: every
frame, as a tracker or pose model meets a camera at that rate; or at one fixed analysis rate)
and compared with the source's analysis by :func:`~studio.evaluate.compare_timelines`. A copy
at the source's own rate measures what re-encoding alone changes: the noise floor.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from studio import media
from studio.core import CancelFlag, InputError, JsonResult, Progress, check_cancel
from studio.evaluate.timeline_agreement import TimelineAgreement, compare_timelines

if TYPE_CHECKING:
    from studio.core import Timeline
    from studio.registry import ModelCache

__all__ = [
    "DEFAULT_RATES",
    "MAX_INTERPOLATE_BYTES",
    "RESAMPLE_METHODS",
    "ROBUSTNESS_TASKS",
    "FpsRobustnessReport",
    "RateResult",
    "fps_robustness",
    "resample_video",
]

DEFAULT_RATES = ("12", "24", "30", "60")
RESAMPLE_METHODS = ("drop", "interpolate")
ROBUSTNESS_TASKS = ("detect", "track", "pose", "actions", "shots", "motion")
MAX_RATE = 240  # the fastest copy made: every copy is analysed at its own rate
MAX_INTERPOLATE_BYTES = 2 << 30  # decoded RGB frames held for interpolation
COPY_CRF = 16  # near-transparent, so the copies differ by their rate, not by their compression


@dataclass(frozen=True)
class RateResult(JsonResult):
    rate: str
    method: str
    frames: int
    analysis_s: float
    agreement: TimelineAgreement


@dataclass(frozen=True)
class FpsRobustnessReport(JsonResult):
    path: str
    source_fps: str
    frames: int
    analysis_fps: str  # "each copy's own" or a rate
    tasks: list[str]
    reference_tracks: dict[str, int]
    reference_actions: int
    reference_shots: int
    results: list[RateResult]
    definition: str = ("the clip rewritten at each rate (frames dropped/repeated like FFmpeg's fps filter, or drawn "
                       "by the studio's interpolation), analysed alike, compared with the source's analysis on a "
                       "grid at the slower analysis rate")  # fmt: skip


def _rate_text(rate: Fraction) -> str:
    return str(rate.numerator) if rate.denominator == 1 else f"{rate.numerator}/{rate.denominator}"


def _slot(seconds: float, rate: Fraction) -> int:
    """The output frame a time rounds to, half away from zero (FFmpeg's ``round=near``)."""
    return math.floor(seconds * float(rate) + 0.5 + 1e-6)


def _drop(source: Path, writer: media.VideoWriter, rate: Fraction, source_fps: Fraction) -> int:
    """FFmpeg's ``fps`` filter: each source frame goes to the output frame its time rounds to,
    and output frame n shows the last source frame that went to n or before (repeated over the
    slots no frame went to); the copy lasts as long as the source, its last frame covering one
    source period. Checked frame for frame against ``ffmpeg -vf fps`` in the tests."""
    written = 0
    previous: media.Frame | None = None
    start = 0.0
    for frame in media.iter_frames(source):
        if previous is None:
            start = frame.time_s
        else:
            for _ in range(written, _slot(frame.time_s - start, rate)):
                writer.write(previous.image)
                written += 1
        previous = frame
    if previous is None:
        raise InputError(f"{source.name!r} has no frames to write at another rate")
    total = max(1, _slot(previous.time_s - start + float(1 / source_fps), rate))
    while written < total:
        writer.write(previous.image)
        written += 1
    return written


def _interpolate(source: Path, writer: media.VideoWriter, rate: Fraction, source_fps: Fraction) -> int:
    info = media.probe(source)
    frames_expected = max(1, round(info.duration_s * float(source_fps)))
    needed = frames_expected * info.width * info.height * 3
    if needed > MAX_INTERPOLATE_BYTES:
        raise InputError(f"{source.name!r} is too long to interpolate here ({needed >> 20} MiB of frames, at most "
                         f"{MAX_INTERPOLATE_BYTES >> 20}): use --methods drop, or a shorter clip")  # fmt: skip
    frames = np.stack([frame.image for frame in media.iter_frames(source)])
    written = 0
    for image in media.retime(frames, source_fps, rate):
        writer.write(image)
        written += 1
    return written


def resample_video(source: str | os.PathLike[str], target: str | os.PathLike[str],
                   rate: Fraction | int | str, method: str = "drop") -> int:  # fmt: skip
    """Write ``source``'s picture at ``rate`` to ``target`` by ``method`` (see the module
    docstring); returns the frames written."""
    if method not in RESAMPLE_METHODS:
        raise InputError(f"expected a method among {', '.join(RESAMPLE_METHODS)}, got {method!r}")
    source_path, fps = Path(source), media.as_fps(rate)
    source_fps = media.probe(source_path).fps
    with media.VideoWriter(target, fps=fps, crf=COPY_CRF) as writer:
        if method == "drop":
            return _drop(source_path, writer, fps, source_fps)
        return _interpolate(source_path, writer, fps, source_fps)


def _analysed(path: Path, rate: Fraction, analysis_fps: Fraction | None, tasks: Sequence[str],
              cache: ModelCache | None, cancel: CancelFlag | None = None) -> tuple[Timeline, float]:  # fmt: skip
    from studio import vision

    started = time.perf_counter()
    options = vision.AnalyzeOptions(fps=analysis_fps or rate, tasks=tuple(tasks))
    timeline = vision.analyze(path, options, cache=cache, cancel=cancel)
    return timeline, time.perf_counter() - started


def fps_robustness(path: str | os.PathLike[str], rates: Sequence[str | int | Fraction] = DEFAULT_RATES,
                   methods: Sequence[str] = RESAMPLE_METHODS, analysis_fps: Fraction | str | float | None = None,
                   tasks: Sequence[str] = ROBUSTNESS_TASKS, keep: str | os.PathLike[str] | None = None,
                   cache: ModelCache | None = None, progress: Progress | None = None,
                   cancel: CancelFlag | None = None) -> FpsRobustnessReport:  # fmt: skip
    """Analyse ``path`` and its copies at each of ``rates`` by each of ``methods`` and compare
    (see the module docstring). ``keep``: a folder to keep the copies in (else deleted)."""
    source = Path(path)
    media.check_local_file(source)
    for method in methods:
        if method not in RESAMPLE_METHODS:
            raise InputError(f"expected methods among {', '.join(RESAMPLE_METHODS)}, got {method!r}")
    wanted = [media.as_fps(rate) for rate in rates]
    too_fast = [rate for rate in wanted if rate > MAX_RATE]
    if too_fast:
        raise InputError(f"FPS robustness rewrites a clip at up to {MAX_RATE} fps, not {too_fast[0]}")
    if not wanted or not methods:
        raise InputError("expected at least one rate and one method")
    fixed = media.as_fps(analysis_fps) if analysis_fps is not None else None
    info = media.probe(source)
    report = progress or (lambda fraction, stage: None)
    report(0.0, "analysing the source")
    reference, _ = _analysed(source, info.fps, fixed, tasks, cache, cancel)
    results: list[RateResult] = []
    steps = len(wanted) * len(methods)
    with tempfile.TemporaryDirectory(prefix="fps-robustness-") as scratch:
        folder = Path(keep) if keep is not None else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for number, (rate, method) in enumerate((r, m) for r in wanted for m in methods):
            name = _rate_text(rate)
            report(number / steps, f"{method} to {name} fps")
            copy = folder / f"{source.stem}-{name.replace('/', '_')}fps-{method}.mp4"
            frames = resample_video(source, copy, rate, method)
            check_cancel(cancel, "FPS robustness")
            timeline, seconds = _analysed(copy, rate, fixed, tasks, cache, cancel)
            results.append(RateResult(name, method, frames, round(seconds, 3), compare_timelines(reference, timeline)))
    report(1.0, "done")
    return FpsRobustnessReport(
        path=os.fsdecode(path), source_fps=_rate_text(info.fps), frames=int(info.frame_count or 0),
        analysis_fps="each copy's own" if fixed is None else _rate_text(fixed), tasks=list(tasks),
        reference_tracks=dict(Counter(track.label for track in reference.tracks)),
        reference_actions=len(reference.actions), reference_shots=len(reference.shots), results=results,
    )  # fmt: skip
