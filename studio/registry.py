"""The model registry: the one piece of process-wide state.

- :class:`ModelSpec` (in :mod:`studio.specs`, re-exported here) describes a model: task,
  adapter class, where its weights come from, licence, what to install.
- :class:`Registry` holds the specs, filled from the entry-point group
  ``media_studio.models`` (each entry point is a spec, a list of specs, or a function
  returning them), so plug-ins register models without editing this package.
- :class:`ModelCache` loads each ``(name, device, load options)`` once, keeps models under a memory
  budget by evicting the least recently used, and is safe to call from many threads.

Adapters satisfy :class:`ModelAdapter`: a class with ``load(spec, weights, device, options)``
returning the loaded model, which reports ``memory_mb`` and may ``close()``. They are
imported by the ``"module:Class"`` string in the spec, so ``studio`` never imports a concrete
model. What a model can do (``capabilities``, ``languages``) is declared on its spec, so a
request it cannot serve is refused before anything loads, naming models that can.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any, TypeVar, overload

from studio.errors import InputError, ModelLoadError, ModelUnavailable, OutOfMemory, UnknownModel
from studio.settings import Settings
from studio.specs import CAPABILITIES, MODEL_TASKS, LoadOptions, ModelAdapter, ModelSpec

__all__ = [
    "CAPABILITIES",
    "ENTRY_POINT_GROUP",
    "MODEL_TASKS",
    "CacheStats",
    "LoadOptions",
    "ModelAdapter",
    "ModelCache",
    "ModelSpec",
    "Registry",
    "default_cache",
    "default_registry",
    "load_model",
]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "media_studio.models"
M = TypeVar("M")  # a task contract, for ModelCache.get(kind=...)


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
        self.problems: list[str] = []  # entry points that failed to load, for `studio models list`
        for spec in specs:
            self.add(spec)

    @classmethod
    def from_entry_points(cls, group: str = ENTRY_POINT_GROUP) -> Registry:
        registry = cls()
        for point in sorted(entry_points(group=group), key=lambda ep: ep.name):
            try:
                specs = _as_specs(point.load(), point.value)
            except Exception as exc:  # one broken plug-in must not hide the others
                registry.problems.append(f"{point.name} ({point.value}): {exc}")
                log.warning("skipping model entry point %s: %s", point.value, exc)
                continue
            for spec in specs:
                registry.add(spec)
        return registry

    def add(self, spec: ModelSpec) -> None:
        if spec.name in self._specs and self._specs[spec.name] != spec:
            raise InputError(f"model name {spec.name!r} is registered twice with different specs")
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
    weights = spec.weights_path(settings)
    if weights is None:
        raise ModelUnavailable(spec.name, f"its weights ({spec.source}) are not installed", spec.install_command)
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


@dataclass
class CacheStats:
    loads: int = 0
    hits: int = 0
    evictions: int = 0


@dataclass
class _Entry:
    model: Any
    memory_mb: int
    last_used: float


Key = tuple[str, str, LoadOptions]  # (name, device, load options)


class ModelCache:
    """Loaded models by ``(name, device, load options)``: each loads once, LRU-evicted over
    the budget.

    A model bigger than the whole budget still loads (alone). Concurrent ``get`` calls for
    the same key wait for one load; different keys load in parallel.
    """

    def __init__(
        self,
        registry: Registry,
        settings: Settings,
        loader: Callable[[ModelSpec, str, Settings, LoadOptions], Any] = load_model,
        clock: Callable[[], float] = time.monotonic,  # seconds; tests pass their own
    ) -> None:
        self.registry = registry
        self._clock = clock
        self.settings = settings
        self.budget_mb = settings.memory_budget_mb
        self.stats = CacheStats()
        self._loader = loader
        self._lock = threading.Lock()
        self._entries: OrderedDict[Key, _Entry] = OrderedDict()
        self._key_locks: dict[Key, threading.Lock] = {}

    @overload
    def get(self, name: str, device: str | None = None, options: LoadOptions | None = None) -> Any: ...

    @overload
    def get(self, name: str, device: str | None = None, options: LoadOptions | None = None, *, kind: type[M]) -> M: ...

    def get(
        self, name: str, device: str | None = None, options: LoadOptions | None = None, *, kind: type[Any] | None = None
    ) -> Any:
        """The loaded model, loading it if needed. With ``kind`` (a task contract such as
        ``ASRModel`` or ``DetectorModel``, a runtime-checkable protocol) it is typed as one,
        and an adapter that does not provide the contract's methods is a ModelLoadError."""
        model = self._get(name, device, options)
        if kind is not None and not isinstance(model, kind):
            raise ModelLoadError(f"{name}'s adapter {type(model).__name__} does not provide {kind.__name__}")
        return model

    def _get(self, name: str, device: str | None, options: LoadOptions | None) -> Any:
        spec = self.registry.get(name)
        key = (name, device or self.settings.resolve_device(), options or LoadOptions())
        model = self._cached(key)
        if model is not None:
            return model
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            model = self._cached(key)
            if model is not None:
                return model
            model = self._loader(spec, key[1], self.settings, key[2])
            memory_mb = int(getattr(model, "memory_mb", spec.memory_mb))
            with self._lock:
                self._entries[key] = _Entry(model, memory_mb, self._clock())
                self.stats.loads += 1
                evicted = self._evict_over_budget(keep=key)
        for old in evicted:
            _release(old)
        return model

    def _cached(self, key: Key) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            entry.last_used = self._clock()
            self.stats.hits += 1
            return entry.model

    def _evict_over_budget(self, keep: Key) -> list[Any]:
        evicted = []
        while self.used_mb() > self.budget_mb:
            oldest = next((k for k in self._entries if k != keep), None)
            if oldest is None:
                break
            evicted.append(self._entries.pop(oldest).model)
            self.stats.evictions += 1
        return evicted

    def used_mb(self) -> int:
        return sum(entry.memory_mb for entry in self._entries.values())

    def loaded(self) -> list[Key]:
        """Keys in least- to most-recently-used order."""
        with self._lock:
            return list(self._entries)

    def resident(self) -> list[dict[str, Any]]:
        """What is loaded: name, device, load options, memory and seconds since last use."""
        now = self._clock()
        with self._lock:
            return [{"name": name, "device": device, "dtype": options.dtype, "offload": options.offload,
                     "memory_mb": entry.memory_mb, "idle_s": round(now - entry.last_used, 1)}
                    for (name, device, options), entry in self._entries.items()]  # fmt: skip

    def unload(self, name: str) -> list[Key]:
        """Drop every loaded copy of ``name`` (any device or load options)."""
        with self._lock:
            keys = [key for key in self._entries if key[0] == name]
            models = [self._entries.pop(key).model for key in keys]
            self.stats.evictions += len(keys)
        for model in models:
            _release(model)
        return keys

    def unload_idle(self, max_idle_s: float) -> list[Key]:
        """Drop models unused for ``max_idle_s`` seconds (frees GPU memory between jobs)."""
        now = self._clock()
        with self._lock:
            idle = [k for k, e in self._entries.items() if now - e.last_used >= max_idle_s]
            models = [self._entries.pop(k).model for k in idle]
            self.stats.evictions += len(idle)
        for model in models:
            _release(model)
        return idle

    def clear(self) -> None:
        self.unload_idle(0.0)


def _release(model: Any) -> None:
    """Let a model free what it holds; then return cached CUDA blocks if torch is in use."""
    close = getattr(model, "close", None)
    if callable(close):
        close()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The process-wide registry, filled from entry points on first use."""
    return Registry.from_entry_points()


@lru_cache(maxsize=1)
def default_cache() -> ModelCache:
    """The process-wide model cache over :func:`default_registry`."""
    return ModelCache(default_registry(), Settings.from_env())
