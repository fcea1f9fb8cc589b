"""The ASGI application: `create_app` builds it; no module-level state.

The AWS API (``POST /``, and ``GET /`` for presigned URLs) is answered by a small ASGI
handler of its own: it is every request's path, and Starlette's routing and middleware
would cost more than the work behind it. Everything else (``/healthz``, sign-in, later the
console) is a Starlette application.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from iamd.protocol import errors as wire_errors

from .api import Api, HttpRequest
from .credentials_exchange import CredentialsExchange
from .logs import RequestLines
from .signin import SignInEndpoints

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# An oversized body is read and dropped up to this many times the limit before the answer,
# so that the client sees the 413 rather than a connection reset mid-upload.
_DRAIN_FACTOR = 16
_API_METHODS = {"GET", "POST"}
# Operations that hash a password (Argon2id: tens of milliseconds of CPU and 64 MiB) run on a
# small pool of threads of their own, so that the event loop keeps answering other requests
# meanwhile. Small: each thread keeps a database connection, and each hash its memory.
HASHING_THREADS = 2
_HASHING_ACTION = re.compile(
    rb"(?:^|&)Action=(?:CreateLoginProfile|UpdateLoginProfile|ChangePassword)(?:&|$)"
)


# The variant digit of a UUID (binary 10xx) from a random hex digit.
_UUID_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


class RequestIds:
    """Request ids as AWS makes them: random (version 4) UUIDs. The random bytes are read 256
    ids at a time: `uuid.uuid4()`'s system call and object cost ~10 us on a live request.
    For the event loop's thread only; a forked child starts with bytes of its own."""

    _BATCH = 256

    def __init__(self) -> None:
        self._random = b""
        self._at = 0
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._random, self._at = b"", 0

    def next(self) -> str:
        if self._at >= len(self._random):
            self._random, self._at = os.urandom(16 * self._BATCH), 0
        digits = self._random[self._at:self._at + 16].hex()
        self._at += 16
        return (f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{_UUID_VARIANT[digits[16]]}"
                f"{digits[17:20]}-{digits[20:]}")


def create_app(api: Api, *, max_body_bytes: int) -> AsgiApp:
    hashing = ThreadPoolExecutor(HASHING_THREADS, thread_name_prefix="iamd-hashing")

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    lines = api.request_lines()
    ids = RequestIds()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        lines.flush()

    signin = SignInEndpoints(api.env, api.authenticator, api.addresses, hashing)
    exchange = CredentialsExchange(api.env, api.authenticator)
    other = Starlette(routes=[Route("/healthz", healthz, methods=["GET"]), *signin.routes(),
                              *exchange.routes()], lifespan=lifespan)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/" and scope["method"] in _API_METHODS:
            await _aws_api(api, hashing, lines, ids.next(), max_body_bytes, scope, receive, send)
        else:
            await other(scope, receive, send)

    return app


async def _aws_api(
    api: Api, hashing: ThreadPoolExecutor, lines: RequestLines, request_id: str, limit: int,
    scope: Scope, receive: Receive, send: Send,
) -> None:
    body = await _read_body(receive, limit)
    response = None
    if body is None:
        error = wire_errors.RequestEntityTooLarge(limit)
        status, payload = wire_errors.render_error(error, "iam", request_id)
    else:
        client = scope.get("client")
        query = scope.get("query_string", b"")
        request = HttpRequest(
            method=scope["method"],
            path=scope.get("raw_path", b"/").decode("latin-1") or "/",
            query=query.decode("latin-1"),
            headers=_headers(scope["headers"]),
            body=body,
            peer=client[0] if client else "",
            scheme=scope.get("scheme", "http"),
        )
        if _HASHING_ACTION.search(body) or _HASHING_ACTION.search(query):
            loop = asyncio.get_running_loop()
            response = await loop.run_in_executor(hashing, api.handle, request, request_id)
        else:
            response = api.handle(request, request_id)
        status, payload = response.status, response.body
    try:
        await send({
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/xml"),
                (b"content-length", str(len(payload)).encode()),
                (b"x-amzn-requestid", request_id.encode()),
            ],
        })
        await send({"type": "http.response.body", "body": payload})
    finally:
        if response is not None:  # after the answer: the client does not wait for it
            lines.add(response.log_fields)


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Header names lower-cased; repeated headers joined with ',' (as SigV4 canonicalizes)."""
    merged: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        merged[key] = f"{merged[key]},{text}" if key in merged else text
    return merged


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The body, or None when it is over ``limit`` bytes."""
    chunks = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        more = message.get("more_body", False)
        size += len(chunk)
        if size > limit * _DRAIN_FACTOR:
            return None
        if size <= limit:
            chunks.append(chunk)
    return b"".join(chunks) if size <= limit else None
