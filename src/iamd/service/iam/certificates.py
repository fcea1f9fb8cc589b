"""Server certificates (with their sealed private keys) and users' X.509 signing certificates.

Certificates and keys are parsed through the KeyMaterial port (`env.key_material`); a server
certificate's private key is sealed to the certificate's id at once and never returned by any
operation.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from iamd.domain import errors
from iamd.domain.entities import KeyStatus, ServerCertificate, SigningCertificate, Tag, User
from iamd.domain.identifiers import IdPrefix
from iamd.storage.api import Transaction

from ..authz import ContextValue, authorize
from ..context import Call, Env
from ..ports import KeyMaterial, ParsedCertificate
from .common import (
    MissingTarget,
    Page,
    account_arn,
    decode_marker,
    key_status,
    max_items,
    merge_tags,
    new_id,
    page_of,
    reading,
    resource_tag_context,
    slice_page,
    tag_resource,
    tags_from,
    untag_resource,
    writing,
)
from .providers import authorize_create
from .users import credential_owner

TAG_KIND = "server-certificate"
SIGNING_ID_LENGTH = 32


@dataclass(frozen=True, slots=True)
class ServerCertificateView:
    """A server certificate and its tags (never its private key)."""

    certificate: ServerCertificate
    tags: Sequence[Tag] = ()


@dataclass(frozen=True, slots=True)
class SigningCertificateView:
    """A signing certificate and the name of its user (None: the account's root user)."""

    user_name: str | None
    certificate: SigningCertificate


# -- parsing -------------------------------------------------------------------------------
def parsed_certificate(
    key_material: KeyMaterial, body: str, now: datetime
) -> ParsedCertificate:
    """One PEM certificate, still valid at ``now``; MalformedCertificate otherwise."""
    certificate = key_material.certificate(body)
    if certificate.not_after < now:
        raise errors.MalformedCertificate(
            "Certificate is no longer valid. The 'Not After' date restriction on the "
            "certificate has passed."
        )
    return certificate


def _checked_key_pair(
    key_material: KeyMaterial, certificate: ParsedCertificate, private_key: str
) -> None:
    """The private key parses (unencrypted PEM) and belongs to the certificate."""
    if key_material.private_key_public_der(private_key) != certificate.public_key_der:
        raise errors.KeyPairMismatch(
            "Unable to validate certificate, private key pair: the private key does not "
            "match the certificate's public key."
        )


# -- server certificates -------------------------------------------------------------------
def _server_missing(name: str) -> errors.NoSuchEntity:
    return errors.NoSuchEntity(f"The Server Certificate with name {name} cannot be found.")


def _server_arn(call: Call, name: str, path: str = "/") -> str:
    return account_arn(call, f"{TAG_KIND}{path}{name}")


def _authorized_server_certificate(
    tx: Transaction, call: Call, action: str, name: str,
    extra: Mapping[str, ContextValue] | None = None,
) -> ServerCertificate:
    """Authorize ``action`` on the named certificate (its real ARN if it exists), return it."""
    found = tx.get(ServerCertificate, call.account_id, name)
    if found is None:
        authorize(call, action, _server_arn(call, name), extra)
        raise _server_missing(name)
    context = {**resource_tag_context(tx.tags(TAG_KIND, found.id)), **(extra or {})}
    authorize(call, action, found.arn, context)
    return found


def upload_server_certificate(
    env: Env, call: Call, name: str, body: str, private_key: str, chain: str | None = None,
    path: str = "/", tags: Sequence[Mapping[str, str]] | None = None,
) -> ServerCertificateView:
    certificate = parsed_certificate(env.key_material, body, call.request.now)
    if chain is not None:
        env.key_material.check_certificate_chain(chain)
    _checked_key_pair(env.key_material, certificate, private_key)
    new_tags = tags_from(tags)
    arn = _server_arn(call, name, path)
    with writing(env, call) as tx:
        authorize_create(
            call, "iam:UploadServerCertificate", "iam:TagServerCertificate", arn, new_tags
        )
        if tx.get(ServerCertificate, call.account_id, name) is not None:
            raise errors.EntityAlreadyExists(
                f"The Server Certificate with name {name} already exists."
            )
        quota = env.quotas.server_certificates_per_account
        if tx.count(ServerCertificate, call.account_id) >= quota:
            raise errors.LimitExceeded(
                f"Cannot exceed quota for ServerCertificatesPerAccount: {quota}"
            )
        certificate_id = new_id(env, IdPrefix.SERVER_CERTIFICATE)
        stored = ServerCertificate(
            call.account_id, certificate_id, name, path, body, chain,
            env.sealer.seal(private_key.encode(), context=certificate_id.encode()),
            call.request.now, certificate.not_after,
        )
        tx.add(stored)
        if new_tags:
            merge_tags(env, tx, call, TAG_KIND, stored.id, new_tags)
    return ServerCertificateView(stored, new_tags)


def get_server_certificate(env: Env, call: Call, name: str) -> ServerCertificateView:
    with reading(env) as tx:
        found = _authorized_server_certificate(tx, call, "iam:GetServerCertificate", name)
        return ServerCertificateView(found, tx.tags(TAG_KIND, found.id))


def list_server_certificates(
    env: Env, call: Call, path_prefix: str = "/", marker: str | None = None,
    max_items_: int | None = None,
) -> Page[ServerCertificate]:
    limit = max_items(max_items_)
    with reading(env) as tx:
        authorize(call, "iam:ListServerCertificates", _server_arn(call, "", path_prefix))
        found = tx.page(
            ServerCertificate, call.account_id, path_prefix=path_prefix,
            after=decode_marker(marker), limit=limit + 1,
        )
    return page_of(found, limit, lambda certificate: certificate.name.lower())


def update_server_certificate(
    env: Env, call: Call, name: str, new_path: str | None = None, new_name: str | None = None,
) -> None:
    """Rename or move; AWS asks for permission on both the old and the new ARN."""
    with writing(env, call) as tx:
        found = _authorized_server_certificate(tx, call, "iam:UpdateServerCertificate", name)
        moved = replace(found, name=new_name or found.name, path=new_path or found.path)
        if moved.arn != found.arn:
            authorize(call, "iam:UpdateServerCertificate", moved.arn)
        other = tx.get(ServerCertificate, call.account_id, moved.name)
        if other is not None and other.id != found.id:
            raise errors.EntityAlreadyExists(
                f"The Server Certificate with name {moved.name} already exists."
            )
        tx.replace(moved)


def delete_server_certificate(env: Env, call: Call, name: str) -> None:
    with writing(env, call) as tx:
        found = _authorized_server_certificate(tx, call, "iam:DeleteServerCertificate", name)
        tx.clear_tags(TAG_KIND, found.id)
        tx.remove(ServerCertificate, found.id)


def tag_server_certificate(
    env: Env, call: Call, name: str, tags: Sequence[Mapping[str, str]]
) -> None:
    tag_resource(
        env, call, "iam:TagServerCertificate", TAG_KIND, _server_lookup(call, name),
        lambda certificate: certificate.arn, tags, missing=_server_missing_target(call, name),
    )


def untag_server_certificate(env: Env, call: Call, name: str, tag_keys: Sequence[str]) -> None:
    untag_resource(
        env, call, "iam:UntagServerCertificate", TAG_KIND, _server_lookup(call, name),
        lambda certificate: certificate.arn, tag_keys, missing=_server_missing_target(call, name),
    )


def _server_lookup(call: Call, name: str) -> Callable[[Transaction], ServerCertificate | None]:
    return lambda tx: tx.get(ServerCertificate, call.account_id, name)


def _server_missing_target(call: Call, name: str) -> MissingTarget:
    return MissingTarget(_server_arn(call, name), _server_missing(name))


def list_server_certificate_tags(
    env: Env, call: Call, name: str, marker: str | None = None, max_items_: int | None = None,
) -> Page[Tag]:
    with reading(env) as tx:
        found = _authorized_server_certificate(tx, call, "iam:ListServerCertificateTags", name)
        tags = tx.tags(TAG_KIND, found.id)
    return slice_page(tags, marker, max_items(max_items_))


# -- whose credential: the named user, or the caller ----------------------------------------
# -- signing certificates ------------------------------------------------------------------
def signing_certificate_id(account_id: str, certificate: ParsedCertificate) -> str:
    """32 characters of [A-Z2-7], derived from the account and the certificate's DER bytes.

    The same certificate gets the same id within an account, which is how a duplicate is
    found (AWS refuses the same certificate twice in an account, for any of its users).
    """
    digest = hashlib.sha256(account_id.encode() + b"\0" + certificate.der).digest()
    return base64.b32encode(digest).decode()[:SIGNING_ID_LENGTH]


def _signing_missing(certificate_id: str) -> errors.NoSuchEntity:
    return errors.NoSuchEntity(f"The Certificate with id {certificate_id} cannot be found.")


def _signing_certificate_of(
    tx: Transaction, call: Call, owner: User | None, certificate_id: str
) -> SigningCertificate:
    found = tx.get_by_id(SigningCertificate, certificate_id)
    owner_id = owner.id if owner else None
    if found is None or found.account_id != call.account_id or found.user_id != owner_id:
        raise _signing_missing(certificate_id)
    return found


def upload_signing_certificate(
    env: Env, call: Call, body: str, user_name: str | None = None
) -> SigningCertificateView:
    certificate = parsed_certificate(env.key_material, body, call.request.now)
    certificate_id = signing_certificate_id(call.account_id, certificate)
    with writing(env, call) as tx:
        owner = credential_owner(tx, call, "iam:UploadSigningCertificate", user_name)
        owner_id = owner.id if owner else None
        if tx.get_by_id(SigningCertificate, certificate_id) is not None:
            raise errors.DuplicateCertificate("A duplicate certificate already exists.")
        quota = env.quotas.signing_certificates_per_user
        if tx.count(SigningCertificate, call.account_id, user_id=owner_id) >= quota:
            raise errors.LimitExceeded(
                f"Cannot exceed quota for SigningCertificatesPerUser: {quota}"
            )
        stored = SigningCertificate(
            call.account_id, certificate_id, owner_id, body, KeyStatus.ACTIVE, call.request.now
        )
        tx.add(stored)
    return SigningCertificateView(owner.name if owner else None, stored)


def list_signing_certificates(
    env: Env, call: Call, user_name: str | None = None, marker: str | None = None,
    max_items_: int | None = None,
) -> Page[SigningCertificateView]:
    with reading(env) as tx:
        owner = credential_owner(tx, call, "iam:ListSigningCertificates", user_name)
        found = tx.find(SigningCertificate, call.account_id, user_id=owner.id if owner else None)
    views = [SigningCertificateView(owner.name if owner else None, item) for item in found]
    return slice_page(views, marker, max_items(max_items_))


def update_signing_certificate(
    env: Env, call: Call, certificate_id: str, status: str, user_name: str | None = None
) -> None:
    new_status = key_status(status)
    with writing(env, call) as tx:
        owner = credential_owner(tx, call, "iam:UpdateSigningCertificate", user_name)
        found = _signing_certificate_of(tx, call, owner, certificate_id)
        tx.replace(replace(found, status=new_status))


def delete_signing_certificate(
    env: Env, call: Call, certificate_id: str, user_name: str | None = None
) -> None:
    with writing(env, call) as tx:
        owner = credential_owner(tx, call, "iam:DeleteSigningCertificate", user_name)
        found = _signing_certificate_of(tx, call, owner, certificate_id)
        tx.remove(SigningCertificate, found.id)
