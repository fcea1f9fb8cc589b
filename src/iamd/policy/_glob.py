"""``*``/``?`` globs compiled to regular expressions.

Two dialects:

* the **free glob** (StringLike, actions): ``*`` is any run of characters, ``/``, ``:`` and
  newlines included; ``?`` is exactly one character;
* the **ARN glob** (Resource, ArnLike/ArnEquals): six colon-separated fields
  ``arn:partition:service:region:account:resource``. In the first five, ``*`` and ``?`` never
  match ``:``; in the resource field (after the fifth colon) ``*`` matches any run, ``:`` and
  ``/`` included. A pattern with fewer than five colons is not an ARN and matches nothing.
  In the Resource element only, a ``*`` that ends one of the first five fields "can expand to
  match beyond the colon boundaries" (reference_policies_elements_resource.html): it matches
  any run there too. ArnLike checks "each of the six colon-delimited components separately"
  (reference_policies_elements_condition_operators.html), so it keeps the strict form.

Patterns are given as chunks ``(text, wildcards)`` (see `_variables`): ``*`` and ``?`` are
wildcards only in chunks whose flag is true; everything else is literal. The ``*_source``
functions return regex source text, so several patterns can be joined into one alternation.
`GlobSet` sorts the patterns of one element into exact strings, prefixes (a lone final ``*``)
and one regex, and returns the cheapest test; `TemplateGlob` compiles a pattern holding
policy variables per distinct variable value, with a cache. `free_glob` and `arn_glob` compile
a single pattern (cached).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache

from ._request import ContextValue
from ._variables import Chunk, Template, Variable, resolve, variable_value

ARN_FIELD_SEPARATORS = 5  # colons before the resource field

_FREE_WILDCARDS = {"*": ".*", "?": "."}
_FIELD_WILDCARDS = {"*": "[^:]*", "?": "[^:]"}
_WILDCARD_RUN = re.compile(r"[*?]")

_CACHE_SIZE = 4096  # patterns kept by `free_glob` and `arn_glob`


def has_wildcards(text: str) -> bool:
    return "*" in text or "?" in text


def free_glob_source(chunks: Iterable[Chunk]) -> str:
    """Regex source for a free glob (not anchored; use ``fullmatch``)."""
    pieces: list[str] = []
    for text, wildcards in chunks:
        if wildcards:
            pieces.append(_translate(text, _FREE_WILDCARDS))
        else:
            pieces.append(re.escape(text))
    return "".join(pieces)


def arn_glob_source(chunks: Iterable[Chunk], *, resource_element: bool = False) -> str | None:
    """Regex source for an ARN glob, or None when the pattern has fewer than six fields.

    Field boundaries are the first five ``:`` of the pattern text, wherever they come from
    (a substituted variable value included); substituted text stays literal.
    ``resource_element``: the Resource element's dialect (a field-ending ``*`` crosses ``:``).
    """
    field_wildcards = _fields_crossing_at_end if resource_element else _fields
    pieces: list[str] = []
    colons = 0
    for text, wildcards in chunks:
        start = 0
        # Split the chunk where the resource field begins; the two halves translate differently.
        while colons < ARN_FIELD_SEPARATORS:
            colon = text.find(":", start)
            if colon < 0:
                break
            colons += 1
            start = colon + 1
        head, tail = text[:start], text[start:]
        if colons < ARN_FIELD_SEPARATORS:
            head, tail = text, ""
        if wildcards:
            pieces.append(field_wildcards(head))
            pieces.append(_translate(tail, _FREE_WILDCARDS))
        else:
            pieces.append(re.escape(text))
    if colons < ARN_FIELD_SEPARATORS:
        return None
    return "".join(pieces)


def _fields(text: str) -> str:
    return _translate(text, _FIELD_WILDCARDS)


def _fields_crossing_at_end(text: str) -> str:
    """Like `_fields`, but a ``*`` right before a field's closing ``:`` matches any run."""
    fields = text.split(":")
    pieces = []
    for index, field in enumerate(fields):
        if field.endswith("*") and index < len(fields) - 1:
            pieces.append(_translate(field[:-1], _FIELD_WILDCARDS) + ".*")
        else:
            pieces.append(_translate(field, _FIELD_WILDCARDS))
    return ":".join(pieces)


def _translate(text: str, wildcards: dict[str, str]) -> str:
    """Regex source for glob text: wildcards translated, everything else escaped."""
    if not text:
        return ""
    pieces: list[str] = []
    start = 0
    for match in _WILDCARD_RUN.finditer(text):
        pieces.append(re.escape(text[start : match.start()]))
        pieces.append(wildcards[match.group()])
        start = match.end()
    pieces.append(re.escape(text[start:]))
    return "".join(pieces)


class GlobSet:
    """Several globs sorted by the cheapest test that decides them.

    ``exact``: patterns without wildcards (a set lookup); ``prefixes``: patterns whose only
    wildcard is a final ``*`` that may match anything (``str.startswith``); ``sources``: the
    rest, as regex sources for one alternation. `test` returns the fastest closure.
    """

    def __init__(self) -> None:
        self.exact: set[str] = set()
        self.prefixes: list[str] = []
        self.sources: list[str] = []

    def add_free(self, chunks: tuple[Chunk, ...]) -> None:
        """Add a free glob."""
        self._add(chunks, free_glob_source(chunks))

    def add_arn(self, chunks: tuple[Chunk, ...], *, resource_element: bool = False) -> bool:
        """Add an ARN glob; False (and nothing added) when it is not an ARN pattern."""
        source = arn_glob_source(chunks, resource_element=resource_element)
        if source is None:
            return False
        # An ARN pattern has five colons, so a final `*` is in the resource field: it matches
        # anything there, and a prefix test is exact.
        self._add(chunks, source)
        return True

    def _add(self, chunks: tuple[Chunk, ...], source: str) -> None:
        kind, text = _classify(chunks)
        if kind == "exact":
            self.exact.add(text)
        elif kind == "prefix":
            self.prefixes.append(text)
        else:
            self.sources.append(source)

    def __bool__(self) -> bool:
        return bool(self.exact or self.prefixes or self.sources)

    def parts(self) -> tuple[frozenset[str], tuple[str, ...], Callable[[str], object] | None]:
        """The exact strings, the prefixes and the regex ``fullmatch`` (None without one)."""
        fullmatch = compile_alternatives(self.sources).fullmatch if self.sources else None
        return frozenset(self.exact), tuple(dict.fromkeys(self.prefixes)), fullmatch

    def test(self) -> Callable[[str], bool]:
        """A test of a whole string against every glob added (an empty set matches nothing)."""
        exact, prefixes, fullmatch = self.parts()
        if "" in prefixes:
            return lambda text: True
        if fullmatch is None:
            if not prefixes:
                return exact.__contains__
            if not exact:
                return lambda text: text.startswith(prefixes)
            return lambda text: text in exact or text.startswith(prefixes)
        if not prefixes and not exact:
            return lambda text: fullmatch(text) is not None
        return lambda text: (
            text in exact or text.startswith(prefixes) or fullmatch(text) is not None
        )


def _classify(chunks: tuple[Chunk, ...]) -> tuple[str, str]:
    """``("exact", text)``, ``("prefix", text before the final *)`` or ``("glob", "")``."""
    wildcard_positions = [
        index for index, (text, wildcards) in enumerate(chunks) if wildcards and has_wildcards(text)
    ]
    joined = "".join(text for text, _ in chunks)
    if not wildcard_positions:
        return "exact", joined
    last_text, last_wildcards = chunks[-1] if chunks else ("", False)
    if (
        wildcard_positions == [len(chunks) - 1]
        and last_wildcards
        and last_text.endswith("*")
        and not has_wildcards(last_text[:-1])
    ):
        return "prefix", joined[:-1]
    return "glob", ""


def compile_alternatives(sources: Iterable[str], *, ignore_case: bool = False) -> re.Pattern[str]:
    """One pattern matching any of the regex ``sources`` (use ``fullmatch``)."""
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    unique = list(dict.fromkeys(sources))
    if len(unique) == 1:
        return re.compile(unique[0], flags)
    return re.compile("|".join(f"(?:{source})" for source in unique), flags)


@lru_cache(maxsize=_CACHE_SIZE)
def free_glob(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """The compiled free glob of policy text ``pattern`` (every ``*``/``?`` a wildcard)."""
    return compile_alternatives([free_glob_source(((pattern, True),))], ignore_case=ignore_case)


@lru_cache(maxsize=_CACHE_SIZE)
def arn_glob(pattern: str) -> re.Pattern[str] | None:
    """The compiled ARN glob of policy text ``pattern``; None when it is not an ARN pattern."""
    source = arn_glob_source(((pattern, True),))
    return None if source is None else compile_alternatives([source])


class TemplateGlob:
    """A glob with policy variables, compiled per distinct set of variable values.

    ``arn``: an ARN glob (else a free glob). ``head``: chunks before the template (the first
    five ARN fields of a Resource entry). Compiled tests are kept in a small per-template cache
    keyed by the variables' values, so a request costs one lookup once a value has been seen.
    """

    _MAX_CACHED = 1024

    def __init__(
        self,
        template: Template,
        *,
        arn: bool,
        head: tuple[Chunk, ...] = (),
        resource_element: bool = False,
    ) -> None:
        self._template = template
        self._arn = arn
        self._resource_element = resource_element
        self._head = head
        self._variables = tuple(part for part in template.parts if isinstance(part, Variable))
        self._cache: dict[object, Callable[[str], bool] | None] = {}

    def test_for(self, context: Mapping[str, ContextValue]) -> Callable[[str], bool] | None:
        """The test for this request; None when a variable has no value (matches nothing)."""
        variables = self._variables
        if len(variables) == 1:
            key: object = variable_value(variables[0], context)
            if key is None:
                return None
        else:
            values = tuple(variable_value(variable, context) for variable in variables)
            if None in values:
                return None
            key = values
        try:
            return self._cache[key]
        except KeyError:
            pass
        test = self._compile(context)
        if len(self._cache) >= self._MAX_CACHED:
            self._cache.clear()
        self._cache[key] = test
        return test

    def _compile(self, context: Mapping[str, ContextValue]) -> Callable[[str], bool] | None:
        chunks = resolve(self._template, context)
        if chunks is None:  # pragma: no cover - test_for checked every variable
            return None
        globs = GlobSet()
        if self._arn:
            if not globs.add_arn(self._head + chunks, resource_element=self._resource_element):
                return None
        else:
            globs.add_free(self._head + chunks)
        return globs.test()


def template_matcher(
    static_test: Callable[[str], bool] | None, templates: tuple[TemplateGlob, ...]
) -> Callable[[str, Mapping[str, ContextValue]], bool]:
    """Match ``static_test`` (globs without variables; None: none), else any of ``templates``
    resolved against the request's context."""
    if static_test is None and len(templates) == 1:
        test_for = templates[0].test_for

        def matches_the_one(text: str, context: Mapping[str, ContextValue]) -> bool:
            test = test_for(context)
            return test is not None and test(text)

        return matches_the_one

    def matches_any(text: str, context: Mapping[str, ContextValue]) -> bool:
        if static_test is not None and static_test(text):
            return True
        for template in templates:
            test = template.test_for(context)
            if test is not None and test(text):
                return True
        return False

    return matches_any
