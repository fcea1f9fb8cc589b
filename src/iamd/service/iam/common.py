"""What the IAM use cases share: transactions, lookups, pagination, tags, documents."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from iamd.domain import errors
from iamd.domain.entities import KeyStatus, Tag
from iamd.domain.identifiers import unique_id
from iamd.policy import PolicyKind, PolicyValidationError, parse_policy
from iamd.storage.api import AccountGone, DuplicateEntity, Transaction

from ..authz import ContextValue, authorize
from ..context import Call, Env

T = TypeVar("T")

DEFAULT_MAX_ITEMS = 100


@contextmanager
def writing(
    env: Env, call: Call, *, authorization_unchanged: bool = False
) -> Iterator[Transaction]:
    """One write transaction on the caller's account: locks it (writers of one account take
    turns, so quotas checked inside hold) and bumps its version, so that every server drops
    its cached callers of the account.

    ``authorization_unchanged=True`` skips the bump. Only for writes that cannot change what
    an existing caller may do: creating an entity nothing refers to yet, and changes to
    access keys, whose rows are read afresh on every request anyway.
    """
    try:
        with env.store.write(call.account_id,
                             authorization_unchanged=authorization_unchanged) as tx:
            yield tx
    except AccountGone:
        raise errors.InvalidClientTokenId(
            "The security token included in the request is invalid."
        ) from None
    except DuplicateEntity:
        raise errors.ConcurrentModification(
            "Rate exceeded or a concurrent change conflicted with this one; retry."
        ) from None


def reading(env: Env) -> Any:
    return env.store.read()


def new_id(env: Env, prefix: str) -> str:
    return unique_id(prefix, env.random)


def account_arn(call: Call, resource: str) -> str:
    return f"arn:aws:iam::{call.account_id}:{resource}"


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    marker: str | None  # None: this is the last page

    @property
    def is_truncated(self) -> bool:
        return self.marker is not None


def max_items(value: int | None) -> int:
    return DEFAULT_MAX_ITEMS if value is None else value


def encode_marker(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def decode_marker(marker: str | None) -> str | None:
    if marker is None:
        return None
    try:
        return base64.urlsafe_b64decode(marker.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise errors.ValidationError("Invalid Marker.") from None


def page_of(items: list[T], limit: int, key_of: Any) -> Page[T]:
    """Cut a list fetched with ``limit + 1`` rows into a page and its marker."""
    if len(items) > limit:
        items = items[:limit]
        return Page(items, encode_marker(key_of(items[-1])))
    return Page(items, None)


def slice_page(items: Sequence[T], marker: str | None, limit: int) -> Page[T]:
    """Paginate a short list held in memory: the marker is the index of the next item."""
    start = 0
    if marker is not None:
        text = decode_marker(marker)
        if text is None or not text.isdigit():
            raise errors.ValidationError("Invalid Marker.")
        start = int(text)
    chunk = list(items[start : start + limit])
    more = start + limit < len(items)
    return Page(chunk, encode_marker(str(start + limit)) if more else None)


# -- tags ----------------------------------------------------------------------------------
def tags_from(
    raw: Sequence[Mapping[str, str]] | None,
    error: type[errors.IamError] = errors.InvalidInput,
) -> list[Tag]:
    """Tags as given; ``error`` (IAM: InvalidInput, STS: InvalidParameterValue) for keys
    repeated whatever their case, or with the reserved ``aws:`` prefix."""
    tags = [Tag(item["Key"], item.get("Value", "")) for item in raw or ()]
    keys = [tag.key.lower() for tag in tags]
    if len(keys) != len(set(keys)):
        raise error(
            "Duplicate tag keys found. Please note that Tag keys are case insensitive."
        )
    for tag in tags:
        if tag.key.lower().startswith("aws:"):
            raise error(
                f"Tag key '{tag.key}' uses the reserved prefix 'aws:'."
            )
    return tags


def request_tag_context(tags: Sequence[Tag]) -> dict[str, ContextValue]:
    """aws:RequestTag/KEY and aws:TagKeys for an operation that sets tags."""
    context: dict[str, ContextValue] = {f"aws:RequestTag/{tag.key}": tag.value for tag in tags}
    context["aws:TagKeys"] = tuple(tag.key for tag in tags)
    return context


def resource_tag_context(tags: Sequence[Tag]) -> dict[str, ContextValue]:
    """aws:ResourceTag/KEY (and IAM's older iam:ResourceTag/KEY) for an existing resource."""
    context: dict[str, ContextValue] = {}
    for tag in tags:
        context[f"aws:ResourceTag/{tag.key}"] = tag.value
        context[f"iam:ResourceTag/{tag.key}"] = tag.value
    return context


def merge_tags(
    env: Env, tx: Transaction, call: Call, kind: str, resource_id: str, new: Sequence[Tag]
) -> None:
    """Add or overwrite tags, within the quota of tags per resource."""
    current = {tag.key.lower() for tag in tx.tags(kind, resource_id)}
    total = len(current | {tag.key.lower() for tag in new})
    if total > env.quotas.tags_per_resource:
        raise errors.LimitExceeded(
            f"The number of tags has reached the maximum limit of {env.quotas.tags_per_resource}."
        )
    tx.put_tags(call.account_id, kind, resource_id, new)


def tag_resource(
    env: Env, call: Call, action: str, kind: str, lookup: Any, arn_of: Any, raw: Any,
    *, missing: MissingTarget | None = None,
) -> None:
    """TagUser, TagRole, TagPolicy...: authorize with request and resource tags, then merge."""
    tags = tags_from(raw)
    with writing(env, call) as tx:
        entity = _target(tx, call, action, lookup, missing, request_tag_context(tags))
        context = {**request_tag_context(tags), **resource_tag_context(tx.tags(kind, entity.id))}
        authorize(call, action, arn_of(entity), context)
        merge_tags(env, tx, call, kind, entity.id, tags)


def untag_resource(
    env: Env, call: Call, action: str, kind: str, lookup: Any, arn_of: Any, keys: Sequence[str],
    *, missing: MissingTarget | None = None,
) -> None:
    with writing(env, call) as tx:
        context: dict[str, ContextValue] = {"aws:TagKeys": tuple(keys)}
        entity = _target(tx, call, action, lookup, missing, context)
        context.update(resource_tag_context(tx.tags(kind, entity.id)))
        authorize(call, action, arn_of(entity), context)
        tx.remove_tags(kind, entity.id, keys)


@dataclass(frozen=True, slots=True)
class MissingTarget:
    """What a tagging call does when its target does not exist: authorize on ``arn`` first
    (so that a caller without permission cannot learn whether it exists), then raise."""

    arn: str
    error: errors.IamError


def _target(
    tx: Transaction, call: Call, action: str, lookup: Any, missing: MissingTarget | None,
    context: dict[str, ContextValue],
) -> Any:
    entity = lookup(tx)
    if entity is None and missing is not None:
        authorize(call, action, missing.arn, context)
        raise missing.error
    return entity


def key_status(status: str) -> KeyStatus:
    """Active or Inactive; AWS lists Expired too, but no caller can set it."""
    try:
        return KeyStatus(status)
    except ValueError:
        raise errors.InvalidInput(
            f"Status {status} is not valid: it must be Active or Inactive."
        ) from None


# -- policy documents ----------------------------------------------------------------------
def checked_document(document: str, kind: PolicyKind, max_size: int | None = None) -> str:
    """Validate a document for its kind (MalformedPolicyDocument with the first problem)."""
    try:
        if max_size is None:
            parse_policy(document, kind)
        else:
            parse_policy(document, kind, max_size=max_size)
    except PolicyValidationError as error:
        for problem in error.problems:
            if "characters long without white space" in problem.message:
                limit = problem.message.rsplit(" ", 1)[-1]
                raise errors.LimitExceeded(f"Cannot exceed quota for PolicySize: {limit}") from None
        first = error.problems[0] if error.problems else "Syntax errors in policy."
        raise errors.MalformedPolicyDocument(str(first)) from None
    return document
