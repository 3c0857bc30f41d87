"""The Analyze tab: a video in (an upload or the demo video), a job that detects, tracks and
measures it, and its annotated video, timeline picture, table and files out."""

from __future__ import annotations

from typing import Any

import gradio as gr

from studio.core import fraction_from_str
from studio.service import SPEECH
from studio.vision import ANALYSIS_TASKS
from ui.fields import ChoicesField, NumberField
from ui.polling import submit_and_follow
from ui.service import StudioService, readable_errors
from ui.views import TABLE_HEADERS, analysis_view, job_inputs, status_html

__all__ = ["analyze_tab", "demo_video_path"]


def demo_video_path(service: StudioService) -> str:
    from studio.demo import make_demo_media

    folder = service.settings.home / "demo"
    video = folder / "demo.mp4"
    if not video.is_file():
        make_demo_media(folder)
    return str(video)


def analyze_tab(service: StudioService) -> None:
    gr.Markdown(
        "Finds, tracks and measures what is in a video, sampled at the FPS you choose, on one timeline: "
        "shots, boxes with stable ids, poses, each person's actions, scene tags per shot, motion, zone and "
        "line events. No task ticked runs every installed one. Needs a detector and a pose model "
        "(*Install the offline defaults* on the Models tab); *speech* needs a Whisper model too.",
        elem_classes="studio-intro",
    )
    with gr.Row():
        with gr.Column(scale=1):
            video = gr.Video(label="Video", sources=["upload"], elem_id="analyze-video")
            use_demo = gr.Button("Use the demo video", size="sm")
            tasks = ChoicesField([*ANALYSIS_TASKS, SPEECH], value=[], label="Tasks",
                                 info="none ticked: every task whose model is installed")  # fmt: skip
            fps = NumberField(
                5,
                label="Analysis FPS (independent of the video's own rate)",
                minimum=0.1,
                maximum=240,
                elem_id="analyze-fps",
            )
            detector = gr.Dropdown(
                ["auto", *service.model_names("detect")], value="auto", label="Detector", allow_custom_value=True
            )
            labels = gr.Textbox(label="Labels to keep (comma separated; empty keeps all)")
            queries = gr.Textbox(label="Text queries (open-vocabulary detectors such as owlv2-base)")
            with gr.Accordion("Zones, lines, sampling", open=False):
                zones = gr.Textbox(lines=2, label="Zones, one per line: name:x1,y1,x2,y2,x3,y3,...")
                lines = gr.Textbox(lines=2, label="Lines, one per line: name:x1,y1,x2,y2")
                detect_every = NumberField(
                    1, precision=0, minimum=1, label="Detect on every N-th sample, track between"
                )
            run = gr.Button("Analyze", variant="primary", elem_id="analyze-run")
        with gr.Column(scale=2):
            status = gr.HTML(status_html(None), elem_id="analyze-status", elem_classes="studio-status-box")
            job = gr.JSON(label="Job", visible=False)
            annotated = gr.Video(label="Annotated video", interactive=False, elem_id="analyze-annotated")
            poster = gr.HTML("", elem_id="analyze-poster", padding=False)
            picture = gr.Image(label="Timeline", type="filepath", interactive=False, elem_id="analyze-timeline",
                               elem_classes="studio-wide-picture", buttons=["download", "fullscreen"])  # fmt: skip
            table = gr.Dataframe(
                headers=TABLE_HEADERS, label="Tracks and events", interactive=False, elem_id="analyze-table"
            )
            files = gr.File(label="Downloads (timeline JSON, annotated video)", file_count="multiple")

    @readable_errors
    def analyze(
        video: str | None,
        tasks: list[str],
        fps: float,
        detector: str,
        labels: str,
        queries: str,
        zones: str,
        lines: str,
        detect_every: float,
    ) -> dict[str, Any]:
        """Queue an analysis of a video; returns the job (its id, status and progress)."""
        settings = {
            "tasks": tasks,
            "fps": fps,
            "detector": None if detector in (None, "", "auto") else detector,
            "labels": labels,
            "queries": queries,
            "zones": zones,
            "lines": lines,
            "detect_every": detect_every,
        }
        return service.submit("analyze", settings, {"video": video})

    def restore(job: Any) -> tuple[Any, ...]:
        """The form as the job was submitted (after a reload while it runs)."""
        given = job.settings
        return (
            job_inputs(job).get("video"),
            list(given.get("tasks") or []),
            _rate(given.get("fps")),
            given.get("detector") or "auto",
            _joined(given.get("labels"), ", "),
            _joined(given.get("queries"), ", "),
            _joined(given.get("zones"), "\n"),
            _joined(given.get("lines"), "\n"),
            given.get("detect_every") or 1,
        )

    @readable_errors
    def demo_video() -> str:
        """The path of the demo video (built on first use)."""
        return demo_video_path(service)

    use_demo.click(demo_video, None, video, api_name="demo_video")
    inputs = [video, tasks, fps, detector, labels, queries, zones, lines, detect_every]
    outputs = [status, annotated, poster, picture, table, files]
    submit_and_follow(service, "analyze", run, analyze, inputs, job, outputs,
                      lambda job: analysis_view(job, "analyze-annotated"), restore)  # fmt: skip


def _rate(value: Any) -> float:
    """The analysis rate as the form's number: the job stores it exact (``"3/1"``)."""
    return 5.0 if value in (None, "") else float(fraction_from_str(str(value)))


def _joined(value: Any, separator: str) -> str:
    """A setting the form holds as text: lists (as a job stores them) joined, text as it was."""
    if value is None:
        return ""
    return value if isinstance(value, str) else separator.join(str(item) for item in value)
