"""Frozen, typed Settings: flags > ``IAMD_*`` environment > defaults.

Only the command line builds Settings (`Settings.load`); everything else receives them.
Secrets print as ``***``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULT_PORT = 8400


def default_data_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or os.path.join(env.get("HOME", "."), ".local", "share")
    return Path(base) / "iamd"


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    data_dir: Path = Path(".iamd")
    database_url: str | None = None  # None: SQLite in data_dir
    seal_key: str | None = field(default=None, repr=False)  # base64 of 32 bytes
    workers: int = 1
    max_body_bytes: int = 1_048_576
    clock_skew_seconds: int = 900
    trusted_proxies: tuple[str, ...] = ()
    log_level: str = "info"
    # Argon2id parameters for new password hashes (older hashes keep theirs and still verify).
    password_hash_time_cost: int = 3
    password_hash_memory_kib: int = 65_536
    password_hash_parallelism: int = 4
    signin_max_failures: int = 5  # per user name, before a lockout
    signin_max_failures_per_address: int = 20  # per source address, whatever the user
    signin_lockout_seconds: int = 900
    session_seconds: int = 43_200  # how long a console session lasts

    ENV_NAMES = {  # noqa: RUF012 - a class constant, not a field
        "host": "IAMD_HOST",
        "port": "IAMD_PORT",
        "data_dir": "IAMD_DATA_DIR",
        "database_url": "IAMD_DATABASE_URL",
        "seal_key": "IAMD_SEAL_KEY",
        "workers": "IAMD_WORKERS",
        "max_body_bytes": "IAMD_MAX_BODY_BYTES",
        "trusted_proxies": "IAMD_TRUSTED_PROXIES",
        "log_level": "IAMD_LOG_LEVEL",
        "password_hash_time_cost": "IAMD_PASSWORD_HASH_TIME_COST",
        "password_hash_memory_kib": "IAMD_PASSWORD_HASH_MEMORY_KIB",
        "password_hash_parallelism": "IAMD_PASSWORD_HASH_PARALLELISM",
        "signin_max_failures": "IAMD_SIGNIN_MAX_FAILURES",
        "signin_max_failures_per_address": "IAMD_SIGNIN_MAX_FAILURES_PER_ADDRESS",
        "signin_lockout_seconds": "IAMD_SIGNIN_LOCKOUT_SECONDS",
        "session_seconds": "IAMD_SESSION_SECONDS",
    }

    @classmethod
    def load(cls, flags: Mapping[str, Any], env: Mapping[str, str]) -> Settings:
        """Each setting from its flag when given, else its ``IAMD_*`` variable, else default."""
        values: dict[str, Any] = {"data_dir": default_data_dir(env)}
        for name, variable in cls.ENV_NAMES.items():
            if variable in env and env[variable] != "":
                values[name] = env[variable]
        values.update({name: value for name, value in flags.items() if value is not None})
        return cls(**_typed(values))

    @property
    def url(self) -> str:
        """The database URL: the given one, or SQLite in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir / 'iamd.db'}"

    @property
    def uses_data_dir_database(self) -> bool:
        return self.database_url is None

    def __repr__(self) -> str:
        def shown(name: str) -> str:
            secret = name == "seal_key" and self.seal_key
            return "***" if secret else repr(getattr(self, name))

        return "Settings(" + ", ".join(f"{f.name}={shown(f.name)}" for f in fields(self)) + ")"


def _typed(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    integers = [f.name for f in fields(Settings) if f.type in ("int", int)]
    for name in integers:
        if name in out:
            out[name] = int(out[name])
    if "data_dir" in out:
        out["data_dir"] = Path(out["data_dir"]).expanduser()
    if isinstance(out.get("trusted_proxies"), str):
        out["trusted_proxies"] = tuple(
            part.strip() for part in out["trusted_proxies"].split(",") if part.strip()
        )
    return out
