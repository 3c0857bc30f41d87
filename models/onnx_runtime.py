"""Shared by the ONNX adapters: open a model on the device's provider with all cores, and
resize frames to a model's square input."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["open_session", "resize_square"]


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


def resize_square(image: np.ndarray, side: int) -> np.ndarray:
    """Stretch a frame to ``side``×``side`` (area filter when shrinking, bilinear when growing)."""
    import cv2

    shrink = image.shape[1] > side or image.shape[0] > side
    return cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
