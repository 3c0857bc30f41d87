"""What the page and the API call: thin functions over one job runner and one model cache.

Every function turns a :class:`~studio.core.errors.StudioError` into a ``gr.Error`` with the same
one line the CLI prints; anything unexpected is logged on the server and the client sees one
line, never a traceback.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import gradio as gr

from studio.core import InputError, ModelLoadError, Settings, StudioError, one_line
from studio.registry import ModelCache, default_cache
from studio.service import Job, JobRunner, default_job_kinds
from ui.zerogpu import on_gpu

__all__ = ["OneLineError", "StudioService", "public_job", "readable_errors", "user_facing"]

log = logging.getLogger(__name__)
MAX_WAIT_S = 600.0  # longest a /job_result call holds its connection waiting
P = ParamSpec("P")
R = TypeVar("R")


class OneLineError(gr.Error):
    """A ``gr.Error`` whose text is the message itself: Gradio's own ``str()`` is its repr
    (quoted), which is what an MCP client would read as the tool's error."""

    def __str__(self) -> str:
        return str(self.message)


def readable_errors(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function``; a studio error becomes its one-line ``gr.Error``, anything else a
    one-line ``gr.Error`` too (the traceback goes to the server log only)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except gr.Error:
            raise
        except StudioError as exc:
            raise OneLineError(user_facing(str(exc)), print_exception=False) from None
        except Exception as exc:
            log.exception("%s failed", function.__name__)
            message = f"unexpected {type(exc).__name__}: {user_facing(str(exc))} (details are in the server log)"
            raise OneLineError(message, print_exception=False) from None

    return wrapper


def user_facing(message: str) -> str:
    """``message`` on one line, with the server's upload folders taken out of the file names in
    it: the user reads "clip.mp4 has no audio track", the name they uploaded, not the path
    Gradio saved it under."""
    from gradio.utils import get_upload_folder

    folder = re.escape(str(Path(get_upload_folder())))
    return re.sub(folder + r"/(?:[^/\s]+/)*", "", one_line(message))


def public_job(job: Job) -> dict[str, Any]:
    """A job as API clients see it: no server paths."""
    data = job.to_dict()
    data.pop("folder", None)
    settings = dict(data["settings"])
    settings.pop("inputs", None)
    data["settings"] = settings
    return data


def _job_id(job_id: str | dict[str, Any] | None) -> str:
    if isinstance(job_id, dict):
        job_id = job_id.get("id")
    if not job_id or not str(job_id).strip():
        raise InputError("no job id given; submit a job first or pick one from the Jobs tab")
    return str(job_id).strip()


@dataclass
class StudioService:
    """The runner, cache and settings one app serves."""

    settings: Settings
    cache: ModelCache
    runner: JobRunner

    @classmethod
    def create(
        cls,
        settings: Settings | None = None,
        *,
        cache: ModelCache | None = None,
        max_queued: int = 16,
        workers: int = 2,
        idle_unload_s: float | None = 600.0,
    ) -> StudioService:
        """A service with a started runner over ``settings.outputs_dir``."""
        cache = cache or default_cache()
        settings = settings or cache.settings

        def unload_idle() -> None:
            if idle_unload_s is not None:
                cache.unload_idle(idle_unload_s)

        kinds = {name: replace(kind, run=on_gpu(kind.run)) if kind.heavy else kind
                 for name, kind in default_job_kinds(cache).items()}  # fmt: skip
        runner = JobRunner(
            settings.outputs_dir,
            kinds,
            workers=workers,
            max_queued=max_queued,
            retention_s=settings.job_retention_s,
            maintenance=unload_idle,
        )
        return cls(settings, cache, runner.start())

    def close(self) -> None:
        self.runner.close()

    # -- jobs -------------------------------------------------------------------------------
    def submit(self, kind: str, settings: dict[str, Any], inputs: dict[str, str | Path | None]) -> dict[str, Any]:
        given = {name: path for name, path in inputs.items() if path}
        return public_job(self.runner.submit(kind, settings, given))

    def status(self, job_id: str | dict[str, Any] | None) -> dict[str, Any]:
        return public_job(self.runner.get(_job_id(job_id)))

    def result(self, job_id: str | dict[str, Any] | None, wait_s: float = 0.0) -> tuple[dict[str, Any], list[str]]:
        """The job and its files; with ``wait_s`` it first waits (up to that long, at most
        ``MAX_WAIT_S``) for the job to finish, so a client needs one call instead of polling."""
        if not 0 <= float(wait_s or 0) < float("inf"):
            raise InputError(f"expected wait_s >= 0 seconds, got {wait_s}")
        job = self.runner.wait(_job_id(job_id), min(float(wait_s or 0), MAX_WAIT_S))
        return public_job(job), [str(path) for path in job.output_paths().values()]

    def cancel(self, job_id: str | dict[str, Any] | None) -> dict[str, Any]:
        return public_job(self.runner.cancel(_job_id(job_id)))

    def job(self, job_id: str) -> Job:
        return self.runner.get(_job_id(job_id))

    def jobs_table(self, limit: int = 50) -> list[list[Any]]:
        """The Jobs tab's rows (``ui.jobs_tab.JOB_HEADERS``): what a person scans first (status,
        progress, kind) on the left, so a phone shows it; the id last."""
        from ui.views import duration, local_time

        rows = []
        for job in self.runner.jobs(limit):
            ran = job.to_dict()["run_s"]
            rows.append([job.status, f"{job.progress:.0%}", job.kind, local_time(job.created_at), duration(ran),
                         job.error or job.stage, job.id])  # fmt: skip
        return rows

    # -- models -----------------------------------------------------------------------------
    def models(self) -> list[dict[str, Any]]:
        """Every registered model, then every plug-in that failed to load; ``problem`` says
        what is wrong (broken weights, a broken plug-in), ``""`` when nothing is."""
        rows = []
        for spec in self.cache.registry.specs():
            found = spec.find_weights(self.settings)
            rows.append(
                {
                    "name": spec.name,
                    "task": spec.task,
                    "license": spec.license,
                    "non_commercial": spec.non_commercial,
                    "size_mb": spec.size_mb,
                    "installed": found.path is not None and not spec.missing_requirements(),
                    "offline": spec.offline,
                    "install": spec.install_command,
                    "problem": found.problem,
                }
            )
        for broken in self.cache.registry.problems:
            rows.append(
                {
                    "name": broken.entry_point,
                    "task": "",
                    "license": "",
                    "non_commercial": False,
                    "size_mb": None,
                    "installed": False,
                    "offline": False,
                    "install": "",
                    "problem": broken.message,
                }
            )
        return rows

    def model_names(self, task: str) -> list[str]:
        return [spec.name for spec in self.cache.registry.specs(task)]

    def load(self, name: str) -> list[dict[str, Any]]:
        """Load ``name`` as a job in the device slot (after the heavy jobs before it, never
        beside one), and wait for it."""
        job = self.runner.wait(self.runner.submit("load", {"model": name}, {}).id)
        if job.status != "done":
            raise ModelLoadError(job.error or f"loading {name} ended {job.status}")
        return self.cache.resident()

    def unload(self, name: str) -> list[dict[str, Any]]:
        if not name:
            raise InputError("pick a model to unload")
        self.cache.unload(name)
        return self.cache.resident()
