"""Scenes with known boxes, built from objects in scikit-image's sample photographs.

Each object is the hand-measured box of a real object in a photograph that ships with
scikit-image (the astronaut, the cameraman, the coffee cup, the motorcycle, the cat); it
is cut out and pasted onto a plain, lightly textured background at a chosen box, so the
ground-truth box is exact. Used by the detection-accuracy harness, the tests and the
analysis benchmark.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

__all__ = ["OBJECTS", "GroundTruth", "Scene", "labelled_scenes", "moving_objects_video", "paste", "sample_object"]

# name -> (scikit-image sample, COCO label, object box x1, y1, x2, y2 in that photograph)
OBJECTS: dict[str, tuple[str, str, tuple[int, int, int, int]]] = {
    "astronaut": ("astronaut", "person", (10, 10, 366, 510)),
    "cameraman": ("camera", "person", (5, 60, 305, 512)),
    "cup": ("coffee", "cup", (165, 15, 415, 305)),
    "motorcycle": ("motorcycle", "motorcycle", (110, 60, 682, 450)),
    "cat": ("chelsea", "cat", (0, 0, 451, 300)),
}


@cache
def sample_object(name: str) -> np.ndarray:
    """The RGB cut-out of one object."""
    import skimage.data

    image_name, _, (x1, y1, x2, y2) = OBJECTS[name]
    image = skimage.data.stereo_motorcycle()[0] if image_name == "motorcycle" else getattr(skimage.data, image_name)()
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(image[y1:y2, x1:x2, :3])


def background(width: int, height: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width]
    base = 150 + 40 * np.sin(xs / max(width, 1) * np.pi) * np.cos(ys / max(height, 1) * np.pi)
    tint = rng.uniform(0.85, 1.15, size=3)
    noise = rng.normal(0, 4, size=(height, width, 1))
    return np.clip(base[..., None] * tint + noise, 0, 255).astype(np.uint8)


def paste(canvas: np.ndarray, name: str, box: Sequence[float]) -> np.ndarray:
    """Paste object ``name`` resized into ``box`` (clipped to the canvas), in place."""
    import cv2

    x1, y1, x2, y2 = (round(v) for v in box)
    width, height = max(1, x2 - x1), max(1, y2 - y1)
    patch = cv2.resize(sample_object(name), (width, height), interpolation=cv2.INTER_AREA)
    cx1, cy1 = max(0, x1), max(0, y1)
    cx2, cy2 = min(canvas.shape[1], x2), min(canvas.shape[0], y2)
    if cx2 > cx1 and cy2 > cy1:
        canvas[cy1:cy2, cx1:cx2] = patch[cy1 - y1 : cy2 - y1, cx1 - x1 : cx2 - x1]
    return canvas


def fitted_box(name: str, centre: tuple[float, float], height: float) -> tuple[float, float, float, float]:
    """A box of the object's own aspect ratio, ``height`` px tall, centred at ``centre``."""
    patch = sample_object(name)
    width = height * patch.shape[1] / patch.shape[0]
    cx, cy = centre
    return cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2


@dataclass(frozen=True)
class GroundTruth:
    label: str
    xyxy: tuple[float, float, float, float]
    object: str


@dataclass(frozen=True)
class Scene:
    image: np.ndarray
    truth: tuple[GroundTruth, ...]


def labelled_scenes(count: int = 30, size: tuple[int, int] = (640, 360), seed: int = 0) -> list[Scene]:
    """``count`` scenes of one or two objects at random sizes and places (seeded)."""
    rng = np.random.default_rng(seed)
    width, height = size
    names = list(OBJECTS)
    scenes = []
    for number in range(count):
        canvas = background(width, height, seed=number)
        truth: list[GroundTruth] = []
        chosen = rng.choice(names, size=1 + number % 2, replace=False)
        for slot, name in enumerate(chosen):
            object_height = rng.uniform(0.45, 0.9) * height
            lane = (slot + 0.5) / len(chosen) * width
            centre = (lane + rng.uniform(-0.1, 0.1) * width, height / 2 + rng.uniform(-0.05, 0.05) * height)
            box = fitted_box(str(name), centre, object_height)
            box = (max(0.0, box[0]), max(0.0, box[1]), min(float(width), box[2]), min(float(height), box[3]))
            paste(canvas, str(name), box)
            truth.append(GroundTruth(OBJECTS[str(name)][1], box, str(name)))
        scenes.append(Scene(canvas, tuple(truth)))
    return scenes


CentrePath = Callable[[float], tuple[float, float]]  # time in seconds -> object centre in pixels


def moving_objects_video(
    path: Path,
    objects: Sequence[tuple[str, float, CentrePath]],
    seconds: float,
    fps: int | str = 30,
    size: tuple[int, int] = (640, 360),
) -> dict[str, list[tuple[float, tuple[float, float, float, float]]]]:
    """Write a video of objects (name, height px, centre path) moving over a background;
    returns each object's true box at every frame time."""
    from studio.media import VideoWriter, as_fps

    rate = as_fps(fps)
    width, height = size
    truth: dict[str, list[tuple[float, tuple[float, float, float, float]]]] = {name: [] for name, _, _ in objects}
    base = background(width, height, seed=7)
    with VideoWriter(path, fps=rate, preset="veryfast") as writer:
        for index in range(round(seconds * rate)):
            t = float(index / rate)
            canvas = base.copy()
            for name, object_height, centre in objects:
                box = fitted_box(name, centre(t), object_height)
                paste(canvas, name, box)
                truth[name].append((t, box))
            writer.write(canvas)
    return truth
