"""CryptographyKeyMaterial: certificates, private keys and public keys parsed from text.

Material is made here with `cryptography` itself; refusals are the domain errors (and messages)
that the services pass on to the wire.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from iamd.crypto import CryptographyKeyMaterial
from iamd.domain import errors
from iamd.service.ports import KeyMaterial, ParsedCertificate

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
KEYS: KeyMaterial = CryptographyKeyMaterial()
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
INVALID_2048 = (
    "The public key is malformed or otherwise invalid: it must be an RSA key of at least "
    "2048 bits."
)


@cache
def rsa_key(name: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@cache
def ec_key(name: str) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def certificate(key: PrivateKey, name: str, days: int = 365) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    return (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=400)).not_valid_after(NOW + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )


def pem_of(made: x509.Certificate) -> str:
    return made.public_bytes(serialization.Encoding.PEM).decode()


def private_pem(key: PrivateKey, private_format: serialization.PrivateFormat) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, private_format, serialization.NoEncryption()
    ).decode()


def ssh_line(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()


def public_pem(key: PrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


# -- certificates ----------------------------------------------------------------------------
@pytest.mark.parametrize("key", [rsa_key("a"), ec_key("a")], ids=["rsa", "ec"])
def test_a_certificate_gives_its_der_expiry_and_public_key(key: PrivateKey) -> None:
    made = certificate(key, "web.example.com", days=30)

    parsed = KEYS.certificate(pem_of(made))

    assert parsed == ParsedCertificate(
        der=made.public_bytes(serialization.Encoding.DER),
        not_after=NOW + timedelta(days=30),
        public_key_der=key.public_key().public_bytes(*SPKI),
    )
    assert parsed.not_after.tzinfo is not None


def test_an_expired_certificate_still_parses_the_service_judges_dates() -> None:
    parsed = KEYS.certificate(pem_of(certificate(ec_key("a"), "old", days=-1)))
    assert parsed.not_after == NOW - timedelta(days=1)


def test_the_same_certificate_with_other_line_endings_has_the_same_der() -> None:
    body = pem_of(certificate(ec_key("a"), "crlf"))
    assert KEYS.certificate(body.replace("\n", "\r\n")).der == KEYS.certificate(body).der


@pytest.mark.parametrize(
    "body",
    [
        "not a certificate",
        "-----BEGIN CERTIFICATE-----\nx",
        "-----BEGIN CERTIFICATE-----\nc2VjcmV0\n-----END CERTIFICATE-----",
        "",
    ],
)
def test_what_is_not_a_pem_certificate_is_malformed(body: str) -> None:
    with pytest.raises(errors.MalformedCertificate) as refused:
        KEYS.certificate(body)
    assert refused.value.message == (
        "Unable to parse certificate. Please ensure the certificate is in PEM format."
    )


def test_a_chain_of_one_or_more_certificates_is_accepted() -> None:
    first, second = (pem_of(certificate(ec_key(name), name)) for name in ("ca", "root"))
    KEYS.check_certificate_chain(first)
    KEYS.check_certificate_chain(first + second)


@pytest.mark.parametrize("chain", ["garbage", ""])
def test_a_chain_that_is_not_pem_is_malformed(chain: str) -> None:
    with pytest.raises(errors.MalformedCertificate) as refused:
        KEYS.check_certificate_chain(chain)
    assert refused.value.message == (
        "Unable to parse certificate chain. Please ensure the chain is in PEM format."
    )


# -- private keys ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "private_format"),
    [
        (rsa_key("a"), serialization.PrivateFormat.PKCS8),
        (rsa_key("a"), serialization.PrivateFormat.TraditionalOpenSSL),
        (ec_key("a"), serialization.PrivateFormat.PKCS8),
    ],
    ids=["rsa-pkcs8", "rsa-traditional", "ec-pkcs8"],
)
def test_a_private_key_gives_the_public_key_of_its_certificate(
    key: PrivateKey, private_format: serialization.PrivateFormat
) -> None:
    parsed = KEYS.certificate(pem_of(certificate(key, "pair")))

    public = KEYS.private_key_public_der(private_pem(key, private_format))

    assert public == parsed.public_key_der
    other = KEYS.private_key_public_der(
        private_pem(ec_key("other"), serialization.PrivateFormat.PKCS8)
    )
    assert other != parsed.public_key_der


def test_an_encrypted_or_garbled_private_key_is_refused_without_echoing_it() -> None:
    encrypted = ec_key("a").private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    ).decode()
    garbled = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----"
    for pem in (encrypted, garbled, "not a key"):
        with pytest.raises(errors.MalformedCertificate) as refused:
            KEYS.private_key_public_der(pem)
        assert refused.value.message == (
            "Unable to parse private key. Please ensure the key is an unencrypted PEM key."
        )
        assert refused.value.__cause__ is None
        assert refused.value.__suppress_context__


# -- public keys -----------------------------------------------------------------------------
def test_an_openssh_key_gives_both_encodings_without_its_comment() -> None:
    key = rsa_key("ssh-a")
    parsed = KEYS.rsa_public_key(f"  {ssh_line(key)} hank@laptop\n", min_bits=2048)
    assert parsed.openssh == ssh_line(key)
    assert parsed.pem == public_pem(key)


def test_a_pem_key_gives_the_same_as_its_openssh_form() -> None:
    key = rsa_key("ssh-b")
    from_pem = KEYS.rsa_public_key(public_pem(key), min_bits=2048)
    assert from_pem == KEYS.rsa_public_key(ssh_line(key), min_bits=2048)
    assert from_pem.openssh.startswith("ssh-rsa AAAA")


def test_the_minimum_size_is_the_callers() -> None:
    small = ssh_line(rsa_key("small", 1024))
    assert KEYS.rsa_public_key(small, min_bits=1024).openssh == small
    with pytest.raises(errors.InvalidPublicKey) as refused:
        KEYS.rsa_public_key(small, min_bits=2048)
    assert refused.value.message == INVALID_2048
    with pytest.raises(errors.InvalidPublicKey, match="at least 4096 bits"):
        KEYS.rsa_public_key(ssh_line(rsa_key("ssh-a")), min_bits=4096)


@pytest.mark.parametrize(
    "made",
    [
        lambda: "ssh-rsa AAAAnotbase64!!",
        lambda: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
        lambda: ssh_line(ed25519.Ed25519PrivateKey.generate()),
        lambda: public_pem(ec_key("ssh")),
    ],
    ids=["bad-base64", "bad-pem", "ed25519", "ec-pem"],
)
def test_what_is_not_an_rsa_key_is_invalid(made: Callable[[], str]) -> None:
    with pytest.raises(errors.InvalidPublicKey) as refused:
        KEYS.rsa_public_key(made(), min_bits=2048)
    assert refused.value.message == INVALID_2048


@pytest.mark.parametrize("body", ["hello world", "", "AAAAB3NzaC1yc2E", "rsa-ssh AAAA"])
def test_text_in_neither_encoding_is_unrecognized(body: str) -> None:
    with pytest.raises(errors.UnrecognizedPublicKeyEncoding) as refused:
        KEYS.rsa_public_key(body, min_bits=2048)
    assert refused.value.message == (
        "The public key encoding format is unsupported or unrecognized: "
        "give an ssh-rsa key or a PEM public key."
    )
