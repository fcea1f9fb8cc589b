"""Password hashing with Argon2id (argon2-cffi): the PHC string keeps its parameters, so they
can be raised later and old hashes still verify (`needs_rehash` says which to redo)."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


@dataclass(frozen=True, slots=True)
class Argon2Parameters:
    """argon2-cffi's defaults: RFC 9106's second recommended (low-memory) option."""

    time_cost: int = 3
    memory_kib: int = 65_536
    parallelism: int = 4


class Argon2Hasher:
    __slots__ = ("_dummy", "_hasher")

    def __init__(self, parameters: Argon2Parameters = Argon2Parameters()) -> None:
        self._hasher = PasswordHasher(
            time_cost=parameters.time_cost, memory_cost=parameters.memory_kib,
            parallelism=parameters.parallelism, type=Type.ID,
        )
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def verify_nothing(self, password: str) -> None:
        if self._dummy is None:
            self._dummy = self._hasher.hash("iamd: no such password")
        self.verify(self._dummy, password)

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
