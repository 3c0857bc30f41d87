"""``studio eval fps FILE…`` (each file's frame timing against its header, a verdict per file)
and ``studio eval quality FILE…`` (generation-quality scores with their definitions)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TypeVar

from studio.cli.output import emit
from studio.core import JsonResult, MediaError, check_outputs, json_bytes, one_line, write_bytes, write_text

__all__ = ["add_eval_commands", "cmd_eval_fps", "cmd_eval_quality"]

FAILED_EXIT = 1  # a file failed its check (errors keep their own codes, 2-7)


R = TypeVar("R", bound=JsonResult)


def _each_file(files: list[str], check: Callable[[str], R], said: Callable[[R], str],
               output: str | None) -> tuple[list[R], int]:  # fmt: skip
    """``check`` on each file in turn: one stderr line per file (``said``), a file that cannot be
    read one error line and an entry under ``errors``, the others still checked; the reports as
    JSON to ``output`` or standard output. Returns the reports and the first error's exit code."""
    reports: list[R] = []
    errors: list[dict[str, str]] = []
    code = 0
    for path in files:
        try:
            report = check(path)
        except MediaError as exc:
            errors.append({"path": path, "error": one_line(str(exc))})
            print(f"{path}: error: {one_line(str(exc))}", file=sys.stderr)
            code = code or exc.exit_code
            continue
        reports.append(report)
        print(f"{path}: {said(report)}", file=sys.stderr)
    data = json_bytes({"reports": [report.to_dict() for report in reports], "errors": errors})
    if output:
        write_bytes(output, data)
    else:
        emit(data)
    return reports, code


def cmd_eval_fps(args: argparse.Namespace) -> int:
    """The exit code is the first unreadable file's, else 1 when a file failed, else 0."""
    from studio.evaluate import FpsReport, FpsTolerances, check_fps, fps_reports_html

    check_outputs(args.files, [args.output, args.html])
    tolerances = FpsTolerances(vfr_share=args.vfr_share, dropped_frames=args.dropped, duplicated_share=args.duplicated,
                               audio_drift_s=args.audio_drift)  # fmt: skip

    def verdict(report: FpsReport) -> str:
        return report.verdict + (f": {'; '.join(report.failures)}" if report.failures else "")

    reports, code = _each_file(args.files, lambda path: check_fps(path, tolerances, pictures=not args.no_pictures),
                               verdict, args.output)  # fmt: skip
    if args.html:
        write_text(args.html, fps_reports_html(reports))
    failed = any(report.verdict == "fail" for report in reports)
    return code or (FAILED_EXIT if failed else 0)


def cmd_eval_quality(args: argparse.Namespace) -> int:
    """Scores only, no verdict: the exit code is the first unreadable file's, else 0."""
    from studio.evaluate import QualityReport, score_quality

    check_outputs(args.files, [args.output])

    def scores(report: QualityReport) -> str:
        flicker = "n/a" if report.temporal_flickering is None else f"{report.temporal_flickering:.4f}"
        return (f"temporal flickering {flicker}, motion {report.motion_px} px/frame, sharpness "
                f"{report.sharpness:.0f} ({report.frames} frames, {report.width}x{report.height})")  # fmt: skip

    return _each_file(args.files, score_quality, scores, args.output)[1]


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
