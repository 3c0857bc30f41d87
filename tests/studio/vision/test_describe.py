"""Grounded descriptions: the phrasing on hand-made findings, then the demo video's shots
described from what the installed detector and EfficientNet-Lite0 really find in them."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from models.classify_efficientnet import SPECS as CLASSIFIERS
from studio.core import Action, InputError, Label, Settings, Track, TrackPoint, Word
from studio.demo import DemoMedia
from studio.media import iter_frames
from studio.registry import ModelCache, Registry, default_cache
from studio.vision import AnalyzeOptions, Detections, DetectorModel
from studio.vision.contracts import ImageClassifier
from studio.vision.describe import NOTHING_RECOGNISED, DescriptionLimits, grounded_description, objects_seen

BOX = (10.0, 10.0, 50.0, 90.0)


def track(track_id: int, label: str, times: list[float], score: float = 0.8) -> Track:
    return Track(track_id, label, tuple(TrackPoint(t, BOX, score) for t in times))


def words(text: str, start_s: float = 0.0) -> tuple[Word, ...]:
    """Whisper-style words (each keeps its leading space), a quarter second apart."""
    return tuple(Word(start_s + i / 4, start_s + (i + 1) / 4, f" {w}", 0.9) for i, w in enumerate(text.split()))


def test_the_example_sentence() -> None:
    tracks = [track(1, "person", [0, 0.5, 1, 1.5]), track(2, "person", [0, 0.5, 1]), track(3, "cup", [0.5, 1])]
    actions = [Action("walking", 0, 1.5, 0.9, "pose-rules", track_id=1), Action("walking", 0, 1, 0.8, "pose-rules", 2)]
    text = grounded_description(
        tracks, actions, [Label("espresso", 0.96), Label("cup", 0.02)], (), words("A cup of coffee sits on the table.")
    )
    assert text == "two people walking, a cup; ImageNet: espresso (0.96); speech: 'A cup of coffee sits on the table.'"


def test_nothing_found_says_so() -> None:
    assert grounded_description() == NOTHING_RECOGNISED == "nothing recognised"
    weak = grounded_description((), [Action("waving", 0, 1, 0.1, "x")], [Label("tench", 0.01)], ("  ",), ())
    assert weak == NOTHING_RECOGNISED  # everything under its threshold, or blank


@pytest.mark.parametrize(
    ("label", "count", "phrase"),
    [
        ("person", 1, "a person"), ("person", 3, "three people"), ("apple", 1, "an apple"),
        ("umbrella", 1, "an umbrella"), ("unicycle", 1, "a unicycle"), ("wine glass", 2, "two wine glasses"),
        ("bus", 2, "two buses"), ("bench", 4, "four benches"), ("teddy bear", 2, "two teddy bears"),
        ("knife", 2, "two knives"), ("mouse", 2, "two mice"), ("sheep", 5, "five sheep"), ("skis", 2, "two skis"),
        ("toothbrush", 2, "two toothbrushes"), ("butterfly", 2, "two butterflies"), ("toy", 2, "two toys"),
        ("car", 12, "12 cars"), ("tv", 2, "two TVs"), ("a red car", 1, "a red car"), ("a red car", 2, "two red cars"),
    ],
)  # fmt: skip
def test_counts_and_plurals(label: str, count: int, phrase: str) -> None:
    tracks = [track(i, label, [0.0]) for i in range(count)]
    assert grounded_description(tracks) == phrase


def test_count_is_how_many_are_seen_together_not_how_many_tracks() -> None:
    # one person lost and found again is two tracks, never two people at once
    assert grounded_description([track(1, "person", [0, 0.5]), track(2, "person", [2, 2.5])]) == "a person"
    assert grounded_description([track(1, "person", [0, 0.5]), track(2, "person", [0.5, 1])]) == "two people"


def test_objects_are_ordered_by_how_long_they_are_seen() -> None:
    tracks = [track(1, "cup", [0]), track(2, "dog", [0, 1, 2]), track(3, "chair", [0, 1]), track(4, "cat", [0], 0.9)]
    assert grounded_description(tracks) == "a dog, a chair, a cat, a cup"  # cat and cup tie: the surer first
    seen = objects_seen(tracks)
    assert [(s.label, s.samples, s.count) for s in seen][:2] == [("dog", 3, 1), ("chair", 2, 1)]
    many = [track(i, name, [0] * 1) for i, name in enumerate(["car", "bus", "truck", "bench", "bird", "dog", "kite"])]
    limited = grounded_description(many, limits=DescriptionLimits(max_objects=3))
    assert limited.count(", ") == 3 and limited.endswith(", four more kinds of object")


def test_actions_per_person() -> None:
    people = [track(i, "person", [0, 1]) for i in (1, 2, 3)]
    mixed = [Action(label, 0, 1, 0.9, "m", i) for i, label in ((1, "walking"), (2, "walking"), (3, "sitting"))]
    assert grounded_description(people, mixed) == "three people (two walking, one sitting)"
    assert grounded_description(people, mixed[:2]) == "three people (two walking)"  # the third does nothing known
    # a track's action is the one it does longest; a weak guess or another shot's track says nothing
    one = [Action("running", 0, 0.4, 0.9, "m", 1), Action("walking", 0.4, 2, 0.7, "m", 1),
           Action("dancing", 0, 2, 0.1, "m", 1), Action("jumping", 0, 2, 0.9, "m", 99)]  # fmt: skip
    assert grounded_description(people[:1], one) == "a person walking"


def test_clip_actions_tags_text_and_speech_clauses() -> None:
    clip = [Action("playing guitar", 0, 4, 0.71, "videomae"), Action("singing", 0, 4, 0.4, "videomae")]
    tags = [Label("acoustic guitar", 0.6), Label("banjo", 0.2), Label("cello", 0.16), Label("stage", 0.01)]
    text = grounded_description((), clip, tags, ("COFFEE  BREAK", "COFFEE BREAK", "OPEN"), words("hello there"))
    assert text == (
        "action: playing guitar (0.71), singing (0.40); ImageNet: acoustic guitar (0.60), banjo (0.20); "
        "on screen: 'COFFEE BREAK / OPEN'; speech: 'hello there'"
    )
    short = DescriptionLimits(max_speech_words=3)
    long_speech = grounded_description(words=words("one two three four five"), limits=short)
    assert long_speech == "speech: 'one two three…'"
    assert grounded_description(tags=[Label("cat", 0.5)], tag_source="Places365") == "Places365: cat (0.50)"


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"max_objects": 0}, "expected max_objects >= 1, got 0"),
        ({"min_tag_score": 1.5}, "expected min_tag_score between 0 and 1, got 1.5"),
    ],
)
def test_bad_limits_are_refused(limits: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        DescriptionLimits(**limits)


def _middle_frames(demo: DemoMedia) -> list[tuple[float, np.ndarray]]:
    shots = demo.truth["shots"]
    wanted = {(shot["start_frame"] + shot["end_frame"]) // 2: number for number, shot in enumerate(shots)}
    found = {wanted[f.index]: (f.time_s, f.image) for f in iter_frames(demo.video) if f.index in wanted}
    return [found[number] for number in range(len(shots))]


def _one_frame_tracks(time_s: float, detections: Detections) -> list[Track]:
    """Each detection of one frame as a track of one point (what the tracker would start)."""
    rows = zip(detections.labels, detections.xyxy.tolist(), detections.scores.tolist(), strict=True)
    return [Track(i, label, (TrackPoint(time_s, tuple(box), score),)) for i, (label, box, score) in enumerate(rows)]


def test_each_demo_shot_is_described_by_what_it_shows(demo: DemoMedia) -> None:
    detector = default_cache().get("nanodet-coco-int8", "cpu", kind=DetectorModel)  # int8: default with VNNI
    classifier = ModelCache(Registry([*CLASSIFIERS]), Settings.from_env()).get("efficientnet-lite0", "cpu",
                                                                               kind=ImageClassifier)  # fmt: skip
    frames = _middle_frames(demo)
    found = detector.detect([image for _, image in frames], min_score=AnalyzeOptions().min_score)
    tags = classifier.classify_images([image for _, image in frames], top_k=5)
    texts = [
        grounded_description(_one_frame_tracks(time_s, detections), tags=[Label(name, score) for name, score in scored])
        for (time_s, _), detections, scored in zip(frames, found, tags, strict=True)
    ]
    for text, shot in zip(texts, demo.truth["shots"], strict=True):
        objects = text.split("; ")[0]
        (expected,) = shot["objects"]
        assert re.search(rf"\b(an? {expected}|{'people' if expected == 'person' else expected + 's'})\b", objects), text
    assert re.search(r"; ImageNet: (espresso|cup|coffee mug|consomme) \(0\.\d\d\)", texts[1]), texts[1]
    assert re.search(r"; ImageNet: (tabby cat|tiger cat|Egyptian Mau)", texts[2]), texts[2]
