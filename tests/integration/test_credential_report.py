"""The credential report over HTTP, on both backends: boto3 polls GenerateCredentialReport until
COMPLETE and reads the CSV with the csv module, as audit scripts do; the aws CLI once."""

from __future__ import annotations

import base64
import csv
import io
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .conftest import Account

COLUMNS = [
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used",
    "password_last_changed", "password_next_rotation", "mfa_active",
    "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service",
    "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
]
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"  # includes GenerateCredentialReport


def poll_until_complete(iam: Any, attempts: int = 10) -> list[str]:
    """What audit scripts do: call Generate until it says COMPLETE; the states seen."""
    states = []
    for _ in range(attempts):
        states.append(iam.generate_credential_report()["State"])
        if states[-1] == "COMPLETE":
            return states
        time.sleep(0.1)
    raise AssertionError(f"the report never completed: {states}")


def report_rows(iam: Any) -> tuple[dict[str, Any], list[dict[str, str]]]:
    got = iam.get_credential_report()
    content = got["Content"]
    assert isinstance(content, bytes)
    reader = csv.DictReader(io.StringIO(content.decode()))
    assert reader.fieldnames == COLUMNS
    return got, list(reader)


def parse_time(text: str) -> datetime:
    assert text.endswith("+00:00"), text
    return datetime.fromisoformat(text)


def signing_certificate() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "signer")])
    now = datetime.now(UTC)
    built = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return built.public_bytes(serialization.Encoding.PEM).decode()


def enable_virtual_mfa(iam: Any, device_name: str, user_name: str) -> None:
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=device_name)["VirtualMFADevice"]
    totp = pyotp.TOTP(device["Base32StringSeed"].decode())
    now = time.time()
    iam.enable_mfa_device(UserName=user_name, SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=totp.at(now - 30),
                          AuthenticationCode2=totp.at(now))


def test_generate_poll_get_and_read_the_csv(account: Account) -> None:
    iam = account.iam
    with pytest.raises(ClientError) as missing:
        iam.get_credential_report()
    assert missing.value.response["Error"]["Code"] == "ReportNotPresent"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410

    started = datetime.now(UTC).replace(microsecond=0)
    iam.update_account_password_policy(MaxPasswordAge=90)
    alice = account.user_with_key("alice", READ_ONLY)
    alice.get_user()  # the first key is used: its last use is recorded
    iam.create_access_key(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Tr0ub4dor&3-alice")
    enable_virtual_mfa(iam, "alice-phone", "alice")
    iam.upload_signing_certificate(UserName="alice", CertificateBody=signing_certificate())
    iam.create_user(UserName="Bob")

    assert poll_until_complete(iam) == ["STARTED", "COMPLETE"]
    got, rows = report_rows(iam)
    assert got["ReportFormat"] == "text/csv"
    assert abs(got["GeneratedTime"] - datetime.now(UTC)) < timedelta(minutes=1)
    assert [row["user"] for row in rows] == ["<root_account>", "alice", "Bob"]

    root = rows[0]
    assert root["arn"] == f"arn:aws:iam::{account.id}:root"
    assert [root[name] for name in ("password_enabled", "password_last_changed",
                                    "password_next_rotation")] == ["not_supported"] * 3
    assert root["password_last_used"] == "no_information"  # made with the account, not used
    assert root["access_key_1_active"] == "true"  # the key the account was made with
    assert root["access_key_1_last_used_service"] == "iam"

    row = rows[1]
    assert row["arn"] == f"arn:aws:iam::{account.id}:user/alice"
    assert parse_time(row["user_creation_time"]) >= started
    assert (row["password_enabled"], row["password_last_used"]) == ("true", "no_information")
    changed = parse_time(row["password_last_changed"])
    assert parse_time(row["password_next_rotation"]) == changed + timedelta(days=90)
    assert row["mfa_active"] == "true"
    assert (row["access_key_1_active"], row["access_key_2_active"]) == ("true", "true")
    # Both keys were made within one second (IAM keeps dates to the second): either may be
    # listed first. One was used, the other not.
    used, unused = sorted((1, 2), key=lambda n: row[f"access_key_{n}_last_used_date"] == "N/A")
    assert parse_time(row[f"access_key_{used}_last_used_date"]) >= started
    assert row[f"access_key_{used}_last_used_region"] == "us-east-1"
    assert row[f"access_key_{used}_last_used_service"] == "iam"
    assert row[f"access_key_{unused}_last_used_date"] == "N/A"
    assert (row["cert_1_active"], row["cert_2_active"]) == ("true", "false")

    bob = rows[2]
    assert [bob[name] for name in COLUMNS[3:8]] == ["false", "N/A", "N/A", "N/A", "false"]
    assert bob["access_key_1_last_rotated"] == bob["cert_1_last_rotated"] == "N/A"

    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["MFADevices"], summary["MFADevicesInUse"]) == (1, 1)
    assert summary["AccountMFAEnabled"] == 0


def test_reports_need_permission(account: Account) -> None:
    iam = account.iam
    auditor = account.user_with_key("auditor")
    for call in (auditor.generate_credential_report, auditor.get_credential_report):
        with pytest.raises(ClientError) as denied:
            call()
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
    iam.attach_user_policy(UserName="auditor", PolicyArn=READ_ONLY)
    assert poll_until_complete(auditor)[-1] == "COMPLETE"
    _, rows = report_rows(auditor)
    assert [row["user"] for row in rows] == ["<root_account>", "auditor"]


def test_the_aws_cli_generates_and_gets_the_report(account: Account) -> None:
    generated = json.loads(account.aws("iam", "generate-credential-report").stdout)
    assert generated == {
        "State": "STARTED",
        "Description": "No report exists. Starting a new report generation task",
    }
    got = json.loads(account.aws("iam", "get-credential-report").stdout)
    assert got["ReportFormat"] == "text/csv"
    lines = base64.b64decode(got["Content"]).decode().splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert lines[1].startswith(f"<root_account>,arn:aws:iam::{account.id}:root,")
