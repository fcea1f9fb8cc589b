"""OpenID Connect and SAML providers, as use cases and through the wire adapters."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import botocore.parsers
import botocore.serialize
import botocore.session
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from iamd.domain import errors
from iamd.domain.quotas import Quotas
from iamd.protocol.operations import handler
from iamd.protocol.parse import parse_query
from iamd.protocol.serialize import serialize_result
from iamd.service.context import Call, Env
from iamd.service.iam import providers, users

from .conftest import ACCOUNT, NOW, Callers

THUMB = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
OTHER_THUMB = "A031C46782E6E6C662C2C87C76DA9AA62CCABD8E"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
OIDC_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/idp.example.com/tenant"


# -- helpers -------------------------------------------------------------------------------
@cache
def _iam_model() -> Any:
    return botocore.session.get_session().get_service_model("iam")


def wire(env: Env, call: Call, operation: str, **params: Any) -> dict[str, Any]:
    """One call the way a client makes it: botocore's serializer, iamd's parser, the
    adapter, iamd's serializer, botocore's parser. Errors raise as iamd's IamError."""
    model = _iam_model().operation_model(operation)
    request = botocore.serialize.create_serializer("query").serialize_to_request(params, model)
    parsed = parse_query("iam", list(request["body"].items()))
    adapter = handler("iam", parsed.operation)
    assert adapter is not None, operation
    body = serialize_result("iam", operation, adapter(env, call, parsed.params), "rid")
    response = {"body": body, "headers": {}, "status_code": 200}
    parser = botocore.parsers.create_parser("query")
    result: dict[str, Any] = parser.parse(response, model.output_shape)
    result.pop("ResponseMetadata", None)
    return result


def allow(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def statement(action: str, resource: str = "*", **condition: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        item["Condition"] = condition
    return item


def user_with(callers: Callers, name: str, document: str) -> Call:
    users.create_user(callers.env, callers.root(), name)
    users.put_user_policy(callers.env, callers.root(), name, "p", document)
    return callers.user(name)


@cache
def _certificate_b64() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example.com")])
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


def metadata(entity_id: str = "https://idp.example.com/saml", valid_until: str | None = None,
             role: str = "IDPSSODescriptor") -> str:
    """SAML 2.0 IdP metadata with a signing certificate (over 1000 characters, as AWS asks)."""
    until = f' validUntil="{valid_until}"' if valid_until else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<md:EntityDescriptor xmlns:md="{MD}" entityID="{entity_id}"{until}>'
        f'<md:{role} protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        f"<ds:X509Data><ds:X509Certificate>{_certificate_b64()}</ds:X509Certificate>"
        "</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        '<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>'
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        f'Location="{entity_id}/sso?a=1&amp;b=2"/>'
        f"</md:{role}></md:EntityDescriptor>"
    ).ljust(1000)


# -- OpenID Connect ------------------------------------------------------------------------
def test_oidc_provider_lifecycle(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    made = providers.create_open_id_connect_provider(
        env, root, "https://idp.example.com/tenant", ["app", "cli", "app"],
        [THUMB, THUMB.upper()], [{"Key": "team", "Value": "blue"}],
    )
    assert made.provider.arn == OIDC_ARN
    assert made.provider.client_ids == ("app", "cli")  # duplicates kept once, in order
    assert made.provider.thumbprints == (THUMB,)  # hex compares without case
    got = providers.get_open_id_connect_provider(env, root, OIDC_ARN)
    assert got.provider.url == "idp.example.com/tenant"
    assert got.provider.created == NOW
    assert [t.key for t in got.tags] == ["team"]

    providers.add_client_id_to_open_id_connect_provider(env, root, OIDC_ARN, "web")
    providers.add_client_id_to_open_id_connect_provider(env, root, OIDC_ARN, "web")  # idempotent
    providers.remove_client_id_from_open_id_connect_provider(env, root, OIDC_ARN, "cli")
    providers.remove_client_id_from_open_id_connect_provider(env, root, OIDC_ARN, "nope")
    providers.update_open_id_connect_provider_thumbprint(env, root, OIDC_ARN, [OTHER_THUMB])
    got = providers.get_open_id_connect_provider(env, root, OIDC_ARN)
    assert got.provider.client_ids == ("app", "web")
    assert got.provider.thumbprints == (OTHER_THUMB,)

    providers.create_open_id_connect_provider(env, root, "https://accounts.example.org")
    listed = providers.list_open_id_connect_providers(env, root)
    assert [p.url for p in listed] == ["accounts.example.org", "idp.example.com/tenant"]

    providers.delete_open_id_connect_provider(env, root, OIDC_ARN)
    providers.delete_open_id_connect_provider(env, root, OIDC_ARN)  # gone is not an error
    gone = f"OpenIDConnect Provider not found for arn {OIDC_ARN}"
    with pytest.raises(errors.NoSuchEntity, match=gone):
        providers.get_open_id_connect_provider(env, root, OIDC_ARN)
    with pytest.raises(errors.NoSuchEntity):
        providers.add_client_id_to_open_id_connect_provider(env, root, OIDC_ARN, "x")


def test_oidc_tags(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    providers.create_open_id_connect_provider(env, root, "https://idp.example.com/tenant")
    providers.tag_open_id_connect_provider(
        env, root, OIDC_ARN, [{"Key": f"k{i}", "Value": str(i)} for i in range(3)]
    )
    providers.untag_open_id_connect_provider(env, root, OIDC_ARN, ["K1"])
    first = providers.list_open_id_connect_provider_tags(env, root, OIDC_ARN, max_items_=1)
    rest = providers.list_open_id_connect_provider_tags(env, root, OIDC_ARN, first.marker)
    assert first.is_truncated
    assert [t.key for t in first.items + rest.items] == ["k0", "k2"]
    with pytest.raises(errors.InvalidInput, match="reserved prefix"):
        providers.tag_open_id_connect_provider(env, root, OIDC_ARN, [{"Key": "aws:x", "Value": ""}])
    providers.delete_open_id_connect_provider(env, root, OIDC_ARN)
    providers.create_open_id_connect_provider(env, root, "https://idp.example.com/tenant")
    assert providers.get_open_id_connect_provider(env, root, OIDC_ARN).tags == []
    with pytest.raises(errors.NoSuchEntity):
        providers.tag_open_id_connect_provider(
            env, root, OIDC_ARN.replace("tenant", "other"), [{"Key": "a", "Value": "b"}]
        )


@pytest.mark.parametrize(
    "url",
    ["http://idp.example.com", "idp.example.com", "https://", "https://idp.example.com/?q=1",
     "https://idp.example.com/#frag", "https://user@idp.example.com", "https://idp example.com"],
)
def test_oidc_url_must_be_https_without_query(callers: Callers, url: str) -> None:
    with pytest.raises(errors.InvalidInput, match="Invalid Open ID Connect Provider URL"):
        providers.create_open_id_connect_provider(callers.env, callers.root(), url)


def test_oidc_rules_and_limits(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    create = providers.create_open_id_connect_provider
    with pytest.raises(errors.InvalidInput, match="40 hexadecimal"):
        create(env, root, "https://a.example.com", thumbprints=["z" * 40])
    with pytest.raises(errors.InvalidInput, match="fewer than 6 entries"):
        create(env, root, "https://a.example.com", thumbprints=[f"{i:040x}" for i in range(6)])
    with pytest.raises(errors.LimitExceeded, match="ClientIdsPerOpenIdConnectProvider: 100"):
        create(env, root, "https://a.example.com", client_ids=[str(i) for i in range(101)])
    create(env, root, "https://a.example.com", client_ids=[str(i) for i in range(100)])
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/a.example.com"
    with pytest.raises(errors.LimitExceeded):
        providers.add_client_id_to_open_id_connect_provider(env, root, arn, "one-more")
    taken = r"Provider with url https://a\.example\.com already exists\."
    with pytest.raises(errors.EntityAlreadyExists, match=taken):
        create(env, root, "https://a.example.com")
    with pytest.raises(errors.InvalidInput, match="is not valid"):
        providers.get_open_id_connect_provider(env, root, "arn:aws:iam::123:role/x")
    # Another account's provider is never looked at: even its root is refused.
    with pytest.raises(errors.AccessDenied, match=r"210987654321:oidc-provider/a\.example\.com"):
        providers.get_open_id_connect_provider(env, root, arn.replace(ACCOUNT, "210987654321"))

    small = replace(env, quotas=Quotas(oidc_providers_per_account=2))
    create(small, root, "https://b.example.com")
    with pytest.raises(errors.LimitExceeded, match="OpenIdConnectProvidersPerAccount: 2"):
        create(small, root, "https://c.example.com")


def test_oidc_authorization(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    providers.create_open_id_connect_provider(
        env, root, "https://idp.example.com/tenant", tags=[{"Key": "team", "Value": "blue"}]
    )
    providers.create_open_id_connect_provider(
        env, root, "https://red.example.com", tags=[{"Key": "team", "Value": "red"}]
    )
    red = f"arn:aws:iam::{ACCOUNT}:oidc-provider/red.example.com"
    carol = user_with(callers, "carol", allow(
        statement("iam:GetOpenIDConnectProvider",
                  StringEquals={"aws:ResourceTag/team": "blue"}),
        statement("iam:CreateOpenIDConnectProvider",
                  f"arn:aws:iam::{ACCOUNT}:oidc-provider/*.example.net"),
        statement("iam:ListOpenIDConnectProviders"),
    ))
    assert providers.get_open_id_connect_provider(env, carol, OIDC_ARN).provider.arn == OIDC_ARN
    denied = f"iam:GetOpenIDConnectProvider on resource: {red} because"
    with pytest.raises(errors.AccessDenied, match=denied):
        providers.get_open_id_connect_provider(env, carol, red)
    # A provider that does not exist is refused the same way: nothing is revealed.
    with pytest.raises(errors.AccessDenied):
        providers.get_open_id_connect_provider(env, carol, red.replace("red", "none"))
    assert len(providers.list_open_id_connect_providers(env, carol)) == 2
    providers.create_open_id_connect_provider(env, carol, "https://ci.example.net")
    with pytest.raises(errors.AccessDenied, match="iam:CreateOpenIDConnectProvider"):
        providers.create_open_id_connect_provider(env, carol, "https://ci.example.com")
    with pytest.raises(errors.AccessDenied, match="iam:TagOpenIDConnectProvider"):
        providers.create_open_id_connect_provider(
            env, carol, "https://cd.example.net", tags=[{"Key": "a", "Value": "b"}]
        )
    with pytest.raises(errors.AccessDenied):
        providers.delete_open_id_connect_provider(env, carol, OIDC_ARN)
    with pytest.raises(errors.AccessDenied):
        providers.tag_open_id_connect_provider(env, carol, red, [{"Key": "a", "Value": "b"}])
    with pytest.raises(errors.AccessDenied):
        providers.untag_open_id_connect_provider(env, carol, red.replace("red", "none"), ["a"])


def test_oidc_over_the_wire(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    made = wire(env, root, "CreateOpenIDConnectProvider", Url="https://idp.example.com/tenant",
                ClientIDList=["sts.amazonaws.com"], ThumbprintList=[THUMB],
                Tags=[{"Key": "team", "Value": "blue"}])
    assert made == {"OpenIDConnectProviderArn": OIDC_ARN,
                    "Tags": [{"Key": "team", "Value": "blue"}]}
    got = wire(env, root, "GetOpenIDConnectProvider", OpenIDConnectProviderArn=OIDC_ARN)
    assert got == {
        "Url": "idp.example.com/tenant", "ClientIDList": ["sts.amazonaws.com"],
        "ThumbprintList": [THUMB], "CreateDate": NOW, "Tags": [{"Key": "team", "Value": "blue"}],
    }
    listed = wire(env, root, "ListOpenIDConnectProviders")
    assert listed == {"OpenIDConnectProviderList": [{"Arn": OIDC_ARN}]}
    tags = wire(env, root, "ListOpenIDConnectProviderTags", OpenIDConnectProviderArn=OIDC_ARN)
    assert tags == {"Tags": [{"Key": "team", "Value": "blue"}], "IsTruncated": False}
    assert wire(env, root, "DeleteOpenIDConnectProvider", OpenIDConnectProviderArn=OIDC_ARN) == {}
    with pytest.raises(errors.NotImplementedOperation, match="IdentityCenterInstanceArn"):
        wire(env, root, "CreateOpenIDConnectProvider", Url="https://x.example.com",
             IdentityCenterInstanceArn="arn:aws:sso:::instance/ssoins-1234567890abcdef")


# -- SAML ----------------------------------------------------------------------------------
def test_saml_provider_lifecycle(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    document = metadata(valid_until="2031-05-06T07:08:09Z")
    made = providers.create_saml_provider(
        env, root, "Okta", document, [{"Key": "team", "Value": "blue"}]
    )
    arn = f"arn:aws:iam::{ACCOUNT}:saml-provider/Okta"
    assert made.provider.arn == arn
    assert made.provider.valid_until == datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert made.provider.id.startswith("SAML")
    assert len(made.provider.id) == 22
    got = providers.get_saml_provider(env, root, arn.replace("Okta", "OKTA"))  # without case
    assert got.provider.metadata_document == document
    assert got.provider.created == NOW
    assert [t.value for t in got.tags] == ["blue"]

    with pytest.raises(errors.EntityAlreadyExists, match="Provider with name okta already"):
        providers.create_saml_provider(env, root, "okta", document)
    providers.create_saml_provider(env, root, "Azure", metadata())
    assert [p.name for p in providers.list_saml_providers(env, root)] == ["Azure", "Okta"]

    newer = metadata("https://other.example.com/saml")
    assert providers.update_saml_provider(env, root, arn, newer).arn == arn
    got = providers.get_saml_provider(env, root, arn)
    assert got.provider.metadata_document == newer
    assert got.provider.valid_until is None
    with pytest.raises(errors.InvalidInput, match="No updates"):
        providers.update_saml_provider(env, root, arn)

    providers.tag_saml_provider(env, root, arn, [{"Key": "env", "Value": "prod"}])
    providers.untag_saml_provider(env, root, arn, ["TEAM"])
    assert [t.key for t in providers.list_saml_provider_tags(env, root, arn).items] == ["env"]

    providers.delete_saml_provider(env, root, arn)
    for operation in (providers.get_saml_provider, providers.delete_saml_provider):
        with pytest.raises(errors.NoSuchEntity, match=f"Manifest not found for arn {arn}"):
            operation(env, root, arn)
    with pytest.raises(errors.NoSuchEntity):
        providers.untag_saml_provider(env, root, arn, ["env"])


@pytest.mark.parametrize(
    "document",
    [
        "x" * 1200,
        "<a>" + "x" * 1200 + "</a>",
        metadata(role="SPSSODescriptor"),  # a service provider's metadata, not an IdP's
        metadata().replace("</md:EntityDescriptor>", ""),  # not well-formed
        metadata(valid_until="next tuesday"),
        # Entity declarations are refused, never expanded (billion laughs, external files).
        '<?xml version="1.0"?><!DOCTYPE md [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        + metadata().split("?>", 1)[1].replace("urn:oasis:names:tc:SAML:1.1", "&b;"),
        '<?xml version="1.0"?><!DOCTYPE md [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + metadata().split("?>", 1)[1].replace("urn:oasis:names:tc:SAML:1.1", "&x;"),
    ],
)
def test_saml_metadata_must_be_idp_metadata(callers: Callers, document: str) -> None:
    with pytest.raises(errors.InvalidInput, match="Could not parse metadata") as refused:
        providers.create_saml_provider(callers.env, callers.root(), "p", document)
    assert "root:" not in refused.value.message
    assert providers.list_saml_providers(callers.env, callers.root()) == []


def test_saml_quota_and_authorization(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    small = replace(env, quotas=Quotas(saml_providers_per_account=1))
    providers.create_saml_provider(small, root, "Mine", metadata(), [{"Key": "o", "Value": "me"}])
    with pytest.raises(errors.LimitExceeded, match="SAMLProvidersPerAccount: 1"):
        providers.create_saml_provider(small, root, "Theirs", metadata())
    providers.create_saml_provider(env, root, "Theirs", metadata())
    dave = user_with(callers, "dave", allow(
        statement("iam:GetSAMLProvider", StringEquals={"iam:ResourceTag/o": "me"}),
        statement("iam:CreateSAMLProvider"),
    ))
    mine = f"arn:aws:iam::{ACCOUNT}:saml-provider/Mine"
    assert providers.get_saml_provider(env, dave, mine).provider.name == "Mine"
    with pytest.raises(errors.AccessDenied, match="iam:GetSAMLProvider"):
        providers.get_saml_provider(env, dave, mine.replace("Mine", "Theirs"))
    with pytest.raises(errors.AccessDenied, match="iam:ListSAMLProviders on resource: \\*"):
        providers.list_saml_providers(env, dave)
    with pytest.raises(errors.AccessDenied, match="iam:TagSAMLProvider"):
        providers.create_saml_provider(env, dave, "New", metadata(), [{"Key": "o", "Value": "x"}])
    assert providers.create_saml_provider(env, dave, "New", metadata()).provider.name == "New"
    with pytest.raises(errors.AccessDenied, match="iam:DeleteSAMLProvider"):
        providers.delete_saml_provider(env, dave, mine)


def test_saml_over_the_wire(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    document = metadata(valid_until="2031-05-06T07:08:09Z")
    made = wire(env, root, "CreateSAMLProvider", Name="Okta", SAMLMetadataDocument=document)
    arn = made["SAMLProviderArn"]
    got = wire(env, root, "GetSAMLProvider", SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == document  # markup and &amp; come back intact
    assert got["ValidUntil"] == datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert got["CreateDate"] == NOW
    assert len(got["SAMLProviderUUID"]) == 22
    listed = wire(env, root, "ListSAMLProviders")
    assert listed == {"SAMLProviderList": [
        {"Arn": arn, "ValidUntil": got["ValidUntil"], "CreateDate": NOW}]}
    assert wire(env, root, "UpdateSAMLProvider", SAMLProviderArn=arn,
                SAMLMetadataDocument=metadata()) == {"SAMLProviderArn": arn}
    secret = "-----BEGIN PRIVATE KEY-----\nMIIEsecretsecret\n-----END PRIVATE KEY-----"
    with pytest.raises(errors.NotImplementedOperation, match="AddPrivateKey") as refused:
        wire(env, root, "UpdateSAMLProvider", SAMLProviderArn=arn, AddPrivateKey=secret)
    assert "secret" not in refused.value.message
    assert wire(env, root, "DeleteSAMLProvider", SAMLProviderArn=arn) == {}
