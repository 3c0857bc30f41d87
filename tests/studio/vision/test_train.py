"""Training a clip classifier from folders of labelled clips, against ground truth made here.

The clips come from :mod:`studio.vision.training.synthetic`: each label is a moving texture
(stripes, checks, rings) and every clip draws its own colours, scale, angle, speed, length and
frame rate, so the labels are separable by the pattern's shape alone. Most tests use
:class:`~studio.vision.training.synthetic.OrientationEmbedder`, a small documented function of the
real pixels (how the edges point), so they run in seconds. The same path with the default features,
EfficientNet-Lite0 embeddings, runs once here (about 12 s on two cores) and again end to end through
the CLI in ``test_train_analyze.py``.
"""

from __future__ import annotations

import itertools
import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from studio import media
from studio.core import InputError, Settings
from studio.registry import LoadOptions, ModelCache, ModelSpec, Registry, load_model
from studio.vision.contracts import ClipActionModel, ImageClassifier
from studio.vision.training import (
    TrainedHead,
    TrainOptions,
    clip_label,
    featurizer_for,
    scan_dataset,
    train_classifier,
    trained_specs,
)
from studio.vision.training.synthetic import OrientationEmbedder, make_clip, make_training_folder

TEST_EMBEDDER = ModelSpec(
    name="orientation-test", task="classify", adapter="studio.vision.training.synthetic:OrientationEmbedder",
    source="path:/", license="MIT", extra="understand", memory_mb=1, offline=True, capabilities=("embed",),
)  # fmt: skip


def _cache(home: Path, *specs: ModelSpec) -> ModelCache:
    """A cache over ``specs`` and the trained models in ``home``; the test embedder is built here."""
    settings = Settings(home=home, models_dir=home / "models", outputs_dir=home / "outputs", device="cpu")

    def loader(spec: ModelSpec, device: str, settings: Settings, options: LoadOptions) -> Any:
        return OrientationEmbedder() if spec.name == TEST_EMBEDDER.name else load_model(spec, device, settings, options)

    return ModelCache(Registry([TEST_EMBEDDER, *specs, *trained_specs(settings)]), settings, loader=loader)


def _label_unseen(
    head: TrainedHead, cache: ModelCache, folder: Path, seed: int
) -> tuple[list[str], list[Any], list[str]]:
    """(the truth, the clips, the labels ``head`` gives): 3 new clips of each texture, never trained on."""
    featurizer = featurizer_for(head.recipe, cache)
    rng = np.random.default_rng(seed)
    truth = [label for label in ("stripes", "checks", "rings") for _ in range(3)]
    unseen = [make_clip(folder / f"unseen-{n}.mp4", label, rng) for n, label in enumerate(truth)]
    return truth, unseen, [clip_label(head, featurizer, *featurizer.sample(clip.path))[0][0] for clip in unseen]


FAST = TrainOptions(embedder=TEST_EMBEDDER.name, max_frames=4)


@pytest.fixture(scope="module")
def textures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """stripes, checks and rings: 5 clips each, mixed frame rates (24, 25, 29.97, 30)."""
    folder = tmp_path_factory.mktemp("textures")
    make_training_folder(folder, clips=5, seed=3)
    return folder


def test_trains_cross_validates_and_saves_plain_arrays(textures: Path, tmp_path: Path) -> None:
    cache = _cache(tmp_path / "home")
    seen: list[tuple[float, str]] = []
    result = train_classifier(textures, "textures", FAST, cache=cache, progress=lambda f, s: seen.append((f, s)))
    assert result.labels == ("checks", "rings", "stripes")
    assert result.clips_per_label == {"checks": 5, "rings": 5, "stripes": 5}
    assert result.folds == 5
    assert result.accuracy >= 0.9  # each clip judged by a model fitted without it
    assert sum(map(sum, result.confusion)) == 15
    assert np.trace(np.asarray(result.confusion)) == round(result.accuracy * 15)
    assert len(result.frame_rates) > 1 and "frame rates" in result.warnings[0]
    assert seen[-1] == (1.0, "trained") and all(a[0] <= b[0] for a, b in itertools.pairwise(seen))
    folder = Path(result.saved_to)
    assert sorted(p.name for p in folder.iterdir()) == ["confusion.png", "head.npz", "model.json"]
    assert Path(result.confusion_png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with np.load(folder / "head.npz", allow_pickle=False) as arrays:  # plain arrays: no pickle needed
        assert arrays["coef"].shape == (3, OrientationEmbedder.embedding_size * 2)
    about = json.loads((folder / "model.json").read_text())
    assert about["recipe"]["embedder"] == TEST_EMBEDDER.name and about["training"]["accuracy"] == result.accuracy


def test_the_trained_model_labels_unseen_clips_through_the_registry(textures: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    train_classifier(textures, "textures", replace(FAST, task="scene"), cache=_cache(home))
    cache = _cache(home)  # a fresh process: the model comes from the models home, by name
    spec = cache.registry.get("textures")
    assert (spec.task, spec.capabilities, spec.source) == ("classify", ("trained",), "home:trained/textures")
    assert spec.params["features"] == "frames" and spec.params["labels"] == ["checks", "rings", "stripes"]
    head = cache.get("textures", kind=TrainedHead)
    truth, unseen, found = _label_unseen(head, cache, tmp_path, seed=123)
    assert found == truth
    # as analysis holds it: a clip action model and an image classifier, bound to the cache's embedder
    assert isinstance(head, ClipActionModel) and isinstance(head, ImageClassifier)
    head.bind(cache)
    clips = [np.stack([f.image for f in media.iter_frames(c.path, fps=head.clip_fps)][: head.clip_frames])
             for c in unseen]  # fmt: skip
    assert [scored[0][0] for scored in head.classify_clips(clips)] == truth
    assert [scored[0][0] for scored in head.classify_images([clip[0] for clip in clips])] == truth
    with pytest.raises(InputError, match=r"knows only its own labels \(checks, rings, stripes\)"):
        head.classify_clips(clips[:1], labels=("dog",))


def test_numpy_prediction_equals_scikit_learn(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from studio.vision.training.features import FeatureRecipe
    from studio.vision.training.train import _fit_head

    rng = np.random.default_rng(0)
    for count in (2, 4):  # two labels are one sigmoid in scikit-learn, written as two softmax rows
        targets = np.repeat(np.arange(count), 10)
        vectors = rng.normal(size=(len(targets), 6)) + targets[:, None] * rng.normal(size=6)
        labels = tuple(f"l{i}" for i in range(count))
        head = _fit_head("t", "action", labels, FeatureRecipe(), vectors, targets, FAST)
        head.save(tmp_path)
        loaded = TrainedHead.read(tmp_path)
        reference = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(vectors, targets)
        probe = rng.normal(size=(5, 6))
        ours = np.asarray([[dict(row)[label] for label in labels] for row in loaded.classify_features(probe, count)])
        np.testing.assert_allclose(ours, reference.predict_proba(probe), atol=1e-6)


def test_efficientnet_features_separate_the_textures(textures: Path, tmp_path: Path) -> None:
    """The default features, EfficientNet-Lite0 embeddings (mean and std over 4 frames a clip): at
    least 80% cross-validated, and 8 of 9 unseen clips labelled right."""
    from models.classify_efficientnet import SPECS

    cache = _cache(tmp_path / "h", *SPECS)
    result = train_classifier(textures, "lite", TrainOptions(max_frames=4), cache=cache)
    assert result.recipe["embedder"] == "efficientnet-lite0"
    assert result.accuracy >= 0.8
    truth, _, found = _label_unseen(cache.get("lite", kind=TrainedHead), cache, tmp_path, seed=7)
    assert sum(f == t for f, t in zip(found, truth, strict=True)) >= 8, found


def _bad_folder(tmp_path: Path, layout: str) -> Path:
    """A training folder wrong in one way; ``layout`` names the way."""
    root = tmp_path / "clips"
    rng = np.random.default_rng(0)
    if layout == "missing":
        return root
    if layout == "a file":
        root.write_bytes(b"not a folder")
        return root
    for label in ("checks", "rings"):
        (root / label).mkdir(parents=True)
        for n in range(2):
            make_clip(root / label / f"{n}.mp4", label, rng, duration_s=1.0)
    if layout == "one label":
        for clip in (root / "rings").iterdir():
            clip.unlink()
        (root / "rings").rmdir()
    elif layout == "empty label":
        (root / "stripes").mkdir()
        (root / "stripes" / "notes.txt").write_text("no clips here")
    elif layout == "one clip":
        (root / "stripes").mkdir()
        make_clip(root / "stripes" / "0.mp4", "stripes", rng, duration_s=1.0)
    elif layout == "unreadable clip":
        (root / "rings" / "broken.mp4").write_bytes(b"\x00garbage" * 100)
    elif layout == "no video stream":
        _audio_only(root / "rings" / "sound.mp4")
    elif layout == "newline label":
        (root / "rings").rename(root / "new\nline")
    return root


def _audio_only(path: Path) -> None:
    """An MP4 holding one second of a 440 Hz tone and no video."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000)
        stream.layout = "mono"
        tone = np.sin(2 * np.pi * 440 * np.arange(16000) / 16000).astype(np.float32)[None]
        frame = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
        frame.sample_rate = 16000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ("missing", r"training folder .*clips does not exist"),
        ("a file", r"expected a training folder with one sub-folder per label, got the file .*clips"),
        ("one label", r"needs a sub-folder per label, at least two .*found 1 \(checks\)"),
        ("empty label", r"label folder .*stripes has 0 clips; each label needs at least 2"),
        ("one clip", r"label folder .*stripes has 1 clip; each label needs at least 2"),
        ("unreadable clip", r"cannot train on .*rings/broken\.mp4: "),
        ("no video stream", r"cannot train on .*rings/sound\.mp4: has no video stream"),
        ("newline label", r"label folder 'new\\nline' in .*clips: a label must be printable"),
    ],
)
def test_bad_folders_are_refused_naming_what_is_wrong(tmp_path: Path, layout: str, message: str) -> None:
    folder = _bad_folder(tmp_path, layout)
    with pytest.raises(InputError, match=message) as refused:
        train_classifier(folder, "bad", FAST, cache=_cache(tmp_path / "home"))
    assert "\n" not in str(refused.value)
    assert not (tmp_path / "home" / "models" / "trained" / "bad").exists()


def test_a_good_folder_lists_its_rates_and_leaves_out_other_files(tmp_path: Path) -> None:
    folder = _bad_folder(tmp_path, "good")
    (folder / "README.md").write_text("my clips")
    (folder / ".hidden").mkdir()
    dataset = scan_dataset(folder)
    assert dataset.labels == ("checks", "rings") and dataset.clips_per_label() == {"checks": 2, "rings": 2}
    assert dataset.ignored == ("README.md",)
    assert set(dataset.frame_rates) == {f"{c.fps.numerator}/{c.fps.denominator}" for c in dataset.clips}


@pytest.mark.parametrize("name", ["", "My Model", "../up", "a/b", ".hidden", "x" * 64, "ends.", "newline\n"])
def test_unsafe_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match="expected a model name of lower-case letters"):
        train_classifier(tmp_path, name, FAST, cache=_cache(tmp_path / "home"))


def test_a_name_is_not_replaced_without_force(textures: Path, tmp_path: Path) -> None:
    cache = _cache(tmp_path / "home")
    first = train_classifier(textures, "mine", FAST, cache=cache)
    with pytest.raises(InputError, match=r"a trained model named 'mine' already exists .*use --force to replace it"):
        train_classifier(textures, "mine", FAST, cache=cache)
    with pytest.raises(InputError, match=r"'orientation-test' is the name of a registered model \(classify\)"):
        train_classifier(textures, "orientation-test", FAST, cache=cache)
    again = train_classifier(textures, "mine", replace(FAST, force=True, regularization=0.01), cache=cache)
    assert again.saved_to == first.saved_to
    assert json.loads((Path(again.saved_to) / "model.json").read_text())["training"]["accuracy"] == again.accuracy
    assert [p.name for p in Path(again.saved_to).parent.iterdir()] == ["mine"]  # no staging folder left


def test_a_model_trained_again_is_the_one_the_same_process_then_uses(textures: Path, tmp_path: Path) -> None:
    """A server trains ``mine`` as an action model, loads it, then trains it again as a scene model
    on two of the labels: the registry's spec and the loaded model are the new ones, no restart."""
    cache = _cache(tmp_path / "home")
    train_classifier(textures, "mine", FAST, cache=cache)
    assert cache.get("mine", kind=TrainedHead).labels == ("checks", "rings", "stripes")
    fewer = tmp_path / "fewer"
    for label in ("rings", "stripes"):
        shutil.copytree(textures / label, fewer / label)
    train_classifier(fewer, "mine", replace(FAST, force=True, task="scene"), cache=cache)
    assert cache.registry.get("mine").task == "classify"
    assert cache.registry.get("mine").params["labels"] == ["rings", "stripes"]
    reloaded = cache.get("mine", kind=TrainedHead)
    assert (reloaded.task, reloaded.labels) == ("classify", ("rings", "stripes"))


def test_a_damaged_trained_model_is_left_out_of_the_registry(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, models_dir=tmp_path / "models", outputs_dir=tmp_path / "out")
    broken = settings.models_dir / "trained" / "broken"
    broken.mkdir(parents=True)
    (broken / "model.json").write_text("{not json")
    assert trained_specs(settings) == []


def test_the_command_prints_the_accuracy_and_the_confusion_table(
    textures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import studio.registry
    from studio.cli.main import main
    from studio.cli.train import FEATURES, TASKS
    from studio.vision.training import FEATURE_KINDS, TRAINING_TASKS

    assert (FEATURE_KINDS, tuple(TRAINING_TASKS)) == (FEATURES, TASKS)
    cache = _cache(tmp_path / "home")
    monkeypatch.setattr(studio.registry, "default_cache", lambda: cache)
    argv = ["train", str(textures), "-o", "cli-model", "--embedder", TEST_EMBEDDER.name, "--max-frames", "4"]
    assert main(argv) == 0
    shown = capsys.readouterr().out
    assert "cross-validated accuracy" in shown and "true \\ predicted" in shown
    assert "studio analyze VIDEO --actions cli-model" in shown
    assert main([*argv, "--force", "--json", "--task", "scene"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["task"] == "classify" and data["labels"] == ["checks", "rings", "stripes"]
    assert main(["train", str(tmp_path / "nowhere"), "-o", "x"]) == 2  # InputError's exit code
    error = capsys.readouterr().err
    assert error.startswith("error: training folder") and error.count("\n") == 1


def test_a_train_job_refuses_bad_folders_at_once_and_trains_good_ones(textures: Path, tmp_path: Path) -> None:
    from studio.service import JobRunner
    from studio.service.kinds import StudioJobs

    cache = _cache(tmp_path / "home")
    shutil.copytree(textures, cache.settings.datasets / "textures")  # a served training reads only its datasets
    runner = JobRunner(tmp_path / "root", StudioJobs(_cache=cache).kinds()).start()
    try:
        with pytest.raises(InputError, match=r"training folder .*nowhere does not exist"):
            runner.submit("train", {"folder": "nowhere", "name": "jobbed"})
        with pytest.raises(InputError, match=r"trains only on folders inside its datasets folder .*got '/"):
            runner.submit("train", {"folder": str(textures), "name": "jobbed"})
        with pytest.raises(InputError, match="give the trained model a name"):
            runner.submit("train", {"folder": str(textures), "name": ""})
        job = runner.submit("train", {"folder": "textures", "name": "jobbed", "max_frames": 4,
                                      "sample_fps": "", "task": "scene", "embedder": TEST_EMBEDDER.name})  # fmt: skip
        ended = runner.wait(job.id, 120)
    finally:
        runner.close()
    assert ended.status == "done", ended.error
    assert ended.summary["labels"] == ["checks", "rings", "stripes"] and ended.summary["accuracy"] >= 0.9
    assert (Path(ended.folder) / ended.outputs["confusion"]).read_bytes()[:4] == b"\x89PNG"
    assert cache.registry.get("jobbed").task == "classify"


# -- pose features: a detector and a pose model that read the pose out of the frame --------------------
BODY = np.array([[80, 20], [78, 18], [82, 18], [76, 19], [84, 19], [70, 35], [90, 35], [66, 50], [94, 50], [64, 64],
                 [96, 64], [73, 70], [87, 70], [73, 88], [87, 88], [73, 106], [87, 106]], np.float32)  # fmt: skip
RIGHT_ELBOW, RIGHT_WRIST = 8, 10


class FramePerson:
    """A detector that finds one person, always in the same box."""

    input_size = 160

    def detect(self, images: list[np.ndarray], min_score: float = 0.3) -> list[Any]:
        from studio.vision import Detections

        box = np.array([[55, 10, 105, 110]], np.float32)
        return [Detections(box, np.array([0.9], np.float32), ("person",)) for _ in images]


class BrightnessPose:
    """A pose model whose person's right arm is as high as the frame is bright: black, the arm
    hangs (wrist at the hip); white, the wrist is above the head. So a clip's brightness over
    time is the arm's known motion."""

    def keypoints(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        height = float(image.mean()) / 255.0
        points = BODY.copy()
        points[RIGHT_ELBOW] = (97, 50 - 20 * height)
        points[RIGHT_WRIST] = (100, 64 - 54 * height)
        return np.concatenate([points, np.full((17, 1), 0.9, np.float32)], axis=1)[None].repeat(len(boxes), 0)


POSE_SPECS = (  # built by the test's loader, never imported by the registry
    ModelSpec(name="frame-person", task="detect", adapter="test_train:FramePerson", source="path:/", license="MIT",
              extra="vision", memory_mb=1, offline=True),
    ModelSpec(name="brightness-pose", task="pose", adapter="test_train:BrightnessPose", source="path:/", license="MIT",
              extra="vision", memory_mb=1, offline=True),
)  # fmt: skip


def _arm_clip(path: Path, waving: bool, rng: np.random.Generator) -> None:
    """3 s at 25 fps: a waved arm goes up and down 1.5-2.5 times a second; a still one stays at one height."""
    rate, level = rng.uniform(1.5, 2.5), rng.uniform(0.2, 0.8)
    with media.VideoWriter(path, fps=25) as writer:
        for index in range(75):
            height = 0.5 + 0.4 * np.sin(2 * np.pi * rate * index / 25) if waving else level
            writer.write(np.full((120, 160, 3), round(30 + 190 * height), np.uint8))


def test_pose_features_tell_a_waved_arm_from_a_still_one(tmp_path: Path) -> None:
    home, rng = tmp_path / "home", np.random.default_rng(11)
    settings = Settings(home=home, models_dir=home / "models", outputs_dir=home / "outputs", device="cpu")
    fakes = {"frame-person": FramePerson, "brightness-pose": BrightnessPose}
    cache = ModelCache(Registry(POSE_SPECS), settings, loader=lambda spec, *_: fakes[spec.name]())
    for label in ("still", "waving"):
        (tmp_path / "arms" / label).mkdir(parents=True)
        for n in range(4):
            _arm_clip(tmp_path / "arms" / label / f"{n}.mp4", label == "waving", rng)
    result = train_classifier(tmp_path / "arms", "arms", TrainOptions(features="pose"), cache=cache)
    assert (result.recipe["detector"], result.recipe["pose"], result.recipe["embedder"]) == (
        "frame-person", "brightness-pose", None)  # fmt: skip
    assert result.recipe["sample_fps"] == 8.0 and result.accuracy == 1.0
    head = TrainedHead.read(Path(result.saved_to))
    featurizer = featurizer_for(head.recipe, cache)
    for label in ("waving", "still", "waving", "still"):
        _arm_clip(tmp_path / "new.mp4", label == "waving", rng)
        assert clip_label(head, featurizer, *featurizer.sample(tmp_path / "new.mp4"))[0][0] == label


def test_a_model_saved_meanwhile_by_another_training_is_kept_without_force(tmp_path: Path) -> None:
    """Two trainings of one name at once: the second to finish is refused, not written over the first."""
    from studio.vision.training.train import _install

    target = tmp_path / "trained" / "dup"
    for run, label in enumerate(("first", "second", "forced")):
        staging = tmp_path / "trained" / f".dup.partial-{run}"
        staging.mkdir(parents=True)
        (staging / "model.json").write_text(label)
        if label == "second":
            with pytest.raises(InputError, match=r"'dup' appeared in .* while this one trained"):
                _install(staging, target, force=False)
        else:
            _install(staging, target, force=label == "forced")
        assert (target / "model.json").read_text() == ("first" if label != "forced" else "forced")
    assert sorted(p.name for p in target.parent.iterdir()) == [".dup.partial-1", "dup"]  # _save removes its own


def test_staging_folders_are_not_models_and_devices_are_checked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(home=tmp_path, models_dir=tmp_path / "models", outputs_dir=tmp_path / "out")
    staging = settings.models_dir / "trained" / ".mine.partial-42"
    staging.mkdir(parents=True)
    (staging / "model.json").write_text("{}")
    assert trained_specs(settings) == [] and "skipping" not in caplog.text
    for device in ("bogus", "cuda:x", "cpu\n"):
        with pytest.raises(InputError, match="expected device auto, cpu, cuda or cuda:N"):
            TrainOptions(device=device)


def test_an_unwritable_models_home_is_refused_before_any_work(textures: Path, tmp_path: Path) -> None:
    from studio.core import OutputError

    cache = _cache(tmp_path / "home")
    cache.settings.models_dir.mkdir(parents=True)
    (cache.settings.models_dir / "trained").write_text("a file where the trained models' folder goes")
    stages: list[str] = []
    with pytest.raises(OutputError, match=r"trained/mine: could not be written"):
        train_classifier(textures, "mine", FAST, cache=cache, progress=lambda f, stage: stages.append(stage))
    assert stages == []  # refused in the check, before loading or reading a clip
