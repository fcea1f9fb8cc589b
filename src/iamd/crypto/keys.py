"""Certificates and keys given as text, parsed with `cryptography` (the service port KeyMaterial).

Refusals are domain errors with AWS-like messages that never echo the input: a private key
must not reach a log or a response through an error message.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from iamd.domain import errors
from iamd.service.ports import ParsedCertificate, ParsedPublicKey

__all__ = ["CryptographyKeyMaterial"]

PEM_MARK = b"-----BEGIN"
_PARSE_ERRORS = (ValueError, TypeError, UnsupportedAlgorithm)
_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


class CryptographyKeyMaterial:
    """X.509 certificates, PEM private keys and RSA public keys (OpenSSH or PEM)."""

    def certificate(self, pem: str) -> ParsedCertificate:
        try:
            certificate = x509.load_pem_x509_certificate(pem.encode())
            public_key_der = certificate.public_key().public_bytes(*_SPKI)
        except _PARSE_ERRORS:
            raise errors.MalformedCertificate(
                "Unable to parse certificate. Please ensure the certificate is in PEM format."
            ) from None
        return ParsedCertificate(
            der=certificate.public_bytes(serialization.Encoding.DER),
            not_after=certificate.not_valid_after_utc,
            public_key_der=public_key_der,
        )

    def check_certificate_chain(self, pem: str) -> None:
        try:
            x509.load_pem_x509_certificates(pem.encode())
        except _PARSE_ERRORS:
            raise errors.MalformedCertificate(
                "Unable to parse certificate chain. Please ensure the chain is in PEM format."
            ) from None

    def private_key_public_der(self, pem: str) -> bytes:
        try:
            key = serialization.load_pem_private_key(pem.encode(), password=None)
        except _PARSE_ERRORS:
            raise errors.MalformedCertificate(
                "Unable to parse private key. Please ensure the key is an unencrypted PEM key."
            ) from None
        return key.public_key().public_bytes(*_SPKI)

    def rsa_public_key(self, body: str, *, min_bits: int) -> ParsedPublicKey:
        key = _rsa_public_key(body, min_bits)
        openssh = key.public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        ).decode()
        pem = key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        return ParsedPublicKey(openssh=openssh, pem=pem)


def _rsa_public_key(body: str, min_bits: int) -> rsa.RSAPublicKey:
    text = body.strip().encode()
    if text.startswith(PEM_MARK):
        load = serialization.load_pem_public_key
    elif text.startswith(b"ssh-"):
        load = serialization.load_ssh_public_key
    else:
        raise errors.UnrecognizedPublicKeyEncoding(
            "The public key encoding format is unsupported or unrecognized: "
            "give an ssh-rsa key or a PEM public key."
        )
    try:
        key = load(text)
    except (ValueError, UnsupportedAlgorithm):
        raise _invalid(min_bits) from None
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < min_bits:
        raise _invalid(min_bits)
    return key


def _invalid(min_bits: int) -> errors.InvalidPublicKey:
    return errors.InvalidPublicKey(
        f"The public key is malformed or otherwise invalid: it must be an RSA key of at "
        f"least {min_bits} bits."
    )
