"""SigV4 verification against requests signed by botocore's own signers.

Every request here is signed by botocore (SigV4Auth, SigV4QueryAuth and their S3 variants), then
taken apart the way an HTTP server receives it: method, raw path, raw query, lower-cased headers
(with the Host header the HTTP client sends) and body bytes. Time is not frozen: `now` is
computed from the X-Amz-Date botocore put on the request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import boto3
import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from iamd.domain.errors import (
    AuthenticationError,
    IncompleteSignature,
    MissingAuthenticationToken,
    SignatureDoesNotMatch,
)
from iamd.protocol.sigv4 import SignedRequest, read_signature, verify

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEJr//////////wEaDOdd+token/with=odd+chars"
ENDPOINT = "http://127.0.0.1:8080/"
BOTO3_USER_AGENT = (
    "Boto3/1.44.8 md/Botocore#1.44.8 ua/2.1 os/linux#6.8 md/arch#x86_64 lang/python#3.11.7 "
    "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.44.8"
)
FORM = "application/x-www-form-urlencoded; charset=utf-8"
MISMATCH = "The request signature we calculated does not match the signature you provided."
ODD_VALUES = {
    "UserName": "ünïcødé+plus&amp=eq/slash",
    "Path": "/a b/~tilde*star'quote(paren)!/",
    "PolicyDocument": '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
    "Empty": "",
}


@dataclass(frozen=True)
class Wire:
    """A request as the server sees it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def read(self) -> SignedRequest:
        return read_signature(self.method, self.path, self.query, self.headers, self.body)

    def with_headers(self, **changes: str | None) -> Wire:
        headers = dict(self.headers)
        for name, value in changes.items():
            name = name.replace("_", "-")
            if value is None:
                headers.pop(name, None)
            else:
                headers[name] = value
        return replace(self, headers=headers)

    def with_query(self, **changes: str | None) -> Wire:
        params = dict(parse_qsl(self.query, keep_blank_values=True))
        for name, value in changes.items():
            name = name.replace("_", "-")
            if value is None:
                params.pop(name, None)
            else:
                params[name] = value
        return replace(self, query=urlencode(params))

    @property
    def amz_date(self) -> datetime:
        stamp = self.headers.get("x-amz-date") or dict(parse_qsl(self.query))["X-Amz-Date"]
        return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)

    @property
    def authorization(self) -> str:
        return self.headers["authorization"]


def on_the_wire(prepared: AWSPreparedRequest) -> Wire:
    url = urlsplit(prepared.url)
    headers = {name.lower(): _latin1(value) for name, value in prepared.headers.items()}
    headers.setdefault("host", url.netloc)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    return Wire(prepared.method, url.path or "/", url.query, headers, body)


def _latin1(value: str | bytes) -> str:
    """Header values as an ASGI server decodes them."""
    return value.decode("latin-1") if isinstance(value, bytes) else value


def credentials(token: str | None = None, secret: str = SECRET) -> Credentials:
    return Credentials(ACCESS_KEY, secret, token)


def header_signed(
    request: AWSRequest,
    *,
    creds: Credentials | None = None,
    service: str = "iam",
    region: str = "us-east-1",
    signer: type[SigV4Auth] = SigV4Auth,
) -> Wire:
    signer(creds or credentials(), service, region).add_auth(request)
    return on_the_wire(request.prepare())


def iam_post(params: dict[str, str] | None = None, **kwargs: object) -> Wire:
    """A POST like boto3's IAM client sends: form body, content type, user agent."""
    data = {"Action": "ListUsers", "Version": "2010-05-08", **(params or {})}
    request = AWSRequest(
        method="POST",
        url=ENDPOINT,
        data=data,
        headers={"Content-Type": FORM, "User-Agent": BOTO3_USER_AGENT},
    )
    return header_signed(request, **kwargs)  # type: ignore[arg-type]


def presigned(
    method: str = "GET",
    *,
    params: dict[str, str] | None = None,
    data: dict[str, str] | None = None,
    expires: int = 60,
    creds: Credentials | None = None,
    signer: type[SigV4QueryAuth] = SigV4QueryAuth,
) -> Wire:
    if params is None:
        params = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
    request = AWSRequest(method=method, url=ENDPOINT, params=params, data=data or {})
    signer(creds or credentials(), "sts", "us-east-1", expires=expires).add_auth(request)
    return on_the_wire(request.prepare())


def check(wire: Wire, *, secret: str = SECRET, at: timedelta = timedelta(0), **kwargs: object):
    verify(wire.read(), secret, wire.amz_date + at, **kwargs)  # type: ignore[arg-type]


def refused(wire: Wire, **kwargs: object) -> SignatureDoesNotMatch:
    with pytest.raises(SignatureDoesNotMatch) as caught:
        check(wire, **kwargs)  # type: ignore[arg-type]
    return caught.value


# -- valid requests --------------------------------------------------------------------------
def test_a_boto3_style_iam_post_verifies_and_is_read_field_by_field():
    wire = iam_post({"UserName": "alice"})
    signed = wire.read()

    check(wire, expected_service="iam", expected_region="us-east-1")
    assert signed.access_key_id == ACCESS_KEY
    assert (signed.scope_date, signed.region, signed.service) == (
        wire.amz_date.strftime("%Y%m%d"),
        "us-east-1",
        "iam",
    )
    assert signed.signed_headers == ("content-type", "host", "x-amz-date")
    assert signed.amz_date == wire.amz_date
    assert (signed.presigned, signed.expires, signed.security_token) == (False, None, None)
    assert signed.credential_scope.endswith("/us-east-1/iam/aws4_request")


class _Captured(Exception):
    """Stops boto3 before it sends, carrying the signed request."""

    def __init__(self, request: AWSPreparedRequest) -> None:
        super().__init__("captured")
        self.request = request


def _capture(request: AWSPreparedRequest, **_: object) -> None:
    raise _Captured(request)


def _client(service: str, token: str | None = None):
    return boto3.session.Session().client(
        service,
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET,
        aws_session_token=token,
    )


def test_a_request_from_a_real_boto3_iam_client_verifies():
    client = _client("iam", token=TOKEN)
    client.meta.events.register("before-send.iam.*", _capture)

    with pytest.raises(_Captured) as caught:
        client.create_user(Path="/odd chars/+&=/", UserName="ünïcødé+name")
    wire = on_the_wire(caught.value.request)

    check(wire, expected_service="iam", expected_region="us-east-1")
    assert wire.read().security_token == TOKEN


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_presigned_url_from_a_real_boto3_sts_client_verifies(method):
    url = _client("sts").generate_presigned_url(
        "get_caller_identity", ExpiresIn=900, HttpMethod=method
    )
    parts = urlsplit(url)
    wire = Wire(method, parts.path or "/", parts.query, {"host": parts.netloc}, b"")

    check(wire, expected_service="sts", at=timedelta(seconds=900))
    refused(wire, at=timedelta(seconds=901))
    refused(replace(wire, method="PUT"))


def test_odd_characters_in_the_form_body_verify():
    check(iam_post(ODD_VALUES))


def test_odd_characters_in_the_query_of_a_header_signed_request_verify():
    # botocore signs params with %20 for a space but sends them urlencoded with '+'.
    request = AWSRequest(method="GET", url=ENDPOINT, params={"Action": "ListUsers", **ODD_VALUES})
    wire = header_signed(request)
    assert "+" in wire.query

    check(wire)


def test_an_odd_path_is_normalised_like_botocore_does():
    request = AWSRequest(method="POST", url="http://127.0.0.1:8080/a/./b//c/../caf%C3%A9%20x/")
    wire = header_signed(request)
    assert wire.path == "/a/./b//c/../caf%C3%A9%20x/"

    check(wire)


def test_temporary_credentials_carry_their_security_token():
    wire = iam_post(creds=credentials(token=TOKEN))
    signed = wire.read()

    check(wire)
    assert signed.security_token == TOKEN
    assert "x-amz-security-token" in signed.signed_headers


def test_the_repr_shows_neither_the_token_nor_the_signature():
    signed = iam_post(creds=credentials(token=TOKEN)).read()

    assert TOKEN not in repr(signed)
    assert signed.signature not in repr(signed)
    assert ACCESS_KEY in repr(signed)


def test_unsigned_headers_can_change_without_breaking_the_signature():
    wire = iam_post().with_headers(
        user_agent="something else entirely",  # botocore never signs the user agent
        x_forwarded_for="203.0.113.9",
        content_length="999",
        accept_encoding="gzip",
    )

    check(wire)


def test_an_extra_signed_header_is_covered_and_its_whitespace_is_trimmed():
    request = AWSRequest(
        method="POST",
        url=ENDPOINT,
        data={"Action": "ListUsers"},
        headers={"Content-Type": FORM, "X-Custom": "  several   spaced\twords  "},
    )
    wire = header_signed(request)
    assert "x-custom" in wire.read().signed_headers

    check(wire.with_headers(x_custom="several spaced words"))
    refused(wire.with_headers(x_custom="several spaced word"))


def test_the_window_is_fifteen_minutes_either_side_inclusive():
    wire = iam_post()

    check(wire, at=timedelta(minutes=15))
    check(wire, at=-timedelta(minutes=15))


def test_a_signature_too_old_has_expired_in_aws_words():
    wire = iam_post()
    stamp = wire.headers["x-amz-date"]
    now = wire.amz_date + timedelta(minutes=15, seconds=1)

    error = refused(wire, at=timedelta(minutes=15, seconds=1))

    assert error.message == (
        f"Signature expired: {stamp} is now earlier than "
        f"{(now - timedelta(minutes=15)):%Y%m%dT%H%M%SZ} ({now:%Y%m%dT%H%M%SZ} - 15 min.)"
    )


def test_a_signature_from_the_future_is_not_yet_current():
    wire = iam_post()

    error = refused(wire, at=-timedelta(minutes=15, seconds=1))

    assert error.message.startswith(f"Signature not yet current: {wire.headers['x-amz-date']} ")
    assert error.message.endswith(" + 15 min.)")


def test_the_skew_limit_can_be_set():
    wire = iam_post()

    error = refused(wire, at=timedelta(minutes=6), max_skew=timedelta(minutes=5))

    assert error.message.startswith("Signature expired:")
    assert error.message.endswith(" - 5 min.)")


def test_a_naive_now_is_a_programming_error():
    wire = iam_post()

    with pytest.raises(ValueError, match="timezone-aware"):
        verify(wire.read(), SECRET, wire.amz_date.replace(tzinfo=None))


# -- tampering -------------------------------------------------------------------------------
def _flip_body_byte(wire: Wire) -> Wire:
    body = bytearray(wire.body)
    body[-1] ^= 0x01
    return replace(wire, body=bytes(body))


def _scope_part(index: int, value: str):
    def tamper(wire: Wire) -> Wire:
        def swap(match: re.Match[str]) -> str:
            parts = match.group(1).split("/")
            parts[index] = value
            return "Credential=" + "/".join(parts)

        return wire.with_headers(
            authorization=re.sub(r"Credential=([^,]+)", swap, wire.authorization)
        )

    return tamper


TAMPERINGS = {
    "body byte": _flip_body_byte,
    "signed header": lambda wire: wire.with_headers(content_type="application/json"),
    "host header": lambda wire: wire.with_headers(host="127.0.0.1:8081"),
    "query added": lambda wire: replace(wire, query="Action=DeleteUser"),
    "method": lambda wire: replace(wire, method="PUT"),
    "path": lambda wire: replace(wire, path="/admin"),
    "region": _scope_part(2, "eu-west-1"),
    "service": _scope_part(3, "sts"),
    "signature": lambda wire: wire.with_headers(
        authorization=re.sub(
            r"Signature=(\w)",
            lambda match: "Signature=" + ("1" if match.group(1) == "0" else "0"),
            wire.authorization,
        )
    ),
    "x-amz-date, same day": lambda wire: wire.with_headers(
        x_amz_date=f"{wire.amz_date + timedelta(seconds=1):%Y%m%dT%H%M%SZ}"
        if wire.amz_date.second < 59
        else f"{wire.amz_date - timedelta(seconds=1):%Y%m%dT%H%M%SZ}"
    ),
}


@pytest.mark.parametrize("tamper", TAMPERINGS.values(), ids=TAMPERINGS.keys())
def test_any_tampering_breaks_the_signature(tamper):
    wire = iam_post({"UserName": "alice"})
    check(wire)

    error = refused(tamper(wire))

    assert error.message.startswith(MISMATCH)


def test_the_query_of_a_header_signed_request_is_covered():
    request = AWSRequest(method="GET", url=ENDPOINT, params={"Action": "ListUsers", "A": "1"})
    wire = header_signed(request)
    check(wire)

    refused(wire.with_query(A="2"))
    refused(wire.with_query(B="1"))
    refused(wire.with_query(A=None))


def test_a_wrong_secret_is_refused():
    error = refused(iam_post(), secret=SECRET[:-1] + "X")

    assert error.message.startswith(MISMATCH)


def test_a_scope_date_other_than_the_request_date_is_refused_in_aws_words():
    wire = iam_post()
    stamp = wire.headers["x-amz-date"]

    error = refused(_scope_part(1, "20200101")(wire))

    assert error.message == (
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        f"HTTP: '20200101' != '{stamp[:8]}', from '{stamp}'."
    )


def test_a_credential_scoped_to_another_service_is_refused_in_aws_words():
    wire = iam_post(service="sts")

    error = refused(wire, expected_service="iam")

    assert error.message == "Credential should be scoped to correct service: 'iam'."


def test_a_credential_scoped_to_another_region_is_refused_when_a_region_is_expected():
    wire = iam_post(region="eu-west-1")

    check(wire)
    error = refused(wire, expected_region="us-east-1")
    assert error.message == "Credential should be scoped to a valid region, not 'eu-west-1'."


def test_a_scope_not_ending_in_aws4_request_is_refused_in_aws_words():
    error = refused(_scope_part(4, "aws5_request")(iam_post()))

    assert error.message == (
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."
    )


@pytest.mark.parametrize(
    "secret", ["", "x", "ключ-секрет", "\ud800lone surrogate", "s" * 10_000], ids=repr
)
def test_any_secret_string_gives_a_plain_mismatch(secret):
    error = refused(iam_post(), secret=secret)

    assert error.message.startswith(MISMATCH)


# -- x-amz-content-sha256 --------------------------------------------------------------------
def test_a_declared_payload_hash_that_matches_the_body_verifies():
    wire = iam_post({"UserName": "bob"}, signer=S3SigV4Auth)
    assert "x-amz-content-sha256" in wire.headers

    check(wire)


def test_a_declared_payload_hash_that_does_not_match_the_body_is_refused():
    wire = iam_post({"UserName": "bob"}, signer=S3SigV4Auth)

    with pytest.raises(SignatureDoesNotMatch, match="x-amz-content-sha256"):
        _flip_body_byte(wire).read()
    with pytest.raises(SignatureDoesNotMatch, match="x-amz-content-sha256"):
        wire.with_headers(x_amz_content_sha256="0" * 64).read()


def test_an_unsigned_payload_is_refused_for_a_header_signed_request():
    request = AWSRequest(method="POST", url="https://127.0.0.1:8443/", data={"Action": "ListUsers"})
    request.context["payload_signing_enabled"] = False
    wire = header_signed(request)
    assert wire.headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"

    with pytest.raises(SignatureDoesNotMatch, match="x-amz-content-sha256"):
        wire.read()


# -- presigned URLs --------------------------------------------------------------------------
def test_a_presigned_get_verifies_and_is_read_field_by_field():
    wire = presigned(expires=60)
    signed = wire.read()

    check(wire, expected_service="sts")
    assert (signed.presigned, signed.expires) == (True, 60)
    assert signed.signed_headers == ("host",)
    assert signed.service == "sts"


def test_a_presigned_post_with_form_parameters_verifies():
    wire = presigned("POST", params={}, data={"Action": "GetCallerIdentity", **ODD_VALUES})
    assert "Action=GetCallerIdentity" in wire.query

    check(wire)


def test_a_presigned_url_carries_its_security_token():
    wire = presigned(creds=credentials(token=TOKEN))

    check(wire)
    assert wire.read().security_token == TOKEN


def test_a_presigned_url_is_valid_until_it_expires():
    wire = presigned(expires=60)

    check(wire, at=timedelta(seconds=60))
    error = refused(wire, at=timedelta(seconds=61))
    assert error.message.startswith(
        f"Signature expired: {dict(parse_qsl(wire.query))['X-Amz-Date']}"
    )
    assert error.message.endswith(" - 1 min.)")


def test_a_long_lived_presigned_url_outlives_the_clock_skew_window():
    wire = presigned(expires=3600)

    check(wire, at=timedelta(minutes=59))
    refused(wire, at=timedelta(minutes=61))


def test_a_presigned_url_from_the_future_is_not_yet_current():
    error = refused(presigned(), at=-timedelta(minutes=16))

    assert error.message.startswith("Signature not yet current:")


@pytest.mark.parametrize(
    "change",
    [
        {"Action": "DeleteUser"},
        {"X-Amz-Expires": "604800"},
        {"X-Amz-SignedHeaders": "host;x-amz-date"},
        {"Extra": "1"},
    ],
    ids=repr,
)
def test_the_presigned_query_is_covered(change):
    wire = presigned()

    refused(wire.with_query(**{name.replace("-", "_"): value for name, value in change.items()}))


def test_the_presigned_host_is_covered():
    refused(presigned().with_headers(host="evil.example:8080"))


def test_an_s3_style_presigned_url_with_an_unsigned_payload_verifies_without_a_body():
    wire = presigned(signer=S3SigV4QueryAuth)

    check(wire)
    refused(replace(wire, body=b"Action=CreateUser&UserName=mallory"))


@pytest.mark.parametrize(
    ("expires", "message"),
    [
        ("0", "positive"),
        ("604801", "less than a week"),
        ("abc", "should be a number"),
        ("1_0", "should be a number"),
        ("-5", "should be a number"),
    ],
)
def test_a_malformed_expiry_is_an_incomplete_signature(expires, message):
    wire = presigned().with_query(X_Amz_Expires=expires)

    with pytest.raises(IncompleteSignature, match=message):
        wire.read()


@pytest.mark.parametrize(
    "missing", ["X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"]
)
def test_a_presigned_url_missing_a_parameter_is_an_incomplete_signature(missing):
    wire = presigned().with_query(**{missing.replace("-", "_"): None})

    with pytest.raises(IncompleteSignature) as caught:
        wire.read()
    assert caught.value.message == (
        f"AWS query-string parameters must include '{missing}'. "
        "Re-examine the query-string parameters."
    )


# -- missing and malformed signatures --------------------------------------------------------
def test_a_request_without_any_signature_is_missing_its_token():
    with pytest.raises(MissingAuthenticationToken) as caught:
        Wire("POST", "/", "", {"host": "127.0.0.1"}, b"Action=ListUsers").read()

    assert caught.value.message == "Request is missing Authentication Token"


def test_a_presigned_url_with_another_algorithm_is_missing_its_token():
    with pytest.raises(MissingAuthenticationToken):
        presigned().with_query(X_Amz_Algorithm="AWS4-ECDSA-P256-SHA256").read()


def test_a_header_and_a_presigned_query_together_are_refused():
    wire = iam_post()
    both = replace(wire, query=presigned().query)

    with pytest.raises(SignatureDoesNotMatch):
        both.read()


MALFORMED_HEADERS = {
    "algorithm only": (
        "AWS4-HMAC-SHA256",
        "Authorization header requires 'Credential' parameter. Authorization header requires "
        "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
        "Authorization=AWS4-HMAC-SHA256",
    ),
    "no signature": (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/iam/aws4_request, "
        "SignedHeaders=host;x-amz-date",
        "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256",
    ),
    "sigv2": ("AWS AKIAIOSFODNN7EXAMPLE:c2lnbmF0dXJl", "Unsupported AWS 'algorithm': 'AWS'."),
    "no equal sign": (
        "AWS4-HMAC-SHA256 Credential=AKIA/20261128/us-east-1/iam/aws4_request, "
        "SignedHeaders=host, Signature",
        "'Signature' not a valid key=value pair (missing equal-sign) in Authorization header",
    ),
    "four-part credential": (
        "AWS4-HMAC-SHA256 Credential=AKIA/20261128/us-east-1/iam, SignedHeaders=host, "
        "Signature=abc",
        "Credential must have exactly 5 slash-delimited elements, "
        "e.g. keyid/date/region/service/term, got 'AKIA/20261128/us-east-1/iam'",
    ),
    "empty credential part": (
        "AWS4-HMAC-SHA256 Credential=AKIA//us-east-1/iam/aws4_request, SignedHeaders=host, "
        "Signature=abc",
        "Credential must have exactly 5 slash-delimited elements",
    ),
}


@pytest.mark.parametrize(
    ("authorization", "message"), MALFORMED_HEADERS.values(), ids=MALFORMED_HEADERS.keys()
)
def test_a_malformed_authorization_header_is_an_incomplete_signature(authorization, message):
    wire = iam_post().with_headers(authorization=authorization)

    with pytest.raises(IncompleteSignature) as caught:
        wire.read()
    assert caught.value.message.startswith(message)


def test_a_header_signed_request_without_a_date_is_an_incomplete_signature():
    with pytest.raises(IncompleteSignature, match="'X-Amz-Date' or a 'Date' header"):
        iam_post().with_headers(x_amz_date=None).read()


@pytest.mark.parametrize("stamp", ["2026-11-28T04:50:00Z", "20261399T000000Z", "20261128T0450Z"])
def test_a_date_not_in_iso8601_basic_format_is_an_incomplete_signature(stamp):
    with pytest.raises(IncompleteSignature, match="ISO-8601 'basic format'"):
        iam_post().with_headers(x_amz_date=stamp).read()


def test_the_host_header_must_be_signed():
    wire = iam_post()
    unsigned_host = wire.authorization.replace(
        "SignedHeaders=content-type;host;", "SignedHeaders=content-type;"
    )
    assert unsigned_host != wire.authorization

    with pytest.raises(
        SignatureDoesNotMatch, match="'Host' or ':authority' must be a 'SignedHeader'"
    ):
        wire.with_headers(authorization=unsigned_host).read()


def test_a_signed_header_missing_from_the_request_is_refused():
    with pytest.raises(SignatureDoesNotMatch):
        iam_post().with_headers(content_type=None).read()


@pytest.mark.parametrize(
    "damage",
    [
        lambda wire: replace(wire, path="/\ud800/%ZZ"),
        lambda wire: replace(wire, query="a=\udcff&%=%%&X-Amz-Signature"),
        lambda wire: wire.with_headers(content_type="text/plain; \ud800"),
    ],
    ids=["path", "query", "header"],
)
def test_lone_surrogates_and_bad_escapes_are_a_plain_mismatch(damage):
    refused(damage(iam_post()))


@settings(max_examples=150, deadline=None)
@given(
    method=st.text(max_size=8),
    path=st.text(max_size=40),
    query=st.one_of(
        st.text(max_size=80),
        st.builds(
            lambda tail: (
                "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A%2F1%2Fr%2Fs%2Ft&" + tail
            ),
            st.text(max_size=80),
        ),
    ),
    authorization=st.one_of(
        st.none(),
        st.text(max_size=120),
        st.builds(lambda tail: "AWS4-HMAC-SHA256 " + tail, st.text(max_size=120)),
    ),
    amz_date=st.one_of(st.none(), st.text(max_size=20), st.just("20261128T045000Z")),
    body=st.binary(max_size=40),
)
def test_hostile_input_only_ever_raises_authentication_errors(
    method, path, query, authorization, amz_date, body
):
    headers = {"host": "127.0.0.1"}
    if authorization is not None:
        headers["authorization"] = authorization
    if amz_date is not None:
        headers["x-amz-date"] = amz_date
    try:
        signed = read_signature(method, path, query, headers, body)
        verify(signed, "secret", datetime(2026, 11, 28, 4, 50, tzinfo=UTC))
    except AuthenticationError:
        pass
