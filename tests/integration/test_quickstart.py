"""The everyday flow of the README's quickstart, with the real aws CLI and boto3."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from .conftest import Account

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def error_code(raised: pytest.ExceptionInfo[ClientError]) -> str:
    return str(raised.value.response["Error"]["Code"])


def test_admins_group_user_key_then_lockout(account: Account) -> None:
    cli = account.aws
    cli("iam", "create-group", "--group-name", "admins")
    cli("iam", "attach-group-policy", "--group-name", "admins", "--policy-arn", ADMIN)
    cli("iam", "create-user", "--user-name", "alice")
    cli("iam", "add-user-to-group", "--group-name", "admins", "--user-name", "alice")
    key = json.loads(cli("iam", "create-access-key", "--user-name", "alice").stdout)["AccessKey"]
    alice = (key["AccessKeyId"], key["SecretAccessKey"])

    # alice's key works, with the admins group's permissions.
    me = json.loads(cli("iam", "get-user", key_id=alice[0], secret=alice[1]).stdout)["User"]
    assert me["Arn"] == f"arn:aws:iam::{account.id}:user/alice"
    cli("iam", "create-user", "--user-name", "bob", key_id=alice[0], secret=alice[1])

    # bob, with no policies, is denied everything.
    bob = account.client(*_new_key(account, "bob"))
    for call in (bob.list_users, bob.get_user, lambda: bob.create_user(UserName="x")):
        with pytest.raises(ClientError) as denied:
            call()
        assert error_code(denied) == "AccessDenied"
        assert "because no identity-based policy allows" in denied.value.response["Error"][
            "Message"]

    # an explicit deny beats every allow.
    deny = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}]}
    cli("iam", "put-user-policy", "--user-name", "alice", "--policy-name", "no-create",
        "--policy-document", json.dumps(deny))
    denied_cli = cli("iam", "create-user", "--user-name", "carol", key_id=alice[0],
                     secret=alice[1], check=False)
    assert denied_cli.returncode != 0
    assert "AccessDenied" in denied_cli.stderr
    assert "explicit deny" in denied_cli.stderr

    # deactivating the key locks alice out at once.
    cli("iam", "update-access-key", "--user-name", "alice", "--access-key-id", alice[0],
        "--status", "Inactive")
    locked = cli("iam", "get-user", key_id=alice[0], secret=alice[1], check=False)
    assert locked.returncode != 0
    assert "InvalidClientTokenId" in locked.stderr


def _new_key(account: Account, name: str) -> tuple[str, str]:
    key = account.iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]
