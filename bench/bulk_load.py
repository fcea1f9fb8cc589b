"""Bench only: load users and customer managed policies straight into an iamd database.

The API scale test (``bench/api.py``) needs 100,000 users and 20,000 policies; creating them
through the API takes over an hour. This script writes the same rows iamd writes (its own
schema tables, rows made by ``rows.to_row`` from the real entity dataclasses) with
executemany in batches in four transactions, and bumps the account's version once, in the
last, so that running servers drop their caches::

    .venv/bin/python bench/bulk_load.py DATABASE_URL ACCOUNT_ID USERS POLICIES

What it writes, all under path ``/scale/`` (names are those ``bench/api.py`` calls):

* USERS users ``bench-sNNNNNN``;
* POLICIES customer managed policies ``bench-pNNNNNN``, each with its default version v1
  (a one-statement document allowing s3:GetObject on its own bucket);
* 50 groups ``bench-gNN``; every third user is a member of one;
* every tenth user has 2 of the policies attached.

The database must already hold iamd's schema and the account (``iamd account create``); the
names must be free (a clash rolls back that transaction and stops the load; the earlier
transactions stay). Not part of the package.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from iamd.domain.entities import Group, ManagedPolicy, PolicyVersion, PrincipalKind, User
from iamd.domain.identifiers import IdPrefix, unique_id
from iamd.policy import PolicyKind, parse_policy
from iamd.service.iam.groups import MEMBER
from iamd.storage.sql import schema
from iamd.storage.sql.dialects import is_sqlite, make_engine
from iamd.storage.sql.rows import to_row

PATH = "/scale/"
USER_NAME = "bench-s{:06d}"
POLICY_NAME = "bench-p{:06d}"
GROUP_NAME = "bench-g{:02d}"
DOCUMENT = (
    '{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject",'
    '"Resource":"arn:aws:s3:::bench-{index}/*"}}]}}'
)
MEMBER_EVERY = 3  # every third user is in a group
ATTACH_EVERY = 10  # every tenth user has policies attached
ATTACHED_PER_USER = 2
LOADED_TABLES = (schema.users, schema.groups, schema.relations, schema.policies,
                 schema.policy_versions, schema.attachments)


class BufferedRandom:
    """A `RandomSource` drawing `secrets` bytes a block at a time.

    ``iamd.service.ports.SystemRandom`` asks the OS once per character (about 80 us an id
    here), which alone would take longer than the whole load of 140,000 ids.
    """

    def __init__(self, block: int = 1 << 16) -> None:
        self._block = block
        self._buffer = b""
        self._at = 0

    def _byte(self) -> int:
        if self._at == len(self._buffer):
            self._buffer, self._at = secrets.token_bytes(self._block), 0
        self._at += 1
        return self._buffer[self._at - 1]

    def text(self, alphabet: str, length: int) -> str:
        size = len(alphabet)
        limit = 256 - 256 % size  # bytes at or above it would bias the first letters
        chars: list[str] = []
        while len(chars) < length:
            byte = self._byte()
            if byte < limit:
                chars.append(alphabet[byte % size])
        return "".join(chars)


class Loader:
    """Writes one account's scale data in batches and counts the rows and the time."""

    def __init__(self, engine: Engine, url: str, account_id: str, batch: int) -> None:
        self._engine = engine
        self._sqlite = is_sqlite(url)
        self._account = account_id
        self._batch = batch
        self._random = BufferedRandom()
        self._now = datetime.now(UTC)
        self.rows = 0

    def new_id(self, prefix: str) -> str:
        return unique_id(prefix, self._random)

    def users(self, count: int) -> list[User]:
        return [User(self._account, self.new_id(IdPrefix.USER), USER_NAME.format(i), PATH,
                     self._now) for i in range(count)]

    def groups(self, count: int) -> list[Group]:
        return [Group(self._account, self.new_id(IdPrefix.GROUP), GROUP_NAME.format(i), PATH,
                      self._now) for i in range(count)]

    def policies(self, count: int) -> list[ManagedPolicy]:
        return [ManagedPolicy(self._account, self.new_id(IdPrefix.POLICY), POLICY_NAME.format(i),
                              PATH, self._now, self._now) for i in range(count)]

    def versions(self, policies: Sequence[ManagedPolicy]) -> Iterator[PolicyVersion]:
        for index, policy in enumerate(policies):
            yield PolicyVersion(self._account, policy.id, "v1", DOCUMENT.format(index=index),
                                self._now)

    def memberships(self, users: Sequence[User], groups: Sequence[Group],
                    ) -> Iterator[dict[str, str]]:
        """Every MEMBER_EVERY-th user in one group, the groups taken in turn."""
        if not groups:
            return
        for turn, user in enumerate(users[::MEMBER_EVERY]):
            yield {"relation": MEMBER, "account_id": self._account,
                   "left_id": groups[turn % len(groups)].id, "right_id": user.id}

    def attachments(self, users: Sequence[User], policies: Sequence[ManagedPolicy],
                    ) -> Iterator[dict[str, str]]:
        """Every ATTACH_EVERY-th user gets ATTACHED_PER_USER distinct policies, spread out."""
        per_user = min(ATTACHED_PER_USER, len(policies))
        stride = max(1, len(policies) // max(1, per_user))
        for turn, user in enumerate(users[::ATTACH_EVERY]):
            for k in range(per_user):
                policy = policies[(turn + k * stride) % len(policies)]
                yield {"account_id": self._account, "policy_arn": policy.arn,
                       "principal_kind": PrincipalKind.USER.value, "principal_id": user.id}

    def write(self, label: str, batches: Iterable[tuple[Table, Iterable[dict[str, Any]]]],
              *, bump: bool = False) -> None:
        """One transaction: every (table, rows) in batches of ``batch`` rows, then commit."""
        started = time.perf_counter()
        written = 0
        with self._engine.connect() as connection, transaction(connection, self._sqlite):
            for table, rows in batches:
                written += self._insert(connection, table, rows)
            if bump:
                recount(connection, self._account)
                bump_version(connection, self._account)
        self.rows += written
        elapsed = time.perf_counter() - started
        print(f"  {label}: {written:,} rows in {elapsed:.1f} s "
              f"({written / max(elapsed, 1e-9):,.0f} rows/s)", flush=True)

    def _insert(self, connection: Connection, table: Table,
                rows: Iterable[dict[str, Any]]) -> int:
        statement = insert(table)
        written = 0
        chunk: list[dict[str, Any]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == self._batch:
                connection.execute(statement, chunk)
                written, chunk = written + len(chunk), []
        if chunk:
            connection.execute(statement, chunk)
            written += len(chunk)
        return written


@contextmanager
def transaction(connection: Connection, sqlite: bool) -> Iterator[None]:
    """A write transaction, as iamd opens one (its SQLite engine is in autocommit mode and
    takes the write lock with BEGIN IMMEDIATE)."""
    if not sqlite:
        with connection.begin():
            yield
        return
    connection.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.exec_driver_sql("ROLLBACK")
        raise
    connection.exec_driver_sql("COMMIT")


def recount(connection: Connection, account_id: str) -> None:
    """The account's entity counts (what quota checks read), from its rows as loaded."""
    counts = schema.entity_counts
    connection.execute(delete(counts).where(counts.c.account_id == account_id))
    for table in schema.COUNTED_TABLES:
        connection.execute(insert(counts).from_select(
            ["account_id", "kind", "count"],
            select(table.c.account_id, literal(table.name), func.count())
            .where(table.c.account_id == account_id).group_by(table.c.account_id),
        ))


def bump_version(connection: Connection, account_id: str) -> None:
    """Move the account's version on, as every iamd write does, so that caches drop."""
    accounts = schema.accounts
    connection.execute(update(accounts).where(accounts.c.id == account_id).values(
        version=accounts.c.version + 1))


def account_exists(engine: Engine, account_id: str) -> bool:
    with engine.connect() as connection:
        query = select(schema.accounts.c.id).where(schema.accounts.c.id == account_id)
        return connection.execute(query).first() is not None


def analyze(engine: Engine, url: str) -> None:
    """Vacuum and refresh the planner's statistics, as after any bulk load (PostgreSQL only):
    otherwise autovacuum wakes up for the new rows in the middle of the measurement."""
    if is_sqlite(url):
        return
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in LOADED_TABLES:
            connection.execute(text(f'VACUUM (ANALYZE) "{table.name}"'))
    print(f"  vacuum analyze: {time.perf_counter() - started:.1f} s", flush=True)


def load(url: str, account_id: str, users: int, policies: int, groups: int, batch: int) -> int:
    """Load everything; the number of rows written."""
    parse_policy(DOCUMENT.format(index=0), PolicyKind.IDENTITY)  # raises if iamd would refuse it
    engine = make_engine(url)
    try:
        if not account_exists(engine, account_id):
            raise SystemExit(f"no account {account_id} in this database (iamd account create)")
        loader = Loader(engine, url, account_id, batch)
        made_users = loader.users(users)
        made_groups = loader.groups(groups if users else 0)
        made_policies = loader.policies(policies)
        loader.write("users", [(schema.users, map(to_row, made_users))])
        loader.write("groups and members", [
            (schema.groups, map(to_row, made_groups)),
            (schema.relations, loader.memberships(made_users, made_groups)),
        ])
        loader.write("policies and versions", [
            (schema.policies, map(to_row, made_policies)),
            (schema.policy_versions, map(to_row, loader.versions(made_policies))),
        ])
        loader.write("attachments, entity counts and account version",
                     [(schema.attachments, loader.attachments(made_users, made_policies))],
                     bump=True)
        analyze(engine, url)
        return loader.rows
    finally:
        engine.dispose()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("database_url", help="any database URL iamd accepts")
    parser.add_argument("account_id", help="an existing account")
    parser.add_argument("users", type=int, help=f"users to create ({USER_NAME.format(0)}, ...)")
    parser.add_argument("policies", type=int,
                        help=f"customer managed policies to create ({POLICY_NAME.format(0)}, ...)")
    parser.add_argument("--groups", type=int, default=50,
                        help="groups that every third user is spread over (default 50)")
    parser.add_argument("--batch", type=int, default=5000, help="rows per executemany")
    args = parser.parse_args(argv)
    if min(args.users, args.policies, args.groups) < 0 or args.batch < 1:
        parser.error("counts must not be negative and --batch must be positive")
    if args.groups > 100:
        parser.error("--groups: at most 100 (names bench-g00 to bench-g99)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    print(f"bulk load: {args.users:,} users, {args.policies:,} policies into account "
          f"{args.account_id}", flush=True)
    try:
        rows = load(args.database_url, args.account_id, args.users, args.policies, args.groups,
                    args.batch)
    except IntegrityError as error:  # a name already taken: its transaction rolled back
        detail = str(error.orig).splitlines()
        raise SystemExit(f"bulk load stopped: {' '.join(detail[:2])}") from None
    elapsed = time.perf_counter() - started
    print(f"bulk load: {rows:,} rows in {elapsed:.1f} s ({rows / max(elapsed, 1e-9):,.0f} rows/s)",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
