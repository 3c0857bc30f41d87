"""Which image embedder the quality scores' feature consistency uses: the one named, else
EfficientNet-Lite0 when installed (the offline stand-in for VBench's DINO), else none."""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.core import InputError
from studio.vision import ImageEmbedder

if TYPE_CHECKING:
    from studio.registry import ModelCache

__all__ = ["DEFAULT_FEATURES", "NO_FEATURES", "check_embedder", "quality_embedder"]

DEFAULT_FEATURES = "efficientnet-lite0"
NO_FEATURES = "none"


def quality_embedder(cache: ModelCache, name: str | None = None,
                     device: str | None = None) -> tuple[ImageEmbedder | None, str | None]:  # fmt: skip
    """The embedder and its name. ``name`` ``"none"``: none; unnamed and the default not
    installed: none (the report then has no subject consistency). A model named but missing
    raises :class:`~studio.core.ModelUnavailable` naming its install command; unnamed and the
    default not registered at all: none too."""
    if name == NO_FEATURES or (not name and DEFAULT_FEATURES not in cache.registry):
        return None, None
    spec = cache.registry.get(name or DEFAULT_FEATURES)
    if not spec.can("embed"):
        raise InputError(f"model {spec.name!r} gives no image features (it is a {spec.task} model)")
    if not name and not spec.is_installed(cache.settings):
        return None, None
    return cache.get(spec.name, device, kind=ImageEmbedder), spec.name


def check_embedder(cache: ModelCache, name: str | None) -> None:
    """Refuse, without loading anything, a named embedder that is unknown, gives no image
    features or is not installed (``None`` and ``"none"`` are always fine)."""
    if name in (None, NO_FEATURES):
        return
    spec = cache.registry.get(name)
    if not spec.can("embed"):
        raise InputError(f"model {spec.name!r} gives no image features (it is a {spec.task} model)")
    spec.require_installed(cache.settings)
