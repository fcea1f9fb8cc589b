"""The credential report: one CSV line per user (the root user first) saying which credentials
it has, when they were last changed and last used. No secret is ever part of it.

As on AWS, a report is kept for four hours: GenerateCredentialReport within that time keeps
the existing one, and GetCredentialReport after it answers ReportExpired. iamd builds the
report at once (inside GenerateCredentialReport), so that clients which poll Generate until
it says COMPLETE, then call Get, work unchanged.
"""

from __future__ import annotations

import csv
import enum
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from iamd.domain import errors
from iamd.domain.entities import (
    AccessKey,
    Account,
    CredentialReport,
    KeyStatus,
    LoginProfile,
    MFADevice,
    PasswordPolicy,
    SigningCertificate,
    User,
)
from iamd.storage.api import Transaction

from ..authz import authorize
from ..context import Call, Env
from ..credentials import password_expires, password_policy
from .common import reading, writing

ANY_RESOURCE = "*"
REPORT_LIFETIME = timedelta(hours=4)
REPORT_FORMAT = "text/csv"
ROOT_USER = "<root_account>"

# AWS's special values: no such credential; a credential the root user cannot have; a
# credential that exists but was never used.
NOT_APPLICABLE = "N/A"
NOT_SUPPORTED = "not_supported"
NO_INFORMATION = "no_information"

COLUMNS = (
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used",
    "password_last_changed", "password_next_rotation", "mfa_active",
    "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service",
    "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
)
_USERS_PER_READ = 1000


class ReportState(enum.StrEnum):
    STARTED = "STARTED"
    INPROGRESS = "INPROGRESS"
    COMPLETE = "COMPLETE"


@dataclass(frozen=True, slots=True)
class Generation:
    """GenerateCredentialReport's answer."""

    state: ReportState
    description: str | None = None


STARTED = Generation(
    ReportState.STARTED, "No report exists. Starting a new report generation task"
)
COMPLETE = Generation(ReportState.COMPLETE)


def generate_credential_report(env: Env, call: Call) -> Generation:
    """Build and keep a new report, unless the last one is younger than four hours."""
    now = call.request.now
    with writing(env, call, authorization_unchanged=True) as tx:
        authorize(call, "iam:GenerateCredentialReport", ANY_RESOURCE)
        current: CredentialReport | None = tx.get_by_id(CredentialReport, call.account_id)
        if current is not None and not _expired(current, now):
            return COMPLETE
        report = CredentialReport(
            call.account_id, call.account_id, now, build_report(tx, call.account_id)
        )
        if current is None:
            tx.add(report)
        else:
            tx.replace(report)
    return STARTED


def get_credential_report(env: Env, call: Call) -> CredentialReport:
    """The last report generated.

    Raises:
        CredentialReportNotPresent: none was generated.
        CredentialReportExpired: the last one is four hours old or more.
    """
    with reading(env) as tx:
        authorize(call, "iam:GetCredentialReport", ANY_RESOURCE)
        report: CredentialReport | None = tx.get_by_id(CredentialReport, call.account_id)
    if report is None:
        raise errors.CredentialReportNotPresent(
            "The request was rejected because the credential report does not exist. "
            "To generate a credential report, use GenerateCredentialReport."
        )
    if _expired(report, call.request.now):
        raise errors.CredentialReportExpired(
            "The request was rejected because the most recent credential report has "
            "expired. To generate a new credential report, use GenerateCredentialReport."
        )
    return report


def _expired(report: CredentialReport, now: datetime) -> bool:
    return now - report.generated >= REPORT_LIFETIME


# -- the CSV ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Credentials:
    """Every credential of the account, by owner (``None``: the root user)."""

    policy: PasswordPolicy | None
    profiles: dict[str | None, LoginProfile]
    keys: dict[str | None, list[AccessKey]]
    certificates: dict[str | None, list[SigningCertificate]]
    mfa_active: set[str | None]

    @classmethod
    def of(cls, tx: Transaction, account_id: str) -> _Credentials:
        devices = tx.find(MFADevice, account_id)
        return cls(
            password_policy(tx, account_id),
            {profile.user_id: profile for profile in tx.find(LoginProfile, account_id)},
            _by_owner(tx.find(AccessKey, account_id)),
            _by_owner(tx.find(SigningCertificate, account_id)),
            {device.user_id for device in devices if device.enabled is not None},
        )


def _by_owner(items: Iterable[Any]) -> dict[str | None, list[Any]]:
    owned: dict[str | None, list[Any]] = defaultdict(list)
    for item in items:  # oldest first: the first key is access_key_1
        owned[item.user_id].append(item)
    return owned


def build_report(tx: Transaction, account_id: str) -> str:
    """The report's CSV: a header, the root user's line, then the users by name."""
    account = tx.account(account_id)
    if account is None:  # the account lock taken by `writing` guarantees it exists
        raise errors.ServiceFailure("The account does not exist.")
    credentials = _Credentials.of(tx, account_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerow(_root_line(account, credentials))
    for user in _users(tx, account_id):
        writer.writerow(_user_line(user, credentials))
    return out.getvalue().removesuffix("\n")


def _users(tx: Transaction, account_id: str) -> Iterator[User]:
    after = None
    while True:
        chunk = tx.page(User, account_id, after=after, limit=_USERS_PER_READ)
        yield from chunk
        if len(chunk) < _USERS_PER_READ:
            return
        after = chunk[-1].name.lower()


def _root_line(account: Account, credentials: _Credentials) -> list[str]:
    has_password = None in credentials.profiles
    return [
        ROOT_USER, account.root_arn, _time(account.created),
        NOT_SUPPORTED,
        _last_used(account.password_last_used, has_password),
        NOT_SUPPORTED,
        NOT_SUPPORTED,
        *_credential_columns(None, credentials),
    ]


def _user_line(user: User, credentials: _Credentials) -> list[str]:
    profile = credentials.profiles.get(user.id)
    if profile is None:
        changed = next_rotation = NOT_APPLICABLE
    else:
        changed = _time(profile.password_changed)
        next_rotation = _optional_time(password_expires(credentials.policy, profile))
    return [
        user.name, user.arn, _time(user.created),
        _flag(profile is not None),
        _last_used(user.password_last_used, profile is not None),
        changed,
        next_rotation,
        *_credential_columns(user.id, credentials),
    ]


def _credential_columns(owner: str | None, credentials: _Credentials) -> list[str]:
    """mfa_active, then both access keys' columns, then both certificates' columns."""
    keys = credentials.keys.get(owner, [])
    certificates = credentials.certificates.get(owner, [])
    columns = [_flag(owner in credentials.mfa_active)]
    for index in range(2):
        columns += _key_columns(keys[index] if index < len(keys) else None)
    for index in range(2):
        columns += _certificate_columns(
            certificates[index] if index < len(certificates) else None
        )
    return columns


def _key_columns(key: AccessKey | None) -> list[str]:
    if key is None:
        return [_flag(False), *[NOT_APPLICABLE] * 4]
    return [
        _flag(key.status is KeyStatus.ACTIVE),
        _time(key.created),
        _optional_time(key.last_used_date),
        key.last_used_region or NOT_APPLICABLE,
        key.last_used_service or NOT_APPLICABLE,
    ]


def _certificate_columns(certificate: SigningCertificate | None) -> Sequence[str]:
    if certificate is None:
        return [_flag(False), NOT_APPLICABLE]
    return [_flag(certificate.status is KeyStatus.ACTIVE), _time(certificate.uploaded)]


def _last_used(when: datetime | None, has_password: bool) -> str:
    """A sign-in time; N/A without a password; no_information for one never used."""
    if when is not None:
        return _time(when)
    return NO_INFORMATION if has_password else NOT_APPLICABLE


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _time(when: datetime) -> str:
    """ISO 8601 to the second, in UTC, as AWS writes it: 2026-11-28T12:00:00+00:00."""
    return when.astimezone(UTC).replace(microsecond=0).isoformat()


def _optional_time(when: datetime | None) -> str:
    return NOT_APPLICABLE if when is None else _time(when)
