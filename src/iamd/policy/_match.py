"""Compiled matchers for the Action/NotAction and Resource/NotResource elements.

Each returns the fastest closure for its patterns: a constant for ``"*"``, a frozenset
membership for patterns without wildcards, ``str.startswith`` for patterns whose only wildcard
is a final ``*`` (``s3:Get*``, ``arn:aws:s3:::bucket/*``), one precompiled alternation (a single
``fullmatch``) for the rest. Rules: decisions 16-18 of docs/decisions/0001-policy-semantics.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ._glob import ARN_FIELD_SEPARATORS, GlobSet, TemplateGlob, has_wildcards, template_matcher
from ._request import ContextValue
from ._variables import Template, parse_template

ActionMatcher = Callable[[str], bool]
ResourceMatcher = Callable[[str, Mapping[str, ContextValue]], bool]


def action_matcher(patterns: tuple[str, ...]) -> ActionMatcher:
    """A test of a lower-cased request action (``s3:getobject``) against ``patterns``.

    Case-insensitive; ``*`` is any run of characters, ``?`` one character; ``"*"`` matches
    every action. An empty tuple matches nothing.
    """
    globs = GlobSet()
    for pattern in dict.fromkeys(pattern.lower() for pattern in patterns):
        globs.add_free(((pattern, True),))
    return globs.test()


def action_service_prefixes(patterns: tuple[str, ...]) -> frozenset[str] | None:
    """The lower-cased service prefixes ``patterns`` can match; None when it could be any.

    None for ``"*"`` and for any pattern with a wildcard before its first colon (``s*:Get``).
    A pattern without a colon or wildcard matches no ``service:name`` action and adds nothing.
    """
    prefixes: set[str] = set()
    for pattern in patterns:
        service, colon, _ = pattern.lower().partition(":")
        if has_wildcards(service):
            return None
        if colon:
            prefixes.add(service)
    return frozenset(prefixes)


def resource_matcher(patterns: tuple[str, ...], variables_enabled: bool) -> ResourceMatcher:
    """A test of a request resource (an ARN or ``"*"``) and context against ``patterns``.

    ``"*"`` matches everything, the request resource ``"*"`` included; any other pattern is an
    ARN glob (see `_glob`), which never matches ``"*"``. With ``variables_enabled`` (Version
    2012-10-17) ``${...}`` in the resource field (after the fifth colon) is a policy variable
    or escape, resolved per call from the context (lower-cased keys); an entry whose variable
    has no value matches nothing. ``${...}`` elsewhere, or without variables, is literal text.
    A pattern with fewer than six fields matches nothing; a malformed variable is literal
    text. Validation reports both.
    """
    if "*" in patterns:
        return lambda resource, context: True
    static = GlobSet()
    dynamic: list[TemplateGlob] = []
    for pattern in dict.fromkeys(patterns):
        head, template = _resource_template(pattern, variables_enabled)
        if template.has_variables:
            dynamic.append(
                TemplateGlob(template, arn=True, head=((head, True),), resource_element=True)
            )
        else:
            static.add_arn(((head, True), *template.static_chunks()), resource_element=True)
    if not dynamic:
        return _ignoring_context(static)
    return template_matcher(static.test() if static else None, tuple(dynamic))


def _ignoring_context(globs: GlobSet) -> ResourceMatcher:
    """The globs as a two-argument matcher, each shape one call (the evaluator's hot path)."""
    exact, prefixes, fullmatch = globs.parts()
    if "" in prefixes:
        return lambda resource, context: True
    if fullmatch is None:
        if not prefixes:
            return lambda resource, context: resource in exact
        if not exact:
            return lambda resource, context: resource.startswith(prefixes)
        return lambda resource, context: resource in exact or resource.startswith(prefixes)
    if not prefixes and not exact:
        return lambda resource, context: fullmatch(resource) is not None
    return lambda resource, context: (
        resource in exact or resource.startswith(prefixes) or fullmatch(resource) is not None
    )


def _resource_template(pattern: str, variables_enabled: bool) -> tuple[str, Template]:
    """Split ``pattern`` into the text up to its fifth colon and the resource field's template.

    Only the resource field can hold variables; without them it is plain policy text.
    """
    colon = -1
    for _ in range(ARN_FIELD_SEPARATORS):
        colon = pattern.find(":", colon + 1)
        if colon < 0:
            return pattern, _literal("")
    head, field = pattern[: colon + 1], pattern[colon + 1 :]
    if variables_enabled and "${" in field:
        try:
            return head, parse_template(field)
        except ValueError:
            pass  # validation reports it; matching treats the text literally
    return head, _literal(field)


def _literal(text: str) -> Template:
    return Template(text, (text,) if text else ())
