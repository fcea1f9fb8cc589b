"""AssumeRole on a live server, both backends: the aws CLI and boto3, profile chaining,
cross-account trust with an ExternalId, session policies, and AWS's errors for bad input."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config

from .conftest import AWS_CLI, Account, Server, credentials_client, fails, new_account

UNVALIDATED = Config(retries={"max_attempts": 1, "mode": "standard"}, region_name="us-east-1",
                     parameter_validation=False)


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(*actions: str, resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": list(actions), "Resource": resource}


def trust(principal: Any, **condition: Any) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal,
                                 "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return document(statement)



def make_role(account: Account, name: str, trust_policy: str, *actions: str) -> str:
    arn: str = account.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy
                                       )["Role"]["Arn"]
    account.iam.put_role_policy(RoleName=name, PolicyName="permissions",
                                PolicyDocument=document(allow(*(actions or ("iam:ListUsers",)))))
    return arn


def make_user(account: Account, name: str, *statements: dict[str, Any]) -> dict[str, str]:
    """A user (with these identity statements) and its access key, as boto3 credentials."""
    account.iam.create_user(UserName=name)
    if statements:
        account.iam.put_user_policy(UserName=name, PolicyName="own",
                                    PolicyDocument=document(*statements))
    key = account.iam.create_access_key(UserName=name)["AccessKey"]
    return {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}


def aws(server: Server, *args: str, env: dict[str, str]) -> dict[str, Any]:
    """Run the real aws CLI with exactly this environment (plus PATH, HOME and endpoint)."""
    full_env = {
        "PATH": os.environ.get("PATH", ""), "HOME": str(server.database.data_dir),
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": server.endpoint,
        "AWS_MAX_ATTEMPTS": "1", "AWS_PAGER": "", **env,
    }
    done = subprocess.run([str(AWS_CLI), *args, "--output", "json"], env=full_env,
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout) if done.stdout.strip() else {}
    return result


def key_env(credentials: dict[str, str]) -> dict[str, str]:
    env = {"AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
           "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"]}
    if "SessionToken" in credentials:
        env["AWS_SESSION_TOKEN"] = credentials["SessionToken"]
    return env


def test_aws_cli_assume_role_gives_credentials_boto3_and_the_cli_use(account: Account) -> None:
    server = account.server
    arn = make_role(account, "reader", trust({"AWS": f"arn:aws:iam::{account.id}:root"}))
    alice = make_user(account, "alice", allow("sts:AssumeRole", resource=arn))

    assumed = aws(server, "sts", "assume-role", "--role-arn", arn, "--role-session-name",
                  "cli-session", env=key_env(alice))
    session_arn = f"arn:aws:sts::{account.id}:assumed-role/reader/cli-session"
    assert assumed["AssumedRoleUser"]["Arn"] == session_arn
    role_id = account.iam.get_role(RoleName="reader")["Role"]["RoleId"]
    assert assumed["AssumedRoleUser"]["AssumedRoleId"] == f"{role_id}:cli-session"
    credentials = assumed["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")

    iam = credentials_client(server, credentials, "iam")
    assert "Users" in iam.list_users()  # the role's permission
    fails("AccessDenied", iam.create_user, UserName="nope")  # and nothing more
    identity = aws(server, "sts", "get-caller-identity", env=key_env(credentials))
    assert identity == {"UserId": f"{role_id}:cli-session", "Account": account.id,
                        "Arn": session_arn}
    last_used = account.iam.get_role(RoleName="reader")["Role"]["RoleLastUsed"]
    assert last_used["Region"] == "us-east-1"


def test_aws_cli_profile_chaining_with_role_arn_and_source_profile(
    account: Account, tmp_path: Path
) -> None:
    server = account.server
    arn = make_role(account, "ops", trust({"AWS": f"arn:aws:iam::{account.id}:user/bob"}),
                    "iam:ListUsers", "iam:GetUser")
    bob = make_user(account, "bob")
    config, shared = tmp_path / "config", tmp_path / "credentials"
    shared.write_text(f"[base]\naws_access_key_id = {bob['AccessKeyId']}\n"
                      f"aws_secret_access_key = {bob['SecretAccessKey']}\n")
    config.write_text(f"[profile ops]\nrole_arn = {arn}\nsource_profile = base\n"
                      "role_session_name = chained-cli\nregion = us-east-1\n"
                      f"endpoint_url = {server.endpoint}\n")
    env = {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(shared)}

    identity = aws(server, "sts", "get-caller-identity", "--profile", "ops", env=env)
    assert identity["Arn"] == f"arn:aws:sts::{account.id}:assumed-role/ops/chained-cli"
    users = aws(server, "iam", "list-users", "--profile", "ops", env=env)["Users"]
    assert [user["UserName"] for user in users] == ["bob"]


def test_cross_account_role_with_an_external_id(account: Account) -> None:
    server = account.server
    other = new_account(server.database, server)
    arn = make_role(account, "partner",
                    trust({"AWS": f"arn:aws:iam::{other.id}:root"},
                          StringEquals={"sts:ExternalId": "agreed-id"}),
                    "iam:ListRoles")
    carol = make_user(other, "carol", allow("sts:AssumeRole", resource=arn))
    allowed = credentials_client(server, carol, "sts")
    unallowed = credentials_client(server, make_user(other, "dave"), "sts")
    denial = (f"User: arn:aws:iam::{other.id}:user/carol is not authorized to perform: "
              f"sts:AssumeRole on resource: {arn}")

    assert fails("AccessDenied", allowed.assume_role, RoleArn=arn, RoleSessionName="s1",
                 ExternalId="wrong-id") == denial
    assert fails("AccessDenied", allowed.assume_role, RoleArn=arn,
                 RoleSessionName="s1") == denial
    fails("AccessDenied", unallowed.assume_role, RoleArn=arn, RoleSessionName="s1",
          ExternalId="agreed-id")

    credentials = allowed.assume_role(RoleArn=arn, RoleSessionName="s1",
                                      ExternalId="agreed-id")["Credentials"]
    identity = credentials_client(server, credentials, "sts").get_caller_identity()
    assert identity["Account"] == account.id
    iam = credentials_client(server, credentials, "iam")
    assert [role["RoleName"] for role in iam.list_roles()["Roles"]] == ["partner"]  # A's roles
    fails("AccessDenied", iam.list_users)  # the role's permissions and nothing more


def test_a_session_policy_can_only_narrow(account: Account) -> None:
    server = account.server
    arn = make_role(account, "broad", trust({"AWS": f"arn:aws:iam::{account.id}:user/erin"}),
                    "iam:ListUsers", "iam:ListRoles")
    sts = credentials_client(server, make_user(account, "erin"), "sts")
    answer = sts.assume_role(RoleArn=arn, RoleSessionName="narrow",
                             Policy=document(allow("iam:ListRoles", "iam:CreateUser")))
    assert 0 < answer["PackedPolicySize"] <= 100
    iam = credentials_client(server, answer["Credentials"], "iam")
    iam.list_roles()
    fails("AccessDenied", iam.list_users)  # narrowed away
    fails("AccessDenied", iam.create_user, UserName="x")  # never the role's


def test_a_tampered_session_token_is_refused(account: Account) -> None:
    server = account.server
    arn = make_role(account, "sealed", trust({"AWS": f"arn:aws:iam::{account.id}:user/fay"}))
    sts = credentials_client(server, make_user(account, "fay"), "sts")
    credentials = sts.assume_role(RoleArn=arn, RoleSessionName="s1")["Credentials"]
    token = credentials["SessionToken"]
    tampered = {**credentials, "SessionToken": token[:20] + ("A" if token[20] != "A" else "B")
                + token[21:]}
    fails("InvalidClientTokenId", credentials_client(server, tampered, "sts").get_caller_identity)
    session_sts = credentials_client(server, credentials, "sts")
    assert session_sts.get_caller_identity()["Arn"].endswith("/s1")


@pytest.mark.parametrize(
    ("params", "code", "message"),
    [
        ({"RoleArn": "this-is-not-an-arn-at-all"}, "ValidationError",
         "this-is-not-an-arn-at-all is invalid"),
        ({"RoleSessionName": "bad name!"}, "ValidationError",
         "1 validation error detected: Value 'bad name!' at 'roleSessionName' failed to satisfy "
         "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"),
        ({"DurationSeconds": 100}, "ValidationError",
         "1 validation error detected: Value '100' at 'durationSeconds' failed to satisfy "
         "constraint: Member must have value greater than or equal to 900"),
        ({"DurationSeconds": 7200}, "ValidationError",
         "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."),
        ({"Policy": document(allow("s3:GetObject", resource="arn:aws:s3:::" + "b" * 2100))},
         "ValidationError",
         "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member "
         "must have length less than or equal to 2048"),
        ({"Policy": '{"Statement": [{"Effect": "Allow"}]}'}, "MalformedPolicyDocument", None),
        ({"RoleArn": "arn:aws:iam::123456789012:role/nobody-here"}, "AccessDenied", None),
    ],
)
def test_bad_input_gets_awss_errors(
    account: Account, params: dict[str, Any], code: str, message: str | None
) -> None:
    server = account.server
    arn = make_role(account, "target", trust({"AWS": f"arn:aws:iam::{account.id}:user/gus"}))
    sts = credentials_client(server, make_user(account, "gus"), "sts", UNVALIDATED)
    got = fails(code, sts.assume_role, **{"RoleArn": arn, "RoleSessionName": "s1", **params})
    if message is not None:
        assert got == message
    assert "Traceback" not in server.log()
