"""Sliding clip windows for clip action models, chosen by timestamp, and their labels as segments.

A :class:`~studio.vision.contracts.ClipActionModel` was trained on ``clip_frames`` frames sampled
at ``clip_fps``. Whatever the source rate (24, 29.97, 60 fps, or variable), a window starting at
``start_s`` wants the frames nearest to ``start_s + k / clip_fps`` for ``k < clip_frames``; picking
"every Nth frame" instead would change the model's notion of speed with the source rate.

- :class:`ClipPlan` says where windows start (every ``hop_s`` from the first frame) and which times
  they want.
- :class:`ClipCollector` is pushed every decoded frame as ``(time_s, picture_getter)`` and yields each
  :class:`Clip` as soon as its last frame is known, so the pipeline holds at most the frames of the
  windows still open (one window's worth when ``hop_s`` is at least the window span; overlapping
  windows share the frames they have in common). A frame may serve several windows; its picture is
  fetched once, during its own push, and only if a window takes it or may take it.
- At the end of the video, a window is **padded** (its frames past the end repeat its last frame, as
  VideoMAE's own loader pads short videos) when at least ``min_fill`` of its target times fall inside
  the video, and **dropped** otherwise. The first window is always kept, so a video shorter than one
  clip still gets a label.
- :func:`actions_from_clips` turns each clip's best label into :class:`~studio.core.Action` segments
  (``track_id`` ``None``: the clip's own action) with :func:`studio.vision.action_segments.segments_from_labels`,
  so clip and pose actions are smoothed and merged the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from studio.core import Action, InputError
from studio.vision.action_segments import MIN_DURATION_S, SMOOTH_S, segments_from_labels
from studio.vision.contracts import Scored

__all__ = ["LOOKAHEAD", "MIN_FILL", "Clip", "ClipCollector", "ClipPlan", "actions_from_clips"]

MIN_FILL = 0.5  # a last window at least half inside the video is padded, a shorter one dropped
# a frame is nearest to a target up to half the interval after it; 0.75 of the longest recent interval
# keeps that true when the next interval is up to 1.5 times as long, and over-fetches a quarter of them
LOOKAHEAD = 0.75

PictureGetter = Callable[[], np.ndarray]


@dataclass(frozen=True)
class ClipPlan:
    """Where clip windows go: ``clip_frames`` frames ``1 / clip_fps`` apart, a window every ``hop_s``."""

    clip_frames: int
    clip_fps: float
    hop_s: float
    min_fill: float = MIN_FILL

    def __post_init__(self) -> None:
        if self.clip_frames < 1:
            raise InputError(f"expected at least 1 frame per clip, got {self.clip_frames}")
        if not (np.isfinite(self.clip_fps) and self.clip_fps > 0):
            raise InputError(f"expected a clip rate above 0 fps, got {self.clip_fps}")
        if not (np.isfinite(self.hop_s) and self.hop_s > 0):
            raise InputError(f"expected a window hop above 0 s, got {self.hop_s}")
        if not 0 < self.min_fill <= 1:
            raise InputError(f"expected min_fill in (0, 1], got {self.min_fill}")

    @property
    def span_s(self) -> float:
        """How long one window lasts: each of its frames stands for ``1 / clip_fps`` seconds."""
        return self.clip_frames / self.clip_fps

    def targets_s(self, start_s: float) -> np.ndarray:
        """The times a window starting at ``start_s`` wants frames at."""
        return start_s + np.arange(self.clip_frames) / self.clip_fps


@dataclass(frozen=True)
class Clip:
    """One window's frames, ready for ``classify_clips``. ``start_s``/``end_s`` are the time it stands
    for (``end_s`` cut at the end of the video when padded); ``frame_times_s`` the times of the frames
    chosen, one per target (a repeated time where a frame serves twice or pads the end)."""

    index: int
    start_s: float
    end_s: float
    frame_times_s: tuple[float, ...]
    frames: tuple[np.ndarray, ...] = field(repr=False)
    padded: int = 0  # how many frames at the end repeat the frame before them (the window ran past the video)

    @property
    def centre_s(self) -> float:
        return (self.start_s + self.end_s) / 2

    def array(self) -> np.ndarray:
        """The frames as one T×H×W×3 array (what a ClipActionModel takes)."""
        return np.stack(self.frames)


@dataclass
class _Frame:
    time_s: float
    getter: PictureGetter
    picture: np.ndarray | None = None

    def get(self) -> np.ndarray:
        if self.picture is None:
            self.picture = self.getter()
        return self.picture


@dataclass
class _OpenWindow:
    index: int
    start_s: float
    targets_s: np.ndarray
    chosen: list[_Frame] = field(default_factory=list)

    @property
    def next_target_s(self) -> float:
        return float(self.targets_s[len(self.chosen)])

    @property
    def complete(self) -> bool:
        return len(self.chosen) == len(self.targets_s)


class ClipCollector:
    """Frames in, :class:`Clip` s out: push every decoded frame in time order, then :meth:`finish`.

    ``picture_getter`` returns the frame's RGB picture. It is called at most once, and only during
    the :meth:`push` that brings it (a decoder may reuse its buffers after that): for a frame a
    window takes now, or one that a window's next target may still take when the next frame shows
    it is nearer (its target is less than ``LOOKAHEAD`` of the longest recent frame interval away).
    Should a longer gap follow, the target takes the nearer of the next frame and the latest frame
    whose picture was kept. The collector keeps those frames and the open windows' frames.
    """

    def __init__(self, plan: ClipPlan) -> None:
        self.plan = plan
        self._open: list[_OpenWindow] = []
        self._previous: _Frame | None = None
        self._kept: _Frame | None = None  # the latest frame whose picture was fetched
        self._first_s: float | None = None
        self._next_index = 0
        self._intervals: list[float] = []  # the last few frame intervals: lookahead and the video's end
        self._finished = False

    def push(self, time_s: float, picture_getter: PictureGetter) -> list[Clip]:
        """Add the frame shown at ``time_s``; returns the clips it completed (often none)."""
        if self._finished:
            raise InputError("this clip collector has finished; start a new one for another video")
        if not np.isfinite(time_s):
            raise InputError(f"expected a finite frame time, got {time_s}")
        previous = self._previous
        if previous is not None and time_s <= previous.time_s:
            raise InputError(f"expected increasing frame times, got {time_s:.4f} s after {previous.time_s:.4f} s")
        frame = _Frame(float(time_s), picture_getter)
        first_s = self._first_s = frame.time_s if self._first_s is None else self._first_s
        if previous is not None:
            self._intervals = [*self._intervals[-7:], frame.time_s - previous.time_s]
        self._open_windows_until(first_s, frame.time_s)
        kept = self._kept
        for window in self._open:
            while not window.complete and window.next_target_s <= frame.time_s:
                target = window.next_target_s
                before = previous if previous is not None and previous.picture is not None else kept
                nearer_before = before is not None and target - before.time_s <= frame.time_s - target
                window.chosen.append(before if before is not None and nearer_before else frame)
        if any(window.chosen and window.chosen[-1] is frame for window in self._open) or self._may_want(frame, first_s):
            frame.get()
            self._kept = frame
        frame.getter = _spent
        self._previous = frame
        return self._take_complete()

    def finish(self) -> list[Clip]:
        """The windows still open at the end of the video: padded or dropped (see the module docstring)."""
        self._finished = True
        last = self._previous
        if last is None:
            return []
        interval = float(np.median(self._intervals)) if self._intervals else 1 / self.plan.clip_fps
        video_end_s = last.time_s + interval
        clips = []
        for window in self._open:
            inside = int(np.sum(window.targets_s <= last.time_s + interval / 2))  # the last frame is truly nearest
            if window.index > 0 and inside < self.plan.min_fill * self.plan.clip_frames:
                continue
            padded = 0
            while not window.complete:  # every open window has taken a frame already: its start's
                nearest_is_last = window.next_target_s <= last.time_s + interval / 2 and last.picture is not None
                padded += not nearest_is_last
                window.chosen.append(last if nearest_is_last else window.chosen[-1])
            end_s = min(window.start_s + self.plan.span_s, video_end_s)
            clips.append(self._clip(window, end_s, padded))
        self._open = []
        return clips

    def _may_want(self, frame: _Frame, first_s: float) -> bool:
        """Whether the next target after ``frame`` is near enough that the next frame may leave it nearest."""
        if not self._intervals:
            return True  # the first frame: no interval to judge by, and one picture is cheap
        upcoming = [w.next_target_s for w in self._open if not w.complete]
        upcoming.append(first_s + self._next_index * self.plan.hop_s)  # the next window's first target
        return min(upcoming) - frame.time_s <= LOOKAHEAD * max(self._intervals)

    def _open_windows_until(self, first_s: float, time_s: float) -> None:
        """Open every window that starts by ``time_s`` (windows start every hop from ``first_s``)."""
        while True:
            start_s = first_s + self._next_index * self.plan.hop_s
            if start_s > time_s:
                return
            self._open.append(_OpenWindow(self._next_index, start_s, self.plan.targets_s(start_s)))
            self._next_index += 1

    def _take_complete(self) -> list[Clip]:
        done = [w for w in self._open if w.complete]
        self._open = [w for w in self._open if not w.complete]
        return [self._clip(w, w.start_s + self.plan.span_s, 0) for w in done]

    @staticmethod
    def _clip(window: _OpenWindow, end_s: float, padded: int) -> Clip:
        frames = tuple(f.get() for f in window.chosen)
        times = tuple(f.time_s for f in window.chosen)
        return Clip(window.index, window.start_s, end_s, times, frames, padded)

    def iter_clips(self, frames: Iterator[tuple[float, PictureGetter]]) -> Iterator[Clip]:
        """Every clip of a stream of ``(time_s, picture_getter)``, including the end's."""
        for time_s, getter in frames:
            yield from self.push(time_s, getter)
        yield from self.finish()


def _spent() -> np.ndarray:
    raise RuntimeError("a frame's picture was asked for after its push; the collector must fetch it then")


def actions_from_clips(
    clips: Sequence[Clip],
    scored: Sequence[Scored],
    model: str,
    min_score: float = 0.0,
    smooth_s: float = SMOOTH_S,
    min_duration_s: float | Mapping[str, float] = MIN_DURATION_S,
    video_end_s: float | None = None,
) -> list[Action]:
    """The clip-level action segments of each clip's best label (below ``min_score``: no action).

    Each clip's label stands at its centre time, with the first clip's also at its start and the
    last clip's at its end, so segments reach the edges of the windows rather than stopping at
    their centres; the clips tile the video, so no gap splits them. A window that ends within
    a clip period of the video's end is not padded and may end up to that period past the last
    frame: ``video_end_s`` (the video's duration) cuts the last segment there."""
    if len(clips) != len(scored):
        raise InputError(f"expected one list of labels per clip, got {len(scored)} for {len(clips)} clips")
    if not clips:
        return []
    best = [(s[0][0], float(s[0][1])) if s and s[0][1] >= min_score else ("", 0.0) for s in scored]
    last_end_s = clips[-1].end_s if video_end_s is None else min(clips[-1].end_s, video_end_s)
    if last_end_s <= clips[-1].centre_s:
        raise InputError(f"expected the video to end after its last clip's middle, got {video_end_s} s")
    times = [clips[0].start_s, *(c.centre_s for c in clips), last_end_s]
    labels = [best[0], *best, best[-1]]
    return segments_from_labels(
        times, labels, model, None, smooth_s=smooth_s, min_duration_s=min_duration_s, max_gap_s=float("inf")
    )
