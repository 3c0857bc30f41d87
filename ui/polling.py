"""How a tab follows its job: the job id kept in the browser, a timer that reads the job."""

from __future__ import annotations

from typing import Any

import gradio as gr

from studio.errors import StudioError
from ui.service import StudioService, readable_errors
from ui.views import status_html

__all__ = ["POLL_S", "every", "job_id_of", "watch_job"]

POLL_S = 1.0  # how often an open page asks for its job's progress


def job_id_of(job: dict[str, Any]) -> str:
    return str(job["id"])


def watch_job(service: StudioService, render: Any, outputs: int) -> Any:
    """A timer handler: the status line while a job runs; its results once, when it ends."""

    @readable_errors
    def tick(job_id: str | None, shown: str | None) -> tuple[Any, ...]:
        if not job_id:
            return (status_html(None), *[gr.skip()] * (outputs + 1))
        try:
            job = service.job(job_id)
        except StudioError:  # a job this server no longer keeps (retention) or never had
            return (status_html(None), *[gr.skip()] * (outputs + 1))
        if not job.finished or shown == job.id:
            return (status_html(job), *[gr.skip()] * (outputs + 1))
        return (status_html(job), *render(job), job.id)

    return tick


def every(seconds: float, function: Any, inputs: Any, outputs: Any, name: str) -> None:
    """Call ``function`` from each open page every ``seconds``: a page refresh, named in the
    API but not documented there, never queued behind other work, with no spinner."""
    gr.Timer(seconds).tick(function, inputs, outputs, api_name=name, api_visibility="undocumented",
                           concurrency_limit=None, show_progress="hidden")  # fmt: skip
