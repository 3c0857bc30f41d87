"""Shot-boundary detection side by side: TransNetV2 vs PySceneDetect's ContentDetector and
AdaptiveDetector (each with its ThresholdDetector for fades), on footage with ground truth.

Clips, all built locally (``studio.demo``):

- the demo video (four shots joined by hard cuts, 30000/1001 FPS, 640×360);
- one timeline of six shots joined by two dissolves (0.5 s, 0.3 s), two fades through black
  (0.6 s, 1.0 s) and a cut, rendered at 24, 30 and 60 FPS (320×180): the same content, so
  the boundaries should be the same at every rate.

Each model is fed every frame once, decoded by ``studio.media.iter_pictures`` and converted to
its own thumbnail size, exactly as the analysis pipeline feeds it. Scores:

- boundary precision / recall / F1 (``studio.evaluate.score_shots``): a truth cut is found by a
  predicted transition whose new shot starts within one frame of it; a truth gradual transition
  by one whose span overlaps its span (widened by a frame); each prediction matches at most one;
- kind: of the found transitions, how many have the right kind (cut, dissolve, fade);
- speed: frames per second of the model alone (thumbnails prepared before the clock starts).
- 24/30/60 agreement: the largest difference between the boundaries found at two rates
  (``end_s`` of transitions paired in order), in frame periods of the slower rate.

Run: ``python benchmarks/shots.py [--models transnetv2,pyscenedetect,pyscenedetect-adaptive]``.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.evaluate import Boundary, score_shots

CONTENDERS = ["transnetv2", "pyscenedetect", "pyscenedetect-adaptive"]
RATES = (24, 30, 60)


@dataclass(frozen=True)
class Clip:
    name: str
    video: Path
    fps: float
    truth: list[dict[str, Any]]  # transitions: kind, start_s, end_s


def build_clips(folder: Path) -> list[Clip]:
    from studio.demo import Join, make_demo_media, make_transition_clip

    demo = make_demo_media(folder / "demo", narration=False)
    cuts = [{"kind": "cut", "start_s": t, "end_s": t} for t in demo.truth["cuts_s"]]
    clips = [Clip("demo (4 shots, 3 cuts, 29.97 fps)", demo.video, 30000 / 1001, cuts)]
    joins = [Join("dissolve", 0.5), Join("fade", 0.6), Join("cut"), Join("dissolve", 0.3), Join("fade", 1.0)]
    for rate in RATES:
        made = make_transition_clip(folder / f"gradual{rate}.mp4", joins, fps=rate)
        clips.append(Clip(f"2 dissolves, 2 fades, 1 cut @ {rate} fps", made.video, rate, made.truth["transitions"]))
    return clips


def load(name: str) -> Any:
    from models.shots_scenedetect import SPECS as SCENEDETECT
    from models.shots_transnetv2 import SPECS as TRANSNET
    from studio.core import Settings
    from studio.registry import ModelCache, Registry

    root = Path(tempfile.mkdtemp(prefix="shots-home-"))
    settings = Settings(root, root / "models", root / "outputs", device="cpu")
    return ModelCache(Registry([*TRANSNET, *SCENEDETECT]), settings).get(name)


def thumbnails(video: Path, size: tuple[int, int]) -> list[tuple[Any, float]]:
    from studio.media import iter_pictures

    return [(picture.rgb(size), picture.time_s) for picture in iter_pictures(video)]


def detect(model: Any, frames: list[tuple[Any, float]]) -> tuple[list[Any], float]:
    """The transitions ``model`` finds in ``frames`` and its speed (frames/s)."""
    scorer = model.scorer()
    started = time.perf_counter()
    for frame, time_s in frames:
        scorer.push(frame, time_s)
    found = scorer.finish()
    return found, len(frames) / (time.perf_counter() - started)


def agreement_frames(by_rate: dict[int, list[Any]]) -> float | None:
    """The largest gap, in frame periods of the slower rate, between paired boundaries at two rates."""
    worst = 0.0
    rates = sorted(by_rate)
    for slow in rates:
        for fast in rates:
            if fast <= slow:
                continue
            a, b = by_rate[slow], by_rate[fast]
            if len(a) != len(b):
                return None
            for x, y in zip(a, b, strict=True):
                worst = max(worst, abs(x.end_s - y.end_s) * slow)
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(CONTENDERS))
    args = parser.parse_args()
    names = [n for n in args.models.split(",") if n]
    with tempfile.TemporaryDirectory() as scratch:
        clips = build_clips(Path(scratch))
        rows = []
        agreement: dict[str, float | None] = {}
        for name in names:
            model = load(name)
            by_rate: dict[int, list[Any]] = {}
            for clip in clips:
                frames = thumbnails(clip.video, model.frame_size)
                found, speed = detect(model, frames)
                truth = [Boundary(t["kind"], t["start_s"], t["end_s"]) for t in clip.truth]
                score = score_shots(truth, [Boundary(f.kind, f.start_s, f.end_s) for f in found], clip.fps)
                kinds = f"{score.right_kind}/{score.matched}" if score.matched else "-"
                rows.append((clip.name, name, score.truth, score.found, score.precision, score.recall, score.f1,
                             kinds, speed))  # fmt: skip
                if "@" in clip.name:
                    by_rate[round(clip.fps)] = found
            agreement[name] = agreement_frames(by_rate)
    print("| clip | model | truth | found | precision | recall | F1 | right kind | frames/s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for clip_name, name, truth, found_count, precision, recall, f1, kinds, speed in rows:
        print(f"| {clip_name} | {name} | {truth} | {found_count} | {precision:.2f} | {recall:.2f} | {f1:.2f} "
              f"| {kinds} | {speed:.0f} |")  # fmt: skip
    print()
    print("| model | 24/30/60 fps: largest boundary gap (frames of the slower rate) |")
    print("|---|---:|")
    for name, worst in agreement.items():
        print(f"| {name} | {'different counts' if worst is None else f'{worst:.2f}'} |")


if __name__ == "__main__":
    main()
