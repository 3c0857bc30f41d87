"""The Evaluate tab's door for programs, ``/evaluate`` with gradio_client against the app on
loopback: an upload evaluated as a job, a finished job's video picked instead, what the tab
shows of the result, and the one-line refusals."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gradio_client import Client, handle_file
from jobs_view import opened_in_the_jobs_tab

from studio import media
from studio.registry import default_cache
from ui.evaluate_tab import evaluation_view, finished_videos, job_video
from ui.launch import ServeOptions, launch
from ui.service import StudioService


class App:
    def __init__(self, outputs: Path) -> None:
        cache = default_cache()
        self.service = StudioService.create(replace(cache.settings, outputs_dir=outputs), cache=cache)
        self.demo, self.url = launch(ServeOptions(port=None), service=self.service, block=False)
        self.client = Client(self.url, verbose=False)

    def evaluate(self, video: Path | None, job_id: str | None = None, harnesses: list[str] | None = None,
                 prompt: str = "", features: str = "none", *models: str) -> dict[str, Any]:  # fmt: skip
        """``models``: the background, CLIPScore and whole-video pickers, in the tab's order (unsent: auto)."""
        given = None if video is None else handle_file(str(video))
        chosen = ["fps", "quality"] if harnesses is None else harnesses
        return self.client.predict(given, job_id, chosen, prompt, features, *models, api_name="/evaluate")  # type: ignore[no-any-return]

    def finished(self, job_id: str) -> dict[str, Any]:
        job, _ = self.client.predict(job_id, 120, api_name="/job_result")
        return job  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    running = App(tmp_path_factory.mktemp("outputs"))
    yield running
    running.demo.close()
    running.service.close()


def _clip(path: Path, missing: tuple[int, ...] = ()) -> Path:
    with media.VideoWriter(path, fps=30, time_base=Fraction(1, 90000)) as writer:
        for slot in (n for n in range(45) if n not in missing):
            image = np.full((96, 160, 3), 50, np.uint8)
            image[:, 3 * slot : 3 * slot + 8] = 220
            writer.write(image, time_s=slot / 30)
    return path


def _error_of(call: Any) -> str:
    with pytest.raises(Exception) as caught:
        call()
    return str(caught.value)


def test_an_upload_and_then_its_finished_job_are_evaluated(app: App, tmp_path: Path) -> None:
    clip = _clip(tmp_path / "beach take.mp4", missing=(20,))
    queued = app.evaluate(clip)
    assert queued["kind"] == "evaluate" and queued["settings"]["input_names"] == {"video": "beach take.mp4"}
    done = app.finished(queued["id"])
    assert done["status"] == "done", done
    assert done["summary"]["scores"]["verdict"] == "fail" and done["summary"]["scores"]["fps.dropped_frames"] == 1
    assert done["summary"]["file"] == "beach take.mp4"

    job = app.service.job(queued["id"])
    verdict, plots, report, files = evaluation_view(job)  # what the tab shows of it
    assert "data-verdict='fail'" in verdict and "fps: 1 dropped frames (allowed 0)" in verdict
    assert "beach take.mp4" in verdict
    assert sorted(name for _, name in plots) == ["flicker", "frame-intervals", "motion"]
    assert all(Path(path).read_bytes().startswith(b"\x89PNG") for path, _ in plots)
    assert report["fps"]["dropped_frames"] == 1 and report["path"] == "beach take.mp4"
    assert {Path(path).name for path in files} >= {"evaluation.json", "evaluation.html"}

    shown = opened_in_the_jobs_tab(app.demo, queued["id"])  # the Jobs tab opens it as this tab shows it
    assert "data-verdict='fail'" in shown["jobs-verdict"] and len(shown["jobs-plots"]) == 3
    assert (queued["id"]) in [value for _, value in finished_videos(app.service)]
    path, prompt, name = job_video(app.service, queued["id"])  # an evaluation's video: the one it was given
    assert path.read_bytes() == clip.read_bytes() and prompt == "" and name == "beach take.mp4"
    again = app.finished(app.evaluate(None, job_id=queued["id"], harnesses=["fps"])["id"])
    assert again["status"] == "done" and again["summary"]["source_job"] == queued["id"]
    assert again["summary"]["scores"]["fps.dropped_frames"] == 1
    assert json.loads(Path(app.client.predict(again["id"], 0, api_name="/job_result")[1][0]).read_text())


def test_refusals_are_one_line_with_the_users_file_name(app: App, tmp_path: Path) -> None:
    corrupt = tmp_path / "holiday.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4000))
    clip = _clip(tmp_path / "clip.mp4")
    started = app.service.runner.jobs(200)
    message = _error_of(lambda: app.evaluate(corrupt))
    assert "holiday.mp4" in message and "not a readable media file" in message and "\n" not in message.strip()
    assert "gradio" not in message and "/tmp" not in message
    assert "no video given" in _error_of(lambda: app.evaluate(None))
    assert "pick at least one harness" in _error_of(lambda: app.evaluate(clip, harnesses=[]))
    sent = handle_file(str(clip))
    for harnesses, said in ((None, "pick at least one harness: fps, quality"),  # an agent leaving the list out
                            (["speed"], "Harnesses: 'speed' is not one of fps, quality, prompt, fps-robustness"),
                            ("fps", "Harnesses: expected a list of choices, got 'fps'")):  # fmt: skip
        refused = _error_of(lambda harnesses=harnesses: app.client.predict(sent, None, harnesses, "", "none",
                                                                           api_name="/evaluate"))  # fmt: skip
        assert refused.startswith(said) and "\n" not in refused.strip(), refused
    assert "prompt adherence needs the prompt" in _error_of(lambda: app.evaluate(clip, harnesses=["prompt"]))
    assert "clear the upload or the picked job" in _error_of(lambda: app.evaluate(clip, job_id="x"))
    assert _error_of(lambda: app.evaluate(None, job_id="no-such-job")).startswith("no job 'no-such-job'")
    for picker, model in enumerate(("clip-vit-base-patch32", "clip-vit-base-patch32", "xclip-base-patch32")):
        chosen = ["auto"] * 3
        chosen[picker] = model  # each of the three pickers reaches the job's refusals: a named model not installed
        refused = _error_of(lambda chosen=chosen: app.evaluate(clip, None, ["quality", "prompt"], "a cat", "none",
                                                               *chosen))  # fmt: skip
        assert f"studio models install {model}" in refused and "\n" not in refused.strip(), refused
    assert len(app.service.runner.jobs(200)) == len(started)  # nothing was queued
