"""One way to open an ONNX model for every ONNX adapter: the device's provider, all cores."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["open_session"]


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
