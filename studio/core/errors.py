"""Every error Media Studio raises on purpose.

The tree (each line is a class; indentation is inheritance)::

    StudioError                 base: catch this to catch everything below
    ├── InputError              a bad argument or option ("expected X, got Y")
    ├── UnknownModel            a model name the registry does not know (lists the known ones)
    ├── ModelUnavailable        a known model whose weights or extra are not installed
    │                           (says the command that installs it)
    ├── ModelLoadError          installed, but loading failed (bad checkpoint, wrong layout)
    ├── MediaError              a file that cannot be read or written as media
    │   ├── MediaNotFound       the path does not exist or is not a file
    │   ├── EmptyMedia          the file has zero bytes, or no frames / samples
    │   ├── CorruptMedia        not media, truncated, or damaged beyond decoding
    │   ├── NoVideoStream       media without a video stream where one is needed
    │   ├── NoAudioTrack        media without an audio stream where one is needed
    │   └── RefusedMedia        a file the studio will not open: a playlist or list of other
    │                           files, a device, or one past a limit (pixels, duration, size)
    ├── OutputError             a result could not be written (no space, read-only, a folder)
    ├── Cancelled               the caller asked a running job to stop
    ├── Busy                    the service's queue is full: try again later
    └── OutOfMemory             a device ran out of memory (the message says what to try)

Each class carries ``exit_code``: the CLI prints ``error: <message>`` on one line and
exits with it, so scripts can tell a missing model (4) from a corrupt file (5).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from difflib import get_close_matches

__all__ = [
    "ECHO_CHARS",
    "MESSAGE_CHARS",
    "Busy",
    "Cancelled",
    "CorruptMedia",
    "EmptyMedia",
    "InputError",
    "MediaError",
    "MediaNotFound",
    "ModelLoadError",
    "ModelUnavailable",
    "NoAudioTrack",
    "NoVideoStream",
    "OutOfMemory",
    "OutputError",
    "RefusedMedia",
    "StudioError",
    "UnknownModel",
    "echoed",
    "one_line",
]


ECHO_CHARS = 80  # of a value a user gave, how much an error message repeats
MESSAGE_CHARS = 2000  # the longest one-line message any door shows, whatever went into it


def echoed(value: object, limit: int = ECHO_CHARS) -> str:
    """``value`` as an error message quotes it: its repr, cut to ``limit`` characters with its
    full length said, so a 10 MB job id or label never comes back whole."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = len(value) if isinstance(value, (str, bytes, list, tuple, dict)) else len(text)
    return f"{text[:limit]}… ({size:,} long)"


def one_line(message: str) -> str:
    """A message on one line whatever a library put in it; spaces inside it (file names) kept.
    What the CLI, the job store and the web page show of an error; cut to ``MESSAGE_CHARS``
    so no input, however large, comes back whole."""
    text = " ".join(line.strip() for line in message.splitlines() if line.strip())
    if len(text) <= MESSAGE_CHARS:
        return text
    return f"{text[:MESSAGE_CHARS]}… ({len(text) - MESSAGE_CHARS:,} characters cut)"


class StudioError(Exception):
    """Base of every error Media Studio raises on purpose."""

    exit_code = 1


class InputError(StudioError):
    """An argument or option has a value the operation cannot use."""

    exit_code = 2


class UnknownModel(StudioError):
    """A model name that no registered ModelSpec has."""

    exit_code = 3

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = sorted(known)
        hint = get_close_matches(name, self.known, n=1) if len(name) <= ECHO_CHARS else []
        did_you_mean = f" Did you mean {hint[0]!r}?" if hint else ""
        listing = ", ".join(self.known) if self.known else "(none registered)"
        super().__init__(f"unknown model {echoed(name)}.{did_you_mean} Known models: {listing}")


class ModelUnavailable(StudioError):
    """A registered model that cannot be loaded here until something is installed."""

    exit_code = 4

    def __init__(self, name: str, reason: str, install_command: str) -> None:
        self.name = name
        self.reason = reason
        self.install_command = install_command
        super().__init__(f"model {echoed(name)} is not available: {reason}. Install it with: {install_command}")


class ModelLoadError(StudioError):
    """The model's files are present but loading them failed."""

    exit_code = 4


class _FileProblem(StudioError):
    """An error about one file: ``path`` as given, ``reason`` in words; the message is both."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = os.fsdecode(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class MediaError(_FileProblem):
    """A file that cannot be read or written as media. ``path`` names the file."""

    exit_code = 5


class MediaNotFound(MediaError):
    """The path does not exist or is not a regular file."""


class EmptyMedia(MediaError):
    """The file is empty, or holds no frames or samples."""


class CorruptMedia(MediaError):
    """The file is not media, is truncated, or is damaged beyond decoding.

    ``decoded_until_s`` is the presentation time of the last good frame when the damage
    was found mid-stream (``None`` when nothing decoded).
    """

    def __init__(self, path: str | os.PathLike[str], reason: str, decoded_until_s: float | None = None) -> None:
        self.decoded_until_s = decoded_until_s
        super().__init__(path, reason)


class NoVideoStream(MediaError):
    """The file has no video stream."""


class NoAudioTrack(MediaError):
    """The file has no audio stream."""


class RefusedMedia(MediaError):
    """A file the studio will not open: a format that pulls in other files, URLs or devices
    (HLS/DASH playlists, ffconcat lists, image sequences), or one past a configured limit."""


class OutputError(_FileProblem):
    """A result could not be written. ``path`` names the output; nothing partial is left."""

    exit_code = 7


class Cancelled(StudioError):
    """A running job was asked to stop. ``partial`` holds what was finished, if anything."""

    exit_code = 130

    def __init__(self, message: str, partial: object = None) -> None:
        self.partial = partial
        super().__init__(message)


class OutOfMemory(StudioError):
    """A device ran out of memory; the message says what setting to lower."""

    exit_code = 6


class Busy(StudioError):
    """The service has as many jobs waiting as it accepts; nothing was queued."""

    exit_code = 75  # EX_TEMPFAIL: try again later


def error_line(exc: BaseException) -> str:
    """An exception as one line for a user: a studio error's own message, anything else's with
    its type first (``RuntimeError: ...``), since its message alone may not say what broke."""
    said = one_line(str(exc))
    return said if isinstance(exc, StudioError) else f"{type(exc).__name__}: {said}"
