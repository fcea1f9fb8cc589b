"""Temporary credentials (GetSessionToken, GetFederationToken) on a live server, both backends:
boto3 with aws_session_token, the token in a presigned URL, tampered and borrowed tokens, and
GetCallerIdentity for every kind of credential. Expiry is tested with a fixed clock in
tests/service/test_sts_sessions.py."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pyotp
import pytest

from .conftest import AWS_CLI, Account, credentials_client, fails

ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}]})
DENY_ALL = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": "*", "Resource": "*"}]})



def user_keys(account: Account, name: str, *documents: str) -> tuple[str, str]:
    account.iam.create_user(UserName=name)
    for index, document in enumerate(documents):
        account.iam.put_user_policy(UserName=name, PolicyName=f"p{index}",
                                    PolicyDocument=document)
    key = account.iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def enable_device(account: Account, user: str) -> tuple[str, str]:
    """A virtual device enabled for ``user`` with the codes of the two steps before now, so
    that the codes of now and the next step are still unused; its serial and seed."""
    made = account.iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{user}-phone")
    serial, seed = made["VirtualMFADevice"]["SerialNumber"], made["VirtualMFADevice"][
        "Base32StringSeed"].decode()
    totp, step = pyotp.TOTP(seed), int(time.time()) // 30
    account.iam.enable_mfa_device(UserName=user, SerialNumber=serial,
                                  AuthenticationCode1=totp.at((step - 2) * 30),
                                  AuthenticationCode2=totp.at((step - 1) * 30))
    return serial, seed


def current_code(seed: str) -> str:
    return pyotp.TOTP(seed).at(int(time.time()))


def test_session_credentials_call_sts_and_with_mfa_iam(account: Account) -> None:
    key_id, secret = user_keys(account, "alice", ALLOW_ALL)
    sts = account.client(key_id, secret, "sts")
    serial, seed = enable_device(account, "alice")
    arn = f"arn:aws:iam::{account.id}:user/alice"

    plain = sts.get_session_token(DurationSeconds=900)["Credentials"]
    assert plain["AccessKeyId"].startswith("ASIA")
    plain_sts = credentials_client(account.server, plain, "sts")
    plain_iam = credentials_client(account.server, plain)
    assert plain_sts.get_caller_identity()["Arn"] == arn
    message = fails("InvalidClientTokenId", plain_iam.list_users)
    assert message.startswith("The security token included in the request is invalid")
    assert fails("AccessDenied", plain_sts.get_session_token) == (
        "Cannot call GetSessionToken with session credentials")
    assert fails("AccessDenied", plain_sts.get_access_key_info, AccessKeyId=key_id) == (
        "Cannot call GetAccessKeyInfo with session credentials")

    mfa = sts.get_session_token(SerialNumber=serial, TokenCode=current_code(seed))["Credentials"]
    mfa_iam = credentials_client(account.server, mfa)
    assert [user["UserName"] for user in mfa_iam.list_users()["Users"]] == ["alice"]
    mfa_iam.create_user(UserName="made-with-mfa")
    assert credentials_client(account.server, mfa, "sts").get_caller_identity()["Arn"] == arn


def presigned_get(account: Account, credentials: dict[str, Any], form: dict[str, str]) -> str:
    """A presigned STS GET URL with the session token, as `aws eks get-token` builds them."""
    url = account.server.endpoint + "/?" + urllib.parse.urlencode(form)
    request = botocore.awsrequest.AWSRequest("GET", url)
    signing = botocore.credentials.Credentials(
        credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
    botocore.auth.SigV4QueryAuth(signing, "sts", "us-east-1", expires=60).add_auth(request)
    return str(request.url)


def test_presigned_urls_carry_the_session_token(account: Account) -> None:
    key_id, secret = user_keys(account, "alice", ALLOW_ALL)
    credentials = account.client(key_id, secret, "sts").get_session_token()["Credentials"]
    alice = f"<Arn>arn:aws:iam::{account.id}:user/alice</Arn>"
    # boto3's presigned URL signs the operation's own method (POST for the Query API).
    url = credentials_client(account.server, credentials, "sts").generate_presigned_url(
        "get_caller_identity", ExpiresIn=300)
    assert "X-Amz-Security-Token=" in url
    with urllib.request.urlopen(urllib.request.Request(url, b"", method="POST")) as response:
        assert alice in response.read().decode()
    get_url = presigned_get(account, credentials,
                            {"Action": "GetCallerIdentity", "Version": "2011-06-15"})
    assert "X-Amz-Security-Token=" in get_url
    with urllib.request.urlopen(get_url, timeout=10) as response:
        assert alice in response.read().decode()

    tampered = get_url.replace("X-Amz-Security-Token=", "X-Amz-Security-Token=AAAA")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(tampered, timeout=10)
    assert refused.value.code == 403
    assert b"<Code>InvalidClientTokenId</Code>" in refused.value.read()


def test_tampered_and_borrowed_tokens_are_refused(account: Account) -> None:
    key_id, secret = user_keys(account, "alice", ALLOW_ALL)
    sts = account.client(key_id, secret, "sts")
    first, second = (sts.get_session_token()["Credentials"] for _ in range(2))
    token = first["SessionToken"]
    flipped = token[:30] + ("A" if token[30] != "A" else "B") + token[31:]
    for forged in ({**first, "SessionToken": flipped},
                   {**second, "SessionToken": token},  # another session's key and secret
                   {**first, "SessionToken": "not-a-token"}):
        forged_sts = credentials_client(account.server, forged, "sts")
        fails("InvalidClientTokenId", forged_sts.get_caller_identity)
    # The key id without its token is no credential at all.
    fails("InvalidClientTokenId",
          account.client(first["AccessKeyId"], first["SecretAccessKey"], "sts")
          .get_caller_identity)


def test_caller_identity_for_every_credential_even_under_deny_all(account: Account) -> None:
    key_id, secret = user_keys(account, "alice", ALLOW_ALL)
    sts = account.client(key_id, secret, "sts")
    session = sts.get_session_token()["Credentials"]
    federated = sts.get_federation_token(Name="bob", Policy=ALLOW_ALL)
    root_session = account.client(service="sts").get_session_token()["Credentials"]
    account.iam.put_user_policy(UserName="alice", PolicyName="deny", PolicyDocument=DENY_ALL)

    alice = f"arn:aws:iam::{account.id}:user/alice"
    expected = [
        (account.client(service="sts"), f"arn:aws:iam::{account.id}:root", account.id),
        (sts, alice, None),
        (credentials_client(account.server, session, "sts"), alice, None),
        (credentials_client(account.server, root_session, "sts"), f"arn:aws:iam::{account.id}:root",
         account.id),
        (credentials_client(account.server, federated["Credentials"], "sts"),
         f"arn:aws:sts::{account.id}:federated-user/bob", f"{account.id}:bob"),
    ]
    for client, arn, user_id in expected:
        who = client.get_caller_identity()
        assert (who["Arn"], who["Account"]) == (arn, account.id)
        if user_id is not None:
            assert who["UserId"] == user_id
        else:
            assert who["UserId"].startswith("AIDA")
    assert federated["FederatedUser"] == {
        "Arn": f"arn:aws:sts::{account.id}:federated-user/bob",
        "FederatedUserId": f"{account.id}:bob",
    }
    # The deny now covers what the user, and so its federated session, may do.
    fails("AccessDenied", sts.get_federation_token, Name="carol", Policy=ALLOW_ALL)


def test_a_deleted_user_ends_its_sessions(account: Account) -> None:
    key_id, secret = user_keys(account, "alice", ALLOW_ALL)
    sts = account.client(key_id, secret, "sts")
    session = sts.get_session_token()["Credentials"]
    federated = sts.get_federation_token(Name="bob", Policy=ALLOW_ALL)["Credentials"]
    iam = account.iam
    iam.delete_access_key(UserName="alice", AccessKeyId=key_id)
    iam.delete_user_policy(UserName="alice", PolicyName="p0")
    iam.delete_user(UserName="alice")
    for credentials in (session, federated):
        fails("InvalidClientTokenId", credentials_client(account.server, credentials, "sts")
              .get_caller_identity)


def test_aws_cli_uses_session_credentials(account: Account) -> None:
    key_id, secret = user_keys(account, "alice", ALLOW_ALL)
    made = json.loads(account.aws("sts", "get-session-token", "--duration-seconds", "900",
                                  key_id=key_id, secret=secret).stdout)["Credentials"]
    who = json.loads(aws_with_token(account, made, "sts", "get-caller-identity").stdout)
    assert who["Arn"] == f"arn:aws:iam::{account.id}:user/alice"
    refused = aws_with_token(account, made, "iam", "list-users", check=False)
    assert refused.returncode != 0
    assert "InvalidClientTokenId" in refused.stderr


def aws_with_token(account: Account, credentials: dict[str, Any], *args: str,
                   check: bool = True) -> Any:
    """The aws CLI with temporary credentials (AWS_SESSION_TOKEN)."""
    env = {
        "PATH": os.environ.get("PATH", ""), "HOME": str(account.server.database.data_dir),
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": account.server.endpoint,
        "AWS_MAX_ATTEMPTS": "1", "AWS_PAGER": "",
    }
    done = subprocess.run([str(AWS_CLI), *args, "--output", "json"], env=env,
                          capture_output=True, text=True, check=False, timeout=60)
    if check and done.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed: {done.stderr}")
    return done
