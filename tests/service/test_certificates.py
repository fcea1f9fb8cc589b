"""Server certificates, signing certificates and SSH public keys, as use cases and on the wire.

Certificates and keys are made here, self-signed, with `cryptography`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import timedelta
from functools import cache
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from iamd.domain import errors
from iamd.domain.entities import KeyStatus
from iamd.domain.quotas import Quotas
from iamd.service.iam import certificates, ssh_keys, users

from .conftest import ACCOUNT, NOW, Callers
from .test_providers import allow, statement, user_with, wire

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


# -- material ------------------------------------------------------------------------------
@cache
def rsa_key(name: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@cache
def ec_key(name: str) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def cert_pem(key: PrivateKey, name: str, days: int = 365) -> str:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    return (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=400)).not_valid_after(NOW + timedelta(days=days))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM).decode()
    )


def ssh_line(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey, comment: str = "") -> str:
    line = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()
    return f"{line} {comment}".strip()


def public_pem(key: PrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def md5_fingerprint(line: str) -> str:
    return hashlib.md5(base64.b64decode(line.split()[1]), usedforsecurity=False).digest().hex(":")


# -- server certificates -------------------------------------------------------------------
def test_server_certificate_lifecycle(callers: Callers, tmp_path: Path) -> None:
    env, root = callers.env, callers.root()
    key = ec_key("web")
    body, private = cert_pem(key, "web.example.com"), key_pem(key)
    chain = cert_pem(ec_key("ca"), "ca.example.com")
    made = certificates.upload_server_certificate(
        env, root, "web", body, private, chain, "/cdn/", [{"Key": "team", "Value": "blue"}]
    )
    stored = made.certificate
    assert stored.arn == f"arn:aws:iam::{ACCOUNT}:server-certificate/cdn/web"
    assert re.fullmatch(r"ASCA[A-Z2-7]{17}", stored.id)
    assert stored.uploaded == NOW
    assert stored.expiration == NOW + timedelta(days=365)
    # The private key is sealed to the certificate's id, and only that opens it.
    assert private.encode() not in stored.sealed_private_key
    assert env.sealer.unseal(stored.sealed_private_key, context=stored.id.encode()) == (
        private.encode()
    )
    assert private not in repr(stored)
    secret_line = private.splitlines()[1].encode()  # a line of the key's base64 body
    stored_bytes = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.is_file())
    assert body.splitlines()[1].encode() in stored_bytes  # these are the database's files
    assert secret_line not in stored_bytes

    got = certificates.get_server_certificate(env, root, "WEB")  # names are case-insensitive
    assert got.certificate == stored
    assert [t.key for t in got.tags] == ["team"]
    with pytest.raises(errors.EntityAlreadyExists, match="name web already exists"):
        certificates.upload_server_certificate(env, root, "web", body, private)

    certificates.update_server_certificate(env, root, "web", "/edge/", "web-2026")
    with pytest.raises(errors.NoSuchEntity, match="Server Certificate with name web cannot"):
        certificates.get_server_certificate(env, root, "web")
    moved = certificates.get_server_certificate(env, root, "web-2026").certificate
    assert moved.arn == f"arn:aws:iam::{ACCOUNT}:server-certificate/edge/web-2026"
    assert moved.id == stored.id
    assert env.sealer.unseal(moved.sealed_private_key, context=moved.id.encode())
    certificates.upload_server_certificate(env, root, "other", body, private)
    with pytest.raises(errors.EntityAlreadyExists, match="name OTHER already exists"):
        certificates.update_server_certificate(env, root, "web-2026", new_name="OTHER")

    certificates.delete_server_certificate(env, root, "web-2026")
    with pytest.raises(errors.NoSuchEntity):
        certificates.delete_server_certificate(env, root, "web-2026")
    certificates.upload_server_certificate(env, root, "web-2026", body, private)
    assert certificates.get_server_certificate(env, root, "web-2026").tags == []


def test_server_certificate_list_and_tags(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    key = ec_key("web")
    body, private = cert_pem(key, "web.example.com"), key_pem(key)
    for name, path in [("c", "/"), ("a", "/x/"), ("b", "/x/y/")]:
        certificates.upload_server_certificate(env, root, name, body, private, path=path)
    first = certificates.list_server_certificates(env, root, max_items_=2)
    assert [c.name for c in first.items] == ["a", "b"]
    assert first.is_truncated
    rest = certificates.list_server_certificates(env, root, marker=first.marker, max_items_=2)
    assert [c.name for c in rest.items] == ["c"]
    assert not rest.is_truncated
    under = certificates.list_server_certificates(env, root, path_prefix="/x/")
    assert [c.name for c in under.items] == ["a", "b"]

    certificates.tag_server_certificate(env, root, "a", [{"Key": "k", "Value": "1"},
                                                         {"Key": "j", "Value": "2"}])
    certificates.untag_server_certificate(env, root, "a", ["J"])
    tags = certificates.list_server_certificate_tags(env, root, "a")
    assert [(t.key, t.value) for t in tags.items] == [("k", "1")]
    with pytest.raises(errors.NoSuchEntity):
        certificates.tag_server_certificate(env, root, "zzz", [{"Key": "k", "Value": "1"}])


def _refusal(callers: Callers, body: str, private: str, chain: str | None = None) -> str:
    with pytest.raises(errors.IamError) as refused:
        certificates.upload_server_certificate(
            callers.env, callers.root(), "bad", body, private, chain
        )
    assert private not in refused.value.message  # the key is never echoed
    assert certificates.list_server_certificates(callers.env, callers.root()).items == []
    return refused.value.code


def test_server_certificate_refusals(callers: Callers) -> None:
    key = ec_key("web")
    body, private = cert_pem(key, "web.example.com"), key_pem(key)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    ).decode()
    assert _refusal(callers, "not a certificate", private) == "MalformedCertificate"
    garbled = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----"
    assert _refusal(callers, body, garbled) == "MalformedCertificate"
    assert _refusal(callers, body, encrypted) == "MalformedCertificate"
    assert _refusal(callers, body, key_pem(ec_key("other"))) == "KeyPairMismatch"
    assert _refusal(callers, cert_pem(key, "old", days=-1), private) == "MalformedCertificate"
    assert _refusal(callers, body, private, chain="garbage") == "MalformedCertificate"

    small = replace(callers.env, quotas=Quotas(server_certificates_per_account=1))
    certificates.upload_server_certificate(small, callers.root(), "one", body, private)
    with pytest.raises(errors.LimitExceeded, match="ServerCertificatesPerAccount: 1"):
        certificates.upload_server_certificate(small, callers.root(), "two", body, private)


def test_server_certificate_authorization(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    key = ec_key("web")
    body, private = cert_pem(key, "web.example.com"), key_pem(key)
    certificates.upload_server_certificate(env, root, "cdn", body, private, path="/cdn/")
    certificates.upload_server_certificate(
        env, root, "api", body, private, tags=[{"Key": "team", "Value": "red"}]
    )
    prefix = f"arn:aws:iam::{ACCOUNT}:server-certificate"
    erin = user_with(callers, "erin", allow(
        statement("iam:GetServerCertificate", f"{prefix}/cdn/*"),
        statement("iam:UploadServerCertificate", f"{prefix}/cdn/*"),
        statement("iam:UpdateServerCertificate", f"{prefix}/cdn/*"),
        statement("iam:DeleteServerCertificate",
                  StringEquals={"aws:ResourceTag/team": "red"}),
    ))
    assert certificates.get_server_certificate(env, erin, "cdn").certificate.name == "cdn"
    with pytest.raises(errors.AccessDenied, match=f"on resource: {prefix}/api because"):
        certificates.get_server_certificate(env, erin, "api")
    with pytest.raises(errors.AccessDenied, match=f"on resource: {prefix}/missing because"):
        certificates.get_server_certificate(env, erin, "missing")  # existence is not revealed
    certificates.upload_server_certificate(env, erin, "cdn2", body, private, path="/cdn/")
    with pytest.raises(errors.AccessDenied, match="iam:TagServerCertificate"):
        certificates.upload_server_certificate(
            env, erin, "cdn3", body, private, path="/cdn/", tags=[{"Key": "a", "Value": "b"}]
        )
    with pytest.raises(errors.AccessDenied, match=f"{prefix}/elsewhere/cdn"):
        certificates.update_server_certificate(env, erin, "cdn", new_path="/elsewhere/")
    with pytest.raises(errors.AccessDenied, match="iam:ListServerCertificates"):
        certificates.list_server_certificates(env, erin)
    certificates.delete_server_certificate(env, erin, "api")
    with pytest.raises(errors.AccessDenied, match="iam:DeleteServerCertificate"):
        certificates.delete_server_certificate(env, erin, "cdn")


def test_server_certificate_over_the_wire(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    key = rsa_key("ssh-a")  # an RSA key pair, as most servers have
    body, private = cert_pem(key, "www.example.com"), key_pem(key)
    made = wire(env, root, "UploadServerCertificate", ServerCertificateName="www",
                CertificateBody=body, PrivateKey=private, Path="/p/",
                Tags=[{"Key": "k", "Value": "v"}])
    metadata = made["ServerCertificateMetadata"]
    assert metadata["Arn"] == f"arn:aws:iam::{ACCOUNT}:server-certificate/p/www"
    assert metadata["Expiration"] == NOW + timedelta(days=365)
    assert made["Tags"] == [{"Key": "k", "Value": "v"}]
    got = wire(env, root, "GetServerCertificate", ServerCertificateName="www")
    assert got["ServerCertificate"]["CertificateBody"] == body
    assert got["ServerCertificate"]["ServerCertificateMetadata"] == metadata
    listed = wire(env, root, "ListServerCertificates", PathPrefix="/p/")
    assert listed == {"ServerCertificateMetadataList": [metadata], "IsTruncated": False}
    for result in (made, got, listed):
        assert "PRIVATE KEY" not in json.dumps(result, default=str)


# -- signing certificates ------------------------------------------------------------------
def test_signing_certificates(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    for name in ("alice", "bob"):
        users.create_user(env, root, name)
    first = cert_pem(ec_key("s1"), "alice-1")
    made = certificates.upload_signing_certificate(env, root, first, "alice")
    assert made.user_name == "alice"
    assert re.fullmatch(r"[A-Z2-7]{32}", made.certificate.id)
    assert made.certificate.status is KeyStatus.ACTIVE
    with pytest.raises(errors.DuplicateCertificate):  # the same certificate, in the account
        certificates.upload_signing_certificate(env, root, first.replace("\n", "\r\n"), "bob")
    second = certificates.upload_signing_certificate(
        env, root, cert_pem(ec_key("s2"), "alice-2"), "alice"
    ).certificate
    with pytest.raises(errors.LimitExceeded, match="SigningCertificatesPerUser: 2"):
        certificates.upload_signing_certificate(env, root, cert_pem(ec_key("s3"), "x"), "alice")
    listed = certificates.list_signing_certificates(env, root, "alice")
    assert {v.certificate.id for v in listed.items} == {made.certificate.id, second.id}

    certificates.update_signing_certificate(env, root, second.id, "Inactive", "alice")
    page = certificates.list_signing_certificates(env, root, "alice", max_items_=1)
    rest = certificates.list_signing_certificates(env, root, "alice", page.marker)
    assert len(page.items) == 1
    assert {v.certificate.id: v.certificate.status for v in page.items + rest.items} == {
        made.certificate.id: KeyStatus.ACTIVE, second.id: KeyStatus.INACTIVE}
    with pytest.raises(errors.InvalidInput, match="Expired"):
        certificates.update_signing_certificate(env, root, second.id, "Expired", "alice")
    with pytest.raises(errors.NoSuchEntity, match=f"Certificate with id {second.id} cannot"):
        certificates.delete_signing_certificate(env, root, second.id, "bob")  # not bob's
    with pytest.raises(errors.NoSuchEntity, match="user with name nobody cannot be found"):
        certificates.list_signing_certificates(env, root, "nobody")
    with pytest.raises(errors.DeleteConflict, match="signing certificates"):
        users.delete_user(env, root, "alice")
    for certificate_id in (made.certificate.id, second.id):
        certificates.delete_signing_certificate(env, root, certificate_id, "alice")
    users.delete_user(env, root, "alice")
    # Deleted, the certificate may be uploaded again.
    assert certificates.upload_signing_certificate(env, root, first, "bob").user_name == "bob"


def test_signing_certificates_of_the_caller(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    owned = certificates.upload_signing_certificate(env, root, cert_pem(ec_key("r"), "root"))
    assert owned.user_name is None
    assert owned.certificate.user_id is None
    assert len(certificates.list_signing_certificates(env, root).items) == 1
    users.create_user(env, root, "bob")
    own_arn = f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"
    frank = user_with(callers, "frank", allow(statement("iam:*SigningCertificate*", own_arn)))
    mine = certificates.upload_signing_certificate(env, frank, cert_pem(ec_key("f"), "frank"))
    assert mine.user_name == "frank"
    assert [v.user_name for v in certificates.list_signing_certificates(env, frank).items] == [
        "frank"]
    with pytest.raises(errors.AccessDenied, match="user/bob because"):
        certificates.upload_signing_certificate(env, frank, cert_pem(ec_key("b"), "b"), "bob")
    with pytest.raises(errors.AccessDenied):  # a missing user is not revealed either
        certificates.list_signing_certificates(env, frank, "nobody")
    with pytest.raises(errors.MalformedCertificate, match="PEM"):
        certificates.upload_signing_certificate(env, frank, "-----BEGIN CERTIFICATE-----\nx")
    with pytest.raises(errors.MalformedCertificate, match="no longer valid"):
        certificates.upload_signing_certificate(env, frank, cert_pem(ec_key("f"), "f", days=-2))


def test_signing_certificates_over_the_wire(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "gina")
    body = cert_pem(ec_key("g"), "gina")
    made = wire(env, root, "UploadSigningCertificate", UserName="gina", CertificateBody=body)
    assert made["Certificate"]["UserName"] == "gina"
    assert made["Certificate"]["CertificateBody"] == body
    assert made["Certificate"]["Status"] == "Active"
    listed = wire(env, root, "ListSigningCertificates", UserName="gina")
    assert listed == {"Certificates": [made["Certificate"]], "IsTruncated": False}
    wire(env, root, "UpdateSigningCertificate", UserName="gina",
         CertificateId=made["Certificate"]["CertificateId"], Status="Inactive")
    listed = wire(env, root, "ListSigningCertificates", UserName="gina")
    assert listed["Certificates"][0]["Status"] == "Inactive"


# -- SSH public keys -----------------------------------------------------------------------
def test_ssh_key_lifecycle(callers: Callers, tmp_path: Path) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "hank")
    line = ssh_line(rsa_key("ssh-a"), "hank@laptop")
    made = ssh_keys.upload_ssh_public_key(env, root, "hank", line)
    key = made.key
    assert re.fullmatch(r"APKA[A-Z2-7]{17}", key.id)
    assert key.fingerprint == md5_fingerprint(line)
    assert len(key.fingerprint) == 47
    if shutil.which("ssh-keygen"):  # the fingerprint OpenSSH itself computes
        (tmp_path / "k.pub").write_text(line + "\n")
        shown = subprocess.run(["ssh-keygen", "-l", "-E", "md5", "-f", str(tmp_path / "k.pub")],
                               capture_output=True, text=True, check=True).stdout
        assert f"MD5:{key.fingerprint}" in shown
    with pytest.raises(errors.DuplicateSSHPublicKey):  # the same key, in PEM this time
        ssh_keys.upload_ssh_public_key(env, root, "hank", public_pem(rsa_key("ssh-a")))

    assert ssh_keys.get_ssh_public_key(env, root, "hank", key.id, "SSH").body == line
    pem = ssh_keys.get_ssh_public_key(env, root, "hank", key.id, "PEM").body
    assert pem == public_pem(rsa_key("ssh-a"))
    other = ssh_keys.upload_ssh_public_key(env, root, "hank", public_pem(rsa_key("ssh-b"))).key
    assert other.fingerprint == md5_fingerprint(ssh_line(rsa_key("ssh-b")))
    as_ssh = ssh_keys.get_ssh_public_key(env, root, "hank", other.id, "SSH").body
    assert as_ssh == ssh_line(rsa_key("ssh-b"))

    ssh_keys.update_ssh_public_key(env, root, "hank", other.id, "Inactive")
    listed = ssh_keys.list_ssh_public_keys(env, root, "hank")
    assert {v.key.id: v.key.status for v in listed.items} == {
        key.id: KeyStatus.ACTIVE, other.id: KeyStatus.INACTIVE}
    with pytest.raises(errors.DeleteConflict, match="SSH public keys"):
        users.delete_user(env, root, "hank")
    ssh_keys.delete_ssh_public_key(env, root, "hank", key.id)
    with pytest.raises(errors.NoSuchEntity, match=f"Public Key with id {key.id} cannot be"):
        ssh_keys.get_ssh_public_key(env, root, "hank", key.id, "SSH")
    users.create_user(env, root, "ivy")
    with pytest.raises(errors.NoSuchEntity):  # hank's key is not ivy's
        ssh_keys.update_ssh_public_key(env, root, "ivy", other.id, "Active")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("hello world", "UnrecognizedPublicKeyEncoding"),
        ("ssh-rsa AAAAnotbase64!!", "InvalidPublicKey"),
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "InvalidPublicKey"),
        ("small-rsa", "InvalidPublicKey"),
        ("ed25519", "InvalidPublicKey"),
        ("ec-pem", "InvalidPublicKey"),
    ],
)
def test_ssh_key_refusals(callers: Callers, body: str, code: str) -> None:
    made = {
        "small-rsa": lambda: ssh_line(rsa_key("small", 1024)),
        "ed25519": lambda: ssh_line(ed25519.Ed25519PrivateKey.generate()),
        "ec-pem": lambda: public_pem(ec_key("ssh")),
    }
    text = made[body]() if body in made else body
    users.create_user(callers.env, callers.root(), "jo")
    with pytest.raises(errors.IamError) as refused:
        ssh_keys.upload_ssh_public_key(callers.env, callers.root(), "jo", text)
    assert refused.value.code == code
    assert ssh_keys.list_ssh_public_keys(callers.env, callers.root(), "jo").items == []


def test_ssh_key_quota_and_authorization(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "kim")
    own_arn = f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"
    lee = user_with(callers, "lee", allow(statement("iam:*SSHPublicKey*", own_arn)))
    small = replace(env, quotas=Quotas(ssh_keys_per_user=1))
    ssh_keys.upload_ssh_public_key(small, lee, "lee", ssh_line(rsa_key("ssh-a")))
    with pytest.raises(errors.LimitExceeded, match="PublicKeysPerUser: 1"):
        ssh_keys.upload_ssh_public_key(small, lee, "lee", ssh_line(rsa_key("ssh-b")))
    assert [v.user_name for v in ssh_keys.list_ssh_public_keys(env, lee).items] == ["lee"]
    denied = r"iam:UploadSSHPublicKey on resource: \S+:user/kim "
    with pytest.raises(errors.AccessDenied, match=denied):
        ssh_keys.upload_ssh_public_key(env, lee, "kim", ssh_line(rsa_key("ssh-b")))
    with pytest.raises(errors.AccessDenied):  # a missing user is not revealed
        ssh_keys.list_ssh_public_keys(env, lee, "nobody")
    assert ssh_keys.list_ssh_public_keys(env, root).items == []  # the root user has no keys


def test_ssh_keys_over_the_wire(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "max")
    line = ssh_line(rsa_key("ssh-a"), "max")
    made = wire(env, root, "UploadSSHPublicKey", UserName="max", SSHPublicKeyBody=line)
    key = made["SSHPublicKey"]
    assert key["Fingerprint"] == md5_fingerprint(line)
    assert key["SSHPublicKeyBody"] == line
    assert key["UploadDate"] == NOW
    got = wire(env, root, "GetSSHPublicKey", UserName="max", SSHPublicKeyId=key["SSHPublicKeyId"],
               Encoding="PEM")
    assert got["SSHPublicKey"]["SSHPublicKeyBody"] == public_pem(rsa_key("ssh-a"))
    listed = wire(env, root, "ListSSHPublicKeys", UserName="max")
    assert listed == {"SSHPublicKeys": [
        {"UserName": "max", "SSHPublicKeyId": key["SSHPublicKeyId"], "Status": "Active",
         "UploadDate": NOW}], "IsTruncated": False}
    assert wire(env, root, "DeleteSSHPublicKey", UserName="max",
                SSHPublicKeyId=key["SSHPublicKeyId"]) == {}

