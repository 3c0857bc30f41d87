"""The Generate tab: a prompt in, a video, its thumbnail and its sidecar out, as a job.

With no text-to-video model installed the tab says which one to install and how; a submit
then gets the same one-line message, and nothing else on the page is affected.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from studio.registry import DTYPES, OFFLOADS
from studio.service import GENERATE_TASK
from ui.fields import NumberField
from ui.polling import POLL_S, every
from ui.service import StudioService, readable_errors
from ui.video_job import video_job_view
from ui.views import job_inputs

__all__ = ["ATTENTION_CHOICES", "generate_tab", "missing_model_notice"]

ATTENTION_CHOICES = ("native", "_native_cudnn", "_native_flash", "flash", "sage")


def missing_model_notice(service: StudioService) -> str:
    """Empty when a text-to-video model is installed; otherwise what to install, and how."""
    specs = service.cache.registry.specs(GENERATE_TASK)
    if any(spec.is_installed(service.settings) for spec in specs):
        return ""
    if not specs:
        return "**No text-to-video model is registered.** Install the extra: `pip install 'media-studio[generate]'`."
    best = max(specs, key=lambda spec: spec.priority)
    others = ", ".join(f"`{spec.name}`" for spec in specs if spec is not best)
    return (
        f"**No text-to-video model is installed.** On a machine with a network: `{best.install_command}` "
        f"({best.license}, about {best.size_mb or 0:.0f} MB). Also registered: {others}."
    )


def generate_tab(service: StudioService) -> None:
    gr.Markdown(
        "Makes a video from a prompt (and optionally a start image) with a diffusers text-to-video model "
        "(Wan, LTX-Video, CogVideoX); the seed used is reported so a result can be made again. Needs such "
        "a model installed, and a GPU for real sizes.",
        elem_classes="studio-intro",
    )
    notice = gr.Markdown(missing_model_notice(service), elem_id="generate-notice")
    with gr.Row():
        with gr.Column(scale=1):
            prompt = gr.Textbox(
                label="Prompt",
                lines=3,
                elem_id="generate-prompt",
                placeholder="a red car driving along a beach at sunset",
            )
            negative = gr.Textbox(label="Negative prompt", lines=1)
            image = gr.Image(label="Start image (image-to-video models only; empty: from text)", type="filepath",
                             elem_id="generate-image",
                             sources=["upload"], height=160)  # fmt: skip
            model = gr.Dropdown(["auto", *service.model_names(GENERATE_TASK)], value="auto", label="Model",
                                allow_custom_value=True)  # fmt: skip
            with gr.Row():
                seed = NumberField(-1, precision=0, label="Seed (-1: random, reported)")
                steps = NumberField(0, precision=0, minimum=0, label="Steps (0: the model's own)")
                guidance = NumberField(-1, label="Guidance (-1: the model's own)")
            gr.Markdown(
                "Size, frames and FPS: 0 takes the model's own (Wan: 832×480, 81 frames at 16 FPS). "
                "Another FPS is reached by motion-compensated interpolation; the duration stays."
            )
            with gr.Row():
                width = NumberField(0, precision=0, minimum=0, label="Width")
                height = NumberField(0, precision=0, minimum=0, label="Height")
                frames = NumberField(0, precision=0, minimum=0, label="Frames")
                fps = NumberField(0, precision=0, minimum=0, label="FPS")
            with gr.Accordion("GPU memory, LoRA", open=False):
                dtype = gr.Dropdown(["auto", *DTYPES], value="auto", label="Weights dtype")
                offload = gr.Radio(list(OFFLOADS), value="none", label="CPU offload")
                attention = gr.Dropdown(
                    ["auto", *ATTENTION_CHOICES], value="auto", allow_custom_value=True,
                    label="Attention backend (flash and sage need their packages; CUDA only)",
                )  # fmt: skip
                compile_ = gr.Checkbox(False, label="torch.compile the denoiser (slow first step, faster after)")
                loras = gr.Textbox(lines=2, label="LoRA files on the server, one per line: path.safetensors[:scale]")
            score = gr.Checkbox(True, label="Score the video once made (VBench quality, prompt adherence)")
            run = gr.Button("Generate", variant="primary", elem_id="generate-run")
        with gr.Column(scale=2):
            view = video_job_view(
                "generate",
                "Video",
                "Sidecar: every setting, the seed used, the model, timings",
                "Downloads (MP4, thumbnail, sidecar JSON)",
            )

    @readable_errors
    def generate(prompt: str, negative_prompt: str, model: str, seed: float | None, steps: float | None,
                 guidance_scale: float | None, width: float | None, height: float | None, frames: float | None,
                 fps: float | None, dtype: str, offload: str, loras: str, image: str | None,
                 attention: str = "auto", torch_compile: bool = False,
                 score: bool = True) -> dict[str, Any]:  # fmt: skip
        """Queue a text-to-video generation; returns the job (its result reports the seed used)."""
        settings = {"prompt": prompt, "negative_prompt": negative_prompt,
                    "model": None if model in (None, "", "auto") else model, "seed": seed, "steps": steps,
                    "guidance_scale": guidance_scale, "width": width, "height": height, "frames": frames, "fps": fps,
                    "dtype": None if dtype in (None, "", "auto") else dtype, "offload": offload,
                    "loras": loras, "attention": None if attention in (None, "", "auto") else attention,
                    "compile": bool(torch_compile), "score": bool(score)}  # fmt: skip
        return service.submit("generate", settings, {"image": image})

    inputs = [prompt, negative, model, seed, steps, guidance, width, height, frames, fps, dtype, offload, loras, image,
              attention, compile_, score]  # fmt: skip

    def restore(job: Any) -> tuple[Any, ...]:
        """The form as the job was submitted (after a reload while it runs)."""
        given = job.settings

        def number(name: str, default: float) -> Any:
            return default if given.get(name) in (None, "") else given[name]

        return (given.get("prompt", ""), given.get("negative_prompt", ""), given.get("model") or "auto",
                number("seed", -1), number("steps", 0), number("guidance_scale", -1), number("width", 0),
                number("height", 0), number("frames", 0), number("fps", 0), given.get("dtype") or "auto",
                given.get("offload") or "none", _text_lines(given.get("loras")), job_inputs(job).get("image"),
                given.get("attention") or "auto", bool(given.get("compile")),
                bool(given.get("score", True)))  # fmt: skip

    view.wire(service, run, generate, inputs, restore)
    every(10 * POLL_S, lambda: missing_model_notice(service), None, notice, "generate_notice")


def _text_lines(value: Any) -> str:
    """A job's list of lines (its LoRAs) as the form's text, one per line."""
    if not value:
        return ""
    return value if isinstance(value, str) else "\n".join(str(item) for item in value)
