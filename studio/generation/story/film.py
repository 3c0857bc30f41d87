"""A story script in, one film out: shots generated, joined with moviepy, narrated, subtitled.

:mod:`studio.generation.story.plan` decides everything and refuses what cannot be made before
any weights load. :mod:`studio.generation.story.shots` makes each shot with
:func:`studio.generation.generate.generate_video` into ``<film>.shots/`` beside the film, where
it stays: running the same script again re-uses every shot whose key (request, model, load
options, start image's content) did not change, so a crash, a cancel or an edit to shot 3 costs
only the shots it touches. :mod:`studio.generation.story.join` joins them with moviepy (cuts or
crossfades, a title card), mixes the narration, and writes the film with its subtitles at one
exact frame rate, atomically. Beside it go an SRT, a thumbnail and a JSON sidecar that lists
every shot's settings.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio import media
from studio.core import (
    SCHEMA_VERSION,
    CancelFlag,
    InputError,
    JsonResult,
    OutputError,
    Progress,
    check_cancel,
    check_outputs,
    os_reason,
    write_json,
    write_text,
)
from studio.generation.contract import GeneratedVideo
from studio.generation.generate import library_versions, save_picture, sidecar_path
from studio.generation.options import MAX_SEED
from studio.generation.story.join import Piece, join_film
from studio.generation.story.plan import NARRATION_LEAD_S, SPEECH_RATE, ShotPlan, check_story, plan_story
from studio.generation.story.script import Story
from studio.generation.story.shots import make_shot
from studio.registry import LoadOptions, ModelCache, default_cache
from studio.speech import to_srt

__all__ = ["StoryFilm", "StoryShot", "check_story", "make_story", "shots_folder", "story_outputs"]

GENERATE_SHARE = 0.9  # of the progress bar: making the shots; the rest is joining and encoding
SEED_FILE_BYTES = 1_000_000  # as every document the studio reads; {"seed": N} is 20 bytes


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


def shots_folder(film: str | os.PathLike[str]) -> Path:
    """Where a film's shots are kept: ``film.shots/`` beside ``film.mp4``."""
    path = Path(film)
    return path.with_name(path.stem + ".shots")


def story_outputs(film: str | os.PathLike[str]) -> list[Path]:
    """The files a story writes beside each other: the film, its thumbnail, sidecar and SRT."""
    target = Path(film)
    return [target, target.with_suffix(".png"), sidecar_path(target), target.with_suffix(".srt")]


def _base_seed(story: Story, folder: Path) -> int:
    """The script's seed; without one, the seed drawn when these shots were first made (kept
    in the shots folder, so a run after a crash or a cancel continues the same film), or a new
    one when none was kept. A kept seed that cannot be read stops the run: a new seed would
    make every shot again, silently."""
    if story.seed is not None:
        return story.seed
    kept = folder / "seed.json"
    if not os.path.lexists(kept):
        seed = secrets.randbelow(MAX_SEED + 1)
        write_json(kept, {"seed": seed})
        return seed
    try:
        data = media.read_json(kept, max_bytes=SEED_FILE_BYTES, what="the story's seed file")
        if not isinstance(data, dict):
            raise InputError(f"{kept}: expected an object with the story's seed, got {_json_kind(data)}")
        try:
            seed = media.expect_type("seed", data.get("seed"), int)
        except InputError as exc:
            raise InputError(f"{kept}: {exc}") from None
        if not 0 <= seed <= MAX_SEED:
            raise InputError(f"{kept}: the seed must be between 0 and {MAX_SEED}, got {seed}")
        return int(seed)
    except InputError as exc:
        raise InputError(f"{exc}; {_seed_hint(story, folder)}") from None


def _json_kind(data: Any) -> str:
    kinds = {list: "a list", str: "text", bool: "true or false", int: "a number", float: "a number"}
    return next((name for kind, name in kinds.items() if isinstance(data, kind)), "null")


def _seed_hint(story: Story, folder: Path) -> str:
    """What to do about a seed file that cannot be read: the seed the kept shots were made
    with (from the first one whose seed came from the story's), or how to start again."""
    for index, shot in enumerate(story.shots):
        if shot.seed is not None:
            continue
        try:
            made = media.read_json(folder / f"shot-{index + 1:02d}.json", max_bytes=SEED_FILE_BYTES,
                                   what="a shot's sidecar")  # fmt: skip
        except InputError:
            continue
        seed = made.get("seed") if isinstance(made, dict) else None
        if isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed <= MAX_SEED:
            base = (seed - index) % (MAX_SEED + 1)
            return (f"the shots there were made with seed {base}: give the story that seed (seed: {base} in the "
                    f"script, or --seed {base}) to keep them, or delete seed.json to make them all again")  # fmt: skip
    return (
        "no shot there says which seed made it: give the story a seed (seed: N in the script, or --seed N), "
        "or delete seed.json to make every shot again"
    )


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
    check_outputs([s.image for s in story.shots if s.image], story_outputs(target))
    plan = plan_story(story, cache, load, device)  # every refusal, before any weights load
    spec, fps = plan.spec, plan.fps
    started = time.perf_counter()
    folder = shots_folder(target)
    try:
        folder.mkdir(parents=True, exist_ok=True)  # as the writers make an output's missing folders
    except OSError as exc:
        raise OutputError(folder, f"cannot keep the story's shots here ({os_reason(exc)})") from None
    base_seed = _base_seed(story, folder)
    done: list[tuple[GeneratedVideo, ShotPlan]] = []
    reused: list[bool] = []

    def shot_progress(fraction: float, message: str) -> None:
        if progress is not None:
            progress(GENERATE_SHARE * fraction, message)

    for shot in plan.shots:
        check_cancel(cancel, "story")
        video, again = make_shot(story, shot, spec, folder, story.seed_of(shot.index, base_seed), done, cache, load,
                                 device, shot_progress, cancel)  # fmt: skip
        done.append((video, shot))
        reused.append(again)
    plans = [shot for _, shot in done]
    made = [(video, again) for (video, _), again in zip(done, reused, strict=True)]
    pieces = [Piece(video.path, plan.frames, story.shots[plan.index].narration, plan.speech)
              for plan, (video, _) in zip(plans, made, strict=True)]  # fmt: skip

    def join_progress(fraction: float, message: str) -> None:
        if progress is not None:
            progress(GENERATE_SHARE + (1 - GENERATE_SHARE) * fraction, message)

    joined = join_film(pieces, target, fps=fps, title=story.title, title_s=story.title_s,
                       crossfade_s=plan.crossfade_s,
                       subtitles=story.subtitles, speech_rate=SPEECH_RATE, narration_lead_s=NARRATION_LEAD_S,
                       progress=join_progress, cancel=cancel)  # fmt: skip
    srt = target.with_suffix(".srt") if story.subtitles != "none" and joined.transcript.segments else None
    if srt is not None:
        write_text(srt, to_srt(joined.transcript))
    else:  # an SRT of an earlier film of this name would describe the wrong film
        target.with_suffix(".srt").unlink(missing_ok=True)
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
        transition=story.transition, crossfade_s=plan.crossfade_s,
        subtitles=story.subtitles, voice=story.voice, shots=shots, srt=os.fsdecode(srt) if srt else None,
        thumbnail=os.fsdecode(save_picture(joined.first_frame, target.with_suffix(".png"))),
        audio=any(shot.speech is not None for shot in plans), processing_s=round(time.perf_counter() - started, 3),
        versions=library_versions(),
    )  # fmt: skip
    write_json(sidecar_path(target), film.to_dict())
    if progress is not None:
        progress(1.0, f"{film.frames} frames written")
    return film
