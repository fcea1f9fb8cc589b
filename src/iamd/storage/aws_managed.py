"""The catalogue of AWS managed policies (``arn:aws:iam::aws:policy/...``) iamd ships.

The documents, paths, default version ids and dates come from moto's copy of AWS's managed
policies (its version is recorded in the JSON's ``source`` field); moto carries no
descriptions, so ``description`` is empty. The data file ``aws_managed_policies.json`` sits
beside this module and is read on the first call of `aws_managed_policies`, never at import.

To refresh it, re-extract the same policy names from ``moto.iam.aws_managed_policies``
(``aws_managed_policies_data``: name -> Path, DefaultVersionId, CreateDate, UpdateDate,
Document) and keep the file's layout: one entry per policy, documents as compact JSON.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from types import MappingProxyType
from typing import Any

DATA_FILE = "aws_managed_policies.json"


@dataclass(frozen=True, slots=True)
class AwsManagedPolicy:
    """One AWS managed policy at its default version."""

    name: str
    path: str
    arn: str
    default_version_id: str
    create_date: datetime  # UTC
    update_date: datetime  # UTC
    description: str
    document: str  # the policy document as compact JSON text


def aws_managed_policies() -> Mapping[str, AwsManagedPolicy]:
    """Every AWS managed policy in the catalogue, keyed by ARN (read-only, loaded once)."""
    return _load()


def catalogue_source() -> str:
    """Where the catalogue's data came from (e.g. ``moto 5.2.5 (...)``)."""
    return str(_raw()["source"])


@functools.cache
def _raw() -> dict[str, Any]:
    text = resources.files("iamd.storage").joinpath(DATA_FILE).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@functools.cache
def _load() -> Mapping[str, AwsManagedPolicy]:
    policies = (_policy(entry) for entry in _raw()["policies"])
    return MappingProxyType({policy.arn: policy for policy in policies})


def _policy(entry: Mapping[str, Any]) -> AwsManagedPolicy:
    return AwsManagedPolicy(
        name=entry["PolicyName"],
        path=entry["Path"],
        arn=entry["Arn"],
        default_version_id=entry["DefaultVersionId"],
        create_date=_utc(entry["CreateDate"]),
        update_date=_utc(entry["UpdateDate"]),
        description=entry.get("Description") or "",
        document=json.dumps(entry["Document"], separators=(",", ":"), ensure_ascii=False),
    )


def _utc(timestamp: str) -> datetime:
    parsed = datetime.fromisoformat(timestamp)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
