"""The Jobs tab: every job of this server, newest first; open one's result, cancel one; and the
``/job_status``, ``/job_result`` and ``/cancel`` endpoints programs follow their jobs with."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ui.named_api import typed_api
from ui.polling import POLL_S, every
from ui.service import StudioService, readable_errors

__all__ = ["jobs_tab"]


def jobs_tab(service: StudioService) -> None:
    headers = ["id", "kind", "status", "progress", "stage", "created", "ran", "error"]
    table = gr.Dataframe(headers=headers, label="Jobs (newest first)", interactive=False, elem_id="jobs-table")
    with gr.Row():
        job_id = gr.Textbox(label="Job id", scale=3, elem_id="jobs-id")
        open_job = gr.Button("Open result", scale=1, elem_id="jobs-open")
        stop = gr.Button("Cancel", variant="stop", scale=1)
    wait_s = gr.Number(0, visible=False, label="Wait up to this many seconds (at most 600) for the job to finish")
    details = gr.JSON(label="Job")
    files = gr.File(label="Outputs", file_count="multiple", elem_id="jobs-files")

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

    def pick(event: gr.SelectData) -> str:
        row = event.row_value if event.row_value else []
        return str(row[0]) if row else ""

    typed_api(job_status, "job_status", returns="Job")
    open_job.click(job_result, [job_id, wait_s], [details, files], api_name="job_result", queue=False)
    stop.click(cancel, job_id, details, api_name="cancel", queue=False)
    table.select(pick, None, job_id, api_name="pick_job", api_visibility="undocumented")
    every(2 * POLL_S, readable_errors(service.jobs_table), None, table, "jobs_table")
