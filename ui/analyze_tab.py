"""The Analyze tab: a video in (an upload or the demo video), a job that detects, tracks and
measures it, and its annotated video, timeline picture, table and files out."""

from __future__ import annotations

from typing import Any

import gradio as gr

from studio.service import SPEECH
from studio.vision import ANALYSIS_TASKS
from ui.polling import submit_and_follow
from ui.service import StudioService, readable_errors
from ui.views import TABLE_HEADERS, analysis_rows, job_timeline, status_html, timeline_picture

__all__ = ["analyze_tab", "demo_video_path"]


def demo_video_path(service: StudioService) -> str:
    from studio.demo import make_demo_media

    folder = service.settings.home / "demo"
    video = folder / "demo.mp4"
    if not video.is_file():
        make_demo_media(folder)
    return str(video)


def analyze_tab(service: StudioService) -> None:
    with gr.Row():
        with gr.Column(scale=1):
            video = gr.Video(label="Video", sources=["upload"], elem_id="analyze-video")
            use_demo = gr.Button("Use the demo video", size="sm")
            tasks = gr.CheckboxGroup([*ANALYSIS_TASKS, SPEECH], value=list(ANALYSIS_TASKS), label="Tasks")
            fps = gr.Number(5, label="Analysis FPS (independent of the video's own rate)", minimum=0.1, maximum=240)
            detector = gr.Dropdown(
                ["auto", *service.model_names("detect")], value="auto", label="Detector", allow_custom_value=True
            )
            labels = gr.Textbox(label="Labels to keep (comma separated; empty keeps all)")
            queries = gr.Textbox(label="Text queries (open-vocabulary detectors such as owlv2-base)")
            with gr.Accordion("Zones, lines, sampling", open=False):
                zones = gr.Textbox(lines=2, label="Zones, one per line: name:x1,y1,x2,y2,x3,y3,...")
                lines = gr.Textbox(lines=2, label="Lines, one per line: name:x1,y1,x2,y2")
                detect_every = gr.Number(1, precision=0, minimum=1, label="Detect on every N-th sample, track between")
            run = gr.Button("Analyze", variant="primary", elem_id="analyze-run")
        with gr.Column(scale=2):
            status = gr.HTML(status_html(None), elem_id="analyze-status")
            job = gr.JSON(label="Job", visible=False)
            annotated = gr.Video(label="Annotated video", interactive=False, elem_id="analyze-annotated")
            picture = gr.Image(label="Timeline", type="filepath", interactive=False, elem_id="analyze-timeline")
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

    def render(job: Any) -> tuple[Any, ...]:
        paths, timeline = job.output_paths(), job_timeline(job)  # the timeline JSON read once
        return (
            str(paths["annotated"]) if "annotated" in paths else None,
            timeline_picture(job, timeline),
            analysis_rows(timeline),
            [str(p) for p in paths.values()],
        )

    @readable_errors
    def demo_video() -> str:
        """The path of the demo video (built on first use)."""
        return demo_video_path(service)

    use_demo.click(demo_video, None, video, api_name="demo_video")
    inputs = [video, tasks, fps, detector, labels, queries, zones, lines, detect_every]
    outputs = [status, annotated, picture, table, files]
    submit_and_follow(service, "analyze", run, analyze, inputs, job, outputs, render)
