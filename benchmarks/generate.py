"""Text-to-video speed and memory: the studio's pipeline next to plain diffusers.

Both contenders load the same saved Wan pipeline from a folder and make the same video
(same prompt, seed, size, frames, steps), each in a fresh process:

- ``plain diffusers``: ``WanPipeline.from_pretrained(...)``, ``.to(device)`` (or model CPU
  offload), VAE tiling, ``pipe(...)`` to numpy frames: no file written;
- ``studio``: ``studio.generation.generate.generate_video`` through the registry and the
  diffusers adapter, H.264 MP4 written atomically.

Without ``--full`` the pipeline is the tiny random one the tests use (CPU, seconds): it
checks the path, its times mean little. ``--device cuda`` runs that tiny pipeline on a GPU in
bfloat16, with and without model offload and ``torch.compile`` (one short call). With
``--full`` (a CUDA GPU) it is Wan 2.1 T2V 1.3B's transformer and VAE at full size with random
weights (see :func:`evaluations.tiny_pipelines.save_wan_shaped`): every step's compute is the
real model's. Prints per-step time (the first step holds compilation), VAE decode (+ encode
for the studio) time, peak memory and, for the studio, the pre-flight estimate of that peak
(:mod:`studio.generation.memory`), so the estimate can be checked against a measurement (with
``--full`` and CUDA: the tiny pipeline carries the released Wan's assumed VAE tile memory, and
a CPU's peak is the whole process's resident memory).

Run: ``python benchmarks/generate.py``, ``python benchmarks/generate.py --device cuda`` or
``python benchmarks/generate.py --full --steps 10``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.fresh import peak_memory_mb, run_rounds

PROMPT = "a red car on the street at night"


def _peak_mb(device: str) -> float:
    import torch

    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    return peak_memory_mb()


def worker(contender: str, folder: str, device: str, offload: str, compiled: str, shape: str) -> None:
    """One measured run; prints JSON on stdout."""
    width, height, frames, steps = (int(v) for v in shape.split("x"))
    marks: list[float] = []
    estimate_mb = None
    started = time.perf_counter()
    if contender == "plain":
        import torch
        from diffusers import WanPipeline

        pipe = WanPipeline.from_pretrained(folder, dtype=torch.bfloat16 if device != "cpu" else torch.float32)
        pipe.enable_model_cpu_offload(device=device) if offload == "model" else pipe.to(device)
        pipe.vae.enable_tiling()
        pipe.set_progress_bar_config(disable=True)
        if compiled == "on":
            pipe.transformer.compile_repeated_blocks()  # as the studio's adapter compiles Wan
        loaded = time.perf_counter()
        pipe(prompt=PROMPT, width=width, height=height, num_frames=frames, num_inference_steps=steps,
             generator=torch.Generator().manual_seed(0), output_type="np",
             callback_on_step_end=lambda *a: marks.append(time.perf_counter()) or {})  # fmt: skip
    else:
        import dataclasses

        from models.generate_diffusers import SPECS
        from studio.core import Settings
        from studio.generation import GenerateOptions, GenerationMemory, generate_video, resolve_request
        from studio.registry import LoadOptions, ModelCache, Registry

        wan = next(spec for spec in SPECS if spec.name == "wan2.1-t2v-1.3b")
        spec = dataclasses.replace(wan, name="wan-bench", source=f"path:{folder}")
        tmp = Path(tempfile.mkdtemp())
        cache = ModelCache(Registry([spec]), Settings(tmp, tmp / "m", tmp / "o", device=device))
        load = LoadOptions(offload=offload, compile=compiled == "on")
        cache.get("wan-bench", device, load)
        loaded = time.perf_counter()
        options = GenerateOptions(seed=0, width=width, height=height, frames=frames, steps=steps)
        request = resolve_request(PROMPT, options, spec.params, 0)
        estimate_mb = GenerationMemory.of(spec, Path(folder)).estimate(request, load, device).peak_mb

        def mark(_: float, message: str) -> None:
            if message.startswith("denoising"):
                marks.append(time.perf_counter())

        generate_video(PROMPT, tmp / "video.mp4", cache=cache, options=options, load=load, device=device, progress=mark)
    done = time.perf_counter()
    steps_s = [b - a for a, b in zip([loaded, *marks[:-1]], marks, strict=True)]
    step_s = statistics.median(steps_s[1:] or steps_s)
    timing = {"load_s": loaded - started, "first_step_s": steps_s[0], "step_s": step_s, "total_s": done - loaded}
    peak = {"peak_mb": _peak_mb(device), "estimate_mb": estimate_mb}
    print(json.dumps({**timing, "decode_s": done - marks[-1], **peak}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=6, help=argparse.SUPPRESS)
    parser.add_argument("--full", action="store_true", help="Wan 2.1 1.3B-sized (needs a CUDA GPU)")
    parser.add_argument("--device", default=None, help="default: cuda with --full, else cpu")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--offloads", default="none,model", help="comma-separated: none, model, sequential")
    parser.add_argument("--compiles", help="comma-separated: off, on (torch.compile); default off,on on CUDA, else off")
    parser.add_argument("--size", help="WIDTHxHEIGHTxFRAMES (default 832x480x81 with --full, else 64x64x17)")
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    from evaluations.tiny_pipelines import save_tiny_wan, save_wan_shaped

    device = args.device or ("cuda" if args.full else "cpu")
    shape = f"{args.size or ('832x480x81' if args.full else '64x64x17')}x{args.steps}"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        folder = save_wan_shaped(Path(tmp) / "wan", device) if args.full else save_tiny_wan(Path(tmp) / "wan")
        print(f"pipeline built and saved in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        compiles = (args.compiles or ("off" if device == "cpu" else "off,on")).split(",")
        for offload in args.offloads.split(","):
            if offload != "none" and device == "cpu":
                continue
            for compiled in compiles:
                arguments = [str(folder), device, offload, compiled, shape]
                runs = run_rounds(__file__, ["plain", "studio"], arguments, rounds=1)
                rows += [(contender, offload, compiled, results[0]) for contender, results in runs.items()]
    model = "Wan 2.1 T2V 1.3B architecture, random bf16 weights" if args.full else "tiny random Wan (tests' pipeline)"
    width, height, frames, steps = shape.split("x")
    dtype = "float32" if device == "cpu" else "bfloat16"
    print(f"{model}; {width}x{height}, {frames} frames, {steps} steps, guidance 5 (two passes a step); "
          f"device {device}, {dtype}; each contender in a fresh process.\n")  # fmt: skip
    print("| contender | offload | compile | load (s) | first step (s) | step (s) | VAE decode (+ MP4) (s) | total (s) "
          "| peak memory (GB) | estimated peak (GB) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for contender, offload, compiled, r in rows:
        label = "plain diffusers" if contender == "plain" else "studio"
        estimate = "" if r["estimate_mb"] is None else f"{r['estimate_mb'] / 1024:.2f}"
        print(f"| {label} | {offload} | {compiled} | {r['load_s']:.1f} | {r['first_step_s']:.2f} | {r['step_s']:.2f} "
              f"| {r['decode_s']:.1f} | {r['total_s']:.1f} | {r['peak_mb'] / 1024:.2f} | {estimate} |")  # fmt: skip


if __name__ == "__main__":
    main()
