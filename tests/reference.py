"""A deliberately naive reference evaluator: docs/decisions/0001 as slow, obvious code.

`decide(line)` answers one request line of the ``iamd policy check`` format (see
``iamd.cli.checkformat``) with ``{"decision", "matched", "denied_by"}``. It re-reads the JSON
documents on every call, loops over every statement and matches with hand-written globs and
the standard library's parsers. It imports nothing from iamd: it is an independent
implementation that the differential test (tests/property/test_differential.py) holds the
engine to. Documents are assumed valid for their kind; nothing here validates.

The numbers in comments (``# 17``) are the decisions of docs/decisions/0001-policy-semantics.md.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

VERSION_2012 = "2012-10-17"

# The resource policy of these actions is a role trust policy (no Resource element).
TRUST_ACTIONS = {"sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity"}
# 26: the resource policy must allow these, even within one account.
MUST_ALLOW_ACTIONS = TRUST_ACTIONS | {"sts:tagsession", "sts:setsourceidentity", "sts:setcontext"}

ACCOUNT_TYPES = {"user", "role-session", "federated", "root"}  # callers that have an account
RESOURCE_ONLY_TYPES = {"idp", "service", "anonymous"}  # 24: only a resource policy can allow
# Callers whose identity, boundary and session policies count (23, 24).
PRINCIPAL_POLICY_TYPES = {"user", "role-session", "federated"}

# Ways a resource-policy Principal can match the caller (19).
DIRECT = "direct"
VIA_SOURCE = "via-source"
ACCOUNT = "account"

# --------------------------------------------------------------------------------------------
# The request


@dataclass
class Caller:
    type: str
    arn: str | None
    account: str | None
    source_arn: str | None


@dataclass
class Request:
    caller: Caller
    action: str
    resource: str
    resource_account: str | None  # the effective one
    context: dict[str, Any]  # lower-cased keys; str, or tuple of str for multivalued keys
    has_boundary: bool


def context_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return value if isinstance(value, str) else str(value)


def read_request(line: dict[str, Any]) -> Request:
    principal = line["principal"]
    caller_type = principal["type"]
    arn = principal.get("arn")
    account = principal.get("account")
    if account is None and arn and caller_type in ACCOUNT_TYPES:
        fields = arn.split(":", 5)
        if len(fields) == 6 and fields[4]:
            account = fields[4]
    caller = Caller(caller_type, arn, account, principal.get("source_arn"))

    resource = line.get("resource", "*")
    resource_account = line.get("resource_account")
    if resource_account is None:
        fields = resource.split(":", 5)
        if len(fields) == 6 and fields[0] == "arn" and fields[4]:
            resource_account = fields[4]
        else:
            resource_account = caller.account

    context: dict[str, Any] = {}
    for key, value in (line.get("context") or {}).items():  # 1, 2
        if isinstance(value, list):
            context[key.lower()] = tuple(context_text(item) for item in value)
        else:
            context[key.lower()] = context_text(value)

    policies = line.get("policies") or {}
    return Request(
        caller=caller,
        action=line["action"],
        resource=resource,
        resource_account=resource_account,
        context=context,
        # 23, 24: a boundary given for another kind of caller is ignored, trap included.
        has_boundary=policies.get("boundary") is not None and caller_type in PRINCIPAL_POLICY_TYPES,
    )


# --------------------------------------------------------------------------------------------
# Globs and policy variables


def glob_to_regex(chunks: list[tuple[str, bool]]) -> str:
    """A regex for chunks of ``(text, wildcards)``; only chunks with wildcards get `*`/`?`."""
    pieces = []
    for text, wildcards in chunks:
        for char in text:
            if wildcards and char == "*":
                pieces.append(".*")
            elif wildcards and char == "?":
                pieces.append(".")
            else:
                pieces.append(re.escape(char))
    return "".join(pieces)


def glob_match(chunks: list[tuple[str, bool]], text: str, *, ignore_case: bool = False) -> bool:
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(glob_to_regex(chunks), text, flags) is not None


def substitute(text: str, context: dict[str, Any]) -> list[tuple[str, bool]] | None:
    """Replace ``${key}``, ``${key, 'default'}`` and ``${*}``/``${?}``/``${$}`` in ``text``.

    Returns ``(text, wildcards)`` chunks: policy text keeps its wildcards, substituted values
    and escapes are literal. None when a variable has no value and no default (8, 18).
    """
    chunks: list[tuple[str, bool]] = []
    position = 0
    while True:
        start = text.find("${", position)
        if start < 0:
            chunks.append((text[position:], True))
            return chunks
        chunks.append((text[position:start], True))
        close = text.find("}", start)
        body = text[start + 2 : close]
        default = None
        if "," in body:  # ${key, 'default'}: the default runs up to the first '}
            key = body.split(",", 1)[0]
            default_start = text.find(", '", start) + 3
            default_end = text.find("'}", default_start)
            default = text[default_start:default_end]
            close = default_end + 1
        else:
            key = body
        position = close + 1
        if key in ("*", "?", "$"):
            chunks.append((key, False))
            continue
        value = context.get(key.lower())
        if not isinstance(value, str):  # absent, or multivalued: no value (8)
            value = default
        if value is None:
            return None
        chunks.append((value, False))


def template(text: str, context: dict[str, Any], variables: bool) -> list[tuple[str, bool]] | None:
    return substitute(text, context) if variables else [(text, True)]


def split_chunks_at_colons(chunks: list[tuple[str, bool]], count: int) -> list[list]:
    """Split chunks at their first ``count`` colons, whatever chunk the colons are in."""
    fields: list[list[tuple[str, bool]]] = [[]]
    for text, wildcards in chunks:
        rest = text
        while ":" in rest and len(fields) <= count:
            before, rest = rest.split(":", 1)
            fields[-1].append((before, wildcards))
            fields.append([])
        fields[-1].append((rest, wildcards))
    return fields


def arn_glob_match(pattern: list[tuple[str, bool]], arn: str) -> bool:
    """13, 17: six fields, each glob-matched; `*`/`?` never cross `:` in the first five."""
    pattern_fields = split_chunks_at_colons(pattern, 5)
    arn_fields = arn.split(":", 5)
    if len(pattern_fields) != 6 or len(arn_fields) != 6:
        return False
    return all(
        glob_match(pattern_field, arn_field)
        for pattern_field, arn_field in zip(pattern_fields, arn_fields, strict=True)
    )


# --------------------------------------------------------------------------------------------
# Action, Resource, Principal


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def action_matches(pattern: str, action: str) -> bool:
    return glob_match([(pattern, True)], action, ignore_case=True)  # 16


def resource_matches(pattern: str, resource: str, context: dict[str, Any], variables: bool) -> bool:
    if pattern == "*":
        return True
    if resource == "*":  # 17: only "*" matches the resource of a wildcard-only action
        return False
    fields = pattern.split(":", 5)
    if len(fields) != 6:
        return False
    resource_field = template(fields[5], context, variables)  # 18: variables only here
    if resource_field is None:
        return False
    # 17: in the first five fields `?` and an inner `*` stay in their field, but a `*` that
    # ends a field may run on over colons; the resource field is one free glob.
    head = ""
    for arn_field in fields[:5]:
        ends_with_star = arn_field.endswith("*")
        core = arn_field[:-1] if ends_with_star else arn_field
        head += "".join(
            "[^:]*" if char == "*" else "[^:]" if char == "?" else re.escape(char) for char in core
        )
        head += (".*" if ends_with_star else "") + ":"
    return re.fullmatch(head + glob_to_regex(resource_field), resource, re.DOTALL) is not None


def account_of_principal(value: str) -> str | None:
    """The account of an account principal (``ACCT`` or ``arn:PARTITION:iam::ACCT:root``)."""
    if re.fullmatch(r"\d{12}", value):
        return value
    fields = value.split(":")
    if len(fields) == 6 and fields[0] == "arn" and fields[2] == "iam" and fields[5] == "root":
        return fields[4]
    return None


def principal_arn_kind(value: str) -> str | None:
    fields = value.split(":", 5)
    if len(fields) != 6:
        return None
    service, resource = fields[2], fields[5]
    if service == "iam" and resource.startswith("user/"):
        return "user"
    if service == "iam" and resource.startswith("role/"):
        return "role"
    if service == "sts" and resource.startswith(("assumed-role/", "federated-user/")):
        return "session"
    return None


def is_session_of_role(caller: Caller, role_arn: str) -> bool:
    """19: by ``source_arn`` when given, else account and role name from the session ARN."""
    if caller.type != "role-session":
        return False
    if caller.source_arn is not None:
        return caller.source_arn == role_arn
    session_fields = (caller.arn or "").split(":", 5)
    role_fields = role_arn.split(":", 5)
    if len(session_fields) != 6 or len(role_fields) != 6:
        return False
    session_path = session_fields[5].split("/")  # assumed-role/ROLE/SESSION
    role_name = role_fields[5].split("/")[-1]  # role/path/name
    return (
        len(session_path) >= 2
        and session_fields[4] == role_fields[4]
        and session_path[1] == role_name
    )


def principal_ways(element: Any, caller: Caller) -> set[str]:
    """19: how a Principal element matches the caller (empty set: it does not)."""
    if element == "*":
        return {DIRECT}
    ways: set[str] = set()
    for key, values in element.items():
        for value in as_list(values):
            ways |= one_principal_ways(key, value, caller)
    return ways


def one_principal_ways(key: str, value: str, caller: Caller) -> set[str]:
    if key == "AWS":
        if value == "*":
            return {DIRECT}
        account = account_of_principal(value)
        if account is not None:
            if caller.type in ACCOUNT_TYPES and caller.account == account:
                return {ACCOUNT}
            return set()
        kind = principal_arn_kind(value)
        if kind == "user" and caller.type == "user" and caller.arn == value:
            return {DIRECT}
        if kind == "user" and caller.type == "federated" and caller.source_arn == value:
            return {VIA_SOURCE}
        if kind == "role" and is_session_of_role(caller, value):
            return {VIA_SOURCE}
        if kind == "session" and caller.type in ("role-session", "federated"):
            return {DIRECT} if caller.arn == value else set()
        return set()
    if key == "Service":
        return {DIRECT} if caller.type == "service" and caller.arn == value else set()
    if key == "Federated":
        return {DIRECT} if caller.type == "idp" and caller.arn == value else set()
    return set()  # CanonicalUser never matches


def exempt_from_not_principal(element: Any, caller: Caller, has_boundary: bool) -> bool:
    """20: the caller escapes a NotPrincipal only when its whole chain is listed."""
    if has_boundary:
        return False
    if element == "*" or "*" in as_list(element.get("AWS", [])):
        return True
    if caller.type == "anonymous":
        return False
    aws = as_list(element.get("AWS", []))
    services = as_list(element.get("Service", []))
    account_listed = any(account_of_principal(value) == caller.account for value in aws)
    if caller.type in ("user", "federated"):
        return caller.arn in aws and account_listed
    if caller.type == "role-session":
        role_listed = any(
            principal_arn_kind(value) == "role" and is_session_of_role(caller, value)
            for value in aws
        )
        return caller.arn in aws and role_listed and account_listed
    if caller.type == "root":
        return account_listed
    if caller.type == "service":
        return caller.arn in services
    # idp: 0001 does not say; like a service, by its name (the provider).
    return caller.arn in as_list(element.get("Federated", []))


# --------------------------------------------------------------------------------------------
# Conditions

NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}
WITH_VARIABLES = {
    "StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike",
}  # fmt: skip
COMPARISONS = {
    "Equals": lambda a, b: a == b,
    "LessThan": lambda a, b: a < b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThan": lambda a, b: a > b,
    "GreaterThanEquals": lambda a, b: a >= b,
}
ISO_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?"
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def policy_value_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return value if isinstance(value, str) else json.dumps(value)


def parse_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def parse_date(text: str) -> Decimal | None:
    """10: epoch seconds or ISO 8601, as seconds since the epoch (no zone means UTC)."""
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return Decimal(text)
    match = ISO_DATE.fullmatch(text)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
            tzinfo=UTC,
        )  # fmt: skip
    except ValueError:
        return None
    if zone and zone != "Z":
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        moment = moment - offset if zone[0] == "+" else moment + offset
    elapsed = moment - EPOCH
    return Decimal(elapsed.days * 86400 + elapsed.seconds) + Decimal(fraction or "0")


def parse_binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def base_matches(base: str, request_value: str, policy_value: list[tuple[str, bool]]) -> bool:
    """One request value against one (substituted) policy value, for a positive operator."""
    policy_text = "".join(text for text, _ in policy_value)
    if base == "StringEquals":
        return request_value == policy_text
    if base == "StringEqualsIgnoreCase":
        return request_value.lower() == policy_text.lower()
    if base == "StringLike":
        return glob_match(policy_value, request_value)
    if base in ("ArnEquals", "ArnLike"):
        return arn_glob_match(policy_value, request_value)
    if base.startswith("Numeric"):
        left, right = parse_number(request_value), parse_number(policy_text)
        compare = COMPARISONS[base.removeprefix("Numeric")]
        return left is not None and right is not None and compare(left, right)
    if base.startswith("Date"):
        left_date, right_date = parse_date(request_value), parse_date(policy_text)
        compare = COMPARISONS[base.removeprefix("Date")]
        return left_date is not None and right_date is not None and compare(left_date, right_date)
    if base == "Bool":
        return request_value.lower() == policy_text.lower()
    if base == "BinaryEquals":
        request_bytes = parse_binary(request_value)
        return request_bytes is not None and request_bytes == parse_binary(policy_text)
    if base == "IpAddress":
        try:
            address = ipaddress.ip_address(request_value)
        except ValueError:
            return False
        return address in ipaddress.ip_network(policy_text, strict=False)
    raise AssertionError(f"unknown operator {base}")


def split_operator(operator: str) -> tuple[str | None, str, bool]:
    """``ForAnyValue:StringLikeIfExists`` -> ("ForAnyValue", "StringLike", True)."""
    set_operator = None
    if ":" in operator:
        set_operator, operator = operator.split(":", 1)
    if operator.endswith("IfExists"):
        return set_operator, operator.removesuffix("IfExists"), True
    return set_operator, operator, False


def condition_holds(operator: str, key: str, raw_values: Any, request: Request,
                    variables: bool) -> bool:  # fmt: skip
    set_operator, name, if_exists = split_operator(operator)
    policy_values = [policy_value_text(value) for value in as_list(raw_values)]
    value = request.context.get(key.lower())

    if name == "Null":  # 14: presence only; a set prefix changes nothing
        return any((value is None) == (wanted.lower() == "true") for wanted in policy_values)

    negated = name in NEGATED
    base = NEGATED.get(name, name)
    uses_variables = variables and base in WITH_VARIABLES
    substituted = [template(text, request.context, uses_variables) for text in policy_values]

    def one(request_value: str) -> bool:  # 6: OR over the policy values, NOR when negated
        matched = any(
            policy_value is not None and base_matches(base, request_value, policy_value)
            for policy_value in substituted
        )
        return not matched if negated else matched

    if value is None:  # 7
        if if_exists:
            return True
        if set_operator == "ForAllValues":
            return True
        if set_operator == "ForAnyValue":
            return False
        return negated
    if set_operator is None:
        return isinstance(value, str) and one(value)  # 4: a plain operator on a list is false
    request_values = [value] if isinstance(value, str) else list(value)  # 5
    if set_operator == "ForAllValues":
        return all(one(request_value) for request_value in request_values)
    return any(one(request_value) for request_value in request_values)


def conditions_hold(block: dict[str, Any], request: Request, variables: bool) -> bool:
    return all(
        condition_holds(operator, key, values, request, variables)
        for operator, keys in block.items()
        for key, values in keys.items()
    )


# --------------------------------------------------------------------------------------------
# Statements and policies


@dataclass
class Hit:
    """A statement that applies to the request."""

    policy_type: str
    policy: str
    index: int
    sid: str | None
    effect: str
    level: int = 0
    ways: set[str] = field(default_factory=set)  # resource policies: how Principal matched

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy_type": self.policy_type,
            "policy": self.policy,
            "sid": self.sid,
            "index": self.index,
            "effect": self.effect,
        }


def statement_ways(statement: dict[str, Any], request: Request, variables: bool) -> set[str] | None:
    """None when the statement does not apply; else how its Principal matched (maybe empty)."""
    action = request.action
    if "Action" in statement:
        if not any(action_matches(pattern, action) for pattern in as_list(statement["Action"])):
            return None
    elif any(action_matches(pattern, action) for pattern in as_list(statement["NotAction"])):
        return None

    def resource_hit(patterns: Any) -> bool:
        return any(
            resource_matches(pattern, request.resource, request.context, variables)
            for pattern in as_list(patterns)
        )

    if "Resource" in statement and not resource_hit(statement["Resource"]):
        return None
    if "NotResource" in statement and resource_hit(statement["NotResource"]):
        return None  # (a trust policy has neither: it always matches its role)

    ways: set[str] = set()
    if "Principal" in statement:
        ways = principal_ways(statement["Principal"], request.caller)
        if not ways:
            return None
    if "NotPrincipal" in statement and exempt_from_not_principal(
        statement["NotPrincipal"], request.caller, request.has_boundary
    ):
        return None

    if not conditions_hold(statement.get("Condition", {}), request, variables):
        return None
    return ways


def named_policies(line: dict[str, Any], request: Request) -> list[tuple[str, str, int, dict]]:
    """Every policy that takes part, as ``(policy type, name, level, document)``, in 29's order."""
    policies = line.get("policies") or {}
    caller_type = request.caller.type

    def levels(key: str, flat_key: str) -> list[tuple[str, str, int, dict]]:
        if policies.get(key) is None:
            return [(flat_key, f"{flat_key}[{i}]", 0, doc)
                    for i, doc in enumerate(policies.get(flat_key) or [])]  # fmt: skip
        return [
            (flat_key, f"{key}[{level}][{i}]", level, doc)
            for level, documents in enumerate(policies[key])
            for i, doc in enumerate(documents)
        ]

    named: list[tuple[str, str, int, dict]] = []
    if caller_type in ACCOUNT_TYPES:  # 22, 24: SCPs only restrict callers with an account
        named += levels("scp_levels", "scp")
    named += levels("rcp_levels", "rcp")  # 22: RCPs apply to every caller
    if policies.get("resource") is not None:
        named.append(("resource", "resource", 0, policies["resource"]))
    if caller_type in PRINCIPAL_POLICY_TYPES:  # 23, 24: ignored for every other caller
        named += [("identity", f"identity[{i}]", 0, doc)
                  for i, doc in enumerate(policies.get("identity") or [])]  # fmt: skip
        for slot in ("boundary", "session"):
            if policies.get(slot) is not None:
                named.append((slot, slot, 0, policies[slot]))
    return named


def scp_level_count(line: dict[str, Any]) -> int:
    policies = line.get("policies") or {}
    if policies.get("scp_levels") is not None:
        return len(policies["scp_levels"])
    return 1 if policies.get("scp") else 0


def find_hits(line: dict[str, Any], request: Request) -> list[Hit]:
    hits = []
    for policy_type, name, level, document in named_policies(line, request):
        variables = document.get("Version") == VERSION_2012
        statements = as_list(document["Statement"])
        for index, statement in enumerate(statements):
            ways = statement_ways(statement, request, variables)
            if ways is not None:
                hits.append(
                    Hit(policy_type, name, index, statement.get("Sid"), statement["Effect"],
                        level, ways)
                )  # fmt: skip
    return hits


# --------------------------------------------------------------------------------------------
# The decision


def decide(line: dict[str, Any]) -> dict[str, Any]:
    """The decision for one request line: ``{"decision", "matched", "denied_by"}``."""
    request = read_request(line)
    hits = find_hits(line, request)

    denies = [hit for hit in hits if hit.effect == "Deny"]
    if denies:  # 21
        return answer("ExplicitDeny", denies, denies[0].policy_type)
    allows = [hit for hit in hits if hit.effect == "Allow"]
    return answer(*allow_or_implicit_deny(line, request, allows))


def answer(decision: str, hits: list[Hit], denied_by: str | None) -> dict[str, Any]:
    return {
        "decision": decision,
        "matched": [hit.to_dict() for hit in hits],
        "denied_by": denied_by,
    }


def allow_or_implicit_deny(line: dict[str, Any], request: Request,
                           allows: list[Hit]) -> tuple[str, list[Hit], str | None]:  # fmt: skip
    policies = line.get("policies") or {}
    caller = request.caller

    def allowed_by(policy_type: str) -> bool:
        return any(hit.policy_type == policy_type for hit in allows)

    if caller.type in ACCOUNT_TYPES:  # 22
        for level in range(scp_level_count(line)):
            if not any(hit.policy_type == "scp" and hit.level == level for hit in allows):
                return "ImplicitDeny", allows, "scp"

    ways: set[str] = set()
    for hit in allows:
        if hit.policy_type == "resource":
            ways |= hit.ways
    resource_allows = bool(ways)

    if caller.type in RESOURCE_ONLY_TYPES:  # 24
        return ("Allow", allows, None) if resource_allows else ("ImplicitDeny", allows, "resource")

    same_account = caller.account == request.resource_account
    must_allow = request.action.lower() in MUST_ALLOW_ACTIONS or request.action.lower().startswith(
        "kms:"
    )
    if caller.type == "root":  # 23: after denies and SCP levels, root is allowed at home
        if same_account and not must_allow:  # but 26's actions need the key or trust policy
            return "Allow", allows, None
        identity_allows = boundary_allows = session_allows = True  # 27, 30: its side allows
    else:
        identity_allows = allowed_by("identity")
        boundary_allows = policies.get("boundary") is None or allowed_by("boundary")
        if policies.get("session") is not None:
            session_allows = allowed_by("session")
        else:
            session_allows = caller.type != "federated"  # 28
    principal_side = identity_allows and boundary_allows and session_allows
    resource_path = DIRECT in ways or (VIA_SOURCE in ways and boundary_allows and session_allows)
    if same_account:  # 25, 26
        allowed = resource_path or (principal_side and (resource_allows or not must_allow))
    else:  # 27
        allowed = resource_allows and principal_side
    if allowed:
        return "Allow", allows, None

    # 30
    if not identity_allows and not resource_allows:
        denied_by = "identity"
    elif (must_allow or not same_account) and not resource_allows:
        denied_by = "resource"
    elif not identity_allows:
        denied_by = "identity"
    elif not boundary_allows:
        denied_by = "boundary"
    else:
        denied_by = "session"
    return "ImplicitDeny", allows, denied_by
