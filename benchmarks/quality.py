"""Each quality score's cost per frame (``studio eval quality``), on the demo video.

The demo (640×360, 29.97 fps, 480 frames), decoded once; each step timed on its own over every
frame, in this order, as ``score_quality`` runs them: decode + RGB conversion; VBench's temporal
flickering (``cv2.absdiff`` at the video's size); the 256 px grey proxy picture; Farneback flow
(the motion proxy); the Laplacian (sharpness) and exposure counts. ``--rounds`` rounds, medians,
milliseconds per frame. Run: ``python benchmarks/quality.py [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

STEPS = ("decode + RGB", "temporal flickering (absdiff)", "grey 256 px proxy", "Farneback flow (motion)",
         "Laplacian + exposure")  # fmt: skip


def one_round(video: Path) -> tuple[dict[str, float], int]:
    import cv2

    from studio import media
    from studio.evaluate.quality import _proxy_size

    spent = dict.fromkeys(STEPS, 0.0)
    previous_rgb = previous_grey = None
    frames = 0
    clock = time.perf_counter()
    for picture in media.iter_pictures(video):
        rgb = picture.rgb()
        now = time.perf_counter()
        spent["decode + RGB"] += now - clock
        if previous_rgb is not None:
            float(np.mean(cv2.absdiff(previous_rgb, rgb)))
        clock, now = now, time.perf_counter()
        spent["temporal flickering (absdiff)"] += now - clock
        size = _proxy_size(rgb.shape[1], rgb.shape[0])
        grey = cv2.cvtColor(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
        clock, now = now, time.perf_counter()
        spent["grey 256 px proxy"] += now - clock
        if previous_grey is not None:
            cv2.calcOpticalFlowFarneback(previous_grey, grey, None, 0.5, 3, 15, 3, 5, 1.2, 0)
        clock, now = now, time.perf_counter()
        spent["Farneback flow (motion)"] += now - clock
        cv2.Laplacian(grey, cv2.CV_64F).var()
        int((grey <= 4).sum()), int((grey >= 251).sum())
        clock, now = now, time.perf_counter()
        spent["Laplacian + exposure"] += now - clock
        previous_rgb, previous_grey = rgb, grey
        frames += 1
        clock = time.perf_counter()
    return spent, frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from studio.demo import make_demo_media

    with tempfile.TemporaryDirectory() as folder:
        demo = make_demo_media(Path(folder) / "demo", narration=False)
        rounds = [one_round(demo.video) for _ in range(args.rounds)]
    frames = rounds[0][1]
    print(f"the demo video, {frames} frames of 640×360; {args.rounds} rounds, medians\n")
    print("| step | ms per frame |")
    print("|---|---:|")
    total = 0.0
    for step in STEPS:
        ms = statistics.median(spent[step] for spent, _ in rounds) / frames * 1000
        total += ms
        print(f"| {step} | {ms:.2f} |")
    print(f"| **all** | **{total:.2f}** ({1000 / total:.0f} frames/s) |")


if __name__ == "__main__":
    main()
