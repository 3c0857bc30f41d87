"""The evaluate job: one video through the harnesses picked, its report, page and plots in the
job's folder under the user's own file name, and every refusal before anything is queued."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from studio import media
from studio.core import InputError, MediaError, ModelUnavailable, Settings, UnknownModel
from studio.evaluate import VideoEvaluation, check_fps
from studio.registry import ModelCache, ModelSpec, Registry
from studio.service import JobRunner, StudioJobs


def _clip(path: Path, missing: tuple[int, ...] = ()) -> Path:
    """60 slots at 30 fps of a moving bar, the ``missing`` ones dropped."""
    with media.VideoWriter(path, fps=30, time_base=Fraction(1, 90000)) as writer:
        for slot in (n for n in range(60) if n not in missing):
            image = np.full((96, 160, 3), 60, np.uint8)
            image[:, 2 * slot : 2 * slot + 8] = 230
            writer.write(image, time_s=slot / 30)
    return path


def _runner(tmp_path: Path, specs: list[ModelSpec] | None = None) -> JobRunner:
    settings = Settings(tmp_path, tmp_path / "models", tmp_path / "outputs", device="cpu", memory_budget_mb=1000)
    cache = ModelCache(Registry(specs or []), settings)
    return JobRunner(tmp_path / "root", StudioJobs(_cache=cache).kinds()).start()


def test_an_evaluation_job_writes_the_report_page_and_plots_under_the_users_name(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "my take.mp4", missing=(10, 11))
    runner = _runner(tmp_path)
    try:
        job = runner.wait(runner.submit("evaluate", {"harnesses": "fps, quality", "features": "none",
                                                     "dropped_frames": ""}, {"video": clip}).id, 120)  # fmt: skip
        assert job.status == "done", job.error
        assert set(job.outputs) == {"report", "page", "frame-intervals", "flicker", "motion"}
        files = job.output_paths()
        report = VideoEvaluation.from_dict(json.loads(files["report"].read_text()))
        assert report.path == "my take.mp4" and report.verdict == "fail"
        expected = check_fps(clip).to_dict()
        assert report.fps is not None and report.fps.to_dict() == {**expected, "path": "my take.mp4"}
        assert report.quality is not None and report.quality.path == "my take.mp4"
        assert "my take.mp4: <span class='fail'>fail</span>" in files["page"].read_text()
        assert str(runner.root) not in files["page"].read_text()  # no server path in what the user reads
        assert all(files[name].read_bytes().startswith(b"\x89PNG") for name in ("frame-intervals", "flicker", "motion"))
        summary = job.summary
        assert summary["file"] == "my take.mp4" and summary["scores"]["fps.dropped_frames"] == 2
        assert summary["failures"][0] == "fps: 2 dropped frames (allowed 0)" and summary["source_job"] is None
        assert summary["harnesses"] == ["fps", "quality"] and set(summary["seconds"]) == {"fps", "quality"}

        allowed = runner.wait(runner.submit("evaluate", {"harnesses": ["fps"], "dropped_frames": 2,
                                                         "source_job": job.id}, {"video": clip}).id, 60)  # fmt: skip
        assert allowed.summary["scores"]["verdict"] == "fail"  # 58 frames where 60 were due: still a failure
        assert allowed.summary["failures"] == ["fps: 58 frames where duration × rate gives 60.0"]
        assert allowed.summary["source_job"] == job.id
    finally:
        runner.close()


def test_bad_settings_and_media_are_refused_before_queueing(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "clip.mp4")
    (tmp_path / "notes.mp4").write_text("not a video")
    whisper = ModelSpec("whisper-x", "asr", "x:Y", "home:whisper-x", "MIT", "dev", 10, True)
    embedder = ModelSpec("embed-x", "classify", "x:Y", "home:embed-x", "MIT", "dev", 10, True, capabilities=("embed",))
    clips = ModelSpec("clips-x", "action", "x:Y", "home:clips-x", "MIT", "dev", 10, True,
                      capabilities=("zero-shot", "video-text"))  # fmt: skip
    runner = _runner(tmp_path, [whisper, embedder, clips])
    try:
        refused: dict[str, tuple[type[Exception], dict[str, object], dict[str, Path]]] = {
            "unknown harness 'vmaf'": (InputError, {"harnesses": "fps,vmaf"}, {"video": clip}),
            "prompt adherence needs the prompt": (InputError, {"harnesses": ["prompt"]}, {"video": clip}),
            "no video given": (InputError, {}, {}),
            "notes.mp4": (MediaError, {}, {"video": tmp_path / "notes.mp4"}),
            "a whole number for dropped_frames, got 'many'": (InputError, {"dropped_frames": "many"}, {"video": clip}),
            "a tolerance vfr_share between 0 and 1, got 2.0": (InputError, {"vfr_share": "2"}, {"video": clip}),
            "model 'whisper-x' gives no image features": (InputError, {"features": "whisper-x"}, {"video": clip}),
            "unknown model 'dino'": (UnknownModel, {"features": "dino"}, {"video": clip}),
            "studio models install embed-x": (ModelUnavailable, {"features": "embed-x"}, {"video": clip}),
            "no detect model is registered": (InputError, {"harnesses": "fps-robustness"}, {"video": clip}),
            "install embed-x": (ModelUnavailable, {"background_features": "embed-x"}, {"video": clip}),
            "'embed-x' does not put texts and pictures in one space": (
                InputError,
                {"harnesses": ["prompt"], "prompt": "a cat", "alignment": "embed-x"},
                {"video": clip},
            ),
            "'embed-x' does not score texts against whole clips": (
                InputError,
                {"harnesses": ["prompt"], "prompt": "a cat", "video_alignment": "embed-x"},
                {"video": clip},
            ),
            "studio models install clips-x": (
                ModelUnavailable,
                {"harnesses": ["prompt"], "prompt": "a cat", "video_alignment": "clips-x"},
                {"video": clip},
            ),
        }
        for message, (error, settings, inputs) in refused.items():
            with pytest.raises(error) as caught:
                runner.submit("evaluate", settings, inputs)
            assert message in str(caught.value) and "\n" not in str(caught.value), (message, caught.value)
        assert runner.jobs() == []  # nothing was queued
    finally:
        runner.close()


def test_a_file_that_breaks_while_the_job_runs_is_named_as_the_user_gave_it(tmp_path: Path) -> None:
    whole = _clip(tmp_path / "whole.mp4").read_bytes()
    cut = tmp_path / "beach day.mp4"
    cut.write_bytes(whole[: len(whole) * 2 // 3])  # fast-start MP4: the header is whole, the frames end early
    runner = _runner(tmp_path)
    try:
        job = runner.wait(runner.submit("evaluate", {"harnesses": ["quality"], "features": "none"},
                                        {"video": cut}).id, 60)  # fmt: skip
        assert job.status == "failed" and job.error.startswith("beach day.mp4: "), job.error
        assert str(tmp_path / "root") not in job.error
    finally:
        runner.close()
