"""AWS Signature Version 4: read a signed request, then verify it against a secret.

Pure: no I/O and no clock. `read_signature` turns an HTTP request into a `SignedRequest` (the
credential, the scope and the hashes of the canonical request), refusing malformed signatures;
`verify` recomputes the signature with a secret the caller looked up and checks the scope and
the time window against a `now` it is given. Both forms are read: the ``Authorization`` header
and the presigned query string (``X-Amz-Algorithm``, ``X-Amz-Credential``, ...).

The canonical request is built the way AWS and botocore build it for non-S3 services: the path
with dot segments and repeated slashes removed and then URI-encoded once more; the query decoded
and re-encoded with RFC 3986 unreserved characters, sorted; exactly the headers named in
SignedHeaders, values trimmed and inner whitespace collapsed; the SHA-256 of the body.

Error messages are AWS's wording, so that users and tools recognise them. Only the
``X-Amz-Date`` header dates a header-signed request (every AWS SDK sends it); ``Date`` is not read.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import quote, unquote_to_bytes

from iamd.domain.errors import (
    IncompleteSignature,
    MissingAuthenticationToken,
    SignatureDoesNotMatch,
)

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_PRESIGNED_EXPIRES = 604800  # seven days, the lifetime of a signing key

MISSING_TOKEN = "Request is missing Authentication Token"
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
HOST_NOT_SIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
CONTENT_SHA256_MISMATCH = (
    "The provided 'x-amz-content-sha256' header does not match what was computed."
)

_AMZ_DATE = re.compile(r"[0-9]{8}T[0-9]{6}Z")
_DIGITS = re.compile(r"[0-9]{1,7}")
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_UNRESERVED = "-_.~"


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What a request claims: who signed it, for which scope and when, and what was signed."""

    access_key_id: str
    scope_date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str = field(repr=False)
    amz_date: datetime
    security_token: str | None = field(repr=False)
    presigned: bool
    expires: int | None
    _terminator: str = field(repr=False)
    _amz_date_text: str = field(repr=False)
    # One string to sign per payload hash the client may have used; see `_payload_hashes`.
    _strings_to_sign: tuple[str, ...] = field(repr=False)

    @property
    def credential_scope(self) -> str:
        """``date/region/service/aws4_request`` as the client sent it."""
        return f"{self.scope_date}/{self.region}/{self.service}/{self._terminator}"


# -- reading ---------------------------------------------------------------------------------
def read_signature(
    method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
) -> SignedRequest:
    """Read the SigV4 signature of a request and hash its canonical form.

    ``headers`` has lower-cased names (repeated headers joined with ``,``); ``path`` is the raw,
    percent-encoded path and ``query`` the raw query string. Raises MissingAuthenticationToken
    when the request carries no signature and IncompleteSignature or SignatureDoesNotMatch when
    the signature is malformed.
    """
    params = _parse_query(query)
    authorization = headers.get("authorization")
    algorithm = _first(params, "X-Amz-Algorithm")
    if authorization is not None and algorithm is not None:
        raise SignatureDoesNotMatch(MISMATCH)
    if authorization is not None:
        claim = _claim_from_header(authorization, headers)
    elif algorithm is not None:
        claim = _claim_from_query(algorithm, params)
    else:
        raise MissingAuthenticationToken(MISSING_TOKEN)

    if "host" not in claim.signed_headers:
        raise SignatureDoesNotMatch(HOST_NOT_SIGNED)
    access_key_id, scope_date, region, service, terminator = _split_credential(claim.credential)
    amz_date = _parse_amz_date(claim.amz_date)

    scope = f"{scope_date}/{region}/{service}/{terminator}"
    canonical_prefix = _canonical_prefix(method, path, params, headers, claim)
    strings_to_sign = tuple(
        f"{ALGORITHM}\n{claim.amz_date}\n{scope}\n"
        + _sha256_hex(_utf8(f"{canonical_prefix}\n{payload_hash}"))
        for payload_hash in _payload_hashes(headers, body, presigned=claim.presigned)
    )
    return SignedRequest(
        access_key_id=access_key_id,
        scope_date=scope_date,
        region=region,
        service=service,
        signed_headers=claim.signed_headers,
        signature=claim.signature,
        amz_date=amz_date,
        security_token=claim.security_token,
        presigned=claim.presigned,
        expires=claim.expires,
        _terminator=terminator,
        _amz_date_text=claim.amz_date,
        _strings_to_sign=strings_to_sign,
    )


class _Claim(NamedTuple):
    """The raw signature parameters, from the header or from the query string."""

    credential: str
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str
    security_token: str | None
    presigned: bool
    expires: int | None


def _claim_from_header(authorization: str, headers: Mapping[str, str]) -> _Claim:
    text = authorization.strip()
    algorithm, _, rest = text.partition(" ")
    if algorithm != ALGORITHM:
        raise IncompleteSignature(f"Unsupported AWS 'algorithm': '{algorithm}'.")
    fields: dict[str, str] = {}
    for raw in rest.split(","):
        item = raw.strip()
        if not item:
            continue
        name, equals, value = item.partition("=")
        if not equals:
            raise IncompleteSignature(
                f"'{item}' not a valid key=value pair (missing equal-sign) in Authorization "
                f"header: '{text}'."
            )
        fields[name.strip()] = value.strip()

    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if name not in fields
    ]
    amz_date = headers.get("x-amz-date")
    if amz_date is None:
        missing.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    if missing or amz_date is None:
        raise IncompleteSignature(f"{' '.join(missing)} Authorization={algorithm}")
    return _Claim(
        credential=fields["Credential"],
        signed_headers=_signed_header_names(fields["SignedHeaders"]),
        signature=fields["Signature"],
        amz_date=amz_date.strip(),
        security_token=headers.get("x-amz-security-token"),
        presigned=False,
        expires=None,
    )


def _claim_from_query(algorithm: str, params: list[tuple[bytes, bytes]]) -> _Claim:
    if algorithm != ALGORITHM:
        raise MissingAuthenticationToken(MISSING_TOKEN)
    required = ("X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date")
    values = {name: _first(params, name) for name in required}
    missing = [
        f"AWS query-string parameters must include '{name}'."
        for name, value in values.items()
        if value is None
    ]
    if missing:
        raise IncompleteSignature(f"{' '.join(missing)} Re-examine the query-string parameters.")
    expires = _first(params, "X-Amz-Expires")
    return _Claim(
        credential=values["X-Amz-Credential"] or "",
        signed_headers=_signed_header_names(values["X-Amz-SignedHeaders"] or ""),
        signature=values["X-Amz-Signature"] or "",
        amz_date=values["X-Amz-Date"] or "",
        security_token=_first(params, "X-Amz-Security-Token"),
        presigned=True,
        expires=None if expires is None else _parse_expires(expires),
    )


def _signed_header_names(text: str) -> tuple[str, ...]:
    return tuple(sorted({name.strip().lower() for name in text.split(";") if name.strip()}))


def _split_credential(credential: str) -> tuple[str, str, str, str, str]:
    parts = credential.split("/")
    if len(parts) != 5 or not all(parts):
        raise IncompleteSignature(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{credential}'"
        )
    access_key_id, scope_date, region, service, terminator = parts
    return access_key_id, scope_date, region, service, terminator


def _parse_amz_date(text: str) -> datetime:
    try:
        if not _AMZ_DATE.fullmatch(text):
            raise ValueError(text)
        # The basic format, checked above, is one that fromisoformat reads (as UTC).
        return datetime.fromisoformat(text)
    except ValueError:
        raise IncompleteSignature(
            f"Date must be in ISO-8601 'basic format'. Got '{text}'. "
            "See http://en.wikipedia.org/wiki/ISO_8601"
        ) from None


def _parse_expires(text: str) -> int:
    if not _DIGITS.fullmatch(text):
        raise IncompleteSignature("X-Amz-Expires should be a number")
    expires = int(text)
    if expires > MAX_PRESIGNED_EXPIRES:
        raise IncompleteSignature(
            "X-Amz-Expires must be less than a week (in seconds) that is 604800"
        )
    if expires < 1:
        raise IncompleteSignature("X-Amz-Expires must be a positive number of seconds")
    return expires


# -- canonical request -----------------------------------------------------------------------
def _canonical_prefix(
    method: str,
    path: str,
    params: list[tuple[bytes, bytes]],
    headers: Mapping[str, str],
    claim: _Claim,
) -> str:
    """The canonical request up to, not including, its last line: the payload hash."""
    return "\n".join(
        (
            method.upper(),
            _canonical_uri(path),
            _canonical_query(params, drop_signature=claim.presigned),
            _canonical_headers(claim.signed_headers, headers),
            ";".join(claim.signed_headers),
        )
    )


def _parse_query(query: str) -> list[tuple[bytes, bytes]]:
    """Split a raw query string into decoded (name, value) byte pairs, in order."""
    pairs: list[tuple[bytes, bytes]] = []
    if not query:
        return pairs
    for item in query.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        pairs.append((_form_decode(name), _form_decode(value)))
    return pairs


def _form_decode(text: str) -> bytes:
    return unquote_to_bytes(_utf8(text.replace("+", " ")))


def _first(params: list[tuple[bytes, bytes]], name: str) -> str | None:
    wanted = name.encode()
    for key, value in params:
        if key == wanted:
            return value.decode("utf-8", "replace")
    return None


def _canonical_query(params: list[tuple[bytes, bytes]], *, drop_signature: bool) -> str:
    encoded = sorted(
        (quote(name, safe=_UNRESERVED), quote(value, safe=_UNRESERVED))
        for name, value in params
        if not (drop_signature and name == b"X-Amz-Signature")
    )
    return "&".join(f"{name}={value}" for name, value in encoded)


def _canonical_uri(path: str) -> str:
    if path == "/":
        return path
    return quote(_remove_dot_segments(path), safe="/~", errors="surrogatepass")


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 dot-segment removal; AWS also collapses repeated slashes."""
    if not path:
        return "/"
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    leading = "/" if path.startswith("/") else ""
    trailing = "/" if path.endswith("/") and segments else ""
    return leading + "/".join(segments) + trailing


def _canonical_headers(names: tuple[str, ...], headers: Mapping[str, str]) -> str:
    lines = []
    for name in names:
        value = headers.get(name)
        if value is None:
            raise SignatureDoesNotMatch(MISMATCH)
        lines.append(f"{name}:{' '.join(value.split())}\n")
    return "".join(lines)


def _payload_hashes(headers: Mapping[str, str], body: bytes, *, presigned: bool) -> tuple[str, ...]:
    """The payload hashes a valid signature may have been computed over.

    A declared ``x-amz-content-sha256`` must match the body. ``UNSIGNED-PAYLOAD`` leaves the body
    unauthenticated, so it is accepted only for a presigned request without a body; a presigned
    URL carries no header to say which the client used, so an empty body may match either.
    """
    body_hash = _EMPTY_SHA256 if not body else _sha256_hex(body)
    declared = headers.get("x-amz-content-sha256")
    if declared is None:
        if presigned and not body:
            return (body_hash, UNSIGNED_PAYLOAD)
        return (body_hash,)
    if declared == UNSIGNED_PAYLOAD and presigned and not body:
        return (UNSIGNED_PAYLOAD,)
    if declared != body_hash:
        raise SignatureDoesNotMatch(CONTENT_SHA256_MISMATCH)
    return (body_hash,)


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _utf8(text: str) -> bytes:
    """UTF-8 that never raises: a lone surrogate from a hostile request is hashed, not fatal."""
    return text.encode("utf-8", "surrogatepass")


# -- verifying -------------------------------------------------------------------------------
def verify(
    signed: SignedRequest,
    secret_access_key: str,
    now: datetime,
    *,
    expected_service: str | None = None,
    expected_region: str | None = None,
    max_skew: timedelta = timedelta(minutes=15),
) -> None:
    """Check a signature with the signer's secret; raise SignatureDoesNotMatch if it fails.

    The time window is checked first (±``max_skew`` around ``now`` for a signed header; from
    ``X-Amz-Date - max_skew`` to ``X-Amz-Date + X-Amz-Expires`` for a presigned URL), then the
    credential scope, then the signature itself. Works with any secret string, so a caller can
    verify against a dummy secret when the key id is unknown and take the same path.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    _check_time(signed, now.astimezone(UTC), max_skew)
    _check_scope(signed, expected_service, expected_region)
    key = _signing_key(secret_access_key, signed.scope_date, signed.region, signed.service)
    provided = _utf8(signed.signature)
    matched = False
    for string_to_sign in signed._strings_to_sign:
        expected = hmac.digest(key, _utf8(string_to_sign), "sha256").hex().encode()
        matched |= hmac.compare_digest(expected, provided)
    if not matched:
        raise SignatureDoesNotMatch(MISMATCH)


def _check_time(signed: SignedRequest, now: datetime, max_skew: timedelta) -> None:
    latest = now + max_skew
    if signed.amz_date > latest:
        raise SignatureDoesNotMatch(
            f"Signature not yet current: {signed._amz_date_text} is still later than "
            f"{_stamp(latest)} ({_stamp(now)} + {_duration(max_skew)})"
        )
    lifetime = max_skew if signed.expires is None else timedelta(seconds=signed.expires)
    earliest = now - lifetime
    if signed.amz_date < earliest:
        raise SignatureDoesNotMatch(
            f"Signature expired: {signed._amz_date_text} is now earlier than "
            f"{_stamp(earliest)} ({_stamp(now)} - {_duration(lifetime)})"
        )


def _check_scope(
    signed: SignedRequest, expected_service: str | None, expected_region: str | None
) -> None:
    problems = []
    if expected_region is not None and signed.region != expected_region:
        problems.append(f"Credential should be scoped to a valid region, not '{signed.region}'.")
    if expected_service is not None and signed.service != expected_service:
        problems.append(f"Credential should be scoped to correct service: '{expected_service}'.")
    if signed._terminator != TERMINATOR:
        problems.append(
            "Credential should be scoped with a valid terminator: "
            f"'{TERMINATOR}', not '{signed._terminator}'."
        )
    request_date = signed._amz_date_text[:8]
    if signed.scope_date != request_date:
        problems.append(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{signed.scope_date}' != '{request_date}', "
            f"from '{signed._amz_date_text}'."
        )
    if problems:
        raise SignatureDoesNotMatch(" ".join(problems))


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    return f"{seconds // 60} min." if seconds % 60 == 0 else f"{seconds} sec."


@lru_cache(maxsize=4096)
def _signing_key(secret_access_key: str, date: str, region: str, service: str) -> bytes:
    """kSigning, derived once per secret and day: four HMACs saved on every later request."""
    key = _utf8("AWS4" + secret_access_key)
    for part in (date, region, service, TERMINATOR):
        key = hmac.digest(key, _utf8(part), "sha256")
    return key
