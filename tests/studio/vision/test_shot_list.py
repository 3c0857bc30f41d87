"""Shots from transitions, transitions from per-frame probabilities, tracks split at shots:
pure logic on hand-made sequences whose answer is known."""

from __future__ import annotations

from typing import Any

import pytest

from studio.core import InputError, Shot, Track, TrackPoint
from studio.vision import (
    Transition,
    TransitionFinder,
    TransitionRule,
    merge_transitions,
    shots_from_transitions,
    split_tracks_at_shots,
)

# uneven frame times (a variable-rate source): a transition must land on these, never on index/fps
TIMES = [round(0.04 * i + (0.013 if i % 3 == 0 else 0.0), 3) for i in range(60)]


def _run(cut: dict[int, float], span: dict[int, float], dark: dict[int, float] | None = None) -> list[Transition]:
    finder = TransitionFinder()
    found = []
    for i, time_s in enumerate(TIMES):
        brightness = (dark or {}).get(i, 120.0)
        found += finder.push(time_s, cut.get(i, 0.01), span.get(i, 0.02), brightness)
    return found + finder.finish()


def test_a_single_frame_peak_is_a_cut_at_the_next_frame() -> None:
    # TransNetV2 marks the old shot's last frame (19); the new shot starts at frame 20
    assert _run({19: 0.97}, {19: 0.9}) == [Transition("cut", TIMES[20], TIMES[20], 0.97)]


def test_a_span_is_a_dissolve_from_its_first_frame_to_the_frame_after_it() -> None:
    span = {i: 0.9 for i in range(30, 40)}
    (found,) = _run({35: 0.6}, span)
    assert (found.kind, found.start_s, found.end_s) == ("dissolve", TIMES[30], TIMES[40])
    assert found.score == pytest.approx(0.9)


def test_a_span_through_near_black_is_one_fade_even_where_the_span_head_dips() -> None:
    span = {i: 0.9 for i in range(10, 30) if not 18 <= i <= 21}  # the head dips over the black middle
    dark = {i: max(0.0, 120 - 15 * (i - 10)) if i < 20 else min(120.0, 15 * (i - 20)) for i in range(10, 30)}
    (found,) = _run({}, span, dark)
    assert (found.kind, found.start_s, found.end_s) == ("fade", TIMES[10], TIMES[30])


def test_a_dark_dissolve_between_dark_shots_is_not_a_fade() -> None:
    span = {i: 0.9 for i in range(30, 40)}
    dark = {i: 14.0 for i in range(60)}  # a night scene: everything dim, nothing darker than its sides
    (found,) = _run({}, span, dark)
    assert found.kind == "dissolve"


def test_noise_and_a_transition_the_video_ends_in_give_nothing() -> None:
    assert _run({}, {12: 0.8, 13: 0.7}) == []  # two span frames, no peak: under gradual_min_frames
    assert _run({}, {i: 0.9 for i in range(50, 60)}) == []  # no frame of a new shot follows


@pytest.mark.parametrize(
    ("field", "value"),
    [("cut_threshold", 0.0), ("span_threshold", 1.0), ("gradual_min_frames", 1), ("black_level", -1.0)],
)
def test_a_bad_rule_is_refused(field: str, value: float) -> None:
    settings: dict[str, Any] = {field: value}
    with pytest.raises(InputError, match=field):
        TransitionRule(**settings)


def test_merge_drops_cuts_inside_a_gradual_transition() -> None:
    fade = Transition("fade", 4.0, 5.0, 1.0)
    cuts = [Transition("cut", t, t, 1.0) for t in (1.0, 3.8, 4.5, 5.2, 7.0)]
    merged = merge_transitions([*cuts, fade], margin_s=0.3)
    assert [(t.kind, t.end_s) for t in merged] == [("cut", 1.0), ("fade", 5.0), ("cut", 7.0)]


def test_shots_lie_between_transitions() -> None:
    transitions = [
        Transition("dissolve", 3.0, 3.5, 0.9),
        Transition("cut", 1.2, 1.2, 0.9),
        Transition("cut", 9.0, 9.0, 0.9),  # at the end: no new shot
        Transition("cut", 0.0, 0.0, 0.9),  # at the first frame: no new shot
    ]
    shots = shots_from_transitions(transitions, first_s=0.0, end_s=9.0)
    assert shots == (
        Shot(0, 0.0, 1.2, "start", None),
        Shot(1, 1.2, 3.5, "cut", 1.2),
        Shot(2, 3.5, 9.0, "dissolve", 3.0),
    )
    assert shots_from_transitions([], 0.5, 2.0) == (Shot(0, 0.5, 2.0),)
    with pytest.raises(InputError, match="ends after its first frame"):
        shots_from_transitions([], 2.0, 2.0)


def _track(track_id: int, times: list[float]) -> Track:
    return Track(track_id, "person", tuple(TrackPoint(t, (0.0, 0.0, 10.0, 10.0), 0.9) for t in times))


def test_tracks_are_split_at_shot_boundaries_with_fresh_ids() -> None:
    shots = (Shot(0, 0.0, 2.0), Shot(1, 2.0, 4.0, "cut", 2.0), Shot(2, 4.0, 6.0, "cut", 4.0))
    tracks = [
        _track(3, [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.5, 5.0]),  # crosses both boundaries
        _track(7, [2.1, 2.2]),  # inside one shot
        _track(5, [1.9, 2.0, 2.4, 2.8]),  # one point before the first boundary: dropped
    ]
    split = split_tracks_at_shots(tracks, shots, min_points=2)
    assert [(t.id, [p.time_s for p in t.points]) for t in split] == [
        (3, [0.5, 1.0, 1.5]),
        (8, [2.0, 2.5, 3.0]),  # a point at a shot's start belongs to that shot
        (9, [4.5, 5.0]),
        (7, [2.1, 2.2]),
        (5, [2.0, 2.4, 2.8]),  # the first part kept keeps the id
    ]
    with pytest.raises(InputError, match="min_points"):
        split_tracks_at_shots(tracks, shots, min_points=0)
