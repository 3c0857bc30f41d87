"""The Transcribe tab: an audio or video file (or a recording) in, a transcription job, its
subtitles and files out."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ui.polling import submit_and_follow
from ui.service import StudioService, readable_errors
from ui.views import job_inputs, status_html, transcript_lines

__all__ = ["AUDIO_TYPES", "LANGUAGES", "VIDEO_TYPES", "transcribe_tab"]

LANGUAGES = ["auto", "en", "de", "fr", "es", "it", "pt", "nl", "pl", "ru", "uk", "tr", "ar", "hi", "ja", "ko", "zh"]
VIDEO_TYPES = [".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v", ".ts", ".mpg", ".mpeg", ".wmv", ".flv"]
AUDIO_TYPES = [".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".opus", ".wma", ".webm"]


def transcribe_tab(service: StudioService) -> None:
    gr.Markdown(
        "Turns speech in an audio or video file (or a recording) into subtitles (SRT, VTT), text and "
        "word times, in its language or translated to English. Needs a Whisper model (Models tab).",
        elem_classes="studio-intro",
    )
    with gr.Row():
        with gr.Column(scale=1):
            upload = gr.File(
                label="Audio or video file",
                file_types=[*AUDIO_TYPES, *VIDEO_TYPES],
                type="filepath",
                elem_id="transcribe-file",
            )
            microphone = gr.Audio(label="…or record", sources=["microphone"], type="filepath")
            model = gr.Dropdown(
                ["auto", *service.model_names("asr")], value="auto", label="Model", allow_custom_value=True
            )
            backend = gr.Dropdown(["auto", "faster-whisper", "openai-whisper"], value="auto", label="Backend")
            language = gr.Dropdown(LANGUAGES, value="auto", allow_custom_value=True, label="Language")
            task = gr.Radio(["transcribe", "translate"], value="transcribe", label="Task")
            vad = gr.Checkbox(True, label="Skip silence (voice activity detection)")
            word_cues = gr.Checkbox(False, label="Word-by-word cues (word timestamps)")
            run = gr.Button("Transcribe", variant="primary", elem_id="transcribe-run")
        with gr.Column(scale=2):
            status = gr.HTML(status_html(None), elem_id="transcribe-status", elem_classes="studio-status-box")
            job = gr.JSON(label="Job", visible=False)
            text = gr.Textbox(label="Transcript (SRT)", lines=14, interactive=False, elem_id="transcribe-text")
            files = gr.File(label="Downloads (SRT, VTT, TXT, JSON)", file_count="multiple")

    @readable_errors
    def transcribe(
        media: str | None,
        recording: str | None,
        model: str,
        backend: str,
        language: str,
        task: str,
        vad: bool,
        word_cues: bool,
    ) -> dict[str, Any]:
        """Queue a transcription of an audio or video file; returns the job."""
        settings = {
            "model": None if model in (None, "", "auto") else model,
            "backend": None if backend in (None, "", "auto") else backend,
            "language": language,
            "task": task,
            "vad": vad,
            "word_cues": word_cues,
        }
        return service.submit("transcribe", settings, {"media": media or recording})

    def render(job: Any) -> tuple[Any, ...]:
        return transcript_lines(job), [str(p) for p in job.output_paths().values()]

    def restore(job: Any) -> tuple[Any, ...]:
        """The form as the job was submitted (after a reload while it runs)."""
        given = job.settings
        return (job_inputs(job).get("media"), None, given.get("model") or "auto", given.get("backend") or "auto",
                given.get("language") or "auto", given.get("task") or "transcribe", bool(given.get("vad", True)),
                bool(given.get("word_cues", False)))  # fmt: skip

    inputs = [upload, microphone, model, backend, language, task, vad, word_cues]
    submit_and_follow(service, "transcribe", run, transcribe, inputs, job, [status, text, files], render, restore)
