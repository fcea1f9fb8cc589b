"""Accounts: created, listed and removed by the operator (the CLI and first start), not by
the IAM API. Each account has a root user, whose email, password and first access key are
made here."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from iamd.domain import errors
from iamd.domain.entities import AccessKey, Account, ConsoleSession, LoginProfile
from iamd.domain.identifiers import account_id as new_account_id
from iamd.storage.api import AccountGone, DuplicateEntity, Transaction

from .context import Env
from .iam.access_keys import new_key
from .iam.password_policy import SYMBOLS, check_password

_ACCOUNT_ID = re.compile(r"\d{12}")
_KEY_ID = re.compile(r"[A-Z0-9]{16,128}")
_SECRET = re.compile(r"[!-~]{8,128}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_MAX_EMAIL = 256
# Without an email, the root user's sign-in name is ``root@<account id>.invalid`` (RFC 2606's
# reserved top-level domain: it can never be a real address).
_DEFAULT_EMAIL_DOMAIN = "invalid"
_PASSWORD_KINDS = ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", "0123456789",
                   "".join(sorted(SYMBOLS)))
_GENERATED_PASSWORD_LENGTH = 24


@dataclass(frozen=True, slots=True)
class NewAccount:
    account: Account
    root_access_key_id: str
    root_secret_access_key: str  # shown once by the caller, never stored in clear
    root_password: str | None = None  # generated (shown once); None when it was given


@dataclass(frozen=True, slots=True)
class AccountSummary:
    account: Account
    aliases: tuple[str, ...]


def create_account(
    env: Env, *, account_id: str | None = None, email: str | None = None,
    root_password: str | None = None,
    root_access_key_id: str | None = None, root_secret_access_key: str | None = None,
) -> NewAccount:
    """A new account with its root user: email (default ``root@<id>.invalid``), password
    (generated unless given) and access key (generated, or the given pair).

    Raises ValidationError for malformed input, PasswordPolicyViolation for a given password
    that AWS's default rules refuse, EntityAlreadyExists for a used id, email or key id."""
    _check_account_input(account_id, root_access_key_id, root_secret_access_key)
    chosen = account_id or new_account_id(env.random)
    address = _email(email) if email is not None else f"root@{chosen}.{_DEFAULT_EMAIL_DOMAIN}"
    if root_password is not None:
        check_password(None, root_password, names=(address,))
    password = root_password or generated_password(env)
    password_hash = env.hasher.hash(password)  # before the write lock: Argon2 takes a while
    now = env.clock.now()
    with env.store.write() as tx:
        account = Account(chosen, address, now)
        _refuse_used_email(tx, address)
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
        tx.add(LoginProfile(chosen, chosen, None, password_hash, now, now))
    return NewAccount(account, key.id, secret, None if root_password else password)


def _check_account_input(
    account_id: str | None, root_access_key_id: str | None, root_secret_access_key: str | None
) -> None:
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


def _email(text: str) -> str:
    """The root user's email, lower-cased (it is the root user's sign-in name)."""
    address = text.strip().lower()
    if len(address) > _MAX_EMAIL or not _EMAIL.fullmatch(address):
        raise errors.ValidationError(f"{text!r} is not an email address.")
    return address


def _refuse_used_email(tx: Transaction, address: str) -> None:
    if any(account.email == address for account in tx.accounts()):
        raise errors.EntityAlreadyExists(
            f"The email {address} is already the root user's of another account."
        )


def generated_password(env: Env) -> str:
    """A random root password: 24 characters with upper- and lower-case letters, digits and
    symbols (so that it meets any password rules)."""
    alphabet = "".join(_PASSWORD_KINDS)
    while True:
        password = env.random.text(alphabet, _GENERATED_PASSWORD_LENGTH)
        if all(any(char in kind for char in password) for kind in _PASSWORD_KINDS):
            return password


def reset_root_password(env: Env, account_id: str) -> str:
    """The operator's way back in: a new generated root password (returned to be shown once);
    the root user's console sessions end. Raises NoSuchEntity for an unknown account."""
    password = generated_password(env)
    password_hash = env.hasher.hash(password)
    now = env.clock.now()
    try:
        with env.store.write(account_id) as tx:
            current = tx.get_by_id(LoginProfile, account_id)
            if current is None:
                tx.add(LoginProfile(account_id, account_id, None, password_hash, now, now))
            else:
                tx.replace(replace(current, password_hash=password_hash, password_changed=now,
                                   password_reset_required=False))
            for session in tx.find(ConsoleSession, account_id, user_id=None):
                tx.remove(ConsoleSession, session.id)
    except AccountGone:
        raise errors.NoSuchEntity(f"Account {account_id} does not exist.") from None
    return password


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
