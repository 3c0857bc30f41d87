"""A story script: a list of shots (prompt, duration, narration, start image) and how to join them.

A script is YAML (or JSON, which YAML reads too)::

    title: A morning in the city     # optional title card
    fps: 16                          # optional: the film's rate (default: the model's own)
    seed: 7                          # optional: shot k uses seed + k unless it names its own
    transition: crossfade            # cut (default) or crossfade
    subtitles: track                 # track (default), burn, both or none
    shots:
      - prompt: a red car drives down a street at night
        narration: The city never sleeps.
        duration: 3                  # seconds; default: the narration's length plus a pause
      - prompt: the car stops at a beach at dawn
        narration: By morning, the road ends at the sea.
        continue: true               # start from the previous shot's last frame (image-to-video)
      - prompt: waves roll in
        image: waves.png             # a start picture, relative to the script's folder

Unknown keys are refused by name, so a typo never silently does nothing.
"""

from __future__ import annotations

import math
import os
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio import media
from studio.core import InputError, MediaError
from studio.generation.options import MAX_DURATION_S, MAX_SEED

__all__ = ["SUBTITLE_MODES", "TRANSITIONS", "Shot", "Story", "parse_story", "read_story"]

TRANSITIONS = ("cut", "crossfade")
SUBTITLE_MODES = ("track", "burn", "both", "none")
MAX_SHOTS = 64
MAX_SCRIPT_BYTES = 1_000_000


@dataclass(frozen=True)
class Shot:
    prompt: str
    duration_s: float | None = None  # None: the narration's length plus a pause, or the model's own length
    narration: str = ""
    image: str = ""  # a start picture (absolute path)
    follow: bool = False  # start from the previous shot's last frame
    negative_prompt: str = ""
    seed: int | None = None


@dataclass(frozen=True)
class Story:
    shots: tuple[Shot, ...]
    title: str = ""
    title_s: float = 2.0
    model: str | None = None
    fps: int | None = None
    width: int | None = None
    height: int | None = None
    steps: int | None = None
    guidance_scale: float | None = None
    negative_prompt: str = ""
    seed: int | None = None
    voice: str = "en-us"  # an espeak-ng voice
    words_per_minute: int = 150
    transition: str = "cut"
    crossfade_s: float = 0.5
    subtitles: str = "track"

    def __post_init__(self) -> None:
        if not self.shots:
            raise InputError("the story has no shots: list them under 'shots'")
        if len(self.shots) > MAX_SHOTS:
            raise InputError(f"expected at most {MAX_SHOTS} shots, got {len(self.shots)}")
        if self.transition not in TRANSITIONS:
            raise InputError(f"expected transition one of {', '.join(TRANSITIONS)}, got {self.transition!r}")
        if self.subtitles not in SUBTITLE_MODES:
            raise InputError(f"expected subtitles one of {', '.join(SUBTITLE_MODES)}, got {self.subtitles!r}")
        if self.shots[0].follow:
            raise InputError("shot 1 cannot continue from a previous shot: there is none")
        if not 0 <= self.title_s <= 30:
            raise InputError(f"expected 0 <= title_seconds <= 30, got {self.title_s}")
        if self.fps is not None and not 1 <= self.fps <= 120:
            raise InputError(f"expected 1 <= fps <= 120 frames per second, got {self.fps}")
        if self.seed is not None and not 0 <= self.seed <= MAX_SEED:
            raise InputError(f"expected 0 <= seed <= {MAX_SEED}, got {self.seed}")
        if not 80 <= self.words_per_minute <= 450:
            raise InputError(f"expected 80 <= words_per_minute <= 450, got {self.words_per_minute}")
        if self.transition == "crossfade" and not 0 < self.crossfade_s <= 5.0:
            raise InputError(f"expected 0 < crossfade_seconds <= 5, got {self.crossfade_s}")

    def seed_of(self, index: int, base: int) -> int:
        """Shot ``index``'s seed: its own, else the story's (or ``base``) plus its index."""
        own = self.shots[index].seed
        return own if own is not None else (base + index) % (MAX_SEED + 1)


_STORY_KEYS = {"title": str, "title_seconds": float, "model": str, "fps": int, "width": int, "height": int,
               "steps": int, "guidance": float, "negative_prompt": str, "seed": int, "voice": str,
               "words_per_minute": int, "transition": str, "crossfade_seconds": float, "subtitles": str,
               "shots": list}  # fmt: skip
_SHOT_KEYS = {"prompt": str, "duration": float, "narration": str, "image": str, "continue": bool,
              "negative_prompt": str, "seed": int}  # fmt: skip
_SHOWN = reprlib.Repr()  # a value shown in an error, small even when it is a YAML bomb
_SHOWN.maxlevel, _SHOWN.maxlist, _SHOWN.maxdict, _SHOWN.maxstring, _SHOWN.maxother = 2, 4, 4, 60, 60
_FIELDS = {"title_seconds": "title_s", "guidance": "guidance_scale", "crossfade_seconds": "crossfade_s",
           "duration": "duration_s", "continue": "follow"}  # fmt: skip


def _typed(where: str, key: str, value: Any, kind: type) -> Any:
    if isinstance(value, media.LargeNumber):
        line = f" (line {value.line})" if value.line else ""
        raise InputError(f"{where}: '{key}'{line} is {value}, far past anything a story uses")
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    if kind is str and isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value).strip()
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return value
    names = {float: "a number", int: "a whole number", str: "text", bool: "true or false", list: "a list"}
    raise InputError(f"{where}: '{key}' must be {names[kind]}, got {_SHOWN.repr(value)}")


def _checked(where: str, data: Any, keys: dict[str, type]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a mapping of keys ({', '.join(keys)}), got {type(data).__name__}")
    unknown = [str(key) for key in data if key not in keys]
    if unknown:
        raise InputError(f"{where}: unknown key {unknown[0]!r}; the keys are {', '.join(keys)}")
    return {_FIELDS.get(str(key), str(key)): _typed(where, str(key), value, keys[str(key)])
            for key, value in data.items() if value is not None}  # fmt: skip


def _start_image(where: str, name: str, folder: Path | None, uploads: Mapping[str, str]) -> str:
    """A shot's start image: an uploaded file of that name, else a file inside ``folder`` (the
    script's), named relative to it; with no folder, as on the server, only uploads: a script
    never reads a file from anywhere else."""
    if name in uploads:
        return uploads[name]
    if folder is None:
        raise InputError(f"{where}: no start image named {name!r} was uploaded with the script")
    inside = folder.resolve()
    image = (inside / Path(name).expanduser()).resolve()  # links followed: a link out is outside
    if not image.is_relative_to(inside):
        raise InputError(f"{where}: the start image {name!r} is outside the script's folder {folder}; "
                         "start images are read only from there")  # fmt: skip
    try:
        media.check_local_file(image)
    except MediaError as exc:
        why = f"does not exist in {folder}" if exc.reason.startswith("no such file") else exc.reason
        raise InputError(f"{where}: the start image {name!r} {why}") from None
    return os.fsdecode(image)


def _shot(index: int, data: Any, folder: Path | None, uploads: Mapping[str, str]) -> Shot:
    where = f"shot {index + 1}"
    values = _checked(where, data, _SHOT_KEYS)
    if not values.get("prompt"):
        raise InputError(f"{where}: the prompt is empty: describe what the shot shows")
    if values.get("seed") is not None and not 0 <= values["seed"] <= MAX_SEED:
        raise InputError(f"{where}: expected 0 <= seed <= {MAX_SEED}, got {values['seed']}")
    duration = values.get("duration_s")
    if duration is not None and not 0 < duration <= MAX_DURATION_S:
        raise InputError(f"{where}: expected 0 < duration <= {MAX_DURATION_S} seconds, got {duration}")
    if values.get("image"):
        if values.get("follow"):
            raise InputError(f"{where}: give a start image or continue from the previous shot, not both")
        values["image"] = _start_image(where, values["image"], folder, uploads)
    return Shot(**values)


def _loader() -> type:
    """YAML's safe loader, refusing a key given twice in one mapping (YAML keeps the last one
    silently: a typo'd copy of ``shots`` would quietly replace the first)."""
    import yaml

    class StoryLoader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if isinstance(key, (str, int, float, bool)) and key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key {key!r} is given twice", key_node.start_mark
                    )
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

        def construct_yaml_int(self, node: Any) -> int | media.LargeNumber:
            return _yaml_int(str(self.construct_scalar(node)), node.start_mark.line + 1)

    StoryLoader.add_constructor("tag:yaml.org,2002:int", StoryLoader.construct_yaml_int)
    return StoryLoader


def _yaml_int(text: str, line: int) -> int | media.LargeNumber:
    """A YAML 1.1 integer (``0x``, ``0b``, ``0`` octal, ``1:30`` base 60), as PyYAML reads it,
    but one past any story's numbers becomes a :class:`~studio.media.LargeNumber` that
    remembers its line: PyYAML would turn 100,000 digits into an error with no line, and 5,000
    hex digits into a number no float holds."""
    value = text.replace("_", "")
    sign = -1 if value.startswith("-") else 1
    value = value.lstrip("+-")
    if ":" in value:  # base 60: each part after the first is below 60
        first, *rest = value.split(":")
        number = media.whole_number(first, line=line)
        for part in rest:
            if isinstance(number, media.LargeNumber):
                return number
            number = media.whole_number(str(number * 60 + int(part)), line=line)
        return sign * number if isinstance(number, int) else number
    bases = {"0b": 2, "0x": 16}
    base = bases.get(value[:2], 8 if value.startswith("0") and value != "0" else 10)
    number = media.whole_number(value[2:] if base in (2, 16) else value, base, line)
    return sign * number if isinstance(number, int) else number


def parse_story(
    text: str, folder: str | os.PathLike[str] | None = ".", uploads: Mapping[str, str] | None = None
) -> Story:
    """The story in ``text`` (YAML or JSON). A shot's start image is one of ``uploads`` (file
    name -> path) or a path relative to ``folder``; with ``folder=None`` only uploads count."""
    import yaml

    try:
        data = yaml.load(text, Loader=_loader())  # a SafeLoader that also refuses repeated keys
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"the story script is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    except RecursionError:
        raise InputError("the story script nests too deeply to be a story") from None
    if data is None:
        raise InputError("the story script is empty: list the shots under 'shots'")
    values = _checked("the story", data, _STORY_KEYS)
    base = None if folder is None else Path(folder)
    shots = tuple(_shot(index, shot, base, uploads or {}) for index, shot in enumerate(values.pop("shots", [])))
    return Story(shots=shots, **values)


def read_story(path: str | os.PathLike[str]) -> Story:
    """The story script at ``path`` (YAML or JSON): a regular local file of at most
    :data:`MAX_SCRIPT_BYTES`, read by the media rules (:func:`studio.media.read_document`).
    Its start images are read only from the script's folder."""
    text = media.read_document(path, max_bytes=MAX_SCRIPT_BYTES, what="a story script")
    return parse_story(text, Path(path).resolve().parent)
