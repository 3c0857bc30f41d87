"""``studio analyze``: detections, tracks, poses and motion events on one timeline."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from studio.cli.output import emit
from studio.cli.progress import command_progress
from studio.core import check_outputs, json_bytes, write_bytes, write_text

__all__ = ["add_vision_commands", "cmd_analyze"]


def cmd_analyze(args: argparse.Namespace) -> int:
    from studio import media, vision
    from studio.media import check_video_suffix
    from studio.vision import AnalyzeOptions, parse_lines, parse_zones

    if args.annotate:
        check_video_suffix(args.annotate)
    captions = _captions_beside(args.annotate)
    check_outputs([args.video], [args.output, args.annotate, captions])
    options = AnalyzeOptions(
        fps=args.fps,
        tasks=_words(args.tasks),
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
        shot_model=args.shot_model,
        action_models=_words(args.actions),
        action_labels=_words(args.action_labels),
        scene_models=_words(args.scenes),
        scene_labels=_words(args.scene_labels),
        caption_model=args.caption_model,
        video_model=args.video_model,
        action_hop_s=args.action_hop,
    )
    with command_progress("analyze", media.probe(args.video, strict=False).duration_s, "s") as progress:
        timeline = vision.analyze(args.video, options, annotate_to=args.annotate, progress=progress)
    if args.speech:
        from studio import speech

        transcript = speech.transcribe(args.video, options=speech.TranscribeOptions())
        timeline = vision.attach_transcript(timeline, transcript)
    strip = vision.shot_captions_vtt(timeline) if captions else None
    if captions and strip:
        write_text(captions, strip)
    if args.output:
        write_bytes(args.output, json_bytes(timeline.to_dict()))
    else:
        emit(json_bytes(timeline.to_dict()))
    labels = ", ".join(f"#{t.id} {t.label} {t.first_s:.1f}-{t.last_s:.1f} s" for t in timeline.tracks[:8])
    print(f"{len(timeline.sample_times_s)} frames analysed, {len(timeline.tracks)} tracks ({labels}), "
          f"{len(timeline.shots)} shots, {len(timeline.actions)} actions, {len(timeline.events)} events",
          file=sys.stderr)  # fmt: skip
    for shot in timeline.shots[:12]:
        print(f"shot {shot.index} {shot.start_s:.2f}-{shot.end_s:.2f} s ({shot.transition}): "
              f"{shot.caption or shot.description or ''}", file=sys.stderr)  # fmt: skip
    for task, reason in timeline.metadata.get("skipped_tasks", {}).items():
        print(f"skipped {task}: {reason}", file=sys.stderr)
    for warning in timeline.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.annotate:
        print(f"annotated video -> {args.annotate}" + (f" (shot captions: {captions})" if strip else ""),
              file=sys.stderr)  # fmt: skip
    return 0


def _captions_beside(annotated: str | None) -> str | None:
    """``out.shots.vtt`` for ``out.mp4``: the shots' caption strip (never a plain ``out.vtt``, which
    may be the user's own subtitles)."""
    return str(Path(annotated).with_suffix(".shots.vtt")) if annotated else None


def _words(text: str | None) -> tuple[str, ...]:
    return tuple(word.strip() for word in (text or "").split(",") if word.strip())


def add_vision_commands(commands: argparse._SubParsersAction) -> None:
    scan = commands.add_parser("analyze", help="detect, track, pose and motion events on a video's timeline")
    scan.add_argument("video")
    scan.add_argument("--fps", default="5", help="analysis samples per second (independent of the source fps)")
    tasks_help = ("comma-separated: detect,track,pose,motion,shots,actions,scenes,captions and any plug-in stage "
                  "(entry points media_studio.stages); default: every task whose model is installed")  # fmt: skip
    scan.add_argument("--tasks", default="", help=tasks_help)
    scan.add_argument("--speech", action="store_true", help="add the transcript (offline Whisper) to the timeline")
    scan.add_argument("--shot-model", help="a shots model (default: transnetv2, else pyscenedetect)")
    scan.add_argument("--actions", help="action models, comma-separated: pose-actions (default), a trained NAME, "
                      "videomae-base-kinetics, xclip-base-patch32")  # fmt: skip
    scan.add_argument("--action-labels", help="the actions a zero-shot model (X-CLIP) looks for, comma-separated")
    scan.add_argument("--action-hop", type=float, default=1.0, metavar="SECONDS",
                      help="clip action models (VideoMAE, X-CLIP, trained) start a window this often")  # fmt: skip
    scan.add_argument("--scenes", help="scene models per shot, comma-separated: efficientnet-lite0 (default, ImageNet "
                      "tags), a trained NAME, clip-vit-base-patch32, siglip-base-patch16-224")  # fmt: skip
    scan.add_argument("--scene-labels", help="the scenes a zero-shot model (CLIP, SigLIP) tells apart, comma-separated")
    scan.add_argument("--caption-model", help="a captioner for each shot (blip-base, florence-2-base)")
    scan.add_argument("--video-model", help="a whole-clip describer (smolvlm2-256m-video)")
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
