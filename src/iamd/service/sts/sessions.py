"""GetSessionToken and GetFederationToken: temporary credentials for an IAM user (or the root
user) calling with a long-term access key; and what the sessions they make may not call.

GetSessionToken needs no permission (AWS: an authentication operation, not controlled by
policies); with ``SerialNumber`` and ``TokenCode`` the session carries MFA (each code is
accepted once). GetFederationToken is authorized as ``sts:GetFederationToken`` on the
federated user's ARN; its session may do what both the user's policies and the passed
session policies allow (none passed: nothing).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from iamd.domain import errors
from iamd.domain.entities import Tag
from iamd.policy import (
    Arn,
    Outcome,
    Policy,
    PolicyKind,
    PolicyValidationError,
    PrincipalType,
    Request,
    parse_policy,
)

from ..authz import ContextValue, request_context
from ..context import Call, Caller, Env
from ..credentials import accept_code_of_any, enabled_devices
from ..iam.common import request_tag_context, tags_from, writing
from .authorization_messages import authorize_encoded, denial_with_message
from .callers import federated_user_arn
from .claims import SessionClaims, SessionKind
from .tokens import IssuedCredentials, issue

DEFAULT_DURATION = 43_200  # 12 hours
ROOT_MAX_DURATION = 3_600  # the root user's sessions last one hour at most
MAX_POLICY_ARNS = 10
# The session policies, policy ARNs and session tags, as the token carries them, may take
# this many bytes (AWS packs them into a binary form with a limit of its own).
PACKED_LIMIT = 8_192

_INVALID_TOKEN = "The security token included in the request is invalid."
_BAD_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code."
_UNKNOWN_DEVICE = (
    "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA "
    "serial number is valid and associated with this user."
)
_BOTH_NEEDED = (
    "MultiFactorAuthentication failed, must provide both MFA serial number and one time "
    "pass code."
)
# What each kind of session may call in STS (AWS's "Compare AWS STS credentials" table).
_STS_CALLS = {
    SessionKind.USER: frozenset({"AssumeRole", "GetCallerIdentity"}),
    SessionKind.FEDERATED: frozenset({"GetCallerIdentity"}),
}
_LONG_TERM_ONLY = frozenset({"GetSessionToken", "GetFederationToken"})


@dataclass(frozen=True, slots=True)
class FederationCredentials:
    credentials: IssuedCredentials
    federated_user_id: str  # ACCOUNT:NAME
    arn: str  # arn:aws:sts::ACCOUNT:federated-user/NAME
    packed_policy_size: int  # percent of PACKED_LIMIT


def check_session_call(caller: Caller, service: str, operation: str) -> None:
    """Refuse what temporary credentials may not call, before the operation runs: a
    GetSessionToken session without MFA (unless it comes from a console sign-in, which may
    call IAM as the console does), and a federated session, cannot call IAM
    (InvalidClientTokenId, as AWS answers); those sessions call only some STS operations, and
    no session calls GetSessionToken or GetFederationToken (AccessDenied).
    """
    claims = caller.claims
    if claims is None:
        return
    if service == "iam":
        no_mfa = (claims.kind is SessionKind.USER and claims.mfa_authenticated is None
                  and not claims.signed_in)
        if no_mfa or claims.kind is SessionKind.FEDERATED:
            raise errors.InvalidClientTokenId(_INVALID_TOKEN)
        return
    allowed = _STS_CALLS.get(claims.kind)
    refused = operation in _LONG_TERM_ONLY or (allowed is not None and operation not in allowed)
    if service == "sts" and refused:
        raise errors.AccessDenied(f"Cannot call {operation} with session credentials")


def get_session_token(
    env: Env, call: Call, duration_seconds: int | None = None,
    serial_number: str | None = None, token_code: str | None = None,
) -> IssuedCredentials:
    """Credentials for the caller's own permissions, with MFA when a code is given.

    Raises:
        AccessDenied: temporary credentials, or an MFA serial or code that fails.
    """
    owner_id = _long_term_owner(call, "GetSessionToken")
    now = call.request.now
    mfa_at = None
    if serial_number is not None or token_code is not None:
        _accept_mfa(env, call, owner_id, serial_number, token_code)
        mfa_at = now
    claims = SessionClaims(
        kind=SessionKind.USER, account_id=call.account_id, access_key_id="",
        secret_access_key="", issued=now, expires=now + _duration(call, duration_seconds),
        principal_id=owner_id, mfa_authenticated=mfa_at,
    )
    return issue(env, claims)


def get_federation_token(
    env: Env, call: Call, name: str, policy: str | None = None,
    policy_arns: Sequence[str] = (), tags: Sequence[Mapping[str, str]] | None = None,
    duration_seconds: int | None = None,
) -> FederationCredentials:
    """Credentials of the federated user ``name``: the caller's permissions narrowed by the
    session policies (``policy`` and ``policy_arns``; with neither, no permission).

    Raises:
        AccessDenied: temporary credentials, or not allowed sts:GetFederationToken (or
            sts:TagSession with tags); the message carries an encoded authorization message.
        MalformedPolicyDocument: an invalid session policy or policy ARN.
        InvalidParameterValue: duplicate or reserved session tag keys.
        PackedPolicyTooLarge: policies and tags too large for the session token.
    """
    owner_id = _long_term_owner(call, "GetFederationToken")
    arn = federated_user_arn(call.account_id, name)
    session_tags = tuple(tags_from(tags, errors.InvalidParameterValue))
    authorize_encoded(env, call, "sts:GetFederationToken", arn)
    if session_tags:
        _authorize_tag_session(env, call, arn, request_tag_context(session_tags))
    document = checked_session_policy(policy)
    arns = checked_policy_arns(policy_arns)
    packed = packed_policy_size(document, arns, session_tags)
    now = call.request.now
    claims = SessionClaims(
        kind=SessionKind.FEDERATED, account_id=call.account_id, access_key_id="",
        secret_access_key="", issued=now, expires=now + _duration(call, duration_seconds),
        principal_id=owner_id, session_name=name, policy=document, policy_arns=arns,
        tags=session_tags,
    )
    return FederationCredentials(issue(env, claims), f"{call.account_id}:{name}", arn, packed)


def _authorize_tag_session(
    env: Env, call: Call, arn: str, tag_context: dict[str, ContextValue]
) -> None:
    """sts:TagSession on the federated user, which the caller's identity policies must allow.
    The engine wants that action granted by a resource policy too (a role's trust policy, for
    AssumeRole); a federated user has none, so the account's own grant stands in for it."""
    caller = call.caller
    policies = caller.policies.with_resource_policy(_account_grant(call.account_id))
    context = {**request_context(call), **caller.context, **tag_context}
    decision = policies.evaluate(Request(caller.principal, "sts:TagSession", arn, context))
    if decision.outcome is not Outcome.ALLOW:
        raise errors.AccessDenied(
            denial_with_message(env, call, "sts:TagSession", arn, decision, tag_context)
        )


@lru_cache(maxsize=1024)
def _account_grant(account_id: str) -> Policy:
    document = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
        "Action": "sts:TagSession", "Resource": "*",
    }]}
    return parse_policy(document, PolicyKind.RESOURCE, name="account grant")


def _long_term_owner(call: Call, operation: str) -> str | None:
    """The caller's user id (None: the root user), if it calls with a long-term key."""
    caller = call.caller
    if caller.claims is not None:
        raise errors.AccessDenied(f"Cannot call {operation} with session credentials")
    if caller.principal.type is PrincipalType.ROOT:
        return None
    if caller.principal.type is not PrincipalType.USER or caller.user is None:
        raise errors.AccessDenied(f"Cannot call {operation} with these credentials")
    return caller.user.id


def _duration(call: Call, seconds: int | None) -> timedelta:
    """The model bounds ``seconds`` (900 to 129,600); the root user's sessions are cut to an
    hour, as AWS does, rather than refused."""
    chosen = DEFAULT_DURATION if seconds is None else seconds
    if call.caller.principal.type is PrincipalType.ROOT:
        chosen = min(chosen, ROOT_MAX_DURATION)
    return timedelta(seconds=chosen)


def _accept_mfa(
    env: Env, call: Call, owner_id: str | None, serial: str | None, code: str | None
) -> None:
    """Accept ``code`` from the caller's enabled device ``serial``; the code is spent."""
    if serial is None or code is None:
        raise errors.AccessDenied(_BOTH_NEEDED)
    with writing(env, call, authorization_unchanged=True) as tx:
        devices = [device for device in enabled_devices(tx, call.account_id, owner_id)
                   if device.serial_number == serial]
        if not devices:
            raise errors.AccessDenied(_UNKNOWN_DEVICE)
        if accept_code_of_any(env, tx, devices, code) is None:
            raise errors.AccessDenied(_BAD_CODE)


# -- session policies and tags (GetFederationToken; AssumeRole takes the same inputs) --------
def checked_session_policy(document: str | None) -> str | None:
    """Raises MalformedPolicyDocument with the first problem of an invalid session policy."""
    if document is None:
        return None
    try:
        parse_policy(document, PolicyKind.SESSION)
    except PolicyValidationError as error:
        first = error.problems[0] if error.problems else "Syntax errors in policy."
        raise errors.MalformedPolicyDocument(str(first)) from None
    return document


def checked_policy_arns(arns: Sequence[str]) -> tuple[str, ...]:
    """Raises MalformedPolicyDocument for more than ten ARNs or one that names no policy."""
    if len(arns) > MAX_POLICY_ARNS:
        raise errors.MalformedPolicyDocument(
            f"PolicyArns cannot contain more than {MAX_POLICY_ARNS} policy ARNs."
        )
    for arn in arns:
        if not _is_policy_arn(arn):
            raise errors.MalformedPolicyDocument(f"Invalid policy ARN: {arn}")
    return tuple(arns)


def _is_policy_arn(text: str) -> bool:
    try:
        arn = Arn.parse(text)
    except ValueError:
        return False
    account_ok = arn.account == "aws" or (len(arn.account) == 12 and arn.account.isdigit())
    return arn.service == "iam" and account_ok and arn.resource.startswith("policy/")


def packed_policy_size(
    document: str | None, arns: Sequence[str], tags: Sequence[Tag]
) -> int:
    """The percentage of PACKED_LIMIT the session policies and tags take.

    Raises:
        PackedPolicyTooLarge: more than 100 percent.
    """
    packed = json.dumps([document, list(arns), [[tag.key, tag.value] for tag in tags]],
                        separators=(",", ":"), ensure_ascii=False).encode()
    percent = math.ceil(100 * len(packed) / PACKED_LIMIT)
    if percent > 100:
        raise errors.PackedPolicyTooLarge(
            f"Packed policy consumes {percent}% of allotted space, please use smaller policy."
        )
    return percent
