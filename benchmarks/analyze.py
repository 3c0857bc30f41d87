"""End-to-end analysis speed on this machine: decode + detect + track (+ annotate).

Builds 10 s, 30 fps H.264 clips of two people and a cup moving over a background, at
320×180 and 640×360, then times on each:

- decode only (``iter_frames`` every frame to RGB): the floor;
- detect + track on every frame (the default detector, NanoDet 416 px, via ONNX Runtime);
- detect + track + annotate (boxes, labels, trails drawn on every frame, H.264 written);
- detect every 3rd frame, tracking in between, + annotate.

FPS is source frames processed per second of wall time. Prints a Markdown table and the
share of time per stage (from the timeline's ``stage_s``).

Run: ``python benchmarks/analyze.py``
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from evaluations.synthetic_scenes import moving_objects_video
from studio.media import iter_frames
from studio.pipelines.analyze import AnalyzeOptions, analyze
from studio.registry import default_cache

SECONDS, FPS = 10.0, 30


def make_clip(folder: Path, width: int, height: int) -> Path:
    path = folder / f"scene_{width}.mp4"
    s = height / 360
    moving_objects_video(path, [
        ("astronaut", 200 * s, lambda t: ((60 + 50 * t) * s, 150 * s)),
        ("cameraman", 170 * s, lambda t: ((580 - 45 * t) * s, 220 * s)),
        ("cup", 80 * s, lambda t: (320 * s, (80 + 20 * t) * s)),
    ], seconds=SECONDS, fps=FPS, size=(width, height))  # fmt: skip
    return path


def main() -> None:
    cache = default_cache()
    detector = cache.registry.default_for("detect", cache.settings)
    cache.get(detector.name)  # load once, outside the timings
    rows, shares = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for width, height in ((320, 180), (640, 360)):
            clip = make_clip(Path(tmp), width, height)
            frames = round(SECONDS * FPS)
            started = time.perf_counter()
            count = sum(1 for _ in iter_frames(clip))
            decode_fps = count / (time.perf_counter() - started)
            runs = {
                "detect+track": (AnalyzeOptions(fps=FPS, tasks=("detect", "track"), max_side=width), False),
                "detect+track+annotate": (AnalyzeOptions(fps=FPS, tasks=("detect", "track"), max_side=width), True),
                "detect every 3rd+track+annotate": (
                    AnalyzeOptions(fps=FPS, tasks=("detect", "track"), max_side=width, detect_every=3), True),
            }  # fmt: skip
            for label, (options, annotate) in runs.items():
                out = Path(tmp) / f"annotated_{width}.mp4" if annotate else None
                timeline = analyze(clip, options, annotate_to=out)
                seconds = timeline.metadata["processing_s"]
                rows.append((f"{width}x{height}", label, frames / seconds, decode_fps, len(timeline.tracks)))
                stages = timeline.metadata["stage_s"]
                shares.append((f"{width}x{height}", label, {k: v / seconds for k, v in stages.items()}))

    print(
        f"Detector: {detector.name} ({detector.license}); {SECONDS:.0f} s clips at {FPS} fps, every frame analysed.\n"
    )
    print("| clip | pipeline | end-to-end FPS | decode-only FPS | tracks |")
    print("|---|---|---|---|---|")
    for size, label, fps, decode_fps, tracks in rows:
        print(f"| {size} | {label} | {fps:.1f} | {decode_fps:.0f} | {tracks} |")
    print("\n| clip | pipeline | share of time per stage |")
    print("|---|---|---|")
    for size, label, parts in shares:
        text = ", ".join(f"{name} {share:.0%}" for name, share in sorted(parts.items(), key=lambda kv: -kv[1]))
        print(f"| {size} | {label} | {text} |")


if __name__ == "__main__":
    main()
