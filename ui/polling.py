"""How a tab follows its job: the job id kept in the browser, a timer that reads the job."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import gradio as gr

from studio.core import StudioError
from ui.service import StudioService, readable_errors
from ui.views import status_html

__all__ = ["POLL_S", "every", "job_id_of", "submit_and_follow", "watch_job"]

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


def submit_and_follow(
    service: StudioService,
    name: str,
    run: Any,
    submit: Callable[..., dict[str, Any]],
    inputs: Sequence[Any],
    job: Any,
    outputs: Sequence[Any],
    render: Callable[[Any], tuple[Any, ...]],
) -> None:
    """A tab's job, one way for every tab: ``run`` queues ``submit(*inputs)`` as ``/<name>``
    (unqueued: submitting is light, the job itself waits in the runner) into the hidden
    ``job``; the page keeps the job id in the browser, so a reload finds it again, and a timer
    shows its status in ``outputs[0]`` and, once it ends, ``render(job)`` in the rest."""
    job_id = gr.BrowserState(None, storage_key=f"studio-{name}-job")
    shown = gr.State(None)
    run.click(submit, list(inputs), job, api_name=name, queue=False).success(
        job_id_of, job, job_id, api_name=f"remember_{name}_job", api_visibility="undocumented", queue=False
    )
    every(POLL_S, watch_job(service, render, len(outputs) - 1), [job_id, shown], [*outputs, shown], f"watch_{name}")
