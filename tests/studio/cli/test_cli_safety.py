"""The command line as a careless or hostile user drives it: colliding paths, signals, a full
disk, two runs at once, odd numbers and odd file names. No run may lose a file."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evaluations.synthetic_scenes import moving_objects_video
from studio import media


def studio(*args: str | Path, cwd: Path | None = None, **kwargs: object) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("studio", path=str(Path(sys.executable).parent))
    assert binary, "the `studio` console script is not installed (pip install -e .)"
    return subprocess.run([binary, *map(str, args)], capture_output=True, text=True, timeout=300, check=False,
                          cwd=cwd, **kwargs)  # type: ignore[call-overload]  # fmt: skip


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if ".partial" in p.name)


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten seconds of a person walking: long enough to interrupt mid-run."""
    path = tmp_path_factory.mktemp("walk") / "walk.mp4"
    moving_objects_video(path, [("astronaut", 180, lambda t: (120 + 35 * t, 180))], seconds=10.0, fps=30)
    return path


@pytest.fixture
def folder(tmp_path: Path, walk: Path) -> Path:
    shutil.copy(walk, tmp_path / "walk.mp4")
    return tmp_path


@pytest.mark.parametrize(
    ("flags", "collides"),
    [
        (["--annotate", "walk.mp4"], "same file as input"),
        (["--annotate", "../{name}/walk.mp4"], "same file as input"),
        (["-o", "hard.mp4"], "same file as input"),
        (["-o", "t.json", "--annotate", "./t.json"], None),  # an unknown suffix for --annotate comes first
        (["-o", "same.mp4", "--annotate", "sub/../same.mp4"], "are the same file"),
    ],
)
def test_colliding_outputs_are_refused_before_any_work(folder: Path, flags: list[str], collides: str | None) -> None:
    os.link(folder / "walk.mp4", folder / "hard.mp4")
    before = (folder / "walk.mp4").read_bytes()
    args = [flag.format(name=folder.name) for flag in flags]
    result = studio("analyze", "walk.mp4", "--tasks", "motion", *args, cwd=folder)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert (collides or "expected a name ending in .mp4") in result.stderr
    assert (folder / "walk.mp4").read_bytes() == before
    assert not (folder / "t.json").exists() and _leftovers(folder) == []


def test_transcribe_refuses_to_write_over_its_input(folder: Path) -> None:
    before = (folder / "walk.mp4").read_bytes()
    result = studio("transcribe", "walk.mp4", "-o", "./walk.mp4", cwd=folder)
    assert result.returncode == 2 and "same file as input" in result.stderr
    assert (folder / "walk.mp4").read_bytes() == before


def _start_analysis(folder: Path, **kwargs: object) -> subprocess.Popen[str]:
    binary = shutil.which("studio", path=str(Path(sys.executable).parent))
    assert binary
    args = [binary, "analyze", "walk.mp4", "--fps", "30", "--tasks", "detect,track", "--annotate", "out.mp4",
            "-o", "out.json"]  # fmt: skip
    return subprocess.Popen(args, cwd=folder, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, **kwargs)  # type: ignore[call-overload]


def _wait_for_partial(folder: Path, process: subprocess.Popen[str]) -> None:
    """Until the run is inside its encode loop: its partial video holds encoded frames (more
    than the container's header), seen by polling the folder, the only signal a CLI run gives."""
    deadline = time.monotonic() + 60
    while sum(p.stat().st_size for p in folder.rglob("*.partial*") if p.is_file()) < 20_000:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run never started writing"
        time.sleep(0.01)


@pytest.mark.parametrize(("signals", "code", "name"), [
    ([signal.SIGTERM], 143, "SIGTERM"),
    ([signal.SIGINT], 130, "SIGINT"),
    ([signal.SIGINT, signal.SIGINT], 130, "SIGINT"),  # an impatient double Ctrl-C
])  # fmt: skip
def test_a_signal_mid_run_leaves_no_partial_file_and_the_old_output_intact(
    folder: Path, signals: list[signal.Signals], code: int, name: str
) -> None:
    (folder / "out.mp4").write_bytes(b"yesterday's annotated video")
    (folder / "out.json").write_text("{}")
    process = _start_analysis(folder)
    _wait_for_partial(folder, process)
    for number in signals:
        process.send_signal(number)
        time.sleep(0.15)  # a second Ctrl-C lands during the cleanup or the interpreter's shutdown
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    assert f"interrupted ({name}); no partial output was left" in stderr and "Traceback" not in stderr
    assert (folder / "out.mp4").read_bytes() == b"yesterday's annotated video"
    assert (folder / "out.json").read_text() == "{}"
    assert _leftovers(folder) == []


def _file_size_limit(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_full_disk_is_a_one_line_error_and_keeps_the_previous_output(folder: Path) -> None:
    (folder / "out.mp4").write_bytes(b"previous")
    result = studio("analyze", "walk.mp4", "--tasks", "motion", "--annotate", "out.mp4", "-o", "out.json",
                    cwd=folder, preexec_fn=lambda: _file_size_limit(20_000))  # fmt: skip
    assert result.returncode == 7, result.stderr
    lines = result.stderr.splitlines()  # progress lines in a log, then the one-line error
    assert lines[-1].startswith("error: out.mp4: could not be written (")
    assert all(line.startswith("analyze: ") for line in lines[:-1])
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    assert (folder / "out.mp4").read_bytes() == b"previous"
    assert not (folder / "out.json").exists() and _leftovers(folder) == []


def test_demo_media_on_a_full_disk_says_what_could_not_be_written(tmp_path: Path) -> None:
    """espeak-ng's audio set-up and the narration must not fail first and pass for a missing voice."""
    result = studio("demo-media", "--out", "demo", "--shot-seconds", "0.5", cwd=tmp_path,
                    preexec_fn=lambda: _file_size_limit(20_000))  # fmt: skip
    assert result.returncode == 7, result.stderr
    assert result.stderr.splitlines()[-1].startswith("error: demo/demo.mp4: could not be written ("), result.stderr
    assert "Traceback" not in result.stderr and "voice" not in result.stderr
    assert not (tmp_path / "demo").exists()  # the folder it made for the demo goes with it


def test_two_runs_writing_one_output_leave_one_whole_video(folder: Path, walk: Path) -> None:
    binary = shutil.which("studio", path=str(Path(sys.executable).parent))
    assert binary
    args = [binary, "analyze", "walk.mp4", "--tasks", "motion", "--annotate", "same.mp4", "-o"]
    runs = [subprocess.Popen([*args, f"t{i}.json"], cwd=folder, stderr=subprocess.PIPE, text=True) for i in range(2)]
    for run in runs:
        _, stderr = run.communicate(timeout=120)
        assert run.returncode == 0, stderr
    annotated, source = media.probe(folder / "same.mp4"), media.probe(walk)
    assert (annotated.frame_count, annotated.fps, annotated.warnings) == (source.frame_count, source.fps, ())
    assert _leftovers(folder) == []


def test_annotate_names_the_containers_it_can_write(folder: Path) -> None:
    result = studio("analyze", "walk.mp4", "--tasks", "motion", "--annotate", "out.webm", cwd=folder)
    assert result.returncode == 2
    assert "expected a name ending in .mp4, .m4v, .mov, .mkv (H.264 video), got '.webm'" in result.stderr
    result = studio("analyze", "walk.mp4", "--tasks", "motion", "--annotate", "out.mkv", "-o", "t.json", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert media.probe(folder / "out.mkv").frame_count == media.probe(folder / "walk.mp4").frame_count


def test_source_audio_the_container_cannot_hold_is_reencoded(folder: Path) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f", "lavfi",
                    "-i", "sine=f=440", "-t", "3", "-c:v", "libx264", "-c:a", "wmav2", str(folder / "wma.mkv")],
                   check=True)  # fmt: skip
    result = studio("analyze", "wma.mkv", "--tasks", "motion", "-o", "t.json", "--annotate", "out.mp4", cwd=folder)
    assert result.returncode == 0, result.stderr
    info = media.probe(folder / "out.mp4")
    assert info.audio_codec == "aac" and info.frame_count == 75
    assert media.read_audio(folder / "out.mp4").size / 16000 == pytest.approx(3.0, abs=0.15)


def test_a_failure_before_the_first_frame_leaves_no_partial_file(folder: Path) -> None:
    fake = folder / "fake"
    (fake / "supervision").mkdir(parents=True)
    (fake / "supervision" / "__init__.py").write_text("raise ImportError('supervision is broken')\n")
    env = {**os.environ, "PYTHONPATH": str(fake)}
    result = studio("analyze", "walk.mp4", "--tasks", "motion", "--annotate", "out.mp4", cwd=folder, env=env)
    assert result.returncode != 0 and "supervision is broken" in result.stderr
    assert _leftovers(folder) == [] and not (folder / "out.mp4").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--fps", "1.5e400"], "expected a finite frame rate like 25, 29.97 or 30000/1001, got inf"),
        (["--fps", "0.0001"], "frame rate 0.0001 rounds to zero"),
        (["--fps", "nan"], "got nan"),
        (["--fps", "1.797e308"], "expected a frame rate of at most 10000, got 1.797e+308"),
        (["--fps", "-3"], "expected a positive frame rate, got"),
        (["--fps", "1/0"], "got '1/0'"),
        (["--sensitivity", "-1"], "expected a positive sensitivity (a z-score, e.g. 6), got -1.0"),
        (["--loiter-seconds", "-5"], "expected loiter seconds >= 0, got -5.0"),
        (["--loiter-seconds", "inf"], "expected loiter seconds >= 0, got inf"),
        (["--min-score", "nan"], "expected 0 < min_score (--min-score) < 1, got nan"),
        (["--min-score", "1"], "expected 0 < min_score (--min-score) < 1, got 1.0"),
        (["--detect-every", "0"], "expected detect_every (--detect-every) >= 1, got 0"),
        (["--max-side", "0"], "expected max_side (--max-side) >= 64, got 0"),
        (["--line", "door:5,5,5,5"], "expected a line between two different points"),
        (["--zone", "a:0,0,9,0,9,9", "--zone", "a:1,1,5,1,5,5"], "--zone names 'a' more than once"),
        (["--zone", "desk:nan,0,10,0,10,10"], "expected a zone of finite pixel coordinates"),
        (["--line", "door:0,0,inf,10"], "expected a line of finite pixel coordinates"),
    ],
)
def test_numeric_options_are_checked_with_the_value_named(folder: Path, flags: list[str], message: str) -> None:
    result = studio("analyze", "walk.mp4", "--tasks", "motion", *flags, cwd=folder)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_a_zone_past_the_frame_counts_inside_it_without_a_huge_mask(folder: Path) -> None:
    everywhere = "all:-100000,-100000,100000,-100000,100000,100000,-100000,100000"
    flags = ["--tasks", "detect,track", "--fps", "2", "-o", "t.json", "--zone", everywhere]
    result = studio("analyze", "walk.mp4", *flags, cwd=folder)
    assert result.returncode == 0, result.stderr
    events = json.loads((folder / "t.json").read_text())["events"]
    assert [e["kind"] for e in events if e["region"] == "all"] == ["zone_entry"]  # the walker is in it


def test_transcribe_options_name_themselves(folder: Path) -> None:
    for flags, message in (
        (["--beam-size", "100000"], "expected 1 <= beam_size (--beam-size) <= 32, got 100000"),
        (["--max-line-width", "0"], "expected 10 <= max_chars (--max-line-width) <= 1000, got 0"),
    ):
        result = studio("transcribe", "walk.mp4", "--model", "whisper-tiny.en", *flags, cwd=folder)
        assert result.returncode == 2 and message in result.stderr, result.stderr


def test_messages_keep_the_spaces_of_a_file_name(folder: Path) -> None:
    result = studio("probe", "my  video.mp4", cwd=folder)
    assert result.stderr == "error: my  video.mp4: no such file\n"


def test_requests_a_model_cannot_serve_are_input_errors(folder: Path) -> None:
    result = studio("analyze", "walk.mp4", "--query", "a cat", cwd=folder)  # the default detector has fixed labels
    assert result.returncode == 2 and "cannot look for text queries" in result.stderr
    assert "--detector owlv2-base" in result.stderr
    result = studio("models", "install")
    assert result.returncode == 2 and "name one or more models, or pass --offline-defaults" in result.stderr


def test_demo_media_checks_its_numbers(tmp_path: Path) -> None:
    for flags, message in ((["--shot-seconds", "nan"], "got nan"), (["--fps", "0"], "positive frame rate")):
        result = studio("demo-media", "--out", tmp_path / "demo", *flags)
        assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not (tmp_path / "demo" / "demo.mp4").exists()


def test_fps_above_the_source_is_clamped_with_a_warning(folder: Path) -> None:
    result = studio("analyze", "walk.mp4", "--tasks", "motion", "--fps", "240", "-o", "t.json", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "warning: analysis fps 240/1 is above the source's 30/1" in result.stderr
    timeline = json.loads((folder / "t.json").read_text())
    assert timeline["metadata"]["analysis_fps"] == "30/1" and timeline["metadata"]["requested_fps"] == "240/1"
    assert len(timeline["sample_times_s"]) == media.probe(folder / "walk.mp4").frame_count


def test_a_file_name_that_is_not_utf8_survives_into_json(folder: Path) -> None:
    raw = os.fsencode(folder) + b"/caf\xe9 \xff.mp4"
    os.rename(folder / "walk.mp4", raw)
    name = os.fsdecode(raw)
    result = studio("analyze", name, "--tasks", "motion", "-o", "t.json", cwd=folder)
    assert result.returncode == 0, result.stderr
    timeline = json.loads((folder / "t.json").read_bytes().decode("utf-8"))  # valid UTF-8 JSON
    assert os.fsencode(timeline["video"]["path"]) == raw
    printed = subprocess.run([shutil.which("studio", path=str(Path(sys.executable).parent)) or "studio", "probe",
                              "--json", raw], capture_output=True, check=True)  # fmt: skip
    assert os.fsencode(json.loads(printed.stdout.decode("utf-8"))["path"]) == raw


def test_messages_quote_paths_exactly(folder: Path) -> None:
    result = studio("probe", "./nowhere//missing.mp4", cwd=folder)
    assert result.returncode == 5 and result.stderr == "error: ./nowhere//missing.mp4: no such file\n"
    result = studio("analyze", "walk.mp4", "--tasks", "motion", "-o", "walk.mp4/../x.json", cwd=folder)
    assert result.returncode == 7 and "walk.mp4/../x.json: cannot write in 'walk.mp4/..'" in result.stderr
