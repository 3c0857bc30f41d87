"""The model registry: the one piece of process-wide state.

- :class:`Registry` holds the :class:`~studio.registry.specs.ModelSpec` s, filled from the
  entry-point group ``media_studio.models`` (each entry point is a spec, a list of specs, or
  a function returning them), so plug-ins register models without editing this package.
- :func:`load_model` checks a spec's requirements and weights and calls its adapter.

Adapters satisfy :class:`~studio.registry.specs.ModelAdapter`: a class with ``load(spec,
weights, device, options)`` returning the loaded model, which reports ``memory_mb`` and may
``close()``. They are imported by the ``"module:Class"`` string in the spec, so ``studio``
never imports a concrete model. What a model can do (``capabilities``, ``languages``) is
declared on its spec, so a request it cannot serve is refused before anything loads, naming
models that can.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any

from studio.core import InputError, ModelLoadError, ModelUnavailable, OutOfMemory, Settings, UnknownModel, one_line
from studio.registry.specs import MODEL_TASKS, LoadOptions, ModelSpec

__all__ = ["ENTRY_POINT_GROUP", "PluginProblem", "Registry", "default_registry", "load_model"]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "media_studio.models"


@dataclass(frozen=True)
class PluginProblem:
    """An entry point of ``media_studio.models`` that failed to load: its name, its
    ``module:attribute`` and the one-line reason. Printed, it is ``name (target): reason``."""

    entry_point: str
    target: str
    reason: str

    def __str__(self) -> str:
        return f"{self.entry_point} ({self.target}): {self.reason}"

    @property
    def message(self) -> str:
        """What the Models tab and the ``/models`` API show for it."""
        return f"the model plug-in {self.target} failed to load: {self.reason}"


def _as_specs(value: Any, origin: str) -> list[ModelSpec]:
    if callable(value) and not isinstance(value, ModelSpec):
        value = value()
    specs = [value] if isinstance(value, ModelSpec) else list(value)
    for spec in specs:
        if not isinstance(spec, ModelSpec):
            raise InputError(f"entry point {origin}: expected ModelSpec objects, got {type(spec).__name__}")
    return specs


class Registry:
    """Model specs by name; unknown names raise :class:`UnknownModel` listing the known."""

    def __init__(self, specs: Iterable[ModelSpec] = ()) -> None:
        self._specs: dict[str, ModelSpec] = {}
        self.problems: list[PluginProblem] = []  # entry points that failed to load, shown wherever models are listed
        for spec in specs:
            self.add(spec)

    @classmethod
    def from_entry_points(cls, group: str = ENTRY_POINT_GROUP) -> Registry:
        registry = cls()
        for point in sorted(entry_points(group=group), key=lambda ep: ep.name):
            try:
                specs = _as_specs(point.load(), point.value)
            except Exception as exc:  # one broken plug-in must not hide the others
                reason = one_line(str(exc)) or type(exc).__name__
                registry.problems.append(PluginProblem(point.name, point.value, reason))
                log.warning("skipping model entry point %s: %s", point.value, exc)
                continue
            for spec in specs:
                registry.add(spec)
        return registry

    def add(self, spec: ModelSpec) -> None:
        if spec.name in self._specs and self._specs[spec.name] != spec:
            raise InputError(f"model name {spec.name!r} is registered twice with different specs")
        self._specs[spec.name] = spec

    def replace(self, spec: ModelSpec) -> None:
        """Register ``spec`` in place of a spec of the same name: a model made again (``studio
        train --force``). The caller drops loaded copies of the old one (``ModelCache.unload``)."""
        self._specs[spec.name] = spec

    def get(self, name: str) -> ModelSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise UnknownModel(name, self._specs) from None

    def names(self) -> list[str]:
        return sorted(self._specs)

    def specs(self, task: str | None = None) -> list[ModelSpec]:
        if task is not None and task not in MODEL_TASKS:
            raise InputError(f"expected task in {MODEL_TASKS}, got {task!r}")
        return [s for s in sorted(self._specs.values(), key=lambda s: s.name) if task in (None, s.task)]

    def default_for(self, task: str, settings: Settings) -> ModelSpec:
        """The best installed model for ``task`` (highest priority), else ModelUnavailable."""
        candidates = sorted(self.specs(task), key=lambda s: -s.priority)
        for spec in candidates:
            if spec.is_installed(settings):
                return spec
        if not candidates:
            raise InputError(f"no model is registered for task {task!r}")
        best = candidates[0]
        raise ModelUnavailable(best.name, f"no {task} model is installed", best.install_command)

    def choose(self, task: str, name: str | None, settings: Settings) -> ModelSpec:
        """The model called ``name``, refused when it does another task; unnamed, the best
        installed model for ``task``."""
        if not name:
            return self.default_for(task, settings)
        spec = self.get(name)
        if spec.task != task:
            raise InputError(f"model {name!r} does {spec.task}, not {task}")
        return spec

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __len__(self) -> int:
        return len(self._specs)


def _import_object(target: str) -> Any:
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute)


def _is_out_of_memory(exc: BaseException) -> bool:
    return type(exc).__name__ == "OutOfMemoryError" or "out of memory" in str(exc).lower()


def load_model(spec: ModelSpec, device: str, settings: Settings, options: LoadOptions | None = None) -> Any:
    """Check requirements and weights, then call the adapter's ``load``. Typed errors only."""
    missing = spec.missing_requirements()
    if missing:
        reason = f"python package {', '.join(missing)} is not installed"
        raise ModelUnavailable(spec.name, reason, spec.extra_command)
    found = spec.find_weights(settings)
    weights = found.path
    if weights is None:
        reason = found.problem or f"its weights ({spec.source}) are not installed"
        raise ModelUnavailable(spec.name, reason, spec.install_command)
    try:
        adapter = _import_object(spec.adapter)
    except ImportError as exc:
        raise ModelUnavailable(spec.name, f"its adapter cannot be imported ({exc})", spec.extra_command) from None
    try:
        return adapter.load(spec, weights, device, options or LoadOptions())
    except (InputError, ModelUnavailable, ModelLoadError, OutOfMemory):
        raise
    except Exception as exc:
        if _is_out_of_memory(exc):
            advice = "free the device (other jobs, cached models) or use cpu"
            raise OutOfMemory(f"loading {spec.name} on {device} ran out of memory: {advice}") from None
        raise ModelLoadError(f"loading {spec.name} from {weights} failed: {type(exc).__name__}: {exc}") from exc


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The process-wide registry, filled from entry points on first use."""
    return Registry.from_entry_points()
