"""Files for agents: what the MCP tools take, and how they hand files out.

A tool's file input is a string, one of

- a reference this server handed out: ``upload:<token>/<name>`` (the ``upload`` tool),
  ``demo:demo.mp4`` (``demo_video``) or ``job:<job id>/<name>`` (a job's output, from
  ``job_result``);
- a URL of this server's own file route, ``http(s)://<this host>/gradio_api/file=<path>``, for a
  file the server keeps anyway: an upload, the demo video, a job's files, or a file sent to
  Gradio's ``/gradio_api/upload``.

Never a bare path on the server's disk, and never a fetch from another host. Every file handed
out is ``{"name", "file", "url", "size_bytes", "media_type"}``: ``file`` the reference, ``url``
what a client downloads it from.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import gradio as gr
from gradio import route_utils
from gradio.utils import get_upload_folder
from gradio_client.utils import encode_file_path

from studio.core import NAME_MAX, InputError, StudioError, one_line, write_bytes
from ui.service import OneLineError, StudioService

__all__ = ["MAX_UPLOAD_MB", "AgentFiles", "upload_folder"]

MAX_UPLOAD_MB = 200  # base64 inside one JSON-RPC message: larger files go through /gradio_api/upload
FILE_ROUTE = "/gradio_api/file="
_TOKEN = re.compile(r"[0-9a-f]{32}")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:]")


def upload_folder(service: StudioService) -> Path:
    """Where the ``upload`` tool keeps files (served by the file route: launch allows it)."""
    return service.runner.root / "uploads"


def _inside(path: Path, folder: Path) -> bool:
    return path.is_relative_to(folder.resolve())


class AgentFiles:
    """The files of one service as agents see them; ``max_bytes`` reads the server's
    upload limit when a call comes (``None``: no limit beyond :data:`MAX_UPLOAD_MB`)."""

    def __init__(self, service: StudioService, max_bytes: Callable[[], int | None], root_path: Callable[[], str]):
        self.service = service
        self.uploads = upload_folder(service)
        self.demo = service.settings.home / "demo"
        self._max_bytes = max_bytes
        self._root_path = root_path

    # -- in ---------------------------------------------------------------------------------
    def save_upload(self, name: str, content_base64: str) -> Path:
        """Decode and keep an upload under its own name; refuse what is not base64, empty or too big."""
        clean = _file_name(name)
        text = "".join(str(content_base64 or "").split())
        if text.startswith("data:") and "," in text:  # a data: URL, as some clients send files
            text = text.split(",", 1)[1]
        limit = min(self._max_bytes() or MAX_UPLOAD_MB * 2**20, MAX_UPLOAD_MB * 2**20)
        if len(text) // 4 * 3 - 2 > limit:
            size_mb = len(text) // 4 * 3 / 2**20
            raise InputError(f"{clean}: about {size_mb:.1f} MB; an upload may be {limit / 2**20:g} MB")
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InputError(f"{clean}: content_base64 is not base64 ({one_line(str(exc))})") from None
        if not data:
            raise InputError(f"{clean}: the upload is empty (0 bytes)")
        if len(data) > limit:
            raise InputError(f"{clean}: {len(data)} bytes; an upload may be {limit} bytes")
        self._forget_old_uploads()
        path = self.uploads / secrets.token_hex(16) / clean
        write_bytes(path, data)
        return path

    def resolve(self, value: str | None, what: str, request: gr.Request | None) -> Path:
        """The local file ``value`` names (a reference or a file URL of this server)."""
        text = str(value or "").strip()
        if not text:
            raise InputError(f"no {what} given: pass the 'file' of an upload or demo_video result, or a file URL")
        kind, sep, rest = text.partition(":")
        if sep and kind == "upload" and re.fullmatch(r"[0-9a-f]{32}/[^/]+", rest):
            return self._existing(self.uploads / rest, self.uploads, text)
        if sep and kind == "demo" and "/" not in rest:
            return self._existing(self.demo / rest, self.demo, text)
        if sep and kind == "job" and rest.count("/") == 1:
            job_id, name = rest.split("/")
            job = self.service.job(job_id)
            if name not in job.outputs.values():
                raise InputError(f"{text}: job {job_id} has no output named {name!r}")
            return self._existing(Path(job.folder) / name, self.service.runner.folders, text)
        if kind in ("http", "https") and text.startswith(("http://", "https://")):
            return self._from_url(text, request)
        raise InputError(
            f"expected the 'file' of an upload, demo_video or job_result (upload:…, demo:…, job:…) or a file URL "
            f"of this server, got {text[:200]!r}; files on the server's disk are not opened by path"
        )

    def _from_url(self, url: str, request: gr.Request | None) -> Path:
        parts = urlsplit(url)
        host = _request_host(request)
        if host is not None and parts.netloc.lower() != host.lower():
            raise InputError(f"{url[:200]}: a URL of another host; only files of this server ({host}) are opened")
        at = url.find(FILE_ROUTE)
        if at < 0:
            raise InputError(f"{url[:200]}: not a file URL of this server (expected …{FILE_ROUTE}<file>)")
        local = Path(unquote(url[at + len(FILE_ROUTE) :].split("?", 1)[0]))
        for folder in self._served():
            if local.is_absolute() and _inside(local.resolve(), folder):
                return self._existing(local, folder, url)
        raise InputError(f"{url[:200]}: not a file this server handed out (an upload, the demo, a job's files)")

    def _served(self) -> Iterable[Path]:
        return (self.uploads, self.demo, self.service.runner.folders, Path(get_upload_folder()))

    @staticmethod
    def _existing(path: Path, folder: Path, shown: str) -> Path:
        resolved = path.resolve()
        if not _inside(resolved, folder) or not resolved.is_file():
            raise InputError(f"{shown}: no such file on this server (uploads and jobs are kept for a while only)")
        return resolved

    @contextmanager
    def hiding(self, paths: dict[Path, str]) -> Iterator[None]:
        """Errors inside name each file as the caller did, never by its path on the server."""
        try:
            yield
        except StudioError as exc:
            message = one_line(str(exc))
            for path, shown in paths.items():
                message = message.replace(str(path), shown)
            raise OneLineError(message, print_exception=False) from None

    # -- out --------------------------------------------------------------------------------
    def describe(self, path: Path, request: gr.Request | None) -> dict[str, Any]:
        """A file as tools hand it out: its reference, its URL on this server, size and type."""
        return {
            "name": path.name,
            "file": self.reference(path),
            "url": f"{self.root_url(request)}{FILE_ROUTE}{encode_file_path(path)}",
            "size_bytes": path.stat().st_size,
            "media_type": mimetypes.guess_type(path.name)[0] or "application/octet-stream",
        }

    def reference(self, path: Path) -> str:
        resolved = path.resolve()
        for prefix, folder in (("upload", self.uploads), ("demo", self.demo), ("job", self.service.runner.folders)):
            if _inside(resolved, folder):
                return f"{prefix}:{resolved.relative_to(folder.resolve()).as_posix()}"
        raise InputError(f"{path.name}: not a file agents may be handed")  # a bug, not an input

    def root_url(self, request: gr.Request | None) -> str:
        """This server's URL as the caller reached it (proxies and --root-path included)."""
        raw = _http_request(request)
        if raw is None:
            return ""
        path = raw.url.path
        at = path.find("/gradio_api/")
        return route_utils.get_root_url(raw, path[at:] if at >= 0 else path, self._root_path() or None)

    def _forget_old_uploads(self) -> None:
        """Uploads live as long as finished jobs do (the job keeps its own copy)."""
        if not self.uploads.is_dir():
            return
        oldest = time.time() - self.service.settings.job_retention_s
        for folder in self.uploads.iterdir():
            if _TOKEN.fullmatch(folder.name) and folder.stat().st_mtime < oldest:
                shutil.rmtree(folder, ignore_errors=True)


def _file_name(name: str) -> str:
    """The user's file name, kept, without folders or characters a file system refuses."""
    base = str(name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    clean = _UNSAFE.sub("_", base)
    if clean in ("", ".", ".."):
        raise InputError(f"expected a file name such as clip.mp4, got {name!r}")
    while len(clean.encode()) > NAME_MAX:
        stem, dot, suffix = clean.rpartition(".")
        clean = f"{stem[:-1]}{dot}{suffix}" if dot and stem else clean[:-1]
    return clean


def _http_request(request: Any) -> Any:
    """The HTTP request behind a call: a ``gr.Request`` wraps it; Gradio's MCP server hands the
    tool its own (Starlette) request as it is."""
    raw = request.request if isinstance(request, gr.Request) else request
    return raw if hasattr(raw, "url") and hasattr(raw, "headers") else None


def _request_host(request: gr.Request | None) -> str | None:
    raw = _http_request(request)
    if raw is None:
        return None
    forwarded = raw.headers.get("x-forwarded-host")
    return str(forwarded.split(",")[0].strip() if forwarded else raw.headers.get("host", "")) or None
