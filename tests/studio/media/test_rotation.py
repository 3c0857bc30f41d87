"""A phone's portrait clip (landscape frames plus a display matrix) is seen upright everywhere."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evaluations.synthetic_media import counter_frame, read_counter
from evaluations.synthetic_scenes import moving_objects_video
from studio import media
from studio.vision import AnalyzeOptions, analyze, box_iou


def write_as_phone(path: Path, frames: list[np.ndarray], fps: int, rotation: int) -> Path:
    """Store each upright frame turned back by ``rotation`` and tell players to turn it, as a
    phone held sideways does."""
    with media.VideoWriter(path, fps=fps, display_rotation=rotation) as writer:
        for frame in frames:
            writer.write(np.ascontiguousarray(np.rot90(frame, k=-(rotation // 90))))
    return path


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_frames_reach_the_caller_upright(tmp_path: Path, rotation: int) -> None:
    frames = [counter_frame(i, width=192, height=96) for i in range(12)]
    phone = write_as_phone(tmp_path / "phone.mp4", frames, 12, rotation)
    info = media.probe(phone)
    assert info.rotation == rotation and (info.width, info.height) == (192, 96)
    decoded = list(media.iter_frames(phone))
    assert [read_counter(f.image) for f in decoded] == list(range(12))
    assert decoded[0].image.shape == (96, 192, 3)
    small = next(media.iter_frames(phone, size=96))
    assert small.image.shape == (48, 96, 3) and read_counter(small.image) == 0


@pytest.fixture(scope="module")
def portrait(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same portrait walk stored upright and stored as a phone records it (rotated 90°)."""
    folder = tmp_path_factory.mktemp("portrait")
    source = folder / "source.mp4"
    moving_objects_video(source, [("astronaut", 230, lambda t: (180, 170 + 80 * t))], seconds=3.0, fps=30,
                         size=(360, 640))  # fmt: skip
    frames = [f.image for f in media.iter_frames(source)]
    upright = folder / "upright.mp4"
    with media.VideoWriter(upright, fps=30) as writer:
        for frame in frames:
            writer.write(frame)
    return upright, write_as_phone(folder / "phone.mp4", frames, 30, 90)


def test_a_portrait_phone_clip_gives_the_same_tracks_as_upright_content(
    portrait: tuple[Path, Path], tmp_path: Path
) -> None:
    upright, phone = portrait
    info = media.probe(phone)
    assert (info.width, info.height, info.rotation) == (360, 640, 90)
    options = AnalyzeOptions(fps=5, tasks=("detect", "track"))
    expected = analyze(upright, options)
    found = analyze(phone, options, annotate_to=tmp_path / "annotated.mp4")
    assert found.video.width == 360 and found.video.height == 640
    assert [t.label for t in found.tracks] == [t.label for t in expected.tracks] and "person" in {
        t.label for t in found.tracks
    }
    for mine, theirs in zip(found.tracks, expected.tracks, strict=True):
        assert len(mine.points) == len(theirs.points)
        for a, b in zip(mine.points, theirs.points, strict=True):
            assert a.time_s == b.time_s
            assert float(box_iou(np.array([a.xyxy]), np.array([b.xyxy]))[0, 0]) > 0.85, (a, b)
            assert 0 <= a.xyxy[0] < a.xyxy[2] <= 360 and 0 <= a.xyxy[1] < a.xyxy[3] <= 640  # displayed pixels

    annotated = media.probe(tmp_path / "annotated.mp4")
    assert (annotated.width, annotated.height, annotated.rotation) == (360, 640, 0)  # plays upright anywhere
    drawn = next(media.iter_frames(tmp_path / "annotated.mp4", start_s=1.0)).image.astype(int)
    plain = next(media.iter_frames(upright, start_s=1.0)).image.astype(int)
    assert drawn.shape == plain.shape and np.abs(drawn - plain).mean() > 1.0


def test_annotating_does_not_change_the_tracks(portrait: tuple[Path, Path], tmp_path: Path) -> None:
    """The annotated run decodes every frame at full size; its samples must still be the
    very pixels the plain run analyses."""
    upright, _ = portrait
    options = AnalyzeOptions(fps=5, tasks=("detect", "track"), max_side=320)
    plain = analyze(upright, options)
    drawn = analyze(upright, options, annotate_to=tmp_path / "a.mp4")
    assert [t.to_dict() for t in drawn.tracks] == [t.to_dict() for t in plain.tracks]


@pytest.mark.slow
def test_annotating_4k_streams_in_bounded_memory(tmp_path: Path) -> None:
    """Peak memory of a 4K annotated run does not grow with the clip's length, and stays
    under the bound the README states."""
    import subprocess
    import sys

    script = tmp_path / "run.py"
    script.write_text(
        "import resource, sys\n"
        "from studio.vision import AnalyzeOptions, analyze\n"
        "analyze(sys.argv[1], AnalyzeOptions(fps=5, tasks=('detect', 'track')), annotate_to=sys.argv[2])\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    peaks = []
    for seconds in (1.0, 3.0):
        clip = tmp_path / f"4k_{seconds}.mp4"
        moving_objects_video(clip, [("astronaut", 1200, lambda t: (600 + 300 * t, 1000))], seconds=seconds, fps=30,
                             size=(3840, 2160))  # fmt: skip
        run = subprocess.run([sys.executable, str(script), str(clip), str(tmp_path / "out.mp4")],
                             capture_output=True, text=True, check=True)  # fmt: skip
        peaks.append(float(run.stdout.split()[-1]))
    assert peaks[1] < 1300 and peaks[1] - peaks[0] < 150, peaks
