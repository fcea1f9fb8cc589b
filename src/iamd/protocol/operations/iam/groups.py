"""CreateGroup, GetGroup, UpdateGroup, DeleteGroup, ListGroups, AddUserToGroup,
RemoveUserFromGroup, ListGroupsForUser and the group's inline and attached policies."""

from __future__ import annotations

from typing import Any

from iamd.domain.entities import Group
from iamd.service.context import Call, Env
from iamd.service.iam import groups

from .. import views
from .._registry import Params, Result, operation


def group_view(entity: Group) -> dict[str, Any]:
    """A group as AWS's ``Group`` structure."""
    return {
        "Path": entity.path,
        "GroupName": entity.name,
        "GroupId": entity.id,
        "Arn": entity.arn,
        "CreateDate": entity.created,
    }


@operation("iam", "CreateGroup")
def create_group(env: Env, call: Call, p: Params) -> Result:
    return {"Group": group_view(groups.create_group(env, call, p["GroupName"], p.get("Path", "/")))}


@operation("iam", "GetGroup")
def get_group(env: Env, call: Call, p: Params) -> Result:
    found = groups.get_group(env, call, p["GroupName"], p.get("Marker"), p.get("MaxItems"))
    result = views.paged(found.users, "Users", [views.user(user) for user in found.users.items])
    return {"Group": group_view(found.group), **result}


@operation("iam", "UpdateGroup")
def update_group(env: Env, call: Call, p: Params) -> Result:
    groups.update_group(env, call, p["GroupName"], p.get("NewPath"), p.get("NewGroupName"))
    return None


@operation("iam", "DeleteGroup")
def delete_group(env: Env, call: Call, p: Params) -> Result:
    groups.delete_group(env, call, p["GroupName"])
    return None


@operation("iam", "ListGroups")
def list_groups(env: Env, call: Call, p: Params) -> Result:
    page = groups.list_groups(
        env, call, p.get("PathPrefix", "/"), p.get("Marker"), p.get("MaxItems")
    )
    return views.paged(page, "Groups", [group_view(group) for group in page.items])


@operation("iam", "AddUserToGroup")
def add_user_to_group(env: Env, call: Call, p: Params) -> Result:
    groups.add_user_to_group(env, call, p["GroupName"], p["UserName"])
    return None


@operation("iam", "RemoveUserFromGroup")
def remove_user_from_group(env: Env, call: Call, p: Params) -> Result:
    groups.remove_user_from_group(env, call, p["GroupName"], p["UserName"])
    return None


@operation("iam", "ListGroupsForUser")
def list_groups_for_user(env: Env, call: Call, p: Params) -> Result:
    page = groups.list_groups_for_user(
        env, call, p["UserName"], p.get("Marker"), p.get("MaxItems")
    )
    return views.paged(page, "Groups", [group_view(group) for group in page.items])


@operation("iam", "PutGroupPolicy")
def put_group_policy(env: Env, call: Call, p: Params) -> Result:
    groups.put_group_policy(env, call, p["GroupName"], p["PolicyName"], p["PolicyDocument"])
    return None


@operation("iam", "GetGroupPolicy")
def get_group_policy(env: Env, call: Call, p: Params) -> Result:
    policy = groups.get_group_policy(env, call, p["GroupName"], p["PolicyName"])
    return {"GroupName": p["GroupName"], "PolicyName": policy.name,
            "PolicyDocument": views.document(policy.document)}


@operation("iam", "DeleteGroupPolicy")
def delete_group_policy(env: Env, call: Call, p: Params) -> Result:
    groups.delete_group_policy(env, call, p["GroupName"], p["PolicyName"])
    return None


@operation("iam", "ListGroupPolicies")
def list_group_policies(env: Env, call: Call, p: Params) -> Result:
    page = groups.list_group_policies(
        env, call, p["GroupName"], p.get("Marker"), p.get("MaxItems")
    )
    return views.paged(page, "PolicyNames", page.items)


@operation("iam", "AttachGroupPolicy")
def attach_group_policy(env: Env, call: Call, p: Params) -> Result:
    groups.attach_group_policy(env, call, p["GroupName"], p["PolicyArn"])
    return None


@operation("iam", "DetachGroupPolicy")
def detach_group_policy(env: Env, call: Call, p: Params) -> Result:
    groups.detach_group_policy(env, call, p["GroupName"], p["PolicyArn"])
    return None


@operation("iam", "ListAttachedGroupPolicies")
def list_attached_group_policies(env: Env, call: Call, p: Params) -> Result:
    page = groups.list_attached_group_policies(
        env, call, p["GroupName"], p.get("PathPrefix", "/"), p.get("Marker"), p.get("MaxItems")
    )
    return views.paged(page, "AttachedPolicies", views.attached(page.items))
