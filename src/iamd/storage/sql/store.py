"""`SqlStore`: the storage contract on SQLAlchemy Core, for SQLite and PostgreSQL.

Every statement is built once (a function of its table and shape), compiled once per dialect
by `Driver` and run with bound parameters: SQL only ever sees values as parameters.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, delete, exists, func, insert, or_, select, update
from sqlalchemy.sql.elements import BindParameter, ClauseElement

from iamd.domain.entities import (
    AccessKey,
    Account,
    InlinePolicy,
    PolicyVersion,
    PrincipalKind,
    Relation,
    Tag,
    User,
)
from iamd.storage.api import AccountGone, DuplicateEntity, UserHoldings

from . import schema as s
from .dialects import DISCONNECT_ERRORS, INTEGRITY_ERRORS, Build, Driver, make_engine
from .rows import from_row, from_rows, table_of, to_row

_ACCOUNT_TABLES = [table for table in s.metadata.sorted_tables if table is not s.accounts]
_COUNTED = frozenset(s.COUNTED_TABLES)
_LIKE_ESCAPE = "!"


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return escaped + "%"


def _where(table: Table, names: Sequence[str]) -> list[Any]:
    return [table.c[name] == bindparam(f"w_{name}") for name in names]


def _order_of(table: Table) -> list[Any]:
    return [table.c[name] for name in ("created", "uploaded") if name in table.c] + list(
        table.primary_key.columns
    )


class SqlTransaction:
    """One open transaction; see `iamd.storage.api.Transaction` for the contract."""

    def __init__(self, driver: Driver, raw: Any) -> None:
        self._driver = driver
        self._raw = raw

    def _run(self, key: str, build: Build, **params: Any) -> Any:
        return self._driver.run(self._raw, key, build, params)

    def _rows(self, key: str, build: Build, **params: Any) -> list[dict[str, Any]]:
        cursor = self._run(key, build, **params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _entities(self, kind: type[Any], key: str, build: Build, **params: Any) -> list[Any]:
        cursor = self._run(key, build, **params)
        names = [column[0] for column in cursor.description]
        return from_rows(kind, names, cursor.fetchall())

    def _entity(self, kind: type[Any], key: str, build: Build, **params: Any) -> Any:
        """The entity of the first row, or None."""
        found = self._entities(kind, key, build, **params)
        return found[0] if found else None

    def _scalars(self, key: str, build: Build, **params: Any) -> list[Any]:
        return [row[0] for row in self._run(key, build, **params).fetchall()]

    def _insert(self, table: Table, row: Mapping[str, Any]) -> None:
        """Insert one row; DuplicateEntity when a unique constraint refuses it (the
        transaction stays usable: a savepoint where a failed statement would abort it)."""
        if self._driver.failed_statement_keeps_transaction:
            try:
                self._run(f"insert:{table.name}", lambda: insert(table), **row)
            except INTEGRITY_ERRORS as error:
                raise DuplicateEntity(str(error)) from None
            return
        self._raw.cursor().execute("SAVEPOINT iamd_insert")
        try:
            self._run(f"insert:{table.name}", lambda: insert(table), **row)
        except INTEGRITY_ERRORS as error:
            self._raw.cursor().execute("ROLLBACK TO SAVEPOINT iamd_insert")
            raise DuplicateEntity(str(error)) from None
        self._raw.cursor().execute("RELEASE SAVEPOINT iamd_insert")

    # -- generic entity tables -------------------------------------------------------------
    def add(self, entity: object) -> None:
        table = table_of(type(entity))
        row = to_row(entity)
        self._insert(table, row)
        if table in _COUNTED:
            self._run("count_one_more", self._driver.add_or_increase(
                s.entity_counts, ("account_id", "kind"), "count"),
                account_id=row["account_id"], kind=table.name, count=1)

    def replace(self, entity: object) -> None:
        table = table_of(type(entity))
        row = to_row(entity)
        keys = [column.name for column in table.primary_key.columns]

        def build() -> ClauseElement:
            values: dict[str, Any] = {name: bindparam(name) for name in row}
            return update(table).where(*_where(table, keys)).values(values)

        self._run(f"replace:{table.name}", build, **row, **{f"w_{k}": row[k] for k in keys})

    def remove(self, kind: type, entity_id: str) -> None:
        table = table_of(kind)
        if table in _COUNTED:  # before the row goes: its account is read from it
            c = s.entity_counts
            self._run(
                f"count_one_less:{table.name}",
                lambda: update(c).where(
                    c.c.kind == table.name,
                    c.c.account_id == select(table.c.account_id).where(
                        table.c.id == bindparam("w_id")).scalar_subquery(),
                ).values(count=c.c.count - 1),
                w_id=entity_id,
            )
        self._run(f"remove:{table.name}", lambda: delete(table).where(*_where(table, ["id"])),
                  w_id=entity_id)

    def get(self, kind: type[Any], account_id: str, name: str) -> Any:
        table = table_of(kind)
        return self._entity(
            kind, f"get:{table.name}",
            lambda: select(table).where(*_where(table, ["account_id", "name_key"])),
            w_account_id=account_id, w_name_key=name.lower(),
        )

    def get_by_id(self, kind: type[Any], entity_id: str) -> Any:
        table = table_of(kind)
        return self._entity(kind, f"get_by_id:{table.name}",
                            lambda: select(table).where(*_where(table, ["id"])), w_id=entity_id)

    def find(self, kind: type[Any], account_id: str, **equal: Any) -> list[Any]:
        table = table_of(kind)
        names = ["account_id", *sorted(equal)]
        nulls = [name for name in names if equal.get(name, "") is None]
        values = [name for name in names if name not in nulls]

        def build() -> ClauseElement:
            return select(table).where(
                *_where(table, values), *(table.c[name].is_(None) for name in nulls)
            ).order_by(*_order_of(table))

        params = {f"w_{name}": _value(equal.get(name, account_id)) for name in values}
        return self._entities(kind, f"find:{table.name}:{values}:{nulls}", build, **params)

    def count(self, kind: type, account_id: str, **equal: Any) -> int:
        table = table_of(kind)
        if not equal and table in _COUNTED:
            c = s.entity_counts
            kept = self._scalars(
                f"counted:{table.name}",
                lambda: select(c.c.count).where(c.c.kind == table.name,
                                                *_where(c, ["account_id"])),
                w_account_id=account_id,
            )
            return int(kept[0]) if kept else 0
        names = ["account_id", *sorted(equal)]
        nulls = [name for name in names if equal.get(name, "") is None]
        values = [name for name in names if name not in nulls]

        def build() -> ClauseElement:
            return select(func.count()).select_from(table).where(
                *_where(table, values), *(table.c[name].is_(None) for name in nulls)
            )

        params = {f"w_{name}": _value(equal.get(name, account_id)) for name in values}
        return int(self._scalars(f"count:{table.name}:{values}:{nulls}", build, **params)[0])

    def page(
        self, kind: type[Any], account_id: str, *, path_prefix: str = "/",
        after: str | None = None, limit: int = 100, ids: Sequence[str] | None = None,
    ) -> list[Any]:
        table = table_of(kind)
        by_path, by_after = path_prefix != "/", after is not None
        params: dict[str, Any] = {"w_account_id": account_id, "limit": limit}
        if by_path:
            params["prefix"] = _like_prefix(path_prefix)
        if by_after:
            params["after"] = after
        id_names = [f"id_{index}" for index in range(len(ids))] if ids is not None else None
        for name, value in zip(id_names or [], ids or [], strict=True):
            params[name] = value

        def build() -> ClauseElement:
            query = select(table).where(*_where(table, ["account_id"]))
            if by_path:
                query = query.where(table.c.path.like(bindparam("prefix"), escape=_LIKE_ESCAPE))
            if by_after:
                query = query.where(table.c.name_key > bindparam("after"))
            if id_names is not None:
                query = query.where(table.c.id.in_([bindparam(name) for name in id_names]))
            return query.order_by(table.c.name_key).limit(bindparam("limit"))

        key = f"page:{table.name}:{by_path}:{by_after}:{len(id_names) if id_names else None}"
        return self._entities(kind, key, build, **params)

    def user_holdings(self, account_id: str, user_id: str) -> UserHoldings:
        def build() -> ClauseElement:
            user: BindParameter[str] = bindparam("user_id")
            r, a, i = s.relations, s.attachments, s.inline_policies
            return select(
                exists().where(s.access_keys.c.user_id == user),
                exists().where(r.c.relation == bindparam("member"), r.c.right_id == user),
                exists().where(a.c.principal_kind == bindparam("kind"), a.c.principal_id == user),
                exists().where(i.c.owner_kind == bindparam("kind"), i.c.owner_id == user),
                exists().where(s.signing_certificates.c.user_id == user),
                exists().where(s.ssh_public_keys.c.user_id == user),
                # A user's profile has the user's id for its own: found by primary key.
                exists().where(s.login_profiles.c.id == user, s.login_profiles.c.user_id == user),
                exists().where(s.mfa_devices.c.user_id == user),
                exists().where(s.used_passwords.c.account_id == bindparam("account_id"),
                               s.used_passwords.c.user_id == user),
                exists().where(s.console_sessions.c.user_id == user),
            )

        row = self._run("user_holdings", build, account_id=account_id, user_id=user_id,
                        member=Relation.GROUP_MEMBER,
                        kind=PrincipalKind.USER.value).fetchone()
        return UserHoldings(*map(bool, row))

    # -- relations ---------------------------------------------------------------------------
    def link(self, relation: str, account_id: str, left: str, right: str) -> bool:
        if right in self.rights(relation, left):
            return False
        self._run("link", lambda: insert(s.relations), relation=relation,
                  account_id=account_id, left_id=left, right_id=right)
        return True

    def unlink(self, relation: str, left: str, right: str) -> bool:
        r = s.relations
        cursor = self._run(
            "unlink", lambda: delete(r).where(*_where(r, ["relation", "left_id", "right_id"])),
            w_relation=relation, w_left_id=left, w_right_id=right,
        )
        return bool(cursor.rowcount)

    def rights(self, relation: str, left: str) -> list[str]:
        r = s.relations
        return self._scalars(
            "rights", lambda: select(r.c.right_id).where(*_where(r, ["relation", "left_id"])),
            w_relation=relation, w_left_id=left,
        )

    def lefts(self, relation: str, right: str) -> list[str]:
        r = s.relations
        return self._scalars(
            "lefts", lambda: select(r.c.left_id).where(*_where(r, ["relation", "right_id"])),
            w_relation=relation, w_right_id=right,
        )

    # -- attachments -------------------------------------------------------------------------
    def attach(
        self, account_id: str, policy_arn: str, kind: PrincipalKind, principal_id: str
    ) -> bool:
        if policy_arn in self.attached(kind, principal_id):
            return False
        self._run("attach", lambda: insert(s.attachments), account_id=account_id,
                  policy_arn=policy_arn, principal_kind=kind.value, principal_id=principal_id)
        return True

    def detach(self, policy_arn: str, kind: PrincipalKind, principal_id: str) -> bool:
        a = s.attachments
        cursor = self._run(
            "detach",
            lambda: delete(a).where(*_where(a, ["principal_kind", "principal_id", "policy_arn"])),
            w_principal_kind=kind.value, w_principal_id=principal_id, w_policy_arn=policy_arn,
        )
        return bool(cursor.rowcount)

    def attached(self, kind: PrincipalKind, principal_id: str) -> list[str]:
        a = s.attachments
        return self._scalars(
            "attached",
            lambda: select(a.c.policy_arn).where(
                *_where(a, ["principal_kind", "principal_id"])
            ).order_by(a.c.policy_arn),
            w_principal_kind=kind.value, w_principal_id=principal_id,
        )

    def attachments(self, account_id: str, policy_arn: str) -> list[tuple[PrincipalKind, str]]:
        a = s.attachments
        rows = self._run(
            "attachments",
            lambda: select(a.c.principal_kind, a.c.principal_id).where(
                *_where(a, ["account_id", "policy_arn"])
            ),
            w_account_id=account_id, w_policy_arn=policy_arn,
        ).fetchall()
        return [(PrincipalKind(kind), principal_id) for kind, principal_id in rows]

    def attachment_counts(self, account_id: str) -> dict[str, int]:
        a = s.attachments
        rows = self._run(
            "attachment_counts",
            lambda: select(a.c.policy_arn, func.count()).where(
                *_where(a, ["account_id"])
            ).group_by(a.c.policy_arn),
            w_account_id=account_id,
        ).fetchall()
        return {arn: int(count) for arn, count in rows}

    # -- inline policies ----------------------------------------------------------------------
    def inline_policies(self, kind: PrincipalKind, owner_id: str) -> list[InlinePolicy]:
        i = s.inline_policies
        rows = self._rows(
            "inline",
            lambda: select(i).where(*_where(i, ["owner_kind", "owner_id"])).order_by(
                i.c.name_key
            ),
            w_owner_kind=kind.value, w_owner_id=owner_id,
        )
        return [
            InlinePolicy(row["account_id"], PrincipalKind(row["owner_kind"]), row["owner_id"],
                         row["name"], row["document"])
            for row in rows
        ]

    def put_inline(self, policy: InlinePolicy) -> None:
        self.delete_inline(policy.owner_kind, policy.owner_id, policy.name)
        self._run("put_inline", lambda: insert(s.inline_policies),
                  account_id=policy.account_id, owner_kind=policy.owner_kind.value,
                  owner_id=policy.owner_id, name=policy.name, name_key=policy.name.lower(),
                  document=policy.document)

    def delete_inline(self, kind: PrincipalKind, owner_id: str, name: str) -> bool:
        i = s.inline_policies
        cursor = self._run(
            "delete_inline",
            lambda: delete(i).where(*_where(i, ["owner_kind", "owner_id", "name_key"])),
            w_owner_kind=kind.value, w_owner_id=owner_id, w_name_key=name.lower(),
        )
        return bool(cursor.rowcount)

    # -- managed policy versions ---------------------------------------------------------------
    def versions(self, policy_id: str) -> list[PolicyVersion]:
        v = s.policy_versions
        rows = self._rows(
            "versions",
            lambda: select(v).where(*_where(v, ["policy_id"])).order_by(
                v.c.created, v.c.version_id
            ),
            w_policy_id=policy_id,
        )
        return [from_row(PolicyVersion, row) for row in rows]

    def remove_version(self, policy_id: str, version_id: str) -> bool:
        v = s.policy_versions
        cursor = self._run(
            "remove_version", lambda: delete(v).where(*_where(v, ["policy_id", "version_id"])),
            w_policy_id=policy_id, w_version_id=version_id,
        )
        return bool(cursor.rowcount)

    # -- tags ------------------------------------------------------------------------------
    def tags(self, resource_kind: str, resource_id: str) -> list[Tag]:
        t = s.tags
        rows = self._run(
            "tags",
            lambda: select(t.c.key, t.c.value).where(
                *_where(t, ["resource_kind", "resource_id"])
            ).order_by(t.c.position),
            w_resource_kind=resource_kind, w_resource_id=resource_id,
        ).fetchall()
        return [Tag(key, value) for key, value in rows]

    def user_with_tags(
        self, account_id: str, name: str, tag_kind: str
    ) -> tuple[User, list[Tag]] | None:
        u, t = s.users, s.tags

        def build() -> ClauseElement:
            tagged = u.outerjoin(t, (t.c.resource_kind == bindparam("tag_kind"))
                                 & (t.c.resource_id == u.c.id))
            return select(u, t.c.key.label("tag_key"), t.c.value.label("tag_value")).select_from(
                tagged
            ).where(*_where(u, ["account_id", "name_key"])).order_by(t.c.position)

        cursor = self._run("user_with_tags", build, w_account_id=account_id,
                           w_name_key=name.lower(), tag_kind=tag_kind)
        names = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
        if not rows:
            return None
        key_at, value_at = names.index("tag_key"), names.index("tag_value")
        tags = [Tag(row[key_at], row[value_at]) for row in rows if row[key_at] is not None]
        return from_rows(User, names, rows[:1])[0], tags

    def put_tags(
        self, account_id: str, resource_kind: str, resource_id: str, tags: Sequence[Tag]
    ) -> None:
        """Add or overwrite (a key is matched case-insensitively and keeps its first spelling's
        position, with the new spelling and value, as AWS does)."""
        merged = {tag.key.lower(): tag for tag in self.tags(resource_kind, resource_id)}
        for tag in tags:
            merged[tag.key.lower()] = tag
        self._delete_tags(resource_kind, resource_id)
        self._driver.run_many(
            self._raw, "insert:tags", lambda: insert(s.tags),
            [
                {"account_id": account_id, "resource_kind": resource_kind,
                 "resource_id": resource_id, "key": tag.key, "key_lower": lower,
                 "value": tag.value, "position": position}
                for position, (lower, tag) in enumerate(merged.items())
            ],
        )

    def remove_tags(self, resource_kind: str, resource_id: str, keys: Sequence[str]) -> None:
        removed = {key.lower() for key in keys}
        current = self.tags(resource_kind, resource_id)
        kept = [tag for tag in current if tag.key.lower() not in removed]
        if len(kept) == len(current):
            return
        account = self._tag_account(resource_kind, resource_id)
        self._delete_tags(resource_kind, resource_id)
        if kept and account is not None:
            self.put_tags(account, resource_kind, resource_id, kept)

    def _tag_account(self, resource_kind: str, resource_id: str) -> str | None:
        t = s.tags
        found = self._scalars(
            "tag_account",
            lambda: select(t.c.account_id).where(
                *_where(t, ["resource_kind", "resource_id"])
            ).limit(1),
            w_resource_kind=resource_kind, w_resource_id=resource_id,
        )
        return found[0] if found else None

    def clear_tags(self, resource_kind: str, resource_id: str) -> None:
        self._delete_tags(resource_kind, resource_id)

    def _delete_tags(self, resource_kind: str, resource_id: str) -> None:
        t = s.tags
        self._run("delete_tags",
                  lambda: delete(t).where(*_where(t, ["resource_kind", "resource_id"])),
                  w_resource_kind=resource_kind, w_resource_id=resource_id)

    # -- access keys (the request path) --------------------------------------------------------
    def access_key(self, key_id: str) -> tuple[AccessKey, int] | None:
        k, a = s.access_keys, s.accounts
        cursor = self._run(
            "access_key",
            lambda: select(k, a.c.version).join(a, a.c.id == k.c.account_id).where(
                *_where(k, ["id"])
            ),
            w_id=key_id,
        )
        names = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
        if not rows:
            return None
        # The key's columns, then the account's version.
        return from_rows(AccessKey, names, rows)[0], int(rows[0][-1])

    # -- accounts ---------------------------------------------------------------------------
    def account_version(self, account_id: str) -> int | None:
        a = s.accounts
        found = self._scalars("account_version",
                              lambda: select(a.c.version).where(*_where(a, ["id"])),
                              w_id=account_id)
        return int(found[0]) if found else None

    def account(self, account_id: str) -> Account | None:
        a = s.accounts
        rows = self._rows("account", lambda: select(a).where(*_where(a, ["id"])),
                          w_id=account_id)
        return _account(rows[0]) if rows else None

    def accounts(self) -> list[Account]:
        a = s.accounts
        rows = self._rows("accounts", lambda: select(a).order_by(a.c.created, a.c.id))
        return [_account(row) for row in rows]

    def add_account(self, account: Account) -> None:
        self._insert(s.accounts, {"id": account.id, "email": account.email,
                                  "created": account.created, "version": 0,
                                  "password_last_used": account.password_last_used})

    def aliases(self, account_id: str) -> list[str]:
        a = s.account_aliases
        return self._scalars(
            "aliases",
            lambda: select(a.c.alias).where(*_where(a, ["account_id"])).order_by(a.c.alias),
            w_account_id=account_id,
        )

    def account_of_alias(self, alias: str) -> str | None:
        a = s.account_aliases
        found = self._scalars(
            "account_of_alias", lambda: select(a.c.account_id).where(*_where(a, ["alias"])),
            w_alias=alias,
        )
        return found[0] if found else None

    def account_of_email(self, email: str) -> Account | None:
        a = s.accounts
        rows = self._rows("account_of_email", lambda: select(a).where(*_where(a, ["email"])),
                          w_email=email)
        return _account(rows[0]) if rows else None

    def forget_signin_failures(self, now: datetime, window: timedelta) -> None:
        f = s.signin_failures
        self._run(
            "forget_signin_failures",
            lambda: delete(f).where(
                f.c.first_failure < bindparam("before"),
                or_(f.c.locked_until.is_(None), f.c.locked_until < bindparam("now")),
            ),
            before=now - window, now=now,
        )

    def add_alias(self, account_id: str, alias: str) -> None:
        self._insert(s.account_aliases, {"alias": alias, "account_id": account_id})

    def remove_alias(self, account_id: str, alias: str) -> bool:
        a = s.account_aliases
        cursor = self._run(
            "remove_alias", lambda: delete(a).where(*_where(a, ["account_id", "alias"])),
            w_account_id=account_id, w_alias=alias,
        )
        return bool(cursor.rowcount)

    def remove_account(self, account_id: str) -> None:
        for table in [*_ACCOUNT_TABLES, s.accounts]:
            column = "id" if table is s.accounts else "account_id"
            self._run(f"remove_account:{table.name}", _deleter(table, column),
                      **{f"w_{column}": account_id})

    def bump(self, account_id: str, *, by: int = 1) -> bool:
        """Lock the account's row for this transaction and move its version on by ``by``
        (0: only lock it). False when the account does not exist."""
        a = s.accounts
        if by == 0 and self._driver.write_locks_database:
            # Already locked with the whole database: only check that the account exists,
            # without writing its row again (one page less to log and checkpoint).
            return bool(self._scalars(
                "account_exists", lambda: select(a.c.id).where(*_where(a, ["id"])),
                w_id=account_id,
            ))
        cursor = self._run(
            "bump",
            lambda: update(a).where(*_where(a, ["id"])).values(
                version=a.c.version + bindparam("by")
            ),
            w_id=account_id, by=by,
        )
        return bool(cursor.rowcount)

    def stamp_key_use(self, key_id: str, when: datetime, service: str, region: str) -> None:
        k = s.access_keys
        self._run(
            "stamp_key_use",
            lambda: update(k).where(*_where(k, ["id"])).values(
                last_used_date=bindparam("when"), last_used_service=bindparam("service"),
                last_used_region=bindparam("region"),
            ),
            w_id=key_id, when=when, service=service, region=region,
        )


def _value(value: Any) -> Any:
    return getattr(value, "value", value)


def _account(row: Mapping[str, Any]) -> Account:
    account: Account = from_row(Account, row)
    return account


def _deleter(table: Table, column: str) -> Build:
    return lambda: delete(table).where(*_where(table, [column]))


class SqlStore:
    """Opens transactions on one database (SQLite file or PostgreSQL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine = make_engine(url)
        self._driver = Driver(self._engine)
        # Each thread keeps one connection from the pool between transactions: checking one
        # out and back in for every transaction costs more than the request's queries.
        self._local = threading.local()
        self._held: list[Any] = []
        self._held_lock = threading.Lock()

    def _connection(self) -> Any:
        pooled = getattr(self._local, "pooled", None)
        if pooled is None:
            pooled = self._local.pooled = self._engine.raw_connection()
            with self._held_lock:
                self._held.append(pooled)
        return pooled

    def _discard(self, pooled: Any) -> None:
        """Give up a connection that failed (the next transaction opens a new one)."""
        self._local.pooled = None
        with self._held_lock:
            if pooled in self._held:
                self._held.remove(pooled)
        pooled.invalidate()

    @contextmanager
    def _transaction(
        self, *, write: bool, account_id: str | None = None, bump_by: int = 1
    ) -> Iterator[SqlTransaction]:
        pooled = self._connection()
        raw = pooled.driver_connection
        try:
            self._driver.begin(raw, write=write)
        except DISCONNECT_ERRORS:
            self._discard(pooled)
            raise
        try:
            tx = SqlTransaction(self._driver, raw)
            if account_id is not None and not tx.bump(account_id, by=bump_by):
                raise AccountGone(account_id)
            yield tx
        except BaseException as error:
            if isinstance(error, DISCONNECT_ERRORS):
                self._discard(pooled)
            else:
                self._driver.rollback(raw)
            raise
        self._driver.commit(raw)

    def read(self) -> Any:
        return self._transaction(write=False)

    def write(
        self, account_id: str | None = None, *, authorization_unchanged: bool = False
    ) -> Any:
        return self._transaction(
            write=True, account_id=account_id, bump_by=0 if authorization_unchanged else 1
        )

    def access_key(self, key_id: str) -> tuple[AccessKey, int] | None:
        """The key and its account's version, read together (see Transaction.access_key).

        Where one statement reads a consistent snapshot by itself (SQLite), it runs outside
        a transaction: every request does this, and BEGIN and COMMIT would double its cost.
        """
        if not self._driver.statement_is_snapshot:
            with self.read() as tx:
                return tx.access_key(key_id)  # type: ignore[no-any-return]
        return SqlTransaction(self._driver, self._connection().driver_connection).access_key(
            key_id
        )

    def user_with_tags(
        self, account_id: str, name: str, tag_kind: str
    ) -> tuple[User, list[Tag]] | None:
        """`Transaction.user_with_tags` as one read of its own (outside a transaction where
        one statement reads a consistent snapshot, as for `access_key`)."""
        if not self._driver.statement_is_snapshot:
            with self.read() as tx:
                return tx.user_with_tags(account_id, name, tag_kind)  # type: ignore[no-any-return]
        return SqlTransaction(self._driver, self._connection().driver_connection).user_with_tags(
            account_id, name, tag_kind
        )

    def record_key_use(self, key_id: str, when: datetime, service: str, region: str) -> None:
        with self._transaction(write=True) as tx:
            tx.stamp_key_use(key_id, when, service, region)

    def create_schema(self) -> None:
        """Create every table directly (tests); production goes through migrations."""
        s.metadata.create_all(self._engine)

    def close(self) -> None:
        with self._held_lock:
            held, self._held = self._held, []
        for pooled in held:
            pooled.close()
        self._local = threading.local()
        self._engine.dispose()
