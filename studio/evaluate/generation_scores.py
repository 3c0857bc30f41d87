"""Scores a generation gets as soon as it is made, kept in its sidecar under ``"evaluation"``.

- a video (:func:`score_generation`): the quality scores (VBench's flicker, motion smoothness,
  subject consistency, and the motion proxy) and grounded adherence to its own prompt;
- a story's film (:func:`score_story`): the film's frame timing against its header (dropped
  frames, variable rate, the narration's A/V drift; repeated pictures are counted but allowed,
  a title card holds one on purpose), and each shot's quality and adherence on the shot's own clip,
  against the shot's own prompt (a film's cuts would count as flicker and inconsistency).

Each harness runs on its own: one that cannot run here (no detector installed for adherence) or
fails is listed under ``skipped`` with its one-line reason, and the others' scores stand.
:func:`add_to_sidecar` writes the scores into a sidecar atomically.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core import JsonResult, StudioError, error_line, json_bytes, one_line, write_bytes
from studio.evaluate.fps_consistency import FpsTolerances
from studio.evaluate.grounded_adherence import adherence_tasks
from studio.evaluate.video_evaluation import EvaluateOptions, VideoEvaluation, evaluate_video, evaluation_scores

if TYPE_CHECKING:
    from studio.registry import ModelCache

__all__ = ["GenerationScores", "ShotScores", "add_to_sidecar", "score_generation", "score_story"]

SIDECAR_KEY = "evaluation"
# a film's title card and a shot's held frames repeat pictures on purpose: its timing verdict is
# about the clock (drops, variable rate, the narration's drift), repeats are counted but allowed
FILM_TOLERANCES = FpsTolerances(duplicated_share=1.0)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GenerationScores(JsonResult):
    """What a sidecar keeps: the headline scores (:func:`~studio.evaluate.evaluation_scores`),
    the harnesses skipped and why, and the seconds scoring took."""

    harnesses: list[str]
    scores: dict[str, Any]
    skipped: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True)
class ShotScores(JsonResult):
    index: int  # 1-based, as the script counts
    prompt: str
    video: str  # the shot's own clip
    scores: GenerationScores


def _adherence_problem(cache: ModelCache, prompt: str) -> str | None:
    """Why adherence to ``prompt`` cannot run here (its analysis models missing), or None."""
    from studio import vision

    try:
        vision.plan_tasks(vision.AnalyzeOptions(tasks=adherence_tasks(prompt)), cache)
    except StudioError as exc:
        return one_line(str(exc))
    return None


def _scored(video: str | os.PathLike[str], harnesses: tuple[str, ...], prompt: str, cache: ModelCache,
            skipped: dict[str, str],
            tolerances: FpsTolerances | None = None) -> tuple[VideoEvaluation | None, GenerationScores]:  # fmt: skip
    """``harnesses`` on ``video``, each on its own: one that fails goes under ``skipped`` with
    why and never costs the others' scores, nor the video."""
    try:
        options = EvaluateOptions(harnesses=harnesses, prompt=prompt, tolerances=tolerances or FpsTolerances())
        result = evaluate_video(video, options, cache=cache, skipped=skipped)
    except Exception as exc:  # before any harness ran (the cache itself, say)
        log.warning("scoring %s failed", video, exc_info=True)
        skipped.update(dict.fromkeys(harnesses, error_line(exc).replace(os.fsdecode(video), Path(video).name)))
        return None, GenerationScores([], {}, skipped)
    if not result.harnesses:
        return None, GenerationScores([], {}, skipped)
    return result, GenerationScores(list(result.harnesses), evaluation_scores(result), skipped,
                                    round(sum(result.seconds.values()), 3))  # fmt: skip


def _harnesses(prompt: str, cache: ModelCache, skipped: dict[str, str], also: tuple[str, ...] = ()) -> tuple[str, ...]:
    chosen = [*also, "quality"]
    if not prompt.strip():
        skipped["prompt"] = "no prompt"
    elif (problem := _adherence_problem(cache, prompt)) is not None:
        skipped["prompt"] = problem
    else:
        chosen.append("prompt")
    return tuple(chosen)


def score_generation(video: str | os.PathLike[str], prompt: str,
                     cache: ModelCache) -> tuple[VideoEvaluation | None, GenerationScores]:  # fmt: skip
    """Quality and adherence to ``prompt`` of a generated ``video``: the full result (for its
    report and plots; ``None`` when nothing could run) and what its sidecar keeps."""
    skipped: dict[str, str] = {}
    return _scored(video, _harnesses(prompt, cache, skipped), prompt, cache, skipped)


def score_story(film: str | os.PathLike[str], shots: list[tuple[int, str, str]],
                cache: ModelCache) -> tuple[GenerationScores, list[ShotScores]]:  # fmt: skip
    """The film's frame timing, and each shot ``(index, prompt, clip)`` scored on its own clip
    (``video`` kept as the clip's file name)."""
    _, whole = _scored(film, ("fps",), "", cache, {}, FILM_TOLERANCES)
    each = []
    for index, prompt, clip in shots:
        shot_skipped: dict[str, str] = {}
        _, scores = _scored(clip, _harnesses(prompt, cache, shot_skipped), prompt, cache, shot_skipped)
        each.append(ShotScores(index, prompt, Path(clip).name, scores))
    return whole, each


def add_to_sidecar(sidecar: str | os.PathLike[str], scores: dict[str, Any]) -> None:
    """Write ``scores`` under ``"evaluation"`` in the JSON ``sidecar`` (replaced atomically)."""
    path = Path(sidecar)
    data = json.loads(path.read_text(encoding="utf-8"))
    data[SIDECAR_KEY] = scores
    write_bytes(path, json_bytes(data))
