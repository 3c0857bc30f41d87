"""Stories with sound: shots from a tiny random-weight Wan (and LTX for continuity), joined with
moviepy, narrated by espeak-ng, subtitled, and checked against the script as ground truth:
frame counts, the narration heard back by the studio's own ASR, and the subtitle times."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path

import numpy as np
import pytest

from evaluations.asr_wer import word_error_rate
from evaluations.tiny_pipelines import save_tiny_ltx, save_tiny_wan
from models.generate_diffusers import SPECS
from studio import media
from studio.core import Cancelled, InputError, OutOfMemory, Settings
from studio.generation import make_story, parse_story, read_story
from studio.generation.story.film import shots_folder
from studio.registry import ModelCache, Registry
from studio.speech import transcribe

TINY = {"width": 32, "height": 32, "frames": 9, "fps": 8, "steps": 2, "call": {"max_sequence_length": 16}}
FIRST = "The red car drives through the city at night."
SECOND = "In the morning, a brown dog runs along the beach."
TWO_SHOTS = f"""
seed: 5
shots:
  - prompt: a red car on the street
    narration: {FIRST}
  - prompt: a dog on the beach
    duration: 4.5
    narration: {SECOND}
"""


def _cache(tmp: Path, folder: Path, family: str = "wan2.1-t2v-1.3b", memory_mb: int | None = None,
           **params: object) -> ModelCache:  # fmt: skip
    base = next(spec for spec in SPECS if spec.name == family)
    tiny = dataclasses.replace(base, name=f"tiny-{family}", source=f"path:{folder}",
                               params={**base.params, **TINY, **params})  # fmt: skip
    settings = Settings(tmp, tmp / "m", tmp / "o", device="cpu", generate_memory_mb=memory_mb)
    return ModelCache(Registry([tiny]), settings)


@pytest.fixture(scope="module")
def tiny_wan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_wan(tmp_path_factory.mktemp("tiny-wan"))


@pytest.fixture(scope="module")
def two_shot_film(tiny_wan: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ModelCache]:
    tmp = tmp_path_factory.mktemp("film")
    cache = _cache(tmp, tiny_wan)
    make_story(parse_story(TWO_SHOTS), tmp / "film.mp4", cache=cache)
    return tmp / "film.mp4", cache


def _frames(path: Path) -> np.ndarray:
    return np.stack([frame.image for frame in media.iter_frames(path)])


def test_a_two_shot_story_is_one_film_as_long_as_its_shots(two_shot_film: tuple[Path, ModelCache]) -> None:
    film, _ = two_shot_film
    sidecar = json.loads(film.with_suffix(".json").read_text())
    first, second = sidecar["shots"]
    assert second["duration_s"] == 4.5  # as the script says
    assert 0.3 + 2.0 < first["duration_s"] < 0.3 + 4.0  # from its narration: lead, speech and a pause
    info = media.probe(film)
    assert info.fps == 8 and info.codec == "h264"
    assert abs(info.frame_count / 8 - (first["duration_s"] + second["duration_s"])) <= 1 / 8
    assert info.frame_count == sidecar["frames"] == round(first["duration_s"] * 8) + 36
    assert second["start_s"] == first["duration_s"]  # a cut: the second shot starts where the first ends
    for shot, prompt in zip((first, second), ("a red car on the street", "a dog on the beach"), strict=True):
        assert shot["settings"]["prompt"] == prompt and shot["settings"]["steps"] == 2
        assert shot["settings"]["video_frames"] >= round(shot["duration_s"] * 8)  # made at least as long as seen
    assert [s["settings"]["seed"] for s in sidecar["shots"]] == [5, 6]  # the story's seed, plus the shot's index
    assert film.with_suffix(".png").is_file() and (shots_folder(film) / "shot-02.mp4").is_file()


def test_the_narration_is_heard_at_its_times_and_subtitled_there(two_shot_film: tuple[Path, ModelCache]) -> None:
    film, _ = two_shot_film
    sidecar = json.loads(film.with_suffix(".json").read_text())
    transcript = transcribe(film, model="whisper-base")
    # 3 words of 19 at most: on an AVX2-only AMD CPU whisper-base hears "at night" as "at a height"
    assert word_error_rate(f"{FIRST} {SECOND}", transcript.text).wer <= 0.16, transcript.text
    for shot in sidecar["shots"]:  # each line is spoken inside its own shot, a moment after it starts
        assert shot["start_s"] < shot["narration_start_s"] < shot["narration_end_s"] <= shot["start_s"] + shot[
            "duration_s"]  # fmt: skip
    heard = [segment for segment in transcript.segments if "dog" in segment.text.lower()]
    assert heard and abs(heard[0].start_s - sidecar["shots"][1]["narration_start_s"]) < 0.6
    cues = media.read_text_track(film)  # the text track, at the times the lines are spoken
    assert [cue.text.replace("\n", " ") for cue in cues] == [FIRST, SECOND]
    for cue, shot in zip(cues, sidecar["shots"], strict=True):
        assert abs(cue.start_s - shot["narration_start_s"]) < 0.002 and abs(cue.end_s - shot["narration_end_s"]) < 0.002
    srt_text = film.with_suffix(".srt").read_text()
    second = sidecar["shots"][1]  # the SRT's second cue: the second line, at its times

    def clock(seconds: float) -> str:
        millis = round(seconds * 1000)
        return f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d},{millis % 1000:03d}"

    cue = f"2\n{clock(second['narration_start_s'])} --> {clock(second['narration_end_s'])}\nIn the morning,"
    assert cue in srt_text, srt_text


def test_the_same_script_again_reuses_its_shots_and_burns_subtitles_only_while_spoken(
    two_shot_film: tuple[Path, ModelCache],
) -> None:
    film, cache = two_shot_film
    tracked = _frames(film)
    loads = cache.stats.loads
    again = make_story(dataclasses.replace(parse_story(TWO_SHOTS), subtitles="burn"), film, cache=cache)
    assert [shot.reused for shot in again.shots] == [True, True] and cache.stats.loads == loads
    burned = _frames(film)
    assert burned.shape == tracked.shape and media.read_text_track(film) == []
    changed = np.abs(burned.astype(int) - tracked.astype(int)).reshape(len(burned), -1).max(axis=1) > 40
    times = (np.arange(len(burned)) + 0.5) / 8
    spoken = np.zeros(len(burned), dtype=bool)
    for shot in again.shots:
        assert shot.narration_start_s is not None and shot.narration_end_s is not None
        spoken |= (times >= shot.narration_start_s) & (times < shot.narration_end_s)
    assert changed[spoken].all() and not changed[~spoken].any()


def test_a_crossfade_and_a_title_card_keep_every_boundary_on_a_frame(tiny_wan: Path, tmp_path: Path) -> None:
    script = TWO_SHOTS.replace("seed: 5", "seed: 5\ntitle: Two shots\ntitle_seconds: 1\ntransition: crossfade\n"
                               "crossfade_seconds: 0.5")  # fmt: skip
    film = make_story(parse_story(script), tmp_path / "faded.mkv", cache=_cache(tmp_path, tiny_wan))
    first, second = film.shots
    assert first.start_s == 0.5  # the title's 8 frames, less the 4 of the crossfade into shot 1
    assert second.start_s == first.start_s + first.duration_s - 0.5
    assert media.probe(tmp_path / "faded.mkv").frame_count == film.frames == round((second.start_s + 4.5) * 8)
    title = _frames(tmp_path / "faded.mkv")[0]
    assert title.max() > 200 and np.median(title) < 10  # white letters on black


def test_continuity_starts_a_shot_from_the_last_frame_shown_and_follows_its_changes(tmp_path: Path) -> None:
    from PIL import Image

    folder = save_tiny_ltx(tmp_path / "ltx")
    cache = _cache(tmp_path, folder, family="ltx-video", fps=24)
    script = "seed: 2\nshots:\n  - prompt: a dog\n    duration: 0.5\n  - prompt: a dog runs\n    duration: 0.5\n" \
             "    continue: true\n"  # fmt: skip
    film = make_story(parse_story(script), tmp_path / "film.mp4", cache=cache)
    start = Path(film.shots[1].settings.image)
    first_shot = [frame.image for frame in media.iter_frames(film.shots[0].video)]
    assert start.name == "shot-01-last.png" and len(first_shot) == 17  # the model made 17 frames, the film shows 12
    assert np.array_equal(np.asarray(Image.open(start)), first_shot[11])  # the last one shown, not the last made
    assert media.probe(tmp_path / "film.mp4").frame_count == 24 and cache.stats.loads == 1
    again = make_story(parse_story(script.replace("a dog\n", "a cat\n", 1)), tmp_path / "film.mp4", cache=cache)
    assert [shot.reused for shot in again.shots] == [False, False]  # a new first shot: a new start for the second
    Image.new("RGB", (32, 32), (200, 30, 30)).save(tmp_path / "start.png")
    pictured = parse_story("seed: 2\nshots:\n  - prompt: a dog\n    duration: 0.5\n    image: start.png\n", tmp_path)
    make_story(pictured, tmp_path / "pic.mp4", cache=cache)
    assert make_story(pictured, tmp_path / "pic.mp4", cache=cache).shots[0].reused
    Image.new("RGB", (32, 32), (30, 30, 200)).save(tmp_path / "start.png")  # another picture, the same name
    assert not make_story(pictured, tmp_path / "pic.mp4", cache=cache).shots[0].reused


def test_a_shot_is_reused_only_while_everything_that_made_it_is_the_same(tiny_wan: Path, tmp_path: Path) -> None:
    cache = _cache(tmp_path, tiny_wan)
    script = "shots:\n  - prompt: a red car\n    duration: 1\n  - prompt: a dog\n    duration: 1\n"
    (tmp_path / "a").mkdir()
    first = make_story(parse_story(script), tmp_path / "a" / "film.mp4", cache=cache)
    assert not any(shot.reused for shot in first.shots)
    again = make_story(parse_story(script), tmp_path / "a" / "film.mp4", cache=cache)  # no seed: the one drawn first
    assert again.seed == first.seed and [shot.reused for shot in again.shots] == [True, True]
    (tmp_path / "a").rename(tmp_path / "b")  # moved with its shots: still re-used, from where they are now
    moved = make_story(parse_story(script), tmp_path / "b" / "film.mp4", cache=cache)
    assert [shot.reused for shot in moved.shots] == [True, True]
    assert all(Path(shot.video).parent == tmp_path / "b" / "film.shots" for shot in moved.shots)
    edited = make_story(parse_story(script.replace("a dog", "a blue dog")), tmp_path / "b" / "film.mp4", cache=cache)
    assert [shot.reused for shot in edited.shots] == [True, False]


def test_bad_stories_are_refused_before_any_weights_load(tiny_wan: Path, tmp_path: Path) -> None:
    cache = _cache(tmp_path, tiny_wan)
    cases = {
        "shots:\n  - prompt: a cat\n    durration: 2\n": "shot 1: unknown key 'durration'",
        "shots:\n  - prompt: ' '\n": "shot 1: the prompt is empty",
        "shots:\n  - prompt: a cat\n    duration: soon\n": "shot 1: 'duration' must be a number",
        "shots: []\n": "the story has no shots",
        "shots:\n  - prompt: a cat\n    continue: true\n": "shot 1 cannot continue",
        "shots:\n  - prompt: a cat\n    image: missing.png\n": "shot 1: the start image .*missing.png. does not exist",
        "transition: wipe\nshots:\n  - prompt: a cat\n": "expected transition one of cut, crossfade",
        "shots:\n  - prompt: [a cat\n": "the story script is not valid YAML at line 3: expected ','",
    }
    for script, message in cases.items():
        with pytest.raises(InputError, match=message.replace("(", "\\(").replace("[", "\\[")):
            make_story(parse_story(script, tmp_path), tmp_path / "x.mp4", cache=cache)
    too_long = "shots:\n  - prompt: a cat\n    duration: 1\n    narration: " + "many words " * 10 + "\n"
    with pytest.raises(InputError, match=r"shot 1: its narration takes \d+\.\d s but the shot lasts 1 s; make it"):
        make_story(parse_story(too_long), tmp_path / "x.mp4", cache=cache)
    follow = "shots:\n  - prompt: a cat\n  - prompt: a dog\n    continue: true\n"
    with pytest.raises(InputError, match="shot 2 continues from the previous shot, which needs an image-to-video"):
        make_story(parse_story(follow), tmp_path / "x.mp4", cache=cache)
    with pytest.raises(InputError, match="shot 1: this model makes widths of a multiple of 16: got 40, try 32 or 48"):
        make_story(parse_story("width: 40\nshots:\n  - prompt: a cat\n"), tmp_path / "x.mp4", cache=cache)
    assert cache.stats.loads == 0 and not (tmp_path / "x.mp4").exists()
    fades = {
        "transition: crossfade\ncrossfade_seconds: 1\nshots:\n  - prompt: a cat\n    duration: 2\n"
        "  - prompt: a dog\n    duration: 0.5\n": "a crossfade of 1 s needs every shot and the title longer than it; "
        "shot 2 lasts 0.5 s",
        "title: Hello\ntitle_seconds: 0.25\ntransition: crossfade\nshots:\n  - prompt: a cat\n    duration: 2\n": (
            "the title card lasts 0.25 s"
        ),
        "transition: crossfade\nshots:\n  - prompt: a cat\n    duration: 3\n    narration: " + "words " * 8
        + "\n  - prompt: a dog\n": "before the 0.5 s crossfade",
    }  # fmt: skip
    for script, message in fades.items():
        with pytest.raises(InputError, match=message):
            make_story(parse_story(script), tmp_path / "x.mp4", cache=cache)
    small = _cache(tmp_path, tiny_wan, memory_mb=1)  # a device with 1 MB: no shot can fit
    with pytest.raises(OutOfMemory, match="1 MB is available"):
        make_story(parse_story(TWO_SHOTS), tmp_path / "x.mp4", cache=small)
    assert small.stats.loads == 0 and not shots_folder(tmp_path / "x.mp4").exists()
    (tmp_path / "script.yaml").write_text("shots:\n  - prompt: a cat\n    image: pic.png\n")
    with pytest.raises(InputError, match=r"pic\.png' does not exist"):
        read_story(tmp_path / "script.yaml")  # images are found beside the script


def test_cancel_while_joining_leaves_no_film_and_keeps_the_shots(tiny_wan: Path, tmp_path: Path) -> None:
    cache, stop = _cache(tmp_path, tiny_wan), threading.Event()

    def progress(fraction: float, message: str) -> None:
        if message.startswith("joining"):
            stop.set()

    with pytest.raises(Cancelled):
        make_story(parse_story(TWO_SHOTS), tmp_path / "film.mp4", cache=cache, progress=progress, cancel=stop)
    assert not (tmp_path / "film.mp4").exists() and not (tmp_path / "film.json").exists()
    assert (shots_folder(tmp_path / "film.mp4") / "shot-02.mp4").is_file()  # made work is kept for the next run
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".film")] == []  # no temporary file left


def test_narration_is_spoken_as_text_never_read_as_an_option(tmp_path: Path) -> None:
    """espeak-ng reads ``-f FILE`` as "speak this file": a narration must never open a file."""
    from studio.speech import speak

    secret = tmp_path / "secret.txt"
    secret.write_text("this file must never be spoken aloud " * 40)
    samples, rate = speak(f"-f{secret}")
    plain, _ = speak(f"f{secret}")
    assert abs(len(samples) - len(plain)) / rate < 1.0 and len(samples) / rate < 15  # the text, not 40 sentences
    with pytest.raises(InputError, match="expected an espeak-ng voice name"):
        speak("hello", voice="-f/etc/passwd")


def test_hostile_scripts_get_one_line_errors_and_bounded_work(tiny_wan: Path, tmp_path: Path) -> None:
    cases = {
        "": "the story script is empty",
        "shots:\n  - prompt: first\nshots:\n  - prompt: second\n": "the key 'shots' is given twice",
        "shots:\n  - prompt: a\n    narration: " + "[" * 50_000 + "]" * 50_000 + "\n": "nests too deeply",
        "fps: 0\nshots:\n  - prompt: a\n": "expected 1 <= fps <= 120",
        "seed: -5\nshots:\n  - prompt: a\n": "expected 0 <= seed",
        "shots:\n  - prompt: a\n    narration: [1, 2, 3, 4, 5, 6, 7]\n": (
            r"'narration' must be text, got \[1, 2, 3, 4, \.\.\.\]"
        ),
    }  # fmt: skip
    for script, message in cases.items():
        with pytest.raises(InputError, match=message):
            parse_story(script)
    aliases = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]\n"
        for previous, name in zip("abcdefgh", "bcdefghi", strict=False)
    )
    with pytest.raises(InputError) as refused:  # a billion laughs under a key: refused by name, not expanded
        parse_story(aliases + "shots:\n  - prompt: a\n")
    assert len(str(refused.value)) < 400
    for path, kind in (("/dev/zero", "a pipe, socket or device"), (str(tmp_path), "a folder")):
        with pytest.raises(InputError, match=f"^{path}: is {kind}, not a regular file$"):
            read_story(path)
    (tmp_path / "big.yaml").write_bytes(b"#" * 1_000_001)
    with pytest.raises(
        InputError, match=r"big\.yaml: the file has 1,000,001 bytes; a story script is at most 1,000,000"
    ):
        read_story(tmp_path / "big.yaml")
    with pytest.raises(InputError, match="espeak-ng has no voice 'xyzzy'"):
        make_story(parse_story("voice: xyzzy\nshots:\n  - prompt: a\n    narration: hi\n"), tmp_path / "v.mp4",
                   cache=_cache(tmp_path, tiny_wan))  # fmt: skip


def test_a_damaged_seed_file_is_reported_and_no_shot_is_made_again(tiny_wan: Path, tmp_path: Path) -> None:
    """Without a seed in the script, the seed drawn for the first run is kept in the shots
    folder; a damaged copy must stop the run, never draw a new seed and make every shot again."""
    import os

    cache = _cache(tmp_path, tiny_wan)
    script = "shots:\n  - prompt: a red car\n    duration: 0.5\n  - prompt: a dog\n    duration: 0.5\n    seed: 3\n"
    film = tmp_path / "film.mp4"
    first = make_story(parse_story(script), film, cache=cache)
    kept = shots_folder(film) / "seed.json"
    assert json.loads(kept.read_text()) == {"seed": first.seed}
    shots = {path.name: path.read_bytes() for path in shots_folder(film).iterdir() if path != kept}
    hint = (
        f"the shots there were made with seed {first.seed}: give the story that seed (seed: {first.seed} in "
        f"the script, or --seed {first.seed}) to keep them, or delete seed.json to make them all again"
    )
    damages = {
        b'{"seed": 12': "is not JSON (Expecting ',' delimiter at line 1, column 12)",
        b'{"seed": "abc"}': "field 'seed' must be a whole number, got 'abc'",
        b'{"seed": -1}': "the seed must be between 0 and 4294967295, got -1",
        b"[1]": "expected an object with the story's seed, got a list",
        b"[" * 100_000: "nests too deeply to be the story's seed file",
        b"": "the file is empty (0 bytes)",
        b"\xff\xfe": "is not UTF-8 text",
    }
    for damaged, reason in damages.items():
        kept.write_bytes(damaged)
        with pytest.raises(InputError) as refused:
            make_story(parse_story(script), film, cache=cache)
        assert str(refused.value) == f"{kept}: {reason}; {hint}"
        assert kept.read_bytes() == damaged  # the evidence kept for the user
        assert {path.name: path.read_bytes() for path in shots_folder(film).iterdir() if path != kept} == shots
    kept.unlink()
    os.mkfifo(kept)
    with pytest.raises(InputError, match=r"seed\.json: is a pipe, socket or device, not a regular file; the shots"):
        make_story(parse_story(script), film, cache=cache)
    loads = cache.stats.loads
    again = make_story(dataclasses.replace(parse_story(script), seed=first.seed), film, cache=cache)  # as it says
    assert [shot.reused for shot in again.shots] == [True, True] and cache.stats.loads == loads
    assert again.seed == first.seed


def test_a_seed_file_whose_shots_are_gone_is_reported_without_a_seed_to_give(tiny_wan: Path, tmp_path: Path) -> None:
    cache = _cache(tmp_path, tiny_wan)
    folder = shots_folder(tmp_path / "film.mp4")
    folder.mkdir()
    (folder / "seed.json").write_text("seed: 4")
    with pytest.raises(InputError) as refused:
        make_story(parse_story("shots:\n  - prompt: a cat\n    duration: 0.5\n"), tmp_path / "film.mp4", cache=cache)
    assert str(refused.value) == (f"{folder / 'seed.json'}: is not JSON (Expecting value at line 1, column 1); "
                                  "no shot there says which seed made it: give the story a seed (seed: N in the "
                                  "script, or --seed N), or delete seed.json to make every shot again")  # fmt: skip
    assert cache.stats.loads == 0


def test_start_images_are_read_only_from_the_script_folder(tmp_path: Path) -> None:
    from PIL import Image

    folder = tmp_path / "story"
    (folder / "pictures").mkdir(parents=True)
    Image.new("RGB", (32, 32), (10, 10, 200)).save(folder / "pictures" / "blue.png")
    Image.new("RGB", (32, 32), (10, 200, 10)).save(tmp_path / "private.png")
    story = parse_story("shots:\n  - prompt: a dog\n    image: pictures/../pictures/blue.png\n", folder)
    assert story.shots[0].image == str(folder / "pictures" / "blue.png")
    for name in ("../private.png", str(tmp_path / "private.png"), "/etc/passwd", "~/private.png"):
        with pytest.raises(InputError) as refused:
            parse_story(f"shots:\n  - prompt: a dog\n    image: {name}\n", folder)
        assert str(refused.value) == (f"shot 1: the start image {name!r} is outside the script's folder {folder}; "
                                      "start images are read only from there")  # fmt: skip
    with pytest.raises(InputError, match=r"^shot 1: the start image 'pictures' is a folder, not a regular file$"):
        parse_story("shots:\n  - prompt: a dog\n    image: pictures\n", folder)


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("shots:\n  - prompt: a\n    duration: 0x" + "f" * 5000 + "\n",
         "shot 1: 'duration' (line 3) is a number of 6021 digits, far past anything a story uses"),
        ("seed: " + "7" * 100_000 + "\nshots:\n  - prompt: a\n",
         "the story: 'seed' (line 1) is a number of 100000 digits, far past anything a story uses"),
        ("shots:\n  - prompt: a\n  - prompt: b\n    seed: 0b" + "1" * 65 + "\n",
         "shot 2: 'seed' (line 4) is a number of 20 digits, far past anything a story uses"),
        ("shots:\n  - prompt: a\n    narration: 0" + "7" * 3000 + "\n",  # YAML 1.1 octal (0o is text there)
         "shot 1: 'narration' (line 3) is a number of 2710 digits, far past anything a story uses"),
        ("shots:\n  - prompt: a\n    narration: [" + "9" * 5000 + "]\n",
         "shot 1: 'narration' must be text, got [a number of 5000 digits]"),
        ("shots:\n  - prompt: a\n    ? " + "1" * 5000 + "\n    : 2\n",  # an explicit key: a plain one is 1024 at most
         "shot 1: unknown key 'a number of 5000 digits'; the keys are prompt, duration"),
    ],
)  # fmt: skip
def test_numbers_past_any_story_are_refused_with_their_field_line_and_shot(script: str, message: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_story(script)
    assert str(refused.value).startswith(message), str(refused.value)
    assert parse_story("seed: 0xff\nshots:\n  - prompt: a\n").seed == 255
    with pytest.raises(InputError, match=r"^shot 1: expected 0 <= seed <= 4294967295, got 18446744073709551615$"):
        parse_story("shots:\n  - prompt: a\n    seed: 18446744073709551615\n")  # the largest number taken
