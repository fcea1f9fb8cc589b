"""render_error and render_unexpected, read back by botocore's own QueryParser."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.parsers import create_parser

from iamd.domain import errors as domain
from iamd.domain.errors import IamError
from iamd.protocol import errors as protocol
from iamd.protocol.errors import COMMON_ERRORS, error_status, render_error, render_unexpected
from iamd.protocol.models import NAMESPACES, SERVICES, service_model
from iamd.protocol.parse import parse_query

REQUEST_ID = "0b6f7e1c-8a0e-4f0c-9a57-3d3f2a8b9c10"


def botocore_reads(status: int, body: bytes, service: str = "iam") -> dict[str, Any]:
    """What a botocore client makes of an error response (for any operation's output)."""
    shape = (
        service_model(service)
        .operation_model("GetUser" if service == "iam" else "GetCallerIdentity")
        .output_shape
    )
    response = {"body": body, "headers": {}, "status_code": status}
    return create_parser("query").parse(response, shape)  # type: ignore[no-any-return]


def error_with_code(code: str, message: str = "it went wrong") -> IamError:
    error_class = type(f"E_{code}", (IamError,), {"code": code})
    return error_class(message)


def modelled_errors() -> list[tuple[str, str, int, bool]]:
    cases = []
    for service in SERVICES:
        for shape in service_model(service).error_shapes:
            error = shape.metadata.get("error") or {}
            code = error.get("code", shape.name)
            status = error.get("httpStatusCode", 400)
            cases.append((service, code, status, error.get("senderFault", status < 500)))
    return cases


def test_errors_without_the_error_trait_are_400_sender_errors_by_name() -> None:
    shape = service_model("iam").shape_for("OrganizationNotFoundException")
    assert "error" not in shape.metadata
    assert error_status("OrganizationNotFoundException", "iam") == (400, True)
    assert error_status("ServiceFailure", "iam") == (500, False)


@pytest.mark.parametrize(("service", "code", "status", "sender"), modelled_errors())
def test_modelled_errors_take_status_and_fault_from_the_model(
    service: str, code: str, status: int, sender: bool
) -> None:
    got_status, body = render_error(error_with_code(code, "msg <&>"), service, REQUEST_ID)
    assert got_status == status
    parsed = botocore_reads(got_status, body, service)
    assert parsed["Error"] == {
        "Type": "Sender" if sender else "Receiver",
        "Code": code,
        "Message": "msg <&>",
    }
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == status


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (domain.NoSuchEntity("The user with name bob cannot be found."), 404),
        (domain.EntityAlreadyExists("User with name bob already exists."), 409),
        (domain.LimitExceeded("Cannot exceed quota for UsersPerAccount: 5000"), 409),
        (domain.DeleteConflict("Cannot delete entity, must delete policies first."), 409),
        (domain.MalformedPolicyDocument("Syntax errors in policy."), 400),
        (domain.ConcurrentModification("Try again."), 409),
        (domain.UnmodifiableEntity("Cannot perform the operation on the protected role."), 400),
        (domain.PolicyEvaluation("Evaluation failed."), 500),
        (domain.ServiceFailure("Failure."), 500),
    ],
)
def test_the_domain_catalogue_renders_with_the_model_status(error: IamError, status: int) -> None:
    got_status, body = render_error(error, "iam", REQUEST_ID)
    assert got_status == status
    parsed = botocore_reads(got_status, body)["Error"]
    assert (parsed["Code"], parsed["Message"]) == (error.code, error.message)
    assert parsed["Type"] == ("Receiver" if status >= 500 else "Sender")


@pytest.mark.parametrize(
    ("error", "status", "fault"),
    [
        (domain.ValidationError("1 validation error detected: ..."), 400, "Sender"),
        (domain.AccessDenied("User: x is not authorized"), 403, "Sender"),
        (domain.NotImplementedOperation("Not implemented."), 501, "Receiver"),
        (
            domain.MissingAuthenticationToken("Request is missing Authentication Token"),
            403,
            "Sender",
        ),
        (domain.InvalidClientTokenId("The security token is invalid."), 403, "Sender"),
        (domain.SignatureDoesNotMatch("The signature does not match."), 403, "Sender"),
        (domain.IncompleteSignature("Incomplete."), 400, "Sender"),
        (
            domain.ExpiredToken("The security token included in the request is expired"),
            403,
            "Sender",
        ),
        (protocol.MissingAction(), 400, "Sender"),
        (protocol.InvalidAction.for_operation("Nope", "2010-05-08"), 400, "Sender"),
        (protocol.InvalidQueryParameter("Parameter Tags.member.0 ..."), 400, "Sender"),
        (protocol.InvalidParameterValue("Value 'x' for parameter MaxItems ..."), 400, "Sender"),
        (protocol.MalformedQueryString("The query string is malformed."), 404, "Sender"),
        (protocol.RequestEntityTooLarge(1_048_576), 413, "Sender"),
    ],
)
@pytest.mark.parametrize("service", SERVICES)
def test_common_errors_render_from_the_table(
    error: IamError, status: int, fault: str, service: str
) -> None:
    got_status, body = render_error(error, service, REQUEST_ID)
    assert got_status == status
    assert body.startswith(f'<ErrorResponse xmlns="{NAMESPACES[service]}">'.encode())
    parsed = botocore_reads(got_status, body, service)
    assert parsed["Error"] == {"Type": fault, "Code": error.code, "Message": error.message}
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID


def test_the_common_table_agrees_with_the_models_where_both_know_a_code() -> None:
    for service, code, status, sender in modelled_errors():
        if code in COMMON_ERRORS:
            assert COMMON_ERRORS[code] == (status, sender), (service, code)


def test_an_unknown_code_is_a_400_sender_error() -> None:
    status, body = render_error(error_with_code("SomethingNew"), "sts", REQUEST_ID)
    assert status == 400
    assert botocore_reads(status, body, "sts")["Error"]["Type"] == "Sender"
    assert error_status("SomethingNew", "iam") == (400, True)


def test_an_unknown_service_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown service"):
        error_status("NoSuchEntity", "s3")


def test_the_request_too_large_error_names_the_limit() -> None:
    assert protocol.RequestEntityTooLarge(65536).message == (
        "Request body is larger than the limit of 65536 bytes"
    )


def test_a_parse_error_reaches_the_client_intact() -> None:
    with pytest.raises(IamError) as caught:
        parse_query("iam", [("Action", "CreateUser"), ("Version", "2010-05-08")])
    status, body = render_error(caught.value, "iam", REQUEST_ID)
    assert status == 400
    assert botocore_reads(status, body)["Error"] == {
        "Type": "Sender",
        "Code": "ValidationError",
        "Message": "1 validation error detected: Value null at 'userName' failed to satisfy "
        "constraint: Member must not be null",
    }


def test_control_characters_in_a_message_do_not_break_the_xml() -> None:
    status, body = render_error(
        protocol.InvalidAction.for_operation("A\x00\x01<b>", None), "iam", REQUEST_ID
    )
    assert botocore_reads(status, body)["Error"]["Message"] == (
        "Could not find operation A\ufffd\ufffd<b> for version NO_VERSION_SPECIFIED"
    )


@pytest.mark.parametrize("service", SERVICES)
def test_render_unexpected_names_the_request_id_and_nothing_else(service: str) -> None:
    status, body = render_unexpected(service, REQUEST_ID)
    assert status == 500
    parsed = botocore_reads(status, body, service)
    assert parsed["Error"] == {
        "Type": "Receiver",
        "Code": "ServiceFailure",
        "Message": "The request processing has failed because of an unknown error, exception "
        f"or failure. Request ID: {REQUEST_ID}",
    }
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID


def test_render_unexpected_never_fails_even_for_an_unknown_service() -> None:
    status, body = render_unexpected("s3", "r")
    assert status == 500
    assert NAMESPACES["iam"].encode() in body
