"""Instance profiles, as use cases and through the wire: the rules AWS applies."""

from __future__ import annotations

import dataclasses
from urllib.parse import unquote

import pytest

from iamd.domain import errors
from iamd.domain.quotas import Quotas
from iamd.service.iam import instance_profiles as profiles
from iamd.service.iam import roles

from .conftest import ACCOUNT, Callers
from .test_roles import EB, TRUST, allow, grant, wire


def profile_arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT}:instance-profile{path}{name}"


def test_create_get_list_delete(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    made = profiles.create_instance_profile(
        env, root, "web", "/app/", tags=[{"Key": "k", "Value": "v"}]
    )
    assert made.profile.arn == profile_arn("web", "/app/")
    assert made.profile.id.startswith("AIPA")
    assert len(made.profile.id) == 21
    got = profiles.get_instance_profile(env, root, "WEB")
    assert got.profile == made.profile
    assert list(got.roles) == []
    assert [(t.key, t.value) for t in got.tags] == [("k", "v")]
    with pytest.raises(errors.EntityAlreadyExists, match=r"Instance Profile Web already exists\."):
        profiles.create_instance_profile(env, root, "Web")
    assert [v.profile.name for v in profiles.list_instance_profiles(env, root).items] == ["web"]
    assert profiles.list_instance_profiles(env, root, path_prefix="/other/").items == []
    profiles.delete_instance_profile(env, root, "web")
    for operation in (profiles.get_instance_profile, profiles.delete_instance_profile,
                      profiles.list_instance_profile_tags):
        with pytest.raises(errors.NoSuchEntity, match=r"Instance Profile web cannot be found\."):
            operation(env, root, "web")
    assert profiles.create_instance_profile(env, root, "web").tags == []


def test_instance_profiles_per_account_quota(callers: Callers) -> None:
    env = dataclasses.replace(callers.env, quotas=Quotas(instance_profiles_per_account=1))
    profiles.create_instance_profile(env, callers.root(), "one")
    with pytest.raises(errors.LimitExceeded, match="InstanceProfilesPerAccount: 1"):
        profiles.create_instance_profile(env, callers.root(), "two")


def test_one_role_per_profile_and_delete_conflicts(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    profiles.create_instance_profile(env, root, "web")
    roles.create_role(env, root, "app", TRUST)
    roles.create_role(env, root, "other", TRUST)
    profiles.add_role_to_instance_profile(env, root, "web", "APP")
    got = profiles.get_instance_profile(env, root, "web")
    assert [role.name for role in got.roles] == ["app"]
    quota = "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"
    for role in ("other", "app"):
        with pytest.raises(errors.LimitExceeded, match=quota):
            profiles.add_role_to_instance_profile(env, root, "web", role)
    conflict = "Cannot delete entity, must remove roles from instance profile first."
    with pytest.raises(errors.DeleteConflict, match=conflict):
        profiles.delete_instance_profile(env, root, "web")
    with pytest.raises(errors.DeleteConflict, match=conflict):
        roles.delete_role(env, root, "app")
    profiles.remove_role_from_instance_profile(env, root, "web", "app")
    with pytest.raises(errors.NoSuchEntity, match="cannot be found in instance profile web"):
        profiles.remove_role_from_instance_profile(env, root, "web", "app")
    roles.delete_role(env, root, "app")
    profiles.delete_instance_profile(env, root, "web")


def test_missing_entities_and_service_linked_roles(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    profiles.create_instance_profile(env, root, "web")
    slr = roles.create_service_linked_role(env, root, EB).role.name
    with pytest.raises(errors.NoSuchEntity, match="Instance Profile ghost cannot be found"):
        profiles.add_role_to_instance_profile(env, root, "ghost", slr)
    for change in (profiles.add_role_to_instance_profile,
                   profiles.remove_role_from_instance_profile):
        with pytest.raises(errors.NoSuchEntity, match="The role with name ghost cannot be found"):
            change(env, root, "web", "ghost")
        with pytest.raises(errors.UnmodifiableEntity, match="protected role"):
            change(env, root, "web", slr)


def test_list_instance_profiles_for_role_and_pagination(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    roles.create_role(env, root, "app", TRUST)
    for index in range(3):
        profiles.create_instance_profile(env, root, f"p{index}")
        profiles.add_role_to_instance_profile(env, root, f"p{index}", "app")
    profiles.create_instance_profile(env, root, "unused")
    first = profiles.list_instance_profiles_for_role(env, root, "app", max_items_=2)
    assert [v.profile.name for v in first.items] == ["p0", "p1"]
    assert first.is_truncated
    rest = profiles.list_instance_profiles_for_role(env, root, "app", marker=first.marker)
    assert [v.profile.name for v in rest.items] == ["p2"]
    assert not rest.is_truncated
    assert all([r.name for r in v.roles] == ["app"] for v in first.items + rest.items)
    roles.create_role(env, root, "lonely", TRUST)
    assert profiles.list_instance_profiles_for_role(env, root, "lonely").items == []
    with pytest.raises(errors.NoSuchEntity):
        profiles.list_instance_profiles_for_role(env, root, "ghost")
    page = profiles.list_instance_profiles(env, root, max_items_=3)
    tail = profiles.list_instance_profiles(env, root, marker=page.marker, max_items_=3)
    assert [v.profile.name for v in page.items + tail.items] == ["p0", "p1", "p2", "unused"]


def test_tags(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    profiles.create_instance_profile(env, root, "web")
    profiles.tag_instance_profile(env, root, "web", [{"Key": "a", "Value": "1"},
                                                     {"Key": "b", "Value": "2"}])
    page = profiles.list_instance_profile_tags(env, root, "web", max_items_=1)
    rest = profiles.list_instance_profile_tags(env, root, "web", marker=page.marker)
    assert [t.key for t in page.items + rest.items] == ["a", "b"]
    assert page.is_truncated
    profiles.untag_instance_profile(env, root, "web", ["a"])
    assert [t.key for t in profiles.list_instance_profile_tags(env, root, "web").items] == ["b"]
    with pytest.raises(errors.NoSuchEntity):
        profiles.tag_instance_profile(env, root, "ghost", [{"Key": "a", "Value": "1"}])


def test_add_role_needs_pass_role(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    profiles.create_instance_profile(env, root, "web")
    roles.create_role(env, root, "app", TRUST, "/ec2/")
    roles.create_role(env, root, "admin", TRUST)
    ivan = grant(callers, "ivan", allow(
        ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile"]))
    with pytest.raises(errors.AccessDenied) as denied:
        profiles.add_role_to_instance_profile(env, ivan, "web", "app")
    assert (f"iam:PassRole on resource: arn:aws:iam::{ACCOUNT}:role/ec2/app"
            in denied.value.message)
    judy = grant(
        callers, "judy", allow("iam:AddRoleToInstanceProfile", profile_arn("web")),
        allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/ec2/*", StringEquals={
            "iam:PassedToService": "ec2.amazonaws.com"}),
    )
    with pytest.raises(errors.AccessDenied, match="iam:PassRole"):
        profiles.add_role_to_instance_profile(env, judy, "web", "admin")
    profiles.add_role_to_instance_profile(env, judy, "web", "app")
    assert [r.name for r in profiles.get_instance_profile(env, root, "web").roles] == ["app"]
    profiles.remove_role_from_instance_profile(env, ivan, "web", "app")


def test_resource_tag_condition_and_denial_before_existence(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    profiles.create_instance_profile(env, root, "mine", tags=[{"Key": "env", "Value": "dev"}])
    profiles.create_instance_profile(env, root, "prod", "/p/",
                                     tags=[{"Key": "env", "Value": "prod"}])
    kate = grant(callers, "kate", allow(
        ["iam:GetInstanceProfile", "iam:DeleteInstanceProfile"],
        StringEquals={"aws:ResourceTag/env": "dev"}))
    assert profiles.get_instance_profile(env, kate, "mine").profile.name == "mine"
    with pytest.raises(errors.AccessDenied, match=f"resource: {profile_arn('prod', '/p/')} "):
        profiles.delete_instance_profile(env, kate, "prod")
    with pytest.raises(errors.AccessDenied, match=f"resource: {profile_arn('ghost')} "):
        profiles.get_instance_profile(env, kate, "ghost")
    with pytest.raises(errors.AccessDenied, match="iam:CreateInstanceProfile"):
        profiles.create_instance_profile(env, kate, "new")


def test_create_with_tags_needs_tag_instance_profile(callers: Callers) -> None:
    env = callers.env
    liam = grant(callers, "liam", allow("iam:CreateInstanceProfile"))
    profiles.create_instance_profile(env, liam, "bare")
    with pytest.raises(errors.AccessDenied, match="iam:TagInstanceProfile"):
        profiles.create_instance_profile(env, liam, "tagged", tags=[{"Key": "a", "Value": "b"}])


def test_wire_round_trip(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    created = wire(env, root, "CreateInstanceProfile", InstanceProfileName="web", Path="/a/",
                   Tags=[{"Key": "k", "Value": "v"}])["InstanceProfile"]
    assert created["Arn"] == profile_arn("web", "/a/")
    assert created["Roles"] == []
    assert created["Tags"] == [{"Key": "k", "Value": "v"}]
    wire(env, root, "CreateRole", RoleName="app", AssumeRolePolicyDocument=TRUST)
    wire(env, root, "AddRoleToInstanceProfile", InstanceProfileName="web", RoleName="app")
    got = wire(env, root, "GetInstanceProfile", InstanceProfileName="web")["InstanceProfile"]
    assert [role["RoleName"] for role in got["Roles"]] == ["app"]
    assert unquote(got["Roles"][0]["AssumeRolePolicyDocument"]) == TRUST
    listed = wire(env, root, "ListInstanceProfiles")
    assert listed["IsTruncated"] is False
    assert "Tags" not in listed["InstanceProfiles"][0]
    assert listed["InstanceProfiles"][0]["Roles"][0]["RoleName"] == "app"
    for_role = wire(env, root, "ListInstanceProfilesForRole", RoleName="app")
    assert [p["InstanceProfileName"] for p in for_role["InstanceProfiles"]] == ["web"]
    wire(env, root, "UntagInstanceProfile", InstanceProfileName="web", TagKeys=["k"])
    assert wire(env, root, "ListInstanceProfileTags", InstanceProfileName="web")["Tags"] == []
    wire(env, root, "RemoveRoleFromInstanceProfile", InstanceProfileName="web", RoleName="app")
    assert wire(env, root, "DeleteInstanceProfile", InstanceProfileName="web") == {}
