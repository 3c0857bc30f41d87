"""The foundation every other part of the studio stands on; it imports nothing else of the studio.

- :mod:`~studio.core.errors`: the :class:`StudioError` tree (one line each, an exit code each);
- :mod:`~studio.core.settings`: :class:`Settings` from the environment (homes, limits, device);
- :mod:`~studio.core.results`: the result types every capability returns (:class:`Timeline`,
  :class:`Transcript`, :class:`VideoInfo`, ...), all JSON round-trips;
- :mod:`~studio.core.serialize`: results <-> JSON (:class:`JsonResult`);
- :mod:`~studio.core.progress`: the ``progress(fraction, stage)`` and cancel contract;
- :mod:`~studio.core.interrupts`: Ctrl-C and SIGTERM as a clean :class:`Interrupted`;
- :mod:`~studio.core.outputs`: every write checked first and made atomically.
"""

from studio.core.errors import (
    ECHO_CHARS,
    Busy,
    Cancelled,
    CorruptMedia,
    EmptyMedia,
    InputError,
    MediaError,
    MediaNotFound,
    ModelLoadError,
    ModelUnavailable,
    NoAudioTrack,
    NoVideoStream,
    OutOfMemory,
    OutputError,
    RefusedMedia,
    StudioError,
    UnknownModel,
    echoed,
    one_line,
)
from studio.core.interrupts import Interrupted, signals_as_interrupts
from studio.core.outputs import (
    NAME_MAX,
    PendingFile,
    atomic_path,
    check_outputs,
    file_sha256,
    json_bytes,
    os_reason,
    resolve_target,
    write_bytes,
    write_json,
    write_text,
)
from studio.core.progress import CancelFlag, Progress, check_cancel
from studio.core.results import EVENT_KINDS, Event, Segment, Timeline, Track, TrackPoint, Transcript, VideoInfo, Word
from studio.core.serialize import SCHEMA_VERSION, JsonResult, fraction_from_str, fraction_to_str, from_data, to_data
from studio.core.settings import Settings

__all__ = [
    "ECHO_CHARS",
    "EVENT_KINDS",
    "NAME_MAX",
    "SCHEMA_VERSION",
    "Busy",
    "CancelFlag",
    "Cancelled",
    "CorruptMedia",
    "EmptyMedia",
    "Event",
    "InputError",
    "Interrupted",
    "JsonResult",
    "MediaError",
    "MediaNotFound",
    "ModelLoadError",
    "ModelUnavailable",
    "NoAudioTrack",
    "NoVideoStream",
    "OutOfMemory",
    "OutputError",
    "PendingFile",
    "Progress",
    "RefusedMedia",
    "Segment",
    "Settings",
    "StudioError",
    "Timeline",
    "Track",
    "TrackPoint",
    "Transcript",
    "UnknownModel",
    "VideoInfo",
    "Word",
    "atomic_path",
    "check_cancel",
    "check_outputs",
    "echoed",
    "file_sha256",
    "fraction_from_str",
    "fraction_to_str",
    "from_data",
    "json_bytes",
    "one_line",
    "os_reason",
    "resolve_target",
    "signals_as_interrupts",
    "to_data",
    "write_bytes",
    "write_json",
    "write_text",
]
