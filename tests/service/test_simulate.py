"""The policy simulator and the context-key operations, as use cases and through the wire."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.parsers import create_parser

from iamd.domain import errors
from iamd.domain.entities import (
    Group,
    InlinePolicy,
    ManagedPolicy,
    PolicyVersion,
    PrincipalKind,
    Role,
    Tag,
)
from iamd.protocol.models import service_model
from iamd.protocol.operations import handler
from iamd.protocol.serialize import serialize_result
from iamd.service.iam import simulate, users
from iamd.service.iam.simulate import SimulationInput

from .conftest import ACCOUNT, NOW, Callers

OTHER = "210987654321"
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})


def document(*statements: dict[str, Any]) -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": list(statements)}, separators=(",", ":")
    )


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def custom(callers: Callers, policies: list[str], actions: list[str], **kwargs: Any) -> Any:
    inputs = SimulationInput(action_names=actions, policy_input_list=policies, **kwargs)
    return simulate.simulate_custom_policy(callers.env, callers.root(), inputs)


def principal(callers: Callers, arn: str, actions: list[str], **kwargs: Any) -> Any:
    exclusions = kwargs.pop("exclusions", ())
    inputs = SimulationInput(action_names=actions, **kwargs)
    return simulate.simulate_principal_policy(
        callers.env, callers.root(), arn, inputs, exclusions
    )


def decisions(page: Any) -> dict[str, str]:
    return {result.action: result.decision for result in page.items}


def user_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user/{name}"


def add_role(callers: Callers, name: str, boundary: str | None = None) -> Role:
    role = Role(ACCOUNT, f"AROA{name.upper():0<17}"[:21], name, "/svc/", NOW, TRUST,
                permissions_boundary=boundary)
    with callers.env.store.write(ACCOUNT) as tx:
        tx.add(role)
    return role


def add_group(callers: Callers, name: str, *members: str) -> Group:
    group = Group(ACCOUNT, f"AGPA{name.upper():0<17}"[:21], name, "/", NOW)
    with callers.env.store.write(ACCOUNT) as tx:
        tx.add(group)
        for member in members:
            user = tx.get(users.User, ACCOUNT, member)
            tx.link("member", ACCOUNT, group.id, user.id)
    return group


def put_inline(callers: Callers, kind: PrincipalKind, owner_id: str, name: str, text: str) -> None:
    with callers.env.store.write(ACCOUNT) as tx:
        tx.put_inline(InlinePolicy(ACCOUNT, kind, owner_id, name, text))


def attach(callers: Callers, kind: PrincipalKind, owner_id: str, arn: str) -> None:
    with callers.env.store.write(ACCOUNT) as tx:
        tx.attach(ACCOUNT, arn, kind, owner_id)


def add_managed(callers: Callers, name: str, text: str) -> str:
    policy = ManagedPolicy(ACCOUNT, f"ANPA{name.upper():0<17}"[:21], name, "/", NOW, NOW)
    with callers.env.store.write(ACCOUNT) as tx:
        tx.add(policy)
        tx.add(PolicyVersion(ACCOUNT, policy.id, "v1", text, NOW))
    return policy.arn


# -- SimulateCustomPolicy ------------------------------------------------------------------


def test_an_allow_names_its_statement_and_where_it_is(callers: Callers) -> None:
    text = document(allow("s3:GetObject"), allow("dynamodb:*"))
    page = custom(callers, [text], ["dynamodb:CreateBackup", "sqs:SendMessage"])
    first, second = page.items
    assert (first.action, first.resource_name, first.decision) == (
        "dynamodb:CreateBackup", "*", "allowed")
    (matched,) = first.statements
    assert (matched.source_policy_id, matched.source_policy_type) == (
        "PolicyInputList.1", "IAM Policy")
    # AWS starts a statement just past the one before it and ends it just past its brace.
    assert matched.start == simulate.Position(1, text.index(',{"Effect":"Allow","Action":"dy') + 1)
    assert matched.end == simulate.Position(1, len(text) - 1)
    assert first.resource_results is None
    assert first.details is None
    assert second.decision == "implicitDeny"
    assert second.statements == ()
    assert not page.is_truncated


def test_positions_are_those_of_awss_published_examples(callers: Callers) -> None:
    # docs: aws iam simulate-custom-policy, example 1 (a single statement object).
    text = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*",'
            '"Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":'
            '"2018-08-16T12:00:00Z"}}}}')
    entry = {"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": ["2019-04-25T11:00:00Z"],
             "ContextKeyType": "date"}
    (result,) = custom(callers, [text], ["dynamodb:CreateBackup"],
                       context_entries=[entry]).items
    assert result.decision == "allowed"
    (matched,) = result.statements
    assert (matched.start, matched.end) == (simulate.Position(1, 38), simulate.Position(1, 167))
    # docs: aws iam simulate-principal-policy, example 1 (a formatted document).
    text = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "ListRepos", "Effect": "Allow", "Action": "codecommit:ListRepositories",
        "Resource": "*"}]}, indent=4)
    (result,) = custom(callers, [text], ["codecommit:ListRepositories"]).items
    (matched,) = result.statements
    assert (matched.start, matched.end) == (simulate.Position(3, 19), simulate.Position(9, 10))


def test_an_explicit_deny_lists_only_the_denying_statements(callers: Callers) -> None:
    first = document(allow("s3:*"))
    second = document(allow("ec2:*"), deny("s3:DeleteObject", Sid="NoDelete"))
    (result,) = custom(callers, [first, second], ["s3:DeleteObject"]).items
    assert result.decision == "explicitDeny"
    assert [m.source_policy_id for m in result.statements] == ["PolicyInputList.2"]


def test_conditions_use_the_context_entries_and_report_missing_keys(callers: Callers) -> None:
    text = document(allow("s3:GetObject", Condition={
        "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
        "Bool": {"aws:SecureTransport": "true"},
        "DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
    }), deny("s3:GetObject", Condition={"StringEquals": {"aws:PrincipalTag/Team": "red"}}),
        allow("ec2:*", Condition={"StringEquals": {"ec2:Region": "eu-west-1"}}))
    (missing,) = custom(callers, [text], ["s3:GetObject"]).items
    assert missing.decision == "implicitDeny"
    assert missing.missing_context_values == (
        "aws:SourceIp", "aws:SecureTransport", "aws:CurrentTime", "aws:PrincipalTag/Team")
    entries = [
        {"ContextKeyName": "aws:sourceip", "ContextKeyValues": ["10.1.2.3"],
         "ContextKeyType": "ip"},
        {"ContextKeyName": "aws:SecureTransport", "ContextKeyValues": ["True"],
         "ContextKeyType": "boolean"},
        {"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": ["2026-01-01T00:00:00Z"],
         "ContextKeyType": "date"},
    ]
    (allowed,) = custom(callers, [text], ["s3:GetObject"], context_entries=entries).items
    assert allowed.decision == "allowed"
    assert allowed.missing_context_values == ("aws:PrincipalTag/Team",)
    red = [*entries, {"ContextKeyName": "aws:PrincipalTag/Team", "ContextKeyValues": ["red"],
                      "ContextKeyType": "string"}]
    (denied,) = custom(callers, [text], ["s3:GetObject"], context_entries=red).items
    assert denied.decision == "explicitDeny"
    assert denied.missing_context_values == ()


def test_list_context_types_are_multivalued(callers: Callers) -> None:
    text = document(allow("iam:TagUser", Condition={
        "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}}))
    entry = {"ContextKeyName": "aws:TagKeys", "ContextKeyType": "stringList"}
    within = custom(callers, [text], ["iam:TagUser"], context_entries=[
        {**entry, "ContextKeyValues": ["team", "env"]}])
    beyond = custom(callers, [text], ["iam:TagUser"], context_entries=[
        {**entry, "ContextKeyValues": ["team", "owner"]}])
    assert decisions(within) == {"iam:TagUser": "allowed"}
    assert decisions(beyond) == {"iam:TagUser": "implicitDeny"}
    with pytest.raises(errors.InvalidInput, match="exactly one value"):
        custom(callers, [text], ["iam:TagUser"], context_entries=[
            {"ContextKeyName": "aws:username", "ContextKeyValues": ["a", "b"],
             "ContextKeyType": "string"}])


def test_resource_arns_give_per_resource_results_and_the_most_restrictive_overall(
    callers: Callers,
) -> None:
    text = document(
        allow("s3:GetObject", "arn:aws:s3:::bucket/public/*"),
        allow("s3:GetObject", "arn:aws:s3:::bucket/private/*",
              Condition={"StringEquals": {"s3:ExistingObjectTag/level": "low"}}),
        deny("s3:GetObject", "arn:aws:s3:::bucket/secret/*"),
    )
    resources = ["arn:aws:s3:::bucket/public/a", "arn:aws:s3:::bucket/private/b",
                 "arn:aws:s3:::bucket/secret/c"]
    (result,) = custom(callers, [text], ["s3:GetObject"], resource_arns=resources).items
    assert [(r.resource, r.decision) for r in result.resource_results] == [
        (resources[0], "allowed"), (resources[1], "implicitDeny"),
        (resources[2], "explicitDeny")]
    assert result.resource_name == "*"
    assert result.decision == "explicitDeny"
    assert [m.start.column for m in result.statements] == [
        text.index(',{"Effect":"Deny"') + 1]
    public, private, _ = result.resource_results
    assert private.missing_context_values == ("s3:ExistingObjectTag/level",)
    assert public.missing_context_values == ()
    assert result.missing_context_values == ("s3:ExistingObjectTag/level",)
    # Same account, explicit resources: present but empty.
    assert result.details == {}
    assert public.details == {}
    (everywhere,) = custom(
        callers, [text], ["s3:GetObject"], resource_arns=resources[:1]).items
    assert everywhere.decision == "allowed"
    assert len(everywhere.statements) == 1


def test_a_resource_policy_decides_with_the_caller_arn(callers: Callers) -> None:
    bucket = "arn:aws:s3:::shared/data.csv"
    identity = document(allow("s3:GetObject"))
    grant = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:user/ann"},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/*"}]})
    kwargs = {"resource_arns": [bucket], "resource_policy": grant}
    with pytest.raises(errors.InvalidInput, match="CallerArn is required"):
        custom(callers, [identity], ["s3:GetObject"], **kwargs)
    # Ann (another account) calls; the bucket belongs to this account.
    (ann,) = custom(callers, [identity], ["s3:GetObject"],
                    caller_arn=f"arn:aws:iam::{OTHER}:user/ann",
                    resource_owner=f"arn:aws:iam::{ACCOUNT}:root", **kwargs).items
    assert ann.decision == "allowed"
    assert {(m.source_policy_id, m.source_policy_type) for m in ann.statements} == {
        ("ResourcePolicy", "Resource Policy"), ("PolicyInputList.1", "IAM Policy")}
    assert ann.details == {"IAM Policy": "allowed", "Resource Policy": "allowed"}
    (bob,) = custom(callers, [identity], ["s3:GetObject"],
                    caller_arn=f"arn:aws:iam::{OTHER}:user/bob",
                    resource_owner=ACCOUNT, **kwargs).items
    assert bob.decision == "implicitDeny"
    assert bob.details == {"IAM Policy": "allowed", "Resource Policy": "implicitDeny"}
    # In one account, the resource policy alone grants a named user.
    (local,) = custom(callers, [document(allow("sqs:*"))], ["s3:GetObject"],
                      caller_arn=user_arn("ann"), resource_arns=[bucket],
                      resource_policy=grant.replace(OTHER, ACCOUNT)).items
    assert local.decision == "allowed"
    assert local.details == {}


def test_a_boundary_caps_the_identity_policies(callers: Callers) -> None:
    identity = document(allow(["s3:*", "ec2:*"]))
    boundary = document(allow("s3:*"), deny("s3:DeleteBucket"))
    page = custom(callers, [identity], ["s3:GetObject", "ec2:RunInstances", "s3:DeleteBucket"],
                  permissions_boundary_policy_input_list=[boundary])
    get, run, delete = page.items
    assert (get.decision, get.boundary_allowed) == ("allowed", True)
    assert {m.source_policy_id for m in get.statements} == {
        "PolicyInputList.1", "PermissionsBoundaryPolicyInputList.1"}
    assert (run.decision, run.boundary_allowed, run.statements) == ("implicitDeny", False, ())
    assert (delete.decision, delete.boundary_allowed) == ("explicitDeny", False)
    assert [(m.source_policy_id, m.source_policy_type) for m in delete.statements] == [
        ("PermissionsBoundaryPolicyInputList.1", "Permissions Boundary Policy")]
    with pytest.raises(errors.InvalidInput, match="cannot exceed 1"):
        custom(callers, [identity], ["s3:GetObject"],
               permissions_boundary_policy_input_list=[boundary, boundary])


def test_service_control_policies_are_applied_but_not_listed(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    inputs = SimulationInput(["s3:GetObject", "ec2:RunInstances"],
                             policy_input_list=[document(allow("*"))])
    scps = [[document(allow("*"))], [document(allow("s3:*")), document(deny("ec2:*"))]]
    get, run = simulate.simulate_custom_policy(env, root, inputs, scps).items
    assert (get.decision, get.organizations_allowed) == ("allowed", True)
    assert [m.source_policy_id for m in get.statements] == ["PolicyInputList.1"]
    assert (run.decision, run.organizations_allowed, run.statements) == (
        "explicitDeny", False, ())
    with pytest.raises(errors.InvalidInput, match="at least one service control policy"):
        simulate.simulate_custom_policy(env, root, inputs, [[]])


BAD_INPUTS: list[tuple[dict[str, Any], type[errors.IamError]]] = [
    ({"policy_input_list": ["{not json"]}, errors.MalformedPolicyDocument),
    ({"policy_input_list": [document(allow("s3:*")), json.dumps({"Statement": []})]},
     errors.MalformedPolicyDocument),
    ({"resource_policy": document(allow("s3:*")), "caller_arn": user_arn("x")},
     errors.MalformedPolicyDocument),  # a resource policy needs a Principal
    ({"action_names": ["s3:*"]}, errors.InvalidInput),
    ({"action_names": ["GetObject"]}, errors.InvalidInput),
    ({"resource_arns": ["bucket"]}, errors.InvalidInput),
    ({"caller_arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s"}, errors.InvalidInput),
    ({"resource_owner": "someone"}, errors.InvalidInput),
    ({"resource_handling_option": "EC2-Classic"}, errors.InvalidInput),
    ({"resource_handling_option": "EC2-VPC-EBS",
      "resource_arns": [f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-1"]}, errors.InvalidInput),
    ({"context_entries": [{"ContextKeyValues": ["x"]}]}, errors.InvalidInput),
]


def test_bad_inputs_are_refused_as_aws_does(callers: Callers) -> None:
    for kwargs, code in BAD_INPUTS:
        arguments: dict[str, Any] = {"action_names": ["s3:GetObject"],
                                     "policy_input_list": [document(allow("s3:*"))], **kwargs}
        with pytest.raises(code):
            simulate.simulate_custom_policy(
                callers.env, callers.root(), SimulationInput(**arguments)
            )


def test_malformed_document_names_the_input(callers: Callers) -> None:
    bad = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]})
    with pytest.raises(errors.MalformedPolicyDocument, match=r"^PolicyInputList\.2: "):
        custom(callers, [document(allow("s3:*")), bad], ["s3:GetObject"])


def test_a_complete_ec2_scenario_is_accepted(callers: Callers) -> None:
    kinds = ["instance/i-1", "image/ami-1", "security-group/sg-1", "network-interface/eni-1",
             "volume/vol-1"]
    arns = [f"arn:aws:ec2:us-east-1:{ACCOUNT}:{kind}" for kind in kinds]
    (result,) = custom(callers, [document(allow("ec2:RunInstances"))], ["ec2:RunInstances"],
                       resource_arns=arns, resource_handling_option="EC2-VPC-EBS").items
    assert result.decision == "allowed"
    assert len(result.resource_results) == 5


def test_results_are_paginated_by_action(callers: Callers) -> None:
    actions = [f"s3:Action{n}" for n in range(5)]
    text = document(allow("s3:*"))
    first = custom(callers, [text], actions, max_items=2)
    assert [r.action for r in first.items] == actions[:2]
    assert first.is_truncated
    second = custom(callers, [text], actions, max_items=2, marker=first.marker)
    third = custom(callers, [text], actions, max_items=2, marker=second.marker)
    assert [r.action for r in second.items + third.items] == actions[2:]
    assert not third.is_truncated
    with pytest.raises(errors.ValidationError):
        custom(callers, [text], actions, marker="not a marker!")


# -- SimulatePrincipalPolicy ---------------------------------------------------------------


def test_a_users_own_group_and_managed_policies_are_simulated(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "bob")
    users.put_user_policy(env, root, "bob", "Own", document(allow("sqs:*")))
    with env.store.read() as tx:
        bob = tx.get(users.User, ACCOUNT, "bob")
    devs = add_group(callers, "devs", "bob")
    put_inline(callers, PrincipalKind.GROUP, devs.id, "Team", document(deny("sqs:DeleteQueue")))
    attach(callers, PrincipalKind.USER, bob.id, S3_READ)
    attach(callers, PrincipalKind.GROUP, devs.id, S3_READ)  # twice: listed once
    mine = add_managed(callers, "Mine", document(allow("sns:Publish")))
    attach(callers, PrincipalKind.GROUP, devs.id, mine)
    page = principal(callers, user_arn("bob"), [
        "sqs:SendMessage", "sqs:DeleteQueue", "s3:GetObject", "sns:Publish", "ec2:RunInstances"])
    send, delete, get, publish, run = page.items
    assert [m.source_policy_id for m in send.statements] == ["user_bob_Own"]
    assert [m.source_policy_id for m in delete.statements] == ["group_devs_Team"]
    assert delete.decision == "explicitDeny"
    assert [(m.source_policy_id, m.source_policy_type) for m in get.statements] == [
        ("AmazonS3ReadOnlyAccess", "IAM Policy")]
    aws_text = env.aws_policies[S3_READ].version.document
    assert get.statements[0].end == simulate.Position(1, aws_text.index("],\"Version\"") + 1)
    assert [m.source_policy_id for m in publish.statements] == ["Mine"]
    assert run.decision == "implicitDeny"
    assert send.boundary_allowed is None


def test_a_users_boundary_and_a_given_one_that_replaces_it(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    boundary = add_managed(callers, "Boundary", document(allow("s3:*")))
    users.create_user(env, root, "carol", permissions_boundary=boundary)
    users.put_user_policy(env, root, "carol", "All", document(allow("*")))
    get, run = principal(callers, user_arn("carol"), ["s3:GetObject", "ec2:RunInstances"]).items
    assert (get.decision, get.boundary_allowed) == ("allowed", True)
    assert ("Boundary", "Permissions Boundary Policy") in {
        (m.source_policy_id, m.source_policy_type) for m in get.statements}
    assert (run.decision, run.boundary_allowed) == ("implicitDeny", False)
    (replaced,) = principal(
        callers, user_arn("carol"), ["ec2:RunInstances"],
        permissions_boundary_policy_input_list=[document(allow("ec2:*"))]).items
    assert (replaced.decision, replaced.boundary_allowed) == ("allowed", True)


def test_a_role_is_simulated_as_a_session_of_itself(callers: Callers) -> None:
    boundary = add_managed(callers, "RoleBoundary", document(allow(["s3:*", "sqs:*"])))
    role = add_role(callers, "app", boundary)
    put_inline(callers, PrincipalKind.ROLE, role.id, "Work", document(allow(["s3:*", "ec2:*"])))
    attach(callers, PrincipalKind.ROLE, role.id, S3_READ)
    arn = f"arn:aws:iam::{ACCOUNT}:role/svc/app"
    get, run = principal(callers, arn, ["s3:GetObject", "ec2:RunInstances"]).items
    assert get.decision == "allowed"
    assert run.decision == "implicitDeny"
    assert [m.source_policy_id for m in get.statements] == [
        "role_app_Work", "AmazonS3ReadOnlyAccess", "RoleBoundary"]
    # A resource policy naming the role grants its sessions.
    grant = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": arn}, "Action": "sqs:*", "Resource": "*"}]})
    queue = f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs"
    (send,) = principal(callers, arn, ["sqs:SendMessage"], resource_arns=[queue],
                        resource_policy=grant).items
    assert send.decision == "allowed"


def test_a_group_is_simulated_with_its_own_policies(callers: Callers) -> None:
    group = add_group(callers, "ops")
    put_inline(callers, PrincipalKind.GROUP, group.id, "Ops", document(allow("ec2:*")))
    page = principal(callers, f"arn:aws:iam::{ACCOUNT}:group/ops", ["ec2:StopInstances"],
                     policy_input_list=[document(deny("ec2:StopInstances"))])
    (result,) = page.items
    assert result.decision == "explicitDeny"
    assert [m.source_policy_id for m in result.statements] == ["PolicyInputList.1"]


UNKNOWN_SOURCES: list[tuple[str, type[errors.IamError], str]] = [
    (user_arn("nobody"), errors.NoSuchEntity, "The user with name nobody cannot be found."),
    (f"arn:aws:iam::{ACCOUNT}:role/ghost", errors.NoSuchEntity,
     "The role with name ghost cannot be found."),
    (f"arn:aws:iam::{ACCOUNT}:group/none", errors.NoSuchEntity,
     "The group with name none cannot be found."),
    (f"arn:aws:iam::{ACCOUNT}:user/other/dave", errors.NoSuchEntity,
     "The user with name dave cannot be found."),
    # Another account's user: the engine refuses the cross-account call itself.
    (f"arn:aws:iam::{OTHER}:user/dave", errors.AccessDenied,
     "because no resource-based policy allows"),
    (f"arn:aws:iam::{ACCOUNT}:policy/p", errors.InvalidInput, "is not valid"),
]


def test_an_unknown_source_is_refused(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "dave")  # exists, but at path /
    for arn, code, message in UNKNOWN_SOURCES:
        with pytest.raises(code, match=message):
            principal(callers, arn, ["s3:GetObject"])
        with pytest.raises(code, match=message):
            simulate.get_context_keys_for_principal_policy(env, root, arn)


def test_policy_exclusions_remove_policies_from_the_simulation(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "erin", permissions_boundary=S3_READ)
    users.put_user_policy(env, root, "erin", "S3Writer", document(allow("s3:*")))
    with env.store.read() as tx:
        erin = tx.get(users.User, ACCOUNT, "erin")
    attach(callers, PrincipalKind.USER, erin.id, S3_READ)
    arn, actions = user_arn("erin"), ["s3:PutObject", "s3:GetObject"]

    def result(*identifiers: dict[str, Any]) -> dict[str, str]:
        return decisions(principal(callers, arn, actions, exclusions=identifiers))

    assert result() == {"s3:PutObject": "implicitDeny", "s3:GetObject": "allowed"}
    no_boundary = {"s3:PutObject": "allowed", "s3:GetObject": "allowed"}
    assert result({"PolicyType": "permission-boundary"}) == no_boundary
    assert result({"PolicyType": "permission-boundary"}, {"PolicyType": "inline"}) == {
        "s3:PutObject": "implicitDeny", "s3:GetObject": "allowed"}
    assert result({"PolicyType": "permission-boundary"}, {"InlinePolicyIdentifier": {
        "PolicyName": "s3writer", "AttachmentType": "user", "AttachmentName": "e*"}}) == {
        "s3:PutObject": "implicitDeny", "s3:GetObject": "allowed"}
    # An ARN matches attached policies, not the boundary; identifiers matching nothing are fine.
    assert result({"PolicyArn": "arn:aws:iam::aws:policy/AmazonS3*"},
                  {"PolicyType": "inline"})["s3:GetObject"] == "implicitDeny"
    assert result({"PolicyType": "scp"}, {"PolicyArn": "arn:aws:iam::aws:policy/None"}) == (
        result())
    with pytest.raises(errors.InvalidInput):
        result({"PolicyArn": "arn:aws:iam::aws:policy/*S3*"})
    with pytest.raises(errors.InvalidInput):
        result({"PolicyArn": "arn:aws:iam::*:policy/Mine"})


# -- context keys ----------------------------------------------------------------------------


def test_context_keys_of_custom_policies_are_deduplicated_as_written(callers: Callers) -> None:
    first = document(allow("s3:*", Condition={
        "StringEquals": {"aws:PrincipalTag/Team": "x", "s3:prefix": "home/"},
        "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    second = document(deny("*", Condition={"Bool": {"AWS:SourceIP": "true"}}),
                      allow("sqs:*", "arn:aws:sqs:*:*:${aws:username}"))
    keys = simulate.get_context_keys_for_custom_policy(
        callers.env, callers.root(), [first, second])
    assert keys == ["aws:PrincipalTag/Team", "s3:prefix", "aws:SourceIp"]
    with pytest.raises(errors.MalformedPolicyDocument):
        simulate.get_context_keys_for_custom_policy(callers.env, callers.root(), ["[]"])


def test_context_keys_of_a_principal_include_groups_boundary_and_inputs(
    callers: Callers,
) -> None:
    env, root = callers.env, callers.root()
    boundary = add_managed(callers, "B", document(allow("*", Condition={
        "StringEquals": {"aws:RequestedRegion": "eu-west-1"}})))
    users.create_user(env, root, "fay", permissions_boundary=boundary)
    users.put_user_policy(env, root, "fay", "Own", document(allow("s3:*", Condition={
        "Bool": {"aws:MultiFactorAuthPresent": "true"}})))
    group = add_group(callers, "g", "fay")
    put_inline(callers, PrincipalKind.GROUP, group.id, "G", document(allow("sqs:*", Condition={
        "StringLike": {"sqs:QueueName": "q*"}})))
    extra = document(allow("sns:*", Condition={"StringEquals": {"sns:Protocol": "https"}}))
    keys = simulate.get_context_keys_for_principal_policy(env, root, user_arn("fay"), [extra])
    assert keys == ["aws:MultiFactorAuthPresent", "sqs:QueueName", "aws:RequestedRegion",
                    "sns:Protocol"]


# -- authorization ---------------------------------------------------------------------------


def test_every_operation_is_authorized(callers: Callers) -> None:
    env = callers.env
    bob = callers.user("bob")
    users.create_user(env, callers.root(), "target")
    users.create_user(env, callers.root(), "other")
    inputs = SimulationInput(["s3:GetObject"], policy_input_list=[document(allow("*"))])
    calls = [
        lambda call: simulate.simulate_custom_policy(env, call, inputs),
        lambda call: simulate.simulate_principal_policy(env, call, user_arn("target"), inputs),
        lambda call: simulate.get_context_keys_for_custom_policy(env, call, [document(allow("*"))]),
        lambda call: simulate.get_context_keys_for_principal_policy(env, call, user_arn("target")),
    ]
    for operation in calls:
        with pytest.raises(errors.AccessDenied, match="because no identity-based policy allows"):
            operation(bob)
    # Missing targets are not revealed to a caller without permission.
    with pytest.raises(errors.AccessDenied):
        simulate.simulate_principal_policy(env, bob, user_arn("ghost"), inputs)
    users.put_user_policy(env, callers.root(), "bob", "Sim", document(
        allow(["iam:SimulatePrincipalPolicy", "iam:GetContextKeysForPrincipalPolicy"],
              user_arn("target")),
        allow(["iam:SimulateCustomPolicy", "iam:GetContextKeysForCustomPolicy"])))
    bob = callers.user("bob")
    for operation in calls:
        operation(bob)
    with pytest.raises(errors.AccessDenied, match=f"on resource: {user_arn('other')}"):
        simulate.simulate_principal_policy(env, bob, user_arn("other"), inputs)


def test_a_tag_condition_on_the_source_is_honoured(callers: Callers) -> None:
    env = callers.env
    role = add_role(callers, "tagged")
    with env.store.write(ACCOUNT) as tx:
        tx.put_tags(ACCOUNT, "role", role.id, [Tag("team", "blue")])
    add_role(callers, "untagged")
    users.create_user(env, callers.root(), "gus")
    users.put_user_policy(env, callers.root(), "gus", "Sim", document(allow(
        "iam:SimulatePrincipalPolicy", Condition={
            "StringEquals": {"aws:ResourceTag/team": "blue"}})))
    gus = callers.user("gus")
    inputs = SimulationInput(["s3:GetObject"])
    page = simulate.simulate_principal_policy(
        env, gus, f"arn:aws:iam::{ACCOUNT}:role/svc/tagged", inputs)
    assert decisions(page) == {"s3:GetObject": "implicitDeny"}
    with pytest.raises(errors.AccessDenied):
        simulate.simulate_principal_policy(
            env, gus, f"arn:aws:iam::{ACCOUNT}:role/svc/untagged", inputs)


# -- through the wire: adapters, serializer and botocore's parser ------------------------------


def wire(callers: Callers, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """Run the adapter, serialize its result and read it back as botocore (the aws CLI) does."""
    function = handler("iam", operation)
    assert function is not None
    result = function(callers.env, callers.root(), params)
    body = serialize_result("iam", operation, result, "req-1")
    shape = service_model("iam").operation_model(operation).output_shape
    parsed = create_parser("query").parse(
        {"body": body, "headers": {}, "status_code": 200}, shape)
    parsed.pop("ResponseMetadata", None)
    return parsed


def test_simulate_custom_policy_reads_back_as_the_aws_cli_shows_it(callers: Callers) -> None:
    text = document(allow("s3:*"))
    out = wire(callers, "SimulateCustomPolicy", {
        "PolicyInputList": [text], "ActionNames": ["s3:GetObject", "sqs:SendMessage"],
        "ResourceArns": ["arn:aws:s3:::b/k"],
        "PermissionsBoundaryPolicyInputList": [document(allow("s3:*"))],
        "OrderedOrganizationPolicyInputList": [
            {"ServiceControlPolicyInputList": [document(allow("*"))]}],
        "MaxItems": 1,
    })
    assert out["IsTruncated"] is True
    assert out["Marker"]
    (result,) = out["EvaluationResults"]
    statement = {"SourcePolicyId": "PolicyInputList.1", "SourcePolicyType": "IAM Policy",
                 "StartPosition": {"Line": 1, "Column": 38},
                 "EndPosition": {"Line": 1, "Column": len(text) - 1}}
    assert result["EvalActionName"] == "s3:GetObject"
    assert result["EvalResourceName"] == "*"
    assert result["EvalDecision"] == "allowed"
    assert statement in result["MatchedStatements"]
    assert result["MissingContextValues"] == []
    assert result["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert result["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": True}
    assert result["EvalDecisionDetails"] == {}
    (specific,) = result["ResourceSpecificResults"]
    assert specific["EvalResourceName"] == "arn:aws:s3:::b/k"
    assert specific["EvalResourceDecision"] == "allowed"
    assert statement in specific["MatchedStatements"]


def test_simulate_principal_policy_and_context_keys_through_the_wire(callers: Callers) -> None:
    users.create_user(callers.env, callers.root(), "hal")
    users.put_user_policy(callers.env, callers.root(), "hal", "P", document(allow(
        "s3:*", Condition={"StringEquals": {"s3:prefix": "a"}})))
    out = wire(callers, "SimulatePrincipalPolicy", {
        "PolicySourceArn": user_arn("hal"), "ActionNames": ["s3:ListBucket"],
        "CallerArn": f"arn:aws:iam::{OTHER}:user/ext", "ResourceOwner": ACCOUNT,
        "ContextEntries": [{"ContextKeyName": "s3:prefix", "ContextKeyValues": ["a"],
                            "ContextKeyType": "string"}],
    })
    (result,) = out["EvaluationResults"]
    assert result["EvalDecision"] == "implicitDeny"
    assert result["MatchedStatements"] == []
    assert result["EvalDecisionDetails"] == {"IAM Policy": "allowed"}
    assert "ResourceSpecificResults" not in result
    assert out["IsTruncated"] is False
    keys = wire(callers, "GetContextKeysForPrincipalPolicy", {
        "PolicySourceArn": user_arn("hal"),
        "PolicyInputList": [
            document(allow("*", Condition={"Bool": {"aws:ViaAWSService": "false"}}))],
    })
    assert keys == {"ContextKeyNames": ["s3:prefix", "aws:ViaAWSService"]}
    assert wire(callers, "GetContextKeysForCustomPolicy", {
        "PolicyInputList": [document(allow("*"))]}) == {"ContextKeyNames": []}
