"""The Train tab: a folder of labelled clips on the server in, a training job, its cross-validated
accuracy, confusion matrix and the new model's name out (``/train`` for programs)."""

from __future__ import annotations

import html
from typing import Any

import gradio as gr

from ui.polling import submit_and_follow
from ui.service import StudioService, readable_errors
from ui.views import status_html

__all__ = ["FEATURE_CHOICES", "TASK_CHOICES", "train_summary", "train_tab"]

FEATURE_CHOICES = ["frames", "pose", "frames+pose"]  # studio.vision.training.FEATURE_KINDS (tested)
TASK_CHOICES = ["action", "scene"]  # studio.vision.training.TRAINING_TASKS (tested)


def train_summary(summary: dict[str, Any]) -> str:
    """A finished training as Markdown: accuracy, the confusion table, the rates found, how to use it."""
    labels = summary.get("labels") or []
    if not labels:
        return ""
    precision, recall = summary.get("precision", {}), summary.get("recall", {})
    names = " | ".join(html.escape(str(label)) for label in labels)
    header = f"| true \\ predicted | {names} | precision | recall |"
    rule = "|---" * (len(labels) + 3) + "|"
    rows = [f"| {html.escape(str(label))} | " + " | ".join(str(n) for n in counts)
            + f" | {precision.get(label, 0):.2f} | {recall.get(label, 0):.2f} |"
            for label, counts in zip(labels, summary.get("confusion", []), strict=False)]  # fmt: skip
    use = "--actions" if summary.get("task") == "action" else "--scenes"
    lines = [
        f"**{html.escape(str(summary.get('name')))}**: {summary.get('accuracy', 0):.0%} cross-validated accuracy "
        f"({summary.get('folds')} folds); features {summary.get('feature_s', 0):.1f} s, "
        f"fitting {summary.get('training_s', 0):.1f} s.",
        "",
        header,
        rule,
        *rows,
        "",
        f"Frame rates found: {', '.join(summary.get('frame_rates', []))}. "
        f"Use it: `studio analyze VIDEO {use} {summary.get('name')}`.",
        *[f"\n*{html.escape(str(warning))}*" for warning in summary.get("warnings", [])],
    ]
    return "\n".join(lines)


def train_tab(service: StudioService) -> None:
    gr.Markdown(
        f"Trains your own clip classifier from a folder in this server's datasets folder "
        f"(`{html.escape(str(service.settings.datasets))}`) with one sub-folder per label "
        "(`clips/walking/*.mp4`, `clips/running/*.mp4`: give `clips`), offline, in seconds on a CPU: frame embeddings "
        "(EfficientNet-Lite0) or a person's pose. It reports cross-validated accuracy and saves the model "
        "in the models folder, where every analysis can use it.",
        elem_classes="studio-intro",
    )
    with gr.Row():
        with gr.Column(scale=1):
            folder = gr.Textbox(label="Folder of labelled clips", placeholder="clips", elem_id="train-folder")
            name = gr.Textbox(label="Model name", placeholder="my-actions", elem_id="train-name")
            features = gr.Radio(FEATURE_CHOICES, value="frames", label="Features")
            task = gr.Radio(TASK_CHOICES, value="action", label="Task (actions or scenes)")
            embedders = [spec.name for spec in service.cache.registry.specs("classify") if spec.can("embed")]
            embedder = gr.Dropdown(["auto", *embedders], value="auto", label="Embedder (frames features)",
                                   allow_custom_value=True)  # fmt: skip
            max_frames = gr.Number(0, precision=0, label="Frames a clip at most (0: the features' default)")
            force = gr.Checkbox(False, label="Replace a model of the same name")
            run = gr.Button("Train", variant="primary", elem_id="train-run")
        with gr.Column(scale=2):
            status = gr.HTML(status_html(None), elem_id="train-status", elem_classes="studio-status-box")
            job = gr.JSON(label="Job", visible=False)
            summary = gr.Markdown("", elem_id="train-summary")
            picture = gr.Image(label="Confusion matrix", type="filepath", interactive=False)
            files = gr.File(label="Downloads (result JSON, confusion PNG)", file_count="multiple")

    @readable_errors
    def train(
        folder: str, name: str, features: str, task: str, embedder: str, max_frames: float | None, force: bool
    ) -> dict[str, Any]:
        """Queue training of a clip classifier on a server folder (one sub-folder per label); returns the job."""
        settings = {"folder": folder, "name": name, "features": features, "task": task, "max_frames": max_frames,
                    "force": force, "embedder": None if embedder in (None, "", "auto") else embedder}  # fmt: skip
        return service.submit("train", settings, {})

    def render(job: Any) -> tuple[Any, ...]:
        paths = job.output_paths()
        confusion = paths.get("confusion")
        return train_summary(job.summary), str(confusion) if confusion else None, [str(p) for p in paths.values()]

    def restore(job: Any) -> tuple[Any, ...]:
        given = job.settings
        return (given.get("folder", ""), given.get("name", ""), given.get("features") or "frames",
                given.get("task") or "action", given.get("embedder") or "auto", given.get("max_frames") or 0,
                bool(given.get("force")))  # fmt: skip

    inputs = [folder, name, features, task, embedder, max_frames, force]
    submit_and_follow(service, "train", run, train, inputs, job, [status, summary, picture, files], render, restore)
