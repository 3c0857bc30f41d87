"""A story planned before anything loads: the model, the film's rate, each shot's length, frames
and options, the narration spoken (and its length checked against its shot), crossfades that
fit, and the memory the largest shot needs. Everything a story can be refused for is refused
here, so a bad script costs no weights and no GPU time.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from studio.core import InputError
from studio.generation.generate import check_image
from studio.generation.memory import check_fits
from studio.generation.options import MAX_DURATION_S, GenerateOptions, resolve_request
from studio.generation.story.script import Story
from studio.registry import LoadOptions, ModelCache, ModelSpec, default_cache

__all__ = ["NARRATION_LEAD_S", "SPEECH_RATE", "ShotPlan", "StoryPlan", "check_story", "plan_story"]

TASK = "text-to-video"
NARRATION_LEAD_S = 0.3  # the shot is seen for a moment before its narration starts
NARRATION_TAIL_S = 0.5  # and, when its length comes from the narration, holds a moment after
SPEECH_RATE = 22050  # espeak-ng's own rate: every narration is mixed and encoded at it


@dataclass(frozen=True)
class ShotPlan:
    """One shot with every choice made but its seed."""

    index: int
    frames: int  # seen in the film, at the film's rate
    options: GenerateOptions
    speech: np.ndarray | None  # mono float32 at SPEECH_RATE


@dataclass(frozen=True)
class StoryPlan:
    spec: ModelSpec
    fps: int
    shots: tuple[ShotPlan, ...]
    crossfade_s: float  # 0 for cuts


def _check_abilities(story: Story, spec: ModelSpec, cache: ModelCache) -> None:
    for number, shot in enumerate(story.shots, start=1):
        if shot.follow and not spec.can("image-to-video"):
            able = [s.name for s in cache.registry.specs(TASK) if s.can("image-to-video")]
            raise InputError(
                f"shot {number} continues from the previous shot, which needs an image-to-video model; "
                f"{spec.name} makes video from text only; use one of: {', '.join(able)}"
            )
        if not shot.follow:
            try:
                check_image(shot.image, spec, cache)
            except InputError as exc:
                raise InputError(f"shot {number}: {exc}") from None


def _speech(text: str, story: Story) -> np.ndarray | None:
    """The narration spoken by espeak-ng, at :data:`SPEECH_RATE`."""
    if not text.strip():
        return None
    from studio.speech import speak

    samples, rate = speak(text, story.voice, story.words_per_minute)
    if rate != SPEECH_RATE:  # some voices (mbrola) speak at 16 kHz
        count = round(len(samples) * SPEECH_RATE / rate)
        samples = np.interp(np.arange(count) * rate / SPEECH_RATE, np.arange(len(samples)), samples)
    return np.asarray(samples, dtype=np.float32)


def _shot_seconds(story: Story, index: int, speech_s: float, fade_s: float, params: dict[str, Any]) -> float:
    """How long shot ``index`` is seen: as the script says, or its narration's length plus a
    pause (and the crossfade into the next shot, so two voices never overlap)."""
    shot = story.shots[index]
    needed = math.ceil((NARRATION_LEAD_S + speech_s + NARRATION_TAIL_S + fade_s) * 10) / 10
    if shot.duration_s is None:
        if needed > MAX_DURATION_S:
            raise InputError(f"shot {index + 1}: its narration takes {speech_s:.1f} s, longer than a shot can be "
                             f"({MAX_DURATION_S:g} s): split it over more shots")  # fmt: skip
        return needed if speech_s else int(params.get("frames", 33)) / int(params.get("fps", 16))
    if speech_s and NARRATION_LEAD_S + speech_s + fade_s > shot.duration_s:
        fading = f" before the {fade_s:g} s crossfade" if fade_s else ""
        raise InputError(
            f"shot {index + 1}: its narration takes {speech_s:.1f} s but the shot lasts {shot.duration_s:g} s"
            f"{fading}; make it {needed:g} s (or leave duration out) or shorten the text"
        )
    return shot.duration_s


def _model_frames(seen: int, fps: int, params: dict[str, Any]) -> int:
    """The fewest frames the model can make that cover ``seen`` frames at ``fps``."""
    step, model_fps = int(params.get("frame_step", 1)), int(params.get("fps", 16))
    needed = max(2, math.ceil(seen * model_fps / fps))
    return 1 + step * max(1, math.ceil((needed - 1) / step))


def _check_crossfade(story: Story, seen: list[int], fps: int, fade_frames: int) -> None:
    """A crossfade must be shorter than everything it joins, the title card included."""
    lengths = {f"shot {number}": frames for number, frames in enumerate(seen, start=1)}
    if story.title:
        lengths["the title card"] = round(story.title_s * fps)
    shortest = min(lengths, key=lambda name: lengths[name])
    if fade_frames and lengths[shortest] <= fade_frames:
        raise InputError(f"a crossfade of {story.crossfade_s:g} s needs every shot and the title longer than it; "
                         f"{shortest} lasts {lengths[shortest] / fps:g} s")  # fmt: skip


def plan_story(
    story: Story,
    cache: ModelCache | None = None,
    load: LoadOptions | None = None,
    device: str | None = None,
) -> StoryPlan:
    """Everything a story needs decided, and everything it can be refused for refused, before
    any weights load (``load`` and ``device`` size the memory check)."""
    cache = cache or default_cache()
    if importlib.util.find_spec("moviepy") is None:
        raise InputError(
            "stories are joined with moviepy, which is not installed: pip install 'media-studio[generate]'"
        )
    spec = cache.registry.choose(TASK, story.model, cache.settings)
    _check_abilities(story, spec, cache)
    fps = story.fps or int(spec.params.get("fps", 16))
    fade_s = story.crossfade_s if story.transition == "crossfade" else 0.0
    fade_frames = round(fade_s * fps)
    plans, seen = [], []
    for index, shot in enumerate(story.shots):
        speech = _speech(shot.narration, story)
        fading = fade_frames / fps if index < len(story.shots) - 1 else 0.0  # the next shot fades in over its end
        speech_s = len(speech) / SPEECH_RATE if speech is not None else 0.0
        seen.append(max(1, round(_shot_seconds(story, index, speech_s, fading, spec.params) * fps)))
        try:
            options = GenerateOptions(
                negative_prompt=shot.negative_prompt or story.negative_prompt, seed=shot.seed, steps=story.steps,
                guidance_scale=story.guidance_scale, width=story.width, height=story.height,
                frames=_model_frames(seen[-1], fps, spec.params), fps=fps, image=shot.image or None,
            )  # fmt: skip
            resolve_request(shot.prompt, options, spec.params, seed=0)  # every shape rule
        except InputError as exc:
            raise InputError(f"shot {index + 1}: {exc}") from None
        plans.append(ShotPlan(index, seen[-1], options, speech))
    if story.title and story.title_s and round(story.title_s * fps) < 1:
        raise InputError(
            f"expected a title card of at least one frame (1/{fps} s), got title_seconds {story.title_s:g}"
        )
    _check_crossfade(story, seen, fps, fade_frames)
    longest = max(plans, key=lambda plan: plan.options.frames or 0)  # every shot has the same size
    request = resolve_request(story.shots[longest.index].prompt, longest.options, spec.params, seed=0)
    check_fits(spec, request, device or cache.settings.resolve_device(), load, cache)
    return StoryPlan(spec, fps, tuple(plans), fade_frames / fps)


def check_story(story: Story, cache: ModelCache | None = None, load: LoadOptions | None = None) -> ModelSpec:
    """What :func:`studio.generation.story.film.make_story` would refuse, refused now; the model that
    would make the story."""
    return plan_story(story, cache, load).spec
