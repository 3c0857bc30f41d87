"""One video through the harnesses a user picks, as one result: what the Evaluate tab, the
``/evaluate`` job and the ``evaluate`` MCP tool run, and what a generation's sidecar records.

- ``fps``: :func:`~studio.evaluate.check_fps` with the tolerances given (the one harness with a
  pass/fail verdict of its own);
- ``quality``: :func:`~studio.evaluate.score_quality` with its per-pair curves;
- ``prompt``: :func:`~studio.evaluate.prompt_adherence` of the prompt given (grounded: the
  studio's own detector, tracker and pose actions);
- ``fps-robustness``: :func:`~studio.evaluate.fps_robustness` (the clip at other rates,
  analysed alike; slow: every copy is analysed).

The result's ``verdict`` is ``fail`` when a harness with a verdict failed, ``pass`` when one
passed and none failed, and ``scored`` when only scores were asked for; each harness's seconds
are recorded. :func:`evaluation_plots` draws its pictures and :func:`evaluation_html` the page.
"""

from __future__ import annotations

import html
import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from studio.core import Cancelled, InputError, JsonResult, Progress, error_line
from studio.evaluate.fps_consistency import FpsReport, FpsTolerances, check_fps
from studio.evaluate.fps_html import interval_histogram_png
from studio.evaluate.grounded_adherence import ADHERENCE_FPS, AdherenceReport, prompt_adherence
from studio.evaluate.quality import QualityReport, score_quality
from studio.evaluate.quality_features import background_embedder, quality_embedder
from studio.evaluate.rate_robustness import DEFAULT_RATES, MAX_RATE, FpsRobustnessReport, fps_robustness
from studio.evaluate.report_plots import bars_png, curves_png, embedded_png, html_page

if TYPE_CHECKING:
    from studio.registry import ModelCache

__all__ = [
    "DEFAULT_HARNESSES",
    "HARNESSES",
    "EvaluateOptions",
    "VideoEvaluation",
    "evaluate_video",
    "evaluation_html",
    "evaluation_plots",
    "evaluation_scores",
]

HARNESSES = ("fps", "quality", "prompt", "fps-robustness")
DEFAULT_HARNESSES = ("fps", "quality")  # and prompt when a prompt is given
# what `eval video`'s robustness harness analyses (`eval fps-robustness` runs every task): the tracks
VIDEO_ROBUSTNESS_TASKS = ("detect", "track")
_WEIGHT = {"fps": 1.0, "quality": 3.0, "prompt": 3.0, "fps-robustness": 12.0}  # rough shares of the time
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvaluateOptions:
    """Which harnesses, and what each needs: the prompt for ``prompt``, the FPS tolerances, the
    embedder for subject consistency (``None``: DINO ViT-B/16 when installed, else
    EfficientNet-Lite0; ``"none"``: skip it), the one for background consistency (``None``: CLIP
    ViT-B/32 when installed), the prompt's text-image and text-video models (``None``: CLIP and
    X-CLIP when installed) and the rates the robustness harness rewrites the clip at."""

    harnesses: tuple[str, ...] | None = None  # None: DEFAULT_HARNESSES, and prompt when a prompt is given
    prompt: str = ""
    tolerances: FpsTolerances = field(default_factory=FpsTolerances)
    features: str | None = None
    background_features: str | None = None
    alignment: str | None = None  # the text-image model for the prompt's CLIPScore; None: CLIP when installed
    video_alignment: str | None = None  # the prompt's text-video model; None: X-CLIP when installed
    rates: tuple[str, ...] = ()  # empty: the robustness harness's own, 12, 24, 30 and 60
    adherence_fps: float = ADHERENCE_FPS

    def __post_init__(self) -> None:
        from studio import media

        if self.harnesses is None:
            chosen = (*DEFAULT_HARNESSES, *(("prompt",) if self.prompt.strip() else ()))
            object.__setattr__(self, "harnesses", chosen)
        assert self.harnesses is not None
        unknown = [name for name in self.harnesses if name not in HARNESSES]
        if unknown:
            raise InputError(f"unknown harness {unknown[0]!r}; expected some of {', '.join(HARNESSES)}")
        if not self.harnesses:
            raise InputError(f"pick at least one harness: {', '.join(HARNESSES)}")
        if "prompt" in self.harnesses and not self.prompt.strip():
            raise InputError("prompt adherence needs the prompt: the text the video should show")
        for rate in self.rates:  # refused now, not after the harnesses before robustness ran
            if media.as_fps(rate) > MAX_RATE:
                raise InputError(f"FPS robustness rewrites a clip at up to {MAX_RATE} fps, not {rate}")
        if not self.adherence_fps > 0:
            raise InputError(f"expected an analysis rate above 0 for prompt adherence, got {self.adherence_fps}")


@dataclass(frozen=True)
class VideoEvaluation(JsonResult):
    path: str
    harnesses: list[str]
    verdict: str  # pass | fail | scored
    failures: list[str]  # each failed check, with its harness
    seconds: dict[str, float]  # harness -> seconds it took
    fps: FpsReport | None = None
    quality: QualityReport | None = None
    prompt: AdherenceReport | None = None
    fps_robustness: FpsRobustnessReport | None = None

    def named(self, name: str) -> VideoEvaluation:
        """The result with every report's ``path`` as ``name``: the file as the user knows it,
        not where a server keeps its copy."""
        parts = {"fps": self.fps, "quality": self.quality, "prompt": self.prompt, "fps_robustness": self.fps_robustness}
        renamed = {key: None if part is None else replace(part, path=name) for key, part in parts.items()}
        return replace(self, path=name, **renamed)  # type: ignore[arg-type]


def evaluate_video(path: str | os.PathLike[str], options: EvaluateOptions | None = None,
                   cache: ModelCache | None = None, progress: Progress | None = None,
                   cancel: threading.Event | None = None,
                   skipped: dict[str, str] | None = None) -> VideoEvaluation:  # fmt: skip
    """Run ``options.harnesses`` on the video at ``path`` in turn (the cancel flag is read
    between harnesses and inside each one). With a ``skipped`` dict, a harness that fails goes
    there with its one-line reason (the video by its file name) and the others still run; the
    result lists the harnesses that ran. Without one, the first failure is raised."""
    from studio.registry import default_cache

    chosen = options or EvaluateOptions()
    picked = chosen.harnesses or DEFAULT_HARNESSES
    models = cache or default_cache()
    report = progress or (lambda fraction, stage: None)
    total = sum(_WEIGHT[name] for name in picked)
    done = 0.0
    seconds: dict[str, float] = {}
    fps: FpsReport | None = None
    quality: QualityReport | None = None
    adherence: AdherenceReport | None = None
    robustness: FpsRobustnessReport | None = None
    for name in HARNESSES:
        if name not in picked:
            continue
        if cancel is not None and cancel.is_set():
            raise Cancelled(f"evaluation cancelled before {name}")
        started = time.perf_counter()
        share = _WEIGHT[name] / total
        report(done, name)
        try:
            if name == "fps":
                fps = check_fps(path, chosen.tolerances)
            elif name == "quality":
                embedder, features = quality_embedder(models, chosen.features)
                background, scene = background_embedder(models, chosen.background_features)
                quality = score_quality(path, embedder, features, curves=True, cancel=cancel,
                                        background=background, background_features=scene)  # fmt: skip
            elif name == "prompt":
                adherence = prompt_adherence(path, chosen.prompt, fps=chosen.adherence_fps, cache=models,
                                             cancel=cancel, alignment=chosen.alignment,
                                             video_alignment=chosen.video_alignment)  # fmt: skip
            else:
                base = done

                def step(fraction: float, stage: str, base: float = base, share: float = share) -> None:
                    if cancel is not None and cancel.is_set():
                        raise Cancelled("evaluation cancelled during FPS robustness")
                    report(base + fraction * share, f"fps-robustness: {stage}")

                robustness = fps_robustness(path, rates=chosen.rates or DEFAULT_RATES, methods=("drop",),
                                            tasks=VIDEO_ROBUSTNESS_TASKS, cache=models, progress=step,
                                            cancel=cancel)  # fmt: skip
        except Exception as exc:
            if skipped is None or isinstance(exc, Cancelled):
                raise
            log.warning("harness %s on %s failed", name, path, exc_info=True)
            skipped[name] = error_line(exc).replace(os.fsdecode(path), os.path.basename(path))
        else:
            seconds[name] = round(time.perf_counter() - started, 3)
        done += share
    report(1.0, "done")
    failures = [f"fps: {failure}" for failure in fps.failures] if fps is not None else []
    verdict = "scored" if fps is None else ("fail" if failures else "pass")
    return VideoEvaluation(
        path=os.fsdecode(path), harnesses=[name for name in HARNESSES if name in seconds], verdict=verdict,
        failures=failures, seconds=seconds, fps=fps, quality=quality, prompt=adherence, fps_robustness=robustness,
    )  # fmt: skip


def evaluation_scores(result: VideoEvaluation) -> dict[str, float | int | str | None]:
    """The headline numbers, flat: what a job's summary and a sidecar keep."""
    scores: dict[str, float | int | str | None] = {"verdict": result.verdict}
    if result.fps is not None:
        f = result.fps
        drift = None if f.audio_drift_s is None else round(f.audio_drift_s, 4)
        scores.update({"fps.verdict": f.verdict, "fps.measured_fps": round(f.measured_fps, 3),
                       "fps.vfr_share": round(f.vfr_share, 4), "fps.dropped_frames": f.dropped_frames,
                       "fps.duplicated_frames": f.duplicated_frames, "fps.audio_drift_s": drift})  # fmt: skip
    if result.quality is not None:
        q = result.quality
        for name in ("temporal_flickering", "motion_smoothness", "subject_consistency", "background_consistency",
                     "motion_px"):  # fmt: skip
            scores[f"quality.{name}"] = getattr(q, name)
    if result.prompt is not None:
        scores["prompt.adherence"] = result.prompt.adherence
        scores["prompt.found"] = f"{result.prompt.found} of {result.prompt.checked}"
        if result.prompt.text_alignment is not None:
            scores["prompt.clip_score"] = result.prompt.text_alignment.clip_score
        if result.prompt.video_alignment is not None:
            scores["prompt.video_score"] = result.prompt.video_alignment.score
    if result.fps_robustness is not None:
        motas = [r.agreement.mota for r in result.fps_robustness.results if r.agreement.mota is not None]
        scores["fps_robustness.min_mota"] = min(motas) if motas else None
        switches = sum(r.agreement.id_switches or 0 for r in result.fps_robustness.results)
        scores["fps_robustness.id_switches"] = switches
    return scores


def evaluation_plots(result: VideoEvaluation) -> dict[str, bytes]:
    """Each picture the result has, as PNG bytes by file name (``frame-intervals.png``, …)."""
    plots: dict[str, bytes] = {}
    if result.fps is not None and result.fps.interval_histogram:
        plots["frame-intervals.png"] = interval_histogram_png(result.fps)
    quality = result.quality
    if quality is not None and quality.flicker_curve:
        plots["flicker.png"] = curves_png({"1 - |difference| / 255": quality.flicker_curve}, "frame pair",
                                          "flicker score")  # fmt: skip
    if quality is not None and quality.motion_curve:
        plots["motion.png"] = curves_png({"top-5% flow": quality.motion_curve}, "frame pair", "px per frame at 256 px")
    if result.prompt is not None and result.prompt.mentions:
        shares = {f"{m.words} ({m.kind})": m.seen_share for m in result.prompt.mentions if m.found is not None}
        if shares:
            plots["prompt.png"] = bars_png(shares, "share of frames seen in", 0, 1.05)
    if result.fps_robustness is not None and result.fps_robustness.results:
        plots["fps-robustness.png"] = bars_png(
            {f"{r.rate} fps": r.agreement.mota or 0.0 for r in result.fps_robustness.results},
            "MOTA vs the source",
            0,
            1.05,
        )
    return plots


_TITLES = {"frame-intervals.png": "Frame intervals", "flicker.png": "Flicker per frame pair",
           "motion.png": "Motion per frame pair", "prompt.png": "What the prompt names, and how often it is seen",
           "fps-robustness.png": "FPS robustness: MOTA of each copy against the source's analysis"}  # fmt: skip


def _rows(pairs: Sequence[tuple[str, str]]) -> str:
    e = html.escape
    return "<table>" + "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in pairs) + "</table>"


def _number(value: float | int | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def evaluation_html(result: VideoEvaluation, plots: dict[str, bytes] | None = None, name: str | None = None) -> str:
    """The page: the verdict, each harness's numbers with their definitions, and its pictures;
    ``name`` is the file's name as the user knows it (default: the path's)."""
    e = html.escape
    shown = name or os.path.basename(result.path)
    pictures = plots if plots is not None else evaluation_plots(result)
    colour = {"fail": "fail", "pass": "pass"}.get(result.verdict, "scored")  # scores alone: no colour
    parts = [f"<h2>{e(shown)}: <span class='{colour}'>{e(result.verdict)}</span></h2>"]
    if result.failures:
        parts.append("<ul>" + "".join(f"<li>{e(f)}</li>" for f in result.failures) + "</ul>")
    if result.fps is not None:
        f = result.fps
        parts.append("<h2>FPS consistency</h2>" + _rows([
            ("declared", f"r_frame_rate {f.r_frame_rate}, avg_frame_rate {f.avg_frame_rate}"),
            ("measured", f"{f.measured_fps:.3f} fps; variable-rate share {f.vfr_share:.2%}"),
            ("frames", f"{f.frames} ({f.expected_frames:.1f} expected)"),
            ("dropped / duplicated", f"{_number(f.dropped_frames)} / {_number(f.duplicated_frames)}"
             + (f"; {f.duplicate_cadence}" if f.duplicate_cadence else "")),
            ("pulldown", f.pulldown or "none found"),
            ("audio", "none" if f.audio_offset_s is None else
             f"starts {f.audio_offset_s * 1000:+.0f} ms, ends {f.audio_drift_s or 0.0:+.3f} s from the video"),
            ("tolerances", ", ".join(f"{k} {v}" for k, v in f.tolerances.to_dict().items())),
        ]))  # fmt: skip
    if result.quality is not None:
        q = result.quality
        names = (
            "temporal_flickering",
            "motion_smoothness",
            "subject_consistency",
            "background_consistency",
            "motion_px",
            "sharpness",
            "noise_sigma",
        )
        parts.append(f"<h2>Quality ({q.frames} frames, {q.width}x{q.height})</h2>"
                     + _rows([(n, f"{_number(getattr(q, n))} — {q.definitions[n]}") for n in names]))  # fmt: skip
    if result.prompt is not None:
        p = result.prompt
        rows = [("adherence", f"{_number(p.adherence)} ({p.found} of {p.checked} found) — {p.prompt}")]
        for m in p.mentions:
            said = "unchecked" if m.found is None else "found" if m.found else "not found"
            rows.append((f"{m.kind} {m.words}", f"{said}; seen in {m.seen_share:.0%} of frames"))
        if (t := p.text_alignment) is not None:
            rows.append(("CLIPScore", f"{_number(t.clip_score)} ({t.model}, {t.frames} frames) — {t.definition}"))
        if (v := p.video_alignment) is not None:
            rows.append(("video score", f"{_number(v.score)} ({v.model}, {v.frames} frames) — {v.definition}"))
        parts.append("<h2>Prompt adherence (grounded)</h2>" + _rows(rows))
    if result.fps_robustness is not None:
        r = result.fps_robustness
        rows = [(f"{x.rate} fps ({x.method})", f"MOTA {_number(x.agreement.mota, 3)}, ID switches "
                 f"{_number(x.agreement.id_switches)}, tracks {sum(x.agreement.tracks.values())} of "
                 f"{sum(x.agreement.tracks_reference.values())}") for x in r.results]  # fmt: skip
        parts.append("<h2>FPS robustness</h2>" + _rows([*rows, ("definition", r.definition)]))
    parts.append("<h2>Time</h2>" + _rows([(k, f"{v:.1f} s") for k, v in result.seconds.items()]))
    parts.extend(
        f"<h2>{e(_TITLES.get(k, k))}</h2>{embedded_png(png, _TITLES.get(k, k))}" for k, png in pictures.items()
    )
    return html_page(f"Evaluation of {shown}", "".join(parts))
