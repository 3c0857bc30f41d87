"""No words from what is not speech: faster-whisper with its voice-activity filter (the
default) on white noise and on music-like tones, with the real offline Whisper weights.

Silence alone is the easy case (tests/studio/speech); noise and tones are where Whisper
hallucinates ("you.", "Thank you.", repeated syllables) when nothing filters its input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from studio import media
from studio.registry import default_cache
from studio.speech import TranscribeOptions, transcribe

RATE = 16000
SECONDS = 8
C_MAJOR = (261.63, 329.63, 392.0, 440.0, 349.23, 293.66, 246.94, 523.25)  # a melody's notes, Hz


def _white_noise() -> np.ndarray:
    return (0.3 * np.random.default_rng(0).standard_normal(RATE * SECONDS)).astype(np.float32)


def _plucked_melody() -> np.ndarray:
    """A note every half second (a fundamental and two harmonics, decaying like a plucked
    string) over a held bass: syllable-rate onsets, the kind a VAD can take for speech."""
    t = np.arange(RATE * SECONDS) / RATE
    music = 0.3 * np.sin(2 * np.pi * 110.0 * t)
    for i, pitch in enumerate(C_MAJOR * (SECONDS // 4)):
        note = (t >= i * 0.5) & (t < (i + 1) * 0.5)
        envelope = np.exp(-3 * (t[note] - i * 0.5))
        for harmonic, amplitude in ((1, 1.0), (2, 0.5), (3, 0.25)):
            music[note] += amplitude * envelope * np.sin(2 * np.pi * pitch * harmonic * t[note])
    return (0.25 * music / np.abs(music).max()).astype(np.float32)


def _held_chords() -> np.ndarray:
    """Major triads held two seconds each, with a 5 Hz vibrato: an organ, not a voice."""
    t = np.arange(RATE * SECONDS) / RATE
    music = np.zeros_like(t)
    for i, root in enumerate((261.63, 349.23, 392.0, 261.63)):
        chord = (t >= i * 2) & (t < (i + 1) * 2)
        for ratio in (1.0, 1.25, 1.5):
            pitch = root * ratio * (1 + 0.005 * np.sin(2 * np.pi * 5 * t[chord]))
            music[chord] += np.sin(2 * np.pi * np.cumsum(pitch) / RATE)
    return (0.25 * music / np.abs(music).max()).astype(np.float32)


SOUNDS = {"white noise": _white_noise, "plucked melody": _plucked_melody, "held chords": _held_chords}


@pytest.fixture(scope="module", autouse=True)
def offline_weights() -> None:
    cache = default_cache()
    spec = cache.registry.get("whisper-base")
    assert spec.is_installed(cache.settings), "whisper-base is not installed: run `make setup`"


@pytest.mark.parametrize("batch_size", [None, 1], ids=["batched", "sequential"])
@pytest.mark.parametrize("sound", list(SOUNDS))
def test_no_words_from_noise_or_music(sound: str, batch_size: int | None, tmp_path: Path) -> None:
    samples = SOUNDS[sound]()
    assert np.abs(samples).max() > 0.2  # loud enough to be heard, not near-silence
    path = media.write_audio(tmp_path / "sound.wav", samples, RATE)
    transcript = transcribe(path, model="whisper-base", backend="faster-whisper",
                            options=TranscribeOptions(batch_size=batch_size))  # fmt: skip
    assert (transcript.text, transcript.segments, transcript.words) == ("", (), ()), transcript.text
