"""The kinds of job the service runs: analyze, transcribe, generate, story, install.

Each kind turns JSON settings into the same options the CLI builds and calls the same
pipeline; ``check`` refuses bad settings, unknown models and unreadable media before a job is
queued, so the caller gets the one-line error at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from studio import media
from studio.core import Cancelled, InputError, json_bytes, write_bytes, write_text
from studio.registry import ModelCache, default_cache
from studio.service.jobs import JobContext, JobKind, JobOutcome

__all__ = ["GENERATE_TASK", "SPEECH", "SUBTITLE_FORMATS", "StudioJobs", "default_job_kinds"]

SUBTITLE_FORMATS = ("srt", "vtt", "txt", "json")
SPEECH = "speech"  # an analysis task of the service: the video's speech on the same timeline
GENERATE_TASK = "text-to-video"
SPEECH_SHARE = 0.3  # of an analysis with speech, the share of progress the transcription gets


def _texts(value: Any) -> list[str]:
    """A list of strings from a list, or from text with one item per line or comma."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]
    return [str(item).strip() for item in value if str(item).strip()]


def _lines(value: Any) -> list[str]:
    """Zones and lines carry commas themselves: one per line of text, or a list."""
    if value is None:
        return []
    items = value.splitlines() if isinstance(value, str) else value
    return [str(item).strip() for item in items if str(item).strip()]


def _need(inputs: dict[str, Path], name: str, what: str) -> Path:
    if name not in inputs:
        raise InputError(f"no {what} given; upload one")
    return inputs[name]


@dataclass
class StudioJobs:
    """The job kinds over one model cache (the process-wide one unless given)."""

    cache_factory: Callable[[], ModelCache] = default_cache
    _cache: ModelCache | None = field(default=None, repr=False)

    @property
    def cache(self) -> ModelCache:
        if self._cache is None:
            self._cache = self.cache_factory()
        return self._cache

    # -- analyze ----------------------------------------------------------------------------
    def _analyze_options(self, settings: dict[str, Any]) -> Any:
        from studio.vision import AnalyzeOptions, parse_lines, parse_zones

        tasks = [task for task in _texts(settings.get("tasks")) if task != SPEECH]
        if not tasks and SPEECH in _texts(settings.get("tasks")):
            raise InputError(
                "speech is added to an analysis: choose detect, track, pose or motion too (or use transcription alone)"
            )
        values: dict[str, Any] = {
            "tasks": tuple(tasks) or AnalyzeOptions.tasks,
            "detector": settings.get("detector") or None,
            "labels": tuple(_texts(settings.get("labels"))),
            "queries": tuple(_texts(settings.get("queries"))),
            "zones": parse_zones(_lines(settings.get("zones"))),
            "lines": parse_lines(_lines(settings.get("lines"))),
        }
        for name in ("fps", "detect_every", "min_score", "max_side"):
            if settings.get(name) not in (None, ""):
                values[name] = settings[name]
        if "detect_every" in values:
            values["detect_every"] = _whole(values["detect_every"], "detect_every")
        return AnalyzeOptions(**values)

    def check_analyze(self, settings: dict[str, Any], inputs: dict[str, Path]) -> dict[str, Any]:
        options = self._analyze_options(settings)
        if "detect" in options.tasks:
            self.cache.registry.choose("detect", options.detector, self.cache.settings)
        video = _need(inputs, "video", "video")
        info = media.probe(video, strict=False)
        if SPEECH in _texts(settings.get("tasks")):
            if not info.has_audio:
                raise InputError(f"{video.name} has no audio track, so there is no speech to add; untick speech")
            self.check_transcribe({}, {"media": video})
        return {**settings, "annotate": bool(settings.get("annotate", True))}

    def run_analyze(self, job: JobContext) -> JobOutcome:
        from studio import vision

        options = self._analyze_options(job.settings)
        with_speech = SPEECH in _texts(job.settings.get("tasks"))
        annotated = job.folder / "annotated.mp4" if job.settings.get("annotate", True) else None
        share = SPEECH_SHARE if with_speech else 0.0
        timeline = vision.analyze(
            job.inputs["video"],
            options,
            annotate_to=annotated,
            poster_to=None if annotated is None else job.folder / "poster.jpg",
            cache=self.cache,
            progress=lambda done, stage: job.progress(done * (1 - share), stage),
            cancel=job.cancel,
        )
        if with_speech:
            from studio import speech

            transcript = speech.transcribe(
                job.inputs["video"],
                cache=self.cache,
                cancel=job.cancel,
                progress=lambda done, stage: job.progress(1 - share + done * share, stage),
            )
            timeline = replace(timeline, transcript=transcript)
        write_bytes(job.folder / "timeline.json", json_bytes(timeline.to_dict()))
        outputs = {"timeline": "timeline.json"}
        if annotated is not None and annotated.is_file():
            outputs["annotated"] = annotated.name
            if (job.folder / "poster.jpg").is_file():
                outputs["poster"] = "poster.jpg"
        labels: dict[str, int] = {}
        for track in timeline.tracks:
            labels[track.label] = labels.get(track.label, 0) + 1
        summary = {
            "frames": len(timeline.sample_times_s),
            "tracks": len(timeline.tracks),
            "labels": labels,
            "events": len(timeline.events),
            "speech_segments": len(timeline.transcript.segments) if timeline.transcript else None,
            "duration_s": timeline.video.duration_s,
            "warnings": list(timeline.warnings),
        }
        return JobOutcome(outputs, summary)

    # -- transcribe -------------------------------------------------------------------------
    def _transcribe_options(self, settings: dict[str, Any]) -> Any:
        from studio.speech import TranscribeOptions

        language = str(settings.get("language") or "auto")
        return TranscribeOptions(
            language=TranscribeOptions.parse_language(language),
            task=str(settings.get("task") or "transcribe"),
            vad=bool(settings.get("vad", True)),
            word_timestamps=True if settings.get("word_cues") else None,
            beam_size=_whole(settings.get("beam_size") or 5, "beam_size"),
        )

    def check_transcribe(self, settings: dict[str, Any], inputs: dict[str, Path]) -> dict[str, Any]:
        from studio.speech import check_request, resolve_asr_spec

        options = self._transcribe_options(settings)
        spec = resolve_asr_spec(
            self.cache.registry,
            self.cache.settings,
            settings.get("model") or None,
            settings.get("backend") or None,
            options,
        )
        check_request(spec, options, self.cache.registry)
        media.audio_duration(_need(inputs, "media", "audio or video file"))
        return {**settings, "model": spec.name}

    def run_transcribe(self, job: JobContext) -> JobOutcome:
        from studio import speech

        options = self._transcribe_options(job.settings)
        transcript = speech.transcribe(
            job.inputs["media"],
            model=job.settings.get("model"),
            options=options,
            cache=self.cache,
            progress=job.progress,
            cancel=job.cancel,
        )
        outputs = {}
        for fmt in SUBTITLE_FORMATS:
            name = f"transcript.{fmt}"
            cues = speech.export(transcript, fmt, word_timing=bool(job.settings.get("word_cues")))
            write_text(job.folder / name, cues)
            outputs[fmt] = name
        summary = {
            "language": transcript.language,
            "language_probability": transcript.language_probability,
            "segments": len(transcript.segments),
            "duration_s": transcript.duration_s,
            "text": transcript.text[:2000],
            "warnings": list(transcript.warnings),
        }
        return JobOutcome(outputs, summary)

    # -- generate ---------------------------------------------------------------------------
    def _generation(self, settings: dict[str, Any], image: Path | None = None) -> tuple[str, Any, Any]:
        from studio.generation import GenerateOptions, parse_lora

        def number(name: str, kind: type = int) -> Any:
            """None (the model's own; for the seed a random one) for empty, negative, and for
            sizes and counts zero, which is what a form's empty number field sends."""
            value = settings.get(name)
            if value in (None, "") or float(value) < 0 or (kind is int and name != "seed" and float(value) == 0):
                return None
            return _whole(value, name) if kind is int else float(value)

        loras = tuple(parse_lora(line) for line in _lines(settings.get("loras")))
        options = GenerateOptions(
            loras=loras, image=str(image) if image is not None else None,
            negative_prompt=str(settings.get("negative_prompt") or ""), seed=number("seed"), steps=number("steps"),
            guidance_scale=number("guidance_scale", float), width=number("width"), height=number("height"),
            frames=number("frames"), fps=number("fps"),
        )  # fmt: skip
        return str(settings.get("prompt") or ""), options, _load_options(settings)

    def check_generate(self, settings: dict[str, Any], inputs: dict[str, Path]) -> dict[str, Any]:
        from studio.generation import check_image, resolve_request

        prompt, options, _ = self._generation(settings, inputs.get("image"))
        spec = self.cache.registry.choose(GENERATE_TASK, settings.get("model") or None, self.cache.settings)
        request = resolve_request(prompt, options, spec.params, options.seed or 0)  # before any weights load
        check_image(request.image, spec, self.cache)
        return {**settings, "model": spec.name}

    def run_generate(self, job: JobContext) -> JobOutcome:
        from studio.generation import generate_video

        prompt, options, load = self._generation(job.settings, job.inputs.get("image"))
        video = generate_video(prompt, job.folder / "video.mp4", model=job.settings.get("model"), options=options,
                               load=load, cache=self.cache, progress=job.progress, cancel=job.cancel)  # fmt: skip
        names = ("seed", "frames", "video_frames", "width", "height", "fps", "model_fps", "model")
        summary = {name: getattr(video, name) for name in names}
        summary["processing_s"] = video.processing_s
        return JobOutcome({"video": "video.mp4", "sidecar": "video.json", "thumbnail": "video.png"}, summary)

    # -- story ------------------------------------------------------------------------------
    def _story(self, settings: dict[str, Any], inputs: dict[str, Path], names: dict[str, str]) -> tuple[Any, Any]:
        """The script with the form's choices over it, and the load options. Start images are
        the uploads, by the file names the script gives them."""
        from studio.generation import parse_story

        uploads: dict[str, str] = {}
        for name, path in inputs.items():
            shown = names.get(name, path.name)
            if shown in uploads:
                raise InputError(f"two start images are named {shown!r}: give each upload its own file name")
            uploads[shown] = str(path)
        story = parse_story(str(settings.get("script") or ""), folder=None, uploads=uploads)
        chosen = {key: settings[key] for key in ("model", "subtitles", "transition") if settings.get(key)}
        seed = None if settings.get("seed") in (None, "") else _whole(settings["seed"], "seed")
        if seed is not None and seed >= 0:  # a form's -1: the script's seed, or a random one
            chosen["seed"] = seed
        return replace(story, **chosen), _load_options(settings)

    def check_story(self, settings: dict[str, Any], inputs: dict[str, Path]) -> dict[str, Any]:
        from studio.generation import check_story

        story, load = self._story(settings, inputs, {name: path.name for name, path in inputs.items()})
        spec = check_story(story, self.cache, load)  # every refusal before any weights load
        return {**settings, "model": spec.name}

    def run_story(self, job: JobContext) -> JobOutcome:
        from studio.generation import make_story

        story, load = self._story(job.settings, job.inputs, job.settings.get("input_names", {}))
        film = make_story(story, job.folder / "film.mp4", cache=self.cache, load=load, progress=job.progress,
                          cancel=job.cancel)  # fmt: skip
        outputs = {"video": "film.mp4", "sidecar": "film.json", "thumbnail": "film.png"}
        if film.srt:
            outputs["subtitles"] = "film.srt"
        summary = {"seed": film.seed, "frames": film.frames, "fps": film.fps, "duration_s": film.duration_s,
                   "shots": len(film.shots), "reused": sum(shot.reused for shot in film.shots), "model": film.model,
                   "processing_s": film.processing_s}  # fmt: skip
        return JobOutcome(outputs, summary)

    # -- install ----------------------------------------------------------------------------
    def _install_names(self, settings: dict[str, Any]) -> list[str]:
        registry = self.cache.registry
        if settings.get("offline_defaults"):
            return [spec.name for spec in registry.specs() if spec.offline]
        names = _texts(settings.get("names"))
        if not names:
            raise InputError("name one or more models to install, or ask for the offline defaults")
        for name in names:
            registry.get(name)
        return names

    def check_install(self, settings: dict[str, Any], inputs: dict[str, Path]) -> dict[str, Any]:
        return {**settings, "names": self._install_names(settings)}

    def run_install(self, job: JobContext) -> JobOutcome:
        from studio.registry import install_model

        names: Sequence[str] = job.settings["names"]
        installed: dict[str, str] = {}
        for number, name in enumerate(names):
            if job.cancel.is_set():  # between models: the ones installed stay installed
                done = f"; installed {', '.join(installed)}" if installed else ""
                raise Cancelled(f"install cancelled before {name}{done}", partial=installed)
            job.progress(number / len(names), f"installing {name}")
            installed[name] = str(install_model(self.cache.registry.get(name), self.cache.settings))
        return JobOutcome({}, {"installed": installed})

    # -- load (the Models tab): in the device slot, so it never computes beside a running job --
    def check_load(self, settings: dict[str, Any], inputs: dict[str, Path]) -> dict[str, Any]:
        name = str(settings.get("model") or "").strip()
        if not name:
            raise InputError("pick a model to load")
        self.cache.registry.get(name)  # an unknown name is refused here, with the names there are
        return {**settings, "model": name}

    def run_load(self, job: JobContext) -> JobOutcome:
        name = job.settings["model"]
        job.progress(0.0, f"loading {name}")
        self.cache.get(name)
        return JobOutcome({}, {"loaded": name})

    def _holding(self, run: Callable[[JobContext], JobOutcome]) -> Callable[[JobContext], JobOutcome]:
        """``run`` with every model it gets from the cache held in use until it returns: not
        evicted, unloaded or counted idle while the job computes with it."""

        def held(job: JobContext) -> JobOutcome:
            with self.cache.in_use():
                return run(job)

        return held

    def kinds(self) -> dict[str, JobKind]:
        hold = self._holding
        return {
            "analyze": JobKind("analyze", hold(self.run_analyze), self.check_analyze),
            "transcribe": JobKind("transcribe", hold(self.run_transcribe), self.check_transcribe),
            "generate": JobKind("generate", hold(self.run_generate), self.check_generate),
            "story": JobKind("story", hold(self.run_story), self.check_story),
            "install": JobKind("install", self.run_install, self.check_install, heavy=False),
            "load": JobKind("load", self.run_load, self.check_load),
        }


def _load_options(settings: dict[str, Any]) -> Any:
    """dtype, offload, attention backend and compile from a form's or a client's settings."""
    from studio.registry import LoadOptions

    return LoadOptions(dtype=settings.get("dtype") or None, offload=str(settings.get("offload") or "none"),
                       attention=settings.get("attention") or None, compile=bool(settings.get("compile")))  # fmt: skip


def _whole(value: Any, name: str) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"expected a whole number for {name}, got {value!r}") from None
    if not math.isfinite(number) or number != int(number):
        raise InputError(f"expected a whole number for {name}, got {value!r}")
    return int(number)


def default_job_kinds(cache: ModelCache | None = None) -> dict[str, JobKind]:
    """analyze, transcribe and install over ``cache`` (the process-wide cache by default)."""
    jobs = StudioJobs() if cache is None else StudioJobs(_cache=cache)
    return jobs.kinds()
