"""Speech from text, offline: Debian's ``espeak-ng`` as mono float32 samples.

Used by the demo media's narration and by the tests, benchmarks and evaluations that need
speech whose words and timing they know.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

from studio.core import InputError, StudioError

__all__ = ["speak", "voices"]

_VOICE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_+-]{0,40}$")  # en-us, de, mb-en1, en-us+f3


def voices(binary: str = "espeak-ng") -> set[str]:
    """The voice names espeak-ng knows: language codes (en-us), voice names and voice files."""
    listed = subprocess.run([binary, "--voices"], capture_output=True, text=True, check=False).stdout
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
    with tempfile.TemporaryDirectory() as tmp:
        wav_path = Path(tmp) / "speech.wav"
        # the text goes in on standard input: as an argument, one starting with "-" is an option
        # (``-f FILE`` reads a file), and story narration comes from users of the server
        cmd = [binary, "-v", voice, "-s", str(words_per_minute), "-w", str(wav_path), "--stdin"]
        result = subprocess.run(cmd, input=text, capture_output=True, text=True, check=False)
        if result.returncode != 0 or not wav_path.exists():
            raise StudioError(f"espeak-ng could not speak with voice {voice!r}: {result.stderr.strip()[:200]}")
        with wave.open(str(wav_path)) as wav:
            rate = wav.getframerate()
            raw = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    return raw.astype(np.float32) / 32768.0, rate
