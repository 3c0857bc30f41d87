"""The whole offline understanding pass on the demo video: shots, actions, scenes, descriptions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import webvtt

from studio.core import ModelUnavailable, Timeline
from studio.demo import DemoMedia
from studio.vision import AnalyzeOptions, analyze, shot_captions_vtt


@pytest.fixture(scope="module")
def timeline(demo: DemoMedia) -> Timeline:
    return analyze(demo.video, AnalyzeOptions(fps=2))  # no tasks named: every installed one


def test_no_tasks_runs_every_installed_offline_task_and_says_what_it_skipped(timeline: Timeline) -> None:
    assert timeline.metadata["tasks"] == ["detect", "track", "pose", "motion", "shots", "actions", "scenes"]
    skipped = timeline.metadata["skipped_tasks"]
    assert list(skipped) == ["captions"] and "\n" not in skipped["captions"]
    assert timeline.metadata["shot_model"] == "transnetv2"


def test_shots_match_the_demo_cuts_within_a_frame(timeline: Timeline, demo: DemoMedia) -> None:
    frame_s = 1001 / 30000
    starts = [shot.start_s for shot in timeline.shots]
    assert len(starts) == 4 and starts[0] == 0.0
    for found, truth in zip(starts[1:], demo.truth["cuts_s"], strict=True):
        assert abs(found - truth) <= frame_s + 1e-6
    assert [shot.transition for shot in timeline.shots] == ["start", "cut", "cut", "cut"]
    for shot in timeline.shots:  # the keyframe is an analysed sample inside the shot
        assert shot.keyframe_s in timeline.sample_times_s and shot.start_s <= shot.keyframe_s < shot.end_s


def test_no_track_crosses_a_shot_boundary(timeline: Timeline) -> None:
    for track in timeline.tracks:
        shots = {next(s.index for s in timeline.shots if s.start_s <= p.time_s < s.end_s) for p in track.points}
        assert len(shots) == 1, track.id


def test_the_coffee_shot_is_tagged_espresso_and_every_shot_names_its_object(timeline: Timeline,
                                                                            demo: DemoMedia) -> None:  # fmt: skip
    coffee = timeline.shots[1].tags["efficientnet-lite0"]
    assert coffee[0].name in ("espresso", "cup", "coffee mug") and coffee[0].score > 0.3
    for shot, truth in zip(timeline.shots, demo.truth["shots"], strict=True):
        assert shot.description is not None and truth["objects"][0] in shot.description
        assert shot.caption is None  # grounded descriptions are never passed off as captions


def test_the_demo_astronaut_is_standing(timeline: Timeline) -> None:
    person = [a for a in timeline.actions if a.track_id is not None and a.start_s < 4.0]
    assert [a.label for a in person] == ["standing"]  # one segment: a flicker merged away leaves no seam
    assert all(a.model == "pose-actions" for a in timeline.actions)


def test_the_timeline_round_trips_with_its_shots_and_actions(timeline: Timeline) -> None:
    data = json.loads(json.dumps(timeline.to_dict()))
    assert data["schema_version"] == 2 and len(data["shots"]) == 4
    again = Timeline.from_dict(data)
    assert again.shots == timeline.shots and again.actions == timeline.actions
    assert again.shots[1].tags == timeline.shots[1].tags


def test_a_named_task_whose_model_is_missing_is_a_one_line_refusal(demo: DemoMedia) -> None:
    with pytest.raises(ModelUnavailable, match="Install it with") as caught:
        analyze(demo.video, AnalyzeOptions(fps=1, tasks=("actions",), action_models=("xclip-base-patch32",),
                                           action_labels=("dancing",)))  # fmt: skip
    assert "\n" not in str(caught.value)


def test_the_caption_strip_is_one_cue_per_shot_naming_its_object(timeline: Timeline, demo: DemoMedia) -> None:
    def seconds(clock: str) -> float:  # webvtt-py's own *_in_seconds drop the milliseconds
        hours, minutes, rest = clock.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(rest)

    cues = webvtt.from_string(shot_captions_vtt(timeline))
    assert [(seconds(c.start), seconds(c.end)) for c in cues] == [
        (pytest.approx(s.start_s, abs=1e-3), pytest.approx(s.end_s, abs=1e-3)) for s in timeline.shots
    ]
    for number, (cue, truth) in enumerate(zip(cues, demo.truth["shots"], strict=True), start=1):
        assert cue.text.startswith(f"Shot {number}: ") and truth["objects"][0] in cue.text


def test_the_annotated_video_gets_its_caption_strip_beside_it(demo: DemoMedia, tmp_path: Path) -> None:
    from studio import media
    from studio.cli.main import main

    out = tmp_path / "annotated.mp4"
    assert main(["analyze", str(demo.video), "--fps", "2", "--tasks", "shots,scenes", "--annotate", str(out),
                 "-o", str(tmp_path / "t.json")]) == 0  # fmt: skip
    assert media.probe(out).frame_count == media.probe(demo.video).frame_count
    cues = webvtt.read(str(tmp_path / "annotated.shots.vtt"))
    assert len(cues) == 4 and "espresso" in cues[1].text  # no detector here: the coffee shot's ImageNet tag
    assert not (tmp_path / "annotated.vtt").exists()  # a plain .vtt beside it may be the user's own


def test_an_analysis_job_lists_the_caption_strip_among_its_files(demo: DemoMedia, tmp_path: Path) -> None:
    from studio.registry import default_cache
    from studio.service import JobRunner
    from studio.service.kinds import StudioJobs

    runner = JobRunner(tmp_path / "root", StudioJobs(_cache=default_cache()).kinds()).start()
    try:
        job = runner.submit("analyze", {"tasks": ["shots", "scenes"], "fps": 2, "annotate": True},
                            {"video": demo.video})  # fmt: skip
        ended = runner.wait(job.id, 600)
    finally:
        runner.close()
    assert ended.status == "done", ended.error
    assert ended.outputs["shot_captions"] == "annotated.shots.vtt"
    cues = webvtt.read(str(Path(ended.folder) / "annotated.shots.vtt"))
    assert [cue.text.split(":")[0] for cue in cues] == ["Shot 1", "Shot 2", "Shot 3", "Shot 4"]
