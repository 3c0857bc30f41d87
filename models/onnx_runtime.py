"""Shared by the ONNX adapters: :class:`OnnxModel` (one session on the device's provider with
all cores, its input and output names, loading from a spec), and fitting frames into a
model's square input."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from studio.registry import LoadOptions, ModelSpec

__all__ = ["OnnxModel", "letterbox", "normalised_blob", "open_session", "resize_square"]


def open_session(path: Path, device: str) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    options.log_severity_level = 3  # errors only; shape warnings are expected for converted graphs
    providers = ["CPUExecutionProvider"]
    if device.startswith("cuda") and "CUDAExecutionProvider" in ort.get_available_providers():
        index = int(device.partition(":")[2] or 0)
        providers.insert(0, ("CUDAExecutionProvider", {"device_id": index}))  # type: ignore[arg-type]
    return ort.InferenceSession(str(path), options, providers=providers)


T = TypeVar("T", bound="OnnxModel")


class OnnxModel:
    """Base of the ONNX Runtime adapters: subclasses add their task's method (``detect``,
    ``keypoints``) and their ``input_size``."""

    input_size = 0  # the square side the graph takes, in pixels

    def __init__(self, session: Any, memory_mb: int) -> None:
        self.session = session
        self.memory_mb = memory_mb
        self.input_name = session.get_inputs()[0].name
        self.output_names = [output.name for output in session.get_outputs()]

    @classmethod
    def load(cls: type[T], spec: ModelSpec, weights: Path, device: str, options: LoadOptions) -> T:
        options.require(spec.name, dtypes=("float32",))  # the converted graphs are float32
        return cls(open_session(weights, device), spec.memory_mb)


def resize_square(image: np.ndarray, side: int) -> np.ndarray:
    """Stretch a frame to ``side``×``side`` (area filter when shrinking, bilinear when growing)."""
    import cv2

    shrink = image.shape[1] > side or image.shape[0] > side
    return cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def letterbox(image: np.ndarray, side: int, fill: int = 114) -> tuple[np.ndarray, float]:
    """Fit a frame into ``side``×``side`` keeping its aspect ratio (grey bars below or right).

    Returns the square and the scale: a box in the square divided by it is in frame pixels.
    Stretching a 16:9 frame to a square instead squeezes people thin; on the labelled scenes
    that cost NanoDet a third of its recall.
    """
    import cv2

    height, width = image.shape[:2]
    scale = side / max(height, width)
    size = (min(side, max(1, round(width * scale))), min(side, max(1, round(height * scale))))
    resized = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    bars = (0, side - size[1], 0, side - size[0])  # top, bottom, left, right
    return cv2.copyMakeBorder(resized, *bars, cv2.BORDER_CONSTANT, value=(fill, fill, fill)), scale


def normalised_blob(square: np.ndarray, mean: np.ndarray, std: np.ndarray, swap_rb: bool) -> np.ndarray:
    """``1×3×H×W`` float32 ``(pixel - mean) / std`` of an ``H×W×3`` uint8 image, channels
    reversed first when ``swap_rb`` (RGB frames into BGR models); ``mean``/``std`` are in the
    model's channel order. OpenCV does the layout and mean in one pass, numpy the scale in
    place: 2-3x faster than the same arithmetic in numpy alone."""
    import cv2

    # OpenCV subtracts the mean after swapping, so it is given in the model's order as it is
    layout = cv2.dnn.blobFromImage(square, 1.0, square.shape[1::-1], mean=tuple(float(m) for m in mean), swapRB=swap_rb)
    blob = np.asarray(layout, dtype=np.float32)
    blob *= (1.0 / std).astype(np.float32)[None, :, None, None]
    return blob
