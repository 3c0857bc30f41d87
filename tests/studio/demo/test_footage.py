from __future__ import annotations

import json

import numpy as np
import pytest

from studio import media
from studio.demo import DEMO_SHOTS, DemoMedia


def test_demo_video_matches_its_ground_truth(demo: DemoMedia) -> None:
    info = media.probe(demo.video)
    truth = json.loads(demo.truth_path.read_text())

    assert truth == json.loads(json.dumps(demo.truth))
    assert str(info.fps.numerator) + "/" + str(info.fps.denominator) == truth["fps"] == "30000/1001"
    assert info.frame_count == truth["frame_count"] == 480
    assert (info.width, info.height) == tuple(truth["size"])
    assert info.has_audio and not info.is_vfr
    assert [shot["objects"] for shot in truth["shots"]] == [list(s.objects) for s in DEMO_SHOTS]
    assert truth["cuts_s"] == pytest.approx([4.004, 8.008, 12.012])


def test_cuts_are_where_the_truth_says(demo: DemoMedia) -> None:
    frames = list(media.iter_frames(demo.video, size=160))
    images = np.stack([f.image.astype(np.int16) for f in frames])
    change = np.abs(np.diff(images, axis=0)).mean(axis=(1, 2, 3))  # change[i]: frame i -> i + 1
    cut_frames = [shot["start_frame"] for shot in demo.truth["shots"][1:]]

    biggest = sorted(np.argsort(change)[-3:] + 1)
    assert biggest == cut_frames
    caption_frame = round(demo.truth["captions"][0]["start_s"] * 30000 / 1001)  # the caption pops in
    within_shots = np.delete(change, [c - 1 for c in cut_frames] + [caption_frame - 1])
    assert change[[c - 1 for c in cut_frames]].min() > 2 * within_shots.max()


def test_the_camera_moves_within_each_shot(demo: DemoMedia) -> None:
    for shot in demo.truth["shots"]:
        first, last = (
            next(media.iter_frames(demo.video, start_s=t, end_s=t + 0.1, size=160)).image.astype(np.int16)
            for t in (shot["start_s"], shot["end_s"] - 0.1)
        )
        assert np.abs(first - last).mean() > 8, shot["image"]


def test_narration_is_audible_only_where_the_truth_says(demo: DemoMedia) -> None:
    audio = media.read_audio(demo.video)
    rate = media.ASR_SAMPLE_RATE
    spoken = np.zeros(audio.size, dtype=bool)
    for line in demo.truth["narration"]:
        spoken[int(line["start_s"] * rate) : int(line["end_s"] * rate)] = True
        assert line["end_s"] - line["start_s"] > 1.0  # a whole sentence, not a blip
    level = np.abs(audio)
    assert level[spoken].mean() > 20 * level[~spoken].mean()
    assert [line["text"] for line in demo.truth["narration"]] == [s.narration for s in DEMO_SHOTS]


def test_caption_is_burned_into_the_coffee_shot(demo: DemoMedia) -> None:
    (caption,) = demo.truth["captions"]
    x0, y0, x1, y1 = caption["box_xyxy"]
    inside = next(media.iter_frames(demo.video, start_s=caption["start_s"] + 0.5)).image
    before = next(media.iter_frames(demo.video, start_s=caption["start_s"] - 0.3)).image
    box_now, box_before = inside[y0:y1, x0:x1], before[y0:y1, x0:x1]
    assert caption["text"] == "COFFEE BREAK"
    dark_now, dark_before = (box_now.max(axis=2) < 50).mean(), (box_before.max(axis=2) < 50).mean()
    white_now, white_before = (box_now.min(axis=2) > 200).mean(), (box_before.min(axis=2) > 200).mean()
    assert dark_now > 0.7 and white_now > 0.05  # a dark plate with white letters
    assert dark_now > dark_before + 0.2 and white_before < 0.02  # which was not there before
