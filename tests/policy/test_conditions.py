"""Condition operators: table-driven cases (cases/conditions.json) and value checks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from iamd.policy._conditions import (
    compile_condition,
    compile_conditions,
    parse_date,
    parse_number,
    value_problem,
)
from iamd.policy._model import Condition
from iamd.policy._operators import OPERATORS, parse_operator
from iamd.policy._request import normalize_context
from tests.casefile import load_cases

CASES = load_cases(
    "conditions.json",
    required=["condition", "context", "expected"],
    optional=["version"],
)


def build_conditions(block: dict[str, Any]) -> tuple[Condition, ...]:
    """The `Condition` objects of a JSON Condition block, in the order written."""
    conditions = []
    for operator, keys in block.items():
        parsed = parse_operator(operator)
        for key, values in keys.items():
            listed = values if isinstance(values, list) else [values]
            conditions.append(
                Condition(
                    operator=operator,
                    base=parsed.info.name,
                    key=key,
                    values=tuple(_value_text(value) for value in listed),
                    set_operator=parsed.set_operator,
                    if_exists=parsed.if_exists,
                )
            )
    return tuple(conditions)


def _value_text(value: object) -> str:
    """A JSON scalar as the parser stores it: ``true`` -> ``"true"``, numbers as JSON text."""
    return value if isinstance(value, str) else json.dumps(value)


def evaluate(block: dict[str, Any], context: dict[str, Any], version: str | None) -> bool:
    predicate = compile_conditions(build_conditions(block), version == "2012-10-17")
    if predicate is None:
        return True
    return predicate(normalize_context(context))


@pytest.mark.parametrize("case", CASES)
def test_condition_case(case: dict[str, Any]) -> None:
    version = case.get("version", "2012-10-17")
    assert evaluate(case["condition"], case["context"], version) is case["expected"]


def test_every_operator_has_cases() -> None:
    """Each operator appears in the table plain, with IfExists (but Null) and negated forms."""
    used = set()
    for param in CASES:
        used.update(param.values[0]["condition"])
    bases = {parse_operator(name).info.name for name in used}
    assert bases == set(OPERATORS)
    for name in OPERATORS:
        if name != "Null":
            assert f"{name}IfExists" in used, name
            assert any(
                operator.startswith(("ForAllValues:", "ForAnyValue:"))
                and parse_operator(operator).info.name == name
                for operator in used
            ), name


def test_no_conditions_compile_to_none() -> None:
    assert compile_conditions((), True) is None


def test_unknown_operator_is_rejected_when_compiling() -> None:
    condition = Condition("StringEqualz", "StringEqualz", "aws:username", ("a",))
    with pytest.raises(ValueError, match="StringEqualz"):
        compile_condition(condition, True)


def test_conditions_are_evaluated_in_order_and_short_circuit() -> None:
    """A false first condition means later keys are never looked up."""
    conditions = build_conditions(
        {"StringEquals": {"a:first": "x"}, "StringLike": {"a:second": "*"}}
    )
    predicate = compile_conditions(conditions, True)
    assert predicate is not None

    class Recorder(dict[str, str]):
        looked_up: list[str]

        def get(self, key: str, default: object = None) -> Any:
            self.looked_up.append(key)
            return super().get(key, default)

    context = Recorder({"a:first": "no", "a:second": "y"})
    context.looked_up = []
    assert predicate(context) is False
    assert context.looked_up == ["a:first"]


def test_compiled_predicates_can_be_reused_across_contexts() -> None:
    predicate = compile_conditions(
        build_conditions({"StringLike": {"s3:prefix": "home/${aws:username}/*"}}), True
    )
    assert predicate is not None
    assert predicate({"s3:prefix": "home/a/x", "aws:username": "a"})
    assert not predicate({"s3:prefix": "home/a/x", "aws:username": "b"})
    assert predicate({"s3:prefix": "home/b/x", "aws:username": "b"})


# -- parse_number / parse_date / value_problem ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10", 10.0),
        ("10.0", 10.0),
        ("-2.5", -2.5),
        ("1e3", 1000.0),
        ("007", 7.0),
        ("ten", None),
        ("", None),
        (" 10", None),
        ("1_000", None),
        ("nan", None),
        ("inf", None),
        ("+1", None),
        (".5", None),
        ("٣", None),
    ],
)
def test_parse_number(text: str, expected: float | None) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1577836800", 1577836800.0),
        ("1577836800.25", 1577836800.25),
        ("2020-01-01", 1577836800.0),
        ("2020-01-01T00:00Z", 1577836800.0),
        ("2020-01-01T00:00:00Z", 1577836800.0),
        ("2020-01-01T00:00:00.5Z", 1577836800.5),
        ("2020-01-01T01:30:00+01:30", 1577836800.0),
        ("2019-12-31T19:00:00-05:00", 1577836800.0),
        ("2020-01-01T00:00:00", 1577836800.0),
        ("1969-12-31T23:59:59Z", -1.0),
        ("2020-02-30", None),
        ("2020-13-01", None),
        ("2020-01-01T24:00:00Z", None),
        ("2020-01-01T00:60Z", None),
        ("2020-01-01T00:00:00+24:00", None),
        ("2020-1-1", None),
        ("2020-01-01 00:00:00", None),
        ("2020-01-01T00Z", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_parse_date(text: str, expected: float | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("operator", "value", "problem"),
    [
        ("NumericEquals", "10.5", None),
        ("NumericLessThan", "ten", "`ten` is not a number"),
        ("DateGreaterThan", "2020-01-01T00:00:00Z", None),
        ("DateGreaterThan", "1577836800", None),
        ("DateEquals", "01/01/2020", "`01/01/2020` is not a date"),
        ("Bool", "TRUE", None),
        ("Bool", "yes", "`yes` is not `true` or `false`"),
        ("Null", "False", None),
        ("Null", "absent", "`absent` is not `true` or `false`"),
        ("IpAddress", "203.0.113.0/24", None),
        ("NotIpAddress", "2001:DB8::/32", None),
        ("IpAddress", "203.0.113.7", None),
        ("IpAddress", "203.0.113.300", "is not an IP address or CIDR block"),
        ("IpAddress", "10.0.0.0/33", "is not an IP address or CIDR block"),
        ("BinaryEquals", "QmluYXJ5", None),
        ("BinaryEquals", "not base64!", "is not base64"),
        ("BinaryEquals", "QQ", "is not base64"),
        ("StringEquals", "anything ${at} all", None),
        ("ArnLike", "arn:aws:s3:::*", None),
    ],
)
def test_value_problem(operator: str, value: str, problem: str | None) -> None:
    found = value_problem(OPERATORS[operator], value)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found
        assert operator in found


@pytest.mark.parametrize("operator", ["IpAddress", "NotIpAddress"])
def test_ip_results_stay_correct_past_the_memo_size(operator: str) -> None:
    """The per-value memo of IP tests is bounded; answers are the same before and after."""
    predicate = compile_conditions(
        build_conditions({operator: {"aws:SourceIp": "10.0.0.0/16"}}), True
    )
    assert predicate is not None
    inside = operator == "IpAddress"
    for round_ in range(2):
        for number in range(1500):
            address = f"10.{number % 2}.{number // 256}.{number % 256}"
            expected = inside if number % 2 == 0 else not inside
            assert predicate({"aws:sourceip": address}) is expected, (round_, address)
