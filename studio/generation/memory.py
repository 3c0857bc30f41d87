"""Will a generation fit on the device? A pre-flight estimate of peak memory, checked before
any weights load, and the settings that would fit when it does not.

The peak is the largest of three phases, each what is on the device at once:

- **text encoding**: the text (and image) encoders' weights; their activations (a few hundred
  tokens) are assumed negligible;
- **denoising**: the transformer's weights plus its activations, which grow with the latent
  tokens, ``latent frames / patch_t × (height / spatial / patch_h) × (width / spatial / patch_w)``
  with ``latent frames = (frames - 1) / temporal + 1``: per token, ``cfg_batch × (6 × hidden +
  ffn)`` values (the residual stream, its normed copy, q, k, v and the attention output, and
  the feed-forward's inner layer) in the load dtype. Attention is assumed memory-efficient
  (linear in tokens), as PyTorch's SDPA, flash and the other fused backends are; with the
  ``_native_math`` backend the ``heads × tokens²`` score matrix (twice: softmax) is added;
- **decoding**: the VAE's weights, its tiled-decode working memory (``vae_tile_mb``: tiling
  bounds it whatever the video's size) and the decoded video, ``frames × 3 × height × width``.

Where each weight sits depends on the offload: ``none`` keeps every component on the device
in every phase; ``model`` holds one component at a time; ``sequential`` one layer at a time
(the largest tensor). On a CPU the weights are in the same memory whatever the offload.

Sources of the numbers: parameter counts are *measured* from the installed weights'
safetensors headers (no tensor is read); a spec without installed safetensors falls back to
its ``memory_mb`` as bfloat16 weights. The architecture numbers (spec ``params``:
``spatial``, ``temporal``, ``patch``, ``hidden``, ``ffn``, ``heads``, ``cfg_batch``) are the
released models' configurations. ``vae_tile_mb`` is *assumed*, sized from each decoder's widest
full-resolution activations per tile, not measured on a GPU (`benchmarks/generate.py
--device cuda` measures the peak). The estimate aims low, so only what cannot fit is refused;
a request near the line may still run out, and then the adapter's out-of-memory error names
smaller settings from the same estimate. ``MEDIA_STUDIO_GENERATE_MEMORY_MB`` replaces the
measured free memory (a share of a GPU, or a test).
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from studio.core import OutOfMemory, Settings
from studio.generation.options import GenerationRequest
from studio.registry import OFFLOADS, LoadOptions, ModelCache, ModelSpec

__all__ = ["GenerationMemory", "MemoryEstimate", "available_mb", "check_fits", "default_dtype"]

MB = 2**20
DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}
STREAM_WIDTHS = 6  # hidden-wide tensors alive at once in a transformer block (see the module docstring)
TEXT_PARTS = ("text_encoder", "text_encoder_2", "image_encoder")


def default_dtype(device: str) -> str:
    """The dtype a diffusers pipeline loads in when none is asked: bfloat16 on CUDA."""
    return "bfloat16" if device.startswith("cuda") else "float32"


def _mb(value: float) -> str:
    return f"{value / 1024:.1f} GB" if value >= 1024 else f"{value:.0f} MB"


@dataclass(frozen=True)
class MemoryEstimate:
    """Peak device memory of one generation, in MB, and the phase where it peaks."""

    weights_mb: float  # on the device during the peak phase
    working_mb: float  # activations, or decode working memory, in that phase
    phase: str  # "text encoding", "denoising" or "decoding"

    @property
    def peak_mb(self) -> float:
        return self.weights_mb + self.working_mb


def _safetensors_counts(path: Path) -> tuple[int, int]:
    """(parameters, largest tensor's parameters) from a safetensors header, without its data."""
    with path.open("rb") as file:
        (size,) = struct.unpack("<Q", file.read(8))
        header = json.loads(file.read(size))
    counts = [math.prod(entry["shape"]) for name, entry in header.items() if name != "__metadata__"]
    return sum(counts), max(counts, default=0)


def _component_counts(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Each component folder of a diffusers pipeline with its parameters and largest tensor.
    A component with variant files (``*.fp16.safetensors``) beside plain ones counts the plain.
    Headers are read once per version of the files (a reinstall changes their times)."""
    found = []
    for part in sorted(p for p in folder.iterdir() if p.is_dir()):
        files = sorted(part.glob("*.safetensors"))
        plain = [f for f in files if f.name.count(".") == 1]
        counts = [_header_counts(f, f.stat().st_mtime_ns, f.stat().st_size) for f in (plain or files)]
        if counts:
            found.append((part.name, sum(c[0] for c in counts), max(c[1] for c in counts)))
    return tuple(found)


@lru_cache(maxsize=256)
def _header_counts(path: Path, modified_ns: int, size: int) -> tuple[int, int]:
    return _safetensors_counts(path)


@dataclass(frozen=True)
class GenerationMemory:
    """One model's memory: its components' parameters and its architecture numbers."""

    name: str
    components: tuple[tuple[str, int, int], ...]  # (component, parameters, largest tensor's parameters)
    params: dict[str, Any]

    @classmethod
    def of(cls, spec: ModelSpec, weights: Path | None) -> GenerationMemory:
        components: tuple[tuple[str, int, int], ...] = ()
        if weights is not None and weights.is_dir():
            try:
                components = _component_counts(weights)
            except (OSError, ValueError, KeyError, struct.error):
                components = ()  # unreadable headers: fall back to the spec's memory_mb
        if not components:
            count = spec.memory_mb * MB // 2  # memory_mb read as bfloat16 weights
            components = (("transformer", count, count),)
        return cls(spec.name, components, dict(spec.params))

    def tokens(self, request: GenerationRequest) -> int:
        """Latent tokens the transformer attends over (0 when the spec does not say its shapes)."""
        spatial, temporal = self.params.get("spatial"), self.params.get("temporal")
        if not spatial or not temporal:
            return 0
        patch_t, patch_h, patch_w = self.params.get("patch", (1, 1, 1))
        latent_frames = (request.frames - 1) // int(temporal) + 1
        return (
            math.ceil(latent_frames / patch_t)
            * math.ceil(request.height / spatial / patch_h)
            * math.ceil(request.width / spatial / patch_w)
        )

    def estimate(self, request: GenerationRequest, load: LoadOptions, device: str) -> MemoryEstimate:
        size = DTYPE_BYTES[load.dtype or default_dtype(device)]
        offload = load.offload if device.startswith("cuda") else "none"  # a CPU holds them all anyway
        tokens = self.tokens(request)
        batch = int(self.params.get("cfg_batch", 1)) if request.guidance_scale > 1 else 1
        hidden, ffn = int(self.params.get("hidden", 0)), int(self.params.get("ffn", 0))
        denoise = batch * tokens * (STREAM_WIDTHS * hidden + ffn) * size
        if load.attention == "_native_math":
            denoise += 2 * batch * int(self.params.get("heads", 1)) * tokens**2 * size
        decode = request.frames * 3 * request.height * request.width * size + float(
            self.params.get("vae_tile_mb", 0) * MB
        )
        weights = {name: count * size for name, count, _ in self.components}
        largest = max(top for _, _, top in self.components) * size
        phases = {
            "text encoding": ([p for p in weights if p in TEXT_PARTS], 0.0),
            "denoising": ([p for p in weights if p not in TEXT_PARTS and p != "vae"], float(denoise)),
            "decoding": (["vae"], decode),
        }
        estimates = []
        for phase, (parts, working) in phases.items():
            if offload == "none":
                resident = float(sum(weights.values()))
            elif offload == "model":
                resident = float(sum(weights.get(p, 0) for p in parts))
            else:
                resident = float(largest)
            estimates.append(MemoryEstimate(resident / MB, working / MB, phase))
        return max(estimates, key=lambda e: e.peak_mb)

    def fitting(self, request: GenerationRequest, load: LoadOptions, device: str, available: float) -> list[str]:
        """Settings (CLI flags) that would fit in ``available`` MB: the first load option that
        does (bfloat16 for float32, then more offload on CUDA), else fewer frames or a smaller size with the most
        offload; empty when nothing this model can make fits."""
        tries, option = [], load
        if (load.dtype or default_dtype(device)) == "float32":
            tries.append(option := replace(option, dtype="bfloat16"))
        for offload in OFFLOADS[OFFLOADS.index(load.offload) + 1 :] if device.startswith("cuda") else ():
            tries.append(option := replace(option, offload=offload))
        for option in tries:
            peak = self.estimate(request, option, device).peak_mb
            if peak <= available:
                return [f"{_load_flags(option, load)}(about {_mb(peak)})"]
        found, flags = [], _load_flags(option, load)
        step, multiple = int(self.params.get("frame_step", 1)), int(self.params.get("size_multiple", 1))
        for frames in range(request.frames - step, 0, -step):
            if self.estimate(replace(request, frames=frames), option, device).peak_mb <= available:
                found.append(f"{flags}--frames {frames}")
                break
        for tenth in range(9, 0, -1):
            width = max(multiple, request.width * tenth // 10 // multiple * multiple)
            height = max(multiple, request.height * tenth // 10 // multiple * multiple)
            if self.estimate(replace(request, width=width, height=height), option, device).peak_mb <= available:
                found.append(f"{flags}--width {width} --height {height}")
                break
        return found

    def advice(self, request: GenerationRequest, load: LoadOptions, device: str, available: float) -> str:
        """One sentence: the estimate, what is available and what would fit."""
        estimate = self.estimate(request, load, device)
        dtype = load.dtype or default_dtype(device)
        fits = self.fitting(request, load, device, available)
        would = f"would fit: {'; '.join(fits)}" if fits else "no smaller setting of this model fits: free the device"
        return (
            f"{self.name} needs about {_mb(estimate.peak_mb)} on {device} for {request.frames} frames of "
            f"{request.width}x{request.height} in {dtype}, offload {load.offload} (peak in {estimate.phase}: "
            f"weights {_mb(estimate.weights_mb)}, working {_mb(estimate.working_mb)}), "
            f"{_mb(available)} is available; {would}"
        )


def _load_flags(chosen: LoadOptions, given: LoadOptions) -> str:
    """The CLI flags that turn ``given`` into ``chosen``, each followed by a space."""
    flags = f"--dtype {chosen.dtype} " if chosen.dtype != given.dtype else ""
    return flags + (f"--offload {chosen.offload} " if chosen.offload != given.offload else "")


def available_mb(device: str, settings: Settings) -> float:
    """Memory free for a generation on ``device``, in MB: the setting when given; on CUDA the
    driver's free memory plus what PyTorch's allocator holds unused; on a CPU MemAvailable."""
    if settings.generate_memory_mb is not None:
        return float(settings.generate_memory_mb)
    if device.startswith("cuda"):
        import torch

        try:
            index = torch.device(device).index
            index = torch.cuda.current_device() if index is None else index
            free, _ = torch.cuda.mem_get_info(index)
            unused = torch.cuda.memory_reserved(index) - torch.cuda.memory_allocated(index)
        except (RuntimeError, AssertionError):  # no usable CUDA here: loading says why
            return math.inf
        return (free + unused) / MB
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import psutil

        return float(psutil.virtual_memory().available) / MB
    except ImportError:
        return math.inf  # nothing says how much there is: do not refuse


def check_fits(
    spec: ModelSpec, request: GenerationRequest, device: str, load: LoadOptions | None, cache: ModelCache
) -> None:
    """Raise :class:`~studio.core.errors.OutOfMemory` (one line: the estimate, what is available,
    settings that would fit) when ``request`` cannot fit on ``device``; nothing is loaded.
    ``cache`` is the :class:`~studio.registry.ModelCache`: a model already loaded there with
    these options has its weights in memory already."""
    load = load or LoadOptions()
    weights = spec.weights_path(cache.settings)
    if weights is None:
        return  # not installed: loading says what to install
    memory = GenerationMemory.of(spec, weights)
    available = available_mb(device, cache.settings)
    estimate = memory.estimate(request, load, device)
    on_device = load.offload == "none" or not device.startswith("cuda")  # where a loaded model keeps its weights
    resident = on_device and (spec.name, device, load) in cache.loaded()
    if estimate.peak_mb - (estimate.weights_mb if resident else 0.0) > available:
        raise OutOfMemory(memory.advice(request, load, device, available))
