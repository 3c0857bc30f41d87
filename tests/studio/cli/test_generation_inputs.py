"""Every file ``studio generate`` and ``studio story`` read goes through the media rules: a
regular local file of bounded size (never a device or a FIFO), parsed without unbounded
recursion, and checked field by field. Each refusal is one line with its exit code."""

from __future__ import annotations

import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from studio import media

TOY_I2V = '''
"""A toy image-to-video family: every frame is the start picture's mean colour."""
import numpy as np
from PIL import Image

from studio.registry import ModelSpec

SPECS = [ModelSpec(
    name="toy-i2v", task="text-to-video", adapter="toy_i2v:ToyImageToVideo", source="package:toy_i2v",
    license="MIT", extra="generate", memory_mb=10, offline=True, capabilities=("image-to-video",),
    params={"width": 32, "height": 32, "frames": 5, "fps": 8, "steps": 1, "size_multiple": 16, "frame_step": 4},
)]


class ToyImageToVideo:
    memory_mb = 10

    @classmethod
    def load(cls, spec, weights, device, options):
        return cls()

    def generate(self, request, on_step):
        on_step(1, 1)
        colour = np.zeros(3, np.uint8)
        if request.image:
            with Image.open(request.image) as start:
                colour = np.asarray(start.convert("RGB")).reshape(-1, 3).mean(axis=0).astype(np.uint8)
        return np.broadcast_to(colour, (request.frames, request.height, request.width, 3)).copy()
'''


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The toy image-to-video family installed from this test's own folder, an empty home."""
    site = tmp_path / "site"
    (site / "toy_i2v").mkdir(parents=True)
    (site / "toy_i2v" / "__init__.py").write_text(TOY_I2V)
    info = site / "toy_i2v-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-i2v\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[media_studio.models]\ntoy = toy_i2v:SPECS\n")
    environ = {key: value for key, value in os.environ.items() if not key.startswith("MEDIA_STUDIO_")}
    return {**environ, "PYTHONPATH": str(site), "MEDIA_STUDIO_HOME": str(tmp_path / "home")}


def _address_space(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def studio(env: dict[str, str], *args: str | Path, memory: int = 2 << 30) -> subprocess.CompletedProcess[str]:
    """The console script with a cap on its memory: a run that reads without bound fails fast.
    The timeout only keeps a run that would block forever (reading a FIFO) from hanging the suite."""
    binary = shutil.which("studio", path=str(Path(sys.executable).parent))
    assert binary, "the `studio` console script is not installed (pip install -e .)"
    return subprocess.run([binary, *map(str, args)], capture_output=True, text=True, env=env, timeout=120,
                          check=False, preexec_fn=lambda: _address_space(memory))  # fmt: skip


def one_error(done: subprocess.CompletedProcess[str]) -> str:
    """The run's error, asserting it is one line and nothing else was printed."""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert done.stdout == ""
    return lines[0]


def _png_header_only(path: Path, width: int, height: int) -> Path:
    """A whole, valid 1-bit PNG of ``width``×``height``: a few kB on disk, ``width × height``
    bytes once PIL decodes it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer, row = zlib.compressobj(9), bytes(1 + (width + 7) // 8)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
                     + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))  # fmt: skip
    return path


def test_generate_from_a_device_is_refused_before_anything_is_read(env: dict[str, str], tmp_path: Path) -> None:
    done = studio(env, "generate", "--from", "/dev/zero", "-o", tmp_path / "x.mp4", memory=1 << 30)
    assert done.returncode == 2
    assert one_error(done) == "error: /dev/zero: is a pipe, socket or device, not a regular file"


def test_generate_from_a_fifo_is_refused_without_waiting_for_a_writer(env: dict[str, str], tmp_path: Path) -> None:
    fifo = tmp_path / "sidecar.json"
    os.mkfifo(fifo)
    done = studio(env, "generate", "--from", fifo, "-o", tmp_path / "x.mp4")
    assert done.returncode == 2
    assert one_error(done) == f"error: {fifo}: is a pipe, socket or device, not a regular file"


def test_a_story_script_or_lora_that_is_not_a_regular_file_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    fifo = tmp_path / "story.yaml"
    os.mkfifo(fifo)
    for script in (fifo, Path("/dev/zero"), tmp_path):
        done = studio(env, "story", script, "-o", tmp_path / "film.mp4")
        kind = "a folder" if script == tmp_path else "a pipe, socket or device"
        assert done.returncode == 2 and one_error(done) == f"error: {script}: is {kind}, not a regular file"
    lora = tmp_path / "style.safetensors"
    os.mkfifo(lora)
    done = studio(env, "generate", "a dog", "--lora", lora, "-o", tmp_path / "x.mp4")
    assert done.returncode == 2
    assert one_error(done) == (f"error: expected a LoRA .safetensors file on this machine, got {str(lora)!r} "
                               "(is a pipe, socket or device, not a regular file)")  # fmt: skip


def test_a_sidecar_nested_100000_deep_or_too_large_is_refused_cleanly(env: dict[str, str], tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"prompt": "a dog", "seed": 1, "versions": ' + "[" * 100_000 + "]" * 100_000 + "}")
    done = studio(env, "generate", "--from", deep, "-o", tmp_path / "x.mp4")
    assert done.returncode == 2
    assert one_error(done) == f"error: {deep}: nests too deeply to be a sidecar JSON"
    big = tmp_path / "big.json"
    big.write_text('{"prompt": "a dog", "seed": 1, "negative_prompt": "' + "x" * 2_000_000 + '"}')
    done = studio(env, "generate", "--from", big, "-o", tmp_path / "x.mp4")
    assert done.returncode == 2
    size = big.stat().st_size
    assert one_error(done) == f"error: {big}: the file has {size:,} bytes; a sidecar JSON is at most 1,000,000 bytes"


WRONG_FIELDS = [
    ({"seed": "abc"}, "field 'seed' must be a whole number, got 'abc'"),
    ({"seed": 1.5}, "field 'seed' must be a whole number, got 1.5"),
    ({"steps": True}, "field 'steps' must be a whole number, got True"),
    ({"prompt": 5}, "field 'prompt' must be text, got 5"),
    ({"guidance_scale": "high"}, "field 'guidance_scale' must be a number, got 'high'"),
    ({"width": [64]}, "field 'width' must be a whole number, got [64]"),
    ({"loras": 5}, "field 'loras' must be a list, got 5"),
    ({"loras": [["style.safetensors", "strong"]]}, "field 'loras[0][1]' must be a number, got 'strong'"),
    ({"loras": [["style.safetensors"]]}, "field 'loras[0]' must be a list of 2, got ['style.safetensors']"),
    ({"compile": "yes"}, "field 'compile' must be true or false, got 'yes'"),
    ({"image": {"path": "a.png"}}, "field 'image' must be text, got {'path': 'a.png'}"),
    ({"seed": "HUGE"}, "field 'seed' must be a whole number, got a number of 100001 digits"),
]


@pytest.mark.parametrize(("fields", "message"), WRONG_FIELDS)
def test_a_sidecar_field_of_the_wrong_type_is_named(
    env: dict[str, str], tmp_path: Path, fields: dict[str, object], message: str
) -> None:
    sidecar = tmp_path / "demo.json"
    text = json.dumps({"prompt": "a dog", "seed": 1, **fields})
    sidecar.write_text(text.replace('"HUGE"', "1" + "0" * 100_000))  # a 100,001-digit seed in the JSON
    done = studio(env, "generate", "--from", sidecar, "-o", tmp_path / "x.mp4")
    assert done.returncode == 2
    assert one_error(done) == f"error: {sidecar}: {message}"


def test_a_whole_sidecar_still_makes_its_video_again(env: dict[str, str], tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (32, 32), (200, 40, 40)).save(tmp_path / "red.png")
    first = studio(env, "generate", "a red square", "--image", tmp_path / "red.png", "-o", tmp_path / "a.mp4")
    assert first.returncode == 0, first.stderr
    again = studio(env, "generate", "--from", tmp_path / "a.json", "-o", tmp_path / "b.mp4")
    assert again.returncode == 0, again.stderr
    made = [json.loads(done.stdout) for done in (first, again)]
    assert made[0]["seed"] == made[1]["seed"] and made[1]["image"] == str(tmp_path / "red.png")
    frames = [frame.image for frame in media.iter_frames(tmp_path / "b.mp4")]
    assert len(frames) == 5 and all(abs(int(frame[16, 16, 0]) - 200) < 12 for frame in frames)


def test_a_start_image_past_the_pixel_limit_is_refused_from_its_header(env: dict[str, str], tmp_path: Path) -> None:
    bomb = _png_header_only(tmp_path / "big.png", 16000, 16000)
    assert bomb.stat().st_size < 100_000
    done = studio(env, "generate", "a dog", "--image", bomb, "-o", tmp_path / "x.mp4", memory=1 << 30)
    assert done.returncode == 5
    assert one_error(done) == (f"error: {bomb}: the picture is 16000×16000 = 256,000,000 pixels, over the limit "
                               "of 67,108,864 (MEDIA_STUDIO_MAX_PIXELS)")  # fmt: skip
    small = _png_header_only(tmp_path / "small.png", 64, 64)
    done = studio({**env, "MEDIA_STUDIO_MAX_PIXELS": "1000"}, "generate", "a dog", "--image", small,
                  "-o", tmp_path / "x.mp4")  # fmt: skip
    assert done.returncode == 5
    assert one_error(done) == (f"error: {small}: the picture is 64×64 = 4,096 pixels, over the limit of 1,000 "
                               "(MEDIA_STUDIO_MAX_PIXELS)")  # fmt: skip
    done = studio({**env, "MEDIA_STUDIO_MAX_PIXELS": "4096"}, "generate", "a dog", "--image", small,
                  "-o", tmp_path / "x.mp4")  # fmt: skip
    assert done.returncode == 0, done.stderr
    script = tmp_path / "story.yaml"
    script.write_text("shots:\n  - prompt: a dog\n    duration: 0.5\n    image: big.png\n")
    done = studio(env, "story", script, "-o", tmp_path / "film.mp4", memory=1 << 30)
    assert done.returncode == 5
    assert one_error(done).startswith(f"error: {bomb}: the picture is 16000×16000 = 256,000,000 pixels")


def test_a_story_start_image_outside_the_script_folder_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    from PIL import Image

    folder, elsewhere = tmp_path / "story", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    Image.new("RGB", (32, 32), (10, 200, 10)).save(elsewhere / "private.png")
    shutil.copy(elsewhere / "private.png", elsewhere / "private.mp4")
    (folder / "linked.png").symlink_to(elsewhere / "private.png")
    (folder / "pictures").mkdir()
    Image.new("RGB", (32, 32), (10, 10, 200)).save(folder / "pictures" / "blue.png")
    script = folder / "story.yaml"
    for name in ("/etc/passwd", "../elsewhere/private.mp4", "linked.png", str(elsewhere / "private.png")):
        script.write_text(f"shots:\n  - prompt: a dog\n    duration: 0.5\n    image: {name}\n")
        done = studio(env, "story", script, "-o", tmp_path / "film.mp4")
        assert done.returncode == 2
        assert one_error(done) == (f"error: shot 1: the start image {name!r} is outside the script's folder "
                                   f"{folder}; start images are read only from there")  # fmt: skip
    script.write_text("shots:\n  - prompt: a dog\n    duration: 0.5\n    image: pictures/blue.png\n")
    done = studio(env, "story", script, "-o", tmp_path / "film.mp4")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["shots"][0]["settings"]["image"] == str(folder / "pictures" / "blue.png")


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("shots:\n  - prompt: a dog\n    duration: 0x" + "f" * 5000 + "\n",
         "shot 1: 'duration' (line 3) is a number of 6021 digits, far past anything a story uses"),
        ("seed: " + "7" * 100_000 + "\nshots:\n  - prompt: a dog\n",
         "the story: 'seed' (line 1) is a number of 100000 digits, far past anything a story uses"),
        ("shots:\n  - prompt: a dog\n    seed: " + "7" * 100_000 + "\n",
         "shot 1: 'seed' (line 3) is a number of 100000 digits, far past anything a story uses"),
        ("title: 0x" + "a" * 5000 + "\nshots:\n  - prompt: a dog\n",
         "the story: 'title' (line 1) is a number of 6021 digits, far past anything a story uses"),
    ],
)  # fmt: skip
def test_story_numbers_past_any_story_are_named_with_their_field_and_shot(
    env: dict[str, str], tmp_path: Path, script: str, message: str
) -> None:
    (tmp_path / "story.yaml").write_text(script)
    done = studio(env, "story", tmp_path / "story.yaml", "-o", tmp_path / "film.mp4")
    assert done.returncode == 2
    assert one_error(done) == f"error: {message}"


def test_the_messages_above_are_what_the_functions_raise(tmp_path: Path) -> None:
    """The same refusals without the command line: the typed errors the server sees too."""
    from studio.core import InputError
    from studio.generation import parse_story

    with pytest.raises(InputError, match=r"^shot 1: 'seed' \(line 3\) is a number of 30 digits"):
        parse_story("shots:\n  - prompt: a dog\n    seed: " + "9" * 30 + "\n", tmp_path)
    assert parse_story("shots:\n  - prompt: a dog\n    seed: 4294967295\n", tmp_path).shots[0].seed == 2**32 - 1
