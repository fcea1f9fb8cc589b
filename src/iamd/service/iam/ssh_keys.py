"""SSH public keys of IAM users (as CodeCommit uses them): Upload, Get, List, Update, Delete.

A key is an RSA key of at least 2048 bits, given in OpenSSH (``ssh-rsa AAAA...``) or PEM
form; its fingerprint is AWS's: the MD5 of the OpenSSH key blob, as colon-separated hex.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, replace

from iamd.domain import errors
from iamd.domain.entities import KeyStatus, SSHPublicKey, User
from iamd.domain.identifiers import IdPrefix
from iamd.storage.api import Transaction

from ..context import Call, Env
from ..ports import KeyMaterial, ParsedPublicKey
from .common import Page, key_status, max_items, new_id, reading, slice_page, writing
from .users import authorize_on_user, credential_owner, missing

MIN_RSA_BITS = 2048
PEM_MARK = "-----BEGIN"


@dataclass(frozen=True, slots=True)
class SSHKeyView:
    """A user's SSH public key; ``body`` in the encoding asked for (as uploaded otherwise)."""

    user_name: str
    key: SSHPublicKey
    body: str


# -- parsing -------------------------------------------------------------------------------
def parsed_public_key(key_material: KeyMaterial, body: str) -> ParsedPublicKey:
    """The RSA key in ``body``: UnrecognizedPublicKeyEncoding unless OpenSSH or PEM text,
    InvalidPublicKey unless it parses as an RSA key of at least 2048 bits."""
    return key_material.rsa_public_key(body, min_bits=MIN_RSA_BITS)


def fingerprint(key: ParsedPublicKey) -> str:
    """AWS's fingerprint: MD5 of the OpenSSH key blob, ``xx:xx:...`` (16 bytes)."""
    blob = base64.b64decode(key.openssh.split()[1])
    return hashlib.md5(blob, usedforsecurity=False).digest().hex(":")


def encoded(key_material: KeyMaterial, body: str, encoding: str) -> str:
    """The key in ``SSH`` or ``PEM`` encoding; the body as uploaded when already in it."""
    is_pem = body.strip().startswith(PEM_MARK)
    if is_pem == (encoding == "PEM"):
        return body
    key = parsed_public_key(key_material, body)
    return key.pem if encoding == "PEM" else key.openssh


# -- operations ----------------------------------------------------------------------------
def _owner(tx: Transaction, call: Call, action: str, user_name: str) -> User:
    user = authorize_on_user(tx, call, action, user_name)
    if user is None:
        raise missing(user_name)
    return user


def _key_of(tx: Transaction, call: Call, owner: User, key_id: str) -> SSHPublicKey:
    key = tx.get_by_id(SSHPublicKey, key_id)
    if key is None or key.account_id != call.account_id or key.user_id != owner.id:
        raise errors.NoSuchEntity(f"The Public Key with id {key_id} cannot be found.")
    return key


def upload_ssh_public_key(env: Env, call: Call, user_name: str, body: str) -> SSHKeyView:
    key_fingerprint = fingerprint(parsed_public_key(env.key_material, body))
    with writing(env, call) as tx:
        owner = _owner(tx, call, "iam:UploadSSHPublicKey", user_name)
        if tx.find(SSHPublicKey, call.account_id, user_id=owner.id, fingerprint=key_fingerprint):
            raise errors.DuplicateSSHPublicKey(
                "The SSH public key is already associated with the specified IAM user."
            )
        quota = env.quotas.ssh_keys_per_user
        if tx.count(SSHPublicKey, call.account_id, user_id=owner.id) >= quota:
            raise errors.LimitExceeded(f"Cannot exceed quota for PublicKeysPerUser: {quota}")
        key = SSHPublicKey(
            call.account_id, new_id(env, IdPrefix.SSH_KEY), owner.id, body, key_fingerprint,
            KeyStatus.ACTIVE, call.request.now,
        )
        tx.add(key)
    return SSHKeyView(owner.name, key, body)


def get_ssh_public_key(
    env: Env, call: Call, user_name: str, key_id: str, encoding: str
) -> SSHKeyView:
    with reading(env) as tx:
        owner = _owner(tx, call, "iam:GetSSHPublicKey", user_name)
        key = _key_of(tx, call, owner, key_id)
    return SSHKeyView(owner.name, key, encoded(env.key_material, key.body, encoding))


def list_ssh_public_keys(
    env: Env, call: Call, user_name: str | None = None, marker: str | None = None,
    max_items_: int | None = None,
) -> Page[SSHKeyView]:
    """The named user's keys, or the caller's (the root user has none)."""
    with reading(env) as tx:
        owner = credential_owner(tx, call, "iam:ListSSHPublicKeys", user_name)
        if owner is None:
            return slice_page([], marker, max_items(max_items_))
        keys = tx.find(SSHPublicKey, call.account_id, user_id=owner.id)
    views = [SSHKeyView(owner.name, key, key.body) for key in keys]
    return slice_page(views, marker, max_items(max_items_))


def update_ssh_public_key(
    env: Env, call: Call, user_name: str, key_id: str, status: str
) -> None:
    new_status = key_status(status)
    with writing(env, call) as tx:
        owner = _owner(tx, call, "iam:UpdateSSHPublicKey", user_name)
        key = _key_of(tx, call, owner, key_id)
        tx.replace(replace(key, status=new_status))


def delete_ssh_public_key(env: Env, call: Call, user_name: str, key_id: str) -> None:
    with writing(env, call) as tx:
        owner = _owner(tx, call, "iam:DeleteSSHPublicKey", user_name)
        key = _key_of(tx, call, owner, key_id)
        tx.remove(SSHPublicKey, key.id)
