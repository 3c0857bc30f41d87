"""``studio eval fps`` against its plain peers on one long file, each in a fresh process.

The file: ``--minutes`` of 640×360 H.264 at 30 fps (a moving pattern, built here once). Contenders:

- packets only: ``studio eval fps --no-pictures`` (timestamps, rates, drops, VFR, A/V) against
  ``ffprobe -count_packets`` (which only counts the packets);
- with pictures: ``studio eval fps`` (every frame decoded and turned into a 32×18 grey
  thumbnail for the repeat test and two 32×18 field thumbnails for the repeated-field test)
  against FFmpeg decoding every frame to nothing (``ffmpeg -f null``) and against FFmpeg's own
  repeat finder (``-vf mpdecimate``).

Each contender runs ``--rounds`` times, interleaved, in a fresh process; medians, and frames per
second of scan. Run: ``python benchmarks/fps_check.py [--minutes 10] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_clip(path: Path, minutes: float) -> int:
    sys.path.insert(0, str(ROOT))
    import numpy as np

    from studio import media

    frames = round(minutes * 60 * 30)
    base = np.full((360, 640, 3), 50, np.uint8)
    with media.VideoWriter(path, fps=30) as writer:
        for number in range(frames):
            image = base.copy()
            x = (7 * number) % 600
            image[:, x : x + 40] = (230, 200, 40)
            writer.write(image)
    return frames


def contenders(clip: Path) -> dict[str, list[str]]:
    studio = [sys.executable, "-m", "studio.cli", "eval", "fps", str(clip), "-o", str(clip.with_suffix(".json"))]
    return {
        "studio eval fps --no-pictures": [*studio, "--no-pictures"],
        "ffprobe -count_packets": ["ffprobe", "-v", "error", "-count_packets", "-select_streams", "v:0",
                                   "-show_entries", "stream=nb_read_packets", "-of", "csv", str(clip)],
        "studio eval fps (frame and field thumbnails)": studio,
        "ffmpeg full decode (-f null)": ["ffmpeg", "-v", "error", "-i", str(clip), "-f", "null", "-"],
        "ffmpeg -vf mpdecimate": ["ffmpeg", "-v", "error", "-i", str(clip), "-vf", "mpdecimate", "-f", "null", "-"],
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        clip = Path(folder) / "long.mp4"
        frames = make_clip(clip, args.minutes)
        runs = contenders(clip)
        seconds: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.rounds):
            for name, command in runs.items():
                started = time.perf_counter()
                done = subprocess.run(command, cwd=ROOT, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                if done.returncode not in (0, 1):  # 1: a file failed its check, still a whole run
                    sys.exit(f"{name} failed: {done.stderr.decode(errors='replace').strip()}")
                seconds[name].append(time.perf_counter() - started)
    print(f"{args.minutes:g} minutes, {frames} frames (640×360 H.264, 30 fps); {args.rounds} interleaved rounds, "
          "fresh processes, medians\n")  # fmt: skip
    print("| contender | s | frames/s of scan |")
    print("|---|---:|---:|")
    for name, values in seconds.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} | {frames / median:,.0f} |")


if __name__ == "__main__":
    main()
