"""The ``studio generate`` and ``studio story`` commands: text (or a script of shots) to video."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from studio.cli.progress import command_progress
from studio.core import InputError, error_line, json_bytes
from studio.registry import OFFLOADS

__all__ = ["add_generation_commands", "cmd_generate", "cmd_story"]

GENERATION_DTYPES = ("float32", "float16", "bfloat16")  # what the diffusers adapter loads in
MAX_SIDECAR_BYTES = 1_000_000  # a sidecar is a few kB; a prompt is at most a few thousand characters
SIDECAR_FIELDS = {"prompt": str, "negative_prompt": str, "seed": int, "steps": int, "guidance_scale": float,
                  "width": int, "height": int, "frames": int, "fps": int, "model": str, "dtype": str, "offload": str,
                  "scheduler": str, "image": str, "attention": str, "compile": bool}  # fmt: skip


def _print_json(data: Any) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(json_bytes(data))
    sys.stdout.buffer.flush()


def cmd_generate(args: argparse.Namespace) -> int:
    from studio.generation import GenerateOptions, generate_video, parse_lora
    from studio.registry import LoadOptions

    given = {"prompt": args.prompt, "negative_prompt": args.negative_prompt, "seed": args.seed, "steps": args.steps,
             "guidance_scale": args.guidance, "width": args.width, "height": args.height, "frames": args.frames,
             "fps": args.fps, "model": args.model, "dtype": args.dtype, "offload": args.offload,
             "duration_s": args.duration, "scheduler": args.scheduler, "image": args.image, "attention": args.attention,
             "compile": args.compile or None}  # fmt: skip
    values = {**_sidecar(args.from_sidecar), **{k: v for k, v in given.items() if v is not None}}
    if args.lora:
        values["loras"] = tuple(parse_lora(text) for text in args.lora)
    if args.duration is not None:
        values.pop("frames", None)  # a duration given here wins over a sidecar's frame count
    if not values.get("prompt"):
        raise InputError("give a prompt (or --from a sidecar JSON of an earlier video)")
    choices = ("negative_prompt", "seed", "steps", "guidance_scale", "width", "height", "frames", "fps", "loras",
               "duration_s", "scheduler", "image")  # fmt: skip
    options = GenerateOptions(**{name: values[name] for name in choices if name in values})
    load = LoadOptions(dtype=values.get("dtype"), offload=values.get("offload") or "none",
                       attention=values.get("attention"), compile=bool(values.get("compile")))  # fmt: skip
    with command_progress("generate") as progress:
        result = generate_video(values["prompt"], args.output, model=values.get("model"), options=options, load=load,
                                progress=progress)  # fmt: skip
    printed = result.to_dict()
    if not args.no_score:
        printed["evaluation"] = _scored_video(result.path, values["prompt"])
    _print_json(printed)
    made = f" ({result.frames} made at {result.model_fps} fps, interpolated)" if result.fps != result.model_fps else ""
    print(f"{result.video_frames} frames{made} {result.width}x{result.height} at {result.fps} fps, seed {result.seed}, "
          f"{result.processing_s:.1f} s -> {result.path}", file=sys.stderr)  # fmt: skip
    return 0


def _said(scores: Any) -> str:
    shown = ", ".join(f"{name} {value:.4g}" if isinstance(value, float) else f"{name} {value}"
                      for name, value in scores.scores.items() if value is not None)  # fmt: skip
    skipped = "; ".join(f"{name} skipped: {why}" for name, why in scores.skipped.items())
    return shown + (f" ({skipped})" if skipped else "")


def _scored_video(video: str, prompt: str) -> dict[str, Any]:
    """Score a generated ``video`` (quality, adherence to ``prompt``) into its sidecar; the scores."""
    from studio.evaluate import add_to_sidecar, score_generation
    from studio.generation import sidecar_path
    from studio.registry import default_cache

    print("scoring the video (quality, prompt adherence; --no-score skips it)", file=sys.stderr)
    try:
        _, scores = score_generation(video, prompt, default_cache())
        add_to_sidecar(sidecar_path(video), scores.to_dict())
    except Exception as exc:
        print(f"scoring failed ({error_line(exc)}); the video is made", file=sys.stderr)
        return {"skipped": {"scoring": error_line(exc)}}
    print(f"scores: {_said(scores)}", file=sys.stderr)
    return dict(scores.to_dict())


def _sidecar(path: str | None) -> dict[str, Any]:
    """The settings of an earlier generated video, from its JSON sidecar: a regular file of at
    most :data:`MAX_SIDECAR_BYTES`, read by the media rules, each field checked for its type."""
    from studio import media

    if path is None:
        return {}
    data = media.read_json(path, max_bytes=MAX_SIDECAR_BYTES, what="a sidecar JSON")
    if not isinstance(data, dict) or "prompt" not in data or "seed" not in data:
        raise InputError(f"{path}: not the sidecar of a generated video (no prompt and seed)")
    try:
        found = {name: media.expect_type(name, data[name], kind)
                 for name, kind in SIDECAR_FIELDS.items() if data.get(name) not in (None, "")}  # fmt: skip
        if data.get("loras"):
            found["loras"] = tuple(_lora(index, item) for index, item in
                                   enumerate(media.expect_type("loras", data["loras"], list)))  # fmt: skip
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    return found


def _lora(index: int, item: Any) -> tuple[str, float]:
    """One ``[file, scale]`` pair of a sidecar's ``loras``."""
    from studio import media

    name = f"loras[{index}]"
    media.expect_type(name, item, list, length=2)
    return media.expect_type(f"{name}[0]", item[0], str), media.expect_type(f"{name}[1]", item[1], float)


def cmd_story(args: argparse.Namespace) -> int:
    import dataclasses

    from studio.core import check_outputs
    from studio.generation import make_story, read_story, story_outputs
    from studio.registry import LoadOptions

    check_outputs([args.script], story_outputs(args.output))  # the script is never overwritten
    story = read_story(args.script)
    given = {"model": args.model, "seed": args.seed, "subtitles": args.subtitles, "transition": args.transition}
    story = dataclasses.replace(story, **{key: value for key, value in given.items() if value is not None})
    load = LoadOptions(dtype=args.dtype, offload=args.offload or "none", attention=args.attention,
                       compile=args.compile)  # fmt: skip
    with command_progress("story") as progress:
        film = make_story(story, args.output, load=load, progress=progress)
    made = film.to_dict()
    if not args.no_score:
        from studio.evaluate import add_to_sidecar, score_story
        from studio.generation import sidecar_path
        from studio.registry import default_cache

        print("scoring the film's timing and each shot (--no-score skips it)", file=sys.stderr)
        try:
            whole, shots = score_story(film.path, [(s.index, s.prompt, s.video) for s in film.shots], default_cache())
            made["evaluation"] = {"film": whole.to_dict(), "shots": [shot.to_dict() for shot in shots]}
            add_to_sidecar(sidecar_path(film.path), made["evaluation"])
        except Exception as exc:
            print(f"scoring failed ({error_line(exc)}); the film is made", file=sys.stderr)
        else:
            print(f"film: {_said(whole)}", file=sys.stderr)
            for shot in shots:
                print(f"shot {shot.index}: {_said(shot.scores)}", file=sys.stderr)
    _print_json(made)
    reused = sum(shot.reused for shot in film.shots)
    print(f"{len(film.shots)} shots ({reused} re-used), {film.frames} frames at {film.fps} fps "
          f"({film.duration_s:.2f} s), seed {film.seed}, {film.processing_s:.1f} s -> {film.path}",
          file=sys.stderr)  # fmt: skip
    return 0


def add_generation_commands(commands: Any) -> None:
    """The ``generate`` and ``story`` subcommands on ``commands`` (the CLI's subparsers)."""
    gen = commands.add_parser("generate", help="text to video with a text-to-video model (an MP4 and its JSON)")
    gen.add_argument("prompt", nargs="?", help="what the video shows")
    gen.add_argument("--from", dest="from_sidecar", metavar="SIDECAR",
                     help="make an earlier video again from its JSON sidecar (flags given here win)")  # fmt: skip
    gen.add_argument("--output", "-o", required=True, help="the video: .mp4, .m4v, .mov or .mkv")
    gen.add_argument("--model", help="a text-to-video model from `studio models list` (default: best installed)")
    gen.add_argument("--negative-prompt", help="what the video should not show")
    gen.add_argument("--seed", type=int, help="same seed, same video (default: a random one, printed)")
    for flag in ("steps", "width", "height", "frames", "fps"):
        gen.add_argument(f"--{flag}", type=int, help="default: the model's own")
    gen.add_argument(
        "--image", help="image-to-video: a picture as the first frame (models that can: studio models list)"
    )
    gen.add_argument("--duration", type=float, help="seconds, instead of --frames (the nearest count the model makes)")
    gen.add_argument("--scheduler", help="a diffusers scheduler class the model can use, e.g. UniPCMultistepScheduler")
    gen.add_argument("--lora", action="append", default=[], metavar="FILE[:SCALE]",
                     help="a LoRA .safetensors file and its scale (default 1.0); repeat for more")  # fmt: skip
    gen.add_argument("--guidance", type=float, help="classifier-free guidance scale (default: the model's own)")
    gen.add_argument("--dtype", choices=GENERATION_DTYPES, help="default: bfloat16 on CUDA")
    gen.add_argument("--offload", choices=OFFLOADS,
                     help="CPU offload: model (less GPU memory), sequential (least, slowest)")  # fmt: skip
    gen.add_argument("--attention", metavar="BACKEND",
                     help="attention backend (diffusers): native (default), flash, _native_cudnn, sage")  # fmt: skip
    gen.add_argument("--compile", action="store_true",
                     help="torch.compile the denoiser (a slow first call, faster steps)")  # fmt: skip
    gen.add_argument("--no-score", action="store_true",
                     help="do not score the video once made (quality, prompt adherence into its sidecar)")  # fmt: skip
    gen.set_defaults(handler=cmd_generate)

    story = commands.add_parser("story", help="a script of shots -> one narrated, subtitled film (MP4, SRT, JSON)")
    story.add_argument("script", help="the story script (YAML or JSON); start images are found beside it")
    story.add_argument("--output", "-o", required=True, help="the film: .mp4, .m4v, .mov or .mkv")
    story.add_argument("--model", help="a text-to-video model (default: the script's, else the best installed)")
    story.add_argument("--seed", type=int, help="the story's seed: shot k uses seed + k (default: the script's)")
    story.add_argument("--subtitles", choices=("track", "burn", "both", "none"), help="default: the script's (track)")
    story.add_argument("--transition", choices=("cut", "crossfade"), help="default: the script's (cut)")
    story.add_argument("--dtype", choices=GENERATION_DTYPES, help="default: bfloat16 on CUDA")
    story.add_argument("--offload", choices=OFFLOADS, help="CPU offload: model (less GPU memory), sequential (least)")
    story.add_argument("--attention", metavar="BACKEND", help="attention backend (diffusers), as for generate")
    story.add_argument("--compile", action="store_true", help="torch.compile the denoiser, as for generate")
    story.add_argument("--no-score", action="store_true", help="do not score the film's timing and each shot")
    story.set_defaults(handler=cmd_story)
