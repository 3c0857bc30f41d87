"""Person actions from pose alone, offline, by rules on body-normalised kinematics (no weights).

:func:`studio.vision.pose_features.window_features` turns one person's keypoints into speeds in
body lengths per second of the source clock and posture angles over windows in seconds; each
label here is a product of soft thresholds (ramps) on those features, and the best one wins:

- ``lying``: torso more than ~60° from vertical; ``falling``: the torso tipping faster than
  ~60°/s (a fall takes 0.5-1 s; lying down on purpose takes longer) and still tipped 1-2 s later
  where those seconds were seen (a keypoint glitch, or a camera zooming on an upper body, tips the
  torso as fast but not for long);
- ``sitting``: upright torso, both thighs forward (~80° from straight down), not travelling;
- ``cycling``: torso leaning forward, thighs forward but not flat, and the legs pedalling
  (knee angles spread) or the body travelling fast;
- upright: ``standing`` (centre slower than ~0.6 body lengths/s), ``walking``, ``running``
  (over ~4.5 body lengths/s, or over ~1.2 with elbows bent like a runner's), ``hands raised``
  (a wrist over its shoulder while standing; waving counts: its 2-3 Hz is beyond a 2-5 fps sampling).

A person seen from the hips up gets no ``sitting`` or ``cycling`` (legs decide those). Where the
window holds too little of the body the label is ``""`` with score 0. Rate-independent by
construction: windows and speeds are in seconds, and no rule uses the stride frequency, which
2-5 fps sampling cannot resolve.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.registry import LoadOptions, ModelSpec
from studio.vision import PoseFeatures, window_features

__all__ = ["ACTION_LABELS", "SPECS", "PoseRuleActions", "RuleThresholds"]

ACTION_LABELS = ("standing", "walking", "running", "sitting", "lying", "falling", "hands raised", "cycling")

SPECS = [
    ModelSpec(
        name="pose-actions", task="action", adapter="models.action_pose_rules:PoseRuleActions",
        source="package:models", license="Apache-2.0", extra="vision", memory_mb=1, offline=True, priority=10,
        capabilities=("pose",),
        description=(
            "rules on body-normalised pose kinematics (speed in body lengths/s, torso, knee, thigh and elbow "
            "angles, wrist height) over windows in seconds: standing, walking, running, sitting, lying, falling, "
            "hands raised, cycling; checked on generated skeletons (4 view angles, 2 scales, 0-2 % noise, 5-30 fps): "
            "per-sample accuracy 0.95, every class 0.92-0.99 (benchmarks/actions.py); no real labelled footage"
        ),
    ),
]  # fmt: skip


def _up(value: np.ndarray, low: float, high: float) -> np.ndarray:
    """0 below ``low``, 1 above ``high``, linear between; NaN (not measured) counts as 0."""
    return np.nan_to_num(np.clip((value - low) / (high - low), 0.0, 1.0), nan=0.0)


def _down(value: np.ndarray, low: float, high: float) -> np.ndarray:
    """1 below ``low``, 0 above ``high``; NaN counts as 0."""
    return np.nan_to_num(np.clip((high - value) / (high - low), 0.0, 1.0), nan=0.0)


@dataclass(frozen=True)
class RuleThresholds:
    """Where each soft threshold ramps from 0 to 1 (low, high), in the features' units."""

    upright_deg: tuple[float, float] = (35.0, 50.0)  # torso from vertical: upright below
    lying_deg: tuple[float, float] = (50.0, 70.0)  # ...lying above
    falling_deg_s: tuple[float, float] = (40.0, 70.0)  # torso tipping rate; a fall tips 90° in 0.5-1 s
    tipping_deg_s: tuple[float, float] = (15.0, 40.0)  # the centre's speed while tipping is not walking
    moving_bl_s: tuple[float, float] = (0.4, 0.8)  # centre speed: standing below, walking above (1.4 m/s ≈ 2.8)
    running_bl_s: tuple[float, float] = (4.0, 5.0)  # a run (3.5 m/s ≈ 7) even seen at 60° from the side
    runner_arms_bl_s: tuple[float, float] = (1.0, 1.5)  # ...or this fast with a runner's bent elbows
    bent_elbow_deg: tuple[float, float] = (115.0, 135.0)  # elbow angle: running ~90, walking ~165
    seated_thigh_deg: tuple[float, float] = (60.0, 70.0)  # |thigh angle| from straight down: ~80 seated
    cycling_thigh_deg: tuple[float, float] = (20.0, 30.0)  # pedalling thighs stay forward (~35-50)
    lean_deg: tuple[float, float] = (12.0, 20.0)  # a cyclist leans to the bars (~25-40), a runner ~10
    pedalling_deg: tuple[float, float] = (17.0, 24.0)  # std of knee angles: pedalling ~25-30, noise ~5-12
    riding_bl_s: tuple[float, float] = (1.5, 2.5)  # ...or a seated body travelling this fast
    raised_wrist: tuple[float, float] = (0.1, 0.25)  # wrist over its shoulder, in body lengths
    fall_settle_s: tuple[float, float] = (1.0, 2.0)  # after a fall, the body is down over these seconds
    legs_seen: float = 0.5  # fraction of the posture window with legs, to judge sitting or cycling
    body_seen: float = 0.3  # fraction of the motion window with a body, to judge anything


def rule_scores(features: PoseFeatures, thresholds: RuleThresholds) -> dict[str, np.ndarray]:
    """Each label's score (T,) at every sample, 0-1."""
    f, th = features, thresholds
    legs = (np.nan_to_num(f.legs_seen) >= th.legs_seen).astype(np.float64)
    upright = _down(f.torso_deg, *th.upright_deg)
    falling = _up(f.torso_rate, *th.falling_deg_s)
    moving = _up(f.speed, *th.moving_bl_s) * _down(f.torso_rate, *th.tipping_deg_s)  # a tipping body travels too
    runner = np.maximum(_up(f.speed, *th.running_bl_s),
                        _up(f.speed, *th.runner_arms_bl_s) * _down(f.elbow_deg, *th.bent_elbow_deg))  # fmt: skip
    seated = legs * _up(f.thigh_forward, *th.seated_thigh_deg)
    pedalling = np.maximum(_up(f.knee_spread, *th.pedalling_deg), _up(f.speed, *th.riding_bl_s))
    cycling = legs * _up(f.thigh_swing, *th.cycling_thigh_deg) * (1 - seated) * _up(f.torso_deg, *th.lean_deg)
    cycling = cycling * _down(f.torso_deg, *th.lying_deg) * pedalling * (1 - falling)
    raised = _up(f.wrist_raise, *th.raised_wrist)
    on_feet = upright * (1 - seated) * (1 - falling) * (1 - cycling)
    return {
        "standing": on_feet * (1 - moving) * (1 - raised),
        "walking": on_feet * moving * (1 - runner),
        "running": on_feet * moving * runner,
        "sitting": upright * seated * _down(f.speed, *th.riding_bl_s),
        "lying": _up(f.torso_deg, *th.lying_deg) * (1 - falling),
        "falling": falling,
        "hands raised": on_feet * (1 - moving) * raised,
        "cycling": cycling,
    }


class PoseRuleActions:
    """The rules as a :class:`~studio.vision.contracts.PoseActionModel` (nothing to load)."""

    labels = ACTION_LABELS
    memory_mb = 1

    def __init__(self, thresholds: RuleThresholds | None = None) -> None:
        self.thresholds = thresholds or RuleThresholds()

    @classmethod
    def load(cls, spec: ModelSpec, weights: Path, device: str, options: LoadOptions) -> PoseRuleActions:
        options.require(spec.name)  # rules: float32 on any device, nothing to offload or compile
        return cls()

    def label_poses(self, times_s: np.ndarray, keypoints: np.ndarray, boxes: np.ndarray) -> list[tuple[str, float]]:
        """One ``(label, score)`` per time; ``("", 0.0)`` where too little of the body was seen."""
        features = window_features(times_s, keypoints, boxes)
        scores = rule_scores(features, self.thresholds)
        table = np.stack([scores[label] for label in self.labels], axis=1)
        self._keep_only_settled_falls(np.asarray(times_s, dtype=np.float64), features, table)
        judged = (np.nan_to_num(features.seen) >= self.thresholds.body_seen) & np.isfinite(features.torso_deg)
        best = table.argmax(axis=1)
        return [
            (self.labels[int(b)], round(float(table[i, b]), 4)) if judged[i] else ("", 0.0) for i, b in enumerate(best)
        ]

    def _keep_only_settled_falls(self, times: np.ndarray, features: PoseFeatures, table: np.ndarray) -> None:
        """Zero the fall score where the body was seen upright again 1-2 s later (in place)."""
        column = self.labels.index("falling")
        low, high = self.thresholds.fall_settle_s
        for i in np.flatnonzero(table.argmax(axis=1) == column):
            later = (times >= times[i] + low) & (times <= times[i] + high) & np.isfinite(features.torso_deg)
            if later.any() and np.median(features.torso_deg[later]) < self.thresholds.lying_deg[0]:
                table[i, column] = 0.0
