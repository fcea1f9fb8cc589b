"""POST / (and presigned GET): SigV4 -> authenticate -> parse -> operation -> serialize.

A console session (`iamd.service.signin`) may call the IAM API too, with
``Authorization: Bearer <token>`` instead of a SigV4 signature: the token is checked, and the
request goes through the same pipeline with the session's caller (its MFA state included).
The session is never read from a cookie here, so a cross-site form cannot use it.

Synchronous on purpose: it runs on the event loop (each step is short; a thread pool handoff
cost more than the request), and ``iamd serve --workers N`` runs processes side by side.
Every failure becomes an AWS error response through `iamd.protocol.errors`; anything
unexpected is logged with the request id and answered as a 500 ServiceFailure that reveals
nothing.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NoReturn
from urllib.parse import parse_qsl

from iamd.domain import errors
from iamd.protocol import errors as wire_errors
from iamd.protocol import sigv4
from iamd.protocol.operations import handler
from iamd.protocol.parse import ParsedCall, parse_query
from iamd.protocol.serialize import serialize_result
from iamd.service.authn import Authenticator
from iamd.service.context import Call, Caller, Env, RequestInfo
from iamd.service.service_principals import check_service_call
from iamd.service.signin import (
    InvalidSession,
    check_password_change_only,
    password_changed,
    session_id_of,
)
from iamd.service.sts.sessions import check_session_call

from .logs import RequestLines

log = logging.getLogger("iamd.request")

# Verified against when the key id is unknown, so both failures take the same path and time.
_DUMMY_SECRET = "iamd-unknown-key-dummy-secret-0000000000"
_SERVICES = ("iam", "sts")
_BEARER = "bearer "


@dataclass(frozen=True, slots=True)
class ApiConfig:
    max_body_bytes: int = 1_048_576
    clock_skew: timedelta = timedelta(minutes=15)
    trusted_proxies: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    path: str
    query: str
    headers: Mapping[str, str]  # lower-cased names
    body: bytes
    peer: str
    scheme: str


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes
    log_fields: Mapping[str, object] = field(default_factory=dict)  # see Api.request_lines


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if the request has one."""
    value = headers.get("authorization", "")
    if value[: len(_BEARER)].lower() != _BEARER:
        return None
    return value[len(_BEARER):].strip()


class ClientAddress:
    """Where a request comes from: the socket peer, unless it is a trusted proxy."""

    def __init__(self, trusted_proxies: Sequence[str]) -> None:
        self._proxies = [ipaddress.ip_network(proxy, strict=False) for proxy in trusted_proxies]

    def _from_trusted_proxy(self, peer: str) -> bool:
        if not self._proxies:
            return False
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self._proxies)

    def source_ip(self, peer: str, headers: Mapping[str, str]) -> str:
        """The socket peer, unless it is a trusted proxy: then the last untrusted hop."""
        if not self._from_trusted_proxy(peer):
            return peer
        hops = [hop.strip() for hop in headers.get("x-forwarded-for", "").split(",")]
        for hop in reversed([hop for hop in hops if hop]):
            if not self._from_trusted_proxy(hop):
                return hop
        return peer

    def secure(self, peer: str, scheme: str, headers: Mapping[str, str]) -> bool:
        if self._from_trusted_proxy(peer):
            return headers.get("x-forwarded-proto", scheme) == "https"
        return scheme == "https"


class Api:
    def __init__(self, env: Env, authenticator: Authenticator, config: ApiConfig) -> None:
        self._env = env
        self._authn = authenticator
        self._config = config
        self.addresses = ClientAddress(config.trusted_proxies)

    @property
    def env(self) -> Env:
        return self._env

    @property
    def authenticator(self) -> Authenticator:
        return self._authn

    def handle(self, request: HttpRequest, request_id: str) -> HttpResponse:
        """Answer one request. Its log line (`HttpResponse.log_fields`) is given to
        `request_lines` once the answer is on its way: the client need not wait for it."""
        started = time.perf_counter()
        outcome: dict[str, object] = {"request_id": request_id, "method": request.method}
        service = "iam"
        try:
            token = bearer_token(request.headers)
            if token is not None:
                body = self._answer_session(request, request_id, token, outcome)
            else:
                signed = sigv4.read_signature(
                    request.method, request.path, request.query, request.headers, request.body
                )
                # A request signed for another service's scope is refused by `verify`.
                service = signed.service if signed.service in _SERVICES else "iam"
                body = self._answer(request, request_id, signed, service, outcome)
            status = 200
        except errors.IamError as error:
            outcome["error"] = error.code
            status, body = wire_errors.render_error(error, service, request_id)
        except Exception:
            log.exception("unexpected failure", extra={"fields": {"request_id": request_id}})
            outcome["error"] = "ServiceFailure"
            status, body = wire_errors.render_unexpected(service, request_id)
        outcome["status"] = status
        outcome["ms"] = round((time.perf_counter() - started) * 1000, 2)
        return HttpResponse(status, body, outcome)

    @staticmethod
    def request_lines() -> RequestLines:
        """Where the requests' log lines (never a secret: `HttpResponse.log_fields`) go."""
        return RequestLines(log)

    def _answer(
        self, request: HttpRequest, request_id: str, signed: sigv4.SignedRequest, service: str,
        outcome: dict[str, object],
    ) -> bytes:
        outcome["access_key_id"] = signed.access_key_id
        now = self._env.clock.now()
        if signed.security_token is not None:  # temporary credentials (STS)
            credential = self._authn.temporary(signed.access_key_id, signed.security_token)
        else:
            found = self._authn.credential(signed.access_key_id)
            if found is None:
                self._refuse_unknown_key(signed, now)
            credential = found
        sigv4.verify(signed, credential.secret_access_key, now, expected_service=service,
                     max_skew=self._config.clock_skew)
        call = parse_query(service, self._pairs(request))
        result = self._perform(request, service, call, credential.caller, now, signed.region,
                               outcome)
        self._authn.record_use(credential, now, service, signed.region)
        return serialize_result(service, call.operation, result, request_id)

    def _answer_session(
        self, request: HttpRequest, request_id: str, token: str, outcome: dict[str, object]
    ) -> bytes:
        """A console session's IAM call (``Authorization: Bearer``): no SigV4."""
        outcome["session_id"] = session_id_of(token) or "-"
        now = self._env.clock.now()
        try:
            credential = self._authn.session(token)
        except InvalidSession:
            raise errors.InvalidClientTokenId(
                "The security token included in the request is invalid."
            ) from None
        call = parse_query("iam", self._pairs(request))
        caller, session = credential.caller, credential.session
        user_name = call.params.get("UserName")
        check_password_change_only(session, caller, call.operation,
                                   user_name if isinstance(user_name, str) else None)
        result = self._perform(request, "iam", call, caller, now, "us-east-1", outcome)
        if call.operation == "ChangePassword":
            password_changed(self._env, session.id)
        return serialize_result("iam", call.operation, result, request_id)

    def _perform(
        self, request: HttpRequest, service: str, call: ParsedCall, caller: Caller, now: datetime,
        region: str, outcome: dict[str, object],
    ) -> Mapping[str, Any] | None:
        outcome["operation"] = call.operation
        outcome["caller"] = caller.arn
        check_service_call(caller, service, call.operation)
        check_session_call(caller, service, call.operation)
        adapter = handler(service, call.operation)
        if adapter is None:
            raise errors.NotImplementedOperation(
                f"The operation {call.operation} is not implemented by iamd yet."
            )
        info = RequestInfo(
            # AWS keeps IAM's timestamps (creation dates...) to the second.
            now=now.replace(microsecond=0),
            source_ip=self.addresses.source_ip(request.peer, request.headers),
            secure_transport=self.addresses.secure(request.peer, request.scheme, request.headers),
            user_agent=request.headers.get("user-agent", ""), region=region,
        )
        return adapter(self._env, Call(caller, info), call.params)

    def _refuse_unknown_key(self, signed: sigv4.SignedRequest, now: datetime) -> NoReturn:
        """Check the signature against a dummy secret first, so that an unknown key and a
        wrong signature take the same path and time; the answer is InvalidClientTokenId."""
        with contextlib.suppress(errors.AuthenticationError):
            sigv4.verify(signed, _DUMMY_SECRET, now, expected_service=signed.service,
                         max_skew=self._config.clock_skew)
        raise errors.InvalidClientTokenId(
            "The security token included in the request is invalid."
        )

    def _pairs(self, request: HttpRequest) -> Sequence[tuple[str, str]]:
        pairs = [
            (key, value) for key, value in parse_qsl(request.query, keep_blank_values=True)
            if not key.startswith("X-Amz-")
        ]
        if request.method == "POST" and request.body:
            try:
                text = request.body.decode("utf-8")
            except UnicodeDecodeError:
                raise wire_errors.MalformedQueryString(
                    "The request body is not valid UTF-8 form data."
                ) from None
            pairs.extend(parse_qsl(text, keep_blank_values=True))
        return pairs
