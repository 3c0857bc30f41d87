"""Cutting a long transcript segment at its sentence ends."""

from __future__ import annotations

from studio.core import Segment, Word
from studio.speech import split_at_sentences


def _segment(*spoken: tuple[str, float, float], text: str | None = None) -> Segment:
    words = tuple(Word(start, end, word, 0.9) for word, start, end in spoken)
    joined = "".join(w.text for w in words)
    return Segment(0, 0.0, 10.0, joined if text is None else text, -0.2, 0.01, words=words)


def test_cuts_after_each_sentence_end_with_word_times() -> None:
    segment = _segment((" Hello", 0.5, 0.9), (" there.", 0.9, 1.4), (" How", 3.0, 3.2), (" are", 3.2, 3.4),
                       (" you?", 3.4, 3.9), (" Fine!", 6.0, 6.5))  # fmt: skip
    pieces = split_at_sentences(segment)
    assert [p.text for p in pieces] == [" Hello there.", " How are you?", " Fine!"]
    assert [(p.start_s, p.end_s) for p in pieces] == [(0.0, 1.4), (3.0, 3.9), (6.0, 10.0)]
    assert [len(p.words) for p in pieces] == [2, 3, 1]


def test_abbreviations_initials_and_a_final_stop_do_not_cut() -> None:
    segment = _segment((" Dr.", 0.0, 0.3), (" J.", 0.3, 0.5), (" Smith", 0.5, 0.9), (" arrived.", 0.9, 1.5))
    assert split_at_sentences(segment) == [segment]


def test_no_words_or_words_that_do_not_spell_the_text_leave_the_segment_whole() -> None:
    untimed = Segment(0, 0.0, 2.0, " One. Two.", -0.2, 0.01)
    assert split_at_sentences(untimed) == [untimed]
    mismatched = _segment((" One.", 0.0, 0.5), (" Two.", 1.0, 1.5), text=" One. Two. Three.")
    assert split_at_sentences(mismatched) == [mismatched]
