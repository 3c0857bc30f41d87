"""Action accuracy on labelled clips: a classifier trained here on synthetic textures (stripes,
checks, rings; :mod:`studio.vision.training.synthetic`, with the documented orientation
embedder) scores clips it never saw, and clips planted in the wrong folder are counted in the
confusion matrix exactly where they belong."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from studio.cli.main import main
from studio.core import InputError, Settings
from studio.evaluate import confusion_png, evaluate_actions
from studio.registry import LoadOptions, ModelCache, ModelSpec, Registry, load_model
from studio.vision import TrainOptions, train_classifier
from studio.vision.training import trained_specs
from studio.vision.training.synthetic import OrientationEmbedder, make_training_folder

EMBEDDER = ModelSpec(
    name="orientation-test", task="classify", adapter="studio.vision.training.synthetic:OrientationEmbedder",
    source="path:/", license="MIT", extra="understand", memory_mb=1, offline=True, capabilities=("embed",),
)  # fmt: skip


LABELS = ("stripes", "rings")  # told apart by the analysis's 1 s windows too (checks look like rings in part)


def _cache(home: Path) -> ModelCache:
    settings = Settings(home=home, models_dir=home / "models", outputs_dir=home / "outputs", device="cpu")

    def loader(spec: ModelSpec, device: str, settings: Settings, options: LoadOptions) -> Any:
        return OrientationEmbedder() if spec.name == EMBEDDER.name else load_model(spec, device, settings, options)

    return ModelCache(Registry([EMBEDDER, *trained_specs(settings)]), settings, loader=loader)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models home holding "textures", trained on 5 clips of each pattern."""
    home = tmp_path_factory.mktemp("home")
    folder = tmp_path_factory.mktemp("training")
    make_training_folder(folder, labels=LABELS, clips=5, seed=3)
    train_classifier(folder, "textures", TrainOptions(embedder=EMBEDDER.name, max_frames=4), cache=_cache(home))
    return home


def test_unseen_clips_and_planted_mislabels_land_where_they_belong(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "held out"
    made = make_training_folder(folder, labels=LABELS, clips=4, seed=41)  # never trained on
    moved = [clip for clip in made if clip.label == "rings"][:2]
    for clip in moved:  # two rings clips filed as stripes: the model should still call them rings
        shutil.move(clip.path, folder / "stripes" / clip.path.name)
    stages: list[str] = []
    result = evaluate_actions(folder, "textures", cache=_cache(home), progress=lambda done, stage: stages.append(stage))
    assert result.labels == ["rings", "stripes"] and result.clips == 8
    drawn = {clip.path.name: clip.label for clip in made}
    assert all(item.predicted == drawn[Path(item.clip).name] for item in result.items), result.items
    assert result.accuracy == 0.75
    assert result.confusion == [[2, 0], [2, 4]]  # rows: the folders; the stripes folder's row holds the 2 rings
    assert result.recall == {"rings": 1.0, "stripes": pytest.approx(4 / 6, abs=1e-4)}
    assert result.precision == {"rings": 0.5, "stripes": 1.0}
    assert stages[-1] == "done" and len(stages) == 9
    assert confusion_png(result).startswith(b"\x89PNG")


def test_the_command_writes_the_report_and_refuses_what_it_cannot_score(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from studio import registry

    folder = tmp_path / "clips"
    make_training_folder(folder, labels=("stripes", "rings"), clips=2, seed=5)
    monkeypatch.setattr(registry, "default_cache", lambda: _cache(home))
    out, page = tmp_path / "actions.json", tmp_path / "actions.html"
    argv = ["eval", "actions", str(folder), "--model", "textures", "-o", str(out), "--html", str(page)]
    assert main(argv) == 0
    report = json.loads(out.read_text())
    assert report["accuracy"] == 1.0 and report["labels"] == ["rings", "stripes"] and report["clips"] == 4
    assert "alt='confusion matrix'" in page.read_text()
    assert "textures: accuracy 1.000 over 4 clips" in capsys.readouterr().err
    clip = next((folder / "rings").iterdir())
    before = clip.read_bytes()
    assert main(["eval", "actions", str(folder), "--model", "textures", "-o", str(clip)]) == 2  # never onto a clip
    assert clip.read_bytes() == before and "clip" not in capsys.readouterr().out
    assert main(["eval", "actions", str(folder), "--model", "orientation-test"]) == 2
    assert "is a classify model; name an action model" in capsys.readouterr().err
    with pytest.raises(InputError, match=r"labelled folder .*nowhere does not exist"):
        evaluate_actions(tmp_path / "nowhere", "textures", cache=_cache(home))
    sound = folder / "rings" / "sound.mp4"  # a clip with no picture: refused by name, as evaluating, not training
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac", str(sound)], check=True)
    assert main(["eval", "actions", str(folder), "--model", "textures"]) == 2
    assert re.fullmatch(r"error: cannot evaluate on .*rings/sound\.mp4: has no video stream\n", capsys.readouterr().err)
