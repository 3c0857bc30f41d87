from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from evaluations.synthetic_media import (
    counter_frame,
    dominant_frequency,
    read_counter,
    sine,
    write_counter_video,
    write_wav,
)
from studio import media
from studio.core import (
    CorruptMedia,
    EmptyMedia,
    InputError,
    MediaError,
    MediaNotFound,
    NoAudioTrack,
    NoVideoStream,
    RefusedMedia,
    VideoInfo,
)


@pytest.mark.parametrize("fps", ["24000/1001", "25", "30", "60"])
def test_exact_fps_round_trips_through_writer_and_probe(tmp_path: Path, fps: str) -> None:
    rate = Fraction(fps)
    path = write_counter_video(tmp_path / "clip.mp4", rate, frames=48)

    info = media.probe(path)

    assert info.fps == rate  # exact, not 23.976 or 29
    assert isinstance(info.fps, Fraction)
    assert info.frame_count == 48
    assert info.duration_s == pytest.approx(float(48 / rate), abs=1e-6)
    assert info.measured_fps == pytest.approx(float(rate), rel=1e-6)
    assert not info.is_vfr
    assert info.codec == "h264" and info.pixel_format == "yuv420p"
    frames = list(media.iter_frames(path))
    assert [f.index for f in frames] == list(range(48))
    assert [read_counter(f.image) for f in frames] == list(range(48))
    for frame in frames:
        assert frame.time_s == pytest.approx(float(frame.index / rate), abs=1e-6)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sources")
    return {
        "30000/1001": write_counter_video(folder / "ntsc.mp4", Fraction(30000, 1001), frames=300),
        "60": write_counter_video(folder / "sixty.mp4", 60, frames=600),
    }


@pytest.mark.parametrize("source_fps", ["30000/1001", "60"])
@pytest.mark.parametrize("sample_fps", [1, 5, 30])
def test_sampling_by_timestamp(sources: dict[str, Path], source_fps: str, sample_fps: int) -> None:
    path = sources[source_fps]
    source_rate = Fraction(source_fps)
    info = media.probe(path)
    frame_s = float(1 / source_rate)

    samples = list(media.iter_frames(path, fps=sample_fps))

    expected_count = info.duration_s * sample_fps
    assert abs(len(samples) - expected_count) <= 1
    for ordinal, sample in enumerate(samples):
        assert abs(sample.time_s - ordinal / sample_fps) <= frame_s  # within one source frame
        assert read_counter(sample.image) == sample.index  # the reported time is the real frame's
        assert sample.time_s == pytest.approx(float(sample.index / source_rate), abs=1e-6)
    indices = [s.index for s in samples]
    assert indices == sorted(set(indices))


def test_five_fps_from_ntsc_steps_by_about_a_fifth_of_a_second(sources: dict[str, Path]) -> None:
    times = [f.time_s for f in media.iter_frames(sources["30000/1001"], fps=5)]
    steps = np.diff(times)
    assert steps.min() >= 0.2 - 1 / 29.97 and steps.max() <= 0.2 + 1 / 29.97
    assert np.mean(steps) == pytest.approx(0.2, abs=0.002)


def test_sampling_faster_than_the_source_yields_each_frame_once(sources: dict[str, Path]) -> None:
    frames = list(media.iter_frames(sources["30000/1001"], fps=120, end_s=2.0))
    assert [f.index for f in frames] == list(range(60))


def test_start_end_and_size(sources: dict[str, Path]) -> None:
    frames = list(media.iter_frames(sources["60"], fps=10, start_s=2.5, end_s=4.0, size=96))
    assert [round(f.time_s, 3) for f in frames] == [round(2.5 + k / 10, 3) for k in range(15)]
    assert all(f.image.shape == (24, 96, 3) for f in frames)
    assert all(read_counter(f.image) == f.index for f in frames)
    exact = list(media.iter_frames(sources["60"], start_s=1.0, end_s=1.1, size=(64, 32)))
    assert [f.index for f in exact] == [60, 61, 62, 63, 64, 65]
    assert exact[0].image.shape == (32, 64, 3)


def test_variable_frame_rate_is_detected_from_real_timestamps(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    intervals = rng.choice([1 / 30, 1 / 15, 1 / 45], size=59)
    times = np.concatenate([[0.0], np.cumsum(intervals)])
    path = write_counter_video(tmp_path / "vfr.mp4", 30, frames=60, times_s=times, time_base=Fraction(1, 90000))

    info = media.probe(path)

    assert info.is_vfr
    assert info.frame_count == 60
    assert info.min_frame_interval_s == pytest.approx(1 / 45, abs=1e-4)
    assert info.max_frame_interval_s == pytest.approx(1 / 15, abs=1e-4)
    decoded = list(media.iter_frames(path))
    assert [read_counter(f.image) for f in decoded] == list(range(60))
    assert [f.time_s for f in decoded] == pytest.approx(list(times), abs=1e-4)


def test_constant_rate_in_a_coarse_time_base_is_not_vfr(tmp_path: Path) -> None:
    # 29.97 fps in 1 ms ticks rounds to 33/34 ms steps, as MKV does: that is not VFR.
    times = [round(i * 1001 / 30000, 3) for i in range(60)]
    path = write_counter_video(tmp_path / "ms.mp4", "30000/1001", 60, times_s=times, time_base=Fraction(1, 1000))
    assert not media.probe(path).is_vfr


def test_probe_serialises_to_json_and_back(sources: dict[str, Path]) -> None:
    import json

    info = media.probe(sources["30000/1001"])
    again = VideoInfo.from_dict(json.loads(json.dumps(info.to_dict())))
    assert again == info
    assert info.to_dict()["fps"] == "30000/1001"


def test_audio_is_16k_mono_float32_with_the_right_content(tmp_path: Path) -> None:
    tone = sine(440, 2.0, 22050)
    path = write_counter_video(tmp_path / "av.mp4", 25, frames=50, audio=tone, audio_rate=22050)

    info = media.probe(path)
    audio = media.read_audio(path)

    assert info.has_audio and info.audio_sample_rate == 22050 and info.audio_channels == 1
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert audio.size / 16000 == pytest.approx(2.0, abs=0.1)
    assert dominant_frequency(audio, 16000) == pytest.approx(440, abs=5)
    assert np.sqrt(np.mean(audio[4000:-4000] ** 2)) == pytest.approx(0.5 / math.sqrt(2), rel=0.1)


def test_audio_streams_in_chunks_that_add_up(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "tone.wav", sine(300, 5.0, 44100), 44100)
    chunks = list(media.iter_audio(path, chunk_s=1.5))
    assert [c.size for c in chunks[:3]] == [24000, 24000, 24000]
    assert sum(c.size for c in chunks) == media.read_audio(path).size == 80000


def test_audio_only_file_has_no_video_stream(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "tone.wav", sine(300, 1.0, 16000), 16000)
    with pytest.raises(NoVideoStream, match=r"tone\.wav"):
        media.probe(path)


def test_video_without_audio_says_so(sources: dict[str, Path]) -> None:
    with pytest.raises(NoAudioTrack, match=r"ntsc\.mp4: has no audio track"):
        media.read_audio(sources["30000/1001"])


def _make_bad(kind: str, folder: Path, good: Path) -> Path:
    data = good.read_bytes()
    path = folder / f"{kind}.mp4"
    if kind == "missing":
        return path
    if kind == "directory":
        path.mkdir()
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "non-media":
        path.write_text("this is a text file, not a video\n" * 50)
    elif kind == "corrupt":  # seeded garbage: fresh random bytes sometimes look like another format
        path.write_bytes(np.random.default_rng(1234).integers(0, 256, len(data), dtype=np.uint8).tobytes())
    elif kind == "bad-header":  # a real payload under a garbage header (moov is first: faststart)
        path.write_bytes(np.random.default_rng(1234).integers(0, 256, 4096, dtype=np.uint8).tobytes() + data[4096:])
    elif kind == "truncated":
        path.write_bytes(data[: len(data) // 2])
    return path


BAD_INPUTS = [
    ("missing", MediaNotFound, "no such file"),
    ("directory", MediaNotFound, "not a regular file"),
    ("empty", EmptyMedia, "empty"),
    ("non-media", CorruptMedia, "not a readable media file"),
    ("corrupt", CorruptMedia, "not a readable media file"),
    # what FFmpeg makes of the payload it finds decides which: refused or unreadable, typed either way
    ("bad-header", MediaError, "not a readable media file|frame size cannot be read|has no audio track"),
    ("truncated", CorruptMedia, "truncated"),
]


@pytest.mark.parametrize(("kind", "error", "reason"), BAD_INPUTS)
@pytest.mark.parametrize("operation", ["probe", "iter_frames", "read_audio"])
def test_bad_input_raises_a_typed_media_error(
    tmp_path: Path, kind: str, error: type[MediaError], reason: str, operation: str
) -> None:
    good = write_counter_video(tmp_path / "good.mp4", 30, frames=90, audio=sine(220, 3.0, 16000))
    path = _make_bad(kind, tmp_path, good)
    call = {
        "probe": media.probe,
        "iter_frames": lambda p: list(media.iter_frames(p)),
        "read_audio": media.read_audio,
    }[operation]

    with pytest.raises(error, match=reason) as caught:
        call(path)

    assert caught.value.path == str(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("operation", ["probe", "iter_frames", "read_audio"])
def test_a_y4m_header_past_what_ffmpeg_can_size_is_refused_by_the_pixel_limit(tmp_path: Path, operation: str) -> None:
    bomb = tmp_path / "huge.y4m"  # 60000×60000 overflows FFmpeg's own size check, not just ours
    bomb.write_bytes(b"YUV4MPEG2 W60000 H60000 F25:1 Ip A1:1 C420jpeg\nFRAME\n" + bytes(4096))
    call = {"probe": media.probe, "iter_frames": lambda p: list(media.iter_frames(p)), "read_audio": media.read_audio}
    with pytest.raises(RefusedMedia, match=r"60000×60000 = 3,600,000,000 pixels, over the limit of .*MAX_PIXELS"):
        call[operation](bomb)


def test_truncated_video_yields_what_decodes_and_says_where_it_stopped(tmp_path: Path) -> None:
    good = write_counter_video(tmp_path / "good.mp4", 30, frames=300)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    seen = []
    with pytest.raises(CorruptMedia) as caught:
        for frame in media.iter_frames(cut):
            seen.append(frame)
    assert 50 < len(seen) < 300
    assert [read_counter(f.image) for f in seen] == [f.index for f in seen]
    assert caught.value.decoded_until_s == pytest.approx(seen[-1].time_s)
    info = media.probe(cut, strict=False)
    assert info.warnings and "truncated" in info.warnings[0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fps": 0}, "positive frame rate"),
        ({"fps": "fast"}, "frame rate like"),
        ({"start_s": -1}, "start_s >= 0"),
        ({"start_s": 2, "end_s": 1}, "end_s > start_s"),
        ({"size": 0}, "positive size"),
    ],
)
def test_bad_sampling_arguments(sources: dict[str, Path], kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        list(media.iter_frames(sources["60"], **kwargs))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (29.97, Fraction(30000, 1001)),
        ("29.97", Fraction(30000, 1001)),
        (23.976, Fraction(24000, 1001)),
        ("24000/1001", Fraction(24000, 1001)),
        (25, Fraction(25)),
        ("60", Fraction(60)),
        (12.5, Fraction(25, 2)),
        (3.0, Fraction(3)),  # a whole number from a form's number field stays whole (not 3000/1001)
        (5.0, Fraction(5)),
        ("2.0", Fraction(2)),
        (2.997, Fraction(3000, 1001)),
    ],
)
def test_as_fps_is_exact(value: object, expected: Fraction) -> None:
    assert media.as_fps(value) == expected  # type: ignore[arg-type]


def test_writer_pads_odd_sizes_and_rejects_bad_frames(tmp_path: Path) -> None:
    path = tmp_path / "odd.mp4"
    with media.VideoWriter(path, fps=10) as writer:
        writer.write(np.zeros((45, 81, 3), np.uint8))
        with pytest.raises(InputError, match="expected frames of 82×46"):
            writer.write(np.zeros((46, 90, 3), np.uint8))
        with pytest.raises(InputError, match="uint8 RGB"):
            writer.write(np.zeros((45, 81), np.uint8))
        with pytest.raises(InputError, match="increasing"):
            writer.write(np.zeros((45, 81, 3), np.uint8), time_s=0.0)
    info = media.probe(path)
    assert (info.width, info.height, info.frame_count) == (82, 46, 1)


def test_writer_with_no_frames_leaves_no_file(tmp_path: Path) -> None:
    with media.VideoWriter(tmp_path / "nothing.mp4", fps=30):
        pass
    assert not (tmp_path / "nothing.mp4").exists()


def test_writer_keeps_frame_count_and_duration_with_audio(tmp_path: Path) -> None:
    path = tmp_path / "muxed.mp4"
    with media.VideoWriter(path, fps="30000/1001", audio=sine(500, 3.0, 16000)) as writer:
        for index in range(90):
            writer.write(counter_frame(index))
    info = media.probe(path)
    assert info.frame_count == writer.frames_written == 90
    assert info.duration_s == pytest.approx(90 * 1001 / 30000, abs=1e-6)
    assert media.read_audio(path).size / 16000 == pytest.approx(3.0, abs=0.1)


def _nearest_reference(path: Path, sample_fps: int) -> list[tuple[int, float]]:
    """Decode every frame, then pick the nearest frame to each target by brute force."""
    every = [(f.index, f.time_s) for f in media.iter_frames(path)]
    frame_s = every[1][1] - every[0][1]
    end = every[-1][1] + frame_s
    picked: list[tuple[int, float]] = []
    k = 0
    while k / sample_fps < end - 1e-6:
        target = k / sample_fps
        best = min(every, key=lambda item: (abs(item[1] - target), item[1]))
        if not picked or best[0] > picked[-1][0]:
            picked.append(best)
        k += 1
    return picked


@pytest.mark.parametrize("sample_fps", [1, 5, 12])
def test_skipping_undecoded_b_frames_changes_no_choice(sources: dict[str, Path], sample_fps: int) -> None:
    path = sources["30000/1001"]
    sampled = list(media.iter_frames(path, fps=sample_fps))
    reference = _nearest_reference(path, sample_fps)
    assert [f.index for f in sampled] == [index for index, _ in reference]
    assert [f.time_s for f in sampled] == pytest.approx([time_s for _, time_s in reference])
    assert all(read_counter(f.image) == f.index for f in sampled)


def test_b_frames_of_a_camera_pan_are_recognised_as_disposable(tmp_path: Path) -> None:
    import av
    import skimage.data

    from studio.media.selection import disposable_packet_test

    photo = skimage.data.astronaut()
    with media.VideoWriter(tmp_path / "pan.mp4", fps=30) as writer:
        for i in range(60):
            writer.write(photo[i : i + 180, 2 * i : 2 * i + 320])
    with av.open(str(writer.path)) as container:
        stream = container.streams.video[0]
        test = disposable_packet_test(stream.codec_context.name, stream.codec_context.extradata)
        assert test is not None
        flags = [test(p) for p in container.demux(stream) if p.size]
    assert 0.2 < sum(flags) / len(flags) < 0.8  # B-frames nobody references
    assert not flags[0]  # the first frame is an IDR frame, always needed
    sampled = list(media.iter_frames(writer.path, fps=5))
    reference = [f for f in media.iter_frames(writer.path) if f.index in {s.index for s in sampled}]
    assert [f.index for f in sampled] == [0, 6, 12, 18, 24, 30, 36, 42, 48, 54]
    for got, want in zip(sampled, reference, strict=True):
        assert np.array_equal(got.image, want.image)  # skipping B-frames changed no pixel


def test_dropped_frame_in_a_constant_rate_stream_counts_as_irregular(tmp_path: Path) -> None:
    times = [i / 30 for i in range(61) if i != 30]  # one frame missing in the middle
    path = write_counter_video(tmp_path / "drop.mp4", 30, 60, times_s=times, time_base=Fraction(1, 90000))
    info = media.probe(path)
    assert info.is_vfr and info.max_frame_interval_s == pytest.approx(2 / 30, abs=1e-4)


def test_every_frame_marks_the_samples(sources: dict[str, Path]) -> None:
    every = list(media.iter_frames(sources["30000/1001"], fps=5, end_s=4.0, every_frame=True))
    sampled = [f.index for f in media.iter_frames(sources["30000/1001"], fps=5, end_s=4.0)]
    assert [f.index for f in every] == list(range(len(every))) and len(every) == 120
    assert [f.index for f in every if f.sampled] == sampled
    assert all(read_counter(f.image) == f.index for f in every)


def test_writer_copies_audio_from_a_source_without_reencoding(tmp_path: Path) -> None:
    source = write_counter_video(tmp_path / "source.mp4", 25, 50, audio=sine(440, 2.0, 16000))
    out = tmp_path / "annotated.mp4"
    with media.VideoWriter(out, fps=25, audio_from=source) as writer:
        for frame in media.iter_frames(source):
            writer.write(255 - frame.image)
    info = media.probe(out)
    assert info.frame_count == 50 and info.has_audio and info.audio_codec == "aac"
    assert np.array_equal(media.read_audio(out), media.read_audio(source))  # the very same packets


def test_the_same_frames_make_the_same_file_even_when_tiny(tmp_path: Path) -> None:
    """x264's macroblock tree once gave 32x32 videos different bits from the same frames."""
    rng = np.random.default_rng(0)
    frames = [(rng.random((32, 32, 3)) * 255).astype(np.uint8) for _ in range(9)]
    made = set()
    for attempt in range(8):
        path = tmp_path / f"v{attempt % 2}.mp4"
        with media.VideoWriter(path, fps=8) as writer:
            for frame in frames:
                writer.write(frame)
        made.add(np.stack([frame.image for frame in media.iter_frames(path)]).tobytes())  # decoding in between
    assert len(made) == 1


def test_a_text_track_round_trips_in_mp4_and_mkv(tmp_path: Path) -> None:
    cues = [media.TextCue(0.5, 1.25, "Hello, there\nsecond line"), media.TextCue(0.0, 0.4, "first")]
    for suffix in (".mp4", ".mkv"):
        with media.VideoWriter(tmp_path / f"t{suffix}", fps=8, subtitles=cues) as writer:
            for value in range(16):
                writer.write(np.full((32, 32, 3), value * 10, dtype=np.uint8))
        assert media.read_text_track(tmp_path / f"t{suffix}") == sorted(cues, key=lambda cue: cue.start_s)
        assert media.probe(tmp_path / f"t{suffix}").frame_count == 16
    with media.VideoWriter(tmp_path / "none.mp4", fps=8) as writer:
        writer.write(np.zeros((32, 32, 3), dtype=np.uint8))
    assert media.read_text_track(tmp_path / "none.mp4") == []
