from __future__ import annotations

from fractions import Fraction

from studio.media.selection import FrameCounter, TimestampSampler


def test_frame_counter_counts_skipped_and_reordered_packets() -> None:
    counter = FrameCounter()
    # decode order I0 P3 B1 B2 P6 B4 B5, where B1 and B5 were skipped (never decoded)
    for pts in (0, 3, 1, 2, 6, 4, 5):
        counter.note(pts * 100)
    outputs = [counter.index_of(pts * 100, fallback=-1) for pts in (0, 2, 3, 4, 6)]
    assert outputs == [0, 2, 3, 4, 6]


def test_frame_counter_after_a_seek_starts_from_the_fallback() -> None:
    counter = FrameCounter(first_index=None)
    for pts in (900, 901, 902):
        counter.note(pts)
    assert [counter.index_of(p, fallback=450) for p in (900, 901, 902)] == [450, 451, 452]


def test_sampler_wants_only_frames_near_a_target() -> None:
    sampler = TimestampSampler(Fraction(5), start_s=0.0, end_s=None, interval_s=1 / 30)
    assert sampler.wants(0.0) and sampler.wants(0.19) and sampler.wants(0.215)  # within ~0.6 frame of 0.2
    assert not sampler.wants(0.1) and not sampler.wants(0.25) and not sampler.wants(0.3)


def test_sampler_picks_the_nearest_frame_and_never_repeats() -> None:
    sampler = TimestampSampler(Fraction(2), start_s=0.0, end_s=None, interval_s=0.4)
    chosen = []
    for index, time_s in enumerate([0.0, 0.3, 0.6, 0.9, 1.2]):
        chosen += [c[0] for c in sampler.push(index, time_s, None)]
    chosen += [c[0] for c in sampler.finish()]
    # targets 0, 0.5, 1.0, 1.5 -> frames at 0.0, 0.6, 0.9, 1.2 (1.2 stays on screen until 1.6)
    assert chosen == [0, 2, 3, 4]
