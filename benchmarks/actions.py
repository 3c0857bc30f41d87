"""Person actions from pose (the ``pose-actions`` rules) on generated skeletons with ground truth.

What can be labelled honestly offline is synthetic: :mod:`studio.demo.poses` moves a stick
figure with adult proportions through known motions on the source clock. The sets:

- a mixed sequence (standing, walking, running, sitting, waving, hands raised, falling, lying)
  and a cycling one, each seen from four view angles (yaw 0, 30, 60 and 150 degrees: profiles
  both ways and three-quarter views), at two scales (150 and 50 px per metre: a person about
  260 and 90 px tall), with keypoint noise of 0 and 2 % of the body height and 5 % of keypoints
  lost at random, sampled at 5, 10 and 30 fps;
- the same with the hips and legs unseen (an upper-body person), where sitting and cycling are
  out of reach by design (shown, but "all" counts the classes that remain);
- accuracy is per sample against the true label at its time, boundaries included (each true
  boundary sits in the middle of a 0.3 s blend between motions);
- 24/30/60 fps: the same sequences at the three rates, segmented (``action_segments``):
  whether the label sequences agree, the largest and mean boundary difference in seconds, and
  the share of the timeline whose label differs between rates; likewise 2, 5 and 10 fps, the
  rates the analysis pipeline samples at, against 30 fps.

Run: ``python benchmarks/actions.py``. Prints Markdown tables.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from studio.core import Action
    from studio.demo.poses import PoseSequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MIXED: list[tuple[str, float]] = [
    ("standing", 2), ("walking", 3), ("running", 3), ("walking", 2), ("sitting", 3), ("standing", 2), ("waving", 2.5),
    ("standing", 1.5), ("hands raised", 2), ("standing", 1.5), ("falling", 0.7), ("lying", 2),
]  # fmt: skip
CYCLING: list[tuple[str, float]] = [("cycling", 3), ("standing", 2), ("cycling", 3), ("sitting", 2)]
YAWS = (0, 30, 60, 150)
SCALES = (150.0, 50.0)
NOISES = (0.0, 0.02)  # of the body height (1.75 m)
RATES = (5, 10, 30)


def _sequences(hidden: tuple[int, ...] = ()) -> Iterator[tuple[tuple[float, float, float, int], PoseSequence]]:
    from studio.demo.poses import PoseView, make_pose_sequence

    seed = 0
    for steps in (MIXED, CYCLING):
        for yaw in YAWS:
            for scale in SCALES:
                for noise in NOISES:
                    for fps in RATES:
                        seed += 1
                        view = PoseView(yaw_deg=yaw, scale_px_per_m=scale, noise_px=noise * 1.75 * scale,
                                        missing=0.05 if noise else 0.0, hidden=hidden, seed=seed)  # fmt: skip
                        yield (yaw, scale, noise, fps), make_pose_sequence(steps, fps=fps, view=view)


def accuracy_table(hidden: tuple[int, ...] = (), title: str = "full body", out_of_reach: tuple[str, ...] = ()) -> str:
    """Per-class accuracy; classes ``out_of_reach`` (by design, for this set) are shown but not in "all"."""
    from models.action_pose_rules import ACTION_LABELS, PoseRuleActions

    rules = PoseRuleActions()
    confusion: dict[str, Counter[str]] = {label: Counter() for label in ACTION_LABELS}
    by_rate: dict[int, list[bool]] = {fps: [] for fps in RATES}
    samples, started = 0, time.perf_counter()
    for (_, _, _, fps), sequence in _sequences(hidden):
        found = [label for label, _ in rules.label_poses(sequence.times_s, sequence.keypoints, sequence.boxes)]
        for truth, label in zip(sequence.labels(), found, strict=True):
            confusion[truth][label] += 1
            if truth not in out_of_reach:
                by_rate[fps].append(truth == label)
        samples += len(found)
    seconds = time.perf_counter() - started
    lines = [f"### Per-class accuracy, {title} ({samples} samples, {1000 * seconds / samples:.2f} ms per sample)", "",
             "| true label | samples | accuracy | most often mistaken for |", "|---|---:|---:|---|"]  # fmt: skip
    hits = total = 0
    for label, counts in confusion.items():
        n = sum(counts.values())
        if not n:
            continue
        wrong = ", ".join(f"{k or '(none)'} {v / n:.1%}" for k, v in counts.most_common() if k != label) or "-"
        note = " (out of reach by design)" if label in out_of_reach else ""
        lines.append(f"| {label}{note} | {n} | {counts[label] / n:.3f} | {wrong} |")
        if label not in out_of_reach:
            hits, total = hits + counts[label], total + n
    lines.append(f"| **all** | {total} | **{hits / total:.3f}** | |")
    lines += ["", "| fps | accuracy |", "|---:|---:|"] + [f"| {fps} | {np.mean(v):.3f} |" for fps, v in by_rate.items()]
    return "\n".join(lines)


def _segments(steps: list[tuple[str, float]], fps: float, yaw: float, noise: float, seed: int) -> list[Action]:
    from models.action_pose_rules import PoseRuleActions
    from studio.demo.poses import PoseView, make_pose_sequence
    from studio.vision.action_segments import segments_from_labels

    view = PoseView(yaw_deg=yaw, noise_px=noise * 1.75 * 150, missing=0.05 if noise else 0.0, seed=seed)
    sequence = make_pose_sequence(steps, fps=fps, view=view)
    labels = PoseRuleActions().label_poses(sequence.times_s, sequence.keypoints, sequence.boxes)
    return segments_from_labels(sequence.times_s, labels, "pose-actions")


def _label_at(segments: list[Action], time_s: float) -> str:
    for segment in segments:
        if segment.start_s <= time_s <= segment.end_s:
            return str(segment.label)
    return ""


def rate_table(rates: tuple[int, ...], reference: int = 30) -> str:
    lines = [f"### Agreement of {'/'.join(map(str, rates))} fps with {reference} fps (segments)", "",
             "| sequence | yaw | noise | fps | same labels | max boundary diff (s) | mean (s) | timeline differing |",
             "|---|---:|---:|---:|:---:|---:|---:|---:|"]  # fmt: skip
    grid = np.arange(0.0, 20.0, 0.01)
    for name, steps in (("mixed", MIXED), ("cycling", CYCLING)):
        for yaw in (0, 60):
            for noise in NOISES:
                base = _segments(steps, reference, yaw, noise, seed=reference)
                end_s = base[-1].end_s
                for fps in rates:
                    if fps == reference:
                        continue
                    other = _segments(steps, fps, yaw, noise, seed=fps)
                    same = [a.label for a in other] == [b.label for b in base]
                    diffs = (
                        [abs(a.start_s - b.start_s) for a, b in zip(other[1:], base[1:], strict=True)] if same else []
                    )
                    times = grid[grid <= end_s]
                    differing = np.mean([_label_at(other, t) != _label_at(base, t) for t in times])
                    worst = f"{max(diffs):.3f}" if diffs else "-"
                    mean = f"{np.mean(diffs):.3f}" if diffs else "-"
                    lines.append(f"| {name} | {yaw} | {noise:.0%} | {fps} | {'yes' if same else 'no'} | {worst} | "
                                 f"{mean} | {differing:.1%} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    from studio.demo.poses import HIPS_AND_LEGS

    print("## Person actions from pose: rules on generated skeletons\n")
    print(accuracy_table())
    print()
    print(accuracy_table(HIPS_AND_LEGS, "upper body only (hips and legs unseen)", ("sitting", "cycling")))
    print()
    print(rate_table((24, 60)))
    print()
    print(rate_table((2, 5, 10)))


if __name__ == "__main__":
    main()
