"""openai-whisper (PyTorch) speech recognition: the reference implementation as a backend.

It runs the same weights as the faster-whisper entries: ``studio models install
whisper-base-openai`` converts the CTranslate2 checkpoint into openai-whisper's layout
(:mod:`models.whisper_weights`). Voice-activity filtering uses the Silero VAD that
faster-whisper ships, so both backends hear the same speech. Hotwords go into the prompt of
every window, as faster-whisper puts them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from studio.core import Segment, Word
from studio.media import ASR_SAMPLE_RATE
from studio.registry import LoadOptions, ModelSpec
from studio.speech import Decoding, TranscribeOptions

__all__ = ["SPECS", "OpenAIWhisperASR"]

_REQUIRES = ("whisper", "torch", "faster_whisper")


def _converted(name: str, ct2: str, memory_mb: int, size_mb: float, priority: int, english_only: bool) -> ModelSpec:
    return ModelSpec(
        name=name, task="asr", adapter="models.whisper_openai:OpenAIWhisperASR",
        source=f"home:whisper/openai-{ct2.removeprefix('whisper-')}.pt", license="MIT", extra="asr",
        memory_mb=memory_mb, offline=True, size_mb=size_mb, requires=_REQUIRES, priority=priority,
        installer="models.whisper_weights:install_openai_checkpoint",
        params={"backend": "openai-whisper", "weights": ct2.removeprefix("whisper-"), "ct2": ct2},
        description=f"openai-whisper running the {ct2} weights (converted from CTranslate2)",
        capabilities=() if english_only else ("translate",), languages=("en",) if english_only else (),
    )  # fmt: skip


SPECS = [
    _converted("whisper-base-openai", "whisper-base", 600, 145, priority=2, english_only=False),
    _converted("whisper-tiny.en-openai", "whisper-tiny.en", 350, 76, priority=1, english_only=True),
]


def _prompt(options: TranscribeOptions) -> str | None:
    """The decoder's prompt: spelling hints, then the hotwords. openai-whisper has no hotwords of
    its own; faster-whisper's are this same thing, text put in the prompt of every window."""
    return (
        " ".join(part.strip() for part in (options.initial_prompt, options.hotwords) if part and part.strip()) or None
    )


class OpenAIWhisperASR:
    backend = "openai-whisper"

    def __init__(self, model: Any, name: str, device: str, memory_mb: int) -> None:
        self.model = model
        self.name = name
        self.device = device
        self.memory_mb = memory_mb

    @classmethod
    def load(cls, spec: ModelSpec, weights: Path, device: str, options: LoadOptions) -> OpenAIWhisperASR:
        options.require(spec.name, dtypes=("float32",))
        import torch
        from whisper.model import ModelDimensions, Whisper

        checkpoint = torch.load(weights, map_location="cpu", weights_only=True)
        model = Whisper(ModelDimensions(**checkpoint["dims"]))
        model.load_state_dict(checkpoint["model_state_dict"])
        heads = checkpoint.get("alignment_heads") or []
        if heads:  # the cross-attention heads that track time, for word timestamps
            mask = torch.zeros(model.dims.n_text_layer, model.dims.n_text_head, dtype=torch.bool)
            for layer, head in heads:
                mask[layer, head] = True
            model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)
        return cls(model.to(device).eval(), spec.name, device, spec.memory_mb)

    def _detect_language(self, audio: np.ndarray) -> tuple[str, float]:
        import whisper

        if not self.model.is_multilingual:  # English-only checkpoints have no language tokens
            return "en", 1.0
        mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(audio), self.model.dims.n_mels)
        _, probs = self.model.detect_language(mel.to(self.model.device))
        language = max(probs, key=probs.get)
        return language, float(probs[language])

    def decode(self, audio: np.ndarray, options: TranscribeOptions) -> Decoding:
        """openai-whisper decodes the whole window in one call; its segments are then handed
        out one by one."""
        import whisper
        from faster_whisper.vad import SpeechTimestampsMap, get_speech_timestamps

        speech, timestamps = audio, None
        if options.vad:
            chunks = get_speech_timestamps(audio, sampling_rate=ASR_SAMPLE_RATE)
            if not chunks:
                return Decoding(options.language or "", 0.0, iter(()))
            speech = np.concatenate([audio[c["start"] : c["end"]] for c in chunks])
            timestamps = SpeechTimestampsMap(chunks, ASR_SAMPLE_RATE)
        if options.language is None:
            language, probability = self._detect_language(speech)
        else:
            language, probability = options.language, 1.0
        result = whisper.transcribe(
            self.model,
            speech,
            language=language,
            task=options.task,
            temperature=options.temperatures,
            beam_size=options.beam_size,  # used at temperature 0; sampling above it
            initial_prompt=_prompt(options),
            carry_initial_prompt=bool(options.hotwords),  # hotwords favour every window, as in faster-whisper
            word_timestamps=bool(options.word_timestamps),  # changes the windows: only when asked
            condition_on_previous_text=options.condition_on_previous_text,
            fp16=self.device.startswith("cuda"),
            verbose=None,
        )

        def original(time_s: float, is_end: bool = False) -> float:
            return float(time_s if timestamps is None else timestamps.get_original_time(time_s, is_end=is_end))

        segments = tuple(
            Segment(
                id=index,
                start_s=original(raw["start"]),
                end_s=original(raw["end"], is_end=True),
                text=raw["text"],
                avg_logprob=float(raw["avg_logprob"]),
                no_speech_prob=float(raw["no_speech_prob"]),
                compression_ratio=float(raw["compression_ratio"]),
                temperature=float(raw["temperature"]),
                words=tuple(
                    Word(original(w["start"]), original(w["end"], is_end=True), w["word"], float(w["probability"]))
                    for w in raw.get("words", ())
                ),
            )
            for index, raw in enumerate(result["segments"])
        )
        return Decoding(language, probability, iter(segments))
