"""The shipped catalogue of AWS managed policies: complete, consistent, and valid for the engine."""

from __future__ import annotations

import json
import re
from datetime import UTC

import pytest

from iamd.policy import (
    Outcome,
    PolicyKind,
    PolicySet,
    PolicyValidationError,
    Principal,
    PrincipalType,
    Request,
    evaluate,
    parse_policy,
)
from iamd.storage.aws_managed import AwsManagedPolicy, aws_managed_policies, catalogue_source

ACCOUNT = "123456789012"
AWS_POLICY = "arn:aws:iam::aws:policy/"
REQUIRED = (
    "AdministratorAccess", "PowerUserAccess", "IAMFullAccess", "IAMReadOnlyAccess",
    "IAMUserChangePassword", "ReadOnlyAccess",
)
WIDELY_USED = (
    "AmazonS3FullAccess", "AmazonS3ReadOnlyAccess", "AmazonEC2FullAccess",
    "AmazonEC2ReadOnlyAccess", "job-function/ViewOnlyAccess", "SecurityAudit",
    "job-function/SystemAdministrator", "job-function/Billing", "AmazonDynamoDBFullAccess",
    "AmazonSQSFullAccess", "AmazonSNSFullAccess", "CloudWatchFullAccess",
    "AWSCloudTrail_ReadOnlyAccess", "AmazonEC2ContainerRegistryReadOnly", "AWSSupportAccess",
    "AmazonSSMManagedInstanceCore", "service-role/AWSLambdaBasicExecutionRole",
    "service-role/AWSLambdaVPCAccessExecutionRole", "AWSLambdaExecute",
    "IAMSelfManageServiceSpecificCredentials",
)
CATALOGUE = aws_managed_policies()


def policy(name: str) -> AwsManagedPolicy:
    return CATALOGUE[AWS_POLICY + name]


def decide(name: str, user: str, action: str, resource: str) -> Outcome:
    """The decision for IAM user ``user`` holding only the AWS managed policy ``name``."""
    parsed = parse_policy(policy(name).document, PolicyKind.IDENTITY, name=name, max_size=None)
    request = Request(
        principal=Principal(type=PrincipalType.USER, arn=f"arn:aws:iam::{ACCOUNT}:user/{user}"),
        action=action,
        resource=resource,
        context={"aws:username": user, "aws:PrincipalAccount": ACCOUNT},
    )
    return evaluate(request, PolicySet(identity=(parsed,))).outcome


def user_arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT}:user{path}{name}"


def test_required_and_widely_used_policies_are_present() -> None:
    missing = [name for name in REQUIRED + WIDELY_USED if AWS_POLICY + name not in CATALOGUE]
    assert missing == []
    assert len(CATALOGUE) >= len(REQUIRED) + len(WIDELY_USED)


def test_source_names_moto_and_its_version() -> None:
    assert re.match(r"moto \d+\.\d+\.\d+ ", catalogue_source())


def test_catalogue_is_loaded_once_and_read_only() -> None:
    assert aws_managed_policies() is CATALOGUE
    with pytest.raises(TypeError):
        CATALOGUE["arn:aws:iam::aws:policy/Forged"] = policy("AdministratorAccess")  # type: ignore[index]


@pytest.mark.parametrize("arn", sorted(CATALOGUE))
def test_entry_is_consistent(arn: str) -> None:
    entry = CATALOGUE[arn]
    assert arn == entry.arn == f"arn:aws:iam::aws:policy{entry.path}{entry.name}"
    assert re.fullmatch(r"/([\w+=,.@-]+/)*", entry.path)
    assert re.fullmatch(r"[\w+=,.@-]{1,128}", entry.name)
    assert re.fullmatch(r"v[1-9]\d*", entry.default_version_id)
    assert entry.create_date.tzinfo is UTC
    assert entry.update_date.tzinfo is UTC
    assert entry.create_date <= entry.update_date
    assert isinstance(entry.description, str)


@pytest.mark.parametrize("arn", sorted(CATALOGUE))
def test_document_is_compact_json_and_a_valid_identity_policy(arn: str) -> None:
    entry = CATALOGUE[arn]
    decoded = json.loads(entry.document)
    assert entry.document == json.dumps(decoded, separators=(",", ":"), ensure_ascii=False)
    assert decoded["Version"] == "2012-10-17"
    # AWS's own policies are exempt from the customer managed policy size limit (6,144).
    parsed = parse_policy(entry.document, PolicyKind.IDENTITY, name=entry.name, max_size=None)
    assert parsed is not None


def test_some_aws_documents_exceed_the_customer_size_limit() -> None:
    """Why the catalogue is parsed with ``max_size=None``: ReadOnlyAccess is ~95,000 chars."""
    with pytest.raises(PolicyValidationError):
        parse_policy(policy("ReadOnlyAccess").document, PolicyKind.IDENTITY)


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("iam:CreateUser", user_arn("new-user")),
        ("iam:DeleteAccountPasswordPolicy", "*"),
        ("s3:DeleteBucket", "arn:aws:s3:::any-bucket"),
        ("ec2:TerminateInstances", f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0123"),
    ],
)
def test_administrator_access_allows_everything(action: str, resource: str) -> None:
    assert decide("AdministratorAccess", "alice", action, resource) is Outcome.ALLOW


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("iam:GetUser", Outcome.ALLOW),
        ("iam:ListUsers", Outcome.ALLOW),
        ("iam:CreateUser", Outcome.IMPLICIT_DENY),
        ("iam:DeleteUser", Outcome.IMPLICIT_DENY),
        ("s3:GetObject", Outcome.IMPLICIT_DENY),
    ],
)
def test_iam_read_only_access_reads_but_does_not_write(action: str, expected: Outcome) -> None:
    assert decide("IAMReadOnlyAccess", "alice", action, user_arn("bob")) is expected


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (user_arn("alice"), Outcome.ALLOW),
        (user_arn("alice", "/engineering/"), Outcome.ALLOW),
        (user_arn("bob"), Outcome.IMPLICIT_DENY),
        (user_arn("alice-admin"), Outcome.IMPLICIT_DENY),
    ],
)
def test_iam_user_change_password_only_on_the_callers_own_user(
    resource: str, expected: Outcome
) -> None:
    assert decide("IAMUserChangePassword", "alice", "iam:ChangePassword", resource) is expected


def test_iam_user_change_password_allows_nothing_else_on_the_user() -> None:
    outcome = decide("IAMUserChangePassword", "alice", "iam:UpdateLoginProfile", user_arn("alice"))
    assert outcome is Outcome.IMPLICIT_DENY
