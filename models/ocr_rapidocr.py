"""PP-OCRv4 (Apache-2.0) through RapidOCR's ONNX Runtime build: on-screen text, offline.

The three ONNX graphs (text detection, the 0/180° direction classifier, recognition) ship inside
PyPI ``rapidocr-onnxruntime``, so nothing is downloaded. One :class:`TextReader` call reads a
batch of RGB pictures (RapidOCR reads OpenCV's BGR order: each picture is flipped first) and
gives each line it finds with its confidence and its box in the picture's pixels. The Chinese+
English recogniser reads Latin capitals and digits well; it drops the space between words set
close together ("COFFEE BREAK" reads "COFFEEBREAK"), so matching text should ignore spaces.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from studio.core import InputError, ModelLoadError
from studio.registry import LoadOptions, ModelSpec
from studio.vision import TextLine

__all__ = ["SPECS", "RapidTextReader"]

SPECS = [
    ModelSpec(
        name="pp-ocrv4", task="ocr", adapter="models.ocr_rapidocr:RapidTextReader",
        source="package:rapidocr_onnxruntime/models", license="Apache-2.0", extra="ocr", memory_mb=150,
        offline=True, size_mb=16, requires=("rapidocr_onnxruntime", "onnxruntime"), priority=10,
        description="PP-OCRv4 text detection + recognition (Chinese and English), ONNX; PyPI rapidocr-onnxruntime",
    ),
]  # fmt: skip

GRAPHS = {"det_model_path": "ch_PP-OCRv4_det_infer.onnx", "cls_model_path": "ch_ppocr_mobile_v2.0_cls_infer.onnx",
          "rec_model_path": "ch_PP-OCRv4_rec_infer.onnx"}  # fmt: skip


class RapidTextReader:
    def __init__(self, engine: Any, memory_mb: int) -> None:
        self.engine = engine
        self.memory_mb = memory_mb

    @classmethod
    def load(cls, spec: ModelSpec, weights: Path, device: str, options: LoadOptions) -> RapidTextReader:
        options.require(spec.name)
        if device != "cpu":
            raise InputError(f"{spec.name} runs on the CPU here (ONNX Runtime's CPU build), not {device}")
        missing = [name for name in GRAPHS.values() if not (weights / name).is_file()]
        if missing:
            raise ModelLoadError(f"{spec.name}: {weights} lacks {', '.join(missing)}; reinstall rapidocr-onnxruntime")
        from rapidocr_onnxruntime import RapidOCR

        try:
            engine = RapidOCR(**{key: str(weights / name) for key, name in GRAPHS.items()})
        except Exception as exc:  # onnxruntime's own errors: a broken graph file
            raise ModelLoadError(f"{spec.name} did not load from {weights}: {exc}") from None
        return cls(engine, spec.memory_mb)

    def read_text(self, images: list[np.ndarray]) -> list[list[TextLine]]:
        read = []
        for image in images:
            if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
                raise InputError(f"expected H×W×3 uint8 RGB pictures, got {image.shape} {image.dtype}")
            found, _ = self.engine(np.ascontiguousarray(image[:, :, ::-1]))
            lines = []
            for corners, text, score in found or []:
                points = np.asarray(corners, dtype=np.float64)
                box = (float(points[:, 0].min()), float(points[:, 1].min()), float(points[:, 0].max()),
                       float(points[:, 1].max()))  # fmt: skip
                lines.append(TextLine(str(text), round(float(score), 4), box))
            read.append(lines)
        return read
