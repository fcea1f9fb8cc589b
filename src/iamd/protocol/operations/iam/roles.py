"""Roles: Create/Get/Update/Delete/List, tags, trust policy, inline and attached policies,
permissions boundary, and service-linked roles (Create/Delete/GetDeletionStatus)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from iamd.domain.entities import Role, Tag
from iamd.service.context import Call, Env
from iamd.service.iam import roles

from .. import views
from .._registry import Params, Result, operation


# -- views -----------------------------------------------------------------------------------
def role_summary(entity: Role) -> dict[str, Any]:
    """A role as listings show it (ListRoles, an instance profile's Roles): no tags,
    boundary or last use, which AWS leaves out there."""
    return {
        "Path": entity.path,
        "RoleName": entity.name,
        "RoleId": entity.id,
        "Arn": entity.arn,
        "CreateDate": entity.created,
        "AssumeRolePolicyDocument": views.document(entity.assume_role_policy),
        "Description": entity.description,
        "MaxSessionDuration": entity.max_session_duration,
    }


def role_detail(
    entity: Role, tag_list: Sequence[Tag], *, last_used: bool = True
) -> dict[str, Any]:
    """A role as GetRole and UpdateRoleDescription return it (creates: without last use)."""
    view = role_summary(entity)
    view["PermissionsBoundary"] = views.boundary(entity.permissions_boundary)
    view["Tags"] = views.tags(tag_list) or None
    if last_used:
        view["RoleLastUsed"] = {"LastUsedDate": entity.last_used_date,
                                "Region": entity.last_used_region}
    return view


def _role_result(found: roles.RoleView, *, last_used: bool = True) -> Result:
    return {"Role": role_detail(found.role, found.tags, last_used=last_used)}


# -- roles -----------------------------------------------------------------------------------
@operation("iam", "CreateRole")
def create_role(env: Env, call: Call, p: Params) -> Result:
    made = roles.create_role(
        env, call, p["RoleName"], p["AssumeRolePolicyDocument"], p.get("Path", "/"),
        p.get("Description"), p.get("MaxSessionDuration"), p.get("PermissionsBoundary"),
        p.get("Tags"),
    )
    return _role_result(made, last_used=False)


@operation("iam", "GetRole")
def get_role(env: Env, call: Call, p: Params) -> Result:
    return _role_result(roles.get_role(env, call, p["RoleName"]))


@operation("iam", "UpdateRole")
def update_role(env: Env, call: Call, p: Params) -> Result:
    roles.update_role(
        env, call, p["RoleName"], p.get("Description"), p.get("MaxSessionDuration")
    )
    return None


@operation("iam", "UpdateRoleDescription")
def update_role_description(env: Env, call: Call, p: Params) -> Result:
    return _role_result(
        roles.update_role_description(env, call, p["RoleName"], p["Description"])
    )


@operation("iam", "UpdateAssumeRolePolicy")
def update_assume_role_policy(env: Env, call: Call, p: Params) -> Result:
    roles.update_assume_role_policy(env, call, p["RoleName"], p["PolicyDocument"])
    return None


@operation("iam", "DeleteRole")
def delete_role(env: Env, call: Call, p: Params) -> Result:
    roles.delete_role(env, call, p["RoleName"])
    return None


@operation("iam", "ListRoles")
def list_roles(env: Env, call: Call, p: Params) -> Result:
    page = roles.list_roles(env, call, p.get("PathPrefix", "/"), p.get("Marker"), p.get("MaxItems"))
    return views.paged(page, "Roles", [role_summary(role) for role in page.items])


@operation("iam", "TagRole")
def tag_role(env: Env, call: Call, p: Params) -> Result:
    roles.tag_role(env, call, p["RoleName"], p["Tags"])
    return None


@operation("iam", "UntagRole")
def untag_role(env: Env, call: Call, p: Params) -> Result:
    roles.untag_role(env, call, p["RoleName"], p["TagKeys"])
    return None


@operation("iam", "ListRoleTags")
def list_role_tags(env: Env, call: Call, p: Params) -> Result:
    page = roles.list_role_tags(env, call, p["RoleName"], p.get("Marker"), p.get("MaxItems"))
    return views.paged(page, "Tags", views.tags(page.items))


# -- the role's policies and boundary ------------------------------------------------------
@operation("iam", "PutRolePolicy")
def put_role_policy(env: Env, call: Call, p: Params) -> Result:
    roles.put_role_policy(env, call, p["RoleName"], p["PolicyName"], p["PolicyDocument"])
    return None


@operation("iam", "GetRolePolicy")
def get_role_policy(env: Env, call: Call, p: Params) -> Result:
    policy = roles.get_role_policy(env, call, p["RoleName"], p["PolicyName"])
    return {"RoleName": p["RoleName"], "PolicyName": policy.name,
            "PolicyDocument": views.document(policy.document)}


@operation("iam", "DeleteRolePolicy")
def delete_role_policy(env: Env, call: Call, p: Params) -> Result:
    roles.delete_role_policy(env, call, p["RoleName"], p["PolicyName"])
    return None


@operation("iam", "ListRolePolicies")
def list_role_policies(env: Env, call: Call, p: Params) -> Result:
    page = roles.list_role_policies(env, call, p["RoleName"], p.get("Marker"), p.get("MaxItems"))
    return views.paged(page, "PolicyNames", page.items)


@operation("iam", "AttachRolePolicy")
def attach_role_policy(env: Env, call: Call, p: Params) -> Result:
    roles.attach_role_policy(env, call, p["RoleName"], p["PolicyArn"])
    return None


@operation("iam", "DetachRolePolicy")
def detach_role_policy(env: Env, call: Call, p: Params) -> Result:
    roles.detach_role_policy(env, call, p["RoleName"], p["PolicyArn"])
    return None


@operation("iam", "ListAttachedRolePolicies")
def list_attached_role_policies(env: Env, call: Call, p: Params) -> Result:
    page = roles.list_attached_role_policies(
        env, call, p["RoleName"], p.get("PathPrefix", "/"), p.get("Marker"), p.get("MaxItems")
    )
    return views.paged(page, "AttachedPolicies", views.attached(page.items))


@operation("iam", "PutRolePermissionsBoundary")
def put_role_permissions_boundary(env: Env, call: Call, p: Params) -> Result:
    roles.put_role_permissions_boundary(env, call, p["RoleName"], p["PermissionsBoundary"])
    return None


@operation("iam", "DeleteRolePermissionsBoundary")
def delete_role_permissions_boundary(env: Env, call: Call, p: Params) -> Result:
    roles.delete_role_permissions_boundary(env, call, p["RoleName"])
    return None


# -- service-linked roles --------------------------------------------------------------------
@operation("iam", "CreateServiceLinkedRole")
def create_service_linked_role(env: Env, call: Call, p: Params) -> Result:
    made = roles.create_service_linked_role(
        env, call, p["AWSServiceName"], p.get("Description"), p.get("CustomSuffix")
    )
    return _role_result(made, last_used=False)


@operation("iam", "DeleteServiceLinkedRole")
def delete_service_linked_role(env: Env, call: Call, p: Params) -> Result:
    return {"DeletionTaskId": roles.delete_service_linked_role(env, call, p["RoleName"])}


@operation("iam", "GetServiceLinkedRoleDeletionStatus")
def get_service_linked_role_deletion_status(env: Env, call: Call, p: Params) -> Result:
    status = roles.get_service_linked_role_deletion_status(env, call, p["DeletionTaskId"])
    return {"Status": status}
