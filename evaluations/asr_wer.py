"""Word error rate of a transcript against reference text.

Both sides go through Whisper's own text normaliser first (the one its paper's WER
numbers use: lower case, no punctuation, "seven" == "7", British == American spelling),
so a score measures recognition, not formatting. jiwer computes the edit distance.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["WerResult", "normalise", "word_error_rate"]


def normalise(text: str, language: str = "en") -> str:
    from whisper.normalizers import BasicTextNormalizer, EnglishTextNormalizer

    normaliser = EnglishTextNormalizer() if language == "en" else BasicTextNormalizer()
    return " ".join(normaliser(text).split())


@dataclass(frozen=True)
class WerResult:
    wer: float
    substitutions: int
    deletions: int
    insertions: int
    reference_words: int
    reference: str
    hypothesis: str


def word_error_rate(reference: str, hypothesis: str, language: str = "en") -> WerResult:
    import jiwer

    ref, hyp = normalise(reference, language), normalise(hypothesis, language)
    if not ref:
        return WerResult(float(bool(hyp)), 0, 0, len(hyp.split()), 0, ref, hyp)
    out = jiwer.process_words(ref, hyp)
    return WerResult(out.wer, out.substitutions, out.deletions, out.insertions, len(ref.split()), ref, hyp)
