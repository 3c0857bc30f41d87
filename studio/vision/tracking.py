"""Stable object IDs over sampled frames with Roboflow's ``trackers`` (ByteTrack).

One ByteTrack per label, so a cup never inherits a person's ID, with one ID space across
labels. Tracking runs on real timestamps (not frame counts), so a track survives the same
number of seconds without detections at 5 FPS and at 30 FPS. Between detection frames
(``detect_every > 1``) each track's box moves on at its last observed velocity; the
trackers themselves are not touched then, so an unconfirmed track is not dropped for
"missing" a frame nobody looked at.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from studio.vision.detections import Detections

__all__ = ["LOW_SCORE", "Tracker"]

LOW_SCORE = 0.1  # detections down to this score are fed to the tracker (ByteTrack's second match)


class Tracker:
    """``update(detections, time_s)`` -> the same type, tracked: ``Detections`` with
    ``tracker_id`` set (as supervision's trackers do).

    Feed it detections down to :data:`LOW_SCORE`: as in ByteTrack's paper, boxes under
    ``min_score`` never start a track but do carry an existing one through a hard frame, and
    a new track starts only from a box scoring ``start_score`` (Ultralytics' ByteTrack uses
    0.6; these small offline detectors score lower).
    """

    def __init__(
        self, frame_rate: float, lost_s: float = 2.0, min_score: float = 0.3, start_score: float = 0.5
    ) -> None:
        self.frame_rate = frame_rate
        self.lost_s = lost_s
        self.min_score = min_score
        self.start_score = max(start_score, min_score)
        self._trackers: dict[str, Any] = {}
        self._ids: dict[tuple[int, str, int], int] = {}  # (generation, label, local id) -> id
        self._generation = 0
        self._seen: dict[int, list[tuple[float, np.ndarray, str]]] = {}  # id -> last two (time, box, label)

    def _tracker(self, label: str) -> Any:
        if label not in self._trackers:
            from trackers import ByteTrackTracker

            self._trackers[label] = ByteTrackTracker(
                lost_track_buffer=round(self.lost_s * 30),  # counted in 30 FPS frames, applied in seconds
                frame_rate=self.frame_rate,
                track_activation_threshold=self.start_score,  # a new track needs a confident first box
                high_conf_det_threshold=self.min_score,  # weaker boxes only keep existing tracks alive
                minimum_consecutive_frames=1,
                minimum_iou_threshold=0.1,
            )
        return self._trackers[label]

    def _can_change(self, label: str, subset: Detections) -> bool:
        """Whether updating ``label``'s tracker could give or change a track. With no live
        track, weak boxes match nothing and start nothing, so the update (several per frame
        with dozens of labels each scoring a few weak boxes) is skipped: same tracks, less time."""
        tracker = self._trackers.get(label)
        if tracker is not None and tracker.tracks:
            return True
        return bool(len(subset)) and float(subset.scores.max()) >= self.start_score

    def reset(self) -> None:
        """Forget every track (after a cut): what comes next gets new IDs."""
        self._trackers.clear()
        self._seen.clear()
        self._generation += 1

    def _global_id(self, label: str, local_id: int) -> int:
        key = (self._generation, label, local_id)
        if key not in self._ids:
            self._ids[key] = len(self._ids) + 1
        return self._ids[key]

    def update(self, detections: Detections, time_s: float) -> Detections:
        parts: list[Detections] = []
        labels = np.asarray(detections.labels, dtype=object)
        for label in sorted(set(detections.labels) | set(self._trackers)):
            subset = detections.keep(labels == label)
            if not self._can_change(label, subset):
                continue
            result = self._tracker(label).update(subset.to_supervision(), timestamp=time_s)
            confirmed = result.tracker_id >= 0 if result.tracker_id is not None else np.zeros(0, bool)
            boxes, scores = result.xyxy[confirmed].astype(np.float32), result.confidence[confirmed].astype(np.float32)
            ids = np.array([self._global_id(label, int(i)) for i in result.tracker_id[confirmed]], dtype=int)
            for track_id, box in zip(ids, boxes, strict=True):
                history = self._seen.setdefault(int(track_id), [])
                history[:] = [*history[-1:], (time_s, box, label)]
            parts.append(Detections(boxes.reshape(-1, 4), scores, (label,) * len(ids), ids))
        return _tracked(Detections.merge(parts))

    def predict(self, time_s: float) -> Detections:
        """Boxes at ``time_s`` when no detector ran on this frame: each recently seen track
        moved on at the velocity of its last two observations (score 0)."""
        boxes, labels, ids = [], [], []
        for track_id, history in self._seen.items():
            last_time, last_box, label = history[-1]
            if time_s - last_time > self.lost_s:
                continue
            box = last_box
            if len(history) == 2 and last_time > history[0][0]:
                velocity = (last_box - history[0][1]) / (last_time - history[0][0])
                box = last_box + velocity * (time_s - last_time)
            boxes.append(box.astype(np.float32))
            labels.append(label)
            ids.append(track_id)
        if not ids:
            return _tracked(Detections.empty())
        return Detections(np.stack(boxes), np.zeros(len(ids), np.float32), tuple(labels), np.array(ids, dtype=int))


def _tracked(detections: Detections) -> Detections:
    """``detections`` marked as tracked even when empty (``tracker_id`` an empty array)."""
    if detections.tracker_id is not None:
        return detections
    return Detections(detections.xyxy, detections.scores, detections.labels, np.zeros(len(detections), dtype=int))
