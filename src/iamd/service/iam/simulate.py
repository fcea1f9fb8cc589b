"""The policy simulator: SimulatePrincipalPolicy, SimulateCustomPolicy and GetContextKeysFor*.

A simulation gathers policy documents (a principal's stored ones and/or documents given in the
call), evaluates every requested action on every requested resource with iamd's own engine,
and explains each decision as AWS's simulator does:

* one result per action (``EvalResourceName`` is ``*``: iamd has no catalogue of ARN
  templates); with ``ResourceArns``, one ``ResourceSpecificResults`` entry per resource and a
  top-level result that is the most restrictive of them;
* ``MatchedStatements``: the statements that decided (the Deny statements of an explicit deny,
  the Allow statements of an allow, none for an implicit deny), SCPs left out, each with its
  source (``PolicyInputList.1``, ``user_bob_Inline``, a managed policy's name,
  ``ResourcePolicy``...) and its position in the document text;
* ``MissingContextValues``: condition keys of the statements whose action and resource match
  that the call did not supply (SCPs left out);
* ``PermissionsBoundaryDecisionDetail``, ``OrganizationsDecisionDetail`` and, for
  cross-account requests only, ``EvalDecisionDetails`` per policy type.

The context is exactly the ``ContextEntries`` given: the simulator adds no key of its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from iamd.domain import errors
from iamd.domain.entities import AWS_ACCOUNT, Group, PrincipalKind, Relation, Role, User
from iamd.policy import (
    Arn,
    CompiledPolicySet,
    Decision,
    Outcome,
    Policy,
    PolicyKind,
    PolicySet,
    PolicyValidationError,
    Principal,
    PrincipalType,
    Request,
    compile_policies,
    parse_policy,
)
from iamd.storage.api import Transaction

from ..authz import ContextValue, authorize, managed_document, parsed
from ..context import Call, Env
from .common import Page, max_items, resource_tag_context, slice_page

ContextEntry = Mapping[str, Any]
Context = dict[str, ContextValue]

# -- what the simulator answers ---------------------------------------------------------------

ALLOWED = "allowed"
EXPLICIT_DENY = "explicitDeny"
IMPLICIT_DENY = "implicitDeny"
_DECISIONS = {
    Outcome.ALLOW: ALLOWED,
    Outcome.EXPLICIT_DENY: EXPLICIT_DENY,
    Outcome.IMPLICIT_DENY: IMPLICIT_DENY,
}
_RESTRICTIVENESS = {ALLOWED: 0, IMPLICIT_DENY: 1, EXPLICIT_DENY: 2}

IAM_POLICY = "IAM Policy"
BOUNDARY_POLICY = "Permissions Boundary Policy"
RESOURCE_POLICY = "Resource Policy"
SCP_POLICY = "Service Control Policy"

# The engine's policy slots (PolicyType values) a simulated statement can come from.
_IDENTITY, _BOUNDARY, _RESOURCE, _SCP = "identity", "boundary", "resource", "scp"
_EXPLAINED_SLOTS = (_IDENTITY, _BOUNDARY, _RESOURCE)  # SCPs are never listed (AWS's rule)


@dataclass(frozen=True, slots=True)
class Position:
    """A place in a policy document: 1-based line and column."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class MatchedStatement:
    source_policy_id: str
    source_policy_type: str
    start: Position
    end: Position


@dataclass(frozen=True, slots=True)
class ResourceResult:
    """The decision on one action and one resource."""

    resource: str
    decision: str
    statements: tuple[MatchedStatement, ...]
    missing_context_values: tuple[str, ...]
    boundary_allowed: bool | None = None
    organizations_allowed: bool | None = None
    details: dict[str, str] | None = None  # per policy type; cross-account requests only


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    """One action: its overall decision, and per resource when ResourceArns were given."""

    action: str
    resource_name: str
    decision: str
    statements: tuple[MatchedStatement, ...]
    missing_context_values: tuple[str, ...]
    boundary_allowed: bool | None
    organizations_allowed: bool | None
    details: dict[str, str] | None
    resource_results: tuple[ResourceResult, ...] | None


@dataclass(frozen=True, slots=True)
class SimulationInput:
    """The inputs SimulatePrincipalPolicy and SimulateCustomPolicy share."""

    action_names: Sequence[str]
    policy_input_list: Sequence[str] = ()
    permissions_boundary_policy_input_list: Sequence[str] = ()
    resource_arns: Sequence[str] | None = None
    resource_policy: str | None = None
    resource_owner: str | None = None
    caller_arn: str | None = None
    context_entries: Sequence[ContextEntry] = ()
    resource_handling_option: str | None = None
    marker: str | None = None
    max_items: int | None = None


# -- the policies of a simulation -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    """One policy document in a simulation, with what AWS reports about it.

    ``policy.name`` is unique within ``slot``; ``category`` is the PolicyExclusionList type
    (``inline``, ``aws-managed``, ``user-managed``, ``permission-boundary``) or ``input``.
    """

    slot: str
    policy: Policy
    text: str
    source_id: str
    source_type: str
    category: str = "input"
    arn: str | None = None
    inline: tuple[str, str, str] | None = None  # (attachment type, entity name, policy name)

    @property
    def key(self) -> tuple[str, str]:
        return self.slot, self.policy.name


def _parse_input(text: str, kind: PolicyKind, name: str) -> Policy:
    """A document given in the call: MalformedPolicyDocument with the first problem."""
    try:
        return parse_policy(text, kind, name=name, max_size=None)
    except PolicyValidationError as error:
        first = error.problems[0] if error.problems else "Syntax errors in policy."
        raise errors.MalformedPolicyDocument(f"{name}: {first}") from None


def input_sources(documents: Sequence[str], prefix: str, kind: PolicyKind) -> list[Source]:
    """``PolicyInputList.1``, ``PermissionsBoundaryPolicyInputList.1``... parsed and checked."""
    slot = _BOUNDARY if kind is PolicyKind.BOUNDARY else _IDENTITY
    label = BOUNDARY_POLICY if kind is PolicyKind.BOUNDARY else IAM_POLICY
    sources = []
    for number, text in enumerate(documents, start=1):
        name = f"{prefix}.{number}"
        sources.append(Source(slot, _parse_input(text, kind, name), text, name, label))
    return sources


def _resource_source(text: str | None) -> Source | None:
    if text is None:
        return None
    policy = _parse_input(text, PolicyKind.RESOURCE, "ResourcePolicy")
    return Source(_RESOURCE, policy, text, "ResourcePolicy", RESOURCE_POLICY)


def _scp_levels(levels: Sequence[Sequence[str]]) -> tuple[tuple[Policy, ...], ...]:
    parsed_levels = []
    for depth, documents in enumerate(levels, start=1):
        if not documents:
            raise errors.InvalidInput(
                f"Organization policy level {depth} must contain at least one service control "
                "policy."
            )
        prefix = f"OrderedOrganizationPolicyInputList.{depth}.ServiceControlPolicyInputList"
        parsed_levels.append(tuple(
            _parse_input(text, PolicyKind.SCP, f"{prefix}.{number}")
            for number, text in enumerate(documents, start=1)
        ))
    return tuple(parsed_levels)


# -- statement positions ----------------------------------------------------------------------

_WHITE_SPACE = " \t\n\r"
_DECODER = json.JSONDecoder()


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in _WHITE_SPACE:
        index += 1
    return index


def _items(text: str, start: int) -> Iterable[tuple[str | None, int, int]]:
    """(key, start, end) of each value of the JSON object or array opening at ``start``;
    ``key`` is None in an array."""
    keyed = text[start] == "{"
    closing = "}" if keyed else "]"
    index = _skip_space(text, start + 1)
    while index < len(text) and text[index] != closing:
        key = None
        if keyed:
            key, index = _DECODER.raw_decode(text, index)
            index = _skip_space(text, _skip_space(text, index) + 1)  # past the colon
        _, end = _DECODER.raw_decode(text, index)
        yield key, index, end
        index = _skip_space(text, end)
        if index < len(text) and text[index] == ",":
            index = _skip_space(text, index + 1)


def statement_spans(text: str) -> list[tuple[int, int]]:
    """Where AWS says each statement of a valid document starts and ends (offsets).

    AWS's parser reports the place just past the token read before the statement: the ``[``
    of the Statement array for the first statement, the ``}`` of the one before for the
    others, and the statement's own ``{`` when Statement is a single object. The end is just
    past the statement's ``}``. (So AWS's published examples show: column 38 for both
    ``{"Version":"2012-10-17","Statement":[{`` and ``...,"Statement":{``.)
    """
    for key, start, end in _items(text, _skip_space(text, 0)):
        if key != "Statement":
            continue
        if text[start] == "{":
            return [(start + 1, end)]
        spans = []
        previous = start + 1
        for _, _, item_end in _items(text, start):
            spans.append((previous, item_end))
            previous = item_end
        return spans
    return []


def position(text: str, offset: int) -> Position:
    line_start = text.rfind("\n", 0, offset)
    return Position(text.count("\n", 0, offset) + 1, offset - line_start)


# -- context and principal --------------------------------------------------------------------

_SCALAR_TYPES = frozenset({"string", "numeric", "boolean", "ip", "binary", "date"})


def context_from(entries: Sequence[ContextEntry]) -> Context:
    """ContextEntries as engine context values: list types multivalued, booleans lower-case."""
    context: Context = {}
    for entry in entries:
        name = entry.get("ContextKeyName")
        if not name:
            raise errors.InvalidInput("Each context entry must have a ContextKeyName.")
        values = list(entry.get("ContextKeyValues") or ())
        kind = entry.get("ContextKeyType") or ("string" if len(values) == 1 else "stringList")
        if kind.startswith("boolean"):
            values = [value.lower() for value in values]
        if kind in _SCALAR_TYPES:
            if len(values) != 1:
                raise errors.InvalidInput(
                    f"Context key {name} of type {kind} takes exactly one value; use "
                    f"{kind}List for several."
                )
            context[name] = values[0]
        else:
            context[name] = tuple(values)
    return context


_ENTITY_ARN = re.compile(
    r"arn:aws:iam::(\d{12}):(user|group|role)(/|/[\x21-\x7e]*/)([\w+=,.@-]{1,128})"
)
_OWNER = re.compile(r"(?:arn:aws:iam::)?(\d{12})(?::root)?")
_SIMULATED_SESSION = "iamd-policy-simulator"


def _entity_arn(arn: str) -> re.Match[str] | None:
    return _ENTITY_ARN.fullmatch(arn)


def simulated_principal(arn: str | None, account: str) -> Principal:
    """The simulated caller: an IAM user, or a session of a role (groups act as users)."""
    match = None if arn is None else _entity_arn(arn)
    if arn is not None and match is None:
        raise errors.InvalidInput(
            f"CallerArn {arn} is not valid: use the ARN of an IAM user, group or role."
        )
    if match is None:
        return Principal(PrincipalType.USER, None, account)
    account = match.group(1)
    if match.group(2) == "role":
        session = f"arn:aws:sts::{account}:assumed-role/{match.group(4)}/{_SIMULATED_SESSION}"
        return Principal(PrincipalType.ROLE_SESSION, session, account, source_arn=arn)
    return Principal(PrincipalType.USER, arn, account)


def owner_account(resource_owner: str | None) -> str | None:
    if resource_owner is None:
        return None
    match = _OWNER.fullmatch(resource_owner)
    if match is None:
        raise errors.InvalidInput(
            f"ResourceOwner {resource_owner} is not valid: use arn:aws:iam::ACCOUNT-ID:root."
        )
    return match.group(1)


# -- checks of the other inputs ----------------------------------------------------------------

_ACTION = re.compile(r"[A-Za-z0-9-]+:[A-Za-z0-9]+")
# The EC2 resource types each scenario needs (ResourceHandlingOption).
_SCENARIOS = {
    "EC2-VPC-InstanceStore": ("instance", "image", "security-group", "network-interface"),
    "EC2-VPC-InstanceStore-Subnet": (
        "instance", "image", "security-group", "network-interface", "subnet",
    ),
    "EC2-VPC-EBS": ("instance", "image", "security-group", "network-interface", "volume"),
    "EC2-VPC-EBS-Subnet": (
        "instance", "image", "security-group", "network-interface", "subnet", "volume",
    ),
}


def checked_actions(names: Sequence[str]) -> list[str]:
    for name in names:
        if _ACTION.fullmatch(name) is None:
            raise errors.InvalidInput(
                f"Action {name} is not valid: use service:Action, without wildcards "
                "(such as iam:CreateUser)."
            )
    return list(names)


def checked_resources(arns: Sequence[str] | None) -> list[str] | None:
    """The resources to simulate; None for ``*`` (absent, empty, or just ``*``)."""
    if not arns or list(arns) == ["*"]:
        return None
    for arn in arns:
        if arn == "*":
            continue
        try:
            Arn.parse(arn)
        except ValueError:
            raise errors.InvalidInput(f"Resource {arn} is not a valid ARN.") from None
    return list(arns)


def check_scenario(option: str | None, resources: Sequence[str] | None) -> None:
    if option is None:
        return
    required = _SCENARIOS.get(option)
    if required is None:
        raise errors.InvalidInput(
            f"ResourceHandlingOption {option} is not valid; use one of "
            f"{', '.join(_SCENARIOS)}."
        )
    present = set()
    for arn in resources or ():
        parsed_arn = Arn.parse(arn) if arn != "*" else None
        if parsed_arn is not None and parsed_arn.service == "ec2":
            present.add(parsed_arn.resource_type)
    missing = [kind for kind in required if kind not in present]
    if missing:
        raise errors.InvalidInput(
            f"The {option} scenario requires resources of type: {', '.join(missing)}."
        )


# -- the simulation ---------------------------------------------------------------------------

_ALLOW_ALL = parse_policy(
    {"Version": "2012-10-17",
     "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
    PolicyKind.IDENTITY, name="iamd-simulator-allow-all",
)


def _account_grant(account: str) -> Policy:
    """A resource policy granting the principal's own account: identity policies then decide."""
    return parse_policy(
        {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": account}, "Action": "*", "Resource": "*",
        }]},
        PolicyKind.RESOURCE, name="iamd-simulator-account-grant",
    )


def _stripped(policy: Policy, slot: str, effect: str) -> Policy:
    """The statements of one effect without conditions or principals: what can apply at all."""
    statements = tuple(
        replace(statement, conditions=(), principal=None, not_principal=None)
        for statement in policy.statements
        if statement.effect.value == effect
    )
    return replace(policy, statements=statements, name=f"{slot}|{policy.name}")


@dataclass(slots=True)
class Simulation:
    """Everything one simulation evaluates, compiled once; `evaluate` answers one action."""

    sources: Sequence[Source]
    principal: Principal
    context: Context
    owner: str | None = None
    scp_levels: tuple[tuple[Policy, ...], ...] = ()
    _by_key: dict[tuple[str, str], Source] = field(default_factory=dict)
    _spans: dict[tuple[str, str], list[tuple[int, int]]] = field(default_factory=dict)
    _sets: dict[str, CompiledPolicySet] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_key = {source.key: source for source in self.sources}
        self._sets = self._compile()

    def _slot(self, slot: str) -> tuple[Policy, ...]:
        return tuple(source.policy for source in self.sources if source.slot == slot)

    def _compile(self) -> dict[str, CompiledPolicySet]:
        identity, boundary, resource = (
            self._slot(_IDENTITY), self._slot(_BOUNDARY), self._slot(_RESOURCE)
        )
        grant = _account_grant(self.principal.account or "")
        explained = [source for source in self.sources if source.slot in _EXPLAINED_SLOTS]
        sets = {
            "full": PolicySet(
                identity, resource[0] if resource else None, boundary[0] if boundary else None,
                scp_levels=self.scp_levels,
            ),
            _IDENTITY: PolicySet(identity, grant),
            "allows": PolicySet(
                tuple(_stripped(s.policy, s.slot, "Allow") for s in explained), grant
            ),
            "denies": PolicySet(
                tuple(_stripped(s.policy, s.slot, "Deny") for s in explained), grant
            ),
        }
        if boundary:
            sets[_BOUNDARY] = PolicySet(boundary, grant)
        if resource:
            sets[_RESOURCE] = PolicySet((_ALLOW_ALL,), resource[0])
        if self.scp_levels:
            sets[_SCP] = PolicySet((_ALLOW_ALL,), scp_levels=self.scp_levels)
        return {name: compile_policies(policy_set) for name, policy_set in sets.items()}

    # -- one request ----------------------------------------------------------------------

    def _request(self, action: str, resource: str, *, own_account: bool = False) -> Request:
        if own_account:
            account = self.principal.account
        else:
            account = None if _has_account(resource) else self.owner
        return Request(self.principal, action, resource, self.context, resource_account=account)

    def _verdict(self, name: str, request: Request) -> str:
        return _DECISIONS[self._sets[name].evaluate(request).outcome]

    def evaluate(self, action: str, resources: Sequence[str] | None) -> EvaluationResult:
        """The result of one action, on ``*`` (resources None) or on each resource."""
        results = [self.resource_result(action, r) for r in (resources or ["*"])]
        if resources is None:
            only = results[0]
            return EvaluationResult(
                action, "*", only.decision, only.statements, only.missing_context_values,
                only.boundary_allowed, only.organizations_allowed, only.details, None,
            )
        return _aggregate(action, results)

    def resource_result(self, action: str, resource: str) -> ResourceResult:
        request = self._request(action, resource)
        own = self._request(action, resource, own_account=True)
        decision = self._sets["full"].evaluate(request)
        outcome = _DECISIONS[decision.outcome]
        boundary = self._verdict(_BOUNDARY, own) == ALLOWED if _BOUNDARY in self._sets else None
        organizations = self._verdict(_SCP, own) == ALLOWED if _SCP in self._sets else None
        details = None
        if request.target_account != self.principal.account and organizations is not False:
            details = self._details(request, own)
        elif resource != "*":
            details = {}
        return ResourceResult(
            resource, outcome, self._matched(decision), self._missing_keys(own),
            boundary, organizations, details,
        )

    def _details(self, request: Request, own: Request) -> dict[str, str]:
        """How each policy type decides a cross-account request on its own."""
        details = {IAM_POLICY: self._verdict(_IDENTITY, own)}
        if _RESOURCE in self._sets:
            details[RESOURCE_POLICY] = self._verdict(_RESOURCE, request)
        if _BOUNDARY in self._sets:
            details[BOUNDARY_POLICY] = self._verdict(_BOUNDARY, own)
        return details

    # -- explanations ---------------------------------------------------------------------

    def _matched(self, decision: Decision) -> tuple[MatchedStatement, ...]:
        if decision.outcome is Outcome.IMPLICIT_DENY:
            return ()
        found: dict[tuple[str, str, int], MatchedStatement] = {}
        for ref in decision.statements:
            source = self._by_key.get((ref.policy_type.value, ref.policy_name))
            if source is None or source.slot not in _EXPLAINED_SLOTS:
                continue
            found.setdefault((*source.key, ref.index), self._statement(source, ref.index))
        return tuple(found.values())

    def _statement(self, source: Source, index: int) -> MatchedStatement:
        spans = self._spans.get(source.key)
        if spans is None:
            spans = self._spans[source.key] = statement_spans(source.text)
        start, end = spans[index] if index < len(spans) else (0, 0)
        return MatchedStatement(
            source.source_id, source.source_type,
            position(source.text, start), position(source.text, end),
        )

    def _missing_keys(self, own: Request) -> tuple[str, ...]:
        """Condition keys of the statements whose action and resource match, not supplied."""
        refs = [
            *self._sets["allows"].evaluate(own).statements,
            *self._sets["denies"].evaluate(own).statements,
        ]
        supplied = {key.lower() for key in self.context}
        missing: dict[str, str] = {}
        for ref in refs:
            slot, _, name = ref.policy_name.partition("|")
            source = self._by_key.get((slot, name))
            if source is None:
                continue
            for key in _statement_keys(source.policy, ref.index):
                if key.lower() not in supplied:
                    missing.setdefault(key.lower(), key)
        return tuple(missing.values())


def _has_account(resource: str) -> bool:
    parts = resource.split(":", 5)
    return len(parts) == 6 and bool(parts[4])


def _statement_keys(policy: Policy, index: int) -> list[str]:
    for statement in policy.statements:
        if statement.index == index:
            return [condition.key for condition in statement.conditions]
    return []


def _most_restrictive(decisions: Iterable[str]) -> str:
    return max(decisions, key=_RESTRICTIVENESS.__getitem__, default=ALLOWED)


def _aggregate(action: str, results: Sequence[ResourceResult]) -> EvaluationResult:
    """The top-level result over several resources: the most restrictive, and unions."""
    decision = _most_restrictive(result.decision for result in results)
    statements: dict[MatchedStatement, None] = {}
    missing: dict[str, str] = {}
    for result in results:
        if result.decision == decision:
            statements.update(dict.fromkeys(result.statements))
        for key in result.missing_context_values:
            missing.setdefault(key.lower(), key)
    details: dict[str, str] = {}
    for result in results:
        for policy_type, verdict in (result.details or {}).items():
            details[policy_type] = _most_restrictive([verdict, details.get(policy_type, ALLOWED)])
    return EvaluationResult(
        action, "*", decision, tuple(statements), tuple(missing.values()),
        _all(result.boundary_allowed for result in results),
        _all(result.organizations_allowed for result in results),
        details, tuple(results),
    )


def _all(values: Iterable[bool | None]) -> bool | None:
    known = [value for value in values if value is not None]
    return all(known) if known else None


def _run(
    simulation: Simulation, inputs: SimulationInput
) -> Page[EvaluationResult]:
    actions = checked_actions(inputs.action_names)
    resources = checked_resources(inputs.resource_arns)
    check_scenario(inputs.resource_handling_option, resources)
    page = slice_page(actions, inputs.marker, max_items(inputs.max_items))
    return Page([simulation.evaluate(action, resources) for action in page.items], page.marker)


# -- the principal's own policies -------------------------------------------------------------

_ENTITY_KINDS: dict[str, tuple[type[Any], PrincipalKind]] = {
    "user": (User, PrincipalKind.USER),
    "group": (Group, PrincipalKind.GROUP),
    "role": (Role, PrincipalKind.ROLE),
}
_TAGGED_KINDS = frozenset({"user", "role"})


@dataclass(frozen=True, slots=True)
class SourceEntity:
    """The user, group or role named by PolicySourceArn."""

    kind: str  # user | group | role
    entity: Any


def authorized_source(
    tx: Transaction, call: Call, action: str, policy_source_arn: str
) -> SourceEntity:
    """Authorize ``action`` on PolicySourceArn (its real ARN when it exists), then look it up."""
    match = _entity_arn(policy_source_arn)
    found = None
    if match is not None and match.group(1) == call.account_id:
        entity_class, _ = _ENTITY_KINDS[match.group(2)]
        entity = tx.get(entity_class, call.account_id, match.group(4))
        if entity is not None and entity.arn.lower() == policy_source_arn.lower():
            found = SourceEntity(match.group(2), entity)
    if found is None:
        authorize(call, action, policy_source_arn)
        if match is None:
            raise errors.InvalidInput(f"ARN {policy_source_arn} is not valid.")
        raise errors.NoSuchEntity(
            f"The {match.group(2)} with name {match.group(4)} cannot be found."
        )
    context = {}
    if found.kind in _TAGGED_KINDS:
        context = resource_tag_context(tx.tags(found.kind, found.entity.id))
    authorize(call, action, found.entity.arn, context)
    return found


def _owners(tx: Transaction, source: SourceEntity) -> list[tuple[PrincipalKind, str, str]]:
    """(kind, id, name) of whoever holds the source's identity policies (a user's groups too)."""
    _, kind = _ENTITY_KINDS[source.kind]
    owners = [(kind, source.entity.id, source.entity.name)]
    if kind is PrincipalKind.USER:
        for group_id in tx.lefts(Relation.GROUP_MEMBER, source.entity.id):
            group = tx.get_by_id(Group, group_id)
            if group is not None:
                owners.append((PrincipalKind.GROUP, group.id, group.name))
    return owners


def _managed_source(env: Env, tx: Transaction, arn: str, slot: str) -> Source | None:
    document = managed_document(env, tx, arn)
    if document is None:
        return None
    is_boundary = slot == _BOUNDARY
    kind = PolicyKind.BOUNDARY if is_boundary else PolicyKind.IDENTITY
    category = "aws-managed" if arn.startswith(f"arn:aws:iam::{AWS_ACCOUNT}:") else "user-managed"
    return Source(
        slot, parsed(document, kind, arn), document, arn.rsplit("/", 1)[-1],
        BOUNDARY_POLICY if is_boundary else IAM_POLICY,
        "permission-boundary" if is_boundary else category, arn,
    )


def stored_sources(env: Env, tx: Transaction, source: SourceEntity) -> list[Source]:
    """The source's inline and attached policies (its groups' too for a user) and boundary."""
    sources: dict[tuple[str, str], Source] = {}
    for kind, owner_id, owner_name in _owners(tx, source):
        for inline in tx.inline_policies(kind, owner_id):
            source_id = f"{kind.value}_{owner_name}_{inline.name}"
            policy = parsed(inline.document, PolicyKind.IDENTITY, source_id)
            sources[(_IDENTITY, source_id)] = Source(
                _IDENTITY, policy, inline.document, source_id, IAM_POLICY, "inline",
                inline=(kind.value, owner_name, inline.name),
            )
        for arn in tx.attached(kind, owner_id):
            managed = _managed_source(env, tx, arn, _IDENTITY)
            if managed is not None:
                sources.setdefault(managed.key, managed)
    boundary_arn = getattr(source.entity, "permissions_boundary", None)
    if boundary_arn:
        boundary = _managed_source(env, tx, boundary_arn, _BOUNDARY)
        if boundary is not None:
            sources[boundary.key] = boundary
    return list(sources.values())


# -- PolicyExclusionList ----------------------------------------------------------------------

_POLICY_ARN = re.compile(r"arn:aws:iam::(\d{12}|aws):policy(/|/[\x21-\x7e]*/)([^/]+)")


def _glob(pattern: str, what: str) -> re.Pattern[str]:
    """``*`` (at most one) and ``?`` as wildcards, everything else literal: a regex is never
    built from input, and one ``.*`` cannot backtrack badly."""
    if pattern.count("*") > 1:
        raise errors.InvalidInput(f"{what} {pattern} is not valid: use at most one *.")
    body = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.compile(body, re.IGNORECASE | re.DOTALL)


def _arn_pattern(arn: str) -> re.Pattern[str]:
    match = _POLICY_ARN.fullmatch(arn)
    if match is None or any(char in "*?" for char in arn[: match.start(3)]):
        raise errors.InvalidInput(
            f"PolicyArn {arn} is not valid: wildcards are allowed only in the policy name."
        )
    return _glob(arn, "PolicyArn")


@dataclass(frozen=True, slots=True)
class _Exclusion:
    """One PolicyIdentifier: a source is excluded when every field given matches it."""

    policy_type: str | None
    arn: re.Pattern[str] | None
    inline: tuple[str, re.Pattern[str], str] | None  # (attachment type, entity, policy name)

    @classmethod
    def of(cls, identifier: Mapping[str, Any]) -> _Exclusion:
        arn = identifier.get("PolicyArn")
        inline = identifier.get("InlinePolicyIdentifier")
        if identifier.get("PolicyType") is None and arn is None and inline is None:
            raise errors.InvalidInput(
                "A PolicyIdentifier needs a PolicyType, a PolicyArn or an "
                "InlinePolicyIdentifier."
            )
        held = None
        if inline is not None:
            parts = [inline.get(name) for name in ("AttachmentType", "AttachmentName",
                                                   "PolicyName")]
            if not all(parts):
                raise errors.InvalidInput(
                    "An InlinePolicyIdentifier needs a PolicyName, an AttachmentType and an "
                    "AttachmentName."
                )
            held = (parts[0], _glob(parts[1], "AttachmentName"), parts[2].lower())
        return cls(
            identifier.get("PolicyType"), None if arn is None else _arn_pattern(arn), held
        )

    def excludes(self, source: Source) -> bool:
        if self.policy_type is not None and source.category != self.policy_type:
            return False
        if self.arn is not None and not self._arn_matches(source):
            return False
        return self.inline is None or self._inline_matches(source)

    def _arn_matches(self, source: Source) -> bool:
        # An ARN alone names attached policies; with PolicyType it can name the boundary.
        if self.policy_type is None and source.category == "permission-boundary":
            return False
        return source.arn is not None and self.arn is not None and bool(
            self.arn.fullmatch(source.arn)
        )

    def _inline_matches(self, source: Source) -> bool:
        if source.inline is None or self.inline is None:
            return False
        kind, entity, name = source.inline
        wanted_kind, wanted_entity, wanted_name = self.inline
        return (
            kind == wanted_kind and name.lower() == wanted_name
            and wanted_entity.fullmatch(entity) is not None
        )


def excluded(sources: list[Source], identifiers: Sequence[Mapping[str, Any]]) -> list[Source]:
    """The sources no identifier excludes (identifiers that match nothing are ignored)."""
    exclusions = [_Exclusion.of(identifier) for identifier in identifiers]
    return [s for s in sources if not any(e.excludes(s) for e in exclusions)]


# -- the operations ---------------------------------------------------------------------------


def _simulation(
    sources: list[Source], inputs: SimulationInput, default_caller: str | None, account: str,
    scp_levels: tuple[tuple[Policy, ...], ...] = (),
) -> Simulation:
    """The stored or given sources plus the call's inputs (a given boundary replaces one)."""
    given_boundary = input_sources(
        inputs.permissions_boundary_policy_input_list, "PermissionsBoundaryPolicyInputList",
        PolicyKind.BOUNDARY,
    )
    if len(given_boundary) > 1:
        raise errors.InvalidInput(
            "The list of Permissions Boundary policies cannot exceed 1 items."
        )
    if given_boundary:
        sources = [source for source in sources if source.slot != _BOUNDARY] + given_boundary
    sources = sources + input_sources(inputs.policy_input_list, "PolicyInputList",
                                      PolicyKind.IDENTITY)
    resource = _resource_source(inputs.resource_policy)
    if resource is not None:
        sources.append(resource)
    principal = simulated_principal(inputs.caller_arn or default_caller, account)
    return Simulation(
        sources, principal, context_from(inputs.context_entries),
        owner_account(inputs.resource_owner), scp_levels,
    )


def simulate_principal_policy(
    env: Env, call: Call, policy_source_arn: str, inputs: SimulationInput,
    policy_exclusion_list: Sequence[Mapping[str, Any]] = (),
) -> Page[EvaluationResult]:
    """SimulatePrincipalPolicy: the policies of a user (its groups' too), group or role."""
    with env.store.read() as tx:
        source = authorized_source(tx, call, "iam:SimulatePrincipalPolicy", policy_source_arn)
        sources = excluded(stored_sources(env, tx, source), policy_exclusion_list)
    simulation = _simulation(sources, inputs, source.entity.arn, call.account_id)
    return _run(simulation, inputs)


def simulate_custom_policy(
    env: Env, call: Call, inputs: SimulationInput,
    scp_levels: Sequence[Sequence[str]] = (),
) -> Page[EvaluationResult]:
    """SimulateCustomPolicy: only the documents given in the call."""
    authorize(call, "iam:SimulateCustomPolicy", "*")
    if inputs.resource_policy is not None and inputs.caller_arn is None:
        raise errors.InvalidInput(
            "CallerArn is required when a ResourcePolicy is included in the simulation."
        )
    simulation = _simulation([], inputs, None, call.account_id, _scp_levels(scp_levels))
    return _run(simulation, inputs)


def context_keys(policies: Iterable[Policy]) -> list[str]:
    """Condition keys as written, in order of appearance, without case-insensitive repeats."""
    keys: dict[str, str] = {}
    for policy in policies:
        for statement in policy.statements:
            for condition in statement.conditions:
                keys.setdefault(condition.key.lower(), condition.key)
    return list(keys.values())


def get_context_keys_for_custom_policy(
    env: Env, call: Call, policy_input_list: Sequence[str]
) -> list[str]:
    authorize(call, "iam:GetContextKeysForCustomPolicy", "*")
    sources = input_sources(policy_input_list, "PolicyInputList", PolicyKind.IDENTITY)
    return context_keys(source.policy for source in sources)


def get_context_keys_for_principal_policy(
    env: Env, call: Call, policy_source_arn: str, policy_input_list: Sequence[str] = ()
) -> list[str]:
    """The keys of the source's policies (and its boundary's), then of the given ones."""
    with env.store.read() as tx:
        source = authorized_source(
            tx, call, "iam:GetContextKeysForPrincipalPolicy", policy_source_arn
        )
        sources = stored_sources(env, tx, source)
    sources += input_sources(policy_input_list, "PolicyInputList", PolicyKind.IDENTITY)
    return context_keys(source.policy for source in sources)
