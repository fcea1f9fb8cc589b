"""Condition keys a live server sets for each request, as policies see them."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from .conftest import Account


def allow(condition: dict[str, object], action: str = "iam:ListUsers") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": "*", "Condition": condition}]})


def outcome(call: object) -> str:
    try:
        call()  # type: ignore[operator]
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return "ok"


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}, "ok"),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, "AccessDenied"),
        ({"Bool": {"aws:SecureTransport": "false"}}, "ok"),
        ({"Bool": {"aws:SecureTransport": "true"}}, "AccessDenied"),
        ({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, "ok"),
        ({"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, "AccessDenied"),
        ({"StringEquals": {"aws:PrincipalTag/team": "blue"}}, "ok"),
        ({"StringEquals": {"aws:PrincipalTag/team": "red"}}, "AccessDenied"),
        ({"StringEquals": {"aws:username": "ctx"}}, "ok"),
        ({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/ctx"}}, "ok"),
        ({"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}, "AccessDenied"),
    ],
)
def test_global_keys(account: Account, condition: dict[str, object], expected: str) -> None:
    account.iam.create_user(UserName="ctx", Tags=[{"Key": "team", "Value": "blue"}])
    account.iam.put_user_policy(UserName="ctx", PolicyName="p", PolicyDocument=allow(condition))
    key = account.iam.create_access_key(UserName="ctx")["AccessKey"]
    user = account.client(key["AccessKeyId"], key["SecretAccessKey"])
    assert outcome(user.list_users) == expected


def test_tag_and_resource_keys(account: Account) -> None:
    """aws:RequestTag/aws:TagKeys on tagging, aws:ResourceTag on the target, iam:PolicyARN on
    attaching: a delegated administrator limited by conditions, as AWS's examples do it."""
    iam = account.iam
    iam.create_user(UserName="teamlead")
    iam.put_user_policy(UserName="teamlead", PolicyName="delegated", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iam:TagUser", "Resource": "*",
             "Condition": {"StringEquals": {"aws:RequestTag/team": "blue"},
                           "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}},
            {"Effect": "Allow", "Action": "iam:DeleteUser", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/team": "blue"}}},
            {"Effect": "Allow", "Action": "iam:AttachUserPolicy", "Resource": "*",
             "Condition": {"ArnEquals": {
                 "iam:PolicyARN": "arn:aws:iam::aws:policy/IAMUserChangePassword"}}},
        ],
    }))
    key = iam.create_access_key(UserName="teamlead")["AccessKey"]
    lead = account.client(key["AccessKeyId"], key["SecretAccessKey"])
    iam.create_user(UserName="member")
    iam.create_user(UserName="outsider", Tags=[{"Key": "team", "Value": "red"}])

    assert outcome(lambda: lead.tag_user(UserName="member", Tags=[
        {"Key": "team", "Value": "red"}])) == "AccessDenied"
    assert outcome(lambda: lead.tag_user(UserName="member", Tags=[
        {"Key": "team", "Value": "blue"}, {"Key": "cost", "Value": "1"}])) == "AccessDenied"
    assert outcome(lambda: lead.tag_user(UserName="member", Tags=[
        {"Key": "team", "Value": "blue"}])) == "ok"
    assert outcome(lambda: lead.attach_user_policy(
        UserName="member", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )) == "AccessDenied"
    assert outcome(lambda: lead.attach_user_policy(
        UserName="member", PolicyArn="arn:aws:iam::aws:policy/IAMUserChangePassword"
    )) == "ok"
    assert outcome(lambda: lead.delete_user(UserName="outsider")) == "AccessDenied"
    iam.detach_user_policy(UserName="member",
                           PolicyArn="arn:aws:iam::aws:policy/IAMUserChangePassword")
    assert outcome(lambda: lead.delete_user(UserName="member")) == "ok"


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(account: Account) -> None:
    """aws:SourceIp is the socket peer: a client cannot choose it with X-Forwarded-For."""
    account.iam.create_user(UserName="spoof")
    account.iam.put_user_policy(UserName="spoof", PolicyName="p", PolicyDocument=allow(
        {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    key = account.iam.create_access_key(UserName="spoof")["AccessKey"]
    user = account.client(key["AccessKeyId"], key["SecretAccessKey"])

    def forwarded(request: object, **_: object) -> None:
        request.headers["X-Forwarded-For"] = "10.1.2.3"  # type: ignore[attr-defined]

    user.meta.events.register("before-sign.iam.ListUsers", forwarded)
    assert outcome(user.list_users) == "AccessDenied"
