"""The kinds of job the service runs: analyze, transcribe, generate, story, install, load, train, evaluate.

Each kind reads its settings once into its typed value (:mod:`~studio.service.job_settings`),
turns that into the same options the CLI builds and calls the same pipeline; ``check`` refuses
bad settings, unknown models and unreadable media before a job is queued, so the caller gets the
one-line error at once, and returns the typed value as JSON data: what the job stores, and what
its run reads back (:func:`studio.core.from_data`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from studio import media
from studio.core import (
    Cancelled,
    InputError,
    echoed,
    error_line,
    from_data,
    json_bytes,
    to_data,
    write_bytes,
    write_text,
)
from studio.registry import ModelCache, default_cache
from studio.service.job_settings import (
    AnalyzeSettings,
    EvaluateSettings,
    GenerateSettings,
    InstallSettings,
    LoadSettings,
    StorySettings,
    TrainSettings,
    TranscribeSettings,
)
from studio.service.jobs import JobContext, JobKind, JobOutcome

__all__ = ["GENERATE_TASK", "SUBTITLE_FORMATS", "StudioJobs", "default_job_kinds"]

SUBTITLE_FORMATS = ("srt", "vtt", "txt", "json")
GENERATE_TASK = "text-to-video"
SPEECH_SHARE = 0.3  # of an analysis with speech, the share of progress the transcription gets
SCORE_SHARE = 0.05  # of a generation, the share of progress scoring it gets
log = logging.getLogger(__name__)


def _need(inputs: Mapping[str, Path], name: str, what: str) -> Path:
    if name not in inputs:
        raise InputError(f"no {what} given; upload one")
    return inputs[name]


def served_dataset(folder: str, datasets: Path) -> Path:
    """The training ``folder`` a served job may read: inside ``datasets`` (a relative name is taken
    from there), after every link is followed, so a remote user never names the server's other
    folders (the server otherwise reads only uploads)."""
    root = datasets.resolve()
    chosen = (root / folder).resolve()  # an absolute folder replaces the root here
    if chosen != root and root not in chosen.parents:
        raise InputError(f"the server trains only on folders inside its datasets folder {root} "
                         f"(MEDIA_STUDIO_DATASETS), one sub-folder per label; got {echoed(folder)}")  # fmt: skip
    if chosen == root:
        raise InputError(f"name a folder inside {root} (one sub-folder per label), not the datasets folder itself")
    return chosen


def _failure(exc: BaseException, folder: Path) -> str:
    """An exception as one line for a user, without the job's folder in it."""
    return error_line(exc).replace(f"{folder}/", "").replace(str(folder), "")


def _stored(settings: object) -> dict[str, Any]:
    """A kind's typed settings as the JSON data a job stores."""
    data: dict[str, Any] = to_data(settings)
    return data


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
    def check_analyze(self, settings: Mapping[str, Any], inputs: Mapping[str, Path]) -> dict[str, Any]:
        chosen = AnalyzeSettings.from_form(settings)
        options = chosen.analyze_options()
        from studio import vision

        vision.plan_tasks(options, self.cache)  # a named task whose model is missing is refused now
        video = _need(inputs, "video", "video")
        info = media.probe(video, strict=False)
        if chosen.with_speech:
            if not info.has_audio:
                raise InputError(f"{video.name} has no audio track, so there is no speech to add; untick speech")
            self._checked_transcription(TranscribeSettings(), {"media": video})
        return _stored(chosen)

    def run_analyze(self, job: JobContext) -> JobOutcome:
        from studio import vision

        chosen = from_data(AnalyzeSettings, job.settings)
        options = chosen.analyze_options()
        annotated = job.folder / "annotated.mp4" if chosen.annotate else None
        share = SPEECH_SHARE if chosen.with_speech else 0.0
        timeline = vision.analyze(
            job.inputs["video"],
            options,
            annotate_to=annotated,
            poster_to=None if annotated is None else job.folder / "poster.jpg",
            cache=self.cache,
            progress=lambda done, stage: job.progress(done * (1 - share), stage),
            cancel=job.cancel,
        )
        if chosen.with_speech:
            from studio import speech

            transcript = speech.transcribe(
                job.inputs["video"],
                cache=self.cache,
                cancel=job.cancel,
                progress=lambda done, stage: job.progress(1 - share + done * share, stage),
            )
            timeline = vision.attach_transcript(timeline, transcript)  # shot descriptions hear it too
        write_bytes(job.folder / "timeline.json", json_bytes(timeline.to_dict()))
        outputs = {"timeline": "timeline.json"}
        if annotated is not None and annotated.is_file():
            outputs["annotated"] = annotated.name
            if (job.folder / "poster.jpg").is_file():
                outputs["poster"] = "poster.jpg"
            strip = vision.shot_captions_vtt(timeline)
            if strip is not None:
                write_text(job.folder / "annotated.shots.vtt", strip)
                outputs["shot_captions"] = "annotated.shots.vtt"
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
    def _checked_transcription(self, chosen: TranscribeSettings, inputs: Mapping[str, Path]) -> TranscribeSettings:
        """``chosen`` with the model it will run (refused here if it cannot)."""
        from studio.speech import check_request, resolve_asr_spec

        options = chosen.transcribe_options()
        spec = resolve_asr_spec(self.cache.registry, self.cache.settings, chosen.model, chosen.backend, options)
        check_request(spec, options, self.cache.registry)
        media.audio_duration(_need(inputs, "media", "audio or video file"))
        return replace(chosen, model=spec.name)

    def check_transcribe(self, settings: Mapping[str, Any], inputs: Mapping[str, Path]) -> dict[str, Any]:
        return _stored(self._checked_transcription(TranscribeSettings.from_form(settings), inputs))

    def run_transcribe(self, job: JobContext) -> JobOutcome:
        from studio import speech

        chosen = from_data(TranscribeSettings, job.settings)
        transcript = speech.transcribe(
            job.inputs["media"],
            model=chosen.model,
            options=chosen.transcribe_options(),
            cache=self.cache,
            progress=job.progress,
            cancel=job.cancel,
        )
        outputs = {}
        for fmt in SUBTITLE_FORMATS:
            name = f"transcript.{fmt}"
            write_text(job.folder / name, speech.export(transcript, fmt, word_timing=chosen.word_cues))
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
    def check_generate(self, settings: Mapping[str, Any], inputs: Mapping[str, Path]) -> dict[str, Any]:
        from studio.generation import check_image, resolve_request

        chosen = GenerateSettings.from_form(settings)
        options = chosen.generate_options(inputs.get("image"))
        chosen.load_options()  # a bad dtype or offload is refused before the model is chosen, as before
        spec = self.cache.registry.choose(GENERATE_TASK, chosen.model, self.cache.settings)
        request = resolve_request(chosen.prompt, options, spec.params, options.seed or 0)  # before any weights load
        check_image(request.image, spec, self.cache)
        return _stored(replace(chosen, model=spec.name))

    def run_generate(self, job: JobContext) -> JobOutcome:
        from studio.generation import generate_video

        chosen = from_data(GenerateSettings, job.settings)
        options = chosen.generate_options(job.inputs.get("image"))
        share = SCORE_SHARE if chosen.score else 0.0
        with self.cache.in_use():  # the pipeline held while it computes, released before scoring loads others
            video = generate_video(chosen.prompt, job.folder / "video.mp4", model=chosen.model, options=options,
                                   load=chosen.load_options(), cache=self.cache,
                                   progress=lambda done, stage: job.progress(done * (1 - share), stage),
                                   cancel=job.cancel)  # fmt: skip
        names = ("seed", "frames", "video_frames", "width", "height", "fps", "model_fps", "model")
        summary = {name: getattr(video, name) for name in names}
        summary["processing_s"] = video.processing_s
        outputs = {"video": "video.mp4", "sidecar": "video.json", "thumbnail": "video.png"}
        if chosen.score:
            job.progress(1 - share, "scoring the video (quality, prompt adherence)")
            summary.update(self._scored_generation(job, chosen.prompt, outputs))
        return JobOutcome(outputs, summary)

    def _scored_generation(self, job: JobContext, prompt: str, outputs: dict[str, str]) -> dict[str, Any]:
        """Score the job's new video into its sidecar, with a report and page beside it; what the
        summary keeps. A failure here is recorded, never the job's: the video is made."""
        from studio.evaluate import add_to_sidecar, evaluation_html, evaluation_plots, score_generation

        try:
            with self.cache.in_use():
                result, scores = score_generation(job.folder / "video.mp4", prompt, self.cache)
                add_to_sidecar(job.folder / "video.json", scores.to_dict())
                if result is not None:
                    result = result.named("video.mp4")
                    write_bytes(job.folder / "evaluation.json", json_bytes(result.to_dict()))
                    write_text(job.folder / "evaluation.html", evaluation_html(result, evaluation_plots(result)))
                    outputs.update({"evaluation": "evaluation.json", "evaluation_page": "evaluation.html"})
        except Exception as exc:
            log.warning("scoring job %s failed", job.job_id, exc_info=True)
            return {"scores": {}, "scores_skipped": {"scoring": _failure(exc, job.folder)}}
        return {"scores": scores.scores, "scores_skipped": scores.skipped}

    # -- story ------------------------------------------------------------------------------
    def check_story(self, settings: Mapping[str, Any], inputs: Mapping[str, Path]) -> dict[str, Any]:
        from studio.generation import check_story

        chosen = StorySettings.from_form(settings).named(inputs)
        story = chosen.story(inputs)
        spec = check_story(story, self.cache, chosen.load_options())  # every refusal before any weights load
        return _stored(replace(chosen, model=spec.name))

    def run_story(self, job: JobContext) -> JobOutcome:
        from studio.generation import make_story

        chosen = from_data(StorySettings, job.settings)
        share = SCORE_SHARE if chosen.score else 0.0
        with self.cache.in_use():  # the pipeline held while it computes, released before scoring loads others
            film = make_story(chosen.story(job.inputs), job.folder / "film.mp4", cache=self.cache,
                              load=chosen.load_options(), cancel=job.cancel,
                              progress=lambda done, stage: job.progress(done * (1 - share), stage))  # fmt: skip
        outputs = {"video": "film.mp4", "sidecar": "film.json", "thumbnail": "film.png"}
        if film.srt:
            outputs["subtitles"] = "film.srt"
        summary = {"seed": film.seed, "frames": film.frames, "fps": film.fps, "duration_s": film.duration_s,
                   "shots": len(film.shots), "reused": sum(shot.reused for shot in film.shots), "model": film.model,
                   "processing_s": film.processing_s}  # fmt: skip
        if chosen.score:
            from studio.evaluate import add_to_sidecar, score_story

            job.progress(1 - share, "scoring the film and each shot (quality, prompt adherence)")
            made = [(shot.index, shot.prompt, shot.video) for shot in film.shots]
            try:
                with self.cache.in_use():
                    whole, shots = score_story(job.folder / "film.mp4", made, self.cache)
                scored = {"film": whole.to_dict(), "shots": [s.to_dict() for s in shots]}
                add_to_sidecar(job.folder / "film.json", scored)
                summary["scores"] = whole.scores
                summary["shot_scores"] = [{"shot": s.index, **s.scores.scores} for s in shots]
            except Exception as exc:
                log.warning("scoring job %s failed", job.job_id, exc_info=True)
                summary.update({"scores": {}, "scores_skipped": {"scoring": _failure(exc, job.folder)}})
        return JobOutcome(outputs, summary)

    # -- install ----------------------------------------------------------------------------
    def check_install(self, settings: Mapping[str, Any], inputs: Mapping[str, Path]) -> dict[str, Any]:
        """Stores the names to install: the offline defaults' own names, if asked for them."""
        chosen = InstallSettings.from_form(settings)
        registry = self.cache.registry
        if chosen.offline_defaults:
            return _stored(replace(chosen, names=tuple(spec.name for spec in registry.specs() if spec.offline)))
        for name in chosen.names:
            registry.get(name)
        return _stored(chosen)

    def run_install(self, job: JobContext) -> JobOutcome:
        from studio.registry import install_model

        names = from_data(InstallSettings, job.settings).names
        installed: dict[str, str] = {}
        for number, name in enumerate(names):
            if job.cancel.is_set():  # between models: the ones installed stay installed
                done = f"; installed {', '.join(installed)}" if installed else ""
                raise Cancelled(f"install cancelled before {name}{done}", partial=installed)
            job.progress(number / len(names), f"installing {name}")
            installed[name] = str(install_model(self.cache.registry.get(name), self.cache.settings))
        return JobOutcome({}, {"installed": installed})

    # -- load (the Models tab): in the device slot, so it never computes beside a running job --
    def check_load(self, settings: Mapping[str, Any], inputs: Mapping[str, Path]) -> dict[str, Any]:
        chosen = LoadSettings.from_form(settings)
        self.cache.registry.get(chosen.model)  # an unknown name is refused here, with the names there are
        return _stored(chosen)

    def run_load(self, job: JobContext) -> JobOutcome:
        name = from_data(LoadSettings, job.settings).model
        job.progress(0.0, f"loading {name}")
        self.cache.get(name)
        return JobOutcome({}, {"loaded": name})

    # -- train: a classifier from a folder of labelled clips, into the models home ---------------
    def check_train(self, settings: Mapping[str, Any], inputs: Mapping[str, Path]) -> dict[str, Any]:
        from studio.vision import check_training

        chosen = TrainSettings.from_form(settings)
        chosen = replace(chosen, folder=str(served_dataset(chosen.folder, self.cache.settings.datasets)))
        check_training(chosen.folder, chosen.name, chosen.train_options(), self.cache)  # every refusal, at once
        return _stored(chosen)

    def run_train(self, job: JobContext) -> JobOutcome:
        import shutil

        from studio.vision import train_classifier

        chosen = from_data(TrainSettings, job.settings)
        result = train_classifier(chosen.folder, chosen.name, chosen.train_options(), cache=self.cache,
                                  progress=job.progress, cancel=job.cancel)  # fmt: skip
        write_bytes(job.folder / "train.json", json_bytes(result.to_dict()))
        shutil.copyfile(result.confusion_png, job.folder / "confusion.png")
        names = ("name", "task", "features", "labels", "clips_per_label", "frame_rates", "folds", "accuracy",
                 "precision", "recall", "confusion", "feature_s", "training_s", "saved_to", "warnings")  # fmt: skip
        summary = {name: to_data(getattr(result, name)) for name in names}
        return JobOutcome({"result": "train.json", "confusion": "confusion.png"}, summary)

    # -- evaluate: one video through the harnesses picked, a report and its plots ---------------
    def check_evaluate(self, settings: Mapping[str, Any], inputs: Mapping[str, Path]) -> dict[str, Any]:
        from studio.evaluate import check_embedder

        chosen = EvaluateSettings.from_form(settings)
        options = chosen.evaluate_options()
        media.probe(_need(inputs, "video", "video"), strict=False)  # a file with no video stream is refused here
        picked = options.harnesses or ()  # resolved by the options: never None here
        if "quality" in picked:
            check_embedder(self.cache, options.features)
            check_embedder(self.cache, options.background_features)
        if "prompt" in picked:
            from studio.evaluate import check_alignment, check_video_alignment

            check_alignment(self.cache, options.alignment)
            check_video_alignment(self.cache, options.video_alignment)
        if {"prompt", "fps-robustness"} & set(picked):  # their analysis models, installed, before queueing
            from studio import vision
            from studio.evaluate import adherence_tasks

            # adherence's tasks include robustness's own detect and track: one plan checks both
            tasks = adherence_tasks(options.prompt) if "prompt" in picked else ("detect", "track")
            vision.plan_tasks(vision.AnalyzeOptions(tasks=tasks), self.cache)
        return _stored(chosen)

    def run_evaluate(self, job: JobContext) -> JobOutcome:
        from studio.evaluate import evaluate_video, evaluation_html, evaluation_plots, evaluation_scores

        chosen = from_data(EvaluateSettings, job.settings)
        video = job.inputs["video"]
        result = evaluate_video(video, chosen.evaluate_options(), cache=self.cache, progress=job.progress,
                                cancel=job.cancel)  # fmt: skip
        name = chosen.source_name or str(job.settings.get("input_names", {}).get("video") or video.name)
        result = result.named(name)  # the report names the file as the user does, not the job's folder
        plots = evaluation_plots(result)
        write_bytes(job.folder / "evaluation.json", json_bytes(result.to_dict()))
        write_text(job.folder / "evaluation.html", evaluation_html(result, plots, name))
        outputs = {"report": "evaluation.json", "page": "evaluation.html"}
        for file, png in plots.items():
            write_bytes(job.folder / file, png)
            outputs[file.removesuffix(".png")] = file
        summary = {"file": name, "harnesses": result.harnesses, "failures": result.failures,
                   "scores": evaluation_scores(result), "seconds": result.seconds,
                   "source_job": chosen.source_job}  # fmt: skip
        return JobOutcome(outputs, summary)

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
            "generate": JobKind("generate", self.run_generate, self.check_generate),  # holds its own, in two steps
            "story": JobKind("story", self.run_story, self.check_story),
            "install": JobKind("install", self.run_install, self.check_install, heavy=False),
            "load": JobKind("load", self.run_load, self.check_load),
            "train": JobKind("train", hold(self.run_train), self.check_train),
            "evaluate": JobKind("evaluate", hold(self.run_evaluate), self.check_evaluate),
        }


def default_job_kinds(cache: ModelCache | None = None) -> dict[str, JobKind]:
    """analyze, transcribe and install over ``cache`` (the process-wide cache by default)."""
    jobs = StudioJobs() if cache is None else StudioJobs(_cache=cache)
    return jobs.kinds()
