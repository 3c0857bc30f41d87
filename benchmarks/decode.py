"""Decode speed of ``studio.media.iter_frames`` next to the ``ffmpeg`` command line.

Builds 720p and 1080p H.264 clips (pans over scikit-image photographs at 30 fps), then
times, on this machine:

- ``ffmpeg -f null``: the ffmpeg CLI decoding every frame, no colour conversion (the bar);
- ``iter_frames`` at the native rate: every frame decoded *and* converted to RGB arrays;
- ``iter_frames(fps=5)``: every frame decoded, one in six converted and yielded.

Run: ``python benchmarks/decode.py [--seconds 10] [--repeat 3]``. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from studio.media import VideoWriter, iter_frames, probe


def make_clip(path: Path, width: int, height: int, seconds: float, fps: int = 30) -> Path:
    import skimage.data
    from PIL import Image

    photo = Image.fromarray(skimage.data.astronaut()).resize((width * 2, height * 2))
    frames = round(seconds * fps)
    with VideoWriter(path, fps=fps, crf=23, preset="veryfast") as writer:
        for i in range(frames):
            x = int(i / frames * width)
            y = int(i / frames * height / 2)
            writer.write(np.asarray(photo.crop((x, y, x + width, y + height))))
    return path


def best_of(repeat: int, run: callable) -> tuple[float, int]:  # type: ignore[valid-type]
    best, count = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        count = run()
        best = min(best, time.perf_counter() - started)
    return best, count


def ffmpeg_null(path: Path) -> int:
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"], check=True)
    return probe(path).frame_count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("ffmpeg") is None:
        sys.exit("ffmpeg is not installed (apt-get install ffmpeg)")

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, (width, height) in {"720p": (1280, 720), "1080p": (1920, 1080)}.items():
            clip = make_clip(Path(tmp) / f"{label}.mp4", width, height, args.seconds)
            frames = probe(clip).frame_count
            ff_s, _ = best_of(args.repeat, lambda clip=clip: ffmpeg_null(clip))
            native_s, native_n = best_of(args.repeat, lambda clip=clip: sum(1 for _ in iter_frames(clip)))
            five_s, five_n = best_of(args.repeat, lambda clip=clip: sum(1 for _ in iter_frames(clip, fps=5)))
            rows.append((label, frames, frames / ff_s, frames / native_s, native_n, frames / five_s, five_n))

    print("| clip (H.264, 30 fps) | ffmpeg -f null (frames/s) | iter_frames native, RGB (frames/s) "
          "| vs ffmpeg | iter_frames 5 FPS (source frames/s) | 5 FPS vs native RGB |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for label, frames, ff, native, native_n, five, five_n in rows:
        print(f"| {label}, {frames} frames | {ff:.0f} | {native:.0f} ({native_n} yielded) | {native / ff:.2f}x "
              f"| {five:.0f} ({five_n} yielded) | {five / native:.1f}x |")  # fmt: skip


if __name__ == "__main__":
    main()
