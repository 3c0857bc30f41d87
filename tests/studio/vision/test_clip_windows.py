"""Clip windows by timestamp: the same times at any source rate, bounded memory, padded or dropped ends,
and per-window labels merged into clip-level action segments."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from fractions import Fraction
from functools import partial

import numpy as np
import pytest

from studio.core import Action, InputError
from studio.vision.clip_windows import Clip, ClipCollector, ClipPlan, actions_from_clips

VIDEOMAE = ClipPlan(clip_frames=16, clip_fps=7.5, hop_s=1.0)  # 2.133 s windows, a new one every second


def _picture(index: int) -> np.ndarray:
    """A tiny frame that shows its own index, so a test can tell which frame a window got."""
    return np.full((2, 2, 3), index % 256, dtype=np.uint8)


def _clips(times_s: np.ndarray, plan: ClipPlan = VIDEOMAE) -> list[Clip]:
    collector = ClipCollector(plan)
    return list(collector.iter_clips((float(t), partial(_picture, i)) for i, t in enumerate(times_s)))


def _times(fps: float | Fraction, duration_s: float) -> np.ndarray:
    return np.arange(round(duration_s * float(fps))) / float(fps)


@pytest.mark.parametrize("fps", [24, Fraction(30000, 1001), 30, 60])
def test_windows_take_the_nearest_frame_to_each_target_time(fps: float | Fraction) -> None:
    times = _times(fps, 6.0)
    clips = _clips(times)
    assert [c.start_s for c in clips] == pytest.approx([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])  # 5.0 s: half inside, kept
    assert [c.padded for c in clips] == [0, 0, 0, 0, 1, 8]
    for clip in clips:
        targets = clip.start_s + np.arange(16) / 7.5
        inside = 16 - clip.padded
        nearest = times[np.abs(times[None, :] - targets[:inside, None]).argmin(axis=1)]  # brute-force oracle
        assert clip.frame_times_s[:inside] == pytest.approx(tuple(nearest), abs=1e-9)
        assert np.abs(np.array(clip.frame_times_s[:inside]) - targets[:inside]).max() <= 0.5 / float(fps) + 1e-9
        assert set(clip.frame_times_s[inside - 1 :]) == {clip.frame_times_s[inside - 1]}  # padding repeats
        shown = [int(frame[0, 0, 0]) for frame in clip.frames]  # each frame is the one at its time
        assert shown == [round(t * float(fps)) % 256 for t in clip.frame_times_s]
        assert clip.array().shape == (16, 2, 2, 3)


def test_24_30_and_60_fps_give_the_same_times_within_one_frame_period() -> None:
    chosen = {fps: np.array([c.frame_times_s for c in _clips(_times(fps, 6.0))]) for fps in (24, 30, 60)}
    assert chosen[24].shape == chosen[30].shape == chosen[60].shape == (6, 16)
    assert np.abs(chosen[24] - chosen[60]).max() <= 1 / 24 and np.abs(chosen[30] - chosen[60]).max() <= 1 / 30
    every_nth = _times(24, 6.0)[::4][:16]  # the "every 4th frame" habit runs at 6 fps here, not 7.5
    assert np.abs(every_nth - chosen[24][0]).max() > 0.3


def test_variable_frame_rate_still_picks_the_nearest_frame() -> None:
    rng = np.random.default_rng(3)
    times = np.cumsum(rng.uniform(0.01, 0.09, size=120))  # 10-90 ms between frames
    for clip in _clips(times):
        targets = clip.start_s + np.arange(16) / 7.5
        inside = targets <= times[-1]
        nearest = times[np.abs(times[None, :] - targets[:, None]).argmin(axis=1)]
        assert np.array(clip.frame_times_s)[inside] == pytest.approx(nearest[inside], abs=1e-12)
    assert _clips(times)[0].start_s == pytest.approx(times[0])  # windows start at the first frame


def test_across_a_gap_in_the_frames_a_target_takes_the_nearest_kept_frame() -> None:
    times = np.concatenate([np.arange(28) / 30, 1.9 + _times(30, 2.0)])  # 0 .. 0.9 s, a 1 s gap, 1.9 .. 3.867 s
    chosen = np.array(_clips(times)[0].frame_times_s)
    targets = np.arange(16) / 7.5
    nearest = times[np.abs(times[None, :] - targets[:, None]).argmin(axis=1)]
    before, gap, after = targets <= 0.8, (targets > 0.8) & (targets < 1.4), targets >= 1.4
    assert chosen[before] == pytest.approx(nearest[before]) and chosen[after] == pytest.approx(nearest[after])
    # 0.933 .. 1.333 s are nearest 0.9 s, a frame nothing wanted when it came (0.933 s was 1 frame away):
    # they take the nearest frame whose picture was kept, 0.8 s, never 1.9 s across the gap
    assert gap.sum() == 4 and chosen[gap] == pytest.approx([0.8] * 4)


def test_the_end_pads_a_window_mostly_inside_and_drops_one_mostly_outside() -> None:
    plan = ClipPlan(clip_frames=16, clip_fps=7.5, hop_s=1.5)
    clips = _clips(_times(30, 5.0), plan)  # frames 0 .. 4.967 s: the video ends at 5.0 s
    assert [c.start_s for c in clips] == pytest.approx([0.0, 1.5, 3.0])  # 4.5 s: 4 of 16 frames inside, dropped
    assert [c.padded for c in clips] == [0, 0, 1]  # 3.0 s wants 3.0 .. 5.0 s: past the end, 5.0 s repeats 4.867 s
    assert clips[-1].frame_times_s[-3:] == pytest.approx((142 / 30, 146 / 30, 146 / 30))
    assert clips[-1].end_s == pytest.approx(5.0) and clips[0].end_s == pytest.approx(16 / 7.5)


def test_a_video_shorter_than_one_clip_still_gives_one_padded_clip() -> None:
    (clip,) = _clips(_times(30, 1.0))
    assert clip.start_s == 0.0 and clip.end_s == pytest.approx(1.0)
    assert clip.padded == 8 and len(clip.frames) == 16  # 0 .. 0.933 s inside, the rest repeats the last frame
    assert _clips(np.array([])) == []


def test_pictures_are_fetched_once_only_for_chosen_frames_and_before_the_next_push() -> None:
    fetched: list[tuple[int, int]] = []  # (frame index, push count when fetched)
    pushes = 0
    collector = ClipCollector(VIDEOMAE)

    def getter(index: int) -> Callable[[], np.ndarray]:
        def fetch() -> np.ndarray:
            fetched.append((index, pushes))
            return _picture(index)

        return fetch

    chosen = set()
    for index, time_s in enumerate(_times(30, 4.0)):
        pushes += 1
        for clip in collector.push(float(time_s), getter(index)):
            chosen |= {round(t * 30) for t in clip.frame_times_s}
    for clip in collector.finish():
        chosen |= {round(t * 30) for t in clip.frame_times_s}
    indices = [i for i, _ in fetched]
    assert len(indices) == len(set(indices)) and set(indices) >= chosen  # once each, every chosen one
    assert len(chosen) < 120 / 2 and len(indices) <= 1.3 * len(chosen)  # a few fetched in case, most frames never
    assert all(pushed == index + 1 for index, pushed in fetched)  # during its own push, never after


def test_the_collector_holds_no_more_than_one_window_of_pictures() -> None:
    plan = ClipPlan(clip_frames=16, clip_fps=7.5, hop_s=16 / 7.5)  # back-to-back windows
    collector = ClipCollector(plan)
    alive: list[weakref.ref[np.ndarray]] = []

    def getter(index: int) -> Callable[[], np.ndarray]:
        def fetch() -> np.ndarray:
            picture = _picture(index)
            alive.append(weakref.ref(picture))
            return picture

        return fetch

    most = 0
    yielded = 0
    for index, time_s in enumerate(_times(30, 10.0)):
        yielded += len(collector.push(float(time_s), getter(index)))  # the clips are dropped at once: by refcount
        most = max(most, sum(ref() is not None for ref in alive))
    assert yielded == 4 and most <= 16 + 1  # one window, plus the frame that may start the next


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (dict(clip_frames=0, clip_fps=7.5, hop_s=1.0), "at least 1 frame per clip, got 0"),
        (dict(clip_frames=16, clip_fps=0.0, hop_s=1.0), "clip rate above 0 fps, got 0.0"),
        (dict(clip_frames=16, clip_fps=7.5, hop_s=-1.0), "window hop above 0 s, got -1.0"),
        (dict(clip_frames=16, clip_fps=7.5, hop_s=1.0, min_fill=0.0), r"min_fill in \(0, 1\], got 0.0"),
    ],
)
def test_bad_plans_are_refused(plan: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        ClipPlan(**plan)


def test_frames_out_of_order_or_after_finish_are_refused() -> None:
    collector = ClipCollector(VIDEOMAE)
    collector.push(0.5, lambda: _picture(0))
    with pytest.raises(InputError, match=r"increasing frame times, got 0.4000 s after 0.5000 s"):
        collector.push(0.4, lambda: _picture(1))
    collector.finish()
    with pytest.raises(InputError, match="has finished"):
        collector.push(1.0, lambda: _picture(2))


def _scored(clips: list[Clip], change_s: float) -> list[list[tuple[str, float]]]:
    """What a model would say of a video where someone waves until ``change_s``, then runs."""
    return [[("waving", 0.9), ("running", 0.1)] if c.centre_s < change_s else [("running", 0.8)] for c in clips]


def test_window_labels_become_segments_that_reach_the_clip_edges() -> None:
    clips = _clips(_times(30, 12.0))
    actions = actions_from_clips(clips, _scored(clips, change_s=5.0), model="videomae-base-kinetics")
    assert [a.label for a in actions] == ["waving", "running"]
    assert all(isinstance(a, Action) and a.track_id is None and a.model == "videomae-base-kinetics" for a in actions)
    assert actions[0].start_s == pytest.approx(0.0) and actions[-1].end_s == pytest.approx(clips[-1].end_s)
    assert abs(actions[0].end_s - 5.0) <= VIDEOMAE.hop_s / 2 and actions[0].end_s == actions[1].start_s
    assert actions[0].score == pytest.approx(0.9) and actions[1].score == pytest.approx(0.8)


def test_a_full_last_window_that_passes_the_end_is_cut_at_the_videos_end() -> None:
    (clip,) = _clips(np.arange(61) / 30, ClipPlan(16, 7.5, hop_s=2.0))  # 0 .. 2.0 s: the video ends at 2.033 s
    assert clip.padded == 0 and clip.end_s == pytest.approx(16 / 7.5)  # its last frame, 2.0 s, is in the video
    assert actions_from_clips([clip], [[("waving", 0.6)]], model="m") == [Action("waving", 0.0, 2.1333, 0.6, "m")]
    (cut,) = actions_from_clips([clip], [[("waving", 0.6)]], model="m", video_end_s=61 / 30)
    assert cut == Action("waving", 0.0, 2.0333, 0.6, "m")
    with pytest.raises(InputError, match=r"video to end after its last clip's middle, got 0\.5 s"):
        actions_from_clips([clip], [[("waving", 0.6)]], model="m", video_end_s=0.5)


def test_low_scores_are_no_action_and_one_clip_is_one_segment() -> None:
    clips = _clips(_times(30, 12.0))
    scored = [[("waving", 0.9)] if c.centre_s < 5.0 else [("running", 0.2)] for c in clips]
    (only,) = actions_from_clips(clips, scored, model="m", min_score=0.5)
    assert only.label == "waving" and only.end_s < 6.0
    (short,) = _clips(_times(30, 1.0))
    assert actions_from_clips([short], [[("waving", 0.7)]], model="m") == [Action("waving", 0.0, 1.0, 0.7, "m")]
    assert actions_from_clips([], [], model="m") == []
    with pytest.raises(InputError, match="one list of labels per clip, got 0 for 1 clips"):
        actions_from_clips([short], [], model="m")
