"""OpenID Connect and SAML providers: Create/Get/List/Update/Delete and their tags."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from iamd.domain import errors
from iamd.domain.entities import OpenIDConnectProvider, SAMLProvider, Tag
from iamd.service.context import Call, Env
from iamd.service.iam import providers

from .. import views
from .._registry import Params, Result, operation

# Inputs of newer AWS features (IAM Identity Center, encrypted SAML assertions) iamd does
# not store: refused rather than silently dropped.
_UNSUPPORTED = ("ContextProvider", "IdentityCenterInstanceArn", "AddPrivateKey", "RemovePrivateKey")


def _refuse_unsupported(p: Params, operation_name: str) -> None:
    named = [name for name in _UNSUPPORTED if p.get(name) is not None]
    if p.get("AssertionEncryptionMode") == "Required":
        named.append("AssertionEncryptionMode=Required")
    if named:
        raise errors.NotImplementedOperation(
            f"iamd does not support {', '.join(named)} in {operation_name} yet."
        )


def _tags(items: Sequence[Tag]) -> list[dict[str, str]] | None:
    return views.tags(items) or None


def _oidc(provider: OpenIDConnectProvider, tags: Sequence[Tag]) -> dict[str, Any]:
    return {
        "Url": provider.url,
        "ClientIDList": list(provider.client_ids),
        "ThumbprintList": list(provider.thumbprints),
        "CreateDate": provider.created,
        "Tags": _tags(tags),
    }


def _saml_item(provider: SAMLProvider) -> dict[str, Any]:
    return {"Arn": provider.arn, "ValidUntil": provider.valid_until,
            "CreateDate": provider.created}


# -- OpenID Connect ------------------------------------------------------------------------
@operation("iam", "CreateOpenIDConnectProvider")
def create_open_id_connect_provider(env: Env, call: Call, p: Params) -> Result:
    _refuse_unsupported(p, "CreateOpenIDConnectProvider")
    made = providers.create_open_id_connect_provider(
        env, call, p["Url"], p.get("ClientIDList"), p.get("ThumbprintList"), p.get("Tags")
    )
    return {"OpenIDConnectProviderArn": made.provider.arn, "Tags": _tags(made.tags)}


@operation("iam", "GetOpenIDConnectProvider")
def get_open_id_connect_provider(env: Env, call: Call, p: Params) -> Result:
    found = providers.get_open_id_connect_provider(env, call, p["OpenIDConnectProviderArn"])
    return _oidc(found.provider, found.tags)


@operation("iam", "ListOpenIDConnectProviders")
def list_open_id_connect_providers(env: Env, call: Call, p: Params) -> Result:
    found = providers.list_open_id_connect_providers(env, call)
    return {"OpenIDConnectProviderList": [{"Arn": provider.arn} for provider in found]}


@operation("iam", "DeleteOpenIDConnectProvider")
def delete_open_id_connect_provider(env: Env, call: Call, p: Params) -> Result:
    providers.delete_open_id_connect_provider(env, call, p["OpenIDConnectProviderArn"])
    return None


@operation("iam", "AddClientIDToOpenIDConnectProvider")
def add_client_id_to_open_id_connect_provider(env: Env, call: Call, p: Params) -> Result:
    providers.add_client_id_to_open_id_connect_provider(
        env, call, p["OpenIDConnectProviderArn"], p["ClientID"]
    )
    return None


@operation("iam", "RemoveClientIDFromOpenIDConnectProvider")
def remove_client_id_from_open_id_connect_provider(env: Env, call: Call, p: Params) -> Result:
    providers.remove_client_id_from_open_id_connect_provider(
        env, call, p["OpenIDConnectProviderArn"], p["ClientID"]
    )
    return None


@operation("iam", "UpdateOpenIDConnectProviderThumbprint")
def update_open_id_connect_provider_thumbprint(env: Env, call: Call, p: Params) -> Result:
    providers.update_open_id_connect_provider_thumbprint(
        env, call, p["OpenIDConnectProviderArn"], p["ThumbprintList"]
    )
    return None


@operation("iam", "TagOpenIDConnectProvider")
def tag_open_id_connect_provider(env: Env, call: Call, p: Params) -> Result:
    providers.tag_open_id_connect_provider(env, call, p["OpenIDConnectProviderArn"], p["Tags"])
    return None


@operation("iam", "UntagOpenIDConnectProvider")
def untag_open_id_connect_provider(env: Env, call: Call, p: Params) -> Result:
    providers.untag_open_id_connect_provider(
        env, call, p["OpenIDConnectProviderArn"], p["TagKeys"]
    )
    return None


@operation("iam", "ListOpenIDConnectProviderTags")
def list_open_id_connect_provider_tags(env: Env, call: Call, p: Params) -> Result:
    page = providers.list_open_id_connect_provider_tags(
        env, call, p["OpenIDConnectProviderArn"], p.get("Marker"), p.get("MaxItems")
    )
    return views.paged(page, "Tags", views.tags(page.items))


# -- SAML ----------------------------------------------------------------------------------
@operation("iam", "CreateSAMLProvider")
def create_saml_provider(env: Env, call: Call, p: Params) -> Result:
    _refuse_unsupported(p, "CreateSAMLProvider")
    made = providers.create_saml_provider(
        env, call, p["Name"], p["SAMLMetadataDocument"], p.get("Tags")
    )
    return {"SAMLProviderArn": made.provider.arn, "Tags": _tags(made.tags)}


@operation("iam", "GetSAMLProvider")
def get_saml_provider(env: Env, call: Call, p: Params) -> Result:
    found = providers.get_saml_provider(env, call, p["SAMLProviderArn"])
    provider = found.provider
    return {
        "SAMLProviderUUID": provider.id,
        "SAMLMetadataDocument": provider.metadata_document,
        "CreateDate": provider.created,
        "ValidUntil": provider.valid_until,
        "Tags": _tags(found.tags),
    }


@operation("iam", "ListSAMLProviders")
def list_saml_providers(env: Env, call: Call, p: Params) -> Result:
    found = providers.list_saml_providers(env, call)
    return {"SAMLProviderList": [_saml_item(provider) for provider in found]}


@operation("iam", "UpdateSAMLProvider")
def update_saml_provider(env: Env, call: Call, p: Params) -> Result:
    _refuse_unsupported(p, "UpdateSAMLProvider")
    updated = providers.update_saml_provider(
        env, call, p["SAMLProviderArn"], p.get("SAMLMetadataDocument")
    )
    return {"SAMLProviderArn": updated.arn}


@operation("iam", "DeleteSAMLProvider")
def delete_saml_provider(env: Env, call: Call, p: Params) -> Result:
    providers.delete_saml_provider(env, call, p["SAMLProviderArn"])
    return None


@operation("iam", "TagSAMLProvider")
def tag_saml_provider(env: Env, call: Call, p: Params) -> Result:
    providers.tag_saml_provider(env, call, p["SAMLProviderArn"], p["Tags"])
    return None


@operation("iam", "UntagSAMLProvider")
def untag_saml_provider(env: Env, call: Call, p: Params) -> Result:
    providers.untag_saml_provider(env, call, p["SAMLProviderArn"], p["TagKeys"])
    return None


@operation("iam", "ListSAMLProviderTags")
def list_saml_provider_tags(env: Env, call: Call, p: Params) -> Result:
    page = providers.list_saml_provider_tags(
        env, call, p["SAMLProviderArn"], p.get("Marker"), p.get("MaxItems")
    )
    return views.paged(page, "Tags", views.tags(page.items))
