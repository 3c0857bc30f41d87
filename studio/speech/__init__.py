"""Speech: the ASR contract, the transcribe pipeline, sentences, subtitles and text-to-speech.

- :mod:`~studio.speech.asr`: :class:`ASRModel` (what every Whisper backend provides),
  :class:`TranscribeOptions`;
- :mod:`~studio.speech.transcribe`: :func:`transcribe`, audio or video in, a
  :class:`~studio.core.Transcript` out;
- :mod:`~studio.speech.sentences`: segments cut at sentence ends;
- :mod:`~studio.speech.subtitles`: SRT, WebVTT, text and JSON;
- :mod:`~studio.speech.tts`: :func:`speak`, espeak-ng narration.
"""

from studio.speech.asr import LANGUAGES, ASRModel, Decoding, TranscribeOptions
from studio.speech.sentences import split_at_sentences
from studio.speech.subtitles import FORMATS, Cue, SubtitleStyle, build_cues, export, to_json, to_srt, to_text, to_vtt
from studio.speech.transcribe import (
    asr_backends,
    check_request,
    resolve_asr_spec,
    transcribe,
    transcribe_video_to_timeline,
)
from studio.speech.tts import speak, voices

__all__ = [
    "FORMATS",
    "LANGUAGES",
    "ASRModel",
    "Cue",
    "Decoding",
    "SubtitleStyle",
    "TranscribeOptions",
    "asr_backends",
    "build_cues",
    "check_request",
    "export",
    "resolve_asr_spec",
    "speak",
    "split_at_sentences",
    "to_json",
    "to_srt",
    "to_text",
    "to_vtt",
    "transcribe",
    "transcribe_video_to_timeline",
    "voices",
]
