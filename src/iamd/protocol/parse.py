"""AWS Query form fields to an operation and its parameters, validated against the input shape.

The decoded pairs of a form body or query string (``Action``, ``Version`` and the parameters,
SigV4 parameters already removed) become a `ParsedCall` whose ``params`` are keyed by the
model's member names. Each operation's input shape is compiled once into a tree of readers
(`_Shape` subclasses) with their constraints and precompiled patterns.

Errors, all `IamError`:
- no or empty ``Action``: `MissingAction`; an unknown action or a wrong or missing ``Version``:
  `InvalidAction` ("Could not find operation X for version V", as AWS);
- a malformed parameter name (list index 0, x or 01, a gap in a list, a repeated name, a value
  given to a list): `InvalidQueryParameter`;
- a value that is not an integer, boolean, timestamp or base64 as its shape requires:
  `InvalidParameterValue`;
- constraint failures (required, length, range, enum, pattern): one `ValidationError` listing
  them all in AWS's words ("2 validation errors detected: A; B").
Parameter names the model does not know are ignored, as AWS Query APIs do.
"""

from __future__ import annotations

import base64
import functools
import re
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from iamd.domain.errors import ValidationError
from iamd.protocol.errors import (
    InvalidAction,
    InvalidParameterValue,
    InvalidQueryParameter,
    MissingAction,
)
from iamd.protocol.models import API_VERSIONS, operation_names, service_model


@dataclass(frozen=True, slots=True)
class ParsedCall:
    """One decoded request: the operation and its parameters by model member name."""

    service: str
    operation: str
    params: dict[str, Any]


# -- Java regular expressions (as the models write them) to Python -----------------------------

# Java's \p{Z}: Unicode space, line and paragraph separators (Zs, Zl, Zp).
_SEPARATORS = r"\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Python has no \p{..}; these Unicode-mode classes stand for letter/number categories.
# isalnum() is exactly L or N, so [^\W_] is \p{L}\p{N}; [^\W\d_] is \p{L} (plus Nl and No).
_CATEGORY_SETS = {
    frozenset("LN"): r"(?u:[^\W_])",
    frozenset("L"): r"(?u:[^\W\d_])",
}
# Escapes whose meaning differs between Java and Python (or that Python lacks).
_UNSUPPORTED_ESCAPES = frozenset("vhHVRXGQEzZeckN0")


class UnsupportedPattern(ValueError):
    """A model pattern uses Java regex syntax this translator does not handle."""


def _read_escape(pattern: str, start: int) -> tuple[str, int]:
    """The escape beginning at ``pattern[start] == '\\'`` and the index after it."""
    if start + 1 >= len(pattern):
        raise UnsupportedPattern(f"pattern ends with a backslash: {pattern!r}")
    letter = pattern[start + 1]
    if letter in "pP":
        if pattern.startswith("{", start + 2):
            end = pattern.find("}", start + 2)
            if end < 0:
                raise UnsupportedPattern(f"unterminated \\p{{ in {pattern!r}")
            return pattern[start : end + 1], end + 1
        if start + 2 >= len(pattern):
            raise UnsupportedPattern(f"pattern ends inside a category: {pattern!r}")
        return pattern[start : start + 3], start + 3
    if letter in _UNSUPPORTED_ESCAPES:
        raise UnsupportedPattern(f"escape \\{letter} in {pattern!r}")
    if letter == "x" and pattern.startswith("{", start + 2):
        end = pattern.find("}", start + 2)
        try:
            code_point = int(pattern[start + 3 : end], 16) if end > 0 else -1
        except ValueError:
            code_point = -1
        if not 0 <= code_point <= sys.maxunicode:
            raise UnsupportedPattern(f"bad \\x{{...}} escape in {pattern!r}")
        return f"\\U{code_point:08x}", end + 1
    return pattern[start : start + 2], start + 2


def _category(escape: str, pattern: str) -> str:
    """The category letter of ``\\p{X}`` / ``\\pX``; only L, N and Z are supported."""
    if escape[1] == "P":
        raise UnsupportedPattern(f"negated category {escape} in {pattern!r}")
    name = escape[3:-1] if escape[2] == "{" else escape[2]
    if name not in ("L", "N", "Z"):
        raise UnsupportedPattern(f"category {escape} in {pattern!r}")
    return name


def _categories_expression(categories: set[str], pattern: str) -> str:
    expression = _CATEGORY_SETS.get(frozenset(categories))
    if expression is None:
        raise UnsupportedPattern(f"categories {sorted(categories)} in {pattern!r}")
    return expression


def _translate_class(pattern: str, start: int) -> tuple[str, int]:
    """The Python form of the character class opening at ``pattern[start] == '['``."""
    index = start + 1
    negated = pattern.startswith("^", index)
    if negated:
        index += 1
    items: list[str] = []
    categories: set[str] = set()
    while True:
        if index >= len(pattern):
            raise UnsupportedPattern(f"unterminated character class in {pattern!r}")
        char = pattern[index]
        if char == "]" and (items or categories):
            index += 1
            break
        if char == "[" or pattern.startswith("&&", index):
            raise UnsupportedPattern(f"nested class or intersection in {pattern!r}")
        if char == "\\":
            escape, index = _read_escape(pattern, index)
            if escape[1] == "p" or escape[1] == "P":
                name = _category(escape, pattern)
                if name == "Z":
                    items.append(_SEPARATORS)
                else:
                    categories.add(name)
            else:
                items.append(escape)
            continue
        items.append(char)
        index += 1
    plain = "[" + ("^" if negated else "") + "".join(items) + "]"
    if not categories:
        return plain, index
    if negated:
        raise UnsupportedPattern(f"negated class with a category in {pattern!r}")
    expression = _categories_expression(categories, pattern)
    return (f"(?:{plain}|{expression})" if items else expression), index


def translate_pattern(pattern: str) -> str:
    """A Python regular expression (to compile with re.ASCII) equivalent to Java ``pattern``.

    Java's \\w, \\d and \\s are ASCII-only, hence re.ASCII; Unicode categories (\\p{L},
    \\p{N}, \\p{Z}) become Unicode-mode groups or explicit characters. Escapes such as
    \\u10000 keep Java's reading (\\u1000 then 0), which Python shares.
    """
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            escape, index = _read_escape(pattern, index)
            if escape[1] in "pP":
                name = _category(escape, pattern)
                out.append(
                    f"[{_SEPARATORS}]" if name == "Z" else _categories_expression({name}, pattern)
                )
            else:
                out.append(escape)
        elif char == "[":
            translated, index = _translate_class(pattern, index)
            out.append(translated)
        else:
            out.append(char)
            index += 1
    return "".join(out)


@functools.cache
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """The compiled Python form of a model (Java) pattern; match it with fullmatch."""
    return re.compile(translate_pattern(pattern), re.ASCII)


# -- The parameter tree ------------------------------------------------------------------------


class _Node:
    """One dotted name segment: the value given for exactly this name, and longer names."""

    __slots__ = ("children", "repeated", "value")

    def __init__(self) -> None:
        self.value: str | None = None
        self.children: dict[str, _Node] | None = None
        self.repeated = False


def _build_tree(pairs: Sequence[tuple[str, str]], top_names: frozenset[str]) -> dict[str, _Node]:
    """The pairs whose first segment is a member of the input, as a tree of segments."""
    root: dict[str, _Node] = {}
    for key, value in pairs:
        parts = key.split(".")
        head = parts[0]
        if head not in top_names:
            continue
        node = root.get(head)
        if node is None:
            node = root[head] = _Node()
        for part in parts[1:]:
            children = node.children
            if children is None:
                children = node.children = {}
            child = children.get(part)
            if child is None:
                child = children[part] = _Node()
            node = child
        if node.value is not None:
            node.repeated = True
        node.value = value
    return root


_MISSING: Any = object()
_ECHO_LIMIT = 100


def _echo(raw: str) -> str:
    return raw if len(raw) <= _ECHO_LIMIT else raw[:_ECHO_LIMIT] + "..."


def _repeated(wire: str) -> InvalidQueryParameter:
    return InvalidQueryParameter(f"Parameter {wire} is given more than once")


def _java_text(value: Any) -> str:
    """A value as AWS (Java) prints it in validation messages."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_java_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_java_text(k)}={_java_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _violation(value: Any, path: str, sensitive: bool, constraint: str) -> str:
    shown = "Value" if sensitive else f"Value '{_java_text(value)}'"
    return f"{shown} at '{path}' failed to satisfy constraint: {constraint}"


def _null(path: str) -> str:
    return f"Value null at '{path}' failed to satisfy constraint: Member must not be null"


class _Length:
    """A shape's max and min length (of a string, list or map) and AWS's words for them."""

    def __init__(self, shape: Any) -> None:
        self.maximum = shape.metadata.get("max")
        self.minimum = shape.metadata.get("min")
        self.descriptions = []
        if self.maximum is not None:
            self.too_long = f"Member must have length less than or equal to {self.maximum}"
            self.descriptions.append(self.too_long)
        if self.minimum is not None:
            self.too_short = f"Member must have length greater than or equal to {self.minimum}"
            self.descriptions.append(self.too_short)

    def broken(self, length: int) -> list[str]:
        if self.maximum is not None and length > self.maximum:
            return [self.too_long]
        if self.minimum is not None and length < self.minimum:
            return [self.too_short]
        return []


class _Shape:
    """A compiled input shape: reads its value from a tree node and checks its constraints.

    ``read`` converts (raising on malformed names or values) and, for containers of
    structures, validates what is inside; ``validate`` checks the value's own constraints.
    ``simple`` shapes (scalars, and lists or maps of simple shapes) also answer ``invalid``
    and list their ``descriptions``, for AWS's collection messages ("Member must satisfy
    constraint: [...]", "Map value must satisfy constraint: [...]").
    """

    simple = True

    def __init__(self, shape: Any) -> None:
        self.sensitive = bool(shape.metadata.get("sensitive"))
        self.descriptions: list[str] = []

    def read(self, node: _Node, wire: str, path: str, errors: list[str]) -> Any:
        raise NotImplementedError

    def broken(self, value: Any) -> list[str]:
        """The descriptions of the constraints ``value`` breaks."""
        return []

    def validate(self, value: Any, path: str, errors: list[str]) -> None:
        """Append a message for each constraint ``value`` breaks."""
        for description in self.broken(value):
            errors.append(_violation(value, path, self.sensitive, description))

    def invalid(self, value: Any) -> bool:
        return bool(self.broken(value))


class _Scalar(_Shape):
    """Shared reading of single-valued shapes."""

    def read(self, node: _Node, wire: str, path: str, errors: list[str]) -> Any:
        raw = node.value
        if raw is None:
            return _MISSING
        if node.repeated:
            raise _repeated(wire)
        return self.convert(raw, wire)

    def convert(self, raw: str, wire: str) -> Any:
        return raw

    def bad_value(self, raw: str, wire: str, expected: str) -> InvalidParameterValue:
        if self.sensitive:
            return InvalidParameterValue(f"Value for parameter {wire} is invalid: {expected}")
        return InvalidParameterValue(
            f"Value '{_echo(raw)}' for parameter {wire} is invalid: {expected}"
        )


class _String(_Scalar):
    def __init__(self, shape: Any) -> None:
        super().__init__(shape)
        self.length = _Length(shape)
        self.descriptions = list(self.length.descriptions)
        pattern = shape.metadata.get("pattern")
        self.pattern = compile_pattern(pattern) if pattern is not None else None
        self.pattern_description = f"Member must satisfy regular expression pattern: {pattern}"
        if pattern is not None:
            self.descriptions.append(self.pattern_description)
        enum = shape.metadata.get("enum")
        self.enum = frozenset(enum) if enum else None
        self.enum_description = f"Member must satisfy enum value set: [{', '.join(enum or ())}]"
        if enum:
            self.descriptions.append(self.enum_description)
        self.constrained = bool(self.descriptions)
        self.shortest = self.length.minimum if self.length.minimum is not None else 0
        self.longest = self.length.maximum if self.length.maximum is not None else sys.maxsize

    def read(self, node: _Node, wire: str, path: str, errors: list[str]) -> Any:
        raw = node.value
        if raw is None:
            return _MISSING
        if node.repeated:
            raise _repeated(wire)
        return raw

    def fits(self, value: str) -> bool:
        """Whether ``value`` keeps every constraint (the fast path of every request)."""
        return (
            self.shortest <= len(value) <= self.longest
            and (self.pattern is None or self.pattern.fullmatch(value) is not None)
            and (self.enum is None or value in self.enum)
        )

    def validate(self, value: Any, path: str, errors: list[str]) -> None:
        if self.constrained and not self.fits(value):
            super().validate(value, path, errors)

    def invalid(self, value: Any) -> bool:
        return self.constrained and not self.fits(value)

    def broken(self, value: Any) -> list[str]:
        broken = self.length.broken(len(value))
        if self.pattern is not None and self.pattern.fullmatch(value) is None:
            broken.append(self.pattern_description)
        if self.enum is not None and value not in self.enum:
            broken.append(self.enum_description)
        return broken


_INTEGER = re.compile(r"[+-]?[0-9]{1,20}")
_INTEGER_BITS = {"integer": 32, "long": 64, "short": 16, "byte": 8}


class _Integer(_Scalar):
    def __init__(self, shape: Any) -> None:
        super().__init__(shape)
        self.bits = _INTEGER_BITS[shape.type_name]
        self.maximum = shape.metadata.get("max")
        self.minimum = shape.metadata.get("min")
        self.too_big = f"Member must have value less than or equal to {self.maximum}"
        self.too_small = f"Member must have value greater than or equal to {self.minimum}"
        if self.maximum is not None:
            self.descriptions.append(self.too_big)
        if self.minimum is not None:
            self.descriptions.append(self.too_small)

    def convert(self, raw: str, wire: str) -> Any:
        if _INTEGER.fullmatch(raw) is None:
            raise self.bad_value(raw, wire, "it must be an integer")
        value = int(raw)
        limit = 1 << (self.bits - 1)
        if not -limit <= value < limit:
            raise self.bad_value(raw, wire, f"it must be a {self.bits}-bit integer")
        return value

    def broken(self, value: Any) -> list[str]:
        if self.maximum is not None and value > self.maximum:
            return [self.too_big]
        if self.minimum is not None and value < self.minimum:
            return [self.too_small]
        return []


class _Boolean(_Scalar):
    def convert(self, raw: str, wire: str) -> Any:
        lowered = raw.lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
        raise self.bad_value(raw, wire, "it must be true or false")


class _Timestamp(_Scalar):
    def convert(self, raw: str, wire: str) -> Any:
        try:
            value = datetime.fromisoformat(raw)
            if value.tzinfo is None:
                return value.replace(tzinfo=UTC)
            return value.astimezone(UTC)
        except (ValueError, OverflowError):
            raise self.bad_value(raw, wire, "it must be an ISO 8601 timestamp") from None


class _Blob(_Scalar):
    def convert(self, raw: str, wire: str) -> Any:
        try:
            return base64.b64decode(raw, validate=True)
        except ValueError:
            raise self.bad_value(raw, wire, "it must be base64") from None


class _Float(_Scalar):
    def convert(self, raw: str, wire: str) -> Any:
        try:
            return float(raw)
        except ValueError:
            raise self.bad_value(raw, wire, "it must be a number") from None


def _indexed_items(container: _Node, wire: str) -> list[_Node]:
    """The children of a list or map container, in index order 1..N (no gaps, no zero)."""
    items = container.children
    if container.value or not items:
        raise InvalidQueryParameter(f"Parameter {wire} must be followed by an index 1, 2, 3 ...")
    count = len(items)
    for key in items:
        if not (key.isascii() and key.isdigit() and key[0] != "0"):
            raise InvalidQueryParameter(
                f"Parameter {wire}.{_echo(key)} has an invalid index: indexes are 1, 2, 3 ..."
            )
        if len(key) > len(str(count)) or int(key) > count:
            missing = next(str(i) for i in range(1, count + 1) if str(i) not in items)
            raise InvalidQueryParameter(
                f"Parameter {wire} has no member {missing}: indexes must run from 1 without gaps"
            )
    return [items[str(index)] for index in range(1, count + 1)]


class _Collection(_Shape):
    """Shared reading of lists and maps: an empty value is an empty collection."""

    def __init__(self, shape: Any) -> None:
        super().__init__(shape)
        self.flattened = bool(shape.serialization.get("flattened"))
        self.length = _Length(shape)
        self.descriptions = list(self.length.descriptions)

    def container(self, node: _Node, wire: str, name: str) -> _Node | None:
        if node.value:
            raise InvalidQueryParameter(
                f"Parameter {wire} is a list or map: give its members as {wire}.{name}.N"
            )
        if node.repeated:
            raise _repeated(wire)
        if not node.children:
            return None
        return node if self.flattened else node.children.get(name)


class _List(_Collection):
    def __init__(self, shape: Any) -> None:
        super().__init__(shape)
        self.member_name = shape.member.serialization.get("name", "member")
        self.member: _Shape = _Shape(shape.member)
        self.member_description: str | None = None

    def link(self, member: _Shape) -> None:
        self.member = member
        self.simple = member.simple
        self.sensitive = self.sensitive or member.sensitive
        if member.simple and member.descriptions:
            self.member_description = (
                f"Member must satisfy constraint: [{', '.join(member.descriptions)}]"
            )
            self.descriptions.append(self.member_description)

    def read(self, node: _Node, wire: str, path: str, errors: list[str]) -> Any:
        container = self.container(node, wire, self.member_name)
        if container is None:
            return [] if node.value is not None else _MISSING
        prefix = wire if self.flattened else f"{wire}.{self.member_name}"
        member = self.member
        values = []
        for index, item in enumerate(_indexed_items(container, prefix), 1):
            item_path = f"{path}.{index}.member"
            value = member.read(item, f"{prefix}.{index}", item_path, errors)
            if value is _MISSING:
                errors.append(_null(item_path))
                value = None
            elif not member.simple:
                member.validate(value, item_path, errors)
            values.append(value)
        return values

    def broken(self, value: Any) -> list[str]:
        broken = self.length.broken(len(value))
        if self.member_description is not None:
            member = self.member
            if any(item is not None and member.invalid(item) for item in value):
                broken.append(self.member_description)
        return broken


class _Map(_Collection):
    def __init__(self, shape: Any) -> None:
        super().__init__(shape)
        self.key_name = shape.key.serialization.get("name", "key")
        self.value_name = shape.value.serialization.get("name", "value")
        self.key: _Shape = _Shape(shape.key)
        self.value: _Shape = _Shape(shape.value)
        self.checked_parts: list[tuple[bool, _Shape, str]] = []

    def link(self, key: _Shape, value: _Shape) -> None:
        self.key, self.value = key, value
        self.simple = value.simple
        self.sensitive = self.sensitive or key.sensitive or value.sensitive
        for is_key, part, words in ((True, key, "Map keys"), (False, value, "Map value")):
            if part.simple and part.descriptions:
                constraint = f"{words} must satisfy constraint: [{', '.join(part.descriptions)}]"
                self.checked_parts.append((is_key, part, constraint))

    def read(self, node: _Node, wire: str, path: str, errors: list[str]) -> Any:
        container = self.container(node, wire, "entry")
        if container is None:
            return {} if node.value is not None else _MISSING
        prefix = wire if self.flattened else f"{wire}.entry"
        result: dict[Any, Any] = {}
        for index, entry in enumerate(_indexed_items(container, prefix), 1):
            entry_wire = f"{prefix}.{index}"
            children = entry.children or {}
            key = self._part(self.key, children, self.key_name, entry_wire, path, errors)
            value = self._part(self.value, children, self.value_name, entry_wire, path, errors)
            if key in result:
                raise InvalidQueryParameter(
                    f"Parameter {prefix} has the key '{_echo(str(key))}' more than once"
                )
            if not self.value.simple:
                self.value.validate(value, f"{path}.{key}", errors)
            result[key] = value
        return result

    @staticmethod
    def _part(
        shape: _Shape,
        children: dict[str, _Node],
        name: str,
        entry_wire: str,
        path: str,
        errors: list[str],
    ) -> Any:
        node = children.get(name)
        wire = f"{entry_wire}.{name}"
        value = shape.read(node, wire, path, errors) if node is not None else _MISSING
        if value is _MISSING:
            raise InvalidQueryParameter(f"Map entry {entry_wire} has no {name}: give {wire}")
        return value

    def broken(self, value: Any) -> list[str]:
        broken = self.length.broken(len(value))
        for is_key, part, constraint in self.checked_parts:
            if any(part.invalid(item) for item in (value if is_key else value.values())):
                broken.append(constraint)
        return broken


@dataclass(frozen=True, slots=True)
class _Member:
    name: str
    wire: str
    path_name: str
    shape: _Shape
    required: bool


class _Structure(_Shape):
    simple = False

    def __init__(self, shape: Any) -> None:
        super().__init__(shape)
        self.members: tuple[_Member, ...] = ()
        self.union = bool(shape.metadata.get("union"))

    def read(self, node: _Node, wire: str, path: str, errors: list[str]) -> Any:
        if not node.children:
            return _MISSING
        return self.read_members(node.children, wire + ".", path + ".", errors, root=False)

    def read_members(
        self, children: dict[str, _Node], wire: str, path: str, errors: list[str], root: bool
    ) -> Any:
        """The members found under ``children``; ``wire`` and ``path`` end with a dot."""
        result: dict[str, Any] = {}
        missing: list[str] = []
        for member in self.members:
            child = children.get(member.wire)
            if child is not None:
                member_path = path + member.path_name
                value = member.shape.read(child, wire + member.wire, member_path, errors)
                if value is not _MISSING:
                    result[member.name] = value
                    member.shape.validate(value, member_path, errors)
                    continue
            if member.required:
                missing.append(path + member.path_name)
        if not result and not root:
            return _MISSING
        if missing:
            errors.extend(_null(member_path) for member_path in missing)
        if self.union and len(result) > 1:
            errors.append(
                f"Value at '{path[:-1]}' failed to satisfy constraint: "
                "Member must have exactly one member set"
            )
        return result


class _Compiler:
    """Compiles the input shapes of one service, sharing them between operations."""

    _SCALARS: dict[str, type[_Scalar]] = {  # noqa: RUF012 - a constant table
        "string": _String,
        "character": _String,
        "integer": _Integer,
        "long": _Integer,
        "short": _Integer,
        "byte": _Integer,
        "boolean": _Boolean,
        "timestamp": _Timestamp,
        "blob": _Blob,
        "float": _Float,
        "double": _Float,
    }

    def __init__(self) -> None:
        self._shapes: dict[str, _Shape] = {}

    def compile(self, shape: Any) -> _Shape:
        compiled = self._shapes.get(shape.name)
        if compiled is not None:
            return compiled
        kind = shape.type_name
        if kind == "structure":
            structure = _Structure(shape)
            # Registered before its members are compiled, so that recursive shapes terminate.
            self._shapes[shape.name] = structure
            required = set(shape.required_members)
            structure.members = tuple(
                self._member(name, member, name in required)
                for name, member in shape.members.items()
            )
            # A value holding a secret anywhere inside is never echoed in a message.
            structure.sensitive = structure.sensitive or any(
                member.shape.sensitive for member in structure.members
            )
            return structure
        if kind == "list":
            collection = _List(shape)
            self._shapes[shape.name] = collection
            collection.link(self.compile(shape.member))
            return collection
        if kind == "map":
            mapping = _Map(shape)
            self._shapes[shape.name] = mapping
            mapping.link(self.compile(shape.key), self.compile(shape.value))
            return mapping
        scalar = self._SCALARS.get(kind)
        if scalar is None:
            raise ValueError(f"shape {shape.name} has unsupported type {kind}")
        self._shapes[shape.name] = compiled = scalar(shape)
        return compiled

    def _member(self, name: str, shape: Any, required: bool) -> _Member:
        wire = shape.serialization.get("name", name)
        if shape.type_name == "list" and shape.serialization.get("flattened"):
            wire = shape.member.serialization.get("name", wire)
        path_name = name[:1].lower() + name[1:]
        return _Member(name, wire, path_name, self.compile(shape), required)


class OperationReader:
    """The compiled input of one operation: reads and validates its parameters from pairs."""

    def __init__(self, operation_model: Any, compiler: _Compiler | None = None) -> None:
        shape = operation_model.input_shape
        root = (compiler or _Compiler()).compile(shape) if shape is not None else None
        if root is not None and not isinstance(root, _Structure):
            raise ValueError(f"input of {operation_model.name} is not a structure")
        self.root = root
        self.top_names = frozenset(m.wire for m in root.members) if root else frozenset()

    def read(self, pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
        """The parameters found in ``pairs`` by member name; raises on any error."""
        if self.root is None:
            return {}
        errors: list[str] = []
        params = self.root.read_members(
            _build_tree(pairs, self.top_names), "", "", errors, root=True
        )
        if errors:
            raise _validation_error(errors)
        return params  # type: ignore[no-any-return]


_lock = threading.Lock()


@functools.cache
def _compiler(service: str) -> _Compiler:
    return _Compiler()


@functools.cache
def _reader(service: str, operation: str) -> OperationReader:
    with _lock:
        model = service_model(service).operation_model(operation)
        return OperationReader(model, _compiler(service))


def prepare(service: str) -> None:
    """Compile every operation of ``service`` now (a server may call this at start-up)."""
    for operation in service_model(service).operation_names:
        _reader(service, operation)


def _action_and_version(pairs: Sequence[tuple[str, str]]) -> tuple[str, str | None]:
    action: str | None = None
    version: str | None = None
    for key, value in pairs:
        if key == "Action":
            if action is not None:
                raise _repeated("Action")
            action = value
        elif key == "Version":
            if version is not None:
                raise _repeated("Version")
            version = value
    if not action:
        raise MissingAction()
    return action, version


def _validation_error(errors: list[str]) -> ValidationError:
    count = len(errors)
    noun = "validation error" if count == 1 else "validation errors"
    return ValidationError(f"{count} {noun} detected: " + "; ".join(errors))


def parse_query(service: str, pairs: Sequence[tuple[str, str]]) -> ParsedCall:
    """The operation and validated parameters of one Query request (see the module doc)."""
    action, version = _action_and_version(pairs)
    if version != API_VERSIONS[service] or action not in operation_names(service):
        raise InvalidAction.for_operation(_echo(action), version and _echo(version))
    for name, value in pairs:
        if "\x00" in value:
            # No value IAM stores may hold U+0000 (PostgreSQL's text could not either).
            raise InvalidParameterValue(
                f"Invalid value for parameter {_echo(name)}: the NUL character is not allowed."
            )
    return ParsedCall(service, action, _reader(service, action).read(pairs))
