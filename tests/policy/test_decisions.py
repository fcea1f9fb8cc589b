"""Table-driven decisions of the policy engine: every evaluation branch, each with its source.

The cases live in tests/policy/cases/decisions/*.json, one file per topic. Each request is a line
of the `iamd policy check` format (see `iamd.cli.checkformat`); a case states the outcome and,
where given, the Sids of the deciding statements and the policy type that denied (decisions 29
and 30 of docs/decisions/0001-policy-semantics.md). When the naive reference evaluator
(tests/reference.py) is present, it must agree with every case too.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import pytest

from iamd.cli.checkformat import load_request
from iamd.policy import evaluate
from tests.casefile import CASES_DIR, load_cases

DECISION_FILES = sorted(path.name for path in (CASES_DIR / "decisions").glob("*.json"))
CASES = [
    param
    for name in DECISION_FILES
    for param in load_cases(
        f"decisions/{name}",
        required=["request", "decision"],
        optional=["matched", "denied_by", "note"],
    )
]
OUTCOMES = {"Allow", "ExplicitDeny", "ImplicitDeny"}
POLICY_TYPES = {"identity", "resource", "boundary", "session", "scp", "rcp"}
SOURCE_PREFIXES = ("https://docs.aws.amazon.com/", "docs/decisions/0001-policy-semantics.md#")


def expected_of(case: dict[str, Any]) -> dict[str, Any]:
    """The parts of a decision the case pins down."""
    expected: dict[str, Any] = {"decision": case["decision"]}
    if "matched" in case:
        expected["matched"] = case["matched"]
    if "denied_by" in case:
        expected["denied_by"] = case["denied_by"]
    return expected


def restricted(answer: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    """The same parts of an actual answer, for one comparison with a readable diff."""
    return {key: answer[key] for key in expected_of(case)}


@pytest.mark.parametrize("case", CASES)
def test_engine_decides_as_documented(case: dict[str, Any]) -> None:
    request, policies = load_request(case["request"])
    decision = evaluate(request, policies)
    answer = {
        "decision": decision.outcome.value,
        "matched": [statement.sid for statement in decision.statements],
        "denied_by": None if decision.denied_by is None else decision.denied_by.value,
    }
    assert restricted(answer, case) == expected_of(case)


def _reference_decide() -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    if importlib.util.find_spec("tests.reference") is None:
        return None
    from tests import reference

    return getattr(reference, "decide", None)


reference_decide = _reference_decide()

if reference_decide is not None:

    @pytest.mark.parametrize("case", CASES)
    def test_reference_agrees(case: dict[str, Any]) -> None:
        assert reference_decide is not None
        raw = reference_decide(case["request"])
        answer = {
            "decision": raw["decision"],
            "matched": [statement["sid"] for statement in raw["matched"]],
            "denied_by": raw["denied_by"],
        }
        assert restricted(answer, case) == expected_of(case)


def test_there_are_cases_in_every_file() -> None:
    assert len(DECISION_FILES) >= 12
    assert len(CASES) >= 200


def test_descriptions_are_unique_across_files() -> None:
    ids = [param.id for param in CASES]
    assert len(ids) == len(set(ids))
    prefixes = [description.split(":", 1)[0] for description in ids]
    assert len(prefixes) == len(set(prefixes)), "case ids (before the colon) must be unique"


@pytest.mark.parametrize("case", CASES)
def test_case_is_well_formed(case: dict[str, Any]) -> None:
    assert case["decision"] in OUTCOMES
    assert case.get("source", "").startswith(SOURCE_PREFIXES)
    if case["decision"] == "Allow":
        assert "denied_by" not in case
    elif "denied_by" in case:
        assert case["denied_by"] in POLICY_TYPES
    if "matched" in case:
        assert all(isinstance(sid, str) and sid for sid in case["matched"])
        assert set(case["matched"]) <= _sids_in(case["request"]["policies"])


def _sids_in(policies: dict[str, Any]) -> set[str]:
    """Every Sid written in the policy documents of a request."""
    documents: list[Any] = []
    for key, value in policies.items():
        if key in ("resource", "boundary", "session"):
            documents.append(value)
        elif key in ("scp_levels", "rcp_levels"):
            documents.extend(document for level in value for document in level)
        else:
            documents.extend(value)
    sids = set()
    for document in documents:
        statements = document["Statement"]
        for statement in statements if isinstance(statements, list) else [statements]:
            if "Sid" in statement:
                sids.add(statement["Sid"])
    return sids
