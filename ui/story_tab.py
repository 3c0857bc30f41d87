"""The Story tab: a script of shots in, one narrated, subtitled film out, as a job (``/story``).

Start images are uploaded beside the script and named in it by their file names; a script
never reads files of the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from studio.generation import SUBTITLE_MODES, TRANSITIONS
from studio.registry import DTYPES, OFFLOADS
from studio.service import GENERATE_TASK
from ui.fields import NumberField
from ui.generate_tab import missing_model_notice
from ui.polling import POLL_S, every
from ui.service import StudioService, readable_errors
from ui.video_job import video_job_view

__all__ = ["EXAMPLE_SCRIPT", "story_tab"]

EXAMPLE_SCRIPT = """\
title: A night drive
seed: 7
transition: crossfade
subtitles: track
shots:
  - prompt: a red car drives down a city street at night, neon lights
    narration: The city never sleeps.
  - prompt: the red car reaches a beach at dawn, waves rolling in
    narration: By morning, the road ends at the sea.
"""


def story_tab(service: StudioService) -> None:
    gr.Markdown(
        "Makes a narrated film from a script of shots: each shot generated, joined with cuts or "
        "crossfades, narrated by espeak-ng and subtitled. Needs a text-to-video model, like Generate.",
        elem_classes="studio-intro",
    )
    notice = gr.Markdown(missing_model_notice(service), elem_id="story-notice")
    with gr.Row():
        with gr.Column(scale=3):
            script = gr.Code(
                EXAMPLE_SCRIPT,
                language="yaml",
                label="Story script (YAML)",
                lines=14,
                wrap_lines=True,
                elem_id="story-script",
            )
            gr.Markdown(
                "Each shot: `prompt`, `duration` (seconds; default: its narration plus a pause), `narration` "
                "(spoken by espeak-ng, and the subtitles), `negative_prompt`, `seed`, and `image` (an uploaded "
                "start picture, by file name) or `continue: true` (from the previous shot's last frame; "
                "image-to-video models such as ltx-video). The story: `title`, `title_seconds`, `fps`, `seed`, "
                "`width`, `height`, `steps`, `guidance`, `negative_prompt`, `voice`, `words_per_minute`, "
                "`transition` (cut, crossfade), `crossfade_seconds`, `subtitles` (track, burn, both, none)."
            )
            images = gr.File(label="Start images named in the script", file_count="multiple", type="filepath",
                             elem_id="story-images",
                             file_types=["image"])  # fmt: skip
            model = gr.Dropdown(["auto", *service.model_names(GENERATE_TASK)], value="auto", label="Model",
                                allow_custom_value=True)  # fmt: skip
            with gr.Row():
                seed = NumberField(-1, precision=0, label="Seed (-1: the script's, or random)")
                subtitles = gr.Dropdown(["script", *SUBTITLE_MODES], value="script", label="Subtitles")
                transition = gr.Dropdown(["script", *TRANSITIONS], value="script", label="Transition")
            with gr.Accordion("GPU memory", open=False):
                dtype = gr.Dropdown(["auto", *DTYPES], value="auto", label="Weights dtype")
                offload = gr.Radio(list(OFFLOADS), value="none", label="CPU offload")
            score = gr.Checkbox(True, label="Score the film's timing and each shot (quality, prompt adherence)")
            run = gr.Button("Make the film", variant="primary", elem_id="story-run")
        with gr.Column(scale=4):
            view = video_job_view(
                "story",
                "Film",
                "Sidecar: every shot's settings, timings and narration times",
                "Downloads (MP4, SRT, thumbnail, sidecar JSON)",
            )

    @readable_errors
    def story(script: str, images: list[str] | None, model: str, seed: float | None, subtitles: str,
              transition: str, dtype: str, offload: str, score: bool = True) -> dict[str, Any]:  # fmt: skip
        """Queue a story: every shot generated, joined, narrated and subtitled into one MP4."""

        def chosen(value: str | None) -> str | None:
            return None if value in (None, "", "auto", "script") else value

        settings = {"script": script, "model": chosen(model), "seed": seed, "subtitles": chosen(subtitles),
                    "transition": chosen(transition), "dtype": chosen(dtype), "offload": offload,
                    "score": bool(score)}  # fmt: skip
        uploads: dict[str, str | Path | None] = {f"image{n}": path for n, path in enumerate(images or [])}
        return service.submit("story", settings, uploads)

    inputs = [script, images, model, seed, subtitles, transition, dtype, offload, score]

    def restore(job: Any) -> tuple[Any, ...]:
        """The form as the job was submitted (after a reload while it runs)."""
        given = job.settings
        seed = -1 if given.get("seed") in (None, "") else given["seed"]
        # the start images are kept under other names than the script gives them: upload them again
        return (given.get("script", ""), gr.skip(), given.get("model") or "auto", seed,
                given.get("subtitles") or "script", given.get("transition") or "script", given.get("dtype") or "auto",
                given.get("offload") or "none", bool(given.get("score", True)))  # fmt: skip

    view.wire(service, run, story, inputs, restore)
    every(10 * POLL_S, lambda: missing_model_notice(service), None, notice, "story_notice")
