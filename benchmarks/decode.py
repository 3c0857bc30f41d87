"""Decode speed of ``studio.media.iter_frames`` next to plain PyAV and the ``ffmpeg`` CLI.

Builds 720p and 1080p H.264 clips (pans over a scikit-image photograph at 30 fps), then
times each contender in a fresh process (the clock starts after its imports, as ffmpeg's
``-benchmark`` leaves out its start-up), rounds interleaved, medians reported:

- ``ffmpeg -threads 2 -benchmark -f null``: ffmpeg's own figure for decoding every frame
  (no colour conversion, start-up not counted): the decoder's floor;
- the same with ``-pix_fmt rgb24``: ffmpeg doing what ``iter_frames`` does (decode + RGB);
- plain PyAV decoding only (``container.decode(stream)``, threads on): Python's floor;
- plain PyAV: the same with ``to_ndarray(format="rgb24")`` for every frame, what a
  hand-written loop does;
- ``iter_frames`` at the native rate: every frame decoded and converted to upright RGB;
- ``iter_frames(fps=5)``: every frame decoded, one in six converted and yielded.

Run: ``python benchmarks/decode.py [--seconds 10] [--rounds 5]``. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.fresh import medians, run_rounds

THREADS = 2  # this machine's cores; ffmpeg is given the same
CONTENDERS = ["ffmpeg", "ffmpeg-rgb", "pyav-decode", "pyav", "studio", "studio-5fps"]
LABELS = {
    "ffmpeg": "ffmpeg -f null (decode only)",
    "ffmpeg-rgb": "ffmpeg -pix_fmt rgb24 -f null",
    "pyav-decode": "plain PyAV, decode only",
    "pyav": "plain PyAV, RGB",
    "studio": "iter_frames, RGB",
    "studio-5fps": "iter_frames(fps=5)",
}


def make_clip(path: Path, width: int, height: int, seconds: float, fps: int = 30) -> Path:
    import numpy as np
    import skimage.data
    from PIL import Image

    from studio.media import VideoWriter

    photo = Image.fromarray(skimage.data.astronaut()).resize((width * 2, height * 2))
    frames = round(seconds * fps)
    with VideoWriter(path, fps=fps, crf=23, preset="veryfast") as writer:
        for i in range(frames):
            x = int(i / frames * width)
            y = int(i / frames * height / 2)
            writer.write(np.asarray(photo.crop((x, y, x + width, y + height))))
    return path


def worker(contender: str, clip: str) -> None:
    """One measured run; prints JSON on stdout."""
    if contender == "ffmpeg":
        cmd = [
            "ffmpeg",
            "-hide_banner",
            "-nostats",
            "-benchmark",
            "-threads",
            str(THREADS),
            "-i",
            clip,
            "-f",
            "null",
            "-",
        ]
        log = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
        seconds = float(re.findall(r"rtime=([0-9.]+)s", log)[-1])
        frames = int(re.findall(r"frame=\s*(\d+)", log)[-1]) if "frame=" in log else None
        print(json.dumps({"seconds": seconds, "yielded": frames or 0, "faults": 0}))
        return
    # Imports come before the clock, as ffmpeg's own figure leaves out its start-up.
    import av

    from studio.media import iter_frames

    started_faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    started = time.perf_counter()
    if contender.startswith("pyav"):
        with av.open(clip) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            if contender == "pyav-decode":
                yielded = sum(1 for _ in container.decode(stream))
            else:
                yielded = sum(1 for frame in container.decode(stream) if frame.to_ndarray(format="rgb24") is not None)
    else:
        yielded = sum(1 for _ in iter_frames(clip, fps=5 if contender == "studio-5fps" else None))
    seconds = time.perf_counter() - started
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - started_faults
    print(json.dumps({"seconds": seconds, "yielded": yielded, "faults": faults}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=2, metavar=("CONTENDER", "CLIP"), help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    if shutil.which("ffmpeg") is None:
        sys.exit("ffmpeg is not installed (apt-get install ffmpeg)")
    from studio.media import probe

    print(f"H.264 clips at 30 fps, {args.seconds:.0f} s; medians of {args.rounds} fresh-process rounds; "
          f"{THREADS} decoder threads.\n")  # fmt: skip
    print("| clip | contender | frames/s (source) | frames yielded | page faults | vs ffmpeg decode "
          "| vs ffmpeg RGB | vs plain PyAV |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for label, (width, height) in {"720p": (1280, 720), "1080p": (1920, 1080)}.items():
            clip = make_clip(Path(tmp) / f"{label}.mp4", width, height, args.seconds)
            frames = probe(clip).frame_count
            table = {
                name: medians(runs) for name, runs in run_rounds(__file__, CONTENDERS, [str(clip)], args.rounds).items()
            }
            speed = {name: frames / row["seconds"] for name, row in table.items()}
            for name, row in table.items():
                print(f"| {label}, {frames} frames | {LABELS[name]} | {speed[name]:.0f} | {row['yielded'] or frames} "
                      f"| {row['faults'] / 1000:.0f}k | {speed[name] / speed['ffmpeg']:.2f}x "
                      f"| {speed[name] / speed['ffmpeg-rgb']:.2f}x "
                      f"| {speed[name] / speed['pyav']:.2f}x |")  # fmt: skip


if __name__ == "__main__":
    main()
