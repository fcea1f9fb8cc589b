"""Authentication and the wire: SigV4 failures, malformed requests, AWS's error format."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest
from botocore.exceptions import ClientError

from .conftest import Account, Database, Server, new_account

NS = "{https://iam.amazonaws.com/doc/2010-05-08/}"


def raw(server: Server, body: bytes, headers: dict[str, str] | None = None,
        method: str = "POST", query: str = "") -> tuple[int, ET.Element]:
    url = server.endpoint + "/" + (f"?{query}" if query else "")
    request = urllib.request.Request(url, data=body if method == "POST" else None,
                                     method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, ET.fromstring(response.read())
    except urllib.error.HTTPError as error:
        return error.code, ET.fromstring(error.read())


def error_of(root: ET.Element) -> tuple[str, str]:
    return root.findtext(f"{NS}Error/{NS}Code") or "", root.findtext(f"{NS}Error/{NS}Message") or ""


def signed(account: Account, form: dict[str, str], *, secret: str | None = None,
           key_id: str | None = None, when: datetime | None = None,
           extra_body: bytes = b"", service: str = "iam") -> tuple[bytes, dict[str, str]]:
    """A form request signed by botocore's own SigV4 signer (optionally at another time)."""
    body = urllib.parse.urlencode(form).encode() + extra_body
    request = botocore.awsrequest.AWSRequest(
        "POST", account.server.endpoint + "/", data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    credentials = botocore.credentials.Credentials(key_id or account.key_id,
                                                   secret or account.secret)
    signer = botocore.auth.SigV4Auth(credentials, service, "us-east-1")
    if when is None:
        signer.add_auth(request)
    else:
        with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
            signer.add_auth(request)
    return body, dict(request.headers.items())


LIST_USERS = {"Action": "ListUsers", "Version": "2010-05-08"}


def test_valid_raw_request_has_request_id(account: Account) -> None:
    ids = []
    for _ in range(3):
        status, root = raw(account.server, *signed(account, LIST_USERS))
        assert status == 200
        ids.append(root.findtext(f"{NS}ResponseMetadata/{NS}RequestId") or "")
    assert len(set(ids)) == 3
    for request_id in ids:  # random UUIDs, as AWS's
        parsed = uuid.UUID(request_id)
        assert (str(parsed), parsed.version, parsed.variant) == (request_id, 4, uuid.RFC_4122)


def request_line(server: Server, request_id: str) -> dict[str, object] | None:
    lines = [json.loads(line) for line in server.log_path.read_text().splitlines()
             if line.startswith("{")]
    return next((line for line in lines if line.get("request_id") == request_id), None)


def test_each_request_gets_its_log_line_at_its_time_and_at_shutdown(
    fresh_database: Database, tmp_path: Path,
) -> None:
    server = Server.start(fresh_database, tmp_path)
    try:
        account = new_account(fresh_database, server)
        before = datetime.now(UTC)
        _, first = raw(server, *signed(account, LIST_USERS))
        server.log()  # waits for the request lines written so far
        first_id = first.findtext(f"{NS}ResponseMetadata/{NS}RequestId") or ""
        line = request_line(server, first_id)
        assert line is not None
        assert (line["operation"], line["status"], line["caller"]) == (
            "ListUsers", 200, f"arn:aws:iam::{account.id}:root")
        logged_at = datetime.fromisoformat(str(line["time"]))
        assert before - timedelta(seconds=1) <= logged_at <= before + timedelta(seconds=1)
        _, last = raw(server, *signed(account, LIST_USERS))
    finally:
        server.stop()  # the line of the last request is written as the server stops
    last_id = last.findtext(f"{NS}ResponseMetadata/{NS}RequestId") or ""
    assert request_line(server, last_id) is not None


@pytest.mark.parametrize(
    ("change", "code", "status"),
    [
        ({"secret": "wrong-secret-0000000000"}, "SignatureDoesNotMatch", 403),
        ({"key_id": "AKIAUNKNOWNUNKNOWN00"}, "InvalidClientTokenId", 403),
        ({"when": datetime.now(UTC) - timedelta(minutes=20)}, "SignatureDoesNotMatch", 403),
        ({"when": datetime.now(UTC) + timedelta(minutes=20)}, "SignatureDoesNotMatch", 403),
        ({"service": "s3"}, "SignatureDoesNotMatch", 403),
    ],
)
def test_bad_signatures(account: Account, change: dict[str, object], code: str,
                        status: int) -> None:
    got_status, root = raw(account.server, *signed(account, LIST_USERS, **change))  # type: ignore[arg-type]
    if "when" in change:
        assert "Signature expired" in error_of(root)[1] or "not yet current" in error_of(root)[1]
    assert (got_status, error_of(root)[0]) == (status, code)


def test_tampered_body_is_refused(account: Account) -> None:
    body, headers = signed(account, {"Action": "CreateUser", "Version": "2010-05-08",
                                     "UserName": "mallory"})
    status, root = raw(account.server, body.replace(b"mallory", b"eve0000"), headers)
    assert (status, error_of(root)[0]) == (403, "SignatureDoesNotMatch")
    with pytest.raises(ClientError):
        account.iam.get_user(UserName="eve0000")


def test_missing_authentication(server: Server) -> None:
    status, root = raw(server, urllib.parse.urlencode(LIST_USERS).encode(),
                       {"Content-Type": "application/x-www-form-urlencoded"})
    assert (status, error_of(root)[0]) == (403, "MissingAuthenticationToken")


def presigned_get(account: Account, form: dict[str, str], expires: int) -> str:
    """A presigned GET URL as `aws eks get-token` builds them (signed headers: host)."""
    url = account.server.endpoint + "/?" + urllib.parse.urlencode(form)
    request = botocore.awsrequest.AWSRequest("GET", url)
    credentials = botocore.credentials.Credentials(account.key_id, account.secret)
    botocore.auth.SigV4QueryAuth(credentials, "iam", "us-east-1", expires=expires).add_auth(
        request
    )
    return str(request.url)


def test_presigned_urls(account: Account) -> None:
    # boto3's presigned URL signs the operation's own method (POST for the Query API).
    url = account.iam.generate_presigned_url("list_users", Params={}, ExpiresIn=60)
    with urllib.request.urlopen(urllib.request.Request(url, b"", method="POST")) as response:
        assert ET.fromstring(response.read()).find(f"{NS}ListUsersResult") is not None
    get_url = presigned_get(account, LIST_USERS, 60)
    status, root = raw(account.server, b"", method="GET", query=get_url.split("?", 1)[1])
    assert status == 200
    assert root.find(f"{NS}ListUsersResult") is not None
    tampered = get_url.replace("Action=ListUsers", "Action=ListRoles")
    status, root = raw(account.server, b"", method="GET", query=tampered.split("?", 1)[1])
    assert (status, error_of(root)[0]) == (403, "SignatureDoesNotMatch")


def test_expired_presigned_url(account: Account) -> None:
    get_url = presigned_get(account, LIST_USERS, 1)
    time.sleep(2.1)
    status, root = raw(account.server, b"", method="GET", query=get_url.split("?", 1)[1])
    assert status == 403
    assert error_of(root)[0] in {"SignatureDoesNotMatch", "AccessDenied"}


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"Action": "NoSuchThing", "Version": "2010-05-08"}, "InvalidAction"),
        ({"Action": "CreateUser", "Version": "2010-05-08"}, "ValidationError"),
        ({"Action": "CreateUser", "Version": "2010-05-08", "UserName": "bad name!"},
         "ValidationError"),
        ({"Action": "CreateUser", "Version": "2010-05-08", "UserName": "x" * 65},
         "ValidationError"),
        ({"Action": "ListUsers", "Version": "2010-05-08", "MaxItems": "lots"}, None),
    ],
)
def test_bad_input_gets_an_aws_error_and_stores_nothing(account: Account, form: dict[str, str],
                                                       code: str | None) -> None:
    status, root = raw(account.server, *signed(account, form))
    got_code, message = error_of(root)
    assert 400 <= status < 500
    assert got_code
    assert message
    if code:
        assert got_code == code
    assert account.iam.list_users()["Users"] == []


def test_unimplemented_operation_is_501(account: Account) -> None:
    status, root = raw(account.server, *signed(account, {
        "Action": "ListServiceSpecificCredentials", "Version": "2010-05-08"}))
    assert (status, error_of(root)[0]) == (501, "NotImplemented")
    assert "ListServiceSpecificCredentials" in error_of(root)[1]


def test_huge_body_is_refused(account: Account) -> None:
    body, headers = signed(account, LIST_USERS, extra_body=b"&Pad=" + b"x" * 2_000_000)
    status, root = raw(account.server, body, headers)
    assert (status, error_of(root)[0]) == (413, "RequestEntityTooLarge")


def test_malformed_policy_document(account: Account) -> None:
    account.iam.create_user(UserName="pat")
    with pytest.raises(ClientError) as raised:
        account.iam.put_user_policy(UserName="pat", PolicyName="p", PolicyDocument="{not json")
    assert raised.value.response["Error"]["Code"] == "MalformedPolicyDocument"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert account.iam.list_user_policies(UserName="pat")["PolicyNames"] == []
