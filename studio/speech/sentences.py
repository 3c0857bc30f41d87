"""Cut transcript segments at sentence ends, using their word times.

Batched decoding returns one segment per voice-activity chunk (up to 30 s), too long for a
subtitle or a search hit. Where a segment's words are timed, it is cut after every word
that ends a sentence, so each piece starts and ends with its own speech.
"""

from __future__ import annotations

from dataclasses import replace

from studio.core import Segment, Word

__all__ = ["split_at_sentences"]

SENTENCE_ENDS = (".", "!", "?", "。", "！", "？", "…")
# Words whose full stop does not end a sentence (compared lower-case, without the stop).
ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "vs", "etc", "e.g", "i.e", "no", "fig", "approx"]
)


def _ends_sentence(word: Word) -> bool:
    text = word.text.strip().rstrip("\"')]»”’")
    if not text.endswith(SENTENCE_ENDS):
        return False
    stem = text.rstrip("".join(SENTENCE_ENDS)).lower()
    is_initial = len(stem) == 1 and stem.isalpha()  # "J. R. R. Tolkien"
    return bool(stem) and stem not in ABBREVIATIONS and not is_initial


def split_at_sentences(segment: Segment) -> list[Segment]:
    """``segment`` cut after each sentence-ending word; itself alone when it holds one
    sentence, has no word times, or its words do not spell its text."""
    words = segment.words
    if len(words) < 2 or "".join(w.text for w in words).strip() != segment.text.strip():
        return [segment]
    pieces: list[list[Word]] = [[]]
    for index, word in enumerate(words):
        pieces[-1].append(word)
        if _ends_sentence(word) and index < len(words) - 1:
            pieces.append([])
    if len(pieces) == 1:
        return [segment]
    return [
        replace(
            segment,
            start_s=piece[0].start_s if at else segment.start_s,
            end_s=piece[-1].end_s if at < len(pieces) - 1 else segment.end_s,
            text="".join(w.text for w in piece),
            words=tuple(piece),
        )
        for at, piece in enumerate(pieces)
    ]
