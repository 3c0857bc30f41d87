"""Durable jobs: status through queued → running → done, cancel, the device slot, a bounded
queue, restart recovery and retention, with work functions we control."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from studio.core import Busy, Cancelled, InputError, MediaNotFound
from studio.service import INTERRUPTED, JobContext, JobKind, JobOutcome, JobRunner


class Gate:
    """Work that runs until the test opens the gate (or the job is cancelled)."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.entered = threading.Event()
        self.stepped = threading.Event()  # set once the work has reported progress
        self.running = 0
        self.most_at_once = 0
        self.lock = threading.Lock()

    def run(self, job: JobContext) -> JobOutcome:
        with self.lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        self.entered.set()
        try:
            step = 0
            while not self.open.wait(0.01):
                if job.cancel.is_set():
                    raise Cancelled("stopped")
                step += 1
                job.progress(min(0.5, step / 100), f"step {step}")
                self.stepped.set()
            (job.folder / "out.txt").write_text(job.settings.get("text", "done"))
            return JobOutcome({"text": "out.txt"}, {"steps": step})
        finally:
            with self.lock:
                self.running -= 1


def _runner(tmp_path: Path, kinds: dict[str, JobKind], **kwargs: Any) -> JobRunner:
    return JobRunner(tmp_path / "root", kinds, **kwargs).start()


def _wait_for(condition: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_a_job_goes_queued_running_done_with_progress_and_outputs(tmp_path: Path) -> None:
    gate = Gate()
    runner = _runner(tmp_path, {"work": JobKind("work", gate.run)})
    try:
        job = runner.submit("work", {"text": "hello"})
        assert job.status == "queued"
        assert gate.entered.wait(5)
        assert gate.stepped.wait(5)  # the work reported progress: the store has it now
        assert runner.get(job.id).progress > 0
        running = runner.get(job.id)
        assert running.status == "running" and running.stage.startswith("step ") and running.started_at
        gate.open.set()
        done = runner.wait(job.id, 10)
        assert done.status == "done" and done.progress == 1.0 and done.error == ""
        assert done.output_paths()["text"].read_text() == "hello"
        assert done.summary["steps"] >= 1 and done.finished_at is not None and done.finished_at >= done.started_at
        assert done.to_dict()["run_s"] >= 0
        assert [j.id for j in runner.jobs()] == [job.id]
    finally:
        runner.close()


def test_cancel_stops_a_running_job_and_a_queued_one_never_starts(tmp_path: Path) -> None:
    gate = Gate()
    runner = _runner(tmp_path, {"work": JobKind("work", gate.run)}, workers=1)
    try:
        first, second = runner.submit("work"), runner.submit("work")
        assert gate.entered.wait(5)
        assert runner.cancel(second.id).status == "cancelled"
        runner.cancel(first.id)
        assert runner.wait(first.id, 5).status == "cancelled"
        assert not gate.open.is_set() and gate.running == 0  # the work itself stopped: cancel, not the gate
        assert runner.get(second.id).started_at is None
        assert not runner.get(first.id).output_paths()
    finally:
        runner.close()


def test_heavy_jobs_share_one_device_slot_and_light_ones_pass_them(tmp_path: Path) -> None:
    heavy, light = Gate(), Gate()
    kinds = {"heavy": JobKind("heavy", heavy.run), "light": JobKind("light", light.run, heavy=False)}
    runner = _runner(tmp_path, kinds, workers=3)
    try:
        a, b = runner.submit("heavy"), runner.submit("heavy")
        assert heavy.entered.wait(5)
        _wait_for(lambda: runner.get(b.id).stage == "waiting for the device")
        quick = runner.submit("light")
        light.open.set()
        assert runner.wait(quick.id, 5).status == "done"  # not behind the heavy jobs
        assert runner.get(b.id).status == "queued"
        heavy.open.set()
        assert runner.wait(a.id, 5).status == "done" and runner.wait(b.id, 5).status == "done"
        assert heavy.most_at_once == 1
    finally:
        runner.close()


def test_a_full_queue_answers_busy(tmp_path: Path) -> None:
    gate = Gate()
    runner = _runner(tmp_path, {"work": JobKind("work", gate.run)}, workers=1, max_queued=1)
    try:
        runner.submit("work")
        assert gate.entered.wait(5)
        runner.submit("work")
        with pytest.raises(Busy, match="busy: 1 jobs are already waiting; try again later"):
            runner.submit("work")
        assert len(runner.jobs()) == 2
    finally:
        gate.open.set()
        runner.close()


def test_a_bad_request_is_refused_before_it_is_queued(tmp_path: Path) -> None:
    def check(settings: dict[str, Any], inputs: dict[str, Path]) -> dict[str, Any]:
        if settings.get("steps", 1) < 1:
            raise InputError(f"expected steps >= 1, got {settings['steps']}")
        return settings

    runner = _runner(tmp_path, {"work": JobKind("work", Gate().run, check)})
    try:
        with pytest.raises(InputError, match="expected steps >= 1, got 0"):
            runner.submit("work", {"steps": 0})
        with pytest.raises(InputError, match="unknown job kind 'paint'"):
            runner.submit("paint")
        with pytest.raises(MediaNotFound):
            runner.submit("work", {}, {"video": tmp_path / "missing.mp4"})
        assert runner.jobs() == [] and not list((tmp_path / "root" / "jobs").glob("*"))
    finally:
        runner.close()


def test_inputs_are_kept_in_the_jobs_own_folder(tmp_path: Path) -> None:
    source = tmp_path / "clip.MP4"
    source.write_bytes(b"frames")
    seen: dict[str, bytes] = {}

    def run(job: JobContext) -> JobOutcome:
        seen["video"] = job.inputs["video"].read_bytes()
        return JobOutcome({})

    runner = _runner(tmp_path, {"work": JobKind("work", run)})
    try:
        job = runner.submit("work", {}, {"video": source})
        source.unlink()  # an upload cleaned away by the web framework
        assert runner.wait(job.id, 5).status == "done" and seen["video"] == b"frames"
        assert job.settings["inputs"] == {"video": "video.mp4"} and job.settings["input_names"] == {"video": "clip.MP4"}
    finally:
        runner.close()


def test_a_failed_job_keeps_its_one_line_error(tmp_path: Path) -> None:
    def run(job: JobContext) -> JobOutcome:
        raise InputError("expected a video\nwith frames")

    def crash(job: JobContext) -> JobOutcome:
        raise ZeroDivisionError("division by zero")

    runner = _runner(tmp_path, {"bad": JobKind("bad", run), "crash": JobKind("crash", crash)})
    try:
        assert runner.wait(runner.submit("bad").id, 5).error == "expected a video with frames"
        crashed = runner.wait(runner.submit("crash").id, 5)
        assert crashed.status == "failed" and crashed.error == "unexpected ZeroDivisionError: division by zero"
    finally:
        runner.close()


def test_restart_marks_running_jobs_interrupted_and_runs_queued_ones(tmp_path: Path) -> None:
    gate = Gate()
    runner = _runner(tmp_path, {"work": JobKind("work", gate.run)}, workers=1)
    running, waiting = runner.submit("work"), runner.submit("work")
    assert gate.entered.wait(5)
    runner.close()  # the server stops while one job runs and one waits
    assert runner.store.path.exists()
    again = Gate()
    again.open.set()
    restarted = _runner(tmp_path, {"work": JobKind("work", again.run)})
    try:
        stopped = restarted.get(running.id)
        assert stopped.status == "failed" and stopped.error == INTERRUPTED
        assert restarted.wait(waiting.id, 5).status == "done"
    finally:
        restarted.close()


def test_a_crash_mid_job_is_interrupted_on_the_next_start(tmp_path: Path) -> None:
    gate = Gate()
    runner = _runner(tmp_path, {"work": JobKind("work", gate.run)})
    job = runner.submit("work")
    assert gate.entered.wait(5)
    # no close(): as if the process was killed; the store is all that is left
    restarted = JobRunner(tmp_path / "root", {}).start()
    try:
        assert restarted.get(job.id).status == "failed" and restarted.get(job.id).error == INTERRUPTED
    finally:
        gate.open.set()
        restarted.close()
        runner.close()


def test_finished_jobs_are_deleted_after_the_retention(tmp_path: Path) -> None:
    now = [1_000_000.0]
    gate = Gate()
    gate.open.set()
    runner = _runner(tmp_path, {"work": JobKind("work", gate.run)}, retention_s=3600, clock=lambda: now[0])
    try:
        old = runner.wait(runner.submit("work").id, 5)
        now[0] += 1800
        assert runner.purge_expired() == []
        now[0] += 1801
        young = runner.submit("work")  # submitting sweeps expired jobs too
        assert [j.id for j in runner.jobs()] == [young.id]
        assert not Path(old.folder).exists()
    finally:
        runner.close()


CHILD = """
import sys
import threading
from pathlib import Path

from studio.core import atomic_path
from studio.service import JobKind, JobOutcome, JobRunner

root, started = Path(sys.argv[1]), Path(sys.argv[2])


def run(job):
    with atomic_path(job.folder / "video.mp4") as temporary:
        temporary.write_bytes(b"the first half of a video")
        started.write_text(job.job_id)  # the partial file is on disk now
        threading.Event().wait()
    return JobOutcome({"video": "video.mp4"})


JobRunner(root, {"work": JobKind("work", run)}).start().submit("work")
threading.Event().wait()
"""


def test_a_job_killed_mid_write_leaves_no_partial_file_after_the_restart(tmp_path: Path) -> None:
    import subprocess
    import sys

    root, started = tmp_path / "root", tmp_path / "started"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(root), str(started)])
    try:
        _wait_for(lambda: (started.exists() and started.read_text() != "") or child.poll() is not None, 60)
        assert child.poll() is None, "the server process died before it wrote"
    finally:
        child.kill()  # SIGKILL: nothing in the process gets to clean up
        child.wait(10)
    job_id = started.read_text()
    folder = root / "jobs" / job_id
    assert [path.name for path in folder.glob(".video.mp4.*.partial.mp4")]  # what the kill left
    restarted = JobRunner(root, {}).start()
    try:
        job = restarted.get(job_id)
        assert job.status == "failed" and job.error == INTERRUPTED
        assert sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*")) == ["inputs"]
    finally:
        restarted.close()
