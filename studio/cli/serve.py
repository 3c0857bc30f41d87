"""``studio serve``: the composition root, the one place the studio reaches the UI.

:mod:`ui.launch` is imported inside :func:`cmd_serve`, never at module level, so the CLI (and
everything below it) runs without the UI extra installed; the import contract in
``pyproject.toml`` names this module as the one allowed exception.
"""

from __future__ import annotations

import argparse

from studio.core import InputError

__all__ = ["add_serve_command", "cmd_serve"]


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from ui.launch import ServeOptions, launch, parse_auth
    except ImportError as exc:
        raise InputError(
            f"studio serve needs the UI extra ({exc.name} is missing): pip install 'media-studio[ui]'"
        ) from None
    if not 0 < args.port < 65536:
        raise InputError(f"expected a port between 1 and 65535, got {args.port}")
    if args.max_queue < 1 or args.max_upload_mb < 1 or args.max_sessions < 1:
        raise InputError(
            "expected --max-queue, --max-upload-mb and --max-sessions >= 1, "
            f"got {args.max_queue}, {args.max_upload_mb} and {args.max_sessions}"
        )
    options = ServeOptions(
        host=args.host, port=args.port, auth=parse_auth(args.auth), root_path=args.root_path,
        max_queue=args.max_queue, max_upload_mb=args.max_upload_mb,
        idle_unload_s=args.idle_unload_seconds if args.idle_unload_seconds > 0 else None, mcp=args.mcp,
        max_sessions=args.max_sessions,
    )  # fmt: skip
    launch(options)
    return 0


def add_serve_command(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="the Gradio app and API: every run a durable job")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    serve.add_argument("--port", type=int, default=7860)
    serve.add_argument("--auth", help="USER:PASS for the page and the API (or set MEDIA_STUDIO_AUTH)")
    serve.add_argument("--root-path", help="public path prefix behind a reverse proxy, e.g. /studio")
    serve.add_argument("--max-queue", type=int, default=16, help="jobs that may wait; more are answered 'busy'")
    serve.add_argument("--max-upload-mb", type=int, default=2048, help="largest upload")
    serve.add_argument("--idle-unload-seconds", type=float, default=600.0,
                       help="unload models unused this long (0: never)")  # fmt: skip
    serve.add_argument("--max-sessions", type=int, default=200,
                       help="sessions whose page state the server keeps (least recent dropped)")  # fmt: skip
    serve.add_argument("--mcp", action="store_true", help="also serve the tools over MCP (needs the mcp extra)")
    serve.set_defaults(handler=cmd_serve)
