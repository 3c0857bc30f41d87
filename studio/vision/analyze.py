"""Video in, :class:`~studio.core.results.Timeline` out: detection, tracking, pose and motion.

One pass over the file. Frames are sampled at the analysis FPS by timestamp; models see a
copy no larger than ``max_side`` pixels and every box is mapped back to source pixels.
With ``annotate_to`` the same pass decodes every frame, draws the latest analysis state on
it and writes an H.264 MP4 at the source frame rate with the source's audio copied in.
A file that breaks mid-way is analysed as far as it decodes; the timeline says where it
stopped. Nothing here knows a concrete model: they come from the registry.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from studio import media
from studio.core import (
    CancelFlag,
    Cancelled,
    CorruptMedia,
    Event,
    InputError,
    Progress,
    Timeline,
    VideoInfo,
    check_cancel,
    check_outputs,
    fraction_to_str,
    write_bytes,
)
from studio.registry import ModelCache, ModelSpec, default_cache
from studio.vision.annotate import FrameAnnotator, FrameState
from studio.vision.builtin_stages import (
    CutStage,
    DetectStage,
    MotionStage,
    PoseStage,
    TrackRecordStage,
    TrackStage,
    ZoneStage,
)
from studio.vision.contracts import DetectorModel, PoseActionModel, PoseModel, ShotModel, TextQueryDetector
from studio.vision.describe_timeline import describe_shots
from studio.vision.options import ANALYSIS_TASKS, AnalyzeOptions
from studio.vision.stages import Findings, FrameTap, Sample, Stage, make_plugin_stage, order_stages
from studio.vision.task_plan import TaskPlan, plan_tasks
from studio.vision.tracking import Tracker
from studio.vision.understanding_build import clip_action_stage, scene_stage
from studio.vision.understanding_stages import PoseActionStage, ShotStage

__all__ = ["analyze"]


def _check_vocabulary(cache: ModelCache, spec: ModelSpec, options: AnalyzeOptions) -> None:
    """Text queries need an open-vocabulary detector, and such a detector needs queries."""
    open_vocabulary = spec.can("open-vocabulary")
    if options.queries and not open_vocabulary:
        able = " or ".join(s.name for s in cache.registry.specs("detect") if s.can("open-vocabulary"))
        raise InputError(f"{spec.name} detects a fixed set of labels and cannot look for text queries; "
                         f"use an open-vocabulary detector: --detector {able or '(none registered)'}")  # fmt: skip
    if open_vocabulary and not options.queries:
        raise InputError(f"{spec.name} is an open-vocabulary detector: say what to look for, e.g. --query 'a red car'")


def _stages(
    options: AnalyzeOptions, info: VideoInfo, plan: TaskPlan, cache: ModelCache, device: str | None
) -> list[Stage]:
    """The stages the plan runs (built-in ones, then plug-ins), in the order they run."""
    tasks = set(plan.tasks)
    tracking = "track" in tasks
    stages: list[Stage] = []
    if tracking or "motion" in tasks:
        stages.append(CutStage())
    if plan.detector is not None:
        detector: DetectorModel | TextQueryDetector
        if plan.detector.can("open-vocabulary"):
            detector = cache.get(plan.detector.name, device, kind=TextQueryDetector)
        else:
            detector = cache.get(plan.detector.name, device, kind=DetectorModel)
        rate = float(media.as_fps(options.fps))
        tracker = Tracker(rate, options.lost_s, options.min_score, options.track_start_score) if tracking else None
        # the tracker restarts at colour cuts as they come (no ghost boxes carried into the next shot);
        # with shots, tracks are also split at the shot model's boundaries when the pass ends
        stages += [DetectStage(detector, options, tracking), TrackStage(tracker),
                   TrackRecordStage(options.min_track_samples if tracking else 1)]  # fmt: skip
        if options.zones or options.lines:
            stages.append(ZoneStage(options.zones, options.lines, options.loiter_s, (info.width, info.height)))
    if plan.pose is not None:
        stages.append(PoseStage(cache.get(plan.pose.name, device, kind=PoseModel)))
    if "motion" in tasks:
        stages.append(MotionStage(options))
    if plan.shots is not None:
        interval = float(1 / info.fps) if info.fps > 0 else 1 / 30
        shot_model = cache.get(plan.shots.name, device, kind=ShotModel)
        keeps = options.min_track_samples if tracking else 1
        stages.append(ShotStage(shot_model, plan.shots.name, interval, keeps))
    if plan.pose_actions is not None:
        model = cache.get(plan.pose_actions.name, device, kind=PoseActionModel)
        stages.append(PoseActionStage(model, plan.pose_actions.name))
    if plan.clip_actions:
        stages.append(clip_action_stage(options, plan, cache, device, (info.width, info.height)))
    if plan.scenes or plan.captioner is not None or plan.describer is not None:
        stages.append(scene_stage(options, plan, cache, device))
    stages += [make_plugin_stage(task, options, cache) for task in plan.tasks if task not in ANALYSIS_TASKS]
    return order_stages(stages)


class _Analysis:
    """Runs the stages on each sample and keeps what the annotator draws."""

    def __init__(self, info: VideoInfo, options: AnalyzeOptions, stages: list[Stage]) -> None:
        self.info, self.options, self.stages = info, options, stages
        self.events: list[Event] = []  # every event so far, by start time; refreshed per sample
        self.sample_times: list[float] = []
        self.state = FrameState()
        self.stage_s: dict[str, float] = defaultdict(float)  # where the time goes

    def add_time(self, stage: str, started: float) -> None:
        self.stage_s[stage] += time.perf_counter() - started

    def _model_view(self, image: np.ndarray) -> tuple[np.ndarray, float, float]:
        """The frame as models see it, and the factors from its pixels to source pixels."""
        import cv2

        height, width = image.shape[:2]
        longest = max(height, width)
        if longest > self.options.max_side:
            scale = self.options.max_side / longest
            image = cv2.resize(image, (max(2, round(width * scale)), max(2, round(height * scale))),
                               interpolation=cv2.INTER_AREA)  # fmt: skip
        return image, self.info.width / image.shape[1], self.info.height / image.shape[0]

    def sample(self, number: int, image: np.ndarray, time_s: float) -> None:
        self.sample_times.append(time_s)
        view, sx, sy = self._model_view(image)
        sample = Sample(number, time_s, view, (sx, sy))
        for stage in self.stages:
            clock = time.perf_counter()
            stage.process(sample)
            self.add_time(stage.name, clock)
        self.state = FrameState(sample.tracked, sample.keypoints, sample.extra.get("actions", {}),
                                sample.extra.get("strip", self.state.strip))  # fmt: skip
        events = [event for stage in self.stages for event in stage.events()]
        self.events = sorted(events, key=lambda e: (e.start_s, e.kind))

    def findings(self) -> Findings:
        findings = Findings()
        for stage in self.stages:  # timed too: shots, clip actions and scenes do much of their work here
            clock = time.perf_counter()
            stage.finish(findings)
            self.add_time(stage.name, clock)
        return findings


class _Decoded:
    """One decoded frame as each consumer wants it: the sample's model view, the full frame
    for the annotated video, and the frame taps' sizes, each converted once."""

    def __init__(self, time_s: float, sampled: bool, view: Any, full: Any, picture: media.Picture | None) -> None:
        self.time_s, self.sampled = time_s, sampled
        self._view, self._full, self._picture = view, full, picture
        self._sizes: dict[Any, np.ndarray] = {}

    def _at(self, size: Any) -> np.ndarray:
        if size not in self._sizes:
            assert self._picture is not None
            self._sizes[size] = self._picture.rgb(size)
        return self._sizes[size]

    @property
    def view(self) -> np.ndarray:
        return self._view if self._picture is None else self._at(self._view)

    def full(self) -> np.ndarray:
        return self._full if self._picture is None else self._at(None)

    def feed(self, taps: list[FrameTap]) -> None:
        for tap in taps:
            size = tap.frame_size
            tap.take_frame(lambda size=size: self._at(size), self.time_s)  # type: ignore[misc]


def _frames(
    path: str | os.PathLike[str], info: VideoInfo, options: AnalyzeOptions, annotate: bool, taps: list[FrameTap]
) -> Iterator[_Decoded]:
    """Samples shrunk by FFmpeg to at most ``max_side``; when annotating, or when a stage taps
    every frame, every frame is decoded once and each consumer converts it to its own size
    (the samples' view made the same way, so tracks do not change)."""
    size = options.max_side if max(info.width, info.height) > options.max_side else None
    if annotate or taps:
        for picture in media.iter_pictures(path, fps=options.fps):
            yield _Decoded(picture.time_s, picture.sampled, size, None, picture)
        return
    for frame in media.iter_frames(path, fps=options.fps, size=size):
        yield _Decoded(frame.time_s, True, frame.image, frame.image, None)


def _analysis_rate(options: AnalyzeOptions, info: VideoInfo, warnings: list[str]) -> AnalyzeOptions:
    """Options with the analysis rate clamped to the source's: a faster one only repeats frames."""
    wanted = media.as_fps(options.fps)
    if info.fps <= 0 or wanted <= info.fps:  # a file that declares no rate is sampled as asked
        return options
    warnings.append(
        f"analysis fps {fraction_to_str(wanted)} is above the source's {fraction_to_str(info.fps)}; "
        "every frame was analysed at the source rate instead"
    )
    return replace(options, fps=info.fps)


def analyze(
    path: str | Path,
    options: AnalyzeOptions | None = None,
    *,
    annotate_to: str | Path | None = None,
    poster_to: str | Path | None = None,
    cache: ModelCache | None = None,
    device: str | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> Timeline:
    """Analyse a video; optionally write the annotated video (atomically: it appears only
    when complete) and, with ``poster_to``, a JPEG of its frame showing the most tracked boxes
    (the earliest such), for a player to show before it plays. Cancelling raises
    :class:`~studio.core.errors.Cancelled` whose ``partial`` is the timeline so far, and leaves
    no annotated file behind."""
    options = options or AnalyzeOptions()
    cache = cache or default_cache()
    if poster_to is not None and annotate_to is None:
        raise InputError("a poster is a frame of the annotated video: give annotate_to too")
    if annotate_to is not None:
        media.check_video_suffix(annotate_to)
        check_outputs([path], [annotate_to, *([poster_to] if poster_to is not None else [])])
    info = media.probe(path, strict=False)
    warnings = list(info.warnings)
    requested_fps = media.as_fps(options.fps)
    options = _analysis_rate(options, info, warnings)
    plan = plan_tasks(options, cache)
    if plan.detector is not None:
        _check_vocabulary(cache, plan.detector, options)
    if progress is not None and plan.models():
        progress(0.0, f"loading {', '.join(spec.name for spec in plan.models())}")
    work = _Analysis(info, options, _stages(options, info, plan, cache, device))
    started = time.perf_counter()
    writer: media.VideoWriter | None = None
    annotator = FrameAnnotator() if annotate_to is not None else None
    poster: tuple[int, np.ndarray] | None = None  # (boxes of kept tracks drawn, the frame): one frame held
    samples_seen: dict[int, int] = defaultdict(int)  # track id -> samples so far (short tracks are dropped)
    keeps = options.min_track_samples if "track" in plan.tasks else 1
    taps: list[FrameTap] = [stage for stage in work.stages if isinstance(stage, FrameTap)]
    try:
        if annotate_to is not None:  # inside the try: an interrupt from here on removes its temporary file
            time_base = Fraction(1, 90000) if info.is_vfr else 1 / info.fps
            writer = media.VideoWriter(annotate_to, fps=info.fps, audio_from=path, time_base=time_base)
        samples = 0
        for frame in _frames(path, info, options, writer is not None, taps):
            check_cancel(cancel, "analysis")
            if taps:
                clock = time.perf_counter()
                frame.feed(taps)
                work.add_time("frames", clock)
            if frame.sampled:
                work.sample(samples, frame.view, frame.time_s)
                samples += 1
                for track_id in _ids(work.state.tracked):
                    samples_seen[track_id] += 1
                if progress is not None and info.duration_s > 0:
                    progress(min(1.0, frame.time_s / info.duration_s), f"analysed {frame.time_s:.1f} s")
            if writer is not None and annotator is not None:
                clock = time.perf_counter()
                drawn = annotator.draw(frame.full(), work.state, work.events, frame.time_s)
                writer.write(drawn, time_s=frame.time_s)
                shown = sum(samples_seen[track_id] >= keeps for track_id in _ids(work.state.tracked))
                if poster_to is not None and (poster is None or shown > poster[0]):
                    poster = (shown, drawn.copy())
                work.add_time("annotate+encode", clock)
    except CorruptMedia as damage:
        until = f"{damage.decoded_until_s:.3f} s" if damage.decoded_until_s is not None else "the start"
        warnings.append(f"decoding stopped at {until}: {damage.reason}; analysed what decoded before it")
    except Cancelled as stopped:
        if writer is not None:
            writer.discard()
        raise Cancelled(str(stopped), partial=_timeline(info, options, work, warnings, plan, started)) from None
    except BaseException:
        if writer is not None:
            writer.discard()  # an error, Ctrl-C or SIGTERM: no half-written video
        raise
    if not work.sample_times:
        if writer is not None:
            writer.discard()
        raise CorruptMedia(os.fsdecode(path), "no frame could be decoded for analysis")
    if writer is not None:
        writer.close()  # the decoded part is a whole video: kept, like the partial timeline
    if poster_to is not None and poster is not None:
        _write_poster(poster_to, poster[1])
    timeline = _timeline(info, options, work, warnings, plan, started)
    if requested_fps != media.as_fps(options.fps):
        timeline.metadata["requested_fps"] = fraction_to_str(requested_fps)
    return timeline


def _ids(tracked: Any) -> list[int]:
    return [] if tracked.tracker_id is None else [int(track_id) for track_id in tracked.tracker_id]


def _write_poster(target: str | Path, image: np.ndarray) -> None:
    import io

    from PIL import Image

    data = io.BytesIO()
    Image.fromarray(image).save(data, format="JPEG", quality=88)
    write_bytes(target, data.getvalue())


def _timeline(info: VideoInfo, options: AnalyzeOptions, work: _Analysis, warnings: list[str], plan: TaskPlan,
              started: float) -> Timeline:  # fmt: skip
    findings = work.findings()
    total = time.perf_counter() - started
    stages = {name: round(seconds, 3) for name, seconds in work.stage_s.items()}
    stages["decode+other"] = round(max(0.0, total - sum(work.stage_s.values())), 3)
    metadata: dict[str, Any] = {
        "analysis_fps": fraction_to_str(media.as_fps(options.fps)),
        "tasks": list(plan.tasks),
        "frames_analyzed": len(work.sample_times),
        "processing_s": round(total, 3),
        "stage_s": stages,
        "detect_every": options.detect_every,
    }
    if plan.skipped:
        metadata["skipped_tasks"] = dict(plan.skipped)
    if plan.detector is not None:
        metadata["detector"] = {"name": plan.detector.name, "license": plan.detector.license}
    if plan.pose is not None:
        metadata["pose_model"] = {"name": plan.pose.name, "license": plan.pose.license}
    metadata["stages"] = [stage.name for stage in work.stages]
    metadata.update(findings.metadata)
    events = sorted([*work.events, *findings.events], key=lambda e: (e.start_s, e.kind))
    timeline = Timeline(
        video=info,
        sample_times_s=tuple(work.sample_times),
        tracks=tuple(findings.tracks),
        shots=tuple(findings.shots),
        actions=tuple(findings.actions),
        description=findings.description,
        events=tuple(events),
        counts=findings.counts,
        warnings=tuple(warnings),
        metadata=metadata,
    )
    return describe_shots(timeline)
