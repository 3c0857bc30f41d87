"""Analysis speed: the studio's detect + track next to a minimal hand-written loop.

Builds a 10 s, 30 fps, 1280×720 H.264 clip of two people and a cup moving over a
background; every contender analyses every frame at 640 px (what the models see), each in
a fresh process, rounds interleaved, medians reported:

- ``minimal loop``: PyAV decode (threads on) → ``frame.reformat`` to 640×360 RGB →
  letterbox + ``cv2.dnn.blobFromImage`` → the same NanoDet graph in ONNX Runtime → the same
  box decoding and NMS → one ``trackers.ByteTrackTracker`` fed every box down to 0.1;
- ``studio``: ``analyze(tasks=("detect", "track"))`` with the fp32 detector;
- ``studio int8``: the same with the int8 detector (``nanodet-coco-int8``), when installed;
- ``studio + annotate``: fp32, and every frame drawn and written to H.264 with the audio.

FPS is source frames per second of wall time, model loading excluded.

Run: ``python benchmarks/analyze.py [--rounds 3]``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.fresh import medians, run_rounds

SECONDS, FPS, WIDTH, HEIGHT, MODEL_SIDE = 10.0, 30, 1280, 720, 640
DETECTOR, INT8_DETECTOR = "nanodet-coco", "nanodet-coco-int8"
LABELS = {"minimal": "minimal loop (PyAV → NanoDet → ByteTrack)", "studio": "studio, fp32 detector",
          "studio-int8": "studio, int8 detector", "studio-annotate": "studio, fp32 + annotated video"}  # fmt: skip


def make_clip(folder: Path) -> Path:
    from evaluations.synthetic_scenes import moving_objects_video

    path, s = folder / "scene.mp4", HEIGHT / 360
    moving_objects_video(path, [
        ("astronaut", 200 * s, lambda t: ((60 + 50 * t) * s, 150 * s)),
        ("cameraman", 170 * s, lambda t: ((580 - 45 * t) * s, 220 * s)),
        ("cup", 80 * s, lambda t: (320 * s, (80 + 20 * t) * s)),
    ], seconds=SECONDS, fps=FPS, size=(WIDTH, HEIGHT))  # fmt: skip
    return path


def minimal_loop(clip: str, detector: object) -> tuple[int, int]:
    """What a competent hand-written loop does with the same model; (frames, track IDs)."""
    import av
    import cv2
    import numpy as np
    from trackers import ByteTrackTracker

    from models.detector_nanodet import _MEAN_BGR, _STD_BGR

    tracker = ByteTrackTracker(frame_rate=FPS, track_activation_threshold=0.5, high_conf_det_threshold=0.35,
                               minimum_consecutive_frames=1, lost_track_buffer=60)  # fmt: skip
    side, frames, ids = detector.input_size, 0, set()  # type: ignore[attr-defined]
    with av.open(clip) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            image = frame.reformat(width=MODEL_SIDE, height=MODEL_SIDE * HEIGHT // WIDTH, format="rgb24").to_ndarray()
            scale = side / max(image.shape[:2])
            w, h = round(image.shape[1] * scale), round(image.shape[0] * scale)
            square = cv2.copyMakeBorder(cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA), 0, side - h, 0,
                                        side - w, cv2.BORDER_CONSTANT, value=(114, 114, 114))  # fmt: skip
            blob = cv2.dnn.blobFromImage(square, 1.0, None, mean=tuple(map(float, _MEAN_BGR)), swapRB=True)
            blob *= (1 / _STD_BGR)[None, :, None, None].astype(np.float32)
            outputs = detector.session.run(detector.output_names, {detector.input_name: blob})  # type: ignore[attr-defined]
            found = detector.postprocess(outputs, scale, image.shape[:2], 0.1)  # type: ignore[attr-defined]
            tracked = tracker.update(found.to_supervision())
            ids.update(int(i) for i in tracked.tracker_id if i >= 0)
            frames += 1
    return frames, len(ids)


def worker(contender: str, clip: str, folder: str) -> None:
    """One measured run; prints JSON on stdout."""
    from studio.registry import default_cache
    from studio.vision import AnalyzeOptions, analyze

    name = INT8_DETECTOR if contender == "studio-int8" else DETECTOR
    detector = default_cache().get(name)  # loaded outside the timing, for every contender
    started = time.perf_counter()
    if contender == "minimal":
        frames, tracks = minimal_loop(clip, detector)
    else:
        options = AnalyzeOptions(fps=FPS, tasks=("detect", "track"), detector=name, max_side=MODEL_SIDE)
        annotate_to = Path(folder) / "annotated.mp4" if contender == "studio-annotate" else None
        timeline = analyze(clip, options, annotate_to=annotate_to)
        frames, tracks = len(timeline.sample_times_s), len(timeline.tracks)
    print(json.dumps({"seconds": time.perf_counter() - started, "frames": frames, "tracks": tracks}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=3, metavar=("CONTENDER", "CLIP", "FOLDER"), help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    from studio.registry import default_cache

    cache = default_cache()
    contenders = ["minimal", "studio", "studio-annotate"]
    if cache.registry.get(INT8_DETECTOR).is_installed(cache.settings):
        contenders.insert(2, "studio-int8")
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_clip(Path(tmp))
        table = {
            name: medians(runs)
            for name, runs in run_rounds(__file__, contenders, [str(clip), tmp], args.rounds).items()
        }
    print(f"{SECONDS:.0f} s clip, {WIDTH}x{HEIGHT} at {FPS} fps, every frame analysed at {MODEL_SIDE} px; "
          f"medians of {args.rounds} fresh-process rounds.\n")  # fmt: skip
    print("| contender | FPS | vs minimal loop | frames | tracks |")
    print("|---|---|---|---|---|")
    for name, row in table.items():
        speed = row["frames"] / row["seconds"]
        ratio = table["minimal"]["seconds"] / row["seconds"]
        print(f"| {LABELS[name]} | {speed:.1f} | {ratio:.2f}x | {row['frames']:.0f} | {row['tracks']:.0f} |")


if __name__ == "__main__":
    main()
