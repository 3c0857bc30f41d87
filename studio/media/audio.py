"""Audio in and out: 16 kHz mono float32 from any audio or video file, and audio files written."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np

from studio.core import CorruptMedia, EmptyMedia, InputError, NoAudioTrack, OutputError, atomic_path, os_reason
from studio.media.inputs import MediaLimits, declared_end_s, ffmpeg_reason, file_url, open_media

__all__ = ["ASR_SAMPLE_RATE", "audio_duration", "audio_planes", "channel_layout", "iter_audio", "read_audio",
           "write_audio"]  # fmt: skip

ASR_SAMPLE_RATE = 16_000  # what Whisper and the VAD expect
# audio ending this much short of its declared length is truncated: encoder priming and padding
# (AAC 1024-2048 samples, Opus 312) and container rounding stay well below it
AUDIO_TRUNCATION_SLACK_S = 0.5


def iter_audio(
    path: str | os.PathLike[str],
    sample_rate: int = ASR_SAMPLE_RATE,
    chunk_s: float = 30.0,
    limits: MediaLimits | None = None,
) -> Iterator[np.ndarray]:
    """Stream the first audio track as mono float32 chunks of ``chunk_s`` seconds
    (the last may be shorter), resampled to ``sample_rate``. Hours of audio never sit in
    memory at once. A damaged packet becomes silence of its length, so later speech keeps
    its time; a file cut short (in any container) yields what it has, then raises
    :class:`CorruptMedia` whose ``decoded_until_s`` says where the audio stops."""
    if not chunk_s > 0:
        raise InputError(f"expected chunk_s > 0, got {chunk_s}")
    shown = os.fsdecode(path)
    with open_media(path, limits) as container:
        if not container.streams.audio:
            raise NoAudioTrack(shown, "has no audio track")
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
            reason = f"audio stops at {until:.3f} s ({ffmpeg_reason(exc)})"
            raise CorruptMedia(shown, reason, decoded_until_s=until) from None
        for out in resampler.resample(None):
            yield from chunker.push(out.to_ndarray().reshape(-1))
        yield from chunker.flush()
        expected_s = declared_end_s(container, stream) or 0.0
        until = chunker.samples_out / sample_rate
        if until < expected_s - AUDIO_TRUNCATION_SLACK_S:
            reason = f"truncated: audio stops at {until:.3f} s but the track should last {expected_s:.3f} s"
            raise CorruptMedia(shown, reason, decoded_until_s=until)


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


def audio_duration(path: str | os.PathLike[str], limits: MediaLimits | None = None) -> float:
    """Seconds of the first audio track from the header (no decoding); 0.0 when unknown."""
    with open_media(path, limits) as container:
        if not container.streams.audio:
            raise NoAudioTrack(os.fsdecode(path), "has no audio track")
        return declared_end_s(container, container.streams.audio[0]) or (
            container.duration / 1e6 if container.duration else 0.0
        )


def read_audio(path: str | os.PathLike[str], sample_rate: int = ASR_SAMPLE_RATE) -> np.ndarray:
    """The whole first audio track as one mono float32 array at ``sample_rate`` Hz."""
    chunks = list(iter_audio(path, sample_rate=sample_rate, chunk_s=600.0))
    if not chunks:
        raise EmptyMedia(os.fsdecode(path), "the audio track has no samples")
    return np.concatenate(chunks)


_AUDIO_CODECS = {".wav": "pcm_s16le", ".flac": "flac", ".mp3": "libmp3lame", ".m4a": "aac", ".ogg": "libopus"}


def write_audio(path: str | os.PathLike[str], samples: np.ndarray, sample_rate: int = ASR_SAMPLE_RATE) -> Path:
    """Write mono or ``channels×samples`` float audio in [-1, 1] as wav, flac, mp3, m4a or ogg,
    atomically (a temporary file beside ``path``, renamed when complete)."""
    file = Path(path)
    codec = _AUDIO_CODECS.get(file.suffix.lower())
    if codec is None:
        raise InputError(f"expected an audio file name ending in {', '.join(_AUDIO_CODECS)}, got {file.name!r}")
    planes = audio_planes(samples)
    layout = channel_layout(planes)
    rate = 48_000 if codec == "libopus" else sample_rate  # Opus runs at 48 kHz only
    with atomic_path(file) as temporary:
        try:
            with av.open(file_url(temporary), mode="w") as container:
                stream: Any = container.add_stream(codec, rate=rate, layout=layout)
                frame = av.AudioFrame.from_ndarray(planes, format="fltp", layout=layout)
                frame.sample_rate = sample_rate
                frame.pts = 0
                resampler = av.AudioResampler(format=stream.codec_context.format.name, layout=layout, rate=rate)
                for piece in resampler.resample(frame) + resampler.resample(None):
                    container.mux(stream.encode(piece))
                container.mux(stream.encode(None))
        except (av.error.FFmpegError, OSError) as exc:
            raise OutputError(path, f"could not be written ({os_reason(exc)})") from None
    return file


def channel_layout(planes: np.ndarray) -> str:
    return "mono" if planes.shape[0] == 1 else "stereo"


def audio_planes(audio: np.ndarray) -> np.ndarray:
    """Mono or ``channels×samples`` float audio as contiguous planes clipped to [-1, 1]."""
    samples = np.asarray(audio, dtype=np.float32)
    planes = samples.reshape(1, -1) if samples.ndim == 1 else samples
    if planes.ndim != 2 or planes.shape[0] not in (1, 2):
        raise InputError(f"expected mono or stereo audio (channels × samples), got shape {samples.shape}")
    return np.ascontiguousarray(np.clip(planes, -1.0, 1.0))
