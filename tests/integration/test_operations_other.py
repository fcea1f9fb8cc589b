"""OpenID Connect and SAML providers, server and signing certificates and SSH public keys,
over HTTP with boto3 (and one aws CLI command), on both backends. Certificates and keys are
made here with `cryptography`."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from .conftest import Account, fails

PEM = serialization.Encoding.PEM



def tag_dict(tags: list[dict[str, str]]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in tags}


# -- keys and certificates -------------------------------------------------------------------
@dataclass(frozen=True)
class Keys:
    """RSA keys made once per module (key generation is the slow part)."""

    first: rsa.RSAPrivateKey
    second: rsa.RSAPrivateKey
    small: rsa.RSAPrivateKey  # 1024 bits: too small for an SSH key


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys(*(rsa.generate_private_key(65537, bits) for bits in (2048, 2048, 1024)))


def certificate(key: Any, name: str, *, days: int = 30, issuer_key: Any = None,
                issuer: str | None = None) -> str:
    """A PEM certificate for ``key``, self-signed unless ``issuer_key`` signs it."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    built = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer or name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=2 * abs(days)))
        .not_valid_after(now + timedelta(days=days))
        .sign(issuer_key or key, hashes.SHA256())
    )
    return str(built.public_bytes(PEM).decode())


def private_pem(key: Any) -> str:
    return str(key.private_bytes(PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode())


def openssh(key: Any) -> str:
    return str(key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode())


def ssh_fingerprint(key: rsa.RSAPrivateKey) -> str:
    blob = base64.b64decode(openssh(key).split()[1])
    return hashlib.md5(blob, usedforsecurity=False).digest().hex(":")


def public_numbers(pem: str) -> Any:
    loaded = serialization.load_pem_public_key(pem.encode())
    assert isinstance(loaded, rsa.RSAPublicKey)
    return loaded.public_numbers()


def saml_metadata(key: Any, entity: str = "https://idp.example.com/saml",
                  valid_until: str | None = "2040-01-01T00:00:00Z") -> str:
    """SAML 2.0 IdP metadata with a signing certificate (over the model's 1000 characters)."""
    der = x509.load_pem_x509_certificate(certificate(key, "idp").encode()).public_bytes(
        serialization.Encoding.DER)
    until = f' validUntil="{valid_until}"' if valid_until else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity}"{until}>'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{base64.b64encode(der).decode()}"
        "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        'Location="https://idp.example.com/sso"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


# -- OpenID Connect providers ----------------------------------------------------------------
def test_openid_connect_provider_lifecycle(account: Account) -> None:
    iam = account.iam
    thumbprint = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
    arn = iam.create_open_id_connect_provider(
        Url="https://token.example.com/realms/main", ClientIDList=["web", "cli"],
        ThumbprintList=[thumbprint], Tags=[{"Key": "idp", "Value": "keycloak"}],
    )["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{account.id}:oidc-provider/token.example.com/realms/main"
    fails("EntityAlreadyExists", iam.create_open_id_connect_provider,
          Url="https://token.example.com/realms/main", ThumbprintList=[thumbprint])
    fails("InvalidInput", iam.create_open_id_connect_provider, Url="http://plain.example.com",
          ThumbprintList=[thumbprint])
    fails("InvalidInput", iam.create_open_id_connect_provider, Url="https://x.example.com",
          ThumbprintList=["z" * 40])
    second = iam.create_open_id_connect_provider(Url="https://other.example.com")[
        "OpenIDConnectProviderArn"]  # thumbprints are optional

    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == "token.example.com/realms/main"
    assert sorted(got["ClientIDList"]) == ["cli", "web"]
    assert got["ThumbprintList"] == [thumbprint]
    assert tag_dict(got["Tags"]) == {"idp": "keycloak"}
    listed = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert sorted(item["Arn"] for item in listed) == sorted([arn, second])

    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="api")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="api")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                                       ClientID="web")
    new_prints = ["a" * 40, "B" * 40]
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn,
                                                   ThumbprintList=new_prints)
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                     Tags=[{"Key": "env", "Value": "prod"}])
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["idp"])
    assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"] == [
        {"Key": "env", "Value": "prod"}]
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert sorted(got["ClientIDList"]) == ["api", "cli"]
    assert got["ThumbprintList"] == new_prints

    # The aws CLI reads it back the same way.
    shown = json.loads(account.aws("iam", "get-open-id-connect-provider",
                                   "--open-id-connect-provider-arn", arn).stdout)
    assert (shown["Url"], sorted(shown["ClientIDList"]), shown["Tags"]) == (
        "token.example.com/realms/main", ["api", "cli"], [{"Key": "env", "Value": "prod"}])

    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    fails("NoSuchEntity", iam.get_open_id_connect_provider, OpenIDConnectProviderArn=arn)
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)  # idempotent, as on AWS
    fails("InvalidInput", iam.get_open_id_connect_provider, OpenIDConnectProviderArn="x" * 20)
    assert [item["Arn"] for item in iam.list_open_id_connect_providers()[
        "OpenIDConnectProviderList"]] == [second]


# -- SAML providers --------------------------------------------------------------------------
def test_saml_provider_lifecycle_and_hostile_metadata(account: Account, keys: Keys) -> None:
    iam = account.iam
    metadata = saml_metadata(keys.first)
    made = iam.create_saml_provider(Name="corp-idp", SAMLMetadataDocument=metadata,
                                    Tags=[{"Key": "team", "Value": "it"}])
    arn = made["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{account.id}:saml-provider/corp-idp"
    assert made["Tags"] == [{"Key": "team", "Value": "it"}]
    fails("EntityAlreadyExists", iam.create_saml_provider, Name="corp-idp",
          SAMLMetadataDocument=metadata)

    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == metadata
    assert got["ValidUntil"] == datetime(2040, 1, 1, tzinfo=UTC)
    assert tag_dict(got["Tags"]) == {"team": "it"}
    [listed] = iam.list_saml_providers()["SAMLProviderList"]
    assert listed["Arn"] == arn

    updated = saml_metadata(keys.second, valid_until=None)
    assert iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=updated)[
        "SAMLProviderArn"] == arn
    assert iam.get_saml_provider(SAMLProviderArn=arn)["SAMLMetadataDocument"] == updated
    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["team"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [
        {"Key": "env", "Value": "prod"}]

    entity_bomb = (
        '<?xml version="1.0"?><!DOCTYPE md [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>' + metadata.split("?>", 1)[1]
    ).replace('entityID="https://idp.example.com/saml"', 'entityID="&b;"')
    external = metadata.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0"?><!DOCTYPE md SYSTEM "file:///etc/passwd">')
    not_an_idp = metadata.replace("IDPSSODescriptor", "SPSSODescriptor")
    for hostile in (entity_bomb, external, not_an_idp, metadata[:-20] + " " * 20):
        fails("InvalidInput", iam.create_saml_provider, Name="hostile",
              SAMLMetadataDocument=hostile)
    assert len(iam.list_saml_providers()["SAMLProviderList"]) == 1

    iam.delete_saml_provider(SAMLProviderArn=arn)
    fails("NoSuchEntity", iam.get_saml_provider, SAMLProviderArn=arn)
    assert iam.list_saml_providers()["SAMLProviderList"] == []


# -- server certificates ---------------------------------------------------------------------
def test_server_certificates(account: Account, keys: Keys) -> None:
    iam = account.iam
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = certificate(ca_key, "Test CA")
    body = certificate(keys.first, "www.example.com", issuer_key=ca_key, issuer="Test CA")
    made = iam.upload_server_certificate(
        ServerCertificateName="www", Path="/cloudfront/", CertificateBody=body,
        PrivateKey=private_pem(keys.first), CertificateChain=ca,
        Tags=[{"Key": "site", "Value": "www"}],
    )
    meta = made["ServerCertificateMetadata"]
    assert meta["Arn"] == f"arn:aws:iam::{account.id}:server-certificate/cloudfront/www"
    assert meta["ServerCertificateId"].startswith("ASCA")
    expected_expiry = x509.load_pem_x509_certificate(body.encode()).not_valid_after_utc
    assert meta["Expiration"] == expected_expiry
    assert made["Tags"] == [{"Key": "site", "Value": "www"}]

    got = iam.get_server_certificate(ServerCertificateName="www")["ServerCertificate"]
    assert got["CertificateBody"].strip() == body.strip()
    assert got["CertificateChain"].strip() == ca.strip()
    assert "PrivateKey" not in got  # never given back
    assert got["ServerCertificateMetadata"]["ServerCertificateId"] == meta["ServerCertificateId"]
    assert "PRIVATE KEY" not in json.dumps(got, default=str)

    fails("EntityAlreadyExists", iam.upload_server_certificate, ServerCertificateName="WWW",
          CertificateBody=body, PrivateKey=private_pem(keys.first))
    fails("KeyPairMismatch", iam.upload_server_certificate, ServerCertificateName="mismatch",
          CertificateBody=body, PrivateKey=private_pem(keys.second))
    fails("MalformedCertificate", iam.upload_server_certificate, ServerCertificateName="old",
          CertificateBody=certificate(keys.second, "old", days=-1),
          PrivateKey=private_pem(keys.second))
    fails("MalformedCertificate", iam.upload_server_certificate, ServerCertificateName="junk",
          CertificateBody="-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----",
          PrivateKey=private_pem(keys.second))

    for index in range(4):
        iam.upload_server_certificate(
            ServerCertificateName=f"api-{index}", Path="/api/",
            CertificateBody=certificate(keys.second, f"api{index}.example.com"),
            PrivateKey=private_pem(keys.second))
    pages = iam.get_paginator("list_server_certificates").paginate(
        PaginationConfig={"PageSize": 2})
    names = [m["ServerCertificateName"] for page in pages
             for m in page["ServerCertificateMetadataList"]]
    assert sorted(names) == ["api-0", "api-1", "api-2", "api-3", "www"]
    assert len(names) == len(set(names))
    in_api = iam.list_server_certificates(PathPrefix="/api/")["ServerCertificateMetadataList"]
    assert len(in_api) == 4

    iam.update_server_certificate(ServerCertificateName="www", NewServerCertificateName="web",
                                  NewPath="/")
    fails("NoSuchEntity", iam.get_server_certificate, ServerCertificateName="www")
    renamed = iam.get_server_certificate(ServerCertificateName="web")["ServerCertificate"]
    assert renamed["ServerCertificateMetadata"]["Arn"] == (
        f"arn:aws:iam::{account.id}:server-certificate/web")
    iam.tag_server_certificate(ServerCertificateName="web", Tags=[{"Key": "env", "Value": "p"}])
    iam.untag_server_certificate(ServerCertificateName="web", TagKeys=["site"])
    assert iam.list_server_certificate_tags(ServerCertificateName="web")["Tags"] == [
        {"Key": "env", "Value": "p"}]
    assert iam.get_account_summary()["SummaryMap"]["ServerCertificates"] == 5

    iam.delete_server_certificate(ServerCertificateName="web")
    fails("NoSuchEntity", iam.delete_server_certificate, ServerCertificateName="web")
    assert len(iam.list_server_certificates()["ServerCertificateMetadataList"]) == 4


# -- signing certificates --------------------------------------------------------------------
def test_signing_certificates_of_users_and_root(account: Account, keys: Keys) -> None:
    iam = account.iam
    iam.create_user(UserName="signer")
    bodies = [certificate(keys.first, "one"), certificate(keys.second, "two"),
              certificate(keys.first, "three")]
    first = iam.upload_signing_certificate(UserName="signer", CertificateBody=bodies[0])[
        "Certificate"]
    assert (first["UserName"], first["Status"]) == ("signer", "Active")
    assert len(first["CertificateId"]) == 32
    fails("DuplicateCertificate", iam.upload_signing_certificate, UserName="signer",
          CertificateBody=bodies[0])
    second = iam.upload_signing_certificate(UserName="signer", CertificateBody=bodies[1])[
        "Certificate"]
    fails("LimitExceeded", iam.upload_signing_certificate, UserName="signer",
          CertificateBody=bodies[2])
    fails("MalformedCertificate", iam.upload_signing_certificate, UserName="signer",
          CertificateBody="not a certificate")

    iam.update_signing_certificate(UserName="signer", CertificateId=first["CertificateId"],
                                   Status="Inactive")
    listed = {c["CertificateId"]: c for c in iam.list_signing_certificates(UserName="signer")[
        "Certificates"]}
    assert {cid: c["Status"] for cid, c in listed.items()} == {
        first["CertificateId"]: "Inactive", second["CertificateId"]: "Active"}
    assert listed[second["CertificateId"]]["CertificateBody"].strip() == bodies[1].strip()
    assert "signing certificates" in fails("DeleteConflict", iam.delete_user, UserName="signer")
    fails("NoSuchEntity", iam.delete_signing_certificate, UserName="signer",
          CertificateId="A" * 32)

    # The root user's own certificate: no UserName.
    root_cert = iam.upload_signing_certificate(CertificateBody=bodies[2])["Certificate"]
    assert [c["CertificateId"] for c in iam.list_signing_certificates()["Certificates"]] == [
        root_cert["CertificateId"]]
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["AccountSigningCertificatesPresent"] == 1
    iam.delete_signing_certificate(CertificateId=root_cert["CertificateId"])

    for cert in (first, second):
        iam.delete_signing_certificate(UserName="signer", CertificateId=cert["CertificateId"])
    assert iam.list_signing_certificates(UserName="signer")["Certificates"] == []
    iam.delete_user(UserName="signer")


# -- SSH public keys -------------------------------------------------------------------------
def test_ssh_public_keys_and_self_service(account: Account, keys: Keys) -> None:
    iam = account.iam
    iam.create_user(UserName="dev")
    made = iam.upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=openssh(keys.first))[
        "SSHPublicKey"]
    key_id = made["SSHPublicKeyId"]
    assert key_id.startswith("APKA")
    assert made["Fingerprint"] == ssh_fingerprint(keys.first)
    assert made["Status"] == "Active"
    fails("DuplicateSSHPublicKey", iam.upload_ssh_public_key, UserName="dev",
          SSHPublicKeyBody=openssh(keys.first))
    fails("InvalidPublicKey", iam.upload_ssh_public_key, UserName="dev",
          SSHPublicKeyBody=openssh(keys.small))
    fails("InvalidPublicKey", iam.upload_ssh_public_key, UserName="dev",
          SSHPublicKeyBody=openssh(ed25519.Ed25519PrivateKey.generate()))
    fails("UnrecognizedPublicKeyEncoding", iam.upload_ssh_public_key, UserName="dev",
          SSHPublicKeyBody="definitely not a key")

    as_ssh = iam.get_ssh_public_key(UserName="dev", SSHPublicKeyId=key_id, Encoding="SSH")
    assert as_ssh["SSHPublicKey"]["SSHPublicKeyBody"].split()[:2] == openssh(keys.first).split()
    as_pem = iam.get_ssh_public_key(UserName="dev", SSHPublicKeyId=key_id, Encoding="PEM")
    pem_body = as_pem["SSHPublicKey"]["SSHPublicKeyBody"]
    assert public_numbers(pem_body) == keys.first.public_key().public_numbers()
    second_pem = keys.second.public_key().public_bytes(
        PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    second = iam.upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=second_pem)[
        "SSHPublicKey"]
    assert second["Fingerprint"] == ssh_fingerprint(keys.second)

    iam.update_ssh_public_key(UserName="dev", SSHPublicKeyId=key_id, Status="Inactive")
    listed = iam.get_paginator("list_ssh_public_keys").paginate(
        UserName="dev", PaginationConfig={"PageSize": 1}).build_full_result()["SSHPublicKeys"]
    assert {k["SSHPublicKeyId"]: k["Status"] for k in listed} == {
        key_id: "Inactive", second["SSHPublicKeyId"]: "Active"}
    assert "SSH public keys" in fails("DeleteConflict", iam.delete_user, UserName="dev")

    # A user may manage its own keys through ${aws:username}, nobody else's.
    own_keys = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["iam:UploadSSHPublicKey", "iam:ListSSHPublicKeys"],
        "Resource": f"arn:aws:iam::{account.id}:user/${{aws:username}}"}]}
    iam.create_user(UserName="self")
    iam.put_user_policy(UserName="self", PolicyName="own", PolicyDocument=json.dumps(own_keys))
    secret = iam.create_access_key(UserName="self")["AccessKey"]
    self_client = account.client(secret["AccessKeyId"], secret["SecretAccessKey"])
    self_client.upload_ssh_public_key(UserName="self", SSHPublicKeyBody=openssh(keys.second))
    assert len(self_client.list_ssh_public_keys()["SSHPublicKeys"]) == 1  # no UserName: self
    fails("AccessDenied", self_client.list_ssh_public_keys, UserName="dev")
    fails("AccessDenied", self_client.upload_ssh_public_key, UserName="dev",
          SSHPublicKeyBody=openssh(keys.first))

    for ssh_key in listed:
        iam.delete_ssh_public_key(UserName="dev", SSHPublicKeyId=ssh_key["SSHPublicKeyId"])
    fails("NoSuchEntity", iam.get_ssh_public_key, UserName="dev", SSHPublicKeyId=key_id,
          Encoding="SSH")
    iam.delete_user(UserName="dev")


def test_no_permissions_for_providers_and_certificates(account: Account, keys: Keys) -> None:
    iam = account.iam
    oidc = iam.create_open_id_connect_provider(Url="https://denied.example.com")[
        "OpenIDConnectProviderArn"]
    nobody = account.user_with_key("nobody")
    for call, params in [
        (nobody.list_open_id_connect_providers, {}),
        (nobody.get_open_id_connect_provider, {"OpenIDConnectProviderArn": oidc}),
        (nobody.delete_open_id_connect_provider, {"OpenIDConnectProviderArn": oidc}),
        (nobody.create_saml_provider, {"Name": "x",
                                       "SAMLMetadataDocument": saml_metadata(keys.first)}),
        (nobody.list_server_certificates, {}),
        (nobody.upload_server_certificate, {
            "ServerCertificateName": "x", "CertificateBody": certificate(keys.first, "x"),
            "PrivateKey": private_pem(keys.first)}),
        (nobody.upload_signing_certificate, {"CertificateBody": certificate(keys.second, "y")}),
        (nobody.list_ssh_public_keys, {}),
    ]:
        fails("AccessDenied", call, **params)
    assert [p["Arn"] for p in iam.list_open_id_connect_providers()[
        "OpenIDConnectProviderList"]] == [oidc]
    assert iam.list_server_certificates()["ServerCertificateMetadataList"] == []
