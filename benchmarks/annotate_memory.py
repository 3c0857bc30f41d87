"""Peak memory of analysing a 4K clip, with and without drawing every frame (``--annotate``).

Builds a 3840×2160, 30 fps H.264 clip (two people and a cup moving over a background), then
runs ``studio analyze`` on it in a fresh process per contender, interleaved over rounds, and
reads each process's peak resident memory (``ru_maxrss`` of the child; Linux carries a
parent's peak into a forked child, so the clip is built in a child process too and this
one stays small). Contenders:

- ``ffmpeg -f null``: FFmpeg decoding the clip, the floor any reader pays;
- ``analyze``: detect + track at 5 FPS (frames shrunk by FFmpeg to 640 px for the models);
- ``analyze --annotate``: the same, plus every 4K frame drawn and encoded to H.264.

It also checks that the two analyses found the same tracks, point for point. Prints a
Markdown table with the median peak and wall time of each.

Run: ``python benchmarks/annotate_memory.py [--seconds 4] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_clip(path: Path, seconds: float) -> None:
    from evaluations.synthetic_scenes import moving_objects_video

    s = 2160 / 360
    moving_objects_video(path, [
        ("astronaut", 200 * s, lambda t: ((60 + 50 * t) * s, 150 * s)),
        ("cameraman", 170 * s, lambda t: ((580 - 45 * t) * s, 220 * s)),
        ("cup", 80 * s, lambda t: (320 * s, (80 + 20 * t) * s)),
    ], seconds=seconds, fps=30, size=(3840, 2160))  # fmt: skip


def run(args: list[str]) -> tuple[float, float]:
    """(peak resident MB, wall seconds) of one fresh process."""
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {process.stderr.read() if process.stderr else ''}")
    return usage.ru_maxrss / 1024, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--make", type=Path, help=argparse.SUPPRESS)  # internal: build the clip here
    options = parser.parse_args()
    if options.make:
        make_clip(options.make, options.seconds)
        return
    studio = shutil.which("studio", path=str(Path(sys.executable).parent)) or "studio"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clip = folder / "scene_4k.mp4"
        subprocess.run([sys.executable, __file__, "--make", str(clip), "--seconds", str(options.seconds)], check=True)
        plain = [studio, "analyze", str(clip), "--fps", "5", "--tasks", "detect,track", "-o", str(folder / "a.json")]
        contenders = {
            "ffmpeg -f null (decode floor)": ["ffmpeg", "-v", "error", "-i", str(clip), "-f", "null", "-"],
            "analyze": plain,
            "analyze --annotate": [*plain[:-1], str(folder / "b.json"), "--annotate", str(folder / "annotated.mp4")],
        }
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
        for _ in range(options.rounds):
            for name, args in contenders.items():
                results[name].append(run(args))
        same = [t["points"] for t in json.loads((folder / "a.json").read_text())["tracks"]] == [
            t["points"] for t in json.loads((folder / "b.json").read_text())["tracks"]
        ]
        frames = round(options.seconds * 30)
    print(f"4K (3840×2160) H.264, {frames} frames, median of {options.rounds} fresh processes each\n")
    print("| contender | peak memory | wall time |")
    print("|---|---:|---:|")
    for name, samples in results.items():
        peak = statistics.median(p for p, _ in samples)
        wall = statistics.median(w for _, w in samples)
        print(f"| {name} | {peak:,.0f} MB | {wall:.1f} s |")
    print(f"\nsame tracks with and without --annotate: {'yes' if same else 'NO'}")
    print(f"(this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
