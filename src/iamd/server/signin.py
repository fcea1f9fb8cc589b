"""The sign-in endpoints (JSON), for the console and for scripts.

``POST /signin``             {"account", "userName", "password", "mfaCode"?} (an IAM user) or
                             {"email", "password", "mfaCode"?} (the root user)
                             -> 200 {"accountId", "userName", "arn", "mfaAuthenticated",
                             "passwordChangeRequired", "issued", "expires", "token"} and the
                             cookie ``iamd-session`` (HttpOnly, SameSite=Strict, Path=/;
                             Secure over https).
``GET /session``             -> 200 the same facts, without the token.
``POST /signout``            -> 200 {"signedOut": true}; the session is revoked.
``POST /session/password``   {"oldPassword", "newPassword"} -> 200 {"passwordChangeRequired":
                             false}: ChangePassword for the session's user, which lifts a
                             password-change-only session.

The session token comes from ``Authorization: Bearer <token>`` or from the cookie. A POST
authenticated by the cookie must carry ``X-Iamd-Csrf: 1``, and JSON bodies must be sent as
``Content-Type: application/json``: a cross-site form can do neither. Errors are
``{"error": {"code", "message"}}`` with 400 (malformed request), 401 (sign-in failed, MFA code
required, invalid session), 403 (password expired under HardExpiry, CSRF header missing,
not allowed), 429 (locked out; ``Retry-After``).

Argon2 work runs on the app's hashing threads, never on the event loop; the slow-down after
failures is awaited (`asyncio.sleep`), so it holds no thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from iamd.domain import errors
from iamd.service import signin
from iamd.service.authn import Authenticator, SessionCredential
from iamd.service.context import Call, Env, RequestInfo

from .api import ClientAddress, bearer_token

log = logging.getLogger("iamd.signin")

COOKIE = "iamd-session"
CSRF_HEADER = "x-iamd-csrf"
MAX_BODY_BYTES = 16_384
_STATUS: dict[type[signin.SignInError], int] = {
    signin.InvalidSignInRequest: 400,
    signin.SignInFailed: 401,
    signin.MfaCodeRequired: 401,
    signin.InvalidSession: 401,
    signin.PasswordExpired: 403,
    signin.TooManyAttempts: 429,
}
T = TypeVar("T")


class RequestRefused(Exception):
    """A request refused before any sign-in work: malformed, or missing its CSRF header."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    from_cookie: bool


def json_endpoint(
    answer: Callable[[Request, dict[str, object]], Any], *, log_message: str,
    clears_cookie: bool,
) -> Callable[[Request], Any]:
    """Wrap a JSON handler: every failure an error document, one log line per request
    (never a password or token), and the slow-down of a failed sign-in awaited.
    ``clears_cookie``: an invalid session also clears the session cookie."""

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        outcome: dict[str, object] = {"request_id": str(uuid.uuid4()),
                                      "path": request.url.path}
        delay = 0.0
        try:
            response: Response = await answer(request, outcome)
        except signin.SignInError as error:
            delay = error.delay
            response = error_response(_STATUS.get(type(error), 400), error.code, error.message)
            if isinstance(error, signin.TooManyAttempts):
                response.headers["retry-after"] = str(error.retry_after)
            if clears_cookie and isinstance(error, signin.InvalidSession):
                response.delete_cookie(COOKIE, path="/")
        except RequestRefused as error:
            response = error_response(error.status, error.code, error.message)
        except errors.IamError as error:
            status = 403 if isinstance(error, errors.AccessDenied) else 400
            response = error_response(status, error.code, error.message)
        except Exception:
            log.exception("unexpected failure",
                          extra={"fields": {"request_id": outcome["request_id"]}})
            response = error_response(
                500, "ServiceFailure",
                f"An internal error occurred (request {outcome['request_id']}).",
            )
        outcome["status"] = response.status_code
        outcome["ms"] = round((time.perf_counter() - started) * 1000, 2)
        outcome["delay_ms"] = round(delay * 1000)
        response.headers["x-iamd-request-id"] = str(outcome["request_id"])
        log.info(log_message, extra={"fields": outcome})
        if delay:
            await asyncio.sleep(delay)
        return response

    return endpoint


class SignInEndpoints:
    """The routes of sign-in, on the services of one server process."""

    def __init__(
        self, env: Env, authenticator: Authenticator, addresses: ClientAddress,
        hashing: Executor,
    ) -> None:
        self._env = env
        self._authn = authenticator
        self._addresses = addresses
        self._hashing = hashing

    def routes(self) -> list[Route]:
        return [
            Route("/signin", self._endpoint(self._sign_in), methods=["POST"]),
            Route("/session", self._endpoint(self._session), methods=["GET"]),
            Route("/signout", self._endpoint(self._sign_out), methods=["POST"]),
            Route("/session/password", self._endpoint(self._change_password), methods=["POST"]),
        ]

    def _endpoint(
        self, answer: Callable[[Request, dict[str, object]], Any]
    ) -> Callable[[Request], Any]:
        return json_endpoint(answer, log_message="signin", clears_cookie=True)

    # -- endpoints -------------------------------------------------------------------------
    async def _sign_in(self, request: Request, outcome: dict[str, object]) -> Response:
        body = await json_body(request)
        email = _optional_text(body, "email")
        account, user_name = _optional_text(body, "account"), _optional_text(body, "userName")
        outcome["principal"] = email or f"{account}/{user_name}"
        password = _text(body, "password")
        mfa_code = _optional_text(body, "mfaCode")
        info = self._request_info(request)
        try:
            signed = await self._off_loop(partial(
                signin.sign_in, self._env, info, password=password, mfa_code=mfa_code,
                account=account, user_name=user_name, email=email,
            ))
        except signin.SignInError as error:
            outcome["outcome"] = error.code
            raise
        outcome["outcome"] = "SignedIn"
        outcome["session_id"] = signed.session.session_id
        response = JSONResponse({**_facts(signed.session), "token": signed.token})
        _set_cookie(response, signed.token, signed.session.expires, info.now,
                    secure=info.secure_transport)
        return response

    async def _session(self, request: Request, outcome: dict[str, object]) -> Response:
        token = self._token(request, outcome, state_changing=False)
        # Short database work runs on the event loop, as the API path's does.
        return JSONResponse(_facts(signin.describe_session(self._env, token.value)))

    async def _sign_out(self, request: Request, outcome: dict[str, object]) -> Response:
        token = self._token(request, outcome, state_changing=True)
        signin.sign_out(self._env, token.value)
        response = JSONResponse({"signedOut": True})
        response.delete_cookie(COOKIE, path="/")
        return response

    async def _change_password(self, request: Request, outcome: dict[str, object]) -> Response:
        token = self._token(request, outcome, state_changing=True)
        body = await json_body(request)
        old, new = _text(body, "oldPassword"), _text(body, "newPassword")
        info = self._request_info(request)
        await self._off_loop(partial(self._change, token.value, info, old, new))
        return JSONResponse({"passwordChangeRequired": False})

    def _change(self, token: str, info: RequestInfo, old: str, new: str) -> None:
        credential: SessionCredential = self._authn.session(token)
        call = Call(credential.caller, info)
        signin.change_password_in_session(self._env, call, credential.session, old, new)

    # -- helpers ---------------------------------------------------------------------------
    async def _off_loop(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._hashing, work)

    def _request_info(self, request: Request) -> RequestInfo:
        peer = request.client.host if request.client else ""
        headers = _proxy_headers(request)
        return RequestInfo(
            now=self._env.clock.now().replace(microsecond=0),
            source_ip=self._addresses.source_ip(peer, headers),
            secure_transport=self._addresses.secure(peer, request.url.scheme, headers),
            user_agent=request.headers.get("user-agent", ""),
        )

    def _token(self, request: Request, outcome: dict[str, object], *,
               state_changing: bool) -> _Token:
        bearer = bearer_token({"authorization": request.headers.get("authorization", "")})
        if bearer is not None:
            token = _Token(bearer, from_cookie=False)
        else:
            token = _Token(request.cookies.get(COOKIE, ""), from_cookie=True)
        if not token.value:
            raise signin.InvalidSession("Sign in first: no session token was given.")
        outcome["session_id"] = signin.session_id_of(token.value) or "-"
        if state_changing and token.from_cookie and request.headers.get(CSRF_HEADER) != "1":
            raise RequestRefused(
                403, "CsrfHeaderMissing",
                f"A request authenticated by the {COOKIE} cookie must carry the header "
                "X-Iamd-Csrf: 1.",
            )
        return token


def _proxy_headers(request: Request) -> Mapping[str, str]:
    """The forwarding headers, repeated ones joined as the API path joins them."""
    return {name: ",".join(request.headers.getlist(name))
            for name in ("x-forwarded-for", "x-forwarded-proto") if name in request.headers}


def _set_cookie(
    response: Response, token: str, expires: datetime, now: datetime, *, secure: bool
) -> None:
    max_age = max(int((expires - now).total_seconds()), 0)
    cookie = f"{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}"
    if secure:
        cookie += "; Secure"
    response.raw_headers.append((b"set-cookie", cookie.encode("latin-1")))


def _facts(view: signin.SessionView) -> dict[str, object]:
    return {
        "accountId": view.account_id,
        "userName": view.user_name,
        "arn": view.arn,
        "mfaAuthenticated": view.mfa_authenticated is not None,
        "passwordChangeRequired": view.password_change_only,
        "issued": _iso(view.created),
        "expires": _iso(view.expires),
    }


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def json_body(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise RequestRefused(400, "InvalidRequest",
                             "Send the body as JSON, with Content-Type: application/json.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise RequestRefused(400, "InvalidRequest",
                                 f"The body is larger than {MAX_BODY_BYTES} bytes.")
        chunks.append(chunk)
    try:
        body = json.loads(b"".join(chunks))
    except (ValueError, RecursionError):
        raise RequestRefused(400, "InvalidRequest", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise RequestRefused(400, "InvalidRequest", "The body must be a JSON object.")
    return body


def _optional_text(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RequestRefused(400, "InvalidRequest", f"{name} must be a string.")
    return value


def _text(body: Mapping[str, Any], name: str) -> str:
    value = _optional_text(body, name)
    if value is None:
        raise RequestRefused(400, "InvalidRequest", f"{name} is required.")
    return value
