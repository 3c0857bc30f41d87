"""Memory under load: a served app answers 1,000 status calls and runs 100 small jobs, each
call from a new session as plain HTTP clients make them, and its memory after warm-up stays
where it was. Gradio kept a ~375 KB copy of the page's state for each of the last 10,000
sessions (``state_session_capacity``); the studio keeps ``ServeOptions.max_sessions``."""

from __future__ import annotations

import ctypes
import gc
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
from gradio_client import Client

from studio.registry import default_cache
from ui.launch import ServeOptions, launch
from ui.service import StudioService

SESSIONS = 20  # the server's cap, small so warm-up fills it
STATUS_CALLS = 1000
JOBS = 100
MAX_GROWTH_MB = 20  # measured: 1.7 MB; without the cap this load added 264 MB
MAX_OBJECT_GROWTH = 0.02  # of the objects alive after warm-up (measured: none); without the cap 2.6 times as many


def _rss_mb() -> float:
    """This process's resident memory after the allocator gave back what it could."""
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def _objects() -> int:
    gc.collect()
    return len(gc.get_objects())


class Caller:
    """``/gradio_api/run/<name>`` with a new session hash on every call."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url + "gradio_api", timeout=120)

    def __call__(self, name: str, *data: Any) -> Any:
        answer = self.http.post(f"/run/{name}", json={"data": list(data), "session_hash": uuid.uuid4().hex})
        answer.raise_for_status()
        return answer.json()["data"][0]

    def job(self) -> dict[str, Any]:
        job = self("install_offline_defaults")
        done: dict[str, Any] = self("job_result", job["id"], 600)
        assert done["status"] == "done", done
        return done


def test_memory_stays_flat_over_many_sessions_status_calls_and_jobs(tmp_path: Path) -> None:
    cache = default_cache()
    service = StudioService.create(replace(cache.settings, outputs_dir=tmp_path / "outputs"), cache=cache)
    demo, url = launch(ServeOptions(port=None, max_sessions=SESSIONS), service=service, block=False)
    call = Caller(url)
    try:
        client = Client(url, verbose=False)  # one long session too, as a program keeps
        first = call.job()["id"]
        for _ in range(3 * SESSIONS):  # warm-up: the sessions kept fill up, every route has run
            call("job_status", first)
            client.predict(first, api_name="/job_status")
        for _ in range(5):
            call.job()
        before_mb, before_objects = _rss_mb(), _objects()

        for number in range(STATUS_CALLS):
            if number % 2:
                assert call("job_status", first)["status"] == "done"
            else:
                assert client.predict(first, api_name="/job_status")["status"] == "done"
        for _ in range(JOBS):
            call.job()

        after_mb, after_objects = _rss_mb(), _objects()
        kept = len(demo.state_holder.session_data)
        assert kept <= SESSIONS, f"{kept} sessions kept, the cap is {SESSIONS}"
        growth = after_mb - before_mb
        assert growth < MAX_GROWTH_MB, f"memory grew {before_mb:.0f} -> {after_mb:.0f} MB"
        assert after_objects < before_objects * (1 + MAX_OBJECT_GROWTH), (before_objects, after_objects)
        assert len(service.runner.store.rows(limit=10_000)) == 1 + 5 + JOBS  # every job ran and is kept
    finally:
        call.http.close()
        demo.close()
        service.close()
