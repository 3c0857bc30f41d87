"""Each quality score's cost per frame (``studio eval quality``), on the demo video.

The demo (640×360, 29.97 fps, 480 frames), decoded once; each step timed on its own over every
frame, in this order, as ``score_quality`` runs them: decode + RGB conversion; VBench's temporal
flickering (``cv2.absdiff`` at the video's size); the 256 px grey proxy picture; Farneback flow
(the motion proxy); the Laplacian (sharpness) and exposure counts; VBench's motion smoothness (each
odd frame drawn from its even neighbours by :func:`studio.media.in_between` at 256 px, charged per
frame of the video); subject consistency (EfficientNet-Lite0 features of each 256 px frame in
batches of 16, on the CPU, when installed). ``--rounds`` rounds, medians, milliseconds per frame.
Run: ``python benchmarks/quality.py [--rounds 3]``.
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
         "Laplacian + exposure", "motion smoothness (in_between, half the frames)",
         "subject consistency (EfficientNet-Lite0, batches of 16)")  # fmt: skip
SMOOTH, SUBJECT = STEPS[5], STEPS[6]


def one_round(video: Path, embedder: object | None) -> tuple[dict[str, float], int]:
    import cv2

    from studio import media
    from studio.evaluate.quality import EMBED_BATCH, _proxy_size

    spent = dict.fromkeys(STEPS, 0.0)
    previous_rgb = previous_grey = None
    proxies: list[np.ndarray] = []
    waiting: list[np.ndarray] = []
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
        proxy = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        clock = time.perf_counter()
        if frames % 2 == 0 and len(proxies) == 2:
            drawn = media.in_between(proxies[0], proxy)
            float(np.mean(cv2.absdiff(drawn, proxies[1])))
        now = time.perf_counter()
        spent[SMOOTH] += now - clock
        clock = now
        if embedder is not None:
            waiting.append(proxy)
            if len(waiting) >= EMBED_BATCH:
                embedder.embed_images(waiting)  # type: ignore[attr-defined]
                waiting = []
        spent[SUBJECT] += time.perf_counter() - clock
        proxies = [*proxies[-1:], proxy]
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
        embedder = _embedder()
        rounds = [one_round(demo.video, embedder) for _ in range(args.rounds)]
    frames = rounds[0][1]
    print(f"the demo video, {frames} frames of 640×360; {args.rounds} rounds, medians\n")
    print("| step | ms per frame |")
    print("|---|---:|")
    total = 0.0
    for step in STEPS:
        if step == SUBJECT and embedder is None:
            print(f"| {step} | not installed |")
            continue
        ms = statistics.median(spent[step] for spent, _ in rounds) / frames * 1000
        total += ms
        print(f"| {step} | {ms:.2f} |")
    print(f"| **all** | **{total:.2f}** ({1000 / total:.0f} frames/s) |")


def _embedder() -> object | None:
    """EfficientNet-Lite0 on the CPU, loaded before any round is timed (None: not installed)."""
    from studio.evaluate import quality_embedder
    from studio.registry import default_cache

    return quality_embedder(default_cache(), None, "cpu")[0]


if __name__ == "__main__":
    main()
