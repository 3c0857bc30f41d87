"""``train_classifier``: folders of labelled clips in, a cross-validated classifier in the models home out.

1. :func:`~studio.vision.training.dataset.scan_dataset` checks the folder (every refusal names what is wrong);
2. each clip becomes one vector (:class:`~studio.vision.training.features.ClipFeaturizer`, models from the cache);
3. stratified k-fold cross-validation (k = min(5, the smallest label's clips)) of a logistic regression on
   standardised vectors gives the accuracy, per-label precision and recall and the confusion matrix;
4. the same model fitted on every clip is saved as plain arrays (:class:`~studio.vision.training.head.TrainedHead`)
   in ``<models home>/trained/NAME`` with ``confusion.png``, and registered, so analysis can use it at once.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from studio.core import (
    Busy,
    CancelFlag,
    InputError,
    JsonResult,
    OutputError,
    Progress,
    check_cancel,
    echoed,
    os_reason,
    write_bytes,
)
from studio.vision.training.dataset import Dataset, scan_dataset
from studio.vision.training.features import FEATURE_KINDS, ClipFeaturizer, FeatureRecipe, featurizer_for
from studio.vision.training.head import TrainedHead
from studio.vision.training.registered import TRAINED_FOLDER, check_model_name, spec_task, trained_spec

if TYPE_CHECKING:
    from studio.registry import ModelCache

log = logging.getLogger(__name__)
_DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?")

__all__ = ["MAX_FOLDS", "TrainOptions", "TrainResult", "check_training", "train_classifier"]

MAX_FOLDS = 5
FEATURE_SHARE = 0.9  # of the progress bar: turning clips into vectors is nearly all the work
CONFUSION_FILE = "confusion.png"


@dataclass(frozen=True)
class TrainOptions:
    """What to train. ``sample_fps`` and ``max_frames`` ``None``: the feature kind's defaults."""

    features: str = "frames"  # frames, pose or frames+pose (FEATURE_KINDS)
    task: str = "action"  # action (a ClipAction-like labeller) or scene (a classify model)
    sample_fps: float | None = None
    max_frames: int | None = None
    embedder: str | None = None  # an ImageEmbedder; None: efficientnet-lite0 (the best installed)
    detector: str | None = None  # pose features: a detect model; None: the best installed
    pose: str | None = None  # pose features: a pose model; None: the best installed
    regularization: float = 1.0  # logistic regression's C: smaller is smoother (few clips, many features)
    force: bool = False  # replace a trained model of the same name
    seed: int = 0  # of the cross-validation folds
    device: str | None = None  # None: the settings' device

    def __post_init__(self) -> None:
        if self.features not in FEATURE_KINDS:
            raise InputError(f"expected features one of {', '.join(FEATURE_KINDS)}, got {self.features!r}")
        spec_task(self.task)
        if not self.regularization > 0:
            raise InputError(f"expected a positive regularization C, got {self.regularization}")
        if self.device is not None and not _DEVICE.fullmatch(self.device):
            raise InputError(f"expected device auto, cpu, cuda or cuda:N, got {echoed(self.device)}")

    def recipe(self) -> FeatureRecipe:
        recipe = FeatureRecipe.for_kind(self.features, self.sample_fps, self.max_frames)
        names: dict[str, Any] = {"embedder": self.embedder, "detector": self.detector, "pose": self.pose}
        if self.task == "scene":
            names["pooling"] = "mean"  # analysis asks a scene model about single pictures too
        return FeatureRecipe(**{**recipe.to_dict(), **{k: v for k, v in names.items() if v is not None}})


@dataclass(frozen=True)
class TrainResult(JsonResult):
    """How training went: cross-validated numbers (clips the model had not seen), and where it went."""

    name: str
    task: str  # the registry task: action or classify
    features: str
    labels: tuple[str, ...]
    clips_per_label: dict[str, int]
    frame_rates: tuple[str, ...]  # the declared rates found among the clips
    folds: int
    accuracy: float  # cross-validated: each clip predicted by a model fitted without it
    precision: dict[str, float]
    recall: dict[str, float]
    confusion: tuple[tuple[int, ...], ...]  # rows: true label, columns: predicted, in ``labels`` order
    feature_s: float  # seconds turning clips into vectors
    training_s: float  # seconds of cross-validation and the final fit
    saved_to: str  # the model's folder
    confusion_png: str
    recipe: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def confusion_table(self) -> list[list[Any]]:
        """Rows for a text table: the true label, then the count predicted as each label."""
        return [[label, *row] for label, row in zip(self.labels, self.confusion, strict=True)]


def _target(cache: ModelCache, name: str, force: bool) -> Path:
    """Where ``name`` will be saved, refused when it would replace something it should not."""
    registry = cache.registry
    if name in registry and not registry.get(name).can("trained"):
        raise InputError(f"{name!r} is the name of a registered model ({registry.get(name).task}); choose another")
    target = cache.settings.models_dir / TRAINED_FOLDER / name
    if target.exists() and not force:
        raise InputError(f"a trained model named {name!r} already exists in {target}; use --force to replace it")
    if force and name in registry:
        cache.unload(name)  # Busy while a job uses it: refused before any work
    try:  # a read-only or full models home is said now, not after the features were computed
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(target, f"could not be written ({os_reason(exc)})") from None
    if not os.access(target.parent, os.W_OK):
        raise OutputError(target, "could not be written (its folder is not writable)")
    return target


def check_training(
    folder: str | os.PathLike[str], name: str, options: TrainOptions, cache: ModelCache
) -> tuple[Path, Dataset, FeatureRecipe]:
    """Every refusal before any work (the name, the folder, its clips, the models): where the model
    will go, the clips, and the recipe with every model named. A job checks this before queueing."""
    target = _target(cache, check_model_name(name), options.force)
    dataset = scan_dataset(folder)
    return target, dataset, options.recipe().resolved(cache.registry, cache.settings)


def _vectors(dataset: Dataset, featurizer: ClipFeaturizer, progress: Progress, cancel: CancelFlag | None) -> np.ndarray:
    rows = []
    for number, clip in enumerate(dataset.clips):
        check_cancel(cancel, "training")
        progress(FEATURE_SHARE * number / len(dataset.clips), f"features of {clip.label}/{clip.path.name}")
        rows.append(featurizer.featurize(clip.path))
    return np.stack(rows).astype(np.float64)


def _cross_validate(vectors: np.ndarray, targets: np.ndarray, folds: int, options: TrainOptions) -> np.ndarray:
    """Each clip's label predicted by a model fitted on the folds without it."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=options.regularization, max_iter=2000))
    splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=options.seed)
    return np.asarray(cross_val_predict(model, vectors, targets, cv=splits))


def _fit_head(name: str, task: str, labels: tuple[str, ...], recipe: FeatureRecipe, vectors: np.ndarray,
              targets: np.ndarray, options: TrainOptions) -> TrainedHead:  # fmt: skip
    """Standardise, fit, and export the arrays (a two-label fit as its two softmax rows)."""
    from sklearn.linear_model import LogisticRegression

    mean = vectors.mean(axis=0)
    scale = vectors.std(axis=0)
    scale[scale < 1e-12] = 1.0  # as StandardScaler: a constant feature is left as it is
    fitted = LogisticRegression(C=options.regularization, max_iter=2000).fit((vectors - mean) / scale, targets)
    coef, intercept = np.asarray(fitted.coef_, np.float64), np.asarray(fitted.intercept_, np.float64)
    if len(labels) == 2:
        coef, intercept = np.concatenate([-coef / 2, coef / 2]), np.concatenate([-intercept / 2, intercept / 2])
    return TrainedHead(name, task, labels, recipe, mean, scale, coef, intercept)


def _scores(targets: np.ndarray, predicted: np.ndarray, labels: tuple[str, ...]) -> dict[str, Any]:
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    indices = list(range(len(labels)))
    precision, recall, _, _ = precision_recall_fscore_support(targets, predicted, labels=indices, zero_division=0)
    return {
        "accuracy": round(float(np.mean(targets == predicted)), 4),
        "precision": {label: round(float(p), 4) for label, p in zip(labels, precision, strict=True)},
        "recall": {label: round(float(r), 4) for label, r in zip(labels, recall, strict=True)},
        "confusion": tuple(tuple(int(n) for n in row) for row in confusion_matrix(targets, predicted, labels=indices)),
    }


def confusion_png(labels: tuple[str, ...], confusion: tuple[tuple[int, ...], ...], title: str) -> bytes:
    """The confusion matrix as a PNG (matplotlib, no pyplot state: safe in a server thread)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    counts = np.asarray(confusion)
    side = 2.5 + 0.6 * len(labels)
    figure = Figure(figsize=(side + 1, side), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.imshow(counts, cmap="Blues", vmin=0)
    axes.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(title)
    for (row, column), count in np.ndenumerate(counts):
        dark = count > counts.max() / 2
        axes.text(column, row, str(count), ha="center", va="center", color="white" if dark else "black")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _install(staging: Path, target: Path, force: bool) -> None:
    """Move the finished folder into place; a replaced model goes only once the new one is there
    (and comes back if the new one cannot be put in its place). Without ``force`` a model that
    appeared meanwhile (another training of the same name) is never replaced: renaming a folder
    onto a non-empty one fails."""
    old = target.with_name(f".{target.name}.replaced-{os.getpid()}")
    moved = False
    try:
        if force and target.exists():
            target.rename(old)
            moved = True
        staging.rename(target)
    except OSError as exc:
        if moved and not target.exists():
            old.rename(target)
        if not force and target.exists():
            raise InputError(f"a trained model named {target.name!r} appeared in {target} while this one trained "
                             "(another training of the same name); use --force to replace it") from None  # fmt: skip
        raise OutputError(target, f"could not be written ({os_reason(exc)})") from None
    shutil.rmtree(old, ignore_errors=True)


def train_classifier(
    folder: str | os.PathLike[str],
    name: str,
    options: TrainOptions | None = None,
    cache: ModelCache | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> TrainResult:
    """Train the classifier ``name`` on the labelled clips under ``folder`` (one sub-folder per label)."""
    from studio.registry import default_cache

    options = options or TrainOptions()
    cache = cache or default_cache()
    report = progress or (lambda fraction, stage: None)
    target, dataset, recipe = check_training(folder, name, options, cache)
    task = spec_task(options.task)
    report(0.0, "loading models")
    featurizer = featurizer_for(recipe, cache, options.device)
    started = time.perf_counter()
    vectors = _vectors(dataset, featurizer, report, cancel)
    feature_s = time.perf_counter() - started
    check_cancel(cancel, "training")
    report(FEATURE_SHARE, "cross-validating")
    targets = np.asarray([dataset.labels.index(clip.label) for clip in dataset.clips])
    folds = min(MAX_FOLDS, min(dataset.clips_per_label().values()))
    started = time.perf_counter()
    scores = _scores(targets, _cross_validate(vectors, targets, folds, options), dataset.labels)
    head = _fit_head(name, task, dataset.labels, recipe, vectors, targets, options)
    training_s = time.perf_counter() - started
    warnings = []
    if len(dataset.frame_rates) > 1:
        warnings.append(f"clips have {len(dataset.frame_rates)} frame rates ({', '.join(dataset.frame_rates)}); "
                        "frames were sampled by timestamp, so each clip was seen on its own clock")  # fmt: skip
    result = TrainResult(
        name=name, task=task, features=recipe.kind, labels=dataset.labels, clips_per_label=dataset.clips_per_label(),
        frame_rates=dataset.frame_rates, folds=folds, **scores, feature_s=round(feature_s, 3),
        training_s=round(training_s, 3), saved_to=str(target), confusion_png=str(target / CONFUSION_FILE),
        recipe=recipe.to_dict(), warnings=tuple(warnings),
    )  # fmt: skip
    check_cancel(cancel, "training")
    report(0.97, "saving")
    _save(head, result, target, options.force)
    _register(cache, head, target)
    report(1.0, "trained")
    return result


def _save(head: TrainedHead, result: TrainResult, target: Path, force: bool) -> None:
    staging = target.with_name(f".{target.name}.partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir(parents=True)
    except OSError as exc:
        raise OutputError(target, f"could not be written ({os_reason(exc)})") from None
    try:
        head.training = {
            key: value for key, value in result.to_dict().items() if key not in ("saved_to", "confusion_png")
        }
        head.save(staging)
        title = f"{result.name}: {result.accuracy:.0%} cross-validated ({result.folds} folds)"
        write_bytes(staging / CONFUSION_FILE, confusion_png(result.labels, result.confusion, title))
        _install(staging, target, force)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _register(cache: ModelCache, head: TrainedHead, target: Path) -> None:
    """Make the new model loadable through this cache's registry without a restart."""
    spec = trained_spec(head.name, head.task, TrainedHead.read_about(target))
    cache.registry.replace(spec)  # a model trained again may have other labels, task or features
    try:
        cache.unload(head.name)  # a copy loaded while this one trained is the old model
    except Busy:
        log.warning("%s was retrained while a job used the old copy; it loads anew once that job ends", head.name)
