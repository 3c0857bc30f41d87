"""ASR accuracy: word and character error rates of transcripts against reference text.

Both sides go through Whisper's own text normaliser first (the one its paper's WER numbers use:
lower case, no punctuation, "seven" == "7", British == American spelling), so a score measures
recognition, not formatting; jiwer computes the edit distances. A set's WER is the corpus rate
(all edits over all reference words), not a mean of per-file rates, so long files weigh more.

- :func:`score_text`: one reference against one hypothesis;
- :func:`reference_pairs`: a folder of audio files, each with its reference text beside it
  (``talk.wav`` + ``talk.txt``);
- :func:`spoken_set`: such a folder made with espeak-ng (several voices and speeds);
- :func:`evaluate_asr`: an ASR model over the pairs, its rates and its speed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from studio import media
from studio.core import InputError, JsonResult

if TYPE_CHECKING:
    from studio.registry import ModelCache

__all__ = [
    "SPOKEN_SENTENCES",
    "AsrAccuracy",
    "AsrItem",
    "TextScore",
    "evaluate_asr",
    "normalise",
    "reference_pairs",
    "score_text",
    "spoken_set",
]

AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".m4a", ".ogg", ".opus", ".aac", ".mp4", ".mkv", ".webm", ".mov")
SPOKEN_SENTENCES = (
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Please remember to bring your umbrella because it may rain this afternoon.",
    "Engineers tested the new engine for three weeks without a single problem.",
)
SPOKEN_VOICES = ("en-us", "en-gb")
SPOKEN_SPEEDS = (130, 175)  # words per minute


def normalise(text: str, language: str = "en") -> str:
    """``text`` as Whisper's normaliser leaves it (English rules for ``en``, basic ones otherwise)."""
    from whisper.normalizers import BasicTextNormalizer, EnglishTextNormalizer

    normaliser = EnglishTextNormalizer() if language == "en" else BasicTextNormalizer()
    return " ".join(normaliser(text).split())


@dataclass(frozen=True)
class TextScore(JsonResult):
    """One hypothesis against its reference, both as normalised."""

    wer: float
    cer: float
    substitutions: int
    deletions: int
    insertions: int
    reference_words: int
    reference: str
    hypothesis: str


def score_text(reference: str, hypothesis: str, language: str = "en") -> TextScore:
    """WER and CER of ``hypothesis`` against ``reference`` (an empty reference: 0 when the
    hypothesis is empty too, else 1)."""
    import jiwer

    ref, hyp = normalise(reference, language), normalise(hypothesis, language)
    if not ref:
        return TextScore(float(bool(hyp)), float(bool(hyp)), 0, 0, len(hyp.split()), 0, ref, hyp)
    words = jiwer.process_words(ref, hyp)
    characters = jiwer.process_characters(ref, hyp)
    return TextScore(round(words.wer, 6), round(characters.cer, 6), words.substitutions, words.deletions,
                     words.insertions, len(ref.split()), ref, hyp)  # fmt: skip


@dataclass(frozen=True)
class AsrItem(JsonResult):
    audio: str
    duration_s: float
    transcribe_s: float
    score: TextScore


@dataclass(frozen=True)
class AsrAccuracy(JsonResult):
    """A model over a set: corpus WER and CER, per-file scores, and speed."""

    model: str
    items: list[AsrItem]
    wer: float
    cer: float
    reference_words: int
    audio_s: float
    transcribe_s: float
    real_time_factor: float  # transcribe seconds per audio second; under 1 is faster than real time
    unpaired: list[str]  # audio files in the folder without a reference text
    definition: str = ("corpus WER/CER (all edits / all reference words or characters) after Whisper's "
                       "normaliser, by jiwer")  # fmt: skip


def reference_pairs(folder: str | os.PathLike[str]) -> tuple[list[tuple[Path, str]], list[str]]:
    """Each audio file in ``folder`` with the text of the ``.txt`` beside it (same stem), and the
    names of audio files that have none."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"{os.fsdecode(folder)!r} is not a folder of audio files with reference texts")
    pairs: list[tuple[Path, str]] = []
    unpaired: list[str] = []
    for audio in sorted(p for p in root.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES and not p.name.startswith(".")):
        text_file = audio.with_suffix(".txt")
        if not text_file.is_file():
            unpaired.append(audio.name)
            continue
        text = text_file.read_text(encoding="utf-8", errors="replace").strip()
        if not text:
            raise InputError(
                f"{text_file.name!r} in {os.fsdecode(folder)!r} is empty: a reference needs the words spoken"
            )
        pairs.append((audio, text))
    if not pairs:
        raise InputError(f"{os.fsdecode(folder)!r} holds no audio file with a reference text beside it "
                         "(talk.wav and talk.txt)")  # fmt: skip
    return pairs, unpaired


def spoken_set(folder: str | os.PathLike[str], sentences: Sequence[str] = SPOKEN_SENTENCES,
               voices: Sequence[str] = SPOKEN_VOICES, speeds: Sequence[int] = SPOKEN_SPEEDS) -> Path:  # fmt: skip
    """Write every sentence in every voice at every speed as ``VOICE-WPM-N.wav`` + ``.txt`` into
    ``folder`` (espeak-ng); returns the folder."""
    from studio.speech import speak

    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    for voice in voices:
        for speed in speeds:
            for number, sentence in enumerate(sentences):
                samples, rate = speak(sentence, voice=voice, words_per_minute=speed)
                stem = root / f"{voice}-{speed}-{number}"
                media.write_audio(stem.with_suffix(".wav"), samples, rate)
                stem.with_suffix(".txt").write_text(sentence + "\n", encoding="utf-8")
    return root


def evaluate_asr(folder: str | os.PathLike[str], model: str | None = None, backend: str | None = None,
                 language: str | None = None, cache: ModelCache | None = None) -> AsrAccuracy:  # fmt: skip
    """Transcribe each audio file of :func:`reference_pairs` with ``model`` (default: the best
    installed) and score it; ``language`` is given to the model and picks the normaliser."""
    import jiwer

    from studio import speech
    from studio.registry import default_cache

    pairs, unpaired = reference_pairs(folder)
    cache = cache or default_cache()
    options = speech.TranscribeOptions(language=language)
    spec = speech.resolve_asr_spec(cache.registry, cache.settings, model, backend, options)
    items: list[AsrItem] = []
    for audio, reference in pairs:
        started = time.perf_counter()
        transcript = speech.transcribe(audio, model=spec.name, options=options, cache=cache)
        seconds = time.perf_counter() - started
        score = score_text(reference, transcript.text, language or transcript.language or "en")
        if not score.reference:
            raise InputError(f"the reference text of {audio.name!r} has no words once normalised")
        items.append(AsrItem(audio.name, round(media.audio_duration(audio), 3), round(seconds, 3), score))
    references = [item.score.reference for item in items]
    hypotheses = [item.score.hypothesis for item in items]
    words, characters = jiwer.process_words(references, hypotheses), jiwer.process_characters(references, hypotheses)
    audio_s, transcribe_s = sum(i.duration_s for i in items), sum(i.transcribe_s for i in items)
    return AsrAccuracy(
        model=spec.name, items=items, wer=round(words.wer, 6), cer=round(characters.cer, 6),
        reference_words=sum(i.score.reference_words for i in items), audio_s=round(audio_s, 3),
        transcribe_s=round(transcribe_s, 3), real_time_factor=round(transcribe_s / max(audio_s, 1e-9), 4),
        unpaired=unpaired,
    )  # fmt: skip
