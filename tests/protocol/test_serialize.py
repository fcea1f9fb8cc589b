"""serialize_result against botocore's own client-side Query response parser.

For every IAM and STS operation with an output, a generated result is written as XML and read
back by botocore's QueryParser with the output shape: it must come back equal, with the
request id in ResponseMetadata.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import botocore.model
import pytest
from botocore.parsers import create_parser
from hypothesis import given, settings
from hypothesis import strategies as st

from iamd.protocol.models import NAMESPACES, SERVICES, service_model
from iamd.protocol.serialize import (
    ResponseWriter,
    format_timestamp,
    prepare,
    serialize_result,
    xml_escape,
)
from tests.protocol.test_parse import SYNTHETIC, SYNTHETIC_PARAMS

REQUEST_ID = "4a4f1a6e-0c8b-4b8e-9d36-2b1f0d4f1c11"
STAMP = datetime(2026, 11, 28, 4, 48, 17, tzinfo=UTC)
# Characters XML makes hard: markup, quotes, CR (parsers turn it into LF), non-ASCII.
AWKWARD = "a<b>&c\"d'e ]]> f\r\ng\t é 東 😀"


class OutputGenerator:
    """A deterministic result for an output shape; ``empty`` makes every collection empty."""

    def __init__(self, empty: bool = False) -> None:
        self.empty = empty

    def value(self, shape: Any, salt: int = 0, depth: int = 0) -> Any:
        kind = shape.type_name
        if kind == "structure":
            names = list(shape.members)
            if shape.metadata.get("union"):
                names = names[:1]
            elif depth > 6:
                names = [name for name in names if name in shape.required_members]
            return {
                name: self.value(shape.members[name], salt + i, depth + 1)
                for i, name in enumerate(names)
            }
        if kind == "list":
            count = 0 if self.empty else 2
            return [self.value(shape.member, salt + i, depth + 1) for i in range(count)]
        if kind == "map":
            count = 0 if self.empty else 2
            return {
                self.value(shape.key, salt + i, depth + 1): self.value(shape.value, i, depth + 1)
                for i in range(count)
            }
        if kind == "string":
            enum = shape.metadata.get("enum")
            return enum[salt % len(enum)] if enum else f"{AWKWARD} {salt}"
        if kind in ("integer", "long"):
            return 1000 + salt
        if kind == "boolean":
            return salt % 2 == 1
        if kind == "timestamp":
            return STAMP + timedelta(seconds=salt, milliseconds=123 * (salt % 2))
        if kind == "blob":
            return bytes([0, 255, salt % 256]) + b"blob"
        raise AssertionError(f"no generator for {kind}")


def botocore_reads(body: bytes, output_shape: Any, status: int = 200) -> dict[str, Any]:
    parser = create_parser("query")
    return parser.parse({"body": body, "headers": {}, "status_code": status}, output_shape)  # type: ignore[no-any-return]


OPERATIONS = [(s, op) for s in SERVICES for op in service_model(s).operation_names]


@pytest.mark.parametrize(("service", "operation"), OPERATIONS)
def test_every_result_round_trips_through_botocore(service: str, operation: str) -> None:
    output_shape = service_model(service).operation_model(operation).output_shape
    for empty in (False, True):
        result = OutputGenerator(empty).value(output_shape) if output_shape is not None else {}
        parsed = botocore_reads(
            serialize_result(service, operation, result, REQUEST_ID), output_shape
        )
        metadata = parsed.pop("ResponseMetadata")
        assert metadata["RequestId"] == REQUEST_ID
        assert metadata["HTTPStatusCode"] == 200
        assert parsed == result


def test_a_get_user_response_is_exactly_what_aws_sends() -> None:
    user = {
        "Path": "/",
        "UserName": "bob",
        "UserId": "AIDAEXAMPLE0000000001",
        "Arn": "arn:aws:iam::123456789012:user/bob",
        "CreateDate": STAMP,
        "Tags": [{"Key": "team", "Value": "blue"}],
    }
    body = serialize_result("iam", "GetUser", {"User": user}, "rid-1")
    assert body == (
        b'<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        b"<GetUserResult><User><Path>/</Path><UserName>bob</UserName>"
        b"<UserId>AIDAEXAMPLE0000000001</UserId>"
        b"<Arn>arn:aws:iam::123456789012:user/bob</Arn>"
        b"<CreateDate>2026-11-28T04:48:17Z</CreateDate>"
        b"<Tags><member><Key>team</Key><Value>blue</Value></member></Tags>"
        b"</User></GetUserResult>"
        b"<ResponseMetadata><RequestId>rid-1</RequestId></ResponseMetadata>"
        b"</GetUserResponse>"
    )


def test_members_follow_the_model_order_not_the_result_order() -> None:
    result = {"IsTruncated": False, "Users": [], "Marker": "m"}
    body = serialize_result("iam", "ListUsers", result, "r").decode()
    assert body.index("<Users") < body.index("<IsTruncated>") < body.index("<Marker>")
    assert "<Users></Users>" in body


def test_an_operation_without_output_has_no_result_element() -> None:
    body = serialize_result("iam", "DeleteUser", None, "r-2")
    assert body == (
        b'<DeleteUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        b"<ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></DeleteUserResponse>"
    )


def test_a_missing_result_still_has_the_wrapper_botocore_looks_for() -> None:
    shape = service_model("sts").operation_model("GetCallerIdentity").output_shape
    body = serialize_result("sts", "GetCallerIdentity", None, "r-3")
    assert b"<GetCallerIdentityResult></GetCallerIdentityResult>" in body
    assert NAMESPACES["sts"].encode() in body
    assert botocore_reads(body, shape)["ResponseMetadata"]["RequestId"] == "r-3"


def test_none_and_unknown_members_are_left_out() -> None:
    result = {"User": {"UserName": "bob", "Path": None, "Bogus": "x"}}
    body = serialize_result("iam", "GetUser", result, "r")
    assert b"<User><UserName>bob</UserName></User>" in body
    assert b"Bogus" not in body


def test_text_that_xml_cannot_carry_becomes_a_replacement_character() -> None:
    shape = service_model("iam").operation_model("GetUser").output_shape
    result = {"User": {"UserName": "a\x00b\x1fc\ud800d\uffff"}}
    parsed = botocore_reads(serialize_result("iam", "GetUser", result, "r"), shape)
    assert parsed["User"]["UserName"] == "a\ufffdb\ufffdc\ufffdd\ufffd"


def test_the_request_id_is_escaped() -> None:
    shape = service_model("sts").operation_model("GetCallerIdentity").output_shape
    parsed = botocore_reads(serialize_result("sts", "GetCallerIdentity", {}, "<&>"), shape)
    assert parsed["ResponseMetadata"]["RequestId"] == "<&>"


def test_xml_escape_leaves_plain_text_alone_and_escapes_markup() -> None:
    assert xml_escape("plain text é") == "plain text é"
    assert xml_escape("a<b>&\r") == "a&lt;b&gt;&amp;&#13;"
    assert xml_escape(42) == "42"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2026, 11, 28, 4, 48, 17, tzinfo=UTC), "2026-11-28T04:48:17Z"),
        (datetime(2026, 11, 28, 4, 48, 17, 123456, tzinfo=UTC), "2026-11-28T04:48:17.123Z"),
        (
            datetime(2026, 11, 28, 6, 48, 17, tzinfo=timezone(timedelta(hours=2))),
            "2026-11-28T04:48:17Z",
        ),
        (datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC), "0999-01-02T03:04:05Z"),
    ],
)
def test_timestamps_are_iso_8601_utc_with_z(value: datetime, text: str) -> None:
    assert format_timestamp(value) == text


def test_a_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        format_timestamp(datetime(2026, 11, 28, 4, 48, 17))


def test_integers_booleans_and_blobs_are_written_as_aws_does() -> None:
    body = serialize_result(
        "iam",
        "GetCredentialReport",
        {"Content": b"user,arn\n", "ReportFormat": "text/csv", "GeneratedTime": STAMP},
        "r",
    )
    assert b"<Content>dXNlcixhcm4K</Content>" in body
    body = serialize_result("iam", "ListUsers", {"Users": [], "IsTruncated": True}, "r")
    assert b"<IsTruncated>true</IsTruncated>" in body
    body = serialize_result("iam", "GetAccountSummary", {"SummaryMap": {"Users": 5}}, "r")
    assert b"<SummaryMap><entry><key>Users</key><value>5</value></entry></SummaryMap>" in body


def test_prepare_compiles_every_operation_of_both_services() -> None:
    for service in SERVICES:
        prepare(service)


def test_flattened_and_renamed_collections_round_trip() -> None:
    operation = botocore.model.ServiceModel(SYNTHETIC, "example").operation_model("Op")
    writer = ResponseWriter(operation, "https://example.com/doc/2020-01-01/")
    body = writer.write(SYNTHETIC_PARAMS, "r").decode()
    assert "<Renamed><item>x</item>" in body
    assert "<Thing>t</Thing>" in body
    assert "<FlatDict><key>one</key><value>1</value></FlatDict>" in body
    parsed = botocore_reads(body.encode(), operation.output_shape)
    parsed.pop("ResponseMetadata")
    assert parsed == SYNTHETIC_PARAMS


XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@settings(max_examples=100, deadline=None, database=None)
@given(text=st.text(), request_id=st.text(min_size=1, max_size=40))
def test_any_text_reads_back_as_written_but_for_what_xml_cannot_carry(
    text: str, request_id: str
) -> None:
    shape = service_model("iam").operation_model("GetUser").output_shape
    body = serialize_result("iam", "GetUser", {"User": {"UserName": text}}, request_id)
    parsed = botocore_reads(body, shape)
    assert parsed["User"]["UserName"] == XML_UNSAFE.sub("\ufffd", text)
    assert parsed["ResponseMetadata"]["RequestId"] == XML_UNSAFE.sub("\ufffd", request_id)
