"""A console session exchanged for temporary credentials (JSON), for `iamd login`.

``POST /session/credentials``  ``Authorization: Bearer <session token>`` (never the cookie:
                               a cross-site page cannot send the header), optional body
                               {"durationSeconds": N}
                               -> 200 {"accessKeyId", "secretAccessKey", "sessionToken",
                               "expiration"} (``Cache-Control: no-store``): GetSessionToken's
                               credentials for the session's principal, with its MFA state
                               (`iamd.service.console_credentials`).

Errors as the sign-in endpoints give them, ``{"error": {"code", "message"}}``: 400 (malformed
body, DurationSeconds out of range), 401 (no bearer token, invalid session), 403 (a session
that may only change its password).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from iamd.service import signin
from iamd.service.authn import Authenticator
from iamd.service.console_credentials import exchange_console_session
from iamd.service.context import Env

from .api import bearer_token
from .signin import RequestRefused, json_body, json_endpoint

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class CredentialsExchange:
    """The route that turns a console session into temporary credentials."""

    def __init__(self, env: Env, authenticator: Authenticator) -> None:
        self._env = env
        self._authn = authenticator

    def routes(self) -> list[Route]:
        exchange = json_endpoint(self._answer, log_message="credentials", clears_cookie=False)
        return [Route("/session/credentials", exchange, methods=["POST"])]

    async def _answer(self, request: Request, outcome: dict[str, object]) -> Response:
        token = bearer_token({"authorization": request.headers.get("authorization", "")})
        if not token:
            raise signin.InvalidSession(
                "Send the session token as Authorization: Bearer <token>."
            )
        outcome["session_id"] = signin.session_id_of(token) or "-"
        duration = await _duration(request)
        credential = self._authn.session(token)
        issued = exchange_console_session(self._env, credential.session, duration)
        outcome["access_key_id"] = issued.access_key_id
        return JSONResponse(
            {
                "accessKeyId": issued.access_key_id,
                "secretAccessKey": issued.secret_access_key,
                "sessionToken": issued.session_token,
                "expiration": issued.expiration.strftime(_TIME_FORMAT),
            },
            headers={"cache-control": "no-store"},
        )


async def _duration(request: Request) -> int | None:
    """The requested duration, if the request has a (JSON) body that gives one."""
    if "content-type" not in request.headers:
        return None
    body: dict[str, Any] = await json_body(request)
    value = body.get("durationSeconds")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestRefused(400, "InvalidRequest", "durationSeconds must be an integer.")
    return value
