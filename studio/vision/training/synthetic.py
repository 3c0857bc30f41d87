"""Labelled clips made from numpy patterns, with their ground truth: for tests, benchmarks and a first try.

Each label is a kind of TEXTURE, moving: ``stripes`` (parallel bands), ``checks`` (a checkerboard),
``rings`` (concentric circles), ``dots`` (a grid of round spots), ``noise`` (blocky random cells).
Every clip draws its own colours (two random hues), scale, angle, speed, length (2-4 s) and frame
rate (24, 25, 30000/1001 or 30 fps), so the labels are separable by the pattern's shape alone, not
by colour, size, timing or rate: what an image embedder sees and a classifier must learn.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from studio import media
from studio.core import InputError

__all__ = ["PATTERNS", "OrientationEmbedder", "SyntheticClip", "make_clip", "make_training_folder"]

FRAME_RATES = (Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(30))
SIZE = (160, 120)  # (width, height): small, so a test makes dozens of clips in seconds

Pattern = Callable[[np.ndarray, np.ndarray, float], np.ndarray]  # (u, v, phase) -> 0-1 mask, H×W


def _stripes(u: np.ndarray, v: np.ndarray, phase: float) -> np.ndarray:
    return (np.sin(u + phase) > 0).astype(np.float32)


def _checks(u: np.ndarray, v: np.ndarray, phase: float) -> np.ndarray:
    return ((np.sin(u + phase) > 0) ^ (np.sin(v) > 0)).astype(np.float32)


def _rings(u: np.ndarray, v: np.ndarray, phase: float) -> np.ndarray:
    return (np.sin(np.hypot(u, v) * 1.5 - phase) > 0).astype(np.float32)


def _dots(u: np.ndarray, v: np.ndarray, phase: float) -> np.ndarray:
    cell_u, cell_v = np.mod(u + phase, 2 * np.pi) - np.pi, np.mod(v, 2 * np.pi) - np.pi
    return (np.hypot(cell_u, cell_v) < 1.2).astype(np.float32)


def _noise(u: np.ndarray, v: np.ndarray, phase: float) -> np.ndarray:
    cells = np.floor((u + phase) / 1.5).astype(np.int64) * 7919 + np.floor(v / 1.5).astype(np.int64) * 104729
    return ((cells * 2654435761) % 997 > 498).astype(np.float32)  # a hash: random-looking, same cell same value


PATTERNS: dict[str, Pattern] = {"stripes": _stripes, "checks": _checks, "rings": _rings, "dots": _dots,
                                "noise": _noise}  # fmt: skip


@dataclass(frozen=True)
class SyntheticClip:
    """One clip made: where, its label (ground truth), its rate and length."""

    path: Path
    label: str
    fps: Fraction
    duration_s: float


def _hue(rng: np.random.Generator) -> np.ndarray:
    """A random saturated-ish colour, 0-255 RGB."""
    base = rng.uniform(0.15, 1.0, size=3)
    return (base / base.max() * rng.uniform(120, 255)).astype(np.float32)


def make_clip(path: Path, label: str, rng: np.random.Generator, duration_s: float | None = None) -> SyntheticClip:
    """Write one clip of pattern ``label`` with everything else drawn from ``rng``."""
    if label not in PATTERNS:
        raise InputError(f"expected a pattern among {', '.join(PATTERNS)}, got {label!r}")
    fps = FRAME_RATES[int(rng.integers(len(FRAME_RATES)))]
    duration = float(duration_s if duration_s is not None else rng.uniform(2.0, 4.0))
    period_px = rng.uniform(10, 24)  # one stripe / check / ring every this many pixels
    angle = rng.uniform(0, np.pi)
    speed = rng.uniform(1.0, 4.0) * rng.choice([-1, 1])  # radians of phase a second
    front, back = _hue(rng), _hue(rng) * 0.35
    ys, xs = np.mgrid[0 : SIZE[1], 0 : SIZE[0]].astype(np.float32)
    xs, ys = xs - SIZE[0] / 2, ys - SIZE[1] / 2
    u = (xs * np.cos(angle) + ys * np.sin(angle)) * 2 * np.pi / period_px
    v = (-xs * np.sin(angle) + ys * np.cos(angle)) * 2 * np.pi / period_px
    count = max(2, round(duration * fps))
    with media.VideoWriter(path, fps=fps) as writer:
        for index in range(count):
            mask = PATTERNS[label](u, v, speed * index / float(fps))[..., None]
            frame = mask * front + (1 - mask) * back + rng.normal(0, 4, size=(SIZE[1], SIZE[0], 3))
            writer.write(np.clip(frame, 0, 255).astype(np.uint8))
    return SyntheticClip(path, label, fps, count / float(fps))


def make_training_folder(
    folder: str | os.PathLike[str], labels: tuple[str, ...] = ("stripes", "checks", "rings"), clips: int = 6,
    seed: int = 0,
) -> list[SyntheticClip]:  # fmt: skip
    """``folder/<label>/<label>-NN.mp4`` for each label, ``clips`` each, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    made = []
    for label in labels:
        (Path(folder) / label).mkdir(parents=True, exist_ok=True)
        made += [make_clip(Path(folder) / label / f"{label}-{n:02d}.mp4", label, rng) for n in range(clips)]
    return made


ORIENTATION_BINS = 12


class OrientationEmbedder:
    """An :class:`~studio.vision.contracts.ImageEmbedder` of how an image's edges point, independent of
    colour and rotation: the textures' reference features, for tests and a first try without torch.

    The magnitude-weighted histogram of gradient directions (12 bins over 180°, summing to 1), in two
    forms that do not depend on the pattern's angle: its bins sorted largest first, and its circular
    autocorrelation at each shift of 0-90°; then the share of pixels on an edge. Stripes give one
    peak, checks two peaks 90° apart, rings a flat histogram, whatever the colours."""

    embedding_size = ORIENTATION_BINS + ORIENTATION_BINS // 2 + 2
    memory_mb = 1

    def embed_images(self, images: list[np.ndarray]) -> np.ndarray:
        rows = []
        for image in images:
            grey = image.astype(np.float32).mean(axis=2)
            dy, dx = np.gradient(grey)
            magnitude = np.hypot(dx, dy)
            direction = np.mod(np.arctan2(dy, dx), np.pi)
            bins = np.minimum((direction / np.pi * ORIENTATION_BINS).astype(int), ORIENTATION_BINS - 1)
            histogram = np.bincount(bins.ravel(), weights=magnitude.ravel(), minlength=ORIENTATION_BINS)
            histogram = histogram / max(histogram.sum(), 1e-9)
            turns = [float(histogram @ np.roll(histogram, shift)) for shift in range(ORIENTATION_BINS // 2 + 1)]
            rows.append([*np.sort(histogram)[::-1], *turns, float((magnitude > 20).mean())])
        return np.asarray(rows, dtype=np.float32)
