"""``studio probe`` and ``studio demo-media``: describe a file, build the demo footage."""

from __future__ import annotations

import argparse
from pathlib import Path

from studio.cli.output import print_json
from studio.core import check_outputs

__all__ = ["add_media_commands", "cmd_demo_media", "cmd_probe"]


def cmd_probe(args: argparse.Namespace) -> int:
    from studio import media

    info = media.probe(args.file)
    if args.json:
        print_json(info.to_dict())
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


def cmd_demo_media(args: argparse.Namespace) -> int:
    from studio.demo import make_demo_media

    check_outputs([], [Path(args.out) / "demo.mp4", Path(args.out) / "demo.json"])
    demo = make_demo_media(args.out, fps=args.fps, shot_s=args.shot_seconds, narration=not args.no_narration)
    print(f"video        {demo.video}")
    print(f"ground truth {demo.truth_path}")
    return 0


def add_media_commands(commands: argparse._SubParsersAction) -> None:
    probe = commands.add_parser("probe", help="describe a media file: exact fps, real frame timing, audio")
    probe.add_argument("file")
    probe.add_argument("--json", action="store_true", help="print VideoInfo as JSON")
    probe.set_defaults(handler=cmd_probe)

    demo = commands.add_parser("demo-media", help="build the demo video and its ground-truth JSON locally")
    demo.add_argument("--out", default="outputs/demo", help="folder for demo.mp4 and demo.json")
    demo.add_argument("--fps", default="30000/1001", help="frame rate, e.g. 25, 29.97 or 30000/1001")
    demo.add_argument("--shot-seconds", type=float, default=4.0)
    demo.add_argument("--no-narration", action="store_true", help="no espeak-ng audio track")
    demo.set_defaults(handler=cmd_demo_media)
