"""Groups: Create/Get/Update/Delete/List, membership, and the group's policies.

A group has no credentials of its own: its policies (inline and attached) apply to its members
(see `iamd.service.authz.user_policies`), from the next request on. IAM groups carry no tags,
so their calls have no resource-tag condition keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from iamd.domain import errors
from iamd.domain.entities import Group, InlinePolicy, PrincipalKind, Relation, User
from iamd.domain.identifiers import IdPrefix
from iamd.storage.api import Transaction

from ..authz import ContextValue, authorize
from ..context import Call, Env
from . import principal_policies
from .common import (
    Page,
    account_arn,
    decode_marker,
    max_items,
    new_id,
    page_of,
    reading,
    writing,
)
from .users import authorize_on_user
from .users import missing as missing_user

T = TypeVar("T", Group, User)

MEMBER = Relation.GROUP_MEMBER


@dataclass(frozen=True, slots=True)
class GroupMembers:
    """GetGroup's answer: the group and one page of its users (in name order)."""

    group: Group
    users: Page[User]


def missing(name: str) -> errors.NoSuchEntity:
    return errors.NoSuchEntity(f"The group with name {name} cannot be found.")


def group_arn(call: Call, name: str, path: str = "/") -> str:
    return account_arn(call, f"group{path}{name}")


def authorize_on_group(
    tx: Transaction, call: Call, action: str, name: str,
    extra: Mapping[str, ContextValue] | None = None,
) -> Group:
    """Authorize ``action`` on the named group (its real ARN when it exists), then return it
    or raise NoSuchEntity: the caller learns whether it exists only once allowed."""
    group = tx.get(Group, call.account_id, name)
    authorize(call, action, group.arn if group else group_arn(call, name), extra)
    if group is None:
        raise missing(name)
    return group


def _name_key(entity: Group | User) -> str:
    return entity.name.lower()


def _page_among(
    tx: Transaction, kind: type[T], account_id: str, ids: list[str], marker: str | None,
    max_items_: int | None,
) -> Page[T]:
    """One page, in name order, of the entities of ``kind`` whose ids are among ``ids``."""
    limit = max_items(max_items_)
    found: list[T] = []
    if ids:
        found = tx.page(
            kind, account_id, after=decode_marker(marker), limit=limit + 1, ids=ids
        )
    return page_of(found, limit, _name_key)


def create_group(env: Env, call: Call, group_name: str, path: str = "/") -> Group:
    with writing(env, call) as tx:
        authorize(call, "iam:CreateGroup", group_arn(call, group_name, path))
        if tx.get(Group, call.account_id, group_name) is not None:
            raise errors.EntityAlreadyExists(f"Group with name {group_name} already exists.")
        quota = env.quotas.groups_per_account
        if tx.count(Group, call.account_id) >= quota:
            raise errors.LimitExceeded(f"Cannot exceed quota for GroupsPerAccount: {quota}")
        group = Group(
            call.account_id, new_id(env, IdPrefix.GROUP), group_name, path, call.request.now
        )
        tx.add(group)
    return group


def get_group(
    env: Env, call: Call, group_name: str, marker: str | None = None,
    max_items_: int | None = None,
) -> GroupMembers:
    with reading(env) as tx:
        group = authorize_on_group(tx, call, "iam:GetGroup", group_name)
        members = _page_among(
            tx, User, call.account_id, tx.rights(MEMBER, group.id), marker, max_items_
        )
    return GroupMembers(group, members)


def update_group(
    env: Env, call: Call, group_name: str, new_path: str | None = None,
    new_group_name: str | None = None,
) -> None:
    """Rename and/or move a group; the caller needs iam:UpdateGroup on the old and new ARN."""
    with writing(env, call) as tx:
        group = authorize_on_group(tx, call, "iam:UpdateGroup", group_name)
        moved = replace(group, name=new_group_name or group.name, path=new_path or group.path)
        if moved.arn != group.arn:
            authorize(call, "iam:UpdateGroup", moved.arn)
        if new_group_name:
            other = tx.get(Group, call.account_id, new_group_name)
            if other is not None and other.id != group.id:
                raise errors.EntityAlreadyExists(
                    f"Group with name {new_group_name} already exists."
                )
        tx.replace(moved)


def delete_group(env: Env, call: Call, group_name: str) -> None:
    with writing(env, call) as tx:
        group = authorize_on_group(tx, call, "iam:DeleteGroup", group_name)
        _refuse_if_in_use(tx, group)
        tx.remove(Group, group.id)


def _refuse_if_in_use(tx: Transaction, group: Group) -> None:
    """AWS refuses to delete a group that still has members or policies."""
    checks: list[tuple[bool, str]] = [
        (bool(tx.rights(MEMBER, group.id)), "must remove users from group first"),
        (bool(tx.inline_policies(PrincipalKind.GROUP, group.id)), "must delete policies first"),
        (bool(tx.attached(PrincipalKind.GROUP, group.id)), "must detach all policies first"),
    ]
    for in_use, what in checks:
        if in_use:
            raise errors.DeleteConflict(f"Cannot delete entity, {what}.")


def list_groups(
    env: Env, call: Call, path_prefix: str = "/", marker: str | None = None,
    max_items_: int | None = None,
) -> Page[Group]:
    limit = max_items(max_items_)
    with reading(env) as tx:
        authorize(call, "iam:ListGroups", account_arn(call, f"group{path_prefix}"))
        groups = tx.page(
            Group, call.account_id, path_prefix=path_prefix, after=decode_marker(marker),
            limit=limit + 1,
        )
    return page_of(groups, limit, _name_key)


# -- membership ------------------------------------------------------------------------------
def _existing_user(tx: Transaction, call: Call, name: str) -> User:
    user = tx.get(User, call.account_id, name)
    if user is None:
        raise missing_user(name)
    return user


def add_user_to_group(env: Env, call: Call, group_name: str, user_name: str) -> None:
    """Add a member (a no-op when it already is one), within the quota of groups per user."""
    with writing(env, call) as tx:
        group = authorize_on_group(tx, call, "iam:AddUserToGroup", group_name)
        user = _existing_user(tx, call, user_name)
        groups_of_user = tx.lefts(MEMBER, user.id)
        if group.id in groups_of_user:
            return
        quota = env.quotas.groups_per_user
        if len(groups_of_user) >= quota:
            raise errors.LimitExceeded(f"Cannot exceed quota for GroupsPerUser: {quota}")
        tx.link(MEMBER, call.account_id, group.id, user.id)


def remove_user_from_group(env: Env, call: Call, group_name: str, user_name: str) -> None:
    """Remove a member; like AWS, removing a user that is not a member succeeds."""
    with writing(env, call) as tx:
        group = authorize_on_group(tx, call, "iam:RemoveUserFromGroup", group_name)
        user = _existing_user(tx, call, user_name)
        tx.unlink(MEMBER, group.id, user.id)


def list_groups_for_user(
    env: Env, call: Call, user_name: str, marker: str | None = None,
    max_items_: int | None = None,
) -> Page[Group]:
    with reading(env) as tx:
        user = authorize_on_user(tx, call, "iam:ListGroupsForUser", user_name)
        if user is None:
            raise missing_user(user_name)
        return _page_among(
            tx, Group, call.account_id, tx.lefts(MEMBER, user.id), marker, max_items_
        )


# -- the group's policies --------------------------------------------------------------------
POLICIES = principal_policies.Holder(
    PrincipalKind.GROUP, "Group", authorize_on_group, authorize_on_group
)


def put_group_policy(
    env: Env, call: Call, group_name: str, policy_name: str, policy_document: str
) -> None:
    principal_policies.put_policy(env, call, POLICIES, group_name, policy_name, policy_document)


def get_group_policy(env: Env, call: Call, group_name: str, policy_name: str) -> InlinePolicy:
    return principal_policies.get_policy(env, call, POLICIES, group_name, policy_name)


def delete_group_policy(env: Env, call: Call, group_name: str, policy_name: str) -> None:
    principal_policies.delete_policy(env, call, POLICIES, group_name, policy_name)


def list_group_policies(
    env: Env, call: Call, group_name: str, marker: str | None = None,
    max_items_: int | None = None,
) -> Page[str]:
    return principal_policies.list_policies(env, call, POLICIES, group_name, marker, max_items_)


def attach_group_policy(env: Env, call: Call, group_name: str, policy_arn: str) -> None:
    principal_policies.attach_policy(env, call, POLICIES, group_name, policy_arn)


def detach_group_policy(env: Env, call: Call, group_name: str, policy_arn: str) -> None:
    principal_policies.detach_policy(env, call, POLICIES, group_name, policy_arn)


def list_attached_group_policies(
    env: Env, call: Call, group_name: str, path_prefix: str = "/", marker: str | None = None,
    max_items_: int | None = None,
) -> Page[principal_policies.AttachedPolicy]:
    return principal_policies.list_attached_policies(
        env, call, POLICIES, group_name, path_prefix, marker, max_items_
    )


