"""The agent door: the studio's MCP tools (``studio serve --mcp``, ``/gradio_api/mcp/``).

The page's own endpoints take Gradio file objects and return Gradio components' values; an agent
needs strings in and JSON out. So the tools are functions of their own, each also a named
endpoint ``/mcp_<tool>`` (the same JSON over plain HTTP), and :func:`serve_only_agent_tools`
makes them the whole MCP tool list:

- ``upload`` (a file as base64, kept under its own name) and ``demo_video`` hand out files;
- ``analyze``, ``transcribe``, ``generate``, ``story``, ``train`` and ``evaluate`` queue a job and return it;
- ``job_status``, ``job_result`` (waits up to ``wait_s``; files with URLs), ``cancel``, ``jobs``
  follow jobs; ``models`` lists the registry.

File inputs are the ``file`` references the server handed out or a file URL of this server
(:mod:`ui.agent_files`). Optional inputs have defaults and the page's meaning (``"auto"``, 0, -1).
A refusal is the studio's one line as the tool's error, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import gradio as gr

from studio.core import InputError
from ui.agent_files import MAX_UPLOAD_MB, AgentFiles
from ui.analyze_tab import demo_video_path
from ui.evaluate_tab import job_video
from ui.named_api import typed_api
from ui.service import MAX_WAIT_S, StudioService, public_job, readable_errors

__all__ = ["API_PREFIX", "TOOLS", "agent_tools", "serve_only_agent_tools"]

API_PREFIX = "mcp_"  # each tool is also the endpoint /mcp_<tool>
TOOLS = ("upload", "demo_video", "analyze", "transcribe", "generate", "story", "train", "evaluate", "job_status",
         "job_result", "cancel", "jobs", "models")  # fmt: skip
INLINE_TEXT_BYTES = 1 << 20  # job_result(include_text=True): text outputs up to this size come inline

AnalysisTask = Literal[
    "detect", "track", "pose", "motion", "shots", "actions", "scenes", "captions", "speech"
]  # ANALYSIS_TASKS + SPEECH (tested)
SpeechTask = Literal["transcribe", "translate"]
Backend = Literal["auto", "faster-whisper", "openai-whisper"]
Dtype = Literal["auto", "float32", "float16", "bfloat16", "int8"]  # "auto" + DTYPES (tested)
Offload = Literal["none", "model", "sequential"]  # OFFLOADS (tested)
Subtitles = Literal["script", "track", "burn", "both", "none"]  # "script" + SUBTITLE_MODES (tested)
Transition = Literal["script", "cut", "crossfade"]  # "script" + TRANSITIONS (tested)
TrainFeatures = Literal["frames", "pose", "frames+pose"]  # studio.vision.training.FEATURE_KINDS (tested)
TrainTask = Literal["action", "scene"]  # studio.vision.training.TRAINING_TASKS (tested)
Harness = Literal["fps", "quality", "prompt", "fps-robustness"]  # studio.evaluate.HARNESSES (tested)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _chosen(value: str | None, *unset: str) -> str | None:
    return None if value in (None, "", "auto", *unset) else value


def agent_tools(service: StudioService, demo: gr.Blocks) -> None:
    """Register the tools (inside ``demo``'s Blocks context)."""
    files = AgentFiles(service, lambda: demo.max_file_size, lambda: demo.root_path)

    def submitted(kind: str, settings: dict[str, Any], inputs: dict[str, str], request: gr.Request | None) -> str:
        """Resolve the file inputs, queue the job, and name files in errors as the caller did."""
        paths = {name: files.resolve(value, name, request) for name, value in inputs.items() if value}
        with files.hiding({path: inputs[name] for name, path in paths.items()}):
            return _json(service.submit(kind, settings, dict(paths)))

    @readable_errors
    def upload(name: str, content_base64: str, request: gr.Request) -> str:
        """Upload a file (a video, an audio file, a start image) for the other tools.

        Args:
            name: File name, e.g. clip.mp4 (kept; the studio reads the content, not the suffix)
            content_base64: Content: the file's bytes, base64-encoded (a data: URL is accepted too)
        Returns:
            JSON {name, file, url, size_bytes, media_type}: pass file (or url) to analyze, transcribe, generate or story
        """
        return _json(files.describe(files.save_upload(name, content_base64), request))

    upload.__doc__ = (upload.__doc__ or "").replace(
        "for the other tools.", f"for the other tools; up to {MAX_UPLOAD_MB} MB and the server's upload limit."
    )

    @readable_errors
    def demo_video(request: gr.Request) -> str:
        """The demo video: 16 s, four shots (a person, a cup, ...), a caption and spoken narration.

        Returns:
            JSON {name, file, url, size_bytes, media_type}: pass file to analyze or transcribe
        """
        return _json(files.describe(Path(demo_video_path(service)), request))

    @readable_errors
    def analyze(
        video: str,
        request: gr.Request,
        tasks: list[AnalysisTask] | None = None,
        fps: float = 5,
        detector: str = "auto",
        labels: str = "",
        queries: str = "",
        zones: str = "",
        lines: str = "",
        detect_every: int = 1,
    ) -> str:
        """Queue an analysis of a video (objects, tracks, poses, motion, shots, actions, scenes; speech too).

        Args:
            video: Video: the file of an upload or demo_video result, or a file URL of this server
            tasks: Tasks (default: every task whose model is installed; speech adds the transcript to the timeline)
            fps: Analysis FPS (independent of the video's own rate)
            detector: Detector: auto (the best installed) or a model name from the models tool (task detect)
            labels: Labels to keep (comma separated; empty keeps all)
            queries: Text queries (open-vocabulary detectors such as owlv2-base)
            zones: Zones, one per line: name:x1,y1,x2,y2,x3,y3,...
            lines: Lines, one per line: name:x1,y1,x2,y2
            detect_every: Detect on every N-th sample, track between
        Returns:
            JSON job {id, kind, status, progress, ...}: job_result gives timeline.json and annotated.mp4
        """
        settings = {"tasks": tasks or [], "fps": fps,
                    "detector": _chosen(detector), "labels": labels, "queries": queries, "zones": zones,
                    "lines": lines, "detect_every": detect_every}  # fmt: skip
        return submitted("analyze", settings, {"video": video}, request)

    @readable_errors
    def transcribe(
        media: str,
        request: gr.Request,
        model: str = "auto",
        backend: Backend = "auto",
        language: str = "auto",
        task: SpeechTask = "transcribe",
        vad: bool = True,
        word_cues: bool = False,
    ) -> str:
        """Queue a transcription of an audio or video file (Whisper); subtitles out.

        Args:
            media: Audio or video file: the file of an upload or demo_video result, or a file URL of this server
            model: Model: auto (the best installed) or a model name from the models tool (task asr)
            backend: Backend
            language: Language: auto (detected) or a code such as en, de, fr
            task: Task: transcribe (in the spoken language) or translate (into English)
            vad: Skip silence (voice activity detection)
            word_cues: Word-by-word cues (word timestamps)
        Returns:
            JSON job {id, kind, status, progress, ...}: job_result gives transcript.srt, .vtt, .txt, .json
        """
        settings = {"model": _chosen(model), "backend": _chosen(backend), "language": language, "task": task,
                    "vad": vad, "word_cues": word_cues}  # fmt: skip
        return submitted("transcribe", settings, {"media": media}, request)

    @readable_errors
    def generate(
        prompt: str,
        request: gr.Request,
        negative_prompt: str = "",
        image: str = "",
        model: str = "auto",
        seed: int = -1,
        steps: int = 0,
        guidance_scale: float = -1,
        width: int = 0,
        height: int = 0,
        frames: int = 0,
        fps: int = 0,
        dtype: Dtype = "auto",
        offload: Offload = "none",
        score: bool = True,
    ) -> str:
        """Queue a text-to-video (or image-to-video) generation; the result reports the seed used.

        Args:
            prompt: Prompt: the video to make, e.g. a red car driving along a beach at sunset
            negative_prompt: Negative prompt
            image: Start image (image-to-video models only; empty: from text): a file of an upload
            model: Model: auto (the best installed) or a model name from the models tool (task text-to-video)
            seed: Seed (-1: random, reported)
            steps: Steps (0: the model's own)
            guidance_scale: Guidance (-1: the model's own)
            width: Width (0: the model's own; a multiple of 16)
            height: Height (0: the model's own; a multiple of 16)
            frames: Frames (0: the model's own)
            fps: FPS (0: the model's own; another rate is reached by interpolation, the duration stays)
            dtype: Weights dtype
            offload: CPU offload
            score: Score the video once made (VBench quality, prompt adherence), into its sidecar
        Returns:
            JSON job {id, kind, status, progress, ...}: job_result gives video.mp4, video.png and the video.json sidecar
        """
        settings = {"prompt": prompt, "negative_prompt": negative_prompt, "model": _chosen(model), "seed": seed,
                    "steps": steps, "guidance_scale": guidance_scale, "width": width, "height": height,
                    "frames": frames, "fps": fps, "dtype": _chosen(dtype), "offload": offload,
                    "score": score}  # fmt: skip
        return submitted("generate", settings, {"image": image}, request)

    @readable_errors
    def story(
        script: str,
        request: gr.Request,
        images: list[str] | None = None,
        model: str = "auto",
        seed: int = -1,
        subtitles: Subtitles = "script",
        transition: Transition = "script",
        dtype: Dtype = "auto",
        offload: Offload = "none",
        score: bool = True,
    ) -> str:
        """Queue a story: every shot of a YAML script generated, joined, narrated and subtitled into one MP4.

        Args:
            script: Story script (YAML): shots with prompt, duration, narration, image (a start image, by file name)
            images: Start images named in the script: files of upload results (their names are what the script names)
            model: Model: auto or a model name from the models tool (task text-to-video)
            seed: Seed (-1: the script's, or random)
            subtitles: Subtitles (script: as the script says)
            transition: Transition (script: as the script says)
            dtype: Weights dtype
            offload: CPU offload
            score: Score the film's timing and each shot (quality, prompt adherence), into its sidecar
        Returns:
            JSON job {id, kind, status, progress, ...}: job_result gives film.mp4, film.srt, film.png, film.json
        """
        settings = {"script": script, "model": _chosen(model), "seed": seed, "dtype": _chosen(dtype),
                    "subtitles": _chosen(subtitles, "script"), "transition": _chosen(transition, "script"),
                    "offload": offload, "score": score}  # fmt: skip
        inputs = {f"image{n}": value for n, value in enumerate(images or [])}
        return submitted("story", settings, inputs, request)

    @readable_errors
    def train(
        folder: str,
        name: str,
        features: TrainFeatures = "frames",
        task: TrainTask = "action",
        embedder: str = "auto",
        max_frames: int = 0,
        force: bool = False,
    ) -> str:
        """Queue training of your own clip classifier on a folder of this server with one sub-folder per label.

        Args:
            folder: Folder of labelled clips inside the server's datasets folder, e.g. clips for clips/walking/*.mp4
            name: Model name for the trained model (lower-case letters, digits, '.', '_', '-')
            features: Features: frames (EfficientNet-Lite0 embeddings) or pose (the main person's keypoints)
            task: Task (actions or scenes): what analysis uses it for
            embedder: Embedder (frames features): auto (efficientnet-lite0) or a classify model with embeddings
            max_frames: Frames a clip at most (0: the features' default)
            force: Replace a model of the same name
        Returns:
            JSON job {id, kind, status, progress, ...}: its summary has the cross-validated accuracy and confusion
        """
        settings = {"folder": folder, "name": name, "features": features, "task": task, "max_frames": max_frames,
                    "force": force, "embedder": _chosen(embedder)}  # fmt: skip
        return submitted("train", settings, {}, None)

    @readable_errors
    def evaluate(
        request: gr.Request,
        video: str = "",
        job_id: str = "",
        harnesses: list[Harness] | None = None,
        prompt: str = "",
        features: str = "auto",
        background_features: str = "auto",
        alignment: str = "auto",
        dropped_frames: int = 0,
        vfr_share: float = 0.01,
        duplicated_share: float = 0.05,
        audio_drift_s: float = 0.06,
        video_alignment: str = "auto",
    ) -> str:
        """Queue an evaluation of a video: FPS consistency (pass/fail), VBench quality, prompt adherence, robustness.

        Args:
            video: Video: the file of an upload, demo_video or job_result, or a file URL of this server
            job_id: Finished job's video: its id, instead of video (a generation's video, else the one it was given)
            harnesses: Harnesses (default: fps and quality, and prompt when a prompt is given; fps-robustness is slow)
            prompt: Prompt: the text the video should show (prompt adherence; empty with job_id: the generation's own)
            features: Embedder for subject consistency: auto (dino-vitb16, else efficientnet-lite0, if installed), none
            background_features: Embedder for background consistency: auto (clip-vit-base-patch32 if installed), none
            alignment: Text-image model for the prompt's CLIPScore: auto (clip-vit-base-patch32 if installed), none
            dropped_frames: FPS verdict: dropped frames allowed
            vfr_share: FPS verdict: share of frame intervals off the period allowed
            duplicated_share: FPS verdict: share of repeated pictures allowed
            audio_drift_s: FPS verdict: audio end against video end allowed, seconds
            video_alignment: Text-video model scoring the prompt on the whole video: auto (xclip-base-patch32), none
        Returns:
            JSON job {id, kind, status, ...}: its summary has the verdict; job_result gives the report, page, plots
        """
        if video and job_id:
            raise InputError("give video or job_id, not both")
        # harnesses as sent: a list, or a string the settings split at commas (never into its letters)
        settings = {"harnesses": harnesses or [], "prompt": prompt, "features": _chosen(features),
                    "background_features": _chosen(background_features), "alignment": _chosen(alignment),
                    "video_alignment": _chosen(video_alignment),
                    "dropped_frames": dropped_frames, "vfr_share": vfr_share, "duplicated_share": duplicated_share,
                    "audio_drift_s": audio_drift_s, "source_job": job_id or None}  # fmt: skip
        if job_id:
            path, said, settings["source_name"] = job_video(service, job_id)
            asked = harnesses.split(",") if isinstance(harnesses, str) else harnesses or []
            if "prompt" in [h.strip() for h in asked]:  # the generation's own prompt, only where adherence is asked for
                settings["prompt"] = prompt or said
            with files.hiding({path: f"job:{job_id}/{path.name}"}):
                return _json(service.submit("evaluate", settings, {"video": path}))
        return submitted("evaluate", settings, {"video": video}, request)

    @readable_errors
    def job_status(job_id: str) -> str:
        """A job's status (queued, running, done, failed, cancelled), progress, stage, timings, error and summary.

        Args:
            job_id: Job id: the id an analyze, transcribe, generate or story call returned
        Returns:
            JSON job {id, kind, status, progress, stage, error, summary, outputs, settings, run_s, ...}
        """
        return _json(service.status(job_id))

    @readable_errors
    def job_result(job_id: str, request: gr.Request, wait_s: float = 0, include_text: bool = False) -> str:
        """A job and its output files (none until it is done), after waiting for it to finish if asked.

        Args:
            job_id: Job id: the id an analyze, transcribe, generate or story call returned
            wait_s: Wait up to this many seconds (at most 600) for the job to finish; 0 answers at once
            include_text: Also return the text outputs (JSON parsed; SRT, VTT, TXT as text) inline, each up to 1 MB
        Returns:
            JSON {job, files: [{name, file, url, size_bytes, media_type}], text: {name: content}}
        """
        job, paths = service.result(job_id, min(float(wait_s or 0), MAX_WAIT_S))
        found = [Path(path) for path in paths]
        result: dict[str, Any] = {"job": job, "files": [files.describe(path, request) for path in found]}
        if include_text:
            result["text"] = {path.name: _text_of(path) for path in found if _is_text(path)}
        return _json(result)

    @readable_errors
    def cancel(job_id: str) -> str:
        """Cancel a queued or running job: a queued one never starts, a running one stops at its next step.

        Args:
            job_id: Job id: the id an analyze, transcribe, generate or story call returned
        Returns:
            JSON job {id, kind, status, ...} as it is after the request
        """
        return _json(service.cancel(job_id))

    @readable_errors
    def jobs(limit: int = 20) -> str:
        """This server's jobs, newest first.

        Args:
            limit: How many jobs to list, newest first (1 to 200)
        Returns:
            JSON list of jobs {id, kind, status, progress, stage, error, summary, ...}
        """
        count = max(1, min(int(limit), 200))
        return _json([public_job(job) for job in service.runner.jobs(count)])

    @readable_errors
    def models(task: str = "") -> str:
        """The model registry: each model's task, licence, size, whether it is installed, and what is wrong.

        Args:
            task: Task to list (detect, pose, asr, text-to-video, ...); empty lists every model
        Returns:
            JSON list of {name, task, license, non_commercial, size_mb, installed, offline, install, problem}
        """
        return _json([row for row in service.models() if not task or row["task"] == task])

    tools: list[Callable[..., str]] = [upload, demo_video, analyze, transcribe, generate, story, train, evaluate,
                                       job_status, job_result, cancel, jobs, models]  # fmt: skip
    if [tool.__name__ for tool in tools] != list(TOOLS):
        raise RuntimeError("TOOLS names the tools agent_tools registers")
    for tool in tools:
        typed_api(tool, f"{API_PREFIX}{tool.__name__}", returns="JSON text")


def _is_text(path: Path) -> bool:
    return path.suffix.lower() in (".json", ".srt", ".vtt", ".txt") and path.stat().st_size <= INLINE_TEXT_BYTES


def _text_of(path: Path) -> Any:
    text = path.read_text(encoding="utf-8", errors="replace")
    return json.loads(text) if path.suffix.lower() == ".json" else text


def serve_only_agent_tools(demo: gr.Blocks) -> None:
    """Make the tools above the MCP server's whole tool list, under their own names.

    Gradio lists every public endpoint as a tool, named after its function; the page's
    endpoints (Gradio file objects in, component values out) stay in the API but not in MCP.
    """
    server = getattr(demo, "mcp_server_obj", None)
    if server is None:
        return
    endpoints = server.api_info["named_endpoints"]
    chosen = {name: f"/{API_PREFIX}{name}" for name in TOOLS}
    missing = [endpoint for endpoint in chosen.values() if endpoint not in endpoints]
    if missing:
        raise RuntimeError(f"the MCP tools' endpoints are not in the API: {missing}")
    server.tool_to_endpoint = chosen
