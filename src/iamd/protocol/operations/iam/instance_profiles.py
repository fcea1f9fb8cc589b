"""Instance profiles: Create/Get/Delete/List, their role, ListInstanceProfilesForRole, tags."""

from __future__ import annotations

from typing import Any

from iamd.service.context import Call, Env
from iamd.service.iam import instance_profiles
from iamd.service.iam.common import Page
from iamd.service.iam.instance_profiles import ProfileView

from .. import views
from .._registry import Params, Result, operation
from .roles import role_summary


def profile(found: ProfileView, *, with_tags: bool = False) -> dict[str, Any]:
    """An instance profile with its roles; tags only where AWS returns them (not listings)."""
    entity = found.profile
    view: dict[str, Any] = {
        "Path": entity.path,
        "InstanceProfileName": entity.name,
        "InstanceProfileId": entity.id,
        "Arn": entity.arn,
        "CreateDate": entity.created,
        "Roles": [role_summary(role) for role in found.roles],
    }
    if with_tags:
        view["Tags"] = views.tags(found.tags) or None
    return view


def _profiles(page: Page[ProfileView]) -> Result:
    return views.paged(page, "InstanceProfiles", [profile(found) for found in page.items])


@operation("iam", "CreateInstanceProfile")
def create_instance_profile(env: Env, call: Call, p: Params) -> Result:
    made = instance_profiles.create_instance_profile(
        env, call, p["InstanceProfileName"], p.get("Path", "/"), p.get("Tags")
    )
    return {"InstanceProfile": profile(made, with_tags=True)}


@operation("iam", "GetInstanceProfile")
def get_instance_profile(env: Env, call: Call, p: Params) -> Result:
    found = instance_profiles.get_instance_profile(env, call, p["InstanceProfileName"])
    return {"InstanceProfile": profile(found, with_tags=True)}


@operation("iam", "DeleteInstanceProfile")
def delete_instance_profile(env: Env, call: Call, p: Params) -> Result:
    instance_profiles.delete_instance_profile(env, call, p["InstanceProfileName"])
    return None


@operation("iam", "ListInstanceProfiles")
def list_instance_profiles(env: Env, call: Call, p: Params) -> Result:
    return _profiles(instance_profiles.list_instance_profiles(
        env, call, p.get("PathPrefix", "/"), p.get("Marker"), p.get("MaxItems")
    ))


@operation("iam", "ListInstanceProfilesForRole")
def list_instance_profiles_for_role(env: Env, call: Call, p: Params) -> Result:
    return _profiles(instance_profiles.list_instance_profiles_for_role(
        env, call, p["RoleName"], p.get("Marker"), p.get("MaxItems")
    ))


@operation("iam", "AddRoleToInstanceProfile")
def add_role_to_instance_profile(env: Env, call: Call, p: Params) -> Result:
    instance_profiles.add_role_to_instance_profile(
        env, call, p["InstanceProfileName"], p["RoleName"]
    )
    return None


@operation("iam", "RemoveRoleFromInstanceProfile")
def remove_role_from_instance_profile(env: Env, call: Call, p: Params) -> Result:
    instance_profiles.remove_role_from_instance_profile(
        env, call, p["InstanceProfileName"], p["RoleName"]
    )
    return None


@operation("iam", "TagInstanceProfile")
def tag_instance_profile(env: Env, call: Call, p: Params) -> Result:
    instance_profiles.tag_instance_profile(env, call, p["InstanceProfileName"], p["Tags"])
    return None


@operation("iam", "UntagInstanceProfile")
def untag_instance_profile(env: Env, call: Call, p: Params) -> Result:
    instance_profiles.untag_instance_profile(env, call, p["InstanceProfileName"], p["TagKeys"])
    return None


@operation("iam", "ListInstanceProfileTags")
def list_instance_profile_tags(env: Env, call: Call, p: Params) -> Result:
    page = instance_profiles.list_instance_profile_tags(
        env, call, p["InstanceProfileName"], p.get("Marker"), p.get("MaxItems")
    )
    return views.paged(page, "Tags", views.tags(page.items))
