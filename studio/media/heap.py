"""Keep frame-sized buffers in the heap instead of handing them back to the kernel.

Every decoded, converted and drawn frame is a fresh buffer of a few megabytes. With glibc's
default thresholds each one is mapped, zero-filled by page faults, then unmapped (or the
heap top trimmed), frame after frame: at 720p about a third of decode time went to that
(144k page faults per 300 frames). Raising the mmap and trim thresholds lets freed frames be
reused as they are. The cost is that up to :data:`TRIM_THRESHOLD` bytes of freed memory stay
with the process. Other C libraries (musl, macOS) have no such knobs; there this does nothing.
"""

from __future__ import annotations

import ctypes
import functools

__all__ = ["keep_frame_buffers"]

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's ceiling on 64-bit: a 4K RGB frame (25 MB) fits below it
TRIM_THRESHOLD = 256 * 1024 * 1024


@functools.cache
def keep_frame_buffers() -> bool:
    """Raise glibc's thresholds once per process; ``True`` where they were raised."""
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter already links
    except (AttributeError, OSError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
