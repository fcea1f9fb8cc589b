"""Groups, as use cases: lifecycle, membership, policies, quotas and authorization."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from iamd.domain import errors
from iamd.domain.quotas import Quotas
from iamd.service.iam import groups, users

from .conftest import ACCOUNT, Callers

READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
GROUP_ARN = f"arn:aws:iam::{ACCOUNT}:group"


def policy(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: object) -> str:
    return policy({"Effect": "Allow", "Action": action, "Resource": resource, **extra})


def test_create_get_list_delete(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    made = groups.create_group(env, root, "Devs", "/eng/")
    assert made.arn == f"{GROUP_ARN}/eng/Devs"
    assert made.id.startswith("AGPA")
    assert len(made.id) == 21
    got = groups.get_group(env, root, "devs")  # names are case-insensitive
    assert got.group == made
    assert got.users.items == []
    assert not got.users.is_truncated
    with pytest.raises(errors.EntityAlreadyExists, match="Group with name DEVS already exists"):
        groups.create_group(env, root, "DEVS")
    groups.create_group(env, root, "ops")
    assert [g.name for g in groups.list_groups(env, root).items] == ["Devs", "ops"]
    assert [g.name for g in groups.list_groups(env, root, "/eng/").items] == ["Devs"]
    groups.delete_group(env, root, "Devs")
    with pytest.raises(errors.NoSuchEntity, match="The group with name Devs cannot be found"):
        groups.get_group(env, root, "Devs")
    with pytest.raises(errors.NoSuchEntity):
        groups.delete_group(env, root, "Devs")


def test_list_groups_pagination(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    for index in range(5):
        groups.create_group(env, root, f"g{index}")
    first = groups.list_groups(env, root, max_items_=2)
    second = groups.list_groups(env, root, marker=first.marker, max_items_=2)
    third = groups.list_groups(env, root, marker=second.marker, max_items_=2)
    names = [g.name for page in (first, second, third) for g in page.items]
    assert names == ["g0", "g1", "g2", "g3", "g4"]
    assert first.is_truncated
    assert second.is_truncated
    assert not third.is_truncated


def test_membership(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    groups.create_group(env, root, "devs")
    groups.create_group(env, root, "ops")
    for name in ("carol", "alice", "bob"):
        users.create_user(env, root, name)
        groups.add_user_to_group(env, root, "devs", name)
    groups.add_user_to_group(env, root, "DEVS", "Alice")  # already a member: no-op
    groups.add_user_to_group(env, root, "ops", "alice")
    members = groups.get_group(env, root, "devs").users
    assert [u.name for u in members.items] == ["alice", "bob", "carol"]
    assert [g.name for g in groups.list_groups_for_user(env, root, "alice").items] == [
        "devs", "ops"]
    groups.remove_user_from_group(env, root, "devs", "alice")
    groups.remove_user_from_group(env, root, "devs", "alice")  # not a member: succeeds
    assert [g.name for g in groups.list_groups_for_user(env, root, "alice").items] == ["ops"]
    assert [u.name for u in groups.get_group(env, root, "devs").users.items] == ["bob", "carol"]


def test_membership_errors(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    groups.create_group(env, root, "devs")
    users.create_user(env, root, "alice")
    with pytest.raises(errors.NoSuchEntity, match="The user with name zed cannot be found"):
        groups.add_user_to_group(env, root, "devs", "zed")
    with pytest.raises(errors.NoSuchEntity, match="The group with name nope cannot be found"):
        groups.add_user_to_group(env, root, "nope", "alice")
    with pytest.raises(errors.NoSuchEntity, match="The user with name zed cannot be found"):
        groups.remove_user_from_group(env, root, "devs", "zed")
    with pytest.raises(errors.NoSuchEntity, match="The user with name zed cannot be found"):
        groups.list_groups_for_user(env, root, "zed")


def test_get_group_pages_its_members(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    groups.create_group(env, root, "devs")
    users.create_user(env, root, "outsider")
    for index in range(5):
        users.create_user(env, root, f"u{index}")
        groups.add_user_to_group(env, root, "devs", f"u{index}")
    first = groups.get_group(env, root, "devs", max_items_=3)
    assert [u.name for u in first.users.items] == ["u0", "u1", "u2"]
    assert first.users.is_truncated
    rest = groups.get_group(env, root, "devs", marker=first.users.marker, max_items_=3)
    assert [u.name for u in rest.users.items] == ["u3", "u4"]
    assert not rest.users.is_truncated
    with pytest.raises(errors.ValidationError):
        groups.get_group(env, root, "devs", marker="a")


def test_quotas(callers: Callers) -> None:
    root = callers.root()
    env = replace(callers.env, quotas=Quotas(groups_per_account=2, groups_per_user=1))
    groups.create_group(env, root, "a")
    groups.create_group(env, root, "b")
    with pytest.raises(errors.LimitExceeded, match="Cannot exceed quota for GroupsPerAccount: 2"):
        groups.create_group(env, root, "c")
    users.create_user(env, root, "alice")
    groups.add_user_to_group(env, root, "a", "alice")
    groups.add_user_to_group(env, root, "a", "alice")  # re-adding does not count
    with pytest.raises(errors.LimitExceeded, match="Cannot exceed quota for GroupsPerUser: 1"):
        groups.add_user_to_group(env, root, "b", "alice")


def test_delete_conflicts(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    groups.create_group(env, root, "devs")
    users.create_user(env, root, "alice")
    groups.add_user_to_group(env, root, "devs", "alice")
    groups.put_group_policy(env, root, "devs", "inline", allow("iam:ListUsers"))
    groups.attach_group_policy(env, root, "devs", READ_ONLY)
    with pytest.raises(errors.DeleteConflict, match="must remove users from group first"):
        groups.delete_group(env, root, "devs")
    with pytest.raises(errors.DeleteConflict, match="must remove users from group first"):
        users.delete_user(env, root, "alice")
    groups.remove_user_from_group(env, root, "devs", "alice")
    with pytest.raises(errors.DeleteConflict, match="must delete policies first"):
        groups.delete_group(env, root, "devs")
    groups.delete_group_policy(env, root, "devs", "inline")
    with pytest.raises(errors.DeleteConflict, match="must detach all policies first"):
        groups.delete_group(env, root, "devs")
    groups.detach_group_policy(env, root, "devs", READ_ONLY)
    groups.delete_group(env, root, "devs")
    assert groups.list_groups(env, root).items == []


def test_rename_and_move_keeps_members_and_policies(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    groups.create_group(env, root, "devs")
    groups.create_group(env, root, "ops")
    users.create_user(env, root, "alice")
    groups.add_user_to_group(env, root, "devs", "alice")
    groups.put_group_policy(env, root, "devs", "p", allow("iam:ListUsers"))
    with pytest.raises(errors.EntityAlreadyExists, match="Group with name OPS already exists"):
        groups.update_group(env, root, "devs", new_group_name="OPS")
    groups.update_group(env, root, "devs", new_path="/eng/", new_group_name="engineers")
    with pytest.raises(errors.NoSuchEntity):
        groups.get_group(env, root, "devs")
    moved = groups.get_group(env, root, "engineers")
    assert moved.group.arn == f"{GROUP_ARN}/eng/engineers"
    assert [u.name for u in moved.users.items] == ["alice"]
    assert groups.list_group_policies(env, root, "engineers").items == ["p"]
    groups.update_group(env, root, "engineers", new_group_name="Engineers")  # case only
    assert groups.get_group(env, root, "engineers").group.name == "Engineers"
    with pytest.raises(errors.NoSuchEntity):
        groups.update_group(env, root, "nope", new_group_name="x")


def test_rename_needs_permission_on_old_and_new_arn(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    groups.create_group(env, root, "devs")
    users.create_user(env, root, "bob")
    users.put_user_policy(env, root, "bob", "p", allow("iam:UpdateGroup", f"{GROUP_ARN}/devs"))
    with pytest.raises(errors.AccessDenied, match=f"on resource: {GROUP_ARN}/team"):
        groups.update_group(env, callers.user("bob"), "devs", new_group_name="team")
    users.put_user_policy(env, root, "bob", "p", allow(
        "iam:UpdateGroup", [f"{GROUP_ARN}/devs", f"{GROUP_ARN}/team"]))
    groups.update_group(env, callers.user("bob"), "devs", new_group_name="team")
    assert groups.get_group(env, root, "team").group.name == "team"


def test_inline_policies(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    groups.create_group(env, root, "devs")
    groups.put_group_policy(env, root, "devs", "b", allow("iam:ListUsers"))
    groups.put_group_policy(env, root, "devs", "a", allow("iam:GetUser"))
    groups.put_group_policy(env, root, "devs", "A", allow("iam:ListGroups"))  # replaces "a"
    assert groups.list_group_policies(env, root, "devs").items == ["A", "b"]
    assert "iam:ListGroups" in groups.get_group_policy(env, root, "devs", "a").document
    first = groups.list_group_policies(env, root, "devs", max_items_=1)
    rest = groups.list_group_policies(env, root, "devs", marker=first.marker)
    assert first.items == ["A"]
    assert rest.items == ["b"]
    assert not rest.is_truncated
    with pytest.raises(errors.MalformedPolicyDocument):
        groups.put_group_policy(env, root, "devs", "bad", '{"Version": "2012-10-17"}')
    with pytest.raises(errors.NoSuchEntity, match="The group policy with name zz cannot be found"):
        groups.get_group_policy(env, root, "devs", "zz")
    groups.delete_group_policy(env, root, "devs", "b")
    with pytest.raises(errors.NoSuchEntity):
        groups.delete_group_policy(env, root, "devs", "b")
    with pytest.raises(errors.NoSuchEntity, match="The group with name nope cannot be found"):
        groups.put_group_policy(env, root, "nope", "p", allow("iam:ListUsers"))


def test_inline_policy_size_quota_is_per_group(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    groups.create_group(env, root, "devs")
    big = allow([f"iam:Get{'X' * 40}{index}" for index in range(60)])
    groups.put_group_policy(env, root, "devs", "one", big)
    with pytest.raises(errors.LimitExceeded, match="GroupPolicySize"):
        groups.put_group_policy(env, root, "devs", "two", big)


def test_attached_policies(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    groups.create_group(env, root, "devs")
    groups.attach_group_policy(env, root, "devs", READ_ONLY)
    groups.attach_group_policy(env, root, "devs", READ_ONLY)  # idempotent
    attached = groups.list_attached_group_policies(env, root, "devs")
    assert [(a.name, a.arn) for a in attached.items] == [("IAMReadOnlyAccess", READ_ONLY)]
    assert groups.list_attached_group_policies(env, root, "devs", "/service-role/").items == []
    missing = f"arn:aws:iam::{ACCOUNT}:policy/none"
    with pytest.raises(errors.NoSuchEntity, match="does not exist or is not attachable"):
        groups.attach_group_policy(env, root, "devs", missing)
    with pytest.raises(errors.InvalidInput):
        groups.attach_group_policy(env, root, "devs", "arn:aws:s3:::bucket")
    with pytest.raises(errors.NoSuchEntity, match=f"Policy {missing} was not found"):
        groups.detach_group_policy(env, root, "devs", missing)
    limited = replace(env, quotas=Quotas(managed_policies_per_principal=1))
    with pytest.raises(errors.LimitExceeded, match="PoliciesPerGroup: 1"):
        groups.attach_group_policy(
            limited, root, "devs", "arn:aws:iam::aws:policy/AdministratorAccess"
        )


def test_membership_grants_and_removal_revokes_at_once(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    callers.user("bob")
    groups.create_group(env, root, "listers")
    groups.put_group_policy(env, root, "listers", "list", allow("iam:ListUsers"))
    with pytest.raises(errors.AccessDenied):
        users.list_users(env, callers.user("bob"))
    groups.add_user_to_group(env, root, "listers", "bob")
    assert users.list_users(env, callers.user("bob")).items
    groups.remove_user_from_group(env, root, "listers", "bob")
    with pytest.raises(errors.AccessDenied):
        users.list_users(env, callers.user("bob"))


def test_group_policy_changes_apply_to_members_at_once(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    callers.user("bob")
    groups.create_group(env, root, "readers")
    groups.add_user_to_group(env, root, "readers", "bob")
    with pytest.raises(errors.AccessDenied):
        groups.list_groups(env, callers.user("bob"))
    groups.attach_group_policy(env, root, "readers", READ_ONLY)
    assert [g.name for g in groups.list_groups(env, callers.user("bob")).items] == ["readers"]
    groups.put_group_policy(env, root, "readers", "deny", policy(
        {"Effect": "Deny", "Action": "iam:ListGroups", "Resource": "*"}))
    with pytest.raises(errors.AccessDenied, match="explicit deny"):
        groups.list_groups(env, callers.user("bob"))
    groups.delete_group_policy(env, root, "readers", "deny")
    groups.detach_group_policy(env, root, "readers", READ_ONLY)
    with pytest.raises(errors.AccessDenied):
        groups.list_groups(env, callers.user("bob"))


def test_denied_caller_does_not_learn_whether_a_group_exists(callers: Callers) -> None:
    env = callers.env
    bob = callers.user("bob")
    with pytest.raises(errors.AccessDenied) as denied:
        groups.get_group(env, bob, "ghost")
    assert denied.value.message == (
        f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: iam:GetGroup "
        f"on resource: {GROUP_ARN}/ghost because no identity-based policy allows the "
        "iam:GetGroup action"
    )
    for call in (
        lambda: groups.create_group(env, bob, "g"),
        lambda: groups.delete_group(env, bob, "g"),
        lambda: groups.list_groups(env, bob),
        lambda: groups.add_user_to_group(env, bob, "g", "bob"),
        lambda: groups.remove_user_from_group(env, bob, "g", "bob"),
        lambda: groups.list_groups_for_user(env, bob, "bob"),
        lambda: groups.put_group_policy(env, bob, "g", "p", allow("*")),
        lambda: groups.list_group_policies(env, bob, "g"),
        lambda: groups.attach_group_policy(env, bob, "g", READ_ONLY),
        lambda: groups.list_attached_group_policies(env, bob, "g"),
    ):
        with pytest.raises(errors.AccessDenied):
            call()


def test_allow_on_one_group_arn_only(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    groups.create_group(env, root, "devs", "/eng/")
    groups.create_group(env, root, "ops")
    users.create_user(env, root, "bob")
    users.put_user_policy(env, root, "bob", "p", allow(
        ["iam:GetGroup", "iam:AddUserToGroup"], f"{GROUP_ARN}/eng/*"))
    bob = callers.user("bob")
    assert groups.get_group(env, bob, "devs").group.name == "devs"
    groups.add_user_to_group(env, bob, "devs", "bob")
    with pytest.raises(errors.AccessDenied, match=f"on resource: {GROUP_ARN}/ops "):
        groups.get_group(env, bob, "ops")
    with pytest.raises(errors.AccessDenied):
        groups.add_user_to_group(env, bob, "ops", "bob")


def test_policy_arn_condition_on_attach(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    groups.create_group(env, root, "devs")
    users.create_user(env, root, "bob")
    users.put_user_policy(env, root, "bob", "p", allow(
        ["iam:AttachGroupPolicy", "iam:DetachGroupPolicy"],
        Condition={"ArnEquals": {"iam:PolicyARN": READ_ONLY}},
    ))
    bob = callers.user("bob")
    groups.attach_group_policy(env, bob, "devs", READ_ONLY)
    with pytest.raises(errors.AccessDenied):
        groups.attach_group_policy(env, bob, "devs", "arn:aws:iam::aws:policy/AdministratorAccess")
    groups.detach_group_policy(env, bob, "devs", READ_ONLY)


def test_list_groups_for_user_honours_user_tags(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "alice", tags=[{"Key": "team", "Value": "red"}])
    users.create_user(env, root, "carol", tags=[{"Key": "team", "Value": "blue"}])
    users.create_user(env, root, "bob")
    users.put_user_policy(env, root, "bob", "p", allow(
        "iam:ListGroupsForUser",
        Condition={"StringEquals": {"aws:ResourceTag/team": "red"}},
    ))
    bob = callers.user("bob")
    assert groups.list_groups_for_user(env, bob, "alice").items == []
    with pytest.raises(errors.AccessDenied, match=f"arn:aws:iam::{ACCOUNT}:user/carol"):
        groups.list_groups_for_user(env, bob, "carol")
