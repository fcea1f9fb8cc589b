"""Temporary credentials: an ``ASIA...`` key id, a secret, and a session token that carries
everything about the session, sealed (AES-GCM under the server key).

Nothing is stored per session, as with AWS: any server holding the server key opens the
token, and the key id, the expiry and the principal are checked on every request. A role
session ends when its role is deleted (the role's id is in the token); a role's sessions
issued before a time are revoked by a Deny on ``aws:TokenIssueTime`` in the role's policies.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime

from iamd.domain import errors
from iamd.domain.entities import Tag
from iamd.domain.identifiers import secret_access_key, temporary_key_id

from ..context import Env
from ..ports import Unsealable
from .claims import SessionClaims, SessionKind

_CONTEXT = b"iamd sts session token v1:"
_INVALID = "The security token included in the request is invalid."
_EXPIRED = "The security token included in the request is expired"
MAX_TOKEN_CHARS = 16_384


@dataclass(frozen=True, slots=True)
class IssuedCredentials:
    claims: SessionClaims
    session_token: str = field(repr=False)

    @property
    def access_key_id(self) -> str:
        return self.claims.access_key_id

    @property
    def secret_access_key(self) -> str:
        return self.claims.secret_access_key

    @property
    def expiration(self) -> datetime:
        return self.claims.expires


def issue(env: Env, claims_without_key: SessionClaims) -> IssuedCredentials:
    """New credentials for the claims: a fresh key id (naming the account) and secret."""
    key_id = temporary_key_id(env.random, claims_without_key.account_id)
    claims = replace(claims_without_key, access_key_id=key_id,
                     secret_access_key=secret_access_key(env.random))
    sealed = env.sealer.seal(_encode(claims), context=_CONTEXT + key_id.encode())
    return IssuedCredentials(claims, base64.b64encode(sealed).decode())


def open_token(env: Env, access_key_id: str, token: str) -> SessionClaims:
    """The claims of a session token presented with ``access_key_id``.

    Raises:
        InvalidClientTokenId: malformed or tampered token, or not this key's.
        ExpiredToken: the session has ended.
    """
    if len(token) > MAX_TOKEN_CHARS:
        raise errors.InvalidClientTokenId(_INVALID)
    try:
        sealed = base64.b64decode(token, validate=True)
        claims = _decode(env.sealer.unseal(sealed, context=_CONTEXT + access_key_id.encode()))
    except (Unsealable, binascii.Error, ValueError, KeyError, TypeError):
        raise errors.InvalidClientTokenId(_INVALID) from None
    if claims.access_key_id != access_key_id:
        raise errors.InvalidClientTokenId(_INVALID)
    if env.clock.now() >= claims.expires:
        raise errors.ExpiredToken(_EXPIRED)
    return claims


def _encode(claims: SessionClaims) -> bytes:
    data = asdict(claims)
    data["tags"] = [[tag.key, tag.value] for tag in claims.tags]
    for name in ("issued", "expires", "mfa_authenticated"):
        value = data[name]
        data[name] = None if value is None else int(value.timestamp())
    return json.dumps(data, separators=(",", ":")).encode()


def _decode(raw: bytes) -> SessionClaims:
    data = json.loads(raw)

    def when(name: str) -> datetime | None:
        value = data[name]
        return None if value is None else datetime.fromtimestamp(int(value), UTC)

    issued, expires = when("issued"), when("expires")
    if issued is None or expires is None:
        raise ValueError("a token without its times")
    return SessionClaims(
        kind=SessionKind(data["kind"]), account_id=str(data["account_id"]),
        access_key_id=str(data["access_key_id"]),
        secret_access_key=str(data["secret_access_key"]), issued=issued, expires=expires,
        principal_id=data["principal_id"], session_name=data["session_name"],
        mfa_authenticated=when("mfa_authenticated"), policy=data["policy"],
        policy_arns=tuple(data["policy_arns"]),
        tags=tuple(Tag(str(key), str(value)) for key, value in data["tags"]),
        transitive_tag_keys=tuple(data["transitive_tag_keys"]),
        source_identity=data["source_identity"], chained=bool(data["chained"]),
    )
