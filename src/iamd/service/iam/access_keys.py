"""Access keys: Create (the secret is returned this once), List, Update, Delete, LastUsed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from iamd.domain import errors
from iamd.domain.entities import AccessKey, KeyStatus, User
from iamd.domain.identifiers import access_key_id, secret_access_key
from iamd.storage.api import Transaction

from ..authz import authorize
from ..context import Call, Env
from .common import Page, key_status, max_items, reading, slice_page, writing
from .users import credential_owner


@dataclass(frozen=True, slots=True)
class NewAccessKey:
    user_name: str | None  # None: the root user's key
    key: AccessKey
    secret_access_key: str  # shown once, never stored in clear


@dataclass(frozen=True, slots=True)
class KeyView:
    user_name: str | None
    key: AccessKey


@dataclass(frozen=True, slots=True)
class LastUsed:
    user_name: str | None
    date: datetime | None
    service: str
    region: str


def _key_of(tx: Transaction, call: Call, owner: User | None, key_id: str) -> AccessKey:
    key = tx.get_by_id(AccessKey, key_id)
    owner_id = owner.id if owner else None
    if key is None or key.account_id != call.account_id or key.user_id != owner_id:
        raise errors.NoSuchEntity(f"The Access Key with id {key_id} cannot be found.")
    return key


def create_access_key(env: Env, call: Call, user_name: str | None = None) -> NewAccessKey:
    with writing(env, call, authorization_unchanged=True) as tx:
        owner = credential_owner(tx, call, "iam:CreateAccessKey", user_name)
        owner_id = owner.id if owner else None
        quota = env.quotas.access_keys_per_user
        if tx.count(AccessKey, call.account_id, user_id=owner_id) >= quota:
            raise errors.LimitExceeded(f"Cannot exceed quota for AccessKeysPerUser: {quota}")
        key, secret = new_key(env, call.account_id, owner_id, call.request.now)
        tx.add(key)
    return NewAccessKey(owner.name if owner else None, key, secret)


def new_key(
    env: Env, account_id: str, user_id: str | None, now: datetime,
    key_id: str | None = None, secret: str | None = None,
) -> tuple[AccessKey, str]:
    """A fresh key and its secret, the secret sealed to the key id."""
    key_id = key_id or access_key_id(env.random)
    secret = secret or secret_access_key(env.random)
    sealed = env.sealer.seal(secret.encode(), context=key_id.encode())
    return AccessKey(account_id, key_id, user_id, sealed, KeyStatus.ACTIVE, now), secret


def list_access_keys(
    env: Env, call: Call, user_name: str | None = None, marker: str | None = None,
    max_items_: int | None = None,
) -> Page[KeyView]:
    with reading(env) as tx:
        owner = credential_owner(tx, call, "iam:ListAccessKeys", user_name)
        keys = tx.find(AccessKey, call.account_id, user_id=owner.id if owner else None)
    views = [KeyView(owner.name if owner else None, key) for key in keys]
    return slice_page(views, marker, max_items(max_items_))


def update_access_key(
    env: Env, call: Call, access_key_id: str, status: str, user_name: str | None = None
) -> None:
    with writing(env, call, authorization_unchanged=True) as tx:
        owner = credential_owner(tx, call, "iam:UpdateAccessKey", user_name)
        key = _key_of(tx, call, owner, access_key_id)
        tx.replace(replace(key, status=key_status(status)))


def delete_access_key(
    env: Env, call: Call, access_key_id: str, user_name: str | None = None
) -> None:
    with writing(env, call, authorization_unchanged=True) as tx:
        owner = credential_owner(tx, call, "iam:DeleteAccessKey", user_name)
        key = _key_of(tx, call, owner, access_key_id)
        tx.remove(AccessKey, key.id)


def get_access_key_last_used(env: Env, call: Call, access_key_id: str) -> LastUsed:
    with reading(env) as tx:
        key = tx.get_by_id(AccessKey, access_key_id)
        if key is None or key.account_id != call.account_id:
            # Authorized on the account's users before answering, so that a caller without
            # the permission cannot probe which key ids exist.
            authorize(call, "iam:GetAccessKeyLastUsed", f"arn:aws:iam::{call.account_id}:user/")
            raise errors.NoSuchEntity(f"The Access Key with id {access_key_id} cannot be found.")
        owner = tx.get_by_id(User, key.user_id) if key.user_id else None
        authorize(call, "iam:GetAccessKeyLastUsed", owner.arn if owner else call.caller.arn)
    return LastUsed(
        owner.name if owner else None, key.last_used_date,
        key.last_used_service or "N/A", key.last_used_region or "N/A",
    )
