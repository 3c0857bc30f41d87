"""Neural captions from Hugging Face models, for users with a network: BLIP and Florence-2 per picture, SmolVLM2
for a whole clip.

- :class:`BlipCaptioner` (BLIP base, COCO captions) and :class:`FlorenceCaptioner` (Florence-2 base, its
  ``<CAPTION>`` task) are :class:`~studio.vision.contracts.ImageCaptioner` s: one caption per shot keyframe,
  pictures batched;
- :class:`SmolVLMDescriber` (SmolVLM2 256M Video-Instruct) is a :class:`~studio.vision.contracts.VideoDescriber`:
  ``describe_video(frames)`` writes one description of up to ``clip_frames`` frames that the pipeline sampled by
  timestamp.

Decoding is greedy (one beam, no sampling) with a bounded ``max_new_tokens`` (the spec's params), so the same
pictures always give the same words.

Florence-2 is loaded with the native ``Florence2ForConditionalGeneration`` of transformers 5, whose weights
are the converted ``florence-community/Florence-2-base`` (MIT, from ``microsoft/Florence-2-base``); Microsoft's
own repository still needs ``trust_remote_code``, which this studio never runs.

SmolVLM2's own processor needs ``num2words`` and a torchvision video processor; this adapter needs neither. It
builds the prompt the processor builds for a video (the chat template's ``User: <video>…`` with the model's video
intro, ``Frame from MM:SS:`` and each frame's image tokens) and passes the frames as that many images through the
image processor without splitting, each resized to the model's video frame size, as its video processor does.

Weights load from the local Hub cache or a folder only; ``studio models install NAME`` downloads them once on a
machine with a network.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from models.image_checks import check_rgb_images
from studio.core import InputError
from studio.registry import LoadOptions, ModelSpec

__all__ = ["SPECS", "BlipCaptioner", "FlorenceCaptioner", "SmolVLMDescriber"]

_REQUIRES = ("torch", "transformers")
BATCH_IMAGES = 8  # pictures per generate call: BLIP/Florence at 384-768 px, ~1 GB of activations on CPU
FLORENCE_TASKS = ("<CAPTION>", "<DETAILED_CAPTION>", "<MORE_DETAILED_CAPTION>")
VIDEO_PROMPT = "Describe this video in detail"  # the SmolVLM2 model card's video example

SPECS = [
    ModelSpec(
        name="blip-base", task="caption", adapter="models.caption_transformers:BlipCaptioner",
        source="hub:Salesforce/blip-image-captioning-base", revision="main", license="BSD-3-Clause",
        extra="vision-hub", memory_mb=1100, offline=False, size_mb=990, requires=_REQUIRES, priority=5,
        params={"max_new_tokens": 30, "batch_images": BATCH_IMAGES},
        description="BLIP base (COCO captions): a short caption per shot keyframe",
    ),
    ModelSpec(
        name="florence-2-base", task="caption", adapter="models.caption_transformers:FlorenceCaptioner",
        source="hub:florence-community/Florence-2-base", revision="main", license="MIT", extra="vision-hub",
        memory_mb=1100, offline=False, size_mb=930, requires=_REQUIRES, priority=6,
        params={"max_new_tokens": 40, "batch_images": BATCH_IMAGES, "task": "<CAPTION>"},
        description="Florence-2 base (native transformers port): a caption per shot keyframe",
    ),
    ModelSpec(
        name="smolvlm2-256m-video", task="caption", adapter="models.caption_transformers:SmolVLMDescriber",
        source="hub:HuggingFaceTB/SmolVLM2-256M-Video-Instruct", revision="main", license="Apache-2.0",
        extra="vision-hub", memory_mb=1200, offline=False, size_mb=1030, requires=_REQUIRES, priority=0,
        capabilities=("video",), params={"max_new_tokens": 64, "clip_frames": 8},
        description="SmolVLM2 256M Video-Instruct: one description of the whole clip from 8 frames",
    ),
]  # fmt: skip


class _HubGenerator:
    """What the three share: the model and its input parts, greedy bounded generation, typed loading."""

    def __init__(self, spec: ModelSpec, model: Any, parts: dict[str, Any], device: str) -> None:
        self.name = spec.name
        self.model = model
        self.parts = parts  # processor, or tokenizer + image processor
        self.device = device
        self.memory_mb = spec.memory_mb
        self.max_new_tokens = int(spec.params.get("max_new_tokens", 30))
        if self.max_new_tokens < 1:
            raise InputError(f"{spec.name}: expected params['max_new_tokens'] of at least 1, got {self.max_new_tokens}")
        self.batch_images = max(1, int(spec.params.get("batch_images", BATCH_IMAGES)))

    @classmethod
    def load(cls, spec: ModelSpec, weights: Path, device: str, options: LoadOptions) -> Any:
        options.require(spec.name, dtypes=("float32", "float16", "bfloat16"))
        import torch

        model, parts = cls._from_pretrained(weights, getattr(torch, options.dtype or "float32"))
        return cls(spec, model.to(device).eval(), parts, device)

    @classmethod
    def _from_pretrained(cls, weights: Path, dtype: Any) -> tuple[Any, dict[str, Any]]:
        raise NotImplementedError

    def _generate(self, inputs: dict[str, Any], **extra: Any) -> Any:
        """Greedy token ids for ``inputs``: one beam, no sampling, at most ``max_new_tokens`` new tokens."""
        import torch

        dtype = next(self.model.parameters()).dtype
        moved = {k: v.to(self.device, dtype) if k == "pixel_values" else v.to(self.device) for k, v in inputs.items()}
        with torch.inference_mode():
            return self.model.generate(
                **moved, **extra, max_new_tokens=self.max_new_tokens, do_sample=False, num_beams=1
            )

    def _batches(self, images: list[np.ndarray]) -> list[list[np.ndarray]]:
        return [images[i : i + self.batch_images] for i in range(0, len(images), self.batch_images)]


class _PictureCaptioner(_HubGenerator):
    """A caption per picture: a transformers ``model_class`` with its AutoProcessor, in batches."""

    model_class = ""  # the transformers class that loads the weights

    @classmethod
    def _from_pretrained(cls, weights: Path, dtype: Any) -> tuple[Any, dict[str, Any]]:
        import transformers

        model = getattr(transformers, cls.model_class).from_pretrained(weights, dtype=dtype)
        return model, {"processor": transformers.AutoProcessor.from_pretrained(weights)}

    def _inputs(self, batch: list[np.ndarray]) -> dict[str, Any]:
        raise NotImplementedError

    def caption_images(self, images: list[np.ndarray]) -> list[str]:
        check_rgb_images(self.name, images)
        processor = self.parts["processor"]
        captions: list[str] = []
        for batch in self._batches(images):
            ids = self._generate(self._inputs(batch))
            captions.extend(text.strip() for text in processor.batch_decode(ids, skip_special_tokens=True))
        return captions


class BlipCaptioner(_PictureCaptioner):
    """BLIP base: an unconditional caption per picture (lower case, as it was trained on COCO)."""

    model_class = "BlipForConditionalGeneration"

    def _inputs(self, batch: list[np.ndarray]) -> dict[str, Any]:
        return dict(self.parts["processor"](images=batch, return_tensors="pt"))


class FlorenceCaptioner(_PictureCaptioner):
    """Florence-2 base: its captioning task (``params["task"]``: ``<CAPTION>`` or a more detailed one)."""

    model_class = "Florence2ForConditionalGeneration"

    def __init__(self, spec: ModelSpec, model: Any, parts: dict[str, Any], device: str) -> None:
        super().__init__(spec, model, parts, device)
        self.task = str(spec.params.get("task", "<CAPTION>"))
        if self.task not in FLORENCE_TASKS:
            raise InputError(
                f"{spec.name}: expected params['task'] one of {', '.join(FLORENCE_TASKS)}, got {self.task!r}"
            )

    def _inputs(self, batch: list[np.ndarray]) -> dict[str, Any]:
        inputs = self.parts["processor"](text=[self.task] * len(batch), images=batch, return_tensors="pt")
        return {"input_ids": inputs["input_ids"], "pixel_values": inputs["pixel_values"]}


class SmolVLMDescriber(_HubGenerator):
    """SmolVLM2 Video-Instruct: one description of a clip's frames, in the prompt layout it was trained on."""

    fake_token, global_token, image_token = "<fake_token_around_image>", "<global-img>", "<image>"
    end_token = "<end_of_utterance>"

    def __init__(self, spec: ModelSpec, model: Any, parts: dict[str, Any], device: str) -> None:
        super().__init__(spec, model, parts, device)
        self.clip_frames = int(spec.params.get("clip_frames", 8))
        if self.clip_frames < 1:
            raise InputError(f"{spec.name}: expected params['clip_frames'] of at least 1, got {self.clip_frames}")
        config = model.config
        side = config.vision_config.image_size // config.vision_config.patch_size
        self.image_seq_len = int(side**2 // config.scale_factor**2)  # image tokens per frame, as its processor says
        pictures = parts["image_processor"]
        sampling = getattr(pictures, "video_sampling", None) or {}
        frame_side = (sampling.get("video_size") or {}).get("longest_edge") or pictures.max_image_size["longest_edge"]
        self.frame_side = int(frame_side)  # its video processor's frame size (512 for the 256M model)

    @classmethod
    def _from_pretrained(cls, weights: Path, dtype: Any) -> tuple[Any, dict[str, Any]]:
        from transformers import AutoImageProcessor, AutoModelForImageTextToText, AutoTokenizer

        model = AutoModelForImageTextToText.from_pretrained(weights, dtype=dtype)
        parts = {"tokenizer": AutoTokenizer.from_pretrained(weights),
                 "image_processor": AutoImageProcessor.from_pretrained(weights)}  # fmt: skip
        return model, parts

    def describe_video(self, frames: list[np.ndarray], prompt: str = "", times_s: Sequence[float] | None = None) -> str:
        """One description of ``frames`` (oldest first). ``times_s``, the frames' times on the source clock,
        label them in the prompt (``Frame from MM:SS``) as the model saw in training; without them the frames
        are taken to be one second apart (the model's own video sampling rate)."""
        times = self._check(frames, times_s)
        question = prompt.strip() or VIDEO_PROMPT
        text = f"<|im_start|>User: {self._video_prompt(times)}{question}{self.end_token}\nAssistant:"
        tokenizer = self.parts["tokenizer"]
        tokens = tokenizer(text, return_tensors="pt", add_special_tokens=False)
        side = {"longest_edge": self.frame_side}
        pixels = self.parts["image_processor"](
            images=[list(frames)], do_image_splitting=False, size=side, max_image_size=side, return_tensors="pt"
        )
        stop = tokenizer.convert_tokens_to_ids(self.end_token)
        ids = self._generate({**tokens, **pixels}, eos_token_id=stop)
        return str(tokenizer.decode(ids[0, tokens["input_ids"].shape[1] :], skip_special_tokens=True)).strip()

    def _check(self, frames: list[np.ndarray], times_s: Sequence[float] | None) -> list[float]:
        if not frames:
            raise InputError(f"{self.name} describes a clip and needs at least one frame, got none")
        if len(frames) > self.clip_frames:
            raise InputError(f"{self.name} looks at up to {self.clip_frames} frames of a clip, got {len(frames)}")
        check_rgb_images(self.name, frames, what="frame")
        if times_s is None:
            return [float(k) for k in range(len(frames))]
        times = [float(t) for t in times_s]
        if len(times) != len(frames):
            raise InputError(f"expected one time per frame ({len(frames)}), got {len(times)} times")
        if not all(np.isfinite(times)) or min(times) < 0 or any(b < a for a, b in pairwise(times)):
            raise InputError(f"expected frame times in seconds, increasing from 0 or later, got {times}")
        return times

    def _video_prompt(self, times: list[float]) -> str:
        """The text SmolVLM's processor puts in place of ``<video>``: intro, then each frame's time and tokens."""
        picture = f"{self.fake_token}{self.global_token}{self.image_token * self.image_seq_len}{self.fake_token}"
        duration = timedelta(seconds=int(times[-1]))
        count = _number_words(len(times))
        text = f"You are provided the following series of {count} frames from a {duration} [H:MM:SS] video.\n"
        for time_s in times:
            text += f"\nFrame from {int(time_s // 60):02d}:{int(time_s % 60):02d}:{picture}"
        return text + "\n\n"


_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")  # fmt: skip
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def _number_words(count: int) -> str:
    """A frame count in words as ``num2words`` writes it (``eight``, ``twenty-one``), for 0-99; digits above."""
    if count < 20:
        return _ONES[count]
    if count < 100:
        tens, rest = divmod(count, 10)
        return _TENS[tens] + (f"-{_ONES[rest]}" if rest else "")
    return str(count)
