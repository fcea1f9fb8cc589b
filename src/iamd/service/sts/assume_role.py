"""AssumeRole: a session of a role, for a caller the role's trust policy lets in.

The trust policy is the resource policy of the decision (the role ARN its resource, the
role's account the resource account), next to the caller's own policies: within one
account a trust policy that names the caller is enough, one that names the account needs
the caller's identity Allow too, and across accounts both sides must allow. Session tags
need ``sts:TagSession`` and a source identity ``sts:SetSourceIdentity``, each decided the
same way. A denial never says whether the role exists.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from iamd.domain import errors
from iamd.domain.entities import AWS_ACCOUNT, Role, Tag
from iamd.policy import (
    CompiledPolicySet,
    Decision,
    Outcome,
    PolicyKind,
    PolicyValidationError,
    PrincipalType,
    Request,
    parse_policy,
)
from iamd.storage.api import AccountGone, Transaction

from ..authz import ContextValue, parsed, request_context
from ..context import Call, Caller, Env
from ..credentials import accept_code, enabled_devices
from ..iam.boundaries import managed_policy, split_policy_arn
from ..iam.common import request_tag_context, resource_tag_context, tags_from
from .authorization_messages import ENCODED_MARKER, encode_denial
from .callers import assumed_role_arn
from .claims import SessionClaims, SessionKind
from .tokens import IssuedCredentials, issue

ASSUME_ROLE = "sts:AssumeRole"
TAG_SESSION = "sts:TagSession"
SET_SOURCE_IDENTITY = "sts:SetSourceIdentity"

MIN_DURATION = 900
MAX_DURATION = 43_200
DEFAULT_DURATION = 3_600
CHAINED_MAX_DURATION = 3_600  # a role session assuming a role: one hour at most
MAX_POLICY_CHARS = 2_048  # the plaintext of the inline session policy
MAX_POLICY_ARNS = 10
# The packed (compressed) space for session policies, and separately for session tags.
PACKED_BYTES = 800
# How stale a role's RoleLastUsed may get before an AssumeRole writes it again.
LAST_USED_RESOLUTION = timedelta(minutes=1)

_ANY_ARN = re.compile(r"arn:[^:]+:[^:]+:[^:]*:[^:]*:.+", re.DOTALL)
_ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role(/(?:[^/]+/)*)([\w+=,.@-]+)", re.ASCII)
_SESSION_NAME = re.compile(r"[\w+=,.@-]*", re.ASCII)
_MFA_FAILED_BOTH = (
    "MultiFactorAuthentication failed, must provide both MFA serial number and one time "
    "pass code."
)
_MFA_UNKNOWN_DEVICE = (
    "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA "
    "serial number is valid and associated with this user."
)
_MFA_BAD_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code."


@dataclass(frozen=True, slots=True)
class AssumeRoleRequest:
    """The parameters of AssumeRole (``tags`` as given: Key/Value mappings)."""

    role_arn: str
    session_name: str
    duration_seconds: int | None = None
    policy: str | None = None
    policy_arns: Sequence[str] = ()
    tags: Sequence[Mapping[str, str]] = ()
    transitive_tag_keys: Sequence[str] = ()
    external_id: str | None = None
    serial_number: str | None = None
    token_code: str | None = None
    source_identity: str | None = None
    provided_contexts: bool = False  # any ProvidedContexts given (not supported)


@dataclass(frozen=True, slots=True)
class AssumedRole:
    credentials: IssuedCredentials
    assumed_role_id: str  # AROA...:SESSION
    arn: str  # arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
    packed_policy_size: int | None  # percent; None when no session policy or tag was passed
    source_identity: str | None


@dataclass(frozen=True, slots=True)
class _Session:
    """What the new session will carry, worked out from the request and the caller."""

    tags: tuple[Tag, ...]
    transitive_tag_keys: tuple[str, ...]
    source_identity: str | None
    chained: bool


def assume_role(env: Env, call: Call, request: AssumeRoleRequest) -> AssumedRole:
    """Credentials for a session of the role, when its trust policy lets the caller in.

    Raises:
        ValidationError: malformed input (ARN, session name, duration, policy size).
        MalformedPolicyDocument: the session policy is invalid, or a policy ARN does not exist.
        PackedPolicyTooLarge: the session policies or tags take too much packed space.
        InvalidParameterValue: session tags that repeat or conflict with transitive ones.
        AccessDenied: no such role, the trust or the caller's policies do not allow, a root
            or federated-user caller, MFA refused, or a source identity change.
    """
    caller = call.caller
    _check_request(request)
    _refuse_callers_who_cannot_assume(caller, request.role_arn)
    new_tags = tuple(tags_from(request.tags, errors.InvalidParameterValue))
    session = _session_of(caller, request, new_tags)
    packed = _packed_policy_size(request, session.tags)
    mfa_now = request.serial_number is not None or request.token_code is not None
    with _transaction(env, call, mfa_now) as tx:
        mfa_authenticated = _mfa_state(env, tx, call, request)
        found = _role(tx, request.role_arn)
        context = _trust_context(tx, call, request, new_tags, session, found, mfa_now)
        role = _trusting_role(env, call, found, request.role_arn, context, session)
        duration = _duration(request.duration_seconds, role, session.chained)
        _check_policy_arns(env, tx, role, request.policy_arns)
        now = call.request.now
        claims = SessionClaims(
            kind=SessionKind.ROLE, account_id=role.account_id, access_key_id="",
            secret_access_key="", issued=now, expires=now + timedelta(seconds=duration),
            principal_id=role.id, session_name=request.session_name,
            mfa_authenticated=mfa_authenticated, policy=request.policy,
            policy_arns=tuple(request.policy_arns), tags=session.tags,
            transitive_tag_keys=session.transitive_tag_keys,
            source_identity=session.source_identity, chained=session.chained,
        )
        credentials = issue(env, claims)
    _record_role_use(env, role, now, call.request.region)
    return AssumedRole(
        credentials, f"{role.id}:{request.session_name}",
        assumed_role_arn(role.account_id, role.name, request.session_name), packed,
        session.source_identity,
    )


# -- the request's own checks ------------------------------------------------------------------
def _check_request(request: AssumeRoleRequest) -> None:
    if request.provided_contexts:
        raise errors.ValidationError(
            "ProvidedContexts is not supported: iamd has no trusted context providers."
        )
    if _ANY_ARN.fullmatch(request.role_arn) is None:
        raise errors.ValidationError(f"{request.role_arn} is invalid")
    name = request.session_name
    if not 2 <= len(name) <= 64 or _SESSION_NAME.fullmatch(name) is None:
        raise errors.ValidationError(
            f"1 validation error detected: Value '{name}' at 'roleSessionName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
        )
    duration = request.duration_seconds
    if duration is not None and not MIN_DURATION <= duration <= MAX_DURATION:
        bound = ("greater than or equal to", MIN_DURATION) if duration < MIN_DURATION else (
            "less than or equal to", MAX_DURATION)
        raise errors.ValidationError(
            f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to "
            f"satisfy constraint: Member must have value {bound[0]} {bound[1]}"
        )
    if request.policy is not None:
        _check_session_policy(request.policy)
    if len(request.policy_arns) > MAX_POLICY_ARNS:
        raise errors.ValidationError(
            "1 validation error detected: Value at 'policyArns' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_POLICY_ARNS}"
        )


def _check_session_policy(document: str) -> None:
    if len(document) > MAX_POLICY_CHARS:
        raise errors.ValidationError(
            "1 validation error detected: Value at 'policy' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_POLICY_CHARS}"
        )
    try:
        parse_policy(document, PolicyKind.SESSION, max_size=None)
    except PolicyValidationError as error:
        first = error.problems[0] if error.problems else "Syntax errors in policy."
        raise errors.MalformedPolicyDocument(str(first)) from None


def _session_of(
    caller: Caller, request: AssumeRoleRequest, new_tags: tuple[Tag, ...]
) -> _Session:
    """The tags, transitive keys and source identity of the new session: the caller's own
    transitive tags and source identity (role chaining) carry over and cannot be changed."""
    given = {tag.key.lower() for tag in new_tags}
    if any(key.lower() not in given for key in request.transitive_tag_keys):
        raise errors.InvalidParameterValue(
            "The specified transitive tag key must be included in the requested tags."
        )
    claims = caller.claims
    chained = claims is not None and claims.kind is SessionKind.ROLE
    inherited_keys: tuple[str, ...] = ()
    inherited_tags: tuple[Tag, ...] = ()
    inherited_source = None
    if claims is not None and chained:
        inherited_keys = claims.transitive_tag_keys
        transitive = {key.lower() for key in inherited_keys}
        inherited_tags = tuple(tag for tag in claims.tags if tag.key.lower() in transitive)
        if transitive & given:
            raise errors.InvalidParameterValue(
                "One of the specified transitive tag keys can't be set because it conflicts "
                "with a transitive tag key from the calling session."
            )
        inherited_source = claims.source_identity
    source = request.source_identity
    if inherited_source is not None and source is not None and source != inherited_source:
        # The source identity of a role session is set once, for the whole chain.
        raise errors.AccessDenied(_denied(caller, SET_SOURCE_IDENTITY, request.role_arn))
    return _Session(
        tags=inherited_tags + new_tags,
        transitive_tag_keys=inherited_keys + tuple(request.transitive_tag_keys),
        source_identity=inherited_source or source,
        chained=chained,
    )


def _packed_policy_size(request: AssumeRoleRequest, tags: Sequence[Tag]) -> int | None:
    """The percentage of the packed space the session policies and tags take, as AWS
    reports it (the larger of the two), or None when neither was passed.

    Raises PackedPolicyTooLarge, with AWS's words, past 100 percent.
    """
    if request.policy is None and not request.policy_arns and not request.tags:
        return None
    policy_text = "" if request.policy is None else _minified(request.policy)
    policy_part = _percent(policy_text + "\n".join(request.policy_arns))
    tags_part = _percent("\n".join(f"{tag.key}={tag.value}" for tag in tags))
    if tags_part > 100:
        raise errors.PackedPolicyTooLarge(
            f"Packed size of session tags consumes {tags_part}% of allotted space."
        )
    if policy_part > 100:
        raise errors.PackedPolicyTooLarge(
            f"Packed policy consumes {policy_part}% of allotted space, please use smaller "
            "policy."
        )
    return max(policy_part, tags_part)


def _minified(document: str) -> str:
    return json.dumps(json.loads(document), separators=(",", ":"))


def _percent(text: str) -> int:
    if not text:
        return 0
    return math.ceil(100 * len(zlib.compress(text.encode(), 9)) / PACKED_BYTES)


# -- the decision -------------------------------------------------------------------------------
@contextmanager
def _transaction(env: Env, call: Call, mfa_now: bool) -> Iterator[Transaction]:
    """A write on the caller's account when an MFA code is to be accepted (its device
    remembers the code), else a read."""
    if not mfa_now:
        with env.store.read() as tx:
            yield tx
        return
    try:
        with env.store.write(call.account_id, authorization_unchanged=True) as tx:
            yield tx
    except AccountGone:
        raise errors.InvalidClientTokenId(
            "The security token included in the request is invalid."
        ) from None


def _mfa_state(
    env: Env, tx: Transaction, call: Call, request: AssumeRoleRequest
) -> datetime | None:
    """When the new session's MFA happened: now, with a valid code of one of the caller's
    enabled devices; else the caller's own session's MFA time, if any."""
    serial, code = request.serial_number, request.token_code
    caller = call.caller
    if serial is None and code is None:
        return caller.session.mfa_authenticated if caller.session else None
    if serial is None or code is None:
        raise errors.AccessDenied(_MFA_FAILED_BOTH)
    if caller.user is None and not caller.is_root:
        raise errors.AccessDenied(_MFA_UNKNOWN_DEVICE)
    user_id = caller.user.id if caller.user else None
    devices = enabled_devices(tx, caller.account_id, user_id)
    device = next((found for found in devices if found.serial_number == serial), None)
    if device is None:
        raise errors.AccessDenied(_MFA_UNKNOWN_DEVICE)
    if not accept_code(env, tx, device, code):
        raise errors.AccessDenied(_MFA_BAD_CODE)
    return call.request.now


def _role(tx: Transaction, role_arn: str) -> Role | None:
    """The role the ARN names (path included), or None."""
    match = _ROLE_ARN.fullmatch(role_arn)
    if match is None:
        return None
    role: Role | None = tx.get(Role, match.group(1), match.group(3))
    return role if role is not None and role.arn == role_arn else None


def _refuse_callers_who_cannot_assume(caller: Caller, role_arn: str) -> None:
    if caller.is_root:
        raise errors.AccessDenied("Roles may not be assumed by root accounts.")
    if caller.principal.type is PrincipalType.FEDERATED:
        # GetFederationToken sessions may call no STS operation but GetCallerIdentity.
        raise errors.AccessDenied(_denied(caller, ASSUME_ROLE, role_arn))


def _trust_context(
    tx: Transaction, call: Call, request: AssumeRoleRequest, new_tags: Sequence[Tag],
    session: _Session, role: Role | None, mfa_now: bool,
) -> dict[str, ContextValue]:
    """The request context of the trust decision: the caller's keys and the STS ones."""
    context: dict[str, ContextValue] = {**request_context(call), **call.caller.context}
    if mfa_now:
        context["aws:MultiFactorAuthPresent"] = "true"
        context["aws:MultiFactorAuthAge"] = "0"
    context["sts:RoleSessionName"] = request.session_name
    if request.external_id is not None:
        context["sts:ExternalId"] = request.external_id
    if request.transitive_tag_keys:
        context["sts:TransitiveTagKeys"] = tuple(request.transitive_tag_keys)
    if new_tags:
        context.update(request_tag_context(new_tags))
    if session.source_identity is not None:
        context["sts:SourceIdentity"] = session.source_identity
    if role is not None:
        context.update(resource_tag_context(tx.tags("role", role.id)))
    return context


def _trusting_role(
    env: Env, call: Call, role: Role | None, role_arn: str,
    context: Mapping[str, ContextValue], session: _Session,
) -> Role:
    """The role, once AssumeRole, and TagSession / SetSourceIdentity when the session will
    carry tags or a source identity, are each allowed by the trust policy and the caller's
    own policies. Raises AccessDenied (also for an unknown role, in the same words)."""
    caller = call.caller
    actions = [ASSUME_ROLE]
    if session.tags:
        actions.append(TAG_SESSION)
    if session.source_identity is not None:
        actions.append(SET_SOURCE_IDENTITY)
    if role is None:
        raise _refusal(env, call, ASSUME_ROLE, role_arn, Decision(Outcome.IMPLICIT_DENY),
                       context, same_account=_account_of(role_arn) == caller.account_id)
    policies = _with_trust_policy(caller.policies, role)
    for action in actions:
        decision = policies.evaluate(
            Request(caller.principal, action, role.arn, context,
                    resource_account=role.account_id)
        )
        if not decision.allowed:
            raise _refusal(env, call, action, role_arn, decision, context,
                           same_account=role.account_id == caller.account_id)
    return role


def _refusal(
    env: Env, call: Call, action: str, role_arn: str, decision: Decision,
    context: Mapping[str, ContextValue], *, same_account: bool,
) -> errors.AccessDenied:
    """AWS's words; within one account, with the encoded authorization failure message
    (DecodeAuthorizationMessage). Across accounts none: it would show the role's account's
    trust policy to the caller's."""
    message = _denied(call.caller, action, role_arn)
    if same_account:
        message += ENCODED_MARKER + encode_denial(env, call, action, role_arn, decision, context)
    return errors.AccessDenied(message)


def _account_of(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""


def _with_trust_policy(policies: CompiledPolicySet, role: Role) -> CompiledPolicySet:
    trust = parsed(role.assume_role_policy, PolicyKind.TRUST, f"trust policy of {role.name}")
    return policies.with_resource_policy(trust)


def _denied(caller: Caller, action: str, role_arn: str) -> str:
    """AWS's words, which never tell an unknown role from one that does not trust."""
    return f"User: {caller.arn} is not authorized to perform: {action} on resource: {role_arn}"


def _duration(requested: int | None, role: Role, chained: bool) -> int:
    duration = DEFAULT_DURATION if requested is None else requested
    if chained and duration > CHAINED_MAX_DURATION:
        raise errors.ValidationError(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles "
            "assumed by role chaining."
        )
    if duration > role.max_session_duration:
        raise errors.ValidationError(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        )
    return duration


def _check_policy_arns(env: Env, tx: Transaction, role: Role, arns: Sequence[str]) -> None:
    """Each managed session policy exists, and is AWS's or of the role's own account."""
    for arn in arns:
        try:
            account, _path, _name = split_policy_arn(arn)
            found = managed_policy(env, tx, arn)
        except errors.InvalidInput:
            found, account = None, ""
        if found is None or account not in (AWS_ACCOUNT, role.account_id):
            raise errors.MalformedPolicyDocument(
                f"Policy {arn} does not exist or is not attachable."
            )


def _record_role_use(env: Env, role: Role, now: datetime, region: str) -> None:
    """RoleLastUsed, in a short write of its own, at most once a minute per role."""
    last = role.last_used_date
    if last is not None and now - last < LAST_USED_RESOLUTION:
        return
    try:
        with env.store.write(role.account_id, authorization_unchanged=True) as tx:
            current: Role | None = tx.get_by_id(Role, role.id)
            if current is not None:
                tx.replace(replace(current, last_used_date=now, last_used_region=region))
    except AccountGone:
        return
