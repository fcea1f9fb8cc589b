"""What is asked (`Request`), what is consulted (`PolicySet`) and what is answered (`Decision`)."""

from __future__ import annotations

import enum
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ._model import Effect, Policy


class PrincipalType(enum.StrEnum):
    """The kinds of caller the decision flow tells apart."""

    USER = "user"
    ROLE_SESSION = "role-session"  # arn:aws:sts::ACCT:assumed-role/ROLE/SESSION
    FEDERATED = "federated"  # arn:aws:sts::ACCT:federated-user/NAME (GetFederationToken)
    ROOT = "root"  # arn:aws:iam::ACCT:root
    SERVICE = "service"  # arn holds the service principal name, e.g. cloudtrail.amazonaws.com
    ANONYMOUS = "anonymous"  # unsigned request, no arn
    IDP = "idp"  # a caller of AssumeRoleWith{WebIdentity,SAML}; arn is the provider


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller.

    ``account`` defaults to the account field of ``arn`` for the kinds that have one.
    ``source_arn`` is optional: for a role session, the role's ARN (with its path); for a
    federated session, the IAM user who called GetFederationToken. When a role session has
    none, its role is identified by account and role name, derived from the session ARN.
    """

    type: PrincipalType
    arn: str | None = None
    account: str | None = None
    source_arn: str | None = None

    def __post_init__(self) -> None:
        if self.account is None and self.arn and self.type in _ACCOUNT_IN_ARN:
            parts = self.arn.split(":", 5)
            if len(parts) == 6 and parts[4]:
                object.__setattr__(self, "account", parts[4])


_ACCOUNT_IN_ARN = frozenset(
    {PrincipalType.USER, PrincipalType.ROLE_SESSION, PrincipalType.FEDERATED, PrincipalType.ROOT}
)

ContextValue = str | tuple[str, ...]


def normalize_context(context: Mapping[str, object]) -> dict[str, ContextValue]:
    """Lower-case the keys (key names are case-insensitive) and turn values into strings.

    Keys are interned, as compiled conditions intern theirs: a lookup then matches on
    identity without reading the key's characters, which matters when every request brings
    a new context.
    A list becomes a tuple of strings (a multivalued key; an empty tuple is present but
    empty); ``True``/``False`` become ``"true"``/``"false"``; other scalars their ``str``.
    """
    normalized: dict[str, ContextValue] = {}
    for key, value in context.items():
        if isinstance(value, str):  # the common case, tested first
            normalized[sys.intern(key.lower())] = value
        elif isinstance(value, list | tuple):
            normalized[sys.intern(key.lower())] = tuple(map(_scalar_text, value))
        else:
            normalized[sys.intern(key.lower())] = _scalar_text(value)
    return normalized


def _scalar_text(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return value if isinstance(value, str) else str(value)


@dataclass(frozen=True, slots=True)
class Request:
    """One request: who, what, on which resource, and the complete request context.

    ``resource`` is an ARN or ``"*"`` (actions without resource-level permissions).
    ``resource_account`` None means the account in the resource ARN, or the principal's
    account when the ARN has none; an explicit value different from the principal's marks a
    cross-account request. ``context`` is taken as complete: the engine derives no key.
    Keys are normalised on construction (see `normalize_context`).
    """

    principal: Principal
    action: str
    resource: str = "*"
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    resource_account: str | None = None
    # resource_account, else the ARN's account, else the principal's (computed once).
    target_account: str | None = field(init=False, default=None, compare=False)
    # The action lower-cased and interned, as the evaluator's indexes hold it.
    action_key: str = field(init=False, default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "context", normalize_context(self.context))
        object.__setattr__(self, "action_key", sys.intern(self.action.lower()))
        target = self.resource_account
        if target is None:
            parts = self.resource.split(":", 5)
            has_account = len(parts) == 6 and parts[0] == "arn" and parts[4]
            target = parts[4] if has_account else self.principal.account
        object.__setattr__(self, "target_account", target)


@dataclass(frozen=True, slots=True)
class PolicySet:
    """Every policy that applies to one request, by type.

    ``scp_levels`` lists the SCPs attached at each level from the organization root down to
    the account; every level must allow. Empty: the principal's account is not governed by
    SCPs. ``rcp_levels`` likewise for the resource's account, with AWS's implicit
    RCPFullAWSAccess at each listed level (so only their Deny statements can matter).
    ``session`` None for a federated principal means a session created without a policy.
    """

    identity: Sequence[Policy] = ()
    resource: Policy | None = None
    boundary: Policy | None = None
    session: Policy | None = None
    scp_levels: Sequence[Sequence[Policy]] = ()
    rcp_levels: Sequence[Sequence[Policy]] = ()


class Outcome(enum.StrEnum):
    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


class PolicyType(enum.StrEnum):
    """The slot of a `PolicySet` a statement came from."""

    IDENTITY = "identity"
    RESOURCE = "resource"
    BOUNDARY = "boundary"
    SESSION = "session"
    SCP = "scp"
    RCP = "rcp"


@dataclass(frozen=True, slots=True)
class StatementRef:
    """Which statement: the policy slot, the policy's name, the Sid and the position."""

    policy_type: PolicyType
    policy_name: str
    index: int
    sid: str | None
    effect: Effect

    def to_dict(self) -> dict[str, object]:
        return {
            "policy_type": self.policy_type.value,
            "policy": self.policy_name,
            "sid": self.sid,
            "index": self.index,
            "effect": self.effect.value,
        }


class Decision(tuple[Outcome, tuple[StatementRef, ...], PolicyType | None]):
    """The answer, and why. Immutable.

    ``statements``: for ExplicitDeny, every Deny statement that applied; for Allow, every
    Allow statement that applied; for ImplicitDeny, the Allow statements that applied but
    were not enough (often none). ``denied_by`` names the policy type that denied: the one
    holding the first explicit Deny, or the one whose missing Allow decided the implicit deny
    (0001 §30). None when allowed.
    """

    # A tuple underneath: one is built per decision, and `tuple.__new__` is the cheapest
    # immutable object CPython makes (the evaluator calls it directly).
    __slots__ = ()

    def __new__(
        cls,
        outcome: Outcome,
        statements: tuple[StatementRef, ...] = (),
        denied_by: PolicyType | None = None,
    ) -> Decision:
        return tuple.__new__(cls, (outcome, statements, denied_by))

    @property
    def outcome(self) -> Outcome:
        return self[0]

    @property
    def statements(self) -> tuple[StatementRef, ...]:
        return self[1]

    @property
    def denied_by(self) -> PolicyType | None:
        return self[2]

    @property
    def allowed(self) -> bool:
        return self[0] is Outcome.ALLOW

    def __repr__(self) -> str:
        denied_by = self[2].value if self[2] is not None else None
        return (
            f"Decision(outcome={self[0].value!r}, statements={self[1]!r}, "
            f"denied_by={denied_by!r})"
        )
