"""Managed policies: CreatePolicy, GetPolicy, DeletePolicy, ListPolicies, the policy version
operations, ListEntitiesForPolicy, TagPolicy, UntagPolicy, ListPolicyTags."""

from __future__ import annotations

from typing import Any

from iamd.domain.entities import PrincipalKind
from iamd.service.context import Call, Env
from iamd.service.iam import policies
from iamd.service.iam.policies import PolicyEntity, PolicyView, VersionView

from .. import views
from .._registry import Params, Result, operation


def policy(view: PolicyView, *, full: bool = True) -> dict[str, Any]:
    """The Policy shape; ListPolicies leaves out the description and tags, as AWS does."""
    entity = view.policy
    result: dict[str, Any] = {
        "PolicyName": entity.name,
        "PolicyId": entity.id,
        "Arn": entity.arn,
        "Path": entity.path,
        "DefaultVersionId": entity.default_version_id,
        "AttachmentCount": view.attachment_count,
        "PermissionsBoundaryUsageCount": view.boundary_usage_count,
        "IsAttachable": True,
        "CreateDate": entity.created,
        "UpdateDate": entity.updated,
    }
    if full:
        result["Description"] = entity.description
        result["Tags"] = views.tags(view.tags) or None
    return result


def version(view: VersionView, *, with_document: bool = False) -> dict[str, Any]:
    """The PolicyVersion shape; only GetPolicyVersion returns the (URL-encoded) document."""
    result: dict[str, Any] = {
        "VersionId": view.version.version_id,
        "IsDefaultVersion": view.is_default,
        "CreateDate": view.version.created,
    }
    if with_document:
        result["Document"] = views.document(view.version.document)
    return result


_ENTITY_MEMBERS = {
    PrincipalKind.GROUP: ("PolicyGroups", "GroupName", "GroupId"),
    PrincipalKind.USER: ("PolicyUsers", "UserName", "UserId"),
    PrincipalKind.ROLE: ("PolicyRoles", "RoleName", "RoleId"),
}


def entities(items: list[PolicyEntity]) -> dict[str, list[dict[str, str]]]:
    """PolicyGroups, PolicyUsers and PolicyRoles (each present, possibly empty)."""
    result: dict[str, list[dict[str, str]]] = {
        member: [] for member, _name, _id in _ENTITY_MEMBERS.values()
    }
    for item in items:
        member, name_key, id_key = _ENTITY_MEMBERS[item.kind]
        result[member].append({name_key: item.name, id_key: item.id})
    return result


@operation("iam", "CreatePolicy")
def create_policy(env: Env, call: Call, p: Params) -> Result:
    made = policies.create_policy(
        env, call, p["PolicyName"], p["PolicyDocument"], p.get("Path", "/"),
        p.get("Description"), p.get("Tags"),
    )
    return {"Policy": policy(made)}


@operation("iam", "GetPolicy")
def get_policy(env: Env, call: Call, p: Params) -> Result:
    return {"Policy": policy(policies.get_policy(env, call, p["PolicyArn"]))}


@operation("iam", "DeletePolicy")
def delete_policy(env: Env, call: Call, p: Params) -> Result:
    policies.delete_policy(env, call, p["PolicyArn"])
    return None


@operation("iam", "ListPolicies")
def list_policies(env: Env, call: Call, p: Params) -> Result:
    page = policies.list_policies(
        env, call, p.get("Scope", "All"), bool(p.get("OnlyAttached", False)),
        p.get("PathPrefix", "/"), p.get("PolicyUsageFilter"), p.get("Marker"), p.get("MaxItems"),
    )
    return views.paged(page, "Policies", [policy(item, full=False) for item in page.items])


@operation("iam", "CreatePolicyVersion")
def create_policy_version(env: Env, call: Call, p: Params) -> Result:
    made = policies.create_policy_version(
        env, call, p["PolicyArn"], p["PolicyDocument"], bool(p.get("SetAsDefault", False))
    )
    return {"PolicyVersion": version(made)}


@operation("iam", "GetPolicyVersion")
def get_policy_version(env: Env, call: Call, p: Params) -> Result:
    found = policies.get_policy_version(env, call, p["PolicyArn"], p["VersionId"])
    return {"PolicyVersion": version(found, with_document=True)}


@operation("iam", "ListPolicyVersions")
def list_policy_versions(env: Env, call: Call, p: Params) -> Result:
    page = policies.list_policy_versions(
        env, call, p["PolicyArn"], p.get("Marker"), p.get("MaxItems")
    )
    return views.paged(page, "Versions", [version(item) for item in page.items])


@operation("iam", "DeletePolicyVersion")
def delete_policy_version(env: Env, call: Call, p: Params) -> Result:
    policies.delete_policy_version(env, call, p["PolicyArn"], p["VersionId"])
    return None


@operation("iam", "SetDefaultPolicyVersion")
def set_default_policy_version(env: Env, call: Call, p: Params) -> Result:
    policies.set_default_policy_version(env, call, p["PolicyArn"], p["VersionId"])
    return None


@operation("iam", "ListEntitiesForPolicy")
def list_entities_for_policy(env: Env, call: Call, p: Params) -> Result:
    page = policies.list_entities_for_policy(
        env, call, p["PolicyArn"], p.get("EntityFilter"), p.get("PathPrefix", "/"),
        p.get("PolicyUsageFilter"), p.get("Marker"), p.get("MaxItems"),
    )
    members = entities(page.items)
    return {**views.paged(page, "PolicyGroups", members.pop("PolicyGroups")), **members}


@operation("iam", "TagPolicy")
def tag_policy(env: Env, call: Call, p: Params) -> Result:
    policies.tag_policy(env, call, p["PolicyArn"], p["Tags"])
    return None


@operation("iam", "UntagPolicy")
def untag_policy(env: Env, call: Call, p: Params) -> Result:
    policies.untag_policy(env, call, p["PolicyArn"], p["TagKeys"])
    return None


@operation("iam", "ListPolicyTags")
def list_policy_tags(env: Env, call: Call, p: Params) -> Result:
    page = policies.list_policy_tags(env, call, p["PolicyArn"], p.get("Marker"), p.get("MaxItems"))
    return views.paged(page, "Tags", views.tags(page.items))
