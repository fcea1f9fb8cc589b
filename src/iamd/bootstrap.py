"""The composition root: builds Store -> services -> app from Settings.

The only module that imports every layer. Importing it does nothing; `build` and `app` do.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from iamd.crypto.keys import CryptographyKeyMaterial
from iamd.crypto.otp import TotpPasswords
from iamd.crypto.passwords import Argon2Hasher, Argon2Parameters
from iamd.crypto.sealing import AesGcmSealer, key_from_text, load_or_create_key
from iamd.crypto.signing import HmacSigner
from iamd.domain.entities import AWS_ACCOUNT, ManagedPolicy, PolicyVersion
from iamd.server.api import Api, ApiConfig
from iamd.server.app import IamdApp, create_app
from iamd.service.authn import Authenticator
from iamd.service.context import AwsPolicy, Env, SignInLimits
from iamd.service.ports import SystemClock, SystemRandom
from iamd.settings import Settings
from iamd.storage.aws_managed import aws_managed_policies
from iamd.storage.sql import migrate
from iamd.storage.sql.store import SqlStore


@dataclass(frozen=True, slots=True)
class Services:
    env: Env
    authenticator: Authenticator
    settings: Settings

    def close(self) -> None:
        self.env.store.close()


def prepare(settings: Settings) -> None:
    """Create the data directory (0700) and apply pending migrations."""
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    migrate.upgrade(settings.url)


def seal_key(settings: Settings) -> bytes:
    if settings.seal_key:
        return key_from_text(settings.seal_key)
    return load_or_create_key(Path(settings.data_dir))


def aws_policies() -> Mapping[str, AwsPolicy]:
    catalogue = {}
    for arn, entry in aws_managed_policies().items():
        policy = ManagedPolicy(
            AWS_ACCOUNT, "ANPA" + _aws_policy_id(arn), entry.name, entry.path,
            entry.create_date, entry.update_date, entry.default_version_id,
            description=entry.description or None,
        )
        version = PolicyVersion(
            AWS_ACCOUNT, policy.id, entry.default_version_id, entry.document, entry.update_date
        )
        catalogue[arn] = AwsPolicy(policy, version)
    return catalogue


def _aws_policy_id(arn: str) -> str:
    """A stable id for an AWS managed policy (AWS's real ids are not in the catalogue)."""
    digest = hashlib.sha256(arn.encode()).digest()
    return base64.b32encode(digest).decode()[:17]


def build(settings: Settings) -> Services:
    """Everything a server process or a CLI command needs, on the configured database."""
    prepare(settings)
    server_key = seal_key(settings)
    env = Env(
        store=SqlStore(settings.url),
        clock=SystemClock(),
        random=SystemRandom(),
        sealer=AesGcmSealer(server_key),
        key_material=CryptographyKeyMaterial(),
        hasher=Argon2Hasher(Argon2Parameters(
            time_cost=settings.password_hash_time_cost,
            memory_kib=settings.password_hash_memory_kib,
            parallelism=settings.password_hash_parallelism,
        )),
        otp=TotpPasswords(),
        signer=HmacSigner(server_key),
        aws_policies=aws_policies(),
        signin=SignInLimits(
            max_failures_per_user=settings.signin_max_failures,
            max_failures_per_address=settings.signin_max_failures_per_address,
            lockout=timedelta(seconds=settings.signin_lockout_seconds),
            session_duration=timedelta(seconds=settings.session_seconds),
        ),
    )
    return Services(env, Authenticator(env), settings)


def app(services: Services) -> IamdApp:
    """The ASGI application of ``iamd serve``."""
    settings = services.settings
    config = ApiConfig(
        max_body_bytes=settings.max_body_bytes,
        clock_skew=timedelta(seconds=settings.clock_skew_seconds),
        trusted_proxies=settings.trusted_proxies,
    )
    api = Api(services.env, services.authenticator, config)
    return create_app(api, max_body_bytes=settings.max_body_bytes)
