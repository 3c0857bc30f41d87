"""Media I/O on PyAV: the only place that opens, decodes, encodes or converts colours.

- :func:`probe` reads a file's header and every video packet's timestamp (no decoding) to
  report the exact declared FPS, the real frame timing and variable frame rate.
- :func:`iter_frames` decodes once and streams RGB frames with their true presentation
  time, optionally sampled at an analysis FPS by timestamp.
- :func:`iter_audio` / :func:`read_audio` give 16 kHz mono float32 from any audio or video.
- :class:`VideoWriter` writes H.264 yuv420p MP4 at an exact rational FPS, audio optional.

Every failure to read is a :class:`~studio.errors.MediaError` naming the file and reason.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import av
import av.error
import numpy as np

from studio.errors import (
    CorruptMedia,
    EmptyMedia,
    InputError,
    MediaError,
    MediaNotFound,
    NoAudioTrack,
    NoVideoStream,
)
from studio.sampling import (
    EveryFrame,
    FrameCounter,
    Marked,
    SampledOnly,
    TimestampSampler,
    disposable_packet_test,
    in_background,
)
from studio.types import VideoInfo

__all__ = [
    "ASR_SAMPLE_RATE",
    "Frame",
    "VideoWriter",
    "as_fps",
    "audio_duration",
    "iter_audio",
    "iter_frames",
    "probe",
    "read_audio",
    "write_audio",
]

ASR_SAMPLE_RATE = 16_000  # what Whisper and the VAD expect


@dataclass(frozen=True)
class Frame:
    """One decoded frame: ``index`` counts decoded frames from the stream start (0-based),
    ``time_s`` is its presentation time in seconds from the stream start, ``image`` is
    ``H×W×3`` uint8 RGB."""

    index: int
    time_s: float
    image: np.ndarray
    sampled: bool = True  # with ``every_frame=True``: is this one of the analysis samples?


def as_fps(value: Fraction | int | float | str) -> Fraction:
    """An exact frame rate from user input: ``"30000/1001"``, ``29.97``, ``25``.

    Floats near an NTSC rate (n·1000/1001) snap to it, so ``29.97`` is ``30000/1001``.
    """
    if isinstance(value, str) and "." in value:
        try:
            value = float(value)
        except ValueError:
            raise InputError(f"expected a frame rate like 25, 29.97 or 30000/1001, got {value!r}") from None
    if isinstance(value, Fraction):
        fps = value
    elif isinstance(value, float):
        ntsc = Fraction(round(value * 1.001) * 1000, 1001)
        fps = ntsc if abs(float(ntsc) - value) < 0.005 else Fraction(value).limit_denominator(1001)
    else:
        try:
            fps = Fraction(value)
        except (ValueError, ZeroDivisionError):
            raise InputError(f"expected a frame rate like 25, 29.97 or 30000/1001, got {value!r}") from None
    if fps <= 0:
        raise InputError(f"expected a positive frame rate, got {value!r}")
    return fps


def _checked_path(path: str | Path) -> Path:
    file = Path(path)
    if not file.exists():
        raise MediaNotFound(file, "no such file")
    if not file.is_file():
        raise MediaNotFound(file, "not a regular file")
    if file.stat().st_size == 0:
        raise EmptyMedia(file, "the file is empty (0 bytes)")
    return file


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.strip() or type(exc).__name__


@contextmanager
def _open_input(path: str | Path) -> Iterator[Any]:
    file = _checked_path(path)
    try:
        container = av.open(str(file), mode="r", metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise CorruptMedia(file, f"not a readable media file ({_reason(exc)})") from None
    try:
        yield container
    finally:
        container.close()


def _video_stream(container: Any, path: str | Path) -> Any:
    if not container.streams.video:
        raise NoVideoStream(path, "has no video stream")
    return container.streams.video[0]


def _declared_fps(stream: Any) -> Fraction | None:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            return Fraction(rate)
    return None


def _packet_times(container: Any, stream: Any, path: str | Path) -> list[int]:
    """Presentation timestamps (stream ticks) of every video packet, in display order."""
    pts: list[int] = []
    try:
        for packet in container.demux(stream):
            if packet.pts is None or packet.size == 0 or packet.is_discard:
                continue
            pts.append(packet.pts)
    except av.error.FFmpegError as exc:
        last = float(max(pts) * stream.time_base) if pts else None
        raise CorruptMedia(path, f"damaged video data ({_reason(exc)})", decoded_until_s=last) from None
    pts.sort()
    return pts


def _is_irregular(times_s: np.ndarray, tick_s: float) -> bool:
    """True when frame times stray from one constant rate by more than rounding explains.

    Fits ``t_i = t_0 + i * mean_interval``; constant-rate video whose timestamps were
    rounded (29.97 fps in 1 ms ticks gives 33/34 ms steps) stays within one rounding
    step, while a dropped, duplicated or re-timed frame moves every later frame.
    """
    if times_s.size < 3:
        return False
    mean_interval = (times_s[-1] - times_s[0]) / (times_s.size - 1)
    residual = times_s - (times_s[0] + np.arange(times_s.size) * mean_interval)
    rounding = max(tick_s, 0.001)  # containers such as MKV and FLV keep milliseconds
    return bool(np.max(np.abs(residual)) > rounding + 0.05 * mean_interval)


def probe(path: str | Path, strict: bool = True) -> VideoInfo:
    """Describe a video file: exact declared FPS and the frame timing its packets really have.

    Reads every video packet's timestamp (demuxing only, no decoding), so frame count,
    measured FPS and variable-frame-rate detection do not trust the header. A file with
    fewer packets than its header lists (truncated) raises :class:`CorruptMedia`; with
    ``strict=False`` it is described as found, with the problem in ``warnings``.
    """
    with _open_input(path) as container:
        video = _video_stream(container, path)
        audio = container.streams.audio[0] if container.streams.audio else None
        time_base = Fraction(video.time_base)
        tick_s = float(time_base)
        codec = video.codec_context.name
        width, height = video.codec_context.width, video.codec_context.height
        pixel_format = video.codec_context.format.name if video.codec_context.format else None
        declared = _declared_fps(video)
        stream_duration = float(video.duration * time_base) if video.duration else None
        container_duration = container.duration / 1e6 if container.duration else None
        start_s = float(video.start_time * time_base) if video.start_time is not None else 0.0
        bit_rate = container.bit_rate or None
        container_name = container.format.name
        header_frames = video.frames or 0
        pts = _packet_times(container, video, path)

    if not pts:
        raise EmptyMedia(path, "the video stream has no frames")
    warnings: list[str] = []
    if header_frames > len(pts):
        reason = f"truncated: the header lists {header_frames} frames but only {len(pts)} can be read"
        if strict:
            raise CorruptMedia(path, reason, decoded_until_s=float((pts[-1] - (video.start_time or 0)) * time_base))
        warnings.append(reason)
    times_s = np.asarray(pts, dtype=np.float64) * tick_s
    intervals = np.diff(times_s)
    if intervals.size:
        measured_fps = float(intervals.size / (intervals.sum())) if intervals.sum() > 0 else 0.0
        min_interval, max_interval = float(intervals.min()), float(intervals.max())
    else:
        measured_fps = float(declared) if declared else 0.0
        min_interval = max_interval = 1 / measured_fps if measured_fps else 0.0
    fps = declared or Fraction(measured_fps).limit_denominator(1001)
    duration_s = stream_duration or container_duration or (len(pts) / float(fps) if fps else 0.0)
    return VideoInfo(
        path=str(path),
        container=container_name,
        codec=codec,
        width=width,
        height=height,
        pixel_format=pixel_format,
        duration_s=duration_s,
        frame_count=len(pts),
        fps=fps,
        measured_fps=measured_fps,
        min_frame_interval_s=min_interval,
        max_frame_interval_s=max_interval,
        is_vfr=_is_irregular(times_s, tick_s),
        warnings=tuple(warnings),
        start_s=start_s,
        bit_rate=bit_rate,
        has_audio=audio is not None,
        audio_codec=audio.codec_context.name if audio else None,
        audio_sample_rate=audio.codec_context.sample_rate if audio else None,
        audio_channels=audio.codec_context.channels if audio else None,
    )


def _target_size(size: int | tuple[int, int] | None, width: int, height: int) -> tuple[int, int] | None:
    """``size`` as ``(w, h)``; an int is the longest side, keeping aspect (even sides)."""
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


def _to_rgb(frame: Any, size: tuple[int, int] | None) -> np.ndarray:
    if size is None:
        return frame.to_ndarray(format="rgb24")
    resized = frame.reformat(width=size[0], height=size[1], format="rgb24", interpolation="AREA")
    return resized.to_ndarray()


def _check_range(fps: Fraction | None, start_s: float, end_s: float | None) -> None:
    if start_s < 0:
        raise InputError(f"expected start_s >= 0, got {start_s}")
    if end_s is not None and end_s <= start_s:
        raise InputError(f"expected end_s > start_s, got start_s={start_s}, end_s={end_s}")
    if fps is not None and fps <= 0:
        raise InputError(f"expected a positive sampling fps, got {fps}")


def iter_frames(
    path: str | Path,
    fps: Fraction | int | float | str | None = None,
    start_s: float = 0.0,
    end_s: float | None = None,
    size: int | tuple[int, int] | None = None,
    every_frame: bool = False,
) -> Iterator[Frame]:
    """Decode ``path`` once and yield RGB frames with their true presentation times.

    With ``fps``, sample by timestamp: for each target time ``start_s + k / fps`` inside
    the range, yield the decoded frame nearest to it (each frame at most once, so asking
    for more than the source rate yields every frame). Only yielded frames are converted
    to RGB. ``size`` is ``(w, h)`` or the longest side in pixels. Times count from the
    start of the video stream. Damage found mid-stream raises :class:`CorruptMedia` after
    every good frame before it was yielded; its ``decoded_until_s`` says where.

    ``every_frame=True`` yields every frame in the range (e.g. to draw them all) and marks
    the ones the ``fps`` sampling chose with ``Frame.sampled``.
    """
    rate = as_fps(fps) if fps is not None else None
    _check_range(rate, start_s, end_s)
    with _open_input(path) as container:
        stream = _video_stream(container, path)
        stream.thread_type = "AUTO"
        target_size = _target_size(size, stream.codec_context.width, stream.codec_context.height)
        # Decoding runs one step ahead in a helper thread while this one converts to RGB;
        # both release the GIL inside FFmpeg, so the two overlap on separate cores.
        chosen = _choose_frames(container, stream, path, rate, start_s, end_s, every_frame)
        for index, time_s, frame, sampled in in_background(chosen):
            yield Frame(index, time_s, _to_rgb(frame, target_size), sampled)


def _choose_frames(
    container: Any,
    stream: Any,
    path: str | Path,
    rate: Fraction | None,
    start_s: float,
    end_s: float | None,
    every_frame: bool = False,
) -> Iterator[Marked]:
    """Demux, decode what may be wanted, and yield the chosen (index, time, frame, sampled)."""
    time_base = Fraction(stream.time_base)
    origin = stream.start_time or 0
    declared = _declared_fps(stream) or Fraction(30)
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
        raise CorruptMedia(path, f"decoding stopped ({_reason(exc)})", decoded_until_s=last_time) from None
    yield from sampler.finish()
    if decoded == 0:
        raise EmptyMedia(path, "the video stream has no decodable frames")
    expected_end = float((stream.duration or 0) * time_base)
    wanted_end = expected_end if end_s is None else min(end_s, expected_end)
    if not sampler.done and last_seen + 3 / float(declared) < wanted_end:
        reason = f"truncated: frames stop at {last_seen:.3f} s but the stream should last {expected_end:.3f} s"
        raise CorruptMedia(path, reason, decoded_until_s=last_time)


def iter_audio(path: str | Path, sample_rate: int = ASR_SAMPLE_RATE, chunk_s: float = 30.0) -> Iterator[np.ndarray]:
    """Stream the first audio track as mono float32 chunks of ``chunk_s`` seconds
    (the last may be shorter), resampled to ``sample_rate``. Hours of audio never sit in
    memory at once. A damaged packet becomes silence of its length, so later speech keeps
    its time; a file cut short yields what it has, then raises :class:`CorruptMedia`."""
    if chunk_s <= 0:
        raise InputError(f"expected chunk_s > 0, got {chunk_s}")
    with _open_input(path) as container:
        if not container.streams.audio:
            raise NoAudioTrack(path, "has no audio track")
        stream = container.streams.audio[0]
        chunker = _Chunker(max(1, round(chunk_s * sample_rate)))
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        try:
            for packet in container.demux(stream):
                try:
                    frames = packet.decode()
                except av.error.FFmpegError:
                    seconds = float((packet.duration or 0) * stream.time_base)
                    yield from chunker.push(np.zeros(round(seconds * sample_rate), dtype=np.float32))
                    continue
                for frame in frames:
                    for out in resampler.resample(frame):
                        yield from chunker.push(out.to_ndarray().reshape(-1))
        except av.error.FFmpegError as exc:
            yield from chunker.flush()
            until = chunker.samples_out / sample_rate
            raise CorruptMedia(path, f"audio stops at {until:.3f} s ({_reason(exc)})", decoded_until_s=until) from None
        for out in resampler.resample(None):
            yield from chunker.push(out.to_ndarray().reshape(-1))
        yield from chunker.flush()
        expected_s = float((stream.duration or 0) * stream.time_base)
        until = chunker.samples_out / sample_rate
        if until < expected_s - 0.5:
            reason = f"truncated: audio stops at {until:.3f} s but the track should last {expected_s:.3f} s"
            raise CorruptMedia(path, reason, decoded_until_s=until)


class _Chunker:
    """Regroups sample blocks of any length into fixed-length float32 chunks."""

    def __init__(self, chunk_samples: int) -> None:
        self.chunk_samples = chunk_samples
        self.pending: list[np.ndarray] = []
        self.held = 0
        self.samples_out = 0

    def push(self, samples: np.ndarray) -> Iterator[np.ndarray]:
        self.pending.append(samples.astype(np.float32, copy=False))
        self.held += samples.size
        while self.held >= self.chunk_samples:
            joined = np.concatenate(self.pending)
            self.pending, self.held = [joined[self.chunk_samples :]], joined.size - self.chunk_samples
            self.samples_out += self.chunk_samples
            yield joined[: self.chunk_samples]

    def flush(self) -> Iterator[np.ndarray]:
        if self.held:
            tail = np.concatenate(self.pending)
            self.pending, self.held = [], 0
            self.samples_out += tail.size
            yield tail


def audio_duration(path: str | Path) -> float:
    """Seconds of the first audio track from the header (no decoding); 0.0 when unknown."""
    with _open_input(path) as container:
        if not container.streams.audio:
            raise NoAudioTrack(path, "has no audio track")
        stream = container.streams.audio[0]
        if stream.duration:
            return float(stream.duration * stream.time_base)
        return container.duration / 1e6 if container.duration else 0.0


def read_audio(path: str | Path, sample_rate: int = ASR_SAMPLE_RATE) -> np.ndarray:
    """The whole first audio track as one mono float32 array at ``sample_rate`` Hz."""
    chunks = list(iter_audio(path, sample_rate=sample_rate, chunk_s=600.0))
    if not chunks:
        raise EmptyMedia(path, "the audio track has no samples")
    return np.concatenate(chunks)


_AUDIO_CODECS = {".wav": "pcm_s16le", ".flac": "flac", ".mp3": "libmp3lame", ".m4a": "aac", ".ogg": "libopus"}


def write_audio(path: str | Path, samples: np.ndarray, sample_rate: int = ASR_SAMPLE_RATE) -> Path:
    """Write mono or ``channels×samples`` float audio in [-1, 1] as wav, flac, mp3, m4a or ogg."""
    file = Path(path)
    codec = _AUDIO_CODECS.get(file.suffix.lower())
    if codec is None:
        raise InputError(f"expected an audio file name ending in {', '.join(_AUDIO_CODECS)}, got {file.name!r}")
    planes = _audio_planes(samples)
    layout = _layout(planes)
    rate = 48_000 if codec == "libopus" else sample_rate  # Opus runs at 48 kHz only
    file.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(file), mode="w") as container:
        stream: Any = container.add_stream(codec, rate=rate, layout=layout)
        frame = av.AudioFrame.from_ndarray(planes, format="fltp", layout=layout)
        frame.sample_rate = sample_rate
        frame.pts = 0
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout=layout, rate=rate)
        for piece in resampler.resample(frame) + resampler.resample(None):
            container.mux(stream.encode(piece))
        container.mux(stream.encode(None))
    return file


def _layout(planes: np.ndarray) -> str:
    return "mono" if planes.shape[0] == 1 else "stereo"


def _audio_planes(audio: np.ndarray) -> np.ndarray:
    samples = np.asarray(audio, dtype=np.float32)
    planes = samples.reshape(1, -1) if samples.ndim == 1 else samples
    if planes.ndim != 2 or planes.shape[0] not in (1, 2):
        raise InputError(f"expected mono or stereo audio (channels × samples), got shape {samples.shape}")
    return np.ascontiguousarray(np.clip(planes, -1.0, 1.0))


class VideoWriter:
    """Write RGB frames to an H.264 (yuv420p) MP4 at an exact rational frame rate.

    >>> with VideoWriter("out.mp4", fps="30000/1001") as writer:
    ...     writer.write(rgb_frame)

    ``audio`` (mono or ``channels×samples`` float in [-1, 1]) at ``audio_rate`` is muxed
    as AAC when the writer closes; or ``audio_from`` copies another file's first audio track
    as it is (no re-encoding), e.g. to keep a source's sound under annotated frames. Pass
    ``time_s`` to :meth:`write` for variable-rate
    timing (``time_base`` then sets the timestamp resolution). Odd frame sizes are padded
    by one edge pixel, since yuv420p needs even sides.
    """

    def __init__(
        self,
        path: str | Path,
        fps: Fraction | int | float | str,
        *,
        crf: int = 20,
        preset: str = "veryfast",
        audio: np.ndarray | None = None,
        audio_rate: int = ASR_SAMPLE_RATE,
        audio_from: str | Path | None = None,
        time_base: Fraction | None = None,
    ) -> None:
        if audio is not None and audio_from is not None:
            raise InputError("expected audio samples or a file to copy audio from, not both")
        self.path = Path(path)
        self.audio_from = Path(audio_from) if audio_from is not None else None
        self._audio_source: Any = None
        self.fps = as_fps(fps)
        self.time_base = time_base or 1 / self.fps
        self.crf = crf
        self.preset = preset
        self.audio = audio
        self.audio_rate = audio_rate
        self.frames_written = 0
        self._last_pts = -1
        self._size: tuple[int, int] | None = None
        self._stream: Any = None
        self._audio_stream: Any = None
        self._audio_planes = np.zeros((1, 0), dtype=np.float32)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._container: Any = av.open(str(self.path), mode="w", options={"movflags": "+faststart"})
        except av.error.FFmpegError as exc:
            raise MediaError(self.path, f"cannot write here ({_reason(exc)})") from None

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _open_stream(self, width: int, height: int) -> None:
        stream = self._container.add_stream("libx264", rate=self.fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.time_base = self.time_base
        stream.codec_context.time_base = self.time_base
        stream.options = {"crf": str(self.crf), "preset": self.preset}
        self._stream = stream
        self._size = (width, height)
        if self.audio is not None:  # every stream must exist before the first packet is muxed
            self._audio_planes = _audio_planes(self.audio)
            layout = _layout(self._audio_planes)
            self._audio_stream = self._container.add_stream("aac", rate=self.audio_rate, layout=layout)
        elif self.audio_from is not None:
            source = av.open(str(self.audio_from))
            if source.streams.audio:
                self._audio_source = source
                self._audio_stream = self._container.add_stream_from_template(source.streams.audio[0])
            else:
                source.close()

    def _copy_audio(self) -> None:
        source = self._audio_source
        try:
            for packet in source.demux(source.streams.audio[0]):
                if packet.dts is None:
                    continue
                packet.stream = self._audio_stream
                self._container.mux(packet)
        except av.error.FFmpegError:
            pass  # a damaged source track ends the copy; the video stays whole
        finally:
            source.close()

    def write(self, image: np.ndarray, time_s: float | None = None) -> None:
        """Append one ``H×W×3`` uint8 RGB frame, at ``time_s`` or the next frame slot."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise InputError(f"expected an H×W×3 uint8 RGB frame, got shape {image.shape} dtype {image.dtype}")
        height, width = image.shape[:2]
        padded = (width + width % 2, height + height % 2)
        if self._stream is None:
            self._open_stream(*padded)
        elif padded != self._size:
            raise InputError(f"expected frames of {self._size[0]}×{self._size[1]}, got {width}×{height}")  # type: ignore[index]
        if padded != (width, height):
            image = np.pad(image, ((0, padded[1] - height), (0, padded[0] - width), (0, 0)), mode="edge")
        if time_s is None:
            pts = round(self.frames_written / self.fps / self.time_base)
        else:
            pts = round(Fraction(time_s) / self.time_base)
        if pts <= self._last_pts:
            raise InputError(f"expected increasing frame times, got {time_s} s after pts {self._last_pts}")
        self._last_pts = pts
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
        frame.pts = pts
        frame.time_base = self.time_base
        self._container.mux(self._stream.encode(frame))
        self.frames_written += 1

    def _write_audio(self) -> None:
        planes = self._audio_planes
        frame = av.AudioFrame.from_ndarray(planes, format="fltp", layout=_layout(planes))
        frame.sample_rate = self.audio_rate
        frame.pts = 0
        self._container.mux(self._audio_stream.encode(frame))
        self._container.mux(self._audio_stream.encode(None))

    def close(self) -> None:
        """Flush the encoder, mux any audio and finish the file (safe to call twice)."""
        if self._container is None:
            return
        container = self._container
        try:
            if self._stream is not None:
                container.mux(self._stream.encode(None))
                if self._audio_source is not None:
                    self._copy_audio()
                elif self._audio_stream is not None:
                    self._write_audio()
        finally:
            self._container = None
            container.close()
        if self._stream is None:  # nothing was written: leave no unplayable file behind
            self.path.unlink(missing_ok=True)
