"""The one place a media input is opened: a local file, opened as a file.

- The path goes to the operating system's ``open``, never to FFmpeg's URL parser: a file
  named ``concat:a.mp4``, ``file:x``, ``subfile,,start,0,end,0,,:y`` or ``http:z`` reads
  exactly that file. Only regular files are accepted (no FIFOs, devices or folders).
- FFmpeg gets the open file and may choose only demuxers that read nothing but its bytes:
  playlists and lists of other files (HLS, DASH, ffconcat, IMF, SDP, VobSub), image
  sequences and devices are refused, whatever the file is called, and no nested resource
  may be opened at all (``protocol_whitelist`` names no protocol).
- Limits on file size, frame pixels and duration (:class:`MediaLimits`) are checked from the
  header before any frame is decoded; the decoders themselves refuse larger frames.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

import av
import av.error

from studio.core import CorruptMedia, EmptyMedia, MediaError, MediaNotFound, RefusedMedia, Settings

__all__ = ["MediaLimits", "check_local_file", "declared_end_s", "ffmpeg_reason", "file_url", "open_local", "open_media"]

# Demuxers that open other files, URLs or devices, or run scripts. Every demuxer FFmpeg
# flags as "no file" (devices, RTSP/RTP/SAP, image2 sequences) is refused besides these.
REFUSED_DEMUXERS = frozenset({
    "hls", "dash", "concat", "imf", "sdp", "vobsub", "webm_dash_manifest", "image2",
    "avisynth", "vapoursynth", "dvdvideo", "lavfi", "rtsp", "rtp", "sap", "tee",
})  # fmt: skip

# What a refused file looks like, for a message that names it (FFmpeg does not say).
_SIGNATURES = (
    (b"#EXTM3U", "an HLS playlist (.m3u8)"),
    (b"ffconcat version", "an ffconcat list of other files"),
    (b"<MPD", "a DASH manifest (.mpd)"),
    (b"<CompositionPlaylist", "an IMF composition playlist"),
    (b"# VobSub index file", "a VobSub index (it reads a .sub file beside it)"),
    (b"v=0\n", "an SDP session description (it opens network streams)"),
    (b"v=0\r\n", "an SDP session description (it opens network streams)"),
)
_SNIFF_BYTES = 4096
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/")  # what a URL looks like, even after Path folds its "//"


@dataclass(frozen=True)
class MediaLimits:
    """Caps checked before decoding; from ``MEDIA_STUDIO_MAX_*`` (see :mod:`studio.core.settings`)."""

    max_pixels: int = Settings.max_pixels
    max_duration_s: float = Settings.max_duration_s
    max_file_mb: int = Settings.max_file_mb

    @classmethod
    def from_env(cls) -> MediaLimits:
        settings = Settings.from_env()
        return cls(settings.max_pixels, settings.max_duration_s, settings.max_file_mb)


@lru_cache(maxsize=1)
def _allowed_demuxers() -> str:
    names = []
    for name in sorted(av.formats_available):
        try:
            fmt = av.ContainerFormat(name, "r")
        except ValueError:
            continue  # an output-only format
        if fmt.is_input and not fmt.no_file and name not in REFUSED_DEMUXERS and "," not in name:
            names.append(name)
    return ",".join(names)


def file_url(path: str | os.PathLike[str]) -> str:
    """A local path as FFmpeg's ``file:`` URL, for files FFmpeg must open by name (outputs:
    the MP4 muxer reopens its file to move the index to the front). No part of the name is
    then read as another protocol."""
    return "file:" + os.path.abspath(os.fsdecode(path))


def ffmpeg_reason(exc: BaseException) -> str:
    """FFmpeg's own words for a failure, without the file name it appends."""
    text = getattr(exc, "strerror", None) or str(exc)
    return text.strip() or type(exc).__name__


def _sniffed_kind(head: bytes) -> str | None:
    """What a refused file is, from its first bytes (text formats; XML only when the file is XML)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    is_xml = text.startswith(b"<")
    for signature, kind in _SIGNATURES:
        if text.startswith(signature) or (is_xml and signature.startswith(b"<") and signature.lower() in text.lower()):
            return kind
    return None


def check_local_file(path: str | os.PathLike[str]) -> None:
    """Refuse ``path`` unless it names a regular local file, from its ``stat`` alone: a FIFO,
    device or socket is never opened (opening one can block, or read without end). Every file
    the studio reads goes through this: media, pictures, sidecars, scripts, LoRA weights."""
    shown = os.fsdecode(path)
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        hint = " (a local file is needed; URLs are never fetched)" if _URL.match(shown) else ""
        raise MediaNotFound(shown, f"no such file{hint}") from None
    except ValueError:  # a NUL in the name
        raise MediaNotFound(shown, "no such file (the name holds a NUL character)") from None
    except OSError as exc:
        raise MediaError(shown, f"cannot be opened ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise MediaNotFound(shown, "is a folder, not a regular file")
    if not stat.S_ISREG(info.st_mode):
        raise MediaNotFound(shown, "is a pipe, socket or device, not a regular file")


def open_local(path: str | os.PathLike[str], shown: str, max_bytes: int, limit: str) -> Any:
    """The regular file ``path`` opened for reading by the OS, refused when empty or over
    ``max_bytes`` (``limit`` says which limit, for the message)."""
    check_local_file(path)
    try:
        # O_NONBLOCK: were it swapped for a FIFO since the check, opening must not hang (refused below)
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise MediaNotFound(shown, "no such file") from None
    except OSError as exc:
        raise MediaError(shown, f"cannot be opened ({exc.strerror or exc})") from None
    info = os.fstat(handle)
    if not stat.S_ISREG(info.st_mode):
        os.close(handle)
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a pipe, socket or device"
        raise MediaNotFound(shown, f"is {kind}, not a regular file")
    if info.st_size == 0:
        os.close(handle)
        raise EmptyMedia(shown, "the file is empty (0 bytes)")
    if info.st_size > max_bytes:
        os.close(handle)
        raise RefusedMedia(shown, f"the file has {info.st_size / 2**20:.0f} MB, over the limit of {limit}")
    return os.fdopen(handle, "rb")


def _open_local(path: str | os.PathLike[str], shown: str, limits: MediaLimits) -> Any:
    """The file opened for reading by the OS, after checking it is a regular, non-empty file."""
    return open_local(path, shown, limits.max_file_mb * 1024 * 1024,
                      f"{limits.max_file_mb} MB (MEDIA_STUDIO_MAX_FILE_MB)")  # fmt: skip


def _check_y4m_size(head: bytes, shown: str, limits: MediaLimits) -> None:
    """A y4m header's frame size, read before FFmpeg: its demuxer reports a size too big to
    allocate as EBUSY ("Device or resource busy") instead of refusing it."""
    if not head.startswith(b"YUV4MPEG2 "):
        return
    fields = {token[:1]: token[1:] for token in head.split(b"\n", 1)[0].split()[1:]}
    if fields.get(b"W", b"").isdigit() and fields.get(b"H", b"").isdigit():
        width, height = int(fields[b"W"]), int(fields[b"H"])
        if width * height > limits.max_pixels:
            raise RefusedMedia(
                shown,
                f"its frames are {width}×{height} = {width * height:,} pixels, over the limit of "
                f"{limits.max_pixels:,} (MEDIA_STUDIO_MAX_PIXELS)",
            )


def _check_limits(container: Any, shown: str, limits: MediaLimits) -> None:
    for stream in container.streams.video:
        width, height = stream.codec_context.width, stream.codec_context.height
        if width * height > limits.max_pixels:
            raise RefusedMedia(
                shown,
                f"its frames are {width}×{height} = {width * height:,} pixels, over the limit of "
                f"{limits.max_pixels:,} (MEDIA_STUDIO_MAX_PIXELS)",
            )
        if width == 0 or height == 0:
            raise RefusedMedia(
                shown,
                f"its frame size cannot be read without decoding more than {limits.max_pixels:,} pixels "
                "(MEDIA_STUDIO_MAX_PIXELS), or the video stream is damaged",
            )
    duration = container.duration / 1e6 if container.duration else 0.0
    for stream in container.streams:
        if stream.duration:
            duration = max(duration, float(stream.duration * stream.time_base))
    if duration > limits.max_duration_s:
        raise RefusedMedia(
            shown,
            f"it declares {duration:.1f} s, over the limit of {limits.max_duration_s:g} s "
            "(MEDIA_STUDIO_MAX_DURATION_S)",
        )


@contextmanager
def open_media(path: str | os.PathLike[str], limits: MediaLimits | None = None) -> Iterator[Any]:
    """An open PyAV input container for the local file ``path``; closed on exit.

    Errors name the path as it was given (``a//b.mp4`` stays ``a//b.mp4``).
    """
    limits = limits or MediaLimits.from_env()
    shown = os.fsdecode(path) if not isinstance(path, str) else path
    handle = _open_local(path, shown, limits)
    try:
        head = handle.read(_SNIFF_BYTES)
        handle.seek(0)
        kind = _sniffed_kind(head)
        if kind is not None:
            raise RefusedMedia(shown, f"is {kind}; Media Studio opens single local media files and follows no "
                                      "playlist or list of other files")  # fmt: skip
        _check_y4m_size(head, shown, limits)
        options = {
            "format_whitelist": _allowed_demuxers(),
            "protocol_whitelist": "none",  # no demuxer may open a nested file or URL
            "max_pixels": str(limits.max_pixels),  # probing decoders refuse bigger frames
        }
        try:
            container = av.open(handle, mode="r", metadata_errors="ignore", options=options)
        except av.error.ArgumentError:  # EINVAL: FFmpeg chose a demuxer that is not allowed
            raise RefusedMedia(shown, "its format is one Media Studio does not open (a playlist, a list of "
                                      "other files, an image sequence or a device)") from None  # fmt: skip
        except av.error.FFmpegError as exc:
            raise CorruptMedia(shown, f"not a readable media file ({ffmpeg_reason(exc)})") from None
        try:
            _check_limits(container, shown, limits)
            for stream in container.streams.video:  # the header may lie: a later frame can be bigger
                stream.codec_context.options = {"max_pixels": str(limits.max_pixels)}
            yield container
        finally:
            container.close()
    finally:
        handle.close()


def _tag_seconds(text: str | None) -> float | None:
    """Matroska's per-stream ``DURATION`` tag, ``HH:MM:SS.nnnnnnnnn``, in seconds."""
    if not text:
        return None
    try:
        hours, minutes, seconds = text.strip().split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    except ValueError:
        return None


def declared_end_s(container: Any, stream: Any) -> float | None:
    """How long ``stream`` says it lasts, from its start: the stream header's duration, else
    Matroska's ``DURATION`` tag, else the container's duration when it is the only stream.
    ``None`` when nothing declares it (a live-style WebM), so truncation cannot be judged."""
    if stream.duration:
        return float(stream.duration * Fraction(stream.time_base))
    tagged = _tag_seconds(stream.metadata.get("DURATION") or stream.metadata.get("duration"))
    if tagged:
        return tagged
    if len(container.streams) == 1 and container.duration:
        start = float(stream.start_time * Fraction(stream.time_base)) if stream.start_time else 0.0
        return container.duration / 1e6 - start
    return None
