"""Rows to entities and back: each entity class, its table, and its fields' conversions."""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table

from iamd.domain import entities as e

from . import schema

TABLES: Mapping[type, Table] = {
    e.User: schema.users,
    e.Group: schema.groups,
    e.Role: schema.roles,
    e.InstanceProfile: schema.instance_profiles,
    e.ManagedPolicy: schema.policies,
    e.PolicyVersion: schema.policy_versions,
    e.AccessKey: schema.access_keys,
    e.OpenIDConnectProvider: schema.oidc_providers,
    e.SAMLProvider: schema.saml_providers,
    e.ServerCertificate: schema.server_certificates,
    e.SigningCertificate: schema.signing_certificates,
    e.SSHPublicKey: schema.ssh_public_keys,
    e.Account: schema.accounts,
    e.LoginProfile: schema.login_profiles,
    e.UsedPassword: schema.used_passwords,
    e.PasswordPolicy: schema.password_policies,
    e.MFADevice: schema.mfa_devices,
    e.ConsoleSession: schema.console_sessions,
    e.SignInFailures: schema.signin_failures,
    e.CredentialReport: schema.credential_reports,
}


def table_of(kind: type) -> Table:
    try:
        return TABLES[kind]
    except KeyError:
        raise TypeError(f"no table stores {kind.__name__}") from None


def utc(value: datetime) -> datetime:
    """SQLite gives naive datetimes back; everything in iamd is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Convert = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def _reader(hint: Any) -> Convert:
    """How a column value becomes the field's type (None stays None)."""
    base = _without_none(hint)
    if base is datetime:
        return _datetime
    if isinstance(base, type) and issubclass(base, enum.Enum):
        return lambda value: None if value is None else base(value)
    if typing.get_origin(base) is tuple:
        return lambda value: tuple(json.loads(value))
    if base is bytes:
        return lambda value: None if value is None else bytes(value)
    if base is bool:  # SQLite hands back 0 and 1
        return lambda value: None if value is None else bool(value)
    return _identity


def _datetime(value: Any) -> datetime | None:
    """SQLite hands back the text SQLAlchemy's DateTime stores (naive UTC); PostgreSQL a
    datetime. Reading the text with its offset appended yields the UTC singleton directly."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return utc(value)
    return datetime.fromisoformat(value + "+00:00")


def _without_none(hint: Any) -> Any:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return next(arg for arg in typing.get_args(hint) if arg is not type(None))
    return hint


def _writer(hint: Any) -> Convert:
    if typing.get_origin(hint) is tuple:
        return lambda value: json.dumps(list(value))
    return lambda value: value.value if isinstance(value, enum.Enum) else value


_FIELDS: dict[type, tuple[tuple[str, Convert, Convert], ...]] = {}


def _fields(kind: type) -> tuple[tuple[str, Convert, Convert], ...]:
    fields = _FIELDS.get(kind)
    if fields is None:
        hints = typing.get_type_hints(kind, vars(e))
        fields = _FIELDS[kind] = tuple(
            (field.name, _reader(hints[field.name]), _writer(hints[field.name]))
            for field in dataclasses.fields(kind)
        )
    return fields


def to_row(entity: object) -> dict[str, Any]:
    row = {name: write(getattr(entity, name)) for name, _, write in _fields(type(entity))}
    if "name_key" in table_of(type(entity)).c:
        row["name_key"] = row["name"].lower()
    return row


def from_row(kind: type[Any], row: Mapping[Any, Any]) -> Any:
    return kind(**{name: read(row[name]) for name, read, _ in _fields(kind)})


def from_rows(kind: type[Any], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[Any]:
    """Entities from a result's plain rows: lists run to a thousand entities per request, so
    each (kind, columns) gets a constructor call compiled once, reading columns by position."""
    build = _row_builder(kind, tuple(columns))
    return [build(row) for row in rows]


_BUILDERS: dict[tuple[type, tuple[str, ...]], Callable[[Sequence[Any]], Any]] = {}


def _row_builder(kind: type[Any], columns: tuple[str, ...]) -> Callable[[Sequence[Any]], Any]:
    builder = _BUILDERS.get((kind, columns))
    if builder is None:
        position = {name: index for index, name in enumerate(columns)}
        namespace: dict[str, Any] = {"kind": kind}
        arguments = []
        for name, read, _ in _fields(kind):
            index = position[name]
            if read is _identity:
                arguments.append(f"row[{index}]")
            else:
                namespace[f"read_{name}"] = read
                arguments.append(f"read_{name}(row[{index}])")
        # Only field names and column positions go into the code; values stay in `row`.
        exec(f"def build(row):\n    return kind({', '.join(arguments)})", namespace)
        builder = _BUILDERS[(kind, columns)] = namespace["build"]
    return builder
