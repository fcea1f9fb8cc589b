"""The one place SQLite and PostgreSQL differ: engines, transactions, binding, statements.

Statements are SQLAlchemy Core, compiled once per dialect into the driver's own SQL and run
on the raw DBAPI connection: the request path runs a handful of them per call, and going
through SQLAlchemy's execution machinery each time would cost more than the queries.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple, cast

import psycopg
from sqlalchemy import Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

INTEGRITY_ERRORS: tuple[type[Exception], ...] = (sqlite3.IntegrityError, psycopg.IntegrityError)
# The connection is gone (a PostgreSQL restart, a network failure): open another next time.
DISCONNECT_ERRORS: tuple[type[Exception], ...] = (psycopg.OperationalError, psycopg.InterfaceError)


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
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


Build = Callable[[], ClauseElement]


class Prepared(NamedTuple):
    sql: str
    order: tuple[str, ...] | None  # parameter names in order, for positional drivers
    defaults: dict[str, Any]


class Driver:
    """Compiles statements for one dialect (once each) and runs them on DBAPI connections."""

    def __init__(self, engine: Engine) -> None:
        self._dialect = engine.dialect
        self._sqlite = engine.dialect.name == "sqlite"
        self._prepared: dict[str, Prepared] = {}
        # SQLite: a writer holds the database's one write lock from BEGIN IMMEDIATE on, so
        # it has its account to itself without writing to the account's row; a failed
        # statement is undone alone, leaving the transaction usable; a single statement
        # outside BEGIN reads one consistent snapshot. PostgreSQL: none of these.
        self.write_locks_database = self._sqlite
        self.failed_statement_keeps_transaction = self._sqlite
        self.statement_is_snapshot = self._sqlite

    def prepare(self, key: str, build: Build) -> Prepared:
        prepared = self._prepared.get(key)
        if prepared is None:
            compiled = cast(SQLCompiler, build().compile(dialect=self._dialect))
            order = tuple(compiled.positiontup or ()) if compiled.positional else None
            # Literals in a statement (a LIMIT 1, say) are bound parameters with a value.
            defaults = {name: value for name, value in compiled.params.items()
                        if value is not None}
            prepared = self._prepared[key] = Prepared(compiled.string, order, defaults)
        return prepared

    def run(self, raw: Any, key: str, build: Build, params: Mapping[str, Any]) -> Any:
        sql, order, defaults = self.prepare(key, build)
        if defaults:
            params = {**defaults, **params}
        bind = self._bind
        if order is not None:
            return raw.execute(sql, [bind(params[name]) for name in order])
        return raw.execute(sql, {name: bind(value) for name, value in params.items()})

    def run_many(self, raw: Any, key: str, build: Build, rows: list[Mapping[str, Any]]) -> None:
        sql, order, _defaults = self.prepare(key, build)
        cursor = raw.cursor()
        if order is not None:
            cursor.executemany(sql, [[self._bind(row[name]) for name in order] for row in rows])
        else:
            cursor.executemany(
                sql, [{name: self._bind(value) for name, value in row.items()} for row in rows]
            )

    def _bind(self, value: Any) -> Any:
        if self._sqlite and isinstance(value, datetime):
            # The text form SQLAlchemy's SQLite DateTime uses: naive UTC, sortable.
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return value

    def add_or_increase(self, table: Table, keys: tuple[str, ...], amount: str) -> Build:
        """INSERT a row, or, when one with the same ``keys`` is there, add the new row's
        ``amount`` column to its own (SQLite and PostgreSQL spell this alike, through their
        own SQLAlchemy dialects)."""
        dialect = sqlite_dialect if self._sqlite else postgresql

        def build() -> ClauseElement:
            statement = dialect.insert(table)
            upsert: ClauseElement = statement.on_conflict_do_update(
                index_elements=[table.c[key] for key in keys],
                set_={amount: table.c[amount] + statement.excluded[amount]},
            )
            return upsert

        return build

    # -- transactions --------------------------------------------------------------------
    def begin(self, raw: Any, *, write: bool) -> None:
        if self._sqlite:
            raw.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        # psycopg opens a transaction implicitly with the first statement.

    def commit(self, raw: Any) -> None:
        if self._sqlite:
            raw.execute("COMMIT")
        else:
            raw.commit()

    def rollback(self, raw: Any) -> None:
        if self._sqlite:
            if raw.in_transaction:
                raw.execute("ROLLBACK")
        else:
            raw.rollback()
