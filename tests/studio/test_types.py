"""Result types load JSON written by a newer version: unknown keys are ignored, not fatal."""

from __future__ import annotations

from studio.types import Event, Segment, Transcript, Word


def test_results_ignore_keys_they_do_not_know() -> None:
    word = {"start_s": 0.1, "end_s": 0.4, "text": " hi", "probability": 0.9, "speaker": "A"}
    assert Word.from_dict(word) == Word(0.1, 0.4, " hi", 0.9)
    segment = {"id": 0, "start_s": 0.0, "end_s": 1.0, "text": " hi", "avg_logprob": -0.2, "no_speech_prob": 0.01,
               "words": [word], "sentiment": "calm"}  # fmt: skip
    assert Segment.from_dict(segment).words == (Word(0.1, 0.4, " hi", 0.9),)
    event = {"kind": "zone_entry", "start_s": 1.0, "end_s": 1.0, "region": "door", "confidence_band": [0, 1]}
    assert Event.from_dict(event).region == "door"
    transcript = {"segments": [segment], "language": "en", "language_probability": 0.9, "duration_s": 1.0,
                  "warnings": ["audio stops at 1.000 s"], "diarization": {}}  # fmt: skip
    loaded = Transcript.from_dict(transcript)
    assert loaded.text == "hi" and loaded.warnings == ("audio stops at 1.000 s",)
