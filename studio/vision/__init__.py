"""Video understanding: the detector and pose contracts, tracking, motion, zones, shots,
annotation, the analysis stages and the analyze pipeline.

- :mod:`~studio.vision.detections`: :class:`Detections`, the one box type from detector to annotation;
- :mod:`~studio.vision.contracts`: :class:`DetectorModel`, :class:`TextQueryDetector`, :class:`PoseModel`;
- :mod:`~studio.vision.tracking`, :mod:`~studio.vision.motion`, :mod:`~studio.vision.zones`,
  :mod:`~studio.vision.shots`, :mod:`~studio.vision.annotate`: one job each;
- :mod:`~studio.vision.stages`: the stage contract (plug-ins: entry points ``media_studio.stages``);
  :mod:`~studio.vision.builtin_stages`: the stages that ship;
- :mod:`~studio.vision.options`: :class:`AnalyzeOptions`, what an analysis is asked to do;
- :mod:`~studio.vision.analyze`: :func:`analyze`, a video in, a :class:`~studio.core.Timeline` out;
- :mod:`~studio.vision.training`: :func:`train_classifier`, a folder of labelled clips in, a model
  any analysis can use out (``--actions NAME``, ``--scenes NAME``).
"""

from studio.vision.action_segments import segments_from_labels
from studio.vision.analyze import analyze
from studio.vision.annotate import FrameAnnotator, FrameState
from studio.vision.clip_windows import MIN_FILL, Clip, ClipCollector, ClipPlan, actions_from_clips
from studio.vision.contracts import (
    COCO_KEYPOINTS,
    COCO_LABELS,
    SKELETON,
    ClipActionModel,
    DetectorModel,
    ImageCaptioner,
    ImageClassifier,
    ImageEmbedder,
    PoseActionModel,
    PoseModel,
    Scored,
    ShotModel,
    ShotScorer,
    TextImageEmbedder,
    TextLine,
    TextQueryDetector,
    TextReader,
    TextVideoScorer,
    Transition,
    UsesModels,
    VideoDescriber,
)
from studio.vision.describe import NOTHING_RECOGNISED, DescriptionLimits, SeenObject, grounded_description, objects_seen
from studio.vision.describe_timeline import attach_transcript, describe_shots
from studio.vision.detections import Detections, box_iou, nms
from studio.vision.motion import MotionAnalyzer
from studio.vision.options import ANALYSIS_TASKS, UNDERSTANDING_TASKS, AnalyzeOptions
from studio.vision.pose_features import (
    FEATURE_NAMES,
    VECTOR_NAMES,
    VECTOR_SIZE,
    PoseFeatures,
    pose_feature_vector,
    window_features,
)
from studio.vision.shot_captions import shot_captions_vtt, shot_text
from studio.vision.shot_list import (
    TransitionFinder,
    TransitionRule,
    merge_transitions,
    shots_from_transitions,
    split_tracks_at_shots,
)
from studio.vision.shots import CutDetector
from studio.vision.stages import STAGE_ENTRY_POINT_GROUP, Findings, Sample, Stage, StageBase
from studio.vision.task_plan import TaskPlan, plan_tasks
from studio.vision.tracking import Tracker
from studio.vision.training import (
    FEATURE_KINDS,
    TRAINING_TASKS,
    FeatureRecipe,
    TrainedHead,
    TrainOptions,
    TrainResult,
    check_training,
    clip_label,
    featurizer_for,
    scan_dataset,
    train_classifier,
    trained_specs,
)
from studio.vision.training.synthetic import OrientationEmbedder, make_training_folder
from studio.vision.zones import ZoneWatcher, parse_lines, parse_zones

__all__ = [
    "ANALYSIS_TASKS",
    "COCO_KEYPOINTS",
    "COCO_LABELS",
    "FEATURE_KINDS",
    "FEATURE_NAMES",
    "MIN_FILL",
    "NOTHING_RECOGNISED",
    "SKELETON",
    "STAGE_ENTRY_POINT_GROUP",
    "TRAINING_TASKS",
    "UNDERSTANDING_TASKS",
    "VECTOR_NAMES",
    "VECTOR_SIZE",
    "AnalyzeOptions",
    "Clip",
    "ClipActionModel",
    "ClipCollector",
    "ClipPlan",
    "CutDetector",
    "DescriptionLimits",
    "Detections",
    "DetectorModel",
    "FeatureRecipe",
    "Findings",
    "FrameAnnotator",
    "FrameState",
    "ImageCaptioner",
    "ImageClassifier",
    "ImageEmbedder",
    "MotionAnalyzer",
    "OrientationEmbedder",
    "PoseActionModel",
    "PoseFeatures",
    "PoseModel",
    "Sample",
    "Scored",
    "SeenObject",
    "ShotModel",
    "ShotScorer",
    "Stage",
    "StageBase",
    "TaskPlan",
    "TextImageEmbedder",
    "TextLine",
    "TextQueryDetector",
    "TextReader",
    "TextVideoScorer",
    "Tracker",
    "TrainOptions",
    "TrainResult",
    "TrainedHead",
    "Transition",
    "TransitionFinder",
    "TransitionRule",
    "UsesModels",
    "VideoDescriber",
    "ZoneWatcher",
    "actions_from_clips",
    "analyze",
    "attach_transcript",
    "box_iou",
    "check_training",
    "clip_label",
    "describe_shots",
    "featurizer_for",
    "grounded_description",
    "make_training_folder",
    "merge_transitions",
    "nms",
    "objects_seen",
    "parse_lines",
    "parse_zones",
    "plan_tasks",
    "pose_feature_vector",
    "scan_dataset",
    "segments_from_labels",
    "shot_captions_vtt",
    "shot_text",
    "shots_from_transitions",
    "split_tracks_at_shots",
    "train_classifier",
    "trained_specs",
    "window_features",
]
