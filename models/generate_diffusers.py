"""Text-to-video with diffusers pipelines: Wan 2.1, LTX-Video, CogVideoX.

One adapter for every family: the spec names the diffusers pipeline class and the family's
defaults and shape rules (see :mod:`studio.generation`). Loading honours dtype (bfloat16 on
CUDA, float32 on CPU unless asked) and CPU offload (``model``: one component on the GPU at
a time; ``sequential``: one layer at a time, least memory, slowest); the VAE decodes in
tiles where the family supports it, so long or large videos fit on smaller GPUs. An attention
backend by name (diffusers' ``set_attention_backend``, checked before the weights load) and
``torch.compile`` of the denoiser (its repeated blocks where the family names them) are load
options too. Weights come from the Hugging Face Hub cache or a local folder: nothing is
downloaded at run time, so the backends that fetch kernels from the Hub are refused.

Each spec's ``params`` also carry the numbers :mod:`studio.generation.memory` estimates
peak memory from: the VAE's ``spatial`` and ``temporal`` compression, the transformer's
``patch`` (t, h, w), ``hidden`` width, ``ffn`` width and ``heads`` (from the released
configurations), ``cfg_batch`` (2 where the pipeline runs the unconditional pass in the same
batch) and ``vae_tile_mb`` (assumed tiled-decode working memory).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from studio.core import InputError, ModelLoadError, OutOfMemory, Settings, StudioError
from studio.generation import GenerationMemory, GenerationRequest, available_mb, default_dtype
from studio.registry import LoadOptions, ModelSpec

__all__ = ["SPECS", "DiffusersTextToVideo"]

_ADAPTER = "models.generate_diffusers:DiffusersTextToVideo"
_REQUIRES = ("diffusers", "transformers", "torch", "accelerate")
CPU_ATTENTION = ("native", "_native_math", "_native_flash", "flex")  # the backends that ran on a CPU here
# the memory numbers of each family (see the module docstring); Wan 2.1's VAE and patching are
# shared by its sizes, the transformer's widths are each size's own
_WAN_VAE: dict[str, Any] = {"spatial": 8, "temporal": 4, "patch": (1, 2, 2), "cfg_batch": 1, "vae_tile_mb": 512}


def _hub(name: str, repo: str, license: str, memory_mb: int, size_mb: float, description: str, priority: int = 0,
         **params: Any) -> ModelSpec:  # fmt: skip
    capabilities = tuple(params.pop("capabilities", ()))
    requires = _REQUIRES + tuple(params.pop("requires", ()))
    return ModelSpec(
        name=name, task="text-to-video", adapter=_ADAPTER, source=f"hub:{repo}", revision="main", license=license,
        extra="generate", memory_mb=memory_mb, offline=False, size_mb=size_mb, requires=requires,
        description=description, priority=priority, params=params, capabilities=capabilities,
    )  # fmt: skip


SPECS = [
    _hub("wan2.1-t2v-1.3b", "Wan-AI/Wan2.1-T2V-1.3B-Diffusers", "Apache-2.0", 12000, 28000,
         "Wan 2.1 text-to-video, 1.3 B parameters, 480p; ~8 GB of GPU memory with model offload",
         pipeline="WanPipeline", width=832, height=480, frames=81, fps=16, steps=50, guidance_scale=5.0,
         size_multiple=16, frame_step=4, priority=10, **_WAN_VAE, hidden=1536, ffn=8960, heads=12),
    _hub("ltx-video", "Lightricks/LTX-Video", "LTX-Video Open Weights", 16000, 30000,
         "LTX-Video 2 B, real-time-class text-to-video at 24 fps",
         pipeline="LTXPipeline", width=704, height=480, frames=121, fps=24, steps=50, guidance_scale=3.0,
         size_multiple=32, frame_step=8, capabilities=("image-to-video",), i2v_pipeline="LTXImageToVideoPipeline",
         spatial=32, temporal=8, patch=(1, 1, 1), hidden=2048, ffn=8192, heads=32, cfg_batch=2, vae_tile_mb=1024),
    _hub("wan2.1-i2v-14b-480p", "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers", "Apache-2.0", 40000, 82000,
         "Wan 2.1 image-to-video, 14 B parameters, 480p: a start image and a prompt; needs a large GPU or offload",
         pipeline="WanImageToVideoPipeline", width=832, height=480, frames=81, fps=16, steps=40, guidance_scale=5.0,
         size_multiple=16, frame_step=4, capabilities=("image-to-video",), i2v_pipeline="WanImageToVideoPipeline",
         image_only=True, **_WAN_VAE, hidden=5120, ffn=13824, heads=40,
         requires=("ftfy",)),  # diffusers 0.42's Wan image-to-video pipeline cleans prompts with ftfy, unguarded
    _hub("wan2.2-ti2v-5b", "Wan-AI/Wan2.2-TI2V-5B-Diffusers", "Apache-2.0", 24000, 34000,
         "Wan 2.2 text- and image-to-video, 5 B parameters, 720p at 24 fps; ~12 GB of GPU memory with model offload",
         pipeline="WanPipeline", width=1280, height=704, frames=121, fps=24, steps=50, guidance_scale=5.0,
         size_multiple=32, frame_step=4, capabilities=("image-to-video",), i2v_pipeline="WanImageToVideoPipeline",
         spatial=16, temporal=4, patch=(1, 2, 2), cfg_batch=1, vae_tile_mb=768, hidden=3072, ffn=14336, heads=24,
         requires=("ftfy",)),
    _hub("cogvideox-2b", "THUDM/CogVideoX-2b", "Apache-2.0", 18000, 13000,
         "CogVideoX 2 B, 720×480, 6 s at 8 fps",
         pipeline="CogVideoXPipeline", width=720, height=480, frames=49, fps=8, steps=50, guidance_scale=6.0,
         size_multiple=16, frame_step=8, spatial=8, temporal=4, patch=(1, 2, 2), hidden=1920, ffn=7680, heads=30,
         cfg_batch=2, vae_tile_mb=768),
    # diffusers keeps this UNet family among its deprecated pipelines: registered for users who
    # have its weights; it calls back through the older ``callback`` argument
    _hub("modelscope-t2v-1.7b", "ali-vilab/text-to-video-ms-1.7b", "CC-BY-NC-4.0", 8000, 7000,
         "ModelScope text-to-video 1.7 B (TextToVideoSDPipeline, deprecated in diffusers), 256x256, 8 fps",
         pipeline="TextToVideoSDPipeline", width=256, height=256, frames=16, fps=8, steps=25, guidance_scale=9.0,
         size_multiple=8, frame_step=1, step_callback="legacy", spatial=8, temporal=1, cfg_batch=2,
         vae_tile_mb=256),
]  # fmt: skip


class DiffusersTextToVideo:
    def __init__(
        self,
        pipe: Any,
        name: str,
        memory_mb: int,
        call: dict[str, Any] | None = None,
        i2v_class: str = "",
        memory: GenerationMemory | None = None,
        load: tuple[str, LoadOptions] = ("cpu", LoadOptions()),
    ) -> None:
        self.pipe = pipe
        self.memory = memory  # what it needs per request: names settings that fit when one runs out
        self.device, self.options = load  # where and how it was loaded
        self.call = call or {}  # the family's own extra call arguments (spec params "call")
        self.name = name
        self.loaded_loras: dict[str, str] = {}  # adapter name -> file, as loaded on the pipeline
        self.own_scheduler = pipe.scheduler  # put back when a request names none
        self.i2v: Any = None  # the image-to-video pipeline over the same modules, built on first use
        self.i2v_class = i2v_class  # the family's image-to-video pipeline class (spec params "i2v_pipeline")
        self.memory_mb = memory_mb

    @classmethod
    def load(cls, spec: ModelSpec, weights: Path, device: str, options: LoadOptions) -> DiffusersTextToVideo:
        options.require(spec.name, dtypes=("float32", "float16", "bfloat16"), offload=True, attention=True,
                        compile=True)  # fmt: skip
        check_attention(spec.name, options.attention, device)  # before the weights load
        import diffusers
        import torch

        dtype = getattr(torch, options.dtype or default_dtype(device))
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
        denoiser = getattr(pipe, "transformer", None) or pipe.unet  # the UNet families have no transformer
        if options.attention is not None:
            _set_attention(denoiser, options.attention)
        if options.compile:
            _compile(denoiser)
        call = dict(spec.params.get("call", {}))
        memory = GenerationMemory.of(spec, weights)
        if spec.params.get("step_callback") == "legacy":
            call["legacy_callback"] = True
        return cls(pipe, spec.name, spec.memory_mb, call, str(spec.params.get("i2v_pipeline", "")), memory,
                   (device, options))  # fmt: skip

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
            if isinstance(self.pipe, pipeline_class):
                self.i2v = self.pipe
            else:  # the same modules, and the settings both take (Wan 2.2's expand_timesteps, boundary_ratio)
                takes = inspect.signature(pipeline_class.__init__).parameters
                settings = {key: value for key, value in self.pipe.config.items()
                            if key in takes and key not in self.pipe.components}  # fmt: skip
                self.i2v = pipeline_class(**self.pipe.components, **settings)
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

        call = dict(self.call)
        if call.pop("legacy_callback", False):  # the older pipelines: callback(step, timestep, latents)
            call.update(callback=lambda step, timestep, latents: on_step(step + 1, request.steps), callback_steps=1)
        else:
            call["callback_on_step_end"] = step_done
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
                **call,
                **extra,
            )
        except torch.OutOfMemoryError:
            raise OutOfMemory(self._out_of_memory(request)) from None
        frames = np.asarray(output.frames[0], dtype=np.float32)  # T×H×W×3 in [0, 1]
        return np.clip(np.rint(frames * 255), 0, 255).astype(np.uint8)

    def _out_of_memory(self, request: GenerationRequest) -> str:
        """What to say when a generation ran out: the estimate and the settings that would fit
        in what the device has with this model's weights counted as free."""
        said = f"{self.name} ran out of memory on {self.device} making {request.frames} frames of "
        said += f"{request.width}x{request.height}"
        if self.memory is None:
            return f"{said}: use --offload model (or sequential), fewer frames or a smaller size"
        import torch

        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()
        held = self.memory.estimate(request, self.options, self.device).weights_mb
        try:  # the adapter has no settings of its own: the environment's, as the cache read them
            available = available_mb(self.device, Settings.from_env()) + held
        except StudioError:
            return f"{said}: use --offload model (or sequential), fewer frames or a smaller size"
        return f"{said}: {self.memory.advice(request, self.options, self.device, available)}"


def check_attention(model: str, name: str | None, device: str) -> None:
    """Refuse an attention backend diffusers does not know, one that downloads its kernels from
    the Hub, or one that cannot run on a CPU, listing the ones that can; nothing loads before."""
    if name is None:
        return
    from diffusers.models.attention_dispatch import AttentionBackendName

    known = sorted(member.value for member in AttentionBackendName)
    usable = [backend for backend in known if not backend.endswith("_hub")]
    if not device.startswith("cuda"):
        usable = [backend for backend in usable if backend in CPU_ATTENTION]
    if name not in usable:
        why = (
            "downloads its kernels at run time"
            if name in known and name.endswith("_hub")
            else f"is not one for {device}"
        )
        raise InputError(f"{model}: attention backend {name!r} {why}; expected one of {', '.join(usable)}")
    try:  # a backend whose package is missing (flash-attn, sageattention) is refused before loading
        from diffusers.models.attention_dispatch import _check_attention_backend_requirements
    except ImportError:
        return
    try:
        _check_attention_backend_requirements(AttentionBackendName(name))
    except RuntimeError as exc:
        raise InputError(f"{model}: attention backend {name!r} cannot be used here: {exc}") from None


def _set_attention(transformer: Any, name: str) -> None:
    """Use the backend on this model's attention only: diffusers' ``set_attention_backend``
    also makes it the process-wide default, which would change every other loaded model."""
    from diffusers.models.attention_dispatch import _AttentionBackendRegistry

    before = _AttentionBackendRegistry._active_backend
    try:
        transformer.set_attention_backend(name)
    except (RuntimeError, ValueError) as exc:
        raise InputError(f"attention backend {name!r} cannot be used: {exc}") from None
    finally:
        _AttentionBackendRegistry.set_active_backend(before)


def _compile(transformer: Any) -> None:
    """``torch.compile`` the denoiser: only its repeated blocks where the family names them
    (regional compilation: the same speed, a much shorter first call, and it works with
    offload), else the whole model. Compilation happens on the first denoising step."""
    if getattr(transformer, "_repeated_blocks", None):
        transformer.compile_repeated_blocks()
    else:
        transformer.compile()
