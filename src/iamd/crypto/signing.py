"""Session tokens are authenticated with HMAC-SHA256 under a key derived from the server key
(HKDF), so that a forged token is refused before the database is asked."""

from __future__ import annotations

import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class HmacSigner:
    __slots__ = ("_key",)

    def __init__(self, server_key: bytes, *, purpose: bytes = b"iamd session tokens") -> None:
        self._key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
            server_key
        )

    def sign(self, message: bytes) -> bytes:
        return hmac.digest(self._key, message, "sha256")

    def verify(self, message: bytes, signature: bytes) -> bool:
        return hmac.compare_digest(self.sign(message), signature)
