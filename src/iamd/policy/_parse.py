"""Parse and validate policy documents: `parse_policy`, and `dump_policy` back to JSON.

`parse_policy` checks a document against the grammar of reference_policies_grammar.html and the
element rules of its `PolicyKind` (digest §2.1 and §2.2), collects *every* problem it finds, and
raises one `PolicyValidationError` listing them, or returns the immutable `Policy`.

Choices made where AWS's documentation is silent (see also docs/decisions/0001):

* Element names are case-sensitive: ``effect`` is an unknown element (the message suggests
  ``Effect``).
* ``Id`` is allowed only in resource-based and trust policies. The Id page says "allowed in
  resource-based policies, but not in identity-based policies" (identity, boundary, session);
  the SCP and RCP syntax pages do not list it, so iamd rejects it there too.
* ``Statement`` must hold at least one statement (IAM answers MalformedPolicyDocument to an empty
  list). An empty Action, Resource or Principal list, an empty Principal object, an empty
  Condition block and an empty list of condition values are valid and match nothing (AWS
  accepts them; Access Analyzer only suggests removing them).
* ``Sid``: ASCII letters and digits only, in every kind but ``resource`` (S3, SQS, SNS and KMS
  accept free text there, such as KMS's "Enable IAM User Permissions"). The empty Sid ``""`` is
  valid and may repeat (AWS's own generated trust policies carry it); any other Sid must be unique
  within the policy, in every kind.
* Actions: ``*`` or ``prefix:name``; the prefix is letters, digits and ``-`` (so ``*:*`` is
  invalid), the name letters, digits, ``*`` and ``?``. In an SCP a wildcard may only end the name
  (``iam:Get*``, not ``iam:*Policy``), per the SCP syntax page.
* Resources: ``*`` or an ARN (`Arn.parse`). A wildcard may not stand for part of the resource
  *type* (``arn:aws:iam::123456789012:u*``) in the services listed in `TYPED_RESOURCE_SERVICES`,
  whose resources always start with a type; the whole resource may still be ``*``. Other
  services (S3 buckets, SNS topics, SQS queues, API Gateway, ...) name resources without a type,
  so ``arn:aws:s3:::bucket*`` and ``arn:aws:s3:::*/*`` stay valid.
* NotAction and NotPrincipal are rejected in RCPs (the RCP syntax page lists neither). An RCP
  ``Allow`` statement is accepted only in the shape of AWS's RCPFullAWSAccess (Principal ``*``,
  Action ``*``, Resource ``*``, no Condition); everything else in an RCP must be ``Deny``.
* Principals: a bare string must be ``*``; ``*`` may stand alone in an ``AWS`` list (it makes the
  statement match everyone: ``Principals.wildcard``) but not under Service, Federated or
  CanonicalUser. Any other wildcard, a variable, a group, a region, or a non-12-digit account in a
  principal is an error.
* Condition values are strings, numbers or booleans (``true`` -> ``"true"``, ``10`` -> ``"10"``,
  ``1.50`` -> ``"1.50"`` as written in the text). ``Bool`` takes at most one value per key.
* Policy variables (``${...}``) are checked only under Version 2012-10-17; under other versions
  they are literal text. They are allowed in the resource part of Resource/NotResource and in
  String*/Arn* condition values; anywhere else (Action, Principal, condition keys, the first
  five ARN fields, other operators' values) they are an error whatever the version.
* An unknown ``kind`` is a programming error: `ValueError`, not `PolicyValidationError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from ._arn import Arn
from ._conditions import value_problem
from ._errors import PolicyValidationError, Problem
from ._json import JsonFloat, Loaded, join_index, join_key, json_type, load_mapping, load_text
from ._limits import DEFAULT, DEFAULT_LIMITS, policy_size
from ._model import (
    VERSION_2008,
    VERSION_2012,
    Condition,
    Effect,
    Policy,
    PolicyKind,
    Principals,
    Statement,
)
from ._operators import OperatorInfo, ValueType, parse_operator
from ._variables import parse_template

__all__ = ["TYPED_RESOURCE_SERVICES", "dump_policy", "parse_policy"]

_TOP_LEVEL_ELEMENTS: Final = ("Version", "Id", "Statement")
_STATEMENT_ELEMENTS: Final = (
    "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
    "NotResource", "Condition",
)
_PRINCIPAL_TYPES: Final = ("AWS", "Service", "Federated", "CanonicalUser")
_VERSIONS: Final = (VERSION_2012, VERSION_2008)

_KIND_LABELS: Final = {
    PolicyKind.IDENTITY: "an identity policy",
    PolicyKind.RESOURCE: "a resource-based policy",
    PolicyKind.TRUST: "a trust policy",
    PolicyKind.BOUNDARY: "a permissions boundary",
    PolicyKind.SESSION: "a session policy",
    PolicyKind.SCP: "a service control policy (SCP)",
    PolicyKind.RCP: "a resource control policy (RCP)",
}
_ID_ALLOWED: Final = frozenset({PolicyKind.RESOURCE, PolicyKind.TRUST})
_RESOURCE_REQUIRED: Final = frozenset(
    {PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.SESSION, PolicyKind.SCP, PolicyKind.RCP}
)
_PRINCIPAL_FORBIDDEN: Final = frozenset(
    {PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.SESSION, PolicyKind.SCP}
)

#: Services whose resource field always starts with a resource type (``user/``, ``table/``,
#: ``function:``, ``log-group:``): a wildcard may not stand for part of that type.
TYPED_RESOURCE_SERVICES: Final = frozenset({
    "acm", "athena", "autoscaling", "cloudformation", "cloudfront", "cloudwatch", "codebuild",
    "cognito-identity", "cognito-idp", "dynamodb", "ec2", "ecr", "ecs", "eks", "elasticache",
    "elasticfilesystem", "elasticloadbalancing", "events", "firehose", "iam", "kinesis", "kms",
    "lambda", "logs", "rds", "redshift", "route53", "sagemaker", "secretsmanager", "ssm", "states",
    "sts",
})

_SID: Final = re.compile(r"[A-Za-z0-9]*")
_ACTION: Final = re.compile(r"([A-Za-z0-9-]+):([A-Za-z0-9*?]+)")
_WILDCARDS: Final = frozenset("*?")
# The prefix is a service (`aws`, `s3`) or an identity provider (`accounts.google.com`,
# `oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE`); the name may hold tag keys with spaces and `:`.
_CONDITION_KEY: Final = re.compile(r"[A-Za-z0-9._/-]+:.+", re.DOTALL)
_ACCOUNT_ID: Final = re.compile(r"[0-9]{12}")
_PARTITION: Final = re.compile(r"aws[a-z0-9-]*")
_IAM_NAME: Final = r"[A-Za-z0-9+=,.@_-]+"
_IAM_PRINCIPAL_RESOURCE: Final = re.compile(rf"root|(?:user|role)(?:/{_IAM_NAME})+")
_STS_PRINCIPAL_RESOURCE: Final = re.compile(
    rf"assumed-role/{_IAM_NAME}/{_IAM_NAME}|federated-user/{_IAM_NAME}"
)
_DNS_LABEL: Final = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DNS_NAME: Final = re.compile(rf"{_DNS_LABEL}(?:\.{_DNS_LABEL})+")
_PROVIDER_RESOURCE: Final = re.compile(
    r"saml-provider/[A-Za-z0-9._-]+|oidc-provider/[A-Za-z0-9._~/:-]+"
)
_CANONICAL_USER: Final = re.compile(r"[0-9a-fA-F]{64}")


def parse_policy(
    document: str | bytes | Mapping[str, Any],
    kind: PolicyKind | str = PolicyKind.IDENTITY,
    *,
    name: str = "",
    max_size: int | None = DEFAULT,
) -> Policy:
    """Parse and validate a policy document of the given kind.

    ``document`` is JSON text (str, or UTF-8 bytes) or an already-decoded mapping. ``max_size``
    is the size limit in characters without white space: `DEFAULT` takes the limit of ``kind``
    (see `_limits`), None checks no size.

    Raises:
        PolicyValidationError: the document is malformed or breaks a rule of its kind; its
            ``problems`` list every reason, each with the path of the offending element.
        ValueError: ``kind`` is not a policy kind, or ``max_size`` is negative (programming
            errors, not document problems).
    """
    policy_kind = _policy_kind(kind)
    limit = _size_limit(policy_kind, max_size)
    loaded = _load(document)
    problems = list(loaded.problems)
    if limit is not None:
        size = policy_size(loaded.text)
        if size > limit:
            problems.append(
                Problem("", f"the policy document is {size} characters long without white "
                            f"space; the limit for {_KIND_LABELS[policy_kind]} is {limit}")
            )
    if not loaded.readable:
        raise PolicyValidationError(problems)
    value = loaded.value
    if not isinstance(value, dict):
        problems.append(
            Problem("", f"a policy document must be a JSON object, got {json_type(value)}")
        )
        raise PolicyValidationError(problems)
    checker = _Checker(policy_kind, problems)
    policy = checker.document(value, name)
    if problems or policy is None:
        raise PolicyValidationError(problems)
    return policy


def _policy_kind(kind: PolicyKind | str) -> PolicyKind:
    try:
        return PolicyKind(kind)
    except ValueError:
        choices = ", ".join(member.value for member in PolicyKind)
        raise ValueError(f"unknown policy kind `{kind}`; use one of {choices}") from None


def _size_limit(kind: PolicyKind, max_size: int | None) -> int | None:
    if max_size is None:
        return None
    if max_size == DEFAULT:
        return DEFAULT_LIMITS[kind]
    if max_size < 0:
        raise ValueError(f"max_size must be None, DEFAULT or at least 0, got {max_size}")
    return max_size


def _load(document: object) -> Loaded:
    if isinstance(document, str | bytes | bytearray | memoryview):
        return load_text(document)
    if isinstance(document, Mapping):
        return load_mapping(document)
    loaded = Loaded()
    loaded.problems.append(
        Problem("", f"a policy document must be JSON text or a mapping, got "
                    f"{json_type(document)}")
    )
    return loaded


def _hint(key: str, known: tuple[str, ...]) -> str:
    for element in known:
        if element.lower() == key.lower():
            return f"; did you mean `{element}`? (element names are case-sensitive)"
    return ""


def _condition_text(value: object) -> str:
    """A condition value as a string: booleans lower-case, numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, JsonFloat):
        return value.text
    return str(value) if isinstance(value, str | int) else repr(value)


class _Checker:
    """Walks one decoded document, appending to ``problems``; builds the `Policy`."""

    def __init__(self, kind: PolicyKind, problems: list[Problem]) -> None:
        self.kind = kind
        self.label = _KIND_LABELS[kind]
        self.problems = problems
        self.variables = False
        self.sids: dict[str, str] = {}

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    # -- document ------------------------------------------------------------------------------

    def document(self, raw: dict[str, Any], name: str) -> Policy | None:
        for key in raw:
            if key not in _TOP_LEVEL_ELEMENTS:
                self.problem(key, f"unknown element `{key}`: a policy has only Version, Id and "
                                  f"Statement{_hint(key, _TOP_LEVEL_ELEMENTS)}")
        version = self.version(raw)
        self.variables = version == VERSION_2012
        policy_id = self.policy_id(raw)
        statements = self.statements(raw)
        if statements is None:
            return None
        return Policy(self.kind, statements, version, policy_id, name, raw=raw)

    def version(self, raw: dict[str, Any]) -> str | None:
        if "Version" not in raw:
            if self.kind is PolicyKind.RCP:
                self.problem("", f"missing required element Version: {self.label} requires "
                                 f"Version `{VERSION_2012}`")
            return None
        version = raw["Version"]
        if not isinstance(version, str):
            self.problem("Version", f"Version must be a string, got {json_type(version)}")
            return None
        if version not in _VERSIONS:
            self.problem("Version", f"`{version}` is not a valid Version; use `{VERSION_2012}` "
                                    f"(or the legacy `{VERSION_2008}`)")
            return None
        if self.kind is PolicyKind.RCP and version != VERSION_2012:
            self.problem("Version", f"{self.label} requires Version `{VERSION_2012}`, not "
                                    f"`{version}`")
        return version

    def policy_id(self, raw: dict[str, Any]) -> str | None:
        if "Id" not in raw:
            return None
        policy_id = raw["Id"]
        if self.kind not in _ID_ALLOWED:
            self.problem("Id", f"Id is not allowed in {self.label}")
            return None
        if not isinstance(policy_id, str):
            self.problem("Id", f"Id must be a string, got {json_type(policy_id)}")
            return None
        return policy_id

    def statements(self, raw: dict[str, Any]) -> tuple[Statement, ...] | None:
        if "Statement" not in raw:
            self.problem("", "missing required element Statement")
            return None
        value = raw["Statement"]
        entries: list[tuple[Any, str]]
        if isinstance(value, dict):
            entries = [(value, "Statement")]
        elif isinstance(value, list):
            if not value:
                self.problem("Statement", "Statement must contain at least one statement")
            entries = [(item, join_index("Statement", index)) for index, item in enumerate(value)]
        else:
            self.problem("Statement", f"Statement must be an object or an array of objects, "
                                      f"got {json_type(value)}")
            return None
        statements: list[Statement] = []
        for index, (item, path) in enumerate(entries):
            if not isinstance(item, dict):
                self.problem(path, f"a statement must be an object, got {json_type(item)}")
                continue
            statement = self.statement(item, path, index)
            if statement is not None:
                statements.append(statement)
        return tuple(statements)

    # -- statement -----------------------------------------------------------------------------

    def statement(self, raw: dict[str, Any], path: str, index: int) -> Statement | None:
        for key in raw:
            if key not in _STATEMENT_ELEMENTS:
                self.problem(join_key(path, key), f"unknown element `{key}` in a statement"
                                                  f"{_hint(key, _STATEMENT_ELEMENTS)}")
        sid = self.sid(raw, path)
        effect = self.effect(raw, path)
        actions, not_actions = self.actions(raw, path)
        resources, not_resources = self.resources(raw, path)
        principal, not_principal = self.principals(raw, path, effect)
        conditions: tuple[Condition, ...] = ()
        if "Condition" in raw:
            conditions = self.conditions(raw["Condition"], join_key(path, "Condition"))
        if self.kind is PolicyKind.RCP and effect is Effect.ALLOW:
            full_access = (
                principal is not None and principal == Principals(wildcard=True)
                and actions == ("*",) and resources == ("*",) and "Condition" not in raw
            )
            if not full_access:
                self.problem(join_key(path, "Effect"), f"{self.label} may only deny: `Allow` is "
                             "reserved for AWS's RCPFullAWSAccess statement (Principal `*`, Action "
                             "`*`, Resource `*`, no Condition)")
        if effect is None:
            return None
        return Statement(
            index=index, effect=effect, sid=sid, actions=actions, not_actions=not_actions,
            resources=resources, not_resources=not_resources, principal=principal,
            not_principal=not_principal, conditions=conditions,
        )

    def sid(self, raw: dict[str, Any], path: str) -> str | None:
        if "Sid" not in raw:
            return None
        sid = raw["Sid"]
        sid_path = join_key(path, "Sid")
        if not isinstance(sid, str):
            self.problem(sid_path, f"Sid must be a string, got {json_type(sid)}")
            return None
        if self.kind is not PolicyKind.RESOURCE and _SID.fullmatch(sid) is None:
            self.problem(sid_path, f"`{sid}` is not a valid Sid: use ASCII letters and digits "
                                   "only")
        if sid:
            if sid in self.sids:
                self.problem(sid_path, f"Sid `{sid}` is already used by {self.sids[sid]}; Sids "
                                       "must be unique within a policy")
            else:
                self.sids[sid] = path
        return sid

    def effect(self, raw: dict[str, Any], path: str) -> Effect | None:
        if "Effect" not in raw:
            self.problem(path, "missing required element Effect")
            return None
        effect = raw["Effect"]
        effect_path = join_key(path, "Effect")
        if not isinstance(effect, str):
            self.problem(effect_path, f"Effect must be a string, got {json_type(effect)}")
            return None
        if effect not in (Effect.ALLOW, Effect.DENY):
            self.problem(effect_path, f"`{effect}` is not a valid Effect; use `Allow` or `Deny`")
            return None
        return Effect(effect)

    def strings(self, value: Any, path: str, element: str) -> list[tuple[str, str]] | None:
        """A string-or-array element as ``(text, path)`` pairs; None when it has neither shape."""
        if isinstance(value, str):
            return [(value, path)]
        if not isinstance(value, list):
            self.problem(path, f"{element} must be a string or an array of strings, got "
                               f"{json_type(value)}")
            return None
        pairs: list[tuple[str, str]] = []
        for index, item in enumerate(value):
            item_path = join_index(path, index)
            if isinstance(item, str):
                pairs.append((item, item_path))
            else:
                self.problem(item_path, f"each value of {element} must be a string, got "
                                        f"{json_type(item)}")
        return pairs

    def exclusive(self, raw: dict[str, Any], path: str, element: str) -> str | None:
        """Which of ``element`` and ``Not<element>`` the statement has (reporting both)."""
        negated = f"Not{element}"
        if element in raw and negated in raw:
            self.problem(path, f"{element} and {negated} cannot appear together")
            return None
        if element in raw:
            return element
        if negated in raw:
            return negated
        return None

    def checked(
        self, raw: dict[str, Any], path: str, element: str, check: Callable[[str, str, str], None],
    ) -> tuple[str, ...] | None:
        pairs = self.strings(raw[element], join_key(path, element), element)
        if pairs is None:
            return None
        for text, item_path in pairs:
            check(text, item_path, element)
        return tuple(text for text, _ in pairs)

    # -- Action --------------------------------------------------------------------------------

    def actions(
        self, raw: dict[str, Any], path: str
    ) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
        element = self.exclusive(raw, path, "Action")
        if element is None:
            if "Action" not in raw and "NotAction" not in raw:
                self.problem(path, "missing required element Action (or NotAction)")
            return None, None
        if element == "NotAction" and self.kind is PolicyKind.RCP:
            self.problem(join_key(path, element), f"NotAction is not allowed in {self.label}")
            return None, None
        values = self.checked(raw, path, element, self.action)
        return (values, None) if element == "Action" else (None, values)

    def action(self, text: str, path: str, element: str) -> None:
        if text == "*":
            return
        if "${" in text:
            self.problem(path, f"policy variables are not allowed in {element}: `{text}`")
            return
        match = _ACTION.fullmatch(text)
        if match is None:
            prefix = text.partition(":")[0]
            if ":" in text and _WILDCARDS & set(prefix):
                self.problem(path, f"`{text}` is not a valid action: wildcards are not allowed "
                                   "in the service prefix")
            else:
                self.problem(path, f"`{text}` is not a valid action: use `*` or `service:Action` "
                                   "(letters, digits and `-` in the service prefix; letters, "
                                   "digits, `*` and `?` in the name)")
            return
        if self.kind is PolicyKind.SCP and _WILDCARDS & set(match.group(2).rstrip("*?")):
            self.problem(path, f"`{text}`: {self.label} allows `*` and `?` in an action only at "
                               "the end of its name")

    # -- Resource ------------------------------------------------------------------------------

    def resources(
        self, raw: dict[str, Any], path: str
    ) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
        if self.kind is PolicyKind.TRUST:
            for forbidden in ("Resource", "NotResource"):
                if forbidden in raw:
                    self.problem(join_key(path, forbidden), f"{forbidden} is not allowed in "
                                                            f"{self.label}")
            return None, None
        element = self.exclusive(raw, path, "Resource")
        if element is None:
            if (
                "Resource" not in raw and "NotResource" not in raw
                and self.kind in _RESOURCE_REQUIRED
            ):
                self.problem(path, "missing required element Resource (or NotResource)")
            return None, None
        values = self.checked(raw, path, element, self.resource)
        return (values, None) if element == "Resource" else (None, values)

    def resource(self, text: str, path: str, element: str) -> None:
        if text == "*":
            return
        try:
            arn = Arn.parse(text)
        except ValueError as error:
            self.problem(path, f"{error}; a resource is `*` or an ARN")
            return
        if self.variables:
            fields = (arn.partition, arn.service, arn.region, arn.account)
            if any("${" in field for field in fields):
                self.problem(path, f"`{text}`: policy variables are allowed only in the resource "
                                   "part of an ARN (after the fifth colon)")
                return
            if "${" in arn.resource:
                try:
                    parse_template(arn.resource)
                except ValueError as error:
                    self.problem(path, str(error))
                    return
        if arn.service in TYPED_RESOURCE_SERVICES:
            resource_type = arn.resource_type or arn.resource
            if (
                resource_type != "*" and "$" not in resource_type
                and _WILDCARDS & set(resource_type)
            ):
                self.problem(path, f"`{text}`: wildcards are not allowed in the resource type "
                                   f"`{resource_type}`; write the type in full (`user/*`, not "
                                   "`u*`)")

    # -- Principal -----------------------------------------------------------------------------

    def principals(
        self, raw: dict[str, Any], path: str, effect: Effect | None
    ) -> tuple[Principals | None, Principals | None]:
        present = [name for name in ("Principal", "NotPrincipal") if name in raw]
        if self.kind in _PRINCIPAL_FORBIDDEN:
            for forbidden in present:
                self.problem(join_key(path, forbidden),
                             f"{forbidden} is not allowed in {self.label}")
            return None, None
        if self.kind in (PolicyKind.TRUST, PolicyKind.RCP):
            if "NotPrincipal" in raw:
                self.problem(join_key(path, "NotPrincipal"),
                             f"NotPrincipal is not allowed in {self.label}")
            if "Principal" not in raw:
                self.problem(path, "missing required element Principal")
                return None, None
            principal = self.principal(raw["Principal"], join_key(path, "Principal"), "Principal")
            if (
                self.kind is PolicyKind.RCP and principal is not None
                and principal != Principals(wildcard=True)
            ):
                self.problem(join_key(path, "Principal"),
                             f"the Principal of {self.label} must be `*`")
            return principal, None
        # Resource-based policies.
        element = self.exclusive(raw, path, "Principal")
        if element is None:
            if not present:
                self.problem(path, "missing required element Principal (or NotPrincipal)")
            return None, None
        element_path = join_key(path, element)
        if element == "NotPrincipal" and effect is Effect.ALLOW:
            self.problem(element_path, "NotPrincipal is only allowed with Effect `Deny`")
        principals = self.principal(raw[element], element_path, element)
        return (principals, None) if element == "Principal" else (None, principals)

    def principal(self, value: Any, path: str, element: str) -> Principals | None:
        if isinstance(value, str):
            if value == "*":
                return Principals(wildcard=True, raw=value)
            self.problem(path, f"`{value}` is not a valid {element}: as a string it can only "
                               f"be `*`; name principals in an object such as "
                               "{\"AWS\": \"123456789012\"}")
            return None
        if not isinstance(value, dict):
            self.problem(path, f"{element} must be `*` or an object, got {json_type(value)}")
            return None
        wildcard = False
        found: dict[str, list[str]] = {key: [] for key in _PRINCIPAL_TYPES}
        problems_before = len(self.problems)
        for key, entries in value.items():
            key_path = join_key(path, key)
            if key not in _PRINCIPAL_TYPES:
                self.problem(key_path, f"`{key}` is not a principal type; use AWS, Service, "
                                       f"Federated or CanonicalUser{_hint(key, _PRINCIPAL_TYPES)}")
                continue
            pairs = self.strings(entries, key_path, f"{element}.{key}")
            for text, item_path in pairs or ():
                if text == "*" and key == "AWS":
                    wildcard = True
                    continue
                message = _principal_problem(key, text, element)
                if message is not None:
                    self.problem(item_path, message)
                else:
                    found[key].append(text)
        if len(self.problems) != problems_before:
            return None
        return Principals(
            wildcard=wildcard,
            aws=tuple(found["AWS"]),
            service=tuple(found["Service"]),
            federated=tuple(found["Federated"]),
            canonical_user=tuple(found["CanonicalUser"]),
            raw=value,
        )

    # -- Condition -----------------------------------------------------------------------------

    def conditions(self, value: Any, path: str) -> tuple[Condition, ...]:
        if not isinstance(value, dict):
            self.problem(path, f"Condition must be an object, got {json_type(value)}")
            return ()
        conditions: list[Condition] = []
        for operator, block in value.items():
            operator_path = join_key(path, operator)
            info: OperatorInfo | None = None
            set_operator: str | None = None
            if_exists = False
            try:
                parsed = parse_operator(operator)
            except ValueError as error:
                self.problem(operator_path, str(error))
            else:
                info, set_operator, if_exists = parsed.info, parsed.set_operator, parsed.if_exists
            if not isinstance(block, dict):
                self.problem(operator_path, f"the `{operator}` block must be an object of "
                                            f"condition keys, got {json_type(block)}")
                continue
            seen: dict[str, str] = {}
            for key, entries in block.items():
                key_path = join_key(operator_path, key)
                self.condition_key(key, key_path, operator, seen)
                values = self.condition_values(entries, key_path)
                if info is None or values is None:
                    continue
                if info.value_type is ValueType.BOOL and len(values) > 1:
                    self.problem(key_path, f"`{operator}` takes one value per key, got "
                                           f"{len(values)}")
                for text, value_path in values:
                    self.condition_value(info, text, value_path)
                conditions.append(Condition(
                    operator=operator, base=info.name, key=key,
                    values=tuple(text for text, _ in values),
                    set_operator=set_operator, if_exists=if_exists,
                ))
        return tuple(conditions)

    def condition_key(self, key: str, path: str, operator: str, seen: dict[str, str]) -> None:
        if "${" in key:
            self.problem(path, f"policy variables are not allowed in condition keys: `{key}`")
        elif _CONDITION_KEY.fullmatch(key) is None:
            self.problem(path, f"`{key}` is not a valid condition key: use `prefix:name`, such "
                               "as `aws:SourceIp`")
        folded = key.lower()
        if folded in seen:
            self.problem(path, f"condition key `{key}` repeats `{seen[folded]}` in the same "
                               f"`{operator}` block (condition keys are case-insensitive)")
        else:
            seen[folded] = key

    def condition_values(self, value: Any, path: str) -> list[tuple[str, str]] | None:
        if _is_condition_scalar(value):
            return [(_condition_text(value), path)]
        if not isinstance(value, list):
            self.problem(path, f"a condition value must be a string, number or boolean, or an "
                               f"array of them, got {json_type(value)}")
            return None
        values: list[tuple[str, str]] = []
        valid = True
        for index, item in enumerate(value):
            item_path = join_index(path, index)
            if _is_condition_scalar(item):
                values.append((_condition_text(item), item_path))
            else:
                self.problem(item_path, f"a condition value must be a string, number or "
                                        f"boolean, got {json_type(item)}")
                valid = False
        return values if valid else None

    def condition_value(self, info: OperatorInfo, text: str, path: str) -> None:
        if self.variables and "${" in text:
            if not info.variables:
                self.problem(path, f"policy variables are not allowed in `{info.name}` values: "
                                   f"`{text}`")
                return
            try:
                parse_template(text)
            except ValueError as error:
                self.problem(path, str(error))
            return
        message = value_problem(info, text)
        if message is not None:
            self.problem(path, message)


def _is_condition_scalar(value: object) -> bool:
    return isinstance(value, str | bool | int | float)


def _principal_problem(key: str, text: str, element: str) -> str | None:
    """Why ``text`` is not a valid value under principal type ``key``; None when it is."""
    if text == "*":
        return (f"`*` may only appear as {element} `*` or under `AWS`, not under `{key}`")
    if "${" in text:
        return f"policy variables are not allowed in {element}: `{text}`"
    if _WILDCARDS & set(text):
        return (f"`{text}`: wildcards are not allowed in a principal (only `*` on its own); "
                "use `*` with a condition on `aws:PrincipalArn`")
    if key == "AWS":
        return _aws_principal_problem(text)
    if key == "Service":
        if _DNS_NAME.fullmatch(text) is None:
            return f"`{text}` is not a valid service principal, such as `lambda.amazonaws.com`"
        return None
    if key == "Federated":
        if _DNS_NAME.fullmatch(text) is not None:
            return None
        message = (f"`{text}` is not a valid federated principal: use a provider name such as "
                   "`accounts.google.com` or the ARN of a SAML or OIDC provider")
        arn = _principal_arn(text)
        if arn is None or arn.service != "iam":
            return message
        return message if _PROVIDER_RESOURCE.fullmatch(arn.resource) is None else None
    if _CANONICAL_USER.fullmatch(text) is None:
        return f"`{text}` is not a canonical user id (64 hexadecimal digits)"
    return None


def _principal_arn(text: str) -> Arn | None:
    """``text`` as an IAM or STS ARN with a partition, no region and a 12-digit account."""
    try:
        arn = Arn.parse(text)
    except ValueError:
        return None
    if (
        _PARTITION.fullmatch(arn.partition) is None or arn.region
        or _ACCOUNT_ID.fullmatch(arn.account) is None
    ):
        return None
    return arn


def _aws_principal_problem(text: str) -> str | None:
    if _ACCOUNT_ID.fullmatch(text) is not None:
        return None
    invalid = (f"`{text}` is not a valid AWS principal: use a 12-digit account id or the ARN of "
               "an account root, user, role, assumed-role session or federated user")
    arn = _principal_arn(text)
    if arn is None:
        return invalid
    if arn.service == "iam":
        if _IAM_PRINCIPAL_RESOURCE.fullmatch(arn.resource) is not None:
            return None
        if arn.resource_type == "group":
            return f"`{text}`: a group cannot be a principal"
        return invalid
    if arn.service == "sts" and _STS_PRINCIPAL_RESOURCE.fullmatch(arn.resource) is not None:
        return None
    return invalid


# -- dumping -----------------------------------------------------------------------------------


def dump_policy(policy: Policy) -> dict[str, Any]:
    """A JSON document equivalent to ``policy``: ``parse_policy(dump_policy(p), p.kind) == p``.

    Elements come out in the canonical order, lists stay lists (never collapsed to a string),
    condition values are strings.
    """
    document: dict[str, Any] = {}
    if policy.version is not None:
        document["Version"] = policy.version
    if policy.id is not None:
        document["Id"] = policy.id
    document["Statement"] = [_dump_statement(statement) for statement in policy.statements]
    return document


def _dump_statement(statement: Statement) -> dict[str, Any]:
    dumped: dict[str, Any] = {}
    if statement.sid is not None:
        dumped["Sid"] = statement.sid
    dumped["Effect"] = statement.effect.value
    if statement.principal is not None:
        dumped["Principal"] = _dump_principals(statement.principal)
    if statement.not_principal is not None:
        dumped["NotPrincipal"] = _dump_principals(statement.not_principal)
    for element, values in (
        ("Action", statement.actions),
        ("NotAction", statement.not_actions),
        ("Resource", statement.resources),
        ("NotResource", statement.not_resources),
    ):
        if values is not None:
            dumped[element] = list(values)
    if statement.conditions:
        block: dict[str, dict[str, list[str]]] = {}
        for condition in statement.conditions:
            block.setdefault(condition.operator, {})[condition.key] = list(condition.values)
        dumped["Condition"] = block
    return dumped


def _dump_principals(principals: Principals) -> str | dict[str, list[str]]:
    named = {
        "AWS": list(principals.aws),
        "Service": list(principals.service),
        "Federated": list(principals.federated),
        "CanonicalUser": list(principals.canonical_user),
    }
    if principals.wildcard and not any(named.values()):
        return "*"
    if principals.wildcard:
        named["AWS"].insert(0, "*")
    return {key: values for key, values in named.items() if values}
