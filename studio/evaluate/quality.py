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
  (proxies).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from studio import media
from studio.core import EmptyMedia, JsonResult

__all__ = ["QUALITY_SIDE", "QualityReport", "score_quality"]

QUALITY_SIDE = 256  # the short side the flow and imaging proxies are computed at


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
    dark_clipped: float
    bright_clipped: float
    definitions: dict[str, str]


DEFINITIONS = {
    "temporal_flickering": "VBench: 1 - mean(|frame[i+1] - frame[i]|) / 255 over RGB pixels at the video's own size",
    "motion_px": "proxy for VBench dynamic degree: mean top-5% Farneback flow magnitude, px/frame at 256 px",
    "sharpness": "proxy: mean variance of the Laplacian of the grey frame at 256 px short side",
    "mean_grey": "proxy: mean grey level, 0-255",
    "dark_clipped": "proxy: share of grey pixels at 0-4",
    "bright_clipped": "proxy: share of grey pixels at 251-255",
}


def _proxy_size(width: int, height: int) -> tuple[int, int]:
    scale = QUALITY_SIDE / max(1, min(width, height))
    return max(2, round(width * scale)), max(2, round(height * scale))


def score_quality(path: str | os.PathLike[str]) -> QualityReport:
    """Decode ``path`` once and score every frame (see the module docstring)."""
    import cv2

    differences: list[float] = []
    motions: list[float] = []
    sharpness: list[float] = []
    greys: list[float] = []
    dark = bright = pixels = 0
    previous_rgb: np.ndarray | None = None
    previous_grey: np.ndarray | None = None
    size = (0, 0)
    width = height = frames = 0
    for picture in media.iter_pictures(path):
        rgb = picture.rgb()
        if frames == 0:
            height, width = rgb.shape[:2]
            size = _proxy_size(width, height)
        grey = cv2.cvtColor(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
        if previous_rgb is not None and previous_grey is not None:
            differences.append(float(np.mean(cv2.absdiff(previous_rgb, rgb))))
            flow = cv2.calcOpticalFlowFarneback(previous_grey, grey, None, 0.5, 3, 15, 3, 5, 1.2, 0)
            magnitudes = np.linalg.norm(flow, axis=2).ravel()
            top = magnitudes[magnitudes >= np.quantile(magnitudes, 0.95)]
            motions.append(float(top.mean()))
        sharpness.append(float(cv2.Laplacian(grey, cv2.CV_64F).var()))
        greys.append(float(grey.mean()))
        dark += int((grey <= 4).sum())
        bright += int((grey >= 251).sum())
        pixels += grey.size
        previous_rgb, previous_grey = rgb, grey
        frames += 1
    if frames == 0:
        raise EmptyMedia(os.fsdecode(path), "has a video stream but no frame decodes")
    return QualityReport(
        path=os.fsdecode(path), frames=frames, width=width, height=height, proxy_size=size,
        temporal_flickering=round(1 - float(np.mean(differences)) / 255, 6) if differences else None,
        motion_px=round(float(np.mean(motions)), 4) if motions else None,
        sharpness=round(float(np.mean(sharpness)), 3), mean_grey=round(float(np.mean(greys)), 3),
        dark_clipped=round(dark / max(1, pixels), 6), bright_clipped=round(bright / max(1, pixels), 6),
        definitions=dict(DEFINITIONS),
    )  # fmt: skip
