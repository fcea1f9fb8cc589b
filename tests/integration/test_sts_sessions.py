"""GetSessionToken (with the "deny everything unless MFA" policy), GetFederationToken,
GetAccessKeyInfo and DecodeAuthorizationMessage on a live server, both backends, with boto3
and the aws CLI."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pyotp
from botocore.config import Config

from .conftest import Account, credentials_client, fails, new_account
from .test_temporary_credentials import ALLOW_ALL, aws_with_token, enable_device, user_keys

# AWS's documented policy (IAM User Guide, "Allows MFA-authenticated IAM users to manage
# their own MFA device"): deny everything but managing one's MFA unless MFA was used.
FORCE_MFA = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Sid": "DenyAllExceptListedIfNoMFA",
    "Effect": "Deny",
    "NotAction": [
        "iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser",
        "iam:ListMFADevices", "iam:ListVirtualMFADevices", "iam:ResyncMFADevice",
        "sts:GetSessionToken",
    ],
    "Resource": "*",
    "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
}]})
BAD_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code."
UNCHECKED = Config(retries={"max_attempts": 1, "mode": "standard"}, region_name="us-east-1",
                   parameter_validation=False)


def trusting_role(account: Account, name: str) -> str:
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account.id}:root"},
        "Action": "sts:AssumeRole"}]})
    return str(account.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
               ["Role"]["Arn"])


def code_at(seed: str, step: int) -> str:
    return pyotp.TOTP(seed).at(step * 30)


def test_deny_unless_mfa_blocks_keys_and_plain_sessions_and_codes_work_once(
    account: Account,
) -> None:
    key_id, secret = user_keys(account, "alice", ALLOW_ALL, FORCE_MFA)
    serial, seed = enable_device(account, "alice")
    step = int(time.time()) // 30  # the codes of this step and the next are unused
    role = trusting_role(account, "admin")
    iam, sts = account.client(key_id, secret), account.client(key_id, secret, "sts")

    # Long-term keys: aws:MultiFactorAuthPresent is absent, BoolIfExists matches, denied.
    message = fails("AccessDenied", iam.list_users)
    assert message.endswith("with an explicit deny in an identity-based policy")
    assert iam.get_user()["User"]["UserName"] == "alice"  # listed in NotAction
    fails("AccessDenied", sts.assume_role, RoleArn=role, RoleSessionName="ses")
    assert sts.get_caller_identity()["Arn"].endswith(":user/alice")

    # A session without MFA: IAM refuses its token; the policy denies what STS allows it.
    plain = sts.get_session_token()["Credentials"]
    fails("InvalidClientTokenId", credentials_client(account.server, plain).list_users)
    fails("AccessDenied", credentials_client(account.server, plain, "sts").assume_role,
          RoleArn=role, RoleSessionName="ses")

    # A session with a valid code: the deny no longer applies.
    code = code_at(seed, step)
    mfa = sts.get_session_token(SerialNumber=serial, TokenCode=code)["Credentials"]
    mfa_iam = credentials_client(account.server, mfa)
    names = [user["UserName"] for user in mfa_iam.list_users()["Users"]]
    assert names == ["alice"]
    assumed = credentials_client(account.server, mfa, "sts").assume_role(RoleArn=role,
                                                              RoleSessionName="ses")
    assert assumed["AssumedRoleUser"]["Arn"] == (
        f"arn:aws:sts::{account.id}:assumed-role/admin/ses")
    assert fails("AccessDenied", sts.get_session_token, SerialNumber=serial,
                 TokenCode=code) == BAD_CODE

    # The same with the aws CLI, and the next step's code.
    cli_code = code_at(seed, step + 1)
    args = ("sts", "get-session-token", "--serial-number", serial, "--token-code", cli_code)
    made = json.loads(account.aws(*args, key_id=key_id, secret=secret).stdout)["Credentials"]
    listed = json.loads(aws_with_token(account, made, "iam", "list-users").stdout)["Users"]
    assert [user["UserName"] for user in listed] == ["alice"]
    again = account.aws(*args, key_id=key_id, secret=secret, check=False)
    assert again.returncode != 0
    assert "AccessDenied" in again.stderr
    assert BAD_CODE in again.stderr


def test_mfa_serial_of_another_user_is_refused(account: Account) -> None:
    key_id, secret = user_keys(account, "alice", ALLOW_ALL)
    user_keys(account, "bob")
    serial, seed = enable_device(account, "bob")
    message = fails("AccessDenied", account.client(key_id, secret, "sts").get_session_token,
                    SerialNumber=serial, TokenCode=pyotp.TOTP(seed).now())
    assert message.startswith("MultiFactorAuthentication failed, unable to validate MFA code.")


def test_federation_tokens_narrow_the_user_with_boto3_and_the_cli(account: Account) -> None:
    key_id, secret = user_keys(account, "alice", ALLOW_ALL)
    sts = account.client(key_id, secret, "sts")
    made = sts.get_federation_token(
        Name="bob@example.com", DurationSeconds=900, Tags=[{"Key": "team", "Value": "blue"}],
        Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}),
    )
    arn = f"arn:aws:sts::{account.id}:federated-user/bob@example.com"
    assert made["FederatedUser"] == {"Arn": arn,
                                     "FederatedUserId": f"{account.id}:bob@example.com"}
    assert 0 < made["PackedPolicySize"] <= 100
    assert made["Credentials"]["AccessKeyId"].startswith("ASIA")
    federated = credentials_client(account.server, made["Credentials"], "sts")
    assert federated.get_caller_identity()["Arn"] == arn
    assert fails("AccessDenied", federated.get_access_key_info, AccessKeyId=key_id) == (
        "Cannot call GetAccessKeyInfo with session credentials")
    federated_iam = credentials_client(account.server, made["Credentials"])
    fails("InvalidClientTokenId", federated_iam.list_users)

    done = account.aws("sts", "get-federation-token", "--name", "carol", "--policy-arns",
                       "arn=arn:aws:iam::aws:policy/IAMReadOnlyAccess", key_id=key_id,
                       secret=secret)
    carol = json.loads(done.stdout)
    assert carol["FederatedUser"]["Arn"] == f"arn:aws:sts::{account.id}:federated-user/carol"
    who = json.loads(aws_with_token(account, carol["Credentials"], "sts",
                                    "get-caller-identity").stdout)
    assert who["UserId"] == f"{account.id}:carol"


def test_access_key_info_names_the_account(account: Account) -> None:
    key_id, secret = user_keys(account, "alice")
    other = new_account(account.server.database, account.server)
    root_sts = account.client(service="sts")
    session = root_sts.get_session_token()["Credentials"]
    assert root_sts.get_access_key_info(AccessKeyId=key_id)["Account"] == account.id
    assert root_sts.get_access_key_info(AccessKeyId=session["AccessKeyId"])["Account"] == (
        account.id)
    assert root_sts.get_access_key_info(AccessKeyId=other.key_id)["Account"] == other.id
    message = fails("AccessDenied", account.client(key_id, secret, "sts").get_access_key_info,
                    AccessKeyId=key_id)
    assert "sts:GetAccessKeyInfo" in message
    found = json.loads(account.aws("sts", "get-access-key-info", "--access-key-id",
                                   session["AccessKeyId"]).stdout)
    assert found == {"Account": account.id}


def test_denials_carry_a_message_that_only_permitted_callers_decode(account: Account) -> None:
    key_id, secret = user_keys(account, "alice", json.dumps({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}))
    message = fails("AccessDenied", account.client(key_id, secret, "sts").get_federation_token,
                    Name="bob")
    head, encoded = message.split(" Encoded authorization failure message: ")
    assert head.startswith(f"User: arn:aws:iam::{account.id}:user/alice is not authorized to "
                           "perform: sts:GetFederationToken")
    decoded = json.loads(account.client(service="sts").decode_authorization_message(
        EncodedMessage=encoded)["DecodedMessage"])
    assert (decoded["allowed"], decoded["explicitDeny"]) == (False, False)
    assert decoded["context"]["action"] == "sts:GetFederationToken"
    assert decoded["context"]["resource"] == f"arn:aws:sts::{account.id}:federated-user/bob"
    assert decoded["context"]["principal"]["arn"] == f"arn:aws:iam::{account.id}:user/alice"

    cli = json.loads(account.aws("sts", "decode-authorization-message", "--encoded-message",
                                 encoded).stdout)
    assert json.loads(cli["DecodedMessage"]) == decoded
    message = fails("AccessDenied", account.client(key_id, secret, "sts")
                    .decode_authorization_message, EncodedMessage=encoded)
    assert "sts:DecodeAuthorizationMessage" in message
    fails("InvalidAuthorizationMessageException",
          account.client(service="sts").decode_authorization_message,
          EncodedMessage=encoded[:-10] + "AAAAAAAAAA")
    other = new_account(account.server.database, account.server)
    fails("InvalidAuthorizationMessageException",
          other.client(service="sts").decode_authorization_message, EncodedMessage=encoded)


def test_bad_input_gets_awss_errors_never_a_500(account: Account) -> None:
    key_id, secret = user_keys(account, "alice", ALLOW_ALL)
    sts: Any = account.client(key_id, secret, "sts")
    unchecked = boto3.client("sts", endpoint_url=account.server.endpoint, config=UNCHECKED,
                             aws_access_key_id=key_id, aws_secret_access_key=secret)
    for params in ({"Name": "bad name!"}, {"Name": "b"}, {"Name": "x" * 33},
                   {"Name": "bob", "DurationSeconds": 899},
                   {"Name": "bob", "DurationSeconds": 129_601},
                   {"Name": "bob", "Policy": json.dumps({"Version": "2012-10-17",
                    "Statement": [{"Sid": "x" * 2100, "Effect": "Allow", "Action": "*",
                                   "Resource": "*"}]})}):
        message = fails("ValidationError", unchecked.get_federation_token, **params)
        assert "failed to satisfy constraint" in message
    for params in ({"DurationSeconds": 100}, {"SerialNumber": "x", "TokenCode": "123456"},
                   {"SerialNumber": f"arn:aws:iam::{account.id}:mfa/a", "TokenCode": "12ab56"}):
        fails("ValidationError", unchecked.get_session_token, **params)

    fails("MalformedPolicyDocument", sts.get_federation_token, Name="bob", Policy="{nope")
    fails("MalformedPolicyDocument", sts.get_federation_token, Name="bob",
          PolicyArns=[{"arn": "arn:aws:s3:::not-a-policy-at-all"}])
    fails("InvalidParameterValue", sts.get_federation_token, Name="bob",
          Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])
    big_tags = [{"Key": f"k{index:03d}" + "x" * 120, "Value": "v" * 256} for index in range(50)]
    message = fails("PackedPolicyTooLarge", sts.get_federation_token, Name="bob",
                    Policy=ALLOW_ALL, Tags=big_tags)
    assert message.endswith("% of allotted space, please use smaller policy.")
    assert fails("ValidationError", account.client(service="sts").get_access_key_info,
                 AccessKeyId="AKIA0000000000000000").startswith("The access key ID")
