"""Matching primitives: globs, Action and Resource matchers, policy variable templates."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iamd.policy._glob import GlobSet, TemplateGlob, arn_glob, free_glob
from iamd.policy._match import action_matcher, action_service_prefixes, resource_matcher
from iamd.policy._request import normalize_context
from iamd.policy._variables import Literal, Variable, parse_template, resolve, resolve_text
from tests.casefile import load_cases

CASES = load_cases(
    "matching.json",
    required=["element", "patterns", "request", "expected"],
    optional=["context", "version"],
)


@pytest.mark.parametrize("case", CASES)
def test_matching_case(case: dict[str, Any]) -> None:
    patterns = tuple(case["patterns"])
    if case["element"] == "Action":
        assert action_matcher(patterns)(case["request"].lower()) is case["expected"]
    else:
        assert case["element"] == "Resource"
        enabled = case.get("version", "2012-10-17") == "2012-10-17"
        context = normalize_context(case.get("context", {}))
        assert resource_matcher(patterns, enabled)(case["request"], context) is case["expected"]


# -- Action service prefixes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        (("s3:GetObject", "IAM:List*"), frozenset({"s3", "iam"})),
        (("*",), None),
        (("s3:Get*", "s*:Get"), None),
        (("?3:Get",), None),
        ((), frozenset()),
        (("notanaction",), frozenset()),
    ],
)
def test_action_service_prefixes(
    patterns: tuple[str, ...], expected: frozenset[str] | None
) -> None:
    assert action_service_prefixes(patterns) == expected


def test_service_prefixes_agree_with_the_matcher() -> None:
    """An action outside the reported prefixes is never matched (the lead indexes on this)."""
    patterns = ("s3:Get*", "iam:ListUsers", "sts:*")
    prefixes = action_service_prefixes(patterns)
    assert prefixes is not None
    matches = action_matcher(patterns)
    for action in ("s3:getobject", "iam:listusers", "sts:assumerole", "sqs:get", "s3x:get"):
        if matches(action):
            assert action.partition(":")[0] in prefixes


# -- Globs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("a*c", "abbc", True),
        ("a*c", "a/b:c", True),
        ("a?c", "abc", True),
        ("a?c", "ac", False),
        ("a.c", "abc", False),
        ("(a)", "(a)", True),
        ("*", "", True),
    ],
)
def test_free_glob(pattern: str, text: str, expected: bool) -> None:
    assert (free_glob(pattern).fullmatch(text) is not None) is expected


def test_free_glob_ignore_case() -> None:
    assert free_glob("S3:Get*", ignore_case=True).fullmatch("s3:getobject") is not None
    assert free_glob("S3:Get*").fullmatch("s3:getobject") is None


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("arn:aws:iam::*:root", "arn:aws:iam::123456789012:root", True),
        ("arn:aws:iam::*:root", "arn:aws:iam::1:2:root", False),
        ("arn:*:iam::1:root", "arn:a:b:iam::1:root", False),
        ("arn:aws:sns:us-east-?:1:t", "arn:aws:sns:us-east-1:1:t", True),
        ("arn:aws:sns:us-east-?:1:t", "arn:aws:sns:us-east:::1:t", False),
        ("arn:aws:logs:*:*:log-group:*", "arn:aws:logs:r:1:log-group:a:b/c", True),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b/", True),
    ],
)
def test_arn_glob(pattern: str, text: str, expected: bool) -> None:
    compiled = arn_glob(pattern)
    assert compiled is not None
    assert (compiled.fullmatch(text) is not None) is expected


@pytest.mark.parametrize("pattern", ["*", "arn:aws:s3", "arn:aws:s3:::", "a:b:c:d"])
def test_arn_glob_needs_six_fields(pattern: str) -> None:
    expected_none = pattern.count(":") < 5
    assert (arn_glob(pattern) is None) is expected_none


def _arn_globs(*chunks: tuple[str, bool]) -> GlobSet | None:
    globs = GlobSet()
    return globs if globs.add_arn(chunks) else None


def test_arn_glob_fields_come_from_the_resolved_text() -> None:
    """A colon inside substituted text counts as a field separator; the text stays literal."""
    globs = _arn_globs(("arn:aws:iam::", True), ("1:", False), ("role/*/x", True))
    assert globs is not None
    assert globs.test()("arn:aws:iam::1:role/a:b/x")  # resource field: * crosses colons
    assert _arn_globs(("arn:aws:iam::", True), ("1", False)) is None  # only four colons
    literal = _arn_globs(("arn:aws:iam::1:", True), ("*", False))
    assert literal is not None
    assert literal.test()("arn:aws:iam::1:*")
    assert not literal.test()("arn:aws:iam::1:x")


@pytest.mark.parametrize(
    ("patterns", "kinds"),
    [
        (["s3:getobject"], ("exact",)),
        (["s3:get*"], ("prefix",)),
        (["s3:get*", "iam:passrole", "s3:*object"], ("exact", "prefix", "regex")),
        (["*"], ("prefix",)),
        (["s3:get?"], ("regex",)),
    ],
)
def test_globset_sorts_free_globs(patterns: list[str], kinds: tuple[str, ...]) -> None:
    globs = GlobSet()
    for pattern in patterns:
        globs.add_free(((pattern, True),))
    found = {"exact": globs.exact, "prefix": globs.prefixes, "regex": globs.sources}
    assert {kind for kind, held in found.items() if held} == set(kinds)


def test_globset_prefix_of_an_arn_only_in_the_resource_field() -> None:
    """``arn:aws:s3:::b/*`` is a prefix test; ``arn:aws:sqs:*`` is not even an ARN pattern."""
    globs = GlobSet()
    assert globs.add_arn((("arn:aws:s3:::b/*", True),))
    assert globs.prefixes == ["arn:aws:s3:::b/"]
    assert not GlobSet().add_arn((("arn:aws:sqs:*", True),))
    regex = GlobSet()
    assert regex.add_arn((("arn:aws:sqs:*:1:*", True),))
    assert regex.sources
    assert not regex.test()("arn:aws:sqs:a:b:1:q")


# -- Templates ----------------------------------------------------------------------------------


def test_template_parts() -> None:
    template = parse_template("home/${aws:UserName}/${aws:PrincipalTag/team, 'shared'}/*")
    assert template.parts == (
        "home/",
        Variable("aws:username"),
        "/",
        Variable("aws:principaltag/team", "shared"),
        "/*",
    )
    assert template.has_variables
    assert template.variable_keys == ("aws:username", "aws:principaltag/team")


def test_template_escapes_are_literals_not_variables() -> None:
    template = parse_template("a${*}b${?}${$}")
    assert template.parts == ("a", Literal("*"), "b", Literal("?$"))
    assert not template.has_variables
    assert template.variable_keys == ()
    assert template.static_chunks() == (("a", True), ("*", False), ("b", True), ("?$", False))


def test_template_without_variables() -> None:
    template = parse_template("arn:aws:s3:::bucket/$/{x}")
    assert template.parts == ("arn:aws:s3:::bucket/$/{x}",)
    assert not template.has_variables


def test_template_repeated_keys_are_listed_once() -> None:
    assert parse_template("${aws:username}-${AWS:USERNAME}").variable_keys == ("aws:username",)


def test_template_default_may_contain_a_brace() -> None:
    template = parse_template("${aws:username, 'a}b'}")
    assert template.parts == (Variable("aws:username", "a}b"),)


def test_static_chunks_refuses_variables() -> None:
    with pytest.raises(ValueError, match="has variables"):
        parse_template("${aws:username}").static_chunks()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("home/${aws:username", "unclosed"),
        ("${", "unclosed"),
        ("${}", "empty"),
        ("${aws: username}", "white space"),
        ("${aws:username }", "white space"),
        ("${aws:user\tname}", "white space"),
        ("${aws:username,'x'}", "malformed default"),
        ("${aws:username, x}", "malformed default"),
        ('${aws:username, "x"}', "malformed default"),
        ("${aws:username, 'x}", "malformed default"),
        ("${aws:username, 'it's'}", "must not contain `'`"),
        ("${a${b}", "must not contain"),
    ],
)
def test_malformed_templates(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_template(text)


def test_resolve_marks_substituted_text_literal() -> None:
    template = parse_template("a*/${aws:username}/${*}")
    assert resolve(template, {"aws:username": "x?"}) == (
        ("a*/", True),
        ("x?", False),
        ("/", True),
        ("*", False),
    )
    assert resolve(template, {}) is None
    assert resolve(template, {"aws:username": ("x",)}) is None


def test_resolve_text() -> None:
    template = parse_template("${aws:username, 'anon'}-${$}")
    assert resolve_text(template, {"aws:username": "bob"}) == "bob-$"
    assert resolve_text(template, {}) == "anon-$"
    assert resolve_text(parse_template("${aws:username}"), {}) is None


# -- Differential: the compiled matchers against a naive glob -----------------------------------


def naive_glob(pattern: str, text: str) -> bool:
    """``*`` any run, ``?`` one character, everything else itself; by plain recursion."""
    if not pattern:
        return not text
    head = pattern[0]
    if head == "*":
        return any(naive_glob(pattern[1:], text[start:]) for start in range(len(text) + 1))
    if not text:
        return False
    return (head == "?" or head == text[0]) and naive_glob(pattern[1:], text[1:])


def naive_arn_glob(pattern: str, text: str) -> bool:
    """Split both at their first five colons; glob each field (a field holds no colon)."""
    pattern_fields = pattern.split(":", 5)
    text_fields = text.split(":", 5)
    if len(pattern_fields) != 6 or len(text_fields) != 6:
        return False
    return all(map(naive_glob, pattern_fields, text_fields))


PATTERN_TEXT = st.text(alphabet="ab:/*?", max_size=12)
REQUEST_TEXT = st.text(alphabet="ab:/", max_size=12)


@given(patterns=st.lists(PATTERN_TEXT, max_size=3), text=REQUEST_TEXT)
def test_action_matcher_agrees_with_a_naive_glob(patterns: list[str], text: str) -> None:
    expected = any(naive_glob(pattern, text) for pattern in patterns)
    assert action_matcher(tuple(patterns))(text) is expected


@given(
    patterns=st.lists(st.builds("arn:x:{}".format, PATTERN_TEXT), max_size=3),
    text=st.builds("arn:x:{}".format, REQUEST_TEXT),
)
def test_resource_matcher_agrees_with_a_naive_arn_glob(patterns: list[str], text: str) -> None:
    expected = "*" in patterns or any(naive_arn_glob(pattern, text) for pattern in patterns)
    assert resource_matcher(tuple(patterns), True)(text, {}) is expected


# -- TemplateGlob cache ----------------------------------------------------------------------


def test_template_glob_compiles_once_per_value() -> None:
    glob = TemplateGlob(parse_template("home/${aws:username}/*"), arn=False)
    first = glob.test_for({"aws:username": "alice"})
    assert first is not None
    assert glob.test_for({"aws:username": "alice"}) is first
    other = glob.test_for({"aws:username": "bob"})
    assert other is not None
    assert other is not first
    assert first("home/alice/x")
    assert not other("home/alice/x")
    assert glob.test_for({}) is None


def test_template_glob_with_two_variables() -> None:
    glob = TemplateGlob(parse_template("${aws:PrincipalTag/team}/${aws:username}?"), arn=False)
    test = glob.test_for({"aws:principaltag/team": "blue", "aws:username": "al"})
    assert test is not None
    assert test("blue/alx")
    assert not test("blue/al")
    assert glob.test_for({"aws:principaltag/team": "blue"}) is None


def test_template_glob_cache_is_bounded_and_stays_correct() -> None:
    glob = TemplateGlob(parse_template("${aws:username}"), arn=False)
    for number in range(TemplateGlob._MAX_CACHED + 10):
        test = glob.test_for({"aws:username": f"user{number}"})
        assert test is not None
        assert test(f"user{number}")
    assert len(glob._cache) <= TemplateGlob._MAX_CACHED
