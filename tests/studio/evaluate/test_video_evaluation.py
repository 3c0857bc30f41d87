"""One video through the harnesses picked (what the Evaluate tab, the /evaluate job and the MCP
tool run): each harness's report is the one its own command makes, the verdict follows the FPS
check, and the plots and page hold what was measured. Clips are made here with planted faults."""

from __future__ import annotations

import json
import threading
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from studio import media
from studio.cli.main import main
from studio.core import Cancelled, InputError, UnknownModel
from studio.evaluate import (
    EvaluateOptions,
    VideoEvaluation,
    check_fps,
    evaluate_video,
    evaluation_html,
    evaluation_plots,
    evaluation_scores,
    score_quality,
)

SIZE = (160, 96)
PNG = b"\x89PNG\r\n\x1a\n"


def _picture(step: int) -> np.ndarray:
    image = np.full((SIZE[1], SIZE[0], 3), 60, np.uint8)
    x = (4 * step) % (SIZE[0] - 8)
    image[:, x : x + 8] = (230, 200, 40)
    image[10:20, 10 + step % 50 : 20 + step % 50] = 255
    return image


def _clip(path: Path, missing: tuple[int, ...] = ()) -> Path:
    """60 slots at 30 fps, a moving bar; the frames of ``missing`` slots are left out (dropped)."""
    slots = [n for n in range(60) if n not in missing]
    with media.VideoWriter(path, fps=30, time_base=Fraction(1, 90000)) as writer:
        for slot in slots:
            writer.write(_picture(slot), time_s=slot / 30)
    return path


def test_each_harness_reports_what_its_own_command_measures_and_a_drop_fails_the_verdict(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "faulty take.mp4", missing=(20, 21, 40))
    stages: list[tuple[float, str]] = []
    result = evaluate_video(clip, EvaluateOptions(harnesses=("quality", "fps"), features="none"),
                            progress=lambda done, stage: stages.append((done, stage)))  # fmt: skip
    assert result.harnesses == ["fps", "quality"]  # in the harnesses' own order
    assert result.fps is not None and result.fps.to_dict() == check_fps(clip).to_dict()
    alone = score_quality(clip, curves=True)
    assert result.quality is not None and result.quality.to_dict() == alone.to_dict()
    assert result.prompt is None and result.fps_robustness is None
    assert result.verdict == "fail"
    assert result.failures == ["fps: 3 dropped frames (allowed 0)", "fps: 57 frames where duration × rate gives 60.0"]
    assert set(result.seconds) == {"fps", "quality"}
    assert [stage for _, stage in stages] == ["fps", "quality", "done"]
    assert [done for done, _ in stages] == sorted(done for done, _ in stages) and stages[-1][0] == 1.0

    scores = evaluation_scores(result)
    assert scores["verdict"] == "fail" and scores["fps.dropped_frames"] == 3 and scores["fps.vfr_share"] == 0.0
    assert scores["quality.temporal_flickering"] == alone.temporal_flickering
    assert scores["quality.subject_consistency"] is None  # features "none": skipped, not guessed

    plots = evaluation_plots(result)
    assert set(plots) == {"frame-intervals.png", "flicker.png", "motion.png"}
    assert all(png.startswith(PNG) for png in plots.values())
    page = evaluation_html(result, plots, "faulty take.mp4")
    assert "faulty take.mp4: <span class='fail'>fail</span>" in page
    assert "3 dropped frames (allowed 0)" in page and page.count("src='data:image/png;base64,") == 3
    assert VideoEvaluation.from_dict(json.loads(json.dumps(result.to_dict()))) == result


def test_a_clean_clip_passes_and_scores_alone_make_no_verdict(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "clean.mp4")
    passed = evaluate_video(clip, EvaluateOptions(harnesses=("fps",)))
    assert passed.verdict == "pass" and passed.failures == [] and passed.quality is None
    scored = evaluate_video(clip, EvaluateOptions(harnesses=("quality",), features="none"))
    assert scored.verdict == "scored" and scored.fps is None


def test_bad_options_and_a_cancel_are_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown harness 'vmaf'; expected some of fps, quality, prompt"):
        EvaluateOptions(harnesses=("fps", "vmaf"))
    with pytest.raises(InputError, match="pick at least one harness"):
        EvaluateOptions(harnesses=())
    with pytest.raises(InputError, match="prompt adherence needs the prompt"):
        EvaluateOptions(harnesses=("prompt",), prompt="  ")
    with pytest.raises(InputError, match="positive frame rate"):  # refused before any harness runs
        EvaluateOptions(harnesses=("fps", "fps-robustness"), rates=("24", "-3"))
    with pytest.raises(InputError, match="up to 240 fps, not 1000"):  # every copy is analysed: a typo would hang
        EvaluateOptions(harnesses=("fps-robustness",), rates=("1000",))
    assert EvaluateOptions().harnesses == ("fps", "quality")
    assert EvaluateOptions(prompt="a cat").harnesses == ("fps", "quality", "prompt")  # a prompt given is checked
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled, match="before fps"):
        evaluate_video(_clip(tmp_path / "clip.mp4"), EvaluateOptions(), cancel=stop)


def test_the_command_writes_the_report_and_page_and_exits_1_on_a_failed_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clip = _clip(tmp_path / "clip.mp4", missing=(30,))
    out, page = tmp_path / "report.json", tmp_path / "report.html"
    argv = ["eval", "video", str(clip), "--harnesses", "fps", "-o", str(out), "--html", str(page)]
    assert main(argv) == 1
    report = json.loads(out.read_text())
    assert report["verdict"] == "fail" and report["fps"]["dropped_frames"] == 1 and report["quality"] is None
    assert "clip.mp4: <span class='fail'>fail</span>" in page.read_text()
    assert "failed: fps: 1 dropped frames (allowed 0)" in capsys.readouterr().err
    assert main([*argv, "--dropped", "1"]) == 0  # the tolerance stated is the one applied
    assert json.loads(out.read_text())["fps"]["tolerances"]["dropped_frames"] == 1
    capsys.readouterr()
    assert main(["eval", "video", str(clip), "--harnesses", "fps,vmaf"]) == 2
    assert main(["eval", "video", str(clip), "--harnesses", "prompt"]) == 2
    err = capsys.readouterr().err
    assert "unknown harness 'vmaf'" in err and "prompt adherence needs the prompt" in err
    assert err.count("\n") == 2


def test_with_a_skipped_dict_a_failing_harness_is_said_and_the_others_still_run(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "take one.mp4")
    options = EvaluateOptions(harnesses=("fps", "quality"), features="no-such-embedder")
    with pytest.raises(UnknownModel):  # without one, the first failure is the call's
        evaluate_video(clip, options)
    skipped: dict[str, str] = {}
    result = evaluate_video(clip, options, skipped=skipped)
    assert result.harnesses == ["fps"] and result.fps is not None and result.quality is None
    assert result.verdict == "pass" and set(result.seconds) == {"fps"}
    assert list(skipped) == ["quality"] and skipped["quality"].startswith("unknown model 'no-such-embedder'")
