"""The storage contract the services use: transactions over typed entity tables.

Entities are the frozen dataclasses of `iamd.domain.entities`; the store maps each class to
its table. Every operation of a service runs in one transaction: `Store.write(account_id)`
serializes the writers of one account (so quotas checked inside it hold) and bumps the
account's version, which is what caches of authorization data are keyed on.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol, TypeVar

from iamd.domain.entities import (
    AccessKey,
    Account,
    InlinePolicy,
    PolicyVersion,
    PrincipalKind,
    Tag,
    User,
)

E = TypeVar("E")


class DuplicateEntity(Exception):
    """An insert met a unique constraint (the name or id exists)."""


class AccountGone(Exception):
    """A write was started for an account that does not exist (any more)."""


class UserHoldings(NamedTuple):
    """Whether a user still has each kind of thing that AWS makes you remove before the user."""

    access_keys: bool
    groups: bool
    attached_policies: bool
    inline_policies: bool
    signing_certificates: bool
    ssh_public_keys: bool
    login_profile: bool
    mfa_devices: bool
    # Removed along with the user rather than refused, and looked for only when present:
    password_history: bool
    console_sessions: bool


class Transaction(Protocol):
    # -- generic entity tables -------------------------------------------------------------
    def add(self, entity: object) -> None:
        """Insert; raises DuplicateEntity when the id or (account, name) is taken."""

    def replace(self, entity: object) -> None:
        """Update every field of the stored row with the same id."""

    def remove(self, kind: type, entity_id: str) -> None: ...

    def get(self, kind: type[E], account_id: str, name: str) -> E | None:
        """By name, case-insensitively (IAM names are unique regardless of case)."""

    def get_by_id(self, kind: type[E], entity_id: str) -> E | None: ...

    def find(self, kind: type[E], account_id: str, **equal: Any) -> list[E]:
        """Rows whose columns equal the given values, oldest first."""

    def page(
        self, kind: type[E], account_id: str, *, path_prefix: str = "/",
        after: str | None = None, limit: int = 100, ids: Sequence[str] | None = None,
    ) -> list[E]:
        """Named entities in name order (case-insensitive), after the name key ``after``;
        only those under ``path_prefix``, and among ``ids`` when given."""

    def count(self, kind: type, account_id: str, **equal: Any) -> int: ...

    def user_holdings(self, account_id: str, user_id: str) -> UserHoldings:
        """What the user still has, in one read (DeleteUser's checks and leftovers)."""

    # -- relations ---------------------------------------------------------------------------
    def link(self, relation: str, account_id: str, left: str, right: str) -> bool:
        """Add the pair; False when it was already there."""

    def unlink(self, relation: str, left: str, right: str) -> bool:
        """Remove the pair; False when it was not there."""

    def rights(self, relation: str, left: str) -> list[str]: ...

    def lefts(self, relation: str, right: str) -> list[str]: ...

    # -- managed policy attachments (policy ARN to principal) ---------------------------------
    def attach(
        self, account_id: str, policy_arn: str, kind: PrincipalKind, principal_id: str
    ) -> bool: ...

    def detach(self, policy_arn: str, kind: PrincipalKind, principal_id: str) -> bool: ...

    def attached(self, kind: PrincipalKind, principal_id: str) -> list[str]: ...

    def attachments(self, account_id: str, policy_arn: str) -> list[tuple[PrincipalKind, str]]: ...

    def attachment_counts(self, account_id: str) -> dict[str, int]:
        """Per policy ARN, how many principals of the account have it attached."""

    # -- inline policies --------------------------------------------------------------------
    def inline_policies(self, kind: PrincipalKind, owner_id: str) -> list[InlinePolicy]: ...

    def put_inline(self, policy: InlinePolicy) -> None: ...

    def delete_inline(self, kind: PrincipalKind, owner_id: str, name: str) -> bool: ...

    # -- managed policy versions ------------------------------------------------------------
    def versions(self, policy_id: str) -> list[PolicyVersion]: ...

    def remove_version(self, policy_id: str, version_id: str) -> bool: ...

    # -- tags -------------------------------------------------------------------------------
    def tags(self, resource_kind: str, resource_id: str) -> list[Tag]: ...

    def user_with_tags(
        self, account_id: str, name: str, tag_kind: str
    ) -> tuple[User, list[Tag]] | None:
        """The named user (case-insensitively) and its tags (``tag_kind``), in one read."""

    def put_tags(
        self, account_id: str, resource_kind: str, resource_id: str, tags: Sequence[Tag]
    ) -> None: ...

    def remove_tags(self, resource_kind: str, resource_id: str, keys: Sequence[str]) -> None: ...

    def clear_tags(self, resource_kind: str, resource_id: str) -> None:
        """Remove every tag of the resource (when it is deleted)."""

    # -- accounts ---------------------------------------------------------------------------
    def account(self, account_id: str) -> Account | None: ...

    def account_version(self, account_id: str) -> int | None:
        """The account's current version (None: no such account)."""

    def access_key(self, key_id: str) -> tuple[AccessKey, int] | None:
        """A key with its account's current version (the request path's one read)."""

    def accounts(self) -> list[Account]: ...

    def add_account(self, account: Account) -> None: ...

    def account_of_alias(self, alias: str) -> str | None: ...

    def account_of_email(self, email: str) -> Account | None:
        """The account whose root user has this (lower-cased) email."""

    def forget_signin_failures(self, now: datetime, window: timedelta) -> None:
        """Drop the failed sign-in counts that no longer matter: first failure older than
        ``window`` and no lock in force at ``now``."""

    def aliases(self, account_id: str) -> list[str]: ...

    def add_alias(self, account_id: str, alias: str) -> None: ...

    def remove_alias(self, account_id: str, alias: str) -> bool: ...

    def remove_account(self, account_id: str) -> None:
        """Delete the account and everything in it."""


class Store(Protocol):
    def read(self) -> AbstractContextManager[Transaction]: ...

    def write(
        self, account_id: str | None = None, *, authorization_unchanged: bool = False
    ) -> AbstractContextManager[Transaction]:
        """A write transaction; with ``account_id``, locks that account (raises AccountGone
        when it does not exist) and bumps its version, which drops every cached caller of
        the account. ``authorization_unchanged``: lock without the bump, for writes that
        cannot change what any existing caller may do (see `common.writing`)."""

    def access_key(self, key_id: str) -> tuple[AccessKey, int] | None:
        """`Transaction.access_key` as one read of its own, outside any transaction: the
        first step of every request."""

    def user_with_tags(
        self, account_id: str, name: str, tag_kind: str
    ) -> tuple[User, list[Tag]] | None:
        """`Transaction.user_with_tags` as one read of its own, outside any transaction:
        GetUser's whole read."""

    def record_key_use(self, key_id: str, when: datetime, service: str, region: str) -> None:
        """Stamp an access key's last use, in its own short transaction, without taking the
        account lock or bumping its version (bookkeeping, not authorization data)."""

    def close(self) -> None: ...
