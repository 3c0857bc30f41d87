"""``probe``: what a video file really is, from its header and every packet's timestamp."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import av.error
import numpy as np

from studio.core import CorruptMedia, EmptyMedia, NoVideoStream, VideoInfo
from studio.media.inputs import MediaLimits, declared_end_s, ffmpeg_reason, open_media
from studio.media.orientation import display_size, quarter_turns
from studio.media.rates import declared_fps, is_irregular

__all__ = ["probe", "truncation_slack_s", "video_stream"]


def video_stream(container: Any, shown: str) -> Any:
    if not container.streams.video:
        raise NoVideoStream(shown, "has no video stream")
    return container.streams.video[0]


def truncation_slack_s(fps: Fraction | None) -> float:
    """How far short of its declared end a stream may stop before it counts as truncated:
    three frames (timestamps round, last frames carry durations), at least a quarter second."""
    return max(0.25, 3 / float(fps)) if fps else 0.25


@dataclass
class _Scan:
    """What one demux pass over every packet learned."""

    pts: list[int] = field(default_factory=list)  # video presentation timestamps, stream ticks
    video_end_s: float = 0.0  # from the video stream's start
    any_end_s: float = 0.0  # latest packet end of any stream, absolute seconds
    rotation: int = 0
    damage: str | None = None


def _rotation(video: Any, packet: Any) -> tuple[int, bool]:
    """(rotation, still looking): the display rotation once a first frame decodes. A packet
    that does not decode (a capture starting mid-GOP) says nothing about the rest of the file."""
    try:
        for frame in video.decode(packet):
            return quarter_turns(frame.rotation) * 90, False
    except av.error.FFmpegError:
        pass
    return 0, True


def _scan(container: Any, video: Any) -> _Scan:
    """Demux every packet (no decoding, except the first video frame for its rotation)."""
    scan = _Scan()
    origin = video.start_time or 0
    need_rotation = True
    try:
        for packet in container.demux():
            if packet.pts is None or packet.size == 0:
                continue
            base = packet.stream.time_base
            scan.any_end_s = max(scan.any_end_s, float((packet.pts + (packet.duration or 0)) * base))
            if packet.stream is not video or packet.is_discard:
                continue
            scan.pts.append(packet.pts)
            scan.video_end_s = max(scan.video_end_s, float((packet.pts - origin + (packet.duration or 0)) * base))
            if need_rotation:
                scan.rotation, need_rotation = _rotation(video, packet)
    except av.error.FFmpegError as exc:
        scan.damage = f"damaged data after {scan.video_end_s:.3f} s ({ffmpeg_reason(exc)})"
    scan.pts.sort()
    return scan


def _truncation(container: Any, video: Any, scan: _Scan, header_frames: int, fps: Fraction | None) -> str | None:
    """Why the file looks cut short, or ``None``. Works in any container: the header's frame
    count (MP4; AVI's counts frame slots, dropped frames too), the stream's declared duration
    (MP4, Matroska's DURATION tag) and the container's duration (Matroska, WebM, FLV, ...)
    are each compared with what is there."""
    slack = truncation_slack_s(fps)
    if scan.damage:
        return f"truncated or damaged: {scan.damage}"
    if header_frames > len(scan.pts):
        if container.format.name != "avi":
            return f"truncated: the header lists {header_frames} frames but only {len(scan.pts)} can be read"
        # AVI's header counts frame slots (one tick each), the empty chunk FFmpeg writes for a
        # dropped frame among them; no packet comes of that chunk, so compare times instead
        listed_s = float(header_frames * Fraction(video.time_base))
        if scan.video_end_s < listed_s - slack:
            return (f"truncated: the header lists {header_frames} frames ({listed_s:.3f} s) "
                    f"but frames stop at {scan.video_end_s:.3f} s")  # fmt: skip
    declared = declared_end_s(container, video)
    if declared and scan.video_end_s < declared - slack:
        return f"truncated: frames stop at {scan.video_end_s:.3f} s but the stream should last {declared:.3f} s"
    if container.duration:
        start = container.start_time / 1e6 if container.start_time else 0.0
        length = container.duration / 1e6
        if scan.any_end_s - start < length - slack:
            return f"truncated: data stops at {scan.any_end_s - start:.3f} s but the file should last {length:.3f} s"
    return None


def probe(path: str | os.PathLike[str], strict: bool = True, limits: MediaLimits | None = None) -> VideoInfo:
    """Describe a video file: exact declared FPS and the frame timing its packets really have.

    Reads every packet's timestamp (demuxing only, no decoding but the first frame for its
    rotation), so frame count, measured FPS and variable-frame-rate detection do not trust
    the header. ``width``/``height`` are the displayed size: a phone clip stored landscape
    with a 90° display matrix is reported portrait, with ``rotation`` saying how it is
    stored. A truncated file (in any container) raises :class:`CorruptMedia`; with
    ``strict=False`` it is described as found, with the problem in ``warnings``.
    """
    shown = os.fsdecode(path)
    with open_media(path, limits) as container:
        video = video_stream(container, shown)
        audio = container.streams.audio[0] if container.streams.audio else None
        time_base = Fraction(video.time_base)
        codec = video.codec_context.name
        coded_width, coded_height = video.codec_context.width, video.codec_context.height
        pixel_format = video.codec_context.format.name if video.codec_context.format else None
        declared = declared_fps(video)
        stream_duration = declared_end_s(container, video)
        container_duration = container.duration / 1e6 if container.duration else None
        start_pts = video.start_time or 0  # read while open: PyAV 18.1.1 refuses stream fields after close
        start_s = float(start_pts * time_base)
        bit_rate = container.bit_rate or None
        container_name = container.format.name
        header_frames = video.frames or 0
        scan = _scan(container, video)
        problem = _truncation(container, video, scan, header_frames, declared)

    pts = scan.pts
    if not pts:
        if scan.damage:
            raise CorruptMedia(shown, f"no video packet could be read ({scan.damage})")
        raise EmptyMedia(shown, "the video stream has no frames")
    warnings: list[str] = []
    if problem:
        if strict:
            raise CorruptMedia(shown, problem, decoded_until_s=float((pts[-1] - start_pts) * time_base))
        warnings.append(problem)
    times_s = np.asarray(pts, dtype=np.float64) * float(time_base)
    intervals = np.diff(times_s)
    if intervals.size:
        measured_fps = float(intervals.size / (intervals.sum())) if intervals.sum() > 0 else 0.0
        min_interval, max_interval = float(intervals.min()), float(intervals.max())
    else:
        measured_fps = float(declared) if declared else 0.0
        min_interval = max_interval = 1 / measured_fps if measured_fps else 0.0
    fps = declared or Fraction(measured_fps).limit_denominator(1001)
    duration_s = stream_duration or container_duration or (len(pts) / float(fps) if fps else 0.0)
    width, height = display_size(coded_width, coded_height, scan.rotation)
    return VideoInfo(
        path=shown,
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
        is_vfr=is_irregular(times_s, float(time_base)),
        warnings=tuple(warnings),
        start_s=start_s,
        bit_rate=bit_rate,
        has_audio=audio is not None,
        audio_codec=audio.codec_context.name if audio else None,
        audio_sample_rate=audio.codec_context.sample_rate if audio else None,
        audio_channels=audio.codec_context.channels if audio else None,
        rotation=scan.rotation,
    )
