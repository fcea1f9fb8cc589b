"""The account as a whole: aliases, GetAccountSummary, GetAccountAuthorizationDetails."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any
from urllib.parse import unquote

import pytest
from botocore.parsers import QueryParser  # type: ignore[import-untyped]

from iamd.domain import errors
from iamd.domain.entities import (
    AccessKey,
    InlinePolicy,
    InstanceProfile,
    ManagedPolicy,
    PolicyVersion,
    PrincipalKind,
    Role,
    SAMLProvider,
)
from iamd.domain.quotas import Quotas
from iamd.protocol.models import service_model
from iamd.protocol.operations import handler
from iamd.protocol.serialize import serialize_result
from iamd.service import accounts
from iamd.service.context import Call
from iamd.service.iam import access_keys, account, groups, users

from .conftest import ACCOUNT, NOW, Callers

READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
LOCAL_POLICY = f"arn:aws:iam::{ACCOUNT}:policy/team/local"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
     "Action": "sts:AssumeRole"}]})


def allow(action: str, resource: str = "*") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": resource}]})


def other_account_root(callers: Callers) -> Call:
    made = accounts.create_account(callers.env, account_id="210987654321")
    return callers.call_for_key(made.root_access_key_id)


# -- aliases ---------------------------------------------------------------------------------
def test_alias_create_list_replace_delete(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    assert account.list_account_aliases(env, root).items == []
    account.create_account_alias(env, root, "example-corp")
    account.create_account_alias(env, root, "example-corp")  # the same again: no change
    assert account.list_account_aliases(env, root).items == ["example-corp"]
    account.create_account_alias(env, root, "new-name")  # one alias: the new one replaces it
    page = account.list_account_aliases(env, root)
    assert page.items == ["new-name"]
    assert not page.is_truncated
    with pytest.raises(errors.NoSuchEntity, match="The account alias example-corp cannot be"):
        account.delete_account_alias(env, root, "example-corp")
    account.delete_account_alias(env, root, "new-name")
    assert account.list_account_aliases(env, root).items == []


def test_alias_is_unique_across_accounts(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    other = other_account_root(callers)
    account.create_account_alias(env, other, "taken")
    with pytest.raises(errors.EntityAlreadyExists, match="The account alias taken already"):
        account.create_account_alias(env, root, "taken")
    with pytest.raises(errors.NoSuchEntity):
        account.delete_account_alias(env, root, "taken")  # not this account's to delete
    assert account.list_account_aliases(env, other).items == ["taken"]
    account.delete_account_alias(env, other, "taken")
    account.create_account_alias(env, root, "taken")  # free again
    assert account.list_account_aliases(env, root).items == ["taken"]


def test_alias_quota_above_one_keeps_aliases(callers: Callers) -> None:
    root = callers.root()
    env = replace(callers.env, quotas=Quotas(aliases_per_account=2))
    account.create_account_alias(env, root, "first")
    account.create_account_alias(env, root, "second")
    assert account.list_account_aliases(env, root).items == ["first", "second"]
    first = account.list_account_aliases(env, root, max_items_=1)
    rest = account.list_account_aliases(env, root, marker=first.marker)
    assert first.items == ["first"]
    assert first.is_truncated
    assert rest.items == ["second"]


def test_alias_calls_are_authorized_on_star(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "bob")
    bob = callers.user("bob")
    with pytest.raises(errors.AccessDenied) as denied:
        account.create_account_alias(env, bob, "bobs")
    assert denied.value.message.endswith(
        "iam:CreateAccountAlias on resource: * because no identity-based policy allows the "
        "iam:CreateAccountAlias action"
    )
    for call in (
        lambda: account.delete_account_alias(env, bob, "bobs"),
        lambda: account.list_account_aliases(env, bob),
        lambda: account.get_account_summary(env, bob),
        lambda: account.get_account_authorization_details(env, bob),
    ):
        with pytest.raises(errors.AccessDenied):
            call()
    users.put_user_policy(env, root, "bob", "p", allow("iam:*AccountAlias*"))
    bob = callers.user("bob")
    account.create_account_alias(env, bob, "bobs")
    assert account.list_account_aliases(env, bob).items == ["bobs"]
    in_account_only = allow("iam:*AccountAlias*", f"arn:aws:iam::{ACCOUNT}:*")
    users.put_user_policy(env, root, "bob", "p", in_account_only)
    with pytest.raises(errors.AccessDenied):
        account.list_account_aliases(env, callers.user("bob"))


# -- summary ---------------------------------------------------------------------------------
def summary_keys() -> set[str]:
    output = service_model("iam").operation_model("GetAccountSummary").output_shape
    shape = output.members["SummaryMap"]
    return set(shape.key.enum)


def test_summary_counts_and_quotas(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    summary = account.get_account_summary(env, root)
    assert set(summary) <= summary_keys()
    assert summary["Users"] == 0
    assert summary["UsersQuota"] == 5000
    assert summary["AccountAccessKeysPresent"] == 1
    assert summary["AccountMFAEnabled"] == 0
    assert summary["GroupsPerUserQuota"] == 10
    assert summary["AttachedPoliciesPerRoleQuota"] == 10
    assert summary["PolicySizeQuota"] == 6144
    users.create_user(env, root, "alice")
    users.create_user(env, root, "bob")
    groups.create_group(env, root, "devs")
    users.attach_user_policy(env, root, "alice", READ_ONLY)
    groups.attach_group_policy(env, root, "devs", READ_ONLY)
    with env.store.write(ACCOUNT) as tx:
        tx.add(SAMLProvider(ACCOUNT, "saml-1", "corp", "<md/>", NOW))
    _add_role_and_profile(callers)
    summary = account.get_account_summary(env, root)
    assert (summary["Users"], summary["Groups"], summary["Roles"]) == (2, 1, 1)
    assert (summary["InstanceProfiles"], summary["Providers"]) == (1, 1)
    assert summary["PolicyVersionsInUse"] == 2
    limited = replace(env, quotas=Quotas(users_per_account=7))
    assert account.get_account_summary(limited, root)["UsersQuota"] == 7


def test_summary_root_access_key_presence(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    with env.store.read() as tx:
        root_keys = tx.find(AccessKey, ACCOUNT, user_id=None)
    users.create_user(env, root, "alice")
    access_keys.create_access_key(env, root, "alice")  # a user's key is not the root's
    for key in root_keys:
        access_keys.delete_access_key(env, root, key.id)
    assert account.get_account_summary(env, root)["AccountAccessKeysPresent"] == 0


# -- authorization details -------------------------------------------------------------------
def _add_role_and_profile(callers: Callers) -> None:
    """Roles and instance profiles are another area's use cases: made straight in storage."""
    with callers.env.store.write(ACCOUNT) as tx:
        tx.add(Role(ACCOUNT, "AROAEXAMPLEROLE000001", "app", "/svc/", NOW, TRUST,
                    permissions_boundary=ADMIN))
        tx.add(InstanceProfile(ACCOUNT, "AIPAEXAMPLEPROFILE001", "app-profile", "/", NOW))
        tx.link("instance_profile_role", ACCOUNT, "AIPAEXAMPLEPROFILE001",
                "AROAEXAMPLEROLE000001")


def _add_local_policy(callers: Callers) -> None:
    with callers.env.store.write(ACCOUNT) as tx:
        tx.add(ManagedPolicy(ACCOUNT, "ANPAEXAMPLEPOLICY0001", "local", "/team/", NOW, NOW,
                             default_version_id="v2", next_version=3, description="mine"))
        tx.add(PolicyVersion(ACCOUNT, "ANPAEXAMPLEPOLICY0001", "v1", allow("iam:Get*"), NOW))
        tx.add(PolicyVersion(ACCOUNT, "ANPAEXAMPLEPOLICY0001", "v2", allow("iam:List*"), NOW))


def _populate(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    _add_role_and_profile(callers)
    _add_local_policy(callers)
    users.create_user(env, root, "alice", "/people/", LOCAL_POLICY,
                      [{"Key": "team", "Value": "red"}])
    users.create_user(env, root, "bob")
    users.put_user_policy(env, root, "alice", "own", allow("iam:GetUser"))
    users.attach_user_policy(env, root, "alice", READ_ONLY)
    groups.create_group(env, root, "devs")
    groups.create_group(env, root, "admins")
    groups.add_user_to_group(env, root, "devs", "alice")
    groups.add_user_to_group(env, root, "admins", "alice")
    groups.put_group_policy(env, root, "devs", "g", allow("iam:ListGroups"))
    groups.attach_group_policy(env, root, "devs", LOCAL_POLICY)
    groups.attach_group_policy(env, root, "admins", READ_ONLY)
    with env.store.write(ACCOUNT) as tx:
        tx.attach(ACCOUNT, ADMIN, PrincipalKind.ROLE, "AROAEXAMPLEROLE000001")
        tx.put_inline(InlinePolicy(ACCOUNT, PrincipalKind.ROLE, "AROAEXAMPLEROLE000001", "r",
                                   allow("s3:GetObject")))


def test_details_of_every_kind(callers: Callers) -> None:
    _populate(callers)
    details = account.get_account_authorization_details(callers.env, callers.root())
    assert not details.is_truncated
    alice, bob = details.users
    assert (alice.user.name, bob.user.name) == ("alice", "bob")
    assert [p.name for p in alice.inline] == ["own"]
    assert alice.groups == ["admins", "devs"]
    assert [a.arn for a in alice.attached] == [READ_ONLY]
    assert alice.user.permissions_boundary == LOCAL_POLICY
    assert [(t.key, t.value) for t in alice.tags] == [("team", "red")]
    assert bob.groups == []
    assert bob.inline == []
    assert bob.attached == []
    admins, devs = details.groups
    assert [p.name for p in devs.inline] == ["g"]
    assert [a.name for a in devs.attached] == ["local"]
    assert [a.arn for a in admins.attached] == [READ_ONLY]
    (role,) = details.roles
    assert role.role.assume_role_policy == TRUST
    assert [p.name for p in role.inline] == ["r"]
    assert [a.arn for a in role.attached] == [ADMIN]
    (profile,) = role.instance_profiles
    assert profile.profile.name == "app-profile"
    assert [r.name for r in profile.roles] == ["app"]
    by_arn = {detail.policy.arn: detail for detail in details.policies}
    # AWS managed policies appear only when attached in the account; local ones always.
    assert set(by_arn) == {LOCAL_POLICY, READ_ONLY, ADMIN}
    local = by_arn[LOCAL_POLICY]
    assert [v.version_id for v in local.versions] == ["v1", "v2"]
    assert (local.attachment_count, local.boundary_usage_count) == (1, 1)
    assert by_arn[READ_ONLY].attachment_count == 2
    assert by_arn[ADMIN].boundary_usage_count == 1
    assert [v.version_id for v in by_arn[READ_ONLY].versions] == [
        by_arn[READ_ONLY].policy.default_version_id]


def test_details_filter(callers: Callers) -> None:
    _populate(callers)
    env, root = callers.env, callers.root()
    only_groups = account.get_account_authorization_details(env, root, ["Group"])
    assert [g.group.name for g in only_groups.groups] == ["admins", "devs"]
    assert only_groups.users == []
    assert only_groups.roles == []
    assert only_groups.policies == []
    local = account.get_account_authorization_details(env, root, ["LocalManagedPolicy"])
    assert [p.policy.arn for p in local.policies] == [LOCAL_POLICY]
    aws = account.get_account_authorization_details(env, root, ["AWSManagedPolicy", "Role"])
    assert [p.policy.name for p in aws.policies] == ["AdministratorAccess", "IAMReadOnlyAccess"]
    assert [r.role.name for r in aws.roles] == ["app"]
    assert aws.users == []


def _all_names(details: account.AuthorizationDetails) -> list[str]:
    return (
        [d.user.name for d in details.users] + [d.group.name for d in details.groups]
        + [d.role.name for d in details.roles] + [d.policy.name for d in details.policies]
    )


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_details_pagination_spans_the_combined_list(callers: Callers, size: int) -> None:
    _populate(callers)
    env, root = callers.env, callers.root()
    everything = _all_names(account.get_account_authorization_details(env, root))
    assert len(everything) == 8
    seen: list[str] = []
    marker = None
    for _ in range(10):
        page = account.get_account_authorization_details(
            env, root, marker=marker, max_items_=size
        )
        assert len(_all_names(page)) <= size
        seen += _all_names(page)
        marker = page.marker
        if marker is None:
            break
    assert seen == everything


def test_details_bad_marker(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    for marker in ("a", "OTpv", "eA=="):  # not base64; "9:o" (no such section); "x"
        with pytest.raises(errors.ValidationError, match="Invalid Marker"):
            account.get_account_authorization_details(env, root, marker=marker)


def test_details_allowed_by_policy(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "auditor")
    users.put_user_policy(env, root, "auditor", "p", allow(
        "iam:GetAccountAuthorizationDetails"))
    details = account.get_account_authorization_details(env, callers.user("auditor"))
    assert [d.user.name for d in details.users] == ["auditor"]
    assert details.users[0].inline[0].name == "p"


# -- through the wire layer: the adapters' output parses as botocore expects ------------------
def _round_trip(call: Call, callers: Callers, operation: str, params: dict[str, Any]) -> Any:
    adapter = handler("iam", operation)
    assert adapter is not None
    body = serialize_result("iam", operation, adapter(callers.env, call, params), "req-1")
    output = service_model("iam").operation_model(operation).output_shape
    return QueryParser().parse({"body": body, "headers": {}, "status_code": 200}, output)


def test_wire_authorization_details(callers: Callers) -> None:
    _populate(callers)
    root = callers.root()
    parsed = _round_trip(root, callers, "GetAccountAuthorizationDetails", {})
    alice = parsed["UserDetailList"][0]
    assert alice["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/people/alice"
    assert alice["GroupList"] == ["admins", "devs"]
    assert json.loads(unquote(alice["UserPolicyList"][0]["PolicyDocument"])) == json.loads(
        allow("iam:GetUser"))
    assert alice["PermissionsBoundary"]["PermissionsBoundaryArn"] == LOCAL_POLICY
    role = parsed["RoleDetailList"][0]
    assert unquote(role["AssumeRolePolicyDocument"]) == TRUST
    assert role["InstanceProfileList"][0]["Roles"][0]["RoleName"] == "app"
    local = next(p for p in parsed["Policies"] if p["Arn"] == LOCAL_POLICY)
    assert [v["IsDefaultVersion"] for v in local["PolicyVersionList"]] == [False, True]
    assert parsed["IsTruncated"] is False
    page = _round_trip(root, callers, "GetAccountAuthorizationDetails", {"MaxItems": 1})
    assert page["IsTruncated"] is True
    assert page["Marker"]


def test_wire_summary_and_aliases(callers: Callers) -> None:
    root = callers.root()
    _round_trip(root, callers, "CreateAccountAlias", {"AccountAlias": "corp"})
    assert _round_trip(root, callers, "ListAccountAliases", {})["AccountAliases"] == ["corp"]
    summary = _round_trip(root, callers, "GetAccountSummary", {})["SummaryMap"]
    assert summary["AccountAccessKeysPresent"] == 1
    assert summary["GroupsQuota"] == 300


def test_wire_groups(callers: Callers) -> None:
    root = callers.root()
    made = _round_trip(root, callers, "CreateGroup", {"GroupName": "devs", "Path": "/eng/"})
    assert made["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/eng/devs"
    users.create_user(callers.env, root, "alice")
    _round_trip(root, callers, "AddUserToGroup", {"GroupName": "devs", "UserName": "alice"})
    got = _round_trip(root, callers, "GetGroup", {"GroupName": "devs"})
    assert [u["UserName"] for u in got["Users"]] == ["alice"]
    assert got["IsTruncated"] is False
    listed = _round_trip(root, callers, "ListGroupsForUser", {"UserName": "alice"})
    assert [g["GroupName"] for g in listed["Groups"]] == ["devs"]
    _round_trip(root, callers, "PutGroupPolicy", {
        "GroupName": "devs", "PolicyName": "p", "PolicyDocument": allow("iam:List*")})
    policy = _round_trip(root, callers, "GetGroupPolicy", {"GroupName": "devs",
                                                           "PolicyName": "p"})
    assert unquote(policy["PolicyDocument"]) == allow("iam:List*")
    _round_trip(root, callers, "AttachGroupPolicy", {"GroupName": "devs", "PolicyArn": READ_ONLY})
    attached = _round_trip(root, callers, "ListAttachedGroupPolicies", {"GroupName": "devs"})
    assert attached["AttachedPolicies"] == [
        {"PolicyName": "IAMReadOnlyAccess", "PolicyArn": READ_ONLY}]
