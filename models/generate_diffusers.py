"""Text-to-video with diffusers pipelines: Wan 2.1, LTX-Video, CogVideoX.

One adapter for every family: the spec names the diffusers pipeline class and the family's
defaults and shape rules (see :mod:`studio.generation`). Loading honours dtype (bfloat16 on
CUDA, float32 on CPU unless asked) and CPU offload (``model``: one component on the GPU at
a time; ``sequential``: one layer at a time, least memory, slowest); the VAE decodes in
tiles where the family supports it, so long or large videos fit on smaller GPUs. Weights
come from the Hugging Face Hub cache or a local folder: nothing is downloaded at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from studio.errors import InputError, ModelLoadError, OutOfMemory
from studio.generation import GenerationRequest
from studio.registry import LoadOptions, ModelSpec

__all__ = ["SPECS", "DiffusersTextToVideo"]

_ADAPTER = "models.generate_diffusers:DiffusersTextToVideo"
_REQUIRES = ("diffusers", "transformers", "torch", "accelerate")


def _hub(name: str, repo: str, license: str, memory_mb: int, size_mb: float, description: str, priority: int = 0,
         **params: Any) -> ModelSpec:  # fmt: skip
    capabilities = tuple(params.pop("capabilities", ()))
    return ModelSpec(
        name=name, task="text-to-video", adapter=_ADAPTER, source=f"hub:{repo}", revision="main", license=license,
        extra="generate", memory_mb=memory_mb, offline=False, size_mb=size_mb, requires=_REQUIRES,
        description=description, priority=priority, params=params, capabilities=capabilities,
    )  # fmt: skip


SPECS = [
    _hub("wan2.1-t2v-1.3b", "Wan-AI/Wan2.1-T2V-1.3B-Diffusers", "Apache-2.0", 12000, 28000,
         "Wan 2.1 text-to-video, 1.3 B parameters, 480p; ~8 GB of GPU memory with model offload",
         pipeline="WanPipeline", width=832, height=480, frames=81, fps=16, steps=50, guidance_scale=5.0,
         size_multiple=16, frame_step=4, priority=10),
    _hub("ltx-video", "Lightricks/LTX-Video", "LTX-Video Open Weights", 16000, 30000,
         "LTX-Video 2 B, real-time-class text-to-video at 24 fps",
         pipeline="LTXPipeline", width=704, height=480, frames=121, fps=24, steps=50, guidance_scale=3.0,
         size_multiple=32, frame_step=8, capabilities=("image-to-video",), i2v_pipeline="LTXImageToVideoPipeline"),
    _hub("wan2.1-i2v-14b-480p", "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers", "Apache-2.0", 40000, 82000,
         "Wan 2.1 image-to-video, 14 B parameters, 480p: a start image and a prompt; needs a large GPU or offload",
         pipeline="WanImageToVideoPipeline", width=832, height=480, frames=81, fps=16, steps=40, guidance_scale=5.0,
         size_multiple=16, frame_step=4, capabilities=("image-to-video",), i2v_pipeline="WanImageToVideoPipeline",
         image_only=True),
    _hub("cogvideox-2b", "THUDM/CogVideoX-2b", "Apache-2.0", 18000, 13000,
         "CogVideoX 2 B, 720×480, 6 s at 8 fps",
         pipeline="CogVideoXPipeline", width=720, height=480, frames=49, fps=8, steps=50, guidance_scale=6.0,
         size_multiple=16, frame_step=8),
]  # fmt: skip


class DiffusersTextToVideo:
    def __init__(
        self, pipe: Any, name: str, memory_mb: int, call: dict[str, Any] | None = None, i2v_class: str = ""
    ) -> None:
        self.pipe = pipe
        self.call = call or {}  # the family's own extra call arguments (spec params "call")
        self.name = name
        self.loaded_loras: dict[str, str] = {}  # adapter name -> file, as loaded on the pipeline
        self.own_scheduler = pipe.scheduler  # put back when a request names none
        self.i2v: Any = None  # the image-to-video pipeline over the same modules, built on first use
        self.i2v_class = i2v_class  # the family's image-to-video pipeline class (spec params "i2v_pipeline")
        self.memory_mb = memory_mb

    @classmethod
    def load(cls, spec: ModelSpec, weights: Path, device: str, options: LoadOptions) -> DiffusersTextToVideo:
        options.require(spec.name, dtypes=("float32", "float16", "bfloat16"), offload=True)
        import diffusers
        import torch

        on_gpu = device.startswith("cuda")
        dtype = getattr(torch, options.dtype or ("bfloat16" if on_gpu else "float32"))
        pipeline_class = getattr(diffusers, str(spec.params.get("pipeline", "DiffusionPipeline")))
        pipe = pipeline_class.from_pretrained(str(weights), dtype=dtype, local_files_only=True)
        if options.offload == "model":
            pipe.enable_model_cpu_offload(device=device)
        elif options.offload == "sequential":
            pipe.enable_sequential_cpu_offload(device=device)
        else:
            pipe.to(device)
        vae = getattr(pipe, "vae", None)
        if vae is not None and hasattr(vae, "enable_tiling"):
            vae.enable_tiling()  # decode in overlapping tiles: the peak memory of a long video's decode
        pipe.set_progress_bar_config(disable=True)  # progress goes through the pipeline's callback
        call = dict(spec.params.get("call", {}))
        return cls(pipe, spec.name, spec.memory_mb, call, str(spec.params.get("i2v_pipeline", "")))

    def _use_loras(self, loras: tuple[tuple[str, float], ...]) -> None:
        """Hold exactly the request's LoRAs at their scales: a video without LoRA is made by the
        base weights alone (``unload_lora_weights`` restores them exactly)."""
        wanted = {f"lora{index}_{Path(path).stem}": (path, scale) for index, (path, scale) in enumerate(loras)}
        if set(wanted) != set(self.loaded_loras):
            if self.loaded_loras:
                self.pipe.unload_lora_weights()
            self.loaded_loras = {}
            for name, (path, _) in wanted.items():
                try:
                    self.pipe.load_lora_weights(path, adapter_name=name)
                except (ValueError, KeyError, OSError) as exc:
                    self.pipe.unload_lora_weights()
                    raise ModelLoadError(f"{path}: not a LoRA for {self.name} ({exc})") from None
                self.loaded_loras[name] = path
        if wanted:
            self.pipe.set_adapters(list(wanted), [scale for _, scale in wanted.values()])

    def _use_scheduler(self, name: str) -> None:
        """The request's scheduler (built from the model's own scheduler configuration), or
        the model's own when it names none."""
        if not name:
            self.pipe.scheduler = self.own_scheduler
            return
        if type(self.pipe.scheduler).__name__ == name:
            return
        compatible = {cls.__name__: cls for cls in getattr(self.own_scheduler, "compatibles", [])}
        if name not in compatible:
            raise InputError(f"{self.name} cannot use scheduler {name!r}; it can use {', '.join(sorted(compatible))}")
        self.pipe.scheduler = compatible[name].from_config(self.own_scheduler.config)

    def _pipeline_for(self, image: str) -> tuple[Any, dict[str, Any]]:
        """The pipeline and extra arguments for a request: with a start image the family's
        image-to-video pipeline, built once from the same loaded modules (no second copy)."""
        if not image:
            return self.pipe, {}
        if self.i2v is None:
            import diffusers

            pipeline_class = getattr(diffusers, self.i2v_class)
            self.i2v = self.pipe if isinstance(self.pipe, pipeline_class) else pipeline_class(**self.pipe.components)
        from PIL import Image

        with Image.open(image) as start:
            return self.i2v, {"image": start.convert("RGB")}

    def generate(self, request: GenerationRequest, on_step: Callable[[int, int], None]) -> np.ndarray:
        import torch

        self._use_scheduler(request.scheduler)
        self._use_loras(request.loras)
        pipe, extra = self._pipeline_for(request.image)

        def step_done(pipe: Any, step: int, timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
            on_step(step + 1, request.steps)  # may raise Cancelled: it stops the denoising loop
            return {}

        try:
            output = pipe(
                prompt=request.prompt,
                negative_prompt=request.negative_prompt or None,
                width=request.width,
                height=request.height,
                num_frames=request.frames,
                num_inference_steps=request.steps,
                guidance_scale=request.guidance_scale,
                generator=torch.Generator(device="cpu").manual_seed(request.seed),  # same seed, same video anywhere
                output_type="np",
                callback_on_step_end=step_done,
                **self.call,
                **extra,
            )
        except torch.OutOfMemoryError:
            raise OutOfMemory(
                f"{self.name} ran out of GPU memory making {request.frames} frames of {request.width}x"
                f"{request.height}: use --offload model (or sequential), fewer frames or a smaller size"
            ) from None
        frames = np.asarray(output.frames[0], dtype=np.float32)  # T×H×W×3 in [0, 1]
        return np.clip(np.rint(frames * 255), 0, 255).astype(np.uint8)
