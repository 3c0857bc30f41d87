"""FPS consistency against files whose timing faults were planted here, with their exact truth.

Every clip is a moving pattern (a bright bar sweeping across), so consecutive frames differ
clearly unless a frame was repeated on purpose; timestamps are written exactly (``time_s`` on a
1/90000 or 1/30 time base)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from studio import media
from studio.cli.main import main
from studio.core import InputError
from studio.demo import DemoMedia
from studio.evaluate import FpsTolerances, check_fps

SIZE = (160, 90)


def _picture(step: int) -> np.ndarray:
    """Frame content number ``step``: a bar 8 px wide at x = 4 * step (wrapping), on grey."""
    image = np.full((SIZE[1], SIZE[0], 3), 60, np.uint8)
    x = (4 * step) % (SIZE[0] - 8)
    image[:, x : x + 8] = (230, 200, 40)
    image[10:20, 10 + step % 50 : 20 + step % 50] = 255  # a second mover: no two steps alike
    return image


def _clip(path: Path, contents: list[int], times_s: list[float] | None = None, fps: int = 30,
          audio_s: float | None = None) -> Path:  # fmt: skip
    """Frames showing ``contents`` (a repeated number repeats its picture) at ``times_s``."""
    audio = None
    if audio_s is not None:
        audio = (0.1 * np.sin(2 * np.pi * 440 * np.arange(round(audio_s * 16000)) / 16000)).astype(np.float32)
    base = Fraction(1, 90000) if times_s is not None else None
    with media.VideoWriter(path, fps=fps, time_base=base, audio=audio) as writer:
        for number, content in enumerate(contents):
            writer.write(_picture(content), time_s=None if times_s is None else times_s[number])
    return path


def test_a_constant_rate_file_passes(tmp_path: Path) -> None:
    report = check_fps(_clip(tmp_path / "steady.mp4", list(range(90))))
    assert report.verdict == "pass", report.failures
    assert (report.frames, report.dropped_frames, report.duplicated_frames) == (90, 0, 0)
    assert report.vfr_share == 0.0 and not report.is_vfr
    assert report.period_s == pytest.approx(1 / 30, abs=1e-6) and report.declared_fps == pytest.approx(30)
    assert report.expected_frames == pytest.approx(90, abs=0.01)
    assert report.audio_offset_s is None and report.audio_drift_s is None


def test_the_demo_video_passes_with_its_sound_ending_on_its_last_frame(demo: DemoMedia) -> None:
    report = check_fps(demo.video)
    assert report.verdict == "pass", report.failures
    assert report.frames == demo.truth["frame_count"] and report.dropped_frames == 0
    assert report.audio_drift_s is not None and abs(report.audio_drift_s) < 0.03


def test_irregular_timestamps_are_vfr_with_their_share(tmp_path: Path) -> None:
    """Of 89 intervals, every fifth (17) is 1/20 s and the other 72 are 1/30 s: 17 of 89 off the period."""
    intervals = [1 / 20 if n % 5 == 4 else 1 / 30 for n in range(89)]
    times = [0.0, *np.cumsum(intervals).tolist()]
    report = check_fps(_clip(tmp_path / "vfr.mp4", list(range(90)), times))
    assert report.vfr_share == pytest.approx(17 / 89, abs=1e-6) and report.is_vfr
    assert report.period_s == pytest.approx(1 / 30, abs=1e-4)
    assert report.verdict == "fail" and any("off the" in failure for failure in report.failures)
    assert report.interval_histogram == {"33.3": 72, "50.0": 17}


def test_planted_drops_and_repeats_are_counted_with_their_times(tmp_path: Path) -> None:
    """30 fps slots with frames 30, 31 and 61 missing; frames 10 and 70 repeat the one before."""
    slots = [n for n in range(90) if n not in (30, 31, 61)]
    contents = [slot - 1 if slot in (10, 70) else slot for slot in slots]
    report = check_fps(_clip(tmp_path / "faults.mp4", contents, [n / 30 for n in slots]))
    assert report.dropped_frames == 3
    assert report.dropped_after_s == pytest.approx((29 / 30, 29 / 30, 60 / 30), abs=1e-4)
    assert report.duplicated_frames == 2
    assert report.duplicated_at_s == pytest.approx((10 / 30, 70 / 30), abs=1e-4)
    assert report.frames == 87 and report.verdict == "fail"
    assert report.vfr_share == 0.0  # gaps of whole periods are drops, not a variable rate
    assert "3 dropped frames (allowed 0)" in report.failures
    assert check_fps(tmp_path / "faults.mp4", pictures=False).duplicated_frames is None  # packets only


def test_24fps_content_repeated_to_30_shows_its_cadence(tmp_path: Path) -> None:
    """Every fourth content frame shown twice: 24 fps content at 30, one repeat in every 5."""
    contents = [n * 4 // 5 for n in range(150)]  # 0 1 2 3 3 4 5 6 7 7 ...
    report = check_fps(_clip(tmp_path / "pulldown.mp4", contents))
    assert report.duplicated_frames == 30
    assert report.duplicate_cadence == "1 repeat every 5 frames (24 fps content at 30)"
    assert report.verdict == "fail" and report.dropped_frames == 0 and report.vfr_share == 0.0


def test_audio_that_runs_past_the_picture_is_drift(tmp_path: Path) -> None:
    report = check_fps(_clip(tmp_path / "long-sound.mp4", list(range(60)), audio_s=2.5))
    assert report.audio_offset_s == pytest.approx(0.0, abs=0.005)  # the encoder's priming is not an offset
    assert report.audio_drift_s == pytest.approx(0.5, abs=0.07)  # 2.5 s of sound, 2 s of picture (AAC frames)
    assert report.verdict == "fail" and any("audio ends" in failure for failure in report.failures)
    lenient = check_fps(tmp_path / "long-sound.mp4", FpsTolerances(audio_drift_s=1.0))
    assert lenient.verdict == "pass", lenient.failures
    for wrong in ({"vfr_share": 2.0}, {"dropped_frames": float("nan")}, {"duplicated_share": "x"}):
        with pytest.raises(InputError):
            FpsTolerances(**wrong)


def test_the_command_writes_one_report_per_file_and_exits_1_on_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _clip(tmp_path / "good.mp4", list(range(30)))
    bad = _clip(tmp_path / "bad.mp4", [0, 1, 2, 3, 4, 5, 6, 7], [n / 30 for n in (0, 1, 2, 3, 6, 7, 8, 9)])
    out, page = tmp_path / "report.json", tmp_path / "report.html"
    assert main(["eval", "fps", str(good), str(bad), "--output", str(out), "--html", str(page)]) == 1
    shown_page = page.read_text()
    assert shown_page.count("<img alt='frame intervals' src='data:image/png;base64,") == 2
    assert "<span class='fail'>fail</span>" in shown_page and "2: at 0.100, 0.100 s" in shown_page
    reports = json.loads(out.read_text())["reports"]
    assert [(r["path"], r["verdict"], r["dropped_frames"]) for r in reports] == [
        (str(good), "pass", 0),
        (str(bad), "fail", 2),
    ]
    shown = capsys.readouterr()
    assert "good.mp4: pass" in shown.err and "bad.mp4: fail: 2 dropped frames" in shown.err
    assert main(["eval", "fps", str(tmp_path / "nowhere.mp4")]) == 5  # MediaError's exit code, one line
    assert capsys.readouterr().err.count("\n") == 1
    (tmp_path / "empty.mp4").write_bytes(b"")  # one bad file among good ones: the others are still checked
    assert main(["eval", "fps", str(good), str(tmp_path / "empty.mp4"), str(good), "-o", str(out)]) == 5
    written = json.loads(out.read_text())
    assert [r["verdict"] for r in written["reports"]] == ["pass", "pass"]
    assert written["errors"][0]["path"] == str(tmp_path / "empty.mp4") and "empty" in written["errors"][0]["error"]
    assert capsys.readouterr().err.count("\n") == 3


def test_millisecond_timestamps_at_29_97_are_constant_rate(tmp_path: Path) -> None:
    """Matroska keeps milliseconds: 29.97 fps alternates 33 and 34 ms steps, which is rounding."""
    clip = tmp_path / "ntsc.mkv"
    with media.VideoWriter(clip, fps="30000/1001") as writer:
        for step in range(90):
            writer.write(_picture(step))
    report = check_fps(clip)
    assert set(report.interval_histogram) == {"33.0", "34.0"}
    assert report.period_s == pytest.approx(1001 / 30000, abs=2e-4)
    assert report.vfr_share == 0.0 and report.verdict == "pass", report.failures


def test_a_jittery_rate_keeps_its_period_and_a_time_base_is_no_declared_rate(tmp_path: Path) -> None:
    """30 fps give or take up to 8 ms at random, on a 1/90000 time base: the period is still
    about 33 ms, and FFmpeg's guess of 90000 fps (the time base) is not the header's rate."""
    rng = np.random.default_rng(4)
    times = np.arange(90) / 30 + np.concatenate([[0.0], rng.uniform(-0.008, 0.008, 89)])
    report = check_fps(_clip(tmp_path / "jitter.mp4", list(range(90)), sorted(times.tolist())))
    assert report.period_s == pytest.approx(1 / 30, abs=0.002)
    assert report.declared_fps is not None and report.declared_fps < 100
    assert report.is_vfr and report.verdict == "fail"


def test_a_file_cut_short_lists_fewer_frames_than_its_header(tmp_path: Path) -> None:
    whole = _clip(tmp_path / "whole.mp4", list(range(90)))  # faststart: the frame list comes first
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * 0.6)])
    report = check_fps(cut, pictures=False)
    assert report.header_frames == 90 and report.frames < 90
    assert f"{report.frames} frames where the header lists 90" in report.failures
