"""``studio train DIR -o NAME``: a clip classifier from folders of labelled clips, into the models home."""

from __future__ import annotations

import argparse
import sys

from studio.cli.output import print_json, table
from studio.cli.progress import command_progress

__all__ = ["add_train_command", "cmd_train"]


def cmd_train(args: argparse.Namespace) -> int:
    from studio.vision import TrainOptions, train_classifier

    options = TrainOptions(features=args.features, task=args.task, sample_fps=args.fps, max_frames=args.max_frames,
                           embedder=args.embedder, force=args.force, device=args.device)  # fmt: skip
    with command_progress("train") as progress:
        result = train_classifier(args.folder, args.name, options, progress=progress)
    if args.json:
        print_json(result.to_dict())
    else:
        counts = ", ".join(f"{label} {n}" for label, n in result.clips_per_label.items())
        print(f"trained {result.name} ({result.task}, {result.features} features) on {counts}")
        print(f"cross-validated accuracy {result.accuracy:.1%} ({result.folds} folds); "
              f"features {result.feature_s:.1f} s, fitting {result.training_s:.1f} s")  # fmt: skip
        rows = [[*row, f"{result.precision[row[0]]:.2f}", f"{result.recall[row[0]]:.2f}"]
                for row in result.confusion_table()]  # fmt: skip
        print(table(rows, ["true \\ predicted", *result.labels, "precision", "recall"]))
        print(f"frame rates found: {', '.join(result.frame_rates)}")
        print(f"saved to {result.saved_to} (confusion matrix: {result.confusion_png})")
        use = "--actions" if result.task == "action" else "--scenes"
        print(f"use it: studio analyze VIDEO {use} {result.name}")
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


FEATURES = ("frames", "pose", "frames+pose")  # studio.vision.training.FEATURE_KINDS, not imported for --help
TASKS = ("action", "scene")  # studio.vision.training.TRAINING_TASKS


def add_train_command(commands: argparse._SubParsersAction) -> None:
    train = commands.add_parser("train", help="train a clip classifier from DIR/<label>/*.mp4 (offline, CPU)")
    train.add_argument("folder", metavar="DIR", help="one sub-folder per label, each holding that label's clips")
    train.add_argument("--output", "-o", dest="name", required=True, metavar="NAME",
                       help="the model's name (lower-case letters, digits, '.', '_', '-')")  # fmt: skip
    features_help = "frames: EfficientNet-Lite0 embeddings; pose: the main person's keypoints (actions)"
    train.add_argument("--features", choices=FEATURES, default="frames", help=features_help)
    train.add_argument("--task", choices=TASKS, default="action",
                       help="action: `analyze --actions NAME`; scene: `analyze --scenes NAME`")  # fmt: skip
    train.add_argument("--fps", type=float, help="samples a second (default: 4 for frames, 8 for pose)")
    train.add_argument("--max-frames", type=int, help="frames a clip at most (default: 8 for frames, 64 for pose)")
    train.add_argument("--embedder", help="a classify model with embeddings (default: efficientnet-lite0)")
    train.add_argument("--device", help="cpu, cuda or cuda:N (default: the settings' device)")
    train.add_argument("--force", action="store_true", help="replace a trained model of the same name")
    train.add_argument("--json", action="store_true", help="print the result as JSON")
    train.set_defaults(handler=cmd_train)
