"""Shot-boundary accuracy: precision, recall and F1 of found transitions against the truth.

A true cut is found by a transition whose new shot starts within one frame period of it; a
true gradual transition (dissolve, fade) by one whose span overlaps its span widened by a frame
period. Each found transition matches at most one true one; ``right_kind`` counts matches of
the same kind (cut, dissolve, fade)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from studio.core import InputError, JsonResult

__all__ = ["Boundary", "ShotAccuracy", "score_shots"]


@dataclass(frozen=True)
class Boundary(JsonResult):
    """A transition into a new shot: ``start_s`` to ``end_s`` (equal for a cut; ``end_s`` is the
    new shot's first frame)."""

    kind: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class ShotAccuracy(JsonResult):
    truth: int
    found: int
    matched: int
    right_kind: int
    precision: float
    recall: float
    f1: float
    tolerance_s: float
    definition: str = ("a cut matches within one frame period of the new shot's start, a gradual transition by "
                       "overlap widened by a frame period; one match per transition")  # fmt: skip


def score_shots(truth: Sequence[Boundary], found: Sequence[Boundary], fps: float) -> ShotAccuracy:
    if fps <= 0:
        raise InputError(f"expected a positive frame rate, got {fps}")
    tolerance = 1 / fps + 1e-6
    used: set[int] = set()
    matched = right_kind = 0
    for expected in truth:
        for number, predicted in enumerate(found):
            if number in used:
                continue
            if expected.kind == "cut":
                hit = abs(predicted.end_s - expected.end_s) <= tolerance
            else:
                early, late = expected.start_s - tolerance, expected.end_s + tolerance
                hit = predicted.start_s <= late and predicted.end_s >= early
            if hit:
                used.add(number)
                matched += 1
                right_kind += predicted.kind == expected.kind
                break
    precision = matched / len(found) if found else float(not truth)
    recall = matched / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ShotAccuracy(len(truth), len(found), matched, right_kind, round(precision, 6), round(recall, 6),
                        round(f1, 6), round(tolerance, 6))  # fmt: skip
