"""What the services need from the outside world, as protocols (implemented in crypto/, etc.)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Protocol

from iamd.domain.identifiers import RandomSource

__all__ = ["Clock", "RandomSource", "Sealer", "SystemClock", "SystemRandom"]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, tz-aware UTC."""


class Sealer(Protocol):
    """Authenticated encryption of secrets at rest, bound to a context (e.g. the key id)."""

    def seal(self, plaintext: bytes, *, context: bytes) -> bytes: ...

    def unseal(self, sealed: bytes, *, context: bytes) -> bytes: ...


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
