"""The speech-recognition contract every ASR adapter follows.

An adapter's loaded model is an :class:`ASRModel`: ``decode(audio, options)`` takes 16 kHz
mono float32 samples and returns a :class:`Decoding`: the language, then the segments as a
generator that decodes as it is read (faster-whisper), or yields what was decoded at once
(openai-whisper). Times count from the start of ``audio``. The pipeline
(:mod:`studio.speech.transcribe`) feeds long files window by window, shifts the times,
and owns progress and cancel, once for every backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from studio.core import InputError, Segment

__all__ = [
    "LANGUAGES",
    "ASRModel",
    "Decoding",
    "TranscribeOptions",
]

# The languages Whisper's tokenizer knows (ISO 639-1, plus haw and yue).
LANGUAGES = frozenset(
    "af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha haw he "
    "hi hr ht hu hy id is it ja jw ka kk km kn ko la lb ln lo lt lv mg mi mk ml mn mr ms mt my ne nl "
    "nn no oc pa pl ps pt ro ru sa sd si sk sl sn so sq sr su sv sw ta te tg th tk tl tr tt uk ur uz "
    "vi yi yo zh yue".split()
)
ASR_TASKS = ("transcribe", "translate")  # what Whisper does with speech


@dataclass(frozen=True)
class TranscribeOptions:
    """How to transcribe; the defaults are what most users want."""

    language: str | None = None  # None: detect from the first 30 s of speech
    task: str = "transcribe"  # "translate": any language to English text
    beam_size: int = 5
    # Whisper's fallback ladder: decode greedily first, resample hotter when the text
    # repeats itself (compression ratio) or is improbable (average log-probability).
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    initial_prompt: str | None = None  # spelling hints: names, jargon
    hotwords: str | None = None  # words to favour (names, jargon), prompted in every window
    vad: bool = True  # Silero voice-activity filter; stops hallucinations on silence and music
    # None: time words where it costs no accuracy (batched decoding aligns them after the
    # text is decoded); True: always (sequential decoding then moves its windows by them);
    # False: never
    word_timestamps: bool | None = None
    batch_size: int | None = None  # None: the backend's best; 1: sequential; > 1: batched
    condition_on_previous_text: bool = True
    per_segment_language: bool = False  # detect the language of each segment (code-switching)
    window_s: float = 600.0  # long files are read and decoded this many seconds at a time

    def __post_init__(self) -> None:
        if self.language is not None and self.language not in LANGUAGES:
            raise InputError(f"unsupported language code {self.language!r}; expected one of Whisper's, e.g. en, es, de")
        if self.task not in ASR_TASKS:
            raise InputError(f"expected task transcribe or translate, got {self.task!r}")
        # Whisper decodes with 5 beams; past a few dozen, memory grows with no gain in accuracy
        if not 1 <= self.beam_size <= 32:
            raise InputError(f"expected 1 <= beam_size (--beam-size) <= 32, got {self.beam_size}")
        if self.batch_size is not None and not 1 <= self.batch_size <= 256:
            raise InputError(f"expected 1 <= batch_size (--batch-size) <= 256, got {self.batch_size}")
        if not self.temperatures or any(not 0.0 <= t <= 1.0 for t in self.temperatures):
            raise InputError(f"expected temperatures between 0 and 1, got {self.temperatures}")
        if self.window_s < 30.0:
            raise InputError(f"expected window_s >= 30 (Whisper hears 30 s at a time), got {self.window_s}")

    @classmethod
    def parse_language(cls, code: str | None) -> str | None:
        """``"auto"``, ``""`` and ``None`` mean detect; codes are case-insensitive."""
        if code is None or code.strip().lower() in ("", "auto"):
            return None
        return code.strip().lower()


@dataclass(frozen=True)
class Decoding:
    """One window being decoded: its language (known before any segment) and its segments,
    streamed (reading ``segments`` is what decodes them)."""

    language: str
    language_probability: float
    segments: Iterator[Segment]


@runtime_checkable
class ASRModel(Protocol):
    backend: str

    def decode(self, audio: np.ndarray, options: TranscribeOptions) -> Decoding: ...
