"""Evaluation harnesses users run on their own files: each returns one result type and writes JSON.

- :mod:`~studio.evaluate.fps_consistency`: :func:`check_fps`, a file's timing against its header
  (declared and measured rates, variable frame rate, dropped and duplicated frames, repeat
  cadence, frame count, audio offset and drift), with a verdict and its tolerances;
- :mod:`~studio.evaluate.fps_html`: :func:`fps_reports_html`, the reports as one HTML page with
  each file's frame-interval histogram;
- :mod:`~studio.evaluate.quality`: :func:`score_quality`, VBench's temporal flickering and named
  proxies (optical-flow motion, sharpness, exposure), each with its definition.
"""

from studio.evaluate.fps_consistency import DUPLICATE_SIZE, FpsReport, FpsTolerances, check_fps
from studio.evaluate.fps_html import fps_reports_html, interval_histogram_png
from studio.evaluate.quality import QUALITY_SIDE, QualityReport, score_quality

__all__ = [
    "DUPLICATE_SIZE",
    "QUALITY_SIDE",
    "FpsReport",
    "FpsTolerances",
    "QualityReport",
    "check_fps",
    "fps_reports_html",
    "interval_histogram_png",
    "score_quality",
]
