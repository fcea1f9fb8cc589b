"""Condition operators: value checks for validation, and compiled predicates for evaluation.

`compile_conditions` turns the conditions of one statement into a single predicate over the
request context (lower-cased keys; values ``str`` or ``tuple[str, ...]`` for multivalued keys).
Everything that does not depend on the request is done once here: policy values are parsed
(numbers, dates, networks, bytes), globs compiled, equality values put in frozensets. The
rules are decisions 4-15 of docs/decisions/0001-policy-semantics.md:

* operators and keys are ANDed, in the order written; values of one key are ORed, or NORed
  for negated operators;
* absent key: positive operators false, negated true, ``...IfExists`` true, ``ForAllValues:``
  true, ``ForAnyValue:`` false (``ForAnyValue:...IfExists``: true, the key does not exist);
* a plain operator on a multivalued key is false; a set operator on a single value sees a
  one-element set; ``ForAllValues:`` on an empty set is true, ``ForAnyValue:`` false;
* ``Null`` looks only at presence;
* a request value that is not of the operator's type matches no policy value;
* a policy variable without value (absent, multivalued, no default) makes its policy value
  match nothing. A policy value that is not of the operator's type also matches nothing
  (validation rejects those documents; compiling never fails).

Source: reference_policies_elements_condition_operators.html,
reference_policies_condition-single-vs-multi-valued-context-keys.html.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import ipaddress
import re
import socket
import sys
from collections.abc import Callable, Mapping
from functools import lru_cache

from ._glob import GlobSet, TemplateGlob, template_matcher
from ._model import Condition
from ._operators import OPERATORS, OperatorInfo, ValueType
from ._request import ContextValue
from ._variables import Chunk, Template, parse_template, text_resolver

Context = Mapping[str, ContextValue]
Predicate = Callable[[Context], bool]
ValueTest = Callable[[str], bool]

# ---------------------------------------------------------------------------------------------
# Typed values: what validation checks and what the comparators read.

_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_EPOCH = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_ISO_DATE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(\.[0-9]+)?)?"
    r"(Z|[-+][0-9]{2}:[0-9]{2})?)?"
)
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
_BOOLEANS = frozenset({"true", "false"})
_NEVER: ValueTest = lambda value: False  # noqa: E731  # a constant test
_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def parse_number(text: str) -> float | None:
    """A JSON-style integer or decimal (``10``, ``-2.5``, ``1e3``) as a float; else None."""
    if _NUMBER.fullmatch(text) is None:
        return None
    return float(text)


def parse_date(text: str) -> float | None:
    """A date as epoch seconds, else None.

    Accepted (decision 10): epoch seconds, integer or decimal; ``YYYY-MM-DD``;
    ``YYYY-MM-DDThh:mm[:ss[.fff]][Z|±hh:mm]``. No zone means UTC.
    """
    if _EPOCH.fullmatch(text) is not None:
        return float(text)
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        ordinal = datetime.date(int(year), int(month), int(day)).toordinal()
    except ValueError:
        return None
    seconds = float((ordinal - _EPOCH_ORDINAL) * 86400)
    if hour is None:
        return seconds
    hours, minutes = int(hour), int(minute)
    whole_seconds = int(second) if second is not None else 0
    if hours > 23 or minutes > 59 or whole_seconds > 59:
        return None
    seconds += hours * 3600 + minutes * 60 + whole_seconds
    if fraction is not None:
        seconds += float(fraction)
    if zone is not None and zone != "Z":
        offset_hours, offset_minutes = int(zone[1:3]), int(zone[4:6])
        if offset_hours > 23 or offset_minutes > 59:
            return None
        offset = offset_hours * 3600 + offset_minutes * 60
        seconds += -offset if zone[0] == "+" else offset
    return seconds


def parse_binary(text: str) -> bytes | None:
    """Standard base64 (with padding) decoded; else None."""
    if _BASE64.fullmatch(text) is None:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def parse_network(
    text: str,
) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """An address (a /32 or /128) or a CIDR block; host bits may be set. Else None."""
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def value_problem(info: OperatorInfo, value: str) -> str | None:
    """Why ``value`` cannot be a policy value of operator ``info``; None when it can.

    String and ARN values are never a problem here (variables are checked by the caller).
    """
    value_type = info.value_type
    if value_type is ValueType.NUMERIC and parse_number(value) is None:
        return f"`{value}` is not a number, as `{info.name}` requires"
    if value_type is ValueType.DATE and parse_date(value) is None:
        return (
            f"`{value}` is not a date, as `{info.name}` requires "
            "(ISO 8601 such as `2020-01-01T00:00:00Z`, or epoch seconds)"
        )
    if value_type in (ValueType.BOOL, ValueType.NULL) and value.lower() not in _BOOLEANS:
        return f"`{value}` is not `true` or `false`, as `{info.name}` requires"
    if value_type is ValueType.BINARY and parse_binary(value) is None:
        return f"`{value}` is not base64, as `{info.name}` requires"
    if value_type is ValueType.IP and parse_network(value) is None:
        return f"`{value}` is not an IP address or CIDR block, as `{info.name}` requires"
    return None


# ---------------------------------------------------------------------------------------------
# Compilation.


def compile_conditions(
    conditions: tuple[Condition, ...], variables_enabled: bool
) -> Predicate | None:
    """One predicate for a statement's conditions (all must hold); None when there are none.

    ``variables_enabled``: the policy's Version is 2012-10-17, so ``${...}`` in String and ARN
    values is a policy variable (or an escape); otherwise it is literal text.

    Raises:
        ValueError: a condition names an unknown operator.
    """
    if not conditions:
        return None
    return _all_of([compile_condition(condition, variables_enabled) for condition in conditions])


def compile_condition(condition: Condition, variables_enabled: bool) -> Predicate:
    """The predicate of one ``operator -> key -> values`` entry.

    Raises:
        ValueError: ``condition.base`` is not an operator name.
    """
    info = OPERATORS.get(condition.base)
    if info is None:
        raise ValueError(f"unknown condition operator `{condition.base}`")
    key = sys.intern(condition.key.lower())  # the context's keys are interned too
    if info.value_type is ValueType.NULL:
        return _null_predicate(key, condition.values)
    set_operator = condition.set_operator
    if set_operator is None:
        absent_result = info.negated or condition.if_exists
    else:
        absent_result = set_operator == "ForAllValues" or condition.if_exists
    for_all = set_operator == "ForAllValues"

    if info.variables:
        templates = tuple(_template(value, variables_enabled) for value in condition.values)
        if any(template.has_variables for template in templates):
            if set_operator is None:
                fast = _plain_single_variable_equality(key, info, templates, absent_result)
                if fast is not None:
                    return fast
                return _plain_dynamic(key, _dynamic_test(info, templates), absent_result)
            return _set_dynamic(key, _dynamic_test(info, templates), absent_result, for_all)
        patterns = tuple(template.static_chunks() for template in templates)
    else:
        patterns = tuple(((value, True),) for value in condition.values)

    if set_operator is None:
        members = _membership(info, patterns)
        if members is not None:
            return _plain_membership(key, members, info.negated, absent_result)
        return _plain_predicate(key, _value_test(info, patterns), absent_result)
    return _set_predicate(key, _value_test(info, patterns), absent_result, for_all)


def _template(value: str, variables_enabled: bool) -> Template:
    """The value as a template; literal text when variables are off or it is malformed."""
    if variables_enabled:
        try:
            return parse_template(value)
        except ValueError:
            pass  # validation reports it; evaluation treats the text literally
    return Template(value, (value,) if value else ())


def _all_of(predicates: list[Predicate]) -> Predicate:
    """AND in order, short-circuiting."""
    if len(predicates) == 1:
        return predicates[0]
    if len(predicates) == 2:
        first, second = predicates
        return lambda context: first(context) and second(context)
    if len(predicates) == 3:
        first, second, third = predicates
        return lambda context: first(context) and second(context) and third(context)
    ordered = tuple(predicates)

    def all_hold(context: Context) -> bool:
        for predicate in ordered:  # noqa: SIM110  # a loop, not a generator per call: hot path
            if not predicate(context):
                return False
        return True

    return all_hold


def _null_predicate(key: str, values: tuple[str, ...]) -> Predicate:
    wanted = {value.lower() for value in values}
    if wanted >= _BOOLEANS:
        return lambda context: True
    if "true" in wanted:
        return lambda context: key not in context
    if "false" in wanted:
        return lambda context: key in context
    return lambda context: False


# -- Key lookup around a per-value test -------------------------------------------------------
# A plain operator: absent -> ``absent_result``; multivalued -> false; else the value test.
# A set operator: absent -> ``absent_result``; a single value is a one-element set.


def _plain_predicate(key: str, test: ValueTest, absent_result: bool) -> Predicate:
    def check(context: Context) -> bool:
        value = context.get(key)
        if value is None:
            return absent_result
        return isinstance(value, str) and test(value)

    return check


def _plain_membership(
    key: str, members: tuple[frozenset[str], bool], negated: bool, absent_result: bool
) -> Predicate:
    """String equality and Bool, the most common conditions, inlined as set membership."""
    allowed, lower = members
    if lower and negated:

        def check_not_in_lowered(context: Context) -> bool:
            value = context.get(key)
            if value is None:
                return absent_result
            if not isinstance(value, str):
                return False
            return value not in allowed and value.lower() not in allowed

        return check_not_in_lowered
    if lower:

        def check_in_lowered(context: Context) -> bool:
            value = context.get(key)
            if value is None:
                return absent_result
            if not isinstance(value, str):
                return False
            return value in allowed or value.lower() in allowed

        return check_in_lowered
    if negated:

        def check_not_in(context: Context) -> bool:
            value = context.get(key)
            if value is None:
                return absent_result
            return isinstance(value, str) and value not in allowed

        return check_not_in

    def check_in(context: Context) -> bool:
        value = context.get(key)
        if value is None:
            return absent_result
        return isinstance(value, str) and value in allowed

    return check_in


def _set_predicate(key: str, test: ValueTest, absent_result: bool, for_all: bool) -> Predicate:
    if for_all:

        def check_all(context: Context) -> bool:
            value = context.get(key)
            if value is None:
                return absent_result
            if isinstance(value, str):
                return test(value)
            for item in value:  # noqa: SIM110  # a loop, not a generator per call: hot path
                if not test(item):
                    return False
            return True

        return check_all

    def check_any(context: Context) -> bool:
        value = context.get(key)
        if value is None:
            return absent_result
        if isinstance(value, str):
            return test(value)
        for item in value:  # noqa: SIM110  # a loop, not a generator per call: hot path
            if test(item):
                return True
        return False

    return check_any


def _plain_dynamic(key: str, test: DynamicTest, absent_result: bool) -> Predicate:
    def check(context: Context) -> bool:
        value = context.get(key)
        if value is None:
            return absent_result
        return isinstance(value, str) and test(value, context)

    return check


def _set_dynamic(key: str, test: DynamicTest, absent_result: bool, for_all: bool) -> Predicate:
    def check(context: Context) -> bool:
        value = context.get(key)
        if value is None:
            return absent_result
        if isinstance(value, str):
            return test(value, context)
        if for_all:
            return all(test(item, context) for item in value)
        return any(test(item, context) for item in value)

    return check


def _plain_single_variable_equality(
    key: str, info: OperatorInfo, templates: tuple[Template, ...], absent_result: bool
) -> Predicate | None:
    """``StringEquals {key: "${aws:username}"}`` and its negation: no per-call set."""
    if len(templates) != 1 or info.name not in ("StringEquals", "StringNotEquals"):
        return None
    resolver = text_resolver(templates[0])
    negated = info.negated

    def check(context: Context) -> bool:
        value = context.get(key)
        if value is None:
            return absent_result
        if not isinstance(value, str):
            return False
        expected = resolver(context)
        if negated:
            return expected is None or value != expected
        return expected is not None and value == expected

    return check


# -- Per-value tests: does one request value satisfy op(value, policy values)? ------------------
# ``patterns`` holds the policy values as chunks (see _variables): for operators without
# wildcards only their joined text matters.

_STRING_EQUALITY = frozenset(
    {"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"}
)
_IGNORE_CASE = frozenset({"StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"})
_LIKE = frozenset({"StringLike", "StringNotLike"})


def _text(chunks: tuple[Chunk, ...]) -> str:
    return "".join(text for text, _ in chunks)


def _membership(
    info: OperatorInfo, patterns: tuple[tuple[Chunk, ...], ...]
) -> tuple[frozenset[str], bool] | None:
    """``(values, compare lower-cased)`` for operators that are set membership, else None."""
    if info.name in _STRING_EQUALITY:
        lower = info.name in _IGNORE_CASE
        texts = (_text(chunks) for chunks in patterns)
        return frozenset(text.lower() if lower else text for text in texts), lower
    if info.value_type is ValueType.BOOL:
        booleans = (_text(chunks).lower() for chunks in patterns)
        return frozenset(text for text in booleans if text in _BOOLEANS), True
    return None


def _value_test(info: OperatorInfo, patterns: tuple[tuple[Chunk, ...], ...]) -> ValueTest:
    """The test of one request value against all the (variable-free) policy values."""
    members = _membership(info, patterns)
    if members is not None:
        allowed, lower = members
        if lower:
            if info.negated:
                return lambda value: value.lower() not in allowed
            return lambda value: value.lower() in allowed
        if info.negated:
            return lambda value: value not in allowed
        return allowed.__contains__
    value_type = info.value_type
    if value_type in (ValueType.STRING, ValueType.ARN):
        return _glob_test(info, patterns)
    values = tuple(_text(chunks) for chunks in patterns)
    if value_type is ValueType.NUMERIC:
        return _ordered_test(info.name, "Numeric", parse_number, values)
    if value_type is ValueType.DATE:
        return _ordered_test(info.name, "Date", _request_date, values)
    if value_type is ValueType.BINARY:
        decoded = frozenset(data for data in map(parse_binary, values) if data is not None)
        return lambda value: parse_binary(value) in decoded
    if value_type is ValueType.IP:
        return _ip_test(info.negated, values)
    raise AssertionError(f"no value test for `{info.name}`")  # pragma: no cover


def _glob_test(info: OperatorInfo, patterns: tuple[tuple[Chunk, ...], ...]) -> ValueTest:
    """StringLike (free glob) and Arn* (ARN glob), sorted into set, prefixes and one regex."""
    globs = GlobSet()
    for chunks in patterns:
        if info.name in _LIKE:
            globs.add_free(chunks)
        else:
            globs.add_arn(chunks)  # a value that is not an ARN pattern matches nothing
    test = globs.test()
    if info.negated:
        return lambda value: not test(value)
    return test


def _ordered_test(
    name: str, family: str, parse: Callable[[str], float | None], values: tuple[str, ...]
) -> ValueTest:
    """Numeric* and Date*: both sides parsed to floats; unparseable values match nothing."""
    numbers = [number for number in map(parse, values) if number is not None]
    comparison = name[len(family) :]
    if comparison == "Equals":
        equal = frozenset(numbers)
        return lambda value: parse(value) in equal
    if comparison == "NotEquals":
        unequal = frozenset(numbers)
        return lambda value: parse(value) not in unequal
    if not numbers:
        return _NEVER
    # r < any p  <=>  r < max(P); r > any p  <=>  r > min(P).
    if comparison == "LessThan":
        bound = max(numbers)
        return lambda value: (number := parse(value)) is not None and number < bound
    if comparison == "LessThanEquals":
        bound = max(numbers)
        return lambda value: (number := parse(value)) is not None and number <= bound
    if comparison == "GreaterThan":
        bound = min(numbers)
        return lambda value: (number := parse(value)) is not None and number > bound
    if comparison == "GreaterThanEquals":
        bound = min(numbers)
        return lambda value: (number := parse(value)) is not None and number >= bound
    raise AssertionError(f"no comparison `{name}`")  # pragma: no cover


@lru_cache(maxsize=1024)
def _request_date(text: str) -> float | None:
    """`parse_date`, cached: request dates (aws:CurrentTime) repeat within a second."""
    return parse_date(text)


def _ip_test(negated: bool, values: tuple[str, ...]) -> ValueTest:
    """IpAddress / NotIpAddress over precomputed (network, mask) integers per IP version.

    Results are memoised per request value (bounded): a caller's address repeats from request
    to request, and a dictionary hit is cheaper than parsing it again.
    """
    blocks: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
    for value in values:
        network = parse_network(value)
        if network is not None:
            blocks[network.version].append(
                (int(network.network_address), int(network.netmask))
            )
    ipv4 = tuple(blocks[4])
    ipv6 = tuple(blocks[6])
    inet_pton = socket.inet_pton
    from_bytes = int.from_bytes
    memo: dict[str, bool] = {}

    def matches(value: str) -> bool:
        result = memo.get(value)
        if result is not None:
            return result
        # One function on the hot path: the address is parsed and compared inline.
        family, networks = (socket.AF_INET6, ipv6) if ":" in value else (socket.AF_INET, ipv4)
        try:
            number = from_bytes(inet_pton(family, value), "big")
        except (OSError, ValueError):  # not an address (ValueError: non-ASCII, NUL)
            result = negated
        else:
            result = negated
            for network, mask in networks:
                if number & mask == network:
                    result = not negated
                    break
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        memo[value] = result
        return result

    return matches


_MEMO_SIZE = 1024


# -- Values with policy variables: resolved against each request --------------------------------

DynamicTest = Callable[[str, Context], bool]


def _dynamic_test(info: OperatorInfo, templates: tuple[Template, ...]) -> DynamicTest:
    """For String*/Arn* values with variables: (request value, context) -> op(value, P).

    Variable-free values are compiled once; the others are resolved per request (compiled
    globs are cached per variable value), and a value whose variable has no value is left out:
    it matches nothing, so negated operators count it as "not equal".
    """
    static = tuple(template.static_chunks() for template in templates if not template.has_variables)
    dynamic = tuple(template for template in templates if template.has_variables)
    positive = info if not info.negated else OPERATORS[_POSITIVE[info.name]]
    matches = (
        _dynamic_equality(positive, static, dynamic)
        if info.name in _STRING_EQUALITY
        else _dynamic_glob(positive, static, dynamic)
    )
    if info.negated:
        return lambda value, context: not matches(value, context)
    return matches


_POSITIVE = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _dynamic_equality(
    info: OperatorInfo, static: tuple[tuple[Chunk, ...], ...], dynamic: tuple[Template, ...]
) -> DynamicTest:
    lower = info.name in _IGNORE_CASE
    static_texts = frozenset(text.lower() if lower else text for text in map(_text, static))
    resolvers = tuple(text_resolver(template) for template in dynamic)

    def equal_to_any(value: str, context: Context) -> bool:
        if lower:
            value = value.lower()
        if value in static_texts:
            return True
        for resolver in resolvers:
            text = resolver(context)
            if text is not None and value == (text.lower() if lower else text):
                return True
        return False

    return equal_to_any


def _dynamic_glob(
    info: OperatorInfo, static: tuple[tuple[Chunk, ...], ...], dynamic: tuple[Template, ...]
) -> DynamicTest:
    arn = info.value_type is ValueType.ARN
    globs = tuple(TemplateGlob(template, arn=arn) for template in dynamic)
    return template_matcher(_glob_test(info, static) if static else None, globs)
