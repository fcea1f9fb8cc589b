"""The ASGI application (Starlette): `create_app` builds it; no module-level state."""

from __future__ import annotations

import uuid

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from iamd.protocol import errors as wire_errors

from .api import Api, HttpRequest

XML = "text/xml"


def create_app(api: Api, *, max_body_bytes: int) -> Starlette:
    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def aws_api(request: Request) -> Response:
        request_id = str(uuid.uuid4())
        headers = {"x-amzn-requestid": request_id}
        body = await _read_body(request, max_body_bytes)
        if body is None:
            error = wire_errors.RequestEntityTooLarge(max_body_bytes)
            status, payload = wire_errors.render_error(error, "iam", request_id)
            return Response(payload, status, headers, media_type=XML)
        http = HttpRequest(
            method=request.method,
            path=request.scope.get("raw_path", b"/").decode("latin-1") or "/",
            query=request.scope.get("query_string", b"").decode("latin-1"),
            headers={k.decode("latin-1"): v.decode("latin-1")
                     for k, v in _joined(request.scope["headers"])},
            body=body,
            peer=request.client.host if request.client else "",
            scheme=request.url.scheme,
        )
        response = await run_in_threadpool(api.handle, http, request_id)
        return Response(response.body, response.status, headers, media_type=XML)

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/", aws_api, methods=["GET", "POST"]),
        ]
    )


def _joined(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Header names lower-cased; repeated headers joined with ',' (as SigV4 canonicalizes)."""
    merged: dict[bytes, bytes] = {}
    for name, value in raw:
        key = name.lower()
        merged[key] = merged[key] + b"," + value if key in merged else value
    return list(merged.items())


# An oversized body is read and dropped up to this many times the limit before the answer,
# so that the client sees the 413 rather than a connection reset mid-upload.
_DRAIN_FACTOR = 16


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is over ``limit`` bytes."""
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit * _DRAIN_FACTOR:
            return None
        if size <= limit:
            chunks.append(chunk)
    return b"".join(chunks) if size <= limit else None
