"""The settings of each job kind, typed: one frozen dataclass per kind.

Every face sends a job's settings as a loose dict: the page's form (text fields, ``None`` for
an empty number), a ``gradio_client`` call and the MCP tools (lists, ``"auto"``, ``-1`` and
``0`` for "the model's own"). ``from_form`` reads that dict once, with the same acceptances
and the same refusals as before; what a job stores is :func:`studio.core.to_data` of the typed
value (a JSON dict whose keys are the fields below), and a run rebuilds it with
:func:`studio.core.from_data`. Each class builds its pipeline's options from its fields.

- :class:`AnalyzeSettings` -> :class:`~studio.vision.AnalyzeOptions`;
- :class:`TranscribeSettings` -> :class:`~studio.speech.TranscribeOptions`;
- :class:`GenerateSettings` -> :class:`~studio.generation.GenerateOptions` and
  :class:`~studio.registry.LoadOptions`;
- :class:`StorySettings` -> a :class:`~studio.generation.Story` and its load options;
- :class:`InstallSettings`: the models to install;
- :class:`LoadSettings`: the model the Models tab loads;
- :class:`TrainSettings` -> :class:`~studio.vision.training.TrainOptions` (a folder of labelled clips);
- :class:`EvaluateSettings` -> :class:`~studio.evaluate.EvaluateOptions` (one video's harnesses).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio import media
from studio.core import InputError

if TYPE_CHECKING:
    from studio.evaluate import EvaluateOptions
    from studio.generation import GenerateOptions, Story
    from studio.registry import LoadOptions
    from studio.speech import TranscribeOptions
    from studio.vision import AnalyzeOptions, TrainOptions

__all__ = [
    "SPEECH",
    "AnalyzeSettings",
    "EvaluateSettings",
    "GenerateSettings",
    "InstallSettings",
    "LoadSettings",
    "StorySettings",
    "TrainSettings",
    "TranscribeSettings",
]

SPEECH = "speech"  # an analysis task of the service: the video's speech on the same timeline


# -- parsing helpers: the loose values the faces send -------------------------------------------
def _texts(value: Any) -> tuple[str, ...]:
    """Strings from a list, or from text with one item per line or comma."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.replace("\n", ",").split(",") if part.strip())
    return tuple(str(item).strip() for item in value if str(item).strip())


def _lines(value: Any) -> tuple[str, ...]:
    """Zones, lines and LoRAs carry commas themselves: one per line of text, or a list."""
    if value is None:
        return ()
    items = value.splitlines() if isinstance(value, str) else value
    return tuple(str(item).strip() for item in items if str(item).strip())


def _whole(value: Any, name: str) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"expected a whole number for {name}, got {value!r}") from None
    if not math.isfinite(number) or number != int(number):
        raise InputError(f"expected a whole number for {name}, got {value!r}")
    return int(number)


def _float(value: Any, name: str) -> float:
    """A number, kept as given when it is one (a refusal then quotes it as the user wrote it)."""
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"expected a number for {name}, got {value!r}") from None


def _unset(value: Any) -> bool:
    """What an empty field sends."""
    return value is None or (isinstance(value, str) and value == "")


def _chosen(value: Any) -> str | None:
    """A name, or ``None`` (the default) for an empty choice."""
    return str(value) if value else None


def _model_number(value: Any, name: str, whole: bool = True) -> Any:
    """None (the model's own; for the seed a random one) for empty, negative, and for sizes
    and counts zero, which is what a form's empty number field sends."""
    if _unset(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"expected {'a whole number' if whole else 'a number'} for {name}, got {value!r}") from None
    if number < 0 or (whole and name != "seed" and number == 0):
        return None
    return _whole(value, name) if whole else number


# -- the kinds -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AnalyzeSettings:
    """An analysis: what to find in the video, how often to look, and whether to draw it."""

    tasks: tuple[str, ...] = ()  # as chosen, speech among them; empty: the analysis's default tasks
    fps: Fraction | None = None  # samples per second, exact; None: the analysis's default (5)
    detector: str | None = None  # a registry name; None: the best installed
    labels: tuple[str, ...] = ()  # keep only these labels; empty keeps all
    queries: tuple[str, ...] = ()  # open-vocabulary detectors: what to look for, in words
    zones: tuple[str, ...] = ()  # one "name:x1,y1,x2,y2,x3,y3,..." each
    lines: tuple[str, ...] = ()  # one "name:x1,y1,x2,y2" each
    detect_every: int | None = None  # detect on every N-th sample; None: every one
    min_score: float | None = None  # None: the analysis's default
    max_side: int | None = None  # None: the analysis's default
    annotate: bool = True  # draw the boxes into annotated.mp4 (and its poster)

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> AnalyzeSettings:
        """Labels and queries as text (comma or line separated) or lists; zones and lines one
        per line or lists; an empty number is the default."""

        def optional(name: str, parse: Any) -> Any:
            return None if _unset(data.get(name)) else parse(data[name], name)

        return cls(
            tasks=_texts(data.get("tasks")),
            fps=None if _unset(data.get("fps")) else media.as_fps(data["fps"]),
            detector=_chosen(data.get("detector")),
            labels=_texts(data.get("labels")),
            queries=_texts(data.get("queries")),
            zones=_lines(data.get("zones")),
            lines=_lines(data.get("lines")),
            detect_every=optional("detect_every", _whole),
            min_score=optional("min_score", _float),
            max_side=optional("max_side", _whole),
            annotate=bool(data.get("annotate", True)),
        )

    @property
    def with_speech(self) -> bool:
        """Whether the video's transcript joins the timeline."""
        return SPEECH in self.tasks

    def analyze_options(self) -> AnalyzeOptions:
        """The analysis's options (every check of :class:`~studio.vision.AnalyzeOptions`)."""
        from studio.vision import AnalyzeOptions, parse_lines, parse_zones

        tasks = tuple(task for task in self.tasks if task != SPEECH)  # none: every installed one (speech too)
        values: dict[str, Any] = {
            "tasks": tasks or AnalyzeOptions.tasks,
            "detector": self.detector,
            "labels": self.labels,
            "queries": self.queries,
            "zones": parse_zones(self.zones),
            "lines": parse_lines(self.lines),
        }
        given = {"fps": self.fps, "detect_every": self.detect_every, "min_score": self.min_score,
                 "max_side": self.max_side}  # fmt: skip
        values.update({name: value for name, value in given.items() if value is not None})
        return AnalyzeOptions(**values)


@dataclass(frozen=True)
class TranscribeSettings:
    """A transcription: which model, which language, and how to decode and cue it."""

    model: str | None = None  # a registry name; None: the best installed (the check stores the one chosen)
    backend: str | None = None  # faster-whisper or openai-whisper; None: either
    language: str | None = None  # a Whisper code, lower case; None: detected
    task: str = "transcribe"  # or "translate" (into English)
    vad: bool = True  # skip silence
    word_cues: bool = False  # word-by-word cues (word timestamps)
    beam_size: int = 5

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> TranscribeSettings:
        """``"auto"`` or empty for the language is detection; an empty beam size is 5."""
        from studio.speech import TranscribeOptions

        return cls(
            model=_chosen(data.get("model")),
            backend=_chosen(data.get("backend")),
            language=TranscribeOptions.parse_language(str(data.get("language") or "auto")),
            task=str(data.get("task") or "transcribe"),
            vad=bool(data.get("vad", True)),
            word_cues=bool(data.get("word_cues")),
            beam_size=_whole(data.get("beam_size") or 5, "beam_size"),
        )

    def transcribe_options(self) -> TranscribeOptions:
        from studio.speech import TranscribeOptions

        return TranscribeOptions(
            language=self.language,
            task=self.task,
            vad=self.vad,
            word_timestamps=True if self.word_cues else None,
            beam_size=self.beam_size,
        )


@dataclass(frozen=True)
class _LoadChoices:
    """How the generation model loads: shared by a generation and a story."""

    dtype: str | None = None  # None: the adapter's best
    offload: str = "none"  # "model" or "sequential" CPU offload
    attention: str | None = None  # an attention backend by name; None: the library's default
    compile: bool = False  # torch.compile the denoiser

    def load_options(self) -> LoadOptions:
        from studio.registry import LoadOptions

        return LoadOptions(dtype=self.dtype, offload=self.offload, attention=self.attention, compile=self.compile)


def _load_choices(data: Mapping[str, Any]) -> dict[str, Any]:
    return {"dtype": _chosen(data.get("dtype")), "offload": str(data.get("offload") or "none"),
            "attention": _chosen(data.get("attention")), "compile": bool(data.get("compile"))}  # fmt: skip


@dataclass(frozen=True)
class GenerateSettings(_LoadChoices):
    """A generation: the prompt, the numbers (``None``: the model's own), LoRAs and loading."""

    prompt: str = ""
    negative_prompt: str = ""
    model: str | None = None  # None: the best installed (the check stores the one chosen)
    seed: int | None = None  # None: a random one, reported
    steps: int | None = None
    guidance_scale: float | None = None
    width: int | None = None
    height: int | None = None
    frames: int | None = None
    fps: int | None = None
    loras: tuple[str, ...] = ()  # one "path.safetensors[:scale]" each
    score: bool = True  # score the video once made (quality, prompt adherence) into its sidecar

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> GenerateSettings:
        """Empty or negative numbers, and 0 for sizes and counts (not the seed), are the model's
        own; LoRAs one per line of text, or a list."""
        return cls(
            prompt=str(data.get("prompt") or ""),
            negative_prompt=str(data.get("negative_prompt") or ""),
            model=_chosen(data.get("model")),
            seed=_model_number(data.get("seed"), "seed"),
            steps=_model_number(data.get("steps"), "steps"),
            guidance_scale=_model_number(data.get("guidance_scale"), "guidance_scale", whole=False),
            width=_model_number(data.get("width"), "width"),
            height=_model_number(data.get("height"), "height"),
            frames=_model_number(data.get("frames"), "frames"),
            fps=_model_number(data.get("fps"), "fps"),
            loras=_lines(data.get("loras")),
            score=bool(data.get("score", True)),
            **_load_choices(data),
        )

    def generate_options(self, image: Path | None = None) -> GenerateOptions:
        """The generation's options; ``image`` is the start image (image-to-video), an input file."""
        from studio.generation import GenerateOptions, parse_lora

        return GenerateOptions(
            loras=tuple(parse_lora(line) for line in self.loras), image=str(image) if image is not None else None,
            negative_prompt=self.negative_prompt, seed=self.seed, steps=self.steps,
            guidance_scale=self.guidance_scale, width=self.width, height=self.height, frames=self.frames, fps=self.fps,
        )  # fmt: skip


@dataclass(frozen=True)
class StorySettings(_LoadChoices):
    """A story: the script, and the form's choices over it (``None``: as the script says)."""

    script: str = ""  # YAML or JSON
    model: str | None = None  # None: the script's, or the best installed (the check stores the one chosen)
    seed: int | None = None  # None (a form's -1): the script's seed, or a random one
    subtitles: str | None = None
    transition: str | None = None
    input_names: dict[str, str] = field(default_factory=dict)  # each upload's own file name, by input
    score: bool = True  # score the film's timing and each shot (quality, prompt adherence) into its sidecar

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> StorySettings:
        """A negative seed is the script's; empty choices (the form's "script") are the script's."""
        seed = None if _unset(data.get("seed")) else _whole(data["seed"], "seed")
        return cls(
            script=str(data.get("script") or ""),
            model=_chosen(data.get("model")),
            seed=seed if seed is not None and seed >= 0 else None,
            subtitles=_chosen(data.get("subtitles")),
            transition=_chosen(data.get("transition")),
            score=bool(data.get("score", True)),
            **_load_choices(data),
        )

    def story(self, inputs: Mapping[str, Path]) -> Story:
        """The script with the choices over it. Start images are the uploads ``inputs``, by the
        file names the script gives them (``input_names``, else the file's own name)."""
        from studio.generation import parse_story

        uploads: dict[str, str] = {}
        for name, path in inputs.items():
            shown = self.input_names.get(name, path.name)
            if shown in uploads:
                raise InputError(f"two start images are named {shown!r}: give each upload its own file name")
            uploads[shown] = str(path)
        story = parse_story(self.script, folder=None, uploads=uploads)
        chosen: dict[str, Any] = {
            "model": self.model,
            "subtitles": self.subtitles,
            "transition": self.transition,
            "seed": self.seed,
        }
        return replace(story, **{name: value for name, value in chosen.items() if value is not None})

    def named(self, inputs: Mapping[str, Path]) -> StorySettings:
        """These settings with the uploads' own names (what the script calls them)."""
        return replace(self, input_names={name: path.name for name, path in inputs.items()})


@dataclass(frozen=True)
class InstallSettings:
    """Models to install: by name, or the offline defaults (the check stores their names)."""

    names: tuple[str, ...] = ()
    offline_defaults: bool = False

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> InstallSettings:
        """Names as text (comma or line separated) or a list."""
        chosen = cls(names=_texts(data.get("names")), offline_defaults=bool(data.get("offline_defaults")))
        if not chosen.offline_defaults and not chosen.names:
            raise InputError("name one or more models to install, or ask for the offline defaults")
        return chosen


@dataclass(frozen=True)
class LoadSettings:
    """The model the Models tab loads (in the device slot)."""

    model: str = ""  # a registry name

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> LoadSettings:
        name = str(data.get("model") or "").strip()
        if not name:
            raise InputError("pick a model to load")
        return cls(name)


@dataclass(frozen=True)
class TrainSettings:
    """A training: a folder of labelled clips on the server (one sub-folder per label) and the
    model's name, features and task."""

    folder: str = ""
    name: str = ""
    features: str = "frames"  # frames, pose or frames+pose
    task: str = "action"  # action or scene
    sample_fps: float | None = None  # None: the features' default
    max_frames: int | None = None  # None: the features' default
    force: bool = False  # replace a trained model of the same name
    embedder: str | None = None  # a classify model with embeddings; None: efficientnet-lite0

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> TrainSettings:
        """Empty numbers are the features' defaults; the folder and the name are required."""
        folder, name = str(data.get("folder") or "").strip(), str(data.get("name") or "").strip()
        if not folder:
            raise InputError("give the folder of labelled clips (one sub-folder per label) to train on")
        if not name:
            raise InputError("give the trained model a name")
        return cls(
            folder=folder,
            name=name,
            features=str(data.get("features") or "frames"),
            task=str(data.get("task") or "action"),
            sample_fps=_model_number(data.get("sample_fps"), "sample_fps", whole=False),
            max_frames=_model_number(data.get("max_frames"), "max_frames"),
            force=bool(data.get("force")),
            embedder=_chosen(data.get("embedder")),
        )

    def train_options(self) -> TrainOptions:
        from studio.vision import TrainOptions

        return TrainOptions(features=self.features, task=self.task, sample_fps=self.sample_fps,
                            max_frames=self.max_frames, force=self.force, embedder=self.embedder)  # fmt: skip


@dataclass(frozen=True)
class EvaluateSettings:
    """An evaluation of one video: the harnesses (empty: FPS and quality, and prompt adherence
    when a prompt is given), the prompt, the FPS tolerances (``None``: the harness's own), the
    embedders for subject and background consistency and the rates FPS robustness rewrites the clip at; the job
    whose video it is, when one was picked."""

    harnesses: tuple[str, ...] = ()
    prompt: str = ""
    features: str | None = None  # None: DINO, else efficientnet-lite0, when installed; "none": skip subject consistency
    background_features: str | None = None  # None: CLIP ViT-B/32 when installed; "none": skip it
    alignment: str | None = None  # the prompt's CLIPScore model; None: CLIP ViT-B/32 when installed
    video_alignment: str | None = None  # the prompt's text-video model; None: X-CLIP base/32 when installed
    vfr_share: float | None = None
    dropped_frames: int | None = None
    duplicated_share: float | None = None
    audio_drift_s: float | None = None
    rates: tuple[str, ...] = ()  # empty: the robustness harness's own (12, 24, 30, 60)
    source_job: str | None = None  # the finished job whose video this is
    source_name: str | None = None  # ... and the name the user knows that video by

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> EvaluateSettings:
        """Harnesses and rates as text (comma separated) or lists; empty numbers are the defaults."""

        def optional(name: str, parse: Any) -> Any:
            return None if _unset(data.get(name)) else parse(data[name], name)

        chosen = cls(
            harnesses=_texts(data.get("harnesses")),
            prompt=str(data.get("prompt") or "").strip(),
            features=_chosen(data.get("features")),
            background_features=_chosen(data.get("background_features")),
            alignment=_chosen(data.get("alignment")),
            video_alignment=_chosen(data.get("video_alignment")),
            vfr_share=optional("vfr_share", _float),
            dropped_frames=optional("dropped_frames", _whole),
            duplicated_share=optional("duplicated_share", _float),
            audio_drift_s=optional("audio_drift_s", _float),
            rates=_texts(data.get("rates")),
            source_job=_chosen(data.get("source_job")),
            source_name=_chosen(data.get("source_name")),
        )
        chosen.evaluate_options()  # every refusal now
        return chosen

    def evaluate_options(self) -> EvaluateOptions:
        from studio.evaluate import EvaluateOptions, FpsTolerances

        own = FpsTolerances()
        tolerances = FpsTolerances(
            vfr_share=own.vfr_share if self.vfr_share is None else self.vfr_share,
            dropped_frames=own.dropped_frames if self.dropped_frames is None else self.dropped_frames,
            duplicated_share=own.duplicated_share if self.duplicated_share is None else self.duplicated_share,
            audio_drift_s=own.audio_drift_s if self.audio_drift_s is None else self.audio_drift_s,
        )
        rates = tuple(str(media.as_fps(rate)) for rate in self.rates)
        return EvaluateOptions(harnesses=self.harnesses or None, prompt=self.prompt, tolerances=tolerances,
                               features=self.features, background_features=self.background_features,
                               alignment=self.alignment, video_alignment=self.video_alignment,
                               rates=rates)  # fmt: skip
