"""Strict JSON for policy documents: the checks that come before the policy grammar.

`load_text` reads a document given as text or bytes, `load_mapping` one given as a Python
mapping. Both return a `Loaded`: the plain JSON value (dicts, lists, strings, numbers, booleans,
None), the text its size is measured on, and every problem found:

* bytes must be UTF-8;
* the text must be JSON (the message names line and column); ``NaN`` and ``Infinity`` are not
  JSON;
* no object may repeat a key, at any depth (Python's `json` silently keeps the last one);
* only tab, line feed, carriage return and U+0020 to U+00FF may appear (AWS's rule for policy
  documents). Characters written as ``\\uXXXX`` escapes are checked after decoding, so an
  escape cannot smuggle in a character the text itself could not contain;
* a mapping must hold JSON values only: string keys, no cycles, finite numbers, at most
  `MAX_NESTING` levels deep (text is bounded by the decoder's own recursion limit).

A number read from text is a `JsonFloat` when it has a fraction or an exponent: a float that
remembers how it was written (``1.50`` stays ``"1.50"``), so condition values keep their JSON text.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._errors import Problem
from ._limits import MAX_NESTING

_FORBIDDEN_CHARACTER = re.compile(r"[^\t\n\r\x20-\xff]")
_ALLOWED_CHARACTERS = "only tab, line feed, carriage return and U+0020 to U+00FF are allowed"
_MAX_INTEGER_DIGITS = 4_000
_MAX_INTEGER_BITS = 13_000  # fewer than 4,000 decimal digits


class JsonFloat(float):
    """A JSON number with a fraction or an exponent, with the text it was written as."""

    text: str

    def __new__(cls, text: str) -> JsonFloat:
        number = super().__new__(cls, text)
        number.text = text
        return number


@dataclass(slots=True)
class Loaded:
    """A document read as JSON: ``value`` is None when it could not be read at all."""

    value: Any = None
    text: str = ""
    problems: list[Problem] = field(default_factory=list)
    readable: bool = False


class _NotJson(Exception):
    """Raised from inside the JSON decoder hooks."""


def join_key(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def join_index(path: str, index: int) -> str:
    return f"{path}[{index}]"


def json_type(value: object) -> str:
    """The JSON name of a Python value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"


def _character_name(char: str) -> str:
    return f"U+{ord(char):04X}"


def _position(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    column = index - text.rfind("\n", 0, index)
    return f"line {line} column {column}"


def load_text(document: str | bytes | bytearray | memoryview) -> Loaded:
    """Read a policy document given as JSON text (bytes must be UTF-8)."""
    loaded = Loaded()
    if isinstance(document, str):
        text = document
    else:
        data = bytes(document)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            loaded.problems.append(
                Problem("", f"the document is not UTF-8: byte 0x{data[error.start]:02x} "
                            f"at offset {error.start} cannot be decoded")
            )
            return loaded
    loaded.text = text

    forbidden = _FORBIDDEN_CHARACTER.search(text)
    if forbidden is not None:
        count = len(_FORBIDDEN_CHARACTER.findall(text))
        more = f" ({count - 1} more such characters follow)" if count > 1 else ""
        loaded.problems.append(
            Problem("", f"character {_character_name(forbidden.group())} at "
                        f"{_position(text, forbidden.start())} is not allowed in a policy: "
                        f"{_ALLOWED_CHARACTERS}{more}")
        )

    duplicates: dict[int, list[str]] = {}

    def build_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            seen: set[str] = set()
            repeated: list[str] = []
            for key, _ in pairs:
                if key in seen and key not in repeated:
                    repeated.append(key)
                seen.add(key)
            duplicates[id(result)] = repeated
        return result

    def reject_constant(name: str) -> Any:
        raise _NotJson(f"`{name}` is not a JSON value")

    def build_integer(text: str) -> int:
        if len(text) > _MAX_INTEGER_DIGITS:
            raise _NotJson(f"a number of {len(text)} digits is too long")
        return int(text)

    try:
        value = json.loads(
            text,
            object_pairs_hook=build_object,
            parse_constant=reject_constant,
            parse_int=build_integer,
            parse_float=JsonFloat,
        )
    except json.JSONDecodeError as error:
        loaded.problems.append(
            Problem("", f"the document is not valid JSON: {error.msg} at line {error.lineno} "
                        f"column {error.colno}")
        )
        return loaded
    except _NotJson as error:
        loaded.problems.append(Problem("", f"the document is not valid JSON: {error}"))
        return loaded
    except RecursionError:
        loaded.problems.append(
            Problem("", f"the document nests values more than {MAX_NESTING} levels deep")
        )
        return loaded

    loaded.value = value
    loaded.readable = True
    # Only escapes (`\uXXXX`, `\b`, `\f`) can hide a character the text scan did not see.
    has_escapes = forbidden is None and "\\" in text
    if duplicates or has_escapes:
        _check_tree(value, duplicates, check_characters=has_escapes, problems=loaded.problems)
    return loaded


def _check_tree(
    value: Any, duplicates: dict[int, list[str]], *, check_characters: bool,
    problems: list[Problem],
) -> None:
    """Report repeated keys and (escaped) forbidden characters."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if check_characters:
                _check_string(item, path, problems)
            continue
        if not isinstance(item, dict | list):
            continue
        if isinstance(item, list):
            children = [(child, join_index(path, index)) for index, child in enumerate(item)]
        else:
            for key in duplicates.get(id(item), ()):
                problems.append(
                    Problem(join_key(path, key), f"duplicate key `{key}`: a JSON object must "
                                                 "not repeat a key")
                )
            children = []
            for key, child in item.items():
                if check_characters:
                    _check_key(key, path, problems)
                children.append((child, join_key(path, key)))
        stack.extend(reversed(children))


def _check_string(text: str, path: str, problems: list[Problem]) -> None:
    forbidden = _FORBIDDEN_CHARACTER.search(text)
    if forbidden is not None:
        problems.append(
            Problem(path, f"character {_character_name(forbidden.group())} is not allowed in a "
                          f"policy: {_ALLOWED_CHARACTERS}")
        )


def _check_key(key: str, path: str, problems: list[Problem]) -> None:
    forbidden = _FORBIDDEN_CHARACTER.search(key)
    if forbidden is not None:
        problems.append(
            Problem(path, f"character {_character_name(forbidden.group())} in key `{key}` is "
                          f"not allowed in a policy: {_ALLOWED_CHARACTERS}")
        )


def load_mapping(document: Mapping[Any, Any]) -> Loaded:
    """Read a policy document given as a mapping: copy it into plain JSON values, checked.

    A mapping holding something JSON cannot express (a non-string key, a set, NaN, a cycle,
    excessive nesting) is not read further: only those problems are reported.
    """
    loaded = Loaded()
    problems = loaded.problems
    not_json: list[Problem] = []
    root: dict[str, Any] = {}
    # Each entry: the source container, the copy to fill, its path, its depth, the ids of the
    # containers above it (to detect cycles).
    stack: list[tuple[Any, Any, str, int, frozenset[int]]] = [
        (document, root, "", 0, frozenset({id(document)}))
    ]
    while stack:
        source, target, path, depth, ancestors = stack.pop()
        is_object = isinstance(target, dict)
        items: Any = source.items() if is_object else enumerate(source)
        for slot, child in items:
            if is_object:
                if not isinstance(slot, str):
                    not_json.append(
                        Problem(path, f"key `{slot!r}` is {json_type(slot)}; JSON object keys "
                                      "are strings")
                    )
                    continue
                _check_key(slot, path, problems)
            child_type = type(child)
            if child_type is str:
                if _FORBIDDEN_CHARACTER.search(child) is not None:
                    _check_string(child, _child_path(path, slot), problems)
                copy: Any = child
            elif child_type is dict or child_type is list or isinstance(
                child, Mapping | list | tuple
            ):
                child_path = _child_path(path, slot)
                if id(child) in ancestors:
                    not_json.append(Problem(child_path, "the value contains itself"))
                    continue
                if depth + 1 >= MAX_NESTING:
                    problems.extend(not_json)
                    problems.append(
                        Problem(child_path, f"values nest more than {MAX_NESTING} levels deep")
                    )
                    return loaded
                copy = {} if isinstance(child, Mapping) else []
                stack.append((child, copy, child_path, depth + 1, ancestors | {id(child)}))
            else:
                copy = _copy_scalar(child, path, slot, problems, not_json)
            if is_object:
                target[slot] = copy
            else:
                target.append(copy)
    if not_json:
        problems.extend(not_json)
        return loaded
    loaded.value = root
    loaded.readable = True
    loaded.text = json.dumps(root, separators=(",", ":"), ensure_ascii=False)
    return loaded


def _child_path(path: str, slot: str | int) -> str:
    return join_key(path, slot) if isinstance(slot, str) else join_index(path, slot)


def _copy_scalar(
    value: Any, path: str, slot: str | int, problems: list[Problem], not_json: list[Problem]
) -> Any:
    """A JSON scalar as itself, its characters checked; else a problem in ``not_json``."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if value.bit_length() > _MAX_INTEGER_BITS:
            not_json.append(Problem(_child_path(path, slot), "the number is too long"))
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            not_json.append(Problem(_child_path(path, slot), f"`{value}` is not a JSON number"))
        return value
    if isinstance(value, str):
        _check_string(value, _child_path(path, slot), problems)
        return value
    not_json.append(Problem(_child_path(path, slot), f"{json_type(value)} is not a JSON value"))
    return None
