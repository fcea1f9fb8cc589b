"""Validation of policy documents: the table in cases/validation.json, and size limits.

Each case is a document (a JSON value, or raw text in ``document_text`` for what only text can
express: bad JSON, repeated keys, forbidden characters), a policy kind, and whether it is valid.
An invalid case lists problems that must be among those reported, by exact path and a piece of
the message. A ``document`` case is checked twice: as a mapping and as JSON text.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from iamd.policy import PolicyKind, PolicyValidationError, parse_policy
from iamd.policy._errors import Problem
from iamd.policy._limits import (
    DEFAULT,
    DEFAULT_LIMITS,
    GROUP_INLINE_AGGREGATE,
    MANAGED_POLICY,
    RESOURCE_POLICY,
    ROLE_INLINE_AGGREGATE,
    SESSION_POLICY,
    TRUST_POLICY,
    TRUST_POLICY_RAISED,
    USER_INLINE_AGGREGATE,
    policy_size,
)
from tests.casefile import load_cases

CASES = load_cases(
    "validation.json",
    required=["valid"],
    optional=["kind", "document", "document_text", "errors"],
)


def _inputs(case: dict[str, Any]) -> list[Any]:
    has_document, has_text = "document" in case, "document_text" in case
    assert has_document != has_text, "a case has exactly one of document and document_text"
    if has_text:
        return [case["document_text"]]
    return [case["document"], json.dumps(case["document"], indent=2)]


def _describe(problems: tuple[Problem, ...]) -> str:
    return "\n".join(f"  {problem.path!r}: {problem.message}" for problem in problems)


@pytest.mark.parametrize("case", CASES)
def test_validation_case(case: dict[str, Any]) -> None:
    kind = case.get("kind", "identity")
    for document in _inputs(case):
        if case["valid"]:
            assert "errors" not in case
            try:
                policy = parse_policy(document, kind)
            except PolicyValidationError as error:
                pytest.fail(f"expected valid, got problems:\n{_describe(error.problems)}")
            assert policy.kind == PolicyKind(kind)
            continue
        expected = case.get("errors", [])
        assert expected, "an invalid case names at least one expected problem"
        with pytest.raises(PolicyValidationError) as raised:
            parse_policy(document, kind)
        problems = raised.value.problems
        for error in expected:
            assert any(
                problem.path == error["path"] and error["message_contains"] in problem.message
                for problem in problems
            ), f"missing {error} among:\n{_describe(problems)}"


def test_the_table_covers_every_kind_both_ways() -> None:
    seen = {(case.values[0].get("kind", "identity"), case.values[0]["valid"]) for case in CASES}
    for kind in PolicyKind:
        assert (kind.value, True) in seen, f"no valid {kind} case"
        assert (kind.value, False) in seen, f"no invalid {kind} case"
    assert len(CASES) >= 150


# -- size limits ---------------------------------------------------------------------------------


def _padded_document(size: int) -> str:
    """An identity policy of exactly ``size`` characters without white space, with padding."""
    skeleton = '{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/"}}'
    padding = size - len(skeleton)
    assert padding >= 0
    return skeleton.replace("b/", "b/" + "x" * padding)


def test_defaults_per_kind_follow_the_quotas() -> None:
    assert DEFAULT_LIMITS == {
        PolicyKind.IDENTITY: 6_144,
        PolicyKind.BOUNDARY: 6_144,
        PolicyKind.TRUST: 2_048,
        PolicyKind.SESSION: 2_048,
        PolicyKind.SCP: 5_120,
        PolicyKind.RCP: 5_120,
        PolicyKind.RESOURCE: 20_480,
    }
    assert (MANAGED_POLICY, TRUST_POLICY, TRUST_POLICY_RAISED, SESSION_POLICY) == (
        6_144, 2_048, 4_096, 2_048,
    )
    assert (USER_INLINE_AGGREGATE, GROUP_INLINE_AGGREGATE, ROLE_INLINE_AGGREGATE) == (
        2_048, 5_120, 10_240,
    )
    assert RESOURCE_POLICY == 20_480


def test_size_counts_characters_without_white_space() -> None:
    assert policy_size('{ "a" :\t"b c"\r\n}') == len('{"a":"bc"}')
    assert policy_size("é" * 3) == 3


def test_a_document_at_the_identity_limit_is_valid() -> None:
    document = _padded_document(MANAGED_POLICY)
    assert policy_size(document) == MANAGED_POLICY
    parse_policy(document)


def test_one_character_over_the_identity_limit_is_invalid() -> None:
    document = _padded_document(MANAGED_POLICY + 1)
    with pytest.raises(PolicyValidationError) as raised:
        parse_policy(document)
    [problem] = raised.value.problems
    assert problem.path == ""
    assert "6145 characters long without white space" in problem.message
    assert "the limit for an identity policy is 6144" in problem.message


def test_white_space_does_not_count_towards_the_limit() -> None:
    document = _padded_document(MANAGED_POLICY).replace(",", ",\n" + " " * 500)
    assert len(document) > MANAGED_POLICY + 1000
    parse_policy(document)


@pytest.mark.parametrize("kind", list(PolicyKind))
def test_each_kind_has_its_default_limit(kind: PolicyKind) -> None:
    limit = DEFAULT_LIMITS[kind]
    statement = {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}
    if kind in (PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.SESSION, PolicyKind.SCP):
        del statement["Principal"]
    if kind is PolicyKind.TRUST:
        del statement["Resource"]
    base = {"Version": "2012-10-17", "Statement": [statement]}
    parse_policy(base, kind)
    padding = limit - policy_size(json.dumps(base, separators=(",", ":")))
    at_limit = {**base, "Statement": [{**statement, "Sid": "S" * (padding - len(',"Sid":""'))}]}
    assert policy_size(json.dumps(at_limit)) == limit
    parse_policy(at_limit, kind)
    parse_policy(json.dumps(at_limit, indent=4), kind)
    over = {**base, "Statement": [{**statement, "Sid": "S" * (padding - len(',"Sid":""') + 1)}]}
    with pytest.raises(PolicyValidationError, match=f"the limit for .* is {limit}"):
        parse_policy(over, kind)
    parse_policy(over, kind, max_size=None)


def test_max_size_overrides_the_default() -> None:
    document = _padded_document(3000)
    parse_policy(document, max_size=3000)
    with pytest.raises(PolicyValidationError, match="is 2999"):
        parse_policy(document, max_size=2999)
    trust = {
        "Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
                      "Sid": "x" * 3000},
    }
    with pytest.raises(PolicyValidationError, match="the limit for a trust policy is 2048"):
        parse_policy(trust, "trust")
    with pytest.raises(PolicyValidationError, match="is 2048"):
        parse_policy(trust, "trust", max_size=DEFAULT)
    parse_policy(trust, "trust", max_size=TRUST_POLICY_RAISED)


def test_size_is_reported_with_the_other_problems() -> None:
    document = _padded_document(MANAGED_POLICY + 10).replace('"Allow"', '"Permit"')
    with pytest.raises(PolicyValidationError) as raised:
        parse_policy(document)
    messages = [problem.message for problem in raised.value.problems]
    assert any("characters long" in message for message in messages)
    assert any("`Permit` is not a valid Effect" in message for message in messages)


def test_a_negative_max_size_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="max_size") as raised:
        parse_policy('{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}', max_size=-5)
    assert not isinstance(raised.value, PolicyValidationError)
