"""Video understanding on scenes whose ground truth we built, with the real offline models."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import av
import numpy as np
import pytest

from evaluations.synthetic_scenes import background, fitted_box, moving_objects_video, paste
from studio import media
from studio.core import EmptyMedia, InputError, NoVideoStream, Timeline, Track
from studio.demo import DemoMedia
from studio.registry import default_cache
from studio.vision import AnalyzeOptions, analyze, box_iou


@pytest.fixture(scope="session", autouse=True)
def offline_vision_models() -> None:
    cache = default_cache()
    for name in ("nanodet-coco", "centernet-coco", "movenet-lightning"):
        assert cache.registry.get(name).is_installed(cache.settings), f"{name} missing: run `make setup`"


def _truth_at(truth: list[tuple[float, tuple]], t: float) -> np.ndarray:
    return np.array(min(truth, key=lambda item: abs(item[0] - t))[1])


def _matches(timeline: Timeline, truth: list[tuple[float, tuple]], label: str) -> list[tuple[float, int]]:
    """(time, track id) of every sample where a ``label`` track overlaps the truth with IoU >= 0.5."""
    found = []
    for t in timeline.sample_times_s:
        gt = _truth_at(truth, t)
        best = max(
            ((track.id, float(box_iou(np.array(p.xyxy), gt)[0, 0])) for track in timeline.tracks if track.label == label
             for p in track.points if abs(p.time_s - t) < 1e-6),
            key=lambda item: item[1], default=(None, 0.0),
        )  # fmt: skip
        if best[0] is not None and best[1] >= 0.5:
            found.append((t, best[0]))
    return found


@pytest.fixture(scope="module")
def walking(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("walk") / "walk.mp4"
    truth = moving_objects_video(path, [("astronaut", 220, lambda t: (100 + 110 * t, 180))], seconds=4.0, fps=30)
    return path, truth


def test_a_moving_person_is_detected_and_keeps_one_id(walking: tuple[Path, dict], tmp_path: Path) -> None:
    path, truth = walking
    options = AnalyzeOptions(fps=5, tasks=("detect", "track", "pose"), lines={"middle": (320, 0, 320, 360)})
    timeline = analyze(path, options, annotate_to=tmp_path / "annotated.mp4")

    matched = _matches(timeline, truth["astronaut"], "person")
    assert len(matched) >= 0.8 * len(timeline.sample_times_s)
    assert len({track_id for _, track_id in matched}) == 1
    person = next(t for t in timeline.tracks if t.id == matched[0][1])
    assert person.points[0].keypoints is not None and len(person.points[0].keypoints) == 17
    x1, y1, x2, y2 = person.points[0].xyxy
    nose_x, nose_y, _ = person.points[0].keypoints[0]
    assert x1 <= nose_x <= x2 and y1 <= nose_y <= y2  # the pose lands on the person
    assert timeline.counts["middle"]["in"] + timeline.counts["middle"]["out"] == 1
    assert [e.kind for e in timeline.events if e.kind == "line_crossing"] == ["line_crossing"]

    annotated = media.probe(tmp_path / "annotated.mp4")
    source = media.probe(path)
    assert (annotated.frame_count, annotated.fps) == (source.frame_count, source.fps)
    drawn = next(media.iter_frames(tmp_path / "annotated.mp4", start_s=1.0)).image.astype(int)
    plain = next(media.iter_frames(path, start_s=1.0)).image.astype(int)
    assert np.abs(drawn - plain).mean() > 1.0  # boxes, labels and skeletons were drawn


def test_detecting_every_third_sample_still_tracks(walking: tuple[Path, dict]) -> None:
    path, truth = walking
    timeline = analyze(path, AnalyzeOptions(fps=5, tasks=("detect", "track"), detect_every=3))
    matched = _matches(timeline, truth["astronaut"], "person")
    assert len(matched) >= 0.7 * len(timeline.sample_times_s)
    assert len({track_id for _, track_id in matched}) == 1


def test_track_start_score_decides_which_boxes_start_a_track(walking: tuple[Path, dict]) -> None:
    strict = analyze(walking[0], AnalyzeOptions(fps=5, tasks=("detect", "track"), track_start_score=0.99))
    assert not strict.tracks  # the person scores ~0.5-0.9: never confident enough to start one
    with pytest.raises(InputError, match="track_start_score"):
        AnalyzeOptions(track_start_score=1.5)


def test_two_crossing_people_keep_distinct_ids(tmp_path: Path) -> None:
    path = tmp_path / "cross.mp4"
    truth = moving_objects_video(path, [
        ("astronaut", 170, lambda t: (90 + 115 * t, 110)),
        ("cameraman", 170, lambda t: (550 - 115 * t, 250)),
    ], seconds=4.0, fps=30)  # fmt: skip
    timeline = analyze(path, AnalyzeOptions(fps=5, tasks=("detect", "track")))
    ids = {}
    for name in ("astronaut", "cameraman"):
        matched = _matches(timeline, truth[name], "person")
        assert len(matched) >= 0.7 * len(timeline.sample_times_s), name
        counts = Counter(track_id for _, track_id in matched)
        ids[name], majority = counts.most_common(1)[0]
        assert majority >= 0.9 * len(matched), (name, counts)
    assert ids["astronaut"] != ids["cameraman"]


def _motion_video(path: Path, burst: bool) -> Path:
    base = background(320, 180, seed=3)
    with media.VideoWriter(path, fps=30) as writer:
        for i in range(240):
            t = i / 30
            x = 40 + 20 * t  # a slow steady drift
            if burst and 6.0 <= t < 6.6:
                x += 90 * np.sin((t - 6.0) * 40)  # a sudden violent shake
            writer.write(paste(base.copy(), "cup", fitted_box("cup", (x + 60, 90), 80)))
    return path


def test_unusual_movement_fires_on_a_burst_not_on_steady_motion(tmp_path: Path) -> None:
    options = AnalyzeOptions(fps=10, tasks=("motion",))
    steady = analyze(_motion_video(tmp_path / "steady.mp4", burst=False), options)
    shaken = analyze(_motion_video(tmp_path / "burst.mp4", burst=True), options)

    assert not [e for e in steady.events if e.kind == "unusual_movement"]
    unusual = [e for e in shaken.events if e.kind == "unusual_movement"]
    assert unusual and all(5.9 <= e.start_s <= 6.8 for e in unusual)
    assert steady.events[0].kind == "motion_started"


def test_boxes_from_a_4k_source_come_back_in_source_pixels(tmp_path: Path) -> None:
    image = paste(background(3840, 2160), "cameraman", fitted_box("cameraman", (1650, 1100), 1600))
    expected = np.array(fitted_box("cameraman", (1650, 1100), 1600))
    with media.VideoWriter(tmp_path / "uhd.mp4", fps=30, preset="ultrafast") as writer:
        for _ in range(12):
            writer.write(image)
    timeline = analyze(tmp_path / "uhd.mp4", AnalyzeOptions(fps=10, tasks=("detect", "track")))
    people = [p for t in timeline.tracks if t.label == "person" for p in t.points]
    assert people and float(box_iou(np.array(people[0].xyxy), expected)[0, 0]) >= 0.5
    assert people[0].xyxy[2] > 1000  # source pixels, not the 640-px model view


def test_loitering_in_a_zone(tmp_path: Path) -> None:
    path = tmp_path / "loiter.mp4"
    moving_objects_video(path, [("cameraman", 200, lambda t: (480, 180))], seconds=3.0, fps=15)
    zone = np.array([[350, 0], [640, 0], [640, 360], [350, 360]], dtype=float)
    options = AnalyzeOptions(fps=5, tasks=("detect", "track"), labels=("person",), zones={"corner": zone}, loiter_s=1.5)
    timeline = analyze(path, options)
    kinds = [e.kind for e in timeline.events]
    assert kinds.count("zone_entry") == 1 and kinds.count("loitering") == 1
    loiter = next(e for e in timeline.events if e.kind == "loitering")
    assert loiter.region == "corner" and loiter.end_s - loiter.start_s >= 1.5


def test_demo_video_finds_the_person_and_the_cup(demo: DemoMedia, tmp_path: Path) -> None:
    timeline = analyze(demo.video, AnalyzeOptions(fps=4, tasks=("detect", "track")))
    shots = demo.truth["shots"]

    def labels_during(shot: dict) -> set[str]:
        return {t.label for t in timeline.tracks if any(shot["start_s"] <= p.time_s < shot["end_s"] for p in t.points)}

    assert "person" in labels_during(shots[0])
    assert "cup" in labels_during(shots[1])
    for track in timeline.tracks:  # the tracker starts afresh at every cut
        assert any(shot["start_s"] <= track.first_s and track.last_s < shot["end_s"] for shot in shots), track.id
    again = Timeline.from_dict(json.loads(json.dumps(timeline.to_dict())))
    assert again == timeline
    from models.quantize import vnni_cpu

    default = "nanodet-coco-int8" if vnni_cpu() else "nanodet-coco"  # the CPU's default: int8 needs VNNI
    assert timeline.metadata["detector"] == {"name": default, "license": "Apache-2.0"}


def test_annotated_demo_keeps_its_audio_and_its_poster_shows_the_most_boxes(demo: DemoMedia, tmp_path: Path) -> None:
    """The poster is the annotated frame drawn from the sample with the most tracks (the
    first frame has none: a track is confirmed by its second sample)."""
    import av
    from PIL import Image

    out, poster = tmp_path / "demo_annotated.mp4", tmp_path / "poster.jpg"
    timeline = analyze(demo.video, AnalyzeOptions(fps=2, tasks=("detect", "track", "motion")), annotate_to=out,
                       poster_to=poster)  # fmt: skip
    picture = np.asarray(Image.open(poster).convert("RGB"), dtype=np.int16)
    with av.open(str(out)) as annotated, av.open(str(demo.video)) as source:
        pairs = zip(annotated.decode(video=0), source.decode(video=0), strict=True)
        differences = [(float(np.abs(a.to_ndarray(format="rgb24").astype(np.int16) - picture).mean()), float(a.time),
                        float(np.abs(a.to_ndarray(format="rgb24").astype(np.int16)
                                     - s.to_ndarray(format="rgb24").astype(np.int16)).mean()))
                       for a, s in pairs]  # fmt: skip
    closest, time_s, drawn = min(differences)
    assert closest < 3.0  # the poster is that frame (JPEG's loss aside)
    assert drawn > 2.0  # and boxes are drawn on it: it differs from the source frame
    first = differences[0]
    assert first[2] < drawn  # the first frame, which the browser would show, has fewer drawings

    def tracks_at(sample_s: float) -> int:
        # points keep times to the millisecond; the poster counts only the tracks the timeline keeps
        return sum(any(abs(point.time_s - sample_s) < 1e-3 for point in track.points) for track in timeline.tracks)

    shown_sample = max(t for t in timeline.sample_times_s if t <= time_s + 1e-3)
    assert tracks_at(shown_sample) == max(tracks_at(t) for t in timeline.sample_times_s) > 0
    info, source_info = media.probe(out), media.probe(demo.video)
    assert info.has_audio and info.frame_count == source_info.frame_count and info.fps == source_info.fps
    assert media.read_audio(out).size == media.read_audio(demo.video).size


def test_truncated_video_is_analysed_as_far_as_it_decodes(walking: tuple[Path, dict], tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(walking[0].read_bytes()[: walking[0].stat().st_size * 3 // 4])
    timeline = analyze(cut, AnalyzeOptions(fps=5, tasks=("detect", "track")))
    assert timeline.warnings and any("decoding stopped" in w for w in timeline.warnings)
    assert 0 < timeline.sample_times_s[-1] < 3.5
    assert any(t.label == "person" for t in timeline.tracks)


def test_a_video_with_no_frames_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    with av.open(str(path), "w") as container:  # a header and a video track, but no frame
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        container.start_encoding()
    with pytest.raises((EmptyMedia, NoVideoStream), match=r"empty\.mp4: (has no video stream|.*no frames)"):
        analyze(path)  # FFmpeg drops a video track that holds no frame, so this file has none


def test_unknown_task_and_bad_options() -> None:
    with pytest.raises(InputError, match="unknown task 'dance'"):
        AnalyzeOptions(tasks=("detect", "dance"))
    with pytest.raises(InputError, match="need detect"):
        AnalyzeOptions(tasks=("track",))


def test_cli_analyze_writes_json_and_video(walking: tuple[Path, dict], tmp_path: Path) -> None:
    studio = str(Path(sys.executable).parent / "studio")
    out_json, out_video = tmp_path / "timeline.json", tmp_path / "annotated.mp4"
    cmd = [studio, "analyze", str(walking[0]), "--fps", "5", "--tasks", "detect,track,pose,motion",
           "--annotate", str(out_video), "--output", str(out_json)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    timeline = Timeline.from_dict(json.loads(out_json.read_text()))
    assert any(isinstance(t, Track) and t.label == "person" for t in timeline.tracks)
    assert media.probe(out_video).frame_count == media.probe(walking[0]).frame_count
    bad = subprocess.run(
        [studio, "analyze", str(walking[0]), "--tasks", "detect,dance"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and bad.stderr.startswith("error: unknown task 'dance'")


def test_cancel_returns_the_timeline_so_far(walking: tuple[Path, dict]) -> None:
    import threading

    from studio.core import Cancelled

    stop = threading.Event()
    seen: list[float] = []

    def progress(fraction: float, _message: str) -> None:
        seen.append(fraction)
        if len(seen) == 3:
            stop.set()

    with pytest.raises(Cancelled) as caught:
        analyze(walking[0], AnalyzeOptions(fps=5, tasks=("motion",)), progress=progress, cancel=stop)
    partial = caught.value.partial
    assert isinstance(partial, Timeline) and len(partial.sample_times_s) == 3
