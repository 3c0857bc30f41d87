"""``iter_frames``: decode once, stream upright RGB frames with their true presentation times."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import av.error
import numpy as np

from studio.core import CorruptMedia, EmptyMedia, InputError
from studio.media.heap import keep_frame_buffers
from studio.media.inputs import MediaLimits, declared_end_s, ffmpeg_reason, open_media
from studio.media.orientation import display_size, upright
from studio.media.probe import truncation_slack_s, video_stream
from studio.media.rates import as_fps, declared_fps
from studio.media.selection import (
    EveryFrame,
    FrameCounter,
    Marked,
    SampledOnly,
    TimestampSampler,
    disposable_packet_test,
    in_background,
)

__all__ = ["Frame", "Picture", "iter_frames", "iter_pictures"]

Size = int | tuple[int, int] | None

# swscale converts each frame in this thread alone. Its default (0: one slice thread per core)
# hands every frame to a pool that fights the decoder thread for the same cores: at 720p on
# 2 cores that ran 1.4x slower than one thread (benchmarks/decode.py).
CONVERSION_THREADS = 1
MAX_DECODER_THREADS = 8  # frame threads add a frame of latency and memory each; 8 saturate a decoder


def _usable_cores() -> int:
    """The cores this process may run on (its affinity, as containers set it), else all."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Frame:
    """One decoded frame: ``index`` counts decoded frames from the stream start (0-based),
    ``time_s`` is its presentation time in seconds from the stream start, ``image`` is
    ``H×W×3`` uint8 RGB, upright as a player shows it.

    With ``every_frame=True`` and a ``sample_size``, the sampled frames also carry ``view``:
    the same frame at ``sample_size``, pixel for pixel what ``iter_frames(size=sample_size)``
    yields, so analysis sees the same pixels whether or not every frame is drawn.
    """

    index: int
    time_s: float
    image: np.ndarray
    sampled: bool = True  # with ``every_frame=True``: is this one of the analysis samples?
    view: np.ndarray | None = None


@dataclass(frozen=True)
class Picture:
    """One decoded frame, not yet converted: :meth:`rgb` gives it upright at any size, so
    several consumers of one decode pass (analysis samples, shot thumbnails, clips for an
    action model, the annotated video) each convert it to their own size, and only when they
    want it. Use it before the next one is taken: the decoder reuses its buffers."""

    index: int
    time_s: float
    sampled: bool  # one of the ``fps`` samples
    decoded: Any = field(repr=False, compare=False)

    def rgb(self, size: Size = None) -> np.ndarray:
        """``H×W×3`` uint8 RGB, upright; ``size`` as in :func:`iter_frames`."""
        return _to_rgb(self.decoded, size)

    def coded_luma(self, width: int) -> np.ndarray:
        """``H×width`` uint8 luma (grey) at the stored height and orientation, not rotated: its
        even and odd rows are the frame's two fields, for tests that tell them apart."""
        frame = self.decoded
        return frame.reformat(width=width, height=frame.height, format="gray", threads=CONVERSION_THREADS).to_ndarray()


def _target_size(size: Size, width: int, height: int) -> tuple[int, int] | None:
    """``size`` as displayed ``(w, h)``; an int is the longest side, keeping aspect (even sides)."""
    if size is None:
        return None
    if isinstance(size, int):
        if size <= 0:
            raise InputError(f"expected a positive size, got {size}")
        scale = size / max(width, height)
        return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)
    w, h = size
    if w <= 0 or h <= 0:
        raise InputError(f"expected a positive (width, height), got {size}")
    return int(w), int(h)


def _to_rgb(frame: Any, size: Size) -> np.ndarray:
    """The decoded frame as upright RGB at ``size`` (displayed pixels; ``None``: as stored)."""
    rotation = frame.rotation
    if size is None:
        return upright(frame.reformat(format="rgb24", threads=CONVERSION_THREADS).to_ndarray(), rotation)
    width, height = display_size(frame.width, frame.height, rotation)
    target = _target_size(size, width, height)
    assert target is not None
    stored = display_size(*target, rotation)  # scale as stored, then turn
    resized = frame.reformat(
        width=stored[0], height=stored[1], format="rgb24", interpolation="AREA", threads=CONVERSION_THREADS
    )
    return upright(resized.to_ndarray(), rotation)


def _check_range(fps: Fraction | None, start_s: float, end_s: float | None) -> None:
    if not math.isfinite(start_s) or start_s < 0:
        raise InputError(f"expected start_s >= 0, got {start_s}")
    if end_s is not None and not end_s > start_s:
        raise InputError(f"expected end_s > start_s, got start_s={start_s}, end_s={end_s}")
    if fps is not None and fps <= 0:
        raise InputError(f"expected a positive sampling fps, got {fps}")


def iter_frames(
    path: str | os.PathLike[str],
    fps: Fraction | int | float | str | None = None,
    start_s: float = 0.0,
    end_s: float | None = None,
    size: Size = None,
    every_frame: bool = False,
    sample_size: Size = None,
    limits: MediaLimits | None = None,
) -> Iterator[Frame]:
    """Decode ``path`` once and yield upright RGB frames with their true presentation times.

    With ``fps``, sample by timestamp: for each target time ``start_s + k / fps`` inside
    the range, yield the decoded frame nearest to it (each frame at most once, so asking
    for more than the source rate yields every frame). Only yielded frames are converted
    to RGB. ``size`` is ``(w, h)`` or the longest side in displayed pixels. Times count from
    the start of the video stream. Damage found mid-stream, or a stream that stops short of
    its declared end (truncation, in any container), raises :class:`CorruptMedia` after
    every good frame before it was yielded; its ``decoded_until_s`` says where.

    ``every_frame=True`` yields every frame in the range (e.g. to draw them all) and marks
    the ones the ``fps`` sampling chose with ``Frame.sampled``; those carry ``Frame.view``
    at ``sample_size`` when it is given.
    """
    for index, time_s, frame, sampled in _decoded(path, fps, start_s, end_s, every_frame, limits):
        view = _to_rgb(frame, sample_size) if every_frame and sampled and sample_size is not None else None
        yield Frame(index, time_s, _to_rgb(frame, size), sampled, view)


def iter_pictures(
    path: str | os.PathLike[str],
    fps: Fraction | int | float | str | None = None,
    start_s: float = 0.0,
    end_s: float | None = None,
    limits: MediaLimits | None = None,
) -> Iterator[Picture]:
    """Every frame of ``path`` in the range, decoded once and left unconverted, marked
    ``sampled`` where the ``fps`` sampling of :func:`iter_frames` chooses it: the same frames,
    the same times, the same errors (:class:`CorruptMedia` after every good frame)."""
    for index, time_s, frame, sampled in _decoded(path, fps, start_s, end_s, True, limits):
        yield Picture(index, time_s, sampled, frame)


def _decoded(
    path: str | os.PathLike[str],
    fps: Fraction | int | float | str | None,
    start_s: float,
    end_s: float | None,
    every_frame: bool,
    limits: MediaLimits | None,
) -> Iterator[Marked]:
    """The chosen frames of ``path``, decoded once and unconverted: what both iterators read."""
    rate = as_fps(fps) if fps is not None else None
    _check_range(rate, start_s, end_s)
    keep_frame_buffers()
    with open_media(path, limits) as container:
        stream = video_stream(container, os.fsdecode(path))
        # A decoder thread per core: with the RGB conversion on one thread (CONVERSION_THREADS)
        # two frame threads beat one on 2 cores (720p and 1080p, benchmarks/decode.py).
        decoder_threads = min(MAX_DECODER_THREADS, max(1, _usable_cores()))
        if decoder_threads > 1:
            stream.thread_type = "AUTO"
        stream.thread_count = decoder_threads
        # Decoding runs one step ahead in a helper thread while this one converts to RGB;
        # both release the GIL inside FFmpeg, so the two overlap on separate cores.
        chosen = _choose_frames(container, stream, os.fsdecode(path), rate, start_s, end_s, every_frame)
        yield from in_background(chosen)


def _choose_frames(
    container: Any,
    stream: Any,
    shown: str,
    rate: Fraction | None,
    start_s: float,
    end_s: float | None,
    every_frame: bool = False,
) -> Iterator[Marked]:
    """Demux, decode what may be wanted, and yield the chosen (index, time, frame, sampled)."""
    time_base = Fraction(stream.time_base)
    origin = stream.start_time or 0
    declared = declared_fps(stream) or Fraction(30)
    if start_s > 0:
        container.seek(origin + int(start_s / time_base), stream=stream, backward=True)
    timestamps = TimestampSampler(rate, start_s, end_s, float(1 / declared))
    sampler = EveryFrame(timestamps) if every_frame else SampledOnly(timestamps)
    counter = FrameCounter(first_index=None if start_s > 0 else 0)
    extradata = stream.codec_context.extradata
    disposable = disposable_packet_test(stream.codec_context.name, extradata) if rate and not every_frame else None
    decoded = 0
    last_time: float | None = None  # the last frame decoded
    last_seen = -math.inf  # the latest packet demuxed, decoded or skipped
    try:
        for packet in container.demux(stream):
            if packet.pts is not None and not packet.is_discard:
                counter.note(packet.pts)
                packet_time = float((packet.pts - origin) * time_base)
                last_seen = max(last_seen, packet_time)
                if disposable and not sampler.wants(packet_time) and disposable(packet):
                    continue  # nothing references it and no target is near: never decode it
            for frame in packet.decode():
                decoded += 1
                if frame.pts is None:
                    index = decoded - 1
                    time_s = index / float(declared)
                else:
                    time_s = float((frame.pts - origin) * time_base)
                    index = counter.index_of(frame.pts, fallback=round(time_s * declared))
                last_time = time_s
                yield from sampler.push(index, time_s, frame)
            if sampler.done:
                break
    except av.error.FFmpegError as exc:
        yield from sampler.finish()
        reason = ffmpeg_reason(exc)
        if isinstance(exc, av.error.ArgumentError):
            reason += "; damaged data, or a frame over the pixel limit (MEDIA_STUDIO_MAX_PIXELS)"
        raise CorruptMedia(shown, f"decoding stopped ({reason})", decoded_until_s=last_time) from None
    yield from sampler.finish()
    if decoded == 0:
        raise EmptyMedia(shown, "the video stream has no decodable frames")
    expected_end = declared_end_s(container, stream) or 0.0
    wanted_end = expected_end if end_s is None else min(end_s, expected_end)
    if not sampler.done and last_seen + truncation_slack_s(declared) < wanted_end:
        reason = f"truncated: frames stop at {last_seen:.3f} s but the stream should last {expected_end:.3f} s"
        raise CorruptMedia(shown, reason, decoded_until_s=last_time)
