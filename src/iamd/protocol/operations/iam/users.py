"""CreateUser, GetUser, UpdateUser, DeleteUser, ListUsers, TagUser, UntagUser, ListUserTags."""

from __future__ import annotations

from iamd.service.context import Call, Env
from iamd.service.iam import users

from .. import views
from .._registry import Params, Result, operation


@operation("iam", "CreateUser")
def create_user(env: Env, call: Call, p: Params) -> Result:
    made = users.create_user(
        env, call, p["UserName"], p.get("Path", "/"), p.get("PermissionsBoundary"), p.get("Tags")
    )
    assert made.user is not None
    return {"User": views.user(made.user, made.tags, full=True)}


@operation("iam", "GetUser")
def get_user(env: Env, call: Call, p: Params) -> Result:
    found = users.get_user(env, call, p.get("UserName"))
    if found.user is None:
        root = found.root
        return {"User": {
            "UserId": found.account_id, "Arn": call.caller.arn,
            "CreateDate": root.created if root else call.request.now,
            "PasswordLastUsed": root.password_last_used if root else None,
        }}
    return {"User": views.user(found.user, found.tags, full=True)}


@operation("iam", "UpdateUser")
def update_user(env: Env, call: Call, p: Params) -> Result:
    users.update_user(env, call, p["UserName"], p.get("NewPath"), p.get("NewUserName"))
    return None


@operation("iam", "DeleteUser")
def delete_user(env: Env, call: Call, p: Params) -> Result:
    users.delete_user(env, call, p["UserName"])
    return None


@operation("iam", "ListUsers")
def list_users(env: Env, call: Call, p: Params) -> Result:
    page = users.list_users(env, call, p.get("PathPrefix", "/"), p.get("Marker"), p.get("MaxItems"))
    return views.paged(page, "Users", [views.user(user) for user in page.items])


@operation("iam", "TagUser")
def tag_user(env: Env, call: Call, p: Params) -> Result:
    users.tag_user(env, call, p["UserName"], p["Tags"])
    return None


@operation("iam", "UntagUser")
def untag_user(env: Env, call: Call, p: Params) -> Result:
    users.untag_user(env, call, p["UserName"], p["TagKeys"])
    return None


@operation("iam", "ListUserTags")
def list_user_tags(env: Env, call: Call, p: Params) -> Result:
    page = users.list_user_tags(env, call, p["UserName"], p.get("Marker"), p.get("MaxItems"))
    return views.paged(page, "Tags", views.tags(page.items))


@operation("iam", "PutUserPolicy")
def put_user_policy(env: Env, call: Call, p: Params) -> Result:
    users.put_user_policy(env, call, p["UserName"], p["PolicyName"], p["PolicyDocument"])
    return None


@operation("iam", "GetUserPolicy")
def get_user_policy(env: Env, call: Call, p: Params) -> Result:
    policy = users.get_user_policy(env, call, p["UserName"], p["PolicyName"])
    return {"UserName": p["UserName"], "PolicyName": policy.name,
            "PolicyDocument": views.document(policy.document)}


@operation("iam", "DeleteUserPolicy")
def delete_user_policy(env: Env, call: Call, p: Params) -> Result:
    users.delete_user_policy(env, call, p["UserName"], p["PolicyName"])
    return None


@operation("iam", "ListUserPolicies")
def list_user_policies(env: Env, call: Call, p: Params) -> Result:
    page = users.list_user_policies(env, call, p["UserName"], p.get("Marker"), p.get("MaxItems"))
    return views.paged(page, "PolicyNames", page.items)


@operation("iam", "AttachUserPolicy")
def attach_user_policy(env: Env, call: Call, p: Params) -> Result:
    users.attach_user_policy(env, call, p["UserName"], p["PolicyArn"])
    return None


@operation("iam", "DetachUserPolicy")
def detach_user_policy(env: Env, call: Call, p: Params) -> Result:
    users.detach_user_policy(env, call, p["UserName"], p["PolicyArn"])
    return None


@operation("iam", "ListAttachedUserPolicies")
def list_attached_user_policies(env: Env, call: Call, p: Params) -> Result:
    page = users.list_attached_user_policies(
        env, call, p["UserName"], p.get("PathPrefix", "/"), p.get("Marker"), p.get("MaxItems")
    )
    return views.paged(page, "AttachedPolicies", views.attached(page.items))


@operation("iam", "PutUserPermissionsBoundary")
def put_user_permissions_boundary(env: Env, call: Call, p: Params) -> Result:
    users.put_user_permissions_boundary(env, call, p["UserName"], p["PermissionsBoundary"])
    return None


@operation("iam", "DeleteUserPermissionsBoundary")
def delete_user_permissions_boundary(env: Env, call: Call, p: Params) -> Result:
    users.delete_user_permissions_boundary(env, call, p["UserName"])
    return None
