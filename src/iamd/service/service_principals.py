"""Service principals: software registered as a service (``lambda.amazonaws.com``) gets an
access key of its own and calls as that service, in no account.

A role in any account whose trust policy names the service (``{"Service": NAME}``) can be
assumed with that key: AssumeRole judges the service by the trust policy alone (the engine
gives service principals no identity policies). Besides AssumeRole, the key may only ask who
it is (GetCallerIdentity); every other call is AccessDenied. The operator registers and
deletes services (`iamd service ...`); deleting one stops its key at once (the row is read on
every request).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from iamd.domain import errors
from iamd.domain.entities import ServiceCredential
from iamd.domain.identifiers import access_key_id, secret_access_key
from iamd.policy import CompiledPolicySet, Principal, PrincipalType
from iamd.storage.api import DuplicateEntity, Transaction

from .context import Caller, Env

NO_ACCOUNT = ""  # the account_id of every service credential: services are global
MAX_NAME = 253  # a DNS name
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# A DNS-like name of two labels or more: ``lambda.amazonaws.com``, ``builder.example.internal``.
_SERVICE_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")
_SEAL_CONTEXT = b"iamd service credential:"
# What a service principal may call; anything else is refused before its adapter runs.
_ALLOWED_CALLS = frozenset({("sts", "AssumeRole"), ("sts", "GetCallerIdentity")})


@dataclass(frozen=True, slots=True)
class NewServiceCredential:
    credential: ServiceCredential
    secret_access_key: str  # shown once, never stored in clear


def service_name(text: str) -> str:
    """The service's name, lower-cased (DNS names ignore case).

    Raises:
        ValidationError: not a DNS-like name of two labels or more.
    """
    name = text.strip().lower()
    if len(name) > MAX_NAME or not _SERVICE_NAME.fullmatch(name):
        raise errors.ValidationError(
            f"{text!r} is not a service name: give a DNS name such as lambda.amazonaws.com "
            "(letters, digits and hyphens in dot-separated labels)."
        )
    return name


def register_service(env: Env, name: str) -> NewServiceCredential:
    """Register software as the service ``name``: a new access key, its secret returned once.

    Raises:
        ValidationError: a malformed name.
        EntityAlreadyExists: the service is registered already (delete it first to rotate).
    """
    normalized = service_name(name)
    key_id = access_key_id(env.random)
    secret = secret_access_key(env.random)
    sealed = env.sealer.seal(secret.encode(), context=_SEAL_CONTEXT + key_id.encode())
    credential = ServiceCredential(NO_ACCOUNT, key_id, normalized, sealed, env.clock.now())
    try:
        with env.store.write() as tx:
            if tx.find(ServiceCredential, NO_ACCOUNT, service_name=normalized):
                raise DuplicateEntity(normalized)
            tx.add(credential)
    except DuplicateEntity:
        raise errors.EntityAlreadyExists(
            f"The service {normalized} is already registered."
        ) from None
    return NewServiceCredential(credential, secret)


def list_services(env: Env) -> list[ServiceCredential]:
    """Every registered service, oldest first."""
    with env.store.read() as tx:
        return tx.find(ServiceCredential, NO_ACCOUNT)


def delete_service(env: Env, name: str) -> None:
    """Remove the service and its key: the key stops working on the next request.

    Raises:
        NoSuchEntity: no such service is registered.
    """
    normalized = service_name(name)
    with env.store.write() as tx:
        found = tx.find(ServiceCredential, NO_ACCOUNT, service_name=normalized)
        if not found:
            raise errors.NoSuchEntity(f"The service {normalized} is not registered.")
        for credential in found:
            tx.remove(ServiceCredential, credential.id)


def service_credential(
    env: Env, tx: Transaction, key_id: str, no_policies: CompiledPolicySet
) -> tuple[str, Caller] | None:
    """The secret and caller of a service's key, or None when no service has that key."""
    credential: ServiceCredential | None = tx.get_by_id(ServiceCredential, key_id)
    if credential is None:
        return None
    secret = env.sealer.unseal(
        credential.sealed_secret, context=_SEAL_CONTEXT + key_id.encode()
    ).decode()
    name = credential.service_name
    context: dict[str, str | tuple[str, ...]] = {
        "aws:PrincipalIsAWSService": "true",
        "aws:PrincipalServiceName": name,
        "aws:PrincipalServiceNamesList": (name,),
        "aws:userid": name,
    }
    principal = Principal(PrincipalType.SERVICE, arn=name)
    return secret, Caller(NO_ACCOUNT, principal, None, key_id, no_policies, context, 0)


def check_service_call(caller: Caller, service: str, operation: str) -> None:
    """A service principal may assume roles and ask who it is, nothing else.

    Raises:
        AccessDenied: any other call by a service principal.
    """
    if caller.principal.type is not PrincipalType.SERVICE:
        return
    if (service, operation) not in _ALLOWED_CALLS:
        raise errors.AccessDenied(
            f"User: {caller.arn} is not authorized to perform: {service}:{operation}: a "
            "service principal may only call sts:AssumeRole and sts:GetCallerIdentity."
        )
