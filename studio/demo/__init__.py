"""The demo video, built locally with its ground truth (:func:`make_demo_media`), and clips
of shots joined by cuts, dissolves and fades at any frame rate (:func:`make_transition_clip`)."""

from studio.demo.footage import DEMO_SHOTS, DemoMedia, DemoShot, make_demo_media
from studio.demo.poses import (
    HIPS_AND_LEGS,
    LEGS,
    MOTION_LABELS,
    POSE_MOTIONS,
    PoseSequence,
    PoseStep,
    PoseView,
    make_pose_sequence,
)
from studio.demo.transitions import (
    JOIN_KINDS,
    SAMPLE_SHOTS,
    ClipShot,
    Join,
    TransitionClip,
    iter_timeline,
    make_transition_clip,
)

__all__ = [
    "DEMO_SHOTS",
    "HIPS_AND_LEGS",
    "JOIN_KINDS",
    "LEGS",
    "MOTION_LABELS",
    "POSE_MOTIONS",
    "SAMPLE_SHOTS",
    "ClipShot",
    "DemoMedia",
    "DemoShot",
    "Join",
    "PoseSequence",
    "PoseStep",
    "PoseView",
    "TransitionClip",
    "iter_timeline",
    "make_demo_media",
    "make_pose_sequence",
    "make_transition_clip",
]
