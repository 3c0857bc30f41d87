"""What an analysis is asked to do: :class:`AnalyzeOptions`, checked when made, so every door
(CLI, API, job) refuses a bad request before a frame is decoded."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from studio import media
from studio.core import InputError, echoed
from studio.vision.stages import plugin_stage_names

__all__ = ["ANALYSIS_TASKS", "UNDERSTANDING_TASKS", "AnalyzeOptions"]

# what `studio analyze --tasks` takes; none named (``tasks=()``): every task whose model is installed
ANALYSIS_TASKS = ("detect", "track", "pose", "motion", "shots", "actions", "scenes", "captions")
UNDERSTANDING_TASKS = ("shots", "actions", "scenes", "captions")  # what the shot/action/scene models add
MAX_WORDS = {  # how many, and how long each, a setting takes
    "labels": (1000, 100),
    "queries": (64, 200),
    "action labels": (256, 100),
    "scene labels": (256, 100),
    "action models": (8, 200),
    "scene models": (8, 200),
}


@dataclass(frozen=True)
class AnalyzeOptions:
    fps: Fraction | int | float | str = 5  # analysis samples per second, independent of the source
    tasks: tuple[str, ...] = ()  # () : every task whose model is installed (the rest skipped, and said why)
    detector: str | None = None  # a registry name; None: the best installed
    pose_model: str | None = None
    min_score: float = 0.35  # a detection counts from here; weaker ones only keep tracks alive
    track_start_score: float = 0.5  # a new track needs one detection this confident
    labels: tuple[str, ...] = ()  # keep only these labels; empty keeps all
    queries: tuple[str, ...] = ()  # open-vocabulary detectors (OWLv2): what to look for, in words
    detect_every: int = 1  # run the detector on every N-th sample, track in between
    max_side: int = 640  # models see frames at most this big; boxes come back in source pixels
    zones: dict[str, np.ndarray] = field(default_factory=dict, compare=False)
    lines: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    loiter_s: float = 10.0
    sensitivity: float = 6.0  # robust z-score for unusual movement; lower fires more
    motion_grid: tuple[int, int] = (3, 3)
    lost_s: float = 2.0  # a track survives this long without detections
    min_track_samples: int = 3  # shorter tracks are detector flicker, dropped from the timeline
    shot_model: str | None = None  # a `shots` model; None: the best installed (TransNetV2, else PySceneDetect)
    action_models: tuple[str, ...] = ()  # `action` models; (): pose-based actions per person
    action_labels: tuple[str, ...] = ()  # the user's labels for a zero-shot action model (X-CLIP)
    scene_models: tuple[str, ...] = ()  # `classify` models for each shot; (): ImageNet tags (EfficientNet-Lite0)
    scene_labels: tuple[str, ...] = ()  # the user's labels for a zero-shot scene model (CLIP, SigLIP)
    caption_model: str | None = None  # a picture captioner for each shot (BLIP, Florence-2); None: best installed
    video_model: str | None = None  # a whole-clip describer (SmolVLM2); None: the best installed, if any
    action_hop_s: float = 1.0  # clip action models look at a window starting every this many seconds

    def __post_init__(self) -> None:
        unknown = [t for t in self.tasks if t not in ANALYSIS_TASKS]
        known = (*ANALYSIS_TASKS, *plugin_stage_names()) if unknown else ANALYSIS_TASKS
        unknown = [t for t in unknown if t not in known]
        if unknown:
            raise InputError(f"unknown task {', '.join(map(repr, unknown))}; expected some of {', '.join(known)}")
        if len(set(self.tasks)) != len(self.tasks):
            raise InputError(f"a task is named twice in {', '.join(self.tasks)}")
        for name, words in (("labels", self.labels), ("queries", self.queries), ("action labels", self.action_labels),
                            ("scene labels", self.scene_labels), ("action models", self.action_models),
                            ("scene models", self.scene_models)):  # fmt: skip
            _check_words(name, words)
        if {"track", "pose"} & set(self.tasks) and "detect" not in self.tasks:
            raise InputError("tasks track and pose need detect as well")
        if not 0.1 <= self.action_hop_s <= 60:
            raise InputError(f"expected 0.1 <= action_hop_s <= 60 seconds, got {self.action_hop_s}")
        checks = (
            (self.detect_every >= 1, "detect_every (--detect-every) >= 1", self.detect_every),
            (self.max_side >= 64, "max_side (--max-side) >= 64", self.max_side),
            (0 < self.min_score < 1, "0 < min_score (--min-score) < 1", self.min_score),
            (self.min_track_samples >= 1, "min_track_samples >= 1", self.min_track_samples),
        )
        for ok, expected, got in checks:
            if not ok:
                raise InputError(f"expected {expected}, got {got}")
        if not 0 < self.track_start_score <= 1:
            raise InputError(f"expected 0 < track_start_score <= 1, got {self.track_start_score}")
        if not 0 < self.sensitivity < math.inf:
            raise InputError(f"expected a positive sensitivity (a z-score, e.g. 6), got {self.sensitivity}")
        if not 0 <= self.loiter_s < math.inf:
            raise InputError(f"expected loiter seconds >= 0, got {self.loiter_s}")
        if not 0 < self.lost_s < math.inf:
            raise InputError(f"expected lost_s > 0, got {self.lost_s}")
        media.as_fps(self.fps)


def _check_words(name: str, words: tuple[str, ...]) -> None:
    """Labels and text queries: printable text, a bounded number, each of a bounded length;
    the CLI's --labels and the service's settings both come here."""
    most, longest = MAX_WORDS[name]
    if len(words) > most:
        raise InputError(f"expected at most {most:,} {name}, got {len(words):,}")
    for word in words:
        if not isinstance(word, str) or not word.strip():
            raise InputError(f"expected {name} as non-empty text, got {echoed(word)}")
        if len(word) > longest:
            raise InputError(f"expected {name} of at most {longest} characters, got {echoed(word)}")
        if not word.isprintable():
            raise InputError(f"expected {name} without control characters, got {echoed(word)}")
