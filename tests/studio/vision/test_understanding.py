"""The whole offline understanding pass on the demo video: shots, actions, scenes, descriptions."""

from __future__ import annotations

import json

import pytest

from studio.core import ModelUnavailable, Timeline
from studio.demo import DemoMedia
from studio.vision import AnalyzeOptions, analyze


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
    assert person and {a.label for a in person} == {"standing"}
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
