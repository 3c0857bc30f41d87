"""A story's shots, each made once: kept in ``<film>.shots/`` with a key of everything that made
it, so a run of the same script re-uses every shot whose key still matches.

The key holds the shot's full request (prompt, seed, steps, size, frames, rate, scheduler,
LoRAs), the model, its revision and load options, and the SHA-256 of its start image's bytes,
so a start picture replaced under the same name, or a previous shot made again (whose last
frame a continuing shot starts from), makes the shot again. A shot that ``continue``s starts
from the previous shot's last frame *as the film shows it*, rewritten every run.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from studio.core import CancelFlag, Progress, file_sha256, json_bytes, write_json
from studio.generation.contract import GeneratedVideo
from studio.generation.generate import generate_video, save_picture, sidecar_path
from studio.generation.options import resolve_request
from studio.generation.story.join import Piece, ShotReader
from studio.generation.story.plan import ShotPlan
from studio.generation.story.script import Story
from studio.registry import LoadOptions, ModelCache, ModelSpec

__all__ = ["make_shot"]


def _key(request: dict[str, Any], spec: ModelSpec, load: LoadOptions) -> dict[str, Any]:
    """Everything that made a shot, as JSON data; the start image by its content."""
    image = request.get("image") or ""
    made = {**request, "image_sha256": file_sha256(image) if image else "", "model": spec.name,
            "revision": spec.revision, "load": dataclasses.asdict(load)}  # fmt: skip
    made.pop("image", None)  # where the picture is does not matter, what it shows does
    data: dict[str, Any] = json.loads(json_bytes(made))
    return data


def _made_before(video: Path, key: dict[str, Any]) -> GeneratedVideo | None:
    """The shot an earlier run made with exactly this key, if its files are all still there."""
    try:
        kept = json.loads(video.with_suffix(".key.json").read_text(encoding="utf-8"))
        data = json.loads(sidecar_path(video).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if kept != key or not video.is_file():
        return None
    earlier = GeneratedVideo.from_dict(data)  # where it is now, wherever the folder was when it was made
    return dataclasses.replace(earlier, path=os.fsdecode(video), thumbnail=os.fsdecode(video.with_suffix(".png")))


def make_shot(
    story: Story,
    plan: ShotPlan,
    spec: ModelSpec,
    folder: Path,
    seed: int,
    made: Sequence[tuple[GeneratedVideo, ShotPlan]],
    cache: ModelCache,
    load: LoadOptions,
    device: str | None,
    progress: Progress | None,
    cancel: CancelFlag | None,
) -> tuple[GeneratedVideo, bool]:
    """Shot ``plan`` made now, or re-used from an earlier run with the same key; and whether
    it was re-used. ``made`` are the shots before it, with their plans."""
    shot = story.shots[plan.index]
    video = folder / f"shot-{plan.index + 1:02d}.mp4"
    options = dataclasses.replace(plan.options, seed=seed)
    if shot.follow:  # the previous shot's last frame as the film shows it, as this one's start
        previous, previous_plan = made[-1]
        reader = ShotReader(Piece(previous.path, previous_plan.frames))
        try:
            last_shown = reader.frame(previous_plan.frames - 1)
        finally:
            reader.close()
        start = save_picture(last_shown, folder / f"shot-{plan.index:02d}-last.png")
        options = dataclasses.replace(options, image=os.fsdecode(start))
    request = dataclasses.asdict(resolve_request(shot.prompt, options, spec.params, seed))
    key = _key(request, spec, load)
    earlier = _made_before(video, key)
    if earlier is not None:
        return earlier, True
    total = len(story.shots)

    def shot_progress(fraction: float, message: str) -> None:
        if progress is not None:
            progress((plan.index + fraction) / total, f"shot {plan.index + 1} of {total}: {message}")

    result = generate_video(shot.prompt, video, model=spec.name, options=options, load=load, device=device,
                            cache=cache, progress=shot_progress, cancel=cancel)  # fmt: skip
    write_json(video.with_suffix(".key.json"), key)  # after the shot: a shot without its key is made again
    return result, False
