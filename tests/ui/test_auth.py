"""``studio serve --auth USER:PASS --mcp``: every door refuses a request without the right
credentials (the page's API, ``/gradio_api/info``, the file and upload routes, the queue, the
MCP server and each of its tools) and works with them, through Gradio's login cookie or HTTP
Basic; the login page does not embed the API schema."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from gradio_client import Client
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from studio.core import Cancelled
from studio.registry import default_cache
from studio.service import JobContext, JobKind, JobOutcome
from ui import agent_tools
from ui.auth_gate import REFUSAL
from ui.launch import ServeOptions, launch
from ui.service import StudioService

RIGHT = ("admin", "s3cret:with-colon")
WRONG = {"none": None, "wrong password": ("admin", "guess"), "wrong user": ("root", RIGHT[1])}
MCP_ACCEPT = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


def basic(credentials: tuple[str, str]) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(":".join(credentials).encode()).decode()}


class Hold:
    """A job that runs until the test lets it go: something another user could try to cancel."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def run(self, job: JobContext) -> JobOutcome:
        self.entered.set()
        while not self.release.wait(0.01):
            if job.cancel.is_set():
                raise Cancelled("cancelled")
        return JobOutcome({}, {})


@dataclass
class Guarded:
    url: str
    service: StudioService
    hold: Hold
    job_id: str
    probe: Path  # a file the file route serves


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guarded]:
    cache = default_cache()
    service = StudioService.create(replace(cache.settings, outputs_dir=tmp_path_factory.mktemp("outputs")), cache=cache)
    hold = Hold()
    service.runner.kinds["hold"] = JobKind("hold", hold.run, heavy=False)
    demo, url = launch(ServeOptions(port=None, auth=RIGHT, mcp=True), service=service, block=False)
    try:
        job = service.runner.submit("hold", {})
        assert hold.entered.wait(30)
        probe = service.runner.folders / job.id / "probe.txt"
        probe.write_text("only for the logged-in")
        yield Guarded(url, service, hold, job.id, probe)
    finally:
        hold.release.set()
        demo.close()
        service.close()


def _doors(guarded: Guarded, endpoints: list[str], tools: list[str]) -> list[tuple[str, str, dict[str, object]]]:
    """(method, path, request) for every route an outsider could try."""
    doors: list[tuple[str, str, dict[str, object]]] = [
        ("GET", "gradio_api/info", {}),
        ("GET", "config", {}),
        ("GET", "gradio_api/mcp/schema", {}),
        ("GET", "gradio_api/mcp/sse", {}),
        ("POST", "gradio_api/mcp/messages/", {"json": {}}),
        ("GET", f"gradio_api/file={guarded.probe}", {}),
        ("POST", "gradio_api/upload", {"files": {"files": ("clip.mp4", b"0" * 64)}}),
        ("POST", "gradio_api/queue/join", {"json": {"data": [], "fn_index": 0, "session_hash": "x"}}),
        ("GET", "gradio_api/queue/data?session_hash=x", {}),
        ("GET", "gradio_api/heartbeat/x", {}),
        ("GET", "gradio_api/user", {}),
        ("GET", "gradio_api/token", {}),
    ]
    doors += [("POST", f"gradio_api/call{name}", {"json": {"data": []}}) for name in endpoints]
    rpc = [{"method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                                               "clientInfo": {"name": "outsider", "version": "1"}}},
           {"method": "tools/list", "params": {}}]  # fmt: skip
    rpc += [{"method": "tools/call", "params": {"name": tool, "arguments": {"job_id": guarded.job_id}}}
            for tool in tools]  # fmt: skip
    for number, call in enumerate(rpc):
        body = {"jsonrpc": "2.0", "id": number, **call}
        doors.append(("POST", "gradio_api/mcp/", {"json": body, "headers": MCP_ACCEPT}))
    return doors


@asynccontextmanager
async def _mcp_session(url: str, headers: dict[str, str]) -> AsyncIterator[ClientSession]:
    """An initialised MCP session (streamable HTTP) to ``url`` sending ``headers``."""
    async with (
        httpx.AsyncClient(headers=headers, timeout=60) as http,
        streamable_http_client(url + "gradio_api/mcp/", http_client=http) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def _mcp_tools(url: str, headers: dict[str, str]) -> list[str]:
    """The tool names an agent with ``headers`` sees."""

    async def scenario() -> list[str]:
        async with _mcp_session(url, headers) as session:
            return [tool.name for tool in (await session.list_tools()).tools]

    return asyncio.run(scenario())


def test_every_door_refuses_without_the_right_credentials(guarded: Guarded) -> None:
    with httpx.Client(base_url=guarded.url, timeout=60) as http:
        endpoints = list(http.get("gradio_api/info", headers=basic(RIGHT)).json()["named_endpoints"])
        tools = _mcp_tools(guarded.url, basic(RIGHT))
        assert {"/analyze", "/transcribe", "/job_status", "/job_result", "/cancel"} <= set(endpoints)
        assert set(tools) == set(agent_tools.TOOLS)
        doors = _doors(guarded, endpoints, tools)
        assert len(doors) > 30
        for who, credentials in WRONG.items():
            for method, path, request in doors:
                headers = {**dict(request.get("headers", {})), **(basic(credentials) if credentials else {})}  # type: ignore[call-overload]
                sent = {key: value for key, value in request.items() if key != "headers"}
                answer = http.request(method, path, headers=headers, **sent)  # type: ignore[arg-type]
                assert answer.status_code == 401, f"{method} /{path} with {who} credentials: {answer.status_code}"
                assert answer.json()["detail"] == REFUSAL
                assert guarded.job_id not in answer.text and "only for the logged-in" not in answer.text
        # the outsider's cancel, over the API and over MCP, left the other user's job running
        assert guarded.service.runner.get(guarded.job_id).status == "running"
        assert not guarded.hold.release.is_set()
        # and with the right ones, the same doors open
        assert http.get(f"gradio_api/file={guarded.probe}", headers=basic(RIGHT)).text == "only for the logged-in"
        assert http.get("gradio_api/mcp/schema", headers=basic(RIGHT)).status_code == 200


def test_the_login_page_is_served_without_the_api_schema(guarded: Guarded) -> None:
    with httpx.Client(base_url=guarded.url, timeout=60) as http:
        outside = http.get("")
        inside = http.get("", headers=basic(RIGHT))
    assert outside.status_code == 200 and inside.status_code == 200
    schema = re.compile(r"window\.gradio_api_info = (.*?);</script>", re.DOTALL)
    found_outside, found_inside = schema.search(outside.text), schema.search(inside.text)
    assert found_outside and found_inside
    assert json.loads(found_outside.group(1)) == {"named_endpoints": {}, "unnamed_endpoints": {}}
    assert "/analyze" in json.loads(found_inside.group(1))["named_endpoints"]
    assert '"auth_required":true' in outside.text.replace(" ", "")
    assert "/analyze" not in outside.text and "job_status" not in outside.text


def test_programs_log_in_by_cookie_or_by_basic_credentials(guarded: Guarded) -> None:
    for client in (
        Client(guarded.url, auth=RIGHT, verbose=False),  # Gradio's login form, then its cookie
        Client(guarded.url, headers=basic(RIGHT), verbose=False),  # HTTP Basic on every request
    ):
        job = client.predict(guarded.job_id, api_name="/job_status")
        assert job["id"] == guarded.job_id and job["status"] == "running"
    with pytest.raises(Exception, match=r"401|Not authenticated|credentials"):
        Client(guarded.url, verbose=False)
    with httpx.Client(base_url=guarded.url, timeout=60) as http:
        refused = http.post("login", data={"username": RIGHT[0], "password": "guess"})
        assert refused.status_code == 400


def test_an_agent_with_credentials_uses_the_tools(guarded: Guarded) -> None:
    async def scenario() -> dict[str, object]:
        async with _mcp_session(guarded.url, basic(RIGHT)) as session:
            result = await session.call_tool("job_status", {"job_id": guarded.job_id})
            assert not result.isError
            return json.loads("".join(getattr(part, "text", "") for part in result.content))  # type: ignore[no-any-return]

    job = asyncio.run(scenario())
    assert job["id"] == guarded.job_id and job["status"] == "running"
    for who, credentials in WRONG.items():
        with pytest.raises(Exception) as refused:  # any error: the SDK wraps the 401 in a task group
            _mcp_tools(guarded.url, basic(credentials) if credentials else {})
        assert "401" in repr(refused.value.exceptions if hasattr(refused.value, "exceptions") else refused.value), who


def test_the_open_doors_give_nothing_away(guarded: Guarded) -> None:
    """What an outsider can still reach: no password box to save credentials in, no page size
    with the schema in it, no large login posts, and stale cookies never mask good credentials."""
    with httpx.Client(base_url=guarded.url, timeout=60) as http:
        refused = http.get("gradio_api/info")
        assert refused.status_code == 401 and "www-authenticate" not in refused.headers
        page = http.get("")
        head = http.head("")
        assert head.status_code == 200
        assert head.headers.get("content-length") in (None, str(len(page.content)))
        big = http.post("login", data={"username": RIGHT[0], "password": RIGHT[1]},
                        files={"junk": ("big.bin", b"0" * (1 << 20))})  # fmt: skip
        assert big.status_code == 413, big.text
        assert http.post("login", data={"username": RIGHT[0], "password": RIGHT[1]}).status_code == 200
        names = list(http.cookies)  # the two login cookies, named for this server
        assert any(name.startswith("access-token-") for name in names), names
        http.cookies.clear()
        stale = "; ".join(f"{name}=stale" for name in names)
        assert http.get("gradio_api/info", headers={"cookie": stale}).status_code == 401
        assert http.get("gradio_api/info", headers={**basic(RIGHT), "cookie": stale}).status_code == 200
