"""What the Generate and Story tabs share: a results column for a job that makes a video (its
status, the video, its scores, its sidecar, the downloads) and the wiring that submits and follows it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from ui.polling import submit_and_follow
from ui.service import StudioService
from ui.views import status_html, video_with_sidecar

__all__ = ["VideoJobView", "video_job_view"]


@dataclass
class VideoJobView:
    name: str  # the endpoint: /<name>, and the element ids <name>-status, <name>-video
    status: Any
    job: Any
    video: Any
    scores: Any
    sidecar: Any
    files: Any

    def wire(self, service: StudioService, run: Any, submit: Callable[..., dict[str, Any]], inputs: list[Any],
             restore: Callable[[Any], Sequence[Any]] | None = None) -> None:  # fmt: skip
        """``run`` queues ``submit(*inputs)`` as ``/<name>``; the page keeps the job id in the
        browser and shows the job's video, sidecar and files when it ends; after a reload
        ``restore(job)`` refills the form."""
        outputs = [self.status, self.video, self.scores, self.sidecar, self.files]
        submit_and_follow(service, self.name, run, submit, inputs, self.job, outputs, video_with_sidecar, restore)


def video_job_view(name: str, video_label: str, sidecar_label: str, files_label: str) -> VideoJobView:
    """The results column's components, made where it is called (inside a ``gr.Column``)."""
    return VideoJobView(
        name=name,
        status=gr.HTML(status_html(None), elem_id=f"{name}-status", elem_classes="studio-status-box"),
        job=gr.JSON(label="Job", visible=False),
        video=gr.Video(label=video_label, interactive=False, elem_id=f"{name}-video"),
        scores=gr.HTML("", elem_id=f"{name}-scores"),
        sidecar=gr.JSON(label=sidecar_label),
        files=gr.File(label=files_label, file_count="multiple"),
    )
