"""The model cache: each ``(name, device, load options)`` loaded once, kept under a memory
budget by evicting the least recently used, safe to call from many threads.

A job runs inside :meth:`ModelCache.in_use`: every model it gets is held until the job ends.
A held model is never evicted (over the budget, idle, or by an unload from the Models tab)
and is never idle; its idle time counts from the end of the last job that held it.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar, overload

from studio.core import Busy, ModelLoadError, Settings
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
    last_used: float  # when it was last got or, if held, last let go
    holders: int = 0  # open in_use() blocks that got it

    @property
    def held(self) -> bool:
        return self.holders > 0


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
        self._local = threading.local()  # per thread: the keys each open in_use() block holds

    @contextmanager
    def in_use(self) -> Iterator[None]:
        """Hold every model this thread gets inside the block until the block ends (a job
        computes with it): it is not evicted, unloaded or idle meanwhile."""
        blocks: list[set[Key]] = self._local.__dict__.setdefault("blocks", [])
        held: set[Key] = set()
        blocks.append(held)
        try:
            yield
        finally:
            blocks.pop()  # blocks nest within a thread: this one is the innermost
            now = self._clock()
            with self._lock:
                for key in held:
                    entry = self._entries.get(key)
                    if entry is not None:
                        entry.holders -= 1
                        entry.last_used = now
                        self._entries.move_to_end(key)

    def _hold(self, key: Key, entry: _Entry) -> None:
        """Under ``_lock``: the innermost open in_use() block of this thread holds ``key``."""
        blocks: list[set[Key]] = self._local.__dict__.get("blocks", [])
        if blocks and key not in blocks[-1]:
            blocks[-1].add(key)
            entry.holders += 1

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
                self._entries[key] = entry = _Entry(model, memory_mb, self._clock())
                self._hold(key, entry)
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
            self._hold(key, entry)
            self.stats.hits += 1
            return entry.model

    def _evict_over_budget(self, keep: Key) -> list[Any]:
        evicted = []
        while self.used_mb() > self.budget_mb:  # models in use stay, even over the budget
            oldest = next((k for k, e in self._entries.items() if k != keep and not e.held), None)
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
        """What is loaded: name, device, load options, memory, whether a job is using it and
        seconds since last use (0 while in use)."""
        now = self._clock()
        with self._lock:
            return [{"name": name, "device": device, "dtype": options.dtype, "offload": options.offload,
                     "memory_mb": entry.memory_mb, "in_use": entry.held,
                     "idle_s": 0.0 if entry.held else round(now - entry.last_used, 1)}
                    for (name, device, options), entry in self._entries.items()]  # fmt: skip

    def unload(self, name: str) -> list[Key]:
        """Drop every loaded copy of ``name`` (any device or load options); refused (Busy)
        while a running job uses one."""
        with self._lock:
            keys = [key for key in self._entries if key[0] == name]
            if any(self._entries[key].held for key in keys):
                raise Busy(f"{name} is in use by a running job; unload it once the job has ended")
            models = [self._entries.pop(key).model for key in keys]
            self.stats.evictions += len(keys)
        for model in models:
            _release(model)
        return keys

    def unload_idle(self, max_idle_s: float) -> list[Key]:
        """Drop models unused for ``max_idle_s`` seconds (frees GPU memory between jobs);
        a model a running job holds is never idle."""
        now = self._clock()
        with self._lock:
            idle = [k for k, e in self._entries.items() if not e.held and now - e.last_used >= max_idle_s]
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
