"""The one place SQLite and PostgreSQL differ: engines, transactions, write serialization."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str) -> Engine:
    if is_sqlite(url):
        # The driver's own transaction handling is off: iamd emits BEGIN itself, so that a
        # writer takes SQLite's write lock at BEGIN IMMEDIATE, before it reads anything.
        engine = create_engine(
            url,
            isolation_level="AUTOCOMMIT",
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=8,
            max_overflow=8,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Transactions:
    """Begin, commit and roll back on one connection, the dialect's way."""

    def __init__(self, url: str) -> None:
        self._sqlite = is_sqlite(url)

    def begin(self, connection: Connection, *, write: bool) -> Any:
        if self._sqlite:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
            return None
        return connection.begin()

    def commit(self, connection: Connection, handle: Any) -> None:
        if self._sqlite:
            connection.exec_driver_sql("COMMIT")
        else:
            handle.commit()

    def rollback(self, connection: Connection, handle: Any) -> None:
        if self._sqlite:
            connection.exec_driver_sql("ROLLBACK")
        else:
            handle.rollback()
