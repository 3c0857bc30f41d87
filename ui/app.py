"""The studio's page and API: ``build_demo(settings) -> gr.Blocks``, importable without launching.

Tabs Analyze, Transcribe, Generate, Story, Train, Evaluate, Jobs and Models. Every run is a job in
the server's runner, so a closed tab does not stop it and the page shows it again after a reload (the job id is kept in
the browser; a timer polls its status). Every event has an ``api_name``; the typed endpoints
for programs are ``/analyze``, ``/transcribe``, ``/generate``, ``/story``, ``/train``, ``/evaluate``, ``/job_status``,
``/job_result``, ``/cancel`` and ``/models`` (see the README for a ``gradio_client`` example); the MCP tools are
:mod:`ui.agent_tools`.
"""

from __future__ import annotations

import gradio as gr

from studio.core import Settings
from ui.agent_tools import agent_tools
from ui.analyze_tab import analyze_tab
from ui.evaluate_tab import evaluate_tab
from ui.generate_tab import generate_tab
from ui.jobs_tab import jobs_tab
from ui.models_tab import models_tab
from ui.service import StudioService
from ui.story_tab import story_tab
from ui.train_tab import train_tab
from ui.transcribe_tab import transcribe_tab

__all__ = ["build_demo"]


def build_demo(settings: Settings | None = None, service: StudioService | None = None) -> gr.Blocks:
    """The Gradio app over ``service`` (one is created from ``settings`` if not given; the
    caller closes it with ``demo.studio.close()``)."""
    service = service or StudioService.create(settings)
    with gr.Blocks(title="Media Studio") as demo:
        gr.Markdown(
            "# Media Studio\nUnderstand, transcribe and measure video. "
            "Every run is a job: leave the page and come back to it."
        )
        with gr.Tabs():
            with gr.Tab("Analyze", id="analyze"):
                analyze_tab(service)
            with gr.Tab("Transcribe", id="transcribe"):
                transcribe_tab(service)
            with gr.Tab("Generate", id="generate"):
                generate_tab(service)
            with gr.Tab("Story", id="story"):
                story_tab(service)
            with gr.Tab("Train", id="train"):
                train_tab(service)
            with gr.Tab("Evaluate", id="evaluate"):
                evaluate_tab(service)
            with gr.Tab("Jobs", id="jobs"):
                jobs_tab(service)
            with gr.Tab("Models", id="models"):
                models_tab(service)
        agent_tools(service, demo)  # the MCP tools, also /mcp_<tool> in the API
    demo.studio = service  # for the launcher to close the runner
    return demo
