"""Synthetic people with known motion: 17 COCO keypoints of a stick figure, for tests and benchmarks.

A figure with adult proportions (1.75 m tall, torso 0.5 m) moves in a body frame in metres
(X forward, Y up, Z to its left), is turned by a view ``yaw`` about the vertical and projected
orthographically into pixels: yaw 0 is a profile walking to the right, 90 faces the camera,
180 a profile walking to the left. Each motion is a function of time on the source clock, so
the same sequence sampled at any frame rate shows the same movement at the same times.

Motions and their ground-truth label (:data:`MOTION_LABELS`): standing; walking (gait 1.8 Hz,
1.4 m/s); running (2.8 Hz, 3.5 m/s, knees and elbows bent); sitting (on a chair); lying; falling
(upright to lying within the step, accelerating); waving (one hand above the head, 2.2 Hz) and
hands raised (both), both labelled ``hands raised``; cycling (seated, leaning forward, pedalling
1.4 Hz, 5 m/s). :func:`make_pose_sequence` joins steps with short blends and records each
step's ground-truth segment, its boundary in the middle of the blend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from studio.core import InputError

__all__ = [
    "HIPS_AND_LEGS",
    "LEGS",
    "MOTION_LABELS",
    "MOTION_SPEEDS_M_S",
    "POSE_MOTIONS",
    "PoseSequence",
    "PoseStep",
    "PoseView",
    "make_pose_sequence",
]

POSE_MOTIONS = ("standing", "walking", "running", "sitting", "lying", "falling", "waving", "hands raised", "cycling")
MOTION_LABELS = {motion: motion for motion in POSE_MOTIONS} | {"waving": "hands raised"}
MOTION_SPEEDS_M_S = {"walking": 1.4, "running": 3.5, "cycling": 5.0}  # forward speed; the others stay in place
LEGS = (13, 14, 15, 16)  # knees and ankles: hide them for a person cut at the hips
HIPS_AND_LEGS = (11, 12, 13, 14, 15, 16)  # hide them for an upper-body shot

# body dimensions in metres
TORSO_M = 0.50  # hip centre to shoulder centre
THIGH_M, SHIN_M = 0.44, 0.43
UPPER_ARM_M, FOREARM_M = 0.30, 0.27
SHOULDER_HALF_M, HIP_HALF_M = 0.19, 0.10
STANDING_HIP_M = 0.94
WALK_HZ, RUN_HZ, WAVE_HZ, PEDAL_HZ = 1.8, 2.8, 2.2, 1.4


@dataclass(frozen=True)
class PoseStep:
    """One motion for ``duration_s`` seconds; ``speed_m_s`` overrides its forward speed (e.g. 0 for
    walking on a treadmill or a stationary bike)."""

    motion: str
    duration_s: float
    speed_m_s: float | None = None

    def __post_init__(self) -> None:
        if self.motion not in POSE_MOTIONS:
            raise InputError(f"expected a motion in {POSE_MOTIONS}, got {self.motion!r}")
        if not self.duration_s > 0:
            raise InputError(f"expected a step duration above 0 s, got {self.duration_s}")


@dataclass(frozen=True)
class PoseView:
    """How the figure is seen: pixels per metre, where its feet start, the view angle, and how
    imperfect the keypoints are (Gaussian noise in pixels, a fraction lost at random, and
    keypoints never seen, e.g. :data:`HIPS_AND_LEGS` for an upper-body shot)."""

    scale_px_per_m: float = 150.0
    origin_px: tuple[float, float] = (100.0, 330.0)
    yaw_deg: float = 0.0
    noise_px: float = 0.0
    missing: float = 0.0
    hidden: tuple[int, ...] = ()
    seed: int = 0


@dataclass(frozen=True)
class PoseSequence:
    """Keypoints ``T×17×3`` (x, y, score) and boxes ``T×4`` (xyxy) in pixels at ``times_s``, and the
    ground truth: ``segments`` of (label, start_s, end_s) covering the whole sequence."""

    times_s: np.ndarray
    keypoints: np.ndarray
    boxes: np.ndarray
    segments: tuple[tuple[str, float, float], ...]

    def label_at(self, time_s: float) -> str:
        for label, start_s, end_s in self.segments:
            if start_s <= time_s < end_s:
                return label
        return self.segments[-1][0]

    def labels(self) -> list[str]:
        """The true label at every sample time."""
        return [self.label_at(float(t)) for t in self.times_s]


def _direction(flex_deg: float, abduct_deg: float = 0.0, side: float = 1.0) -> np.ndarray:
    """A limb's unit vector: hanging down, swung forward by ``flex_deg`` (sagittal) and out to its
    side by ``abduct_deg`` (frontal; 180 points straight up)."""
    f, a = math.radians(flex_deg), math.radians(abduct_deg)
    return np.array([math.sin(f) * math.cos(a), -math.cos(f) * math.cos(a), side * math.sin(a)])


@dataclass(frozen=True)
class _Limbs:
    """Joint angles (degrees) of one body pose: thighs and shins, upper arms and forearms as
    (flex, abduction) per side (left, right), torso lean forward, hip height and forward shift."""

    thighs: tuple[float, float] = (0.0, 0.0)
    shins: tuple[float, float] = (0.0, 0.0)
    upper_arms: tuple[tuple[float, float], tuple[float, float]] = ((4.0, 6.0), (4.0, 6.0))
    forearms: tuple[tuple[float, float], tuple[float, float]] = ((10.0, 4.0), (10.0, 4.0))
    lean_deg: float = 2.0
    hip_m: float = STANDING_HIP_M
    hip_x_m: float = 0.0


def _figure(limbs: _Limbs) -> np.ndarray:
    """17 COCO keypoints (X, Y, Z) in metres for one pose, feet origin on the ground."""
    points = np.zeros((17, 3))
    hip = np.array([limbs.hip_x_m, limbs.hip_m, 0.0])
    lean = math.radians(limbs.lean_deg)
    up = np.array([math.sin(lean), math.cos(lean), 0.0])
    forward = np.array([math.cos(lean), -math.sin(lean), 0.0])
    left = np.array([0.0, 0.0, 1.0])
    neck = hip + TORSO_M * up
    points[0] = neck + 0.20 * up + 0.09 * forward  # nose
    points[1], points[2] = (neck + 0.24 * up + 0.07 * forward + s * 0.035 * left for s in (1, -1))  # eyes
    points[3], points[4] = (neck + 0.22 * up - 0.02 * forward + s * 0.075 * left for s in (1, -1))  # ears
    for index, side in ((0, 1.0), (1, -1.0)):
        shoulder = neck + side * SHOULDER_HALF_M * left
        elbow = shoulder + UPPER_ARM_M * _direction(*limbs.upper_arms[index], side)
        wrist = elbow + FOREARM_M * _direction(*limbs.forearms[index], side)
        hip_joint = hip + side * HIP_HALF_M * left
        knee = hip_joint + THIGH_M * _direction(limbs.thighs[index])
        ankle = knee + SHIN_M * _direction(limbs.shins[index])
        points[5 + index], points[7 + index], points[9 + index] = shoulder, elbow, wrist
        points[11 + index], points[13 + index], points[15 + index] = hip_joint, knee, ankle
    return points


def _tipped(points: np.ndarray, angle_deg: float, pivot_x_m: float) -> np.ndarray:
    """The figure rotated forward by ``angle_deg`` about its feet (90: lying), kept above the ground."""
    g = math.radians(angle_deg)
    x, y = points[:, 0] - pivot_x_m, points[:, 1]
    tipped = points.copy()
    tipped[:, 0] = pivot_x_m + x * math.cos(g) + y * math.sin(g)
    tipped[:, 1] = -x * math.sin(g) + y * math.cos(g)
    tipped[:, 1] += max(0.0, 0.03 - tipped[:, 1].min())
    return tipped


@dataclass(frozen=True)
class _Gait:
    """A walk or a run: stride rate, thigh swing about its mean, knee flexion at rest and at the
    top of the swing, arm swing, elbow bend (forearm ahead of the upper arm), lean, hip height and bounce."""

    hz: float
    swing: float
    mean: float
    knee_rest: float
    knee_lift: float
    arm_swing: float
    elbow: float
    lean_deg: float
    hip_m: float
    bounce_m: float


WALK = _Gait(WALK_HZ, swing=22, mean=0, knee_rest=5, knee_lift=55, arm_swing=16, elbow=18, lean_deg=4, hip_m=0.93,
             bounce_m=0.025)  # fmt: skip
RUN = _Gait(RUN_HZ, swing=38, mean=12, knee_rest=25, knee_lift=85, arm_swing=35, elbow=90, lean_deg=10, hip_m=0.88,
            bounce_m=0.05)  # fmt: skip


def _striding(gait: _Gait, time_s: float) -> _Limbs:
    """Thighs swinging opposite each other, knees flexing in the swing, arms swinging against the legs."""
    phase = 2 * math.pi * gait.hz * time_s
    thighs, shins, arms = [], [], []
    for offset in (0.0, math.pi):
        thigh = gait.mean + gait.swing * math.sin(phase + offset)
        knee = gait.knee_rest + gait.knee_lift * max(0.0, math.cos(phase + offset + 0.3)) ** 1.5
        thighs.append(thigh)
        shins.append(thigh - knee)
        arms.append(-gait.arm_swing * math.sin(phase + offset))
    return _Limbs(
        thighs=(thighs[0], thighs[1]),
        shins=(shins[0], shins[1]),
        upper_arms=((arms[0], 6.0), (arms[1], 6.0)),
        forearms=((arms[0] + gait.elbow, 5.0), (arms[1] + gait.elbow, 5.0)),
        lean_deg=gait.lean_deg,
        hip_m=gait.hip_m + gait.bounce_m * math.cos(2 * phase),
    )


def _pose(motion: str, local_s: float, duration_s: float, time_s: float) -> np.ndarray:
    """The figure doing ``motion``, ``local_s`` into a step of ``duration_s``, at ``time_s`` on the clock."""
    if motion in ("standing", "waving", "hands raised"):
        sway = 0.01 * math.sin(2 * math.pi * 0.4 * time_s)
        limbs = _Limbs(thighs=(2.0, -2.0), shins=(0.0, -3.0), hip_x_m=sway)
        if motion == "waving":
            wave = 25 * math.sin(2 * math.pi * WAVE_HZ * time_s)
            limbs = _Limbs(thighs=(2.0, -2.0), shins=(0.0, -3.0), hip_x_m=sway, upper_arms=((4.0, 6.0), (0.0, 105.0)),
                           forearms=((10.0, 4.0), (0.0, 160.0 + wave)))  # fmt: skip
        elif motion == "hands raised":
            limbs = _Limbs(thighs=(2.0, -2.0), shins=(0.0, -3.0), hip_x_m=sway,
                           upper_arms=((0.0, 160.0), (0.0, 160.0)), forearms=((0.0, 172.0), (0.0, 172.0)))  # fmt: skip
        return _figure(limbs)
    if motion in ("walking", "running"):
        return _figure(_striding(WALK if motion == "walking" else RUN, time_s))
    if motion == "sitting":
        return _figure(_Limbs(thighs=(85.0, 85.0), shins=(0.0, 2.0), lean_deg=-5, hip_m=0.50,
                              upper_arms=((25.0, 8.0), (25.0, 8.0)), forearms=((80.0, 5.0), (80.0, 5.0))))  # fmt: skip
    if motion == "cycling":
        return _figure(_cyclist(time_s))
    if motion == "lying":
        return _tipped(_figure(_Limbs()), 90.0, 0.0)
    if motion == "falling":
        progress = min(1.0, local_s / duration_s)
        return _tipped(_figure(_Limbs(thighs=(2.0, -2.0))), 90.0 * progress**2, 0.0)
    raise InputError(f"expected a motion in {POSE_MOTIONS}, got {motion!r}")


def _cyclist(time_s: float) -> _Limbs:
    """Seated on a saddle (hips 0.95 m), leaning 40° to the bars, ankles circling the cranks."""
    hip = np.array([0.0, 0.95])
    crank = np.array([0.18, 0.30])
    thighs, shins = [], []
    for offset in (0.0, math.pi):
        phase = 2 * math.pi * PEDAL_HZ * time_s + offset
        ankle = crank + 0.17 * np.array([math.cos(phase), math.sin(phase)])
        reach = ankle - hip
        distance = min(float(np.linalg.norm(reach)), THIGH_M + SHIN_M - 1e-6)
        # the knee forward of the hip-ankle line: law of cosines at the hip
        at_hip = math.acos((THIGH_M**2 + distance**2 - SHIN_M**2) / (2 * THIGH_M * distance))
        toward = math.atan2(reach[0], -reach[1])  # hip->ankle angle from straight down, forward positive
        thigh = toward + at_hip
        knee = hip + THIGH_M * np.array([math.sin(thigh), -math.cos(thigh)])
        shin_vector = ankle - knee
        thighs.append(math.degrees(thigh))
        shins.append(math.degrees(math.atan2(shin_vector[0], -shin_vector[1])))
    return _Limbs(thighs=(thighs[0], thighs[1]), shins=(shins[0], shins[1]), lean_deg=40, hip_m=0.95,
                  upper_arms=((55.0, 8.0), (55.0, 8.0)), forearms=((80.0, 5.0), (80.0, 5.0)))  # fmt: skip


def _step_list(steps: Sequence[PoseStep | tuple[str, float]]) -> list[PoseStep]:
    made = [step if isinstance(step, PoseStep) else PoseStep(*step) for step in steps]
    if not made:
        raise InputError("expected at least one pose step, got none")
    return made


def make_pose_sequence(
    steps: Sequence[PoseStep | tuple[str, float]],
    fps: float,
    view: PoseView | None = None,
    blend_s: float = 0.3,
    start_s: float = 0.0,
) -> PoseSequence:
    """The figure doing ``steps`` one after another, sampled every ``1/fps`` seconds from ``start_s``.

    Each step after the first blends from the previous pose over its first ``blend_s`` seconds;
    the true boundary is in the middle of the blend. Forward speed blends the same way.
    """
    if not fps > 0:
        raise InputError(f"expected fps above 0, got {fps}")
    view = view or PoseView()
    made = _step_list(steps)
    starts = np.cumsum([0.0] + [step.duration_s for step in made])
    total_s = float(starts[-1])
    times = start_s + np.arange(math.floor(total_s * fps + 1e-9) + 1) / fps
    times = times[times <= start_s + total_s + 1e-9]
    clock = np.linspace(0.0, total_s, int(total_s * 200) + 1)  # a fine grid to integrate the forward speed on
    speeds = np.array([_speed_at(made, starts, blend_s, t) for t in clock])
    travelled = np.concatenate([[0.0], np.cumsum((speeds[1:] + speeds[:-1]) / 2 * np.diff(clock))])
    world = []
    for time_s in times:
        local = float(time_s - start_s)
        points = _blended_pose(made, starts, blend_s, local, float(time_s))
        points[:, 0] += float(np.interp(local, clock, travelled))
        world.append(points)
    keypoints, boxes = _project(np.stack(world), view)
    segments: list[tuple[str, float, float]] = []
    for index, step in enumerate(made):
        begin = float(starts[index]) + (blend_s / 2 if index else 0.0)
        end = float(starts[index + 1]) + (blend_s / 2 if index + 1 < len(made) else 0.0)
        label = MOTION_LABELS[step.motion]
        if segments and segments[-1][0] == label:
            segments[-1] = (label, segments[-1][1], start_s + end)
        else:
            segments.append((label, start_s + begin, start_s + end))
    return PoseSequence(times_s=times, keypoints=keypoints, boxes=boxes, segments=tuple(segments))


def _speed_at(steps: list[PoseStep], starts: np.ndarray, blend_s: float, local_s: float) -> float:
    index = min(int(np.searchsorted(starts, local_s, side="right")) - 1, len(steps) - 1)

    def speed(step: PoseStep) -> float:
        return step.speed_m_s if step.speed_m_s is not None else MOTION_SPEEDS_M_S.get(step.motion, 0.0)

    into = local_s - float(starts[index])
    if index == 0 or into >= blend_s:
        return speed(steps[index])
    weight = into / blend_s
    return (1 - weight) * speed(steps[index - 1]) + weight * speed(steps[index])


def _blended_pose(
    steps: list[PoseStep], starts: np.ndarray, blend_s: float, local_s: float, time_s: float
) -> np.ndarray:
    index = min(int(np.searchsorted(starts, local_s, side="right")) - 1, len(steps) - 1)
    step, into = steps[index], local_s - float(starts[index])
    pose = _pose(step.motion, into, step.duration_s, time_s)
    if index == 0 or into >= blend_s:
        return pose
    previous = steps[index - 1]
    before = _pose(previous.motion, previous.duration_s, previous.duration_s, time_s)
    weight = into / blend_s
    return (1 - weight) * before + weight * pose


def _project(world: np.ndarray, view: PoseView) -> tuple[np.ndarray, np.ndarray]:
    """Metres (T×17×3) -> pixels and scores (T×17×3) and boxes (T×4), with the view's flaws."""
    rng = np.random.default_rng(view.seed)
    yaw = math.radians(view.yaw_deg)
    x_m = world[..., 0] * math.cos(yaw) + world[..., 2] * math.sin(yaw)
    pixels = np.stack(
        [view.origin_px[0] + view.scale_px_per_m * x_m, view.origin_px[1] - view.scale_px_per_m * world[..., 1]], -1
    )
    if view.noise_px > 0:
        pixels = pixels + rng.normal(0.0, view.noise_px, pixels.shape)
    scores = rng.uniform(0.6, 0.95, pixels.shape[:2])
    lost = rng.random(scores.shape) < view.missing
    lost[:, list(view.hidden)] = True
    scores[lost] = rng.uniform(0.0, 0.2, int(lost.sum()))
    pixels[lost] += rng.normal(0.0, 0.3 * view.scale_px_per_m, (int(lost.sum()), 2))  # a lost point lands anywhere
    keypoints = np.concatenate([pixels, scores[..., None]], -1).astype(np.float32)
    boxes = np.zeros((len(world), 4), np.float32)
    pad = 0.1 * view.scale_px_per_m
    for row in range(len(world)):
        seen = pixels[row][~lost[row]]
        if len(seen) == 0:
            boxes[row] = boxes[row - 1] if row else 0.0
            continue
        boxes[row] = (*(seen.min(0) - pad), *(seen.max(0) + pad))
    return keypoints, boxes
