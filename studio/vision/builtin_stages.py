"""The built-in analysis stages: cuts, detection, tracking, pose, the track record, motion
and zones. Each does one job on a :class:`~studio.vision.stages.Sample`."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from studio.core import Event, Track, TrackPoint
from studio.vision.contracts import DetectorModel, PoseModel, TextQueryDetector
from studio.vision.detections import Detections
from studio.vision.motion import MotionAnalyzer, MotionSwitch, UnusualMovement, small_grey
from studio.vision.options import AnalyzeOptions
from studio.vision.shots import CutDetector
from studio.vision.stages import Findings, Sample, StageBase
from studio.vision.tracking import LOW_SCORE, Tracker
from studio.vision.zones import ZoneWatcher

__all__ = ["CutStage", "DetectStage", "MotionStage", "PoseStage", "TrackRecordStage", "TrackStage", "ZoneStage"]


class CutStage(StageBase):
    """Marks a sample whose colours differ wholesale from the one before: a cut."""

    name = "cuts"
    gives: tuple[str, ...] = ("cut",)

    def __init__(self) -> None:
        self.detector = CutDetector()

    def process(self, sample: Sample) -> None:
        sample.cut = self.detector.is_cut(sample.image)


class DetectStage(StageBase):
    """Boxes on every ``detect_every``-th sample, in source pixels; weaker boxes (down to
    ByteTrack's low score) are kept when a tracker will use them."""

    name = "detect"
    gives: tuple[str, ...] = ("detections",)

    def __init__(self, detector: DetectorModel | TextQueryDetector, options: AnalyzeOptions, tracking: bool) -> None:
        self.detector, self.options = detector, options
        self.floor = min(LOW_SCORE, options.min_score) if tracking else options.min_score

    def process(self, sample: Sample) -> None:
        if sample.number % self.options.detect_every:
            return
        if isinstance(self.detector, TextQueryDetector):
            found = self.detector.detect_queries([sample.image], self.options.queries, self.floor)[0]
        else:
            found = self.detector.detect([sample.image], self.floor)[0]
        if self.options.labels:
            found = found.keep(np.array([label in self.options.labels for label in found.labels], dtype=bool))
        sample.detections = found.scaled(*sample.scale)


class TrackStage(StageBase):
    """Stable IDs by ByteTrack (restarted at cuts; boxes moved on between detections), or,
    with tracking off, each detection numbered on its own."""

    name = "track"
    needs: tuple[str, ...] = ("detections",)
    after: tuple[str, ...] = ("cut",)
    gives: tuple[str, ...] = ("tracked",)

    def __init__(self, tracker: Tracker | None, restart_at_cuts: bool = True) -> None:
        self.tracker = tracker
        self.restart_at_cuts = restart_at_cuts  # False: a shot stage splits the tracks at its boundaries
        self.next_plain_id = 1

    def process(self, sample: Sample) -> None:
        found = sample.detections
        if self.tracker is None:
            if found is not None:
                ids = np.arange(self.next_plain_id, self.next_plain_id + len(found), dtype=int)
                self.next_plain_id += len(found)
                sample.tracked = Detections(found.xyxy, found.scores, found.labels, ids, found.extra)
            return
        if sample.cut and self.restart_at_cuts:
            self.tracker.reset()  # a new shot: nobody in it is anybody from the last one
        sample.tracked = (
            self.tracker.update(found, sample.time_s) if found is not None else self.tracker.predict(sample.time_s)
        )


class PoseStage(StageBase):
    """17 keypoints per tracked person, in source pixels."""

    name = "pose"
    needs: tuple[str, ...] = ("tracked",)
    gives: tuple[str, ...] = ("keypoints",)

    def __init__(self, pose: PoseModel) -> None:
        self.pose = pose

    def process(self, sample: Sample) -> None:
        tracked = sample.tracked
        people = tracked.keep(np.array([label == "person" for label in tracked.labels], dtype=bool))
        if not len(people) or people.tracker_id is None:
            return
        sx, sy = sample.scale
        boxes = people.xyxy / np.array([sx, sy, sx, sy], np.float32)
        keypoints = self.pose.keypoints(sample.image, boxes) * np.array([sx, sy, 1.0], np.float32)
        sample.keypoints = {int(i): k for i, k in zip(people.tracker_id, keypoints, strict=True)}


class TrackRecordStage(StageBase):
    """Each track's boxes (and keypoints) over time; tracks shorter than ``min_samples`` are
    detector flicker and left out."""

    name = "tracks"
    needs: tuple[str, ...] = ("tracked",)
    after: tuple[str, ...] = ("keypoints",)
    gives: tuple[str, ...] = ("tracks",)

    def __init__(self, min_samples: int) -> None:
        self.min_samples = min_samples
        self.points: dict[int, list[TrackPoint]] = defaultdict(list)
        self.labels: dict[int, str] = {}

    def process(self, sample: Sample) -> None:
        tracked = sample.tracked
        ids = tracked.tracker_id if tracked.tracker_id is not None else ()
        for track_id, label, box, score in zip(ids, tracked.labels, tracked.xyxy, tracked.scores, strict=True):
            self.labels[int(track_id)] = label
            kp = sample.keypoints.get(int(track_id))
            self.points[int(track_id)].append(TrackPoint(
                sample.time_s, tuple(float(v) for v in box), float(score),  # type: ignore[arg-type]
                tuple(tuple(float(v) for v in row) for row in kp) if kp is not None else None,  # type: ignore[misc]
            ))  # fmt: skip

    def finish(self, findings: Findings) -> None:
        findings.tracks = [
            Track(i, self.labels[i], tuple(points))
            for i, points in sorted(self.points.items())
            if len(points) >= self.min_samples
        ]


class MotionStage(StageBase):
    """Optical-flow motion energy: motion started/stopped and unusual movement events."""

    name = "motion"
    after: tuple[str, ...] = ("cut",)
    gives: tuple[str, ...] = ("motion",)

    def __init__(self, options: AnalyzeOptions) -> None:
        self.motion = MotionAnalyzer(grid=options.motion_grid)
        self.switch = MotionSwitch()
        self.unusual = UnusualMovement(sensitivity=options.sensitivity)

    def process(self, sample: Sample) -> None:
        motion = self.motion.update(small_grey(sample.image), sample.time_s, sample.cut)
        if motion is not None:
            self.switch.update(motion)
            self.unusual.update(motion)

    def events(self) -> list[Event]:
        return self.switch.events + self.unusual.events


class ZoneStage(StageBase):
    """Zone entries, loitering and line-crossing counts of tracked boxes."""

    name = "zones"
    needs: tuple[str, ...] = ("tracked",)
    gives: tuple[str, ...] = ("zones",)

    def __init__(self, zones: dict[str, np.ndarray], lines: dict[str, Any], loiter_s: float, frame: tuple[int, int]):
        # a zone reaching past the frame is the same zone inside it (and keeps its mask frame-sized)
        size = np.array(frame, dtype=np.float64)
        self.watcher = ZoneWatcher({n: np.clip(p, 0, size) for n, p in zones.items()}, lines, loiter_s)

    def process(self, sample: Sample) -> None:
        self.watcher.update(sample.tracked, sample.time_s)

    def events(self) -> list[Event]:
        return self.watcher.events

    def finish(self, findings: Findings) -> None:
        findings.counts = self.watcher.counts()
