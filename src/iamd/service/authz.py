"""Authorization: gather the policies that apply to a caller and ask the engine.

Parsed documents are cached by their text (a document never changes under its text), and a
caller's compiled set is rebuilt whenever its account's version moves (see `authn`), so no
decision is taken on data older than what has been committed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

from iamd.domain.entities import (
    PrincipalKind,
    Relation,
    Role,
    Tag,
    User,
)
from iamd.domain.errors import AccessDenied
from iamd.policy import (
    Decision,
    Outcome,
    Policy,
    PolicyKind,
    PolicySet,
    Request,
    parse_policy,
)
from iamd.storage.api import Transaction

from .context import Call, Caller, Env
from .iam.boundaries import managed_policy

ContextValue = str | tuple[str, ...]


@lru_cache(maxsize=8192)
def parsed(document: str, kind: PolicyKind, name: str) -> Policy:
    """A stored document, parsed (it was validated when it was stored; size is not rechecked)."""
    return parse_policy(document, kind, name=name, max_size=None)


def managed_document(env: Env, tx: Transaction, arn: str) -> str | None:
    """The default version's document of a managed policy (customer or AWS), by ARN."""
    policy = managed_policy(env, tx, arn)
    if policy is None:
        return None
    if policy.is_aws_managed:
        return env.aws_policies[arn].version.document
    for version in tx.versions(policy.id):
        if version.version_id == policy.default_version_id:
            return version.document
    return None


def user_policies(env: Env, tx: Transaction, user: User) -> PolicySet:
    """The identity policies (the user's and its groups', inline and attached) and boundary."""
    owners = [(PrincipalKind.USER, user.id)] + [
        (PrincipalKind.GROUP, group_id) for group_id in tx.lefts(Relation.GROUP_MEMBER, user.id)
    ]
    return _policies_of(env, tx, owners, user.permissions_boundary)


def role_policies(env: Env, tx: Transaction, role: Role) -> PolicySet:
    """The role's identity policies (inline and attached) and boundary."""
    return _policies_of(env, tx, [(PrincipalKind.ROLE, role.id)], role.permissions_boundary)


def _policies_of(
    env: Env, tx: Transaction, owners: Sequence[tuple[PrincipalKind, str]],
    boundary_arn: str | None,
) -> PolicySet:
    identity: list[Policy] = []
    for kind, owner_id in owners:
        for inline in tx.inline_policies(kind, owner_id):
            identity.append(parsed(inline.document, PolicyKind.IDENTITY, inline.name))
        for arn in tx.attached(kind, owner_id):
            document = managed_document(env, tx, arn)
            if document is not None:
                identity.append(parsed(document, PolicyKind.IDENTITY, arn))
    boundary = None
    if boundary_arn:
        document = managed_document(env, tx, boundary_arn)
        if document is not None:
            boundary = parsed(document, PolicyKind.BOUNDARY, boundary_arn)
    return PolicySet(identity=tuple(identity), boundary=boundary)


def principal_context(
    account_id: str, user: User | None, tags: Sequence[Tag]
) -> dict[str, ContextValue]:
    """The aws:Principal* and aws:username/userid keys AWS sets for an IAM user or root."""
    if user is None:
        return {
            "aws:PrincipalArn": f"arn:aws:iam::{account_id}:root",
            "aws:PrincipalAccount": account_id,
            "aws:PrincipalType": "Account",
            "aws:userid": account_id,
            "aws:PrincipalIsAWSService": "false",
        }
    context: dict[str, ContextValue] = {
        "aws:PrincipalArn": user.arn,
        "aws:PrincipalAccount": account_id,
        "aws:PrincipalType": "User",
        "aws:username": user.name,
        "aws:userid": user.id,
        "aws:PrincipalIsAWSService": "false",
    }
    context.update(principal_tag_context(tags))
    return context


def principal_tag_context(tags: Sequence[Tag]) -> dict[str, ContextValue]:
    """aws:PrincipalTag/* (and the keys) from tags in order: a later tag (a session tag)
    overrides an earlier one (the user's or role's) of the same key, whatever its case."""
    merged: dict[str, Tag] = {}
    for tag in tags:
        merged[tag.key.lower()] = tag
    context: dict[str, ContextValue] = {
        f"aws:PrincipalTag/{tag.key}": tag.value for tag in merged.values()
    }
    if merged:
        context["aws:PrincipalTagKeys"] = tuple(tag.key for tag in merged.values())
    return context


def request_context(call: Call) -> dict[str, ContextValue]:
    request = call.request
    context: dict[str, ContextValue] = {
        "aws:CurrentTime": request.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(request.now.timestamp())),
        "aws:SourceIp": request.source_ip,
        "aws:SecureTransport": "true" if request.secure_transport else "false",
        "aws:UserAgent": request.user_agent,
        "aws:RequestedRegion": request.region,
        "aws:ViaAWSService": "false",
    }
    session = call.caller.session
    if session is not None:
        # Absent for long-term keys (hence BoolIfExists in AWS's MFA policies); a session
        # says whether MFA was used and, when it was, how long ago.
        context["aws:TokenIssueTime"] = session.issued.strftime("%Y-%m-%dT%H:%M:%SZ")
        mfa = session.mfa_authenticated
        context["aws:MultiFactorAuthPresent"] = "false" if mfa is None else "true"
        if mfa is not None:
            age = max(0, int((request.now - mfa).total_seconds()))
            context["aws:MultiFactorAuthAge"] = str(age)
    return context


def decide(
    call: Call, action: str, resource: str, extra: Mapping[str, ContextValue] | None = None,
    *, resource_account: str | None = None,
) -> Decision:
    """``resource_account``: whose resource it is, when the ARN does not say (AWS managed
    policies, ``arn:aws:iam::aws:...``, are read as resources of the caller's own account)."""
    caller = call.caller
    context = {**request_context(call), **caller.context, **(extra or {})}
    return caller.policies.evaluate(
        Request(caller.principal, action, resource, context, resource_account=resource_account)
    )


def authorize(
    call: Call, action: str, resource: str, extra: Mapping[str, ContextValue] | None = None,
    *, resource_account: str | None = None,
) -> None:
    """Raise AccessDenied, in AWS's words, unless the engine allows the call."""
    decision = decide(call, action, resource, extra, resource_account=resource_account)
    if decision.outcome is not Outcome.ALLOW:
        raise AccessDenied(denial_message(call.caller, action, resource, decision))


_EXPLICIT = {
    "identity": "an identity-based policy",
    "boundary": "a permissions boundary",
    "session": "a session policy",
    "scp": "a service control policy",
    "rcp": "a resource control policy",
    "resource": "a resource-based policy",
}
_IMPLICIT = {
    "identity": "no identity-based policy allows",
    "boundary": "no permissions boundary allows",
    "session": "no session policy allows",
    "scp": "no service control policy allows",
    "rcp": "no resource control policy allows",
    "resource": "no resource-based policy allows",
}


def denial_message(caller: Caller, action: str, resource: str, decision: Decision) -> str:
    """AWS's AccessDenied message: who, what, on which resource, and which policy type."""
    head = f"User: {caller.arn} is not authorized to perform: {action} on resource: {resource}"
    denied_by = decision.denied_by.value if decision.denied_by is not None else "identity"
    if decision.outcome is Outcome.EXPLICIT_DENY:
        return f"{head} with an explicit deny in {_EXPLICIT.get(denied_by, 'a policy')}"
    return f"{head} because {_IMPLICIT.get(denied_by, 'no policy allows')} the {action} action"
