"""The studio's page and API: ``build_demo(settings) -> gr.Blocks``, importable without launching.

Tabs Analyze, Transcribe, Generate, Story, Jobs and Models. Every run is a job in the server's runner, so a
closed tab does not stop it and the page shows it again after a reload (the job id is kept in
the browser; a timer polls its status). Every event has an ``api_name``; the typed endpoints
for programs are ``/analyze``, ``/transcribe``, ``/generate``, ``/story``, ``/job_status``, ``/job_result``, ``/cancel``
and ``/models`` (see the README for a ``gradio_client`` example).
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from studio.core import Settings
from studio.service import SPEECH
from studio.vision import ANALYSIS_TASKS
from ui.generate_tab import generate_tab
from ui.polling import POLL_S, every, submit_and_follow
from ui.service import StudioService, readable_errors
from ui.story_tab import story_tab
from ui.views import TABLE_HEADERS, analysis_rows, job_timeline, status_html, timeline_picture, transcript_lines

__all__ = ["build_demo"]

LANGUAGES = ["auto", "en", "de", "fr", "es", "it", "pt", "nl", "pl", "ru", "uk", "tr", "ar", "hi", "ja", "ko", "zh"]
VIDEO_TYPES = [".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v", ".ts", ".mpg", ".mpeg", ".wmv", ".flv"]
AUDIO_TYPES = [".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".opus", ".wma", ".webm"]


def _demo_video(service: StudioService) -> str:
    from studio.demo import make_demo_media

    folder = service.settings.home / "demo"
    video = folder / "demo.mp4"
    if not video.is_file():
        make_demo_media(folder)
    return str(video)


def build_demo(settings: Settings | None = None, service: StudioService | None = None) -> gr.Blocks:
    """The Gradio app over ``service`` (one is created from ``settings`` if not given; the
    caller closes it with ``demo.studio.close()``)."""
    service = service or StudioService.create(settings)
    with gr.Blocks(title="Media Studio") as demo:
        gr.Markdown(
            "# Media Studio\nUnderstand, transcribe and measure video. "
            "Every run is a job: leave the page and come back to it."
        )
        with gr.Tabs():
            with gr.Tab("Analyze", id="analyze"):
                _analyze_tab(service)
            with gr.Tab("Transcribe", id="transcribe"):
                _transcribe_tab(service)
            with gr.Tab("Generate", id="generate"):
                generate_tab(service)
            with gr.Tab("Story", id="story"):
                story_tab(service)
            with gr.Tab("Jobs", id="jobs"):
                _jobs_tab(service)
            with gr.Tab("Models", id="models"):
                _models_tab(service)
    demo.studio = service  # for the launcher to close the runner
    return demo


def _analyze_tab(service: StudioService) -> None:
    with gr.Row():
        with gr.Column(scale=1):
            video = gr.Video(label="Video", sources=["upload"], elem_id="analyze-video")
            use_demo = gr.Button("Use the demo video", size="sm")
            tasks = gr.CheckboxGroup([*ANALYSIS_TASKS, SPEECH], value=list(ANALYSIS_TASKS), label="Tasks")
            fps = gr.Number(5, label="Analysis FPS (independent of the video's own rate)", minimum=0.1, maximum=240)
            detector = gr.Dropdown(
                ["auto", *service.model_names("detect")], value="auto", label="Detector", allow_custom_value=True
            )
            labels = gr.Textbox(label="Labels to keep (comma separated; empty keeps all)")
            queries = gr.Textbox(label="Text queries (open-vocabulary detectors such as owlv2-base)")
            with gr.Accordion("Zones, lines, sampling", open=False):
                zones = gr.Textbox(lines=2, label="Zones, one per line: name:x1,y1,x2,y2,x3,y3,...")
                lines = gr.Textbox(lines=2, label="Lines, one per line: name:x1,y1,x2,y2")
                detect_every = gr.Number(1, precision=0, minimum=1, label="Detect on every N-th sample, track between")
            run = gr.Button("Analyze", variant="primary", elem_id="analyze-run")
        with gr.Column(scale=2):
            status = gr.HTML(status_html(None), elem_id="analyze-status")
            job = gr.JSON(label="Job", visible=False)
            annotated = gr.Video(label="Annotated video", interactive=False, elem_id="analyze-annotated")
            picture = gr.Image(label="Timeline", type="filepath", interactive=False, elem_id="analyze-timeline")
            table = gr.Dataframe(
                headers=TABLE_HEADERS, label="Tracks and events", interactive=False, elem_id="analyze-table"
            )
            files = gr.File(label="Downloads (timeline JSON, annotated video)", file_count="multiple")

    @readable_errors
    def analyze(
        video: str | None,
        tasks: list[str],
        fps: float,
        detector: str,
        labels: str,
        queries: str,
        zones: str,
        lines: str,
        detect_every: float,
    ) -> dict[str, Any]:
        """Queue an analysis of a video; returns the job (its id, status and progress)."""
        settings = {
            "tasks": tasks,
            "fps": fps,
            "detector": None if detector in (None, "", "auto") else detector,
            "labels": labels,
            "queries": queries,
            "zones": zones,
            "lines": lines,
            "detect_every": detect_every,
        }
        return service.submit("analyze", settings, {"video": video})

    def render(job: Any) -> tuple[Any, ...]:
        paths, timeline = job.output_paths(), job_timeline(job)  # the timeline JSON read once
        return (
            str(paths["annotated"]) if "annotated" in paths else None,
            timeline_picture(job, timeline),
            analysis_rows(timeline),
            [str(p) for p in paths.values()],
        )

    @readable_errors
    def demo_video() -> str:
        """The path of the demo video (built on first use)."""
        return _demo_video(service)

    use_demo.click(demo_video, None, video, api_name="demo_video")
    inputs = [video, tasks, fps, detector, labels, queries, zones, lines, detect_every]
    outputs = [status, annotated, picture, table, files]
    submit_and_follow(service, "analyze", run, analyze, inputs, job, outputs, render)


def _transcribe_tab(service: StudioService) -> None:
    with gr.Row():
        with gr.Column(scale=1):
            upload = gr.File(label="Audio or video file", file_types=[*AUDIO_TYPES, *VIDEO_TYPES], type="filepath")
            microphone = gr.Audio(label="…or record", sources=["microphone"], type="filepath")
            model = gr.Dropdown(
                ["auto", *service.model_names("asr")], value="auto", label="Model", allow_custom_value=True
            )
            backend = gr.Dropdown(["auto", "faster-whisper", "openai-whisper"], value="auto", label="Backend")
            language = gr.Dropdown(LANGUAGES, value="auto", allow_custom_value=True, label="Language")
            task = gr.Radio(["transcribe", "translate"], value="transcribe", label="Task")
            vad = gr.Checkbox(True, label="Skip silence (voice activity detection)")
            word_cues = gr.Checkbox(False, label="Word-by-word cues (word timestamps)")
            run = gr.Button("Transcribe", variant="primary", elem_id="transcribe-run")
        with gr.Column(scale=2):
            status = gr.HTML(status_html(None), elem_id="transcribe-status")
            job = gr.JSON(label="Job", visible=False)
            text = gr.Textbox(label="Transcript (SRT)", lines=14, interactive=False, elem_id="transcribe-text")
            files = gr.File(label="Downloads (SRT, VTT, TXT, JSON)", file_count="multiple")

    @readable_errors
    def transcribe(
        media: str | None,
        recording: str | None,
        model: str,
        backend: str,
        language: str,
        task: str,
        vad: bool,
        word_cues: bool,
    ) -> dict[str, Any]:
        """Queue a transcription of an audio or video file; returns the job."""
        settings = {
            "model": None if model in (None, "", "auto") else model,
            "backend": None if backend in (None, "", "auto") else backend,
            "language": language,
            "task": task,
            "vad": vad,
            "word_cues": word_cues,
        }
        return service.submit("transcribe", settings, {"media": media or recording})

    def render(job: Any) -> tuple[Any, ...]:
        return transcript_lines(job), [str(p) for p in job.output_paths().values()]

    inputs = [upload, microphone, model, backend, language, task, vad, word_cues]
    submit_and_follow(service, "transcribe", run, transcribe, inputs, job, [status, text, files], render)


def _jobs_tab(service: StudioService) -> None:
    headers = ["id", "kind", "status", "progress", "stage", "created", "ran", "error"]
    table = gr.Dataframe(headers=headers, label="Jobs (newest first)", interactive=False, elem_id="jobs-table")
    with gr.Row():
        job_id = gr.Textbox(label="Job id", scale=3, elem_id="jobs-id")
        open_job = gr.Button("Open result", scale=1, elem_id="jobs-open")
        stop = gr.Button("Cancel", variant="stop", scale=1)
    wait_s = gr.Number(0, visible=False)  # API clients may wait for the job to finish
    details = gr.JSON(label="Job")
    files = gr.File(label="Outputs", file_count="multiple", elem_id="jobs-files")

    @readable_errors
    def job_status(job_id: str) -> dict[str, Any]:
        """A job's status, progress, stage, timings, settings and output names."""
        return service.status(job_id)

    @readable_errors
    def job_result(job_id: str, wait_s: float) -> tuple[dict[str, Any], list[str]]:
        """A job and its output files (none until it is done); waits up to wait_s seconds
        (at most 600) for the job to finish first."""
        return service.result(job_id, wait_s)

    @readable_errors
    def cancel(job_id: str) -> dict[str, Any]:
        """Cancel a queued or running job; returns it."""
        return service.cancel(job_id)

    def pick(event: gr.SelectData) -> str:
        row = event.row_value if event.row_value else []
        return str(row[0]) if row else ""

    gr.api(job_status, api_name="job_status", queue=False)
    open_job.click(job_result, [job_id, wait_s], [details, files], api_name="job_result", queue=False)
    stop.click(cancel, job_id, details, api_name="cancel", queue=False)
    table.select(pick, None, job_id, api_name="pick_job", api_visibility="undocumented")
    every(2 * POLL_S, readable_errors(service.jobs_table), None, table, "jobs_table")


def _models_tab(service: StudioService) -> None:
    headers = ["name", "task", "license", "non_commercial", "size_mb", "installed", "offline", "install", "problem"]

    def table() -> list[list[Any]]:
        return [[row[h] for h in headers] for row in service.models()]

    broken = [problem.message for problem in service.cache.registry.problems]
    gr.Markdown(
        "\n".join(f"- **{message}**" for message in broken),
        visible=bool(broken),
        elem_id="models-problems",
    )
    registry = gr.Dataframe(table(), headers=headers, label="Registered models", interactive=False)
    with gr.Row():
        install = gr.Button("Install the offline defaults")
        name = gr.Dropdown(service.cache.registry.names(), label="Model", scale=2)
        load = gr.Button("Load")
        unload = gr.Button("Unload")
    installing = gr.JSON(label="Install job", visible=True)
    resident = gr.JSON(label="Loaded in the cache")

    @readable_errors
    def install_offline_defaults() -> dict[str, Any]:
        """Queue a job that installs every model that needs no network."""
        return service.submit("install", {"offline_defaults": True}, {})

    @readable_errors
    def load_model(name: str) -> list[dict[str, Any]]:
        """Load a model into the cache; returns what is loaded."""
        return service.load(name)

    @readable_errors
    def unload_model(name: str) -> list[dict[str, Any]]:
        """Unload a model from the cache; returns what is loaded."""
        return service.unload(name)

    def loaded_models() -> list[dict[str, Any]]:
        """What the model cache holds: name, device, memory, idle seconds."""
        return service.cache.resident()

    @readable_errors
    def models() -> list[dict[str, Any]]:
        """Every registered model: task, licence, size, installed, offline, and what is wrong
        (broken weights; plug-ins that failed to load are listed too, with task "")."""
        return service.models()

    gr.api(models, api_name="models", queue=False)
    install.click(
        install_offline_defaults,
        None,
        installing,
        api_name="install_offline_defaults",
    )
    load.click(
        load_model,
        name,
        resident,
        api_name="load_model",
        concurrency_id="device",
        concurrency_limit=1,
    )
    unload.click(unload_model, name, resident, api_name="unload_model")
    gr.api(loaded_models, api_name="loaded_models", queue=False)

    def refresh() -> tuple[list[list[Any]], list[dict[str, Any]]]:
        return table(), service.cache.resident()

    every(5 * POLL_S, refresh, None, [registry, resident], "models_table")
