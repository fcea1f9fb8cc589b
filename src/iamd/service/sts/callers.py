"""The caller that temporary credentials stand for, built from their claims on each request
(with the account's current data: a deleted role or user ends its sessions at once)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from iamd.domain import errors
from iamd.domain.entities import Role, User
from iamd.policy import (
    CompiledPolicySet,
    Policy,
    PolicyKind,
    PolicySet,
    Principal,
    PrincipalType,
)
from iamd.storage.api import Transaction

from ..authz import (
    ContextValue,
    managed_document,
    parsed,
    principal_context,
    principal_tag_context,
    role_policies,
    user_policies,
)
from ..context import Caller, Env, SessionFacts
from .claims import SessionClaims, SessionKind

_INVALID = "The security token included in the request is invalid."
# What the root user may do, for a federated session the root user made.
_ROOT_POWER = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
)

Compile = Callable[[PolicySet], CompiledPolicySet]


def assumed_role_arn(account_id: str, role_name: str, session_name: str) -> str:
    return f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}"


def federated_user_arn(account_id: str, name: str) -> str:
    return f"arn:aws:sts::{account_id}:federated-user/{name}"


def temporary_caller(
    env: Env, tx: Transaction, claims: SessionClaims, version: int, compile_: Compile
) -> Caller:
    """Raises InvalidClientTokenId when the session's role or user no longer exists."""
    facts = SessionFacts(claims.issued, claims.mfa_authenticated)
    if claims.kind is SessionKind.ROLE:
        return _role_caller(env, tx, claims, version, facts, compile_)
    user = _user(tx, claims)
    if claims.kind is SessionKind.FEDERATED:
        return _federated_caller(env, tx, claims, user, version, facts, compile_)
    if user is None:
        principal = Principal(PrincipalType.ROOT, arn=f"arn:aws:iam::{claims.account_id}:root")
        return Caller(claims.account_id, principal, None, claims.access_key_id,
                      compile_(PolicySet()), principal_context(claims.account_id, None, ()),
                      version, facts, claims)
    return Caller(
        claims.account_id, Principal(PrincipalType.USER, arn=user.arn), user,
        claims.access_key_id, compile_(user_policies(env, tx, user)),
        principal_context(claims.account_id, user, tx.tags("user", user.id)), version, facts,
        claims,
    )


def _user(tx: Transaction, claims: SessionClaims) -> User | None:
    if claims.principal_id is None:
        return None
    user: User | None = tx.get_by_id(User, claims.principal_id)
    if user is None or user.account_id != claims.account_id:
        raise errors.InvalidClientTokenId(_INVALID)
    return user


def _role_caller(
    env: Env, tx: Transaction, claims: SessionClaims, version: int, facts: SessionFacts,
    compile_: Compile,
) -> Caller:
    role: Role | None = tx.get_by_id(Role, claims.principal_id or "")
    if role is None or role.account_id != claims.account_id:
        raise errors.InvalidClientTokenId(_INVALID)
    session_name = claims.session_name or ""
    own = role_policies(env, tx, role)
    policies = PolicySet(own.identity, boundary=own.boundary,
                         session=session_policy(env, tx, claims))
    principal = Principal(
        PrincipalType.ROLE_SESSION, arn=assumed_role_arn(role.account_id, role.name, session_name),
        source_arn=role.arn,
    )
    context: dict[str, ContextValue] = {
        "aws:PrincipalArn": role.arn,
        "aws:PrincipalAccount": role.account_id,
        "aws:PrincipalType": "AssumedRole",
        "aws:userid": f"{role.id}:{session_name}",
        "aws:PrincipalIsAWSService": "false",
        **principal_tag_context([*tx.tags("role", role.id), *claims.tags]),
    }
    if claims.source_identity:
        context["aws:SourceIdentity"] = claims.source_identity
    return Caller(role.account_id, principal, None, claims.access_key_id, compile_(policies),
                  context, version, facts, claims)


def _federated_caller(
    env: Env, tx: Transaction, claims: SessionClaims, user: User | None, version: int,
    facts: SessionFacts, compile_: Compile,
) -> Caller:
    name = claims.session_name or ""
    if user is None:
        own = PolicySet((parsed(_ROOT_POWER, PolicyKind.IDENTITY, "root"),))
    else:
        own = user_policies(env, tx, user)
    policies = PolicySet(own.identity, boundary=own.boundary,
                         session=session_policy(env, tx, claims))
    arn = federated_user_arn(claims.account_id, name)
    principal = Principal(PrincipalType.FEDERATED, arn=arn,
                          source_arn=user.arn if user else f"arn:aws:iam::{claims.account_id}:root")
    context: dict[str, ContextValue] = {
        "aws:PrincipalArn": arn,
        "aws:PrincipalAccount": claims.account_id,
        "aws:PrincipalType": "FederatedUser",
        "aws:userid": f"{claims.account_id}:{name}",
        "aws:PrincipalIsAWSService": "false",
        # The user's tags, overridden by session tags of the same key (as AWS documents).
        **principal_tag_context([*(tx.tags("user", user.id) if user else ()), *claims.tags]),
    }
    return Caller(claims.account_id, principal, None, claims.access_key_id, compile_(policies),
                  context, version, facts, claims)


def session_policy(env: Env, tx: Transaction, claims: SessionClaims) -> Policy | None:
    """The session policies (inline and managed) as one policy: the session may do what any
    of them allows, within what its principal may do. None when the session has none."""
    if not claims.has_session_policy:
        return None
    documents = [claims.policy] if claims.policy is not None else []
    for arn in claims.policy_arns:
        document = managed_document(env, tx, arn)
        if document is not None:
            documents.append(document)
    return _combined(tuple(documents))


@lru_cache(maxsize=4096)
def _combined(documents: tuple[str, ...]) -> Policy:
    """One policy object per distinct set of documents, so that compiled sets are reused."""
    policies = [parsed(document, PolicyKind.SESSION, "session policy") for document in documents]
    versions = {policy.version for policy in policies}
    return Policy(
        PolicyKind.SESSION,
        tuple(statement for policy in policies for statement in policy.statements),
        version=versions.pop() if len(versions) == 1 else None, name="session policy",
    )
