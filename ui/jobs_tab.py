"""The Jobs tab: every job of this server, newest first; a job re-opened the way its own tab
shows it (the annotated video, timeline picture and table; the transcript; the generated video
and its scores; an evaluation's verdict and plots), cancel for the jobs still waiting or
running; and the ``/job_status``, ``/job_result`` and ``/cancel`` endpoints programs follow
their jobs with."""

from __future__ import annotations

from typing import Any

import gradio as gr

from studio.service import Job
from ui.evaluate_tab import evaluation_view
from ui.named_api import typed_api
from ui.polling import POLL_S, every
from ui.service import StudioService, readable_errors
from ui.views import TABLE_HEADERS, analysis_view, job_summary_html, transcript_lines, video_with_sidecar

__all__ = ["JOB_HEADERS", "jobs_tab"]

JOB_HEADERS = ["status", "progress", "kind", "submitted", "took", "stage or error", "job id"]
VIDEO_KINDS = ("generate", "story")


def jobs_tab(service: StudioService) -> None:
    gr.Markdown(
        "Every job this server keeps, newest first. Pick a row to open it here as its own tab shows it.",
        elem_classes="studio-intro",
    )
    table = gr.Dataframe(headers=JOB_HEADERS, label="Jobs (newest first)", interactive=False, elem_id="jobs-table",
                         wrap=True)  # fmt: skip
    with gr.Row(equal_height=True):
        job_id = gr.Textbox(label="Job id", scale=3, elem_id="jobs-id")
        open_job = gr.Button("Open", scale=1, elem_id="jobs-open")
        stop = gr.Button("Cancel", variant="stop", scale=1, interactive=False, elem_id="jobs-cancel")
    summary = gr.HTML("", elem_id="jobs-summary", elem_classes="studio-status-box")
    with gr.Column(visible=False) as analysis:
        annotated = gr.Video(label="Annotated video", interactive=False, elem_id="jobs-annotated")
        poster = gr.HTML("", elem_id="jobs-poster", padding=False)
        picture = gr.Image(label="Timeline", type="filepath", interactive=False, elem_id="jobs-timeline",
                           elem_classes="studio-wide-picture", buttons=["download", "fullscreen"])  # fmt: skip
        rows = gr.Dataframe(headers=TABLE_HEADERS, label="Tracks and events", interactive=False, elem_id="jobs-rows")
    transcript = gr.Textbox(label="Transcript (SRT)", lines=12, interactive=False, visible=False,
                            elem_id="jobs-transcript")  # fmt: skip
    with gr.Column(visible=False) as made:
        video = gr.Video(label="Video", interactive=False, elem_id="jobs-video")
        scores = gr.HTML("", elem_id="jobs-scores")
        sidecar = gr.JSON(label="Sidecar", elem_id="jobs-sidecar")
    with gr.Column(visible=False) as evaluated:
        verdict = gr.HTML("", elem_id="jobs-verdict")
        plots = gr.Gallery(label="Plots", columns=2, height="auto", object_fit="contain", elem_id="jobs-plots")
    files = gr.File(label="Outputs", file_count="multiple", elem_id="jobs-files")
    # the programs' doors: JSON in and out, no page components
    doors = gr.Column(visible=False)
    with doors:
        api_id = gr.Textbox(label="Job id")
        wait_s = gr.Number(0, label="Wait up to this many seconds (at most 600) for the job to finish")
        details = gr.JSON(label="Job")
        api_files = gr.File(label="Outputs", file_count="multiple")
        door_result = gr.Button(visible=False)
        door_cancel = gr.Button(visible=False)

    @readable_errors
    def job_status(job_id: str) -> dict[str, Any]:
        """A job's status, progress, stage, timings, settings and output names.

        Args:
            job_id: Job id
        Returns:
            The job: id, kind, status, progress, stage, error, timings, settings, summary, output names
        """
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

    def shown(job: Job) -> tuple[Any, ...]:
        """Every component of the job view, for ``job``: the part its kind shows is visible."""
        analysis_values: tuple[Any, ...] = (None, "", None, [])
        video_values: tuple[Any, ...] = (None, "", None)
        evaluation_values: tuple[Any, ...] = ("", None)
        text, outputs = "", [str(p) for p in job.output_paths().values()]
        part = job.kind if job.finished else ""
        if part == "analyze":
            found = analysis_view(job, "jobs-annotated")
            analysis_values, outputs = found[:-1], found[-1]
        elif part == "transcribe":
            text = transcript_lines(job)
        elif part in VIDEO_KINDS:
            found = video_with_sidecar(job)
            video_values, outputs = found[:-1], found[-1]
        elif part == "evaluate":
            shown_verdict, pictures, _, outputs = evaluation_view(job)
            evaluation_values = (shown_verdict, pictures)
        return (job_summary_html(job), gr.update(interactive=not job.finished),
                gr.update(visible=part == "analyze"), gr.update(visible=part in VIDEO_KINDS),
                gr.update(visible=part == "evaluate"), *analysis_values,
                gr.update(value=text, visible=part == "transcribe"), *video_values, *evaluation_values,
                outputs)  # fmt: skip

    @readable_errors
    def open_on_page(job_id: str) -> tuple[Any, ...]:
        return shown(service.job(job_id))

    @readable_errors
    def cancel_on_page(job_id: str) -> tuple[Any, ...]:
        service.cancel(job_id)
        return shown(service.job(job_id))

    def pick(event: gr.SelectData) -> str:
        row = event.row_value if event.row_value else []
        return str(row[-1]) if row else ""

    view = [summary, stop, analysis, made, evaluated, annotated, poster, picture, rows, transcript, video, scores,
            sidecar, verdict, plots, files]  # fmt: skip
    typed_api(job_status, "job_status", returns="Job")
    door_result.click(job_result, [api_id, wait_s], [details, api_files], api_name="job_result", queue=False)
    door_cancel.click(cancel, api_id, details, api_name="cancel", queue=False)
    for listener, function in ((open_job.click, open_on_page), (job_id.submit, open_on_page),
                               (stop.click, cancel_on_page)):  # fmt: skip
        listener(function, job_id, view, api_visibility="private", concurrency_limit=None, show_progress="hidden")
    picked = table.select(pick, None, job_id, api_visibility="private", queue=False)
    picked.success(open_on_page, job_id, view, api_visibility="private", concurrency_limit=None, show_progress="hidden")
    every(2 * POLL_S, readable_errors(service.jobs_table), None, table, "jobs_table")
