"""``studio eval fps FILE…`` (each file's frame timing against its header, a verdict per file)
and ``studio eval quality FILE…`` (generation-quality scores with their definitions)."""

from __future__ import annotations

import argparse
import sys

from studio.cli.output import emit
from studio.core import MediaError, check_outputs, json_bytes, one_line, write_bytes, write_text

__all__ = ["add_eval_commands", "cmd_eval_fps", "cmd_eval_quality"]

FAILED_EXIT = 1  # a file failed its check (errors keep their own codes, 2-7)


def cmd_eval_fps(args: argparse.Namespace) -> int:
    """Each file checked in turn: a file that cannot be read is one error line and an entry in
    the JSON, and the others are still checked; the exit code is the first error's, else 1 when
    a file failed, else 0."""
    from studio.evaluate import FpsTolerances, check_fps, fps_reports_html

    check_outputs(args.files, [args.output, args.html])
    tolerances = FpsTolerances(vfr_share=args.vfr_share, dropped_frames=args.dropped, duplicated_share=args.duplicated,
                               audio_drift_s=args.audio_drift)  # fmt: skip
    reports, errors, code = [], [], 0
    for path in args.files:
        try:
            report = check_fps(path, tolerances, pictures=not args.no_pictures)
        except MediaError as exc:
            errors.append({"path": path, "error": one_line(str(exc))})
            print(f"{path}: error: {one_line(str(exc))}", file=sys.stderr)
            code = code or exc.exit_code
            continue
        reports.append(report)
        said = f": {'; '.join(report.failures)}" if report.failures else ""
        print(f"{report.path}: {report.verdict}{said}", file=sys.stderr)
    data = json_bytes({"reports": [report.to_dict() for report in reports], "errors": errors})
    if args.output:
        write_bytes(args.output, data)
    else:
        emit(data)
    if args.html:
        write_text(args.html, fps_reports_html(reports))
    failed = any(report.verdict == "fail" for report in reports)
    return code or (FAILED_EXIT if failed else 0)


def cmd_eval_quality(args: argparse.Namespace) -> int:
    """Scores only, no verdict: each file's line on stderr, the reports as JSON."""
    from studio.evaluate import score_quality

    check_outputs(args.files, [args.output])
    reports, errors, code = [], [], 0
    for path in args.files:
        try:
            report = score_quality(path)
        except MediaError as exc:
            errors.append({"path": path, "error": one_line(str(exc))})
            print(f"{path}: error: {one_line(str(exc))}", file=sys.stderr)
            code = code or exc.exit_code
            continue
        reports.append(report)
        flicker = "n/a" if report.temporal_flickering is None else f"{report.temporal_flickering:.4f}"
        print(f"{report.path}: temporal flickering {flicker}, motion {report.motion_px} px/frame, "
              f"sharpness {report.sharpness:.0f} ({report.frames} frames, {report.width}x{report.height})",
              file=sys.stderr)  # fmt: skip
    data = json_bytes({"reports": [report.to_dict() for report in reports], "errors": errors})
    if args.output:
        write_bytes(args.output, data)
    else:
        emit(data)
    return code


def add_eval_commands(commands: argparse._SubParsersAction) -> None:
    group = commands.add_parser("eval", help="evaluation harnesses: fps (frame timing), quality (scores)")
    harnesses = group.add_subparsers(dest="harness", metavar="HARNESS", required=True)
    fps = harnesses.add_parser("fps", help="frame timing against the header: VFR, drops, repeats, A/V drift")
    fps.add_argument("files", nargs="+", metavar="FILE", help="video files")
    fps.add_argument("--output", "-o", help="the reports as JSON here instead of standard output")
    fps.add_argument("--html", help="the reports as one HTML page with each file's frame-interval histogram")
    fps.add_argument("--no-pictures", action="store_true", help="packets only: no decode, no duplicate check")
    fps.add_argument("--vfr-share", type=float, default=0.01, help="intervals off the period allowed (share)")
    fps.add_argument("--dropped", type=int, default=0, help="dropped frames allowed")
    fps.add_argument("--duplicated", type=float, default=0.05, help="repeated pictures allowed (share of frames)")
    fps.add_argument("--audio-drift", type=float, default=0.060, help="audio end against video end allowed (s)")
    fps.set_defaults(handler=cmd_eval_fps)
    quality = harnesses.add_parser("quality", help="VBench's temporal flickering; motion, sharpness, exposure proxies")
    quality.add_argument("files", nargs="+", metavar="FILE", help="video files")
    quality.add_argument("--output", "-o", help="the reports as JSON here instead of standard output")
    quality.set_defaults(handler=cmd_eval_quality)
