"""Train your own clip classifier from folders of labelled clips (``studio train DIR -o NAME``).

- :mod:`~studio.vision.training.dataset`: :func:`scan_dataset`, one sub-folder per label, every refusal named;
- :mod:`~studio.vision.training.features`: :class:`FeatureRecipe` and :class:`ClipFeaturizer`, a clip's
  frames (sampled by timestamp) as one fixed-length vector; :func:`clip_label`, the one way a trained
  head labels a clip, shared by training and analysis;
- :mod:`~studio.vision.training.head`: :class:`TrainedHead`, a linear classifier saved as plain arrays;
- :mod:`~studio.vision.training.train`: :func:`train_classifier` (cross-validated, saved in the models home);
- :mod:`~studio.vision.training.registered`: :func:`trained_specs`, the trained models as registry specs.
"""

from studio.vision.training.dataset import CLIP_SUFFIXES, Clip, Dataset, scan_dataset
from studio.vision.training.features import (
    FEATURE_KINDS,
    ClipFeaturizer,
    FeatureRecipe,
    clip_label,
    featurizer_for,
)
from studio.vision.training.head import TrainedHead
from studio.vision.training.registered import TRAINED_FOLDER, TRAINING_TASKS, check_model_name, trained_specs
from studio.vision.training.train import TrainOptions, TrainResult, check_training, train_classifier

__all__ = [
    "CLIP_SUFFIXES",
    "FEATURE_KINDS",
    "TRAINED_FOLDER",
    "TRAINING_TASKS",
    "Clip",
    "ClipFeaturizer",
    "Dataset",
    "FeatureRecipe",
    "TrainOptions",
    "TrainResult",
    "TrainedHead",
    "check_model_name",
    "check_training",
    "clip_label",
    "featurizer_for",
    "scan_dataset",
    "train_classifier",
    "trained_specs",
]
