"""The agent door: the official MCP SDK (streamable HTTP) against a real ``studio serve --mcp``
process, as an agent on the same machine or a private network would use it; generation
against an in-process server with a tiny random-weight pipeline (as test_generate_api.py)."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from PIL import Image

from evaluations.asr_wer import word_error_rate
from evaluations.synthetic_media import ENGLISH, spoken_sentences
from evaluations.tiny_pipelines import save_tiny_wan
from models.generate_diffusers import SPECS
from studio import media
from studio.core import Settings
from studio.demo import DemoMedia
from studio.registry import ModelCache, Registry
from ui import agent_tools
from ui.launch import ServeOptions, launch
from ui.service import StudioService

TINY = {"width": 32, "height": 32, "frames": 9, "fps": 8, "steps": 3, "call": {"max_sequence_length": 16}}
ORDINAL = re.compile(r"\d+(st|nd|rd|th)")
GENERIC = re.compile(r"(param|parameter|value)_\d+|API")


class ToolError(Exception):
    """A tool answered with an error: its text is the whole message."""


class Agent:
    """One MCP session as an agent holds it: tools in, JSON out, errors as text."""

    def __init__(self, session: ClientSession, http: httpx.AsyncClient) -> None:
        self.session = session
        self.http = http

    async def tools(self) -> dict[str, Any]:
        return {tool.name: tool for tool in (await self.session.list_tools()).tools}

    async def call(self, tool: str, /, **arguments: Any) -> Any:
        result = await self.session.call_tool(tool, arguments)
        text = "".join(getattr(part, "text", "") for part in result.content)
        if result.isError:
            raise ToolError(text)
        return json.loads(text)

    async def refusal(self, tool: str, /, **arguments: Any) -> str:
        with pytest.raises(ToolError) as caught:
            await self.call(tool, **arguments)
        return str(caught.value)

    async def fetch(self, url: str) -> bytes:
        response = await self.http.get(url)
        response.raise_for_status()
        return response.content


@asynccontextmanager
async def agent(url: str, headers: dict[str, str] | None = None) -> AsyncIterator[Agent]:
    """An MCP client session to ``url`` (the server's root); ``headers`` for auth and the like."""
    async with (
        httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(30, read=600)) as http,
        streamable_http_client(url + "gradio_api/mcp/", http_client=http) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield Agent(session, http)


def b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


@dataclass
class Served:
    url: str
    outputs: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``studio serve --mcp`` in its own process, on a free port, with a 1 MB upload limit (the
    demo video is 0.8 MB); ready once it says so."""
    outputs, port = tmp_path_factory.mktemp("outputs"), _free_port()
    env = {**os.environ, "MEDIA_STUDIO_OUTPUTS": str(outputs), "GRADIO_ANALYTICS_ENABLED": "False",
           "PYTHONUNBUFFERED": "1"}  # fmt: skip
    command = [sys.executable, "-m", "studio.cli", "serve", "--mcp", "--port", str(port), "--max-upload-mb", "1"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert server.stdout is not None
    said: list[str] = []
    try:
        for line in server.stdout:  # the server prints its MCP URL once it listens
            said.append(line)
            if "Streamable HTTP URL:" in line:
                break
        assert server.poll() is None, "the server ended before it listened:\n" + "".join(said)
        threading.Thread(target=server.stdout.read, daemon=True).start()  # keep the pipe drained
        yield Served(f"http://127.0.0.1:{port}/", outputs)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(60)


def test_the_tools_an_agent_sees(served: Served) -> None:
    async def scenario() -> dict[str, Any]:
        async with agent(served.url) as studio:
            return await studio.tools()

    tools = asyncio.run(scenario())
    assert set(tools) == set(agent_tools.TOOLS)  # the page's endpoints stay out
    required = {name: set(tool.inputSchema.get("required", [])) for name, tool in tools.items()}
    assert required == {"upload": {"name", "content_base64"}, "demo_video": set(), "analyze": {"video"},
                        "transcribe": {"media"}, "generate": {"prompt"}, "story": {"script"}, "job_status": {"job_id"},
                        "job_result": {"job_id"}, "cancel": {"job_id"}, "jobs": set(), "models": set(),
                        "train": {"folder", "name"}, "evaluate": set()}  # fmt: skip
    for name, tool in tools.items():
        assert tool.description and "upload_file_to_gradio" not in tool.description, name
        for parameter, schema in tool.inputSchema["properties"].items():
            assert schema.get("description"), (name, parameter)
            assert "Gradio File" not in json.dumps(schema), (name, parameter)  # files are plain strings
    analyze = tools["analyze"].inputSchema["properties"]
    assert analyze["tasks"]["oneOf"][1]["items"]["enum"] == [
        "detect",
        "track",
        "pose",
        "motion",
        "shots",
        "actions",
        "scenes",
        "captions",
        "speech",
    ]
    assert analyze["fps"] == {"type": "number", "default": 5, "description": analyze["fps"]["description"]}
    harnesses = tools["evaluate"].inputSchema["properties"]["harnesses"]
    assert harnesses["oneOf"][1]["items"]["enum"] == ["fps", "quality", "prompt", "fps-robustness"]


def test_an_agent_analyzes_and_transcribes_files_it_uploaded(served: Served, demo: DemoMedia, tmp_path: Path) -> None:
    samples, rate, _ = spoken_sentences(ENGLISH[:2])
    speech = media.write_audio(tmp_path / "speech.wav", samples, rate)

    async def scenario() -> None:
        async with agent(served.url) as studio:
            clip = await studio.call("upload", name="my clip.mp4", content_base64=b64(demo.video))
            assert clip["name"] == "my clip.mp4" and clip["size_bytes"] == demo.video.stat().st_size
            assert clip["file"].startswith("upload:") and clip["url"].startswith(served.url + "gradio_api/file=")
            assert await studio.fetch(clip["url"]) == demo.video.read_bytes()  # the URL is this server's own

            job = await studio.call("analyze", video=clip["file"], tasks=["detect", "track"], fps=2)
            assert job["status"] == "queued" and job["kind"] == "analyze"
            assert job["settings"]["input_names"] == {"video": "my clip.mp4"} and "inputs" not in job["settings"]
            result = await studio.call("job_result", job_id=job["id"], wait_s=300, include_text=True)
            assert result["job"]["status"] == "done", result["job"]
            assert (await studio.call("job_status", job_id=job["id"]))["status"] == "done"
            by_name = {file["name"]: file for file in result["files"]}
            assert set(by_name) == {"timeline.json", "annotated.mp4", "poster.jpg"}
            timeline = result["text"]["timeline.json"]  # the JSON itself, parsed
            assert {"person", "cup"} <= {track["label"] for track in timeline["tracks"]}
            assert result["job"]["summary"]["tracks"] == len(timeline["tracks"])
            annotated = tmp_path / "annotated.mp4"
            annotated.write_bytes(await studio.fetch(by_name["annotated.mp4"]["url"]))
            info = media.probe(annotated)
            assert info.codec == "h264" and info.frame_count == media.probe(demo.video).frame_count
            assert by_name["annotated.mp4"]["file"] == f"job:{job['id']}/annotated.mp4"

            # transcription from a file URL of this server: a file sent to Gradio's own upload route
            sent = await studio.http.post(served.url + "gradio_api/upload", files={"files": ("talk.wav",
                                          speech.read_bytes(), "audio/wav")})  # fmt: skip
            url = served.url + "gradio_api/file=" + sent.json()[0]
            job = await studio.call("transcribe", media=url)
            result = await studio.call("job_result", job_id=job["id"], wait_s=300)
            assert result["job"]["status"] == "done", result["job"]
            by_name = {file["name"]: file for file in result["files"]}
            assert set(by_name) == {"transcript.srt", "transcript.vtt", "transcript.txt", "transcript.json"}
            srt = (await studio.fetch(by_name["transcript.srt"]["url"])).decode()
            assert srt.startswith("1\n00:00:0") and " --> " in srt
            text = (await studio.fetch(by_name["transcript.txt"]["url"])).decode()
            assert word_error_rate(" ".join(ENGLISH[:2]), text).wer <= 0.15, text
            assert result["job"]["summary"]["language"] == "en"

            long = await studio.call("analyze", video=clip["file"], tasks=["detect", "track", "pose"], fps=30)
            assert (await studio.call("cancel", job_id=long["id"]))["id"] == long["id"]
            ended = await studio.call("job_result", job_id=long["id"], wait_s=120)
            assert ended["job"]["status"] == "cancelled" and ended["files"] == []

            # the analysed clip evaluated: uploaded, then picked by the analysis job that was given it
            job = await studio.call("evaluate", video=clip["file"], harnesses=["fps"])
            result = await studio.call("job_result", job_id=job["id"], wait_s=300, include_text=True)
            assert result["job"]["status"] == "done", result["job"]
            assert result["job"]["summary"]["scores"]["verdict"] == "pass"
            assert {file["name"] for file in result["files"]} == {"evaluation.json", "evaluation.html",
                                                                  "frame-intervals.png"}  # fmt: skip
            assert result["text"]["evaluation.json"]["path"] == "my clip.mp4"
            analysed = (await studio.call("jobs", limit=20))[-1]  # the first job: the analysis
            assert analysed["kind"] == "analyze"
            job = await studio.call("evaluate", job_id=analysed["id"], harnesses=["prompt"],
                                    prompt="a person, a cup and a giraffe")  # fmt: skip
            result = await studio.call("job_result", job_id=job["id"], wait_s=300, include_text=True)
            adherence = result["text"]["evaluation.json"]["prompt"]
            found = {mention["label"]: mention["found"] for mention in adherence["mentions"]}
            assert found == {"person": True, "cup": True, "giraffe": False}, adherence
            assert result["job"]["summary"]["source_job"] == analysed["id"]

            demo_file = await studio.call("demo_video")
            assert demo_file["file"] == "demo:demo.mp4" and demo_file["media_type"] == "video/mp4"
            assert len(await studio.fetch(demo_file["url"])) == demo_file["size_bytes"]
            assert job["id"] in {listed["id"] for listed in await studio.call("jobs", limit=5)}
            asr = await studio.call("models", task="asr")
            assert asr and {row["task"] for row in asr} == {"asr"} and any(row["installed"] for row in asr)

    asyncio.run(scenario())


def test_refusals_are_the_studios_one_line_message(served: Served, tmp_path: Path) -> None:
    holiday = tmp_path / "holiday.mp4"
    holiday.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4000))

    async def scenario() -> None:
        async with agent(served.url) as studio:
            corrupt = await studio.call("upload", name="holiday.mp4", content_base64=b64(holiday))
            message = await studio.refusal("analyze", video=corrupt["file"])
            assert message.startswith(corrupt["file"] + ": not a readable media file"), message
            assert "\n" not in message and "Traceback" not in message and str(served.outputs) not in message
            message = await studio.refusal("transcribe", media=corrupt["url"])
            assert message.startswith(corrupt["url"] + ": not a readable media file"), message
            gone = "upload:" + "0" * 32 + "/gone.mp4"
            escape = corrupt["file"].replace("/holiday", "/../../../etc/passwd")
            refused = {
                ("analyze", "video", "/etc/passwd"): "expected the 'file' of an upload, demo_video or job_result",
                ("analyze", "video", served.url + "gradio_api/file=/etc/passwd"): "not a file this server handed out",
                ("analyze", "video", "http://example.com/gradio_api/file=/x.mp4"): "a URL of another host",
                ("analyze", "video", gone): f"{gone}: no such file",
                ("analyze", "video", escape): "expected the 'file'",
                ("analyze", "video", ""): "no video given",
                ("transcribe", "media", "job:nope/transcript.srt"): "no job 'nope'",
            }
            for (tool, parameter, value), expected in refused.items():
                message = await studio.refusal(tool, **{parameter: value})
                assert expected in message and "\n" not in message, (value, message)
            video = corrupt["file"]
            assert await studio.refusal("analyze", video=video, fps=0) == "expected a positive frame rate, got 0"
            assert "'fast' is not of type 'number'" in await studio.refusal("analyze", video=video, fps="fast")
            message = await studio.refusal("evaluate", video=corrupt["file"])
            assert message.startswith(corrupt["file"] + ": not a readable media file"), message
            assert "no video given" in await studio.refusal("evaluate")
            message = await studio.refusal("evaluate", video=video, harnesses=["prompt"])
            assert message == "prompt adherence needs the prompt: the text the video should show"
            assert await studio.refusal("evaluate", video=video, job_id="x") == "give video or job_id, not both"
            assert (await studio.refusal("evaluate", job_id="no-such-job")).startswith("no job 'no-such-job'")
            message = await studio.refusal("job_status", job_id="no-such-job")
            assert message.startswith("no job 'no-such-job'")
            assert (await studio.refusal("upload", name="x.mp4", content_base64="not base64!")).startswith(
                "x.mp4: content_base64 is not base64"
            )
            empty = await studio.refusal("upload", name="x.mp4", content_base64="")
            assert empty == "x.mp4: the upload is empty (0 bytes)"
            big = base64.b64encode(os.urandom(3 * 2**19)).decode()
            assert await studio.refusal("upload", name="big.mp4", content_base64=big) == (
                "big.mp4: about 1.5 MB; an upload may be 1 MB"  # the server's --max-upload-mb
            )
            kept = await studio.call("upload", name="../../evil.mp4", content_base64=b64(holiday))
            assert kept["name"] == "evil.mp4" and re.fullmatch(r"upload:[0-9a-f]{32}/evil\.mp4", kept["file"])

    asyncio.run(scenario())


def test_every_endpoint_is_named_typed_and_described(served: Served) -> None:
    """Point 3 of issue 17: no ``1st``, ``parameter_128`` or ``compile_``; no return typed Any."""
    info = httpx.get(served.url + "gradio_api/info", timeout=30).json()["named_endpoints"]
    assert {"/analyze", "/job_status", "/job_result", "/generate", "/models"} <= set(info)
    for endpoint, about in info.items():
        assert about["description"], endpoint
        for parameter in about["parameters"]:
            name, label = parameter["parameter_name"], parameter["label"]
            assert name.isidentifier() and not name.endswith("_") and not GENERIC.fullmatch(name), (endpoint, name)
            assert label and not ORDINAL.fullmatch(label) and not GENERIC.fullmatch(label), (endpoint, label)
            assert parameter["python_type"]["type"] not in ("", "Any"), (endpoint, name)
        for returned in about["returns"]:
            label = returned["label"]
            assert label and not ORDINAL.fullmatch(label) and not GENERIC.fullmatch(label), (endpoint, label)
            assert returned["python_type"]["type"] not in ("", "Any"), (endpoint, label)
    assert [p["parameter_name"] for p in info["/job_result"]["parameters"]] == ["job_id", "wait_s"]
    assert [p["parameter_name"] for p in info["/generate"]["parameters"][-2:]] == ["torch_compile", "score"]
    assert info["/evaluate"]["parameters"][0]["parameter_name"] == "video"
    assert info["/job_status"]["returns"][0]["python_type"] == {
        "type": "dict(str, Any)",
        "description": "The job: id, kind, status, progress, stage, error, timings, settings, summary, output names",
    }


def test_tool_parameters_say_what_the_page_labels_say(served: Served) -> None:
    info = httpx.get(served.url + "gradio_api/info", timeout=30).json()["named_endpoints"]
    compared = 0
    for tool in agent_tools.TOOLS:
        page = {p["parameter_name"]: p["label"] for p in info.get(f"/{tool}", {"parameters": []})["parameters"]}
        for parameter in info[f"/{agent_tools.API_PREFIX}{tool}"]["parameters"]:
            if parameter["parameter_name"] in page:
                assert parameter["label"].startswith(page[parameter["parameter_name"]]), parameter
                compared += 1
    assert compared >= 30  # analyze, transcribe, generate, story, job_status, job_result, cancel


def test_the_tools_choices_are_the_studios() -> None:
    from studio.evaluate import HARNESSES
    from studio.generation import SUBTITLE_MODES, TRANSITIONS
    from studio.registry import DTYPES, OFFLOADS
    from studio.service import SPEECH
    from studio.vision import ANALYSIS_TASKS

    assert get_args(agent_tools.AnalysisTask) == (*ANALYSIS_TASKS, SPEECH)
    assert get_args(agent_tools.Dtype) == ("auto", *DTYPES) and get_args(agent_tools.Offload) == OFFLOADS
    assert get_args(agent_tools.Subtitles) == ("script", *SUBTITLE_MODES)
    assert get_args(agent_tools.Transition) == ("script", *TRANSITIONS)
    assert get_args(agent_tools.Harness) == HARNESSES


def _readme_block(after: str) -> str:
    readme = Path("README.md").read_text(encoding="utf-8")
    return readme.split(after, 1)[1].split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_examples_run_as_they_are(served: Served, demo: DemoMedia, tmp_path: Path) -> None:
    """The gradio_client and MCP snippets of the README, verbatim but for the server's address."""
    samples, rate, _ = spoken_sentences(ENGLISH[:1])
    media.write_audio(tmp_path / "talk.m4a", samples, rate)
    (tmp_path / "clip.mp4").write_bytes(demo.video.read_bytes())
    for heading in ("**From a program**", "**From an agent**"):
        code = _readme_block(heading)
        assert code.count("http://127.0.0.1:7860/") == 1, heading
        script = tmp_path / "example.py"
        script.write_text(code.replace("http://127.0.0.1:7860/", served.url), encoding="utf-8")
        ran = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert ran.returncode == 0, f"{heading}\n{ran.stdout}\n{ran.stderr}"
    assert "done" in ran.stdout and "person" in ran.stdout  # the MCP snippet prints the status and a track


@pytest.fixture(scope="module")
def tiny_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An in-process server with MCP whose only text-to-video model is a tiny random Wan."""
    folder = save_tiny_wan(tmp_path_factory.mktemp("tiny-wan"))
    home = tmp_path_factory.mktemp("home")
    wan = next(spec for spec in SPECS if spec.name == "wan2.1-t2v-1.3b")
    tiny = dataclasses.replace(wan, name="tiny-wan", source=f"path:{folder}", params={**wan.params, **TINY})
    cache = ModelCache(Registry([tiny]), Settings(home, home / "models", home / "outputs", device="cpu"))
    service = StudioService.create(cache.settings, cache=cache)
    demo, url = launch(ServeOptions(port=None, mcp=True), service=service, block=False)
    yield url
    demo.close()
    service.close()


def test_an_agent_generates_a_video_from_text(tiny_studio: str, tmp_path: Path) -> None:
    Image.new("RGB", (32, 32), (200, 30, 30)).save(tmp_path / "start.png")

    async def scenario() -> None:
        async with agent(tiny_studio) as studio:
            [model] = await studio.call("models", task="text-to-video")
            assert model["name"] == "tiny-wan" and model["installed"]
            job = await studio.call("generate", prompt="a red car on the street", seed=11)
            assert job["status"] == "queued" and job["kind"] == "generate"
            result = await studio.call("job_result", job_id=job["id"], wait_s=300, include_text=True)
            assert result["job"]["status"] == "done", result["job"]
            assert result["job"]["summary"]["seed"] == result["text"]["video.json"]["seed"] == 11
            by_name = {file["name"]: file for file in result["files"]}
            assert set(by_name) == {"video.mp4", "video.json", "video.png", "evaluation.json", "evaluation.html"}
            assert result["text"]["video.json"]["evaluation"]["scores"] == result["job"]["summary"]["scores"]
            video = tmp_path / "video.mp4"
            video.write_bytes(await studio.fetch(by_name["video.mp4"]["url"]))
            info = media.probe(video)
            assert (info.width, info.height, info.frame_count, info.fps, info.codec) == (32, 32, 9, 8, "h264")
            start = await studio.call("upload", name="start.png", content_base64=b64(tmp_path / "start.png"))
            message = await studio.refusal("generate", prompt="a cat", image=start["file"])
            assert message.startswith("tiny-wan makes video from text only; for a start image use one of:"), message
            assert await studio.refusal("generate", prompt="  ") == "the prompt is empty: describe the video to make"
            film = await studio.call("story", script="seed: 4\nshots:\n  - prompt: a red car\n    duration: 1\n")
            result = await studio.call("job_result", job_id=film["id"], wait_s=300)
            assert result["job"]["status"] == "done" and result["job"]["summary"]["shots"] == 1, result["job"]
            assert {file["name"] for file in result["files"]} == {"film.mp4", "film.json", "film.png"}  # no narration
            script = "shots:\n  - prompt: a cat\n    image: start.png\n"  # named as it was uploaded
            message = await studio.refusal("story", script=script, images=[start["file"]])
            assert message.startswith("shot 1: tiny-wan makes video from text only"), message
            # a finished generation evaluated by its job id; asked for adherence, its own prompt is checked
            scored = await studio.call("evaluate", job_id=job["id"], harnesses=["fps", "quality"], features="none")
            assert scored["settings"]["prompt"] == ""  # not asked: not taken, so no detector is needed
            message = await studio.refusal("evaluate", job_id=job["id"], harnesses=["prompt"])
            assert message.startswith("no detect model is registered"), message  # the prompt was taken: a detector next
            result = await studio.call("job_result", job_id=scored["id"], wait_s=300, include_text=True)
            report = result["text"]["evaluation.json"]
            assert report["fps"]["frames"] == 9 and report["quality"]["frames"] == 9, result["job"]

    asyncio.run(scenario())
