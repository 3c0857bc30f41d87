from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from studio.cli import main
from studio.demo import DemoMedia

pytestmark = pytest.mark.usefixtures("fresh_registry")  # the registry over an empty home (conftest)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it."""
    studio = shutil.which("studio", path=str(Path(sys.executable).parent)) or shutil.which("studio")
    assert studio, "the `studio` console script is not installed (pip install -e .)"
    return subprocess.run([studio, *args], capture_output=True, text=True, timeout=120, check=False)


def test_help_lists_the_commands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("probe", "models", "demo-media"):
        assert command in result.stdout


def test_probe_prints_exact_fps(demo: DemoMedia) -> None:
    result = run_cli("probe", str(demo.video))
    assert result.returncode == 0, result.stderr
    assert "30000/1001" in result.stdout
    assert f"frames      {demo.truth['frame_count']}" in result.stdout
    assert "aac, 22050 Hz" in result.stdout


def test_probe_json(demo: DemoMedia, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", str(demo.video), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["fps"] == "30000/1001" and data["frame_count"] == demo.truth["frame_count"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["probe", "no/such/video.mp4"], 5, "error: no/such/video.mp4: no such file"),
        (["models", "install", "whisper-gigantic"], 3, "error: unknown model 'whisper-gigantic'"),
        (["models", "install"], 2, "error: name one or more models"),
        (["demo-media", "--fps", "fast", "--out", "unused"], 2, "error: expected a frame rate like"),
    ],
)
def test_errors_are_one_line_with_an_exit_code(args: list[str], code: int, message: str) -> None:
    result = run_cli(*args)
    assert result.returncode == code
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_hub_model_without_a_network_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # as on a machine with no route to the Hub
    result = run_cli("models", "install", "rtdetr-r18")
    assert result.returncode == 4
    assert result.stderr.startswith("error: model 'rtdetr-r18' is not available: downloading PekingU/")
    assert "huggingface-cli download PekingU/rtdetr_r18vd_coco_o365" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_corrupt_file_gets_a_media_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    assert main(["probe", str(bad)]) == 5
    assert "not a readable media file" in capsys.readouterr().err


def test_models_list_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("name")
    assert {"nanodet-coco", "whisper-base", "movenet-lightning"} <= {line.split()[0] for line in out.splitlines()[2:]}
    flagged = {line.split()[0] for line in out.splitlines()[2:] if "(non-commercial)" in line}
    assert "modelscope-t2v-1.7b" in flagged and "wan2.1-t2v-1.3b" not in flagged  # CC BY-NC is flagged, Apache not
    assert main(["models", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) >= 10 and all({"name", "task", "license", "non_commercial", "size_mb", "installed"} <= set(row)
                                   for row in rows)  # fmt: skip
    assert {row["name"]: row["installed"] for row in rows}["nanodet-coco"] is False  # an empty models home


def test_usage_mistakes_are_one_line_naming_the_help() -> None:
    result = run_cli("analyze")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: the following arguments are required: video (see: studio analyze --help)"
    ]


def test_an_unexpected_failure_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], demo: DemoMedia
) -> None:
    """The last line of defence: a library error whose message spans lines still prints one line."""
    import studio.media

    def broken_probe(path: object, **_: object) -> object:
        raise ValueError("the decoder said:\n  frame 3 is odd\n\n  and so is frame 4")

    monkeypatch.setattr(studio.media, "probe", broken_probe)
    assert main(["probe", str(demo.video)]) == 70
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "error: unexpected ValueError: the decoder said: frame 3 is odd and so is frame 4"
        " (set STUDIO_DEBUG=1 for details)"
    ]
