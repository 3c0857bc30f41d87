"""A file cut short is reported in every container, and the work before the cut is kept."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from evaluations.asr_wer import word_error_rate
from evaluations.synthetic_media import ENGLISH, read_counter, spoken_sentences, write_counter_video
from studio import media
from studio.core import CorruptMedia
from studio.speech import transcribe
from studio.vision import AnalyzeOptions, analyze


def remux(source: Path, target: Path, *codec: str) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(source), *(codec or ("-c", "copy")), str(target)],
                   check=True)  # fmt: skip
    return target


def cut(path: Path, fraction: float) -> Path:
    data = path.read_bytes()
    short = path.with_name(f"cut-{path.name}")
    short.write_bytes(data[: int(len(data) * fraction)])
    return short


@pytest.fixture(scope="module")
def counter_mkv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mkv")
    return remux(write_counter_video(folder / "c.mp4", 25, frames=100), folder / "c.mkv")


@pytest.mark.parametrize("container", ["mkv", "webm"])
def test_a_truncated_matroska_file_is_reported(counter_mkv: Path, container: str) -> None:
    whole = counter_mkv if container == "mkv" else remux(counter_mkv, counter_mkv.with_suffix(".webm"), "-c:v",
                                                         "libvpx-vp9", "-deadline", "realtime")  # fmt: skip
    assert media.probe(whole).warnings == ()  # an intact file is not flagged
    short = cut(whole, 0.5)
    with pytest.raises(CorruptMedia, match=r"truncated: frames stop at \d.\d+ s but the stream should last 4.0"):
        media.probe(short)
    info = media.probe(short, strict=False)
    assert info.warnings and "truncated" in info.warnings[0]
    decoded = []
    with pytest.raises(CorruptMedia, match="truncated") as caught:
        for frame in media.iter_frames(short):
            decoded.append(read_counter(frame.image))
    assert decoded == list(range(len(decoded))) and 20 <= len(decoded) < 100
    assert caught.value.decoded_until_s == pytest.approx((len(decoded) - 1) / 25, abs=0.05)


def test_analysis_of_a_truncated_mkv_keeps_its_partial_timeline(counter_mkv: Path) -> None:
    timeline = analyze(cut(counter_mkv, 0.5), AnalyzeOptions(fps=5, tasks=("motion",)))
    assert timeline.warnings and any("truncated" in w for w in timeline.warnings)
    assert 4 <= len(timeline.sample_times_s) < 20


@pytest.fixture(scope="module")
def narrated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    samples, rate, truth = spoken_sentences(ENGLISH[:4])
    folder = tmp_path_factory.mktemp("narrated")
    frames = round(samples.size / rate * 10) + 1
    video = write_counter_video(folder / "talk.mp4", 10, frames=frames, audio=samples, audio_rate=rate)
    return remux(video, folder / "talk.mkv"), truth


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_transcription_of_a_truncated_file_keeps_the_speech_before_the_cut(
    narrated: tuple[Path, list[dict]], suffix: str
) -> None:
    whole, truth = narrated
    short = cut(whole.with_suffix(suffix), 0.6)  # our MP4s keep their index up front: a cut one still opens
    transcript = transcribe(short, model="whisper-tiny.en")
    assert transcript.warnings and "transcribed the speech before it" in transcript.warnings[0]
    until = float(transcript.warnings[0].split("audio stops at ")[1].split(" s")[0])
    heard = [t["text"] for t in truth if t["end_s"] < until - 0.3]
    assert heard, (until, truth)
    assert word_error_rate(" ".join(heard), " ".join(transcript.text.split()[: len(" ".join(heard).split())])).wer < 0.3


@pytest.fixture(scope="module")
def avi_with_dropped_frames(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A whole MJPEG AVI whose 120 frames leave two gaps in time: FFmpeg writes an empty chunk
    into each gap (AVI's "repeat the last frame"), so the header lists 122 frame slots."""
    path = tmp_path_factory.mktemp("avi") / "drops.avi"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=30",
                    "-frames:v", "120", "-vf", r"setpts=(N+gte(N\,40)+gte(N\,80))/(30*TB)",
                    "-fps_mode", "passthrough", "-c:v", "mjpeg", str(path)], check=True)  # fmt: skip
    return path


def test_an_avi_whose_header_counts_dropped_frame_slots_is_whole(avi_with_dropped_frames: Path) -> None:
    info = media.probe(avi_with_dropped_frames)
    assert info.warnings == () and info.frame_count == 120
    assert info.duration_s == pytest.approx(122 / 30)
    assert len(list(media.iter_frames(avi_with_dropped_frames))) == 120


def test_a_cut_avi_is_still_truncated(avi_with_dropped_frames: Path) -> None:
    short = cut(avi_with_dropped_frames, 0.5)  # its index (at the end) is gone too
    with pytest.raises(CorruptMedia, match="truncated"):
        media.probe(short)
