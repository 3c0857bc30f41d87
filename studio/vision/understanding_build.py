"""Building the clip-action and scene stages from a :class:`~studio.vision.task_plan.TaskPlan`:
the models come from the cache, each with the contract its spec's capabilities promise."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np

from studio.registry import ModelCache, ModelSpec
from studio.vision.clip_windows import Clip, ClipCollector, ClipPlan, actions_from_clips
from studio.vision.contracts import (
    ClipActionModel,
    ImageCaptioner,
    ImageClassifier,
    Scored,
    UsesModels,
    VideoDescriber,
)
from studio.vision.options import AnalyzeOptions
from studio.vision.stages import Findings, Sample, Stage, StageBase
from studio.vision.task_plan import TaskPlan
from studio.vision.understanding_stages import SceneModel, SceneStage

__all__ = ["ClipActionStage", "clip_action_stage", "scene_stage"]

CLIP_BATCH = 4  # clips classified together
M = TypeVar("M")


class ClipActionStage(StageBase):
    """Actions of the whole frame, by clip models: windows of frames chosen by timestamp at each
    model's own rate (a :class:`~studio.vision.stages.FrameTap`), labelled in batches, merged
    into segments when the pass ends."""

    name = "clip-actions"
    gives: tuple[str, ...] = ("clip-actions",)

    def __init__(self, models: list[tuple[str, ClipActionModel, tuple[str, ...]]], hop_s: float,
                 frame_size: tuple[int, int]) -> None:  # fmt: skip
        self.models = models
        self.frame_size: tuple[int, int] | int = frame_size
        self.collectors = [ClipCollector(ClipPlan(m.clip_frames, m.clip_fps, hop_s)) for _, m, _ in models]
        self.pending: list[list[Clip]] = [[] for _ in models]
        self.done: list[list[tuple[Clip, Scored]]] = [[] for _ in models]

    def take_frame(self, picture: Callable[[], np.ndarray], time_s: float) -> None:
        for number, collector in enumerate(self.collectors):
            self.pending[number] += collector.push(time_s, picture)
            if len(self.pending[number]) >= CLIP_BATCH:
                self._classify(number)

    def process(self, sample: Sample) -> None:
        return None

    def _classify(self, number: int) -> None:
        clips, self.pending[number] = self.pending[number], []
        if not clips:
            return
        _, model, labels = self.models[number]
        scored = model.classify_clips([clip.array() for clip in clips], labels)
        self.done[number] += [(Clip(c.index, c.start_s, c.end_s, c.frame_times_s, (), c.padded), s)
                              for c, s in zip(clips, scored, strict=True)]  # fmt: skip

    def finish(self, findings: Findings) -> None:
        for number, collector in enumerate(self.collectors):
            self.pending[number] += collector.finish()
            self._classify(number)
            name = self.models[number][0]
            clips = [clip for clip, _ in self.done[number]]
            findings.actions += actions_from_clips(clips, [s for _, s in self.done[number]], name)
        findings.actions.sort(key=lambda a: (a.start_s, a.track_id if a.track_id is not None else -1))
        findings.metadata["clip_action_models"] = [name for name, _, _ in self.models]


def _short_side(width: int, height: int, side: int) -> tuple[int, int]:
    """(w, h) with the shorter side ``side`` (even sides), keeping the aspect."""
    scale = side / max(1, min(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _bound(model: M, cache: ModelCache, device: str | None) -> M:
    """``model``, given the cache its own models come from when it runs others (a trained head)."""
    if isinstance(model, UsesModels):
        model.bind(cache, device)
    return model


def clip_action_stage(options: AnalyzeOptions, plan: TaskPlan, cache: ModelCache, device: str | None,
                      frame: tuple[int, int] = (640, 360)) -> Stage:  # fmt: skip
    models = []
    for spec in plan.clip_actions:
        model = _bound(cache.get(spec.name, device, kind=ClipActionModel), cache, device)
        models.append((spec.name, model, options.action_labels if spec.can("zero-shot") else ()))
    side = max(m.frame_side for _, m, _ in models)
    return ClipActionStage(models, options.action_hop_s, _short_side(*frame, side))


def _scene_model(spec: ModelSpec, options: AnalyzeOptions, cache: ModelCache, device: str | None) -> SceneModel:
    model = _bound(cache.get(spec.name, device, kind=ImageClassifier), cache, device)
    return SceneModel(spec.name, model, options.scene_labels if spec.can("zero-shot") else ())


def scene_stage(options: AnalyzeOptions, plan: TaskPlan, cache: ModelCache, device: str | None) -> Stage:
    classifiers = [_scene_model(spec, options, cache, device) for spec in plan.scenes]
    captioner = describer = None
    if plan.captioner is not None:
        captioner = (plan.captioner.name, cache.get(plan.captioner.name, device, kind=ImageCaptioner))
    if plan.describer is not None:
        describer = (plan.describer.name, cache.get(plan.describer.name, device, kind=VideoDescriber))
    return SceneStage(classifiers, captioner, describer)
