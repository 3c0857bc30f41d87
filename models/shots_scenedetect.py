"""PySceneDetect (BSD-3-Clause): shot boundaries without weights, the fallback to TransNetV2.

Each pushed thumbnail goes straight to the detectors' ``process_frame(timecode, bgr)``
(no second decode): a ``ContentDetector`` (HSV and edge change between frames) or an
``AdaptiveDetector`` (the same score against its rolling average, steadier under fast
motion) finds cuts, and a ``ThresholdDetector`` finds fades through black: the span from
the first frame under its threshold to the first frame back over it. A cut found inside a
fade is the same transition and is dropped. Dissolves have no detector here: one may show
as a cut or not at all.

Thumbnails are 256×144: PySceneDetect itself downscales every video to about 256 pixels wide
before detecting, so its default thresholds hold at this size. Timecodes carry each frame's
real time (microsecond ticks), so minimum scene lengths are in seconds at any frame rate, and
every transition is reported at the pushed frames' own times.
"""

from __future__ import annotations

from collections import OrderedDict
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from studio.core import InputError
from studio.registry import LoadOptions, ModelSpec
from studio.vision import Transition, merge_transitions

__all__ = ["SPECS", "SceneDetectShots"]

_ADAPTER = "models.shots_scenedetect:SceneDetectShots"
_COMMON: dict[str, Any] = dict(
    task="shots", adapter=_ADAPTER, source="package:scenedetect", license="BSD-3-Clause", extra="understand",
    memory_mb=50, offline=True, requires=("scenedetect", "cv2"),
)  # fmt: skip

SPECS = [
    ModelSpec(name="pyscenedetect", priority=5, params={"detector": "content"},
              description="PySceneDetect ContentDetector + ThresholdDetector: cuts and fades, no weights", **_COMMON),
    ModelSpec(name="pyscenedetect-adaptive", priority=4, params={"detector": "adaptive"},
              description="PySceneDetect AdaptiveDetector + ThresholdDetector: cuts and fades, steadier in motion",
              **_COMMON),
]  # fmt: skip

DETECTORS = ("content", "adaptive")
TICK = Fraction(1, 1_000_000)  # timecode resolution: one microsecond
MIN_SHOT_S = 0.5  # no two cuts closer than this (PySceneDetect's default is 15 frames)
FADE_LEVEL = 12  # mean 8-bit brightness under which a frame is black (ThresholdDetector's default)
FADE_MARGIN_S = 0.5  # cuts this close to a fade's dark span are its ramps, not cuts of their own


class SceneDetectShots:
    """A :class:`~studio.vision.ShotModel` over PySceneDetect's detectors."""

    frame_size = (256, 144)

    def __init__(self, detector: str, content_threshold: float | None, memory_mb: int) -> None:
        self.detector = detector
        self.content_threshold = content_threshold
        self.memory_mb = memory_mb

    @classmethod
    def load(cls, spec: ModelSpec, weights: Path, device: str, options: LoadOptions) -> SceneDetectShots:
        options.require(spec.name, dtypes=("float32",))
        if device != "cpu":
            raise InputError(f"{spec.name} runs on the CPU only, got device {device!r}")
        detector = str(spec.params.get("detector", "content"))
        if detector not in DETECTORS:
            raise InputError(f"{spec.name}: expected detector one of {', '.join(DETECTORS)}, got {detector!r}")
        threshold = spec.params.get("threshold")
        return cls(detector, None if threshold is None else float(threshold), spec.memory_mb)

    def scorer(self) -> SceneDetectScorer:
        from scenedetect.detectors import AdaptiveDetector, ContentDetector, ThresholdDetector

        cuts: Any
        if self.detector == "adaptive":
            extra = {} if self.content_threshold is None else {"adaptive_threshold": self.content_threshold}
            cuts = AdaptiveDetector(min_scene_len=MIN_SHOT_S, **extra)
        else:
            extra = {} if self.content_threshold is None else {"threshold": self.content_threshold}
            cuts = ContentDetector(min_scene_len=MIN_SHOT_S, **extra)
        fades = ThresholdDetector(threshold=FADE_LEVEL, min_scene_len=MIN_SHOT_S)
        return SceneDetectScorer(cuts, fades)


class SceneDetectScorer:
    """One pass: each frame to both detectors; transitions collected, merged at :meth:`finish`."""

    recent_frames = 512  # times kept to map a detector's (delayed) timecode back to its frame

    def __init__(self, cuts: Any, fades: Any) -> None:
        self._cuts_detector = cuts
        self._fades_detector = fades
        self._times: OrderedDict[int, float] = OrderedDict()  # tick -> the pushed frame time
        self._cuts: list[Transition] = []
        self._fades: list[Transition] = []
        self._dark_since: float | None = None
        self._last: Any = None
        self._finished = False

    def push(self, frame: np.ndarray, time_s: float) -> None:
        import cv2
        from scenedetect import FrameTimecode
        from scenedetect.common import Timecode

        if self._finished:
            raise InputError("this shot scorer has finished; start another with scorer()")
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise InputError(f"expected an RGB uint8 thumbnail (H, W, 3), got {frame.shape} {frame.dtype}")
        tick = round(Fraction(time_s) / TICK)
        if self._times and not tick > next(reversed(self._times)):
            raise InputError(
                f"expected frame times to increase, got {time_s} s after {self._times[next(reversed(self._times))]} s"
            )
        self._times[tick] = time_s
        if len(self._times) > self.recent_frames:
            self._times.popitem(last=False)
        timecode = FrameTimecode(Timecode(pts=tick, time_base=TICK), fps=Fraction(30))  # fps: frame-number guesses only
        self._last = timecode
        bgr = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
        for found in self._cuts_detector.process_frame(timecode, bgr):
            self._cuts.append(self._cut_at(found))
        before = self._fades_detector.last_fade["type"]
        if self._fades_detector.process_frame(timecode, bgr) and self._dark_since is not None:
            self._fades.append(Transition("fade", self._dark_since, time_s, 1.0))
        after = self._fades_detector.last_fade["type"]
        if after == "out" and before != "out":
            self._dark_since = time_s
        elif after == "in":
            self._dark_since = None

    def finish(self) -> list[Transition]:
        if not self._finished:
            self._finished = True
            if self._last is not None:
                for found in self._cuts_detector.post_process(self._last):
                    self._cuts.append(self._cut_at(found))
        return merge_transitions([*self._cuts, *self._fades], margin_s=FADE_MARGIN_S)

    def _cut_at(self, timecode: Any) -> Transition:
        """A cut at the pushed frame ``timecode`` stands for (the nearest one kept)."""
        tick = round(Fraction(timecode.seconds) / TICK)
        time_s = self._times.get(tick)
        if time_s is None:
            time_s = min(self._times.values(), key=lambda t: abs(t - timecode.seconds))
        return Transition("cut", time_s, time_s, 1.0)
