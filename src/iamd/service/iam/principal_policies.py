"""Policies of a user, group or role: inline ones (Put/Get/Delete/List) and attached managed
ones (Attach/Detach/ListAttached), and permissions boundaries. The per-entity operations in
users.py, groups.py and roles.py look the principal up and authorize; these do the rest."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from iamd.domain import errors
from iamd.domain.entities import InlinePolicy, PrincipalKind
from iamd.policy import PolicyKind, policy_size
from iamd.storage.api import Transaction

from ..authz import ContextValue
from ..context import Call, Env
from .boundaries import managed_policy, split_policy_arn, usable_policy
from .common import Page, checked_document, max_items, reading, slice_page, writing

_INLINE_QUOTA_NAMES = {
    PrincipalKind.USER: "UserPolicySize",
    PrincipalKind.GROUP: "GroupPolicySize",
    PrincipalKind.ROLE: "RolePolicySize",
}


def inline_quota(env: Env, kind: PrincipalKind) -> int:
    return {
        PrincipalKind.USER: env.quotas.inline_policy_chars_user,
        PrincipalKind.GROUP: env.quotas.inline_policy_chars_group,
        PrincipalKind.ROLE: env.quotas.inline_policy_chars_role,
    }[kind]


def put_inline(
    env: Env, tx: Transaction, call: Call, kind: PrincipalKind, owner_id: str, name: str,
    document: str,
) -> None:
    """Create or replace an inline policy, within the principal's aggregate size quota."""
    quota = inline_quota(env, kind)
    checked_document(document, PolicyKind.IDENTITY, max_size=quota)
    others = sum(
        policy_size(policy.document)
        for policy in tx.inline_policies(kind, owner_id)
        if policy.name.lower() != name.lower()
    )
    if others + policy_size(document) > quota:
        raise errors.LimitExceeded(
            f"Maximum policy size of {quota} bytes exceeded for {kind.value} "
            f"(quota {_INLINE_QUOTA_NAMES[kind]})."
        )
    tx.put_inline(InlinePolicy(call.account_id, kind, owner_id, name, document))


def get_inline(
    tx: Transaction, kind: PrincipalKind, owner_id: str, owner_name: str, name: str
) -> InlinePolicy:
    for policy in tx.inline_policies(kind, owner_id):
        if policy.name.lower() == name.lower():
            return policy
    raise errors.NoSuchEntity(
        f"The {kind.value} policy with name {name} cannot be found."
    )


def delete_inline(
    tx: Transaction, kind: PrincipalKind, owner_id: str, owner_name: str, name: str
) -> None:
    if not tx.delete_inline(kind, owner_id, name):
        raise errors.NoSuchEntity(
            f"The {kind.value} policy with name {name} cannot be found."
        )


def list_inline(
    tx: Transaction, kind: PrincipalKind, owner_id: str, marker: str | None,
    max_items_: int | None,
) -> Page[str]:
    names = [policy.name for policy in tx.inline_policies(kind, owner_id)]
    return slice_page(names, marker, max_items(max_items_))


def attach(
    env: Env, tx: Transaction, call: Call, kind: PrincipalKind, owner_id: str, policy_arn: str
) -> None:
    """Attach a managed policy (no-op when already attached), within the quota."""
    usable_policy(env, tx, call, policy_arn)
    attached = tx.attached(kind, owner_id)
    if policy_arn in attached:
        return
    quota = env.quotas.managed_policies_per_principal
    if len(attached) >= quota:
        label = {"user": "PoliciesPerUser", "group": "PoliciesPerGroup",
                 "role": "PoliciesPerRole"}[kind.value]
        raise errors.LimitExceeded(f"Cannot exceed quota for {label}: {quota}")
    tx.attach(call.account_id, policy_arn, kind, owner_id)


def detach(tx: Transaction, kind: PrincipalKind, owner_id: str, policy_arn: str) -> None:
    split_policy_arn(policy_arn)  # InvalidInput for what is not a policy ARN
    if not tx.detach(policy_arn, kind, owner_id):
        raise errors.NoSuchEntity(f"Policy {policy_arn} was not found.")


@dataclass(frozen=True, slots=True)
class AttachedPolicy:
    name: str
    arn: str


def list_attached(
    env: Env, tx: Transaction, kind: PrincipalKind, owner_id: str, path_prefix: str,
    marker: str | None, max_items_: int | None,
) -> Page[AttachedPolicy]:
    items = []
    for arn in tx.attached(kind, owner_id):
        policy = managed_policy(env, tx, arn)
        if policy is not None and policy.path.startswith(path_prefix):
            items.append(AttachedPolicy(policy.name, arn))
    items.sort(key=lambda item: item.name.lower())
    return slice_page(items, marker, max_items(max_items_))


# -- the seven operations, for any holder of policies -----------------------------------------
Lookup = Callable[[Transaction, Call, str, str, "Mapping[str, ContextValue] | None"], Any]


@dataclass(frozen=True, slots=True)
class Holder:
    """Users, groups or roles as holders of policies: how their operations name themselves
    (``iam:Put{noun}Policy``...) and how one is looked up and authorized for reading and for
    changing (roles refuse changes to service-linked ones)."""

    kind: PrincipalKind
    noun: str
    for_reading: Lookup
    for_changing: Lookup


def put_policy(
    env: Env, call: Call, holder: Holder, owner: str, policy_name: str, document: str
) -> None:
    with writing(env, call) as tx:
        found = holder.for_changing(tx, call, f"iam:Put{holder.noun}Policy", owner, None)
        put_inline(env, tx, call, holder.kind, found.id, policy_name, document)


def get_policy(
    env: Env, call: Call, holder: Holder, owner: str, policy_name: str
) -> InlinePolicy:
    with reading(env) as tx:
        found = holder.for_reading(tx, call, f"iam:Get{holder.noun}Policy", owner, None)
        return get_inline(tx, holder.kind, found.id, found.name, policy_name)


def delete_policy(env: Env, call: Call, holder: Holder, owner: str, policy_name: str) -> None:
    with writing(env, call) as tx:
        found = holder.for_changing(tx, call, f"iam:Delete{holder.noun}Policy", owner, None)
        delete_inline(tx, holder.kind, found.id, found.name, policy_name)


def list_policies(
    env: Env, call: Call, holder: Holder, owner: str, marker: str | None,
    max_items_: int | None,
) -> Page[str]:
    with reading(env) as tx:
        found = holder.for_reading(tx, call, f"iam:List{holder.noun}Policies", owner, None)
        return list_inline(tx, holder.kind, found.id, marker, max_items_)


def attach_policy(env: Env, call: Call, holder: Holder, owner: str, policy_arn: str) -> None:
    with writing(env, call) as tx:
        found = holder.for_changing(
            tx, call, f"iam:Attach{holder.noun}Policy", owner, {"iam:PolicyARN": policy_arn}
        )
        attach(env, tx, call, holder.kind, found.id, policy_arn)


def detach_policy(env: Env, call: Call, holder: Holder, owner: str, policy_arn: str) -> None:
    with writing(env, call) as tx:
        found = holder.for_changing(
            tx, call, f"iam:Detach{holder.noun}Policy", owner, {"iam:PolicyARN": policy_arn}
        )
        detach(tx, holder.kind, found.id, policy_arn)


def list_attached_policies(
    env: Env, call: Call, holder: Holder, owner: str, path_prefix: str, marker: str | None,
    max_items_: int | None,
) -> Page[AttachedPolicy]:
    with reading(env) as tx:
        found = holder.for_reading(
            tx, call, f"iam:ListAttached{holder.noun}Policies", owner, None
        )
        return list_attached(env, tx, holder.kind, found.id, path_prefix, marker, max_items_)
