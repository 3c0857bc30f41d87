"""The app on loopback, driven through its API with gradio_client as a program would."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gradio_client import Client, handle_file

from evaluations.asr_wer import word_error_rate
from evaluations.synthetic_media import ENGLISH, spoken_sentences
from studio import media
from studio.demo import DemoMedia
from studio.registry import default_cache
from studio.service import INTERRUPTED
from studio.speech import transcribe
from ui.launch import ServeOptions, launch
from ui.service import StudioService

FINISHED = ("done", "failed", "cancelled")


class App:
    def __init__(self, outputs: Path, **service: Any) -> None:
        cache = default_cache()
        settings = replace(cache.settings, outputs_dir=outputs)
        self.service = StudioService.create(settings, cache=cache, **service)
        self.demo, self.url = launch(ServeOptions(port=None), service=self.service, block=False)
        self.client = Client(self.url, verbose=False)

    def close(self) -> None:
        self.demo.close()
        self.service.close()

    def analyze(self, video: Path, tasks: list[str], fps: float = 5, detector: str = "auto") -> dict[str, Any]:
        args = (handle_file(str(video)), tasks, fps, detector, "", "", "", "", 1)
        return self.client.predict(*args, api_name="/analyze")  # type: ignore[no-any-return]

    def wait(self, job_id: str, timeout_s: float = 120) -> tuple[dict[str, Any], list[str]]:
        """The finished job and every status it was seen in on the way."""
        seen: list[str] = []
        deadline = time.monotonic() + timeout_s
        while True:
            job = self.client.predict(job_id, api_name="/job_status")
            if not seen or seen[-1] != job["status"]:
                seen.append(job["status"])
            if job["status"] in FINISHED:
                return job, seen
            assert time.monotonic() < deadline, job
            time.sleep(0.1)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    running = App(tmp_path_factory.mktemp("outputs"))
    yield running
    running.close()


def test_analyze_the_demo_through_the_api(app: App, demo: DemoMedia) -> None:
    job = app.analyze(demo.video, ["detect", "track"], fps=4)
    assert job["status"] == "queued" and job["kind"] == "analyze" and "folder" not in job
    done, seen = app.wait(job["id"])
    assert done["status"] == "done", done
    assert seen[-1] == "done" and "running" in seen and set(seen) <= {"queued", "running", "done"}
    status, files = app.client.predict(job["id"], 0, api_name="/job_result")
    by_name = {Path(f).name: Path(f) for f in files}
    assert set(by_name) == {"timeline.json", "annotated.mp4", "poster.jpg"}
    timeline = json.loads(by_name["timeline.json"].read_text())
    shots = demo.truth["shots"]

    def labels_during(shot: dict[str, Any]) -> set[str]:
        return {t["label"] for t in timeline["tracks"]
                if any(shot["start_s"] <= p["time_s"] < shot["end_s"] for p in t["points"])}  # fmt: skip

    assert "person" in labels_during(shots[0]) and "cup" in labels_during(shots[1])
    assert status["summary"]["tracks"] == len(timeline["tracks"])
    annotated = media.probe(by_name["annotated.mp4"])
    assert annotated.codec == "h264" and annotated.pixel_format == "yuv420p"  # plays in every browser
    assert annotated.frame_count == media.probe(demo.video).frame_count


def test_speech_lands_on_the_analysis_timeline_and_its_picture(app: App, demo: DemoMedia) -> None:
    from PIL import Image

    from ui.views import timeline_picture

    job = app.analyze(demo.video, ["motion", "speech"], fps=2)
    done, _ = app.wait(job["id"])
    assert done["status"] == "done", done
    _, files = app.client.predict(job["id"], 0, api_name="/job_result")
    timeline = json.loads(next(Path(f) for f in files if f.endswith("timeline.json")).read_text())
    narration = " ".join(line["text"] for line in demo.truth["narration"])
    assert word_error_rate(narration, timeline["transcript"]["text"]).wer <= 0.15
    assert done["summary"]["speech_segments"] == len(timeline["transcript"]["segments"]) >= 4
    picture = np.asarray(Image.open(timeline_picture(app.service.job(job["id"]))).convert("RGB")).astype(int)
    seagreen = np.all(np.abs(picture - (46, 139, 87)) <= 3, axis=-1)  # the speech lane's colour
    assert seagreen.sum() > 500


def test_transcribe_speech_through_the_api(app: App, tmp_path: Path) -> None:
    samples, rate, _ = spoken_sentences(ENGLISH[:2])
    speech = media.write_audio(tmp_path / "speech.wav", samples, rate)
    job = app.client.predict(
        handle_file(str(speech)), None, "auto", "auto", "auto", "transcribe", True, False, api_name="/transcribe"
    )
    done, seen = app.wait(job["id"])
    assert job["status"] == "queued" and done["status"] == "done" and seen[-1] == "done"
    _, files = app.client.predict(job["id"], 0, api_name="/job_result")
    by_suffix = {Path(f).suffix: Path(f) for f in files}
    assert set(by_suffix) == {".srt", ".vtt", ".txt", ".json"}
    text = by_suffix[".txt"].read_text()
    assert word_error_rate(" ".join(ENGLISH[:2]), text).wer <= 0.15, text
    assert text.split() == transcribe(speech).text.split()  # the same words as from Python
    assert by_suffix[".srt"].read_text().startswith("1\n00:00:0")


def test_cancel_a_running_job(app: App, demo: DemoMedia) -> None:
    job = app.analyze(demo.video, ["detect", "track", "pose", "motion"], fps=30)
    assert app.service.runner.wait(job["id"], 60, until=("running",)).status == "running"  # woken by the change
    cancelled = app.client.predict(job["id"], api_name="/cancel")
    assert cancelled["status"] in ("running", "cancelled")
    done, _ = app.wait(job["id"], timeout_s=30)
    assert done["status"] == "cancelled" and done["outputs"] == {}
    _, files = app.client.predict(job["id"], 0, api_name="/job_result")
    assert files == []
    folder = app.service.job(job["id"]).folder
    assert not [p for p in Path(folder).iterdir() if p.name != "inputs"]  # no half-written video


def _error_of(call: Any) -> str:
    with pytest.raises(Exception) as caught:
        call()
    return str(caught.value)


def test_bad_requests_get_the_one_line_message(app: App, demo: DemoMedia, tmp_path: Path) -> None:
    corrupt = tmp_path / "holiday.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4000))
    message = _error_of(lambda: app.analyze(corrupt, ["detect"]))
    assert "holiday.mp4" in message and "not a readable media file" in message
    assert "Traceback" not in message and "\n" not in message.strip()
    message = _error_of(lambda: app.analyze(demo.video, ["detect"], detector="yolo-nope"))
    assert message.startswith("unknown model 'yolo-nope'") and "nanodet-coco" in message
    fps = "Analysis FPS (independent of the video's own rate)"  # the form's label names the field
    message = _error_of(lambda: app.analyze(demo.video, ["detect"], fps="fast"))  # type: ignore[arg-type]
    assert message == f"{fps}: expected a number, got 'fast'"
    assert _error_of(lambda: app.analyze(demo.video, ["detect"], fps=500)) == f"{fps}: expected at most 240, got 500"
    message = _error_of(lambda: app.analyze(demo.video, ["track"]))
    assert message == "tasks track and pose need detect as well"
    message = _error_of(lambda: app.analyze(demo.video, ["detect", "faces"]))  # a task the form does not offer
    assert message.startswith("Tasks: 'faces' is not one of detect, track, pose") and "\n" not in message.strip()
    message = _error_of(lambda: app.client.predict("no-such-job", api_name="/job_status"))
    assert message.startswith("no job 'no-such-job'")
    no_audio = tmp_path / "silent.mp4"
    writer = media.VideoWriter(no_audio, fps=10)
    for _ in range(5):
        writer.write(np.zeros((64, 64, 3), np.uint8))
    writer.close()
    message = _error_of(lambda: app.client.predict(handle_file(str(no_audio)), None, "auto", "auto", "auto",
                                                   "transcribe", True, False, api_name="/transcribe"))  # fmt: skip
    assert "silent.mp4" in message and "audio" in message


def test_models_endpoint_lists_the_registry(app: App) -> None:
    models = {m["name"]: m for m in app.client.predict(api_name="/models")}
    assert models["nanodet-coco-int8"]["installed"] and models["nanodet-coco-int8"]["task"] == "detect"
    assert all(m["problem"] == "" for m in models.values())  # every plug-in loaded, no broken weights
    assert not models["wan2.1-t2v-1.3b"]["offline"]
    assert models["wan2.1-t2v-1.3b"]["install"] == "studio models install wan2.1-t2v-1.3b"


def test_light_calls_are_not_queued_behind_a_running_job(app: App, demo: DemoMedia) -> None:
    """Status calls answer while the analysis runs: had they queued behind it, each would
    answer only once it was over. No stopwatch: the statuses themselves say when they were read."""
    job = app.analyze(demo.video, ["detect", "track", "pose"], fps=30)
    assert app.service.runner.wait(job["id"], 60, until=("running",)).status == "running"
    try:
        answered = [app.client.predict(job["id"], api_name="/job_status") for _ in range(5)]
        assert [a["status"] for a in answered] == ["running"] * 5, answered
        models = app.client.predict(api_name="/models")  # the registry too, while the job computes
        assert models and app.service.job(job["id"]).status == "running"
    finally:
        app.client.predict(job["id"], api_name="/cancel")
    done, _ = app.wait(job["id"])
    assert done["status"] == "cancelled"  # it was still running after every call: cancelled, not done


def test_a_full_queue_answers_busy(tmp_path: Path, demo: DemoMedia) -> None:
    small = App(tmp_path / "outputs", max_queued=1, workers=1)
    try:
        first = small.analyze(demo.video, ["detect", "track", "pose"], fps=30)
        assert small.service.runner.wait(first["id"], 60, until=("running",)).status == "running"
        small.analyze(demo.video, ["detect"])
        message = _error_of(lambda: small.analyze(demo.video, ["detect"]))
        assert message == "busy: 1 jobs are already waiting; try again later"
    finally:
        for job in small.service.runner.jobs():
            small.service.runner.cancel(job.id)
        small.close()


def test_jobs_survive_a_restart_and_a_killed_one_is_interrupted(tmp_path: Path, demo: DemoMedia) -> None:
    outputs = tmp_path / "outputs"
    env = {**os.environ, "MEDIA_STUDIO_OUTPUTS": str(outputs), "GRADIO_ANALYTICS_ENABLED": "False"}
    with socket.socket() as probe:  # a free port: another server on this machine is not ours
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "studio.cli", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 90
        client = None
        while client is None:
            assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
            try:
                client = Client(url, verbose=False)
            except Exception:
                time.sleep(0.5)
        quick = client.predict(handle_file(str(demo.video)), ["detect"], 2, "auto", "", "", "", "", 1,
                               api_name="/analyze")  # fmt: skip
        while client.predict(quick["id"], api_name="/job_status")["status"] != "done":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        slow = client.predict(handle_file(str(demo.video)), ["detect", "track", "pose"], 30, "auto", "", "", "", "",
                              1, api_name="/analyze")  # fmt: skip
        while client.predict(slow["id"], api_name="/job_status")["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        server.send_signal(signal.SIGKILL)  # no chance to clean up
        server.wait(10)
    again = App(outputs)
    try:
        killed = again.client.predict(slow["id"], api_name="/job_status")
        assert killed["status"] == "failed" and killed["error"] == INTERRUPTED
        kept, files = again.client.predict(quick["id"], 0, api_name="/job_result")
        assert kept["status"] == "done" and {Path(f).name for f in files} == {
            "timeline.json",
            "annotated.mp4",
            "poster.jpg",
        }
    finally:
        again.close()


def test_mcp_tools_and_the_upload_limit(tmp_path: Path, demo: DemoMedia) -> None:
    import httpx
    import mcp  # noqa: F401  (the mcp extra, part of the default install)

    cache = default_cache()
    service = StudioService.create(replace(cache.settings, outputs_dir=tmp_path / "outputs"), cache=cache)
    running, url = launch(ServeOptions(port=None, mcp=True, max_upload_mb=1), service=service, block=False)
    try:
        tools = {tool["name"] for tool in httpx.get(url + "gradio_api/mcp/schema", timeout=30).json()}
        assert {"analyze", "transcribe", "job_status", "job_result", "cancel", "models"} <= tools
        assert not {name for name in tools if name.startswith(("watch_", "remember_", "_"))}  # page plumbing stays out
        client = Client(url, verbose=False)
        big = tmp_path / "big.mp4"
        big.write_bytes(demo.video.read_bytes() * (2 * 2**20 // demo.video.stat().st_size + 1))
        message = _error_of(lambda: client.predict(handle_file(str(big)), ["detect"], 5, "auto", "", "", "", "", 1,
                                                   api_name="/analyze"))  # fmt: skip
        assert "exceeds the maximum file size of 1048576 bytes" in message
    finally:
        running.close()
        service.close()


def test_studio_serve_refuses_bad_options() -> None:
    from studio.cli import main

    assert main(["serve", "--auth", "only-a-user"]) == 2
    assert main(["serve", "--port", "70000"]) == 2
    assert main(["serve", "--max-queue", "0"]) == 2


def test_the_space_starts_on_the_offline_defaults() -> None:
    from ui.space import install_offline_defaults

    settings = default_cache().settings
    assert install_offline_defaults(settings) == []  # make setup installed them; nothing to fetch
    front = Path("README.md").read_text(encoding="utf-8").split("---")[1]
    assert "sdk: gradio" in front and "app_file: app.py" in front and "python_version:" in front
    assert "from ui.space import main" in Path("app.py").read_text(encoding="utf-8")
