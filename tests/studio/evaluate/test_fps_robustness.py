"""FPS robustness: copies at other rates checked frame by frame against what FFmpeg's fps filter
keeps, the whole output; the studio's own tracking of a walking figure compared across rates; and
the comparison itself against planted changes (an ID switch, a lost track)."""

from __future__ import annotations

import json
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from evaluations.synthetic_media import read_counter, write_counter_video
from evaluations.synthetic_scenes import moving_objects_video
from studio import media, vision
from studio.core import InputError, Track
from studio.evaluate import compare_timelines, fps_robustness, resample_video


@pytest.mark.parametrize(("source_fps", "rate", "frames"),
                         [(30, 12, 60), (30, 60, 60), (25, "30000/1001", 60), (24, 24, 60), (30, "24000/1001", 61),
                          (60, 25, 60)])  # fmt: skip
def test_dropping_keeps_every_frame_ffmpegs_fps_filter_keeps(tmp_path: Path, source_fps: int, rate: str | int,
                                                             frames: int) -> None:  # fmt: skip
    import subprocess

    source = write_counter_video(tmp_path / "counter.mp4", fps=source_fps, frames=frames)
    written = resample_video(source, tmp_path / "copy.mp4", rate, "drop")
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(source), "-vf", f"fps={rate}", "-c:v", "libx264", "-crf", "10",
                    str(tmp_path / "ffmpeg.mp4")], check=True)  # fmt: skip
    ours = [read_counter(frame.image) for frame in media.iter_frames(tmp_path / "copy.mp4")]
    theirs = [read_counter(frame.image) for frame in media.iter_frames(tmp_path / "ffmpeg.mp4")]
    assert ours == theirs and written == len(ours)  # the whole output, frame for frame, to the last
    assert len(ours) == round(Fraction(frames, source_fps) * Fraction(rate))
    assert media.probe(tmp_path / "copy.mp4").fps == Fraction(rate)


def test_interpolating_draws_new_frames_at_the_rate(tmp_path: Path) -> None:
    source = tmp_path / "walk.mp4"
    moving_objects_video(
        source, [("astronaut", 120, lambda t: (80 + 60 * t, 100))], seconds=1.0, fps=10, size=(320, 180)
    )
    assert resample_video(source, tmp_path / "up.mp4", 30, "interpolate") == 30
    assert media.probe(tmp_path / "up.mp4").fps == 30
    with pytest.raises(InputError, match="method"):
        resample_video(source, tmp_path / "x.mp4", 30, "blend")


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    clip = tmp_path_factory.mktemp("walk") / "walk.mp4"
    moving_objects_video(clip, [("astronaut", 230, lambda t: (150 + 90 * t, 180))], seconds=3.0, fps=30)
    return clip


def test_a_walking_figure_is_tracked_alike_at_every_rate(walk: Path, tmp_path: Path) -> None:
    report = fps_robustness(walk, rates=["15", "60"], methods=["drop"], tasks=("detect", "track"), keep=tmp_path)
    assert report.reference_tracks == {"person": 1} and report.source_fps == "30"
    assert [(r.rate, r.method, r.frames) for r in report.results] == [("15", "drop", 45), ("60", "drop", 180)]
    for result in report.results:
        agreement = result.agreement
        assert agreement.tracks == {"person": 1} and agreement.id_switches == 0, agreement
        assert agreement.mota is not None and agreement.mota >= 0.9 and agreement.label_agreement == 1.0
        grid = min(30.0, float(result.rate))  # the slower of the two analysis rates
        assert agreement.grid_fps == grid and agreement.grid_frames == round(3 * grid)
        assert agreement.boxes_per_frame == pytest.approx(agreement.boxes_per_frame_reference, abs=0.1)
    assert sorted(p.name for p in tmp_path.glob("*.mp4")) == ["walk-15fps-drop.mp4", "walk-60fps-drop.mp4"]


def test_the_comparison_counts_a_planted_id_switch_and_a_lost_track(walk: Path) -> None:
    timeline = vision.analyze(walk, vision.AnalyzeOptions(fps=10, tasks=("detect", "track")))
    same = compare_timelines(timeline, timeline)
    assert (same.mota, same.idf1, same.id_switches, same.label_agreement) == (1.0, 1.0, 0, 1.0)
    assert same.action_disagreement_s == 0 and same.events_unmatched == 0
    (track,) = timeline.tracks
    half = len(track.points) // 2
    switched = replace(timeline, tracks=(Track(track.id, track.label, track.points[:half]),
                                         Track(track.id + 100, track.label, track.points[half:])))  # fmt: skip
    result = compare_timelines(timeline, switched)
    assert result.id_switches == 1 and result.mota == pytest.approx(1 - 1 / len(track.points), abs=1e-6)
    lost = compare_timelines(timeline, replace(timeline, tracks=()))
    assert (lost.mota, lost.tracks, lost.label_agreement) == (0.0, {}, None)
    relabelled = compare_timelines(timeline, replace(timeline, tracks=(Track(track.id, "dog", track.points),)))
    assert relabelled.label_agreement == 0.0 and relabelled.mota == 1.0  # MOT is label-blind; the label share is not


def test_the_command_writes_the_report_and_refuses_a_bad_rate(
    walk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from studio.cli.main import main

    out = tmp_path / "robust.json"
    code = main(["eval", "fps-robustness", str(walk), "--rates", "10", "--methods", "drop", "--tasks", "detect,track",
                 "--analysis-fps", "5", "-o", str(out)])  # fmt: skip
    assert code == 0
    data = json.loads(out.read_text())
    assert data["analysis_fps"] == "5" and data["results"][0]["agreement"]["grid_fps"] == 5.0
    assert "10 fps by drop" in capsys.readouterr().err
    assert main(["eval", "fps-robustness", str(walk), "--rates", "0"]) == 2
    assert main(["eval", "fps-robustness", str(walk), "--methods", "blend"]) == 2
    assert len([line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]) == 2
