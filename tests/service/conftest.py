"""Fixtures for use-case tests: a fresh SQLite store, a fixed clock, real sealing and keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from iamd.bootstrap import aws_policies
from iamd.crypto.keys import CryptographyKeyMaterial
from iamd.crypto.otp import TotpPasswords
from iamd.crypto.passwords import Argon2Hasher, Argon2Parameters
from iamd.crypto.sealing import AesGcmSealer
from iamd.crypto.signing import HmacSigner
from iamd.domain.entities import AccessKey
from iamd.service import accounts
from iamd.service.authn import Authenticator
from iamd.service.context import Call, Env, RequestInfo
from iamd.service.iam import access_keys, users
from iamd.service.ports import SystemRandom
from iamd.storage.sql.store import SqlStore

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
ACCOUNT = "123456789012"


@dataclass
class FixedClock:
    moment: datetime = NOW

    def now(self) -> datetime:
        return self.moment


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    store = SqlStore(f"sqlite:///{tmp_path / 'iamd.db'}")
    store.create_schema()
    environment = Env(
        store=store, clock=FixedClock(), random=SystemRandom(),
        sealer=AesGcmSealer(bytes(32)), key_material=CryptographyKeyMaterial(),
        # Real Argon2id with small parameters: the use-case tests hash many passwords.
        hasher=Argon2Hasher(Argon2Parameters(time_cost=1, memory_kib=1024, parallelism=1)),
        otp=TotpPasswords(), signer=HmacSigner(bytes(32)),
        aws_policies=aws_policies(),
    )
    yield environment
    store.close()


class Callers:
    """Builds `Call`s for the root user and for IAM users, as the server would."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.authn = Authenticator(env)
        made = accounts.create_account(env, account_id=ACCOUNT)
        self.root_key = made.root_access_key_id

    def call_for_key(self, key_id: str) -> Call:
        credential = self.authn.credential(key_id)
        assert credential is not None, f"key {key_id} is not usable"
        return Call(credential.caller, RequestInfo(now=self.env.clock.now()))

    def root(self) -> Call:
        return self.call_for_key(self.root_key)

    def user(self, name: str) -> Call:
        """A call by the named user (created with a key if needed), with its current policies."""
        root = self.root()
        with self.env.store.read() as tx:
            existing = tx.get(users.User, ACCOUNT, name)
            keys = tx.find(AccessKey, ACCOUNT, user_id=existing.id) if existing else []
        if existing is None:
            users.create_user(self.env, root, name)
        if not keys:
            key_id = access_keys.create_access_key(self.env, root, name).key.id
        else:
            key_id = keys[0].id
        return self.call_for_key(key_id)


@pytest.fixture
def callers(env: Env) -> Callers:
    return Callers(env)
