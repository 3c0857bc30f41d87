"""Word error rate of a transcript against reference text, for the tests and benchmarks: the
product's own scoring (:mod:`studio.evaluate.asr_accuracy`, Whisper's normaliser then jiwer)."""

from __future__ import annotations

from studio.evaluate import TextScore, normalise, score_text

__all__ = ["WerResult", "normalise", "word_error_rate"]

WerResult = TextScore
word_error_rate = score_text
