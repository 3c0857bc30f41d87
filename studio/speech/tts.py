"""Speech from text, offline: Debian's ``espeak-ng`` as mono float32 samples.

Used by the demo media's narration and by the tests, benchmarks and evaluations that need
speech whose words and timing they know.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import tempfile

import numpy as np

from studio.core import InputError, StudioError

__all__ = ["speak", "voices"]

_VOICE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_+-]{0,40}$")  # en-us, de, mb-en1, en-us+f3
# espeak-ng opens PulseAudio even when it only lists voices or writes a WAV, and PulseAudio's
# client sizes a 64 MB shared-memory file: under a file-size limit (ulimit -f) that kills it
_PULSE_CLIENT = "enable-shm = no\nenable-memfd = no\nautospawn = no\n"


def _espeak(args: list[str], text: str | None = None) -> subprocess.CompletedProcess[bytes]:
    """espeak-ng run with PulseAudio told to keep to itself: no shared memory, no server started."""
    stdin = None if text is None else text.encode()
    with tempfile.NamedTemporaryFile("w", prefix="espeak-pulse-", suffix=".conf") as conf:
        try:
            conf.write(_PULSE_CLIENT)
            conf.flush()
        except OSError:  # not even this much may be written: espeak-ng fails in its own words
            return subprocess.run(args, input=stdin, capture_output=True, check=False)
        env = {**os.environ, "PULSE_CLIENTCONFIG": conf.name}
        return subprocess.run(args, input=stdin, capture_output=True, env=env, check=False)


def _wav_samples(data: bytes) -> tuple[np.ndarray, int]:
    """16-bit mono PCM from a WAV espeak-ng streamed to its output (which cannot say its length
    in the header: the data runs to the end)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise StudioError("espeak-ng wrote no WAV audio")
    offset, rate = 12, 0
    while offset + 8 <= len(data):
        kind, size = data[offset : offset + 4], struct.unpack_from("<I", data, offset + 4)[0]
        if kind == b"fmt ":
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", data, offset + 8)
            if (tag, channels, bits) != (1, 1, 16):
                raise StudioError(f"espeak-ng wrote {channels}-channel {bits}-bit audio, expected mono 16-bit PCM")
        elif kind == b"data" and rate:
            body = data[offset + 8 :]
            return np.frombuffer(body[: len(body) // 2 * 2], dtype="<i2").astype(np.float32) / 32768.0, rate
        offset += 8 + size + size % 2
    raise StudioError("espeak-ng wrote a WAV without audio")


def voices(binary: str = "espeak-ng") -> set[str]:
    """The voice names espeak-ng knows: language codes (en-us), voice names and voice files."""
    result = _espeak([binary, "--voices"])
    if result.returncode != 0:  # a voice is never called missing because the listing failed
        raise StudioError(f"espeak-ng could not list its voices: {_failure(result)}")
    listed = result.stdout.decode(errors="replace")
    names = set()
    for line in listed.splitlines()[1:]:
        columns = line.split()
        if len(columns) >= 5:
            names |= {columns[1].lower(), columns[3].lower(), columns[4].lower(), columns[4].rsplit("/", 1)[-1].lower()}
    return names


def speak(text: str, voice: str = "en-us", words_per_minute: int = 150) -> tuple[np.ndarray, int]:
    """Speech for ``text`` from espeak-ng as mono float32 samples and their rate."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise StudioError("espeak-ng is not installed; install it with: sudo apt-get install espeak-ng")
    if not _VOICE.match(voice):
        raise InputError(f"expected an espeak-ng voice name such as en-us, got {voice!r}")
    if voice.split("+")[0].lower() not in voices(binary):  # espeak-ng itself falls back to English, silently
        raise InputError(f"espeak-ng has no voice {voice!r}; for example en-us, en-gb, de, fr, es (espeak-ng --voices)")
    # the text goes in on standard input: as an argument, one starting with "-" is an option
    # (``-f FILE`` reads a file), and story narration comes from users of the server; the WAV
    # comes out on standard output, so no file is written
    result = _espeak([binary, "-v", voice, "-s", str(words_per_minute), "--stdout", "--stdin"], text)
    if result.returncode != 0:
        raise StudioError(f"espeak-ng could not speak with voice {voice!r}: {_failure(result)}")
    return _wav_samples(result.stdout)


def _failure(result: subprocess.CompletedProcess[bytes]) -> str:
    said = result.stderr.decode(errors="replace").strip()[:200]
    if result.returncode < 0:
        return f"killed by signal {-result.returncode}" + (f" ({said})" if said else "")
    return said or f"exit status {result.returncode}"
