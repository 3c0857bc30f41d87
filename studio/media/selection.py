"""Bookkeeping behind :func:`studio.media.iter_frames`: which frames to decode and yield.

Nothing here decodes. :class:`TimestampSampler` picks, for each target time of an
analysis rate, the nearest decoded frame. :func:`disposable_packet_test` recognises H.264
and HEVC packets that no other frame references, so a sparse sampler can leave them
undecoded when no target is near them (the decoder's own ``skip_frame=NONREF`` cannot
tell which ones are wanted). :class:`FrameCounter` keeps true stream frame indices while
packets are skipped and B-frames arrive out of order. :func:`in_background` runs a
generator one step ahead in a helper thread.
"""

from __future__ import annotations

import heapq
import queue
import threading
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

__all__ = [
    "EPS",
    "EveryFrame",
    "FrameCounter",
    "Marked",
    "SampledOnly",
    "TimestampSampler",
    "disposable_packet_test",
    "in_background",
]

EPS = 1e-6  # seconds; timestamps closer than this are the same instant
# A target's nearest frame lies within half a frame interval of it at a constant rate; the
# margin covers timestamp rounding and mild rate wobble. Frames farther than this from every
# target may be left undecoded when nothing references them.
WANT_WINDOW = 0.625
Chosen = tuple[int, float, Any]  # (stream index, time in seconds, decoded frame)


class TimestampSampler:
    """Without a rate every frame inside ``[start_s, end_s)`` is chosen. With a rate, each
    target ``start_s + k / rate`` picks the nearer of the frames just before and after it;
    a frame is chosen at most once, so rates above the source's yield every frame."""

    def __init__(self, rate: Fraction | None, start_s: float, end_s: float | None, interval_s: float) -> None:
        self.rate = rate
        self.start_s = start_s
        self.end_s = end_s
        self.interval_s = interval_s
        self.k = 0
        self.previous: Chosen | None = None
        self.emitted = -1
        self.done = False

    def _target(self) -> float:
        assert self.rate is not None
        return self.start_s + float(self.k / self.rate)

    def _take(self, item: Chosen) -> list[Chosen]:
        if item[0] <= self.emitted:
            return []
        self.emitted = item[0]
        return [item]

    def wants(self, time_s: float) -> bool:
        """Could a frame at ``time_s`` be chosen? (Used to skip decoding far-off frames.)"""
        if self.rate is None:
            return True
        if time_s < self.start_s - 2 * self.interval_s or (self.end_s is not None and time_s >= self.end_s):
            return False
        k = max(0, round((time_s - self.start_s) * self.rate))
        nearest = self.start_s + float(k / self.rate)
        return abs(time_s - nearest) <= WANT_WINDOW * self.interval_s + EPS

    def push(self, index: int, time_s: float, frame: Any) -> list[Chosen]:
        if time_s < self.start_s - EPS:
            return []
        if self.end_s is not None and time_s >= self.end_s - EPS:
            self.done = True
            return []
        current = (index, time_s, frame)
        if self.rate is None:
            return self._take(current)
        chosen: list[Chosen] = []
        while self._target() <= time_s + EPS:
            target = self._target()
            previous = self.previous
            if previous is not None and target - previous[1] <= time_s - target:
                chosen += self._take(previous)
            else:
                chosen += self._take(current)
            self.k += 1
        self.previous = current
        return chosen

    def finish(self) -> list[Chosen]:
        """Targets after the last frame still fall on it while it is on screen."""
        if self.rate is None or self.previous is None:
            return []
        end = self.previous[1] + self.interval_s
        if self.end_s is not None:
            end = min(end, self.end_s)
        return self._take(self.previous) if self._target() < end - EPS else []


Marked = tuple[int, float, Any, bool]  # a chosen frame plus "is it an analysis sample?"


class SampledOnly:
    """Passes on the sampler's choices, each marked as a sample."""

    def __init__(self, sampler: TimestampSampler) -> None:
        self.sampler = sampler

    @property
    def done(self) -> bool:
        return self.sampler.done

    def wants(self, time_s: float) -> bool:
        return self.sampler.wants(time_s)

    def push(self, index: int, time_s: float, frame: Any) -> list[Marked]:
        return [(*item, True) for item in self.sampler.push(index, time_s, frame)]

    def finish(self) -> list[Marked]:
        return [(*item, True) for item in self.sampler.finish()]


class EveryFrame(SampledOnly):
    """Passes on every frame in range, one frame late, marked sampled or not.

    A frame's fate is known once the next frame has arrived: no later target can be
    nearer to it than to that next frame. Used to draw every frame while analysing some.
    """

    def __init__(self, sampler: TimestampSampler) -> None:
        super().__init__(sampler)
        self.picked: set[int] = set()
        self.pending: Chosen | None = None

    def wants(self, time_s: float) -> bool:
        return True

    def _release(self) -> list[Marked]:
        if self.pending is None:
            return []
        index, time_s, frame = self.pending
        self.pending = None
        return [(index, time_s, frame, index in self.picked)]

    def push(self, index: int, time_s: float, frame: Any) -> list[Marked]:
        self.picked.update(item[0] for item in self.sampler.push(index, time_s, frame))
        released = self._release()
        if time_s >= self.sampler.start_s - EPS and not self.sampler.done:
            self.pending = (index, time_s, frame)
        return released

    def finish(self) -> list[Marked]:
        self.picked.update(item[0] for item in self.sampler.finish())
        return self._release()


class FrameCounter:
    """True presentation-order indices of decoded frames, counting skipped packets too.

    Every demuxed packet's pts is noted; when a frame comes out of the decoder, the
    noted pts before it (frames skipped or not yet counted) advance the index. The heap
    stays as small as the decoder's reorder depth plus the skipped run.
    """

    def __init__(self, first_index: int | None = 0) -> None:
        self._pending: list[int] = []
        self.next_index = first_index

    def note(self, pts: int) -> None:
        heapq.heappush(self._pending, pts)

    def index_of(self, pts: int, fallback: int) -> int:
        """``fallback`` seeds the count when the first index is unknown (after a seek)."""
        if self.next_index is None:
            self.next_index = fallback
        while self._pending and self._pending[0] < pts:
            heapq.heappop(self._pending)
            self.next_index += 1
        if self._pending and self._pending[0] == pts:
            heapq.heappop(self._pending)
        index = self.next_index
        self.next_index += 1
        return index


# H.264 (ITU-T H.264 §7.3.1): one NAL header byte, forbidden_zero(1) nal_ref_idc(2) nal_unit_type(5)
H264_NAL_TYPE_MASK = 0x1F
H264_NAL_REF_IDC_SHIFT, H264_NAL_REF_IDC_MASK = 5, 0x3
H264_SLICE_TYPES = (1, 5)  # coded slice of a non-IDR picture, of an IDR picture
# HEVC (ITU-T H.265 §7.3.1.2): forbidden_zero(1) nal_unit_type(6) ... in the first of two header bytes
HEVC_NAL_TYPE_SHIFT, HEVC_NAL_TYPE_MASK = 1, 0x3F
HEVC_FIRST_NON_VCL = 32  # types 0-31 carry coded slices
HEVC_FIRST_RESERVED_VCL = 16  # among 0-15, even types are sub-layer non-reference pictures
# avcC / hvcC decoder configuration records (ISO/IEC 14496-15 §5.3.3.1, §8.3.3.1)
CONFIGURATION_VERSION = 1  # first byte of both records; Annex-B extradata starts with 0 instead
AVCC_LENGTH_SIZE_BYTE = 4  # low 2 bits: NAL length field size minus one
HVCC_LENGTH_SIZE_BYTE = 21  # same, in the HEVC record
HVCC_MIN_BYTES = 23  # the fixed part of an hvcC record (avcC needs fewer)
NAL_HEADER_BYTES_KEPT = 2  # enough of each unit's header for both rules


def _nal_units(data: bytes | memoryview, length_size: int) -> list[bytes]:
    """The first header bytes of each length-prefixed NAL unit; empty when ``data`` is not
    length-prefixed after all (the caller then decodes the packet)."""
    units, offset = [], 0
    while offset + length_size <= len(data):
        length = int.from_bytes(data[offset : offset + length_size], "big")
        offset += length_size
        if length <= 0 or offset + length > len(data):
            return []
        units.append(bytes(data[offset : offset + min(length, NAL_HEADER_BYTES_KEPT)]))
        offset += length
    return units


def _h264_disposable(units: list[bytes]) -> bool:
    slices = [u for u in units if u and u[0] & H264_NAL_TYPE_MASK in H264_SLICE_TYPES]
    # nal_ref_idc == 0: no other picture predicts from this one
    return bool(slices) and all((u[0] >> H264_NAL_REF_IDC_SHIFT) & H264_NAL_REF_IDC_MASK == 0 for u in slices)


def _hevc_disposable(units: list[bytes]) -> bool:
    types = [(u[0] >> HEVC_NAL_TYPE_SHIFT) & HEVC_NAL_TYPE_MASK for u in units if u]
    slices = [t for t in types if t < HEVC_FIRST_NON_VCL]
    return bool(slices) and all(t < HEVC_FIRST_RESERVED_VCL and t % 2 == 0 for t in slices)


def disposable_packet_test(codec_name: str, extradata: bytes | None) -> Callable[[Any], bool] | None:
    """A test for "no other frame needs this packet", or ``None`` when it cannot be told.

    Works on length-prefixed H.264 (avcC) and HEVC (hvcC) as stored in MP4/MOV/MKV.
    """
    if not extradata or len(extradata) < HVCC_MIN_BYTES or extradata[0] != CONFIGURATION_VERSION:
        return None
    if codec_name == "h264":
        length_size = (extradata[AVCC_LENGTH_SIZE_BYTE] & 3) + 1
        rule = _h264_disposable
    elif codec_name == "hevc":
        length_size = (extradata[HVCC_LENGTH_SIZE_BYTE] & 3) + 1
        rule = _hevc_disposable
    else:
        return None

    def is_disposable(packet: Any) -> bool:
        return rule(_nal_units(memoryview(packet), length_size))  # no copy of the payload

    return is_disposable


_END = object()


def in_background(items: Iterator[Any], depth: int = 4) -> Iterator[Any]:
    """Run ``items`` in a helper thread, at most ``depth`` items ahead of the consumer.

    Exceptions from ``items`` are re-raised here, after the items before them. When the
    consumer stops early the helper is told to stop and is waited for, so whatever
    ``items`` holds open (a container) is free to close afterwards.
    """
    handoff: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: Any) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer((item, None)):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            offer((_END, exc))
            return
        offer((_END, None))

    worker = threading.Thread(target=produce, name="media-decode", daemon=True)
    worker.start()
    try:
        while True:
            item, error = handoff.get()
            if item is _END:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        _join_even_if_interrupted(worker)


def _join_even_if_interrupted(worker: threading.Thread) -> None:
    """Wait for ``worker``; an interrupt while waiting is re-raised only after it has ended,
    so the container it reads is never closed under it."""
    interrupted: BaseException | None = None
    while worker.is_alive():
        try:
            worker.join()
        except KeyboardInterrupt as exc:
            interrupted = exc
    if interrupted is not None:
        raise interrupted
