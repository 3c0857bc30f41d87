"""Text-video alignment: CLIPScore of the frames against the prompt, for users who have CLIP.

CLIPScore (Hessel et al., 2021), as torchmetrics computes it and EvalCrafter applies it to
video: each frame sampled at ``fps`` and the prompt as given go through a text-image model
(CLIP ViT-B/32 by default, ``clip-vit-base-patch32``: a hub model, ``media-studio[vision-hub]``
then ``studio models install clip-vit-base-patch32``); the frame's score is
100 × max(0, cos(image, text)); the video's is the mean over its frames. CLIP reads at most 77
tokens, so a longer prompt is cut there. Without the model the score is left out, never stood in for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from studio.core import InputError, JsonResult
from studio.evaluate.quality_features import check_model, chosen_model
from studio.vision import TextImageEmbedder

if TYPE_CHECKING:
    from studio.registry import ModelCache

__all__ = ["ALIGNMENT_MODEL", "AlignmentScorer", "TextAlignment", "alignment_embedder", "check_alignment"]

ALIGNMENT_MODEL = "clip-vit-base-patch32"
TEXT_AND_IMAGES = ("zero-shot", "embed")  # a text tower beside the image one
NOT_SHARED = "does not put texts and pictures in one space"
BATCH = 16


@dataclass(frozen=True)
class TextAlignment(JsonResult):
    """The prompt's CLIPScore over the frames sampled, with each frame's."""

    model: str
    clip_score: float | None  # None when no frame was sampled
    frames: int
    fps: float
    per_frame: list[float]
    times_s: list[float]
    definition: str = (
        "CLIPScore (Hessel et al. 2021; torchmetrics, EvalCrafter): 100 x max(0, cos(image, text)) of each frame "
        "sampled at the fps given against the prompt as written, averaged over the frames"
    )


def alignment_embedder(cache: ModelCache, name: str | None = None,
                       device: str | None = None) -> tuple[TextImageEmbedder | None, str | None]:  # fmt: skip
    """The text-image model and its name: the one named, else CLIP ViT-B/32 when installed, else
    none. ``"none"``: none. A model named but not installed raises
    :class:`~studio.core.ModelUnavailable` naming its install command; one without a text tower
    is refused."""
    return chosen_model(cache, name, ALIGNMENT_MODEL, device, TextImageEmbedder, TEXT_AND_IMAGES, NOT_SHARED)


def check_alignment(cache: ModelCache, name: str | None) -> None:
    """Refuse, without loading anything, a named model that is unknown, has no text tower or is
    not installed (``None`` and ``"none"`` are always fine)."""
    check_model(cache, name, TEXT_AND_IMAGES, NOT_SHARED)


class AlignmentScorer:
    """Frames added as they are decoded, embedded in batches, scored against one prompt."""

    def __init__(self, embedder: TextImageEmbedder, model: str, prompt: str) -> None:
        if not prompt.strip():
            raise InputError("expected a prompt to score the frames against")
        self.embedder, self.model = embedder, model
        self.text = np.asarray(embedder.embed_texts([prompt.strip()]), np.float64)[0]
        self.text /= max(float(np.linalg.norm(self.text)), 1e-12)
        self.waiting: list[np.ndarray] = []
        self.times_s: list[float] = []
        self.scores: list[float] = []

    def add(self, image: np.ndarray, time_s: float) -> None:
        self.waiting.append(image)
        self.times_s.append(round(time_s, 3))
        if len(self.waiting) >= BATCH:
            self._embed()

    def _embed(self) -> None:
        if not self.waiting:
            return
        vectors = np.asarray(self.embedder.embed_images(self.waiting), np.float64)
        self.waiting = []
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        self.scores.extend(100 * max(0.0, float(cosine)) for cosine in vectors @ self.text)

    def result(self, fps: float) -> TextAlignment:
        self._embed()
        mean = round(float(np.mean(self.scores)), 4) if self.scores else None
        return TextAlignment(model=self.model, clip_score=mean, frames=len(self.scores), fps=fps,
                             per_frame=[round(s, 4) for s in self.scores], times_s=list(self.times_s))  # fmt: skip
