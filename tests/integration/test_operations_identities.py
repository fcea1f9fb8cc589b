"""Users, groups, roles, instance profiles, service-linked roles, tags, inline and attached
policies, permissions boundaries and access keys, over HTTP with boto3 (and a few aws CLI
commands), on both backends: what the wire really carries and what boto3 really parses."""

from __future__ import annotations

import json
from typing import Any

from .conftest import Account, fails

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
}
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def document(*actions: str, resource: str | list[str] = "*",
             condition: dict[str, Any] | None = None, effect: str = "Allow") -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": effect, "Action": list(actions), "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}



def tag_dict(tags: list[dict[str, str]]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in tags}


def paginate(client: Any, operation: str, member: str, page_size: int,
             **params: Any) -> list[Any]:
    """Every item of a listing through boto3's paginator, ``page_size`` per request."""
    pages = client.get_paginator(operation).paginate(
        **params, PaginationConfig={"PageSize": page_size}
    )
    items: list[Any] = []
    for page in pages:
        assert len(page[member]) <= page_size
        items.extend(page[member])
    return items


# -- users ---------------------------------------------------------------------------------
def test_user_lifecycle_with_tags_policies_boundary_and_keys(account: Account) -> None:
    iam = account.iam
    boundary = iam.create_policy(
        PolicyName="user-boundary", PolicyDocument=json.dumps(document("iam:Get*"))
    )["Policy"]["Arn"]
    made = iam.create_user(
        UserName="alice", Path="/eng/", PermissionsBoundary=boundary,
        Tags=[{"Key": "team", "Value": "Grüße 東京"}, {"Key": "cost-center", "Value": ""}],
    )["User"]
    assert made["Arn"] == f"arn:aws:iam::{account.id}:user/eng/alice"
    assert made["UserId"].startswith("AIDA")
    assert made["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    assert tag_dict(made["Tags"]) == {"team": "Grüße 東京", "cost-center": ""}
    fails("EntityAlreadyExists", iam.create_user, UserName="ALICE")

    got = iam.get_user(UserName="alice")["User"]
    assert (got["UserId"], got["Path"], got["CreateDate"]) == (
        made["UserId"], "/eng/", made["CreateDate"])
    assert got["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": boundary}

    iam.tag_user(UserName="alice", Tags=[{"Key": "TEAM", "Value": "red"},
                                         {"Key": "env", "Value": "prod"}])
    iam.untag_user(UserName="alice", TagKeys=["cost-center"])
    assert tag_dict(iam.list_user_tags(UserName="alice")["Tags"]) == {"TEAM": "red", "env": "prod"}
    assert iam.get_user(UserName="ALICE")["User"]["Tags"] == [  # in the order they were added
        {"Key": "TEAM", "Value": "red"}, {"Key": "env", "Value": "prod"}]
    assert "Tags" not in iam.get_user(UserName=iam.create_user(UserName="bare")["User"][
        "UserName"])["User"]
    fails("InvalidInput", iam.tag_user, UserName="alice", Tags=[{"Key": "aws:x", "Value": "1"}])

    inline = document("s3:GetObject", resource="arn:aws:s3:::bucket/*")
    iam.put_user_policy(UserName="alice", PolicyName="s3-read", PolicyDocument=json.dumps(inline))
    read_back = iam.get_user_policy(UserName="alice", PolicyName="s3-read")
    assert read_back["PolicyDocument"] == inline  # botocore URL-decodes and parses it
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == ["s3-read"]
    fails("MalformedPolicyDocument", iam.put_user_policy, UserName="alice", PolicyName="bad",
          PolicyDocument='{"Statement": [{"Effect": "Maybe"}]}')

    iam.attach_user_policy(UserName="alice", PolicyArn=READ_ONLY)
    assert iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"] == [
        {"PolicyName": "ReadOnlyAccess", "PolicyArn": READ_ONLY}]
    fails("NoSuchEntity", iam.attach_user_policy, UserName="alice",
          PolicyArn=f"arn:aws:iam::{account.id}:policy/nope")

    first = iam.create_access_key(UserName="alice")["AccessKey"]
    second = iam.create_access_key(UserName="alice")["AccessKey"]
    assert first["AccessKeyId"].startswith("AKIA")
    assert len(first["SecretAccessKey"]) == 40
    fails("LimitExceeded", iam.create_access_key, UserName="alice")
    iam.update_access_key(UserName="alice", AccessKeyId=first["AccessKeyId"], Status="Inactive")
    keys = {key["AccessKeyId"]: key["Status"]
            for key in iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]}
    assert keys == {first["AccessKeyId"]: "Inactive", second["AccessKeyId"]: "Active"}
    alice = account.client(second["AccessKeyId"], second["SecretAccessKey"])
    assert alice.get_user()["User"]["UserName"] == "alice"  # no UserName: the caller itself
    last_used = iam.get_access_key_last_used(AccessKeyId=second["AccessKeyId"])
    assert last_used["UserName"] == "alice"
    assert last_used["AccessKeyLastUsed"]["ServiceName"] == "iam"
    assert "LastUsedDate" in last_used["AccessKeyLastUsed"]
    unused = iam.get_access_key_last_used(AccessKeyId=first["AccessKeyId"])["AccessKeyLastUsed"]
    assert (unused["ServiceName"], unused["Region"]) == ("N/A", "N/A")

    # Everything attached blocks the delete, one thing at a time, as AWS says it.
    assert "access keys" in fails("DeleteConflict", iam.delete_user, UserName="alice")
    for key_id in keys:
        iam.delete_access_key(UserName="alice", AccessKeyId=key_id)
    assert "detach all policies" in fails("DeleteConflict", iam.delete_user, UserName="alice")
    iam.detach_user_policy(UserName="alice", PolicyArn=READ_ONLY)
    assert "delete policies" in fails("DeleteConflict", iam.delete_user, UserName="alice")
    iam.delete_user_policy(UserName="alice", PolicyName="s3-read")
    fails("DeleteConflict", iam.delete_policy, PolicyArn=boundary)  # alice's boundary

    iam.delete_user_permissions_boundary(UserName="alice")
    assert "PermissionsBoundary" not in iam.get_user(UserName="alice")["User"]
    iam.put_user_permissions_boundary(UserName="alice", PermissionsBoundary=READ_ONLY)
    assert iam.get_user(UserName="alice")["User"]["PermissionsBoundary"][
        "PermissionsBoundaryArn"] == READ_ONLY

    iam.update_user(UserName="alice", NewUserName="alice2", NewPath="/ops/")
    fails("NoSuchEntity", iam.get_user, UserName="alice")
    renamed = iam.get_user(UserName="alice2")["User"]
    assert (renamed["UserId"], renamed["Arn"]) == (
        made["UserId"], f"arn:aws:iam::{account.id}:user/ops/alice2")
    assert tag_dict(renamed["Tags"]) == {"TEAM": "red", "env": "prod"}  # tags follow the id
    iam.delete_user(UserName="alice2")
    fails("NoSuchEntity", iam.get_user, UserName="alice2")
    fails("NoSuchEntity", iam.delete_user, UserName="alice2")
    iam.delete_policy(PolicyArn=boundary)


def test_root_get_user_and_root_access_keys(account: Account) -> None:
    iam = account.iam
    root = iam.get_user()["User"]
    assert root["Arn"] == f"arn:aws:iam::{account.id}:root"
    assert root["UserId"] == account.id
    listed = iam.list_access_keys()["AccessKeyMetadata"]
    assert [key["AccessKeyId"] for key in listed] == [account.key_id]
    last = iam.get_access_key_last_used(AccessKeyId=account.key_id)["AccessKeyLastUsed"]
    assert last["ServiceName"] == "iam"
    assert last["LastUsedDate"].tzinfo is not None


# -- groups --------------------------------------------------------------------------------
def test_group_membership_policies_and_delete_conflicts(account: Account) -> None:
    iam = account.iam
    group = iam.create_group(GroupName="devs", Path="/eng/")["Group"]
    assert group["Arn"] == f"arn:aws:iam::{account.id}:group/eng/devs"
    assert group["GroupId"].startswith("AGPA")
    fails("EntityAlreadyExists", iam.create_group, GroupName="Devs")
    for name in ("bob", "carol"):
        iam.create_user(UserName=name)
        iam.add_user_to_group(GroupName="devs", UserName=name)
    iam.add_user_to_group(GroupName="devs", UserName="bob")  # twice: no error, no duplicate
    iam.create_group(GroupName="ops")
    iam.add_user_to_group(GroupName="ops", UserName="bob")

    got = iam.get_group(GroupName="devs")
    assert got["Group"]["GroupId"] == group["GroupId"]
    assert sorted(user["UserName"] for user in got["Users"]) == ["bob", "carol"]
    assert sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName="bob")["Groups"]) == [
        "devs", "ops"]
    assert [g["GroupName"] for g in iam.list_groups(PathPrefix="/eng/")["Groups"]] == ["devs"]

    inline = document("ec2:Describe*")
    iam.put_group_policy(GroupName="devs", PolicyName="describe",
                         PolicyDocument=json.dumps(inline))
    assert iam.get_group_policy(GroupName="devs", PolicyName="describe")[
        "PolicyDocument"] == inline
    assert iam.list_group_policies(GroupName="devs")["PolicyNames"] == ["describe"]
    iam.attach_group_policy(GroupName="devs", PolicyArn=READ_ONLY)
    assert [p["PolicyArn"] for p in iam.list_attached_group_policies(GroupName="devs")[
        "AttachedPolicies"]] == [READ_ONLY]

    # A member of a group gets its permissions, both inline and attached.
    key = iam.create_access_key(UserName="carol")["AccessKey"]
    carol = account.client(key["AccessKeyId"], key["SecretAccessKey"])
    assert carol.get_group(GroupName="ops")["Group"]["GroupName"] == "ops"  # ReadOnlyAccess
    fails("AccessDenied", carol.create_group, GroupName="carols")

    assert "remove users" in fails("DeleteConflict", iam.delete_group, GroupName="devs")
    fails("DeleteConflict", iam.delete_user, UserName="bob")  # still in groups
    for name in ("bob", "carol"):
        iam.remove_user_from_group(GroupName="devs", UserName=name)
    iam.remove_user_from_group(GroupName="devs", UserName="bob")  # not a member: succeeds
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="bob")["Groups"]] == ["ops"]
    fails("AccessDenied", carol.get_group, GroupName="ops")  # membership gone at once
    assert "policies" in fails("DeleteConflict", iam.delete_group, GroupName="devs")
    iam.detach_group_policy(GroupName="devs", PolicyArn=READ_ONLY)
    fails("DeleteConflict", iam.delete_group, GroupName="devs")
    iam.delete_group_policy(GroupName="devs", PolicyName="describe")
    fails("NoSuchEntity", iam.get_group_policy, GroupName="devs", PolicyName="describe")

    iam.update_group(GroupName="devs", NewGroupName="developers", NewPath="/")
    fails("NoSuchEntity", iam.get_group, GroupName="devs")
    assert iam.get_group(GroupName="developers")["Group"]["GroupId"] == group["GroupId"]
    iam.delete_group(GroupName="developers")
    assert [g["GroupName"] for g in iam.list_groups()["Groups"]] == ["ops"]


# -- roles ---------------------------------------------------------------------------------
def test_role_with_trust_boundary_tags_and_a_versioned_customer_policy(account: Account) -> None:
    iam = account.iam
    boundary = iam.create_policy(
        PolicyName="role-boundary", PolicyDocument=json.dumps(document("s3:*", "iam:Get*"))
    )["Policy"]["Arn"]
    role = iam.create_role(
        RoleName="app", Path="/svc/", AssumeRolePolicyDocument=json.dumps(TRUST),
        Description="the app's role ©", MaxSessionDuration=7200, PermissionsBoundary=boundary,
        Tags=[{"Key": "team", "Value": "blue"}],
    )["Role"]
    assert role["Arn"] == f"arn:aws:iam::{account.id}:role/svc/app"
    assert role["RoleId"].startswith("AROA")
    assert role["AssumeRolePolicyDocument"] == TRUST
    fails("EntityAlreadyExists", iam.create_role, RoleName="APP",
          AssumeRolePolicyDocument=json.dumps(TRUST))
    fails("MalformedPolicyDocument", iam.create_role, RoleName="other",
          AssumeRolePolicyDocument=json.dumps(document("sts:AssumeRole")))  # no Principal

    iam.tag_role(RoleName="app", Tags=[{"Key": "env", "Value": "prod"},
                                       {"Key": "team", "Value": "red"}])
    iam.untag_role(RoleName="app", TagKeys=["env"])
    assert iam.list_role_tags(RoleName="app")["Tags"] == [{"Key": "team", "Value": "red"}]

    v1 = document("s3:GetObject", resource="arn:aws:s3:::app/*")
    v2 = document("s3:GetObject", "s3:PutObject", resource=["arn:aws:s3:::app/*"])
    policy = iam.create_policy(PolicyName="app-access", Path="/app/",
                               PolicyDocument=json.dumps(v1))["Policy"]
    arn = policy["Arn"]
    assert arn == f"arn:aws:iam::{account.id}:policy/app/app-access"
    iam.attach_role_policy(RoleName="app", PolicyArn=arn)
    made_v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(v2),
                                        SetAsDefault=True)["PolicyVersion"]
    assert (made_v2["VersionId"], made_v2["IsDefaultVersion"]) == ("v2", True)

    got = iam.get_role(RoleName="app")["Role"]
    assert got["AssumeRolePolicyDocument"] == TRUST
    assert got["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": boundary}
    assert got["Tags"] == [{"Key": "team", "Value": "red"}]
    assert (got["Description"], got["MaxSessionDuration"]) == ("the app's role ©", 7200)
    assert "RoleLastUsed" in got
    assert iam.list_attached_role_policies(RoleName="app")["AttachedPolicies"] == [
        {"PolicyName": "app-access", "PolicyArn": arn}]
    assert iam.list_attached_role_policies(RoleName="app", PathPrefix="/app/")[
        "AttachedPolicies"] == [{"PolicyName": "app-access", "PolicyArn": arn}]
    assert iam.list_attached_role_policies(RoleName="app", PathPrefix="/other/")[
        "AttachedPolicies"] == []
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]
    assert (version["Document"], version["IsDefaultVersion"]) == (v2, True)
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"][
        "Document"] == v1
    current = iam.get_policy(PolicyArn=arn)["Policy"]
    assert (current["DefaultVersionId"], current["AttachmentCount"]) == ("v2", 1)

    inline = document("sqs:SendMessage", resource="arn:aws:sqs:us-east-1:*:app-*")
    iam.put_role_policy(RoleName="app", PolicyName="queue", PolicyDocument=json.dumps(inline))
    assert iam.get_role_policy(RoleName="app", PolicyName="queue")["PolicyDocument"] == inline
    assert iam.list_role_policies(RoleName="app")["PolicyNames"] == ["queue"]

    trust2 = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account.id}:root"},
        "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    }]}
    iam.update_assume_role_policy(RoleName="app", PolicyDocument=json.dumps(trust2))
    iam.update_role(RoleName="app", Description="changed", MaxSessionDuration=3600)
    described = iam.update_role_description(RoleName="app", Description="described")["Role"]
    assert (described["Description"], described["MaxSessionDuration"]) == ("described", 3600)
    assert described["AssumeRolePolicyDocument"] == trust2

    iam.delete_role_permissions_boundary(RoleName="app")
    assert "PermissionsBoundary" not in iam.get_role(RoleName="app")["Role"]
    iam.put_role_permissions_boundary(RoleName="app", PermissionsBoundary=boundary)
    listed = iam.list_roles(PathPrefix="/svc/")["Roles"]
    assert [r["RoleName"] for r in listed] == ["app"]
    assert listed[0]["AssumeRolePolicyDocument"] == trust2

    assert "detach" in fails("DeleteConflict", iam.delete_role, RoleName="app")
    fails("DeleteConflict", iam.delete_policy, PolicyArn=arn)  # attached
    iam.detach_role_policy(RoleName="app", PolicyArn=arn)
    fails("DeleteConflict", iam.delete_role, RoleName="app")  # the inline policy
    iam.delete_role_policy(RoleName="app", PolicyName="queue")
    fails("DeleteConflict", iam.delete_policy, PolicyArn=arn)  # two versions
    fails("DeleteConflict", iam.delete_policy_version, PolicyArn=arn, VersionId="v2")  # default
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    iam.delete_policy(PolicyArn=arn)
    iam.delete_role(RoleName="app")  # a boundary does not block the delete
    fails("NoSuchEntity", iam.get_role, RoleName="app")
    fails("NoSuchEntity", iam.get_policy, PolicyArn=arn)


def test_instance_profiles_hold_one_role(account: Account) -> None:
    iam = account.iam
    for name in ("web", "worker"):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    profile = iam.create_instance_profile(
        InstanceProfileName="web-profile", Path="/ec2/", Tags=[{"Key": "tier", "Value": "web"}]
    )["InstanceProfile"]
    assert profile["Arn"] == f"arn:aws:iam::{account.id}:instance-profile/ec2/web-profile"
    assert profile["InstanceProfileId"].startswith("AIPA")
    assert profile["Roles"] == []
    iam.create_instance_profile(InstanceProfileName="spare")
    fails("EntityAlreadyExists", iam.create_instance_profile, InstanceProfileName="SPARE")

    iam.add_role_to_instance_profile(InstanceProfileName="web-profile", RoleName="web")
    fails("LimitExceeded", iam.add_role_to_instance_profile, InstanceProfileName="web-profile",
          RoleName="worker")
    iam.add_role_to_instance_profile(InstanceProfileName="spare", RoleName="web")
    got = iam.get_instance_profile(InstanceProfileName="web-profile")["InstanceProfile"]
    assert [role["RoleName"] for role in got["Roles"]] == ["web"]
    assert got["Roles"][0]["AssumeRolePolicyDocument"] == TRUST
    assert tag_dict(got["Tags"]) == {"tier": "web"}
    for_role = iam.list_instance_profiles_for_role(RoleName="web")["InstanceProfiles"]
    assert sorted(p["InstanceProfileName"] for p in for_role) == ["spare", "web-profile"]
    assert [p["InstanceProfileName"] for p in iam.list_instance_profiles(PathPrefix="/ec2/")[
        "InstanceProfiles"]] == ["web-profile"]

    iam.tag_instance_profile(InstanceProfileName="web-profile",
                             Tags=[{"Key": "owner", "Value": "ops"}])
    iam.untag_instance_profile(InstanceProfileName="web-profile", TagKeys=["tier"])
    assert iam.list_instance_profile_tags(InstanceProfileName="web-profile")["Tags"] == [
        {"Key": "owner", "Value": "ops"}]

    assert "instance profile" in fails("DeleteConflict", iam.delete_role, RoleName="web")
    assert "remove roles" in fails("DeleteConflict", iam.delete_instance_profile,
                                   InstanceProfileName="web-profile")
    iam.remove_role_from_instance_profile(InstanceProfileName="web-profile", RoleName="web")
    fails("NoSuchEntity", iam.remove_role_from_instance_profile,
          InstanceProfileName="web-profile", RoleName="web")
    iam.delete_instance_profile(InstanceProfileName="web-profile")
    fails("NoSuchEntity", iam.get_instance_profile, InstanceProfileName="web-profile")
    iam.remove_role_from_instance_profile(InstanceProfileName="spare", RoleName="web")
    iam.delete_role(RoleName="web")
    assert iam.list_instance_profiles_for_role(RoleName="worker")["InstanceProfiles"] == []


def test_service_linked_roles(account: Account) -> None:
    iam = account.iam
    made = iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com",
                                          Description="for beanstalk")["Role"]
    name = made["RoleName"]
    assert name == "AWSServiceRoleForElasticBeanstalk"
    assert made["Path"] == "/aws-service-role/elasticbeanstalk.amazonaws.com/"
    assert made["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "elasticbeanstalk.amazonaws.com"}
    suffixed = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com",
                                              CustomSuffix="blue")["Role"]["RoleName"]
    assert suffixed == "AWSServiceRoleForAutoScaling_blue"
    fails("InvalidInput", iam.create_service_linked_role,
          AWSServiceName="elasticbeanstalk.amazonaws.com")  # taken
    fails("InvalidInput", iam.create_service_linked_role, AWSServiceName="not-a-service")

    fails("UnmodifiableEntity", iam.delete_role, RoleName=name)
    fails("UnmodifiableEntity", iam.update_assume_role_policy, RoleName=name,
          PolicyDocument=json.dumps(TRUST))
    fails("UnmodifiableEntity", iam.put_role_policy, RoleName=name, PolicyName="x",
          PolicyDocument=json.dumps(document("s3:*")))
    iam.create_role(RoleName="plain", AssumeRolePolicyDocument=json.dumps(TRUST))
    fails("InvalidInput", iam.delete_service_linked_role, RoleName="plain")

    task = iam.delete_service_linked_role(RoleName=name)["DeletionTaskId"]
    assert task.startswith("task/aws-service-role/elasticbeanstalk.amazonaws.com/" + name + "/")
    status = iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
    assert status["Status"] == "SUCCEEDED"
    fails("NoSuchEntity", iam.get_role, RoleName=name)
    assert [r["RoleName"] for r in iam.list_roles(PathPrefix="/aws-service-role/")["Roles"]] == [
        suffixed]


# -- listings: paginators, path prefixes -----------------------------------------------------
def test_paginators_lose_and_repeat_nothing(account: Account) -> None:
    iam = account.iam
    names = ["Zed", "a.b", "a-b", "a_b", "a+b", "a=b", "a,b", "a@b", "ab", "Aa", "b1", "B2"]
    for index, name in enumerate(names):
        iam.create_user(UserName=name, Path="/p/" if index % 2 else "/q/")
        iam.create_role(RoleName=f"r-{name}", AssumeRolePolicyDocument=json.dumps(TRUST))
        iam.create_group(GroupName=f"g-{name}")
        iam.create_instance_profile(InstanceProfileName=f"i-{name}")
    for number in range(7):
        iam.tag_user(UserName="Zed", Tags=[{"Key": f"k{number}", "Value": str(number)}])

    whole = [user["UserName"] for user in iam.list_users()["Users"]]
    assert sorted(whole) == sorted(names)
    for size in (1, 2, 5):
        paged = [user["UserName"] for user in paginate(iam, "list_users", "Users", size)]
        assert paged == whole  # the same order, nothing lost or repeated
    for_p = [u["UserName"] for u in paginate(iam, "list_users", "Users", 2, PathPrefix="/p/")]
    assert sorted(for_p) == sorted(names[1::2])
    for operation, member, key, prefix in [
        ("list_roles", "Roles", "RoleName", "r-"),
        ("list_groups", "Groups", "GroupName", "g-"),
        ("list_instance_profiles", "InstanceProfiles", "InstanceProfileName", "i-"),
    ]:
        paged = [item[key] for item in paginate(iam, operation, member, 3)]
        assert len(paged) == len(set(paged)) == len(names), operation
        assert set(paged) == {prefix + name for name in names}, operation
    tags = paginate(iam, "list_user_tags", "Tags", 3, UserName="Zed")
    assert [tag["Key"] for tag in tags] == [f"k{number}" for number in range(7)]

    # MaxItems of the paginator: a NextToken to resume from, then the rest.
    first = iam.get_paginator("list_users").paginate(
        PaginationConfig={"MaxItems": 5, "PageSize": 2}).build_full_result()
    assert [u["UserName"] for u in first["Users"]] == whole[:5]
    rest = iam.get_paginator("list_users").paginate(
        PaginationConfig={"PageSize": 4, "StartingToken": first["NextToken"]}
    ).build_full_result()
    assert [u["UserName"] for u in rest["Users"]] == whole[5:]

    # Raw MaxItems and Marker as the API has them.
    page = iam.list_users(MaxItems=3)
    assert page["IsTruncated"] is True
    assert len(page["Users"]) == 3
    fails("ValidationError", iam.list_users, Marker="not a marker!")
    last = iam.list_users(MaxItems=100)
    assert last["IsTruncated"] is False
    assert "Marker" not in last


def test_path_prefixes_are_literal_not_patterns(account: Account) -> None:
    iam = account.iam
    for name, path in [("u1", "/team_1/"), ("u2", "/teamX1/"), ("u3", "/a%b/"), ("u4", "/axb/"),
                       ("u5", "/team_1/sub/")]:
        iam.create_user(UserName=name, Path=path)
        iam.create_group(GroupName=f"g{name}", Path=path)

    def users(prefix: str) -> list[str]:
        return sorted(u["UserName"] for u in iam.list_users(PathPrefix=prefix)["Users"])

    assert users("/team_") == ["u1", "u5"]
    assert users("/team_1/") == ["u1", "u5"]
    assert users("/a%") == ["u3"]
    assert users("/zzz/") == []
    assert sorted(g["GroupName"] for g in iam.list_groups(PathPrefix="/a%")["Groups"]) == ["gu3"]


# -- authorization: deny by default, narrow allows ---------------------------------------------
def test_no_permissions_then_an_arn_scoped_then_a_tag_scoped_allow(account: Account) -> None:
    iam = account.iam
    iam.create_role(RoleName="visible", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.create_role(RoleName="hidden", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.create_user(UserName="blue-user", Tags=[{"Key": "team", "Value": "blue"}])
    iam.create_user(UserName="red-user", Tags=[{"Key": "team", "Value": "red"}])
    nobody = account.user_with_key("nobody")
    message = fails("AccessDenied", nobody.list_users)
    assert message == (f"User: arn:aws:iam::{account.id}:user/nobody is not authorized to "
                       f"perform: iam:ListUsers on resource: arn:aws:iam::{account.id}:user/ "
                       "because no identity-based policy allows the iam:ListUsers action")
    for call, params in [
        (nobody.get_role, {"RoleName": "visible"}),
        (nobody.create_user, {"UserName": "mallory"}),
        (nobody.attach_user_policy, {"UserName": "nobody",
                                     "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        (nobody.create_access_key, {"UserName": "blue-user"}),
        (nobody.get_role, {"RoleName": "no-such-role"}),  # not NoSuchEntity: nothing leaks
    ]:
        fails("AccessDenied", call, **params)

    scoped = document("iam:GetRole", "iam:ListRoleTags",
                      resource=f"arn:aws:iam::{account.id}:role/visible")
    by_tag = document("iam:GetUser", "iam:TagUser",
                      condition={"StringEquals": {"aws:ResourceTag/team": "blue"}},
                      resource=f"arn:aws:iam::{account.id}:user/*")
    iam.put_user_policy(UserName="nobody", PolicyName="scoped", PolicyDocument=json.dumps(scoped))
    iam.put_user_policy(UserName="nobody", PolicyName="by-tag", PolicyDocument=json.dumps(by_tag))
    assert nobody.get_role(RoleName="visible")["Role"]["RoleName"] == "visible"
    assert nobody.list_role_tags(RoleName="visible")["Tags"] == []
    fails("AccessDenied", nobody.get_role, RoleName="hidden")
    assert nobody.get_user(UserName="blue-user")["User"]["UserName"] == "blue-user"
    nobody.tag_user(UserName="blue-user", Tags=[{"Key": "seen", "Value": "yes"}])
    fails("AccessDenied", nobody.get_user, UserName="red-user")
    fails("AccessDenied", nobody.tag_user, UserName="red-user", Tags=[{"Key": "a", "Value": "b"}])
    # Retagging the blue user red takes away the access at once.
    iam.tag_user(UserName="blue-user", Tags=[{"Key": "team", "Value": "red"}])
    fails("AccessDenied", nobody.get_user, UserName="blue-user")

    # An explicit deny wins, a boundary caps: both take effect on the next request.
    iam.put_user_policy(UserName="nobody", PolicyName="deny", PolicyDocument=json.dumps(
        document("iam:GetRole", effect="Deny")))
    assert "explicit deny" in fails("AccessDenied", nobody.get_role, RoleName="visible")
    iam.delete_user_policy(UserName="nobody", PolicyName="deny")
    assert nobody.get_role(RoleName="visible")["Role"]["RoleName"] == "visible"
    boundary = iam.create_policy(PolicyName="only-tags",
                                 PolicyDocument=json.dumps(document("iam:ListRoleTags")))
    iam.put_user_permissions_boundary(UserName="nobody",
                                      PermissionsBoundary=boundary["Policy"]["Arn"])
    assert "permissions boundary" in fails("AccessDenied", nobody.get_role, RoleName="visible")
    assert nobody.list_role_tags(RoleName="visible")["Tags"] == []


def test_admin_user_through_an_aws_managed_policy(account: Account) -> None:
    admin = account.user_with_key("admin", "arn:aws:iam::aws:policy/IAMFullAccess")
    admin.create_user(UserName="made-by-admin")
    admin.create_role(RoleName="made-by-admin", AssumeRolePolicyDocument=json.dumps(TRUST))
    assert {u["UserName"] for u in admin.list_users()["Users"]} == {"admin", "made-by-admin"}
    account.iam.detach_user_policy(UserName="admin",
                                   PolicyArn="arn:aws:iam::aws:policy/IAMFullAccess")
    fails("AccessDenied", admin.list_users)


# -- the aws CLI ------------------------------------------------------------------------------
def test_aws_cli_shows_roles_and_pages_users(account: Account) -> None:
    iam = account.iam
    iam.create_role(RoleName="cli-role", AssumeRolePolicyDocument=json.dumps(TRUST),
                    Tags=[{"Key": "team", "Value": "Grüße"}])
    for name in ("u1", "u2", "u3"):
        iam.create_user(UserName=name)
    role = json.loads(account.aws("iam", "get-role", "--role-name", "cli-role").stdout)["Role"]
    assert role["AssumeRolePolicyDocument"] == TRUST
    assert role["Tags"] == [{"Key": "team", "Value": "Grüße"}]
    first = json.loads(account.aws("iam", "list-users", "--max-items", "2").stdout)
    assert [u["UserName"] for u in first["Users"]] == ["u1", "u2"]
    rest = json.loads(account.aws("iam", "list-users", "--starting-token",
                                  first["NextToken"]).stdout)
    assert [u["UserName"] for u in rest["Users"]] == ["u3"]
    missing = account.aws("iam", "delete-user", "--user-name", "nobody", check=False)
    assert missing.returncode != 0
    assert "(NoSuchEntity)" in missing.stderr
