"""Which tasks an analysis runs and with which models: :func:`plan_tasks`.

Named tasks must all run: a missing model is the registry's one-line
:class:`~studio.core.ModelUnavailable` naming its install command. With no tasks named
(``AnalyzeOptions.tasks == ()``) every task whose model is installed runs, in the order of
``ANALYSIS_TASKS``; the others are skipped and :attr:`TaskPlan.skipped` says why, for the
timeline's metadata. Nothing is loaded here: this only reads the registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from studio.core import InputError, ModelUnavailable, StudioError
from studio.registry import ModelCache, ModelSpec
from studio.vision.options import ANALYSIS_TASKS, AnalyzeOptions

__all__ = ["TaskPlan", "plan_tasks"]

NEEDS = {"track": ("detect",), "pose": ("detect",)}  # a task that cannot run without another


@dataclass
class TaskPlan:
    """The tasks that run, the model behind each role, and the tasks left out with why."""

    tasks: list[str] = field(default_factory=list)
    detector: ModelSpec | None = None
    pose: ModelSpec | None = None
    shots: ModelSpec | None = None
    pose_actions: ModelSpec | None = None  # per person, from keypoints
    clip_actions: list[ModelSpec] = field(default_factory=list)  # whole-frame clips (VideoMAE, X-CLIP, trained)
    scenes: list[ModelSpec] = field(default_factory=list)  # classify models run on every shot
    captioner: ModelSpec | None = None
    describer: ModelSpec | None = None  # a whole-clip description
    skipped: dict[str, str] = field(default_factory=dict)

    def models(self) -> list[ModelSpec]:
        one = [self.detector, self.pose, self.shots, self.pose_actions, self.captioner, self.describer]
        return [spec for spec in (*one, *self.clip_actions, *self.scenes) if spec is not None]


def _best(cache: ModelCache, task: str, want: tuple[str, ...] = (), avoid: tuple[str, ...] = ()) -> ModelSpec:
    """The best installed ``task`` model with all of ``want`` and none of ``avoid``."""
    candidates = [
        spec
        for spec in sorted(cache.registry.specs(task), key=lambda s: -s.priority)
        if all(spec.can(c) for c in want) and not any(spec.can(c) for c in avoid)
    ]
    for spec in candidates:
        if spec.is_installed(cache.settings):
            return spec
    kind = " ".join((*want, task)) if want else task
    if not candidates:
        raise InputError(f"no {kind} model is registered")
    best = candidates[0]
    raise ModelUnavailable(best.name, f"no {kind} model is installed", best.install_command)


def _installed(cache: ModelCache, spec: ModelSpec) -> ModelSpec:
    """``spec`` if it can load here, else the registry's one-line reason."""
    spec.require_installed(cache.settings)
    return spec


def _named(cache: ModelCache, task: str, name: str) -> ModelSpec:
    return _installed(cache, cache.registry.choose(task, name, cache.settings))


def _plan_one(task: str, options: AnalyzeOptions, cache: ModelCache, plan: TaskPlan) -> None:
    """Fill ``plan``'s models for ``task``; raise what stops it."""
    if task == "detect":
        plan.detector = _named(cache, "detect", options.detector) if options.detector else _best(cache, "detect")
    elif task == "pose":
        plan.pose = _named(cache, "pose", options.pose_model) if options.pose_model else _best(cache, "pose")
    elif task == "shots":
        plan.shots = _named(cache, "shots", options.shot_model) if options.shot_model else _best(cache, "shots")
    elif task == "actions":
        _plan_actions(options, cache, plan)
    elif task == "scenes":
        _plan_scenes(options, cache, plan)
    elif task == "captions":
        if options.caption_model:
            plan.captioner = _named(cache, "caption", options.caption_model)
            if plan.captioner.can("video"):
                plan.describer, plan.captioner = plan.captioner, None
        else:
            plan.captioner = _best(cache, "caption", avoid=("video",))
        if options.video_model:
            plan.describer = _named(cache, "caption", options.video_model)
            if not plan.describer.can("video"):
                raise InputError(f"{plan.describer.name} captions pictures; a clip describer has the video capability")
        elif plan.describer is None:
            try:
                plan.describer = _best(cache, "caption", want=("video",))
            except StudioError:
                plan.describer = None  # optional: the per-shot captions are the task


def _plan_actions(options: AnalyzeOptions, cache: ModelCache, plan: TaskPlan) -> None:
    specs = [_named(cache, "action", name) for name in options.action_models]
    if not specs:
        specs = [_best(cache, "action", want=("pose",))]
    for spec in specs:
        if spec.can("pose"):
            if plan.pose is None:
                raise InputError(f"{spec.name} labels people from their poses: add the pose task (and detect)")
            plan.pose_actions = spec
        else:
            if spec.can("zero-shot") and not options.action_labels:
                raise InputError(f"{spec.name} is zero-shot: give the actions to look for, e.g. --action-labels "
                                 "'dancing,cooking'")  # fmt: skip
            plan.clip_actions.append(spec)
    if options.action_labels and not any(spec.can("zero-shot") for spec in specs):
        raise InputError("action labels need a zero-shot action model, e.g. --actions xclip-base-patch32")


def _plan_scenes(options: AnalyzeOptions, cache: ModelCache, plan: TaskPlan) -> None:
    specs = [_named(cache, "classify", name) for name in options.scene_models]
    if not specs:
        specs = [_best(cache, "classify", avoid=("zero-shot", "trained"))]
        if options.scene_labels:
            specs.append(_best(cache, "classify", want=("zero-shot",)))
    for spec in specs:
        if spec.can("zero-shot") and not options.scene_labels:
            raise InputError(f"{spec.name} is zero-shot: give the scenes to tell apart, e.g. --scene-labels "
                             "'a kitchen,a beach'")  # fmt: skip
    if options.scene_labels and not any(spec.can("zero-shot") for spec in specs):
        raise InputError("scene labels need a zero-shot scene model, e.g. --scenes clip-vit-base-patch32")
    plan.scenes = specs


def plan_tasks(options: AnalyzeOptions, cache: ModelCache) -> TaskPlan:
    """The tasks to run and their models (see the module's docstring)."""
    plan = TaskPlan()
    named = bool(options.tasks)
    for task in options.tasks or ANALYSIS_TASKS:
        if task not in ANALYSIS_TASKS:  # a plug-in stage: it brings its own models
            plan.tasks.append(task)
            continue
        if not named:
            lacking = [need for need in NEEDS.get(task, ()) if need not in plan.tasks]
            if lacking:
                plan.skipped[task] = f"needs {', '.join(lacking)}, which was skipped"
                continue
        try:
            _plan_one(task, options, cache, plan)
        except StudioError as exc:
            if named:
                raise
            plan.skipped[task] = str(exc)
            continue
        plan.tasks.append(task)
    return plan
