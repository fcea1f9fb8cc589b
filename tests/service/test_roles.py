"""Roles and service-linked roles, as use cases and through the wire (botocore's own
serializer and parser around iamd's parse, adapter and serialize): the rules AWS applies."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any
from urllib.parse import unquote

import pytest
from botocore.parsers import QueryParser
from botocore.serialize import QuerySerializer

from iamd.domain import errors
from iamd.domain.quotas import Quotas
from iamd.protocol.models import service_model
from iamd.protocol.operations import handler
from iamd.protocol.parse import parse_query
from iamd.protocol.serialize import serialize_result
from iamd.service.context import Call, Env
from iamd.service.iam import roles, users

from .conftest import ACCOUNT, Callers

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole",
}]})
INLINE = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
EB = "elasticbeanstalk.amazonaws.com"


# -- helpers shared with test_instance_profiles ---------------------------------------------
def wire(env: Env, call: Call, operation: str, **params: Any) -> dict[str, Any]:
    """One call the way the server makes it: botocore serializes the request, iamd parses it,
    runs the adapter and writes the XML, and botocore parses the response."""
    model = service_model("iam").operation_model(operation)
    body = QuerySerializer().serialize_to_request(params, model)["body"]
    parsed = parse_query("iam", [(key, str(value)) for key, value in body.items()])
    adapter = handler("iam", operation)
    assert adapter is not None
    xml = serialize_result("iam", operation, adapter(env, call, parsed.params), "request-1")
    response = {"body": xml, "headers": {}, "status_code": 200}
    parsed_out: dict[str, Any] = QueryParser().parse(response, model.output_shape)
    parsed_out.pop("ResponseMetadata", None)
    return parsed_out


def grant(callers: Callers, user: str, *statements: dict[str, Any]) -> Call:
    """A call by ``user`` whose only (inline) policy holds ``statements``."""
    users.create_user(callers.env, callers.root(), user)
    document = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    users.put_user_policy(callers.env, callers.root(), user, "grant", document)
    return callers.user(user)


def allow(action: str | list[str], resource: str = "*", **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def role_arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT}:role{path}{name}"


# -- create, get, update, delete, list --------------------------------------------------------
def test_create_get_list_delete(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    made = roles.create_role(
        env, root, "app", TRUST, "/svc/", "the app", 7200, tags=[{"Key": "team", "Value": "a"}]
    )
    assert made.role.arn == role_arn("app", "/svc/")
    assert made.role.id.startswith("AROA")
    assert len(made.role.id) == 21
    assert (made.role.description, made.role.max_session_duration) == ("the app", 7200)
    got = roles.get_role(env, root, "APP")  # names are case-insensitive
    assert got.role == made.role
    assert [(t.key, t.value) for t in got.tags] == [("team", "a")]
    with pytest.raises(errors.EntityAlreadyExists, match=r"Role with name App already exists\."):
        roles.create_role(env, root, "App", TRUST)
    assert [r.name for r in roles.list_roles(env, root).items] == ["app"]
    assert roles.list_roles(env, root, path_prefix="/other/").items == []
    roles.delete_role(env, root, "app")
    with pytest.raises(errors.NoSuchEntity, match=r"The role with name app cannot be found\."):
        roles.get_role(env, root, "app")
    assert roles.create_role(env, root, "app", TRUST).tags == []  # tags went with the role


def test_default_max_session_duration_and_missing_role_errors(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    assert roles.create_role(env, root, "plain", TRUST).role.max_session_duration == 3600
    for operation in (roles.get_role, roles.delete_role, roles.list_role_tags):
        with pytest.raises(errors.NoSuchEntity, match="The role with name ghost cannot be"):
            operation(env, root, "ghost")


@pytest.mark.parametrize(
    ("document", "error", "message"),
    [
        (json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole", "Resource": "*"}]}),
         errors.MalformedPolicyDocument, "Resource"),
        (json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole"}]}),
         errors.MalformedPolicyDocument, "Principal"),
        ("{not json", errors.MalformedPolicyDocument, "JSON"),
        (json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": [role_arn(f"r{n:04}") for n in range(80)]},
            "Action": "sts:AssumeRole"}]}),
         errors.LimitExceeded, "Cannot exceed quota for ACLSizePerRole: 2048"),
    ],
    ids=["resource-in-trust-policy", "no-principal", "not-json", "too-large"],
)
def test_trust_policy_is_validated(
    callers: Callers, document: str, error: type[Exception], message: str
) -> None:
    env, root = callers.env, callers.root()
    with pytest.raises(error, match=message):
        roles.create_role(env, root, "bad", document)
    roles.create_role(env, root, "good", TRUST)
    with pytest.raises(error, match=message):
        roles.update_assume_role_policy(env, root, "good", document)
    assert roles.get_role(env, root, "good").role.assume_role_policy == TRUST
    with pytest.raises(errors.NoSuchEntity):
        roles.get_role(env, root, "bad")


def test_service_role_path_is_reserved(callers: Callers) -> None:
    with pytest.raises(errors.InvalidInput, match="Path prefix '/aws-service-role/' can only"):
        roles.create_role(callers.env, callers.root(), "fake", TRUST, f"/aws-service-role/{EB}/")


def test_roles_per_account_quota(callers: Callers) -> None:
    env = dataclasses.replace(callers.env, quotas=Quotas(roles_per_account=2))
    root = callers.root()
    roles.create_role(env, root, "one", TRUST)
    roles.create_service_linked_role(env, root, EB)
    for create in (lambda: roles.create_role(env, root, "three", TRUST),
                   lambda: roles.create_service_linked_role(env, root, "ecs.amazonaws.com")):
        with pytest.raises(errors.LimitExceeded, match="quota for RolesPerAccount: 2"):
            create()


def test_update_role_and_description_and_trust_policy(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    roles.create_role(env, root, "app", TRUST, description="old")
    roles.update_role(env, root, "app", max_session_duration=43200)
    assert roles.get_role(env, root, "app").role.description == "old"  # untouched
    roles.update_role(env, root, "app", description="new")
    role = roles.get_role(env, root, "app").role
    assert (role.description, role.max_session_duration) == ("new", 43200)
    updated = roles.update_role_description(env, root, "app", "newest")
    assert updated.role.description == "newest" == roles.get_role(env, root, "app").role.description
    other = TRUST.replace("ec2", "lambda")
    roles.update_assume_role_policy(env, root, "app", other)
    assert roles.get_role(env, root, "app").role.assume_role_policy == other
    with pytest.raises(errors.NoSuchEntity):
        roles.update_role(env, root, "ghost", description="x")


def test_delete_refuses_while_policies_remain(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    roles.create_role(env, root, "app", TRUST)
    roles.put_role_policy(env, root, "app", "inline", INLINE)
    with pytest.raises(errors.DeleteConflict, match="Cannot delete entity, must delete policies"):
        roles.delete_role(env, root, "app")
    roles.delete_role_policy(env, root, "app", "inline")
    roles.attach_role_policy(env, root, "app", READ_ONLY)
    with pytest.raises(errors.DeleteConflict, match="must detach all policies first"):
        roles.delete_role(env, root, "app")
    roles.detach_role_policy(env, root, "app", READ_ONLY)
    roles.delete_role(env, root, "app")
    assert roles.list_roles(env, root).items == []


def test_list_roles_pagination(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    for index in range(5):
        roles.create_role(env, root, f"r{index}", TRUST)
    first = roles.list_roles(env, root, max_items_=2)
    assert [r.name for r in first.items] == ["r0", "r1"]
    assert first.is_truncated
    second = roles.list_roles(env, root, marker=first.marker, max_items_=2)
    third = roles.list_roles(env, root, marker=second.marker, max_items_=2)
    assert [r.name for r in second.items + third.items] == ["r2", "r3", "r4"]
    assert not third.is_truncated


# -- tags ------------------------------------------------------------------------------------
def test_tags(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    roles.create_role(env, root, "app", TRUST, tags=[{"Key": "a", "Value": "1"}])
    roles.tag_role(env, root, "app", [{"Key": "b", "Value": "2"}, {"Key": "A", "Value": "3"}])
    page = roles.list_role_tags(env, root, "app", max_items_=1)
    assert page.is_truncated
    assert len(page.items) == 1
    rest = roles.list_role_tags(env, root, "app", marker=page.marker)
    assert {(t.key.lower(), t.value) for t in page.items + rest.items} == {("a", "3"), ("b", "2")}
    roles.untag_role(env, root, "app", ["b"])
    assert [t.key.lower() for t in roles.list_role_tags(env, root, "app").items] == ["a"]
    with pytest.raises(errors.InvalidInput, match="reserved prefix"):
        roles.tag_role(env, root, "app", [{"Key": "aws:x", "Value": "1"}])
    many = [{"Key": f"k{n}", "Value": ""} for n in range(50)]
    with pytest.raises(errors.LimitExceeded, match="maximum limit of 50"):
        roles.tag_role(env, root, "app", many)
    with pytest.raises(errors.NoSuchEntity):
        roles.tag_role(env, root, "ghost", [{"Key": "a", "Value": "1"}])


# -- inline and attached policies, boundary ---------------------------------------------------
def test_inline_policies(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    roles.create_role(env, root, "app", TRUST)
    roles.put_role_policy(env, root, "app", "read", INLINE)
    roles.put_role_policy(env, root, "app", "write", INLINE.replace("Get", "Put"))
    assert roles.get_role_policy(env, root, "app", "READ").document == INLINE
    names = roles.list_role_policies(env, root, "app", max_items_=1)
    assert names.items == ["read"]
    assert names.is_truncated
    assert roles.list_role_policies(env, root, "app", marker=names.marker).items == ["write"]
    roles.delete_role_policy(env, root, "app", "read")
    with pytest.raises(errors.NoSuchEntity, match="The role policy with name read cannot be"):
        roles.get_role_policy(env, root, "app", "read")
    with pytest.raises(errors.NoSuchEntity):
        roles.delete_role_policy(env, root, "app", "read")
    with pytest.raises(errors.MalformedPolicyDocument):
        roles.put_role_policy(env, root, "app", "trust", TRUST)  # a Principal: not identity
    big = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{'b' * 3000}"}]})
    for index in range(3):
        roles.put_role_policy(env, root, "app", f"big{index}", big)
    with pytest.raises(errors.LimitExceeded, match="RolePolicySize"):
        roles.put_role_policy(env, root, "app", "big3", big)


def test_attached_policies(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    roles.create_role(env, root, "app", TRUST)
    roles.attach_role_policy(env, root, "app", READ_ONLY)
    roles.attach_role_policy(env, root, "app", READ_ONLY)  # attaching twice is a no-op
    lambda_basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    roles.attach_role_policy(env, root, "app", lambda_basic)
    page = roles.list_attached_role_policies(env, root, "app")
    assert [p.arn for p in page.items] == [lambda_basic, READ_ONLY]
    only = roles.list_attached_role_policies(env, root, "app", path_prefix="/service-role/")
    assert [p.name for p in only.items] == ["AWSLambdaBasicExecutionRole"]
    roles.detach_role_policy(env, root, "app", READ_ONLY)
    with pytest.raises(errors.NoSuchEntity, match="was not found"):
        roles.detach_role_policy(env, root, "app", READ_ONLY)
    with pytest.raises(errors.NoSuchEntity, match="does not exist or is not attachable"):
        roles.attach_role_policy(env, root, "app", "arn:aws:iam::aws:policy/NoSuchPolicy")


def test_attached_policies_quota(callers: Callers) -> None:
    env = dataclasses.replace(callers.env, quotas=Quotas(managed_policies_per_principal=1))
    root = callers.root()
    roles.create_role(env, root, "app", TRUST)
    roles.attach_role_policy(env, root, "app", READ_ONLY)
    with pytest.raises(errors.LimitExceeded, match="Cannot exceed quota for PoliciesPerRole: 1"):
        roles.attach_role_policy(env, root, "app", "arn:aws:iam::aws:policy/ReadOnlyAccess")


def test_permissions_boundary(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    with pytest.raises(errors.NoSuchEntity, match="does not exist or is not attachable"):
        roles.create_role(env, root, "app", TRUST, permissions_boundary=READ_ONLY + "X")
    made = roles.create_role(env, root, "app", TRUST, permissions_boundary=READ_ONLY)
    assert made.role.permissions_boundary == READ_ONLY
    roles.delete_role_permissions_boundary(env, root, "app")
    assert roles.get_role(env, root, "app").role.permissions_boundary is None
    roles.put_role_permissions_boundary(env, root, "app", READ_ONLY)
    assert roles.get_role(env, root, "app").role.permissions_boundary == READ_ONLY
    with pytest.raises(errors.InvalidInput, match="is not valid"):
        roles.put_role_permissions_boundary(env, root, "app", "arn:aws:s3:::bucket-thing")


# -- authorization ---------------------------------------------------------------------------
def test_denied_without_permission_on_path_less_or_real_arn(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    roles.create_role(env, root, "app", TRUST, "/svc/")
    bob = callers.user("bob")
    with pytest.raises(errors.AccessDenied) as denied:
        roles.get_role(env, bob, "app")
    assert f"perform: iam:GetRole on resource: {role_arn('app', '/svc/')} because" in str(
        denied.value)
    with pytest.raises(errors.AccessDenied) as denied:
        roles.get_role(env, bob, "ghost")  # denied before revealing that it does not exist
    assert f"on resource: {role_arn('ghost')} because" in str(denied.value)


def test_allow_on_a_specific_role_arn(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    roles.create_role(env, root, "app", TRUST, "/svc/")
    roles.create_role(env, root, "other", TRUST)
    carol = grant(callers, "carol", allow(
        ["iam:GetRole", "iam:PutRolePolicy", "iam:AttachRolePolicy"], role_arn("*", "/svc/")))
    assert roles.get_role(env, carol, "app").role.name == "app"
    roles.put_role_policy(env, carol, "app", "p", INLINE)
    with pytest.raises(errors.AccessDenied):
        roles.get_role(env, carol, "other")
    with pytest.raises(errors.AccessDenied):
        roles.delete_role(env, carol, "app")
    with pytest.raises(errors.AccessDenied, match=f"on resource: {role_arn('ghost')} "):
        roles.get_role(env, carol, "ghost")
    dave = grant(callers, "dave", allow("iam:GetRole"))
    with pytest.raises(errors.NoSuchEntity):
        roles.get_role(env, dave, "ghost")


def test_resource_tag_and_policy_arn_conditions(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    roles.create_role(env, root, "mine", TRUST, tags=[{"Key": "owner", "Value": "erin"}])
    roles.create_role(env, root, "theirs", TRUST, tags=[{"Key": "owner", "Value": "x"}])
    erin = grant(
        callers, "erin",
        allow(["iam:UpdateRole", "iam:TagRole"], StringEquals={
            "aws:ResourceTag/owner": "${aws:username}"}),
        allow("iam:AttachRolePolicy", ArnEquals={"iam:PolicyARN": READ_ONLY}),
    )
    roles.update_role(env, erin, "mine", description="ok")
    with pytest.raises(errors.AccessDenied):
        roles.update_role(env, erin, "theirs", description="no")
    roles.attach_role_policy(env, erin, "theirs", READ_ONLY)
    with pytest.raises(errors.AccessDenied):
        roles.attach_role_policy(env, erin, "theirs", "arn:aws:iam::aws:policy/ReadOnlyAccess")


def test_create_with_tags_needs_tag_role_and_request_tag_conditions(callers: Callers) -> None:
    env = callers.env
    frank = grant(callers, "frank", allow("iam:CreateRole", StringEquals={
        "aws:RequestTag/team": "red"}))
    with pytest.raises(errors.AccessDenied, match="iam:TagRole"):
        roles.create_role(env, frank, "a", TRUST, tags=[{"Key": "team", "Value": "red"}])
    frank = grant(callers, "frank2", allow(["iam:CreateRole", "iam:TagRole"], StringEquals={
        "aws:RequestTag/team": "red"}))
    roles.create_role(env, frank, "a", TRUST, tags=[{"Key": "team", "Value": "red"}])
    with pytest.raises(errors.AccessDenied, match="iam:CreateRole"):
        roles.create_role(env, frank, "b", TRUST, tags=[{"Key": "team", "Value": "blue"}])


def test_boundary_condition_on_create_and_put(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    gina = grant(callers, "gina", allow(
        ["iam:CreateRole", "iam:PutRolePermissionsBoundary"],
        StringEquals={"iam:PermissionsBoundary": READ_ONLY}))
    with pytest.raises(errors.AccessDenied):
        roles.create_role(env, gina, "free", TRUST)
    roles.create_role(env, gina, "bounded", TRUST, permissions_boundary=READ_ONLY)
    roles.create_role(env, root, "loose", TRUST)
    roles.put_role_permissions_boundary(env, gina, "loose", READ_ONLY)
    with pytest.raises(errors.AccessDenied):
        roles.put_role_permissions_boundary(
            env, gina, "loose", "arn:aws:iam::aws:policy/ReadOnlyAccess")


# -- service-linked roles --------------------------------------------------------------------
def test_create_service_linked_role(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    made = roles.create_service_linked_role(env, root, EB, "beanstalk's role")
    role = made.role
    assert role.name == "AWSServiceRoleForElasticBeanstalk"
    assert role.arn == role_arn(role.name, f"/aws-service-role/{EB}/")
    assert role.description == "beanstalk's role"
    trust = json.loads(role.assume_role_policy)
    assert trust["Statement"] == [{"Effect": "Allow", "Principal": {"Service": EB},
                                   "Action": "sts:AssumeRole"}]
    with pytest.raises(errors.InvalidInput, match=re.escape(
            "Service role name AWSServiceRoleForElasticBeanstalk has been taken in this account, "
            "please try a different suffix.")):
        roles.create_service_linked_role(env, root, EB)
    suffixed = roles.create_service_linked_role(env, root, "autoscaling.amazonaws.com",
                                                custom_suffix="web")
    assert suffixed.role.name == "AWSServiceRoleForAutoScaling_web"
    other = roles.create_service_linked_role(env, root, "my-thing.amazonaws.com")
    assert other.role.name == "AWSServiceRoleForMyThing"


@pytest.mark.parametrize("service", ["elasticbeanstalk", "example.com", "x.amazonaws.com.evil"])
def test_service_linked_role_needs_a_service_principal(callers: Callers, service: str) -> None:
    with pytest.raises(errors.InvalidInput, match="Invalid service name"):
        roles.create_service_linked_role(callers.env, callers.root(), service)


def test_service_linked_role_name_too_long(callers: Callers) -> None:
    with pytest.raises(errors.InvalidInput, match="longer than 64"):
        roles.create_service_linked_role(callers.env, callers.root(), EB, custom_suffix="s" * 40)


def test_service_linked_role_is_protected(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    name = roles.create_service_linked_role(env, root, EB).role.name
    protected = f"Cannot perform the operation on the protected role '{name}' - this role is " \
                "only modifiable by AWS"
    changes = [
        lambda: roles.delete_role(env, root, name),
        lambda: roles.update_assume_role_policy(env, root, name, TRUST),
        lambda: roles.put_role_policy(env, root, name, "p", INLINE),
        lambda: roles.delete_role_policy(env, root, name, "p"),
        lambda: roles.attach_role_policy(env, root, name, READ_ONLY),
        lambda: roles.detach_role_policy(env, root, name, READ_ONLY),
        lambda: roles.put_role_permissions_boundary(env, root, name, READ_ONLY),
        lambda: roles.delete_role_permissions_boundary(env, root, name),
        lambda: roles.update_role(env, root, name, max_session_duration=7200),
    ]
    for change in changes:
        with pytest.raises(errors.UnmodifiableEntity) as refused:
            change()
        assert refused.value.message == protected
    roles.update_role(env, root, name, description="d1")
    roles.update_role_description(env, root, name, "d2")
    roles.tag_role(env, root, name, [{"Key": "k", "Value": "v"}])
    roles.untag_role(env, root, name, ["k"])
    got = roles.get_role(env, root, name)
    assert (got.role.description, list(got.tags)) == ("d2", [])
    assert got.role.max_session_duration == 3600


def test_delete_service_linked_role_and_deletion_status(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    name = roles.create_service_linked_role(env, root, EB).role.name
    roles.create_role(env, root, "ordinary", TRUST)
    with pytest.raises(errors.InvalidInput, match="not a service-linked role"):
        roles.delete_service_linked_role(env, root, "ordinary")
    with pytest.raises(errors.NoSuchEntity, match="The role with name ghost cannot be found"):
        roles.delete_service_linked_role(env, root, "ghost")
    task = roles.delete_service_linked_role(env, root, name)
    prefix = f"task/aws-service-role/{EB}/{name}/"
    assert task.startswith(prefix)
    assert len(task) == len(prefix) + 36
    with pytest.raises(errors.NoSuchEntity):
        roles.get_role(env, root, name)
    assert roles.get_service_linked_role_deletion_status(env, root, task) == "SUCCEEDED"
    # a new role of the same name does not bring the finished task back to life
    recreated = roles.create_service_linked_role(env, root, EB).role
    assert roles.get_service_linked_role_deletion_status(env, root, task) == "SUCCEEDED"
    # a task id that names the live role was never issued for it
    with pytest.raises(errors.NoSuchEntity, match="cannot be found"):
        roles.get_service_linked_role_deletion_status(env, root, roles.deletion_task_id(recreated))
    for bad in ("task-1", f"task/aws-service-role/{EB}/{name}/not-a-uuid"):
        with pytest.raises(errors.InvalidInput, match="Invalid deletion task id"):
            roles.get_service_linked_role_deletion_status(env, root, bad)


def test_service_linked_role_authorization(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    hank = grant(
        callers, "hank",
        allow("iam:CreateServiceLinkedRole", StringEquals={"iam:AWSServiceName": EB}),
        allow(["iam:DeleteServiceLinkedRole", "iam:GetServiceLinkedRoleDeletionStatus"],
              role_arn("*", f"/aws-service-role/{EB}/")),
    )
    name = roles.create_service_linked_role(env, hank, EB).role.name
    with pytest.raises(errors.AccessDenied, match="iam:CreateServiceLinkedRole"):
        roles.create_service_linked_role(env, hank, "ecs.amazonaws.com")
    ecs = roles.create_service_linked_role(env, root, "ecs.amazonaws.com").role.name
    with pytest.raises(errors.AccessDenied, match="iam:DeleteServiceLinkedRole"):
        roles.delete_service_linked_role(env, hank, ecs)
    task = roles.delete_service_linked_role(env, hank, name)
    assert roles.get_service_linked_role_deletion_status(env, hank, task) == "SUCCEEDED"
    ecs_task = roles.delete_service_linked_role(env, root, ecs)
    with pytest.raises(errors.AccessDenied, match="iam:GetServiceLinkedRoleDeletionStatus"):
        roles.get_service_linked_role_deletion_status(env, hank, ecs_task)


# -- through the wire ------------------------------------------------------------------------
def test_wire_create_get_list(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    created = wire(env, root, "CreateRole", RoleName="app", AssumeRolePolicyDocument=TRUST,
                   Path="/svc/", MaxSessionDuration=7200, PermissionsBoundary=READ_ONLY,
                   Tags=[{"Key": "k", "Value": "v"}])["Role"]
    assert created["Arn"] == role_arn("app", "/svc/")
    assert created["MaxSessionDuration"] == 7200
    assert unquote(created["AssumeRolePolicyDocument"]) == TRUST
    assert created["Tags"] == [{"Key": "k", "Value": "v"}]
    assert "RoleLastUsed" not in created
    got = wire(env, root, "GetRole", RoleName="app")["Role"]
    assert unquote(got["AssumeRolePolicyDocument"]) == TRUST
    assert got["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": READ_ONLY}
    assert got["RoleLastUsed"] == {}
    assert got["RoleId"] == created["RoleId"]
    listed = wire(env, root, "ListRoles", MaxItems=1)
    assert listed["IsTruncated"] is False
    assert len(listed["Roles"]) == 1
    assert not {"Tags", "PermissionsBoundary", "RoleLastUsed"} & set(listed["Roles"][0])
    assert unquote(listed["Roles"][0]["AssumeRolePolicyDocument"]) == TRUST


def test_wire_updates_policies_and_errors(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    wire(env, root, "CreateRole", RoleName="app", AssumeRolePolicyDocument=TRUST)
    assert wire(env, root, "UpdateRole", RoleName="app", MaxSessionDuration=10800) == {}
    described = wire(env, root, "UpdateRoleDescription", RoleName="app", Description="d")
    assert described["Role"]["Description"] == "d"
    assert described["Role"]["MaxSessionDuration"] == 10800
    wire(env, root, "PutRolePolicy", RoleName="app", PolicyName="p", PolicyDocument=INLINE)
    policy = wire(env, root, "GetRolePolicy", RoleName="app", PolicyName="p")
    assert (policy["RoleName"], unquote(policy["PolicyDocument"])) == ("app", INLINE)
    assert wire(env, root, "ListRolePolicies", RoleName="app")["PolicyNames"] == ["p"]
    wire(env, root, "AttachRolePolicy", RoleName="app", PolicyArn=READ_ONLY)
    attached = wire(env, root, "ListAttachedRolePolicies", RoleName="app")["AttachedPolicies"]
    assert attached == [{"PolicyName": "IAMReadOnlyAccess", "PolicyArn": READ_ONLY}]
    wire(env, root, "TagRole", RoleName="app", Tags=[{"Key": "a", "Value": "b"}])
    assert wire(env, root, "ListRoleTags", RoleName="app")["Tags"] == [{"Key": "a", "Value": "b"}]
    with pytest.raises(errors.DeleteConflict):
        wire(env, root, "DeleteRole", RoleName="app")
    with pytest.raises(errors.ValidationError, match="43201"):
        wire(env, root, "UpdateRole", RoleName="app", MaxSessionDuration=43201)


def test_wire_service_linked_role_cycle(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    role = wire(env, root, "CreateServiceLinkedRole", AWSServiceName=EB)["Role"]
    assert role["Path"] == f"/aws-service-role/{EB}/"
    assert json.loads(unquote(role["AssumeRolePolicyDocument"]))["Statement"][0]["Principal"] == {
        "Service": EB}
    task = wire(env, root, "DeleteServiceLinkedRole", RoleName=role["RoleName"])
    status = wire(env, root, "GetServiceLinkedRoleDeletionStatus",
                  DeletionTaskId=task["DeletionTaskId"])
    assert status == {"Status": "SUCCEEDED"}
