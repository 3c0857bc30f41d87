"""Which image embedders the quality scores' feature consistency uses: the one named, else the
default when installed, else none. Subject consistency defaults to EfficientNet-Lite0 (the
offline stand-in for VBench's DINO); background consistency to CLIP ViT-B/32, VBench's own
choice for it (a hub model: without its weights the score is left out, never stood in for)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.core import InputError
from studio.vision import ImageEmbedder

if TYPE_CHECKING:
    from studio.registry import ModelCache

__all__ = [
    "BACKGROUND_FEATURES",
    "DEFAULT_FEATURES",
    "NO_FEATURES",
    "background_embedder",
    "check_embedder",
    "quality_embedder",
]

DEFAULT_FEATURES = "efficientnet-lite0"
BACKGROUND_FEATURES = "clip-vit-base-patch32"
NO_FEATURES = "none"


def quality_embedder(cache: ModelCache, name: str | None = None,
                     device: str | None = None) -> tuple[ImageEmbedder | None, str | None]:  # fmt: skip
    """The subject-consistency embedder and its name. ``name`` ``"none"``: none; unnamed and the
    default not installed: none (the report then has no subject consistency). A model named but
    missing raises :class:`~studio.core.ModelUnavailable` naming its install command; unnamed and
    the default not registered at all: none too."""
    return _embedder(cache, name, DEFAULT_FEATURES, device)


def background_embedder(cache: ModelCache, name: str | None = None,
                        device: str | None = None) -> tuple[ImageEmbedder | None, str | None]:  # fmt: skip
    """The background-consistency embedder and its name, as :func:`quality_embedder` picks,
    with CLIP ViT-B/32 as the default."""
    return _embedder(cache, name, BACKGROUND_FEATURES, device)


def _embedder(cache: ModelCache, name: str | None, default: str,
              device: str | None) -> tuple[ImageEmbedder | None, str | None]:  # fmt: skip
    if name == NO_FEATURES or (not name and default not in cache.registry):
        return None, None
    spec = cache.registry.get(name or default)
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
