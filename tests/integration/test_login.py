"""`iamd login` against a live server, both backends: run as a subprocess with its answers
piped on stdin; the profile it writes is then used by boto3 and the real aws CLI."""

from __future__ import annotations

import configparser
import http.client
import json
import os
import re
import shlex
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pyotp
import pytest
from botocore.exceptions import ClientError

from .conftest import AWS_CLI, IAMD, NO_RETRIES, Account, Server

PASSWORD = "Correct-horse-7!"
LIST_USERS = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]})
LIST_USERS_WITH_MFA = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]})


def login(server: Server, home: Path, *args: str, answers: str,
          files: bool = False) -> subprocess.CompletedProcess[str]:
    """``iamd login`` with HOME at ``home`` (and, with ``files``, the aws files named by the
    environment instead of ~/.aws)."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home)}
    if files:
        env |= {"AWS_SHARED_CREDENTIALS_FILE": str(home / "named-credentials"),
                "AWS_CONFIG_FILE": str(home / "named-config")}
    return subprocess.run([IAMD, "login", "--endpoint-url", server.endpoint, *args],
                          input=answers, capture_output=True, text=True, timeout=60, env=env)


def with_password(account: Account, name: str, policy: str) -> None:
    account.iam.create_user(UserName=name)
    account.iam.create_login_profile(UserName=name, Password=PASSWORD)
    account.iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)


def profile_session(monkeypatch: pytest.MonkeyPatch, credentials: Path, config: Path,
                    profile: str) -> boto3.Session:
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    return boto3.Session(profile_name=profile)


def aws_with_profile(home: Path, profile: str, *args: str,
                     extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "AWS_MAX_ATTEMPTS": "1",
           "AWS_PAGER": "", **(extra or {})}
    return subprocess.run([str(AWS_CLI), "--profile", profile, *args, "--output", "json"],
                          env=env, capture_output=True, text=True, timeout=60)


def parsed_ini(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


def code_at(seed: str, steps_from_now: int) -> str:
    return pyotp.TOTP(seed).at((int(time.time()) // 30 + steps_from_now) * 30)


def test_login_writes_a_profile_that_boto3_and_the_aws_cli_use(
    account: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_password(account, "alice", LIST_USERS)
    aws_dir = tmp_path / ".aws"
    aws_dir.mkdir()
    kept = "[default]\n# the operator's own keys\naws_access_key_id = AKIAKEEPME\n"
    (aws_dir / "credentials").write_text(kept)

    done = login(account.server, tmp_path, "--profile", "dev", "--account", account.id,
                 "--user-name", "alice", answers=f"{PASSWORD}\n")
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    assert f"Signed in as arn:aws:iam::{account.id}:user/alice;" in done.stdout
    assert "profile dev" in done.stdout

    credentials, config = aws_dir / "credentials", aws_dir / "config"
    assert credentials.stat().st_mode & 0o777 == 0o600
    written = credentials.read_text()
    assert written.startswith(kept)
    assert re.search(r"^\[dev\]\naws_access_key_id = ASIA\w{16}\naws_secret_access_key = \S+\n"
                     r"aws_session_token = \S+\n$", written[len(kept):].lstrip("\n"))
    assert config.read_text() == (
        f"[profile dev]\nregion = us-east-1\nendpoint_url = {account.server.endpoint}\n"
    )

    session = profile_session(monkeypatch, credentials, config, "dev")
    sts = session.client("sts", config=NO_RETRIES)
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{account.id}:user/alice"
    # Signed in without MFA, the session still calls IAM with alice's permissions, as the
    # console does (unlike GetSessionToken's credentials without MFA)...
    session.client("iam", config=NO_RETRIES).list_users()
    # ...and nothing more.
    with pytest.raises(ClientError) as refused:
        session.client("iam", config=NO_RETRIES).create_user(UserName="mallory")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    # It assumes roles that trust the user.
    role = account.iam.create_role(RoleName="admin", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account.id}:user/alice"},
            "Action": "sts:AssumeRole"}]}))["Role"]
    account.iam.put_role_policy(RoleName="admin", PolicyName="list", PolicyDocument=LIST_USERS)
    assumed = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="alice")["Credentials"]
    boto3.client("iam", endpoint_url=account.server.endpoint, config=NO_RETRIES,
                 aws_access_key_id=assumed["AccessKeyId"],
                 aws_secret_access_key=assumed["SecretAccessKey"],
                 aws_session_token=assumed["SessionToken"]).list_users()

    # The console session used for the exchange was signed out.
    key_id = parsed_ini(written)["dev"]["aws_access_key_id"]
    lines = [json.loads(line) for line in account.server.log().splitlines()
             if line.startswith("{")]
    exchange = next(line for line in lines if line.get("access_key_id") == key_id
                    and line.get("path") == "/session/credentials")
    assert any(line.get("path") == "/signout" and line.get("status") == 200
               and line.get("session_id") == exchange["session_id"] for line in lines)

    cli = aws_with_profile(tmp_path, "dev", "sts", "get-caller-identity")
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["Arn"] == f"arn:aws:iam::{account.id}:user/alice"

    # Logging in again replaces the profile's credentials in place.
    again = login(account.server, tmp_path, "--profile", "dev", "--account", account.id,
                  "--user-name", "alice", "--duration-seconds", "900", answers=f"{PASSWORD}\n")
    assert again.returncode == 0, again.stderr
    rewritten = credentials.read_text()
    assert rewritten.count("[dev]") == 1
    assert rewritten.count("aws_session_token") == 1
    assert rewritten != written
    assert PASSWORD not in account.server.log()


def test_login_asks_for_the_mfa_code_and_the_session_carries_it(
    account: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    iam = account.iam
    with_password(account, "bob", LIST_USERS_WITH_MFA)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="bob-phone")["VirtualMFADevice"]
    seed = device["Base32StringSeed"].decode()
    iam.enable_mfa_device(UserName="bob", SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=code_at(seed, -1),
                          AuthenticationCode2=code_at(seed, 0))

    code = code_at(seed, 1)
    done = login(account.server, tmp_path, answers=f"{account.id}\nbob\n{PASSWORD}\n{code}\n",
                 files=True)
    assert done.returncode == 0, done.stderr
    for prompt in ("Account", "User name", "Password", "MFA code"):
        assert prompt in done.stderr
    assert "with MFA" in done.stdout
    assert "profile iamd" in done.stdout  # the default profile name
    credentials = tmp_path / "named-credentials"
    assert credentials.stat().st_mode & 0o777 == 0o600
    assert not (tmp_path / ".aws").exists()

    session = profile_session(monkeypatch, credentials, tmp_path / "named-config", "iamd")
    session.client("iam", config=NO_RETRIES).list_users()  # allowed only with MFA

    replayed = login(account.server, tmp_path, answers=f"{account.id}\nbob\n{PASSWORD}\n{code}\n",
                     files=True)
    assert replayed.returncode == 1
    assert "iamd: The MFA code is not valid, or it was already used." in replayed.stderr
    assert "Traceback" not in replayed.stderr


def test_a_wrong_password_or_bad_input_fails_cleanly(account: Account, tmp_path: Path) -> None:
    with_password(account, "carol", LIST_USERS)
    wrong = login(account.server, tmp_path, "--account", account.id, "--user-name", "carol",
                  answers="not-the-password\n")
    assert wrong.returncode == 1
    assert wrong.stderr.strip().endswith(
        "iamd: Your authentication information is incorrect. Please try again.")
    assert "Traceback" not in wrong.stderr
    assert "not-the-password" not in wrong.stdout + wrong.stderr
    assert not (tmp_path / ".aws").exists()

    too_short = login(account.server, tmp_path, "--account", account.id, "--user-name",
                      "carol", "--duration-seconds", "60", answers=f"{PASSWORD}\n")
    assert too_short.returncode == 1
    assert "greater than or equal to 900" in too_short.stderr
    assert "Traceback" not in too_short.stderr

    unreachable = subprocess.run(
        [IAMD, "login", "--endpoint-url", "http://127.0.0.1:9", "--account", account.id,
         "--user-name", "carol"], input=f"{PASSWORD}\n", capture_output=True, text=True,
        timeout=60, env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)})
    assert unreachable.returncode == 1
    assert "iamd: cannot reach http://127.0.0.1:9" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr

    no_password = login(account.server, tmp_path, "--account", account.id, "--user-name",
                        "carol", answers="")
    assert no_password.returncode == 1
    assert "iamd: no password given" in no_password.stderr

    account.iam.update_login_profile(UserName="carol", PasswordResetRequired=True)
    must_change = login(account.server, tmp_path, "--account", account.id, "--user-name",
                        "carol", answers=f"{PASSWORD}\n")
    assert must_change.returncode == 1
    assert "iamd: Your password has expired or must be reset: change it first" in \
        must_change.stderr
    assert not (tmp_path / ".aws").exists()


def post(server: Server, path: str, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("POST", path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_the_exchange_endpoint_wants_a_bearer_session(account: Account) -> None:
    server = account.server
    with_password(account, "dave", LIST_USERS)
    status, signed = post(server, "/signin", json.dumps({
        "account": account.id, "userName": "dave", "password": PASSWORD}).encode(),
        {"Content-Type": "application/json"})
    assert status == 200
    token = signed["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    as_json = {"Content-Type": "application/json"}
    refused = [
        (post(server, "/session/credentials"), 401, "InvalidSession"),
        (post(server, "/session/credentials", headers={"Cookie": f"iamd-session={token}",
                                                       "X-Iamd-Csrf": "1"}),
         401, "InvalidSession"),
        (post(server, "/session/credentials", headers={"Authorization": "Bearer a.b.c"}),
         401, "InvalidSession"),
        (post(server, "/session/credentials", b'{"durationSeconds": "long"}',
              {**bearer, **as_json}), 400, "InvalidRequest"),
        (post(server, "/session/credentials", b"{not json", {**bearer, **as_json}),
         400, "InvalidRequest"),
        (post(server, "/session/credentials", b'{"durationSeconds": 129601}',
              {**bearer, **as_json}), 400, "ValidationError"),
    ]
    for (status, body), expected_status, expected_code in refused:
        assert (status, body["error"]["code"]) == (expected_status, expected_code), body

    status, issued = post(server, "/session/credentials", b'{"durationSeconds": 900}',
                          {**bearer, **as_json})
    assert status == 200, issued
    assert set(issued) == {"accessKeyId", "secretAccessKey", "sessionToken", "expiration"}
    expires = datetime.strptime(issued["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((expires - datetime.now(UTC)).total_seconds() - 900) < 60
    sts = boto3.client("sts", endpoint_url=server.endpoint, config=NO_RETRIES,
                       aws_access_key_id=issued["accessKeyId"],
                       aws_secret_access_key=issued["secretAccessKey"],
                       aws_session_token=issued["sessionToken"])
    assert sts.get_caller_identity()["Arn"].endswith(":user/dave")
    assert issued["secretAccessKey"] not in server.log()
    assert issued["sessionToken"] not in server.log()


def test_root_login_by_email_prints_export_lines(account: Account, tmp_path: Path) -> None:
    reset = subprocess.run(
        [IAMD, "account", "reset-root-password", "--account-id", account.id,
         *account.server.database.args()], capture_output=True, text=True, timeout=60,
        check=True)
    password = re.search(r"root password: (\S+)", reset.stdout)
    assert password

    done = login(account.server, tmp_path, "--export",
                 answers=f"root@{account.id}.invalid\n{password.group(1)}\n")
    assert done.returncode == 0, done.stderr
    assert "User name" not in done.stderr  # an email signs the root user in
    exports = dict(
        shlex.split(line)[1].split("=", 1) for line in done.stdout.splitlines()
    )
    assert set(exports) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                            "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION"}
    assert exports["AWS_ENDPOINT_URL"] == account.server.endpoint
    assert not (tmp_path / ".aws").exists()
    until = re.search(r"valid until (\S+Z)", done.stderr)
    assert until
    expires = datetime.strptime(until.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((expires - datetime.now(UTC)).total_seconds() - 3600) < 120  # root: one hour

    sts = boto3.client("sts", endpoint_url=exports["AWS_ENDPOINT_URL"],
                       aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
                       aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
                       aws_session_token=exports["AWS_SESSION_TOKEN"], config=NO_RETRIES)
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{account.id}:root"
