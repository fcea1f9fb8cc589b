"""Managed policies: Create/Get/Delete/List, their versions, the entities using them, tags.

Customer managed policies belong to the caller's account. AWS managed ones (``env.aws_policies``)
are readable from every account (their counts are those of the caller's account) and never
modified: a write names a resource of the ``aws`` account, a cross-account request that no
policy can allow, so the engine answers AccessDenied, as AWS does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from iamd.domain import errors
from iamd.domain.entities import (
    AWS_ACCOUNT,
    Group,
    ManagedPolicy,
    PolicyVersion,
    PrincipalKind,
    Role,
    Tag,
    User,
)
from iamd.domain.identifiers import IdPrefix
from iamd.policy import PolicyKind
from iamd.storage.api import Transaction

from ..authz import ContextValue, authorize
from ..context import Call, Env
from .boundaries import managed_policy, split_policy_arn
from .common import (
    Page,
    account_arn,
    checked_document,
    decode_marker,
    max_items,
    merge_tags,
    new_id,
    page_of,
    reading,
    request_tag_context,
    resource_tag_context,
    slice_page,
    tags_from,
    writing,
)

TAG_KIND = "policy"

_ENTITY_CLASSES: Mapping[PrincipalKind, type[User | Group | Role]] = {
    PrincipalKind.GROUP: Group,
    PrincipalKind.USER: User,
    PrincipalKind.ROLE: Role,
}
_ENTITY_ORDER = {PrincipalKind.GROUP: 0, PrincipalKind.USER: 1, PrincipalKind.ROLE: 2}


@dataclass(frozen=True, slots=True)
class PolicyView:
    """A managed policy with its usage in the caller's account and its tags."""

    policy: ManagedPolicy
    attachment_count: int = 0
    boundary_usage_count: int = 0
    tags: Sequence[Tag] = ()


@dataclass(frozen=True, slots=True)
class VersionView:
    """A version of a managed policy and whether it is the policy's default one."""

    version: PolicyVersion
    is_default: bool


@dataclass(frozen=True, slots=True)
class PolicyEntity:
    """A user, group or role that uses a policy (attached, or as its permissions boundary)."""

    kind: PrincipalKind
    name: str
    id: str


def missing(arn: str) -> errors.NoSuchEntity:
    return errors.NoSuchEntity(f"Policy {arn} was not found.")


def missing_version(arn: str, version_id: str) -> errors.NoSuchEntity:
    return errors.NoSuchEntity(
        f"Policy {arn} version {version_id} does not exist or is not attachable."
    )


# -- lookups and authorization ---------------------------------------------------------------
def find_policy(env: Env, tx: Transaction, call: Call, arn: str) -> ManagedPolicy | None:
    """The policy with exactly this ARN among those the caller's account can see (its own and
    AWS's); InvalidInput when ``arn`` is not a policy ARN."""
    account, _path, _name = split_policy_arn(arn)
    if account not in (call.account_id, AWS_ACCOUNT):
        return None
    return managed_policy(env, tx, arn)


def authorized_policy(
    env: Env, tx: Transaction, call: Call, action: str, arn: str, *, read: bool = False,
    extra: Mapping[str, ContextValue] | None = None,
) -> ManagedPolicy:
    """Authorize ``action`` on the policy ARN (with the policy's tags), then return the policy
    or raise NoSuchEntity. ``read``: an AWS managed policy is read as if it were the caller's."""
    policy = find_policy(env, tx, call, arn)
    context: dict[str, ContextValue] = {}
    if policy is not None and not policy.is_aws_managed:
        context.update(resource_tag_context(tx.tags(TAG_KIND, policy.id)))
    context.update(extra or {})
    if read and split_policy_arn(arn)[0] == AWS_ACCOUNT:
        authorize(call, action, arn, context, resource_account=call.account_id)
    else:
        authorize(call, action, arn, context)
    if policy is None:
        raise missing(arn)
    return policy


def boundary_usage(tx: Transaction, account_id: str, arn: str) -> int:
    """How many users and roles of the account have this policy as permissions boundary."""
    return tx.count(User, account_id, permissions_boundary=arn) + tx.count(
        Role, account_id, permissions_boundary=arn
    )


def _view(tx: Transaction, call: Call, policy: ManagedPolicy) -> PolicyView:
    tags = [] if policy.is_aws_managed else tx.tags(TAG_KIND, policy.id)
    return PolicyView(
        policy, len(tx.attachments(call.account_id, policy.arn)),
        boundary_usage(tx, call.account_id, policy.arn), tags,
    )


# -- policies --------------------------------------------------------------------------------
def create_policy(
    env: Env, call: Call, policy_name: str, policy_document: str, path: str = "/",
    description: str | None = None, tags: Sequence[Mapping[str, str]] | None = None,
) -> PolicyView:
    new_tags = tags_from(tags)
    arn = account_arn(call, f"policy{path}{policy_name}")
    context = request_tag_context(new_tags) if new_tags else {}
    with writing(env, call) as tx:
        authorize(call, "iam:CreatePolicy", arn, context)
        if new_tags:
            authorize(call, "iam:TagPolicy", arn, context)
        checked_document(policy_document, PolicyKind.IDENTITY, env.quotas.managed_policy_chars)
        if tx.get(ManagedPolicy, call.account_id, policy_name) is not None:
            raise errors.EntityAlreadyExists(
                f"A policy called {policy_name} already exists. Duplicate names are not allowed."
            )
        quota = env.quotas.customer_managed_policies_per_account
        if tx.count(ManagedPolicy, call.account_id) >= quota:
            raise errors.LimitExceeded(f"Cannot exceed quota for PoliciesPerAccount: {quota}")
        now = call.request.now
        policy = ManagedPolicy(
            call.account_id, new_id(env, IdPrefix.POLICY), policy_name, path, now, now,
            description=description or None,
        )
        tx.add(policy)
        tx.add(PolicyVersion(call.account_id, policy.id, "v1", policy_document, now))
        if new_tags:
            merge_tags(env, tx, call, TAG_KIND, policy.id, new_tags)
    return PolicyView(policy, tags=new_tags)


def get_policy(env: Env, call: Call, policy_arn: str) -> PolicyView:
    with reading(env) as tx:
        policy = authorized_policy(env, tx, call, "iam:GetPolicy", policy_arn, read=True)
        return _view(tx, call, policy)


def delete_policy(env: Env, call: Call, policy_arn: str) -> None:
    with writing(env, call) as tx:
        policy = authorized_policy(env, tx, call, "iam:DeletePolicy", policy_arn)
        in_use = tx.attachments(call.account_id, policy.arn) or boundary_usage(
            tx, call.account_id, policy.arn
        )
        if in_use:
            raise errors.DeleteConflict("Cannot delete a policy attached to entities.")
        versions = _versions(env, tx, policy)
        if len(versions) > 1:
            raise errors.DeleteConflict(
                "This policy has more than one version. Before you delete a policy, you must "
                "delete the policy's versions. The default version is deleted with the policy."
            )
        for version in versions:
            _drop_version(tx, version)
        tx.clear_tags(TAG_KIND, policy.id)
        tx.remove(ManagedPolicy, policy.id)


def list_policies(
    env: Env, call: Call, scope: str = "All", only_attached: bool = False,
    path_prefix: str = "/", policy_usage_filter: str | None = None, marker: str | None = None,
    max_items_: int | None = None,
) -> Page[PolicyView]:
    """Customer and AWS managed policies in one list ordered by name (AWS's before the
    caller's on equal names). ``policy_usage_filter`` keeps the policies used that way in the
    account (attached as permissions policy, or set as permissions boundary);
    ``only_attached`` keeps those used either way."""
    limit = max_items(max_items_)
    after = decode_marker(marker)
    with reading(env) as tx:
        authorize(call, "iam:ListPolicies", account_arn(call, f"policy{path_prefix}"))
        attached = tx.attachment_counts(call.account_id)
        boundaries = _boundary_counts(tx, call.account_id)
        views = [
            PolicyView(policy, attached.get(policy.arn, 0), boundaries[policy.arn])
            for policy in _policies_in_scope(env, tx, call, scope)
            if policy.path.startswith(path_prefix)
        ]
    chosen = sorted(
        (view for view in views if _in_use(view, only_attached, policy_usage_filter)),
        key=_list_key,
    )
    if after is not None:
        chosen = [view for view in chosen if _list_key(view) > after]
    return page_of(chosen, limit, _list_key)


def _policies_in_scope(
    env: Env, tx: Transaction, call: Call, scope: str
) -> Iterable[ManagedPolicy]:
    if scope != "Local":
        yield from (aws.policy for aws in env.aws_policies.values())
    if scope != "AWS":
        yield from tx.find(ManagedPolicy, call.account_id)


def _boundary_counts(tx: Transaction, account_id: str) -> Counter[str]:
    principals: list[User | Role] = [*tx.find(User, account_id), *tx.find(Role, account_id)]
    return Counter(p.permissions_boundary for p in principals if p.permissions_boundary)


def _in_use(view: PolicyView, only_attached: bool, usage: str | None) -> bool:
    if usage == "PermissionsPolicy":
        return view.attachment_count > 0
    if usage == "PermissionsBoundary":
        return view.boundary_usage_count > 0
    return not only_attached or view.attachment_count + view.boundary_usage_count > 0


def _list_key(view: PolicyView) -> str:
    """Name order; the space sorts before every character a name may hold."""
    return f"{view.policy.name.lower()} {0 if view.policy.is_aws_managed else 1}"


# -- versions --------------------------------------------------------------------------------
def _versions(env: Env, tx: Transaction, policy: ManagedPolicy) -> list[PolicyVersion]:
    """The policy's versions, newest first."""
    if policy.is_aws_managed:
        return [env.aws_policies[policy.arn].version]
    return sorted(
        tx.versions(policy.id), key=lambda version: _version_number(version.version_id),
        reverse=True,
    )


def _version_number(version_id: str) -> int:
    digits = version_id[1:].partition(".")[0]
    return int(digits) if digits.isdigit() else 0


def _version(env: Env, tx: Transaction, policy: ManagedPolicy, version_id: str) -> PolicyVersion:
    for version in _versions(env, tx, policy):
        if version.version_id == version_id:
            return version
    raise missing_version(policy.arn, version_id)


def _drop_version(tx: Transaction, version: PolicyVersion) -> None:
    tx.remove_version(version.policy_id, version.version_id)


def create_policy_version(
    env: Env, call: Call, policy_arn: str, policy_document: str, set_as_default: bool = False
) -> VersionView:
    with writing(env, call) as tx:
        policy = authorized_policy(env, tx, call, "iam:CreatePolicyVersion", policy_arn)
        checked_document(policy_document, PolicyKind.IDENTITY, env.quotas.managed_policy_chars)
        quota = env.quotas.versions_per_policy
        if len(_versions(env, tx, policy)) >= quota:
            raise errors.LimitExceeded(
                f"A managed policy can have up to {quota} versions. Before you create a new "
                "version, you must delete an existing version."
            )
        now = call.request.now
        version = PolicyVersion(
            call.account_id, policy.id, f"v{policy.next_version}", policy_document, now
        )
        tx.add(version)
        default = version.version_id if set_as_default else policy.default_version_id
        tx.replace(
            replace(policy, next_version=policy.next_version + 1, default_version_id=default,
                    updated=now)
        )
    return VersionView(version, set_as_default)


def get_policy_version(env: Env, call: Call, policy_arn: str, version_id: str) -> VersionView:
    with reading(env) as tx:
        policy = authorized_policy(env, tx, call, "iam:GetPolicyVersion", policy_arn, read=True)
        version = _version(env, tx, policy, version_id)
    return VersionView(version, version.version_id == policy.default_version_id)


def list_policy_versions(
    env: Env, call: Call, policy_arn: str, marker: str | None = None,
    max_items_: int | None = None,
) -> Page[VersionView]:
    with reading(env) as tx:
        policy = authorized_policy(
            env, tx, call, "iam:ListPolicyVersions", policy_arn, read=True
        )
        versions = [
            VersionView(version, version.version_id == policy.default_version_id)
            for version in _versions(env, tx, policy)
        ]
    return slice_page(versions, marker, max_items(max_items_))


def delete_policy_version(env: Env, call: Call, policy_arn: str, version_id: str) -> None:
    with writing(env, call) as tx:
        policy = authorized_policy(env, tx, call, "iam:DeletePolicyVersion", policy_arn)
        version = _version(env, tx, policy, version_id)
        if version.version_id == policy.default_version_id:
            raise errors.DeleteConflict("Cannot delete the default version of a policy.")
        _drop_version(tx, version)


def set_default_policy_version(
    env: Env, call: Call, policy_arn: str, version_id: str
) -> None:
    """Every principal the policy is attached to gets the new permissions at once: the write
    moves the account's version, which is what cached callers are checked against."""
    with writing(env, call) as tx:
        policy = authorized_policy(env, tx, call, "iam:SetDefaultPolicyVersion", policy_arn)
        version = _version(env, tx, policy, version_id)
        tx.replace(replace(policy, default_version_id=version.version_id))


# -- who uses a policy -------------------------------------------------------------------------
def list_entities_for_policy(
    env: Env, call: Call, policy_arn: str, entity_filter: str | None = None,
    path_prefix: str = "/", policy_usage_filter: str | None = None, marker: str | None = None,
    max_items_: int | None = None,
) -> Page[PolicyEntity]:
    """Groups, then users, then roles (each by name) that have the policy attached or (users
    and roles) as permissions boundary; ``policy_usage_filter`` keeps one of the two uses."""
    with reading(env) as tx:
        policy = authorized_policy(
            env, tx, call, "iam:ListEntitiesForPolicy", policy_arn, read=True
        )
        kinds = _kinds_for(entity_filter, policy)
        items = [
            PolicyEntity(kind, entity.name, entity.id)
            for kind, entity in _entities_using(tx, call.account_id, policy, policy_usage_filter)
            if kind in kinds and entity.path.startswith(path_prefix)
        ]
    items.sort(key=lambda item: (_ENTITY_ORDER[item.kind], item.name.lower()))
    return slice_page(items, marker, max_items(max_items_))


def _kinds_for(entity_filter: str | None, policy: ManagedPolicy) -> set[PrincipalKind]:
    """User, Group and Role keep one kind; LocalManagedPolicy and AWSManagedPolicy keep every
    kind when the policy is of that sort, and none otherwise."""
    if entity_filter is None:
        return set(PrincipalKind)
    if entity_filter in ("LocalManagedPolicy", "AWSManagedPolicy"):
        of_that_sort = policy.is_aws_managed == (entity_filter == "AWSManagedPolicy")
        return set(PrincipalKind) if of_that_sort else set()
    return {PrincipalKind(entity_filter.lower())}


def _entities_using(
    tx: Transaction, account_id: str, policy: ManagedPolicy, usage: str | None
) -> list[tuple[PrincipalKind, User | Group | Role]]:
    found: dict[str, tuple[PrincipalKind, User | Group | Role]] = {}
    if usage != "PermissionsBoundary":
        for kind, principal_id in tx.attachments(account_id, policy.arn):
            entity = tx.get_by_id(_ENTITY_CLASSES[kind], principal_id)
            if entity is not None:
                found[entity.id] = (kind, entity)
    if usage != "PermissionsPolicy":
        for kind in (PrincipalKind.USER, PrincipalKind.ROLE):
            for principal in tx.find(_ENTITY_CLASSES[kind], account_id,
                                     permissions_boundary=policy.arn):
                found[principal.id] = (kind, principal)
    return list(found.values())


# -- tags ------------------------------------------------------------------------------------
def tag_policy(
    env: Env, call: Call, policy_arn: str, tags: Sequence[Mapping[str, str]]
) -> None:
    new_tags = tags_from(tags)
    with writing(env, call) as tx:
        policy = authorized_policy(
            env, tx, call, "iam:TagPolicy", policy_arn, extra=request_tag_context(new_tags)
        )
        merge_tags(env, tx, call, TAG_KIND, policy.id, new_tags)


def untag_policy(env: Env, call: Call, policy_arn: str, tag_keys: Sequence[str]) -> None:
    with writing(env, call) as tx:
        policy = authorized_policy(
            env, tx, call, "iam:UntagPolicy", policy_arn, extra={"aws:TagKeys": tuple(tag_keys)}
        )
        tx.remove_tags(TAG_KIND, policy.id, tag_keys)


def list_policy_tags(
    env: Env, call: Call, policy_arn: str, marker: str | None = None,
    max_items_: int | None = None,
) -> Page[Tag]:
    with reading(env) as tx:
        policy = authorized_policy(env, tx, call, "iam:ListPolicyTags", policy_arn, read=True)
        tags = [] if policy.is_aws_managed else tx.tags(TAG_KIND, policy.id)
    return slice_page(tags, marker, max_items(max_items_))
