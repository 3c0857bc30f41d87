"""``scan_timing``: a file's frame timing as its header declares it and as its packets have it.

One demux pass, no decoding: every video packet's presentation time (sorted: B-frames arrive
out of order), the rates the header declares (``avg_frame_rate``, ``r_frame_rate``, the time
base), the header's frame count, and where the first audio stream starts and ends. This is what
``ffprobe -show_packets`` reads, at demux speed, for an hour of video in seconds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction

import av.error
import numpy as np

from studio.core import CorruptMedia, EmptyMedia
from studio.media.inputs import MediaLimits, ffmpeg_reason, open_media
from studio.media.probe import video_stream

__all__ = ["StreamTiming", "scan_timing"]


@dataclass(frozen=True)
class StreamTiming:
    """The video stream's timing, times in seconds from the video stream's own start."""

    path: str
    container: str
    times_s: np.ndarray  # every video packet's presentation time, sorted
    avg_frame_rate: Fraction | None  # the header's average rate (ffprobe's avg_frame_rate)
    r_frame_rate: Fraction | None  # the lowest rate that represents every timestamp (r_frame_rate)
    time_base: Fraction  # one tick of the video timestamps
    header_frames: int  # the header's frame count (0: not stated)
    video_end_s: float  # the last frame's end (its time plus its duration)
    audio_start_s: float | None  # the first audio packet, on the video's clock; None: no audio
    audio_end_s: float | None  # the end of the last audio packet, on the video's clock


def scan_timing(path: str | os.PathLike[str], limits: MediaLimits | None = None) -> StreamTiming:
    """Demux ``path`` once and return its :class:`StreamTiming` (``CorruptMedia`` names damage)."""
    shown = os.fsdecode(path)
    with open_media(path, limits) as container:
        video = video_stream(container, shown)
        audio = container.streams.audio[0] if container.streams.audio else None
        base = Fraction(video.time_base)
        origin = video.start_time or 0
        ticks: list[int] = []
        video_end = 0
        audio_start: float | None = None
        audio_end: float | None = None
        try:
            for packet in container.demux(*(s for s in (video, audio) if s is not None)):
                if packet.pts is None or packet.size == 0:
                    continue
                if packet.stream is video:
                    ticks.append(packet.pts - origin)
                    video_end = max(video_end, packet.pts - origin + (packet.duration or 0))
                else:
                    start = float(packet.pts * packet.stream.time_base) - float(origin * base)
                    end = start + float((packet.duration or 0) * packet.stream.time_base)
                    audio_start = start if audio_start is None else min(audio_start, start)
                    audio_end = end if audio_end is None else max(audio_end, end)
        except av.error.FFmpegError as exc:
            at = float(max(ticks, default=0) * base)
            raise CorruptMedia(shown, f"damaged data after {at:.3f} s ({ffmpeg_reason(exc)})") from None
        if not ticks:
            raise EmptyMedia(shown, "has a video stream but no frames")
        if audio is not None and audio.start_time is not None and audio_start is not None:
            # the stream's start, as ffprobe reports it: an encoder's priming packets (AAC's first
            # 1024 samples, at a negative time) are cut by the edit list and never played
            audio_start = float(audio.start_time * audio.time_base) - float(origin * base)
        return StreamTiming(
            path=shown,
            container=container.format.name,
            times_s=np.sort(np.asarray(ticks, dtype=np.float64)) * float(base),
            avg_frame_rate=Fraction(video.average_rate) if video.average_rate else None,
            r_frame_rate=Fraction(video.base_rate) if video.base_rate else None,
            time_base=base,
            header_frames=int(video.frames or 0),
            video_end_s=float(video_end * base),
            audio_start_s=audio_start,
            audio_end_s=audio_end,
        )
