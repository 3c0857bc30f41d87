"""Credentials at every door of an ``--auth`` server.

Gradio's own ``auth=`` guards the page's routes but not its MCP server, and the page it serves
before login embeds the whole API schema. :class:`AuthGate` is an ASGI middleware in front of
every route: a request passes with Gradio's login cookie or HTTP Basic credentials (what an
agent or a script sends: ``Authorization: Basic base64(USER:PASS)``); without either only the
login page and its static assets answer, and the login page's copy of the API schema is emptied.
Everything else, the API, ``/gradio_api/info``, the file and upload routes, the queue and every
MCP tool, answers 401.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["OPEN_PATHS", "OPEN_PREFIXES", "AuthGate"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PAGE_PATHS = frozenset({"/", ""})  # the page, which without credentials is Gradio's login form
LOGIN_PATHS = frozenset({"/login", "/login/"})
MAX_LOGIN_BYTES = 16 * 1024  # Gradio parses the login post as a whole form, files and all
# what the login form needs before anyone has logged in: the form's post and static files
# (and the startup probe Gradio sends itself while it launches: it answers only true or false)
OPEN_PATHS = PAGE_PATHS | {
    "/login",
    "/login/",
    "/favicon.ico",
    "/theme.css",
    "/gradio_api/theme.css",
    "/manifest.json",
    "/gradio_api/startup-events",
}
OPEN_PREFIXES = ("/assets/", "/static/", "/svelte/", "/gradio_api/static/", "/gradio_api/assets/")
REFUSAL = "this server needs credentials: log in on the page, or send HTTP Basic credentials (USER:PASS from --auth)"
_SCHEMA = re.compile(rb"(window\.gradio_api_info = ).*?(;</script>)", re.DOTALL)
_EMPTY_SCHEMA = json.dumps({"named_endpoints": {}, "unnamed_endpoints": {}}).encode()


class AuthGate:
    """ASGI middleware: ``credentials`` (user, password) or Gradio's login cookie on every route
    but the login page. Added through ``demo.launch(app_kwargs={"middleware": [...]})``, so it
    runs inside Gradio's app and reads the cookie tokens Gradio's ``/login`` hands out."""

    def __init__(self, app: ASGIApp, credentials: tuple[str, str]) -> None:
        self.app = app
        self.user = credentials[0].encode()
        self.password = credentials[1].encode()
        self._token: str | None = None  # Gradio's login token standing for Basic credentials

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        gradio_app = scope.get("app")
        headers = _headers(scope)
        token = self._cookie_token(gradio_app, headers)
        if token is None and self._has_basic(headers):
            token = self._basic_token(gradio_app)
        if token is not None:
            await self.app(_with_token(scope, headers, gradio_app, token), receive, send)
            return
        path = _route_path(scope)
        if scope["type"] == "http" and (path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)):
            if path in LOGIN_PATHS and not _small_body(headers):
                await _refuse(scope, send, 413, f"a login form is at most {MAX_LOGIN_BYTES:,} bytes")
                return
            forward = _without_schema(send, scope.get("method") == "HEAD") if path in PAGE_PATHS else send
            await self.app(scope, receive, forward)
            return
        await _refuse(scope, send)

    def _cookie_token(self, gradio_app: Any, headers: dict[str, str]) -> str | None:
        """The login token of a cookie Gradio handed out, if the request carries a live one."""
        tokens: dict[str, str] = getattr(gradio_app, "tokens", {}) or {}
        cookie_id = getattr(gradio_app, "cookie_id", None)
        if not tokens or cookie_id is None:
            return None
        cookies = _cookies(headers.get("cookie", ""))
        for name in (f"access-token-{cookie_id}", f"access-token-unsecure-{cookie_id}"):
            token = cookies.get(name)
            if token is not None and token in tokens:
                return token
        return None

    def _has_basic(self, headers: dict[str, str]) -> bool:
        scheme, _, encoded = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, sep, password = base64.b64decode(encoded.strip(), validate=True).partition(b":")
        except (binascii.Error, ValueError):
            return False
        same_user = hmac.compare_digest(user, self.user)
        same_password = hmac.compare_digest(password, self.password)
        return bool(sep) and same_user and same_password

    def _basic_token(self, gradio_app: Any) -> str | None:
        """A Gradio login token standing for the Basic credentials, made once per server."""
        tokens = getattr(gradio_app, "tokens", None)
        if tokens is None:
            return None
        if self._token is None or self._token not in tokens:
            self._token = secrets.token_urlsafe(24)
            tokens[self._token] = self.user.decode()
        return self._token


def _with_token(scope: Scope, headers: dict[str, str], gradio_app: Any, token: str | None) -> Scope:
    """The request with Gradio's login cookies set to ``token`` (and no stale ones beside it),
    so Gradio's own checks (the queue, the file route) see the user the gate let in."""
    cookie_id = getattr(gradio_app, "cookie_id", None)
    if token is None or cookie_id is None:
        return scope
    ours = (f"access-token-{cookie_id}", f"access-token-unsecure-{cookie_id}")
    kept = [
        part.strip()
        for part in headers.get("cookie", "").split(";")
        if part.strip() and part.strip().partition("=")[0] not in ours
    ]
    cookie = "; ".join([*kept, *(f"{name}={token}" for name in ours)])
    raw = [(name, value) for name, value in scope.get("headers", []) if name.lower() != b"cookie"]
    return {**scope, "headers": [*raw, (b"cookie", cookie.encode("latin-1"))]}


def _small_body(headers: dict[str, str]) -> bool:
    """A login post of a known, small size (its form is two short fields)."""
    length = headers.get("content-length", "")
    return length.isdigit() and int(length) <= MAX_LOGIN_BYTES


def _headers(scope: Scope) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        found[key] = f"{found[key]}; {text}" if key == "cookie" and key in found else found.get(key, text)
    return found


def _cookies(header: str) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name not in cookies:
            cookies[name] = value
    return cookies


def _route_path(scope: Scope) -> str:
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path


def _without_schema(send: Send, head: bool = False) -> Send:
    """``send`` for the login page: the page arrives whole, its embedded API schema emptied
    (for a HEAD request, without the length of the page that has it)."""
    start: Message | None = None
    body = bytearray()

    async def forward(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if message["type"] != "http.response.body" or start is None:
            await send(message)
            return
        if head:
            await send({**start, "headers": _without_length(start)})
            await send(message)
            start = None
            return
        body.extend(message.get("body", b""))
        if message.get("more_body", False):
            return
        page = _SCHEMA.sub(lambda found: found.group(1) + _EMPTY_SCHEMA + found.group(2), bytes(body))
        await send({**start, "headers": [*_without_length(start), (b"content-length", str(len(page)).encode())]})
        await send({"type": "http.response.body", "body": page, "more_body": False})

    return forward


def _without_length(start: Message) -> list[tuple[bytes, bytes]]:
    return [(name, value) for name, value in start.get("headers", []) if name.lower() != b"content-length"]


async def _refuse(scope: Scope, send: Send, status: int = 401, detail: str = REFUSAL) -> None:
    """401 without a ``WWW-Authenticate`` challenge: a browser then never pops its own password
    box, so it never keeps Basic credentials that other sites' requests would carry along."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": "not authenticated"})
        return
    body = json.dumps({"error": "Not authenticated" if status == 401 else "Refused", "detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
