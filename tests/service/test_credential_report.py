"""GenerateCredentialReport / GetCredentialReport, and GetAccountSummary's MFA figures.

Credentials that other use cases create (login profiles, MFA devices, signing certificates)
are written straight to the store here, so that the report is tested on its own.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.parsers import QueryParser  # type: ignore[import-untyped]

from iamd.domain import errors
from iamd.domain.entities import (
    KeyStatus,
    LoginProfile,
    MFADevice,
    PasswordPolicy,
    SigningCertificate,
    User,
)
from iamd.protocol.models import service_model
from iamd.protocol.operations import handler
from iamd.protocol.serialize import serialize_result
from iamd.service.context import Call, Env
from iamd.service.iam import access_keys, account, credential_report, users

from .conftest import ACCOUNT, NOW, Callers, FixedClock

AWS_HEADER = (  # the first line of every AWS credential report
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
)
AWS_COLUMNS = next(csv.reader([AWS_HEADER]))
NO_KEY = ["false", "N/A", "N/A", "N/A", "N/A"]
NO_CERTIFICATE = ["false", "N/A"]


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def at(env: Env, moment: datetime) -> None:
    clock = env.clock
    assert isinstance(clock, FixedClock)
    clock.moment = moment


def allow(*actions: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})


def lines(report: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(report)))


def rows(callers: Callers) -> dict[str, dict[str, str]]:
    """Generate (or reuse) and fetch the report as the root user; its lines by user name."""
    root = callers.root()
    credential_report.generate_credential_report(callers.env, root)
    parsed = lines(credential_report.get_credential_report(callers.env, root).content)
    assert parsed[0] == AWS_COLUMNS
    return {line[0]: dict(zip(AWS_COLUMNS, line, strict=True)) for line in parsed[1:]}


def user_id(env: Env, name: str) -> str:
    with env.store.read() as tx:
        user = tx.get(User, ACCOUNT, name)
    assert user is not None
    return user.id


def add_password(env: Env, owner_id: str, changed: datetime) -> None:
    with env.store.write(ACCOUNT) as tx:
        tx.add(LoginProfile(ACCOUNT, owner_id, owner_id, env.hasher.hash("Correct-Horse-1"),
                            changed, changed))


def add_device(env: Env, name: str, owner_id: str | None, *, enabled: bool) -> None:
    device_id = f"device-{name}"
    sealed = env.sealer.seal(env.otp.new_seed().encode(), context=device_id.encode())
    with env.store.write(ACCOUNT) as tx:
        tx.add(MFADevice(ACCOUNT, device_id, name, "/", sealed, NOW, owner_id,
                         NOW if enabled else None))


# -- generate and get ------------------------------------------------------------------------
def test_get_before_any_generate_is_not_present(callers: Callers) -> None:
    with pytest.raises(errors.CredentialReportNotPresent,
                       match="the credential report does not exist"):
        credential_report.get_credential_report(callers.env, callers.root())


def test_root_line_comes_first(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    generation = credential_report.generate_credential_report(env, root)
    assert generation.state == "STARTED"
    assert generation.description == "No report exists. Starting a new report generation task"
    report = credential_report.get_credential_report(env, root)
    assert report.generated == NOW
    assert report.content.startswith(AWS_HEADER + "\n")
    assert not report.content.endswith("\n")
    parsed = lines(report.content)
    assert parsed[0] == AWS_COLUMNS
    assert len(parsed) == 2
    assert parsed[1] == [
        "<root_account>", f"arn:aws:iam::{ACCOUNT}:root", iso(NOW),
        "not_supported",
        "no_information",  # the password made with the account, never used
        "not_supported", "not_supported", "false",
        "true", iso(NOW), "N/A", "N/A", "N/A",  # the access key made with the account
        *NO_KEY, *NO_CERTIFICATE, *NO_CERTIFICATE,
    ]


def test_root_sign_in_and_mfa(callers: Callers) -> None:
    env = callers.env
    signed_in = NOW - timedelta(hours=1)
    add_device(env, "root-device", None, enabled=True)
    with env.store.write(ACCOUNT) as tx:
        made = tx.account(ACCOUNT)
        assert made is not None
        tx.replace(replace(made, password_last_used=signed_in))
    root_line = rows(callers)["<root_account>"]
    assert root_line["password_enabled"] == "not_supported"
    assert root_line["password_last_used"] == iso(signed_in)
    assert root_line["password_last_changed"] == "not_supported"
    assert root_line["password_next_rotation"] == "not_supported"
    assert root_line["mfa_active"] == "true"


def test_root_without_a_password(callers: Callers) -> None:
    with callers.env.store.write(ACCOUNT) as tx:
        tx.remove(LoginProfile, ACCOUNT)
    assert rows(callers)["<root_account>"]["password_last_used"] == "N/A"


def test_user_with_every_credential(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    created = NOW - timedelta(days=30)
    at(env, created)
    users.create_user(env, callers.root(), "alice", path="/staff/")
    alice = user_id(env, "alice")
    first = access_keys.create_access_key(env, callers.root(), "alice").key
    at(env, NOW - timedelta(days=10))
    second = access_keys.create_access_key(env, callers.root(), "alice").key
    at(env, NOW)
    access_keys.update_access_key(env, root, second.id, "Inactive", "alice")
    used = NOW - timedelta(days=2)
    env.store.record_key_use(first.id, used, "iam", "eu-west-1")
    changed = NOW - timedelta(days=20)
    add_password(env, alice, changed)
    add_device(env, "alice-phone", alice, enabled=True)
    with env.store.write(ACCOUNT) as tx:
        tx.add(SigningCertificate(ACCOUNT, "CERT1", alice, "body", KeyStatus.ACTIVE, created))
        stored = tx.get(User, ACCOUNT, "alice")
        assert stored is not None
        tx.replace(replace(stored, password_last_used=NOW - timedelta(hours=5)))
        tx.add(PasswordPolicy(ACCOUNT, ACCOUNT, max_password_age=90))

    line = rows(callers)["alice"]
    assert line == {
        "user": "alice", "arn": f"arn:aws:iam::{ACCOUNT}:user/staff/alice",
        "user_creation_time": iso(created),
        "password_enabled": "true",
        "password_last_used": iso(NOW - timedelta(hours=5)),
        "password_last_changed": iso(changed),
        "password_next_rotation": iso(changed + timedelta(days=90)),
        "mfa_active": "true",
        "access_key_1_active": "true",
        "access_key_1_last_rotated": iso(created),
        "access_key_1_last_used_date": iso(used),
        "access_key_1_last_used_region": "eu-west-1",
        "access_key_1_last_used_service": "iam",
        "access_key_2_active": "false",
        "access_key_2_last_rotated": iso(NOW - timedelta(days=10)),
        "access_key_2_last_used_date": "N/A",
        "access_key_2_last_used_region": "N/A",
        "access_key_2_last_used_service": "N/A",
        "cert_1_active": "true",
        "cert_1_last_rotated": iso(created),
        "cert_2_active": "false",
        "cert_2_last_rotated": "N/A",
    }


def test_user_without_credentials_and_name_order(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    for name in ("carol", "Bob", "a,b@example.com", "dave"):
        users.create_user(env, root, name)
    add_password(env, user_id(env, "dave"), NOW)  # a password, never used, no rotation policy
    add_device(env, "carol-spare", None, enabled=False)  # not carol's: unassigned
    report = rows(callers)
    assert list(report) == ["<root_account>", "a,b@example.com", "Bob", "carol", "dave"]
    bob = report["Bob"]
    assert [bob[column] for column in AWS_COLUMNS[3:8]] == [
        "false", "N/A", "N/A", "N/A", "false"]
    assert [bob[column] for column in AWS_COLUMNS[8:]] == [
        *NO_KEY, *NO_KEY, *NO_CERTIFICATE, *NO_CERTIFICATE]
    assert report["carol"]["mfa_active"] == "false"
    dave = report["dave"]
    assert (dave["password_enabled"], dave["password_last_used"]) == ("true", "no_information")
    assert (dave["password_last_changed"], dave["password_next_rotation"]) == (iso(NOW), "N/A")


def test_a_report_lasts_four_hours(callers: Callers) -> None:
    env = callers.env
    assert credential_report.generate_credential_report(env, callers.root()).state == "STARTED"
    users.create_user(env, callers.root(), "late")
    at(env, NOW + timedelta(hours=3, minutes=59))
    again = credential_report.generate_credential_report(env, callers.root())
    assert (again.state, again.description) == ("COMPLETE", None)
    kept = credential_report.get_credential_report(env, callers.root())
    assert kept.generated == NOW
    assert "late" not in kept.content  # the report is the one made four hours ago

    at(env, NOW + timedelta(hours=4))
    with pytest.raises(errors.CredentialReportExpired, match="has expired"):
        credential_report.get_credential_report(env, callers.root())
    assert credential_report.generate_credential_report(env, callers.root()).state == "STARTED"
    fresh = credential_report.get_credential_report(env, callers.root())
    assert fresh.generated == NOW + timedelta(hours=4)
    assert "late" in rows(callers)


def test_reports_need_their_permissions(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    bob = callers.user("bob")
    credential_report.generate_credential_report(env, root)
    with pytest.raises(errors.AccessDenied, match=r"iam:GenerateCredentialReport on resource: \*"):
        credential_report.generate_credential_report(env, bob)
    with pytest.raises(errors.AccessDenied, match="iam:GetCredentialReport"):
        credential_report.get_credential_report(env, bob)
    users.put_user_policy(env, root, "bob", "reports",
                          allow("iam:GenerateCredentialReport", "iam:GetCredentialReport"))
    bob = callers.user("bob")
    assert credential_report.generate_credential_report(env, bob).state == "COMPLETE"
    assert "bob" in lines(credential_report.get_credential_report(env, bob).content)[2]


def test_reports_are_per_account(callers: Callers) -> None:
    from iamd.service import accounts

    env = callers.env
    credential_report.generate_credential_report(env, callers.root())
    other = callers.call_for_key(
        accounts.create_account(env, account_id="210987654321").root_access_key_id)
    with pytest.raises(errors.CredentialReportNotPresent):
        credential_report.get_credential_report(env, other)
    credential_report.generate_credential_report(env, other)
    content = credential_report.get_credential_report(env, other).content
    assert "arn:aws:iam::210987654321:root" in content
    assert ACCOUNT not in content


# -- through the wire layer ------------------------------------------------------------------
def _round_trip(call: Call, callers: Callers, operation: str) -> Any:
    adapter = handler("iam", operation)
    assert adapter is not None
    body = serialize_result("iam", operation, adapter(callers.env, call, {}), "req-1")
    output = service_model("iam").operation_model(operation).output_shape
    return QueryParser().parse({"body": body, "headers": {}, "status_code": 200}, output)


def test_wire_shapes(callers: Callers) -> None:
    root = callers.root()
    started = _round_trip(root, callers, "GenerateCredentialReport")
    assert started["State"] == "STARTED"
    assert started["Description"].startswith("No report exists")
    assert "Description" not in _round_trip(root, callers, "GenerateCredentialReport")
    got = _round_trip(root, callers, "GetCredentialReport")
    assert got["ReportFormat"] == "text/csv"
    assert got["GeneratedTime"] == NOW
    assert got["Content"].decode().startswith("user,arn,user_creation_time,")


# -- GetAccountSummary's MFA figures ---------------------------------------------------------
def test_summary_counts_mfa_devices(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "alice")
    alice = user_id(env, "alice")
    add_device(env, "unassigned", None, enabled=False)
    add_device(env, "alice-phone", alice, enabled=True)
    summary = account.get_account_summary(env, root)
    assert (summary["MFADevices"], summary["MFADevicesInUse"]) == (2, 1)
    assert summary["AccountMFAEnabled"] == 0  # alice's device is not the root user's
    add_device(env, "root-device", None, enabled=True)
    summary = account.get_account_summary(env, root)
    assert (summary["MFADevices"], summary["MFADevicesInUse"]) == (3, 2)
    assert summary["AccountMFAEnabled"] == 1
    assert "AccountPasswordPresent" not in summary  # AWS does not return it
