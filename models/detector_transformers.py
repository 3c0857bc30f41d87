"""Hugging Face detectors for users with a network: RT-DETR, DETR and open-vocabulary OWLv2.

Two adapters over one loader: :class:`TransformersDetector` (``AutoModelForObjectDetection``
and its image processor) for the closed-set models, a
:class:`~studio.vision.DetectorModel`; :class:`OpenVocabularyDetector`
(``Owlv2ForObjectDetection`` and ``Owlv2Processor``), a :class:`~studio.vision.TextQueryDetector`:
``detect_queries(images, ("a red car",))`` finds what the text says.
Weights load from the local Hub cache or a folder only; ``studio models install NAME``
downloads them once on a machine with a network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from studio.core import InputError
from studio.registry import LoadOptions, ModelSpec
from studio.vision import Detections

__all__ = ["SPECS", "OpenVocabularyDetector", "TransformersDetector"]

_ADAPTER = "models.detector_transformers:TransformersDetector"
_OPEN_ADAPTER = "models.detector_transformers:OpenVocabularyDetector"
_REQUIRES = ("torch", "transformers")

SPECS = [
    ModelSpec(
        name="rtdetr-r18", task="detect", adapter=_ADAPTER, source="hub:PekingU/rtdetr_r18vd_coco_o365",
        revision="main", license="Apache-2.0", extra="vision-hub", memory_mb=500, offline=False, size_mb=80,
        requires=_REQUIRES, priority=20, description="RT-DETR R18, COCO-80 (real-time DETR)",
    ),
    ModelSpec(
        name="detr-resnet-50", task="detect", adapter=_ADAPTER, source="hub:facebook/detr-resnet-50",
        revision="main", license="Apache-2.0", extra="detr", memory_mb=700, offline=False, size_mb=167,
        requires=(*_REQUIRES, "timm"), priority=15, description="DETR ResNet-50, COCO (its backbone needs timm)",
    ),
    ModelSpec(
        name="owlv2-base", task="detect", adapter=_OPEN_ADAPTER, source="hub:google/owlv2-base-patch16-ensemble",
        revision="main", license="Apache-2.0", extra="vision-hub", memory_mb=1200, offline=False, size_mb=620,
        requires=_REQUIRES, priority=0, capabilities=("open-vocabulary",),
        description="OWLv2, open vocabulary: finds what a text query names",
    ),
]  # fmt: skip


class _HubDetector:
    """What both adapters share: the loaded model and processor, and boxes from their output."""

    open_vocabulary = False

    def __init__(self, model: Any, processor: Any, device: str, memory_mb: int) -> None:
        self.model = model
        self.processor = processor
        self.device = device
        self.memory_mb = memory_mb
        size = getattr(getattr(processor, "image_processor", processor), "size", None)
        sides = [getattr(size, key, None) for key in ("height", "width", "shortest_edge", "longest_edge")]
        self.input_size = int(max((s for s in sides if s), default=0))

    @classmethod
    def load(cls, spec: ModelSpec, weights: Path, device: str, options: LoadOptions) -> Any:
        options.require(spec.name, dtypes=("float32",))
        if cls.open_vocabulary != spec.can("open-vocabulary"):
            raise InputError(f"{spec.name}: its spec and its adapter {cls.__name__} disagree on open vocabulary")
        model: Any
        if cls.open_vocabulary:
            from transformers import Owlv2ForObjectDetection, Owlv2Processor

            model = Owlv2ForObjectDetection.from_pretrained(weights)
            processor = Owlv2Processor.from_pretrained(weights)
        else:
            from transformers import AutoImageProcessor, AutoModelForObjectDetection

            model = AutoModelForObjectDetection.from_pretrained(weights)
            processor = AutoImageProcessor.from_pretrained(weights)
        return cls(model.to(device).eval(), processor, device, spec.memory_mb)

    def _forward(self, inputs: dict[str, Any]) -> Any:
        import torch

        inputs = {k: v.to(self.device) if hasattr(v, "to") else v for k, v in inputs.items()}
        with torch.inference_mode():
            return self.model(**inputs)

    @staticmethod
    def _detections(sizes: list[tuple[int, int]], results: list[Any], names: list[list[str]]) -> list[Detections]:
        found = []
        for (height, width), result, labels in zip(sizes, results, names, strict=True):
            boxes = result["boxes"].detach().float().cpu().numpy().reshape(-1, 4)
            boxes = np.clip(boxes, 0, [width, height, width, height]).astype(np.float32)
            found.append(Detections(boxes, result["scores"].detach().float().cpu().numpy(), tuple(labels)))
        return found


class TransformersDetector(_HubDetector):
    """RT-DETR, DETR and other closed-set detectors: boxes with their model's own labels."""

    def detect(self, images: list[np.ndarray], min_score: float = 0.3) -> list[Detections]:
        sizes = [(image.shape[0], image.shape[1]) for image in images]
        outputs = self._forward(self.processor(images=images, return_tensors="pt"))
        results = self.processor.post_process_object_detection(outputs, threshold=min_score, target_sizes=sizes)
        id2label = self.model.config.id2label
        return self._detections(sizes, results, [[id2label[int(i)] for i in r["labels"]] for r in results])


class OpenVocabularyDetector(_HubDetector):
    """OWLv2: boxes for what text queries describe, each labelled with the query it matched."""

    open_vocabulary = True

    def detect_queries(
        self, images: list[np.ndarray], queries: tuple[str, ...], min_score: float = 0.3
    ) -> list[Detections]:
        if not queries:
            raise InputError("this open-vocabulary detector needs text queries, e.g. --query 'a red car'")
        sizes = [(image.shape[0], image.shape[1]) for image in images]
        texts = [list(queries)] * len(images)
        inputs = self.processor(text=texts, images=images, return_tensors="pt", padding=True, truncation=True)
        results = self.processor.post_process_grounded_object_detection(
            self._forward(inputs), threshold=min_score, target_sizes=sizes, text_labels=texts
        )
        return self._detections(sizes, results, [list(r["text_labels"]) for r in results])
