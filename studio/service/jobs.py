"""Durable jobs: every run has an id, a row in the store, a folder and a status.

A :class:`JobRunner` owns worker threads, so a job belongs to the server, not to the browser
request that asked for it: closing the page does not stop it, and any page (or API client)
can read its progress. Heavy kinds share one device slot, so two models never compute at
once on one GPU, while light work (status, listing) is never queued behind them.

Statuses: ``queued`` → ``running`` (progress 0..1 and a stage) → ``done`` | ``failed`` (with
the error's one-line message) | ``cancelled``. A job that was running when the server stopped
is ``failed`` with an "interrupted" message on the next start, and the partial files its
writes left in its folder (a killed process cannot clean up) are removed; queued jobs run
then. Finished jobs and their folders are deleted after ``retention_s``.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue
from typing import Any

from studio.core import (
    Busy,
    Cancelled,
    InputError,
    JsonResult,
    MediaNotFound,
    OutputError,
    Progress,
    StudioError,
    one_line,
    os_reason,
)
from studio.service.store import JobRow, JobStore

__all__ = ["FINISHED", "ID_RANDOM_BYTES", "INTERRUPTED", "Job", "JobContext", "JobKind", "JobOutcome", "JobRunner"]

ID_RANDOM_BYTES = 12  # 96 random bits in every job id: an id alone reads and cancels its job

log = logging.getLogger(__name__)

FINISHED = ("done", "failed", "cancelled")
INTERRUPTED = "interrupted: the server stopped while this job ran; submit it again"
PROGRESS_EVERY_S = 0.25  # progress is written at most this often (and on every stage change)
_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,8}$")
# what studio.core.atomic_path writes beside a target until it is complete: .name.XXXXXXXX.partial.ext
_PARTIAL = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.partial(\.[^.]*)?$")


@dataclass(frozen=True)
class Job(JsonResult):
    id: str
    kind: str
    settings: dict[str, Any]
    status: str
    progress: float
    stage: str
    error: str
    created_at: float
    started_at: float | None
    finished_at: float | None
    folder: str
    outputs: dict[str, str] = field(default_factory=dict)  # what -> file name in the folder
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def output_paths(self) -> dict[str, Path]:
        """Each output that exists, by what it is."""
        paths = {name: Path(self.folder) / file for name, file in self.outputs.items()}
        return {name: path for name, path in paths.items() if path.is_file()}

    def json_extras(self) -> dict[str, Any]:
        ran = (self.finished_at or time.time()) - self.started_at if self.started_at else None
        return {"run_s": None if ran is None else round(ran, 3)}


@dataclass(frozen=True)
class JobContext:
    """What a job's work gets: its settings, input files, folder, progress and cancel flag."""

    job_id: str
    settings: dict[str, Any]
    inputs: dict[str, Path]
    folder: Path
    progress: Progress
    cancel: threading.Event


@dataclass(frozen=True)
class JobOutcome:
    outputs: dict[str, str]  # what -> file name in the job's folder
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobKind:
    """One kind of work. ``check`` validates settings and inputs before anything is queued
    (a bad value or an unknown model is refused at once, not as a failed job) and returns
    the settings to store; ``heavy`` work waits for the device slot."""

    name: str
    run: Callable[[JobContext], JobOutcome]
    check: Callable[[dict[str, Any], dict[str, Path]], dict[str, Any]] | None = None
    heavy: bool = True


def _as_given(message: str, job: Job, inputs: Mapping[str, Path]) -> str:
    """``message`` naming each input file as the user gave it, not by the job folder's copy."""
    names = job.settings.get("input_names") or {}
    for what, path in inputs.items():
        message = message.replace(str(path), str(names.get(what, path.name)))
    return message.replace(f"{job.folder}/", "")


class JobRunner:
    """Queue, run, cancel and recover jobs kept in ``root/jobs.sqlite3`` and ``root/jobs/<id>``."""

    def __init__(
        self,
        root: str | Path,
        kinds: Mapping[str, JobKind],
        *,
        workers: int = 2,
        max_queued: int = 16,
        device_slots: int = 1,
        retention_s: float = 7 * 24 * 3600.0,
        maintenance: Callable[[], None] | None = None,
        maintenance_every_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if workers < 1 or max_queued < 1 or device_slots < 1:
            raise InputError(
                f"expected workers, max_queued and device_slots >= 1, got {workers}, {max_queued}, {device_slots}"
            )
        self.root = Path(root)
        self.folders = self.root / "jobs"
        self.kinds = dict(kinds)
        self.max_queued = max_queued
        self.retention_s = retention_s
        self.store = JobStore(self.root / "jobs.sqlite3")
        # heavy jobs run on the device's own threads (one per slot), always the same ones, so
        # every run of a model sees the same thread settings and gives the same result;
        # light jobs run on the workers and never wait behind them
        self._threads_per_queue = {"light": workers, "device": device_slots}
        self._queues: dict[str, Queue[str | None]] = {"light": Queue(), "device": Queue()}
        self._device_jobs = 0  # heavy jobs queued or running, under _changed
        self._cancels: dict[str, threading.Event] = {}
        self._changed = threading.Condition()
        self._version = 0  # raised on every change of any job, under _changed
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._maintenance = maintenance
        self._maintenance_every_s = maintenance_every_s
        self._clock = clock

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> JobRunner:
        """Mark jobs a stopped server left running as interrupted, delete expired ones, queue
        the ones still waiting, and start the workers."""
        for row in self.store.rows(statuses=("running",), limit=10**6):
            self.store.update(row["id"], status="failed", error=INTERRUPTED, finished_at=self._clock())
            self._remove_partials(Path(row["folder"]))
        self.purge_expired()
        for row in self.store.rows(statuses=("queued",), limit=10**6, oldest_first=True):
            self._enqueue(row["id"], row["kind"])
        for queue, count in self._threads_per_queue.items():
            for number in range(count):
                thread = threading.Thread(
                    target=self._work, args=(queue,), name=f"studio-{queue}-{number}", daemon=True
                )
                thread.start()
                self._threads.append(thread)
        thread = threading.Thread(target=self._maintain, name="studio-job-maintenance", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def close(self, timeout_s: float = 30.0) -> None:
        """Stop: running jobs are asked to cancel and end ``failed: interrupted``; queued jobs
        stay queued for the next start."""
        self._stopping.set()
        for event in list(self._cancels.values()):
            event.set()
        for queue, count in self._threads_per_queue.items():
            for _ in range(count):
                self._queues[queue].put(None)
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.store.close()

    # -- the API every face uses ------------------------------------------------------------
    def submit(
        self, kind: str, settings: Mapping[str, Any] | None = None, inputs: Mapping[str, str | Path] | None = None
    ) -> Job:
        """Check and queue a job; its input files are copied into its folder first."""
        if kind not in self.kinds:
            raise InputError(f"unknown job kind {kind!r}; expected one of {', '.join(sorted(self.kinds))}")
        if self._stopping.is_set():
            raise Busy("the server is stopping; submit the job again once it is back")
        if self.store.count("queued") >= self.max_queued:
            raise Busy(f"busy: {self.max_queued} jobs are already waiting; try again later")
        self.purge_expired()
        job_kind = self.kinds[kind]
        given = {name: Path(path) for name, path in (inputs or {}).items() if path is not None}
        for path in given.values():
            if not path.is_file():
                raise MediaNotFound(path, "no such file")
        checked = dict(settings or {})
        if job_kind.check is not None:
            checked = job_kind.check(checked, given)
        # the time sorts ids; 96 random bits make one impossible to guess (an id reads and cancels its job)
        job_id = f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime(self._clock()))}-{secrets.token_hex(ID_RANDOM_BYTES)}"
        folder = self.folders / job_id
        files = _copy_inputs(given, folder)
        checked["inputs"] = files
        checked["input_names"] = {name: os.fsdecode(path.name) for name, path in given.items()}
        self.store.insert(
            {
                "id": job_id,
                "kind": kind,
                "settings": checked,
                "status": "queued",
                "stage": "waiting for the device" if job_kind.heavy and self._device_jobs else "queued",
                "created_at": self._clock(),
                "folder": str(folder),
            }
        )
        queued = self.get(job_id)  # as queued, whatever a worker does next
        self._enqueue(job_id, kind)
        self._notify()
        return queued

    def _enqueue(self, job_id: str, kind: str) -> None:
        heavy = self.kinds[kind].heavy if kind in self.kinds else False
        if heavy:
            with self._changed:
                self._device_jobs += 1
        self._queues["device" if heavy else "light"].put(job_id)

    def get(self, job_id: str) -> Job:
        return _job(self.store.get(str(job_id).strip()))

    def jobs(self, limit: int = 100) -> list[Job]:
        return [_job(row) for row in self.store.rows(limit=limit)]

    def cancel(self, job_id: str) -> Job:
        """A queued job is cancelled at once; a running one stops at its next step."""
        job = self.get(job_id)
        if job.status == "queued":
            self.store.update(
                job.id, only_if_status=("queued",), status="cancelled", stage="cancelled", finished_at=self._clock()
            )
        elif job.status == "running":
            event = self._cancels.get(job.id)
            if event is not None:
                event.set()
                self.store.update(job.id, only_if_status=("running",), stage="cancelling")
        self._notify()
        return self.get(job.id)

    def wait(self, job_id: str, timeout_s: float | None = None, until: tuple[str, ...] = FINISHED) -> Job:
        """The job once its status is in ``until`` (or as it is when ``timeout_s`` runs out)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            with self._changed:
                version = self._version
            job = self.get(job_id)
            left = None if deadline is None else deadline - time.monotonic()
            if job.status in until or (left is not None and left <= 0):
                return job
            with self._changed:
                if self._version == version:  # nothing changed since the read: sleep until something does
                    self._changed.wait(0.5 if left is None else min(0.5, left))

    def purge_expired(self) -> list[str]:
        """Delete finished jobs older than the retention, with their folders."""
        removed = []
        for row in self.store.finished_before(self._clock() - self.retention_s):
            folder = Path(row["folder"])
            if folder.parent == self.folders:  # never outside the runner's own folders
                shutil.rmtree(folder, ignore_errors=True)
            self.store.delete(row["id"])
            removed.append(row["id"])
        return removed

    def _remove_partials(self, folder: Path) -> None:
        """Remove the half-written files an interrupted job left in its own folder."""
        if folder.parent != self.folders:  # never outside the runner's own folders
            return
        for path in folder.rglob(".*"):
            if _PARTIAL.match(path.name) and path.is_file():
                try:
                    path.unlink()
                except OSError as exc:
                    log.warning("job folder %s: cannot remove %s (%s)", folder, path.name, os_reason(exc))

    # -- workers ----------------------------------------------------------------------------
    def _notify(self) -> None:
        with self._changed:
            self._version += 1
            self._changed.notify_all()

    def _work(self, queue: str) -> None:
        while True:
            job_id = self._queues[queue].get()
            if job_id is None:
                return
            try:
                self._run(job_id)
            except Exception:  # a broken store must not kill the worker
                log.exception("job %s: the runner failed", job_id)
            if queue == "device":
                with self._changed:
                    self._device_jobs -= 1
            self._notify()

    def _run(self, job_id: str) -> None:
        job = self.get(job_id)
        if job.status != "queued" or self._stopping.is_set():
            return
        kind = self.kinds.get(job.kind)
        if kind is None:
            self.store.update(
                job_id, status="failed", error=f"this server has no job kind {job.kind!r}", finished_at=self._clock()
            )
            return
        cancel = self._cancels.setdefault(job_id, threading.Event())
        try:
            self._execute(job, kind, cancel)
        finally:
            self._cancels.pop(job_id, None)

    def _execute(self, job: Job, kind: JobKind, cancel: threading.Event) -> None:
        started = self._clock()
        if not self.store.update(
            job.id, only_if_status=("queued",), status="running", stage="starting", started_at=started
        ):
            return  # cancelled while it waited
        self._notify()
        folder = Path(job.folder)
        inputs = {name: folder / "inputs" / file for name, file in job.settings.get("inputs", {}).items()}
        context = JobContext(job.id, job.settings, inputs, folder, self._progress_writer(job.id), cancel)
        try:
            outcome = kind.run(context)
        except Cancelled:
            status, error = ("failed", INTERRUPTED) if self._stopping.is_set() else ("cancelled", "")
            self._finish(job.id, status=status, error=error, stage=status)
        except StudioError as exc:
            self._finish(job.id, status="failed", error=_as_given(one_line(str(exc)), job, inputs), stage="failed")
        except Exception as exc:
            log.exception("job %s failed unexpectedly", job.id)
            message = f"unexpected {type(exc).__name__}: {one_line(str(exc))}"
            self._finish(job.id, status="failed", error=_as_given(message, job, inputs), stage="failed")
        else:
            self._finish(
                job.id, status="done", progress=1.0, stage="done", outputs=outcome.outputs, summary=outcome.summary
            )

    def _finish(self, job_id: str, **changes: Any) -> None:
        """The end of a run, unless another runner on the same store has already called it
        interrupted (a second server started over a live one's store)."""
        self.store.update(job_id, only_if_status=("running",), finished_at=self._clock(), **changes)

    def _progress_writer(self, job_id: str) -> Progress:
        written_at, written_stage = 0.0, ""

        def progress(fraction: float, stage: str) -> None:
            nonlocal written_at, written_stage
            now, what = time.monotonic(), stage.split(" ")[0]
            if now - written_at < PROGRESS_EVERY_S and what == written_stage and fraction < 1:
                return
            written_at, written_stage = now, what
            self.store.update(job_id, only_if_status=("running",), progress=max(0.0, min(1.0, fraction)), stage=stage)
            self._notify()

        return progress

    def _maintain(self) -> None:
        while not self._stopping.wait(self._maintenance_every_s):
            try:
                self.purge_expired()
                if self._maintenance is not None:
                    self._maintenance()
            except Exception:
                log.exception("job maintenance failed")


def _job(row: JobRow) -> Job:
    return Job.from_dict(row)


def _copy_inputs(inputs: Mapping[str, Path], folder: Path) -> dict[str, str]:
    """Make the job's folder and copy (hard-link where possible) each input into its
    ``inputs`` folder, named by what it is, keeping a plain suffix so formats are still
    recognised. On any failure the folder is removed again."""
    files = {}
    try:
        (folder / "inputs").mkdir(parents=True)
        for name, path in inputs.items():
            suffix = path.suffix if _SUFFIX.match(path.suffix) else ""
            target = folder / "inputs" / f"{name}{suffix.lower()}"
            try:
                os.link(path, target)
            except OSError:
                shutil.copyfile(path, target)
            files[name] = target.name
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise OutputError(folder, f"cannot keep the job's inputs: {os_reason(exc)}") from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return files
