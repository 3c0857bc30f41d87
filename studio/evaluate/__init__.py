"""Evaluation harnesses users run on their own files: each returns one result type and writes JSON.

- :mod:`~studio.evaluate.action_accuracy`: :func:`evaluate_actions`, an action model over a folder
  of labelled clips (one sub-folder per label): accuracy, precision, recall and the confusion
  matrix (:func:`confusion_png`);
- :mod:`~studio.evaluate.asr_accuracy`: :func:`score_text` (WER and CER after Whisper's
  normaliser), :func:`evaluate_asr` (a model over a folder of audio with reference texts,
  :func:`spoken_set` makes one with espeak-ng);
- :mod:`~studio.evaluate.grounded_adherence`: :func:`prompt_adherence`, the objects and person
  actions a prompt names that the studio's own models find, and when (grounded, offline), beside
  the prompt's CLIPScore (:mod:`~studio.evaluate.text_alignment`) and X-CLIP score
  (:mod:`~studio.evaluate.video_alignment`) where those models are installed;
- :mod:`~studio.evaluate.detection_accuracy`: :func:`score_detections`, COCO mAP, precision and
  recall by ``supervision.metrics``;
- :mod:`~studio.evaluate.tracking_accuracy`: :func:`score_mot`, MOTA / HOTA / IDF1 by
  ``trackers.eval`` on MOT files, :func:`write_mot` a timeline's tracks as one;
- :mod:`~studio.evaluate.shot_accuracy`: :func:`score_shots`, shot-boundary F1;
- :mod:`~studio.evaluate.fps_consistency`: :func:`check_fps`, a file's timing against its header
  (declared and measured rates, variable frame rate, dropped and duplicated frames, repeat
  cadence, frame count, audio offset and drift), with a verdict and its tolerances;
- :mod:`~studio.evaluate.fps_html`: :func:`fps_reports_html`, the reports as one HTML page with
  each file's frame-interval histogram;
- :mod:`~studio.evaluate.rate_robustness`: :func:`fps_robustness`, the clip rewritten at other
  rates (frames dropped like FFmpeg's fps filter, or interpolated), analysed alike, each compared
  with the source's analysis by :func:`compare_timelines` (:mod:`~studio.evaluate.timeline_agreement`);
- :mod:`~studio.evaluate.report_plots`: the reports' matplotlib pictures and HTML page;
- :mod:`~studio.evaluate.quality`: :func:`score_quality`, VBench's temporal flickering, motion
  smoothness and subject consistency (on the studio's own interpolation and an offline
  embedder, named as such) and named proxies (optical-flow motion, sharpness, exposure), each
  with its definition; :func:`quality_embedder` and :func:`background_embedder` pick the embedders;
- :mod:`~studio.evaluate.video_evaluation`: :func:`evaluate_video`, one video through the
  harnesses picked (:class:`EvaluateOptions`), as one :class:`VideoEvaluation` with its verdict,
  :func:`evaluation_plots`, :func:`evaluation_html` and :func:`evaluation_scores` (the headline
  numbers a job's summary and a generation's sidecar keep);
- :mod:`~studio.evaluate.generation_scores`: :func:`score_generation` and :func:`score_story`,
  what a generation or a story's shots get once made, and :func:`add_to_sidecar`.
"""

from studio.evaluate.action_accuracy import (
    NO_ACTION,
    ActionAccuracy,
    ClipVerdict,
    actions_html,
    confusion_png,
    evaluate_actions,
)
from studio.evaluate.asr_accuracy import (
    SPOKEN_SENTENCES,
    AsrAccuracy,
    AsrItem,
    TextScore,
    evaluate_asr,
    normalise,
    reference_pairs,
    score_text,
    spoken_set,
)
from studio.evaluate.detection_accuracy import DetectionAccuracy, score_detections
from studio.evaluate.fps_consistency import FpsReport, FpsTolerances, check_fps
from studio.evaluate.fps_html import fps_reports_html, interval_histogram_png
from studio.evaluate.generation_scores import (
    GenerationScores,
    ShotScores,
    add_to_sidecar,
    score_generation,
    score_story,
)
from studio.evaluate.grounded_adherence import (
    ADHERENCE_FPS,
    OCR_FPS,
    AdherenceReport,
    Mention,
    adherence_tasks,
    prompt_adherence,
    prompt_mentions,
)
from studio.evaluate.quality import QUALITY_SIDE, QualityReport, score_quality
from studio.evaluate.quality_features import (
    BACKGROUND_FEATURES,
    DEFAULT_FEATURES,
    background_embedder,
    check_embedder,
    quality_embedder,
)
from studio.evaluate.rate_robustness import (
    DEFAULT_RATES,
    RESAMPLE_METHODS,
    ROBUSTNESS_TASKS,
    FpsRobustnessReport,
    RateResult,
    fps_robustness,
    resample_video,
)
from studio.evaluate.report_plots import bars_png, curves_png, embedded_png, html_page
from studio.evaluate.shot_accuracy import Boundary, ShotAccuracy, score_shots
from studio.evaluate.text_alignment import ALIGNMENT_MODEL, TextAlignment, alignment_embedder, check_alignment
from studio.evaluate.timeline_agreement import TimelineAgreement, compare_timelines
from studio.evaluate.tracking_accuracy import TrackingAccuracy, mot_rows, score_mot, write_mot
from studio.evaluate.video_alignment import (
    VIDEO_ALIGNMENT_MODEL,
    VideoAlignment,
    check_video_alignment,
    video_alignment_model,
)
from studio.evaluate.video_evaluation import (
    DEFAULT_HARNESSES,
    HARNESSES,
    EvaluateOptions,
    VideoEvaluation,
    evaluate_video,
    evaluation_html,
    evaluation_plots,
    evaluation_scores,
)

__all__ = [
    "ADHERENCE_FPS",
    "ALIGNMENT_MODEL",
    "BACKGROUND_FEATURES",
    "DEFAULT_FEATURES",
    "DEFAULT_HARNESSES",
    "DEFAULT_RATES",
    "HARNESSES",
    "NO_ACTION",
    "OCR_FPS",
    "QUALITY_SIDE",
    "RESAMPLE_METHODS",
    "ROBUSTNESS_TASKS",
    "SPOKEN_SENTENCES",
    "VIDEO_ALIGNMENT_MODEL",
    "ActionAccuracy",
    "AdherenceReport",
    "AsrAccuracy",
    "AsrItem",
    "Boundary",
    "ClipVerdict",
    "DetectionAccuracy",
    "EvaluateOptions",
    "FpsReport",
    "FpsRobustnessReport",
    "FpsTolerances",
    "GenerationScores",
    "Mention",
    "QualityReport",
    "RateResult",
    "ShotAccuracy",
    "ShotScores",
    "TextAlignment",
    "TextScore",
    "TimelineAgreement",
    "TrackingAccuracy",
    "VideoAlignment",
    "VideoEvaluation",
    "actions_html",
    "add_to_sidecar",
    "adherence_tasks",
    "alignment_embedder",
    "background_embedder",
    "bars_png",
    "check_alignment",
    "check_embedder",
    "check_fps",
    "check_video_alignment",
    "compare_timelines",
    "confusion_png",
    "curves_png",
    "embedded_png",
    "evaluate_actions",
    "evaluate_asr",
    "evaluate_video",
    "evaluation_html",
    "evaluation_plots",
    "evaluation_scores",
    "fps_reports_html",
    "fps_robustness",
    "html_page",
    "interval_histogram_png",
    "mot_rows",
    "normalise",
    "prompt_adherence",
    "prompt_mentions",
    "quality_embedder",
    "reference_pairs",
    "resample_video",
    "score_detections",
    "score_generation",
    "score_mot",
    "score_quality",
    "score_shots",
    "score_story",
    "score_text",
    "spoken_set",
    "video_alignment_model",
    "write_mot",
]
