"""Managed policies, their versions and users, as use cases (and a few wire round trips)."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import botocore.parsers
import botocore.session
import pytest

from iamd.domain import errors
from iamd.domain.entities import Group, PrincipalKind, Role
from iamd.domain.quotas import Quotas
from iamd.protocol.operations import handler
from iamd.protocol.serialize import serialize_result
from iamd.service.context import Call
from iamd.service.iam import policies, users

from .conftest import ACCOUNT, NOW, Callers, FixedClock

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
LAMBDA_BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str, resource: str = "*", **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


LIST_USERS = document(allow("iam:ListUsers"))
GET_USER = document(allow("iam:GetUser"))


def arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT}:policy{path}{name}"


def user_allowed(callers: Callers, name: str, *statements: dict[str, Any]) -> Call:
    """A call by a user whose only (inline) policy holds ``statements``."""
    callers.user(name)
    users.put_user_policy(callers.env, callers.root(), name, "p", document(*statements))
    return callers.user(name)


def add_group_and_role(callers: Callers, attach: str, boundary: str | None = None) -> None:
    """A group and a role (written straight to the store: their use cases live elsewhere)."""
    with callers.env.store.write(ACCOUNT) as tx:
        tx.add(Group(ACCOUNT, "AGPAGROUP0000000001", "devs", "/team/", NOW))
        tx.add(Role(ACCOUNT, "AROAROLE00000000001", "runner", "/", NOW, "{}",
                    permissions_boundary=boundary))
        tx.attach(ACCOUNT, attach, PrincipalKind.GROUP, "AGPAGROUP0000000001")
        tx.attach(ACCOUNT, attach, PrincipalKind.ROLE, "AROAROLE00000000001")


# -- create, get, delete ----------------------------------------------------------------------
def test_create_get_delete(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    made = policies.create_policy(
        env, root, "Readers", LIST_USERS, "/team/", "who reads", [{"Key": "k", "Value": "v"}]
    )
    policy = made.policy
    assert policy.arn == arn("Readers", "/team/")
    assert policy.id.startswith("ANPA")
    assert len(policy.id) == 21
    assert (policy.default_version_id, policy.description) == ("v1", "who reads")
    got = policies.get_policy(env, root, policy.arn)
    assert got.policy == policy
    assert [(t.key, t.value) for t in got.tags] == [("k", "v")]
    assert (got.attachment_count, got.boundary_usage_count) == (0, 0)
    version = policies.get_policy_version(env, root, policy.arn, "v1")
    assert version.is_default
    assert version.version.document == LIST_USERS
    with pytest.raises(errors.EntityAlreadyExists) as exists:
        policies.create_policy(env, root, "READERS", LIST_USERS)  # names ignore case and path
    assert exists.value.message == (
        "A policy called READERS already exists. Duplicate names are not allowed."
    )
    policies.delete_policy(env, root, policy.arn)
    with pytest.raises(errors.NoSuchEntity) as gone:
        policies.get_policy(env, root, policy.arn)
    assert gone.value.message == f"Policy {policy.arn} was not found."
    assert policies.list_policies(env, root, scope="Local").items == []
    policies.create_policy(env, root, "Readers", GET_USER)  # the name is free again
    assert policies.get_policy_version(env, root, arn("Readers"), "v1").version.document == (
        GET_USER
    )


def test_wrong_path_or_bad_arn(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    policies.create_policy(env, root, "Readers", LIST_USERS, "/team/")
    with pytest.raises(errors.NoSuchEntity):
        policies.get_policy(env, root, arn("Readers"))  # the ARN must carry the right path
    with pytest.raises(errors.InvalidInput, match="ARN arn:aws:iam::123456789012:user/x is not"):
        policies.get_policy(env, root, f"arn:aws:iam::{ACCOUNT}:user/x")


def test_document_checks_and_quota(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    with pytest.raises(errors.MalformedPolicyDocument):
        policies.create_policy(env, root, "Bad", '{"Version": "2012-10-17"}')
    big = document(*(allow(f"iam:Get{'X' * 40}{index}") for index in range(200)))
    with pytest.raises(errors.LimitExceeded, match="Cannot exceed quota for PolicySize: 6144"):
        policies.create_policy(env, root, "Big", big)
    small = dataclasses.replace(env, quotas=Quotas(customer_managed_policies_per_account=1))
    policies.create_policy(small, root, "One", LIST_USERS)
    with pytest.raises(errors.LimitExceeded) as quota:
        policies.create_policy(small, root, "Two", LIST_USERS)
    assert quota.value.message == "Cannot exceed quota for PoliciesPerAccount: 1"
    assert [view.policy.name for view in policies.list_policies(env, root, "Local").items] == [
        "One"
    ]


# -- versions ---------------------------------------------------------------------------------
def test_versions_lifecycle(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    policy_arn = policies.create_policy(env, root, "P", LIST_USERS).policy.arn
    assert isinstance(env.clock, FixedClock)
    env.clock.moment = later = NOW + timedelta(days=1)
    root = callers.root()
    second = policies.create_policy_version(env, root, policy_arn, GET_USER)
    updated = policies.get_policy(env, root, policy_arn).policy
    assert (updated.created, updated.updated, second.version.created) == (NOW, later, later)
    assert (second.version.version_id, second.is_default) == ("v2", False)
    third = policies.create_policy_version(env, root, policy_arn, GET_USER, set_as_default=True)
    assert (third.version.version_id, third.is_default) == ("v3", True)
    listed = policies.list_policy_versions(env, root, policy_arn).items
    assert [(v.version.version_id, v.is_default) for v in listed] == [
        ("v3", True), ("v2", False), ("v1", False)
    ]
    assert policies.get_policy(env, root, policy_arn).policy.default_version_id == "v3"
    with pytest.raises(errors.DeleteConflict) as default:
        policies.delete_policy_version(env, root, policy_arn, "v3")
    assert default.value.message == "Cannot delete the default version of a policy."
    policies.delete_policy_version(env, root, policy_arn, "v2")
    with pytest.raises(errors.NoSuchEntity, match="version v2 does not exist"):
        policies.get_policy_version(env, root, policy_arn, "v2")
    with pytest.raises(errors.NoSuchEntity):
        policies.delete_policy_version(env, root, policy_arn, "v2")
    fourth = policies.create_policy_version(env, root, policy_arn, LIST_USERS)
    assert fourth.version.version_id == "v4"  # ids are never reused
    with pytest.raises(errors.NoSuchEntity):
        policies.set_default_policy_version(env, root, policy_arn, "v2")
    policies.set_default_policy_version(env, root, policy_arn, "v1")
    assert policies.get_policy_version(env, root, policy_arn, "v1").is_default


def test_at_most_five_versions_and_delete_needs_one(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    policy_arn = policies.create_policy(env, root, "P", LIST_USERS).policy.arn
    for _ in range(4):
        policies.create_policy_version(env, root, policy_arn, GET_USER)
    with pytest.raises(errors.LimitExceeded) as limit:
        policies.create_policy_version(env, root, policy_arn, GET_USER)
    assert limit.value.message == (
        "A managed policy can have up to 5 versions. Before you create a new version, you must "
        "delete an existing version."
    )
    with pytest.raises(errors.MalformedPolicyDocument):
        policies.create_policy_version(env, root, policy_arn, "{}")
    with pytest.raises(errors.DeleteConflict, match="This policy has more than one version"):
        policies.delete_policy(env, root, policy_arn)
    for version_id in ("v2", "v3", "v4", "v5"):
        policies.delete_policy_version(env, root, policy_arn, version_id)
    policy_id = policies.get_policy(env, root, policy_arn).policy.id
    policies.delete_policy(env, root, policy_arn)
    with pytest.raises(errors.NoSuchEntity):
        policies.list_policy_versions(env, root, policy_arn)
    with env.store.read() as tx:  # no document of a deleted version stays readable
        assert [version for version in tx.versions(policy_id) if version.document] == []


def test_versions_pagination(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    policy_arn = policies.create_policy(env, root, "P", LIST_USERS).policy.arn
    for _ in range(3):
        policies.create_policy_version(env, root, policy_arn, GET_USER)
    first = policies.list_policy_versions(env, root, policy_arn, max_items_=3)
    rest = policies.list_policy_versions(env, root, policy_arn, first.marker, 3)
    assert [v.version.version_id for v in first.items + rest.items] == ["v4", "v3", "v2", "v1"]
    assert first.is_truncated
    assert not rest.is_truncated


def test_new_default_version_applies_at_once(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    callers.user("bob")
    policy_arn = policies.create_policy(env, root, "P", LIST_USERS).policy.arn
    users.attach_user_policy(env, root, "bob", policy_arn)
    assert users.list_users(env, callers.user("bob")).items
    policies.create_policy_version(env, root, policy_arn, GET_USER, set_as_default=True)
    with pytest.raises(errors.AccessDenied):
        users.list_users(env, callers.user("bob"))
    assert users.get_user(env, callers.user("bob"), "bob").user is not None
    policies.set_default_policy_version(env, root, policy_arn, "v1")
    assert users.list_users(env, callers.user("bob")).items


# -- in use: attachments and boundaries ---------------------------------------------------------
def test_counts_and_delete_conflicts(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    callers.user("bob")
    users.create_user(env, root, "carol")
    policy_arn = policies.create_policy(env, root, "P", LIST_USERS).policy.arn
    users.attach_user_policy(env, root, "bob", policy_arn)
    users.put_user_permissions_boundary(env, root, "carol", policy_arn)
    got = policies.get_policy(env, root, policy_arn)
    assert (got.attachment_count, got.boundary_usage_count) == (1, 1)
    with pytest.raises(errors.DeleteConflict) as attached:
        policies.delete_policy(env, root, policy_arn)
    assert attached.value.message == "Cannot delete a policy attached to entities."
    users.detach_user_policy(env, root, "bob", policy_arn)
    with pytest.raises(errors.DeleteConflict, match="attached to entities"):
        policies.delete_policy(env, root, policy_arn)  # still carol's boundary
    users.delete_user_permissions_boundary(env, root, "carol")
    policies.delete_policy(env, root, policy_arn)


def test_list_entities_for_policy(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    policy_arn = policies.create_policy(env, root, "P", LIST_USERS).policy.arn
    for name in ("zed", "amy"):
        users.create_user(env, root, name)
        users.attach_user_policy(env, root, name, policy_arn)
    users.create_user(env, root, "bo", "/edge/")
    users.put_user_permissions_boundary(env, root, "bo", policy_arn)
    add_group_and_role(callers, policy_arn, boundary=policy_arn)

    def listed(**filters: Any) -> list[tuple[str, str]]:
        page = policies.list_entities_for_policy(env, root, policy_arn, **filters)
        return [(item.kind.value, item.name) for item in page.items]

    assert listed() == [
        ("group", "devs"), ("user", "amy"), ("user", "bo"), ("user", "zed"), ("role", "runner")
    ]
    assert listed(entity_filter="User") == [("user", "amy"), ("user", "bo"), ("user", "zed")]
    assert listed(policy_usage_filter="PermissionsBoundary") == [("user", "bo"), ("role", "runner")]
    assert listed(policy_usage_filter="PermissionsPolicy", entity_filter="Role") == [
        ("role", "runner")
    ]
    assert listed(path_prefix="/team/") == [("group", "devs")]
    assert listed(entity_filter="LocalManagedPolicy") == listed()
    assert listed(entity_filter="AWSManagedPolicy") == []
    first = policies.list_entities_for_policy(env, root, policy_arn, max_items_=2)
    rest = policies.list_entities_for_policy(env, root, policy_arn, marker=first.marker)
    assert [item.name for item in first.items + rest.items] == [
        "devs", "amy", "bo", "zed", "runner"
    ]
    assert first.items[0].id == "AGPAGROUP0000000001"


# -- AWS managed policies -------------------------------------------------------------------
def test_aws_managed_policies_are_readable(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    callers.user("bob")
    users.attach_user_policy(env, root, "bob", LAMBDA_BASIC)
    got = policies.get_policy(env, root, LAMBDA_BASIC)
    assert got.policy.is_aws_managed
    assert got.policy.path == "/service-role/"
    assert (got.attachment_count, got.tags) == (1, [])
    versions = policies.list_policy_versions(env, root, LAMBDA_BASIC).items
    assert [(v.version.version_id, v.is_default) for v in versions] == [
        (got.policy.default_version_id, True)
    ]
    version = policies.get_policy_version(env, root, LAMBDA_BASIC, got.policy.default_version_id)
    assert "logs:CreateLogGroup" in version.version.document
    assert policies.list_policy_tags(env, root, LAMBDA_BASIC).items == []
    entities = policies.list_entities_for_policy(env, root, LAMBDA_BASIC).items
    assert [(e.kind, e.name) for e in entities] == [(PrincipalKind.USER, "bob")]
    assert policies.list_entities_for_policy(
        env, root, LAMBDA_BASIC, entity_filter="AWSManagedPolicy"
    ).items == entities
    reader = user_allowed(callers, "reader", allow("iam:GetPolicy"))
    assert policies.get_policy(env, reader, ADMIN).policy.name == "AdministratorAccess"
    with pytest.raises(errors.NoSuchEntity):
        policies.get_policy(env, root, "arn:aws:iam::aws:policy/NoSuchThing")


@pytest.mark.parametrize(
    ("operation", "arguments"),
    [
        (policies.delete_policy, ()),
        (policies.create_policy_version, (LIST_USERS, True)),
        (policies.set_default_policy_version, ("v1",)),
        (policies.delete_policy_version, ("v1",)),
        (policies.tag_policy, ([{"Key": "k", "Value": "v"}],)),
        (policies.untag_policy, (["k"],)),
    ],
)
def test_aws_managed_policies_are_never_modified(
    callers: Callers, operation: Any, arguments: tuple[Any, ...]
) -> None:
    with pytest.raises(errors.AccessDenied, match="on resource: arn:aws:iam::aws:policy/Admin"):
        operation(callers.env, callers.root(), ADMIN, *arguments)
    assert policies.get_policy(callers.env, callers.root(), ADMIN).policy.default_version_id


def test_other_accounts_policies_are_out_of_reach(callers: Callers) -> None:
    other = "arn:aws:iam::210987654321:policy/Theirs"
    with pytest.raises(errors.AccessDenied):
        policies.get_policy(callers.env, callers.root(), other)
    with pytest.raises(errors.AccessDenied):
        policies.delete_policy(callers.env, callers.root(), other)


# -- listing ----------------------------------------------------------------------------------
def test_list_policies_scopes_and_filters(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "bob")
    for name, path in (("Beta", "/"), ("alpha", "/team/"), ("Gamma", "/")):
        policies.create_policy(env, root, name, LIST_USERS, path, description="d")
    users.attach_user_policy(env, root, "bob", arn("alpha", "/team/"))
    users.attach_user_policy(env, root, "bob", ADMIN)
    users.put_user_permissions_boundary(env, root, "bob", arn("Gamma"))

    def names(**filters: Any) -> list[str]:
        return [view.policy.name for view in policies.list_policies(env, root, **filters).items]

    assert names(scope="Local") == ["alpha", "Beta", "Gamma"]
    assert names(scope="Local", path_prefix="/team/") == ["alpha"]
    assert names(only_attached=True) == ["AdministratorAccess", "alpha", "Gamma"]
    assert names(policy_usage_filter="PermissionsPolicy") == ["AdministratorAccess", "alpha"]
    assert names(scope="Local", policy_usage_filter="PermissionsBoundary") == ["Gamma"]
    assert names(scope="AWS", only_attached=True) == ["AdministratorAccess"]
    aws_only = names(scope="AWS", max_items_=1000)
    assert len(aws_only) == len(env.aws_policies)
    assert "alpha" not in aws_only
    admin = next(v for v in policies.list_policies(env, root, "AWS").items
                 if v.policy.arn == ADMIN)
    assert admin.attachment_count == 1
    gamma = policies.list_policies(env, root, "Local", policy_usage_filter="PermissionsBoundary")
    assert gamma.items[0].boundary_usage_count == 1


def test_list_policies_pages_through_both_kinds(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    policies.create_policy(env, root, "AdministratorAccess", LIST_USERS)  # same name as AWS's
    policies.create_policy(env, root, "mine", LIST_USERS)
    full = policies.list_policies(env, root, max_items_=1000)
    everything = [view.policy.arn for view in full.items]
    assert len(everything) == len(set(everything)) == len(env.aws_policies) + 2
    assert everything.index(ADMIN) + 1 == everything.index(arn("AdministratorAccess"))
    names = [arn_.rsplit("/", 1)[1].lower() for arn_ in everything]
    assert names == sorted(names)
    # Pages that end between the two policies named AdministratorAccess lose neither.
    size = everything.index(ADMIN) + 1
    seen: list[str] = []
    marker = None
    while True:
        page = policies.list_policies(env, root, marker=marker, max_items_=size)
        seen += [view.policy.arn for view in page.items]
        if not page.is_truncated:
            break
        marker = page.marker
    assert seen == everything


# -- tags -------------------------------------------------------------------------------------
def test_tags(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    policy_arn = policies.create_policy(env, root, "P", LIST_USERS).policy.arn
    policies.tag_policy(env, root, policy_arn, [{"Key": "a", "Value": "1"},
                                                {"Key": "b", "Value": "2"}])
    policies.tag_policy(env, root, policy_arn, [{"Key": "A", "Value": "3"}])
    first = policies.list_policy_tags(env, root, policy_arn, max_items_=1)
    rest = policies.list_policy_tags(env, root, policy_arn, first.marker)
    assert [(t.key, t.value) for t in first.items + rest.items] == [("A", "3"), ("b", "2")]
    policies.untag_policy(env, root, policy_arn, ["B"])
    assert [t.key for t in policies.get_policy(env, root, policy_arn).tags] == ["A"]
    with pytest.raises(errors.NoSuchEntity):
        policies.tag_policy(env, root, arn("Nope"), [{"Key": "a", "Value": "1"}])
    with pytest.raises(errors.InvalidInput, match="reserved prefix"):
        policies.tag_policy(env, root, policy_arn, [{"Key": "aws:x", "Value": "1"}])


# -- authorization ----------------------------------------------------------------------------
def test_denied_without_revealing_existence(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    policies.create_policy(env, root, "Real", LIST_USERS)
    bob = callers.user("bob")
    for target in (arn("Real"), arn("Imaginary")):
        with pytest.raises(errors.AccessDenied) as denied:
            policies.get_policy(env, bob, target)
        assert denied.value.message == (
            f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: iam:GetPolicy "
            f"on resource: {target} because no identity-based policy allows the iam:GetPolicy "
            "action"
        )
    with pytest.raises(errors.AccessDenied, match=f"on resource: arn:aws:iam::{ACCOUNT}:policy/"):
        policies.list_policies(env, bob)
    with pytest.raises(errors.AccessDenied):
        policies.create_policy(env, bob, "Mine", LIST_USERS)


def test_allow_on_one_policy_arn(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    for name in ("Mine", "Other"):
        policies.create_policy(env, root, name, LIST_USERS, "/app/")
    caller = user_allowed(
        callers, "dev",
        allow("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/app/Mine"),
        allow("iam:ListPolicies", f"arn:aws:iam::{ACCOUNT}:policy/app/*"),
    )
    made = policies.create_policy_version(env, caller, arn("Mine", "/app/"), GET_USER)
    assert made.version.version_id == "v2"
    with pytest.raises(errors.AccessDenied):
        policies.create_policy_version(env, caller, arn("Other", "/app/"), GET_USER)
    assert len(policies.list_policies(env, caller, "Local", path_prefix="/app/").items) == 2
    with pytest.raises(errors.AccessDenied):
        policies.list_policies(env, caller)


def test_tag_conditions(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    policies.create_policy(env, root, "Ours", LIST_USERS, tags=[{"Key": "team", "Value": "a"}])
    policies.create_policy(env, root, "Theirs", LIST_USERS, tags=[{"Key": "team", "Value": "b"}])
    caller = user_allowed(
        callers, "dev",
        allow("iam:GetPolicy", StringEquals={"aws:ResourceTag/team": "a"}),
        allow("iam:CreatePolicy"),
        allow("iam:TagPolicy", StringEquals={"aws:RequestTag/team": "a"}),
    )
    assert policies.get_policy(env, caller, arn("Ours")).policy.name == "Ours"
    with pytest.raises(errors.AccessDenied):
        policies.get_policy(env, caller, arn("Theirs"))
    policies.create_policy(env, caller, "New", LIST_USERS, tags=[{"Key": "team", "Value": "a"}])
    with pytest.raises(errors.AccessDenied, match="iam:TagPolicy"):
        policies.create_policy(env, caller, "Newer", LIST_USERS,
                               tags=[{"Key": "team", "Value": "b"}])
    policies.tag_policy(env, caller, arn("Theirs"), [{"Key": "team", "Value": "a"}])
    assert policies.get_policy(env, caller, arn("Theirs")).tags[0].value == "a"


# -- the wire ---------------------------------------------------------------------------------
def round_trip(callers: Callers, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """Run the adapter, serialize its result, and parse it back with botocore's own parser."""
    adapter = handler("iam", operation)
    assert adapter is not None
    body = serialize_result("iam", operation, adapter(callers.env, callers.root(), params), "r")
    model = botocore.session.get_session().get_service_model("iam")
    output = model.operation_model(operation).output_shape
    response = {"body": body, "status_code": 200, "headers": {}}
    parsed: dict[str, Any] = botocore.parsers.QueryParser().parse(response, output)
    return parsed


def test_adapters_on_the_wire(callers: Callers) -> None:
    created = round_trip(callers, "CreatePolicy", {
        "PolicyName": "P", "PolicyDocument": LIST_USERS, "Description": "d",
        "Tags": [{"Key": "k", "Value": "v"}],
    })["Policy"]
    assert (created["Arn"], created["DefaultVersionId"], created["IsAttachable"]) == (
        arn("P"), "v1", True
    )
    assert created["Tags"] == [{"Key": "k", "Value": "v"}]
    assert created["Description"] == "d"
    version = round_trip(callers, "GetPolicyVersion", {"PolicyArn": arn("P"), "VersionId": "v1"})
    assert json.loads(unquote(version["PolicyVersion"]["Document"])) == json.loads(LIST_USERS)
    listed = round_trip(callers, "ListPolicies", {"Scope": "Local"})
    assert listed["IsTruncated"] is False
    assert "Description" not in listed["Policies"][0]
    assert "Tags" not in listed["Policies"][0]
    users.create_user(callers.env, callers.root(), "bob")
    users.attach_user_policy(callers.env, callers.root(), "bob", arn("P"))
    entities = round_trip(callers, "ListEntitiesForPolicy", {"PolicyArn": arn("P")})
    assert entities["PolicyUsers"][0]["UserName"] == "bob"
    assert (entities["PolicyGroups"], entities["PolicyRoles"]) == ([], [])
    versions = round_trip(callers, "ListPolicyVersions", {"PolicyArn": arn("P")})["Versions"]
    assert versions[0]["IsDefaultVersion"]
    assert "Document" not in versions[0]
