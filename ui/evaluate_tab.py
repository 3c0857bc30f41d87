"""The Evaluate tab: a video (an upload, or the video of a finished job) through the harnesses
picked, as a job: its verdict, scores, plots, the report (JSON and an HTML page) out."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import gradio as gr

from studio.core import InputError
from studio.evaluate import DEFAULT_HARNESSES, HARNESSES
from studio.service import Job
from ui.fields import ChoicesField
from ui.polling import on_page_load, submit_and_follow
from ui.service import StudioService, readable_errors
from ui.transcribe_tab import VIDEO_TYPES
from ui.views import job_inputs, local_time, status_html

__all__ = ["HARNESS_LABELS", "evaluate_tab", "evaluation_view", "finished_videos", "job_video", "verdict_html"]

HARNESS_LABELS = {"fps": "FPS consistency (timing, drops, repeats, A/V drift)",
                  "quality": "Quality (VBench flicker, smoothness, subject consistency)",
                  "prompt": "Prompt adherence (grounded: what the prompt names is found)",
                  "fps-robustness": "FPS robustness (the analysis at 12/24/30/60 fps; slow)"}  # fmt: skip
VIDEO_KINDS = ("generate", "story", "analyze", "evaluate")  # jobs with a video: made (an output) or given (an input)


def job_video(service: StudioService, job_id: str) -> tuple[Path, str, str]:
    """The video of the finished job ``job_id`` (a generated one, else the one it was given),
    its prompt (a generation's, else empty) and the name the user knows it by."""
    job = service.job(job_id)
    if job.status != "done":
        raise InputError(f"job {job.id} is {job.status}; pick a finished one")
    made = job.output_paths().get("video")
    given = job_inputs(job).get("video")
    if made is not None:
        return made, str(job.settings.get("prompt") or ""), f"{job.kind} {job.id}: {made.name}"
    if given is not None and Path(given).is_file():
        name = (job.settings.get("input_names") or {}).get("video") or Path(given).name
        return Path(given), "", str(name)
    raise InputError(f"job {job.id} ({job.kind}) has no video to evaluate")


def finished_videos(service: StudioService, limit: int = 50) -> list[tuple[str, str]]:
    """(label, job id) of the finished jobs that have a video, newest first."""
    choices = []
    for job in service.runner.jobs(limit):
        if job.kind not in VIDEO_KINDS or job.status != "done":
            continue
        names = job.settings.get("input_names") or {}
        about = str(job.settings.get("prompt") or names.get("video") or "")[:60]
        choices.append((f"{job.kind} · {local_time(job.finished_at)} · {about}", job.id))
    return choices


def _shown(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def verdict_html(job: Job) -> str:
    """The verdict, each failed check, and the headline scores of a finished evaluation (nothing
    for one that failed or was cancelled: its status line says why)."""
    if job.status != "done":
        return ""
    summary = job.summary
    scores = dict(summary.get("scores") or {})
    verdict = str(scores.pop("verdict", "scored"))
    colour = {"fail": "#b91c1c", "pass": "#166534"}.get(verdict, "inherit")
    failures = "".join(f"<li>{html.escape(str(f))}</li>" for f in summary.get("failures") or [])
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(_shown(v))}</td></tr>" for k, v in scores.items())
    return (f"<div class='studio-verdict' data-verdict='{html.escape(verdict)}'><p><b>"
            f"{html.escape(str(summary.get('file', '')))}</b>: <b style='color:{colour}'>{html.escape(verdict)}</b>"
            f"</p>{f'<ul>{failures}</ul>' if failures else ''}<div style='overflow-x:auto'>"
            f"<table class='studio-settings'>{rows}</table></div></div>")  # fmt: skip


def evaluation_view(job: Job) -> tuple[Any, ...]:
    """A finished evaluation as the tab shows it: verdict and scores, the plots, the report, the files."""
    paths = job.output_paths()
    plots = [(str(path), name) for name, path in paths.items() if path.suffix == ".png"]
    report = json.loads(paths["report"].read_text(encoding="utf-8")) if "report" in paths else job.summary
    return verdict_html(job), plots, report, [str(path) for path in paths.values()]


def evaluate_tab(service: StudioService) -> None:
    gr.Markdown(
        "Measures a video: its frame timing against its header (a pass/fail verdict with every tolerance "
        "stated), generation quality by VBench's definitions, how much of a prompt it shows, and how stable the "
        "analysis stays at other frame rates. Upload a video or pick a finished job's. Prompt adherence and FPS "
        "robustness need a detector (Models tab: *Install the offline defaults*).",
        elem_classes="studio-intro",
    )
    specs = service.cache.registry.specs()
    embedders = [spec.name for spec in specs if spec.can("embed")]
    text_image = [spec.name for spec in specs if spec.can("embed") and spec.can("zero-shot")]
    text_video = [spec.name for spec in specs if spec.can("video-text")]
    with gr.Row():
        with gr.Column(scale=1):
            upload = gr.File(label="Video", file_types=VIDEO_TYPES, type="filepath", elem_id="evaluate-file")
            with gr.Row():
                picked = gr.Dropdown([], value=None, label="Finished job's video", info="instead of an upload; "
                                     "or paste a job id", allow_custom_value=True, elem_id="evaluate-job",
                                     scale=4)  # fmt: skip
                refresh = gr.Button("Refresh", size="sm", scale=1, min_width=80)
            harnesses = ChoicesField([(label, name) for name, label in HARNESS_LABELS.items()],
                                     value=list(DEFAULT_HARNESSES), label="Harnesses",
                                     elem_id="evaluate-harnesses")  # fmt: skip
            prompt = gr.Textbox(label="Prompt", info="for prompt adherence; a generation's own when its job is picked",
                                lines=2, elem_id="evaluate-prompt")  # fmt: skip
            features = gr.Dropdown(["auto", "none", *embedders], value="auto", label="Embedder for subject consistency",
                                   info="auto: DINO, else EfficientNet-Lite0; none: skip it")  # fmt: skip
            with gr.Accordion("Models for background consistency and text alignment", open=False):
                background = gr.Dropdown(["auto", "none", *embedders], value="auto",
                                         label="Embedder for background consistency",
                                         info="auto: CLIP ViT-B/32 when installed; none: skip it")  # fmt: skip
                alignment = gr.Dropdown(["auto", "none", *text_image], value="auto",
                                        label="Text-image model for the prompt's CLIPScore",
                                        info="auto: CLIP ViT-B/32 when installed; none: skip it")  # fmt: skip
                video_alignment = gr.Dropdown(["auto", "none", *text_video], value="auto",
                                              label="Text-video model scoring the prompt on the whole video",
                                              info="auto: X-CLIP base/32 when installed; none: skip it")  # fmt: skip
            run = gr.Button("Evaluate", variant="primary", elem_id="evaluate-run")
        with gr.Column(scale=2):
            status = gr.HTML(status_html(None), elem_id="evaluate-status", elem_classes="studio-status-box")
            job = gr.JSON(label="Job", visible=False)
            verdict = gr.HTML("", elem_id="evaluate-verdict")
            plots = gr.Gallery(label="Plots", columns=2, height="auto", object_fit="contain", elem_id="evaluate-plots")
            report = gr.JSON(label="Report (evaluation.json)")
            files = gr.File(label="Downloads (JSON, HTML page, PNG plots)", file_count="multiple")

    def choices() -> Any:
        return gr.update(choices=finished_videos(service))

    refresh.click(choices, None, picked, api_visibility="private", queue=False)
    on_page_load(choices, None, picked)

    @readable_errors
    def prompt_of(job_id: str | None) -> Any:
        if not job_id:
            return gr.skip()
        _, said, _ = job_video(service, job_id)
        return said if said else gr.skip()

    picked.change(prompt_of, picked, prompt, api_visibility="private", queue=False)

    @readable_errors
    def evaluate(video: str | None, job_id: str | None, harnesses: list[str] | None, prompt: str,
                 features: str, background_features: str = "auto", alignment: str = "auto",
                 video_alignment: str = "auto") -> dict[str, Any]:  # fmt: skip
        """Queue an evaluation of a video (an upload, or a finished job's); returns the job."""
        if video and job_id:
            raise InputError("evaluate one video: clear the upload or the picked job")
        path: str | Path | None = video
        name = None
        if job_id:
            path, said, name = job_video(service, job_id)
            prompt = prompt or said
        if not harnesses:
            raise InputError(f"pick at least one harness: {', '.join(HARNESSES)}")

        def picked_model(value: str | None) -> str | None:
            return None if value in (None, "", "auto") else value

        settings = {"harnesses": list(harnesses), "prompt": prompt or "", "features": picked_model(features),
                    "background_features": picked_model(background_features), "alignment": picked_model(alignment),
                    "video_alignment": picked_model(video_alignment),
                    "source_job": job_id or None, "source_name": name}  # fmt: skip
        return service.submit("evaluate", settings, {"video": path})

    def restore(job: Job) -> tuple[Any, ...]:
        given = job.settings
        picked_job = given.get("source_job")
        return (gr.skip() if picked_job else job_inputs(job).get("video"), gr.skip(),
                list(given.get("harnesses") or DEFAULT_HARNESSES), given.get("prompt") or "",
                given.get("features") or "auto", given.get("background_features") or "auto",
                given.get("alignment") or "auto", given.get("video_alignment") or "auto")  # fmt: skip

    inputs = [upload, picked, harnesses, prompt, features, background, alignment, video_alignment]
    submit_and_follow(service, "evaluate", run, evaluate, inputs, job, [status, verdict, plots, report, files],
                      evaluation_view, restore)  # fmt: skip
