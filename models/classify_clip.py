"""Zero-shot scene tags in the user's own words, from CLIP or SigLIP (Hugging Face, for users with a network).

Both adapters are :class:`~studio.vision.contracts.ImageClassifier` s that need labels (``--label 'a beach'``)
and :class:`~studio.vision.contracts.ImageEmbedder` s (L2-normalised image embeddings, the trainer's input).
Each label is read as ``"a photo of {label}."`` (the spec's ``params["prompt"]``), and its score is the one
the model was trained to give:

- **CLIP** (:class:`ClipZeroShot`, Radford et al. 2021): a softmax over the given labels of the scaled cosine
  similarities, so the scores of one picture sum to 1 and say which label fits best *among these*;
- **SigLIP** (:class:`SiglipZeroShot`, Zhai et al. 2023): a sigmoid per label of the scaled, biased similarity,
  as in its pairwise sigmoid loss, so each score says on its own how well that label fits (several may be high
  or all low); its text is padded to the model's 64 tokens with no attention mask, as it was trained.

Label embeddings are computed once per label set; pictures go through in batches. Weights load from the local
Hub cache or a folder only; ``studio models install NAME`` downloads them once on a machine with a network.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from models.image_checks import check_rgb_images
from studio.core import InputError, ModelLoadError, ModelUnavailable
from studio.registry import LoadOptions, ModelSpec
from studio.vision import Scored

__all__ = ["SPECS", "ClipZeroShot", "SiglipZeroShot"]

_REQUIRES = ("torch", "transformers")
PROMPT = "a photo of {label}."  # the CLIP paper's default ImageNet prompt
BATCH_IMAGES = 16  # pictures per forward pass: 16 × 224² RGB is ~10 MB of pixels, ~0.5 GB of ViT-B activations

SPECS = [
    ModelSpec(
        name="clip-vit-base-patch32", task="classify", adapter="models.classify_clip:ClipZeroShot",
        source="hub:openai/clip-vit-base-patch32", revision="main", license="MIT", extra="vision-hub",
        memory_mb=700, offline=False, size_mb=605, requires=_REQUIRES, priority=5,
        capabilities=("zero-shot", "embed"), params={"prompt": PROMPT, "batch_images": BATCH_IMAGES},
        description="CLIP ViT-B/32: your labels scored as a softmax among them; 512-d image embeddings",
    ),
    ModelSpec(
        name="siglip-base-patch16-224", task="classify", adapter="models.classify_clip:SiglipZeroShot",
        source="hub:google/siglip-base-patch16-224", revision="main", license="Apache-2.0", extra="vision-hub",
        memory_mb=900, offline=False, size_mb=813, requires=_REQUIRES, priority=6,
        capabilities=("zero-shot", "embed"), params={"prompt": PROMPT, "batch_images": BATCH_IMAGES},
        description="SigLIP base/16 224 px: each of your labels scored on its own (sigmoid); 768-d image embeddings",
    ),
]  # fmt: skip


def _clean_labels(name: str, labels: tuple[str, ...]) -> tuple[str, ...]:
    names = tuple(str(label).strip() for label in labels)
    if not names:
        raise InputError(f"{name} is zero-shot and needs your labels, e.g. --label 'a beach' --label 'a kitchen'")
    if not all(names):
        raise InputError(f"expected scene labels with words in them, got {labels!r}")
    repeated = next((label for label in names if names.count(label) > 1), None)
    if repeated is not None:
        raise InputError(f"expected different scene labels, got {repeated!r} twice")
    return names


class _ContrastiveZeroShot:
    """What CLIP and SigLIP share: the two towers, prompts, batching, embeddings and top-k."""

    model_type = ""  # the config's model_type this adapter reads

    def __init__(self, spec: ModelSpec, model: Any, processor: Any, device: str) -> None:
        self.name = spec.name
        self.model = model
        self.processor = processor
        self.device = device
        self.memory_mb = spec.memory_mb
        self.prompt = str(spec.params.get("prompt", PROMPT))
        if "{label}" not in self.prompt:
            raise InputError(f"{spec.name}: its prompt must contain {{label}}, got {self.prompt!r}")
        self.batch_images = max(1, int(spec.params.get("batch_images", BATCH_IMAGES)))
        self.embedding_size = self._embedding_size(model.config)
        self._label_cache: tuple[tuple[str, ...], Any] | None = None  # the last label set and its embeddings

    @classmethod
    def load(cls, spec: ModelSpec, weights: Path, device: str, options: LoadOptions) -> Any:
        options.require(spec.name, dtypes=("float32", "float16", "bfloat16"))
        import torch
        from transformers import AutoModel, AutoProcessor

        model = AutoModel.from_pretrained(weights, dtype=getattr(torch, options.dtype or "float32"))
        if model.config.model_type != cls.model_type:
            raise ModelLoadError(
                f"{spec.name}: expected a {cls.model_type} checkpoint at {weights}, got {model.config.model_type}"
            )
        try:
            processor = AutoProcessor.from_pretrained(weights)
        except ImportError as exc:  # SigLIP's spiece.model tokenizer needs sentencepiece, which transformers lacks
            found = re.search(r"requires the (\w+) library", str(exc))
            package = (found.group(1) if found else "sentencepiece").lower()
            reason = f"its tokenizer needs the python package {package}"
            raise ModelUnavailable(spec.name, reason, f"pip install {package}") from None
        return cls(spec, model.to(device).eval(), processor, device)

    @staticmethod
    def _embedding_size(config: Any) -> int:
        raise NotImplementedError

    def _text_inputs(self, prompts: list[str]) -> dict[str, Any]:
        raise NotImplementedError

    def _scores(self, similarity: Any) -> Any:
        """Cosine similarities (images × labels) to the scores the model was trained to give."""
        raise NotImplementedError

    def _run(self, method: str, inputs: dict[str, Any]) -> Any:
        import torch

        dtype = next(self.model.parameters()).dtype
        moved = {k: v.to(self.device, dtype) if k == "pixel_values" else v.to(self.device) for k, v in inputs.items()}
        with torch.inference_mode():
            features = getattr(self.model, method)(**moved).pooler_output.float()
        return features / features.norm(p=2, dim=-1, keepdim=True)

    def _label_embeddings(self, labels: tuple[str, ...]) -> Any:
        if self._label_cache is None or self._label_cache[0] != labels:
            prompts = [self.prompt.format(label=label) for label in labels]
            self._label_cache = (labels, self._run("get_text_features", self._text_inputs(prompts)))
        return self._label_cache[1]

    def _image_embeddings(self, images: list[np.ndarray]) -> Any:
        import torch

        batches = [images[i : i + self.batch_images] for i in range(0, len(images), self.batch_images)]
        pixels = [self.processor.image_processor(images=batch, return_tensors="pt") for batch in batches]
        return torch.cat([self._run("get_image_features", dict(inputs)) for inputs in pixels])

    def embed_images(self, images: list[np.ndarray]) -> np.ndarray:
        """N×``embedding_size`` float32, each row of unit length (the space both towers share)."""
        check_rgb_images(self.name, images)
        if not images:
            return np.zeros((0, self.embedding_size), dtype=np.float32)
        return np.ascontiguousarray(self._image_embeddings(images).cpu().numpy(), dtype=np.float32)

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """N×``embedding_size`` float32 of unit length, each text as given (no prompt template)."""
        if not texts:
            return np.zeros((0, self.embedding_size), dtype=np.float32)
        if any(not isinstance(text, str) or not text.strip() for text in texts):
            raise InputError(f"{self.name}: expected texts with words in them")
        return np.ascontiguousarray(self._run("get_text_features", self._text_inputs(texts)).cpu().numpy(),
                                    dtype=np.float32)  # fmt: skip

    def classify_images(self, images: list[np.ndarray], labels: tuple[str, ...] = (), top_k: int = 5) -> list[Scored]:
        """The ``top_k`` of the user's labels for each picture (all of them when fewer), best first."""
        names = _clean_labels(self.name, labels)
        if top_k < 1:
            raise InputError(f"expected top_k of at least 1, got {top_k}")
        check_rgb_images(self.name, images)
        if not images:
            return []
        similarity = self._image_embeddings(images) @ self._label_embeddings(names).T
        scores = self._scores(similarity).cpu().numpy()
        order = np.argsort(-scores, axis=1, kind="stable")[:, :top_k]
        return [[(names[j], float(row[j])) for j in best] for row, best in zip(scores, order, strict=True)]


class ClipZeroShot(_ContrastiveZeroShot):
    """CLIP: a softmax over the user's labels (scores of a picture sum to 1: the best fit among them)."""

    model_type = "clip"

    @staticmethod
    def _embedding_size(config: Any) -> int:
        return int(config.projection_dim)

    def _text_inputs(self, prompts: list[str]) -> dict[str, Any]:
        return dict(self.processor.tokenizer(prompts, padding=True, truncation=True, return_tensors="pt"))

    def _scores(self, similarity: Any) -> Any:
        scale = self.model.logit_scale.detach().float().exp().to(similarity.device)
        return (similarity * scale).softmax(dim=-1)


class SiglipZeroShot(_ContrastiveZeroShot):
    """SigLIP: a sigmoid per label (each score 0-1 on its own; they need not sum to 1)."""

    model_type = "siglip"

    @staticmethod
    def _embedding_size(config: Any) -> int:
        return int(config.vision_config.hidden_size)  # SigLIP has no projection: the pooled vision features

    def _text_inputs(self, prompts: list[str]) -> dict[str, Any]:
        length = int(self.model.config.text_config.max_position_embeddings)  # 64: what it was trained with
        tokens = self.processor.tokenizer(
            prompts, padding="max_length", max_length=length, truncation=True, return_tensors="pt"
        )
        return {"input_ids": tokens["input_ids"]}  # trained on padded text with no mask

    def _scores(self, similarity: Any) -> Any:
        scale = self.model.logit_scale.detach().float().exp().to(similarity.device)
        bias = self.model.logit_bias.detach().float().to(similarity.device)
        return (similarity * scale + bias).sigmoid()
