"""The migrations build exactly the schema `schema.py` declares, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, select, text

from iamd.storage.sql import migrate, schema

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'iamd.db'}"
        return
    name = f"migrations_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def test_migrated_schema_equals_the_declared_one(url: str) -> None:
    before, after = migrate.upgrade(url)
    assert (before, after) == (None, migrate.head())
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, schema.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_upgrade_twice_changes_nothing(url: str) -> None:
    migrate.upgrade(url)
    head = migrate.head()
    assert migrate.upgrade(url) == (head, head)


def test_entity_counts_are_filled_from_the_rows_already_there(url: str) -> None:
    """0004 counts each account's users, roles... as they were before it."""
    assert migrate.upgrade(url, "0003")[1] == "0003"
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for account, users, roles in (("111111111111", 3, 1), ("222222222222", 1, 0)):
                for index in range(users):
                    connection.execute(schema.users.insert().values(
                        id=f"AIDA{account}{index}", account_id=account, name=f"u{index}",
                        name_key=f"u{index}", path="/", created=datetime.now(UTC)))
                for index in range(roles):
                    connection.execute(schema.roles.insert().values(
                        id=f"AROA{account}{index}", account_id=account, name=f"r{index}",
                        name_key=f"r{index}", path="/", created=datetime.now(UTC),
                        assume_role_policy="{}", max_session_duration=3600))
        assert migrate.upgrade(url)[1] == migrate.head()
        with engine.connect() as connection:
            counts = set(connection.execute(select(
                schema.entity_counts.c.account_id, schema.entity_counts.c.kind,
                schema.entity_counts.c.count)).all())
    finally:
        engine.dispose()
    assert counts == {("111111111111", "users", 3), ("111111111111", "roles", 1),
                      ("222222222222", "users", 1)}
