"""Policy variables: ``${aws:username}``, ``${aws:PrincipalTag/team, 'default'}``, ``${*}``.

`parse_template` splits a policy string into parts once, at compile time:

* ``str``: policy text as written. Where wildcards apply (Resource, StringLike, Arn*), its
  ``*`` and ``?`` are wildcards;
* `Literal`: what the escapes ``${*}``, ``${?}`` and ``${$}`` stand for. Always matched as the
  character itself, never as a wildcard. Escapes are not variables (`Template.has_variables`
  ignores them), but a template holding one still differs from its text, so callers must go
  through the parts (or `Template.static_chunks`) rather than use the text;
* `Variable`: a context key, lower-cased, with its optional default.

`resolve` substitutes a context into the parts and returns ``(text, wildcards)`` chunks:
``wildcards`` is true only for policy text as written. Substituted values and defaults are
literal text: a tag value ``a*b`` never acts as a wildcard.

Variables are honoured only under Version 2012-10-17; for other versions callers treat the
whole string as policy text and never call `parse_template`.
Source: reference_policies_variables.html.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ._request import ContextValue

_ESCAPES = {"*": "*", "?": "?", "$": "$"}
_DEFAULT_OPENING = ", '"
_FORBIDDEN_IN_NAME = frozenset("{}$,'\"")


@dataclass(frozen=True, slots=True)
class Literal:
    """Text to match exactly as written: never a wildcard."""

    text: str


@dataclass(frozen=True, slots=True)
class Variable:
    """``${key}`` or ``${key, 'default'}``; ``key`` is lower-cased (keys are case-insensitive)."""

    key: str
    default: str | None = None


TemplatePart = str | Literal | Variable
Chunk = tuple[str, bool]  # (text, wildcards): wildcards is true for policy text as written


@dataclass(frozen=True, slots=True)
class Template:
    """A policy string split into text, escapes and variables (see the module docstring)."""

    text: str
    parts: tuple[TemplatePart, ...]

    @property
    def has_variables(self) -> bool:
        return any(isinstance(part, Variable) for part in self.parts)

    @property
    def variable_keys(self) -> tuple[str, ...]:
        """The lower-cased keys of the variables, in order of first appearance, no repeats."""
        keys = (part.key for part in self.parts if isinstance(part, Variable))
        return tuple(dict.fromkeys(keys))

    def static_chunks(self) -> tuple[Chunk, ...]:
        """The chunks of a template without variables.

        Raises:
            ValueError: the template has variables (use `resolve`).
        """
        chunks: list[Chunk] = []
        for part in self.parts:
            if isinstance(part, Variable):
                raise ValueError(f"`{self.text}` has variables")
            chunks.append((part, True) if isinstance(part, str) else (part.text, False))
        return tuple(chunks)


def parse_template(text: str) -> Template:
    """Split ``text`` into policy text, escapes and variables.

    Raises:
        ValueError: an unclosed ``${``, an empty ``${}``, white space or a forbidden character
            in a variable name, or a default not written ``${key, 'value'}``.
    """
    parts: list[TemplatePart] = []
    position = 0
    plain_start = 0
    while True:
        start = text.find("${", position)
        if start < 0:
            break
        end, part = _parse_variable(text, start)
        if start > plain_start:
            parts.append(text[plain_start:start])
        parts.append(part)
        position = plain_start = end
    if plain_start < len(text):
        parts.append(text[plain_start:])
    return Template(text, _merge_literals(parts))


def _parse_variable(text: str, start: int) -> tuple[int, Literal | Variable]:
    """Parse the variable opening at ``start``; return the index after it and the part."""
    body_start = start + 2
    close = text.find("}", body_start)
    if close < 0:
        raise ValueError(f"unclosed policy variable in `{text}`: `${{` needs a closing `}}`")
    comma = text.find(",", body_start, close)
    if comma < 0:
        name = text[body_start:close]
        if name in _ESCAPES:
            return close + 1, Literal(_ESCAPES[name])
        return close + 1, Variable(_checked_name(name, text))
    name = text[body_start:comma]
    if not text.startswith(_DEFAULT_OPENING, comma):
        raise ValueError(
            f"malformed default in policy variable of `{text}`: write `${{key, 'value'}}`"
        )
    value_start = comma + len(_DEFAULT_OPENING)
    # The default may contain `}`: it ends at the first `'}`.
    value_end = text.find("'}", value_start)
    if value_end < 0:
        raise ValueError(
            f"malformed default in policy variable of `{text}`: write `${{key, 'value'}}`"
        )
    default = text[value_start:value_end]
    if "'" in default:
        raise ValueError(f"a policy variable default must not contain `'`: `{text}`")
    return value_end + 2, Variable(_checked_name(name, text), default)


def _checked_name(name: str, text: str) -> str:
    if not name:
        raise ValueError(f"empty policy variable `${{}}` in `{text}`")
    if any(char.isspace() for char in name):
        raise ValueError(f"policy variable name `{name}` must not contain white space")
    forbidden = sorted(set(name) & _FORBIDDEN_IN_NAME)
    if forbidden:
        raise ValueError(f"policy variable name `{name}` must not contain `{forbidden[0]}`")
    return sys.intern(name.lower())  # the context's keys are interned too


def _merge_literals(parts: list[TemplatePart]) -> tuple[TemplatePart, ...]:
    merged: list[TemplatePart] = []
    for part in parts:
        previous = merged[-1] if merged else None
        if isinstance(part, Literal) and isinstance(previous, Literal):
            merged[-1] = Literal(previous.text + part.text)
        elif isinstance(part, str) and isinstance(previous, str):
            merged[-1] = previous + part
        else:
            merged.append(part)
    return tuple(merged)


def variable_value(variable: Variable, context: Mapping[str, ContextValue]) -> str | None:
    """The text a variable stands for: its single context value, else its default, else None.

    A multivalued key has no value (only single-valued keys can be variables).
    """
    value = context.get(variable.key)
    if value is None or isinstance(value, tuple):
        return variable.default
    return value


def resolve(template: Template, context: Mapping[str, ContextValue]) -> tuple[Chunk, ...] | None:
    """Substitute ``context`` into ``template``: chunks of ``(text, wildcards)``.

    None when a variable has no value and no default: the value then matches nothing.
    """
    chunks: list[Chunk] = []
    for part in template.parts:
        if isinstance(part, str):
            chunks.append((part, True))
        elif isinstance(part, Literal):
            chunks.append((part.text, False))
        else:
            value = variable_value(part, context)
            if value is None:
                return None
            chunks.append((value, False))
    return tuple(chunks)


def resolve_text(template: Template, context: Mapping[str, ContextValue]) -> str | None:
    """Like `resolve`, joined into one string, for operators without wildcards."""
    pieces: list[str] = []
    for part in template.parts:
        if isinstance(part, str):
            pieces.append(part)
        elif isinstance(part, Literal):
            pieces.append(part.text)
        else:
            value = variable_value(part, context)
            if value is None:
                return None
            pieces.append(value)
    return "".join(pieces)


def text_resolver(template: Template) -> Callable[[Mapping[str, ContextValue]], str | None]:
    """`resolve_text` for one template, specialised: a lone ``${key}`` is one lookup."""
    parts = template.parts
    if not template.has_variables:
        text = "".join(text for text, _ in template.static_chunks())
        return lambda context: text
    if len(parts) == 1 and isinstance(parts[0], Variable):
        key, default = parts[0].key, parts[0].default

        def lone_variable(context: Mapping[str, ContextValue]) -> str | None:
            value = context.get(key)
            if value is None or isinstance(value, tuple):
                return default
            return value

        return lone_variable
    return lambda context: resolve_text(template, context)
