"""Sign-in on a live server, both backends: the JSON endpoints over raw HTTP, login profiles and
MFA devices set up with boto3, console sessions calling the IAM Query API with a Bearer token.

Every password hash costs ~0.15 s on the live server (real Argon2 parameters), so the tests
make few attempts; lockouts run on servers of their own with small limits.
"""

from __future__ import annotations

import http.client
import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pyotp
import pytest

from iamd import bootstrap
from iamd.service import accounts

from .conftest import Account, Database, Server, new_account

PASSWORD = "Correct-horse-7!"
NEW_PASSWORD = "Battery-staple-8?"
CSRF = {"X-Iamd-Csrf": "1"}


@dataclass
class Reply:
    status: int
    body: bytes
    headers: list[tuple[str, str]]

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name), None)

    @property
    def cookies(self) -> list[str]:
        return [value for key, value in self.headers if key.lower() == "set-cookie"]

    @property
    def error(self) -> str:
        return str(self.json()["error"]["code"])


def send(server: Server, method: str, path: str, body: object = None,
         headers: dict[str, str] | None = None) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        sent = {"Content-Type": "application/json"} if isinstance(body, dict) else {}
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        connection.request(method, path, body=data, headers={**sent, **(headers or {})})
        response = connection.getresponse()
        return Reply(response.status, response.read(), response.getheaders())
    finally:
        connection.close()


def sign_in(server: Server, account_id: str, user: str, password: str = PASSWORD,
            mfa: str | None = None, headers: dict[str, str] | None = None) -> Reply:
    body = {"account": account_id, "userName": user, "password": password}
    if mfa is not None:
        body["mfaCode"] = mfa
    return send(server, "POST", "/signin", body, headers)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def query(server: Server, token: str, action: str, **params: str) -> Reply:
    """An IAM Query API call authenticated by a console session (no SigV4)."""
    form = urlencode({"Action": action, "Version": "2010-05-08", **params})
    return send(server, "POST", "/", form.encode(), {
        **bearer(token), "Content-Type": "application/x-www-form-urlencoded",
    })


def with_password(account: Account, name: str, *, reset: bool = False) -> None:
    account.iam.create_user(UserName=name)
    account.iam.create_login_profile(UserName=name, Password=PASSWORD,
                                     PasswordResetRequired=reset)


def code_at(seed: str, steps_from_now: int) -> str:
    return pyotp.TOTP(seed).at((int(time.time()) // 30 + steps_from_now) * 30)


def assert_no_secrets(server: Server, *secrets: str) -> None:
    log = server.log()
    for secret in secrets:
        assert secret not in log


# -- the shared server ---------------------------------------------------------------------------
def test_sign_in_gives_a_strict_http_only_cookie_and_a_session_to_ask_about(
    account: Account,
) -> None:
    with_password(account, "alice")
    reply = sign_in(account.server, account.id, "alice")
    assert reply.status == 200, reply.body
    facts = reply.json()
    token = facts.pop("token")
    assert facts | {"issued": "", "expires": ""} == {
        "accountId": account.id, "userName": "alice",
        "arn": f"arn:aws:iam::{account.id}:user/alice", "mfaAuthenticated": False,
        "passwordChangeRequired": False, "issued": "", "expires": "",
    }
    [cookie] = reply.cookies
    parts = [part.strip() for part in cookie.split(";")]
    assert parts[0] == f"iamd-session={token}"
    assert {"HttpOnly", "SameSite=Strict", "Path=/"} <= set(parts)
    assert "Secure" not in parts  # plain http here; see the proxy test for https
    for headers in ({"Cookie": f"iamd-session={token}"}, bearer(token)):
        session = send(account.server, "GET", "/session", headers=headers)
        assert session.status == 200
        assert session.json() == facts
    used = account.iam.get_user(UserName="alice")["User"]
    assert "PasswordLastUsed" in used
    assert_no_secrets(account.server, token, PASSWORD)


def test_malformed_requests_get_json_errors(account: Account) -> None:
    server = account.server
    json_type = {"Content-Type": "application/json"}
    malformed = [
        send(server, "POST", "/signin", b"{not json", json_type),
        send(server, "POST", "/signin", b"[1, 2]", json_type),
        send(server, "POST", "/signin", {"account": account.id, "password": PASSWORD}),
        send(server, "POST", "/signin", {"account": account.id, "userName": 7,
                                         "password": PASSWORD}),
        send(server, "POST", "/signin", b'{"a": "' + b"x" * 100_000 + b'"}', json_type),
        send(server, "POST", "/signin", json.dumps({"email": "a@b.c", "password": "x"}).encode(),
             {"Content-Type": "text/plain"}),
        send(server, "POST", "/signin", {"email": "a@b.c", "password": "x", "mfaCode": "abc"}),
    ]
    for reply in malformed:
        assert reply.status == 400, reply.body
        assert reply.error == "InvalidRequest"
        assert "Traceback" not in reply.body.decode()
    assert send(server, "GET", "/session").error == "InvalidSession"
    assert send(server, "GET", "/session", headers=bearer("a.b.c")).status == 401


def test_cookie_authenticated_posts_need_the_csrf_header(account: Account) -> None:
    with_password(account, "alice")
    token = sign_in(account.server, account.id, "alice").json()["token"]
    cookie = {"Cookie": f"iamd-session={token}"}
    refused = send(account.server, "POST", "/signout", headers=cookie)
    assert (refused.status, refused.error) == (403, "CsrfHeaderMissing")
    assert send(account.server, "GET", "/session", headers=cookie).status == 200
    signed_out = send(account.server, "POST", "/signout", headers={**cookie, **CSRF})
    assert signed_out.status == 200
    assert signed_out.json() == {"signedOut": True}
    assert any("Max-Age=0" in value or "max-age=0" in value for value in signed_out.cookies)
    gone = send(account.server, "GET", "/session", headers=bearer(token))
    assert (gone.status, gone.error) == (401, "InvalidSession")
    assert query(account.server, token, "GetUser").status == 403  # revoked everywhere


MFA_ONLY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
                   "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}],
})


def test_mfa_sign_in_and_the_query_api_sees_it(account: Account) -> None:
    iam, server = account.iam, account.server
    with_password(account, "alice")
    iam.put_user_policy(UserName="alice", PolicyName="mfa-only", PolicyDocument=MFA_ONLY)
    plain = sign_in(server, account.id, "alice").json()["token"]
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone")
    serial = device["VirtualMFADevice"]["SerialNumber"]
    seed = device["VirtualMFADevice"]["Base32StringSeed"].decode()
    first, second = code_at(seed, -1), code_at(seed, 0)
    iam.enable_mfa_device(UserName="alice", SerialNumber=serial,
                          AuthenticationCode1=first, AuthenticationCode2=second)

    required = sign_in(server, account.id, "alice")
    assert (required.status, required.error) == (401, "MfaCodeRequired")
    used = sign_in(server, account.id, "alice", mfa=second)  # EnableMFADevice took it
    assert (used.status, used.error) == (401, "SignInFailed")
    code = code_at(seed, 1)
    reply = sign_in(server, account.id, "alice", mfa=code)
    assert reply.status == 200, reply.body
    assert reply.json()["mfaAuthenticated"] is True
    replayed = sign_in(server, account.id, "alice", mfa=code)
    assert (replayed.status, replayed.error) == (401, "SignInFailed")
    with_mfa = reply.json()["token"]

    listed = query(server, with_mfa, "ListUsers")
    assert listed.status == 200, listed.body
    assert b"<UserName>alice</UserName>" in listed.body
    denied = query(server, plain, "ListUsers")
    assert denied.status == 403
    assert b"<Code>AccessDenied</Code>" in denied.body
    forged = query(server, with_mfa[:-3] + "AAA", "ListUsers")
    assert forged.status == 403
    assert b"<Code>InvalidClientTokenId</Code>" in forged.body
    assert_no_secrets(server, with_mfa, plain, code, seed)


def test_a_password_marked_for_reset_must_be_changed_first(account: Account) -> None:
    server = account.server
    account.iam.update_account_password_policy(AllowUsersToChangePassword=True)
    with_password(account, "alice", reset=True)
    account.iam.put_user_policy(UserName="alice", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["iam:GetUser", "iam:ListUsers"],
                       "Resource": "*"}],
    }))
    reply = sign_in(server, account.id, "alice")
    assert reply.status == 200
    assert reply.json()["passwordChangeRequired"] is True
    token = reply.json()["token"]
    refused = query(server, token, "ListUsers")
    assert refused.status == 403
    assert b"change it first" in refused.body
    assert query(server, token, "GetUser").status == 200

    changed = send(server, "POST", "/session/password",
                   {"oldPassword": PASSWORD, "newPassword": NEW_PASSWORD}, bearer(token))
    assert changed.status == 200, changed.body
    assert send(server, "GET", "/session", headers=bearer(token)).json()[
        "passwordChangeRequired"] is False
    assert query(server, token, "ListUsers").status == 200
    assert sign_in(server, account.id, "alice", NEW_PASSWORD).status == 200
    assert_no_secrets(server, token, NEW_PASSWORD)


def test_the_root_user_signs_in_with_its_email(account: Account) -> None:
    server = account.server
    services = bootstrap.build(server.database.settings())
    try:
        made = accounts.create_account(services.env, email="Owner@Example.com",
                                       root_password=PASSWORD)
    finally:
        services.close()
    reply = send(server, "POST", "/signin", {"email": "owner@example.com",
                                             "password": PASSWORD})
    assert reply.status == 200, reply.body
    assert reply.json()["arn"] == f"arn:aws:iam::{made.account.id}:root"
    assert reply.json()["userName"] is None
    assert query(server, reply.json()["token"], "ListUsers").status == 200


# -- servers of their own ------------------------------------------------------------------------
def signin_failures(server: Server, principal: str) -> list[float]:
    """Server-side time (ms, without the slow-down) of each failed attempt for ``principal``."""
    times = []
    for line in server.log().splitlines():
        entry = json.loads(line) if line.startswith("{") else {}
        if entry.get("logger") == "iamd.signin" and entry.get("principal") == principal \
                and entry.get("outcome") == "SignInFailed":
            times.append(float(entry["ms"]))
    return times


def test_lockout_and_timing_do_not_tell_unknown_users_from_wrong_passwords(
    fresh_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IAMD_SIGNIN_MAX_FAILURES", "4")
    monkeypatch.setenv("IAMD_SIGNIN_MAX_FAILURES_PER_ADDRESS", "100")
    monkeypatch.setenv("IAMD_SIGNIN_LOCKOUT_SECONDS", "10")
    monkeypatch.setenv("IAMD_TRUSTED_PROXIES", "127.0.0.1/32")
    server = Server.start(fresh_database, tmp_path)
    try:
        account = new_account(fresh_database, server)
        with_password(account, "alice")
        answers: dict[str, list[tuple[int, bytes]]] = {"alice": [], "nobody": []}
        for _ in range(4):
            for name, replies in answers.items():
                reply = sign_in(server, account.id, name, "wrong-Password-1")
                replies.append((reply.status, reply.body))
        assert answers["alice"] == answers["nobody"]
        assert {status for status, _ in answers["alice"]} == {401}

        locked = [sign_in(server, account.id, name) for name in answers]
        assert [reply.status for reply in locked] == [429, 429]
        assert locked[0].body == locked[1].body
        assert locked[0].error == "TooManyAttempts"
        assert locked[0].header("retry-after") in {str(seconds) for seconds in range(1, 11)}

        # A statistical check, measured on the server (without the slow-down, which is the
        # same for both): an unknown user costs the Argon2 verification a known one does, so
        # the medians stay close; skipping it would make one side ~100 times faster.
        wrong = statistics.median(signin_failures(server, f"{account.id}/alice"))
        unknown = statistics.median(signin_failures(server, f"{account.id}/nobody"))
        assert 0.5 < wrong / unknown < 2.0, (wrong, unknown)

        time.sleep(10.1)  # the lockout ends
        reply = sign_in(server, account.id, "alice", headers={"X-Forwarded-Proto": "https"})
        assert reply.status == 200, reply.body
        assert "Secure" in [part.strip() for part in reply.cookies[0].split(";")]
        assert_no_secrets(server, reply.json()["token"], PASSWORD)
    finally:
        server.stop()
