"""``studio eval suite``: regressions found against a planted baseline, the FPS harness against
the media it makes, and the command's refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluations.suite import HARNESSES, Metric, load_baseline, regressions, run_suite, suite_html
from studio.cli import main
from studio.core import InputError

BASELINE = Path(__file__).parents[3] / "evaluations" / "baseline.json"


def _metric(name: str, value: float | None, better: str, tolerance: float = 0.01) -> Metric:
    return Metric(name, value, better, tolerance, "good", "definition")


def test_regressions_name_each_metric_moved_the_wrong_way_past_its_tolerance() -> None:
    metrics = [
        _metric("a.higher.fell", 0.80, "higher"),  # fell 0.1: regressed
        _metric("a.higher.rose", 0.95, "higher"),  # rose: better
        _metric("a.higher.within", 0.895, "higher"),  # fell 0.005, under the tolerance
        _metric("b.lower.rose", 0.30, "lower"),  # rose 0.1: regressed
        _metric("b.lower.fell", 0.05, "lower"),
        _metric("c.equal.moved_up", 3.0, "equal", 0),  # a count that must not move, moved up
        _metric("c.equal.moved_down", 1.0, "equal", 0),
        _metric("c.equal.same", 2.0, "equal", 0),
        _metric("d.now_none", None, "higher"),  # the model went missing
    ]
    baseline = {"a.higher.fell": 0.9, "a.higher.rose": 0.9, "a.higher.within": 0.9, "b.lower.rose": 0.2,
                "b.lower.fell": 0.2, "c.equal.moved_up": 2.0, "c.equal.moved_down": 2.0, "c.equal.same": 2.0,
                "d.now_none": 0.5, "e.gone": 1.0}  # fmt: skip
    said = regressions(metrics, baseline)
    assert [line.split(":")[0] for line in said] == [
        "a.higher.fell", "b.lower.rose", "c.equal.moved_up", "c.equal.moved_down", "d.now_none", "e.gone",
    ]  # fmt: skip
    assert "a.higher.fell: 0.8, baseline 0.9 (higher is better, tolerance 0.01)" in said
    assert "e.gone: missing (baseline 1.0)" in said
    assert regressions(metrics, baseline, only=("a",)) == ["a.higher.fell: 0.8, baseline 0.9 (higher is better, "
                                                           "tolerance 0.01)"]  # fmt: skip


def test_the_fps_harness_measures_the_cadence_it_made(tmp_path: Path) -> None:
    result, plots = run_suite(tmp_path, short=True, only=("fps",))
    values = {m.name: m.value for m in result.metrics}
    assert set(result.seconds) == {"fps"}
    # 96 pictures at 30 fps with every 4th shown twice: 24 repeats in 120 frames
    assert values["fps.pulldown.duplicated_share"] == pytest.approx(24 / 120)
    assert values["fps.demo.dropped_frames"] == 0
    assert values["fps.demo.vfr_share"] == 0
    page = suite_html(result, plots, {"fps.demo.dropped_frames": 0})
    assert page.count("<img") == len(plots) == 1
    assert "fps.pulldown.duplicated_share" in page and "regressed" not in page


def test_the_saved_baseline_covers_every_harness() -> None:
    saved = load_baseline(BASELINE)
    assert {name.split(".")[0] for name in saved} == set(HARNESSES) == {
        "fps", "quality", "prompt", "asr", "detection", "tracking", "shots", "fps_robustness", "actions",
    }  # fmt: skip
    assert all(value is not None for value in saved.values())


def test_the_command_exits_1_and_names_what_regressed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    planted = json.loads(BASELINE.read_text())
    for metric in planted["metrics"]:
        if metric["name"] == "fps.pulldown.duplicated_share":
            metric["value"] = 0.5  # a cadence check that once saw half the frames repeat
    (tmp_path / "planted.json").write_text(json.dumps(planted))
    report = tmp_path / "report.json"
    code = main(["eval", "suite", "--only", "fps", "--baseline", str(tmp_path / "planted.json"), "-o", str(report)])
    assert code == 1
    err = capsys.readouterr().err
    assert "regressed: fps.pulldown.duplicated_share: 0.2, baseline 0.5 (equal is better, tolerance 0.01)" in err
    assert err.count("regressed:") == 1  # the other harnesses' metrics are not asked for with --only
    assert json.loads(report.read_text())["regressions"] == [
        "fps.pulldown.duplicated_share: 0.2, baseline 0.5 (equal is better, tolerance 0.01)"
    ]


@pytest.mark.parametrize(
    ("content", "said"),
    [(None, "no such baseline file"), ("{not json", "not a suite report"), ('{"metrics": [{"name": "x"}]}',
     "not a suite report"), ('{"metrics": [{"name": "x", "value": "high"}]}', "a value is not a number")],
)  # fmt: skip
def test_a_bad_baseline_is_one_line_naming_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     content: str | None, said: str) -> None:  # fmt: skip
    path = tmp_path / "my baseline.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InputError, match=said):
        load_baseline(path)
    assert main(["eval", "suite", "--only", "fps", "--baseline", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "my baseline.json" in err[0] and said in err[0]


def test_an_unknown_harness_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "suite", "--only", "fps,colour"]) == 2
    assert "unknown harness colour: the suite has fps, quality" in capsys.readouterr().err
