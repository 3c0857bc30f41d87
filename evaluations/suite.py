"""``studio eval suite``: every harness on media made here, each score against a saved baseline.

The media are built locally, each with exact ground truth: the demo video (four shots, known
objects), a 24 fps counter clip repeated to 30 (a 3:2-style 1-in-5 cadence), an espeak-ng set
(three sentences, two voices, two speeds), 30 labelled still scenes (objects at known boxes), a
walking figure at 30 fps (one true track), a clip of dissolves, a fade and a cut, and folders of
labelled texture clips (a classifier trained on some, scored on others with two planted mislabels).

Each :class:`Metric` says which way is better and its tolerance; :func:`regressions` lists the
metrics that moved the wrong way past it (or vanished). The short form (``--short``, run by
``.ci/run``) computes the same metrics with the default models only, and the FPS robustness at
12 and 60 fps by dropping frames only; the full form adds every installed ASR model and the
interpolated copies.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from studio.core import JsonResult
from studio.evaluate import (
    Boundary,
    bars_png,
    check_fps,
    curves_png,
    embedded_png,
    evaluate_asr,
    fps_robustness,
    html_page,
    interval_histogram_png,
    prompt_adherence,
    quality_embedder,
    score_detections,
    score_mot,
    score_quality,
    score_shots,
    spoken_set,
    write_mot,
)

__all__ = ["Metric", "SuiteResult", "load_baseline", "regressions", "run_suite", "suite_html"]

BETTER = ("higher", "lower", "equal")
# no bicycle in the demo; the sign is its caption, read by OCR
ADHERENCE_PROMPT = 'An astronaut, a cup of coffee, a cat, a motorcycle, a bicycle and a sign reading "COFFEE BREAK"'


@dataclass(frozen=True)
class Metric(JsonResult):
    name: str
    value: float | None
    better: str  # higher, lower, or equal (a count that must not move)
    tolerance: float
    good: str  # what good looks like, in words
    definition: str


@dataclass(frozen=True)
class SuiteResult(JsonResult):
    short: bool
    metrics: list[Metric]
    seconds: dict[str, float]  # per harness
    skipped: dict[str, str] = field(default_factory=dict)  # harness -> why
    baseline: str | None = None
    regressions: list[str] = field(default_factory=list)


@dataclass
class _Run:
    folder: Path
    short: bool
    metrics: list[Metric] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    plots: dict[str, bytes] = field(default_factory=dict)

    def add(self, name: str, value: float | None, better: str, tolerance: float, good: str, definition: str) -> None:
        self.metrics.append(Metric(name, None if value is None else round(float(value), 6), better, tolerance,
                                   good, definition))  # fmt: skip


def _demo(run: _Run) -> Path:
    """The demo video, made once per run by whichever harness needs it first (so --only works)."""
    from studio.demo import make_demo_media

    video = run.folder / "demo" / "demo.mp4"
    return video if video.is_file() else make_demo_media(run.folder / "demo").video


def _fps(run: _Run) -> None:
    from evaluations.synthetic_media import counter_frame
    from studio import media

    report = check_fps(_demo(run))
    run.add("fps.demo.vfr_share", report.vfr_share, "lower", 0.0, "0", "share of frame intervals off the period")
    run.add("fps.demo.dropped_frames", report.dropped_frames, "equal", 0, "0", "whole-period gaps in the timestamps")
    run.add("fps.demo.duplicated_frames", report.duplicated_frames, "equal", 0,
            "9, as made: the fades hold a frame at each shot's ends",
            "frames whose 32x18 grey thumbnail repeats the previous one")  # fmt: skip
    run.add("fps.demo.audio_drift_s", abs(report.audio_drift_s or 0.0), "lower", 0.02, "0 (within 0.06 s passes)",
            "the audio's end against the last frame's end, seconds")  # fmt: skip
    pulled = run.folder / "pulldown.mp4"
    with media.VideoWriter(pulled, fps=30) as writer:  # 24 fps content at 30: every 4th frame shown twice
        for index in range(96):
            for _ in range(2 if index % 4 == 3 else 1):
                writer.write(counter_frame(index))
    cadence = check_fps(pulled)
    run.add("fps.pulldown.duplicated_share", (cadence.duplicated_frames or 0) / max(1, cadence.frames), "equal", 0.01,
            "0.2 (1 repeat in 5 frames)", "repeated pictures of 24 fps content written at 30 fps")  # fmt: skip
    run.plots["demo frame intervals"] = interval_histogram_png(report)


def _quality(run: _Run) -> None:
    from studio.registry import default_cache

    embedder, features = quality_embedder(default_cache())
    report = score_quality(_demo(run), embedder, features, curves=True)
    for name, good in (("temporal_flickering", "near 1 for a still camera"), ("motion_smoothness", "near 1"),
                       ("subject_consistency", "near 1 within a shot; cuts lower it")):  # fmt: skip
        run.add(f"quality.demo.{name}", getattr(report, name), "higher", 0.005, good, report.definitions[name])
    run.add("quality.demo.motion_px", report.motion_px, "equal", 0.2, "as the camera moves (pans and zooms here)",
            report.definitions["motion_px"])  # fmt: skip
    run.add("quality.demo.noise_sigma", report.noise_sigma, "equal", 0.2, "low: the demo is drawn, not filmed",
            report.definitions["noise_sigma"])  # fmt: skip
    if report.flicker_curve and report.motion_curve:
        run.plots["demo flicker per frame pair"] = curves_png({"1 - |difference| / 255": report.flicker_curve},
                                                              "frame pair", "flicker score")  # fmt: skip
        run.plots["demo motion per frame pair"] = curves_png({"top-5% flow": report.motion_curve}, "frame pair",
                                                             "px per frame at 256 px")  # fmt: skip


def _prompt(run: _Run) -> None:
    report = prompt_adherence(_demo(run), ADHERENCE_PROMPT)
    run.add("prompt.demo.adherence", report.adherence, "equal", 0.0, "0.8333: five of the six named things are there",
            report.definition)  # fmt: skip


def _asr(run: _Run) -> None:
    from studio.registry import default_cache

    cache = default_cache()
    folder = spoken_set(run.folder / "speech")
    models = [spec.name for spec in cache.registry.specs("asr") if spec.is_installed(cache.settings)]
    if run.short:
        models = [cache.registry.default_for("asr", cache.settings).name]
    for model in models:
        result = evaluate_asr(folder, model=model, language="en", cache=cache)
        run.add(f"asr.{model}.wer", result.wer, "lower", 0.02, "under 0.1 on clean synthetic speech", result.definition)
        run.add(f"asr.{model}.cer", result.cer, "lower", 0.02, "under 0.05", result.definition)
        per_file = {item.audio.removesuffix(".wav"): item.score.wer for item in result.items}
        run.plots[f"WER per file, {model}"] = bars_png(per_file, "WER", 0, 1)


OFFLINE_DETECTORS = ("nanodet-coco", "nanodet-coco-int8")


def _detection(run: _Run) -> None:
    from evaluations.synthetic_scenes import labelled_scenes
    from studio.registry import default_cache
    from studio.vision import Detections, DetectorModel

    cache = default_cache()
    default = cache.registry.default_for("detect", cache.settings).name
    # both NanoDet graphs by name, whichever is the default on this CPU (int8 needs VNNI), and the
    # default if it is another: the baseline's names do not depend on the machine
    names = sorted({default, *(n for n in OFFLINE_DETECTORS if cache.registry.get(n).is_installed(cache.settings))})
    scenes = labelled_scenes()
    truth = [Detections(np.array([t.xyxy for t in s.truth], np.float32), np.ones(len(s.truth), np.float32),
                        tuple(t.label for t in s.truth)) for s in scenes]  # fmt: skip
    for name in names:
        found = cache.get(name, kind=DetectorModel).detect([scene.image for scene in scenes], 0.05)
        result = score_detections(truth, found)
        run.add(f"detection.{name}.map50", result.map50, "higher", 0.02, "1.0", result.definition)
        run.add(f"detection.{name}.map50_95", result.map50_95, "higher", 0.02, "1.0", result.definition)


def _walk(run: _Run) -> Path:
    from evaluations.synthetic_scenes import moving_objects_video

    clip = run.folder / "walk.mp4"
    truth = moving_objects_video(clip, [("astronaut", 230, lambda t: (150 + 90 * t, 180))], seconds=3.0, fps=30)
    (run.folder / "walk-gt.txt").write_text("".join(
        f"{round(t * 30) + 1},1,{x0:.1f},{y0:.1f},{x1 - x0:.1f},{y1 - y0:.1f},1,1,1\n"
        for t, (x0, y0, x1, y1) in truth["astronaut"]))  # fmt: skip
    return clip


def _tracking(run: _Run) -> None:
    from studio import vision

    clip = _walk(run)
    timeline = vision.analyze(clip, vision.AnalyzeOptions(fps=30, tasks=("detect", "track")))
    ours = write_mot(timeline, run.folder / "walk-ours.txt", label="person")
    result = score_mot(run.folder / "walk-gt.txt", ours, frames={round(t * 30) + 1 for t in timeline.sample_times_s})
    for name in ("mota", "hota", "idf1"):
        run.add(f"tracking.walk.{name}", getattr(result, name), "higher", 0.02, "1.0", result.definition)
    run.add("tracking.walk.id_switches", result.id_switches, "equal", 0, "0", result.definition)


def _shots(run: _Run) -> None:
    from studio import vision
    from studio.demo import Join, make_transition_clip

    made = make_transition_clip(run.folder / "transitions.mp4", [Join("dissolve", 0.5), Join("fade", 0.6), Join("cut")])
    timeline = vision.analyze(made.video, vision.AnalyzeOptions(fps=30, tasks=("shots",)))
    truth = [Boundary(t["kind"], t["start_s"], t["end_s"]) for t in made.truth["transitions"]]
    found = [Boundary(s.transition, s.start_s if s.transition_start_s is None else s.transition_start_s, s.start_s)
             for s in timeline.shots[1:]]  # fmt: skip
    result = score_shots(truth, found, 30)
    model = str(timeline.metadata.get("shot_model", "shots"))
    run.add(f"shots.{model}.f1", result.f1, "higher", 0.0, "1.0", result.definition)
    run.add(f"shots.{model}.right_kind", result.right_kind / max(1, result.matched), "higher", 0.0, "1.0",
            "share of matched transitions of the right kind (cut, dissolve, fade)")  # fmt: skip


def _robustness(run: _Run) -> None:
    methods = ["drop"] if run.short else ["drop", "interpolate"]
    rates = ["12", "60"] if run.short else ["12", "24", "60"]
    clip = run.folder / "walk.mp4"  # the tracking harness's clip, made here when it did not run
    report = fps_robustness(
        clip if clip.exists() else _walk(run), rates=rates, methods=methods, tasks=("detect", "track")
    )
    drops = [r for r in report.results if r.method == "drop"]
    run.add("fps_robustness.walk.min_mota", min(r.agreement.mota or 0.0 for r in drops), "higher", 0.05, "near 1",
            report.definition)  # fmt: skip
    run.add("fps_robustness.walk.id_switches", sum(r.agreement.id_switches or 0 for r in drops), "equal", 0, "0",
            "ID switches against the source's tracks, over the dropped-frame copies")  # fmt: skip
    run.plots["FPS robustness: MOTA against the source's analysis"] = bars_png(
        {f"{r.rate} {r.method}": r.agreement.mota or 0.0 for r in report.results}, "MOTA", 0, 1.05
    )


def _actions(run: _Run) -> None:
    """A texture classifier trained in a scratch home (the documented orientation embedder, so
    it takes seconds), scored by the analysis on unseen clips, two of them filed in the wrong folder."""
    import shutil

    from studio.core import Settings
    from studio.evaluate import confusion_png, evaluate_actions
    from studio.registry import LoadOptions, ModelCache, ModelSpec, Registry, load_model
    from studio.vision import OrientationEmbedder, TrainOptions, make_training_folder, train_classifier, trained_specs

    embedder = ModelSpec(name="orientation", task="classify", source="path:/", license="MIT", extra="understand",
                         adapter="studio.vision.training.synthetic:OrientationEmbedder", memory_mb=1, offline=True,
                         capabilities=("embed",))  # fmt: skip
    home = run.folder / "actions-home"
    settings = Settings(home=home, models_dir=home / "models", outputs_dir=home / "outputs", device="cpu")

    def cache() -> ModelCache:
        def loader(spec: ModelSpec, device: str, settings: Settings, options: LoadOptions) -> Any:
            return OrientationEmbedder() if spec.name == embedder.name else load_model(spec, device, settings, options)

        return ModelCache(Registry([embedder, *trained_specs(settings)]), settings, loader=loader)

    labels = ("stripes", "rings")
    make_training_folder(run.folder / "textures", labels=labels, clips=5, seed=3)
    train_classifier(run.folder / "textures", "textures", TrainOptions(embedder=embedder.name, max_frames=4),
                     cache=cache())  # fmt: skip
    held = run.folder / "textures-held-out"
    made = make_training_folder(held, labels=labels, clips=4, seed=41)
    for clip in [clip for clip in made if clip.label == "rings"][:2]:
        shutil.move(clip.path, held / "stripes" / clip.path.name)
    result = evaluate_actions(held, "textures", cache=cache())
    truth = {clip.path.name: clip.label for clip in made}
    right = sum(item.predicted == truth[Path(item.clip).name] for item in result.items)
    run.add("actions.textures.accuracy", result.accuracy, "equal", 0.0, "0.75 (6 right, 2 planted in the wrong folder)",
            result.definition)  # fmt: skip
    run.add("actions.textures.drawn_accuracy", right / len(result.items), "higher", 0.0, "1.0",
            "share of clips labelled as the pattern they show (the planted ones too)")  # fmt: skip
    run.plots["Action accuracy: confusion matrix (two rings clips filed as stripes)"] = confusion_png(result)


HARNESSES: dict[str, Callable[[_Run], None]] = {
    "fps": _fps, "quality": _quality, "prompt": _prompt, "asr": _asr, "detection": _detection,
    "tracking": _tracking, "shots": _shots, "fps_robustness": _robustness, "actions": _actions,
}  # fmt: skip


def run_suite(folder: Path, short: bool = False, progress: Callable[[str], None] | None = None,
              only: tuple[str, ...] = ()) -> tuple[SuiteResult, dict[str, bytes]]:  # fmt: skip
    """Every harness in turn (or those named in ``only``) on media made in ``folder``; the result
    and its plots (PNG bytes)."""
    from studio.core import InputError, ModelUnavailable

    unknown = [name for name in only if name not in HARNESSES]
    if unknown:
        raise InputError(f"unknown harness {', '.join(unknown)}: the suite has {', '.join(HARNESSES)}")
    run = _Run(folder, short)
    for name, harness in HARNESSES.items():
        if only and name not in only:
            continue
        if progress is not None:
            progress(name)
        started = time.perf_counter()
        try:
            harness(run)
        except ModelUnavailable as exc:  # said, never silently passed: its metrics go missing from the baseline
            run.skipped[name] = str(exc)
        run.seconds[name] = round(time.perf_counter() - started, 2)
    return SuiteResult(short, run.metrics, run.seconds, run.skipped), run.plots


def load_baseline(path: Path) -> dict[str, float | None]:
    """A saved suite report's metrics, name to value; an InputError naming the file otherwise."""
    from studio.core import InputError

    try:
        data = json.loads(path.read_bytes())
        values = {str(m["name"]): m["value"] for m in data["metrics"]}
    except FileNotFoundError:
        raise InputError(f"{path}: no such baseline file") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a suite report saved by --save-baseline ({type(exc).__name__})") from None
    if not all(value is None or isinstance(value, int | float) for value in values.values()):
        raise InputError(f"{path}: not a suite report saved by --save-baseline (a value is not a number)")
    return values


def regressions(metrics: list[Metric], baseline: dict[str, float | None], only: tuple[str, ...] = ()) -> list[str]:
    """Each metric past its tolerance the wrong way from the baseline, or missing, in words;
    with ``only``, the baseline's metrics of those harnesses alone."""
    found = {m.name: m for m in metrics}
    said = []
    for name, before in baseline.items():
        if only and name.split(".")[0] not in only:
            continue
        metric = found.get(name)
        if metric is None or metric.value is None:
            said.append(f"{name}: missing (baseline {before})")
            continue
        if before is None:
            continue
        now, slack = metric.value, metric.tolerance + 1e-9
        worse = {"higher": now < before - slack, "lower": now > before + slack, "equal": abs(now - before) > slack}
        if worse[metric.better]:
            said.append(
                f"{name}: {now:g}, baseline {before:g} ({metric.better} is better, tolerance {metric.tolerance:g})"
            )
    return said


def suite_html(result: SuiteResult, plots: dict[str, bytes], baseline: dict[str, float | None]) -> str:
    import html

    e = html.escape
    failing = {line.split(":")[0] for line in result.regressions}
    rows = "".join(
        f"<tr><td>{e(m.name)}</td><td>{'n/a' if m.value is None else f'{m.value:g}'}</td>"
        f"<td>{e(str(baseline.get(m.name, '')))}</td><td>{m.better}, ± {m.tolerance:g}</td>"
        f"<td class='{'fail' if m.name in failing else 'pass'}'>{'regressed' if m.name in failing else 'ok'}</td>"
        f"<td>{e(m.good)}</td><td>{e(m.definition)}</td></tr>"
        for m in result.metrics
    )
    table = ("<table><tr><th>metric</th><th>value</th><th>baseline</th><th>better</th><th>status</th>"
             f"<th>good</th><th>definition</th></tr>{rows}</table>")  # fmt: skip
    skipped = "".join(f"<li>{e(k)}: {e(v)}</li>" for k, v in result.skipped.items())
    pictures = "".join(f"<h2>{e(title)}</h2>{embedded_png(png, title)}" for title, png in plots.items())
    body = table + (f"<h2>Skipped</h2><ul>{skipped}</ul>" if skipped else "") + pictures
    return html_page("Media Studio evaluation suite" + (" (short)" if result.short else ""), body)


def main_suite(args: Any) -> int:
    """The command: run, compare, write; 1 when a metric regressed."""
    import sys
    import tempfile
    from dataclasses import replace

    from studio.core import json_bytes, write_bytes, write_text

    baseline = load_baseline(Path(args.baseline)) if args.baseline else {}
    only = tuple(name.strip().replace("-", "_") for name in (args.only or "").split(",") if name.strip())
    with tempfile.TemporaryDirectory(prefix="studio-suite-") as scratch:
        result, plots = run_suite(Path(scratch), short=args.short, only=only,
                                  progress=lambda name: print(f"[suite] {name}", file=sys.stderr))  # fmt: skip
    said = regressions(result.metrics, baseline, only) if baseline else []
    result = replace(result, baseline=args.baseline, regressions=said)
    for metric in result.metrics:
        print(f"{metric.name}: {metric.value}", file=sys.stderr)
    for line in said:
        print(f"regressed: {line}", file=sys.stderr)
    for name, why in result.skipped.items():
        print(f"skipped {name}: {why}", file=sys.stderr)
    data = json_bytes(result.to_dict())
    if args.save_baseline:
        write_bytes(args.save_baseline, data)
    if args.output:
        write_bytes(args.output, data)
    if args.html:
        write_text(args.html, suite_html(result, plots, baseline))
    print(f"[suite] {len(result.metrics)} metrics in {sum(result.seconds.values()):.0f} s; "
          f"{len(said)} regressed", file=sys.stderr)  # fmt: skip
    return 1 if said else 0
