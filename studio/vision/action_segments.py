"""Per-time labels -> :class:`~studio.core.Action` segments, smoothed in seconds.

A pose-action model labels a person at each sampled time, a clip model each clip at its centre
time; either way the labels come as ``(label, score)`` pairs at increasing times, ``""`` meaning
"no action here". :func:`segments_from_labels` turns them into segments whose boundaries and
smoothing do not depend on the sampling rate:

1. each sample stands for the time from halfway after the previous sample to halfway before the
   next (the first from its own time, the last to its own time); a gap longer than ``max_gap_s``
   ends one run of samples and starts another;
2. a majority filter by time: each sample takes the label that covers most of the ``smooth_s``
   seconds around it (its own on a tie);
3. runs of one label become segments, and a segment shorter than its label's minimum duration
   is merged into its longer neighbour, shortest first;
4. a segment's score is the time-weighted mean of the scores of the samples that gave its label
   (samples the smoothing relabelled count as 0), so smoothing shows as lower confidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise

import numpy as np

from studio.core import Action, InputError

__all__ = ["MAX_GAP_S", "MIN_DURATION_S", "SMOOTH_S", "segments_from_labels"]

SMOOTH_S = 1.0  # majority window: longer than a flicker, shorter than a fall
DEFAULT_MIN_DURATION_S = 0.75  # drops one-sample flickers at 2 fps (a sample there stands for 0.5 s)
MIN_DURATION_S: Mapping[str, float] = {"falling": 0.25}  # a fall is short by nature; others: the default
MAX_GAP_S = 1.5  # a person unseen for longer starts a new run of segments


def _owned(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each sample's interval [start, end): halfway to its neighbours, the ends at the run's ends."""
    middles = (times[1:] + times[:-1]) / 2
    return np.concatenate([times[:1], middles]), np.concatenate([middles, times[-1:]])


def _smoothed(labels: list[str], starts: np.ndarray, ends: np.ndarray, times: np.ndarray, smooth_s: float) -> list[str]:
    if smooth_s <= 0:
        return list(labels)
    result = []
    for i, time_s in enumerate(times):
        low, high = time_s - smooth_s / 2, time_s + smooth_s / 2
        cover = np.clip(np.minimum(ends, high) - np.maximum(starts, low), 0.0, None)
        totals: dict[str, float] = {}
        for label, seconds in zip(labels, cover, strict=True):
            totals[label] = totals.get(label, 0.0) + float(seconds)
        best = max(totals.values())
        result.append(labels[i] if totals.get(labels[i], 0.0) >= best - 1e-9 else max(totals, key=lambda k: totals[k]))
    return result


def _runs(labels: list[str], starts: np.ndarray, ends: np.ndarray) -> list[list]:
    """[label, start_s, end_s, first index, last index + 1] per run of one label."""
    runs: list[list] = []
    for i, label in enumerate(labels):
        if runs and runs[-1][0] == label:
            runs[-1][2], runs[-1][4] = float(ends[i]), i + 1
        else:
            runs.append([label, float(starts[i]), float(ends[i]), i, i + 1])
    return runs


def _merge_short(runs: list[list], min_duration: Mapping[str, float], default_s: float) -> list[list]:
    while len(runs) > 1:
        short = [(r[2] - r[1], k) for k, r in enumerate(runs) if r[2] - r[1] < min_duration.get(r[0], default_s) - 1e-9]
        if not short:
            break
        _, k = min(short)
        neighbours = [j for j in (k - 1, k + 1) if 0 <= j < len(runs)]
        into = max(neighbours, key=lambda j: runs[j][2] - runs[j][1])
        first, second = sorted((k, into))
        runs[first : second + 1] = [[runs[into][0], runs[first][1], runs[second][2], runs[first][3], runs[second][4]]]
        runs = _joined(runs)  # the merge may have met a run of the same label on either side
    return runs


def _joined(runs: list[list]) -> list[list]:
    """Neighbouring runs of one label as one run."""
    joined: list[list] = []
    for run in runs:
        if joined and joined[-1][0] == run[0]:
            joined[-1] = [run[0], joined[-1][1], run[2], joined[-1][3], run[4]]
        else:
            joined.append(list(run))
    return joined


def segments_from_labels(
    times_s: np.ndarray | Sequence[float],
    labels: Sequence[tuple[str, float]],
    model: str,
    track_id: int | None = None,
    smooth_s: float = SMOOTH_S,
    min_duration_s: float | Mapping[str, float] = MIN_DURATION_S,
    max_gap_s: float = MAX_GAP_S,
) -> list[Action]:
    """Segments of the labels at ``times_s`` (see the module docstring), by ``model``, of ``track_id``
    (``None``: the clip's). ``min_duration_s`` is one number, or per label (others: 0.75 s)."""
    times = np.asarray(times_s, dtype=np.float64)
    if times.ndim != 1 or len(times) != len(labels):
        raise InputError(f"expected one (label, score) per time, got {len(labels)} labels for {times.shape} times")
    if len(times) > 1 and (np.diff(times) <= 0).any():
        raise InputError("expected increasing times for the action labels, got a time that repeats or goes back")
    if not np.isfinite(times).all():
        raise InputError("expected finite times for the action labels, got NaN or infinity")
    minimum = min_duration_s if isinstance(min_duration_s, Mapping) else {}
    default_s = float(min_duration_s) if not isinstance(min_duration_s, Mapping) else DEFAULT_MIN_DURATION_S
    names = [str(label) for label, _ in labels]
    scores = np.array([float(score) for _, score in labels], dtype=np.float64)
    breaks = [0] + [i + 1 for i in np.flatnonzero(np.diff(times) > max_gap_s)] + [len(times)]
    actions: list[Action] = []
    for lo, hi in pairwise(breaks):
        run_times = times[lo:hi]
        starts, ends = _owned(run_times)
        smoothed = _smoothed(names[lo:hi], starts, ends, run_times, smooth_s)
        for label, start_s, end_s, first, last in _merge_short(_runs(smoothed, starts, ends), minimum, default_s):
            if not label or end_s <= start_s:
                continue
            weights = (ends - starts)[first:last]
            agree = np.array([names[lo + i] == label for i in range(first, last)])
            score = float((weights * scores[lo + first : lo + last] * agree).sum() / max(weights.sum(), 1e-9))
            score = round(min(max(score, 0.0), 1.0), 4)
            actions.append(Action(label, round(start_s, 4), round(end_s, 4), score, model, track_id))
    return actions
