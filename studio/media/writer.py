"""``VideoWriter``: H.264 yuv420p at an exact rational FPS, written atomically."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, suppress
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import av
import av.error
import numpy as np

from studio.core import InputError, OutputError, PendingFile, os_reason
from studio.media.audio import ASR_SAMPLE_RATE, audio_planes, channel_layout
from studio.media.inputs import file_url, open_media
from studio.media.rates import as_fps
from studio.media.subtitle_track import TextCue, add_text_track, text_packets

__all__ = ["VIDEO_SUFFIXES", "VideoWriter", "check_video_suffix"]

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv")  # containers that hold H.264 and the audio we copy
_FASTSTART = (".mp4", ".m4v", ".mov")
# x264's macroblock-tree rate control made different files from the same frames below this side
# (32x32: 7 variants in 16 encodes once the process had decoded other video; 128x96 and up:
# always one), so tiny videos, such as the test pipelines make, are encoded without it.
DETERMINISTIC_BELOW_PX = 128


def check_video_suffix(path: str | os.PathLike[str]) -> None:
    """Refuse a video output name whose container the writer cannot produce."""
    suffix = Path(path).suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        raise InputError(
            f"cannot write video to {os.fsdecode(path)!r}: expected a name ending in {', '.join(VIDEO_SUFFIXES)} "
            f"(H.264 video), got {suffix or 'no extension'!r}"
        )


class VideoWriter:
    """Write RGB frames to an H.264 (yuv420p) MP4/MOV/MKV at an exact rational frame rate.

    >>> with VideoWriter("out.mp4", fps="30000/1001") as writer:
    ...     writer.write(rgb_frame)

    The file is written beside ``path`` under a temporary name and renamed into place by
    :meth:`close` when complete; leaving the ``with`` block by an exception (or calling
    :meth:`discard`) removes it, and a previous file at ``path`` stays as it was. A write
    failure (full disk, read-only) is :class:`OutputError` naming ``path``.

    ``audio`` (mono or ``channels×samples`` float in [-1, 1]) at ``audio_rate`` is muxed
    as AAC when the writer closes; or ``audio_from`` copies another file's first audio track
    as it is (no re-encoding), e.g. to keep a source's sound under annotated frames. Pass
    ``time_s`` to :meth:`write` for variable-rate timing (``time_base`` then sets the
    timestamp resolution). Odd frame sizes are padded by one edge pixel, since yuv420p needs
    even sides. ``display_rotation`` (degrees counter-clockwise, a multiple of 90) stores
    the frames as given and tells players to turn them, as phones do; the studio's own
    outputs are written upright and leave it 0. ``subtitles`` become a text track the viewer
    can turn on and off (``mov_text`` in MP4/MOV, SubRip in MKV).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        fps: Fraction | int | float | str,
        *,
        crf: int = 20,
        preset: str = "veryfast",
        audio: np.ndarray | None = None,
        audio_rate: int = ASR_SAMPLE_RATE,
        audio_from: str | os.PathLike[str] | None = None,
        time_base: Fraction | None = None,
        display_rotation: int = 0,
        subtitles: Sequence[TextCue] = (),
    ) -> None:
        if audio is not None and audio_from is not None:
            raise InputError("expected audio samples or a file to copy audio from, not both")
        check_video_suffix(path)
        self.path = Path(path)
        self.shown = os.fsdecode(path)
        self.audio_from = audio_from
        self.fps = as_fps(fps)
        self.time_base = time_base or 1 / self.fps
        self.crf = crf
        self.preset = preset
        self.audio = audio
        self.audio_rate = audio_rate
        if display_rotation % 90:
            raise InputError(f"expected a display rotation in quarter turns (0, 90, 180, 270), got {display_rotation}")
        self.display_rotation = display_rotation % 360
        self.subtitles = tuple(subtitles)
        self._text_stream: Any = None
        self.frames_written = 0
        self._last_pts = -1
        self._size: tuple[int, int] | None = None
        self._stream: Any = None
        self._audio_stream: Any = None
        self._audio_source: Any = None
        self._audio_copied = True
        self._sources = ExitStack()  # the file audio is copied from, while it is open
        self._audio_planes = np.zeros((1, 0), dtype=np.float32)
        self._pending = PendingFile(path)
        try:  # from here on, whatever stops construction (even Ctrl-C) takes the temporary file with it
            options = {"movflags": "+faststart"} if self.path.suffix.lower() in _FASTSTART else {}
            self._container: Any = av.open(file_url(self._pending.temporary), mode="w", options=options)
        except av.error.FFmpegError as exc:
            self._pending.discard()
            raise OutputError(self.shown, f"cannot write here ({os_reason(exc)})") from None
        except BaseException:
            self._pending.discard()
            raise

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.discard()

    def _open_stream(self, width: int, height: int) -> None:
        stream = self._container.add_stream("libx264", rate=self.fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.time_base = self.time_base
        stream.codec_context.time_base = self.time_base
        stream.options = {"crf": str(self.crf), "preset": self.preset}
        if min(width, height) < DETERMINISTIC_BELOW_PX:
            stream.options = {**stream.options, "x264-params": "no-mbtree=1"}
        if self.display_rotation:
            stream.set_display_rotation(self.display_rotation)
        self._stream = stream
        self._size = (width, height)
        if self.audio is not None:  # every stream must exist before the first packet is muxed
            self._audio_planes = audio_planes(self.audio)
            layout = channel_layout(self._audio_planes)
            self._audio_stream = self._container.add_stream("aac", rate=self.audio_rate, layout=layout)
        elif self.audio_from is not None:
            self._open_audio_source()
        if self.subtitles:
            self._text_stream = add_text_track(self._container, self.path.suffix)

    def _open_audio_source(self) -> None:
        source = self._sources.enter_context(open_media(self.audio_from))  # type: ignore[arg-type]
        if not source.streams.audio:
            self._sources.close()
            return
        track = source.streams.audio[0]
        self._audio_source = source
        try:
            self._audio_stream = self._container.add_stream_from_template(track)
            self._audio_copied = True
        except (ValueError, av.error.FFmpegError):  # the container cannot hold this codec: AAC instead
            layout = "mono" if track.codec_context.channels == 1 else "stereo"
            rate = track.codec_context.sample_rate or 48_000
            self._audio_stream = self._container.add_stream("aac", rate=rate, layout=layout)
            self._audio_copied = False

    def _source_audio_packets(self) -> Iterator[Any]:
        """The source track's packets; a damaged one ends the track (the video stays whole)."""
        source = self._audio_source
        packets = source.demux(source.streams.audio[0])
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                return
            except av.error.FFmpegError:
                return
            if packet.dts is not None:
                yield packet

    def _copy_audio(self) -> None:
        """Copy (or, where the container cannot hold the codec, re-encode as AAC) the source's
        audio. A failure to mux is the output's, and :meth:`close` reports it."""
        try:
            if self._audio_copied:
                for packet in self._source_audio_packets():
                    packet.stream = self._audio_stream
                    self._container.mux(packet)
                return
            codec = self._audio_stream.codec_context
            resampler = av.AudioResampler(format=codec.format.name, layout=codec.layout.name, rate=codec.sample_rate)
            written, tick = 0, Fraction(1, codec.sample_rate)
            for packet in self._source_audio_packets():
                try:
                    frames = packet.decode()
                except av.error.FFmpegError:
                    continue  # a damaged packet is a gap
                for frame in frames:
                    for out in resampler.resample(frame):
                        out.pts, out.time_base, written = written, tick, written + out.samples
                        self._container.mux(self._audio_stream.encode(out))
            for out in resampler.resample(None):
                out.pts, out.time_base, written = written, tick, written + out.samples
                self._container.mux(self._audio_stream.encode(out))
            self._container.mux(self._audio_stream.encode(None))
        finally:
            self._sources.close()

    def write(self, image: np.ndarray, time_s: float | None = None) -> None:
        """Append one ``H×W×3`` uint8 RGB frame, at ``time_s`` or the next frame slot."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise InputError(f"expected an H×W×3 uint8 RGB frame, got shape {image.shape} dtype {image.dtype}")
        if self._container is None:
            raise InputError(f"{self.shown}: the writer is closed")
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
        try:
            self._container.mux(self._stream.encode(frame))
        except (av.error.FFmpegError, OSError) as exc:
            self.discard()
            raise OutputError(self.shown, f"could not be written ({os_reason(exc)})") from None
        self.frames_written += 1

    def _write_audio(self) -> None:
        planes = self._audio_planes
        frame = av.AudioFrame.from_ndarray(planes, format="fltp", layout=channel_layout(planes))
        frame.sample_rate = self.audio_rate
        frame.pts = 0
        self._container.mux(self._audio_stream.encode(frame))
        self._container.mux(self._audio_stream.encode(None))

    def close(self) -> None:
        """Flush the encoder, mux any audio, finish the file and rename it into place (safe
        to call twice). With no frame written nothing is left behind."""
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
                for packet in text_packets(self._text_stream, self.subtitles) if self.subtitles else ():
                    container.mux(packet)
            self._container = None
            container.close()
        except (av.error.FFmpegError, OSError) as exc:
            self._container = None
            self._abandon(container)
            raise OutputError(self.shown, f"could not be written ({os_reason(exc)})") from None
        except BaseException:
            self._container = None
            self._abandon(container)
            raise
        if self._stream is None:  # nothing was written: leave no unplayable file behind
            self._pending.discard()
        else:
            self._pending.commit()

    def discard(self) -> None:
        """Stop writing and remove the unfinished file; a previous file at ``path`` stays."""
        container, self._container = self._container, None
        self._abandon(container)

    def _abandon(self, container: Any) -> None:
        self._sources.close()
        if container is not None:
            with suppress(av.error.FFmpegError, OSError):  # the file is being thrown away
                container.close()
        self._pending.discard()
