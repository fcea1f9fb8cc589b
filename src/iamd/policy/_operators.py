"""The condition operator table: names, negation, value types, where variables are allowed.

Shared by validation (`_parse`) and evaluation (`_conditions`) so that both agree on what
an operator is. Source: reference_policies_elements_condition_operators.html.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ValueType(enum.Enum):
    STRING = "string"
    NUMERIC = "numeric"
    DATE = "date"
    BOOL = "bool"
    BINARY = "binary"
    IP = "ip"
    ARN = "arn"
    NULL = "null"


@dataclass(frozen=True, slots=True)
class OperatorInfo:
    name: str
    value_type: ValueType
    negated: bool = False
    variables: bool = False  # policy variables honoured in the values
    wildcards: bool = False  # `*` and `?` in the values are wildcards


def _family(value_type: ValueType, names: dict[str, bool], *, variables: bool = False,
            wildcards: tuple[str, ...] = ()) -> dict[str, OperatorInfo]:
    return {
        name: OperatorInfo(name, value_type, negated, variables, name in wildcards)
        for name, negated in names.items()
    }


OPERATORS: dict[str, OperatorInfo] = {
    **_family(
        ValueType.STRING,
        {
            "StringEquals": False,
            "StringNotEquals": True,
            "StringEqualsIgnoreCase": False,
            "StringNotEqualsIgnoreCase": True,
            "StringLike": False,
            "StringNotLike": True,
        },
        variables=True,
        wildcards=("StringLike", "StringNotLike"),
    ),
    **_family(
        ValueType.NUMERIC,
        {
            "NumericEquals": False,
            "NumericNotEquals": True,
            "NumericLessThan": False,
            "NumericLessThanEquals": False,
            "NumericGreaterThan": False,
            "NumericGreaterThanEquals": False,
        },
    ),
    **_family(
        ValueType.DATE,
        {
            "DateEquals": False,
            "DateNotEquals": True,
            "DateLessThan": False,
            "DateLessThanEquals": False,
            "DateGreaterThan": False,
            "DateGreaterThanEquals": False,
        },
    ),
    **_family(ValueType.BOOL, {"Bool": False}),
    **_family(ValueType.BINARY, {"BinaryEquals": False}),
    **_family(ValueType.IP, {"IpAddress": False, "NotIpAddress": True}),
    # ArnEquals and ArnLike are the same operator: both honour wildcards.
    **_family(
        ValueType.ARN,
        {"ArnEquals": False, "ArnLike": False, "ArnNotEquals": True, "ArnNotLike": True},
        variables=True,
        wildcards=("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"),
    ),
    **_family(ValueType.NULL, {"Null": False}),
}

SET_OPERATORS = ("ForAllValues", "ForAnyValue")
IF_EXISTS = "IfExists"


@dataclass(frozen=True, slots=True)
class ParsedOperator:
    info: OperatorInfo
    set_operator: str | None
    if_exists: bool


def parse_operator(text: str) -> ParsedOperator:
    """Split ``[ForAllValues:|ForAnyValue:]Name[IfExists]``; names are case-sensitive.

    Raises:
        ValueError: the operator is unknown, has an unknown prefix, or is ``NullIfExists``.
    """
    set_operator: str | None = None
    name = text
    if ":" in text:
        prefix, _, name = text.partition(":")
        if prefix not in SET_OPERATORS:
            raise ValueError(f"unknown condition operator prefix `{prefix}`")
        set_operator = prefix
    if_exists = False
    info = OPERATORS.get(name)
    if info is None and name.endswith(IF_EXISTS):
        info = OPERATORS.get(name[: -len(IF_EXISTS)])
        if_exists = info is not None
        if info is not None and info.value_type is ValueType.NULL:
            raise ValueError("`NullIfExists` is not a condition operator")
    if info is None:
        raise ValueError(f"unknown condition operator `{text}`")
    return ParsedOperator(info, set_operator, if_exists)
