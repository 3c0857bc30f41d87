"""Video understanding: the detector and pose contracts, tracking, motion, zones, shots,
annotation, the analysis stages and the analyze pipeline.

- :mod:`~studio.vision.detections`: :class:`Detections`, the one box type from detector to annotation;
- :mod:`~studio.vision.contracts`: :class:`DetectorModel`, :class:`TextQueryDetector`, :class:`PoseModel`;
- :mod:`~studio.vision.tracking`, :mod:`~studio.vision.motion`, :mod:`~studio.vision.zones`,
  :mod:`~studio.vision.shots`, :mod:`~studio.vision.annotate`: one job each;
- :mod:`~studio.vision.stages`: the stage contract (plug-ins: entry points ``media_studio.stages``);
  :mod:`~studio.vision.builtin_stages`: the stages that ship;
- :mod:`~studio.vision.options`: :class:`AnalyzeOptions`, what an analysis is asked to do;
- :mod:`~studio.vision.analyze`: :func:`analyze`, a video in, a :class:`~studio.core.Timeline` out.
"""

from studio.vision.analyze import analyze
from studio.vision.annotate import FrameAnnotator, FrameState
from studio.vision.contracts import COCO_KEYPOINTS, COCO_LABELS, SKELETON, DetectorModel, PoseModel, TextQueryDetector
from studio.vision.detections import Detections, box_iou, nms
from studio.vision.motion import MotionAnalyzer
from studio.vision.options import ANALYSIS_TASKS, AnalyzeOptions
from studio.vision.shots import CutDetector
from studio.vision.stages import STAGE_ENTRY_POINT_GROUP, Findings, Sample, Stage, StageBase
from studio.vision.tracking import Tracker
from studio.vision.zones import ZoneWatcher, parse_lines, parse_zones

__all__ = [
    "ANALYSIS_TASKS",
    "COCO_KEYPOINTS",
    "COCO_LABELS",
    "SKELETON",
    "STAGE_ENTRY_POINT_GROUP",
    "AnalyzeOptions",
    "CutDetector",
    "Detections",
    "DetectorModel",
    "Findings",
    "FrameAnnotator",
    "FrameState",
    "MotionAnalyzer",
    "PoseModel",
    "Sample",
    "Stage",
    "StageBase",
    "TextQueryDetector",
    "Tracker",
    "ZoneWatcher",
    "analyze",
    "box_iou",
    "nms",
    "parse_lines",
    "parse_zones",
]
