"""THE one place errors become wire responses.

Every error an operation or the wire layer raises is an `IamError` with an AWS ``code``. Its
HTTP status and fault (Sender or Receiver) come from the botocore model's error shapes when the
code is modelled (IAM's or STS's), else from `COMMON_ERRORS`, AWS's errors shared by every Query
API; an unknown code is a 400 Sender error. Anything that is not an `IamError` is rendered by
`render_unexpected`, which names the request id and nothing else.
"""

from __future__ import annotations

import functools

from iamd.domain.errors import IamError
from iamd.protocol.models import NAMESPACES, SERVICES, service_model
from iamd.protocol.serialize import xml_escape

NO_VERSION = "NO_VERSION_SPECIFIED"


class ProtocolError(IamError):
    """Base of the errors the wire layer itself raises (request shape, not business rules)."""


class MissingAction(ProtocolError):
    """The request has no (or an empty) ``Action`` parameter."""

    code = "MissingAction"

    def __init__(self, message: str = "Missing Action") -> None:
        super().__init__(message)


class InvalidAction(ProtocolError):
    """``Action`` names no operation of this service at the requested ``Version``."""

    code = "InvalidAction"

    @classmethod
    def for_operation(cls, action: str, version: str | None) -> InvalidAction:
        """AWS's wording: ``Could not find operation X for version V``."""
        return cls(f"Could not find operation {action} for version {version or NO_VERSION}")


class InvalidQueryParameter(ProtocolError):
    """A parameter name is malformed: a bad list index, a gap, a repeated name."""

    code = "InvalidQueryParameter"


class InvalidParameterValue(ProtocolError):
    """A value cannot be read as its model type (integer, boolean, timestamp, base64)."""

    code = "InvalidParameterValue"


class MalformedQueryString(ProtocolError):
    """The body or query string cannot be decoded as a form (for the HTTP layer to raise)."""

    code = "MalformedQueryString"


class RequestEntityTooLarge(ProtocolError):
    """The request body is larger than the server accepts."""

    code = "RequestEntityTooLarge"

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body is larger than the limit of {limit} bytes")
        self.limit = limit


# code -> (HTTP status, sender fault). AWS's errors common to every Query API, plus ours.
COMMON_ERRORS: dict[str, tuple[int, bool]] = {
    "AccessDenied": (403, True),
    "ExpiredToken": (403, True),
    "IncompleteSignature": (400, True),
    "InternalFailure": (500, False),
    "InvalidAction": (400, True),
    "InvalidClientTokenId": (403, True),
    "InvalidParameterCombination": (400, True),
    "InvalidParameterValue": (400, True),
    "InvalidQueryParameter": (400, True),
    "MalformedQueryString": (404, True),
    "MissingAction": (400, True),
    "MissingAuthenticationToken": (403, True),
    "MissingParameter": (400, True),
    "NotImplemented": (501, False),
    "OptInRequired": (403, True),
    "RequestEntityTooLarge": (413, True),
    "RequestExpired": (400, True),
    "ServiceFailure": (500, False),
    "ServiceUnavailable": (503, False),
    "SignatureDoesNotMatch": (403, True),
    "Throttling": (400, True),
    "ValidationError": (400, True),
}

UNKNOWN_CODE = (400, True)


@functools.cache
def _modelled_errors(service: str) -> dict[str, tuple[int, bool]]:
    """code -> (status, sender fault) from the model's error shapes."""
    table: dict[str, tuple[int, bool]] = {}
    for shape in service_model(service).error_shapes:
        # A shape without the error trait is known by its name, as a 400 Sender error.
        error = shape.metadata.get("error") or {}
        status = int(error.get("httpStatusCode", 400))
        table[error.get("code", shape.name)] = (
            status,
            bool(error.get("senderFault", status < 500)),
        )
    return table


@functools.cache
def _status_table(service: str) -> dict[str, tuple[int, bool]]:
    """Every known code for ``service``: its own model first, the other model, then common."""
    table = dict(COMMON_ERRORS)
    for other in SERVICES:
        if other != service:
            table.update(_modelled_errors(other))
    table.update(_modelled_errors(service))
    return table


def error_status(code: str, service: str) -> tuple[int, bool]:
    """(HTTP status, sender fault) of error ``code`` answered by ``service``."""
    if service not in NAMESPACES:
        raise ValueError(f"unknown service {service!r}")
    return _status_table(service).get(code, UNKNOWN_CODE)


def _error_body(namespace: str, sender: bool, code: str, message: str, request_id: str) -> bytes:
    return (
        f'<ErrorResponse xmlns="{namespace}"><Error>'
        f"<Type>{'Sender' if sender else 'Receiver'}</Type>"
        f"<Code>{xml_escape(code)}</Code>"
        f"<Message>{xml_escape(message)}</Message>"
        f"</Error><RequestId>{xml_escape(request_id)}</RequestId></ErrorResponse>"
    ).encode()


def render_error(error: IamError, service: str, request_id: str) -> tuple[int, bytes]:
    """HTTP status and XML body of ``error`` as ``service`` answers it."""
    code = error.code
    status, sender = error_status(code, service)
    message = getattr(error, "message", None)
    if not isinstance(message, str):
        message = str(error)
    return status, _error_body(NAMESPACES[service], sender, code, message, request_id)


def render_unexpected(service: str, request_id: str) -> tuple[int, bytes]:
    """A 500 ServiceFailure for an error nobody mapped; it names the request id, nothing else."""
    message = (
        "The request processing has failed because of an unknown error, exception or failure. "
        f"Request ID: {request_id}"
    )
    namespace = NAMESPACES.get(service, NAMESPACES["iam"])
    return 500, _error_body(namespace, False, "ServiceFailure", message, request_id)
