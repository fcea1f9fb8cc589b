"""The JSON Lines format of `iamd policy check`: one request and its policies per line.

A line is ``{"id", "principal": {"type", "arn", "account", "source_arn"}, "action",
"resource", "resource_account", "context", "policies": {"identity": [...], "resource",
"boundary", "session", "scp", "scp_levels", "rcp", "rcp_levels"}}``; unknown keys are
ignored. The answer is ``{"id", "decision", "matched"}``, or ``{"id", "error"}`` when the line
is unusable (``id`` null when the line is not a JSON object). A policy document is a JSON
object, or a string holding one (as AWS APIs carry them). Policies are named by their place
in the line (``identity[0]``, ``scp_levels[1][0]``...), and that name is what ``matched``
reports. A line is strict JSON: a key repeated inside one object, ``NaN`` or ``Infinity`` make
it unusable. README.md states the rules of every field.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from iamd.policy import (
    CompiledPolicySet,
    Decision,
    Policy,
    PolicyKind,
    PolicySet,
    PolicyValidationError,
    Principal,
    PrincipalType,
    Request,
    compile_policies,
    evaluate,
    parse_policy,
)

_TRUST_ACTIONS = frozenset(
    {"sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity"}
)


class RequestFormatError(ValueError):
    """A request line that does not follow the format; the message says what is wrong."""


def resource_policy_kind(action: str) -> PolicyKind:
    """The kind a resource-based policy is checked as: a trust policy for sts:AssumeRole*."""
    return PolicyKind.TRUST if action.lower() in _TRUST_ACTIONS else PolicyKind.RESOURCE


def decode_line(raw: bytes | str) -> Any:
    """Decode one line as strict JSON.

    Raises:
        RequestFormatError: not UTF-8, not JSON, a repeated key, or NaN/Infinity.
    """
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as error:
        raise RequestFormatError(f"the line is not UTF-8 text: {error.reason}") from None
    try:
        return _STRICT_DECODER.decode(text)
    except json.JSONDecodeError as error:
        raise RequestFormatError(f"the line is not valid JSON: {error}") from None


def _object_without_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise RequestFormatError(f"the line repeats the key `{key}` in one object")
            seen.add(key)
    return result


def _reject_constant(name: str) -> Any:
    raise RequestFormatError(f"the line is not valid JSON: `{name}` is not a JSON value")


_STRICT_DECODER = json.JSONDecoder(
    object_pairs_hook=_object_without_repeats, parse_constant=_reject_constant
)
_CANONICAL_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def load_request(line: Any) -> tuple[Request, PolicySet]:
    """Build the engine's request and policy set from one decoded line.

    Raises:
        RequestFormatError: a missing or mistyped field, or an invalid policy document.
    """
    request = request_from_line(line)
    return request, policy_set_from_line(line, resource_policy_kind(request.action))


def request_from_line(line: Any) -> Request:
    """The `Request` part of one decoded line (everything but ``policies``).

    Raises:
        RequestFormatError: a missing or mistyped field.
    """
    if not isinstance(line, Mapping):
        raise RequestFormatError("a request must be a JSON object")
    principal = _principal(line.get("principal"))
    action = _text(line, "action")
    resource = line.get("resource", "*")
    if not isinstance(resource, str) or not resource:
        raise RequestFormatError("`resource` must be a non-empty string (an ARN or `*`)")
    resource_account = line.get("resource_account")
    if resource_account is not None and not isinstance(resource_account, str):
        raise RequestFormatError("`resource_account` must be a string or null")
    context = line.get("context")
    if context is None:
        context = {}
    if not isinstance(context, Mapping):
        raise RequestFormatError("`context` must be an object")
    for key, value in context.items():
        if isinstance(value, list):
            if not all(isinstance(item, str) for item in value):
                raise RequestFormatError(f"context key `{key}`: list values must be strings")
        elif not isinstance(value, str | bool | int | float):
            raise RequestFormatError(f"context key `{key}` must be a string or a list of strings")
    return Request(
        principal=principal,
        action=action,
        resource=resource,
        context=context,
        resource_account=resource_account,
    )


def policy_set_from_line(line: Mapping[str, Any], resource_kind: PolicyKind) -> PolicySet:
    """The `PolicySet` of one decoded line, from its ``policies`` object.

    Raises:
        RequestFormatError: a mistyped field or an invalid policy document.
    """
    return _policy_set(_policies_object(line), resource_kind)


def decide(line: Any) -> dict[str, Any]:
    """Answer one decoded line, parsing its policies afresh: the decision, or the error."""
    request_id = line.get("id") if isinstance(line, Mapping) else None
    try:
        request, policies = load_request(line)
    except RequestFormatError as error:
        return {"id": request_id, "error": str(error)}
    return {"id": request_id, **decision_to_json(evaluate(request, policies))}


def decision_to_json(decision: Decision) -> dict[str, Any]:
    return {
        "decision": decision.outcome.value,
        "matched": [statement.to_dict() for statement in decision.statements],
    }


class Checker:
    """Answers request lines, parsing and compiling each distinct ``policies`` object once.

    Lines usually repeat the same policies; compiled sets are kept in a least-recently-used
    cache of ``cache_size`` entries, keyed on the canonical JSON of the ``policies`` object
    and the kind its resource policy is checked as. Invalid policies are remembered too.
    """

    def __init__(self, cache_size: int = 1024) -> None:
        self._cache_size = cache_size
        self._compiled: OrderedDict[tuple[PolicyKind, str], CompiledPolicySet | str] = OrderedDict()

    def answer(self, raw: bytes | str) -> dict[str, Any] | None:
        """Answer one raw line; None for a blank line (it gets no answer)."""
        if not raw.strip():
            return None
        try:
            line = decode_line(raw)
        except RequestFormatError as error:
            return {"id": None, "error": str(error)}
        return self.decide(line)

    def decide(self, line: Any) -> dict[str, Any]:
        """Answer one decoded line: the decision and its statements, or the error."""
        request_id = line.get("id") if isinstance(line, Mapping) else None
        try:
            request = request_from_line(line)
            compiled = self._compiled_policies(line, resource_policy_kind(request.action))
        except RequestFormatError as error:
            return {"id": request_id, "error": str(error)}
        return {"id": request_id, **decision_to_json(compiled.evaluate(request))}

    def _compiled_policies(
        self, line: Mapping[str, Any], resource_kind: PolicyKind
    ) -> CompiledPolicySet:
        policies = _policies_object(line)
        key = (resource_kind, _CANONICAL_ENCODER.encode(policies))
        cached = self._compiled.get(key)
        if cached is None:
            try:
                cached = compile_policies(_policy_set(policies, resource_kind))
            except RequestFormatError as error:
                cached = str(error)
            self._compiled[key] = cached
            if len(self._compiled) > self._cache_size:
                self._compiled.popitem(last=False)
        else:
            self._compiled.move_to_end(key)
        if isinstance(cached, str):
            raise RequestFormatError(cached)
        return cached


def _policies_object(line: Mapping[str, Any]) -> Mapping[str, Any]:
    policies = line.get("policies")
    if policies is None:
        return {}
    if not isinstance(policies, Mapping):
        raise RequestFormatError("`policies` must be an object")
    return policies


def _principal(value: Any) -> Principal:
    if not isinstance(value, Mapping):
        raise RequestFormatError("`principal` must be an object with `type` and `arn`")
    try:
        principal_type = PrincipalType(value.get("type", ""))
    except ValueError:
        kinds = ", ".join(kind.value for kind in PrincipalType)
        raise RequestFormatError(
            f"`principal.type` must be one of {kinds}, got `{value.get('type')}`"
        ) from None
    fields: dict[str, str | None] = {}
    for field in ("arn", "account", "source_arn"):
        item = value.get(field)
        if item is not None and not isinstance(item, str):
            raise RequestFormatError(f"`principal.{field}` must be a string or null")
        fields[field] = item
    if fields["arn"] is None and principal_type is not PrincipalType.ANONYMOUS:
        raise RequestFormatError(f"`principal.arn` is required for a {principal_type} principal")
    return Principal(
        type=principal_type,
        arn=fields["arn"],
        account=fields["account"],
        source_arn=fields["source_arn"],
    )


def _text(line: Mapping[str, Any], key: str) -> str:
    value = line.get(key)
    if not isinstance(value, str) or not value:
        raise RequestFormatError(f"`{key}` must be a non-empty string")
    return value


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _policy_set(policies: Mapping[str, Any], resource_kind: PolicyKind) -> PolicySet:
    def one(key: str, kind: PolicyKind) -> Policy | None:
        document = policies.get(key)
        return None if document is None else _parse(document, kind, key)

    def many(key: str, kind: PolicyKind) -> tuple[Policy, ...]:
        documents = policies.get(key)
        if documents is None:
            return ()
        if not _is_list(documents):
            raise RequestFormatError(f"`policies.{key}` must be a list of policy documents")
        return tuple(_parse(doc, kind, f"{key}[{i}]") for i, doc in enumerate(documents))

    def levels(key: str, flat_key: str, kind: PolicyKind) -> tuple[tuple[Policy, ...], ...]:
        raw_levels = policies.get(key)
        if raw_levels is None:
            flat = many(flat_key, kind)
            return (flat,) if flat else ()
        if not _is_list(raw_levels):
            raise RequestFormatError(f"`policies.{key}` must be a list of lists of documents")
        result = []
        for level, documents in enumerate(raw_levels):
            if not _is_list(documents):
                raise RequestFormatError(f"`policies.{key}[{level}]` must be a list of documents")
            result.append(
                tuple(_parse(doc, kind, f"{key}[{level}][{i}]") for i, doc in enumerate(documents))
            )
        return tuple(result)

    return PolicySet(
        identity=many("identity", PolicyKind.IDENTITY),
        resource=one("resource", resource_kind),
        boundary=one("boundary", PolicyKind.BOUNDARY),
        session=one("session", PolicyKind.SESSION),
        scp_levels=levels("scp_levels", "scp", PolicyKind.SCP),
        rcp_levels=levels("rcp_levels", "rcp", PolicyKind.RCP),
    )


def _parse(document: Any, kind: PolicyKind, name: str) -> Policy:
    if not isinstance(document, Mapping | str):
        raise RequestFormatError(f"policy `{name}` must be a JSON object (or a string holding one)")
    try:
        # Evaluation is not storage: size quotas belong to the place a policy is attached.
        return parse_policy(document, kind, name=name, max_size=None)
    except PolicyValidationError as error:
        raise RequestFormatError(f"policy `{name}` is invalid: {error}") from None
