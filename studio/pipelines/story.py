"""A story script in, one film out: shots generated, joined with moviepy, narrated, subtitled.

Everything that can be refused is refused before any weights load: the script, the model's
abilities (start images need an image-to-video model), every shot's size and frame count, and
each narration's length against its shot (espeak-ng speaks it first). Then each shot is made
with :func:`studio.pipelines.generate.generate_video` into ``<film>.shots/`` beside the film,
where it stays: running the same script again re-uses every shot whose settings did not change,
so a crash, a cancel or an edit to shot 3 costs only the shots it touches. A shot that
``continue``s starts from the previous shot's last frame (image-to-video).

moviepy joins the shots (cuts or crossfades, a title card) and mixes the narration, each
spoken line starting a moment after its shot begins. Subtitles come from the narration at
the times it is spoken: a text track in the file, burned into the frames, or both, and an SRT
beside the film. The film is written by :class:`studio.media.VideoWriter` at one exact
frame rate, atomically, with its thumbnail and a JSON sidecar that lists every shot's settings.
"""

from __future__ import annotations

import dataclasses
import math
import os
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from studio import media
from studio.errors import InputError, OutputError
from studio.generation import MAX_SEED, GeneratedVideo, GenerateOptions, resolve_request
from studio.generation_memory import check_fits
from studio.outputs import atomic_path, check_outputs, json_bytes, os_reason, write_json, write_text
from studio.pipelines.generate import check_image, generate_video, library_versions, sidecar_path
from studio.pipelines.story_join import Piece, join_film
from studio.progress import CancelFlag, Progress, check_cancel
from studio.registry import LoadOptions, ModelCache, ModelSpec, default_cache
from studio.serialize import SCHEMA_VERSION, JsonResult
from studio.story import Story
from studio.subtitles import to_srt

__all__ = ["StoryFilm", "StoryShot", "check_story", "make_story", "shots_folder"]

TASK = "text-to-video"
NARRATION_LEAD_S = 0.3  # the shot is seen for a moment before its narration starts
NARRATION_TAIL_S = 0.5  # and, when its length comes from the narration, holds a moment after
SPEECH_RATE = 22050  # espeak-ng's own rate: the narration is mixed and encoded at it
GENERATE_SHARE = 0.9  # of the progress bar: making the shots; the rest is joining and encoding


@dataclass(frozen=True)
class StoryShot(JsonResult):
    index: int  # 1-based, as the script counts
    prompt: str
    narration: str
    start_s: float  # where the shot begins in the film
    duration_s: float  # how long it is seen (whole frames at the film's rate)
    narration_start_s: float | None  # when its narration is spoken in the film
    narration_end_s: float | None
    video: str  # the shot on its own, kept in the shots folder
    reused: bool  # made by an earlier run with the same settings
    settings: GeneratedVideo  # everything that made the shot (its sidecar)


@dataclass(frozen=True)
class StoryFilm(JsonResult):
    path: str
    model: str
    fps: int
    width: int
    height: int
    frames: int
    seed: int  # the story's base seed: shot k uses seed + k unless it names its own
    title: str
    transition: str
    crossfade_s: float
    subtitles: str
    voice: str
    shots: tuple[StoryShot, ...]
    srt: str | None
    thumbnail: str
    audio: bool
    processing_s: float
    versions: dict[str, str] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps

    def json_extras(self) -> dict[str, Any]:
        return {"duration_s": self.duration_s}


@dataclass(frozen=True)
class _Plan:
    """One shot with every choice made, before anything is generated."""

    index: int
    frames: int  # seen in the film, at the film's rate
    options: GenerateOptions
    speech: np.ndarray | None


def shots_folder(film: str | os.PathLike[str]) -> Path:
    """Where a film's shots are kept: ``film.shots/`` beside ``film.mp4``."""
    path = Path(film)
    return path.with_name(path.stem + ".shots")


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


def _speeches(story: Story) -> list[tuple[np.ndarray, int] | None]:
    from studio.speech import speak

    return [speak(shot.narration, story.voice, story.words_per_minute) if shot.narration.strip() else None
            for shot in story.shots]  # fmt: skip


def _shot_seconds(story: Story, index: int, speech_s: float, params: dict[str, Any]) -> float:
    shot = story.shots[index]
    if shot.duration_s is None:
        if speech_s:
            return math.ceil((NARRATION_LEAD_S + speech_s + NARRATION_TAIL_S) * 10) / 10
        return int(params.get("frames", 33)) / int(params.get("fps", 16))
    if speech_s and NARRATION_LEAD_S + speech_s > shot.duration_s:
        needed = math.ceil((NARRATION_LEAD_S + speech_s + NARRATION_TAIL_S) * 10) / 10
        raise InputError(
            f"shot {index + 1}: its narration takes {speech_s:.1f} s but the shot lasts {shot.duration_s:g} s; "
            f"make it {needed:g} s (or leave duration out) or shorten the text"
        )
    return shot.duration_s


def _model_frames(seen: int, fps: int, params: dict[str, Any]) -> int:
    """The fewest frames the model can make that cover ``seen`` frames at ``fps``."""
    step, model_fps = int(params.get("frame_step", 1)), int(params.get("fps", 16))
    needed = max(2, math.ceil(seen * model_fps / fps))
    return 1 + step * max(1, math.ceil((needed - 1) / step))


def _plan(story: Story, spec: ModelSpec, fps: int, speeches: list[tuple[np.ndarray, int] | None]) -> list[_Plan]:
    plans = []
    for index, shot in enumerate(story.shots):
        speech = speeches[index]
        speech_s = len(speech[0]) / speech[1] if speech else 0.0
        seen = max(1, round(_shot_seconds(story, index, speech_s, spec.params) * fps))
        options = GenerateOptions(
            negative_prompt=shot.negative_prompt or story.negative_prompt, seed=shot.seed, steps=story.steps,
            guidance_scale=story.guidance_scale, width=story.width, height=story.height,
            frames=_model_frames(seen, fps, spec.params), fps=fps, image=shot.image or None,
        )  # fmt: skip
        try:
            resolve_request(shot.prompt, options, spec.params, seed=0)  # every shape rule, before any weights load
        except InputError as exc:
            raise InputError(f"shot {index + 1}: {exc}") from None
        plans.append(_Plan(index, seen, options, speech[0] if speech else None))
    return plans


def _made_before(video: Path, request: dict[str, Any], model: str, load: LoadOptions) -> GeneratedVideo | None:
    """The shot an earlier run made with exactly these settings, if it is still there."""
    import json

    try:
        data = json.loads(sidecar_path(video).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    wanted = json.loads(json_bytes({**request, "model": model, "dtype": load.dtype}))
    if not video.is_file() or any(data.get(key) != value for key, value in wanted.items()):
        return None
    return GeneratedVideo.from_dict(data)


def _shot_frames(video: str, count: int) -> list[np.ndarray]:
    """The first ``count`` frames of a shot (its last one held if the model made fewer)."""
    frames = [frame.image for frame in media.iter_frames(video)][:count]
    return frames + [frames[-1]] * (count - len(frames))


def _save_picture(frame: np.ndarray, target: Path) -> Path:
    from PIL import Image

    with atomic_path(target) as temporary:
        Image.fromarray(frame).save(temporary, format="PNG")
    return target


def _prepare(story: Story, cache: ModelCache) -> tuple[ModelSpec, int, list[_Plan]]:
    spec = cache.registry.choose(TASK, story.model, cache.settings)
    _check_abilities(story, spec, cache)
    fps = story.fps or int(spec.params.get("fps", 16))
    return spec, fps, _plan(story, spec, fps, _speeches(story))


def check_story(story: Story, cache: ModelCache | None = None) -> ModelSpec:
    """Everything :func:`make_story` would refuse, refused now, before any weights load; the
    model that would make the story."""
    return _prepare(story, cache or default_cache())[0]


def make_story(
    story: Story,
    output: str | os.PathLike[str],
    *,
    cache: ModelCache | None = None,
    load: LoadOptions | None = None,
    device: str | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> StoryFilm:
    """Make ``story`` into one film at ``output`` (.mp4, .m4v, .mov or .mkv)."""
    cache, load = cache or default_cache(), load or LoadOptions()
    media.check_video_suffix(output)
    target = Path(output)
    check_outputs([s.image for s in story.shots if s.image],
                  [target, target.with_suffix(".png"), sidecar_path(target), target.with_suffix(".srt")])  # fmt: skip
    spec, fps, plans = _prepare(story, cache)
    longest = max(plans, key=lambda plan: plan.options.frames or 0)  # every shot has the same size
    request = resolve_request(story.shots[longest.index].prompt, longest.options, spec.params, seed=0)
    check_fits(spec, request, device or cache.settings.resolve_device(), load, cache)  # before any shot is made
    base_seed = story.seed if story.seed is not None else secrets.randbelow(MAX_SEED + 1)
    started = time.perf_counter()
    folder = shots_folder(target)
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise OutputError(folder, f"cannot keep the story's shots here ({os_reason(exc)})") from None
    made: list[tuple[GeneratedVideo, bool]] = []
    for plan in plans:
        check_cancel(cancel, "story")
        made.append(_make_shot(story, plan, spec, folder, base_seed, made, cache, load, device, progress, cancel))
    pieces = [Piece(_shot_frames(video.path, plan.frames), story.shots[plan.index].narration, plan.speech)
              for plan, (video, _) in zip(plans, made, strict=True)]  # fmt: skip

    def join_progress(fraction: float, message: str) -> None:
        if progress is not None:
            progress(GENERATE_SHARE + (1 - GENERATE_SHARE) * fraction, message)

    joined = join_film(pieces, target, fps=fps, title=story.title, title_s=story.title_s,
                       crossfade_s=story.crossfade_s if story.transition == "crossfade" else 0.0,
                       subtitles=story.subtitles, speech_rate=SPEECH_RATE, narration_lead_s=NARRATION_LEAD_S,
                       progress=join_progress, cancel=cancel)  # fmt: skip
    srt = target.with_suffix(".srt") if story.subtitles != "none" and joined.transcript.segments else None
    if srt is not None:
        write_text(srt, to_srt(joined.transcript))
    shots = tuple(
        StoryShot(index=plan.index + 1, prompt=story.shots[plan.index].prompt,
                  narration=story.shots[plan.index].narration, start_s=round(start, 6),
                  duration_s=round(plan.frames / fps, 6), narration_start_s=span[0] if span else None,
                  narration_end_s=span[1] if span else None, video=video.path, reused=reused, settings=video)
        for plan, (video, reused), start, span in zip(plans, made, joined.starts, joined.speech_spans, strict=True)
    )  # fmt: skip
    film = StoryFilm(
        path=os.fsdecode(target), model=spec.name, fps=fps, width=joined.first_frame.shape[1],
        height=joined.first_frame.shape[0], frames=joined.frames, seed=base_seed, title=story.title,
        transition=story.transition, crossfade_s=story.crossfade_s if story.transition == "crossfade" else 0.0,
        subtitles=story.subtitles, voice=story.voice, shots=shots, srt=os.fsdecode(srt) if srt else None,
        thumbnail=os.fsdecode(_save_picture(joined.first_frame, target.with_suffix(".png"))),
        audio=any(plan.speech is not None for plan in plans), processing_s=round(time.perf_counter() - started, 3),
        versions=library_versions(),
    )  # fmt: skip
    write_json(sidecar_path(target), film.to_dict())
    if progress is not None:
        progress(1.0, f"{film.frames} frames written")
    return film


def _make_shot(
    story: Story,
    plan: _Plan,
    spec: ModelSpec,
    folder: Path,
    base_seed: int,
    made: Sequence[tuple[GeneratedVideo, bool]],
    cache: ModelCache,
    load: LoadOptions,
    device: str | None,
    progress: Progress | None,
    cancel: CancelFlag | None,
) -> tuple[GeneratedVideo, bool]:
    """Shot ``plan.index``, made now or re-used from an earlier run with the same settings."""
    shot, total = story.shots[plan.index], len(story.shots)
    video = folder / f"shot-{plan.index + 1:02d}.mp4"
    options = dataclasses.replace(plan.options, seed=story.seed_of(plan.index, base_seed))
    if shot.follow:  # the previous shot's last frame, as this one's start
        previous, previous_reused = made[-1]
        start = folder / f"shot-{plan.index:02d}-last.png"
        if not (previous_reused and start.is_file()):
            _save_picture(_shot_frames(previous.path, previous.video_frames or previous.frames)[-1], start)
        options = dataclasses.replace(options, image=os.fsdecode(start))
        upstream_fresh = not previous_reused
    else:
        upstream_fresh = False
    request = dataclasses.asdict(resolve_request(shot.prompt, options, spec.params, options.seed or 0))
    earlier = None if upstream_fresh else _made_before(video, request, spec.name, load)
    if earlier is not None:
        return earlier, True

    def shot_progress(fraction: float, message: str) -> None:
        if progress is not None:
            progress(GENERATE_SHARE * (plan.index + fraction) / total, f"shot {plan.index + 1} of {total}: {message}")

    result = generate_video(shot.prompt, video, model=spec.name, options=options, load=load, device=device,
                            cache=cache, progress=shot_progress, cancel=cancel)  # fmt: skip
    return result, False
