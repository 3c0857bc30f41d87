"""Grounded prompt adherence, offline: what a prompt names that the studio's own models find in
the video, and when.

The prompt is read for three kinds of mention:

- **objects**: the detector's label names (COCO's 80), singular or plural, and the everyday
  words for a person (man, woman, people, child, astronaut, ...); found when a track of that
  label lasts through the analysis (the tracker drops flicker shorter than three samples);
- **actions**: the person actions the pose-action model gives (walking, running, sitting,
  lying, falling, standing, hands raised, cycling), in their verb forms (walks, ran, sat, ...),
  counted only when the prompt also names a person (in "a cup sits on the table" nobody sits);
  found when an action segment of that label exists;
- **on-screen words**: words in double quotes; read by the best installed OCR model (task
  ``ocr``: PP-OCRv4 from ``media-studio[ocr]``) on frames sampled at :data:`OCR_FPS`, found in a
  frame when the quoted words, upper-cased with everything but letters and digits dropped, are
  part of that frame's lines read in order and treated the same way (OCR drops the space between
  close words, and a sign may break over two lines). With no OCR model installed they are listed
  as unchecked, never scored as found or missed.

``adherence`` is the share of checked mentions found. Beside it, with a text-image model
installed (CLIP ViT-B/32 by default), ``text_alignment`` is the prompt's CLIPScore on the same
frames the OCR reads (:mod:`studio.evaluate.text_alignment`), and with a text-video model
installed (X-CLIP base/32 by default) ``video_alignment`` scores the prompt against the whole
video (:mod:`studio.evaluate.video_alignment`), its frames taken in the same pass: one decode for
all three. Each found
mention has its first and last time on the source clock, each track's or segment's span, and
the share of analysed frames it was seen in. The detector's mistakes are the report's: a cat the
detector calls a person for a second makes a "person" span there, which the spans show. The
vocabulary is a small table here, not a language model: a word it does not know is not a
mention, and the report lists the words it did read.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from studio.core import CancelFlag, InputError, JsonResult, Timeline
from studio.evaluate.text_alignment import AlignmentScorer, TextAlignment, alignment_embedder
from studio.evaluate.video_alignment import ClipFrames, VideoAlignment, video_alignment_model
from studio.vision import COCO_LABELS, TextReader

if TYPE_CHECKING:
    from collections.abc import Iterator

    import numpy as np

    from studio.registry import ModelCache

__all__ = ["ADHERENCE_FPS", "OCR_FPS", "AdherenceReport", "Mention", "adherence_tasks", "prompt_adherence",
           "prompt_mentions"]  # fmt: skip

ADHERENCE_FPS = 5.0  # analysis samples a second (the analysis default): a track needs 3 samples
OCR_FPS = 2.0  # frames a second the OCR model reads for quoted words (~0.3 s a 640x360 frame on a CPU)
PERSON = "person"
PERSON_WORDS = ("person", "persons", "people", "man", "men", "woman", "women", "child", "children", "boy", "boys",
                "girl", "girls", "kid", "kids", "astronaut", "astronauts", "player", "players", "pedestrian",
                "pedestrians", "runner", "runners", "cyclist", "cyclists", "dancer", "dancers")  # fmt: skip
ACTION_WORDS = {
    "walking": ("walk", "walks", "walking", "walked", "strolls", "strolling"),
    "running": ("run", "runs", "running", "ran", "jogs", "jogging", "sprints", "sprinting"),
    "sitting": ("sit", "sits", "sitting", "sat", "seated"),
    "standing": ("stand", "stands", "standing", "stood"),
    "lying": ("lie", "lies", "lying", "lay", "lays"),
    "falling": ("fall", "falls", "falling", "fell"),
    "hands raised": ("wave", "waves", "waving", "waved", "raises", "raising", "raised"),
    "cycling": ("cycle", "cycles", "cycling", "cycled", "bikes", "biking"),
}


@dataclass(frozen=True)
class Mention(JsonResult):
    """One thing the prompt names: ``found`` None when nothing here can check it."""

    words: str  # as the prompt says it
    kind: str  # object, action or text
    label: str  # the model label it stands for
    found: bool | None
    first_s: float | None = None
    last_s: float | None = None
    seen_share: float = 0.0  # of the analysed frames
    score: float = 0.0  # the best detection or action score
    spans: tuple[tuple[float, float], ...] = ()  # each track or action segment: (start_s, end_s)


@dataclass(frozen=True)
class AdherenceReport(JsonResult):
    path: str
    prompt: str
    mentions: list[Mention]
    checked: int
    found: int
    adherence: float | None  # found / checked; None when the prompt names nothing checkable
    analysis_fps: float
    models: dict[str, str]  # task -> the model that looked
    text_alignment: TextAlignment | None = None  # CLIPScore, with a text-image model installed
    video_alignment: VideoAlignment | None = None  # X-CLIP's, with a text-video model installed
    definition: str = (
        "grounded: the share of the objects, person actions and quoted words a prompt names that the studio's own "
        "detector, tracker, pose actions and OCR find (quoted words unchecked without an OCR model)"
    )


def _singular(word: str) -> str:
    for ending, replacement in (("ies", "y"), ("ches", "ch"), ("shes", "sh"), ("sses", "ss"), ("s", "")):
        if word.endswith(ending) and len(word) > len(ending) + 1:
            return word[: -len(ending)] + replacement
    return word


def prompt_mentions(prompt: str) -> list[Mention]:
    """The objects, actions and quoted words ``prompt`` names, in the order it names them, each
    once, all unchecked (``found`` None)."""
    quoted = re.findall(r'"([^"]+)"|“([^”]+)”', prompt)
    text = re.sub(r'"[^"]*"|“[^”]*”', " ", prompt.lower())
    words = re.findall(r"[a-z]+", text)
    mentions: dict[tuple[str, str], Mention] = {}
    labels = sorted(COCO_LABELS, key=lambda label: -len(label.split()))  # "dining table" before "table"
    used: set[int] = set()
    for label in labels:
        size = len(label.split())
        for start in range(len(words) - size + 1):
            span = range(start, start + size)
            if used & set(span):
                continue
            said = " ".join(words[start : start + size])
            if label in (said, " ".join([*words[start : start + size - 1], _singular(words[start + size - 1])])):
                used |= set(span)
                mentions.setdefault(("object", label), Mention(said, "object", label, None))
    for index, word in enumerate(words):
        if index not in used and word in PERSON_WORDS:
            mentions.setdefault(("object", PERSON), Mention(word, "object", PERSON, None))
    if ("object", PERSON) in mentions:
        for word in words:
            for label, forms in ACTION_WORDS.items():
                if word in forms:
                    mentions.setdefault(("action", label), Mention(word, "action", label, None))
    for pair in quoted:
        said = next(part for part in pair if part)
        mentions.setdefault(("text", said), Mention(said, "text", said, None))
    order = {key: prompt.lower().find(mention.words.lower()) for key, mention in mentions.items()}
    return [mentions[key] for key in sorted(mentions, key=lambda key: order[key])]


def _checked(mention: Mention, timeline: Timeline) -> Mention:
    times = timeline.sample_times_s
    if mention.kind == "object":
        points = [p for track in timeline.tracks if track.label == mention.label for p in track.points]
        if not points:
            return _as(mention, False)
        seen = {p.time_s for p in points}
        spans = [(t.first_s, t.last_s) for t in timeline.tracks if t.label == mention.label]
        return _as(mention, True, min(seen), max(seen), len(seen) / max(1, len(times)),
                   max(p.score for p in points), spans)  # fmt: skip
    if mention.kind == "action":
        segments = [a for a in timeline.actions if a.label == mention.label]
        if not segments:
            return _as(mention, False)
        inside = [t for t in times if any(a.start_s <= t <= a.end_s for a in segments)]
        return _as(mention, True, min(a.start_s for a in segments), max(a.end_s for a in segments),
                   len(inside) / max(1, len(times)), max(a.score for a in segments),
                   [(a.start_s, a.end_s) for a in segments])  # fmt: skip
    return mention  # on-screen words: read by _read_words


def _letters(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", text.upper())


def _ocr_reader(cache: ModelCache) -> tuple[TextReader | None, str | None]:
    """The best installed OCR model and its name, or none."""
    from studio.core import StudioError

    try:
        spec = cache.registry.choose("ocr", None, cache.settings)
    except StudioError:
        return None, None
    return cache.get(spec.name, kind=TextReader), spec.name


def _frame_pass(path: str | os.PathLike[str], reader: TextReader | None, scorer: AlignmentScorer | None,
                clip: ClipFrames | None,
                cancel: CancelFlag | None) -> tuple[list[float], list[tuple[str, float]]]:  # fmt: skip
    """One decode at :data:`OCR_FPS`: each frame's time and read lines (joined, with the best line
    score) when there is a reader, each frame into ``scorer``; every decoded picture is offered
    to ``clip`` when there is one (else the pass skips what no sample needs)."""
    from studio.core import check_cancel

    times: list[float] = []
    read: list[tuple[str, float]] = []
    for time_s, image in _samples(path, clip):
        check_cancel(cancel, "reading the frames for the prompt")
        times.append(time_s)
        if reader is not None:
            [lines] = reader.read_text([image])
            best = max((line.score for line in lines), default=0.0)
            read.append(("".join(_letters(line.text) for line in lines), best))
        if scorer is not None:
            scorer.add(image, time_s)
    return times, read


def _samples(path: str | os.PathLike[str], clip: ClipFrames | None) -> Iterator[tuple[float, np.ndarray]]:
    """The frames sampled at :data:`OCR_FPS` as (time, RGB); with ``clip``, every decoded picture
    offered to it on the way."""
    from studio import media

    if clip is None:
        for frame in media.iter_frames(path, fps=OCR_FPS):
            yield frame.time_s, frame.image
        return
    for picture in media.iter_pictures(path, fps=OCR_FPS):
        clip.offer(picture)
        if picture.sampled:
            yield picture.time_s, picture.rgb()


def _check_words(mentions: list[Mention], times: list[float], read: list[tuple[str, float]]) -> list[Mention]:
    """The quoted-words ``mentions`` found in the lines read at ``times``."""
    checked = []
    for mention in mentions:
        wanted = _letters(mention.words)
        hits = [n for n, (text, _) in enumerate(read) if wanted and wanted in text]
        if not hits:
            checked.append(_as(mention, False))
            continue
        spans: list[tuple[float, float]] = []
        for n in hits:  # consecutive readings make one span
            if spans and n - 1 in hits:
                spans[-1] = (spans[-1][0], times[n])
            else:
                spans.append((times[n], times[n]))
        checked.append(_as(mention, True, times[hits[0]], times[hits[-1]], len(hits) / len(times),
                           max(read[n][1] for n in hits), spans))  # fmt: skip
    return checked


def _as(mention: Mention, found: bool, first: float | None = None, last: float | None = None,
        share: float = 0.0, score: float = 0.0, spans: list[tuple[float, float]] | None = None) -> Mention:  # fmt: skip
    return Mention(mention.words, mention.kind, mention.label, found,
                   None if first is None else round(first, 3), None if last is None else round(last, 3),
                   round(share, 4), round(score, 4),
                   tuple(sorted((round(a, 3), round(b, 3)) for a, b in spans or ())))  # fmt: skip


def adherence_tasks(prompt: str) -> tuple[str, ...]:
    """The analysis tasks checking ``prompt`` takes: detection and tracking, and pose actions when
    it names a person's action (what a caller checks is installed before it starts)."""
    mentions = prompt_mentions(prompt)
    return ("detect", "track", *(("pose", "actions") if any(m.kind == "action" for m in mentions) else ()))


def prompt_adherence(path: str | os.PathLike[str], prompt: str, timeline: Timeline | None = None,
                     fps: float = ADHERENCE_FPS, cache: ModelCache | None = None,
                     cancel: CancelFlag | None = None, alignment: str | None = None,
                     video_alignment: str | None = None) -> AdherenceReport:  # fmt: skip
    """Check ``prompt``'s mentions in the video at ``path``: on ``timeline`` when given (an analysis
    already made of it), else on a new analysis at ``fps`` (detection and tracking, and pose
    actions when the prompt names one). ``alignment`` names the text-image model for the CLIPScore
    (``None``: CLIP ViT-B/32 when installed; ``"none"``: skip it), ``video_alignment`` the
    text-video model for the video-level score (``None``: X-CLIP base/32 when installed)."""
    from studio import vision
    from studio.registry import default_cache

    if not prompt.strip():
        raise InputError("expected a prompt naming what the video should show")
    models_from = cache or default_cache()
    aligner, aligner_name = alignment_embedder(models_from, alignment)  # refused before the analysis
    video_scorer, video_scorer_name = video_alignment_model(models_from, video_alignment)
    mentions = prompt_mentions(prompt)
    if timeline is None:
        options = vision.AnalyzeOptions(fps=fps, tasks=adherence_tasks(prompt))
        timeline = vision.analyze(Path(path), options, cache=cache, cancel=cancel)
    checked = [_checked(mention, timeline) for mention in mentions]
    words = [mention for mention in checked if mention.kind == "text"]
    reader, ocr = _ocr_reader(models_from) if words else (None, None)
    scorer = AlignmentScorer(aligner, aligner_name, prompt) if aligner is not None and aligner_name else None
    clip = None
    if video_scorer is not None and video_scorer_name:  # the frame count the analysis's probe already read
        clip = ClipFrames(video_scorer, video_scorer_name, prompt, timeline.video.frame_count)
    alignment_result = video_result = None
    if reader is not None or scorer is not None or clip is not None:
        times, read = _frame_pass(path, reader, scorer, clip, cancel)
        if reader is not None:
            by_words = {mention.words: mention for mention in _check_words(words, times, read)}
            checked = [by_words.get(m.words, m) if m.kind == "text" else m for m in checked]
        alignment_result = scorer.result(OCR_FPS) if scorer is not None else None
        video_result = clip.result() if clip is not None else None
    countable = [m for m in checked if m.found is not None]
    found = sum(bool(m.found) for m in countable)
    models = {task: str(entry["name"]) for task, key in (("detect", "detector"), ("pose", "pose_model"))
              if isinstance(entry := timeline.metadata.get(key), dict) and "name" in entry}  # fmt: skip
    if timeline.actions:
        models["actions"] = ", ".join(sorted({action.model for action in timeline.actions}))
    if ocr is not None:
        models["ocr"] = ocr
    if aligner_name is not None:
        models["alignment"] = aligner_name
    if video_scorer_name is not None:
        models["video_alignment"] = video_scorer_name
    return AdherenceReport(
        path=os.fsdecode(path), prompt=prompt, mentions=checked, checked=len(countable), found=found,
        adherence=round(found / len(countable), 4) if countable else None,
        analysis_fps=round(float(Fraction(str(timeline.metadata.get("analysis_fps", fps)))), 4), models=models,
        text_alignment=alignment_result, video_alignment=video_result,
    )  # fmt: skip
