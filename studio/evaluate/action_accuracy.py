"""Action accuracy on labelled clips: a folder with one sub-folder per label (the layout
``studio train`` reads), each clip analysed by the studio's own action recognition with the model
named, and the label it gives the clip compared with the clip's folder.

A clip's label is the action the analysis finds for the most seconds of it (a clip model's
windows, or a pose model's per-person segments, summed by label); a clip with no action found is
``"(none)"``. Accuracy is the share of clips labelled right; per-label precision and recall and the
confusion matrix come from scikit-learn (rows: the folder's label, columns: the label given, the
labels the model gave that no folder has added at the end). A zero-shot model (X-CLIP) is given
the folders' names as its labels.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.core import InputError, JsonResult, Progress

if TYPE_CHECKING:
    from studio.registry import ModelCache

__all__ = ["NO_ACTION", "ActionAccuracy", "ClipVerdict", "actions_html", "confusion_png", "evaluate_actions"]

NO_ACTION = "(none)"
ACTION_FPS = 5  # the analysis rate for pose models (clip models sample their own rate)


@dataclass(frozen=True)
class ClipVerdict(JsonResult):
    clip: str  # relative to the folder
    truth: str
    predicted: str
    seconds: dict[str, float]  # label -> seconds the analysis gave it


@dataclass(frozen=True)
class ActionAccuracy(JsonResult):
    folder: str
    model: str
    labels: list[str]  # the confusion matrix's rows and columns
    clips: int
    accuracy: float
    precision: dict[str, float]
    recall: dict[str, float]
    confusion: list[list[int]]
    items: list[ClipVerdict]
    seconds: float
    definition: str = ("share of clips whose longest-found action is their folder's label; precision and "
                       "recall per label (scikit-learn); confusion rows: the folder's label, columns: "
                       "the label given")  # fmt: skip


def _clip_label(seconds: dict[str, float]) -> str:
    if not seconds:
        return NO_ACTION
    return max(sorted(seconds), key=lambda label: seconds[label])


def evaluate_actions(folder: str | os.PathLike[str], model: str, cache: ModelCache | None = None,
                     progress: Progress | None = None) -> ActionAccuracy:  # fmt: skip
    """Label every clip under ``folder`` with the action model ``model`` and score it."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    from studio import vision
    from studio.registry import default_cache

    models = cache or default_cache()
    spec = models.registry.get(model)
    if spec.task != "action":
        raise InputError(f"model {spec.name!r} is a {spec.task} model; name an action model (studio models list)")
    dataset = vision.scan_dataset(folder, min_clips=1, purpose="evaluate")
    pose = spec.can("pose")
    tasks = ("detect", "track", "pose", "actions") if pose else ("actions",)
    labels = dataset.labels if spec.can("zero-shot") else ()
    options = vision.AnalyzeOptions(fps=ACTION_FPS, tasks=tasks, action_models=(spec.name,), action_labels=labels)
    vision.plan_tasks(options, models)  # a missing model is refused before the first clip
    report = progress or (lambda fraction, stage: None)
    started = time.perf_counter()
    items: list[ClipVerdict] = []
    for number, clip in enumerate(dataset.clips):
        shown = os.fsdecode(clip.path.relative_to(dataset.folder))
        report(number / len(dataset.clips), shown)
        timeline = vision.analyze(clip.path, options, cache=models)
        seconds: dict[str, float] = {}
        for action in timeline.actions:
            seconds[action.label] = round(seconds.get(action.label, 0.0) + action.end_s - action.start_s, 3)
        items.append(ClipVerdict(shown, clip.label, _clip_label(seconds), seconds))
    report(1.0, "done")
    extra = sorted({item.predicted for item in items} - set(dataset.labels))
    names = [*dataset.labels, *extra]
    truth = [names.index(item.truth) for item in items]
    given = [names.index(item.predicted) for item in items]
    indices = list(range(len(names)))
    precision, recall, _, _ = precision_recall_fscore_support(truth, given, labels=indices, zero_division=0)
    matrix = confusion_matrix(truth, given, labels=indices)
    return ActionAccuracy(
        folder=os.fsdecode(folder), model=spec.name, labels=names, clips=len(items),
        accuracy=round(sum(t == g for t, g in zip(truth, given, strict=True)) / len(items), 4),
        precision={n: round(float(p), 4) for n, p in zip(names, precision, strict=True) if n in dataset.labels},
        recall={n: round(float(r), 4) for n, r in zip(names, recall, strict=True) if n in dataset.labels},
        confusion=[[int(n) for n in row] for row in matrix], items=items,
        seconds=round(time.perf_counter() - started, 3),
    )  # fmt: skip


def confusion_png(result: ActionAccuracy) -> bytes:
    """The confusion matrix as a PNG: counts written in each cell."""
    import numpy as np

    from studio.evaluate.report_plots import new_figure, png_bytes

    counts = np.asarray(result.confusion)
    side = 2.5 + 0.6 * len(result.labels)
    figure = new_figure(side + 1, side)
    axes = figure.add_subplot()
    axes.imshow(counts, cmap="Blues", vmin=0)
    axes.set_xticks(range(len(result.labels)), result.labels, rotation=45, ha="right")
    axes.set_yticks(range(len(result.labels)), result.labels)
    axes.set_xlabel("label given")
    axes.set_ylabel("folder's label")
    axes.set_title(f"{result.model}: accuracy {result.accuracy:.2f} over {result.clips} clips")
    for (row, column), count in np.ndenumerate(counts):
        axes.text(column, row, str(count), ha="center", va="center",
                  color="white" if count > counts.max() / 2 else "black")  # fmt: skip
    return png_bytes(figure)


def actions_html(result: ActionAccuracy) -> str:
    """The report as a page: accuracy, precision and recall per label, the confusion matrix and
    each clip's verdict."""
    import html

    from studio.evaluate.report_plots import embedded_png, html_page

    e = html.escape
    rows = "".join(f"<tr><td>{e(i.clip)}</td><td>{e(i.truth)}</td><td class="
                   f"'{'pass' if i.truth == i.predicted else 'fail'}'>{e(i.predicted)}</td></tr>"
                   for i in result.items)  # fmt: skip
    scores = "".join(f"<tr><td>{e(label)}</td><td>{result.precision[label]:.3f}</td><td>{result.recall[label]:.3f}"
                     f"</td></tr>" for label in result.precision)  # fmt: skip
    body = (f"<p>accuracy <b>{result.accuracy:.3f}</b> over {result.clips} clips; {e(result.definition)}</p>"
            f"<table><tr><th>label</th><th>precision</th><th>recall</th></tr>{scores}</table>"
            + embedded_png(confusion_png(result), "confusion matrix")
            + f"<table><tr><th>clip</th><th>folder</th><th>given</th></tr>{rows}</table>")  # fmt: skip
    return html_page(f"Action accuracy of {result.model}", body)
