"""Result types load JSON written by a newer version: unknown keys are ignored, not fatal."""

from __future__ import annotations

import json
from fractions import Fraction

from studio.core import (
    TIMELINE_SCHEMA_VERSION,
    Event,
    Segment,
    Timeline,
    Track,
    TrackPoint,
    Transcript,
    VideoInfo,
    Word,
)


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


def _timeline() -> Timeline:
    video = VideoInfo(path="/v/a.mp4", container="mov,mp4", codec="h264", width=640, height=360, pixel_format="yuv420p",
                      duration_s=4.0, frame_count=120, fps=Fraction(30000, 1001), measured_fps=29.97,
                      min_frame_interval_s=0.033, max_frame_interval_s=0.034, is_vfr=False, start_s=0.0,
                      bit_rate=100_000, has_audio=True, audio_codec="aac", audio_sample_rate=16000, audio_channels=1,
                      warnings=("truncated: ...",), rotation=90)  # fmt: skip
    word = Word(0.5, 0.9, " hello", 0.8)
    segment = Segment(0, 0.5, 1.2, " hello", -0.3, 0.01, words=(word,))
    transcript = Transcript((segment,), "en", 0.97, 4.0, model="whisper-base", backend="faster-whisper",
                            warnings=("audio stops at 3.9 s",))  # fmt: skip
    point = TrackPoint(1.0, (10.0, 20.0, 110.0, 220.0), 0.9, keypoints=((50.0, 40.0, 0.8),) * 17)
    return Timeline(
        video=video,
        transcript=transcript,
        sample_times_s=(0.0, 0.2, 1.0),
        tracks=(Track(3, "person", (point, TrackPoint(1.2, (12.0, 20.0, 112.0, 220.0), 0.8))),),
        events=(Event("line_crossing", 1.1, 1.1, 1.0, 3, "person", "door", details={"direction": "in", "n": 2}),),
        counts={"door": {"in": 1, "out": 0}},
        warnings=("decoding stopped at 3.9 s",),
        metadata={"analysis_fps": "5/1", "stage_s": {"detect": 0.5}},
    )


def test_a_timeline_round_trips_through_json_exactly() -> None:
    timeline = _timeline()
    text = json.dumps(timeline.to_dict(), sort_keys=True)
    again = Timeline.from_dict(json.loads(text))
    assert json.dumps(again.to_dict(), sort_keys=True) == text  # counts, metadata, event details included
    assert again == timeline and again.video.fps == Fraction(30000, 1001)
    assert again.tracks[0].points[0].keypoints == ((50.0, 40.0, 0.8),) * 17
    data = json.loads(text)
    assert data["schema_version"] == TIMELINE_SCHEMA_VERSION and data["video"]["fps"] == "30000/1001"
    assert data["transcript"]["text"] == "hello" and data["tracks"][0]["first_s"] == 1.0


def test_a_timeline_from_a_newer_version_still_loads() -> None:
    data = _timeline().to_dict()
    data["schema_version"] = TIMELINE_SCHEMA_VERSION + 1
    data["scene_graph"] = [{"start_s": 0.0}]
    data["video"]["hdr"] = "pq"
    data["tracks"][0]["points"][0]["velocity"] = [1.0, 2.0]
    data["events"][0]["confidence"] = 0.5
    loaded = Timeline.from_dict(data)
    assert loaded == _timeline()
