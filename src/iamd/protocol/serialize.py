"""Operation results to AWS Query XML, by walking the botocore output shape.

Each operation's output shape is compiled once into a tree of small writer functions (member
order and element names are the model's), so that a call only walks its result. Values: str,
int, bool, tz-aware datetime (written as ISO 8601 UTC with 'Z'), bytes (base64), lists, maps
and nested mappings for structures; a None or missing member is left out.
"""

from __future__ import annotations

import base64
import functools
import math
import re
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from iamd.protocol.models import NAMESPACES, service_model

Text = Callable[[Any], str]
Emit = Callable[[Any, list[str]], None]
# (member name, open tag, scalar text function or None, close tag, writer of the whole element)
_MemberWriter = tuple[str, str, Text | None, str, Emit]

# &, <, > and CR (which an XML parser would turn into LF) are escaped; characters XML 1.0
# cannot carry at all (C0 controls, lone surrogates, U+FFFE/U+FFFF) become U+FFFD.
_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}


def _replace_special(match: re.Match[str]) -> str:
    return _ENTITIES.get(match.group(), "\ufffd")


def xml_escape(text: Any) -> str:
    """``text`` as XML character data that parses back to the same string."""
    string = text if type(text) is str else str(text)
    # Printable text without &, < or > needs nothing (isprintable is False for every control
    # character, surrogate and noncharacter): a quicker test than the expression's search.
    if string.isprintable() and "&" not in string and "<" not in string and ">" not in string:
        return string
    if _SPECIAL.search(string) is None:
        return string
    return _SPECIAL.sub(_replace_special, string)


def format_timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with a 'Z', to the second (or the millisecond if it has a fraction)."""
    if value.tzinfo is not UTC:
        offset = value.utcoffset()
        if offset is None:
            raise ValueError(f"timestamp {value!r} has no time zone")
        if offset:
            value = value.astimezone(UTC)
    if value.microsecond:
        return value.isoformat(timespec="milliseconds")[:23] + "Z"
    # %-formatting costs a third less than isoformat() (which adds the offset) and f-strings.
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (  # noqa: UP031
        value.year, value.month, value.day, value.hour, value.minute, value.second)


def _integer_text(value: Any) -> str:
    return f"{value:d}"


def _boolean_text(value: Any) -> str:
    return "true" if value else "false"


def _float_text(value: Any) -> str:
    number = float(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return repr(number)


def _blob_text(value: Any) -> str:
    if isinstance(value, str):
        value = value.encode()
    return base64.b64encode(value).decode("ascii")


_SCALAR_TEXT: dict[str, Text] = {
    "string": xml_escape,
    "character": xml_escape,
    "integer": _integer_text,
    "long": _integer_text,
    "short": _integer_text,
    "byte": _integer_text,
    "boolean": _boolean_text,
    "float": _float_text,
    "double": _float_text,
    "timestamp": format_timestamp,
    "blob": _blob_text,
}


class _Compiler:
    """Compiles shapes of one service into writers, sharing them between operations."""

    def __init__(self) -> None:
        self._emitters: dict[str, Emit] = {}

    def element(self, shape: Any, tag: str) -> Emit:
        """A writer of ``<tag>value</tag>`` for a value of ``shape``."""
        text = _SCALAR_TEXT.get(shape.type_name)
        open_tag, close_tag = f"<{tag}>", f"</{tag}>"
        if text is not None:

            def write_scalar(value: Any, out: list[str]) -> None:
                out.append(open_tag + text(value) + close_tag)

            return write_scalar
        emit = self.content(shape)

        def write_container(value: Any, out: list[str]) -> None:
            out.append(open_tag)
            emit(value, out)
            out.append(close_tag)

        return write_container

    def content(self, shape: Any) -> Emit:
        """A writer of the children of a structure, list or map element."""
        cached = self._emitters.get(shape.name)
        if cached is not None:
            return cached
        if shape.type_name == "structure":
            # Registered before compiling members, so that recursive shapes terminate.
            members: list[_MemberWriter] = []
            self._emitters[shape.name] = emit = _structure_emitter(members)
            members.extend(self.member(name, member) for name, member in shape.members.items())
            return emit
        if shape.type_name == "list":
            emit = self._list_content(shape)
        elif shape.type_name == "map":
            emit = self._map_content(shape)
        else:
            raise ValueError(f"shape {shape.name} of type {shape.type_name} has no children")
        self._emitters[shape.name] = emit
        return emit

    def member(self, name: str, shape: Any) -> _MemberWriter:
        """How to write one structure member (flattened collections included)."""
        if shape.serialization.get("flattened") and shape.type_name in ("list", "map"):
            return name, "", None, "", self._flattened(name, shape)
        tag = shape.serialization.get("name", name)
        text = _SCALAR_TEXT.get(shape.type_name)
        return name, f"<{tag}>", text, f"</{tag}>", self.element(shape, tag)

    def _list_content(self, shape: Any) -> Emit:
        write_item = self.element(shape.member, shape.member.serialization.get("name", "member"))

        def emit_list(value: Any, out: list[str]) -> None:
            for item in value:
                write_item(item, out)

        return emit_list

    def _entry_writers(self, shape: Any) -> tuple[Emit, Emit]:
        key_tag = shape.key.serialization.get("name", "key")
        value_tag = shape.value.serialization.get("name", "value")
        return self.element(shape.key, key_tag), self.element(shape.value, value_tag)

    def _map_content(self, shape: Any) -> Emit:
        write_key, write_value = self._entry_writers(shape)

        def emit_map(value: Any, out: list[str]) -> None:
            for key, item in value.items():
                out.append("<entry>")
                write_key(key, out)
                write_value(item, out)
                out.append("</entry>")

        return emit_map

    def _flattened(self, name: str, shape: Any) -> Emit:
        if shape.type_name == "list":
            tag = shape.member.serialization.get("name") or shape.serialization.get("name", name)
            write_item = self.element(shape.member, tag)

            def write_flat_list(value: Any, out: list[str]) -> None:
                for item in value:
                    write_item(item, out)

            return write_flat_list
        open_tag = f"<{shape.serialization.get('name', name)}>"
        close_tag = "</" + open_tag[1:]
        write_key, write_value = self._entry_writers(shape)

        def write_flat_map(value: Any, out: list[str]) -> None:
            for key, item in value.items():
                out.append(open_tag)
                write_key(key, out)
                write_value(item, out)
                out.append(close_tag)

        return write_flat_map


def _structure_emitter(members: list[_MemberWriter]) -> Emit:
    """A writer of a structure's members. Members are compiled after the writer exists (so
    that recursive shapes terminate): the first call turns the list into straight-line code,
    which lists of a thousand users run a thousand times."""
    compiled: list[Emit] = []

    def emit_structure(value: Any, out: list[str]) -> None:
        if not compiled:
            compiled.append(_straight_line(members))
        compiled[0](value, out)

    return emit_structure


def _straight_line(members: list[_MemberWriter]) -> Emit:
    namespace: dict[str, Any] = {}
    lines = ["def emit(value, out):", "    get = value.get", "    append = out.append"]
    for index, (name, open_tag, text, close_tag, write) in enumerate(members):
        namespace[f"name{index}"] = name
        lines.append(f"    item = get(name{index})")
        lines.append("    if item is not None:")
        if text is not None:
            namespace[f"text{index}"] = text
            namespace[f"open{index}"] = open_tag
            namespace[f"close{index}"] = close_tag
            lines.append(f"        append(open{index} + text{index}(item) + close{index})")
        else:
            namespace[f"write{index}"] = write
            lines.append(f"        write{index}(item, out)")
    if not members:
        lines.append("    return None")
    exec("\n".join(lines), namespace)
    emit: Emit = namespace["emit"]
    return emit


class ResponseWriter:
    """The compiled response of one operation: writes its XML body."""

    def __init__(
        self, operation_model: Any, namespace: str, compiler: _Compiler | None = None
    ) -> None:
        name = operation_model.name
        shape = operation_model.output_shape
        self._head = f'<{name}Response xmlns="{namespace}">'
        self._tail = f"</{name}Response>"
        self._emit = (compiler or _Compiler()).content(shape) if shape is not None else None
        wrapper = shape.serialization.get("resultWrapper") if shape is not None else None
        self._result_open = f"<{wrapper}>" if wrapper else ""
        self._result_close = f"</{wrapper}>" if wrapper else ""

    def write(self, result: Mapping[str, Any] | None, request_id: str) -> bytes:
        out = [self._head]
        if self._emit is not None:
            out.append(self._result_open)
            if result:
                self._emit(result, out)
            out.append(self._result_close)
        out.append("<ResponseMetadata><RequestId>")
        out.append(xml_escape(request_id))
        out.append("</RequestId></ResponseMetadata>")
        out.append(self._tail)
        return "".join(out).encode()


_lock = threading.Lock()


@functools.cache
def _compiler(service: str) -> _Compiler:
    return _Compiler()


@functools.cache
def _writer(service: str, operation: str) -> ResponseWriter:
    with _lock:
        model = service_model(service).operation_model(operation)
        return ResponseWriter(model, NAMESPACES[service], _compiler(service))


def serialize_result(
    service: str, operation: str, result: Mapping[str, Any] | None, request_id: str
) -> bytes:
    """The XML body AWS sends for a successful ``operation`` with ``result``."""
    return _writer(service, operation).write(result, request_id)


def prepare(service: str) -> None:
    """Compile every operation of ``service`` now (a server may call this at start-up)."""
    for operation in service_model(service).operation_names:
        _writer(service, operation)
