"""Detection accuracy on scenes with exact ground truth (:mod:`evaluations.synthetic_scenes`).

A prediction matches a ground-truth object when the labels agree and IoU >= 0.5 (greedy,
best score first). Reports recall, precision, F1 and the mean IoU of matches, overall and
per label. Run ``python -m evaluations.detection_accuracy`` to compare every installed
detector; it prints a Markdown table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from evaluations.synthetic_scenes import Scene, labelled_scenes
from studio.vision import Detections, DetectorModel, box_iou

__all__ = ["DetectionScore", "evaluate_detector", "score_detections"]


@dataclass
class DetectionScore:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    ious: list[float] = field(default_factory=list)
    missed: Counter[str] = field(default_factory=Counter)

    @property
    def recall(self) -> float:
        return self.true_positives / max(1, self.true_positives + self.false_negatives)

    @property
    def precision(self) -> float:
        return self.true_positives / max(1, self.true_positives + self.false_positives)

    @property
    def f1(self) -> float:
        return 2 * self.precision * self.recall / max(1e-9, self.precision + self.recall)

    @property
    def mean_iou(self) -> float:
        return float(np.mean(self.ious)) if self.ious else 0.0


def score_detections(scene: Scene, found: Detections, score: DetectionScore, iou_threshold: float = 0.5) -> None:
    unmatched = set(range(len(found)))
    for truth in scene.truth:
        candidates = [i for i in unmatched if found.labels[i] == truth.label]
        best, best_iou = None, iou_threshold
        for i in sorted(candidates, key=lambda i: -found.scores[i]):
            iou = float(box_iou(found.xyxy[i], np.array(truth.xyxy))[0, 0])
            if iou >= best_iou:
                best, best_iou = i, iou
        if best is None:
            score.false_negatives += 1
            score.missed[truth.object] += 1
        else:
            unmatched.discard(best)
            score.true_positives += 1
            score.ious.append(best_iou)
    score.false_positives += len(unmatched)


def evaluate_detector(detector: DetectorModel, scenes: list[Scene], min_score: float = 0.35) -> DetectionScore:
    score = DetectionScore()
    for scene in scenes:
        score_detections(scene, detector.detect([scene.image], min_score)[0], score)
    return score


def main() -> None:
    from studio.registry import default_cache

    cache = default_cache()
    scenes = labelled_scenes()
    print(f"{len(scenes)} scenes, {sum(len(s.truth) for s in scenes)} objects; match = same label and IoU >= 0.5\n")
    print("| detector | licence | recall | precision | F1 | mean IoU | missed |")
    print("|---|---|---|---|---|---|---|")
    for spec in cache.registry.specs("detect"):
        if not spec.is_installed(cache.settings):
            continue
        result = evaluate_detector(cache.get(spec.name), scenes)
        missed = ", ".join(f"{name} {n}" for name, n in result.missed.most_common()) or "-"
        print(f"| {spec.name} | {spec.license} | {result.recall:.2f} | {result.precision:.2f} | {result.f1:.2f} "
              f"| {result.mean_iou:.2f} | {missed} |")  # fmt: skip


if __name__ == "__main__":
    main()
