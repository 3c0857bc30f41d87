"""Models by name: what each is (:class:`ModelSpec`), where its weights are, how it installs,
and the cache that loads each once.

- :mod:`~studio.registry.specs`: :class:`ModelSpec`, :class:`LoadOptions`, the adapter protocol;
- :mod:`~studio.registry.registry`: :class:`Registry` (entry points ``media_studio.models``),
  :func:`load_model`;
- :mod:`~studio.registry.cache`: :class:`ModelCache`, each ``(name, device, load options)`` loaded once;
- :mod:`~studio.registry.weights`: where a spec's ``source`` is on this machine;
- :mod:`~studio.registry.installer`: ``studio models install``.
"""

from studio.registry.cache import CacheStats, ModelCache, default_cache
from studio.registry.installer import install_model, pip_install
from studio.registry.registry import ENTRY_POINT_GROUP, PluginProblem, Registry, default_registry, load_model
from studio.registry.specs import CAPABILITIES, DTYPES, MODEL_TASKS, OFFLOADS, LoadOptions, ModelAdapter, ModelSpec
from studio.registry.weights import SOURCE_KINDS, FoundWeights, find_weights, locate, split_source

__all__ = [
    "CAPABILITIES",
    "DTYPES",
    "ENTRY_POINT_GROUP",
    "MODEL_TASKS",
    "OFFLOADS",
    "SOURCE_KINDS",
    "CacheStats",
    "FoundWeights",
    "LoadOptions",
    "ModelAdapter",
    "ModelCache",
    "ModelSpec",
    "PluginProblem",
    "Registry",
    "default_cache",
    "default_registry",
    "find_weights",
    "install_model",
    "load_model",
    "locate",
    "pip_install",
    "split_source",
]
