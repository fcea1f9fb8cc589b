"""CreateAccountAlias, DeleteAccountAlias, ListAccountAliases, GetAccountSummary and
GetAccountAuthorizationDetails."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from iamd.domain.entities import InlinePolicy, Role
from iamd.service.context import Call, Env
from iamd.service.iam import account
from iamd.service.iam.account import (
    GroupDetail,
    InstanceProfileDetail,
    PolicyDetail,
    RoleDetail,
    UserDetail,
)

from .. import views
from .._registry import Params, Result, operation
from .groups import group_view


@operation("iam", "CreateAccountAlias")
def create_account_alias(env: Env, call: Call, p: Params) -> Result:
    account.create_account_alias(env, call, p["AccountAlias"])
    return None


@operation("iam", "DeleteAccountAlias")
def delete_account_alias(env: Env, call: Call, p: Params) -> Result:
    account.delete_account_alias(env, call, p["AccountAlias"])
    return None


@operation("iam", "ListAccountAliases")
def list_account_aliases(env: Env, call: Call, p: Params) -> Result:
    page = account.list_account_aliases(env, call, p.get("Marker"), p.get("MaxItems"))
    return views.paged(page, "AccountAliases", page.items)


@operation("iam", "GetAccountSummary")
def get_account_summary(env: Env, call: Call, p: Params) -> Result:
    return {"SummaryMap": account.get_account_summary(env, call)}


@operation("iam", "GetAccountAuthorizationDetails")
def get_account_authorization_details(env: Env, call: Call, p: Params) -> Result:
    details = account.get_account_authorization_details(
        env, call, p.get("Filter"), p.get("Marker"), p.get("MaxItems")
    )
    result: dict[str, Any] = {
        "UserDetailList": [_user(item) for item in details.users],
        "GroupDetailList": [_group(item) for item in details.groups],
        "RoleDetailList": [_role(item) for item in details.roles],
        "Policies": [_policy(item) for item in details.policies],
        "IsTruncated": details.is_truncated,
    }
    if details.marker is not None:
        result["Marker"] = details.marker
    return result


def _inline(policies: Sequence[InlinePolicy]) -> list[dict[str, str]]:
    return [
        {"PolicyName": policy.name, "PolicyDocument": views.document(policy.document)}
        for policy in policies
    ]


def _user(detail: UserDetail) -> dict[str, Any]:
    view = views.user(detail.user)
    view.pop("PasswordLastUsed", None)  # not a member of UserDetail
    view.update({
        "UserPolicyList": _inline(detail.inline),
        "GroupList": detail.groups,
        "AttachedManagedPolicies": views.attached(detail.attached),
        "PermissionsBoundary": views.boundary(detail.user.permissions_boundary),
        "Tags": views.tags(detail.tags),
    })
    return view


def _group(detail: GroupDetail) -> dict[str, Any]:
    return {
        **group_view(detail.group),
        "GroupPolicyList": _inline(detail.inline),
        "AttachedManagedPolicies": views.attached(detail.attached),
    }


def _role_summary(role: Role) -> dict[str, Any]:
    return {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.id,
        "Arn": role.arn,
        "CreateDate": role.created,
        "AssumeRolePolicyDocument": views.document(role.assume_role_policy),
    }


def _instance_profile(detail: InstanceProfileDetail) -> dict[str, Any]:
    profile = detail.profile
    return {
        "Path": profile.path,
        "InstanceProfileName": profile.name,
        "InstanceProfileId": profile.id,
        "Arn": profile.arn,
        "CreateDate": profile.created,
        "Roles": [_role_summary(role) for role in detail.roles],
        "Tags": views.tags(detail.tags),
    }


def _role(detail: RoleDetail) -> dict[str, Any]:
    role = detail.role
    return {
        **_role_summary(role),
        "InstanceProfileList": [_instance_profile(item) for item in detail.instance_profiles],
        "RolePolicyList": _inline(detail.inline),
        "AttachedManagedPolicies": views.attached(detail.attached),
        "PermissionsBoundary": views.boundary(role.permissions_boundary),
        "Tags": views.tags(detail.tags),
        "RoleLastUsed": {"LastUsedDate": role.last_used_date, "Region": role.last_used_region},
    }


def _policy(detail: PolicyDetail) -> dict[str, Any]:
    policy = detail.policy
    return {
        "PolicyName": policy.name,
        "PolicyId": policy.id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version_id,
        "AttachmentCount": detail.attachment_count,
        "PermissionsBoundaryUsageCount": detail.boundary_usage_count,
        "IsAttachable": True,
        "Description": policy.description or None,
        "CreateDate": policy.created,
        "UpdateDate": policy.updated,
        "PolicyVersionList": [
            {
                "Document": views.document(version.document),
                "VersionId": version.version_id,
                "IsDefaultVersion": version.version_id == policy.default_version_id,
                "CreateDate": version.created,
            }
            for version in detail.versions
        ],
    }
