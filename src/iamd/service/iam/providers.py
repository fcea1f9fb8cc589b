"""Identity providers: OpenID Connect and SAML providers, stored as given, and their tags.

What they enable (federation through STS) lives elsewhere; here they are only made, read,
changed and deleted, each call authorized on the provider's ARN.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import NoReturn, TypeVar
from urllib.parse import urlsplit
from xml.parsers import expat

from iamd.domain import errors
from iamd.domain.entities import OpenIDConnectProvider, SAMLProvider, Tag
from iamd.domain.identifiers import ID_ALPHABET
from iamd.storage.api import Transaction

from ..authz import authorize
from ..context import Call, Env
from .common import (
    MissingTarget,
    Page,
    account_arn,
    max_items,
    merge_tags,
    new_id,
    reading,
    request_tag_context,
    resource_tag_context,
    slice_page,
    tag_resource,
    tags_from,
    untag_resource,
    writing,
)

OIDC_KIND = "oidc-provider"
SAML_KIND = "saml-provider"
OIDC_ID_PREFIX = "AOID"
SAML_ID_PREFIX = "SAML"  # GetSAMLProvider's SAMLProviderUUID: 22 or more of [A-Z0-9]
SAML_ID_LENGTH = 22
MAX_CLIENT_IDS = 100  # client IDs (audiences) per OIDC provider
MAX_THUMBPRINTS = 5  # thumbprints per OIDC provider
SAML_METADATA_NS = "urn:oasis:names:tc:SAML:2.0:metadata"

_ARN = re.compile(r"arn:aws:iam::(?P<account>\d{12}):(?P<kind>[a-z-]+)/(?P<name>.+)", re.DOTALL)

P = TypeVar("P", OpenIDConnectProvider, SAMLProvider)


@dataclass(frozen=True, slots=True)
class OidcView:
    """An OpenID Connect provider and its tags."""

    provider: OpenIDConnectProvider
    tags: Sequence[Tag] = ()


@dataclass(frozen=True, slots=True)
class SamlView:
    """A SAML provider and its tags."""

    provider: SAMLProvider
    tags: Sequence[Tag] = ()


# -- ARNs and lookups ------------------------------------------------------------------------
def _arn_name(arn: str, kind: str) -> tuple[str, str]:
    """The account and name (or host/path) of a provider ARN; InvalidInput if it is not one."""
    match = _ARN.fullmatch(arn)
    if match is None or match["kind"] != kind:
        raise errors.InvalidInput(f"ARN {arn} is not valid.")
    return match["account"], match["name"]


def _find_oidc(tx: Transaction, call: Call, arn: str) -> OpenIDConnectProvider | None:
    account, url = _arn_name(arn, OIDC_KIND)
    if account != call.account_id:
        return None
    found = tx.find(OpenIDConnectProvider, call.account_id, url=url)
    return found[0] if found else None


def _find_saml(tx: Transaction, call: Call, arn: str) -> SAMLProvider | None:
    account, name = _arn_name(arn, SAML_KIND)
    if account != call.account_id:
        return None
    return tx.get(SAMLProvider, call.account_id, name)


def _oidc_missing(arn: str) -> errors.NoSuchEntity:
    return errors.NoSuchEntity(f"OpenIDConnect Provider not found for arn {arn}")


def _saml_missing(arn: str) -> errors.NoSuchEntity:
    return errors.NoSuchEntity(f"Manifest not found for arn {arn}")


def _authorized(
    tx: Transaction, call: Call, action: str, arn: str, kind: str, provider: P | None
) -> P | None:
    """Authorize ``action`` on the provider (with its tags) or on the ARN given when absent."""
    if provider is None:
        authorize(call, action, arn)
        return None
    authorize(call, action, provider.arn, resource_tag_context(tx.tags(kind, provider.id)))
    return provider


def _existing_oidc(tx: Transaction, call: Call, action: str, arn: str) -> OpenIDConnectProvider:
    provider = _authorized(tx, call, action, arn, OIDC_KIND, _find_oidc(tx, call, arn))
    if provider is None:
        raise _oidc_missing(arn)
    return provider


def _existing_saml(tx: Transaction, call: Call, action: str, arn: str) -> SAMLProvider:
    provider = _authorized(tx, call, action, arn, SAML_KIND, _find_saml(tx, call, arn))
    if provider is None:
        raise _saml_missing(arn)
    return provider


def authorize_create(
    call: Call, action: str, tag_action: str, arn: str, tags: Sequence[Tag]
) -> None:
    """Creating with tags needs the create action and the tag action, both with the tags."""
    context = request_tag_context(tags) if tags else {}
    authorize(call, action, arn, context)
    if tags:
        authorize(call, tag_action, arn, context)


def _add_within_quota(
    env: Env, tx: Transaction, call: Call, provider: OpenIDConnectProvider | SAMLProvider,
    kind: str, tags: Sequence[Tag], quota: tuple[int, str],
) -> None:
    """Store a new provider and its tags, unless the account has ``quota`` of its kind."""
    limit, quota_name = quota
    if tx.count(type(provider), call.account_id) >= limit:
        raise errors.LimitExceeded(f"Cannot exceed quota for {quota_name}: {limit}")
    tx.add(provider)
    if tags:
        merge_tags(env, tx, call, kind, provider.id, tags)


def _remove_with_tags(tx: Transaction, kind: str, entity_kind: type, entity_id: str) -> None:
    tx.clear_tags(kind, entity_id)
    tx.remove(entity_kind, entity_id)


# -- OpenID Connect: inputs --------------------------------------------------------------------
def oidc_url(url: str) -> str:
    """The provider's host and path as the ARN names them; InvalidInput unless https://."""
    scheme, separator, rest = url.partition("://")
    parts = urlsplit(url)
    if (
        not separator or scheme.lower() != "https" or not parts.hostname
        or parts.query or parts.fragment or "@" in parts.netloc
        or any(char.isspace() or not char.isprintable() for char in rest)
    ):
        raise errors.InvalidInput("Invalid Open ID Connect Provider URL")
    return rest


def _client_ids(values: Sequence[str]) -> tuple[str, ...]:
    unique = tuple(dict.fromkeys(values))
    if len(unique) > MAX_CLIENT_IDS:
        raise errors.LimitExceeded(
            f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
        )
    return unique


def _thumbprints(values: Sequence[str]) -> tuple[str, ...]:
    unique: dict[str, str] = {}
    for value in values:
        if len(value) != 40 or any(char not in string.hexdigits for char in value):
            raise errors.InvalidInput(
                f"Thumbprint {value} is not valid: it must be 40 hexadecimal characters."
            )
        unique.setdefault(value.lower(), value)
    if len(unique) > MAX_THUMBPRINTS:
        raise errors.InvalidInput(
            f"Thumbprint list must contain fewer than {MAX_THUMBPRINTS + 1} entries"
        )
    return tuple(unique.values())


# -- OpenID Connect: operations ----------------------------------------------------------------
def create_open_id_connect_provider(
    env: Env, call: Call, url: str, client_ids: Sequence[str] | None = None,
    thumbprints: Sequence[str] | None = None, tags: Sequence[Mapping[str, str]] | None = None,
) -> OidcView:
    host_path = oidc_url(url)
    clients, prints = _client_ids(client_ids or ()), _thumbprints(thumbprints or ())
    new_tags = tags_from(tags)
    arn = account_arn(call, f"{OIDC_KIND}/{host_path}")
    with writing(env, call) as tx:
        authorize_create(
            call, "iam:CreateOpenIDConnectProvider", "iam:TagOpenIDConnectProvider", arn, new_tags
        )
        if tx.find(OpenIDConnectProvider, call.account_id, url=host_path):
            raise errors.EntityAlreadyExists(f"Provider with url {url} already exists.")
        provider = OpenIDConnectProvider(
            call.account_id, new_id(env, OIDC_ID_PREFIX), host_path, clients, prints,
            call.request.now,
        )
        _add_within_quota(
            env, tx, call, provider, OIDC_KIND, new_tags,
            (env.quotas.oidc_providers_per_account, "OpenIdConnectProvidersPerAccount"),
        )
    return OidcView(provider, new_tags)


def get_open_id_connect_provider(env: Env, call: Call, arn: str) -> OidcView:
    with reading(env) as tx:
        provider = _existing_oidc(tx, call, "iam:GetOpenIDConnectProvider", arn)
        return OidcView(provider, tx.tags(OIDC_KIND, provider.id))


def list_open_id_connect_providers(env: Env, call: Call) -> list[OpenIDConnectProvider]:
    with reading(env) as tx:
        authorize(call, "iam:ListOpenIDConnectProviders", "*")
        providers = tx.find(OpenIDConnectProvider, call.account_id)
    return sorted(providers, key=lambda provider: provider.arn)


def delete_open_id_connect_provider(env: Env, call: Call, arn: str) -> None:
    """Idempotent, as on AWS: deleting a provider that does not exist is not an error."""
    with writing(env, call) as tx:
        found = _find_oidc(tx, call, arn)
        provider = _authorized(
            tx, call, "iam:DeleteOpenIDConnectProvider", arn, OIDC_KIND, found
        )
        if provider is not None:
            _remove_with_tags(tx, OIDC_KIND, OpenIDConnectProvider, provider.id)


def _change_oidc(
    env: Env, call: Call, action: str, arn: str,
    change: Callable[[OpenIDConnectProvider], OpenIDConnectProvider],
) -> None:
    with writing(env, call) as tx:
        provider = _existing_oidc(tx, call, action, arn)
        changed = change(provider)
        if changed != provider:
            tx.replace(changed)


def add_client_id_to_open_id_connect_provider(
    env: Env, call: Call, arn: str, client_id: str
) -> None:
    """Adding a client ID the provider has already is not an error (AWS is idempotent)."""
    _change_oidc(
        env, call, "iam:AddClientIDToOpenIDConnectProvider", arn,
        lambda p: replace(p, client_ids=_client_ids((*p.client_ids, client_id))),
    )


def remove_client_id_from_open_id_connect_provider(
    env: Env, call: Call, arn: str, client_id: str
) -> None:
    """Removing a client ID the provider does not have is not an error either."""
    _change_oidc(
        env, call, "iam:RemoveClientIDFromOpenIDConnectProvider", arn,
        lambda p: replace(p, client_ids=tuple(c for c in p.client_ids if c != client_id)),
    )


def update_open_id_connect_provider_thumbprint(
    env: Env, call: Call, arn: str, thumbprints: Sequence[str]
) -> None:
    prints = _thumbprints(thumbprints)
    _change_oidc(
        env, call, "iam:UpdateOpenIDConnectProviderThumbprint", arn,
        lambda p: replace(p, thumbprints=prints),
    )


def tag_open_id_connect_provider(
    env: Env, call: Call, arn: str, tags: Sequence[Mapping[str, str]]
) -> None:
    action = "iam:TagOpenIDConnectProvider"
    tag_resource(
        env, call, action, OIDC_KIND,
        lambda tx: _find_oidc(tx, call, arn), lambda provider: provider.arn,
        tags, missing=MissingTarget(arn, _oidc_missing(arn)),
    )


def untag_open_id_connect_provider(
    env: Env, call: Call, arn: str, tag_keys: Sequence[str]
) -> None:
    action = "iam:UntagOpenIDConnectProvider"
    untag_resource(
        env, call, action, OIDC_KIND,
        lambda tx: _find_oidc(tx, call, arn), lambda provider: provider.arn,
        tag_keys, missing=MissingTarget(arn, _oidc_missing(arn)),
    )


def list_open_id_connect_provider_tags(
    env: Env, call: Call, arn: str, marker: str | None = None, max_items_: int | None = None,
) -> Page[Tag]:
    with reading(env) as tx:
        provider = _existing_oidc(tx, call, "iam:ListOpenIDConnectProviderTags", arn)
        tags = tx.tags(OIDC_KIND, provider.id)
    return slice_page(tags, marker, max_items(max_items_))


# -- SAML: the metadata document -----------------------------------------------------------
class _Refused(Exception):
    """The document declares a DTD or entities: refused before anything is expanded."""


@dataclass
class _MetadataScan:
    """What a streaming parse of SAML metadata keeps: the root, validUntil, an IdP role."""

    root: str | None = None
    valid_until: str | None = None
    has_idp: bool = False

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if self.root is None:
            self.root = name
            self.valid_until = attributes.get("validUntil")
        elif name == f"{SAML_METADATA_NS} IDPSSODescriptor":
            self.has_idp = True


def _refuse(*_: object) -> NoReturn:
    raise _Refused


def saml_valid_until(document: str) -> datetime | None:
    """Check that ``document`` is SAML 2.0 IdP metadata and return its validUntil, if any.

    Parsed with expat, without a DTD: a DOCTYPE (and so any entity declaration) is refused
    before it is read, so no entity is ever expanded and nothing external is fetched.
    """
    scan = _MetadataScan()
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.StartElementHandler = scan.start
    try:
        parser.Parse(document, True)
    except (expat.ExpatError, _Refused, ValueError):
        raise _unparsable() from None
    roots = {f"{SAML_METADATA_NS} EntityDescriptor", f"{SAML_METADATA_NS} EntitiesDescriptor"}
    if scan.root not in roots or not scan.has_idp:
        raise _unparsable()
    return None if scan.valid_until is None else _xml_datetime(scan.valid_until)


def _unparsable() -> errors.InvalidInput:
    return errors.InvalidInput("Could not parse metadata")


def _xml_datetime(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise errors.InvalidInput("Could not parse metadata: validUntil is not a date") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# -- SAML: operations --------------------------------------------------------------------
def _saml_id(env: Env) -> str:
    return SAML_ID_PREFIX + env.random.text(ID_ALPHABET, SAML_ID_LENGTH - len(SAML_ID_PREFIX))


def create_saml_provider(
    env: Env, call: Call, name: str, metadata_document: str,
    tags: Sequence[Mapping[str, str]] | None = None,
) -> SamlView:
    valid_until = saml_valid_until(metadata_document)
    new_tags = tags_from(tags)
    arn = account_arn(call, f"{SAML_KIND}/{name}")
    with writing(env, call) as tx:
        authorize_create(call, "iam:CreateSAMLProvider", "iam:TagSAMLProvider", arn, new_tags)
        if tx.get(SAMLProvider, call.account_id, name) is not None:
            raise errors.EntityAlreadyExists(f"Provider with name {name} already exists.")
        provider = SAMLProvider(
            call.account_id, _saml_id(env), name, metadata_document, call.request.now,
            valid_until,
        )
        _add_within_quota(
            env, tx, call, provider, SAML_KIND, new_tags,
            (env.quotas.saml_providers_per_account, "SAMLProvidersPerAccount"),
        )
    return SamlView(provider, new_tags)


def get_saml_provider(env: Env, call: Call, arn: str) -> SamlView:
    with reading(env) as tx:
        provider = _existing_saml(tx, call, "iam:GetSAMLProvider", arn)
        return SamlView(provider, tx.tags(SAML_KIND, provider.id))


def list_saml_providers(env: Env, call: Call) -> list[SAMLProvider]:
    with reading(env) as tx:
        authorize(call, "iam:ListSAMLProviders", "*")
        providers = tx.find(SAMLProvider, call.account_id)
    return sorted(providers, key=lambda provider: provider.name.lower())


def update_saml_provider(
    env: Env, call: Call, arn: str, metadata_document: str | None = None
) -> SAMLProvider:
    if metadata_document is None:
        raise errors.InvalidInput("No updates are defined for the SAML provider.")
    valid_until = saml_valid_until(metadata_document)
    with writing(env, call) as tx:
        provider = _existing_saml(tx, call, "iam:UpdateSAMLProvider", arn)
        updated = replace(provider, metadata_document=metadata_document, valid_until=valid_until)
        tx.replace(updated)
    return updated


def delete_saml_provider(env: Env, call: Call, arn: str) -> None:
    with writing(env, call) as tx:
        provider = _existing_saml(tx, call, "iam:DeleteSAMLProvider", arn)
        _remove_with_tags(tx, SAML_KIND, SAMLProvider, provider.id)


def tag_saml_provider(env: Env, call: Call, arn: str, tags: Sequence[Mapping[str, str]]) -> None:
    action = "iam:TagSAMLProvider"
    tag_resource(
        env, call, action, SAML_KIND,
        lambda tx: _find_saml(tx, call, arn), lambda provider: provider.arn,
        tags, missing=MissingTarget(arn, _saml_missing(arn)),
    )


def untag_saml_provider(env: Env, call: Call, arn: str, tag_keys: Sequence[str]) -> None:
    action = "iam:UntagSAMLProvider"
    untag_resource(
        env, call, action, SAML_KIND,
        lambda tx: _find_saml(tx, call, arn), lambda provider: provider.arn,
        tag_keys, missing=MissingTarget(arn, _saml_missing(arn)),
    )


def list_saml_provider_tags(
    env: Env, call: Call, arn: str, marker: str | None = None, max_items_: int | None = None,
) -> Page[Tag]:
    with reading(env) as tx:
        provider = _existing_saml(tx, call, "iam:ListSAMLProviderTags", arn)
        tags = tx.tags(SAML_KIND, provider.id)
    return slice_page(tags, marker, max_items(max_items_))
