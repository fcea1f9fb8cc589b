"""Service principals on a live server: `iamd service register|list|delete` on the server's
database, the registered key assuming roles that trust the service (in any account) with
boto3 and the aws CLI, and nothing else; revoking a role's sessions with
`iamd role revoke-sessions`."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import IAMD, Account, Server, credentials_client, new_account

LAMBDA = "lambda.amazonaws.com"


def iamd(server: Server, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([IAMD, *args, *server.database.args()], capture_output=True,
                          text=True, timeout=60)
    if check and done.returncode != 0:
        raise AssertionError(f"iamd {' '.join(args)}: {done.returncode}\n{done.stderr}")
    return done


def register(server: Server, name: str) -> tuple[str, str]:
    printed = iamd(server, "service", "register", name).stdout
    key_id = re.search(r"export AWS_ACCESS_KEY_ID=(\S+)", printed)
    secret = re.search(r"export AWS_SECRET_ACCESS_KEY=(\S+)", printed)
    assert key_id
    assert secret
    assert printed.startswith(f"service {name.lower()}\n")
    return key_id.group(1), secret.group(1)


def client(server: Server, service: str, key_id: str, secret: str) -> Any:
    return credentials_client(server, {"AccessKeyId": key_id, "SecretAccessKey": secret},
                              service)


def trust(principal: dict[str, str]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


def allow(*actions: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})


def code(call: Any, **params: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return str(caught.value.response["Error"]["Code"])


def role_with(account: Account, name: str, principal: dict[str, str], *actions: str) -> str:
    arn = account.iam.create_role(RoleName=name,
                                  AssumeRolePolicyDocument=trust(principal))["Role"]["Arn"]
    account.iam.put_role_policy(RoleName=name, PolicyName="work", PolicyDocument=allow(*actions))
    return str(arn)


def test_a_registered_service_assumes_the_roles_that_trust_it(account: Account) -> None:
    server = account.server
    key_id, secret = register(server, LAMBDA)
    try:
        assert f"{LAMBDA}\t{key_id}\t" in iamd(server, "service", "list").stdout
        sts = client(server, "sts", key_id, secret)
        me = sts.get_caller_identity()
        assert me["Arn"] == LAMBDA

        function_role = role_with(account, "function", {"Service": LAMBDA}, "iam:ListUsers")
        other_role = role_with(account, "instance", {"Service": "ec2.amazonaws.com"},
                               "iam:ListUsers")
        assumed = sts.assume_role(RoleArn=function_role, RoleSessionName="invocation")
        role_iam = credentials_client(server, assumed["Credentials"])
        role_iam.list_users()  # the role's permissions...
        assert code(role_iam.create_user, UserName="nope") == "AccessDenied"  # ...and no more
        identity = credentials_client(server, assumed["Credentials"], "sts").get_caller_identity()
        assert identity["Arn"] == f"arn:aws:sts::{account.id}:assumed-role/function/invocation"
        assert code(sts.assume_role, RoleArn=other_role, RoleSessionName="denied") == "AccessDenied"

        # The service's own key does nothing else.
        service_iam = client(server, "iam", key_id, secret)
        assert code(service_iam.list_users) == "AccessDenied"
        assert code(service_iam.create_user, UserName="nope") == "AccessDenied"
        assert code(sts.get_session_token) == "AccessDenied"

        # Services are global: a role of another account that trusts the service is assumed.
        elsewhere = new_account(server.database, server)
        foreign_role = role_with(elsewhere, "function", {"Service": LAMBDA}, "iam:ListUsers")
        foreign = sts.assume_role(RoleArn=foreign_role, RoleSessionName="invocation")
        assert foreign["AssumedRoleUser"]["Arn"].startswith(f"arn:aws:sts::{elsewhere.id}:")
        credentials_client(server, foreign["Credentials"]).list_users()

        # The aws CLI, with the service's key.
        cli = account.aws("sts", "assume-role", "--role-arn", function_role,
                          "--role-session-name", "from-cli", key_id=key_id, secret=secret)
        assert json.loads(cli.stdout)["AssumedRoleUser"]["Arn"].endswith("function/from-cli")
    finally:
        iamd(server, "service", "delete", LAMBDA)
    assert LAMBDA not in iamd(server, "service", "list").stdout
    assert code(sts.get_caller_identity) == "InvalidClientTokenId"
    assert code(sts.assume_role, RoleArn=function_role, RoleSessionName="denied") == \
        "InvalidClientTokenId"
    # Role sessions it made before last until they expire, as on AWS.
    role_iam.list_users()
    assert secret not in server.log()


def test_the_service_commands_refuse_bad_input_cleanly(account: Account) -> None:
    server = account.server
    name = f"app-{secrets.token_hex(4)}.example.internal"
    register(server, name)
    try:
        for args, message in [
            (("register", "lambda"), "is not a service name"),
            (("register", "bad_name.example.com"), "is not a service name"),
            (("register", name.upper()), "is already registered"),
            (("delete", f"missing-{name}"), "is not registered"),
        ]:
            done = iamd(server, "service", *args, check=False)
            assert done.returncode == 1, done.stdout
            assert message in done.stderr
            assert "Traceback" not in done.stderr
    finally:
        iamd(server, "service", "delete", name)


def test_revoke_sessions_refuses_older_sessions_of_the_role(account: Account) -> None:
    server = account.server
    account.iam.create_user(UserName="alice")
    key = account.iam.create_access_key(UserName="alice")["AccessKey"]
    sts = client(server, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    role_arn = role_with(account, "worker", {"AWS": f"arn:aws:iam::{account.id}:user/alice"},
                         "iam:ListUsers")
    earlier = sts.assume_role(RoleArn=role_arn, RoleSessionName="before")["Credentials"]
    before = credentials_client(server, earlier)
    before.list_users()

    done = iamd(server, "role", "revoke-sessions", "--account-id", account.id,
                "--role-name", "worker")
    cutoff = re.search(r"sessions issued before (\S+Z) are refused", done.stdout)
    assert cutoff
    assert "AWSRevokeOlderSessions" in done.stdout
    assert code(before.list_users) == "AccessDenied"
    document = account.iam.get_role_policy(RoleName="worker",
                                           PolicyName="AWSRevokeOlderSessions")["PolicyDocument"]
    assert document["Statement"][0]["Condition"] == {
        "DateLessThan": {"aws:TokenIssueTime": cutoff.group(1)}}
    # Who it is can still be asked (GetCallerIdentity needs no permission).
    assert credentials_client(server, earlier, "sts").get_caller_identity()["Arn"].endswith(
        "worker/before")

    time.sleep(1.1)  # issue times are whole seconds; the cut-off is the next one
    after = credentials_client(server, sts.assume_role(
        RoleArn=role_arn, RoleSessionName="after")["Credentials"])
    after.list_users()

    missing = iamd(server, "role", "revoke-sessions", "--account-id", account.id,
                   "--role-name", "missing", check=False)
    assert missing.returncode == 1
    assert "iamd: The role with name missing cannot be found." in missing.stderr
    unknown = iamd(server, "role", "revoke-sessions", "--account-id", "999999999999",
                   "--role-name", "worker", check=False)
    assert unknown.returncode == 1
    assert "Account 999999999999 does not exist." in unknown.stderr
