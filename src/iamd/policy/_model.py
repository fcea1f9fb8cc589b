"""The typed, immutable form of a parsed policy document.

A `Policy` is what `parse_policy` returns: every element already checked against the rules
of its `PolicyKind`, every "string or list" normalised to a tuple, every condition value
normalised to a string. Nothing here evaluates anything.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class PolicyKind(enum.StrEnum):
    """Which rules a document is checked against (the place it is attached to)."""

    IDENTITY = "identity"
    RESOURCE = "resource"
    TRUST = "trust"
    BOUNDARY = "boundary"
    SESSION = "session"
    SCP = "scp"
    RCP = "rcp"


class Effect(enum.StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"


@dataclass(frozen=True, slots=True)
class Principals:
    """The value of a Principal or NotPrincipal element.

    ``wildcard`` is true for ``"*"`` and for ``{"AWS": "*"}``: everyone, anonymous included.
    The tuples keep the values as written (an account id stays an account id).
    """

    wildcard: bool = False
    aws: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    canonical_user: tuple[str, ...] = ()
    # The element exactly as written, for dumping back to JSON.
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Condition:
    """One ``operator -> key -> values`` entry of a Condition block.

    ``operator`` is as written (``ForAnyValue:StringLikeIfExists``); ``base`` is the bare
    operator name in its canonical spelling (``StringLike``); ``key`` keeps the spelling of
    the document (lookups lower-case it); ``values`` are strings (JSON ``true`` becomes
    ``"true"``, numbers their JSON text).
    """

    operator: str
    base: str
    key: str
    values: tuple[str, ...]
    set_operator: str | None = None  # "ForAllValues" | "ForAnyValue" | None
    if_exists: bool = False


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement. ``None`` means the element is absent; ``()`` means it is an empty list."""

    index: int
    effect: Effect
    sid: str | None = None
    actions: tuple[str, ...] | None = None
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = None
    not_resources: tuple[str, ...] | None = None
    principal: Principals | None = None
    not_principal: Principals | None = None
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True, slots=True)
class Policy:
    """A validated policy document.

    ``name`` is a label chosen by whoever parsed it (a file name, a policy ARN); it is how a
    `Decision` says which policy a statement came from. ``version`` is None when absent.
    ``raw`` is the document as parsed (a dict), kept for dumping.
    """

    kind: PolicyKind
    statements: tuple[Statement, ...]
    version: str | None = None
    id: str | None = None
    name: str = ""
    raw: Any = field(default=None, compare=False, repr=False)
    # The evaluator's compiled forms of this policy, by the place it is used in; filled on
    # first use. A memo of a pure function of the fields above: it never changes a meaning.
    _compiled_forms: dict[object, object] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    @property
    def variables_enabled(self) -> bool:
        """Policy variables are honoured only under Version 2012-10-17."""
        return self.version == VERSION_2012
