"""The operator's commands: serve's first start, db upgrade, account create/list/delete and
reset-root-password."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from .conftest import IAMD, Account, Database, Server, new_account


def iamd(database: Database, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([IAMD, *args, *database.args()], capture_output=True, text=True,
                          timeout=60)
    if check and done.returncode != 0:
        raise AssertionError(f"iamd {' '.join(args)}: {done.returncode}\n{done.stderr}")
    return done


def test_first_start_prints_root_key_once(fresh_database: Database, tmp_path: Path) -> None:
    server = Server.start(fresh_database, tmp_path, "--account-id", "111122223333")
    try:
        printed = server.stdout_path.read_text()
        key_id = re.search(r"export AWS_ACCESS_KEY_ID=(\S+)", printed)
        secret = re.search(r"export AWS_SECRET_ACCESS_KEY=(\S+)", printed)
        password = re.search(r"root password: (\S{24})$", printed, re.M)
        assert key_id
        assert secret
        assert password
        assert "created account 111122223333" in printed
        assert "root email:    root@111122223333.invalid" in printed
        assert f"aws --endpoint-url {server.endpoint} iam get-user" in printed
        root = Account(server, "111122223333", key_id.group(1), secret.group(1))
        assert root.iam.get_user()["User"]["Arn"] == "arn:aws:iam::111122223333:root"
        assert secret.group(1) not in server.log()
        assert password.group(1) not in server.log()
    finally:
        server.stop()
    again = Server.start(fresh_database, tmp_path)
    try:
        assert "SECRET" not in again.stdout_path.read_text()
        assert "password" not in again.stdout_path.read_text()
    finally:
        again.stop()
    if fresh_database.url is None:
        key_file = fresh_database.data_dir / "server.key"
        assert key_file.stat().st_mode & 0o777 == 0o600
        database_file = (fresh_database.data_dir / "iamd.db").read_bytes()
        assert secret.group(1).encode() not in database_file
        assert password.group(1).encode() not in database_file


def test_db_upgrade_is_idempotent(fresh_database: Database) -> None:
    first = iamd(fresh_database, "db", "upgrade").stdout
    assert "upgraded the schema from empty to" in first
    assert "up to date" in iamd(fresh_database, "db", "upgrade").stdout


def test_account_create_list_delete_while_server_runs(account: Account) -> None:
    database = account.server.database
    made = iamd(database, "account", "create", "--account-id", "444455556666",
                "--email", "ops@example.com", "--root-access-key-id", "AKIATESTTESTTEST0001",
                "--root-secret-access-key", "test-secret-key-0001").stdout
    assert "444455556666" in made
    assert "test-secret-key-0001" not in made
    assert "root email: ops@example.com" in made
    generated = re.search(r"root password: (\S{24})$", made, re.M)
    assert generated
    listed = iamd(database, "account", "list").stdout
    assert re.search(r"^444455556666\t\S+\tops@example.com\t-$", listed, re.M)
    other = Account(account.server, "444455556666", "AKIATESTTESTTEST0001",
                    "test-secret-key-0001")
    other.iam.create_user(UserName="temp")
    duplicate = iamd(database, "account", "create", "--account-id", "444455556666",
                     check=False)
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr
    same_email = iamd(database, "account", "create", "--email", "OPS@example.com", check=False)
    assert same_email.returncode == 1
    assert "ops@example.com is already" in same_email.stderr
    reset = iamd(database, "account", "reset-root-password", "--account-id", "444455556666")
    new_password = re.search(r"root password: (\S{24})$", reset.stdout, re.M)
    assert new_password
    assert new_password.group(1) != generated.group(1)
    unknown = iamd(database, "account", "reset-root-password", "--account-id", "999999999999",
                   check=False)
    assert unknown.returncode == 1
    assert "999999999999 does not exist" in unknown.stderr
    refused = iamd(database, "account", "delete", "--account-id", "444455556666", check=False)
    assert refused.returncode == 2
    iamd(database, "account", "delete", "--account-id", "444455556666", "--yes")
    with pytest.raises(ClientError) as gone:
        other.iam.list_users()  # the very next request
    assert gone.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert "444455556666" not in iamd(database, "account", "list").stdout


def test_bad_account_options(fresh_database: Database) -> None:
    for args in (["--account-id", "12"], ["--root-access-key-id", "AKIAONLYTHEIDXXXXXXX"],
                 ["--email", "not-an-email"], ["--root-password", "short"]):
        done = iamd(fresh_database, "account", "create", *args, check=False)
        assert done.returncode == 1
        assert done.stderr.startswith("iamd: ")
        assert "Traceback" not in done.stderr


def test_no_secret_in_logs_or_database(account: Account) -> None:
    iam = account.iam
    iam.create_user(UserName="sam")
    key = iam.create_access_key(UserName="sam")["AccessKey"]
    sam = account.client(key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError):
        sam.list_users()
    listed = iam.list_access_keys(UserName="sam")["AccessKeyMetadata"]
    assert "SecretAccessKey" not in listed[0]
    log = account.server.log()
    for secret in (key["SecretAccessKey"], account.secret):
        assert secret not in log
        if account.server.database.url is None:
            db_dir = account.server.database.data_dir
            for path in db_dir.glob("iamd.db*"):
                assert secret.encode() not in path.read_bytes()
    _ = new_account  # the fixture path used by `account`
