"""The decision: AWS's evaluation flow over compiled, action-indexed policies.

Each policy is compiled once per place it is used in (identity, boundary, SCP level...):
every statement becomes a probe with precompiled resource, principal and condition matchers,
bucketed by the service prefixes its actions can match, and the candidates for an exact
action are memoised. The compiled form is kept on the `Policy`, so principals that share
managed policies share their compiled statements too (and the CPU caches stay warm). A
`CompiledPolicySet` holds one principal's compiled policies in order and, per caller kind and
action, the plan of a decision (the probes to test, or the decision itself when nothing is
left to test); a decision collects the probes that apply and runs the flow of
docs/decisions/0001-policy-semantics.md (21-30) over them.
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
ResourceMatch = Callable[[str, Context], bool]
PrincipalMatch = Callable[[Principal, bool], int]

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
# Policy types a caller's decision leaves out (0001 §22-24).
_IGNORED_TYPES = {
    PrincipalType.ROOT: frozenset({PolicyType.IDENTITY, PolicyType.BOUNDARY, PolicyType.SESSION}),
    **{
        kind: frozenset(
            {PolicyType.SCP, PolicyType.IDENTITY, PolicyType.BOUNDARY, PolicyType.SESSION}
        )
        for kind in _RESOURCE_ONLY_PRINCIPALS
    },
}
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
_MEMO_LIMIT = 1024  # exact actions remembered per compiled policy, and per set and caller kind

# What the decision loop reads of a statement, unpacked in one step (faster than attributes):
# resource matcher (None: every resource), principal matcher (None: no principal element),
# condition (None: none), is Deny, its StatementRef, its allow bit, whether it is in the
# resource policy, and the same statement as a `_FastProbe`.
_FastProbe = tuple[ResourceMatch | None, Callable[[Context], bool] | None, StatementRef]
_Probe = tuple[
    ResourceMatch | None,
    PrincipalMatch | None,
    Callable[[Context], bool] | None,
    bool,
    StatementRef,
    int,
    bool,
    _FastProbe,
]

# A decision's plan for one caller kind and action: a ready Decision (or None), whether it
# holds in any account, the probes to test, the identity-only fast path's Deny and Allow
# probes (None when it does not apply), and whether the caller's boundary counts.
_Plan = tuple[
    Decision | None,
    bool,
    tuple[_Probe, ...],
    tuple[_FastProbe, ...] | None,
    tuple[_FastProbe, ...] | None,
    bool,
]


def _unconditional(probe: _Probe) -> bool:
    """The statement applies to every request that reaches it (its action matched)."""
    return probe[0] is None and probe[1] is None and probe[2] is None


class _CompiledPolicy:
    """One policy's statements for one place, bucketed by service, memoised by action."""

    __slots__ = ("_any_service", "_by_service", "memo", "policy_type")

    def __init__(self, policy: Policy, policy_type: PolicyType, allow_bit: int) -> None:
        self.policy_type = policy_type
        by_service: dict[str, list[tuple[int, _Probe, Callable[[str], bool]]]] = {}
        wildcard: list[tuple[int, _Probe, Callable[[str], bool]]] = []
        for statement in policy.statements:
            services, matches_action, probe = _compile_statement(
                policy_type, policy, statement, allow_bit
            )
            entry = (statement.index, probe, matches_action)
            if services is None:
                wildcard.append(entry)
            else:
                for service in services:
                    by_service.setdefault(service, []).append(entry)
        # Each bucket holds its service's statements and the any-service ones, in order.
        self._any_service = tuple(wildcard)
        self._by_service = {
            service: tuple(sorted([*bucket, *wildcard], key=lambda entry: entry[0]))
            for service, bucket in by_service.items()
        }
        # INVARIANT: memo[action] is exactly what candidates(action) computes.
        self.memo: dict[str, tuple[_Probe, ...]] = {}

    def candidates(self, action: str) -> tuple[_Probe, ...]:
        """The probes whose Action/NotAction matches the lower-cased ``action``."""
        found = self.memo.get(action)
        if found is None:
            bucket = self._by_service.get(action.partition(":")[0], self._any_service)
            found = tuple(probe for _, probe, matches in bucket if matches(action))
            if len(self.memo) < _MEMO_LIMIT:
                self.memo[action] = found
        return found


def _compiled(policy: Policy, policy_type: PolicyType, allow_bit: int) -> _CompiledPolicy:
    """The policy compiled for this place, built once and kept on the policy."""
    key = (policy_type, allow_bit)
    found = policy._compiled_forms.get(key)
    if not isinstance(found, _CompiledPolicy):
        found = _CompiledPolicy(policy, policy_type, allow_bit)
        policy._compiled_forms[key] = found
    return found


class CompiledPolicySet:
    """A `PolicySet` compiled for fast, repeated decisions. Immutable; thread-safe.

    The only mutable parts are bounded memos (per policy, the candidate statements of an
    action; per set, the plan of a decision), which never change an answer: a lost or
    duplicated entry is recomputed identically.
    """

    __slots__ = (
        "_has_boundary",
        "_has_session",
        "_identity_only",
        "_parts",
        "_plans",
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
        self._identity_only = not (
            self._has_boundary
            or self._has_session
            or policies.resource is not None
            or policies.scp_levels
            or policies.rcp_levels
        )
        parts = _compile_all(policies)
        self._parts = {
            kind: tuple(
                part for part in parts if part.policy_type not in _IGNORED_TYPES.get(kind, ())
            )
            for kind in PrincipalType
        }
        # Per caller kind and exact action, the plan of a decision (see `_plan`).
        # INVARIANT: plans[kind][action] == self._plan(kind, action); bounded, so a miss is
        # recomputed rather than stored.
        self._plans: dict[PrincipalType, dict[str, _Plan]] = {kind: {} for kind in PrincipalType}

    def _plan(self, kind: PrincipalType, action: str) -> _Plan:
        """What a decision on ``action`` by a ``kind`` caller needs, worked out once.

        The probes to test are the candidates of every policy, in order. When one of them is
        an unconditional Deny (no resource, principal or condition to test), the outcome is
        ExplicitDeny whatever the request, and only the Deny probes matter. When nothing is
        left to test, the decision itself is kept: always valid for an explicit deny, valid in
        the principal's own account for an identity-only set (the fast path below).
        """
        probes: tuple[_Probe, ...] = ()
        for part in self._parts[kind]:
            found = part.memo.get(action)
            probes += found if found is not None else part.candidates(action)
        fast = (
            self._identity_only
            and kind in _IDENTITY_ONLY_FAST
            and not _must_be_granted_by_resource(action)
        )
        has_boundary = self._has_boundary and kind not in _IGNORED_TYPES
        constant: Decision | None = None
        anywhere = False
        if any(probe[3] and _unconditional(probe) for probe in probes):
            probes = tuple(probe for probe in probes if probe[3])
            if all(map(_unconditional, probes)):
                refs = tuple(probe[4] for probe in probes)
                constant = Decision(Outcome.EXPLICIT_DENY, refs, refs[0].policy_type)
                anywhere = True
        elif fast and all(map(_unconditional, probes)):
            refs = tuple(probe[4] for probe in probes)
            constant = Decision(Outcome.ALLOW, refs) if refs else _NOTHING_ALLOWS
        fast_denies = fast_allows = None
        if fast:
            fast_denies = tuple(probe[7] for probe in probes if probe[3])
            fast_allows = tuple(probe[7] for probe in probes if not probe[3])
        plan = (constant, anywhere, probes, fast_denies, fast_allows, has_boundary)
        plans = self._plans[kind]
        if len(plans) < _MEMO_LIMIT:
            plans[action] = plan
        return plan

    def with_resource_policy(self, policy: Policy | None) -> CompiledPolicySet:
        """The same principal policies with another resource policy (a new compiled set)."""
        p = self.policies
        return CompiledPolicySet(
            PolicySet(p.identity, policy, p.boundary, p.session, p.scp_levels, p.rcp_levels)
        )

    def evaluate(self, request: Request) -> Decision:
        """Decide one request against this policy set."""
        action = request.action_key
        principal = request.principal
        kind = principal.type
        plan = self._plans[kind].get(action)
        if plan is None:
            plan = self._plan(kind, action)
        constant, anywhere, probes, fast_denies, fast_allows, has_boundary = plan
        same_account = principal.account == request.target_account
        if constant is not None and (anywhere or same_account):
            return constant

        context = request.context
        resource = request.resource
        if fast_denies is not None and fast_allows is not None and same_account:
            # The common case, short of the full flow: only identity policies decide, so
            # any Deny decides, else any Allow.
            if fast_denies:
                denied: list[StatementRef] = []
                for matches_resource, condition, ref in fast_denies:
                    if (matches_resource is None or matches_resource(resource, context)) and (
                        condition is None or condition(context)
                    ):
                        denied.append(ref)
                if denied:
                    return _new(Decision, (_EXPLICIT_DENY, tuple(denied), PolicyType.IDENTITY))
            allowed: list[StatementRef] = []
            for matches_resource, condition, ref in fast_allows:
                if (matches_resource is None or matches_resource(resource, context)) and (
                    condition is None or condition(context)
                ):
                    allowed.append(ref)
            return _new(Decision, (_ALLOW, tuple(allowed), None)) if allowed else _NOTHING_ALLOWS

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
        ) in probes:
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
            return _new(Decision, (_EXPLICIT_DENY, tuple(denies), denies[0].policy_type))
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
        must_grant = not same_account or _must_be_granted_by_resource(action)
        if kind is PrincipalType.ROOT:
            if not must_grant:
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
_NOTHING_ALLOWS = _IMPLICIT_DENY[PolicyType.IDENTITY]
# Callers whose decision, with identity policies only and in their own account, is just
# "any Deny, else any Allow" (a federated session needs a session policy, root none).
_IDENTITY_ONLY_FAST = frozenset({PrincipalType.USER, PrincipalType.ROLE_SESSION})
# Decision(...) without its Python-level __new__, for the hot path.
_new = tuple.__new__
_ALLOW = Outcome.ALLOW
_EXPLICIT_DENY = Outcome.EXPLICIT_DENY


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


def _compile_all(policies: PolicySet) -> list[_CompiledPolicy]:
    """Every policy in the canonical order of 0001 §29: SCP levels, RCP levels, resource,
    identity, boundary, session."""
    places: list[tuple[Policy, PolicyType, int]] = []
    for level, level_policies in enumerate(policies.scp_levels):
        places += [(policy, PolicyType.SCP, 1 << (_SCP0 + level)) for policy in level_policies]
    for level_policies in policies.rcp_levels:
        places += [(policy, PolicyType.RCP, 0) for policy in level_policies]
    if policies.resource is not None:
        places.append((policies.resource, PolicyType.RESOURCE, 0))
    places += [(policy, PolicyType.IDENTITY, _IDENTITY_BIT) for policy in policies.identity]
    if policies.boundary is not None:
        places.append((policies.boundary, PolicyType.BOUNDARY, _BOUNDARY_BIT))
    if policies.session is not None:
        places.append((policies.session, PolicyType.SESSION, _SESSION_BIT))
    return [_compiled(*place) for place in places]


def _compile_statement(
    policy_type: PolicyType, policy: Policy, statement: Statement, allow_bit: int
) -> tuple[frozenset[str] | None, Callable[[str], bool], _Probe]:
    """The services a statement's actions can match, its action test, and its probe."""
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
    condition = compile_conditions(statement.conditions, variables)
    probe: _Probe = (
        matches_resource,
        matches_principal,
        condition,
        deny,
        ref,
        0 if deny else allow_bit,
        policy_type is PolicyType.RESOURCE,
        (matches_resource, condition, ref),
    )
    return services, matches_action, probe


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
