"""What the services need from the outside world, as protocols (implemented in crypto/, etc.)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from iamd.domain.identifiers import RandomSource

__all__ = [
    "Clock",
    "KeyMaterial",
    "OneTimePasswords",
    "ParsedCertificate",
    "ParsedPublicKey",
    "PasswordHasher",
    "RandomSource",
    "Sealer",
    "SystemClock",
    "SystemRandom",
    "TokenSigner",
    "Unsealable",
]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, tz-aware UTC."""


class Unsealable(Exception):
    """A sealed value does not open: another key or context, altered or truncated."""


class Sealer(Protocol):
    """Authenticated encryption of secrets at rest, bound to a context (e.g. the key id).
    `unseal` raises `Unsealable` for a value it cannot open."""

    def seal(self, plaintext: bytes, *, context: bytes) -> bytes: ...

    def unseal(self, sealed: bytes, *, context: bytes) -> bytes: ...


class PasswordHasher(Protocol):
    """A memory-hard password hash (Argon2id) whose text carries its own parameters."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` is the one hashed; False for a malformed hash too."""

    def verify_nothing(self, password: str) -> None:
        """Spend what `verify` spends, against no stored hash: an unknown user's sign-in
        takes the time a known one's does."""

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash was made with other parameters than the current ones."""


class OneTimePasswords(Protocol):
    """RFC 6238 time-based one-time passwords (6 digits, SHA-1, 30-second steps)."""

    step_seconds: int

    def new_seed(self) -> str:
        """A new random secret, Base32 (what Base32StringSeed returns)."""

    def code(self, seed: str, step: int) -> str:
        """The code of time step ``step`` (Unix time // step_seconds)."""

    def qr_png(self, text: str) -> bytes:
        """A PNG image of a QR code holding ``text`` (an otpauth:// URI)."""


class TokenSigner(Protocol):
    """Message authentication with a server key (session tokens)."""

    def sign(self, message: bytes) -> bytes: ...

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Constant-time check of ``signature`` against ``message``."""


@dataclass(frozen=True, slots=True)
class ParsedCertificate:
    """What the services use of an X.509 certificate."""

    der: bytes
    not_after: datetime  # tz-aware UTC
    public_key_der: bytes  # SubjectPublicKeyInfo, DER


@dataclass(frozen=True, slots=True)
class ParsedPublicKey:
    """A public key in the two encodings IAM returns SSH public keys in."""

    openssh: str  # ``ssh-rsa AAAA...``, without a comment
    pem: str  # SubjectPublicKeyInfo, PEM


class KeyMaterial(Protocol):
    """Parsing and encoding of certificates and keys given as text.

    Input that cannot be used is refused with a domain error (MalformedCertificate,
    InvalidPublicKey, UnrecognizedPublicKeyEncoding) whose message never echoes the input.
    """

    def certificate(self, pem: str) -> ParsedCertificate:
        """One PEM certificate (its validity dates are not checked); MalformedCertificate."""

    def check_certificate_chain(self, pem: str) -> None:
        """One or more PEM certificates; MalformedCertificate otherwise."""

    def private_key_public_der(self, pem: str) -> bytes:
        """The SubjectPublicKeyInfo (DER) of an unencrypted PEM private key;
        MalformedCertificate when it does not parse."""

    def rsa_public_key(self, body: str, *, min_bits: int) -> ParsedPublicKey:
        """The key in OpenSSH (``ssh-...``) or PEM text: UnrecognizedPublicKeyEncoding in
        any other form, InvalidPublicKey unless an RSA key of at least ``min_bits`` bits."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SystemRandom:
    """Random text from the operating system's CSPRNG (`secrets`)."""

    def text(self, alphabet: str, length: int) -> str:
        size = len(alphabet)
        if 256 % size == 0:
            # Each random byte picks a character uniformly (the alphabet size divides 256).
            return "".join(alphabet[byte % size] for byte in secrets.token_bytes(length))
        return "".join(secrets.choice(alphabet) for _ in range(length))
