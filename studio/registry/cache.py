"""The model cache: each ``(name, device, load options)`` loaded once, kept under a memory
budget by evicting the least recently used, safe to call from many threads."""

from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar, overload

from studio.core import ModelLoadError, Settings
from studio.registry.registry import Registry, default_registry, load_model
from studio.registry.specs import LoadOptions, ModelSpec

__all__ = ["CacheStats", "ModelCache", "default_cache"]

M = TypeVar("M")  # a task contract, for ModelCache.get(kind=...)


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
def default_cache() -> ModelCache:
    """The process-wide model cache over :func:`default_registry`."""
    return ModelCache(default_registry(), Settings.from_env())
