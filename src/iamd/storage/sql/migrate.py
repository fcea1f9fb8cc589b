"""Schema migrations (Alembic), applied by `iamd db upgrade` and on `iamd serve` start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from .dialects import is_sqlite, make_engine

_SCRIPTS = Path(__file__).with_name("migrations")
# Several servers may start at once on one PostgreSQL database: one migrates, the others wait.
_LOCK_ID = 7_263_441


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return config


def head() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def upgrade(url: str, target: str = "head") -> tuple[str | None, str | None]:
    """Apply pending migrations (up to ``target``); returns (revision before, revision
    after)."""
    config = _config()
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if not is_sqlite(url):
                connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _LOCK_ID})
                connection.commit()
            try:
                before = MigrationContext.configure(connection).get_current_revision()
                config.attributes["connection"] = connection
                command.upgrade(config, target)
                connection.commit()
                after = MigrationContext.configure(connection).get_current_revision()
            finally:
                if not is_sqlite(url):
                    connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _LOCK_ID})
                    connection.commit()
        return before, after
    finally:
        engine.dispose()
