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
    email: str | None  # the root user's sign-in name, lower-cased; unique
    created: datetime
    password_last_used: datetime | None = None  # the root user's

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


# -- credentials and sign-in (the root user is ``user_id`` None throughout, as for AccessKey) --
@dataclass(frozen=True, slots=True)
class LoginProfile:
    """A console password. ``id`` is the user's id, or the account id for the root user."""

    account_id: str
    id: str
    user_id: str | None
    password_hash: str = field(repr=False)  # Argon2id, in PHC form (parameters included)
    created: datetime
    password_changed: datetime
    password_reset_required: bool = False


@dataclass(frozen=True, slots=True)
class UsedPassword:
    """An earlier password of a user, kept as its hash for PasswordReusePrevention."""

    account_id: str
    id: str
    user_id: str | None
    password_hash: str = field(repr=False)
    created: datetime  # when it stopped being the current password


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """The account password policy; ``id`` is the account id (one per account)."""

    account_id: str
    id: str
    minimum_password_length: int = 6
    require_symbols: bool = False
    require_numbers: bool = False
    require_uppercase_characters: bool = False
    require_lowercase_characters: bool = False
    allow_users_to_change_password: bool = False
    max_password_age: int | None = None  # days
    password_reuse_prevention: int | None = None  # how many earlier passwords are refused
    hard_expiry: bool = False


@dataclass(frozen=True, slots=True)
class MFADevice:
    """A virtual MFA device. Assigned when ``enabled`` is set: to ``user_id``, or to the root
    user when ``user_id`` is None."""

    account_id: str
    id: str
    name: str
    path: str
    sealed_seed: bytes = field(repr=False)  # the TOTP secret, sealed with context ``id``
    created: datetime
    user_id: str | None = None
    enabled: datetime | None = None
    last_step: int = 0  # the last TOTP time step accepted: no code is accepted twice

    @property
    def serial_number(self) -> str:
        return iam_arn(self.account_id, "mfa", self.path, self.name)


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    """A signed-in session. Only a hash of its token is stored; deleting the row revokes it."""

    account_id: str
    id: str
    user_id: str | None
    token_hash: bytes = field(repr=False)
    created: datetime
    expires: datetime
    mfa_authenticated: datetime | None = None  # when the MFA code was given, if it was
    password_change_only: bool = False  # the password expired or must be reset


@dataclass(frozen=True, slots=True)
class SignInFailures:
    """Recent failed sign-ins under one key (a user name in an account, or a source address).

    ``id`` is the key; ``account_id`` is empty for address keys."""

    account_id: str
    id: str
    failures: int
    first_failure: datetime
    locked_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class CredentialReport:
    """The last generated credential report of an account (``id`` is the account id)."""

    account_id: str
    id: str
    generated: datetime
    content: str  # CSV
