"""parse_policy: what a parsed Policy holds, dump/parse round trips, and robustness.

The accept/reject rules themselves are in test_validation.py (the case table); this file checks
the shape of the result, that `dump_policy` inverts `parse_policy`, and that no input, however
malformed, raises anything but PolicyValidationError.
"""

from __future__ import annotations

import dataclasses
import json
import types
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamd.policy import Policy, PolicyKind, PolicyValidationError, parse_policy
from iamd.policy._errors import Problem
from iamd.policy._model import Condition, Effect, Principals, Statement
from iamd.policy._parse import dump_policy
from tests.casefile import load_cases

VALID_CASES = [
    case.values[0]
    for case in load_cases(
        "validation.json", required=["valid"],
        optional=["kind", "document", "document_text", "errors"],
    )
    if case.values[0]["valid"]
]


def _statement(**elements: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    statement.update(elements)
    return {key: value for key, value in statement.items() if value is not None}


def _one(statement: dict[str, Any], kind: str = "identity", **top: Any) -> Statement:
    policy = parse_policy({"Version": "2012-10-17", **top, "Statement": [statement]}, kind)
    [parsed] = policy.statements
    return parsed


# -- normalisation ------------------------------------------------------------------------------


def test_a_string_becomes_a_one_element_tuple_and_a_list_a_tuple() -> None:
    parsed = _one(_statement(Action="s3:GetObject", Resource=["arn:aws:s3:::a", "arn:aws:s3:::b"]))
    assert parsed.actions == ("s3:GetObject",)
    assert parsed.resources == ("arn:aws:s3:::a", "arn:aws:s3:::b")


def test_absent_elements_are_none_and_empty_lists_empty_tuples() -> None:
    parsed = _one(_statement(Action=[], Resource=[]))
    assert parsed.actions == ()
    assert parsed.resources == ()
    assert parsed.not_actions is None
    assert parsed.not_resources is None
    assert parsed.principal is None
    assert parsed.not_principal is None
    assert parsed.sid is None
    assert parsed.conditions == ()


def test_not_elements_fill_their_own_fields() -> None:
    parsed = _one(_statement(Effect="Deny", Action=None, NotAction="iam:*", Resource=None,
                             NotResource="arn:aws:s3:::keep"))
    assert parsed.effect is Effect.DENY
    assert (parsed.actions, parsed.not_actions) == (None, ("iam:*",))
    assert (parsed.resources, parsed.not_resources) == (None, ("arn:aws:s3:::keep",))


def test_statement_index_is_the_position_in_the_list() -> None:
    policy = parse_policy({"Statement": [
        _statement(Sid="First"), _statement(Sid="Second"), _statement(Sid="Third"),
    ]})
    assert [(s.index, s.sid) for s in policy.statements] == [
        (0, "First"), (1, "Second"), (2, "Third"),
    ]
    single = parse_policy({"Statement": _statement(Sid="Only")})
    assert [(s.index, s.sid) for s in single.statements] == [(0, "Only")]


def test_policy_fields() -> None:
    document = {"Version": "2008-10-17", "Id": "my-id", "Statement": _statement(
        Principal="*", Resource="arn:aws:s3:::b/*")}
    policy = parse_policy(document, "resource", name="bucket-policy")
    assert policy.kind is PolicyKind.RESOURCE
    assert policy.version == "2008-10-17"
    assert policy.id == "my-id"
    assert policy.name == "bucket-policy"
    assert policy.raw == document
    assert not policy.variables_enabled
    assert parse_policy({"Statement": _statement()}).version is None
    assert parse_policy({"Version": "2012-10-17", "Statement": _statement()}).variables_enabled


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("*", Principals(wildcard=True)),
        ({"AWS": "*"}, Principals(wildcard=True)),
        ({"AWS": ["*", "111122223333"]}, Principals(wildcard=True, aws=("111122223333",))),
        ({"AWS": "111122223333"}, Principals(aws=("111122223333",))),
        ({}, Principals()),
        (
            {
                "AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:user/Bob"],
                "Service": "lambda.amazonaws.com",
                "Federated": "accounts.google.com",
                "CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
            },
            Principals(
                aws=("arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:user/Bob"),
                service=("lambda.amazonaws.com",),
                federated=("accounts.google.com",),
                canonical_user=(
                    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
                ),
            ),
        ),
    ],
)
def test_principals_are_normalised(principal: Any, expected: Principals) -> None:
    parsed = _one(_statement(Principal=principal, Resource="arn:aws:s3:::b/*"), "resource")
    assert parsed.principal == expected
    assert parsed.principal is not None
    assert parsed.principal.raw == principal


def test_not_principal_is_normalised_like_principal() -> None:
    parsed = _one(
        _statement(Effect="Deny", NotPrincipal={"AWS": "111122223333"}, Resource="*"), "resource"
    )
    assert parsed.principal is None
    assert parsed.not_principal == Principals(aws=("111122223333",))


def test_conditions_keep_operator_and_key_as_written() -> None:
    parsed = _one(_statement(Condition={
        "ForAnyValue:StringLikeIfExists": {"AWS:PrincipalTag/Team": ["blue*", "red"]},
        "Bool": {"aws:SecureTransport": True},
        "StringEquals": {"aws:username": "bob", "aws:userid": "AIDA"},
    }))
    assert parsed.conditions == (
        Condition("ForAnyValue:StringLikeIfExists", "StringLike", "AWS:PrincipalTag/Team",
                  ("blue*", "red"), set_operator="ForAnyValue", if_exists=True),
        Condition("Bool", "Bool", "aws:SecureTransport", ("true",)),
        Condition("StringEquals", "StringEquals", "aws:username", ("bob",)),
        Condition("StringEquals", "StringEquals", "aws:userid", ("AIDA",)),
    )


def test_condition_values_become_strings() -> None:
    condition = {"NumericLessThan": {"s3:max-keys": [10, 1.5, "7", -3]},
                 "Bool": {"aws:SecureTransport": False}}
    parsed = _one(_statement(Condition=condition))
    assert [c.values for c in parsed.conditions] == [("10", "1.5", "7", "-3"), ("false",)]


def test_numbers_in_text_keep_their_json_text() -> None:
    text = (
        '{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": '
        '{"NumericEquals": {"s3:max-keys": [1.50, 1e3, 10, -0.25, 2E-2]}}}}'
    )
    [statement] = parse_policy(text).statements
    assert statement.conditions[0].values == ("1.50", "1e3", "10", "-0.25", "2E-2")


def test_kind_accepts_the_enum_or_its_value() -> None:
    document = {"Statement": _statement(Principal="*", Resource=None, Action="sts:AssumeRole")}
    assert parse_policy(document, "trust").kind is PolicyKind.TRUST
    assert parse_policy(document, PolicyKind.TRUST).kind is PolicyKind.TRUST


def test_an_unknown_kind_is_a_value_error_not_a_document_problem() -> None:
    with pytest.raises(ValueError, match="unknown policy kind `identity-ish`") as raised:
        parse_policy({"Statement": _statement()}, "identity-ish")
    assert not isinstance(raised.value, PolicyValidationError)


def test_bytes_must_be_utf8() -> None:
    document = '{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::café"}}'
    [statement] = parse_policy(document.encode("utf-8")).statements
    assert statement.resources == ("arn:aws:s3:::café",)
    with pytest.raises(PolicyValidationError, match="not UTF-8: byte 0xe9 at offset 72"):
        parse_policy(document.encode("latin-1"))


def test_any_mapping_is_accepted_and_left_untouched() -> None:
    statement = types.MappingProxyType({"Effect": "Allow", "Action": ("s3:GetObject", "s3:List*"),
                                        "Resource": "*"})
    document = types.MappingProxyType({"Statement": [statement]})
    [parsed] = parse_policy(document).statements
    assert parsed.actions == ("s3:GetObject", "s3:List*")
    assert dict(statement)["Action"] == ("s3:GetObject", "s3:List*")


def test_mapping_problems_name_the_path() -> None:
    cyclic: dict[str, Any] = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    cyclic["Condition"] = {"StringEquals": {"aws:username": [cyclic]}}
    cases: list[tuple[Any, Problem]] = [
        ({"Statement": {1: "x"}}, Problem("Statement", "key `1` is a number; JSON object keys "
                                                       "are strings")),
        ({"Statement": {"Action": {"s3:GetObject"}}},
         Problem("Statement.Action", "a set is not a JSON value")),
        ({"Statement": [cyclic]},
         Problem("Statement[0].Condition.StringEquals.aws:username[0]",
                 "the value contains itself")),
        ({"Version": float("inf"), "Statement": []},
         Problem("Version", "`inf` is not a JSON number")),
    ]
    for document, expected in cases:
        with pytest.raises(PolicyValidationError) as raised:
            parse_policy(document)
        assert raised.value.problems == (expected,)


def test_the_error_lists_every_problem_in_its_message() -> None:
    with pytest.raises(PolicyValidationError) as raised:
        parse_policy({"Statement": [{"Effect": "allow", "Action": "s3", "Resource": "*"}]})
    error = raised.value
    assert isinstance(error, ValueError)
    assert [problem.path for problem in error.problems] == [
        "Statement[0].Effect", "Statement[0].Action",
    ]
    assert str(error) == "; ".join(str(problem) for problem in error.problems)
    assert str(error).startswith("Statement[0].Effect: `allow` is not a valid Effect")


def test_the_policy_is_immutable() -> None:
    policy = parse_policy({"Statement": _statement()})
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.statements[0].actions = ("*",)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.version = "2012-10-17"  # type: ignore[misc]


# -- dumping ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case", VALID_CASES, ids=[case["description"] for case in VALID_CASES]
)
def test_dump_then_parse_gives_the_same_policy(case: dict[str, Any]) -> None:
    kind = case.get("kind", "identity")
    source = case.get("document", case.get("document_text"))
    policy = parse_policy(source, kind)
    dumped = dump_policy(policy)
    assert json.loads(json.dumps(dumped)) == dumped, "the dump is plain JSON"
    again = parse_policy(dumped, kind, max_size=None)
    assert again == policy
    assert dump_policy(again) == dumped


def test_dump_writes_the_canonical_shape() -> None:
    policy = parse_policy({
        "Statement": {
            "Condition": {"Bool": {"aws:SecureTransport": False},
                          "NumericLessThan": {"s3:max-keys": 10}},
            "Resource": "arn:aws:s3:::b/*", "Action": "s3:GetObject", "Principal": "*",
            "Effect": "Deny", "Sid": "NoPlainHttp",
        },
        "Id": "x", "Version": "2012-10-17",
    }, "resource")
    assert dump_policy(policy) == {
        "Version": "2012-10-17",
        "Id": "x",
        "Statement": [{
            "Sid": "NoPlainHttp",
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["s3:GetObject"],
            "Resource": ["arn:aws:s3:::b/*"],
            "Condition": {"Bool": {"aws:SecureTransport": ["false"]},
                          "NumericLessThan": {"s3:max-keys": ["10"]}},
        }],
    }


def test_dump_of_a_policy_built_by_hand() -> None:
    policy = Policy(
        kind=PolicyKind.RESOURCE,
        version="2012-10-17",
        statements=(
            Statement(index=0, effect=Effect.ALLOW, actions=("s3:GetObject",),
                      principal=Principals(wildcard=True, service=("sns.amazonaws.com",))),
            Statement(index=1, effect=Effect.DENY, not_actions=("s3:*",), resources=(),
                      not_principal=Principals(aws=("111122223333",))),
        ),
    )
    dumped = dump_policy(policy)
    assert dumped["Statement"][0]["Principal"] == {"AWS": ["*"], "Service": ["sns.amazonaws.com"]}
    assert dumped["Statement"][1]["NotPrincipal"] == {"AWS": ["111122223333"]}
    assert parse_policy(dumped, "resource") == policy


# -- properties ---------------------------------------------------------------------------------

ELEMENT_NAMES = [
    "Version", "Id", "Statement", "Sid", "Effect", "Principal", "NotPrincipal", "Action",
    "NotAction", "Resource", "NotResource", "Condition", "AWS", "Service", "Federated",
    "CanonicalUser", "StringEquals", "ForAllValues:StringLike", "Bool", "NumericLessThan",
    "DateGreaterThan", "IpAddress", "Null", "ArnLike", "aws:username", "aws:SourceIp",
]
SCALAR_STRINGS = st.sampled_from([
    "*", "Allow", "Deny", "2012-10-17", "2008-10-17", "s3:GetObject", "arn:aws:s3:::b/*",
    "arn:aws:iam::111122223333:root", "111122223333", "lambda.amazonaws.com", "true", "10",
    "${aws:username}", "${", "arn:aws:iam::1:u*", "2020-01-01T00:00:00Z", "10.0.0.0/8",
]) | st.text(max_size=20)
KEYS = st.sampled_from(ELEMENT_NAMES) | st.text(max_size=10)
SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | SCALAR_STRINGS
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=12,
)
SMALL_JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=3),
    max_leaves=5,
)
KINDS = st.sampled_from(list(PolicyKind))
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
QUICK = settings(FAST, max_examples=150)


def _parses_or_rejects(document: Any, kind: PolicyKind) -> None:
    """Parse ``document``: a valid one must round-trip, an invalid one must say why."""
    problems: tuple[Problem, ...] = ()
    try:
        policy = parse_policy(document, kind)
    except PolicyValidationError as error:
        problems = error.problems
    else:
        assert parse_policy(dump_policy(policy), kind, max_size=None) == policy
        return
    assert problems, "a rejection says why"
    assert all(isinstance(problem, Problem) and problem.message for problem in problems)


@FAST
@given(document=JSON_VALUES, kind=KINDS)
def test_arbitrary_json_never_raises_anything_else(document: Any, kind: PolicyKind) -> None:
    _parses_or_rejects(document, kind)
    _parses_or_rejects(json.dumps(document), kind)


@QUICK
@given(
    statement=st.dictionaries(KEYS, SMALL_JSON_VALUES, max_size=5),
    version=st.sampled_from(["2012-10-17", "2008-10-17", None]),
    kind=KINDS,
)
def test_arbitrary_statements_never_raise_anything_else(
    statement: dict[str, Any], version: str | None, kind: PolicyKind
) -> None:
    document: dict[str, Any] = {"Statement": [statement]}
    if version is not None:
        document["Version"] = version
    _parses_or_rejects(document, kind)
    _parses_or_rejects(json.dumps(document), kind)


def _mutated(document: Any, data: st.DataObject) -> Any:
    """``document`` with one value somewhere inside it replaced by arbitrary JSON."""
    if not isinstance(document, dict | list) or not document or data.draw(st.booleans()):
        return data.draw(JSON_VALUES)
    if isinstance(document, dict):
        key = data.draw(st.sampled_from(sorted(document)))
        return {**document, key: _mutated(document[key], data)}
    index = data.draw(st.integers(0, len(document) - 1))
    return [*document[:index], _mutated(document[index], data), *document[index + 1 :]]


DOCUMENT_CASES = [case for case in VALID_CASES if "document" in case]


@QUICK
@given(case=st.sampled_from(DOCUMENT_CASES), data=st.data())
def test_mutated_valid_documents_never_raise_anything_else(
    case: dict[str, Any], data: st.DataObject
) -> None:
    kind = PolicyKind(case.get("kind", "identity"))
    document = _mutated(case["document"], data)
    _parses_or_rejects(document, kind)
    _parses_or_rejects(json.dumps(document), kind)


@FAST
@given(text=st.text(max_size=200) | st.binary(max_size=200).map(bytes), kind=KINDS)
def test_arbitrary_text_and_bytes_never_raise_anything_else(
    text: str | bytes, kind: PolicyKind
) -> None:
    _parses_or_rejects(text, kind)


@settings(max_examples=100, deadline=None)
@given(
    document=st.dictionaries(
        st.integers() | st.tuples(st.integers()) | st.none() | st.sampled_from(ELEMENT_NAMES),
        JSON_VALUES | st.sets(st.integers(), max_size=2) | st.just(object()),
        max_size=4,
    ),
)
def test_mappings_with_non_json_content_never_raise_anything_else(
    document: dict[Any, Any],
) -> None:
    _parses_or_rejects(document, PolicyKind.IDENTITY)


def test_deep_nesting_and_huge_inputs_are_rejected_cleanly() -> None:
    for text in ("[" * 100_000, "[" * 5_000 + "]" * 5_000, '{"a":' * 50_000 + "1" + "}" * 50_000):
        with pytest.raises(PolicyValidationError):
            parse_policy(text, max_size=None)
    nested: Any = "x"
    for _ in range(10_000):
        nested = [nested]
    with pytest.raises(PolicyValidationError, match="nest more than"):
        parse_policy({"Statement": _statement(Resource=nested)})
    huge = json.dumps({"Statement": _statement(Resource="arn:aws:s3:::" + "b" * 2_000_000)})
    with pytest.raises(PolicyValidationError, match="characters long"):
        parse_policy(huge)
    assert parse_policy(huge, max_size=None).statements[0].resources is not None
    with pytest.raises(PolicyValidationError, match="digits is too long"):
        parse_policy('{"Statement": [], "Version": ' + "9" * 5_000 + "}")
    with pytest.raises(PolicyValidationError, match="too long"):
        parse_policy({"Statement": [], "Version": 10**5_000})


ACTIONS = st.sampled_from(["*", "s3:GetObject", "s3:Get*", "iam:*", "ec2:Describe?nstances"])
RESOURCES = st.sampled_from([
    "*", "arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*", "arn:aws:iam::*:user/${aws:username}",
    "arn:aws:logs:*:*:log-group:*",
])
CONDITION_BLOCKS = st.dictionaries(
    st.sampled_from(["StringEquals", "ForAnyValue:StringLike", "StringNotEqualsIfExists"]),
    st.dictionaries(st.sampled_from(["aws:username", "aws:PrincipalTag/team", "s3:prefix"]),
                    st.lists(st.sampled_from(["a", "b*", "${aws:username}"]), max_size=3)
                    | st.sampled_from(["x", "y"]),
                    max_size=3),
    max_size=3,
) | st.fixed_dictionaries({}, optional={
    "NumericLessThan": st.fixed_dictionaries(
        {"aws:MultiFactorAuthAge": st.sampled_from([1, 2.5, "3"])}),
    "Bool": st.fixed_dictionaries({"aws:SecureTransport": st.booleans()}),
    "IpAddress": st.fixed_dictionaries({"aws:SourceIp": st.sampled_from(["10.0.0.0/8", "::1"])}),
})


def _string_or_list(values: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return values | st.lists(values, max_size=3)


STATEMENTS = st.fixed_dictionaries(
    {
        "Effect": st.sampled_from(["Allow", "Deny"]),
        "Action": _string_or_list(ACTIONS),
        "Resource": _string_or_list(RESOURCES),
    },
    optional={"Sid": st.sampled_from(["", "One", "Two2"]), "Condition": CONDITION_BLOCKS},
)


@QUICK
@given(statements=st.lists(STATEMENTS, min_size=1, max_size=3), as_text=st.booleans())
def test_generated_valid_policies_round_trip(
    statements: list[dict[str, Any]], as_text: bool
) -> None:
    unique: list[dict[str, Any]] = []
    seen: set[str] = set()
    for statement in statements:  # a non-empty Sid may appear once: drop repeats
        sid = statement.get("Sid", "")
        unique.append({k: v for k, v in statement.items() if k != "Sid" or sid not in seen})
        seen.add(sid) if sid else None
    document = {"Version": "2012-10-17", "Statement": unique}
    policy = parse_policy(json.dumps(document) if as_text else document)
    assert len(policy.statements) == len(statements)
    assert parse_policy(dump_policy(policy)) == policy
