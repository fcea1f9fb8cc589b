"""The IAM entities iamd stores, as immutable values.

Field names follow AWS's API members in snake_case, so that the wire layer can name them
without a table per entity. ARNs are derived, never stored twice.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

AWS_ACCOUNT = "aws"  # the owner of AWS managed policies: arn:aws:iam::aws:policy/...


def iam_arn(account_id: str, kind: str, path: str, name: str) -> str:
    """``arn:aws:iam::ACCOUNT:KIND/PATH/NAME`` as AWS writes it (path starts and ends with /)."""
    return f"arn:aws:iam::{account_id}:{kind}{path}{name}"


class Relation:
    """The names under which pairs of entities are stored as (left id, right id)."""

    GROUP_MEMBER: Final = "member"  # left: group, right: user
    PROFILE_ROLE: Final = "instance_profile_role"  # left: instance profile, right: role


class PrincipalKind(enum.StrEnum):
    """Who can hold policies (inline or attached), tags and credentials."""

    USER = "user"
    GROUP = "group"
    ROLE = "role"


@dataclass(frozen=True, slots=True)
class Tag:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    email: str | None
    created: datetime

    @property
    def root_arn(self) -> str:
        return f"arn:aws:iam::{self.id}:root"


@dataclass(frozen=True, slots=True)
class User:
    account_id: str
    id: str  # AIDA...
    name: str
    path: str
    created: datetime
    permissions_boundary: str | None = None  # a managed policy ARN
    password_last_used: datetime | None = None

    @property
    def arn(self) -> str:
        return iam_arn(self.account_id, "user", self.path, self.name)


@dataclass(frozen=True, slots=True)
class Group:
    account_id: str
    id: str  # AGPA...
    name: str
    path: str
    created: datetime

    @property
    def arn(self) -> str:
        return iam_arn(self.account_id, "group", self.path, self.name)


@dataclass(frozen=True, slots=True)
class Role:
    account_id: str
    id: str  # AROA...
    name: str
    path: str
    created: datetime
    assume_role_policy: str  # the trust policy document, as given
    description: str | None = None
    max_session_duration: int = 3600
    permissions_boundary: str | None = None
    last_used_date: datetime | None = None
    last_used_region: str | None = None

    @property
    def arn(self) -> str:
        return iam_arn(self.account_id, "role", self.path, self.name)


@dataclass(frozen=True, slots=True)
class InstanceProfile:
    account_id: str
    id: str  # AIPA...
    name: str
    path: str
    created: datetime

    @property
    def arn(self) -> str:
        return iam_arn(self.account_id, "instance-profile", self.path, self.name)


@dataclass(frozen=True, slots=True)
class ManagedPolicy:
    """A customer managed policy (account_id is the owner) or an AWS managed one (``aws``)."""

    account_id: str
    id: str  # ANPA...
    name: str
    path: str
    created: datetime
    updated: datetime
    default_version_id: str = "v1"
    next_version: int = 2  # the number the next CreatePolicyVersion takes
    description: str | None = None

    @property
    def arn(self) -> str:
        return iam_arn(self.account_id, "policy", self.path, self.name)

    @property
    def is_aws_managed(self) -> bool:
        return self.account_id == AWS_ACCOUNT


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    account_id: str
    policy_id: str
    version_id: str  # v1, v2, ...
    document: str
    created: datetime


@dataclass(frozen=True, slots=True)
class InlinePolicy:
    account_id: str
    owner_kind: PrincipalKind
    owner_id: str
    name: str
    document: str


class KeyStatus(enum.StrEnum):
    ACTIVE = "Active"
    INACTIVE = "Inactive"


@dataclass(frozen=True, slots=True)
class AccessKey:
    """A long-term access key. ``user_id`` None: the account's root user."""

    account_id: str
    id: str  # AKIA...
    user_id: str | None
    sealed_secret: bytes = field(repr=False)
    status: KeyStatus
    created: datetime
    last_used_date: datetime | None = None
    last_used_service: str | None = None
    last_used_region: str | None = None


@dataclass(frozen=True, slots=True)
class OpenIDConnectProvider:
    account_id: str
    id: str
    url: str  # without https://, as it appears in the ARN
    client_ids: tuple[str, ...]
    thumbprints: tuple[str, ...]
    created: datetime

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:oidc-provider/{self.url}"


@dataclass(frozen=True, slots=True)
class SAMLProvider:
    account_id: str
    id: str
    name: str
    metadata_document: str
    created: datetime
    valid_until: datetime | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:saml-provider/{self.name}"


@dataclass(frozen=True, slots=True)
class ServerCertificate:
    account_id: str
    id: str  # ASCA...
    name: str
    path: str
    body: str
    chain: str | None
    sealed_private_key: bytes = field(repr=False)
    uploaded: datetime
    expiration: datetime | None = None

    @property
    def arn(self) -> str:
        return iam_arn(self.account_id, "server-certificate", self.path, self.name)


@dataclass(frozen=True, slots=True)
class SigningCertificate:
    account_id: str
    id: str
    user_id: str | None
    body: str
    status: KeyStatus
    uploaded: datetime


@dataclass(frozen=True, slots=True)
class SSHPublicKey:
    account_id: str
    id: str  # APKA...
    user_id: str
    body: str
    fingerprint: str
    status: KeyStatus
    uploaded: datetime
