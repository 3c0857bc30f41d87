"""Draw analysis results on frames with supervision's annotators.

Boxes, ``#id label`` tags (with each person's current action), motion trails, pose
skeletons, a banner for events in progress and a strip at the bottom with what the scene
models see (e.g. the top ImageNet tags). Frames between analysis samples show the latest sampled state, so the annotated
video keeps the source frame rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from studio.core import Event
from studio.vision.detections import Detections

__all__ = ["FrameAnnotator", "FrameState"]

BANNER_HOLD_S = 1.5  # an instant event stays on screen this long


@dataclass(frozen=True)
class FrameState:
    """What the latest analysis sample knew, to draw until the next one."""

    tracked: Detections = field(default_factory=Detections.empty, compare=False)  # with tracker_id
    keypoints: dict[int, np.ndarray] = field(default_factory=dict, compare=False)  # track id -> 17×3
    actions: dict[int, str] = field(default_factory=dict, compare=False)  # track id -> its current action
    strip: str = ""  # the scene line drawn at the bottom


class FrameAnnotator:
    def __init__(self) -> None:
        import supervision as sv

        self.sv = sv
        by_track = sv.ColorLookup.TRACK  # each track keeps its colour, whatever its label
        self.boxes = sv.BoxAnnotator(thickness=2, color_lookup=by_track)
        self.labels = sv.LabelAnnotator(text_scale=0.5, text_padding=4, smart_position=True,  # stays inside the frame
                                        color_lookup=by_track)  # fmt: skip
        self.trace = sv.TraceAnnotator(trace_length=60, thickness=2, color_lookup=by_track)
        self.edges = sv.EdgeAnnotator(thickness=2)
        self.vertices = sv.VertexAnnotator(radius=3)

    def draw(self, image: np.ndarray, state: FrameState, events: list[Event], time_s: float) -> np.ndarray:
        """An annotated copy of an RGB frame (supervision draws in BGR, so colours go through it)."""
        import cv2

        sv = self.sv
        scene: Any = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        tracked = state.tracked
        if len(tracked) and tracked.tracker_id is not None:
            detections = tracked.to_supervision()
            scene = self.trace.annotate(scene, detections)
            scene = self.boxes.annotate(scene, detections)
            tags = [
                f"#{i} {label}" + (f": {state.actions[int(i)]}" if state.actions.get(int(i)) else "")
                for i, label in zip(tracked.tracker_id, tracked.labels, strict=True)
            ]
            scene = self.labels.annotate(scene, detections, labels=tags)
        if state.keypoints:
            points = np.stack(list(state.keypoints.values()))
            # keypoints the model is unsure of go to (0, 0), which supervision leaves undrawn
            visible = sv.KeyPoints(xy=np.where(points[..., 2:3] > 0.2, points[..., :2], 0).astype(np.float32),
                                   keypoint_confidence=points[..., 2].astype(np.float32))  # fmt: skip
            scene = self.edges.annotate(scene, visible)
            scene = self.vertices.annotate(scene, visible)
        active = [e for e in events if e.start_s <= time_s <= max(e.end_s, e.start_s + BANNER_HOLD_S)]
        if active:
            text = "  |  ".join(_describe(e) for e in active[-3:])
            scene = sv.draw_text(scene, text, sv.Point(scene.shape[1] // 2, 20), text_scale=0.6,
                                 text_color=sv.Color.WHITE, background_color=sv.Color.RED, text_padding=6)  # fmt: skip
        if state.strip:
            bottom = sv.Point(scene.shape[1] // 2, scene.shape[0] - 16)
            scene = sv.draw_text(scene, state.strip, bottom, text_scale=0.5, text_color=sv.Color.WHITE,
                                 background_color=sv.Color.BLACK, text_padding=5)  # fmt: skip
        return cv2.cvtColor(scene, cv2.COLOR_BGR2RGB)


def _describe(event: Event) -> str:
    who = f" #{event.track_id} {event.label}" if event.track_id is not None else ""
    where = f" in {event.region}" if event.region else ""
    return f"{event.kind.replace('_', ' ')}{who}{where}"
