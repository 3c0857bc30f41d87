"""Transcription on the real offline Whisper weights, against espeak-ng speech we made."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
import pytest
import srt
import webvtt

from evaluations.asr_wer import word_error_rate
from evaluations.synthetic_media import ENGLISH, GERMAN, MORE_ENGLISH, SPANISH, spoken_sentences, write_counter_video
from studio import media
from studio.core import (
    Cancelled,
    CorruptMedia,
    InputError,
    NoAudioTrack,
    StudioError,
    Timeline,
    Transcript,
    UnknownModel,
)
from studio.demo import DemoMedia
from studio.registry import default_cache
from studio.speech import (
    SubtitleStyle,
    TranscribeOptions,
    build_cues,
    speak,
    to_srt,
    to_vtt,
    transcribe,
    transcribe_video_to_timeline,
    voices,
)
from studio.speech.transcribe import iter_windows

BACKENDS = {"faster-whisper": "whisper-base", "openai-whisper": "whisper-base-openai"}


@pytest.fixture(scope="session", autouse=True)
def offline_weights() -> None:
    settings = default_cache().settings
    for name in (*BACKENDS.values(), "whisper-tiny.en"):
        spec = default_cache().registry.get(name)
        assert spec.is_installed(settings), f"{name} is not installed: run `make setup` (studio models install {name})"


@pytest.fixture(scope="session")
def english(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    samples, rate, truth = spoken_sentences(ENGLISH)
    return media.write_audio(tmp_path_factory.mktemp("speech") / "english.flac", samples, rate), truth


@pytest.fixture(scope="session", params=list(BACKENDS))
def english_transcript(request: pytest.FixtureRequest, english: tuple[Path, list[dict]]) -> Transcript:
    backend = request.param  # faster-whisper times words by default; openai-whisper when asked
    options = TranscribeOptions(word_timestamps=True if backend == "openai-whisper" else None)
    return transcribe(english[0], model=BACKENDS[backend], backend=backend, options=options)


def test_default_word_timing_leaves_the_text_as_decoded_without_it(english: tuple[Path, list[dict]]) -> None:
    plain = transcribe(english[0], model="whisper-base", options=TranscribeOptions(word_timestamps=False))
    timed = transcribe(english[0], model="whisper-base")  # batched, words aligned after decoding
    assert timed.words and not plain.words
    assert " ".join(timed.text.split()) == " ".join(plain.text.split())


def test_batched_segments_are_sentences_that_start_when_spoken(english: tuple[Path, list[dict]]) -> None:
    transcript = transcribe(english[0], model="whisper-base")
    assert len(transcript.segments) == len(english[1])
    for segment, line in zip(transcript.segments, english[1], strict=True):
        assert abs(segment.start_s - line["start_s"]) < 0.6 and abs(segment.end_s - line["end_s"]) < 0.8, line
        assert word_error_rate(line["text"], segment.text).wer < 0.3, (line["text"], segment.text)


def test_sequential_decoding_times_words_only_when_asked(english: tuple[Path, list[dict]]) -> None:
    transcript = transcribe(english[0], model="whisper-tiny.en", options=TranscribeOptions(batch_size=1))
    assert transcript.segments and not transcript.words


def test_english_word_error_rate(english_transcript: Transcript) -> None:
    score = word_error_rate(" ".join(ENGLISH), english_transcript.text)
    assert score.wer <= 0.15, (score.reference, score.hypothesis)
    assert english_transcript.language == "en" and english_transcript.language_probability > 0.5


def test_word_timestamps_are_monotonic_and_inside_their_segment(english_transcript: Transcript) -> None:
    words = english_transcript.words
    assert len(words) >= 50
    starts = [w.start_s for w in words]
    assert starts == sorted(starts)
    for segment in english_transcript.segments:
        assert segment.start_s <= segment.end_s
        for word in segment.words:
            assert word.start_s <= word.end_s
            assert segment.start_s - 0.01 <= word.start_s and word.end_s <= segment.end_s + 0.01
            assert 0.0 <= word.probability <= 1.0


def test_sentences_start_when_they_were_spoken(
    english: tuple[Path, list[dict]], english_transcript: Transcript
) -> None:
    words = english_transcript.words
    for line in english[1]:
        first = line["text"].split()[0].lower()
        nearest = min(
            (w for w in words if w.text.strip().lower() == first), key=lambda w: abs(w.start_s - line["start_s"])
        )
        assert abs(nearest.start_s - line["start_s"]) < 0.6, line


def test_srt_parses_back_to_the_same_text_and_times(english_transcript: Transcript) -> None:
    style = SubtitleStyle(max_chars=32, max_lines=2, max_duration_s=4.0)
    cues = build_cues(english_transcript, style)
    parsed = list(srt.parse(to_srt(english_transcript, style)))
    assert len(parsed) == len(cues) > len(ENGLISH)
    for sub, cue in zip(parsed, cues, strict=True):
        assert sub.start.total_seconds() == pytest.approx(cue.start_s, abs=0.001)
        assert sub.end.total_seconds() == pytest.approx(cue.end_s, abs=0.001)
        assert all(len(line) <= 32 for line in sub.content.splitlines()) and len(sub.content.splitlines()) <= 2
        assert cue.end_s - cue.start_s <= 4.0
    joined = " ".join(sub.content.replace("\n", " ") for sub in parsed)
    assert " ".join(joined.split()) == " ".join(english_transcript.text.split())


def test_webvtt_with_word_timing_parses(english_transcript: Transcript, tmp_path: Path) -> None:
    path = tmp_path / "words.vtt"
    path.write_text(to_vtt(english_transcript, word_timing=True))
    captions = webvtt.read(str(path))
    cues = build_cues(english_transcript)
    assert len(captions) == len(cues)
    assert [c.start for c in captions] == [f"00:00:{cue.start_s:06.3f}" for cue in cues]
    assert "<c>" in captions[0].raw_text and "<00:00:0" in captions[0].raw_text


def test_transcript_json_round_trip(english_transcript: Transcript) -> None:
    import json

    again = Transcript.from_dict(json.loads(json.dumps(english_transcript.to_dict())))
    assert again == english_transcript


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_spanish_is_detected(tmp_path: Path, backend: str) -> None:
    samples, rate, _ = spoken_sentences([SPANISH], voice="es")
    path = media.write_audio(tmp_path / "spanish.wav", samples, rate)
    transcript = transcribe(path, model=BACKENDS[backend], backend=backend)
    assert transcript.language == "es" and transcript.language_probability > 0.5
    assert word_error_rate(SPANISH, transcript.text, language="es").wer <= 0.35


def test_german_is_detected_and_translated_to_english(tmp_path: Path) -> None:
    samples, rate, _ = spoken_sentences([GERMAN], voice="de", pause_s=0.3)
    path = media.write_audio(tmp_path / "german.mp3", samples, rate)
    translated = transcribe(path, model="whisper-base", options=TranscribeOptions(task="translate"))
    assert translated.task == "translate" and translated.language == "de"
    english_words = set(re.findall(r"[a-z']+", translated.text.lower()))
    assert {"good", "morning", "berlin", "music"} <= english_words, translated.text
    assert "guten" not in english_words


@pytest.mark.parametrize("suffix", ["wav", "mp3", "flac", "m4a", "ogg"])
def test_every_audio_format(tmp_path: Path, suffix: str) -> None:
    samples, rate, _ = spoken_sentences(ENGLISH[1:2])
    path = media.write_audio(tmp_path / f"speech.{suffix}", samples, rate)
    transcript = transcribe(path, model="whisper-tiny.en")
    assert word_error_rate(ENGLISH[1], transcript.text).wer <= 0.15, transcript.text


def test_demo_video_narration_lands_on_the_timeline(demo: DemoMedia) -> None:
    timeline = transcribe_video_to_timeline(demo.video)
    assert timeline.transcript is not None
    narration = " ".join(line["text"] for line in demo.truth["narration"])
    assert word_error_rate(narration, timeline.transcript.text).wer <= 0.15
    for line in demo.truth["narration"]:
        middle = (line["start_s"] + line["end_s"]) / 2
        assert any(s.start_s <= middle <= s.end_s for s in timeline.transcript.segments)
    assert Timeline.from_dict(timeline.to_dict()) == timeline
    assert timeline.video.fps.denominator == 1001


def test_long_audio_is_windowed_without_losing_words_or_time(tmp_path: Path) -> None:
    samples, rate, truth = spoken_sentences(ENGLISH + MORE_ENGLISH, pause_s=1.0)
    path = media.write_audio(tmp_path / "long.wav", samples, rate)
    seen: list[float] = []
    transcript = transcribe(
        path, model="whisper-tiny.en", options=TranscribeOptions(window_s=30.0), progress=lambda f, _: seen.append(f)
    )
    assert transcript.duration_s > 40
    assert word_error_rate(" ".join(ENGLISH + MORE_ENGLISH), transcript.text).wer <= 0.15
    last = transcript.words[-1]
    assert abs(last.end_s - truth[-1]["end_s"]) < 1.0  # the second window's times were shifted
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_windows_cut_in_silence() -> None:
    rate = 1000
    tone = np.sin(np.arange(rate * 100) / 3).astype(np.float32)
    tone[57_000:57_400] = 0.0  # the only quiet place near the first window's end
    chunks = [tone[i : i + 7000] for i in range(0, tone.size, 7000)]
    windows = list(iter_windows(chunks, window_s=60.0, rate=rate))
    assert 57_000 <= windows[1][0] * rate <= 57_400
    assert sum(w.size for _, w in windows) == tone.size


def test_silence_gives_an_empty_transcript(tmp_path: Path) -> None:
    path = media.write_audio(tmp_path / "silence.wav", np.zeros(16000 * 5, np.float32))
    transcript = transcribe(path, model="whisper-base")
    assert transcript.segments == () and transcript.text == ""


@pytest.mark.parametrize("backend", ["faster-whisper", "openai-whisper"])
def test_progress_and_cancel_behave_the_same_on_every_backend(english: tuple[Path, list[dict]], backend: str) -> None:
    """Both live in the pipeline: progress after each segment, cancel checked between them."""
    reported: list[tuple[float, str]] = []
    transcribe(english[0], model="whisper-tiny.en", backend=backend, progress=lambda f, s: reported.append((f, s)))
    fractions = [fraction for fraction, _ in reported]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) >= 6
    name = "whisper-tiny.en" if backend == "faster-whisper" else "whisper-tiny.en-openai"
    assert [stage for _, stage in reported[:2]] == [f"loading {name}", f"{name} loaded; transcribing"]
    stop = threading.Event()

    def stop_after_a_segment(fraction: float, stage: str) -> None:
        if "transcribed" in stage:
            stop.set()

    with pytest.raises(Cancelled) as caught:
        transcribe(english[0], model="whisper-tiny.en", backend=backend, progress=stop_after_a_segment, cancel=stop)
    partial = caught.value.partial
    assert isinstance(partial, Transcript) and len(partial.segments) == 1  # cancelled right after the first


def test_batched_inference_with_hotwords(english: tuple[Path, list[dict]]) -> None:
    options = TranscribeOptions(batch_size=4, hotwords="Stella")
    transcript = transcribe(english[0], model="whisper-base", options=options)
    assert word_error_rate(" ".join(ENGLISH), transcript.text).wer <= 0.15
    assert all(segment.words for segment in transcript.segments)


@pytest.fixture(scope="session")
def a_name(tmp_path_factory: pytest.TempPathFactory) -> Path:
    samples, rate = speak("Please send the report to Siobhan Kowalczyk before Thursday.")
    return media.write_audio(tmp_path_factory.mktemp("name") / "name.flac", samples, rate)


def test_a_voice_list_that_fails_is_not_a_missing_voice() -> None:
    with pytest.raises(StudioError, match="espeak-ng could not list its voices: exit status 1"):
        voices("false")  # an espeak-ng that fails, as one killed by a file-size limit did


@pytest.mark.parametrize("model", ["whisper-tiny.en", "whisper-tiny.en-openai"])
def test_hotwords_spell_a_name_on_both_backends(a_name: Path, model: str) -> None:
    assert default_cache().registry.get(model).is_installed(default_cache().settings), f"{model} is not installed"
    unaided = transcribe(a_name, model=model).text
    assert "Siobhan" not in unaided and "Kowalczyk" not in unaided  # the name is unknown to it: misspelled
    aided = transcribe(a_name, model=model, options=TranscribeOptions(hotwords="Siobhan Kowalczyk")).text
    assert "Siobhan Kowalczyk" in aided
    assert word_error_rate("please send the report to siobhan kowalczyk before thursday", aided).wer == 0


def test_bad_inputs(tmp_path: Path) -> None:
    silent_video = write_counter_video(tmp_path / "mute.mp4", 25, 25)
    with pytest.raises(NoAudioTrack, match="has no audio track"):
        transcribe(silent_video)
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"ID3" + bytes(range(256)) * 20)
    with pytest.raises(CorruptMedia):
        transcribe(junk)
    with pytest.raises(InputError, match="unsupported language code 'xx'"):
        TranscribeOptions(language="xx")
    with pytest.raises(UnknownModel, match=r"Known models:.*whisper-base"):
        transcribe(silent_video, model="whisper-gigantic")
    refusals = {
        "whisper-tiny.en knows en only, not 'es'; use a model that does: whisper-base": dict(
            model="whisper-tiny.en", options=TranscribeOptions(language="es")),
        "whisper-tiny.en-openai cannot translate; use a model that can: whisper-base": dict(
            model="whisper-tiny.en-openai", options=TranscribeOptions(task="translate")),
        "expected backend faster-whisper or openai-whisper, got 'ctranslate'": dict(backend="ctranslate"),
    }  # fmt: skip
    for message, request in refusals.items():
        with pytest.raises(InputError, match=re.escape(message)):
            transcribe(silent_video, **request)  # type: ignore[arg-type]
    timeline = transcribe_video_to_timeline(silent_video)
    assert timeline.transcript is None and "no audio" in timeline.metadata["transcript"]


def test_english_only_checkpoint_on_openai_whisper(english: tuple[Path, list[dict]]) -> None:
    transcript = transcribe(english[0], model="whisper-tiny.en", backend="openai-whisper")
    assert transcript.model == "whisper-tiny.en-openai" and transcript.backend == "openai-whisper"
    assert transcript.language == "en"
    assert word_error_rate(" ".join(ENGLISH), transcript.text).wer <= 0.15


def test_cli_writes_subtitles_and_reports_bad_options(english: tuple[Path, list[dict]], tmp_path: Path) -> None:
    import subprocess
    import sys

    studio = str(Path(sys.executable).parent / "studio")
    out = tmp_path / "speech.srt"
    done = subprocess.run(
        [studio, "transcribe", str(english[0]), "--model", "whisper-tiny.en", "--format", "srt", "-o", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    subtitles = list(srt.parse(out.read_text()))
    assert word_error_rate(" ".join(ENGLISH), " ".join(s.content for s in subtitles)).wer <= 0.15
    bad = subprocess.run(
        [studio, "transcribe", str(english[0]), "--language", "klingon"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and bad.stderr.startswith("error: unsupported language code 'klingon'")
    assert "Traceback" not in bad.stderr
