"""Accounts: created, listed and removed by the operator (the CLI and first start), not by
the IAM API. Each account has a root user, whose first access key is made here."""

from __future__ import annotations

import re
from dataclasses import dataclass

from iamd.domain import errors
from iamd.domain.entities import AccessKey, Account
from iamd.domain.identifiers import account_id as new_account_id
from iamd.storage.api import DuplicateEntity

from .context import Env
from .iam.access_keys import new_key

_ACCOUNT_ID = re.compile(r"\d{12}")
_KEY_ID = re.compile(r"[A-Z0-9]{16,128}")
_SECRET = re.compile(r"[!-~]{8,128}")


@dataclass(frozen=True, slots=True)
class NewAccount:
    account: Account
    root_access_key_id: str
    root_secret_access_key: str  # shown once by the caller, never stored in clear


@dataclass(frozen=True, slots=True)
class AccountSummary:
    account: Account
    aliases: tuple[str, ...]


def create_account(
    env: Env, *, account_id: str | None = None, email: str | None = None,
    root_access_key_id: str | None = None, root_secret_access_key: str | None = None,
) -> NewAccount:
    """A new account with its root user's access key (generated, or the given pair)."""
    if account_id is not None and not _ACCOUNT_ID.fullmatch(account_id):
        raise errors.ValidationError(f"Account id {account_id!r} must be 12 digits.")
    if (root_access_key_id is None) != (root_secret_access_key is None):
        raise errors.ValidationError(
            "Give both the root access key id and its secret access key, or neither."
        )
    if root_access_key_id is not None and not _KEY_ID.fullmatch(root_access_key_id):
        raise errors.ValidationError(
            "A root access key id must be 16 to 128 upper-case letters and digits."
        )
    if root_secret_access_key is not None and not _SECRET.fullmatch(root_secret_access_key):
        raise errors.ValidationError(
            "A root secret access key must be 8 to 128 printable ASCII characters."
        )
    now = env.clock.now()
    with env.store.write() as tx:
        chosen = account_id or new_account_id(env.random)
        account = Account(chosen, email, now)
        try:
            tx.add_account(account)
        except DuplicateEntity:
            raise errors.EntityAlreadyExists(f"Account {chosen} already exists.") from None
        if root_access_key_id and tx.get_by_id(AccessKey, root_access_key_id) is not None:
            raise errors.EntityAlreadyExists(
                f"Access key {root_access_key_id} already exists."
            )
        key, secret = new_key(
            env, chosen, None, now, root_access_key_id, root_secret_access_key
        )
        tx.add(key)
    return NewAccount(account, key.id, secret)


def list_accounts(env: Env) -> list[AccountSummary]:
    with env.store.read() as tx:
        return [
            AccountSummary(account, tuple(tx.aliases(account.id))) for account in tx.accounts()
        ]


def delete_account(env: Env, account_id: str) -> None:
    with env.store.write() as tx:
        if tx.account(account_id) is None:
            raise errors.NoSuchEntity(f"Account {account_id} does not exist.")
        tx.remove_account(account_id)


def is_empty(env: Env) -> bool:
    with env.store.read() as tx:
        return not tx.accounts()
