"""The full offline understanding pass: seconds per minute of video, stage by stage.

``studio analyze VIDEO --fps 2`` with no ``--tasks`` (every installed offline task: detect, track,
pose, motion, shots, actions, scenes) on a one-minute demo video (``studio demo-media
--shot-seconds 15``: four 15 s shots, 640×360 at 29.97 fps, people, a cup, a cat, a motorcycle),
each round a fresh process, ``--rounds`` rounds, medians. The stage times are the analysis' own
(``metadata.stage_s``: each stage's per-sample work plus its end-of-pass work; ``frames`` is the
thumbnails fed to the shot model; ``decode+other`` the rest of the pass); ``load`` is the command's
wall time minus the pass (imports and model loading, once per process). Goal on a 2-core CPU: the
whole pass in at most the video's duration.

Run: ``python benchmarks/understand.py [--rounds 3] [--fps 2]``. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STUDIO = [sys.executable, "-m", "studio.cli"]


def one_round(video: Path, fps: str, out: Path) -> tuple[float, dict]:
    """(wall seconds of the command, its timeline's metadata), in a fresh process."""
    started = time.perf_counter()
    subprocess.run([*STUDIO, "analyze", str(video), "--fps", fps, "-o", str(out)], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    wall = time.perf_counter() - started
    return wall, json.loads(out.read_text())["metadata"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--fps", default="2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        subprocess.run([*STUDIO, "demo-media", "--out", str(work / "demo"), "--shot-seconds", "15"], check=True,
                       cwd=ROOT, stdout=subprocess.DEVNULL)  # fmt: skip
        video = work / "demo" / "demo.mp4"
        sys.path.insert(0, str(ROOT))
        from studio import media

        minutes = media.probe(video).duration_s / 60
        rounds = [one_round(video, args.fps, work / f"t{n}.json") for n in range(args.rounds)]
    metadata = rounds[-1][1]
    stages = list(metadata["stage_s"])
    print(
        f"One-minute demo ({minutes * 60:.1f} s), --fps {args.fps}, tasks "
        f"{', '.join(metadata['tasks'])}; skipped: {', '.join(metadata.get('skipped_tasks', {})) or 'none'}; "
        f"{metadata['frames_analyzed']} samples; {args.rounds} fresh processes, medians.\n"
    )
    print("| stage | s per minute of video | share of the pass |")
    print("|---|---:|---:|")
    passes = [m["processing_s"] for _, m in rounds]
    whole = statistics.median(passes)
    for stage in stages:
        seconds = statistics.median(m["stage_s"].get(stage, 0.0) for _, m in rounds)
        print(f"| {stage} | {seconds / minutes:.1f} | {seconds / whole:.0%} |")
    print(f"| **the pass** | **{whole / minutes:.1f}** | |")
    load = statistics.median(wall - m["processing_s"] for wall, m in rounds)
    print(f"| load (imports, models; once per process) | {load:.1f} s | |")
    print(
        f"\nThe pass takes {whole / (minutes * 60):.2f}x the video's duration (goal: at most 1.00x); "
        f"with loading, {statistics.median(w for w, _ in rounds) / (minutes * 60):.2f}x."
    )


if __name__ == "__main__":
    main()
