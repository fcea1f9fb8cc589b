"""uvicorn's httptools protocol, with the AWS API path answered in place.

uvicorn runs every request as an ASGI task: a Task, an Event, and receive/send messages, about
60 us of a GetUser's 300 on this machine. `ApiHttpProtocol` answers requests to the API path
(`ApiEndpoint.serves`) straight from the parser's callbacks, through the same `ApiEndpoint`
as the ASGI path. A request goes uvicorn's own way instead when

- it is not the API's, asks for ``100-continue``, or wants an upgrade;
- an earlier answer on the connection is still on uvicorn's path, or the client is not reading
  its answers (the transport's buffer is full): uvicorn queues it, which keeps pipelined answers
  in order and their memory bounded;
- it hashes a password: it runs on a thread pool (`ApiEndpoint.hashes_password`); it is
  handed to uvicorn when its body is complete.

This builds on `HttpToolsProtocol`'s internals (``url``, ``headers``, ``cycle``, ``pipeline``,
``flow``, ``on_response_complete``): uvicorn's version is pinned in pyproject.toml, and
tests/integration/test_http.py holds each case above against a live server.
"""

from __future__ import annotations

from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from .app import DRAIN_FACTOR, ApiAnswer, ApiEndpoint


class ApiHttpProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # uvicorn's app is iamd's IamdApp, unless uvicorn wrapped it (trace logging does).
        self._endpoint: ApiEndpoint | None = getattr(self.app, "api_endpoint", None)
        self._in_place = False
        self._refused = False
        self._chunks: list[bytes] = []
        self._size = 0
        self._target: Any = None  # the parsed URL of the request answered in place

    def on_headers_complete(self) -> None:
        target = self._in_place_target()
        if target is None:
            self._in_place = False
            super().on_headers_complete()
            return
        self._in_place, self._refused, self._target = True, False, target
        self._chunks, self._size = [], 0

    def _in_place_target(self) -> Any:
        endpoint = self._endpoint
        if (endpoint is None or self.transport.is_closing() or self.expect_100_continue
                or self.pipeline
                or (self.cycle is not None and not self.cycle.response_complete)
                or self.flow.write_paused or self.parser.should_upgrade()):
            return None
        target = httptools.parse_url(self.url)
        if not endpoint.serves(self.parser.get_method().decode("ascii"),
                               target.path.decode("latin-1")):
            return None
        return target

    def on_body(self, body: bytes) -> None:
        if not self._in_place:
            super().on_body(body)
            return
        assert self._endpoint is not None
        limit = self._endpoint.max_body_bytes
        self._size += len(body)
        if self._size <= limit:
            self._chunks.append(body)
        elif self._size > limit * DRAIN_FACTOR and not self._refused:
            self._refused = True  # answered now, and the connection closed
            self._write(self._endpoint.too_large(), keep_alive=False)

    def on_message_complete(self) -> None:
        if not self._in_place:
            super().on_message_complete()
            return
        self._in_place = False
        endpoint = self._endpoint
        assert endpoint is not None
        if self._refused:
            return
        keep_alive = self.parser.get_http_version() != "1.0" and self.parser.should_keep_alive()
        if self._size > endpoint.max_body_bytes:
            self._write(endpoint.too_large(), keep_alive)
            return
        body = b"".join(self._chunks)
        self._chunks = []
        query = self._target.query or b""
        if endpoint.hashes_password(query, body):
            self._hand_to_uvicorn(body)
            return
        method = self.parser.get_method().decode("ascii")
        request = endpoint.request(method, self._target.path, query, self.headers, body,
                                   self.client, self.scheme or "http")
        self._write(endpoint.answer(request), keep_alive)

    def _hand_to_uvicorn(self, body: bytes) -> None:
        """Replay the request's callbacks into uvicorn's path, now that its body is read."""
        super().on_headers_complete()
        if body:
            super().on_body(body)
        super().on_message_complete()

    def _write(self, answer: ApiAnswer, keep_alive: bool) -> None:
        head = [STATUS_LINE[answer.status]]
        for name, value in (*self.server_state.default_headers, *answer.headers):
            head += [name, b": ", value, b"\r\n"]
        if not keep_alive:
            head.append(b"connection: close\r\n")
        head.append(b"\r\n")
        self.transport.write(b"".join(head) + answer.body)
        if not keep_alive:
            self.transport.close()
        self.on_response_complete()
        assert self._endpoint is not None
        self._endpoint.answered(answer)
