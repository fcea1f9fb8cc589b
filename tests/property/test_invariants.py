"""Properties every decision must have, whatever the policies.

Each example is a random request line (tests/generate.py, seeded by hypothesis) and a change
to it: one more Deny or Allow statement somewhere, a new or narrower boundary or session
policy, another spelling of the action. The properties run against the engine (through the
check format) and against the reference evaluator (tests/reference.py), which must both obey
them.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from iamd.cli import checkformat
from iamd.policy import Request, compile_policies, evaluate
from tests import reference
from tests.generate import ACTIONS, LineGenerator, random_case

Line = dict[str, Any]
Answer = dict[str, Any]

SETTINGS = settings(max_examples=200, derandomize=True, deadline=None, database=None)
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)

TRUST_ACTIONS = {"sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity"}
PRINCIPAL_POLICY_TYPES = ("user", "role-session", "federated")
RCP_FULL_ACCESS = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
MATCHES_NOTHING = {"Effect": "Allow", "Action": [], "Resource": "*"}


def engine_decide(line: Line) -> Answer:
    request, policies = checkformat.load_request(line)
    decision = evaluate(request, policies)
    denied_by = decision.denied_by.value if decision.denied_by is not None else None
    return {**checkformat.decision_to_json(decision), "denied_by": denied_by}


EVALUATORS = pytest.mark.parametrize(
    "decide", [engine_decide, reference.decide], ids=["iamd", "reference"]
)
Decide = Callable[[Line], Answer]


# -- changes to a line ---------------------------------------------------------------------


def as_statement_list(document: dict[str, Any]) -> list[dict[str, Any]]:
    if isinstance(document["Statement"], dict):
        document["Statement"] = [document["Statement"]]
    return document["Statement"]


def new_document(statement: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [statement]}


def add_statement(generator: LineGenerator, line: Line, effect: str) -> Line:
    """A copy of ``line`` with one more ``effect`` statement in a random place, in an existing
    document or a new one (a new identity policy, boundary, SCP level, ...)."""
    rng = generator.rng
    changed = copy.deepcopy(line)
    policies = changed.setdefault("policies", {})
    slot = rng.choice(("identity", "boundary", "session", "resource", "scp", "rcp"))
    if slot == "rcp" and effect == "Allow":
        statement = dict(RCP_FULL_ACCESS)  # the only Allow an RCP may hold
    else:
        kind = slot
        if slot == "resource":
            kind = "trust" if line["action"].lower() in TRUST_ACTIONS else "resource"
        broad = rng.random() < 0.5  # whole services on every resource: it often applies
        statement = generator.statement(kind, line["principal"], effect=effect, broad=broad)

    if slot in ("boundary", "session", "resource"):
        if policies.get(slot) is None:
            policies[slot] = new_document(statement)
        else:
            as_statement_list(policies[slot]).append(statement)
        return changed
    documents = documents_to_extend(rng, policies, slot)
    if documents and rng.random() < 0.7:
        as_statement_list(rng.choice(documents)).append(statement)
    else:
        documents.append(new_document(statement))
    return changed


def documents_to_extend(rng: random.Random, policies: dict[str, Any], slot: str) -> list:
    """The list of documents of ``slot`` (one SCP or RCP level) that the change goes into."""
    if slot == "identity":
        return policies.setdefault("identity", [])
    levels_key = f"{slot}_levels"
    if policies.get(levels_key) is not None:
        levels = policies[levels_key]
        if not levels or rng.random() < 0.2:
            levels.append([])
        return rng.choice(levels)
    if policies.get(slot) is None:
        policies[slot] = []
    return policies[slot]


def narrow(generator: LineGenerator, line: Line) -> Line | None:
    """A copy of ``line`` with a new boundary or session policy, or with Allow statements
    removed from its boundary or session policy. None when none of those applies."""
    rng = generator.rng
    principal_type = line["principal"]["type"]
    if principal_type not in PRINCIPAL_POLICY_TYPES:
        return None
    changed = copy.deepcopy(line)
    policies = changed.setdefault("policies", {})
    options = []
    if policies.get("boundary") is None:
        options.append("add boundary")
    # A federated session without a session policy allows nothing: adding one would widen.
    if policies.get("session") is None and principal_type == "role-session":
        options.append("add session")
    for slot in ("boundary", "session"):
        document = policies.get(slot)
        if document is not None and any(
            statement["Effect"] == "Allow" for statement in as_statement_list(document)
        ):
            options.append(f"narrow {slot}")
    if not options:
        return None
    action, slot = rng.choice(options).split()
    if action == "add":
        policies[slot] = generator.document(slot)
        return changed
    statements = as_statement_list(policies[slot])
    allows = [statement for statement in statements if statement["Effect"] == "Allow"]
    removed = rng.sample(allows, rng.randint(1, len(allows)))
    kept = [statement for statement in statements if not any(statement is r for r in removed)]
    policies[slot]["Statement"] = kept or [dict(MATCHES_NOTHING)]
    return changed


def is_subsequence(short: list[Any], long: list[Any]) -> bool:
    remaining = iter(long)
    return all(item in remaining for item in short)


# -- the properties ------------------------------------------------------------------------


@EVALUATORS
@SETTINGS
@given(seed=SEEDS)
def test_a_deny_never_grants_nor_lifts_a_deny(decide: Decide, seed: int) -> None:
    generator = LineGenerator(seed)
    line = generator.line()
    before = decide(line)
    after = decide(add_statement(generator, line, "Deny"))
    if before["decision"] != "Allow":
        assert after["decision"] != "Allow"
    if before["decision"] == "ExplicitDeny":
        assert after["decision"] == "ExplicitDeny"
        assert is_subsequence(before["matched"], after["matched"])


@EVALUATORS
@SETTINGS
@given(seed=SEEDS)
def test_an_allow_never_overrides_an_explicit_deny(decide: Decide, seed: int) -> None:
    generator = LineGenerator(seed, deny_rate=0.6)
    line = generator.line()
    before = decide(line)
    after = decide(add_statement(generator, line, "Allow"))
    if before["decision"] == "ExplicitDeny":
        assert after["decision"] == "ExplicitDeny"
        # A new boundary can add denies (the NotPrincipal trap), never remove one.
        assert is_subsequence(before["matched"], after["matched"])


@EVALUATORS
@SETTINGS
@given(seed=SEEDS)
def test_boundaries_and_session_policies_only_narrow(decide: Decide, seed: int) -> None:
    generator = LineGenerator(seed)
    line = generator.line()
    narrower = narrow(generator, line)
    assume(narrower is not None)
    assert narrower is not None
    before, after = decide(line), decide(narrower)
    if before["decision"] != "Allow":
        assert after["decision"] != "Allow"
    if before["decision"] == "ExplicitDeny":
        assert after["decision"] == "ExplicitDeny"


@SETTINGS
@given(seed=SEEDS)
def test_compiled_sets_answer_like_one_shot_evaluation(seed: int) -> None:
    generator = LineGenerator(seed)
    line = generator.line()
    request, policies = checkformat.load_request(line)
    compiled = compile_policies(policies)
    first = compiled.evaluate(request)
    assert evaluate(request, policies) == first
    # Other actions in between must not disturb what the compiled set remembers.
    for service, names in ACTIONS.items():
        for name in names[:2]:
            other = Request(request.principal, f"{service}:{name}", request.resource,
                            request.context, request.resource_account)  # fmt: skip
            assert compiled.evaluate(other) == evaluate(other, policies)
    assert compiled.evaluate(request) == first
    assert evaluate(request, compiled) == first
    assert checkformat.load_request(line)[1] == policies  # parsing is deterministic too


@EVALUATORS
@SETTINGS
@given(seed=SEEDS)
def test_the_case_of_the_action_never_matters(decide: Decide, seed: int) -> None:
    generator = LineGenerator(seed)
    line = generator.line()
    respelled = {**line, "action": random_case(generator.rng, line["action"])}
    assert decide(respelled) == decide(line)


@EVALUATORS
@SETTINGS
@given(seed=SEEDS)
def test_the_case_of_context_keys_never_matters(decide: Decide, seed: int) -> None:
    generator = LineGenerator(seed)
    line = generator.line()
    context = {random_case(generator.rng, key): value for key, value in line["context"].items()}
    assert decide({**line, "context": context}) == decide(line)
