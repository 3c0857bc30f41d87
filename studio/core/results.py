"""Result dataclasses shared by every pipeline and face of the service.

Each type is frozen, names its units (``_s`` seconds, ``fps`` frames per second as an
exact ``Fraction``) and round-trips through JSON with ``to_dict()`` / ``from_dict()``, one
generic way for all (:mod:`studio.core.serialize`): unknown keys are ignored, so a timeline
written by a newer version loads; a ``Timeline`` carries ``schema_version``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from studio.core.serialize import JsonResult

__all__ = [
    "EVENT_KINDS",
    "TIMELINE_SCHEMA_VERSION",
    "TRANSITION_KINDS",
    "Action",
    "Event",
    "Label",
    "Segment",
    "Shot",
    "Timeline",
    "Track",
    "TrackPoint",
    "Transcript",
    "VideoInfo",
    "Word",
]


@dataclass(frozen=True)
class VideoInfo(JsonResult):
    """What :func:`studio.media.probe` learns about a media file.

    ``fps`` is the declared rate from the container header, exact. ``measured_fps``,
    ``min_frame_interval_s``, ``max_frame_interval_s`` and ``is_vfr`` come from the real
    packet timestamps, so a header that lies is caught.
    """

    path: str
    container: str
    codec: str
    width: int
    height: int
    pixel_format: str | None
    duration_s: float
    frame_count: int
    fps: Fraction
    measured_fps: float
    min_frame_interval_s: float
    max_frame_interval_s: float
    is_vfr: bool
    start_s: float
    bit_rate: int | None
    has_audio: bool
    audio_codec: str | None = None
    audio_sample_rate: int | None = None
    audio_channels: int | None = None
    warnings: tuple[str, ...] = ()  # e.g. truncation found by a non-strict probe
    rotation: int = 0  # degrees counter-clockwise the stored frames turn to display; width/height are displayed

    @property
    def frame_interval_s(self) -> float:
        """Nominal seconds between frames from the declared rate."""
        return float(1 / self.fps)


@dataclass(frozen=True)
class Word(JsonResult):
    """One recognised word; ``text`` keeps Whisper's leading space."""

    start_s: float
    end_s: float
    text: str
    probability: float


@dataclass(frozen=True)
class Segment(JsonResult):
    """A stretch of speech as the model decoded it, with its confidence numbers."""

    id: int
    start_s: float
    end_s: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float = 0.0
    temperature: float = 0.0
    words: tuple[Word, ...] = ()
    language: str | None = None  # set when languages are detected per segment


@dataclass(frozen=True)
class Transcript(JsonResult):
    """What transcription returns, whatever the backend.

    ``language_probability`` is the detector's confidence, measured on the first
    ``detection_window_s`` seconds of speech (Whisper listens to 30 s to decide).
    """

    segments: tuple[Segment, ...]
    language: str
    language_probability: float
    duration_s: float
    task: str = "transcribe"
    model: str = ""
    backend: str = ""
    detection_window_s: float = 30.0
    source: str | None = None
    warnings: tuple[str, ...] = ()  # e.g. a truncated file: the speech before the break is kept

    @property
    def text(self) -> str:
        return "".join(segment.text for segment in self.segments).strip()

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(word for segment in self.segments for word in segment.words)

    def json_extras(self) -> dict[str, Any]:
        return {"text": self.text}


@dataclass(frozen=True)
class TrackPoint(JsonResult):
    """Where a tracked object was at one sampled time; ``xyxy`` in source pixels.

    ``keypoints`` (people, when pose ran): 17 COCO ``(x, y, score)`` in source pixels.
    """

    time_s: float
    xyxy: tuple[float, float, float, float]
    score: float
    keypoints: tuple[tuple[float, float, float], ...] | None = None

    @property
    def center(self) -> tuple[float, float]:
        x1, y1, x2, y2 = self.xyxy
        return (x1 + x2) / 2, (y1 + y2) / 2


@dataclass(frozen=True)
class Track(JsonResult):
    """One object followed over time with a stable ``id``."""

    id: int
    label: str
    points: tuple[TrackPoint, ...]

    @property
    def first_s(self) -> float:
        return self.points[0].time_s

    @property
    def last_s(self) -> float:
        return self.points[-1].time_s

    @property
    def path(self) -> tuple[tuple[float, float], ...]:
        return tuple(p.center for p in self.points)

    def json_extras(self) -> dict[str, Any]:
        return {"first_s": self.first_s, "last_s": self.last_s}


EVENT_KINDS = ("motion_started", "motion_stopped", "unusual_movement", "loitering", "line_crossing", "zone_entry")


@dataclass(frozen=True)
class Event(JsonResult):
    """Something that happened between ``start_s`` and ``end_s`` (equal for an instant)."""

    kind: str
    start_s: float
    end_s: float
    score: float = 0.0
    track_id: int | None = None
    label: str | None = None
    region: str | None = None
    details: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Label(JsonResult):
    """A class name and its score (0-1), e.g. an ImageNet tag or a zero-shot scene label."""

    name: str
    score: float


TRANSITION_KINDS = ("start", "cut", "dissolve", "fade")  # how a shot begins


@dataclass(frozen=True)
class Shot(JsonResult):
    """One shot, ``start_s`` to ``end_s`` on the source clock (end exclusive: the next shot's
    start). ``transition`` is how it begins (``TRANSITION_KINDS``); a gradual one spans
    ``transition_start_s`` to ``start_s``. ``keyframe_s`` is the analysed frame that stands for it.

    ``tags`` are what classifiers saw in it (each list names its model in ``tag_models``),
    ``caption`` a neural caption (``caption_model`` names it), ``description`` a grounded one,
    built only from what the studio's own models found."""

    index: int
    start_s: float
    end_s: float
    transition: str = "start"
    transition_start_s: float | None = None
    keyframe_s: float | None = None
    tags: dict[str, tuple[Label, ...]] = field(default_factory=dict, hash=False, compare=False)
    caption: str | None = None
    caption_model: str | None = None
    description: str | None = None

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def json_extras(self) -> dict[str, Any]:
        return {"duration_s": self.duration_s}


@dataclass(frozen=True)
class Action(JsonResult):
    """An action from ``start_s`` to ``end_s``: a person's (``track_id``) or the clip's (``None``).
    ``model`` names what recognised it (a registry name)."""

    label: str
    start_s: float
    end_s: float
    score: float
    model: str
    track_id: int | None = None


TIMELINE_SCHEMA_VERSION = 2  # 2: shots, actions, a clip description; tracks split at shot boundaries


@dataclass(frozen=True)
class Timeline(JsonResult):
    """Everything known about one video on its own clock (seconds from the stream start).

    ``sample_times_s`` are the real times of the analysed frames; ``warnings`` say what
    went wrong without stopping the analysis (e.g. a truncated file and where it ended).
    """

    video: VideoInfo
    transcript: Transcript | None = None
    sample_times_s: tuple[float, ...] = ()
    tracks: tuple[Track, ...] = ()
    shots: tuple[Shot, ...] = ()
    actions: tuple[Action, ...] = ()
    description: str | None = None  # a whole-clip description (a video-language model's, when one ran)
    events: tuple[Event, ...] = ()
    counts: dict[str, dict[str, int]] = field(default_factory=dict, hash=False, compare=False)
    warnings: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def json_extras(self) -> dict[str, Any]:
        return {"schema_version": TIMELINE_SCHEMA_VERSION}
