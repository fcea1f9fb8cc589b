"""The decision: AWS's evaluation flow over a compiled, action-indexed policy set.

`compile_policies` turns a `PolicySet` into a `CompiledPolicySet`: every statement becomes a
`_Compiled` record with precompiled action, resource, principal and condition matchers, and
the statements are bucketed by the service prefix their actions can match. A decision looks
up the bucket of the request's service (memoised per exact action), keeps the statements
that apply, and runs the flow of docs/decisions/0001-policy-semantics.md (21-30) over them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ._conditions import compile_conditions
from ._match import action_matcher, action_service_prefixes, resource_matcher
from ._model import Effect, Policy, Principals, Statement
from ._request import (
    ContextValue,
    Decision,
    Outcome,
    PolicySet,
    PolicyType,
    Principal,
    PrincipalType,
    Request,
    StatementRef,
)

Context = Mapping[str, ContextValue]

# How a resource-policy statement's Principal matched the caller (0001 §19), weakest first.
_NO_MATCH = 0
_ACCOUNT = 1
_VIA_SOURCE = 2
_DIRECT = 3

# Bits recording which policy types hold an applicable Allow; SCP level n is bit _SCP0 + n.
_IDENTITY_BIT = 1
_BOUNDARY_BIT = 2
_SESSION_BIT = 4
_SCP0 = 3

_ACCOUNT_PRINCIPALS = frozenset(
    {PrincipalType.USER, PrincipalType.ROLE_SESSION, PrincipalType.FEDERATED, PrincipalType.ROOT}
)
_RESOURCE_ONLY_PRINCIPALS = frozenset(
    {PrincipalType.SERVICE, PrincipalType.ANONYMOUS, PrincipalType.IDP}
)
# The resource policy must allow these even within one account (0001 §26).
_MUST_GRANT_ACTIONS = frozenset(
    {
        "sts:assumerole",
        "sts:assumerolewithsaml",
        "sts:assumerolewithwebidentity",
        "sts:tagsession",
        "sts:setsourceidentity",
        "sts:setcontext",
    }
)
_MEMO_LIMIT = 512

ResourceMatch = Callable[[str, Context], bool]
PrincipalMatch = Callable[[Principal, bool], int]


# What the decision loop reads of a statement, unpacked in one step (faster than attributes):
# resource matcher (None: matches every resource), principal matcher (None: no principal
# element), condition (None: none), is Deny, its StatementRef, its allow bit, whether it is
# in the resource policy, and its group (below).
_Probe = tuple[
    ResourceMatch | None,
    PrincipalMatch | None,
    Callable[[Context], bool] | None,
    bool,
    StatementRef,
    int,
    bool,
    int,
]
_ORGANIZATION = 0  # SCP statements: only for principals of an account (0001 §22)
_RESOURCE_SIDE = 1  # resource policy and RCP statements: every caller
_PRINCIPAL_SIDE = 2  # identity, boundary, session: not for root or account-less callers
_IGNORED_GROUPS = {
    PrincipalType.ROOT: frozenset({_PRINCIPAL_SIDE}),
    PrincipalType.SERVICE: frozenset({_ORGANIZATION, _PRINCIPAL_SIDE}),
    PrincipalType.ANONYMOUS: frozenset({_ORGANIZATION, _PRINCIPAL_SIDE}),
    PrincipalType.IDP: frozenset({_ORGANIZATION, _PRINCIPAL_SIDE}),
}


@dataclass(frozen=True, slots=True)
class _Compiled:
    """One statement, ready to be tested against a request."""

    order: int
    services: frozenset[str] | None  # service prefixes the actions can match; None: any
    matches_action: Callable[[str], bool]
    probe: _Probe


class CompiledPolicySet:
    """A `PolicySet` compiled for fast, repeated decisions. Immutable; thread-safe.

    The only mutable part is a bounded memo from action to candidate statements, which
    never changes an answer (a lost or duplicated memo entry is recomputed identically).
    """

    __slots__ = (
        "_any_service",
        "_by_service",
        "_has_boundary",
        "_has_session",
        "_memo",
        "_scp_bits",
        "policies",
    )

    def __init__(self, policies: PolicySet) -> None:
        self.policies = policies
        self._has_boundary = policies.boundary is not None
        self._has_session = policies.session is not None
        self._scp_bits = 0
        for level in range(len(policies.scp_levels)):
            self._scp_bits |= 1 << (_SCP0 + level)
        self._any_service, self._by_service = _index_by_service(_compile_all(policies))
        self._memo: dict[str, tuple[_Probe, ...]] = {}

    def with_resource_policy(self, policy: Policy | None) -> CompiledPolicySet:
        """The same principal policies with another resource policy (a new compiled set)."""
        p = self.policies
        return CompiledPolicySet(
            PolicySet(p.identity, policy, p.boundary, p.session, p.scp_levels, p.rcp_levels)
        )

    def _candidates(self, action: str) -> tuple[_Probe, ...]:
        service = action.partition(":")[0]
        bucket = self._by_service.get(service, self._any_service)
        candidates = tuple(entry.probe for entry in bucket if entry.matches_action(action))
        if len(self._memo) < _MEMO_LIMIT:
            self._memo[action] = candidates
        return candidates

    def evaluate(self, request: Request) -> Decision:
        """Decide one request against this policy set."""
        action = request.action.lower()
        candidates = self._memo.get(action)
        if candidates is None:
            candidates = self._candidates(action)
        principal = request.principal
        ignored = _IGNORED_GROUPS.get(principal.type)
        if ignored is not None:
            candidates = tuple(probe for probe in candidates if probe[7] not in ignored)
        context = request.context
        resource = request.resource
        has_boundary = self._has_boundary

        allows: list[StatementRef] = []
        denies: list[StatementRef] = []
        allow_bits = 0
        resource_grant = _NO_MATCH
        for (
            matches_resource,
            matches_principal,
            condition,
            deny,
            ref,
            allow_bit,
            in_resource_policy,
            _,
        ) in candidates:
            if matches_resource is not None and not matches_resource(resource, context):
                continue
            if matches_principal is None:
                how = _DIRECT
            else:
                how = matches_principal(principal, has_boundary)
                if not how:
                    continue
            if condition is not None and not condition(context):
                continue
            if deny:
                denies.append(ref)
            else:
                allows.append(ref)
                allow_bits |= allow_bit
                if in_resource_policy and how > resource_grant:
                    resource_grant = how

        if denies:
            return Decision(Outcome.EXPLICIT_DENY, tuple(denies), denies[0].policy_type)
        denied_by = self._implicit_denial(request, action, allow_bits, resource_grant)
        if denied_by is None:
            return Decision(Outcome.ALLOW, tuple(allows))
        if not allows:
            return _IMPLICIT_DENY[denied_by]
        return Decision(Outcome.IMPLICIT_DENY, tuple(allows), denied_by)

    def _implicit_denial(
        self, request: Request, action: str, allow_bits: int, resource_grant: int
    ) -> PolicyType | None:
        """None when the allows are enough; else the policy type whose Allow is missing."""
        principal = request.principal
        kind = principal.type
        if (
            self._scp_bits
            and kind in _ACCOUNT_PRINCIPALS
            and allow_bits & self._scp_bits != self._scp_bits
        ):
            return PolicyType.SCP
        if kind in _RESOURCE_ONLY_PRINCIPALS:
            return None if resource_grant else PolicyType.RESOURCE

        same_account = principal.account == request.target_account
        if kind is PrincipalType.ROOT:
            if same_account:
                return None
            identity_ok = boundary_ok = session_ok = True
        else:
            identity_ok = bool(allow_bits & _IDENTITY_BIT)
            boundary_ok = not self._has_boundary or bool(allow_bits & _BOUNDARY_BIT)
            if self._has_session:
                session_ok = bool(allow_bits & _SESSION_BIT)
            else:
                session_ok = kind is not PrincipalType.FEDERATED
        principal_side = identity_ok and boundary_ok and session_ok
        must_grant = not same_account or _must_be_granted_by_resource(action)

        if same_account:
            if resource_grant == _DIRECT:
                return None
            if resource_grant == _VIA_SOURCE and boundary_ok and session_ok:
                return None
            if principal_side and (not must_grant or resource_grant == _ACCOUNT):
                return None
        elif resource_grant and principal_side:
            return None

        if not identity_ok and not resource_grant:
            return PolicyType.IDENTITY
        if must_grant and not resource_grant:
            return PolicyType.RESOURCE
        if not identity_ok:
            return PolicyType.IDENTITY
        if not boundary_ok:
            return PolicyType.BOUNDARY
        return PolicyType.SESSION


_IMPLICIT_DENY = {
    policy_type: Decision(Outcome.IMPLICIT_DENY, (), policy_type) for policy_type in PolicyType
}


def _must_be_granted_by_resource(action: str) -> bool:
    return action in _MUST_GRANT_ACTIONS or action.startswith("kms:")


def compile_policies(policies: PolicySet) -> CompiledPolicySet:
    """Compile the policies of one principal (and optionally one resource) once."""
    return CompiledPolicySet(policies)


def evaluate(request: Request, policies: PolicySet | CompiledPolicySet) -> Decision:
    """Decide ``request`` against ``policies``, compiling them first when needed."""
    compiled = policies if isinstance(policies, CompiledPolicySet) else compile_policies(policies)
    return compiled.evaluate(request)


# -- compilation ---------------------------------------------------------------------------


def _compile_all(policies: PolicySet) -> list[_Compiled]:
    """Every statement in the canonical order of 0001 §29: SCP, RCP, resource, identity,
    boundary, session."""
    slots: list[tuple[PolicyType, Policy, int]] = []
    for level, level_policies in enumerate(policies.scp_levels):
        slots += [(PolicyType.SCP, policy, 1 << (_SCP0 + level)) for policy in level_policies]
    for level_policies in policies.rcp_levels:
        slots += [(PolicyType.RCP, policy, 0) for policy in level_policies]
    if policies.resource is not None:
        slots.append((PolicyType.RESOURCE, policies.resource, 0))
    slots += [(PolicyType.IDENTITY, policy, _IDENTITY_BIT) for policy in policies.identity]
    if policies.boundary is not None:
        slots.append((PolicyType.BOUNDARY, policies.boundary, _BOUNDARY_BIT))
    if policies.session is not None:
        slots.append((PolicyType.SESSION, policies.session, _SESSION_BIT))

    compiled: list[_Compiled] = []
    for policy_type, policy, allow_bit in slots:
        for statement in policy.statements:
            compiled.append(
                _compile_statement(policy_type, policy, statement, allow_bit, len(compiled))
            )
    return compiled


def _compile_statement(
    policy_type: PolicyType, policy: Policy, statement: Statement, allow_bit: int, order: int
) -> _Compiled:
    variables = policy.variables_enabled
    services: frozenset[str] | None = None
    if statement.actions is not None:
        matches_action = action_matcher(statement.actions)
        services = action_service_prefixes(statement.actions)
    else:
        excluded = action_matcher(statement.not_actions or ())

        def matches_action(action: str) -> bool:
            return not excluded(action)

    matches_resource: ResourceMatch | None = None
    if statement.resources is not None:
        if "*" not in statement.resources:
            matches_resource = resource_matcher(statement.resources, variables)
    elif statement.not_resources is not None:
        excluded_resource = resource_matcher(statement.not_resources, variables)

        def matches_resource(resource: str, context: Context) -> bool:
            return not excluded_resource(resource, context)

    matches_principal: PrincipalMatch | None = None
    if statement.principal is not None:
        matches_principal = _principal_matcher(statement.principal)
    elif statement.not_principal is not None:
        matches_principal = _not_principal_matcher(statement.not_principal)

    deny = statement.effect is Effect.DENY
    ref = StatementRef(policy_type, policy.name, statement.index, statement.sid, statement.effect)
    probe: _Probe = (
        matches_resource,
        matches_principal,
        compile_conditions(statement.conditions, variables),
        deny,
        ref,
        0 if deny else allow_bit,
        policy_type is PolicyType.RESOURCE,
        _GROUPS[policy_type],
    )
    return _Compiled(order, services, matches_action, probe)


_GROUPS = {
    PolicyType.SCP: _ORGANIZATION,
    PolicyType.RCP: _RESOURCE_SIDE,
    PolicyType.RESOURCE: _RESOURCE_SIDE,
    PolicyType.IDENTITY: _PRINCIPAL_SIDE,
    PolicyType.BOUNDARY: _PRINCIPAL_SIDE,
    PolicyType.SESSION: _PRINCIPAL_SIDE,
}


def _index_by_service(
    statements: list[_Compiled],
) -> tuple[tuple[_Compiled, ...], dict[str, tuple[_Compiled, ...]]]:
    """Bucket statements by the service prefixes their actions can match.

    A statement whose actions could match any service (``*``, ``s*:Get``, NotAction) is in
    every bucket; each bucket keeps the canonical order. Unknown services use the any-bucket.
    """
    any_service: list[_Compiled] = []
    by_service: dict[str, list[_Compiled]] = {}
    for entry in statements:
        if entry.services is None:
            any_service.append(entry)
        else:
            for service in entry.services:
                by_service.setdefault(service, []).append(entry)
    return tuple(any_service), {
        service: tuple(sorted([*bucket, *any_service], key=lambda entry: entry.order))
        for service, bucket in by_service.items()
    }


# -- principals ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _PrincipalIndex:
    """A Principal/NotPrincipal element split by what each entry can match."""

    wildcard: bool
    accounts: frozenset[str]
    users: frozenset[str]
    roles: frozenset[str]
    role_names: frozenset[tuple[str, str]]  # (account, role name), path ignored
    sessions: frozenset[str]  # assumed-role and federated-user ARNs
    services: frozenset[str]
    providers: frozenset[str]


def _index_principals(principals: Principals) -> _PrincipalIndex:
    accounts: set[str] = set()
    users: set[str] = set()
    roles: set[str] = set()
    role_names: set[tuple[str, str]] = set()
    sessions: set[str] = set()
    for value in principals.aws:
        if value.isdigit():
            accounts.add(value)
            continue
        parts = value.split(":", 5)
        if len(parts) != 6:
            continue
        service, account, resource = parts[2], parts[4], parts[5]
        if service == "iam" and resource == "root":
            accounts.add(account)
        elif service == "iam" and resource.startswith("user/"):
            users.add(value)
        elif service == "iam" and resource.startswith("role/"):
            roles.add(value)
            role_names.add((account, resource.rsplit("/", 1)[1]))
        elif service == "sts":
            sessions.add(value)
    return _PrincipalIndex(
        wildcard=principals.wildcard,
        accounts=frozenset(accounts),
        users=frozenset(users),
        roles=frozenset(roles),
        role_names=frozenset(role_names),
        sessions=frozenset(sessions),
        services=frozenset(principals.service),
        providers=frozenset(principals.federated),
    )


def _role_of_session(principal: Principal) -> tuple[str, str] | None:
    """(account, role name) of an assumed-role session ARN."""
    if principal.arn is None or principal.account is None:
        return None
    resource = principal.arn.split(":", 5)[-1]
    parts = resource.split("/")
    if len(parts) < 3 or parts[0] != "assumed-role":
        return None
    return principal.account, parts[1]


def _role_listed(index: _PrincipalIndex, principal: Principal) -> bool:
    if principal.source_arn is not None:
        return principal.source_arn in index.roles
    role = _role_of_session(principal)
    return role is not None and role in index.role_names


def _principal_matcher(principals: Principals) -> PrincipalMatch:
    index = _index_principals(principals)
    if index.wildcard:
        return lambda principal, has_boundary: _DIRECT

    def match(principal: Principal, has_boundary: bool) -> int:
        kind = principal.type
        arn = principal.arn
        if kind is PrincipalType.USER and arn in index.users:
            return _DIRECT
        if kind in (PrincipalType.ROLE_SESSION, PrincipalType.FEDERATED):
            if arn in index.sessions:
                return _DIRECT
            if kind is PrincipalType.ROLE_SESSION and _role_listed(index, principal):
                return _VIA_SOURCE
            if kind is PrincipalType.FEDERATED and principal.source_arn in index.users:
                return _VIA_SOURCE
        if kind is PrincipalType.SERVICE:
            return _DIRECT if arn in index.services else _NO_MATCH
        if kind is PrincipalType.IDP:
            return _DIRECT if arn in index.providers else _NO_MATCH
        if kind in _ACCOUNT_PRINCIPALS and principal.account in index.accounts:
            return _ACCOUNT
        return _NO_MATCH

    return match


def _not_principal_matcher(principals: Principals) -> PrincipalMatch:
    """A Deny with NotPrincipal applies unless the caller's whole chain is listed (0001 §20)."""
    index = _index_principals(principals)

    def exempt(principal: Principal) -> bool:
        if index.wildcard:
            return True
        kind = principal.type
        account_listed = principal.account in index.accounts
        if kind is PrincipalType.USER:
            return account_listed and principal.arn in index.users
        if kind is PrincipalType.ROLE_SESSION:
            return (
                account_listed
                and principal.arn in index.sessions
                and _role_listed(index, principal)
            )
        if kind is PrincipalType.FEDERATED:
            return account_listed and principal.arn in index.sessions
        if kind is PrincipalType.ROOT:
            return account_listed
        if kind is PrincipalType.SERVICE:
            return principal.arn in index.services
        if kind is PrincipalType.IDP:
            return principal.arn in index.providers
        return False

    def applies(principal: Principal, has_boundary: bool) -> int:
        return _DIRECT if has_boundary or not exempt(principal) else _NO_MATCH

    return applies
