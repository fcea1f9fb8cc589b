"""The account as a whole: its alias, its usage summary and its authorization details.

Every call here is authorized on resource ``*`` (the actions have no resource type). Roles,
instance profiles and managed policies are read straight from storage: their own use cases
live elsewhere, and these reports only describe them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from iamd.domain import errors
from iamd.domain.entities import (
    AWS_ACCOUNT,
    AccessKey,
    Group,
    InlinePolicy,
    InstanceProfile,
    ManagedPolicy,
    MFADevice,
    OpenIDConnectProvider,
    PolicyVersion,
    PrincipalKind,
    Relation,
    Role,
    SAMLProvider,
    ServerCertificate,
    SigningCertificate,
    Tag,
    User,
)
from iamd.domain.quotas import Quotas
from iamd.storage.api import DuplicateEntity, Transaction

from ..authz import authorize
from ..context import Call, Env
from ..credentials import enabled_device
from .boundaries import managed_policy
from .common import Page, decode_marker, encode_marker, max_items, reading, slice_page, writing
from .principal_policies import AttachedPolicy

ANY_RESOURCE = "*"
POLICY_VERSIONS_IN_USE_QUOTA = 10000  # AWS's default; not configurable in iamd
GLOBAL_ENDPOINT_TOKEN_VERSION = 1  # STS session tokens valid in AWS's default regions only


# -- aliases ---------------------------------------------------------------------------------
def create_account_alias(env: Env, call: Call, account_alias: str) -> None:
    """Give the account its alias. As on AWS, an account has one alias: a new one replaces
    it. Aliases are unique across all accounts."""
    with writing(env, call) as tx:
        authorize(call, "iam:CreateAccountAlias", ANY_RESOURCE)
        current = tx.aliases(call.account_id)
        if account_alias in current:
            return
        if tx.account_of_alias(account_alias) is not None:
            raise _alias_taken(account_alias)
        if len(current) >= env.quotas.aliases_per_account:
            for old in current:
                tx.remove_alias(call.account_id, old)
        try:
            tx.add_alias(call.account_id, account_alias)
        except DuplicateEntity:  # another account took it meanwhile
            raise _alias_taken(account_alias) from None


def _alias_taken(alias: str) -> errors.EntityAlreadyExists:
    return errors.EntityAlreadyExists(f"The account alias {alias} already exists.")


def delete_account_alias(env: Env, call: Call, account_alias: str) -> None:
    with writing(env, call) as tx:
        authorize(call, "iam:DeleteAccountAlias", ANY_RESOURCE)
        if not tx.remove_alias(call.account_id, account_alias):
            raise errors.NoSuchEntity(f"The account alias {account_alias} cannot be found.")


def list_account_aliases(
    env: Env, call: Call, marker: str | None = None, max_items_: int | None = None
) -> Page[str]:
    with reading(env) as tx:
        authorize(call, "iam:ListAccountAliases", ANY_RESOURCE)
        aliases = tx.aliases(call.account_id)
    return slice_page(aliases, marker, max_items(max_items_))


# -- summary ---------------------------------------------------------------------------------
def get_account_summary(env: Env, call: Call) -> dict[str, int]:
    """GetAccountSummary's map: usage counts under AWS's key names, then the quotas."""
    with reading(env) as tx:
        authorize(call, "iam:GetAccountSummary", ANY_RESOURCE)
        usage = _usage(tx, call.account_id)
    return {**usage, **_quota_entries(env.quotas)}


def _usage(tx: Transaction, account_id: str) -> dict[str, int]:
    """AWS's usage figures. AccountPasswordPresent is in the model's key list, but AWS does
    not return it, so neither does iamd."""
    def count(kind: type, **equal: Any) -> int:
        return tx.count(kind, account_id, **equal)

    return {
        "Users": count(User),
        "Groups": count(Group),
        "Roles": count(Role),
        "Policies": count(ManagedPolicy),
        "ServerCertificates": count(ServerCertificate),
        "InstanceProfiles": count(InstanceProfile),
        "Providers": count(OpenIDConnectProvider) + count(SAMLProvider),
        "PolicyVersionsInUse": sum(tx.attachment_counts(account_id).values()),
        "MFADevices": count(MFADevice),
        "MFADevicesInUse": count(MFADevice) - count(MFADevice, enabled=None),
        "AccountMFAEnabled": int(enabled_device(tx, account_id, None) is not None),
        "AccountAccessKeysPresent": int(count(AccessKey, user_id=None) > 0),
        "AccountSigningCertificatesPresent": int(count(SigningCertificate, user_id=None) > 0),
        "GlobalEndpointTokenVersion": GLOBAL_ENDPOINT_TOKEN_VERSION,
    }


def _quota_entries(quotas: Quotas) -> dict[str, int]:
    return {
        "UsersQuota": quotas.users_per_account,
        "GroupsQuota": quotas.groups_per_account,
        "RolesQuota": quotas.roles_per_account,
        "PoliciesQuota": quotas.customer_managed_policies_per_account,
        "ServerCertificatesQuota": quotas.server_certificates_per_account,
        "InstanceProfilesQuota": quotas.instance_profiles_per_account,
        "AccessKeysPerUserQuota": quotas.access_keys_per_user,
        "SigningCertificatesPerUserQuota": quotas.signing_certificates_per_user,
        "GroupsPerUserQuota": quotas.groups_per_user,
        "AttachedPoliciesPerUserQuota": quotas.managed_policies_per_principal,
        "AttachedPoliciesPerGroupQuota": quotas.managed_policies_per_principal,
        "AttachedPoliciesPerRoleQuota": quotas.managed_policies_per_principal,
        "PolicyVersionsInUseQuota": POLICY_VERSIONS_IN_USE_QUOTA,
        "VersionsPerPolicyQuota": quotas.versions_per_policy,
        "PolicySizeQuota": quotas.managed_policy_chars,
        "UserPolicySizeQuota": quotas.inline_policy_chars_user,
        "GroupPolicySizeQuota": quotas.inline_policy_chars_group,
        "RolePolicySizeQuota": quotas.inline_policy_chars_role,
        "AssumeRolePolicySizeQuota": quotas.trust_policy_chars,
    }


# -- authorization details -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class UserDetail:
    user: User
    inline: list[InlinePolicy]
    groups: list[str]  # group names
    attached: list[AttachedPolicy]
    tags: list[Tag]


@dataclass(frozen=True, slots=True)
class GroupDetail:
    group: Group
    inline: list[InlinePolicy]
    attached: list[AttachedPolicy]


@dataclass(frozen=True, slots=True)
class InstanceProfileDetail:
    profile: InstanceProfile
    roles: list[Role]
    tags: list[Tag]


@dataclass(frozen=True, slots=True)
class RoleDetail:
    role: Role
    inline: list[InlinePolicy]
    attached: list[AttachedPolicy]
    tags: list[Tag]
    instance_profiles: list[InstanceProfileDetail]


@dataclass(frozen=True, slots=True)
class PolicyDetail:
    policy: ManagedPolicy
    versions: list[PolicyVersion]
    attachment_count: int
    boundary_usage_count: int


@dataclass(frozen=True, slots=True)
class AuthorizationDetails:
    """One page of the combined list (users, groups, roles, then policies)."""

    users: list[UserDetail] = field(default_factory=list)
    groups: list[GroupDetail] = field(default_factory=list)
    roles: list[RoleDetail] = field(default_factory=list)
    policies: list[PolicyDetail] = field(default_factory=list)
    marker: str | None = None

    @property
    def is_truncated(self) -> bool:
        return self.marker is not None


# The sections of the combined list, in AWS's order; the Filter values name them.
SECTIONS = ("User", "Group", "Role", "LocalManagedPolicy", "AWSManagedPolicy")

Fetch = Callable[[Env, Transaction, str, str | None, int], Sequence[Any]]


def _named_page(kind: type) -> Fetch:
    def fetch(env: Env, tx: Transaction, account_id: str, after: str | None, limit: int) -> Any:
        return tx.page(kind, account_id, after=after, limit=limit)

    return fetch


def _aws_policies_in_use(
    env: Env, tx: Transaction, account_id: str, after: str | None, limit: int
) -> list[ManagedPolicy]:
    """The AWS managed policies attached to something in the account, by name."""
    in_use = (env.aws_policies.get(arn) for arn in tx.attachment_counts(account_id))
    policies = sorted(
        (aws.policy for aws in in_use if aws is not None), key=lambda policy: policy.name.lower()
    )
    return [p for p in policies if after is None or p.name.lower() > after][:limit]


_FETCHERS: dict[str, Fetch] = {
    "User": _named_page(User),
    "Group": _named_page(Group),
    "Role": _named_page(Role),
    "LocalManagedPolicy": _named_page(ManagedPolicy),
    "AWSManagedPolicy": _aws_policies_in_use,
}


def get_account_authorization_details(
    env: Env, call: Call, filter_: Sequence[str] | None = None, marker: str | None = None,
    max_items_: int | None = None,
) -> AuthorizationDetails:
    limit = max_items(max_items_)
    wanted = set(filter_ or SECTIONS)
    start, after = _cursor(marker)
    with reading(env) as tx:
        authorize(call, "iam:GetAccountAuthorizationDetails", ANY_RESOURCE)
        found: list[tuple[int, Any]] = []
        for index in range(start, len(SECTIONS)):
            if SECTIONS[index] not in wanted:
                continue
            fetch = _FETCHERS[SECTIONS[index]]
            rows = fetch(env, tx, call.account_id, after if index == start else None,
                         limit + 1 - len(found))
            found.extend((index, row) for row in rows)
            if len(found) > limit:
                break
        next_marker = None
        if len(found) > limit:
            found = found[:limit]
            last_index, last = found[-1]
            next_marker = encode_marker(f"{last_index}:{last.name.lower()}")
        return _details(env, tx, call.account_id, [row for _, row in found], next_marker)


def _cursor(marker: str | None) -> tuple[int, str | None]:
    """(section index, name key of the last item returned) from a marker."""
    if marker is None:
        return 0, None
    index, colon, after = (decode_marker(marker) or "").partition(":")
    if not colon or not index.isdigit() or int(index) >= len(SECTIONS):
        raise errors.ValidationError("Invalid Marker.")
    return int(index), after


def _details(
    env: Env, tx: Transaction, account_id: str, rows: list[Any], marker: str | None
) -> AuthorizationDetails:
    result = AuthorizationDetails(marker=marker)
    counts = tx.attachment_counts(account_id)
    for row in rows:
        if isinstance(row, User):
            result.users.append(_user_detail(env, tx, row))
        elif isinstance(row, Group):
            result.groups.append(_group_detail(env, tx, row))
        elif isinstance(row, Role):
            result.roles.append(_role_detail(env, tx, row))
        else:
            result.policies.append(_policy_detail(env, tx, account_id, row, counts))
    return result


def _attached(
    env: Env, tx: Transaction, kind: PrincipalKind, owner_id: str
) -> list[AttachedPolicy]:
    items = []
    for arn in tx.attached(kind, owner_id):
        policy = managed_policy(env, tx, arn)
        if policy is not None:
            items.append(AttachedPolicy(policy.name, arn))
    return items


def _user_detail(env: Env, tx: Transaction, user: User) -> UserDetail:
    group_ids = tx.lefts(Relation.GROUP_MEMBER, user.id)
    groups = [tx.get_by_id(Group, group_id) for group_id in group_ids]
    return UserDetail(
        user,
        tx.inline_policies(PrincipalKind.USER, user.id),
        sorted((group.name for group in groups if group is not None), key=str.lower),
        _attached(env, tx, PrincipalKind.USER, user.id),
        tx.tags("user", user.id),
    )


def _group_detail(env: Env, tx: Transaction, group: Group) -> GroupDetail:
    return GroupDetail(
        group,
        tx.inline_policies(PrincipalKind.GROUP, group.id),
        _attached(env, tx, PrincipalKind.GROUP, group.id),
    )


def _role_detail(env: Env, tx: Transaction, role: Role) -> RoleDetail:
    profiles = []
    for profile_id in tx.lefts(Relation.PROFILE_ROLE, role.id):
        profile = tx.get_by_id(InstanceProfile, profile_id)
        if profile is not None:
            profiles.append(_profile_detail(tx, profile))
    return RoleDetail(
        role,
        tx.inline_policies(PrincipalKind.ROLE, role.id),
        _attached(env, tx, PrincipalKind.ROLE, role.id),
        tx.tags("role", role.id),
        sorted(profiles, key=lambda detail: detail.profile.name.lower()),
    )


def _profile_detail(tx: Transaction, profile: InstanceProfile) -> InstanceProfileDetail:
    role_ids = tx.rights(Relation.PROFILE_ROLE, profile.id)
    roles = [tx.get_by_id(Role, role_id) for role_id in role_ids]
    return InstanceProfileDetail(
        profile, [role for role in roles if role is not None],
        tx.tags("instance-profile", profile.id),
    )


def _policy_detail(
    env: Env, tx: Transaction, account_id: str, policy: ManagedPolicy, counts: dict[str, int]
) -> PolicyDetail:
    if policy.account_id == AWS_ACCOUNT:
        versions = [env.aws_policies[policy.arn].version]
    else:
        versions = tx.versions(policy.id)
    boundary_uses = sum(
        tx.count(kind, account_id, permissions_boundary=policy.arn) for kind in (User, Role)
    )
    return PolicyDetail(policy, versions, counts.get(policy.arn, 0), boundary_uses)
