"""Stages: the building blocks of the analysis pipeline.

A stage does one job on every analysis sample (detect, track, pose, motion, zones, and
plug-ins such as a captioner) and declares what it ``needs`` from earlier stages and what it
``gives``; the pipeline orders the stages by those names and runs them over one decode
pass. A new stage is one file: a class with this shape, and a factory registered under the
entry-point group ``media_studio.stages`` whose name becomes a task of ``studio analyze
--tasks``. The factory is called with the ``AnalyzeOptions`` and the model cache.

Names the built-in stages give: ``cut`` (a shot change before this sample), ``detections``
(boxes in source pixels, ``None`` on samples the detector skipped), ``tracked`` (boxes with
``tracker_id``), ``keypoints`` (per track id), ``tracks``, ``motion``, ``zones``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from studio.core import Action, Event, InputError, Shot, StudioError, Track
from studio.vision.detections import Detections

if TYPE_CHECKING:  # options.py imports this module: the stage contract comes first
    from studio.registry import ModelCache
    from studio.vision.options import AnalyzeOptions

__all__ = [
    "STAGE_ENTRY_POINT_GROUP",
    "Findings",
    "FrameTap",
    "Sample",
    "Stage",
    "StageBase",
    "make_plugin_stage",
    "order_stages",
    "plugin_stage_names",
]

STAGE_ENTRY_POINT_GROUP = "media_studio.stages"


@dataclass
class Sample:
    """One analysis sample on its way through the stages; each stage reads and adds fields."""

    number: int  # 0-based count of samples
    time_s: float  # on the source's clock
    image: np.ndarray  # RGB as models see it (at most max_side pixels)
    scale: tuple[float, float]  # model-view pixels -> source pixels, (x, y)
    cut: bool = False
    detections: Detections | None = None
    tracked: Detections = field(default_factory=Detections.empty)
    keypoints: dict[int, np.ndarray] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # what plug-in stages pass on


@dataclass
class Findings:
    """What the stages add to the timeline when the pass ends (or is cancelled)."""

    tracks: list[Track] = field(default_factory=list)
    shots: list[Shot] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    description: str | None = None  # of the whole clip
    events: list[Event] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


class Stage(Protocol):
    name: str  # for timings, ordering messages and ``--tasks``
    needs: tuple[str, ...]  # must run after the stages that give these
    after: tuple[str, ...]  # runs after these when some stage gives them (optional inputs)
    gives: tuple[str, ...]

    def process(self, sample: Sample) -> None: ...

    def events(self) -> list[Event]: ...

    def finish(self, findings: Findings) -> None: ...


@runtime_checkable
class FrameTap(Protocol):
    """A stage that also sees every decoded frame, not only the samples (shot boundaries,
    clips for an action model): ``take_frame`` gets each one, in order, at ``frame_size``
    (``(w, h)`` or the longest side, as :func:`studio.media.iter_frames` takes it), before the
    sample of the same time is processed. ``picture()`` converts the frame (once per size for
    the whole pass) and is valid only during the call: a tap that wants only some frames
    never pays for the others."""

    frame_size: tuple[int, int] | int

    def take_frame(self, picture: Callable[[], np.ndarray], time_s: float) -> None: ...


class StageBase:
    """Defaults for a stage: no needs, no events, nothing to add at the end."""

    name = "stage"
    needs: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    gives: tuple[str, ...] = ()

    def process(self, sample: Sample) -> None:
        raise NotImplementedError

    def events(self) -> list[Event]:
        return []

    def finish(self, findings: Findings) -> None:
        return None


def order_stages(stages: Iterable[Stage]) -> list[Stage]:
    """The stages in an order where each runs after what it needs (and what it runs ``after``,
    when present); a need nobody gives is an :class:`InputError` naming both."""
    pending = list(stages)
    given = {name for stage in pending for name in stage.gives}
    for stage in pending:
        missing = [need for need in stage.needs if need not in given]
        if missing:
            raise InputError(f"stage {stage.name!r} needs {', '.join(missing)}, which no chosen stage gives")
    ordered: list[Stage] = []
    done: set[str] = set()
    while pending:
        ready = next(
            (
                s
                for s in pending
                if all(n in done for n in s.needs) and all(a in done or a not in given for a in s.after)
            ),
            None,
        )
        if ready is None:
            raise InputError(f"stages {', '.join(s.name for s in pending)} need each other's results")
        ordered.append(ready)
        done.update(ready.gives)
        pending.remove(ready)
    return ordered


StageFactory = Callable[["AnalyzeOptions", "ModelCache"], Stage]  # what a plug-in entry point loads


def plugin_stage_names() -> list[str]:
    """Tasks that stages registered by other packages add to ``studio analyze --tasks``."""
    return sorted(point.name for point in entry_points(group=STAGE_ENTRY_POINT_GROUP))


def make_plugin_stage(name: str, options: AnalyzeOptions, cache: ModelCache) -> Stage:
    """The registered stage ``name``, built for these options; a broken plug-in is a typed error."""
    points = [p for p in entry_points(group=STAGE_ENTRY_POINT_GROUP) if p.name == name]
    if not points:
        raise InputError(f"no analysis stage is registered for task {name!r}")
    try:
        factory: StageFactory = points[0].load()
        return factory(options, cache)
    except StudioError:
        raise
    except Exception as exc:
        raise InputError(
            f"the {name!r} stage ({points[0].value}) could not be built: {type(exc).__name__}: {exc}"
        ) from None
