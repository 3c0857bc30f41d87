"""Hugging Face detectors for users with a network: RT-DETR, DETR and open-vocabulary OWLv2.

One adapter for all three: ``AutoModelForObjectDetection`` + its image processor for the
closed-set models, ``Owlv2ForObjectDetection`` + ``Owlv2Processor`` when the spec says
the ``open-vocabulary`` capability (then ``detect(..., queries=("a red car",))`` finds what the
text says).
Weights load from the local Hub cache or a folder only; ``studio models install NAME``
downloads them once on a machine with a network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from studio.errors import InputError
from studio.registry import LoadOptions, ModelSpec
from studio.vision import Detections

__all__ = ["SPECS", "TransformersDetector"]

_ADAPTER = "models.detector_transformers:TransformersDetector"
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
        name="owlv2-base", task="detect", adapter=_ADAPTER, source="hub:google/owlv2-base-patch16-ensemble",
        revision="main", license="Apache-2.0", extra="vision-hub", memory_mb=1200, offline=False, size_mb=620,
        requires=_REQUIRES, priority=0, capabilities=("open-vocabulary",),
        description="OWLv2, open vocabulary: finds what a text query names",
    ),
]  # fmt: skip


class TransformersDetector:
    def __init__(self, model: Any, processor: Any, open_vocabulary: bool, device: str, memory_mb: int) -> None:
        self.model = model
        self.processor = processor
        self.open_vocabulary = open_vocabulary
        self.device = device
        self.memory_mb = memory_mb
        size = getattr(getattr(processor, "image_processor", processor), "size", None)
        sides = [getattr(size, key, None) for key in ("height", "width", "shortest_edge", "longest_edge")]
        self.input_size = int(max((s for s in sides if s), default=0))

    @classmethod
    def load(cls, spec: ModelSpec, weights: Path, device: str, options: LoadOptions) -> TransformersDetector:
        options.require(spec.name, dtypes=("float32",))
        open_vocabulary = spec.can("open-vocabulary")
        model: Any
        if open_vocabulary:
            from transformers import Owlv2ForObjectDetection, Owlv2Processor

            model = Owlv2ForObjectDetection.from_pretrained(weights)
            processor = Owlv2Processor.from_pretrained(weights)
        else:
            from transformers import AutoImageProcessor, AutoModelForObjectDetection

            model = AutoModelForObjectDetection.from_pretrained(weights)
            processor = AutoImageProcessor.from_pretrained(weights)
        return cls(model.to(device).eval(), processor, open_vocabulary, device, spec.memory_mb)

    def detect(
        self, images: list[np.ndarray], min_score: float = 0.3, queries: tuple[str, ...] = ()
    ) -> list[Detections]:
        import torch

        if self.open_vocabulary and not queries:
            raise InputError("this open-vocabulary detector needs text queries, e.g. --query 'a red car'")
        if queries and not self.open_vocabulary:
            raise InputError("this detector knows a fixed label set; use owlv2-base for text queries")
        sizes = [(image.shape[0], image.shape[1]) for image in images]
        if self.open_vocabulary:
            texts = [list(queries)] * len(images)
            inputs = self.processor(text=texts, images=images, return_tensors="pt", padding=True, truncation=True)
        else:
            inputs = self.processor(images=images, return_tensors="pt")
        inputs = {k: v.to(self.device) if hasattr(v, "to") else v for k, v in inputs.items()}
        with torch.inference_mode():
            outputs = self.model(**inputs)
        if self.open_vocabulary:
            results = self.processor.post_process_grounded_object_detection(
                outputs, threshold=min_score, target_sizes=sizes, text_labels=[list(queries)] * len(images)
            )
            names = [list(r["text_labels"]) for r in results]
        else:
            results = self.processor.post_process_object_detection(outputs, threshold=min_score, target_sizes=sizes)
            id2label = self.model.config.id2label
            names = [[id2label[int(i)] for i in r["labels"]] for r in results]
        found = []
        for (height, width), result, labels in zip(sizes, results, names, strict=True):
            boxes = result["boxes"].detach().float().cpu().numpy().reshape(-1, 4)
            boxes = np.clip(boxes, 0, [width, height, width, height]).astype(np.float32)
            found.append(Detections(boxes, result["scores"].detach().float().cpu().numpy(), tuple(labels)))
        return found
