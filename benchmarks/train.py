"""``studio train`` on generated clips: cross-validated and unseen-clip accuracy, training and prediction time.

Each class is a moving texture from :mod:`studio.vision.training.synthetic` (stripes, checks, rings,
dots, noise), every clip with its own colours, scale, angle, speed, length (2-4 s) and frame rate
(24/25/29.97/30), so only the pattern's shape tells the classes apart. For 3 and 5 classes it trains
on ``--clips`` clips per class, then labels ``--unseen`` new clips per class it never saw:

- ``studio train`` (EfficientNet-Lite0 embeddings of 8 frames a clip, mean and std, logistic regression);
- the plain peer: the same logistic regression on the clip's mean 16x12 thumbnail (raw pixels).

Times: features (decode + embed every clip), fit (cross-validation and the final fit), predict (one
unseen clip: decode, embed, classify). Run: ``python benchmarks/train.py [--clips 6] [--unseen 4]``.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.classify_efficientnet import SPECS
from studio import media
from studio.core import Settings
from studio.registry import ModelCache, Registry
from studio.vision.training import TrainOptions, clip_label, featurizer_for, scan_dataset, train_classifier
from studio.vision.training.synthetic import PATTERNS, make_training_folder

THUMBNAIL = (16, 12)


def _thumbnail_vector(path: Path) -> np.ndarray:
    """The plain peer's features: the clip's mean thumbnail at 4 frames a second, 0-1."""
    frames = [f.image for f in media.iter_frames(path, fps=4, size=THUMBNAIL)]
    return np.mean(frames, axis=0).ravel() / 255.0


def _peer(train: Path, unseen: Path) -> dict[str, float]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    started = time.perf_counter()
    dataset = scan_dataset(train)
    vectors = np.stack([_thumbnail_vector(c.path) for c in dataset.clips])
    targets = np.asarray([dataset.labels.index(c.label) for c in dataset.clips])
    feature_s = time.perf_counter() - started
    started = time.perf_counter()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    folds = StratifiedKFold(n_splits=min(5, min(dataset.clips_per_label().values())), shuffle=True, random_state=0)
    accuracy = float(cross_val_score(model, vectors, targets, cv=folds).mean())
    model.fit(vectors, targets)
    fit_s = time.perf_counter() - started
    tests = scan_dataset(unseen).clips
    started = time.perf_counter()
    found = [dataset.labels[int(model.predict(_thumbnail_vector(c.path)[None])[0])] for c in tests]
    predict_s = (time.perf_counter() - started) / len(tests)
    unseen_accuracy = float(np.mean([f == c.label for f, c in zip(found, tests, strict=True)]))
    return {"cv": accuracy, "unseen": unseen_accuracy, "feature_s": feature_s, "fit_s": fit_s, "predict_s": predict_s}


def _studio(train: Path, unseen: Path, home: Path) -> dict[str, float]:
    settings = Settings(home=home, models_dir=home / "models", outputs_dir=home / "out", device="cpu")
    cache = ModelCache(Registry([*SPECS]), settings)
    cache.get("efficientnet-lite0")  # loading (about a second) is not training
    result = train_classifier(train, f"bench-{train.name}", TrainOptions(force=True), cache=cache)
    head = cache.get(result.name)
    featurizer = featurizer_for(head.recipe, cache)
    tests = scan_dataset(unseen).clips
    started = time.perf_counter()
    found = [clip_label(head, featurizer, *featurizer.sample(c.path))[0][0] for c in tests]
    predict_s = (time.perf_counter() - started) / len(tests)
    unseen_accuracy = float(np.mean([f == c.label for f, c in zip(found, tests, strict=True)]))
    return {"cv": result.accuracy, "unseen": unseen_accuracy, "feature_s": result.feature_s,
            "fit_s": result.training_s, "predict_s": predict_s}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=6, help="training clips per class")
    parser.add_argument("--unseen", type=int, default=4, help="unseen test clips per class")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for count in (3, 5):
            labels = tuple(PATTERNS)[:count]
            train, unseen = root / f"train{count}", root / f"unseen{count}"
            make_training_folder(train, labels, clips=args.clips, seed=count)
            make_training_folder(unseen, labels, clips=args.unseen, seed=100 + count)
            for who, numbers in (("studio train (EfficientNet-Lite0)", _studio(train, unseen, root / "home")),
                                 ("plain peer (thumbnail pixels)", _peer(train, unseen))):  # fmt: skip
                rows.append((count, count * args.clips, who, numbers))
    print("| classes | clips | classifier | CV accuracy | unseen accuracy | features s | fit s | predict s/clip |")
    print("|---|---|---|---|---|---|---|---|")
    for count, clips, who, n in rows:
        print(f"| {count} | {clips} | {who} | {n['cv']:.0%} | {n['unseen']:.0%} | {n['feature_s']:.1f} | "
              f"{n['fit_s']:.2f} | {n['predict_s']:.2f} |")  # fmt: skip


if __name__ == "__main__":
    main()
