"""Which image embedders the quality scores' feature consistency uses: the one named, else the
first default installed, else none. Subject consistency defaults to DINO ViT-B/16, VBench's
model for it, when installed, else EfficientNet-Lite0 (the offline stand-in, named as such in
the report); background consistency to CLIP ViT-B/32, VBench's own choice for it (a hub model:
without its weights the score is left out, never stood in for).
:func:`chosen_model` and :func:`check_model` are the picking and the refusals, for the prompt's
text-image model too (:mod:`studio.evaluate.text_alignment`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from studio.core import InputError
from studio.vision import ImageEmbedder

if TYPE_CHECKING:
    from studio.registry import ModelCache, ModelSpec

M = TypeVar("M")

__all__ = [
    "BACKGROUND_FEATURES",
    "DEFAULT_FEATURES",
    "NO_FEATURES",
    "background_embedder",
    "check_embedder",
    "check_model",
    "chosen_model",
    "quality_embedder",
]

DEFAULT_FEATURES = ("dino-vitb16", "efficientnet-lite0")  # VBench's DINO first, the offline stand-in after
BACKGROUND_FEATURES = "clip-vit-base-patch32"
NO_FEATURES = "none"
EMBEDDING = ("embed",)
NO_EMBEDDING = "gives no image features"


def quality_embedder(cache: ModelCache, name: str | None = None,
                     device: str | None = None) -> tuple[ImageEmbedder | None, str | None]:  # fmt: skip
    """The subject-consistency embedder and its name. ``name`` ``"none"``: none; unnamed: DINO
    when installed, else EfficientNet-Lite0, else none (the report then has no subject
    consistency). A model named but missing raises :class:`~studio.core.ModelUnavailable` naming
    its install command."""
    return chosen_model(cache, name, DEFAULT_FEATURES, device, ImageEmbedder, EMBEDDING, NO_EMBEDDING)


def background_embedder(cache: ModelCache, name: str | None = None,
                        device: str | None = None) -> tuple[ImageEmbedder | None, str | None]:  # fmt: skip
    """The background-consistency embedder and its name, as :func:`quality_embedder` picks,
    with CLIP ViT-B/32 as the default."""
    return chosen_model(cache, name, BACKGROUND_FEATURES, device, ImageEmbedder, EMBEDDING, NO_EMBEDDING)


def chosen_model(cache: ModelCache, name: str | None, default: str | tuple[str, ...], device: str | None,
                 kind: type[M], needs: tuple[str, ...], lacking: str) -> tuple[M | None, str | None]:  # fmt: skip
    """The model ``name`` (``"none"``: none), else the first of ``default`` (one name or several,
    best first) that is registered and installed, loaded as ``kind``; a model without every
    capability in ``needs`` is refused with ``lacking`` (what it does not do), a named one not
    installed with its install command."""
    if name == NO_FEATURES:
        return None, None
    if name:
        spec = cache.registry.get(name)
        _refuse_lacking(spec, needs, lacking)
        return cache.get(spec.name, device, kind=kind), spec.name
    for candidate in (default,) if isinstance(default, str) else default:
        if candidate not in cache.registry:
            continue
        spec = cache.registry.get(candidate)
        _refuse_lacking(spec, needs, lacking)
        if spec.is_installed(cache.settings):
            return cache.get(spec.name, device, kind=kind), spec.name
    return None, None


def check_model(cache: ModelCache, name: str | None, needs: tuple[str, ...], lacking: str) -> None:
    """Refuse, without loading anything, a named model that is unknown, lacks a capability in
    ``needs`` or is not installed (``None`` and ``"none"`` are always fine)."""
    if name in (None, NO_FEATURES):
        return
    spec = cache.registry.get(name)
    _refuse_lacking(spec, needs, lacking)
    spec.require_installed(cache.settings)


def check_embedder(cache: ModelCache, name: str | None) -> None:
    """Refuse, without loading anything, a named embedder that is unknown, gives no image
    features or is not installed (``None`` and ``"none"`` are always fine)."""
    check_model(cache, name, EMBEDDING, NO_EMBEDDING)


def _refuse_lacking(spec: ModelSpec, needs: tuple[str, ...], lacking: str) -> None:
    if not all(spec.can(capability) for capability in needs):
        raise InputError(f"model {spec.name!r} {lacking} (it is a {spec.task} model)")
