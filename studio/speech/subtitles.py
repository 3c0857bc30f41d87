"""Transcript exports: SRT, WebVTT (optionally with word timing), plain text and JSON.

Cues follow what subtitle editors expect: at most ``max_chars`` per line and
``max_lines`` lines, at most ``max_duration_s`` on screen, and a new cue after a sentence
ends. Cues are built from word timestamps when the transcript has them, else segments
are split in proportion to their characters.
"""

from __future__ import annotations

import json
import math
import textwrap
from dataclasses import dataclass

from studio.core import InputError, Transcript, Word

__all__ = ["FORMATS", "Cue", "SubtitleStyle", "build_cues", "export", "to_json", "to_srt", "to_text", "to_vtt"]

FORMATS = ("srt", "vtt", "txt", "json")
_SENTENCE_END = (".", "?", "!", "。", "？", "！")


@dataclass(frozen=True)
class SubtitleStyle:
    max_chars: int = 42  # per line: the common broadcast/Netflix limit for Latin scripts
    max_lines: int = 2
    max_duration_s: float = 7.0

    def __post_init__(self) -> None:
        if not 10 <= self.max_chars <= 1000:
            raise InputError(f"expected 10 <= max_chars (--max-line-width) <= 1000, got {self.max_chars}")
        if not 1 <= self.max_lines <= 20:
            raise InputError(f"expected 1 <= max_lines (--max-line-count) <= 20, got {self.max_lines}")
        if not 0 < self.max_duration_s < math.inf:
            raise InputError(f"expected a positive max_duration_s, got {self.max_duration_s}")


@dataclass(frozen=True)
class Cue:
    start_s: float
    end_s: float
    lines: tuple[str, ...]
    words: tuple[Word, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _wrap(text: str, style: SubtitleStyle) -> tuple[str, ...]:
    return tuple(textwrap.wrap(text.strip(), width=style.max_chars, break_long_words=True)) or ("",)


def _fits(words: list[Word], style: SubtitleStyle) -> bool:
    text = "".join(w.text for w in words).strip()
    return len(_wrap(text, style)) <= style.max_lines and words[-1].end_s - words[0].start_s <= style.max_duration_s


def _cues_from_words(words: tuple[Word, ...], style: SubtitleStyle) -> list[Cue]:
    cues: list[Cue] = []
    current: list[Word] = []
    for word in words:
        if current and not _fits([*current, word], style):
            cues.append(_cue(current, style))
            current = []
        current.append(word)
        if word.text.strip().endswith(_SENTENCE_END) and len("".join(w.text for w in current)) > style.max_chars // 2:
            cues.append(_cue(current, style))
            current = []
    if current:
        cues.append(_cue(current, style))
    return cues


def _cue(words: list[Word], style: SubtitleStyle) -> Cue:
    return Cue(words[0].start_s, words[-1].end_s, _wrap("".join(w.text for w in words), style), tuple(words))


def _cues_from_text(start_s: float, end_s: float, text: str, style: SubtitleStyle) -> list[Cue]:
    lines = _wrap(text, style)
    groups = [lines[i : i + style.max_lines] for i in range(0, len(lines), style.max_lines)]
    total = sum(len(line) for line in lines) or 1
    cues, at = [], start_s
    for group in groups:
        share = (end_s - start_s) * sum(len(line) for line in group) / total
        cues.append(Cue(at, at + share, group))
        at += share
    return cues


def build_cues(transcript: Transcript, style: SubtitleStyle | None = None) -> list[Cue]:
    style = style or SubtitleStyle()
    cues: list[Cue] = []
    for segment in transcript.segments:
        if segment.words:
            cues += _cues_from_words(segment.words, style)
        elif segment.text.strip():
            cues += _cues_from_text(segment.start_s, segment.end_s, segment.text, style)
    return cues


def _clock(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def to_srt(transcript: Transcript, style: SubtitleStyle | None = None) -> str:
    blocks = [
        f"{number}\n{_clock(cue.start_s, ',')} --> {_clock(cue.end_s, ',')}\n{cue.text}\n"
        for number, cue in enumerate(build_cues(transcript, style), start=1)
    ]
    return "\n".join(blocks)


def _karaoke(cue: Cue) -> str:
    """Cue text with WebVTT inline timestamps before every word after the first."""
    parts = []
    for index, word in enumerate(cue.words):
        text = word.text.strip()
        parts.append(text if index == 0 else f"<{_clock(word.start_s, '.')}><c>{text}</c>")
    return " ".join(parts)


def to_vtt(transcript: Transcript, style: SubtitleStyle | None = None, word_timing: bool = False) -> str:
    blocks = ["WEBVTT\n"]
    for cue in build_cues(transcript, style):
        text = _karaoke(cue) if word_timing and cue.words else cue.text
        blocks.append(f"{_clock(cue.start_s, '.')} --> {_clock(cue.end_s, '.')}\n{text}\n")
    return "\n".join(blocks)


def to_text(transcript: Transcript) -> str:
    return "\n".join(segment.text.strip() for segment in transcript.segments if segment.text.strip()) + "\n"


def to_json(transcript: Transcript) -> str:
    return json.dumps(transcript.to_dict(), indent=2, ensure_ascii=False) + "\n"


def export(transcript: Transcript, fmt: str, style: SubtitleStyle | None = None, word_timing: bool = False) -> str:
    """The transcript in one of :data:`FORMATS`."""
    if fmt == "srt":
        return to_srt(transcript, style)
    if fmt == "vtt":
        return to_vtt(transcript, style, word_timing)
    if fmt == "txt":
        return to_text(transcript)
    if fmt == "json":
        return to_json(transcript)
    raise InputError(f"expected format {', '.join(FORMATS)}, got {fmt!r}")
