"""Media I/O on PyAV: the only place that opens, decodes, encodes or converts colours.

- :func:`open_media` (``inputs``) opens a local file as a file: no protocol, playlist or
  list of other files is ever followed, and size limits are checked before decoding;
  :func:`check_local_file` is its first rule (a regular file, never a FIFO or a device).
- :func:`open_picture` opens a picture held to the pixel limit from its header;
  :func:`read_document` / :func:`read_json` read scripts and sidecars by the same rules,
  bounded in size (``documents``), and :func:`expect_type` checks their fields by name.
- :func:`probe` reads a file's header and every packet's timestamp (no decoding) to report
  the exact declared FPS, the real frame timing, variable frame rate, rotation and
  truncation in any container.
- :func:`scan_timing` (``packet_timing``) reads every video packet's time and the header's rates,
  and where the audio starts and ends, for timing checks (one demux pass, no decoding).
- :func:`iter_frames` decodes once and streams upright RGB frames with their true
  presentation time, optionally sampled at an analysis FPS by timestamp.
- :func:`iter_audio` / :func:`read_audio` give 16 kHz mono float32 from any audio or video.
- :class:`VideoWriter` writes H.264 yuv420p at an exact rational FPS, audio optional, to a
  temporary file renamed into place when complete, audio and a subtitle text track optional
  (:func:`read_text_track` reads one back).
- :func:`retime` brings frames to another rate by motion-compensated interpolation
  (:func:`in_between` draws one picture between two);
  :func:`burn_caption` and :func:`title_card` draw text into frames (``overlay``).

Every failure to read is a :class:`~studio.core.errors.MediaError` naming the file and reason;
every failure to write an :class:`~studio.core.errors.OutputError`.
"""

from studio.media.audio import ASR_SAMPLE_RATE, audio_duration, iter_audio, read_audio, write_audio
from studio.media.documents import LargeNumber, expect_type, read_document, read_json, whole_number
from studio.media.frames import Frame, Picture, iter_frames, iter_pictures
from studio.media.inputs import MediaLimits, check_local_file, open_media
from studio.media.overlay import burn_caption, title_card
from studio.media.packet_timing import StreamTiming, scan_timing
from studio.media.pictures import open_picture
from studio.media.probe import probe
from studio.media.rates import as_fps
from studio.media.retime import in_between, interpolated_count, retime
from studio.media.subtitle_track import TextCue, read_text_track
from studio.media.writer import VIDEO_SUFFIXES, VideoWriter, check_video_suffix

__all__ = [
    "ASR_SAMPLE_RATE",
    "VIDEO_SUFFIXES",
    "Frame",
    "LargeNumber",
    "MediaLimits",
    "Picture",
    "StreamTiming",
    "TextCue",
    "VideoWriter",
    "as_fps",
    "audio_duration",
    "burn_caption",
    "check_local_file",
    "check_video_suffix",
    "expect_type",
    "in_between",
    "interpolated_count",
    "iter_audio",
    "iter_frames",
    "iter_pictures",
    "open_media",
    "open_picture",
    "probe",
    "read_audio",
    "read_document",
    "read_json",
    "read_text_track",
    "retime",
    "scan_timing",
    "title_card",
    "whole_number",
    "write_audio",
]
