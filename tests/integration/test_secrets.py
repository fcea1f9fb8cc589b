"""No secret leaks: a password, an MFA seed, a secret access key and a console session token,
each made through the API, never shows up again: not in any later response, not in the
server's log, and not in the database (the raw SQLite files, or every row of every table on
PostgreSQL), in clear or in the encodings a careless store would use (base64, hex; the seed
also as its raw bytes).

A dedicated server per backend, so that its log and its database hold this test's traffic.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pyotp
import pytest
from botocore.exceptions import ClientError

from iamd import bootstrap
from iamd.service import accounts

from .conftest import PG_ADMIN, Account, Database, Server


@pytest.fixture
def server(fresh_database: Database, tmp_path: Path) -> Iterator[Server]:
    live = Server.start(fresh_database, tmp_path)
    yield live
    live.stop()


@dataclass
class Secret:
    name: str
    value: str
    created_in: int | None  # the index of the response that returned it (None: none did)
    raw: bytes | None = None  # its decoded bytes, when the text is an encoding (the seed)

    def forms(self) -> dict[str, bytes]:
        """How the secret could appear in bytes: as text, base64 and hex (PostgreSQL prints
        bytea as hex), and as its raw bytes."""
        text = self.value.encode()
        found = {"text": text, "base64": base64.b64encode(text), "hex": text.hex().encode()}
        if self.raw is not None:
            found |= {"raw bytes": self.raw, "raw hex": self.raw.hex().encode()}
        return found


@dataclass
class Responses:
    """Every response body the test received, in order."""

    bodies: list[tuple[str, bytes]] = field(default_factory=list)

    def watch(self, client: Any) -> Any:
        def record(http_response: Any, model: Any, **_: Any) -> None:
            self.bodies.append((model.name, http_response.content))

        client.meta.events.register("after-call", record)
        return client

    def add(self, label: str, body: bytes) -> int:
        self.bodies.append((label, body))
        return len(self.bodies) - 1

    @property
    def last(self) -> int:
        return len(self.bodies) - 1


def post(server: Server, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(f"{server.endpoint}{path}", data=body, headers=headers,
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), bytes(error.read())


def allow(*actions: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})


def make_secrets(server: Server, account: Account, seen: Responses) -> list[Secret]:
    """Create one secret of each kind through the API, use each once, then read around."""
    iam = seen.watch(account.iam)
    made: list[Secret] = []
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="self",
                        PolicyDocument=allow("iam:GetUser", "iam:ListAccessKeys"))

    password = "Pw-" + secrets.token_urlsafe(18)
    iam.create_login_profile(UserName="alice", Password=password)
    made.append(Secret("password", password, None))
    iam.update_account_password_policy(RequireSymbols=True, MinimumPasswordLength=8)
    refused = "NoSymbols" + secrets.token_hex(12)
    with pytest.raises(ClientError) as violation:
        iam.update_login_profile(UserName="alice", Password=refused)
    assert violation.value.response["Error"]["Code"] == "PasswordPolicyViolation"
    made.append(Secret("refused password", refused, None))

    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone")
    seed = device["VirtualMFADevice"]["Base32StringSeed"].decode()
    made.append(Secret("MFA seed", seed, seen.last, base64.b32decode(seed)))
    totp, now = pyotp.TOTP(seed), time.time()
    iam.enable_mfa_device(UserName="alice", SerialNumber=device["VirtualMFADevice"]["SerialNumber"],
                          AuthenticationCode1=totp.at(now - 30), AuthenticationCode2=totp.at(now))

    key = iam.create_access_key(UserName="alice")["AccessKey"]
    made.append(Secret("secret access key", key["SecretAccessKey"], seen.last))
    alice = seen.watch(account.client(key["AccessKeyId"], key["SecretAccessKey"]))
    assert alice.get_user()["User"]["UserName"] == "alice"

    sign_in = json.dumps({"account": account.id, "userName": "alice", "password": password,
                          "mfaCode": totp.at(now + 30)}).encode()
    status, body = post(server, "/signin", sign_in, {"Content-Type": "application/json"})
    signed_in = seen.add("sign-in", body)
    assert status == 200, body
    token = json.loads(body)["token"]
    made.append(Secret("session token", token, signed_in))
    status, body = post(server, "/", b"Action=GetUser&Version=2010-05-08", {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/x-www-form-urlencoded",
    })
    seen.add("GetUser with the session", body)
    assert status == 200, body
    assert b"<UserName>alice</UserName>" in body

    iam.get_login_profile(UserName="alice")
    iam.list_virtual_mfa_devices()
    iam.list_mfa_devices(UserName="alice")
    alice.list_access_keys()
    iam.get_account_authorization_details()
    iam.generate_credential_report()
    report = iam.get_credential_report()["Content"].decode()
    assert "alice" in report
    made.append(Secret("root secret access key", account.secret, None))
    return made


def database_bytes(database: Database) -> bytes:
    """Everything the database holds, as bytes: the SQLite files (main, WAL, shared memory),
    or every row of every table of the test's PostgreSQL schema, as text."""
    if database.schema is None:
        files = sorted(database.data_dir.glob("iamd.db*"))
        assert any(path.name == "iamd.db" for path in files)
        return b"".join(path.read_bytes() for path in files)
    with psycopg.connect(PG_ADMIN) as connection:
        tables = [row[0] for row in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (database.schema,))]
        assert "access_keys" in tables
        assert "mfa_devices" in tables
        dump = [
            str(row[0])
            for table in tables
            for row in connection.execute(
                f'SELECT t::text FROM "{database.schema}"."{table}" AS t')
        ]
    assert dump
    return "\n".join(dump).encode()


def account_with_root_password(server: Server) -> tuple[Account, str]:
    """A new account as `new_account` makes it, and the root password generated for it."""
    services = bootstrap.build(server.database.settings())
    try:
        made = accounts.create_account(services.env)
    finally:
        services.close()
    assert made.root_password is not None
    return (Account(server, made.account.id, made.root_access_key_id,
                    made.root_secret_access_key), made.root_password)


def test_no_secret_in_later_responses_logs_or_database(server: Server) -> None:
    account, root_password = account_with_root_password(server)
    seen = Responses()
    made = [*make_secrets(server, account, seen), Secret("root password", root_password, None)]
    stored = database_bytes(server.database)  # while the server runs: the WAL is still there
    logged = server.log().encode() + server.stdout_path.read_bytes()
    assert logged.count(b"\n") > 20  # one line per request at least: the log is written
    assert b"alice-phone" in stored  # the search reads the rows themselves

    for secret in made:
        forms = secret.forms()
        if secret.created_in is not None:  # the search finds it where it must be
            created_body = seen.bodies[secret.created_in][1]
            assert any(form in created_body for form in forms.values()), secret.name
        later = seen.bodies[0 if secret.created_in is None else secret.created_in + 1:]
        for form_name, form in forms.items():
            for label, body in later:
                assert form not in body, f"the {secret.name} ({form_name}) is in {label}"
            assert form not in logged, f"the {secret.name} ({form_name}) is in the log"
            assert form not in stored, f"the {secret.name} ({form_name}) is in the database"
