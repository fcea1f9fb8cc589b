"""`SqlStore`: the storage contract on SQLAlchemy Core, for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, Table, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from iamd.domain.entities import Account, InlinePolicy, PolicyVersion, PrincipalKind, Tag
from iamd.storage.api import AccountGone, DuplicateEntity

from . import schema as s
from .dialects import Transactions, make_engine
from .rows import from_row, table_of, to_row, utc

_ACCOUNT_TABLES = [
    table for table in s.metadata.sorted_tables if table is not s.accounts
]


@cache
def _by_name(table: Table) -> Select[Any]:
    """Prebuilt statements for the hot paths: built once, bound per call."""
    return select(table).where(
        table.c.account_id == bindparam("account_id"), table.c.name_key == bindparam("name_key")
    )


@cache
def _by_id(table: Table) -> Select[Any]:
    return select(table).where(table.c.id == bindparam("id"))


_TAGS = select(s.tags.c.key, s.tags.c.value).where(
    s.tags.c.resource_kind == bindparam("kind"), s.tags.c.resource_id == bindparam("id")
).order_by(s.tags.c.position)
_VERSION = select(s.accounts.c.version).where(s.accounts.c.id == bindparam("id"))
_ATTACHED = select(s.attachments.c.policy_arn).where(
    s.attachments.c.principal_kind == bindparam("kind"),
    s.attachments.c.principal_id == bindparam("id"),
).order_by(s.attachments.c.policy_arn)
_INLINE = select(s.inline_policies).where(
    s.inline_policies.c.owner_kind == bindparam("kind"),
    s.inline_policies.c.owner_id == bindparam("id"),
).order_by(s.inline_policies.c.name_key)
_RIGHTS = select(s.relations.c.right_id).where(
    s.relations.c.relation == bindparam("relation"), s.relations.c.left_id == bindparam("id")
)
_LEFTS = select(s.relations.c.left_id).where(
    s.relations.c.relation == bindparam("relation"), s.relations.c.right_id == bindparam("id")
)


class SqlTransaction:
    """One open transaction; see `iamd.storage.api.Transaction` for the contract."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # -- generic entity tables -------------------------------------------------------------
    def add(self, entity: object) -> None:
        table = table_of(type(entity))
        try:
            with self._c.begin_nested():
                self._c.execute(insert(table).values(**to_row(entity)))
        except IntegrityError as error:
            raise DuplicateEntity(str(error.orig)) from None

    def replace(self, entity: object) -> None:
        table = table_of(type(entity))
        row = to_row(entity)
        keys = [column.name for column in table.primary_key.columns]
        where = and_(*(table.c[key] == row[key] for key in keys))
        self._c.execute(update(table).where(where).values(**row))

    def remove(self, kind: type, entity_id: str) -> None:
        table = table_of(kind)
        self._c.execute(delete(table).where(table.c.id == entity_id))

    def get(self, kind: type[Any], account_id: str, name: str) -> Any:
        row = self._c.execute(
            _by_name(table_of(kind)), {"account_id": account_id, "name_key": name.lower()}
        ).mappings().first()
        return None if row is None else from_row(kind, row)

    def get_by_id(self, kind: type[Any], entity_id: str) -> Any:
        row = self._c.execute(_by_id(table_of(kind)), {"id": entity_id}).mappings().first()
        return None if row is None else from_row(kind, row)

    def find(self, kind: type[Any], account_id: str, **equal: Any) -> list[Any]:
        table = table_of(kind)
        query = select(table).where(
            table.c.account_id == account_id,
            *(table.c[name] == _column_value(value) for name, value in equal.items()),
        )
        order = [table.c[name] for name in ("created", "uploaded") if name in table.c]
        query = query.order_by(*order, *table.primary_key.columns)
        return [from_row(kind, row) for row in self._c.execute(query).mappings()]

    def page(
        self, kind: type[Any], account_id: str, *, path_prefix: str = "/",
        after: str | None = None, limit: int = 100, ids: Sequence[str] | None = None,
    ) -> list[Any]:
        table = table_of(kind)
        query = select(table).where(table.c.account_id == account_id)
        if path_prefix != "/":
            query = query.where(table.c.path.startswith(path_prefix, autoescape=True))
        if after is not None:
            query = query.where(table.c.name_key > after)
        if ids is not None:
            query = query.where(table.c.id.in_(list(ids)))
        query = query.order_by(table.c.name_key).limit(limit)
        return [from_row(kind, row) for row in self._c.execute(query).mappings()]

    def count(self, kind: type, account_id: str, **equal: Any) -> int:
        table = table_of(kind)
        query = select(func.count()).select_from(table).where(
            table.c.account_id == account_id,
            *(table.c[name] == _column_value(value) for name, value in equal.items()),
        )
        return int(self._c.execute(query).scalar_one())

    # -- relations ---------------------------------------------------------------------------
    def link(self, relation: str, account_id: str, left: str, right: str) -> bool:
        r = s.relations
        exists = self._c.execute(
            select(r.c.left_id).where(
                r.c.relation == relation, r.c.left_id == left, r.c.right_id == right
            )
        ).first()
        if exists:
            return False
        self._c.execute(
            insert(r).values(relation=relation, account_id=account_id, left_id=left, right_id=right)
        )
        return True

    def unlink(self, relation: str, left: str, right: str) -> bool:
        r = s.relations
        result = self._c.execute(
            delete(r).where(r.c.relation == relation, r.c.left_id == left, r.c.right_id == right)
        )
        return bool(result.rowcount)

    def rights(self, relation: str, left: str) -> list[str]:
        return list(self._c.execute(_RIGHTS, {"relation": relation, "id": left}).scalars())

    def lefts(self, relation: str, right: str) -> list[str]:
        return list(self._c.execute(_LEFTS, {"relation": relation, "id": right}).scalars())

    # -- attachments -------------------------------------------------------------------------
    def attach(
        self, account_id: str, policy_arn: str, kind: PrincipalKind, principal_id: str
    ) -> bool:
        if policy_arn in self.attached(kind, principal_id):
            return False
        self._c.execute(
            insert(s.attachments).values(
                account_id=account_id, policy_arn=policy_arn,
                principal_kind=kind.value, principal_id=principal_id,
            )
        )
        return True

    def detach(self, policy_arn: str, kind: PrincipalKind, principal_id: str) -> bool:
        a = s.attachments
        result = self._c.execute(
            delete(a).where(
                a.c.principal_kind == kind.value, a.c.principal_id == principal_id,
                a.c.policy_arn == policy_arn,
            )
        )
        return bool(result.rowcount)

    def attached(self, kind: PrincipalKind, principal_id: str) -> list[str]:
        return list(self._c.execute(_ATTACHED, {"kind": kind.value, "id": principal_id}).scalars())

    def attachments(self, account_id: str, policy_arn: str) -> list[tuple[PrincipalKind, str]]:
        a = s.attachments
        query = select(a.c.principal_kind, a.c.principal_id).where(
            a.c.account_id == account_id, a.c.policy_arn == policy_arn
        )
        return [(PrincipalKind(kind), pid) for kind, pid in self._c.execute(query)]

    def attachment_counts(self, account_id: str) -> dict[str, int]:
        a = s.attachments
        query = select(a.c.policy_arn, func.count()).where(
            a.c.account_id == account_id
        ).group_by(a.c.policy_arn)
        return {arn: int(count) for arn, count in self._c.execute(query)}

    # -- inline policies ----------------------------------------------------------------------
    def inline_policies(self, kind: PrincipalKind, owner_id: str) -> list[InlinePolicy]:
        rows = self._c.execute(_INLINE, {"kind": kind.value, "id": owner_id})
        return [
            InlinePolicy(row.account_id, PrincipalKind(row.owner_kind), row.owner_id, row.name,
                         row.document)
            for row in rows
        ]

    def put_inline(self, policy: InlinePolicy) -> None:
        self.delete_inline(policy.owner_kind, policy.owner_id, policy.name)
        self._c.execute(
            insert(s.inline_policies).values(
                account_id=policy.account_id, owner_kind=policy.owner_kind.value,
                owner_id=policy.owner_id, name=policy.name, name_key=policy.name.lower(),
                document=policy.document,
            )
        )

    def delete_inline(self, kind: PrincipalKind, owner_id: str, name: str) -> bool:
        i = s.inline_policies
        result = self._c.execute(
            delete(i).where(
                i.c.owner_kind == kind.value, i.c.owner_id == owner_id,
                i.c.name_key == name.lower(),
            )
        )
        return bool(result.rowcount)

    # -- managed policy versions ---------------------------------------------------------------
    def versions(self, policy_id: str) -> list[PolicyVersion]:
        v = s.policy_versions
        query = select(v).where(v.c.policy_id == policy_id).order_by(v.c.created, v.c.version_id)
        return [from_row(PolicyVersion, row) for row in self._c.execute(query).mappings()]

    def remove_version(self, policy_id: str, version_id: str) -> bool:
        v = s.policy_versions
        result = self._c.execute(
            delete(v).where(v.c.policy_id == policy_id, v.c.version_id == version_id)
        )
        return bool(result.rowcount)

    # -- tags ------------------------------------------------------------------------------
    def tags(self, resource_kind: str, resource_id: str) -> list[Tag]:
        rows = self._c.execute(_TAGS, {"kind": resource_kind, "id": resource_id})
        return [Tag(key, value) for key, value in rows]

    def put_tags(
        self, account_id: str, resource_kind: str, resource_id: str, tags: Sequence[Tag]
    ) -> None:
        """Add or overwrite (a key is matched case-insensitively and keeps its first spelling's
        position, with the new spelling and value, as AWS does)."""
        current = {tag.key.lower(): tag for tag in self.tags(resource_kind, resource_id)}
        merged = dict(current)
        for tag in tags:
            merged[tag.key.lower()] = tag
        t = s.tags
        self._c.execute(
            delete(t).where(t.c.resource_kind == resource_kind, t.c.resource_id == resource_id)
        )
        if merged:
            self._c.execute(
                insert(t),
                [
                    {"account_id": account_id, "resource_kind": resource_kind,
                     "resource_id": resource_id, "key": tag.key, "key_lower": lower,
                     "value": tag.value, "position": position}
                    for position, (lower, tag) in enumerate(merged.items())
                ],
            )

    def remove_tags(self, resource_kind: str, resource_id: str, keys: Sequence[str]) -> None:
        t = s.tags
        self._c.execute(
            delete(t).where(
                t.c.resource_kind == resource_kind, t.c.resource_id == resource_id,
                t.c.key_lower.in_([key.lower() for key in keys]),
            )
        )

    # -- accounts ---------------------------------------------------------------------------
    def account(self, account_id: str) -> Account | None:
        row = self._c.execute(
            select(s.accounts).where(s.accounts.c.id == account_id)
        ).first()
        return None if row is None else Account(row.id, row.email, utc(row.created))

    def accounts(self) -> list[Account]:
        rows = self._c.execute(select(s.accounts).order_by(s.accounts.c.created, s.accounts.c.id))
        return [Account(row.id, row.email, utc(row.created)) for row in rows]

    def add_account(self, account: Account) -> None:
        try:
            with self._c.begin_nested():
                self._c.execute(
                    insert(s.accounts).values(
                        id=account.id, email=account.email, created=account.created, version=0
                    )
                )
        except IntegrityError as error:
            raise DuplicateEntity(str(error.orig)) from None

    def account_version(self, account_id: str) -> int | None:
        value = self._c.execute(_VERSION, {"id": account_id}).scalar_one_or_none()
        return None if value is None else int(value)

    def aliases(self, account_id: str) -> list[str]:
        a = s.account_aliases
        query = select(a.c.alias).where(a.c.account_id == account_id).order_by(a.c.alias)
        return list(self._c.execute(query).scalars())

    def account_of_alias(self, alias: str) -> str | None:
        a = s.account_aliases
        query = select(a.c.account_id).where(a.c.alias == alias)
        return self._c.execute(query).scalar_one_or_none()

    def add_alias(self, account_id: str, alias: str) -> None:
        try:
            with self._c.begin_nested():
                self._c.execute(
                    insert(s.account_aliases).values(alias=alias, account_id=account_id)
                )
        except IntegrityError as error:
            raise DuplicateEntity(str(error.orig)) from None

    def remove_alias(self, account_id: str, alias: str) -> bool:
        a = s.account_aliases
        result = self._c.execute(
            delete(a).where(a.c.account_id == account_id, a.c.alias == alias)
        )
        return bool(result.rowcount)

    def remove_account(self, account_id: str) -> None:
        for table in _ACCOUNT_TABLES:
            self._c.execute(delete(table).where(table.c.account_id == account_id))
        self._c.execute(delete(s.accounts).where(s.accounts.c.id == account_id))

    def bump(self, account_id: str) -> bool:
        """Lock the account's row for this transaction and move its version on."""
        result = self._c.execute(
            update(s.accounts).where(s.accounts.c.id == account_id).values(
                version=s.accounts.c.version + 1
            )
        )
        return bool(result.rowcount)


def _column_value(value: Any) -> Any:
    return getattr(value, "value", value)


class SqlStore:
    """Opens transactions on one database (SQLite file or PostgreSQL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine = make_engine(url)
        self._transactions = Transactions(url)

    @contextmanager
    def _transaction(self, *, write: bool, account_id: str | None = None) -> Iterator[
        SqlTransaction
    ]:
        with self._engine.connect() as connection:
            handle = self._transactions.begin(connection, write=write)
            try:
                tx = SqlTransaction(connection)
                if account_id is not None and not tx.bump(account_id):
                    raise AccountGone(account_id)
                yield tx
            except BaseException:
                self._transactions.rollback(connection, handle)
                raise
            self._transactions.commit(connection, handle)

    def read(self) -> Any:
        return self._transaction(write=False)

    def write(self, account_id: str | None = None) -> Any:
        return self._transaction(write=True, account_id=account_id)

    def record_key_use(self, key_id: str, when: datetime, service: str, region: str) -> None:
        k = s.access_keys
        with self._transaction(write=True) as tx:
            tx._c.execute(
                update(k).where(k.c.id == key_id).values(
                    last_used_date=when, last_used_service=service, last_used_region=region
                )
            )

    def create_schema(self) -> None:
        """Create every table directly (tests); production goes through migrations."""
        s.metadata.create_all(self._engine)

    def close(self) -> None:
        self._engine.dispose()
