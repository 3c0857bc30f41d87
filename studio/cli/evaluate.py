"""``studio eval fps FILE…`` (each file's frame timing against its header, a verdict per file),
``studio eval quality FILE…`` (generation-quality scores with their definitions),
``studio eval fps-robustness CLIP`` (the analysis of the clip at other rates against its own),
``studio eval prompt VIDEO -p TEXT`` (grounded prompt adherence),
``studio eval video VIDEO [--harnesses …] [-p TEXT]`` (the harnesses picked, one report: what the
Evaluate tab and the ``/evaluate`` job run),
``studio eval asr FOLDER`` (WER/CER of an ASR model on audio with reference texts) and
``studio eval tracking GT.txt`` (MOTA/HOTA/IDF1 of the studio's tracker or a MOT file) and
``studio eval actions FOLDER --model NAME`` (action accuracy on labelled clips)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from studio.cli.output import emit
from studio.core import InputError, JsonResult, MediaError, check_outputs, json_bytes, one_line, write_bytes, write_text

__all__ = [
    "add_eval_commands",
    "cmd_eval_actions",
    "cmd_eval_asr",
    "cmd_eval_fps",
    "cmd_eval_fps_robustness",
    "cmd_eval_prompt",
    "cmd_eval_quality",
    "cmd_eval_suite",
    "cmd_eval_tracking",
    "cmd_eval_video",
]

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
    from studio.evaluate import QualityReport, background_embedder, quality_embedder, score_quality
    from studio.registry import default_cache

    check_outputs(args.files, [args.output])
    cache = default_cache()
    embedder, features = quality_embedder(cache, args.features, args.device)
    background, scene = background_embedder(cache, args.background_features, args.device)

    def scores(report: QualityReport) -> str:
        flicker = "n/a" if report.temporal_flickering is None else f"{report.temporal_flickering:.4f}"
        smooth = "n/a" if report.motion_smoothness is None else f"{report.motion_smoothness:.4f}"
        subject = "n/a" if report.subject_consistency is None else f"{report.subject_consistency:.4f}"
        kept = "n/a" if report.background_consistency is None else f"{report.background_consistency:.4f}"
        return (f"temporal flickering {flicker}, motion smoothness {smooth}, subject consistency {subject}, "
                f"background consistency {kept}, "
                f"motion {report.motion_px} px/frame, sharpness {report.sharpness:.0f}, noise {report.noise_sigma:.2f} "
                f"({report.frames} frames, {report.width}x{report.height})")  # fmt: skip

    def score(path: str) -> QualityReport:
        return score_quality(path, embedder, features, background=background, background_features=scene)

    return _each_file(args.files, score, scores, args.output)[1]


def _report(result: JsonResult, output: str | None) -> None:
    data = json_bytes(result.to_dict())
    if output:
        write_bytes(output, data)
    else:
        emit(data)


def cmd_eval_asr(args: argparse.Namespace) -> int:
    """WER and CER of a model on FOLDER (audio + same-stem .txt), or on a new espeak-ng set there."""
    from studio.evaluate import evaluate_asr, spoken_set

    check_outputs([], [args.output])
    if args.spoken:
        spoken_set(args.folder)
        print(f"{args.folder}: wrote the espeak-ng set (audio and reference texts)", file=sys.stderr)
    result = evaluate_asr(args.folder, model=args.model, backend=args.backend, language=args.language)
    for item in result.items:
        print(f"{item.audio}: WER {item.score.wer:.3f}, CER {item.score.cer:.3f}", file=sys.stderr)
    if result.unpaired:
        print(f"no reference text for: {', '.join(result.unpaired)}", file=sys.stderr)
    print(f"{result.model}: WER {result.wer:.3f}, CER {result.cer:.3f} over {result.reference_words} words, "
          f"{result.real_time_factor:.3f}x real time", file=sys.stderr)  # fmt: skip
    _report(result, args.output)
    return 0


def cmd_eval_actions(args: argparse.Namespace) -> int:
    """Accuracy of an action model on FOLDER (one sub-folder of clips per label)."""
    from studio.evaluate import actions_html, evaluate_actions

    folder = Path(args.folder)
    clips = [path for path in folder.rglob("*") if path.is_file()] if folder.is_dir() else []
    check_outputs(clips, [args.output, args.html])  # a report never lands on a clip

    def progress(fraction: float, stage: str) -> None:
        print(f"[{fraction:4.0%}] {stage}", file=sys.stderr)

    result = evaluate_actions(args.folder, args.model, progress=progress)
    for item in result.items:
        mark = "ok" if item.predicted == item.truth else f"wrong: {item.predicted}"
        print(f"{item.clip}: {mark}", file=sys.stderr)
    print(f"{result.model}: accuracy {result.accuracy:.3f} over {result.clips} clips", file=sys.stderr)
    if args.html:
        write_text(args.html, actions_html(result))
    _report(result, args.output)
    return 0


def cmd_eval_tracking(args: argparse.Namespace) -> int:
    """A tracker's MOT file (``--tracks``) or the studio's own tracking of ``--video`` against GT."""
    from studio import vision
    from studio.evaluate import score_mot, write_mot

    if (args.tracks is None) == (args.video is None):
        raise InputError("expected one of --tracks FILE (a tracker's MOT file) or --video VIDEO (track it here)")
    check_outputs([args.truth, *([args.video] if args.video else [])], [args.output, args.save_tracks])
    frames: set[int] | None = None
    tracks = args.tracks
    with tempfile.TemporaryDirectory(prefix="studio-mot-") as scratch:
        if args.video:
            from studio import media

            rate = args.fps or media.probe(args.video).fps  # every frame unless told
            options = vision.AnalyzeOptions(fps=rate, tasks=("detect", "track"), detector=args.detector)
            timeline = vision.analyze(args.video, options)
            tracks = args.save_tracks or str(Path(scratch) / "tracks.txt")
            write_mot(timeline, tracks, label=args.label)
            fps = float(timeline.video.fps)
            frames = {round(t * fps) + 1 for t in timeline.sample_times_s}
        result = score_mot(args.truth, tracks, frames=frames)
    said = (f"{result.sequence}: MOTA {result.mota:.3f}, HOTA {result.hota:.3f}, IDF1 {result.idf1:.3f}, "
            f"ID switches {result.id_switches}, mAP@0.5 {result.map50:.3f} over {result.frames} frames")  # fmt: skip
    print(said, file=sys.stderr)
    _report(result, args.output)
    return 0


def cmd_eval_prompt(args: argparse.Namespace) -> int:
    """What the prompt names that the studio's own models find in VIDEO (grounded, offline)."""
    from studio.evaluate import prompt_adherence

    check_outputs([args.video], [args.output])
    result = prompt_adherence(args.video, args.prompt, fps=args.fps, alignment=args.alignment_model,
                              video_alignment=args.video_alignment_model)  # fmt: skip
    for mention in result.mentions:
        if mention.found is None:
            said = "unchecked (no OCR model installed: pip install 'media-studio[ocr]')"
        elif mention.found:
            spans = ", ".join(f"{a:.2f}-{b:.2f} s" for a, b in mention.spans)
            said = f"found {spans}, in {mention.seen_share:.0%} of frames"
        else:
            said = "not found"
        print(f"{mention.kind} {mention.words!r} ({mention.label}): {said}", file=sys.stderr)
    score = "n/a (nothing checkable named)" if result.adherence is None else f"{result.adherence:.2f}"
    print(f"{args.video}: grounded adherence {score} ({result.found} of {result.checked})", file=sys.stderr)
    if result.text_alignment is not None and result.text_alignment.clip_score is not None:
        alignment = result.text_alignment
        print(f"{args.video}: CLIPScore {alignment.clip_score:.2f} ({alignment.model}, {alignment.frames} frames "
              f"at {alignment.fps:g} fps)", file=sys.stderr)  # fmt: skip
    if result.video_alignment is not None and result.video_alignment.score is not None:
        whole = result.video_alignment
        print(f"{args.video}: video score {whole.score:.2f} ({whole.model}, {whole.frames} frames over the video)",
              file=sys.stderr)  # fmt: skip
    _report(result, args.output)
    return 0


def _words(text: str) -> list[str]:
    return [word.strip() for word in text.split(",") if word.strip()]


def cmd_eval_fps_robustness(args: argparse.Namespace) -> int:
    """The clip at other rates, analysed alike, each compared with the source's analysis."""
    from studio.evaluate import fps_robustness

    check_outputs([args.clip], [args.output])

    def progress(fraction: float, stage: str) -> None:
        print(f"[{fraction:4.0%}] {stage}", file=sys.stderr)

    report = fps_robustness(args.clip, rates=_words(args.rates), methods=_words(args.methods),
                            analysis_fps=args.analysis_fps, tasks=_words(args.tasks), keep=args.keep,
                            progress=progress)  # fmt: skip
    for result in report.results:
        a = result.agreement
        mota = "n/a" if a.mota is None else f"{a.mota:.3f}"
        labels = "n/a" if a.label_agreement is None else f"{a.label_agreement:.3f}"
        shots = "n/a" if a.shot_f1 is None else f"{a.shot_f1:.2f}"
        print(f"{result.rate} fps by {result.method}: MOTA {mota} against the source, ID switches {a.id_switches}, "
              f"labels {labels}, tracks {sum(a.tracks.values())}/{sum(a.tracks_reference.values())}, shot F1 {shots}, "
              f"actions differ {a.action_disagreement_s:.1f} s", file=sys.stderr)  # fmt: skip
    _report(report, args.output)
    return 0


def cmd_eval_video(args: argparse.Namespace) -> int:
    """The exit code is 1 when the FPS verdict failed, else 0 (errors keep their own codes)."""
    from studio.evaluate import EvaluateOptions, FpsTolerances, evaluate_video, evaluation_html, evaluation_scores

    check_outputs([args.video], [args.output, args.html])
    harnesses = tuple(_words(args.harnesses)) if args.harnesses else None
    tolerances = FpsTolerances(vfr_share=args.vfr_share, dropped_frames=args.dropped, duplicated_share=args.duplicated,
                               audio_drift_s=args.audio_drift)  # fmt: skip
    options = EvaluateOptions(harnesses=harnesses, prompt=args.prompt or "", tolerances=tolerances,
                              features=args.features, background_features=args.background_features,
                              alignment=args.alignment_model, video_alignment=args.video_alignment_model,
                              rates=tuple(_words(args.rates or "")))  # fmt: skip

    def progress(fraction: float, stage: str) -> None:
        print(f"[{fraction:4.0%}] {stage}", file=sys.stderr)

    result = evaluate_video(args.video, options, progress=progress)
    for name, value in evaluation_scores(result).items():
        print(f"{name}: {value}", file=sys.stderr)
    for failure in result.failures:
        print(f"failed: {failure}", file=sys.stderr)
    if args.html:
        write_text(args.html, evaluation_html(result))
    _report(result, args.output)
    return FAILED_EXIT if result.verdict == "fail" else 0


def cmd_eval_suite(args: argparse.Namespace) -> int:
    """Every harness on media made here, against a saved baseline (exit 1 when a score regressed)."""
    from evaluations.suite import main_suite  # the composition root: the suite's media live in evaluations

    check_outputs([args.baseline] if args.baseline else [], [args.output, args.html, args.save_baseline])
    return main_suite(args)


def add_eval_commands(commands: argparse._SubParsersAction) -> None:
    group = commands.add_parser(
        "eval", help="evaluation harnesses: fps, fps-robustness, quality, prompt, asr, tracking, actions, video, suite"
    )
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
    quality = harnesses.add_parser(
        "quality", help="VBench's flickering, motion smoothness, subject and background consistency; proxies"
    )
    quality.add_argument("files", nargs="+", metavar="FILE", help="video files")
    quality.add_argument("--output", "-o", help="the reports as JSON here instead of standard output")
    quality.add_argument(
        "--features",
        help="the image embedder for subject consistency (default: dino-vitb16, VBench's, when installed, else "
        "efficientnet-lite0; none: skip it)",
    )
    quality.add_argument(
        "--background-features",
        help="the image embedder for background consistency (default: clip-vit-base-patch32, VBench's, when "
        "installed; none: skip it)",
    )
    quality.add_argument("--device", help="where the embedder runs: cpu, cuda, cuda:N, mps (default: the best)")
    quality.set_defaults(handler=cmd_eval_quality)
    asr = harnesses.add_parser("asr", help="WER and CER of an ASR model on audio files with reference texts")
    asr.add_argument(
        "folder", metavar="FOLDER", help="audio files, each with its reference text beside it (a.wav, a.txt)"
    )
    asr.add_argument("--spoken", action="store_true", help="first write an espeak-ng set there (2 voices, 2 speeds)")
    asr.add_argument("--model", help="the ASR model (default: the best installed)")
    asr.add_argument("--backend", help="faster-whisper or openai-whisper")
    asr.add_argument("--language", help="the language spoken (default: detected); picks the text normaliser")
    asr.add_argument("--output", "-o", help="the report as JSON here instead of standard output")
    asr.set_defaults(handler=cmd_eval_asr)
    actions = harnesses.add_parser("actions", help="accuracy of an action model on folders of labelled clips")
    actions.add_argument("folder", metavar="FOLDER", help="one sub-folder of clips per label (as studio train reads)")
    actions.add_argument("--model", required=True, help="the action model (a trained one, a pose or a clip model)")
    actions.add_argument("--output", "-o", help="the report as JSON here instead of standard output")
    actions.add_argument("--html", help="the report as an HTML page with its confusion matrix")
    actions.set_defaults(handler=cmd_eval_actions)
    tracking = harnesses.add_parser("tracking", help="MOTA, HOTA, IDF1 and mAP@0.5 against MOT ground truth")
    tracking.add_argument("truth", metavar="GT", help="ground truth in MOT format (frame,id,left,top,width,height,...)")
    tracking.add_argument("--tracks", help="a tracker's output in MOT format")
    tracking.add_argument("--video", help="the video: track it with the studio's detector and tracker, then score")
    tracking.add_argument("--fps", type=float, default=None, help="analysis rate for --video (default: every frame)")
    tracking.add_argument("--label", help="score only tracks with this label (e.g. person)")
    tracking.add_argument("--detector", help="the detect model for --video (default: the best installed)")
    tracking.add_argument("--save-tracks", help="keep the studio's tracks of --video as a MOT file here")
    tracking.add_argument("--output", "-o", help="the report as JSON here instead of standard output")
    tracking.set_defaults(handler=cmd_eval_tracking)
    robust = harnesses.add_parser("fps-robustness", help="how much the analysis changes at other frame rates")
    robust.add_argument("clip", metavar="CLIP", help="the video (keep it short: every copy is analysed)")
    robust.add_argument("--rates", default="12,24,30,60", help="rates to rewrite it at, comma-separated")
    robust.add_argument("--methods", default="drop,interpolate",
                        help="drop (frames dropped/repeated like FFmpeg's fps filter), interpolate (the studio's "
                        "motion interpolation), comma-separated")  # fmt: skip
    robust.add_argument("--analysis-fps", help="analyse every copy at this rate (default: each at its own rate)")
    robust.add_argument("--tasks", default="detect,track,pose,actions,shots,motion", help="analysis tasks")
    robust.add_argument("--keep", help="keep the rewritten copies in this folder")
    robust.add_argument("--output", "-o", help="the report as JSON here instead of standard output")
    robust.set_defaults(handler=cmd_eval_fps_robustness)
    suite = harnesses.add_parser("suite", help="every harness on media made here, against a saved baseline")
    suite.add_argument("--baseline", help="a saved suite report: exit 1 when a score regresses past its tolerance")
    suite.add_argument("--save-baseline", help="write this run as a baseline here")
    suite.add_argument("--short", action="store_true", help="the default models only, robustness by dropping only")
    suite.add_argument(
        "--only",
        help="these harnesses alone, comma-separated: fps, quality, prompt, asr, "
        "detection, tracking, shots, fps-robustness, actions",
    )
    suite.add_argument("--output", "-o", help="the report as JSON here")
    suite.add_argument("--html", help="the report as an HTML page with its plots")
    suite.set_defaults(handler=cmd_eval_suite)
    video = harnesses.add_parser("video", help="one video through the harnesses picked: one report and page")
    video.add_argument("video", metavar="VIDEO", help="the video")
    video.add_argument("--harnesses", help="comma-separated among fps, quality, prompt, fps-robustness "
                       "(default: fps,quality, and prompt with --prompt)")  # fmt: skip
    video.add_argument("--prompt", "-p", help="the text the video should show (prompt adherence)")
    video.add_argument("--features", help="embedder for subject consistency (default: dino-vitb16 when installed, "
                       "else efficientnet-lite0; none)")  # fmt: skip
    video.add_argument("--background-features", help="embedder for background consistency "
                       "(default: clip-vit-base-patch32 when installed; none)")  # fmt: skip
    video.add_argument("--alignment-model", help="text-image model for the prompt's CLIPScore "
                       "(default: clip-vit-base-patch32 when installed; none)")  # fmt: skip
    video.add_argument("--video-alignment-model", help="text-video model for the prompt's score against the whole "
                       "video (default: xclip-base-patch32 when installed; none)")  # fmt: skip
    video.add_argument("--rates", help="rates for fps-robustness, comma-separated (default 12,24,30,60)")
    video.add_argument("--vfr-share", type=float, default=0.01, help="intervals off the period allowed (share)")
    video.add_argument("--dropped", type=int, default=0, help="dropped frames allowed")
    video.add_argument("--duplicated", type=float, default=0.05, help="repeated pictures allowed (share of frames)")
    video.add_argument("--audio-drift", type=float, default=0.060, help="audio end against video end allowed (s)")
    video.add_argument("--output", "-o", help="the report as JSON here instead of standard output")
    video.add_argument("--html", help="the report as an HTML page with its plots")
    video.set_defaults(handler=cmd_eval_video)
    prompt = harnesses.add_parser("prompt", help="grounded prompt adherence: what the prompt names that is found")
    prompt.add_argument("video", metavar="VIDEO", help="the video (a generated one, or any)")
    prompt.add_argument("--prompt", "-p", required=True, help="the text the video should show")
    prompt.add_argument("--fps", type=float, default=5.0, help="analysis samples a second (default 5)")
    prompt.add_argument("--alignment-model", help="the text-image model for the CLIPScore (default: "
                        "clip-vit-base-patch32 when installed; none: skip it)")  # fmt: skip
    prompt.add_argument("--video-alignment-model", help="the text-video model scoring the prompt against the whole "
                        "video (default: xclip-base-patch32 when installed; none: skip it)")  # fmt: skip
    prompt.add_argument("--output", "-o", help="the report as JSON here instead of standard output")
    prompt.set_defaults(handler=cmd_eval_prompt)
