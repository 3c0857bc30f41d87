"""How a tab follows its job: the job id kept in the browser, a timer that reads the job.

The timer runs only while there is a job to follow: the page's button starts it, a page that
opens with a job id kept starts it, and it stops itself once the ended job is shown (or the job
is gone). A page left open with nothing running sends nothing; every tick that can be is a
``gr.skip()``, so the browser redraws only what changed (seven ticking tabs once kept a
headless Chromium busy, and a phone's battery would be).

Each tab has two doors onto one submit function. Programs call ``/<name>`` (an unqueued event
on a hidden button, so a refusal is their error at once). The page's button runs the same
function queued, so a refusal shows where the user is looking: a toast and the tab's status
line, with the previous job's results cleared so they cannot pass for this one's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

import gradio as gr

from studio.core import StudioError
from ui.service import StudioService, readable_errors
from ui.views import refusal_html, status_html

__all__ = ["POLL_S", "every", "job_id_of", "on_page_load", "submit_and_follow", "watch_job"]

POLL_S = 1.0  # how often an open page asks for its job's progress


def job_id_of(job: dict[str, Any]) -> str:
    return str(job["id"])


def watch_job(service: StudioService, render: Any, outputs: int) -> Any:
    """A timer handler: the status line while a job runs; its results once, when it ends, and
    then the timer stopped (the last value). With no job it leaves the status line alone (it may
    be showing a refusal) and stops the timer."""

    @readable_errors
    def tick(job_id: str | None, shown: str | None) -> tuple[Any, ...]:
        stop = gr.Timer(active=False)  # made here, an update: made while the page is built, a component of it
        if not job_id:
            return (gr.skip(), *[gr.skip()] * (outputs + 1), stop)
        try:
            job = service.job(job_id)
        except StudioError:  # a job this server no longer keeps (retention) or never had
            return (status_html(None), *[gr.skip()] * (outputs + 1), stop)
        if not job.finished:
            return (status_html(job), *[gr.skip()] * (outputs + 1), gr.skip())
        if shown == job.id:
            return (*[gr.skip()] * (outputs + 2), stop)
        return (status_html(job), *render(job), job.id, stop)

    return tick


def every(seconds: float, function: Any, inputs: Any, outputs: Any, name: str) -> None:
    """Call ``function`` from each open page every ``seconds``: a page refresh, named in the
    API but not documented there, never queued behind other work, with no spinner. What it
    returns reaches the page only when it differs from what that page last got (a fingerprint
    kept per page), so an unchanged table is not redrawn."""
    many = isinstance(outputs, list | tuple)
    shown = list(outputs) if many else [outputs]
    given = [] if inputs is None else list(inputs) if isinstance(inputs, list | tuple) else [inputs]
    last = gr.State(None)

    def refresh(*values: Any) -> tuple[Any, ...]:
        *arguments, previous = values
        fresh = function(*arguments)
        key = hashlib.sha1(json.dumps(fresh, default=str, sort_keys=True).encode()).hexdigest()
        if key == previous:
            return tuple(gr.skip() for _ in range(len(shown) + 1))
        return (*(fresh if many else (fresh,)), key)

    gr.Timer(seconds).tick(refresh, [*given, last], [*shown, last], api_name=name, api_visibility="undocumented",
                           concurrency_limit=None, show_progress="hidden")  # fmt: skip


def on_page_load(function: Any, inputs: Any, outputs: Any) -> None:
    """Call ``function`` once when a page opens (or reloads), from wherever in the layout."""
    root = gr.context.Context.root_block
    if root is None:
        raise RuntimeError("on_page_load is called while the app's gr.Blocks is being built")
    root.load(function, inputs, outputs, api_visibility="private", queue=False, show_progress="hidden")


def submit_and_follow(
    service: StudioService,
    name: str,
    run: Any,
    submit: Callable[..., dict[str, Any]],
    inputs: Sequence[Any],
    job: Any,
    outputs: Sequence[Any],
    render: Callable[[Any], tuple[Any, ...]],
    restore: Callable[[Any], Sequence[Any]] | None = None,
) -> None:
    """A tab's job, one way for every tab: ``/<name>`` queues ``submit(*inputs)`` for programs
    (into the hidden ``job``); the page's ``run`` button queues it too and keeps the job id in
    the browser, so a reload finds it again, and a timer shows its status in ``outputs[0]`` and,
    once it ends, ``render(job)`` in the rest. On a reload ``restore(job)`` refills ``inputs``
    with what the job was submitted with (one value per input; ``gr.skip()`` leaves one)."""
    job_id = gr.BrowserState(None, storage_key=f"studio-{name}-job")
    shown = gr.State(None)
    door = gr.Button(visible=False, elem_id=f"{name}-api")  # the programs' door: /<name>
    door.click(submit, list(inputs), job, api_name=name, queue=False)
    cleared = [None] * (len(outputs) - 1)
    timer = gr.Timer(POLL_S, active=False)  # ticks only while this page follows a job

    def from_page(*values: Any) -> tuple[Any, ...]:
        try:
            queued = submit(*values)
        except gr.Error as refusal:
            gr.Warning(str(refusal.message), title=f"{name.capitalize()} refused", duration=None)
            return (None, None, refusal_html(name.capitalize(), str(refusal.message)), *cleared, gr.skip())
        follow = gr.Timer(active=True)
        return (job_id_of(queued), None, status_html(service.job(job_id_of(queued))), *cleared, follow)

    run.click(from_page, list(inputs), [job_id, shown, *outputs, timer], api_visibility="private",
              concurrency_limit=None, show_progress="hidden")  # fmt: skip
    timer.tick(watch_job(service, render, len(outputs) - 1), [job_id, shown], [*outputs, shown, timer],
               api_name=f"watch_{name}", api_visibility="undocumented", concurrency_limit=None,
               show_progress="hidden")  # fmt: skip
    on_page_load(lambda kept: gr.Timer(active=bool(kept)), job_id, timer)  # a reload finds its job again
    if restore is not None:
        restore_form = readable_errors(_restorer(service, restore, len(inputs)))
        on_page_load(restore_form, job_id, list(inputs))


def _restorer(service: StudioService, restore: Callable[[Any], Sequence[Any]], count: int) -> Any:
    def restore_form(job_id: str | None) -> tuple[Any, ...]:
        if not job_id:
            return tuple(gr.skip() for _ in range(count))
        try:
            job = service.job(job_id)
        except StudioError:
            return tuple(gr.skip() for _ in range(count))
        values = tuple(restore(job))
        if len(values) != count:
            raise RuntimeError(f"restore gave {len(values)} values for {count} inputs")
        return values

    return restore_form
