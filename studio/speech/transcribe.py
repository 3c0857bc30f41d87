"""Audio or video in, :class:`~studio.core.results.Transcript` out.

Progress and cancel live here, once for every backend: adapters stream segments
(:class:`~studio.speech.asr.Decoding`), and between two segments the pipeline reports how much
audio is done and checks the cancel flag.

Long files are read as windows (``TranscribeOptions.window_s``) cut at the quietest moment
near each window's end, so hours of audio never sit in memory and no word is cut in half.
The language found in the first window is kept for the rest (unless languages are
detected per segment). Windows are not prompted with the previous window's text: Whisper
then tends to skip speech that repeats it, and at ten minutes a window loses little context.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

import numpy as np

from studio import media
from studio.core import (
    CancelFlag,
    Cancelled,
    CorruptMedia,
    InputError,
    Progress,
    Segment,
    Settings,
    Timeline,
    Transcript,
    check_cancel,
)
from studio.registry import ModelCache, ModelSpec, Registry, default_cache
from studio.speech.asr import ASRModel, TranscribeOptions
from studio.speech.sentences import split_at_sentences

__all__ = ["asr_backends", "check_request", "resolve_asr_spec", "transcribe", "transcribe_video_to_timeline"]

SEARCH_S = 10.0  # look this far back from a window's end for a quiet place to cut


def asr_backends(registry: Registry) -> list[str]:
    """The transcription backends the registered models run on (``params["backend"]``)."""
    return sorted({str(s.params.get("backend")) for s in registry.specs("asr") if s.params.get("backend")})


def _refusal(spec: ModelSpec, options: TranscribeOptions) -> str | None:
    """Why ``spec`` cannot serve ``options`` (translation, the language asked for), or ``None``."""
    if options.task == "translate" and not spec.can("translate"):
        return "cannot translate; use a model that can"
    if options.language is not None and not spec.knows_language(options.language):
        return f"knows {', '.join(spec.languages)} only, not {options.language!r}; use a model that does"
    return None


def resolve_asr_spec(
    registry: Registry,
    settings: Settings,
    model: str | None,
    backend: str | None,
    options: TranscribeOptions | None = None,
) -> ModelSpec:
    """The ASR spec for a model name and/or backend. Unnamed, the best installed model that
    can serve ``options`` (translation, the language asked for)."""
    if backend is not None and backend not in asr_backends(registry):
        raise InputError(f"expected backend {' or '.join(asr_backends(registry))}, got {backend!r}")
    if model is None:
        candidates = [s for s in registry.specs("asr") if backend in (None, s.params.get("backend"))]
        able = [s for s in candidates if options is None or _refusal(s, options) is None]
        return Registry(able or candidates).default_for("asr", settings)
    spec = registry.get(model)
    if spec.task != "asr":
        raise InputError(f"model {model!r} does {spec.task}, not speech recognition")
    if backend is None or spec.params.get("backend") == backend:
        return spec
    for other in registry.specs("asr"):
        if other.params.get("weights") == spec.params.get("weights") and other.params.get("backend") == backend:
            return other
    raise InputError(f"model {model!r} has no {backend} variant")


def check_request(spec: ModelSpec, options: TranscribeOptions, registry: Registry) -> None:
    """Refuse, before loading, what ``spec`` cannot do: translation, or a language it does not
    know. The message names the registered models that can."""
    refusal = _refusal(spec, options)
    if refusal is not None:
        able = ", ".join(s.name for s in registry.specs("asr") if _refusal(s, options) is None) or "(none registered)"
        raise InputError(f"{spec.name} {refusal}: {able}")


def _quietest_cut(audio: np.ndarray, search: int, hop: int) -> int:
    """Index inside the last ``search`` samples of ``audio`` with the least energy."""
    start = max(0, audio.size - search)
    tail = audio[start:]
    frames = tail[: tail.size // hop * hop].reshape(-1, hop)
    if frames.size == 0:
        return audio.size
    return start + int(np.argmin((frames**2).mean(axis=1))) * hop + hop // 2


def iter_windows(
    chunks: Iterable[np.ndarray], window_s: float, rate: int = media.ASR_SAMPLE_RATE
) -> Iterator[tuple[float, np.ndarray]]:
    """Regroup audio chunks into ``(offset_s, samples)`` windows cut at quiet moments."""
    window = round(window_s * rate)
    held = np.zeros(0, dtype=np.float32)
    offset = 0
    for chunk in chunks:
        held = np.concatenate([held, chunk])
        while held.size >= window + round(SEARCH_S * rate):
            cut = _quietest_cut(held[:window], round(SEARCH_S * rate), rate // 20)
            yield offset / rate, held[:cut]
            offset += cut
            held = held[cut:]
    if held.size or offset == 0:
        yield offset / rate, held


def _shift(segment: Segment, offset_s: float, new_id: int) -> Segment:
    words = tuple(replace(w, start_s=w.start_s + offset_s, end_s=w.end_s + offset_s) for w in segment.words)
    return replace(segment, id=new_id, start_s=segment.start_s + offset_s, end_s=segment.end_s + offset_s, words=words)


class _AudioUpToDamage:
    """A file's audio chunks; damage or truncation ends them early with a warning instead of
    losing the speech before it (``iter_audio`` yields every good sample, then raises)."""

    def __init__(self, source: str | os.PathLike[str], window_s: float) -> None:
        self.chunks = media.iter_audio(source, chunk_s=window_s)
        self.warnings: list[str] = []

    def __iter__(self) -> Iterator[np.ndarray]:
        try:
            yield from self.chunks
        except CorruptMedia as damage:
            until = damage.decoded_until_s or 0.0
            if until <= 0:
                raise
            self.warnings.append(f"audio stops at {until:.3f} s ({damage.reason}); transcribed the speech before it")


def _source_audio(
    source: str | os.PathLike[str] | np.ndarray, window_s: float
) -> tuple[Iterable[np.ndarray], float, str | None]:
    if isinstance(source, np.ndarray):
        if source.ndim != 1:
            raise InputError(f"expected mono 16 kHz samples (one dimension), got shape {source.shape}")
        return [source.astype(np.float32, copy=False)], source.size / media.ASR_SAMPLE_RATE, None
    duration = media.audio_duration(source)
    return _AudioUpToDamage(source, window_s), duration, os.fsdecode(source)


def transcribe(
    source: str | os.PathLike[str] | np.ndarray,
    *,
    model: str | None = None,
    backend: str | None = None,
    options: TranscribeOptions | None = None,
    device: str | None = None,
    cache: ModelCache | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> Transcript:
    """Transcribe (or translate to English) an audio/video file or 16 kHz mono samples.

    Silence gives a transcript with no segments. Cancelling raises
    :class:`~studio.core.errors.Cancelled` whose ``partial`` is the transcript so far.
    """
    options = options or TranscribeOptions()
    cache = cache or default_cache()
    spec = resolve_asr_spec(cache.registry, cache.settings, model, backend, options)
    check_request(spec, options, cache.registry)
    chunks, duration_s, source_name = _source_audio(source, options.window_s)
    if progress is not None:
        progress(0.0, f"loading {spec.name}")  # seconds on a cold cache: say so, not "starting"
    asr = cache.get(spec.name, device, kind=ASRModel)
    if progress is not None:
        progress(0.0, f"{spec.name} loaded; transcribing")
    segments: list[Segment] = []
    language, probability = options.language or "", 0.0
    window_options = options
    offset_s = 0.0
    try:
        for offset_s, audio in iter_windows(chunks, options.window_s):
            check_cancel(cancel, "transcription")
            decoding = asr.decode(audio, window_options)
            if offset_s == 0.0:
                language, probability = decoding.language, decoding.language_probability
            pieces = (piece for segment in decoding.segments for piece in split_at_sentences(segment))
            for segment in pieces:  # each one is decoded as it is read
                segments.append(_shift(segment, offset_s, len(segments)))
                if progress is not None and duration_s > 0:
                    done = min(duration_s, offset_s + segment.end_s)
                    progress(min(1.0, done / duration_s), f"{done:.0f} of {duration_s:.0f} s of audio transcribed")
                check_cancel(cancel, "transcription")
            if not options.per_segment_language and language:
                window_options = replace(window_options, language=language)
    except Cancelled as stopped:
        partial = _transcript(segments, language, probability, duration_s, options, spec, asr, source_name, chunks)
        raise Cancelled(str(stopped), partial=partial) from None
    if progress is not None:
        progress(1.0, "transcription finished")
    return _transcript(segments, language, probability, duration_s, options, spec, asr, source_name, chunks)


def _transcript(
    segments: list[Segment],
    language: str,
    probability: float,
    duration_s: float,
    options: TranscribeOptions,
    spec: ModelSpec,
    asr: ASRModel,
    source: str | None,
    audio: Iterable[np.ndarray],
) -> Transcript:
    return Transcript(
        segments=tuple(segments),
        language=language,
        language_probability=probability,
        duration_s=duration_s,
        task=options.task,
        model=spec.name,
        backend=asr.backend,
        source=source,
        warnings=tuple(audio.warnings) if isinstance(audio, _AudioUpToDamage) else (),
    )


def transcribe_video_to_timeline(path: str | os.PathLike[str], **kwargs: Any) -> Timeline:
    """A video's timeline holding its narration's transcript (the analysis pipeline adds the rest).
    A truncated file keeps the speech before the break; the timeline's warnings say where."""
    info = media.probe(path, strict=False)
    if not info.has_audio:
        return Timeline(video=info, warnings=info.warnings, metadata={"transcript": "the video has no audio track"})
    transcript = transcribe(path, **kwargs)
    return Timeline(video=info, transcript=transcript, warnings=info.warnings + transcript.warnings)
