"""Motion energy from dense optical flow, and the events it implies.

Flow is OpenCV's DIS (no weights) between consecutive sampled frames, on a small grey copy
(``width`` px). Energy is the mean flow speed in *frame widths per second*, so the numbers
do not depend on resolution or on the analysis FPS. A ``rows × cols`` grid gives energy per
region. A frame pair across a cut (:mod:`studio.vision.shots`) is skipped: flow across a cut is noise.

Events:
- ``motion_started`` / ``motion_stopped`` with hysteresis (on above ``on_level``, off below
  ``off_level``);
- ``unusual_movement``: the speed of the fastest motion in the frame (99th percentile of
  flow speed) is an outlier against the clip's own history so far: robust z-score
  ``(v - median) / (1.4826 · MAD)`` above ``sensitivity``. The event names the grid region
  that moved most. A peak, not a regional mean, so an object moving steadily from one
  region into the next is not "unusual" just because that region was quiet before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from studio.core import Event

__all__ = ["MotionAnalyzer", "MotionSample", "MotionSwitch", "UnusualMovement", "small_grey"]


@dataclass(frozen=True)
class MotionSample:
    time_s: float
    energy: float  # mean flow speed, frame widths per second
    peak: float  # 99th percentile flow speed, same unit
    regions: np.ndarray  # mean speed per grid cell (rows × cols), same unit


def small_grey(image: np.ndarray, width: int = 160) -> np.ndarray:
    """A ``width``-px grey copy of an RGB frame: what flow and cut tests look at."""
    import cv2

    height = max(8, round(image.shape[0] * width / image.shape[1]))
    return cv2.cvtColor(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)


@dataclass
class MotionAnalyzer:
    grid: tuple[int, int] = (3, 3)
    _previous: np.ndarray | None = None
    _previous_time: float | None = None
    _flow: object = None

    def update(self, grey: np.ndarray, time_s: float, cut: bool = False) -> MotionSample | None:
        """Flow from the previous sample to this one (``grey`` from :func:`small_grey`)."""
        import cv2

        if self._flow is None:
            self._flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)  # type: ignore[attr-defined]
        previous, previous_time = self._previous, self._previous_time
        self._previous, self._previous_time = grey, time_s
        if previous is None or previous_time is None or time_s <= previous_time or cut:
            return None  # flow across a cut is noise, not motion
        flow = self._flow.calc(previous, grey, None)  # type: ignore[attr-defined]
        speed = np.hypot(flow[..., 0], flow[..., 1]) / grey.shape[1] / (time_s - previous_time)
        rows, cols = self.grid
        cells = np.array([[block.mean() for block in np.array_split(band, cols, axis=1)]
                          for band in np.array_split(speed, rows, axis=0)])  # fmt: skip
        sample = MotionSample(time_s, float(speed.mean()), float(np.percentile(speed, 99)), cells)
        return sample


@dataclass
class MotionSwitch:
    """``motion_started`` / ``motion_stopped`` with hysteresis, decided sample by sample."""

    on_level: float = 0.02  # frame widths per second of mean flow speed
    off_level: float = 0.01
    events: list[Event] = field(default_factory=list)
    moving: bool = False

    def update(self, sample: MotionSample) -> list[Event]:
        if not self.moving and sample.energy >= self.on_level:
            self.moving = True
            self.events.append(Event("motion_started", sample.time_s, sample.time_s, score=sample.energy))
            return self.events[-1:]
        if self.moving and sample.energy < self.off_level:
            self.moving = False
            self.events.append(Event("motion_stopped", sample.time_s, sample.time_s, score=sample.energy))
            return self.events[-1:]
        return []


@dataclass
class UnusualMovement:
    """Online outlier test of each sample's peak speed against the history so far.

    Causal on purpose: an alarm at time t uses only what was seen before t, as a live
    camera would. Steady motion sets a high median, so it never looks unusual; a burst does.
    """

    sensitivity: float = 6.0  # robust z-score that counts as unusual
    floor: float = 0.05  # frame widths per second; a peak slower than this is never unusual
    warmup: int = 8  # samples of history before any verdict
    history_limit: int = 600
    gap_s: float = 0.5
    events: list[Event] = field(default_factory=list)
    _history: list[float] = field(default_factory=list)

    def update(self, sample: MotionSample) -> list[Event]:
        started: list[Event] = []
        if len(self._history) >= self.warmup:
            past = np.array(self._history[-self.history_limit :])
            median = float(np.median(past))
            spread = max(float(np.median(np.abs(past - median))) * 1.4826, 0.25 * median, 0.005)
            z = (sample.peak - median) / spread
            if z > self.sensitivity and sample.peak > self.floor:
                r, c = np.unravel_index(int(np.argmax(sample.regions)), sample.regions.shape)
                last = self.events[-1] if self.events else None
                if last is not None and sample.time_s - last.end_s <= self.gap_s:
                    self.events[-1] = Event(last.kind, last.start_s, sample.time_s, max(last.score, z),
                                            region=last.region, details=last.details)  # fmt: skip
                else:
                    event = Event("unusual_movement", sample.time_s, sample.time_s, z, region=f"r{r}c{c}",
                                  details={"peak_speed": sample.peak, "typical_peak": median})  # fmt: skip
                    self.events.append(event)
                    started.append(event)
        self._history.append(sample.peak)
        return started
