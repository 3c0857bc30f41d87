"""Shots from transitions, and the logic shot models share (no model here, no decoding).

- :class:`TransitionFinder` turns a network's per-frame probabilities (a single-frame "a
  shot ends here" head and a "this frame is inside a transition" head, as TransNetV2 has),
  streamed frame by frame, into :class:`~studio.vision.contracts.Transition` s: cuts, and
  gradual transitions told apart as ``fade`` (through near-black) or ``dissolve``;
- :func:`merge_transitions` drops the cuts a second detector found inside a gradual one;
- :func:`shots_from_transitions` lays the shots of a video between its transitions;
- :func:`split_tracks_at_shots` ends every track at a shot boundary: nobody in the new shot
  is anybody from the last one.

All times are real frame times in seconds on the source clock.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

from studio.core import InputError, Shot, Track, TrackPoint
from studio.vision.contracts import Transition

__all__ = [
    "TransitionFinder",
    "TransitionRule",
    "merge_transitions",
    "shots_from_transitions",
    "split_tracks_at_shots",
]


@dataclass(frozen=True)
class TransitionRule:
    """How per-frame probabilities become transitions."""

    cut_threshold: float = 0.5  # TransNetV2's own threshold on the single-frame head
    span_threshold: float = 0.5  # a frame is inside a transition when the span head is over this
    # a span of this many frames or more is gradual; TransNetV2 marks a cut with one or two
    gradual_min_frames: int = 3
    # mean thumbnail brightness (0-255) at or under which a frame is near-black: a gradual
    # transition that dips this low, and under half the brightness on either side, is a fade
    black_level: float = 24.0

    def __post_init__(self) -> None:
        for name in ("cut_threshold", "span_threshold"):
            if not 0 < getattr(self, name) < 1:
                raise InputError(f"expected {name} between 0 and 1, got {getattr(self, name)}")
        if self.gradual_min_frames < 2:
            raise InputError(f"expected gradual_min_frames >= 2, got {self.gradual_min_frames}")
        if not 0 <= self.black_level < 255:
            raise InputError(f"expected black_level in 0-255, got {self.black_level}")


@dataclass
class _Region:
    """Frames in a row where either head fired: one transition, or noise."""

    before_brightness: float | None  # the frame before the region
    peak_p: float = 0.0
    peak_next_s: float | None = None  # the frame after the single-frame peak: the new shot's first
    peak_is_last: bool = False  # the peak is the latest frame, so its next frame is still to come
    span_frames: int = 0
    span_p_sum: float = 0.0
    span_first_s: float | None = None
    span_next_s: float | None = None  # the frame after the last frame inside the span
    span_is_last: bool = False
    min_brightness: float = 255.0


@dataclass
class TransitionFinder:
    """Streams frames' probabilities in, transitions out, holding one open region at most.

    ``push(time_s, cut_p, span_p, brightness)`` per frame in order; each call returns the
    transitions that frame closed, :meth:`finish` those still open (a transition the video
    ends inside has no new shot and is dropped). A cut's time is the frame after the
    single-frame peak (TransNetV2 marks the last frame of the old shot); a gradual one spans
    its first frame inside the span to the first frame after it."""

    rule: TransitionRule = field(default_factory=TransitionRule)
    _region: _Region | None = None
    _last_brightness: float | None = None

    def push(self, time_s: float, cut_p: float, span_p: float, brightness: float) -> list[Transition]:
        rule, region = self.rule, self._region
        if region is not None:  # this frame is the one after the region's latest frame
            if region.peak_is_last:
                region.peak_next_s, region.peak_is_last = time_s, False
            if region.span_is_last:
                region.span_next_s, region.span_is_last = time_s, False
        # near-black frames inside an open transition are part of it: a fade's black middle,
        # where the span head may dip, must not split it into a fade-out and a fade-in
        in_span = span_p > rule.span_threshold or (region is not None and self._is_black(region, brightness))
        firing = cut_p > rule.cut_threshold or in_span
        closed: list[Transition] = []
        if not firing:
            if region is not None:
                closed = self._close(region, brightness)
                self._region = None
            self._last_brightness = brightness
            return closed
        if region is None:
            region = self._region = _Region(before_brightness=self._last_brightness)
        if cut_p > region.peak_p:
            region.peak_p, region.peak_is_last, region.peak_next_s = cut_p, True, None
        if in_span:
            region.span_frames += 1
            region.span_p_sum += span_p
            if region.span_first_s is None:
                region.span_first_s = time_s
            region.span_is_last, region.span_next_s = True, None
        region.min_brightness = min(region.min_brightness, brightness)
        self._last_brightness = brightness
        return closed

    def finish(self) -> list[Transition]:
        self._region = None  # open to the end: no frame of a new shot follows
        return []

    def _is_black(self, region: _Region, brightness: float) -> bool:
        """Near-black, and darker than half the frame before the region (so a dim scene is not)."""
        before = region.before_brightness
        return brightness <= self.rule.black_level and (before is None or brightness < before / 2)

    def _close(self, region: _Region, after_brightness: float) -> list[Transition]:
        rule = self.rule
        if region.span_frames >= rule.gradual_min_frames and region.span_first_s is not None:
            assert region.span_next_s is not None
            score = max(region.peak_p, region.span_p_sum / region.span_frames)
            sides = [b for b in (region.before_brightness, after_brightness) if b is not None]
            dark = region.min_brightness <= rule.black_level and all(region.min_brightness < b / 2 for b in sides)
            kind = "fade" if dark else "dissolve"
            return [Transition(kind, region.span_first_s, region.span_next_s, round(score, 4))]
        if region.peak_p > rule.cut_threshold and region.peak_next_s is not None:
            return [Transition("cut", region.peak_next_s, region.peak_next_s, round(region.peak_p, 4))]
        return []


def merge_transitions(transitions: Sequence[Transition], margin_s: float = 0.0) -> list[Transition]:
    """``transitions`` in time order, without the cuts that fall inside a gradual one (widened
    by ``margin_s`` each side): two detectors saw one transition, and the gradual one says more."""
    gradual = [t for t in transitions if t.kind != "cut"]
    kept = [
        t
        for t in transitions
        if t.kind != "cut" or not any(g.start_s - margin_s <= t.end_s <= g.end_s + margin_s for g in gradual)
    ]
    return sorted(kept, key=lambda t: (t.end_s, t.start_s))


def shots_from_transitions(transitions: Sequence[Transition], first_s: float, end_s: float) -> tuple[Shot, ...]:
    """The shots of a video whose first frame is at ``first_s`` and which ends at ``end_s``
    (the end of its last frame): each transition starts a shot at its ``end_s`` (the new shot's
    first frame), how it began recorded as ``transition`` and ``transition_start_s``.
    Transitions outside the video, or starting no new frame, are left out."""
    if not end_s > first_s:
        raise InputError(f"expected a video that ends after its first frame, got first_s={first_s}, end_s={end_s}")
    shots: list[Shot] = []
    start_s, kind, began_s = first_s, "start", None
    for transition in sorted(transitions, key=lambda t: t.end_s):
        if not start_s < transition.end_s < end_s:
            continue
        shots.append(Shot(len(shots), start_s, transition.end_s, kind, began_s))
        start_s, kind = transition.end_s, transition.kind
        began_s = max(transition.start_s, shots[-1].start_s)  # a transition never reaches into the shot before
    shots.append(Shot(len(shots), start_s, end_s, kind, began_s))
    return tuple(shots)


def split_tracks_at_shots(tracks: Sequence[Track], shots: Sequence[Shot], min_points: int = 2) -> list[Track]:
    """``tracks`` cut at every shot boundary they cross: a point at or after a shot's start
    belongs to that shot. Parts with fewer than ``min_points`` points are dropped; the first
    part kept keeps the track's id, each later part gets a fresh id above every existing one
    (given in the order of ``tracks``, then time). Order: as given, parts in time order."""
    if min_points < 1:
        raise InputError(f"expected min_points >= 1, got {min_points}")
    boundaries = sorted(shot.start_s for shot in shots if shot.index > 0)
    next_id = max((track.id for track in tracks), default=-1) + 1
    result: list[Track] = []
    for track in tracks:
        parts: dict[int, list[TrackPoint]] = {}
        for point in track.points:
            parts.setdefault(bisect.bisect_right(boundaries, point.time_s), []).append(point)
        kept = [points for _, points in sorted(parts.items()) if len(points) >= min_points]
        for number, points in enumerate(kept):
            if number == 0:
                identity = track.id
            else:
                identity, next_id = next_id, next_id + 1
            result.append(Track(identity, track.label, tuple(points)))
    return result
