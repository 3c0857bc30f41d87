"""Generation-quality scores any video gets offline, each with its definition, the resolution it
was computed at and the frames it saw (scores are not comparable across lengths or sizes
otherwise):

- ``temporal_flickering``: VBench's definition, 1 − mean over consecutive frame pairs of the
  mean absolute difference of their RGB pixels / 255 (``cv2.absdiff`` of uint8 frames at the
  video's own resolution); 1 is no change at all. VBench applies it to static-camera clips,
  where any change is flicker;
- ``motion_px``: how far what moves most moves: per consecutive pair, the mean of the top 5 % of
  optical-flow magnitudes (VBench's dynamic degree takes the same statistic of RAFT flow, then
  thresholds it; here OpenCV's Farneback flow at a 256-pixel short side, in pixels per frame of
  that size, averaged over pairs: a proxy, named as one);
- ``sharpness``: the mean variance of the Laplacian of each frame's grey image at 256 px short
  side (an imaging-quality proxy: blur lowers it);
- ``exposure``: the mean grey level (0-255) and the shares of pixels clipped at 0-4 and 251-255
  (proxies);
- ``noise_sigma``: Immerkær's fast noise estimate (1996), the standard deviation in grey levels of
  the noise on each grey frame at the video's own size: sqrt(pi/2) / (6 (W-2) (H-2)) times the sum
  of |the frame convolved with [[1,-2,1],[-2,4,-2],[1,-2,1]]|, a mask that cancels smooth
  gradients and edges to first order; the median over frames (a proxy: fine texture reads as
  noise too, so compare clips of the same content);
- ``motion_smoothness``: VBench's definition with the studio's own interpolation instead of AMT:
  each odd frame drawn from the even frames either side (:func:`studio.media.in_between`, DIS
  flow both ways) at the 256-pixel proxy size, scored 1 − mean |drawn − real| / 255, averaged;
  motion that a smooth path explains scores near 1, jerky or shuffled motion lower;
- ``subject_consistency``: VBench's formula, mean over frames i ≥ 1 of
  (max(0, cos(f₀, fᵢ)) + max(0, cos(fᵢ₋₁, fᵢ))) / 2, on the features of an image embedder:
  DINO ViT-B/16's, VBench's own, when installed, else EfficientNet-Lite0's pooled ImageNet
  features offline in its place (the model used is named in the report); None when no embedder
  is installed;
- ``background_consistency``: VBench's definition, the same formula on CLIP ViT-B/32's image
  embeddings of whole frames (VBench's model for it, through the hub: ``media-studio[vision-hub]``
  and its weights; another embedder can be named); None without it, never stood in for.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from studio import media
from studio.core import CancelFlag, EmptyMedia, JsonResult, check_cancel
from studio.vision import ImageEmbedder

__all__ = ["QUALITY_SIDE", "QualityReport", "score_quality"]

QUALITY_SIDE = 256  # the short side the flow and imaging proxies are computed at
PROXY_LONGEST = 2048  # ... with the long side at most this (very thin videos)


@dataclass(frozen=True)
class QualityReport(JsonResult):
    """One file's scores; ``definitions`` says what each means and follows."""

    path: str
    frames: int
    width: int
    height: int
    proxy_size: tuple[int, int]  # (w, h) the flow and imaging proxies saw
    temporal_flickering: float | None  # None with one frame
    motion_px: float | None
    sharpness: float
    mean_grey: float
    noise_sigma: float
    dark_clipped: float
    bright_clipped: float
    motion_smoothness: float | None  # None under three frames
    subject_consistency: float | None  # None with one frame or no embedder
    features: str | None  # the embedder behind subject_consistency
    background_consistency: float | None  # None with one frame or no background embedder
    background_features: str | None  # the embedder behind background_consistency
    definitions: dict[str, str]
    # per consecutive pair, with ``curves``: 1 - mean |difference| / 255, and the top-5% flow (px)
    flicker_curve: list[float] | None = None
    motion_curve: list[float] | None = None


DEFINITIONS = {
    "temporal_flickering": "VBench: 1 - mean(|frame[i+1] - frame[i]|) / 255 over RGB pixels at the video's own size",
    "motion_px": "proxy for VBench dynamic degree: mean top-5% Farneback flow magnitude, px/frame at 256 px",
    "sharpness": "proxy: mean variance of the Laplacian of the grey frame at 256 px short side",
    "mean_grey": "proxy: mean grey level, 0-255",
    "noise_sigma": "proxy: Immerkaer's fast noise estimate, grey levels, median over frames at the video's own size",
    "dark_clipped": "proxy: share of grey pixels at 0-4",
    "bright_clipped": "proxy: share of grey pixels at 251-255",
    "motion_smoothness": "VBench with the studio's DIS-flow interpolation instead of AMT: "
    "1 - mean(|drawn - real|) / 255 of each odd frame drawn from its even neighbours, at 256 px",
    "subject_consistency": "VBench's formula, mean of (max(0, cos(f0, fi)) + max(0, cos(fi-1, fi))) / 2 over i >= 1, "
    "on the named embedder's features (VBench uses DINO ViT-B/16, the default here when installed)",
    "background_consistency": "VBench: the same formula on the named embedder's whole-frame features "
    "(VBench uses CLIP ViT-B/32, the default here; left out when it is not installed)",
}
EMBED_BATCH = 16


_IMMERKAER = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)


def _noise_sigma(grey: np.ndarray) -> float:
    """Immerkær's estimate of the noise's standard deviation on one grey frame (grey levels)."""
    import cv2

    height, width = grey.shape
    if height < 3 or width < 3:
        return 0.0
    response = cv2.filter2D(grey.astype(np.float32), -1, _IMMERKAER)[1:-1, 1:-1]
    return float(np.sqrt(np.pi / 2) * np.abs(response).sum() / (6 * (width - 2) * (height - 2)))


def _proxy_size(width: int, height: int) -> tuple[int, int]:
    """The short side at QUALITY_SIDE, the long one at most PROXY_LONGEST (a 16×4096 strip would
    otherwise become 256×65536, past what OpenCV's optical flow and remap take)."""
    scale = min(QUALITY_SIDE / max(1, min(width, height)), PROXY_LONGEST / max(1, width, height))
    return max(2, round(width * scale)), max(2, round(height * scale))


def score_quality(path: str | os.PathLike[str], embedder: ImageEmbedder | None = None,
                  features: str | None = None, curves: bool = False, cancel: CancelFlag | None = None,
                  background: ImageEmbedder | None = None,
                  background_features: str | None = None) -> QualityReport:  # fmt: skip
    """Decode ``path`` once and score every frame (see the module docstring); ``embedder``
    (called ``features`` in the report) gives subject consistency, ``background`` (called
    ``background_features``) background consistency; ``curves`` keeps the per-pair flicker and
    motion (one number a frame each)."""
    import cv2

    differences: list[float] = []
    motions: list[float] = []
    sharpness: list[float] = []
    greys: list[float] = []
    noise: list[float] = []
    smoothness: list[float] = []
    consistency, background_consistency = _Consistency(embedder), _Consistency(background)
    dark = bright = pixels = 0
    previous_rgb: np.ndarray | None = None
    proxies: list[np.ndarray] = []  # the last two frames at the proxy size
    greys_before: np.ndarray | None = None
    size = (0, 0)
    width = height = frames = 0
    for picture in media.iter_pictures(path):
        check_cancel(cancel, "quality scoring")
        rgb = picture.rgb()
        if frames == 0:
            height, width = rgb.shape[:2]
            size = _proxy_size(width, height)
        proxy = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(proxy, cv2.COLOR_RGB2GRAY)
        if previous_rgb is not None and greys_before is not None:
            differences.append(float(np.mean(cv2.absdiff(previous_rgb, rgb))))
            flow = cv2.calcOpticalFlowFarneback(greys_before, grey, None, 0.5, 3, 15, 3, 5, 1.2, 0)
            magnitudes = np.linalg.norm(flow, axis=2).ravel()
            top = magnitudes[magnitudes >= np.quantile(magnitudes, 0.95)]
            motions.append(float(top.mean()))
        if frames % 2 == 0 and len(proxies) == 2:  # the odd frame before drawn from its even neighbours
            drawn = media.in_between(proxies[0], proxy)
            smoothness.append(1 - float(np.mean(cv2.absdiff(drawn, proxies[1]))) / 255)
        consistency.add(proxy)
        background_consistency.add(proxy)
        sharpness.append(float(cv2.Laplacian(grey, cv2.CV_64F).var()))
        noise.append(_noise_sigma(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)))
        greys.append(float(grey.mean()))
        dark += int((grey <= 4).sum())
        bright += int((grey >= 251).sum())
        pixels += grey.size
        previous_rgb, greys_before, proxies = rgb, grey, [*proxies[-1:], proxy]
        frames += 1
    if frames == 0:
        raise EmptyMedia(os.fsdecode(path), "has a video stream but no frame decodes")
    subject, scene = consistency.score(), background_consistency.score()
    return QualityReport(
        path=os.fsdecode(path), frames=frames, width=width, height=height, proxy_size=size,
        temporal_flickering=round(1 - float(np.mean(differences)) / 255, 6) if differences else None,
        motion_px=round(float(np.mean(motions)), 4) if motions else None,
        sharpness=round(float(np.mean(sharpness)), 3), mean_grey=round(float(np.mean(greys)), 3),
        noise_sigma=round(float(np.median(noise)), 4),
        dark_clipped=round(dark / max(1, pixels), 6), bright_clipped=round(bright / max(1, pixels), 6),
        motion_smoothness=round(float(np.mean(smoothness)), 6) if smoothness else None,
        subject_consistency=None if subject is None else round(subject, 6),
        features=features if embedder is not None else None,
        background_consistency=None if scene is None else round(scene, 6),
        background_features=background_features if background is not None else None, definitions=dict(DEFINITIONS),
        flicker_curve=[round(1 - d / 255, 6) for d in differences] if curves else None,
        motion_curve=[round(m, 4) for m in motions] if curves else None,
    )  # fmt: skip


class _Consistency:
    """VBench's subject- and background-consistency sum, the frames embedded in batches as they come."""

    def __init__(self, embedder: ImageEmbedder | None) -> None:
        self.embedder = embedder
        self.waiting: list[np.ndarray] = []
        self.first: np.ndarray | None = None
        self.previous: np.ndarray | None = None
        self.similarities: list[float] = []

    def add(self, image: np.ndarray) -> None:
        if self.embedder is None:
            return
        self.waiting.append(image)
        if len(self.waiting) >= EMBED_BATCH:
            self._embed()

    def _embed(self) -> None:
        if self.embedder is None or not self.waiting:
            return
        vectors = np.asarray(self.embedder.embed_images(self.waiting), np.float64)
        self.waiting = []
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        for vector in vectors:
            if self.first is None or self.previous is None:
                self.first = vector
            else:
                to_first, to_previous = float(vector @ self.first), float(vector @ self.previous)
                self.similarities.append((max(0.0, to_first) + max(0.0, to_previous)) / 2)
            self.previous = vector

    def score(self) -> float | None:
        self._embed()
        return float(np.mean(self.similarities)) if self.similarities else None
