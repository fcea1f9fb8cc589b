"""The ASGI application: `create_app` builds it; no module-level state.

The AWS API (``POST /``, and ``GET /`` for presigned URLs) is answered by `ApiEndpoint`, not
by Starlette: it is every request's path, and Starlette's routing and middleware would cost
more than the work behind it. `iamd.server.http.ApiHttpProtocol` answers most API requests
straight from the HTTP parser, through the same endpoint; the rest come here as ASGI.
Everything else (``/healthz``, sign-in, later the console) is a Starlette application.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
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
DRAIN_FACTOR = 16
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


@dataclass(frozen=True, slots=True)
class ApiAnswer:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    log_fields: Mapping[str, object] | None  # None: nothing to log (the request was refused)


class ApiEndpoint:
    """The AWS API path: `serves` says which requests are its own, `answer` answers one whose
    body was read whole, `answered` takes note once the answer is on its way."""

    def __init__(self, api: Api, hashing: ThreadPoolExecutor, lines: RequestLines,
                 max_body_bytes: int) -> None:
        self._api = api
        self._hashing = hashing
        self._lines = lines
        self._ids = RequestIds()
        self.max_body_bytes = max_body_bytes

    @staticmethod
    def serves(method: str, path: str) -> bool:
        return path == "/" and method in _API_METHODS

    @staticmethod
    def hashes_password(query: bytes, body: bytes) -> bool:
        """Whether the request may take tens of milliseconds (`HASHING_THREADS`)."""
        return bool(_HASHING_ACTION.search(body) or _HASHING_ACTION.search(query))

    @staticmethod
    def request(method: str, raw_path: bytes, query: bytes,
                headers: list[tuple[bytes, bytes]], body: bytes,
                client: tuple[str, int] | None, scheme: str) -> HttpRequest:
        return HttpRequest(
            method=method,
            path=raw_path.decode("latin-1") or "/",
            query=query.decode("latin-1"),
            headers=_headers(headers),
            body=body,
            peer=client[0] if client else "",
            scheme=scheme,
        )

    def answer(self, request: HttpRequest) -> ApiAnswer:
        """Answer on the calling thread (the event loop's, unless `hashes_password`)."""
        request_id = self._ids.next()
        response = self._api.handle(request, request_id)
        return _answer(response.status, response.body, request_id, response.log_fields)

    def too_large(self) -> ApiAnswer:
        request_id = self._ids.next()
        error = wire_errors.RequestEntityTooLarge(self.max_body_bytes)
        status, body = wire_errors.render_error(error, "iam", request_id)
        return _answer(status, body, request_id, None)

    def answered(self, answer: ApiAnswer) -> None:
        """After the answer is written: the client does not wait for its log line."""
        if answer.log_fields is not None:
            self._lines.add(answer.log_fields)

    async def asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _read_body(receive, self.max_body_bytes)
        if body is None:
            answer = self.too_large()
        else:
            query = scope.get("query_string", b"")
            request = self.request(scope["method"], scope.get("raw_path", b"/"), query,
                                   scope["headers"], body, scope.get("client"),
                                   scope.get("scheme", "http"))
            if self.hashes_password(query, body):
                loop = asyncio.get_running_loop()
                answer = await loop.run_in_executor(self._hashing, self.answer, request)
            else:
                answer = self.answer(request)
        try:
            await send({"type": "http.response.start", "status": answer.status,
                        "headers": list(answer.headers)})
            await send({"type": "http.response.body", "body": answer.body})
        finally:
            self.answered(answer)


def _answer(status: int, body: bytes, request_id: str,
            log_fields: Mapping[str, object] | None) -> ApiAnswer:
    headers = (
        (b"content-type", b"text/xml"),
        (b"content-length", str(len(body)).encode()),
        (b"x-amzn-requestid", request_id.encode()),
    )
    return ApiAnswer(status, headers, body, log_fields)


class IamdApp:
    """The ASGI application of ``iamd serve``; `api_endpoint` is for `ApiHttpProtocol`."""

    def __init__(self, api_endpoint: ApiEndpoint, other: AsgiApp) -> None:
        self.api_endpoint = api_endpoint
        self._other = other

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.api_endpoint.serves(scope["method"], scope["path"]):
            await self.api_endpoint.asgi(scope, receive, send)
        else:
            await self._other(scope, receive, send)


def create_app(api: Api, *, max_body_bytes: int) -> IamdApp:
    hashing = ThreadPoolExecutor(HASHING_THREADS, thread_name_prefix="iamd-hashing")

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    lines = api.request_lines()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        lines.flush()

    signin = SignInEndpoints(api.env, api.authenticator, api.addresses, hashing)
    exchange = CredentialsExchange(api.env, api.authenticator)
    other = Starlette(routes=[Route("/healthz", healthz, methods=["GET"]), *signin.routes(),
                              *exchange.routes()], lifespan=lifespan)
    return IamdApp(ApiEndpoint(api, hashing, lines, max_body_bytes), other)


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
        if size > limit * DRAIN_FACTOR:
            return None
        if size <= limit:
            chunks.append(chunk)
    return b"".join(chunks) if size <= limit else None
