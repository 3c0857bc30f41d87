"""Stable object IDs over sampled frames with Roboflow's ``trackers`` (ByteTrack).

One ByteTrack per label, so a cup never inherits a person's ID, with one ID space across
labels. Tracking runs on real timestamps (not frame counts), so a track survives the same
number of seconds without detections at 5 FPS and at 30 FPS. Between detection frames
(``detect_every > 1``) the tracks' Kalman predictions stand in for detections.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from studio.vision import Detections

__all__ = ["Tracked", "Tracker"]


@dataclass(frozen=True)
class Tracked:
    track_id: int
    label: str
    xyxy: np.ndarray
    score: float


class Tracker:
    """``update(detections, time_s)`` -> the tracked boxes at that time."""

    def __init__(self, frame_rate: float, lost_s: float = 2.0, min_score: float = 0.3) -> None:
        self.frame_rate = frame_rate
        self.lost_s = lost_s
        self.min_score = min_score
        self._trackers: dict[str, Any] = {}
        self._ids: dict[tuple[str, int], int] = {}

    def _tracker(self, label: str) -> Any:
        if label not in self._trackers:
            from trackers import ByteTrackTracker

            self._trackers[label] = ByteTrackTracker(
                lost_track_buffer=round(self.lost_s * 30),  # counted in 30 FPS frames, applied in seconds
                frame_rate=self.frame_rate,
                track_activation_threshold=self.min_score,
                high_conf_det_threshold=max(self.min_score, 0.45),
                minimum_consecutive_frames=1,
                minimum_iou_threshold=0.1,
            )
        return self._trackers[label]

    def _global_id(self, label: str, local_id: int) -> int:
        key = (label, local_id)
        if key not in self._ids:
            self._ids[key] = len(self._ids) + 1
        return self._ids[key]

    def update(self, detections: Detections, time_s: float) -> list[Tracked]:
        import supervision as sv

        tracked: list[Tracked] = []
        labels = set(detections.labels) | set(self._trackers)
        for label in sorted(labels):
            mask = np.array([name == label for name in detections.labels], dtype=bool)
            subset = detections.keep(mask) if len(detections) else detections
            sv_detections = sv.Detections(
                xyxy=subset.xyxy.astype(np.float32).reshape(-1, 4),
                confidence=subset.scores.astype(np.float32),
                class_id=np.zeros(len(subset), dtype=int),
            )
            result = self._tracker(label).update(sv_detections, timestamp=time_s)
            for box, score, local_id in zip(result.xyxy, result.confidence, result.tracker_id, strict=True):
                if local_id >= 0:
                    tracked.append(Tracked(self._global_id(label, int(local_id)), label, box, float(score)))
        return tracked

    def predict(self, time_s: float) -> list[Tracked]:
        """Tracks' predicted boxes at ``time_s`` when no detector ran on this frame."""
        predicted = []
        for label, tracker in self._trackers.items():
            tracker.update(_empty(), timestamp=time_s)
            for track in tracker.tracks:
                if track.tracker_id >= 0 and track.time_since_update_seconds <= self.lost_s:
                    box = np.asarray(track.get_state_bbox(), np.float32)
                    predicted.append(Tracked(self._global_id(label, track.tracker_id), label, box, 0.0))
        return predicted


def _empty() -> Any:
    import supervision as sv

    return sv.Detections.empty()
