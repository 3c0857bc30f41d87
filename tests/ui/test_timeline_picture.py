"""The timeline picture draws what the timeline holds where it happened: shots in alternating
shades with gradual transitions marked, each person's and each clip model's action segments in
their label's colour, measured in pixels against the known times."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.colors import to_rgb
from PIL import Image

from studio import media
from studio.core import Action, Shot, Timeline
from ui.timeline_picture import ACTION_COLOURS, GRADUAL_COLOUR, SHOT_SHADES, draw_timeline


def _mask(picture: np.ndarray, colour: str) -> np.ndarray:
    rgb = np.asarray(to_rgb(colour)) * 255
    return np.all(np.abs(picture - rgb) <= 3, axis=-1)


def _columns(mask: np.ndarray) -> tuple[int, int]:
    found = np.flatnonzero(mask.any(axis=0))
    return int(found[0]), int(found[-1])


def test_shots_and_actions_are_drawn_at_their_times(tmp_path: Path) -> None:
    video = tmp_path / "ten.mp4"
    with media.VideoWriter(video, fps=2) as writer:
        for _ in range(20):  # 10 s
            writer.write(np.zeros((64, 64, 3), np.uint8))
    shots = (Shot(0, 0.0, 4.0), Shot(1, 4.0, 10.0, "dissolve", transition_start_s=3.0))
    actions = (Action("walking", 0.0, 5.0, 0.9, "pose-actions", track_id=1),
               Action("running", 5.0, 10.0, 0.8, "pose-actions", track_id=1),
               Action("stripes", 0.0, 10.0, 0.7, "textures"))  # fmt: skip
    timeline = Timeline(video=media.probe(video), shots=shots, actions=actions)
    picture = np.asarray(Image.open(draw_timeline(timeline, tmp_path / "t.png")).convert("RGB")).astype(int)

    first, second = _columns(_mask(picture, SHOT_SHADES[0])), _columns(_mask(picture, SHOT_SHADES[1]))
    left, right = first[0], second[1]  # the shots lane spans the whole 10 s
    per_s = (right - left) / 10.0
    assert abs(first[1] - (left + 3.0 * per_s)) <= 3  # shot 1 shows until its dissolve begins (3 s)...
    gradual = _columns(_mask(picture, GRADUAL_COLOUR))
    assert abs(gradual[0] - (left + 3.0 * per_s)) <= 3 and abs(gradual[1] - (left + 4.0 * per_s)) <= 3  # ...3-4 s

    # labels are coloured in sorted order: running, stripes, walking; the legend adds a swatch on the right
    walking, running = _mask(picture, ACTION_COLOURS[2]), _mask(picture, ACTION_COLOURS[0])
    walking[:, right + 2 :] = running[:, right + 2 :] = False
    assert abs(_columns(walking)[0] - left) <= 3 and abs(_columns(walking)[1] - (left + 5 * per_s)) <= 3
    assert abs(_columns(running)[0] - (left + 5 * per_s)) <= 3 and abs(_columns(running)[1] - right) <= 3
    person_rows = np.flatnonzero(walking.any(axis=1))
    clip_rows = np.flatnonzero(_mask(picture, ACTION_COLOURS[1])[:, left : right + 1].any(axis=1))
    assert person_rows.max() < clip_rows.min()  # the person's lane above the clip model's
