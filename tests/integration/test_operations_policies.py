"""Managed policies and their versions, ListEntitiesForPolicy, the AWS managed catalogue,
account aliases, GetAccountSummary, GetAccountAuthorizationDetails and the policy simulator,
over HTTP with boto3 and (for the simulator) the aws CLI, on both backends."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Account, fails, new_account

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
}


def document(*actions: str, resource: str | list[str] = "*",
             condition: dict[str, Any] | None = None, effect: str = "Allow") -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": effect, "Action": list(actions), "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}



def full_result(client: Any, operation: str, page_size: int, **params: Any) -> dict[str, Any]:
    """A listing merged from pages of ``page_size`` by boto3's paginator."""
    pages = client.get_paginator(operation).paginate(
        **params, PaginationConfig={"PageSize": page_size}
    )
    return dict(pages.build_full_result())


# -- managed policies and versions -----------------------------------------------------------
def test_policy_versions_tags_and_delete_rules(account: Account) -> None:
    iam = account.iam
    v1 = document("s3:ListBucket", resource="arn:aws:s3:::data")
    made = iam.create_policy(
        PolicyName="data-access", Path="/team/", PolicyDocument=json.dumps(v1),
        Description="Data access ©", Tags=[{"Key": "owner", "Value": "Grüße"}],
    )["Policy"]
    arn = made["Arn"]
    assert arn == f"arn:aws:iam::{account.id}:policy/team/data-access"
    assert made["PolicyId"].startswith("ANPA")
    assert (made["DefaultVersionId"], made["AttachmentCount"], made["IsAttachable"]) == (
        "v1", 0, True)
    assert made["Tags"] == [{"Key": "owner", "Value": "Grüße"}]
    fails("EntityAlreadyExists", iam.create_policy, PolicyName="data-access",
          PolicyDocument=json.dumps(v1))
    fails("MalformedPolicyDocument", iam.create_policy, PolicyName="broken",
          PolicyDocument='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}')
    fails("MalformedPolicyDocument", iam.create_policy, PolicyName="not-json",
          PolicyDocument="{not json")

    documents = {"v1": v1}
    for number in range(2, 6):
        documents[f"v{number}"] = document(f"s3:GetObject{'Version' * (number % 2)}",
                                           resource=f"arn:aws:s3:::data/{number}/*")
        made_version = iam.create_policy_version(
            PolicyArn=arn, PolicyDocument=json.dumps(documents[f"v{number}"]),
            SetAsDefault=number == 3,
        )["PolicyVersion"]
        assert made_version["VersionId"] == f"v{number}"
        assert "Document" not in made_version
    assert "before you create a new version" in fails(
        "LimitExceeded", iam.create_policy_version, PolicyArn=arn,
        PolicyDocument=json.dumps(v1)).lower()

    versions = full_result(iam, "list_policy_versions", 2, PolicyArn=arn)["Versions"]
    assert sorted(v["VersionId"] for v in versions) == ["v1", "v2", "v3", "v4", "v5"]
    assert [v["VersionId"] for v in versions if v["IsDefaultVersion"]] == ["v3"]
    for version_id, expected in documents.items():
        got = iam.get_policy_version(PolicyArn=arn, VersionId=version_id)["PolicyVersion"]
        assert got["Document"] == expected, version_id
    fails("NoSuchEntity", iam.get_policy_version, PolicyArn=arn, VersionId="v9")

    iam.set_default_policy_version(PolicyArn=arn, VersionId="v5")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v5"
    fails("DeleteConflict", iam.delete_policy_version, PolicyArn=arn, VersionId="v5")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    fails("NoSuchEntity", iam.get_policy_version, PolicyArn=arn, VersionId="v1")
    fails("NoSuchEntity", iam.set_default_policy_version, PolicyArn=arn, VersionId="v1")
    again = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(v1))
    assert again["PolicyVersion"]["VersionId"] == "v6"  # version ids are never reused

    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "env", "Value": "prod"},
                                        {"Key": "OWNER", "Value": "ops"}])
    iam.untag_policy(PolicyArn=arn, TagKeys=["env"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "OWNER", "Value": "ops"}]
    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert (got["Description"], got["Tags"]) == ("Data access ©", [
        {"Key": "OWNER", "Value": "ops"}])
    assert got["UpdateDate"] >= got["CreateDate"]

    assert "more than one version" in fails("DeleteConflict", iam.delete_policy, PolicyArn=arn)
    for version_id in ("v2", "v3", "v4", "v6"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=version_id)
    iam.delete_policy(PolicyArn=arn)
    fails("NoSuchEntity", iam.get_policy, PolicyArn=arn)
    fails("NoSuchEntity", iam.list_policy_versions, PolicyArn=arn)
    fails("NoSuchEntity", iam.delete_policy, PolicyArn=arn)


def test_entities_for_policy_and_usage_counts(account: Account) -> None:
    iam = account.iam
    arn = iam.create_policy(PolicyName="shared", PolicyDocument=json.dumps(
        document("sqs:*")))["Policy"]["Arn"]
    boundary_only = iam.create_policy(PolicyName="cap", PolicyDocument=json.dumps(
        document("sqs:*")))["Policy"]["Arn"]
    iam.create_policy(PolicyName="unused", PolicyDocument=json.dumps(document("sqs:*")))
    users = {"u1": "/a/", "u2": "/b/", "u3": "/a/"}
    for name, path in users.items():
        iam.create_user(UserName=name, Path=path)
    iam.create_group(GroupName="g1")
    iam.create_role(RoleName="r1", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.create_role(RoleName="r2", AssumeRolePolicyDocument=json.dumps(TRUST),
                    PermissionsBoundary=arn)
    for user in ("u1", "u2"):
        iam.attach_user_policy(UserName=user, PolicyArn=arn)
    iam.attach_group_policy(GroupName="g1", PolicyArn=arn)
    iam.attach_role_policy(RoleName="r1", PolicyArn=arn)
    iam.put_user_permissions_boundary(UserName="u3", PermissionsBoundary=arn)
    iam.put_user_permissions_boundary(UserName="u1", PermissionsBoundary=boundary_only)
    iam.attach_user_policy(UserName="u1", PolicyArn=READ_ONLY)

    def names(**params: Any) -> tuple[list[str], list[str], list[str]]:
        result = full_result(iam, "list_entities_for_policy", 1, PolicyArn=arn, **params)
        return (sorted(u["UserName"] for u in result["PolicyUsers"]),
                sorted(g["GroupName"] for g in result["PolicyGroups"]),
                sorted(r["RoleName"] for r in result["PolicyRoles"]))

    assert names(PolicyUsageFilter="PermissionsPolicy") == (["u1", "u2"], ["g1"], ["r1"])
    assert names(PolicyUsageFilter="PermissionsBoundary") == (["u3"], [], ["r2"])
    assert names() == (["u1", "u2", "u3"], ["g1"], ["r1", "r2"])
    assert names(EntityFilter="User", PolicyUsageFilter="PermissionsPolicy") == (
        ["u1", "u2"], [], [])
    assert names(EntityFilter="Role") == ([], [], ["r1", "r2"])
    assert names(PathPrefix="/a/", EntityFilter="User") == (["u1", "u3"], [], [])
    one = iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="User")["PolicyUsers"][0]
    assert one["UserId"].startswith("AIDA")

    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert (got["AttachmentCount"], got["PermissionsBoundaryUsageCount"]) == (4, 2)
    # An AWS managed policy counts (and lists) this account's attachments only.
    aws_policy = iam.get_policy(PolicyArn=READ_ONLY)["Policy"]
    assert aws_policy["AttachmentCount"] == 1
    aws_users = iam.list_entities_for_policy(PolicyArn=READ_ONLY)["PolicyUsers"]
    assert [u["UserName"] for u in aws_users] == ["u1"]

    local = [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]]
    assert sorted(local) == ["cap", "shared", "unused"]
    attached = iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]
    assert sorted(p["PolicyName"] for p in attached) == ["cap", "shared"]
    bounded = iam.list_policies(Scope="Local", PolicyUsageFilter="PermissionsBoundary")
    assert sorted(p["PolicyName"] for p in bounded["Policies"]) == ["cap", "shared"]
    permissions = iam.list_policies(Scope="All", OnlyAttached=True,
                                    PolicyUsageFilter="PermissionsPolicy")["Policies"]
    assert sorted(p["PolicyName"] for p in permissions) == ["ReadOnlyAccess", "shared"]
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["Policies"] == 3

    fails("DeleteConflict", iam.delete_policy, PolicyArn=arn)
    fails("DeleteConflict", iam.delete_policy, PolicyArn=boundary_only)  # a boundary in use


def test_list_policies_paginates_the_catalogue_and_the_account(account: Account) -> None:
    iam = account.iam
    for index in range(6):
        iam.create_policy(PolicyName=f"local-{index}", Path="/mine/" if index % 2 else "/",
                          PolicyDocument=json.dumps(document("sns:Publish")))
    catalogue = iam.list_policies(Scope="AWS", MaxItems=1000)
    assert catalogue["IsTruncated"] is False
    aws_arns = [p["Arn"] for p in catalogue["Policies"]]
    assert len(aws_arns) > 20
    assert all(arn.startswith("arn:aws:iam::aws:policy/") for arn in aws_arns)
    assert ADMIN in aws_arns

    paged = [p["Arn"] for p in full_result(iam, "list_policies", 7, Scope="AWS")["Policies"]]
    assert paged == aws_arns
    everything = [p["Arn"] for p in full_result(iam, "list_policies", 9)["Policies"]]
    assert len(everything) == len(set(everything)) == len(aws_arns) + 6
    assert set(everything) - set(aws_arns) == {
        f"arn:aws:iam::{account.id}:policy/{'mine/' if index % 2 else ''}local-{index}"
        for index in range(6)}
    mine = full_result(iam, "list_policies", 1, Scope="Local", PathPrefix="/mine/")
    assert sorted(p["PolicyName"] for p in mine["Policies"]) == ["local-1", "local-3", "local-5"]

    first = iam.get_paginator("list_policies").paginate(
        Scope="AWS", PaginationConfig={"MaxItems": 10, "PageSize": 4}).build_full_result()
    assert [p["Arn"] for p in first["Policies"]] == aws_arns[:10]
    rest = iam.get_paginator("list_policies").paginate(
        Scope="AWS", PaginationConfig={"PageSize": 4, "StartingToken": first["NextToken"]}
    ).build_full_result()
    assert [p["Arn"] for p in rest["Policies"]] == aws_arns[10:]


def test_aws_managed_catalogue_reads_but_never_changes(account: Account) -> None:
    iam = account.iam
    admin = iam.get_policy(PolicyArn=ADMIN)["Policy"]
    assert (admin["PolicyName"], admin["Path"], admin["IsAttachable"]) == (
        "AdministratorAccess", "/", True)
    default = admin["DefaultVersionId"]
    version = iam.get_policy_version(PolicyArn=ADMIN, VersionId=default)["PolicyVersion"]
    assert version["Document"]["Statement"][0]["Action"] == "*"
    assert version["IsDefaultVersion"] is True
    listed = iam.list_policy_versions(PolicyArn=ADMIN)["Versions"]
    assert default in [v["VersionId"] for v in listed]
    job_functions = iam.list_policies(Scope="AWS", PathPrefix="/job-function/")["Policies"]
    assert job_functions
    assert all(p["Path"] == "/job-function/" for p in job_functions)
    fails("NoSuchEntity", iam.get_policy, PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicyHere")

    for call, params in [
        (iam.create_policy_version, {"PolicyArn": ADMIN,
                                     "PolicyDocument": json.dumps(document("s3:*"))}),
        (iam.delete_policy, {"PolicyArn": ADMIN}),
        (iam.set_default_policy_version, {"PolicyArn": ADMIN, "VersionId": default}),
        (iam.delete_policy_version, {"PolicyArn": ADMIN, "VersionId": default}),
        (iam.tag_policy, {"PolicyArn": ADMIN, "Tags": [{"Key": "a", "Value": "b"}]}),
    ]:
        with pytest.raises(ClientError) as refused:
            call(**params)
        status = refused.value.response["ResponseMetadata"]["HTTPStatusCode"]
        assert 400 <= status < 500, (call, refused.value.response["Error"])
    assert iam.get_policy(PolicyArn=ADMIN)["Policy"]["DefaultVersionId"] == default

    iam.create_role(RoleName="ops", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(RoleName="ops", PolicyArn=READ_ONLY)
    assert iam.list_attached_role_policies(RoleName="ops")["AttachedPolicies"] == [
        {"PolicyName": "ReadOnlyAccess", "PolicyArn": READ_ONLY}]


# -- the account -----------------------------------------------------------------------------
def test_account_alias_is_one_per_account_and_unique(account: Account) -> None:
    iam = account.iam
    first, second = (f"iamd-{secrets.token_hex(6)}" for _ in range(2))
    assert iam.list_account_aliases()["AccountAliases"] == []
    iam.create_account_alias(AccountAlias=first)
    iam.create_account_alias(AccountAlias=first)  # the same again: nothing changes
    assert iam.list_account_aliases()["AccountAliases"] == [first]
    iam.create_account_alias(AccountAlias=second)  # replaces it
    assert iam.list_account_aliases()["AccountAliases"] == [second]
    fails("NoSuchEntity", iam.delete_account_alias, AccountAlias=first)
    fails("ValidationError", iam.create_account_alias, AccountAlias="Not_An-Alias")
    fails("ValidationError", iam.create_account_alias, AccountAlias="double--dash")

    other = new_account(account.server.database, account.server)
    fails("EntityAlreadyExists", other.iam.create_account_alias, AccountAlias=second)
    other.iam.create_account_alias(AccountAlias=first)  # free again
    iam.delete_account_alias(AccountAlias=second)
    assert iam.list_account_aliases()["AccountAliases"] == []
    assert other.iam.list_account_aliases()["AccountAliases"] == [first]
    other.iam.delete_account_alias(AccountAlias=first)


def test_account_summary_counts_this_account_only(account: Account) -> None:
    iam = account.iam
    before = iam.get_account_summary()["SummaryMap"]
    assert before["Users"] == before["Roles"] == before["Policies"] == 0
    assert before["AccountAccessKeysPresent"] == 1
    assert before["UsersQuota"] > 0
    assert before["AccessKeysPerUserQuota"] == 2
    policy = iam.create_policy(PolicyName="p", PolicyDocument=json.dumps(document("s3:*")))
    for name in ("a", "b"):
        iam.create_user(UserName=name)
        iam.attach_user_policy(UserName=name, PolicyArn=policy["Policy"]["Arn"])
    iam.create_group(GroupName="g")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.create_instance_profile(InstanceProfileName="i")
    iam.create_open_id_connect_provider(Url="https://summary.example.com",
                                        ThumbprintList=["a" * 40])
    after = iam.get_account_summary()["SummaryMap"]
    assert {key: after[key] for key in (
        "Users", "Groups", "Roles", "Policies", "InstanceProfiles", "Providers",
        "ServerCertificates")} == {
        "Users": 2, "Groups": 1, "Roles": 1, "Policies": 1, "InstanceProfiles": 1,
        "Providers": 1, "ServerCertificates": 0}
    assert after["PolicyVersionsInUse"] >= 1
    assert all(isinstance(value, int) for value in after.values())


def test_account_authorization_details(account: Account) -> None:
    iam = account.iam
    boundary = document("s3:*", "sqs:*")
    inline = document("sqs:SendMessage", resource="arn:aws:sqs:us-east-1:*:q")
    policy = iam.create_policy(PolicyName="local", Path="/p/",
                               PolicyDocument=json.dumps(boundary))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=policy, PolicyDocument=json.dumps(inline))
    iam.create_group(GroupName="grp")
    iam.put_group_policy(GroupName="grp", PolicyName="g-inline", PolicyDocument=json.dumps(inline))
    for name in ("alpha", "beta", "gamma"):
        iam.create_user(UserName=name, Tags=[{"Key": "name", "Value": name}])
    iam.add_user_to_group(GroupName="grp", UserName="alpha")
    iam.put_user_policy(UserName="alpha", PolicyName="u-inline", PolicyDocument=json.dumps(inline))
    iam.attach_user_policy(UserName="alpha", PolicyArn=READ_ONLY)
    iam.put_user_permissions_boundary(UserName="beta", PermissionsBoundary=policy)
    iam.create_role(RoleName="role", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(RoleName="role", PolicyName="r-inline", PolicyDocument=json.dumps(inline))
    iam.attach_role_policy(RoleName="role", PolicyArn=policy)
    iam.create_instance_profile(InstanceProfileName="prof")
    iam.add_role_to_instance_profile(InstanceProfileName="prof", RoleName="role")

    users_only = iam.get_account_authorization_details(Filter=["User"])
    assert users_only["GroupDetailList"] == users_only["RoleDetailList"] == []
    assert users_only["Policies"] == []

    details = full_result(iam, "get_account_authorization_details", 2)
    users = {u["UserName"]: u for u in details["UserDetailList"]}
    assert sorted(users) == ["alpha", "beta", "gamma"]
    alpha = users["alpha"]
    assert alpha["UserPolicyList"] == [{"PolicyName": "u-inline", "PolicyDocument": inline}]
    assert alpha["GroupList"] == ["grp"]
    assert alpha["AttachedManagedPolicies"] == [
        {"PolicyName": "ReadOnlyAccess", "PolicyArn": READ_ONLY}]
    assert alpha["Tags"] == [{"Key": "name", "Value": "alpha"}]
    assert users["beta"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == policy
    [group] = details["GroupDetailList"]
    assert group["GroupPolicyList"] == [{"PolicyName": "g-inline", "PolicyDocument": inline}]
    [role] = details["RoleDetailList"]
    assert role["AssumeRolePolicyDocument"] == TRUST
    assert role["RolePolicyList"] == [{"PolicyName": "r-inline", "PolicyDocument": inline}]
    assert [p["InstanceProfileName"] for p in role["InstanceProfileList"]] == ["prof"]
    assert role["InstanceProfileList"][0]["Roles"][0]["AssumeRolePolicyDocument"] == TRUST
    policies = {p["Arn"]: p for p in details["Policies"]}
    assert set(policies) == {policy, READ_ONLY}
    versions = {v["VersionId"]: v for v in policies[policy]["PolicyVersionList"]}
    assert (versions["v1"]["Document"], versions["v2"]["Document"]) == (boundary, inline)
    assert versions["v1"]["IsDefaultVersion"] is True
    assert versions["v2"]["IsDefaultVersion"] is False
    assert policies[READ_ONLY]["PolicyVersionList"][0]["Document"]["Statement"]

    aws_only = full_result(iam, "get_account_authorization_details", 1,
                           Filter=["AWSManagedPolicy", "Role"])
    assert [p["Arn"] for p in aws_only["Policies"]] == [READ_ONLY]
    assert [r["RoleName"] for r in aws_only["RoleDetailList"]] == ["role"]
    assert aws_only["UserDetailList"] == []


# -- the simulator ---------------------------------------------------------------------------
def _simulated_user(account: Account) -> str:
    """A user whose policies allow s3 reads, deny deletes, and need MFA to write."""
    iam = account.iam
    iam.create_user(UserName="sim")
    iam.put_user_policy(UserName="sim", PolicyName="reads", PolicyDocument=json.dumps(
        document("s3:GetObject", resource="arn:aws:s3:::bucket/*")))
    iam.put_user_policy(UserName="sim", PolicyName="no-delete", PolicyDocument=json.dumps(
        document("s3:DeleteObject", effect="Deny")))
    iam.put_user_policy(UserName="sim", PolicyName="mfa-writes", PolicyDocument=json.dumps(
        document("s3:PutObject", resource="arn:aws:s3:::bucket/*",
                 condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})))
    return f"arn:aws:iam::{account.id}:user/sim"


def test_simulators_through_boto3(account: Account) -> None:
    iam = account.iam
    user_arn = _simulated_user(account)
    results = full_result(
        iam, "simulate_principal_policy", 1, PolicySourceArn=user_arn,
        ActionNames=["s3:GetObject", "s3:DeleteObject", "s3:PutObject", "s3:ListBucket"],
        ResourceArns=["arn:aws:s3:::bucket/key"],
    )["EvaluationResults"]
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in results}
    assert decisions == {"s3:GetObject": "allowed", "s3:DeleteObject": "explicitDeny",
                         "s3:PutObject": "implicitDeny", "s3:ListBucket": "implicitDeny"}
    by_action = {r["EvalActionName"]: r for r in results}
    get = by_action["s3:GetObject"]
    assert [m["SourcePolicyId"] for m in get["MatchedStatements"]] == ["user_sim_reads"]
    assert get["MatchedStatements"][0]["StartPosition"]["Line"] >= 1
    assert get["ResourceSpecificResults"][0]["EvalResourceName"] == "arn:aws:s3:::bucket/key"
    assert by_action["s3:PutObject"]["MissingContextValues"] == ["aws:MultiFactorAuthPresent"]

    with_mfa = iam.simulate_principal_policy(
        PolicySourceArn=user_arn, ActionNames=["s3:PutObject"],
        ResourceArns=["arn:aws:s3:::bucket/key"],
        ContextEntries=[{"ContextKeyName": "aws:MultiFactorAuthPresent",
                         "ContextKeyValues": ["true"], "ContextKeyType": "boolean"}],
    )["EvaluationResults"][0]
    assert with_mfa["EvalDecision"] == "allowed"
    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=user_arn)
    assert keys["ContextKeyNames"] == ["aws:MultiFactorAuthPresent"]

    custom = document("ec2:RunInstances", condition={
        "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
        "StringEquals": {"aws:RequestedRegion": "eu-west-1"}})
    boundary = document("ec2:*")
    simulated = iam.simulate_custom_policy(
        PolicyInputList=[json.dumps(custom)], ActionNames=["ec2:RunInstances"],
        PermissionsBoundaryPolicyInputList=[json.dumps(boundary)],
        ContextEntries=[
            {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.1.2.3"],
             "ContextKeyType": "ip"},
            {"ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": ["eu-west-1"],
             "ContextKeyType": "string"},
        ],
    )["EvaluationResults"][0]
    assert simulated["EvalDecision"] == "allowed"
    assert simulated["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert [(m["SourcePolicyId"], m["SourcePolicyType"])
            for m in simulated["MatchedStatements"]] == [
        ("PolicyInputList.1", "IAM Policy"),
        ("PermissionsBoundaryPolicyInputList.1", "Permissions Boundary Policy")]
    custom_keys = iam.get_context_keys_for_custom_policy(PolicyInputList=[json.dumps(custom)])
    assert sorted(custom_keys["ContextKeyNames"]) == ["aws:RequestedRegion", "aws:SourceIp"]
    # The model names InvalidInput; AWS answers MalformedPolicyDocument too.
    fails({"InvalidInput", "MalformedPolicyDocument"}, iam.simulate_custom_policy,
          PolicyInputList=["{not json"],
          ActionNames=["s3:GetObject"])
    fails("NoSuchEntity", iam.simulate_principal_policy,
          PolicySourceArn=f"arn:aws:iam::{account.id}:user/nobody", ActionNames=["s3:*"])

    nobody = account.user_with_key("nobody")
    fails("AccessDenied", nobody.simulate_principal_policy, PolicySourceArn=user_arn,
          ActionNames=["s3:GetObject"])
    fails("AccessDenied", nobody.simulate_custom_policy, PolicyInputList=[json.dumps(custom)],
          ActionNames=["s3:GetObject"])


def test_simulators_as_the_aws_cli_shows_them(account: Account) -> None:
    user_arn = _simulated_user(account)
    principal = json.loads(account.aws(
        "iam", "simulate-principal-policy", "--policy-source-arn", user_arn,
        "--action-names", "s3:GetObject", "s3:DeleteObject", "s3:PutObject",
        "--resource-arns", "arn:aws:s3:::bucket/key",
    ).stdout)
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in principal["EvaluationResults"]}
    assert decisions == {"s3:GetObject": "allowed", "s3:DeleteObject": "explicitDeny",
                         "s3:PutObject": "implicitDeny"}

    custom = json.loads(account.aws(
        "iam", "simulate-custom-policy",
        "--policy-input-list", json.dumps(document("iam:CreateUser", condition={
            "Bool": {"aws:MultiFactorAuthPresent": "true"}})),
        "--action-names", "iam:CreateUser", "iam:DeleteUser",
        "--context-entries",
        "ContextKeyName=aws:MultiFactorAuthPresent,ContextKeyValues=true,ContextKeyType=boolean",
    ).stdout)
    results = {r["EvalActionName"]: r for r in custom["EvaluationResults"]}
    assert results["iam:CreateUser"]["EvalDecision"] == "allowed"
    assert results["iam:CreateUser"]["MatchedStatements"][0]["SourcePolicyId"] == (
        "PolicyInputList.1")
    assert results["iam:DeleteUser"]["EvalDecision"] == "implicitDeny"
    assert results["iam:DeleteUser"]["MatchedStatements"] == []
