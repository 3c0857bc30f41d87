"""Body-normalised kinematics of one person's pose sequence, on the source clock.

Input, as a pose model gives it: ``times_s`` (T,), ``keypoints`` T×17×3 (x, y, score) and
``boxes`` T×4 (xyxy), all in source pixels. A keypoint scored under ``min_score`` is missing.

- :func:`frame_geometry`: per sample, angles and lengths that need no neighbours (body scale,
  torso angle from vertical, knee/hip/elbow angles, wrist height over the shoulders...);
- :func:`window_features`: per sample, :class:`PoseFeatures` over a window of SECONDS around it
  (speeds in body lengths per second, oscillation, spread), so the same movement gives the same
  numbers at 2, 5, 24, 30 or 60 samples a second;
- :func:`pose_feature_vector`: a whole sequence as one fixed-length vector (statistics over time
  of every window feature), the input of user-trained person-action classifiers.

Body scale is the torso (shoulder centre to hip centre), which turning and lying do not shorten;
for an upper-body person (hips unseen) it falls back to the shoulder width and the head's
height over the shoulders. Lengths and speeds are in these "body lengths" (about 0.5 m).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields

import numpy as np

from studio.core import InputError

__all__ = [
    "FEATURE_NAMES",
    "MIN_SCORE",
    "VECTOR_NAMES",
    "VECTOR_SIZE",
    "FrameGeometry",
    "PoseFeatures",
    "check_pose_sequence",
    "frame_geometry",
    "pose_feature_vector",
    "window_features",
]

MIN_SCORE = 0.3  # MoveNet scores under this are mostly guesses (occluded or off-frame joints)
POSTURE_WINDOW_S = 0.6  # posture (angles, heights) is the median over this long: noise out, boundaries kept
MOTION_WINDOW_S = 1.6  # oscillations (knees, ankles, wrists): about three strides of a walk
CHANGE_WINDOW_S = 1.0  # speeds, and how fast the torso tips: a fall takes 0.5-1 s
MIN_FREQUENCY_SAMPLES = 8  # an oscillation rate needs this many samples in its window...
MAX_RESOLVED_HZ_FRACTION = 0.4  # ...and is only given below 0.4 × the sampling rate (under Nyquist)
SHOULDER_TO_TORSO = 1.3  # shoulder width (0.38 m) × this ≈ torso length (0.5 m)
HEAD_TO_TORSO = 2.2  # ears (or nose and eyes) over the shoulder centre (0.22 m) × this ≈ torso length
FACE_TO_TORSO = 3.5  # the widest span of nose, eyes and ears (0.12-0.15 m) × this ≈ torso length

NOSE, L_EYE, R_EYE, L_EAR, R_EAR, L_SHOULDER, R_SHOULDER, L_ELBOW, R_ELBOW, L_WRIST, R_WRIST = (
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
)
L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE = 11, 12, 13, 14, 15, 16
FACE = (0, 1, 2, 3, 4)  # nose, eyes, ears


def check_pose_sequence(times_s: np.ndarray, keypoints: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, ...]:
    """The three arrays as float64, or an :class:`InputError` saying which one is wrong and how."""
    times = np.asarray(times_s, dtype=np.float64)
    points = np.asarray(keypoints, dtype=np.float64)
    xyxy = np.asarray(boxes, dtype=np.float64)
    if times.ndim != 1:
        raise InputError(f"expected times_s of shape (T,), got {times.shape}")
    if points.shape != (len(times), 17, 3):
        raise InputError(
            f"expected keypoints of shape ({len(times)}, 17, 3) for {len(times)} times, got {points.shape}"
        )
    if xyxy.shape != (len(times), 4):
        raise InputError(f"expected boxes of shape ({len(times)}, 4) for {len(times)} times, got {xyxy.shape}")
    if not np.isfinite(times).all():
        raise InputError("expected finite times_s, got NaN or infinity")
    if len(times) > 1 and (np.diff(times) <= 0).any():
        first = int(np.argmax(np.diff(times) <= 0))
        raise InputError(f"expected increasing times_s, got {times[first]} then {times[first + 1]}")
    return times, points, xyxy


def _angle_at(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Interior angle a-b-c at b in degrees (180: straight), NaN where a point is missing."""
    u, v = a - b, c - b
    cos = (u * v).sum(-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1) + 1e-9)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _from_vertical(vector: np.ndarray) -> np.ndarray:
    """Unsigned angle of an upward vector (image y grows downward) from vertical: 0 up, 90 flat."""
    return np.degrees(np.arctan2(np.abs(vector[..., 0]), -vector[..., 1]))


def _mean_of(xy: np.ndarray, *indices: int) -> np.ndarray:
    """The mean of some keypoints per frame, of whichever are present; NaN when none is."""
    with _quiet():
        return np.nanmean(xy[:, list(indices)], axis=1)


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence numpy's "mean of empty slice" warnings: all-missing windows are expected, NaN says so."""
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@dataclass(frozen=True)
class FrameGeometry:
    """Per-sample measurements (each (T,) or (T, 2) for left/right), NaN where the body parts are
    missing. Angles in degrees; lengths in body lengths (``scale_px``) unless named ``_px``."""

    scale_px: np.ndarray  # torso length, or its estimate from shoulders and head
    centre_px: np.ndarray  # (T, 2): hip centre, or shoulder centre where the hips are missing, or the face's
    anchor: np.ndarray  # (T,) int: what centre_px is: 0 hips, 1 shoulders, 2 face, 3 nothing seen
    torso_deg: np.ndarray  # hip->shoulder (or shoulder->nose) from vertical: 0 upright, 90 flat
    knee_deg: np.ndarray  # (T, 2) hip-knee-ankle; 180 straight
    hip_deg: np.ndarray  # (T, 2) shoulder-hip-knee; 180 straight, ~90 seated
    thigh_deg: np.ndarray  # (T, 2) hip->knee from straight down, signed by image x
    elbow_deg: np.ndarray  # (T, 2) shoulder-elbow-wrist
    wrist_raise: np.ndarray  # (T, 2) how far each wrist is over its shoulder (negative: below)
    wrist_x: np.ndarray  # (T, 2) each wrist's x from the shoulder centre
    ankle_gap: np.ndarray  # (T,) left ankle x minus right ankle x: swings with each stride
    leg_extent: np.ndarray  # (T,) the lower ankle's depth under the hips: ~1.75 standing, ~0.95 seated
    aspect: np.ndarray  # box width / height
    legs_seen: np.ndarray  # (T,) bool: a hip with its knee or ankle on some side
    seen: np.ndarray  # (T,) bool: at least three keypoints (a face)


def _scale_and_tilt(xy: np.ndarray, shoulders: np.ndarray, hips: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Body scale in pixels and torso angle from vertical per frame, from the best parts seen:
    the torso; else the shoulders and the ears (or face) over them; else the face alone (its span, and
    the nose-to-eyes direction, which points up in an upright head)."""
    ears, face_front, eyes = _mean_of(xy, L_EAR, R_EAR), _mean_of(xy, NOSE, L_EYE, R_EYE), _mean_of(xy, L_EYE, R_EYE)
    head = np.where(np.isfinite(ears), ears, face_front)  # the ears sit straight over the neck; the nose is ahead
    torso_px = np.linalg.norm(shoulders - hips, axis=-1)
    shoulder_px = np.linalg.norm(xy[:, L_SHOULDER] - xy[:, R_SHOULDER], axis=-1) * SHOULDER_TO_TORSO
    head_px = np.linalg.norm(head - shoulders, axis=-1) * HEAD_TO_TORSO
    face = xy[:, list(FACE)]
    with _quiet():
        face_px = np.nanmax(np.linalg.norm(face[:, :, None] - face[:, None, :], axis=-1), axis=(1, 2)) * FACE_TO_TORSO
        upper = np.nanmax(np.stack([shoulder_px, head_px]), axis=0)
    scale = np.where(np.isfinite(torso_px), torso_px, np.where(np.isfinite(upper), upper, face_px))
    scale = np.where(scale > 1.0, scale, np.nan)  # under a pixel: nothing to measure with
    tilt = np.where(np.isfinite(torso_px), _from_vertical(shoulders - hips), _from_vertical(head - shoulders))
    tilt = np.where(np.isfinite(tilt), tilt, _from_vertical(eyes - xy[:, NOSE]))
    return scale, tilt


def frame_geometry(
    times_s: np.ndarray, keypoints: np.ndarray, boxes: np.ndarray, min_score: float = MIN_SCORE
) -> FrameGeometry:
    """What each sample's pose shows on its own."""
    _, points, xyxy = check_pose_sequence(times_s, keypoints, boxes)
    present = (points[..., 2] >= min_score) & np.isfinite(points[..., :2]).all(-1)
    xy = np.where(present[..., None], points[..., :2], np.nan)
    shoulders, hips = _mean_of(xy, L_SHOULDER, R_SHOULDER), _mean_of(xy, L_HIP, R_HIP)
    scale, torso_deg = _scale_and_tilt(xy, shoulders, hips)
    anchors = np.stack([hips, shoulders, _mean_of(xy, *FACE)])  # the body centre, best first
    anchor = np.where(np.isfinite(anchors).all(-1), np.arange(3)[:, None], 3).min(0)
    centre = np.where((anchor < 3)[:, None], anchors[np.minimum(anchor, 2), np.arange(len(xy))], np.nan)
    on_hips = anchor == 0
    sides = (
        (L_SHOULDER, L_ELBOW, L_WRIST, L_HIP, L_KNEE, L_ANKLE),
        (R_SHOULDER, R_ELBOW, R_WRIST, R_HIP, R_KNEE, R_ANKLE),
    )
    knee, hip, thigh, elbow, raise_, wrist_x = (np.full((len(xy), 2), np.nan) for _ in range(6))
    for side, (sh, el, wr, hp, kn, an) in enumerate(sides):
        knee[:, side] = _angle_at(xy[:, hp], xy[:, kn], xy[:, an])
        hip[:, side] = _angle_at(xy[:, sh], xy[:, hp], xy[:, kn])
        down = xy[:, kn] - xy[:, hp]
        thigh[:, side] = np.degrees(np.arctan2(down[:, 0], down[:, 1]))
        elbow[:, side] = _angle_at(xy[:, sh], xy[:, el], xy[:, wr])
        raise_[:, side] = (xy[:, sh, 1] - xy[:, wr, 1]) / scale
        wrist_x[:, side] = (xy[:, wr, 0] - shoulders[:, 0]) / scale
    with _quiet():
        leg_extent = np.nanmax(xy[:, [L_ANKLE, R_ANKLE], 1], axis=1) - hips[:, 1]
    legs_seen = on_hips & (present[:, [L_KNEE, R_KNEE, L_ANKLE, R_ANKLE]].any(-1))
    width, height = xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]
    return FrameGeometry(
        scale_px=scale, centre_px=centre, anchor=anchor, torso_deg=torso_deg, knee_deg=knee, hip_deg=hip,
        thigh_deg=thigh, elbow_deg=elbow, wrist_raise=raise_, wrist_x=wrist_x,
        ankle_gap=(xy[:, L_ANKLE, 0] - xy[:, R_ANKLE, 0]) / scale, leg_extent=leg_extent / scale,
        aspect=np.where(height > 0, width / np.maximum(height, 1e-9), np.nan), legs_seen=legs_seen,
        seen=present.sum(-1) >= 3,
    )  # fmt: skip


@dataclass(frozen=True)
class PoseFeatures:
    """Per-sample features (each (T,)) over windows in seconds around each sample; NaN where the
    window holds too little of the body. Speeds in body lengths per second of the source clock."""

    speed: np.ndarray  # horizontal speed of the body centre
    drop_speed: np.ndarray  # downward speed of the body centre (negative: rising)
    torso_deg: np.ndarray  # median torso angle from vertical
    torso_rate: np.ndarray  # how fast the torso tips away from vertical, deg/s (negative: righting)
    knee_deg: np.ndarray  # mean knee angle (both legs)
    knee_spread: np.ndarray  # standard deviation of the knee angles: legs at work
    hip_deg: np.ndarray  # median hip angle
    thigh_forward: np.ndarray  # |median signed thigh angle| now: both thighs forward when seated (~80)
    thigh_swing: np.ndarray  # |mean signed thigh angle| over the motion window: alternating ~0, pedalling ~35-50
    elbow_deg: np.ndarray  # mean elbow angle: ~170 hanging, ~90 running
    wrist_raise: np.ndarray  # the higher wrist's height over its shoulder (median)
    wrist_sway: np.ndarray  # standard deviation of the wrists' x: waving
    leg_swing: np.ndarray  # standard deviation of the ankle gap: striding or pedalling
    leg_extent: np.ndarray  # median depth of the lower ankle under the hips
    oscillation_hz: np.ndarray  # stride (or pedal) rate from the ankle gap; NaN when the sampling cannot resolve it
    aspect: np.ndarray  # median box width / height
    legs_seen: np.ndarray  # fraction of samples in the window with legs
    seen: np.ndarray  # fraction of samples in the window with a body


FEATURE_NAMES = tuple(f.name for f in fields(PoseFeatures))
VECTOR_STATS = ("mean", "std", "min", "max")
VECTOR_NAMES = (*(f"{name}_{stat}" for name in FEATURE_NAMES for stat in VECTOR_STATS), "duration_s", "samples")
VECTOR_SIZE = len(VECTOR_NAMES)


def _window(times: np.ndarray, width_s: float) -> tuple[np.ndarray, np.ndarray]:
    """For each sample, the index range [lo, hi) of the samples within ``width_s / 2`` of it."""
    half = width_s / 2 + 1e-6
    return np.searchsorted(times, times - half, "left"), np.searchsorted(times, times + half, "right")


def _slope(times: np.ndarray, values: np.ndarray) -> float:
    """Least-squares rate of change per second of ``values`` (NaN-free samples), NaN when under two."""
    keep = np.isfinite(values)
    if keep.sum() < 2:
        return np.nan
    t, v = times[keep], values[keep]
    spread = ((t - t.mean()) ** 2).sum()
    if spread < 0.05**2:  # samples closer than 50 ms together say nothing about speed
        return np.nan
    return float(((t - t.mean()) * (v - v.mean())).sum() / spread)


def _frequency_hz(times: np.ndarray, values: np.ndarray) -> float:
    """Oscillation rate from zero crossings of the mean-removed signal, NaN unless well sampled."""
    keep = np.isfinite(values)
    t, v = times[keep], values[keep]
    if len(t) < MIN_FREQUENCY_SAMPLES:
        return np.nan
    rate_hz = 1.0 / float(np.median(np.diff(t)))
    v = v - v.mean()
    if v.std() < 0.15:  # no oscillation worth the name (body lengths): keypoint jitter only
        return 0.0
    signs = np.sign(v[np.abs(v) > 1e-9])
    crossings = int((signs[1:] != signs[:-1]).sum())
    hz = crossings / (2 * float(t[-1] - t[0]))
    return hz if hz <= MAX_RESOLVED_HZ_FRACTION * rate_hz else np.nan


def _stat(values: np.ndarray, how: str) -> float:
    with _quiet():
        if not np.isfinite(values).any():
            return np.nan
        if how == "median":
            return float(np.nanmedian(values))
        return float(np.nanmean(values) if how == "mean" else np.nanstd(values))


def window_features(
    times_s: np.ndarray, keypoints: np.ndarray, boxes: np.ndarray, min_score: float = MIN_SCORE
) -> PoseFeatures:
    """:class:`PoseFeatures` at every sample: posture over ``POSTURE_WINDOW_S``, oscillations over
    ``MOTION_WINDOW_S``, speeds and tipping over ``CHANGE_WINDOW_S``, each centred on the sample."""
    times, _, _ = check_pose_sequence(times_s, keypoints, boxes)
    g = frame_geometry(times, keypoints, boxes, min_score)
    posture, motion, change = (
        _window(times, POSTURE_WINDOW_S),
        _window(times, MOTION_WINDOW_S),
        _window(times, CHANGE_WINDOW_S),
    )
    out: dict[str, list[float]] = {name: [] for name in FEATURE_NAMES}
    for i in range(len(times)):
        p, m, c = (
            slice(posture[0][i], posture[1][i]),
            slice(motion[0][i], motion[1][i]),
            slice(change[0][i], change[1][i]),
        )
        scale = _stat(g.scale_px[m], "median")
        anchor = np.bincount(g.anchor[c], minlength=4)[:3].argmax()  # one centre (hips, shoulders or face) per window
        centre = np.where((g.anchor[c] == anchor)[:, None], g.centre_px[c], np.nan) / scale
        raised_side = int(np.nanargmax([_stat(g.wrist_raise[p, 0], "median"), _stat(g.wrist_raise[p, 1], "median")])) \
            if np.isfinite(g.wrist_raise[p]).any() else 0  # fmt: skip
        values = {
            "speed": abs(_slope(times[c], centre[:, 0])),
            "drop_speed": _slope(times[c], centre[:, 1]),
            "torso_deg": _stat(g.torso_deg[p], "median"),
            "torso_rate": _slope(times[c], g.torso_deg[c]),
            "knee_deg": _stat(g.knee_deg[m], "mean"),
            "knee_spread": _stat(g.knee_deg[m], "std"),
            "hip_deg": _stat(g.hip_deg[p], "median"),
            "thigh_forward": abs(_stat(g.thigh_deg[p], "median")),
            "thigh_swing": abs(_stat(g.thigh_deg[m], "mean")),
            "elbow_deg": _stat(g.elbow_deg[m], "mean"),
            "wrist_raise": _stat(g.wrist_raise[p, raised_side], "median"),
            "wrist_sway": _stat(g.wrist_x[m, raised_side], "std"),
            "leg_swing": _stat(g.ankle_gap[m], "std"),
            "leg_extent": _stat(g.leg_extent[p], "median"),
            "oscillation_hz": _frequency_hz(times[m], g.ankle_gap[m]),
            "aspect": _stat(g.aspect[p], "median"),
            "legs_seen": float(g.legs_seen[p].mean()),
            "seen": float(g.seen[m].mean()),
        }
        for name, value in values.items():
            out[name].append(value)
    return PoseFeatures(**{name: np.asarray(column, dtype=np.float64) for name, column in out.items()})


def pose_feature_vector(
    times_s: np.ndarray, keypoints: np.ndarray, boxes: np.ndarray, min_score: float = MIN_SCORE
) -> np.ndarray:
    """One person's whole sequence as a fixed-length float32 vector of :data:`VECTOR_SIZE`.

    For every window feature (:data:`FEATURE_NAMES`), its mean, standard deviation, minimum and
    maximum over the sequence (:data:`VECTOR_NAMES` names each entry), then the duration in seconds
    and the number of samples. A feature never measured (e.g. knees of an upper-body person) is 0;
    the ``legs_seen`` and ``seen`` statistics say how much was measured. The vector is the same
    for the same movement sampled at any rate that resolves it (all speeds are per second).
    """
    times, _, _ = check_pose_sequence(times_s, keypoints, boxes)
    if len(times) == 0:
        raise InputError("expected at least one pose sample, got none")
    features = window_features(times, keypoints, boxes, min_score)
    entries: list[float] = []
    for name in FEATURE_NAMES:
        column = getattr(features, name)
        with _quiet():
            entries += [np.nanmean(column), np.nanstd(column), np.nanmin(column), np.nanmax(column)]
    entries += [float(times[-1] - times[0]), float(len(times))]
    return np.nan_to_num(np.asarray(entries, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
