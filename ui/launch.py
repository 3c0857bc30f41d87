"""``studio serve``: the app on a host and port, with auth, a bounded queue and upload limits."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from studio.core import InputError, Settings
from ui.agent_files import upload_folder
from ui.agent_tools import serve_only_agent_tools
from ui.app import build_demo
from ui.auth_gate import AuthGate
from ui.page_assets import PAGE
from ui.service import StudioService

__all__ = ["ServeOptions", "launch", "parse_auth"]

AUTH_VARIABLE = "MEDIA_STUDIO_AUTH"  # USER:PASS, when --auth is not given


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int | None = 7860  # None: the first free port from 7860
    auth: tuple[str, str] | None = None
    root_path: str | None = None  # behind a reverse proxy: the public path prefix
    max_queue: int = 16  # jobs waiting (and Gradio requests waiting); more are answered "busy"
    max_upload_mb: int = 2048
    idle_unload_s: float | None = 600.0  # models unused this long leave memory
    mcp: bool = False
    workers: int = 2
    # Gradio keeps a copy of every component's config (~375 KB for this page) per session, for
    # the last 10,000 sessions by default and never drops one otherwise: every new
    # gradio_client.Client, and every API call with a fresh session hash, added one for good
    # (343 -> 892 MB over 288 jobs and 1,167 status calls). The least recently used go first,
    # and an open page polls, so it stays among the kept ones.
    max_sessions: int = 200


def parse_auth(text: str | None) -> tuple[str, str] | None:
    """``USER:PASS`` (from the flag or ``MEDIA_STUDIO_AUTH``) -> (user, password)."""
    text = text if text is not None else os.environ.get(AUTH_VARIABLE)
    if not text:
        return None
    user, sep, password = text.partition(":")
    if not sep or not user or not password:
        raise InputError(f"expected --auth USER:PASS (or {AUTH_VARIABLE}=USER:PASS), got a value without both parts")
    return user, password


def launch(
    options: ServeOptions, settings: Settings | None = None, *, service: StudioService | None = None, block: bool = True
) -> tuple[gr.Blocks, str]:
    """Start the app; with ``block`` serve until interrupted, then stop the job runner.
    Without ``block`` the caller stops it: ``demo.close(); demo.studio.close()``."""
    if options.mcp:
        try:
            import mcp  # noqa: F401
        except ImportError:
            raise InputError("--mcp needs the MCP extra: pip install 'media-studio[mcp]'") from None
    service = service or StudioService.create(
        settings, max_queued=options.max_queue, workers=options.workers, idle_unload_s=options.idle_unload_s
    )
    demo = build_demo(service=service)
    demo.queue(max_size=options.max_queue * 4, default_concurrency_limit=4)
    kwargs: dict[str, Any] = {}
    if options.mcp:
        kwargs["mcp_server"] = True
    if options.auth:  # Gradio's login page, and credentials at every door, MCP included
        kwargs["app_kwargs"] = {"middleware": [Middleware(AuthGate, credentials=options.auth)]}
    _, url, _ = demo.launch(
        server_name=options.host,
        server_port=options.port,
        auth=options.auth,
        root_path=options.root_path,
        max_file_size=f"{options.max_upload_mb}mb",
        state_session_capacity=options.max_sessions,
        allowed_paths=[str(service.runner.folders), str(service.settings.home / "demo"), str(upload_folder(service))],
        prevent_thread_lock=True,
        quiet=not block,
        show_error=True,
        footer_links=["api", "settings"],
        **PAGE,
        **kwargs,
    )
    serve_only_agent_tools(demo)  # with --mcp: the agent tools, not every page endpoint
    if block:
        try:
            demo.block_thread()
        finally:
            demo.close()
            service.close()
    return demo, url
