"""The stages that understand a video: shots, actions per person, scenes and captions per shot.

- :class:`ShotStage` sees every frame as a thumbnail (a :class:`~studio.vision.stages.FrameTap`)
  and, when the pass ends, turns the shot model's transitions into the shot list, gives each
  shot a keyframe (the sample nearest its middle) and splits every track at shot boundaries;
- :class:`PoseActionStage` labels each person from their keypoints: live (the annotated video
  shows the current action) and, at the end, per track into time segments;
- :class:`SceneStage` runs the scene models on every sample and, at the end, sums them up per
  shot (tags with mean scores), captions each shot's keyframe and describes the whole clip.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from studio.core import Label, Shot
from studio.vision.contracts import ImageCaptioner, ImageClassifier, PoseActionModel, Scored, ShotModel, VideoDescriber
from studio.vision.stages import Findings, Sample, StageBase

__all__ = ["LIVE_ACTION_WINDOW_S", "PoseActionStage", "SceneModel", "SceneStage", "ShotStage"]

LIVE_ACTION_WINDOW_S = 2.0  # the annotated video's action label looks at this much of the past
TAGS_PER_SHOT = 5
KEYFRAME_SIDE = 448  # captioners and describers get keyframes this big (JPEG-held: small memory)


def nearest(times: list[float], target: float) -> int:
    return int(np.argmin(np.abs(np.asarray(times) - target)))


class ShotStage(StageBase):
    """Shot boundaries from every frame; the shot list, keyframes and track splits at the end."""

    name = "shots"
    after: tuple[str, ...] = ("tracks",)  # finishes after the tracks exist, to split them
    gives: tuple[str, ...] = ("shots",)

    def __init__(self, model: ShotModel, model_name: str, frame_interval_s: float, min_track_points: int = 1) -> None:
        self.min_track_points = min_track_points
        self.scorer = model.scorer()
        self.frame_size: tuple[int, int] | int = model.frame_size
        self.model_name = model_name
        self.frame_interval_s = frame_interval_s
        self.first_s: float | None = None
        self.last_s = 0.0
        self.sample_times: list[float] = []

    def take_frame(self, picture: Callable[[], np.ndarray], time_s: float) -> None:
        if self.first_s is None:
            self.first_s = time_s
        self.last_s = time_s
        self.scorer.push(picture(), time_s)

    def process(self, sample: Sample) -> None:
        self.sample_times.append(sample.time_s)

    def finish(self, findings: Findings) -> None:
        from studio.vision.shot_list import shots_from_transitions, split_tracks_at_shots

        if self.first_s is None:
            return
        transitions = self.scorer.finish()
        shots = shots_from_transitions(transitions, self.first_s, self.last_s + self.frame_interval_s)
        findings.shots = [self._with_keyframe(shot) for shot in shots]
        findings.tracks = split_tracks_at_shots(findings.tracks, findings.shots, self.min_track_points)
        findings.metadata["shot_model"] = self.model_name

    def _with_keyframe(self, shot: Shot) -> Shot:
        inside = [t for t in self.sample_times if shot.start_s <= t < shot.end_s]
        if not inside:
            return shot
        return replace(shot, keyframe_s=inside[nearest(inside, (shot.start_s + shot.end_s) / 2)])


class PoseActionStage(StageBase):
    """What each person does, from their keypoints on real timestamps."""

    name = "actions"
    needs: tuple[str, ...] = ("tracked", "keypoints", "tracks")
    after: tuple[str, ...] = ("shots",)  # labels the tracks as split at shot boundaries
    gives: tuple[str, ...] = ("actions",)

    def __init__(self, model: PoseActionModel, model_name: str) -> None:
        self.model, self.model_name = model, model_name
        self.recent: dict[int, deque[tuple[float, np.ndarray, np.ndarray]]] = defaultdict(deque)

    def process(self, sample: Sample) -> None:
        tracked = sample.tracked
        if tracked.tracker_id is None:
            return
        boxes = {int(i): box for i, box in zip(tracked.tracker_id, tracked.xyxy, strict=True)}
        current: dict[int, str] = {}
        for track_id, points in sample.keypoints.items():
            window = self.recent[track_id]
            window.append((sample.time_s, points, boxes[track_id]))
            while window and window[0][0] < sample.time_s - LIVE_ACTION_WINDOW_S:
                window.popleft()
            times = np.array([t for t, _, _ in window])
            labels = self.model.label_poses(
                times, np.stack([k for _, k, _ in window]), np.stack([b for _, _, b in window])
            )
            if labels:
                current[track_id] = labels[-1][0]
        for gone in [i for i in self.recent if i not in sample.keypoints]:
            del self.recent[gone]
        sample.extra["actions"] = current

    def finish(self, findings: Findings) -> None:
        from studio.vision.action_segments import segments_from_labels

        for track in findings.tracks:
            points = [p for p in track.points if p.keypoints is not None]
            if track.label != "person" or not points:
                continue
            times = np.array([p.time_s for p in points])
            keypoints = np.array([p.keypoints for p in points], dtype=np.float32)
            boxes = np.array([p.xyxy for p in points], dtype=np.float32)
            labels = self.model.label_poses(times, keypoints, boxes)
            findings.actions += segments_from_labels(times, labels, model=self.model_name, track_id=track.id)
        findings.actions.sort(key=lambda a: (a.start_s, a.track_id if a.track_id is not None else -1))
        findings.metadata["action_model"] = self.model_name


class SceneModel:
    """One scene classifier as the stage runs it: its name, the model, the user's labels."""

    def __init__(self, name: str, model: ImageClassifier, labels: tuple[str, ...] = ()) -> None:
        self.name, self.model, self.labels = name, model, labels


class SceneStage(StageBase):
    """Scene tags per sample, summed up per shot; captions per shot; a description of the clip."""

    name = "scenes"
    after: tuple[str, ...] = ("shots",)
    gives: tuple[str, ...] = ("scenes",)

    def __init__(
        self,
        classifiers: list[SceneModel],
        captioner: tuple[str, ImageCaptioner] | None = None,
        describer: tuple[str, VideoDescriber] | None = None,
    ) -> None:
        self.classifiers, self.captioner, self.describer = classifiers, captioner, describer
        self.times: list[float] = []
        self.scores: list[dict[str, Scored]] = []  # per sample: model name -> its scores
        self.pictures: list[bytes] = []  # per sample, JPEG, only when a captioner or describer needs them

    def process(self, sample: Sample) -> None:
        self.times.append(sample.time_s)
        found = {c.name: c.model.classify_images([sample.image], c.labels, TAGS_PER_SHOT)[0] for c in self.classifiers}
        self.scores.append(found)
        if self.classifiers:
            first = found[self.classifiers[0].name][:2]
            sample.extra["strip"] = "  ·  ".join(f"{label} {score:.2f}" for label, score in first)
        if self.captioner is not None or self.describer is not None:
            self.pictures.append(_jpeg(sample.image))

    def finish(self, findings: Findings) -> None:
        if not self.times:
            return
        shots = findings.shots or [
            Shot(0, self.times[0], self.times[-1] + 1e-3, keyframe_s=self.times[len(self.times) // 2])
        ]
        tagged = [self._tagged(shot) for shot in shots]
        if self.captioner is not None:
            name, captioner = self.captioner
            keyframes = [self._keyframe(shot) for shot in tagged]
            wanted = [k for k in keyframes if k is not None]
            captions = iter(captioner.caption_images([_picture(self.pictures[k]) for k in wanted]) if wanted else [])
            tagged = [replace(s, caption=next(captions), caption_model=name) if k is not None else s
                      for s, k in zip(tagged, keyframes, strict=True)]  # fmt: skip
        if self.describer is not None:
            name, describer = self.describer
            count = min(len(self.pictures), max(1, describer.clip_frames))
            chosen = np.linspace(0, len(self.pictures) - 1, count).round().astype(int)
            findings.description = describer.describe_video([_picture(self.pictures[i]) for i in chosen])
            findings.metadata["description_model"] = name
        findings.shots = tagged
        findings.metadata["scene_models"] = [c.name for c in self.classifiers]

    def _keyframe(self, shot: Shot) -> int | None:
        if shot.keyframe_s is None:
            return None
        return nearest(self.times, shot.keyframe_s)

    def _tagged(self, shot: Shot) -> Shot:
        inside = [i for i, t in enumerate(self.times) if shot.start_s <= t < shot.end_s]
        if not inside:
            return shot
        tags: dict[str, tuple[Label, ...]] = {}
        for classifier in self.classifiers:
            totals: dict[str, float] = defaultdict(float)
            for i in inside:
                for label, score in self.scores[i][classifier.name]:
                    totals[label] += score
            best = sorted(totals.items(), key=lambda item: -item[1])[:TAGS_PER_SHOT]
            tags[classifier.name] = tuple(Label(label, round(total / len(inside), 4)) for label, total in best)
        keyframe = shot.keyframe_s if shot.keyframe_s is not None else self.times[inside[len(inside) // 2]]
        return replace(shot, tags=tags, keyframe_s=keyframe)


def _jpeg(image: np.ndarray) -> bytes:
    import cv2

    height, width = image.shape[:2]
    scale = min(1.0, KEYFRAME_SIDE / max(height, width))
    small: Any = cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
    return bytes(data) if ok else b""


def _picture(data: bytes) -> np.ndarray:
    import cv2

    picture: Any = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return np.ascontiguousarray(cv2.cvtColor(picture, cv2.COLOR_BGR2RGB))
