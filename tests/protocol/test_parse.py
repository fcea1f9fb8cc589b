"""parse_query against botocore's own client-side Query serializer, and every way to fail.

The round trip: for every IAM and STS operation a deterministic generator builds a valid input
(honouring required, min/max, enum and pattern), botocore's QuerySerializer turns it into the
form body a real SDK sends, and parse_query must give back exactly that input.
"""

from __future__ import annotations

import sys
import unicodedata
import urllib.parse
from datetime import UTC, datetime
from typing import Any

import botocore.model
import pytest
from botocore.awsrequest import AWSRequest
from botocore.serialize import create_serializer
from hypothesis import given, settings
from hypothesis import strategies as st

from iamd.domain.errors import IamError, ValidationError
from iamd.protocol.errors import (
    InvalidAction,
    InvalidParameterValue,
    InvalidQueryParameter,
    MissingAction,
)
from iamd.protocol.models import API_VERSIONS, NAMESPACES, SERVICES, service_model
from iamd.protocol.parse import (
    OperationReader,
    ParsedCall,
    UnsupportedPattern,
    compile_pattern,
    parse_query,
    prepare,
    translate_pattern,
)

# Every pattern of both models: (strings that match, strings that must not).
PATTERNS: dict[str, tuple[list[str], list[str]]] = {
    r"((/[A-Za-z0-9\.,\+@=_-]+)*)/": (["/", "/division/", "/a/b.c/"], ["a/", "/a", "//", "/a b/"]),
    r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)": (["/", "/a/b/", "/x!~/"], ["a", "/a", "/ /", ""]),
    r"/[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*/": (["//", "/a b/"], ["/", "a", "/\u0100/"]),
    r"[ -~]+": (["hello world~"], ["", "tab\t", "é"]),
    r"[:\w]+": (["ns:key_1"], ["", "a-b", "é"]),
    r"[A-Z0-9]+": (["ABC123"], ["abc", ""]),
    r"[\d]+": (["123456"], ["", "12a", "١٢"]),
    r"[\d]*": (["", "42"], ["4 2", "x"]),
    r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*": (
        ["", "Grüße 東京 ١٢ _.:/=+-@", "a\u00a0b\u3000c"],
        ["a!", "a{b}", "a\tb", "😀"],
    ),
    r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+": (["team", "cost-center", "Ünïcode 12"], ["", "a,b", "k!"]),
    r"[\p{L}\p{Z}\p{N}_.:/=+\-@{}]*": (["", "{aws:username}"], ["${a}", "[x]"]),
    r"[\p{L}\p{Z}\p{N}_.:/=+\-@{}]+": (["{a}"], ["", "a;b"]),
    r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*": (["", "tab\there\r\n é"], ["\u00a0", "€"]),
    r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]+": (["Some description ©"], ["", "\x00"]),
    r"[\u0009\u000A\u000D\u0020-\u00FF]+": (
        ['{"Version": "2012-10-17"}\n', "\u00a0"],
        ["", "€", "\x1f"],
    ),
    r"[\u0020-\u00FF]+": (["-----BEGIN KEY-----"], ["", "\n", "\u0100"]),
    r"[\w+=,.@-]*": (["", "a+b=c,d.e@f-g_h"], ["a b", "é", "a/b"]),
    r"[\w+=,.@-]+": (["bob", "a+b=c,d.e@f-g_h"], ["", "a b", "é", "a/b", "bob\n"]),
    r"[\w+=,.\-]+": (["role.name-1"], ["", "a@b"]),
    r"[\w+=/:,.@-]+": (["arn:aws:iam::123456789012:role/x"], ["", "a b"]),
    r"[\w-]*": (["", "ab-1_"], ["a.b"]),
    r"[\w-]+": (["AKIAIOSFODNN7EXAMPLE"], ["", "a.b"]),
    r"[\w._-]+": (["credential.report_1-2"], ["", "a b"]),
    r"[\w]+": (["ASIAEXAMPLE123"], ["", "a-b"]),
    r"[\w]*": (["", "abc_1"], ["a-b"]),
    r"\d{12}": (["123456789012"], ["12345678901", "1234567890123", "12345678901a"]),
    r"\u002F[\u0021-\u007F]*": (["/", "/division_abc/"], ["", "a/", "/ "]),
    r"^[A-Za-z][A-Za-z0-9/_-]*$": (["Template/v1_a-b"], ["", "1abc", "a b"]),
    r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$": (["my-bucket-1"], ["ab-", "a--b", "A12"]),
    r"^[a-zA-Z0-9:/+=,.@_-]+$": (["arn:aws:iam::1:x/y+z=,.@_-"], ["", "a b", "a\n"]),
    r"^[a-zA-Z0-9:_.-]+$": (["request:id_1.2-3"], ["", "a/b"]),
    r"^http(s?)://[a-zA-Z0-9._/-]*(\?[a-zA-Z0-9._=&-]*)?(#[a-zA-Z0-9._/-]*)?$": (
        ["https://example.com/cb?x=1&y=2#frag", "http://a"],
        ["ftp://a", "https://a b"],
    ),
    r"^o-[0-9a-z]{10,32}\/r-[0-9a-z]{4,32}[0-9a-z-\/]*": (
        ["o-a1b2c3d4e5/r-ab12/ou-ab12-cdef3456/"],
        ["o-short/r-ab12", "o-a1b2c3d4e5/r-ab"],
    ),
    r"^o-[a-z0-9]{10,32}$": (["o-a1b2c3d4e5"], ["o-a1b2", "o-A1B2C3D4E5"]),
    r"^p-[0-9a-zA-Z_]{8,128}$": (["p-FullAWSAccess"], ["p-short", "p-abc-defghij"]),
    r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?": (["v1", "v12.A-b"], ["v0", "V1", "v1.a_b"]),
    r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+": (
        ['{"Statement": []}\t\n', "Grüße \u0085\ue000"],
        # Java (and Python) read \u10000 as \u1000 then '0': no supplementary character.
        ["", "\x00", "😀"],
    ),
    r"[\w+=,.@:-]*": (["", "a:b"], ["a/b"]),
    r"[\w+=,.@:\/-]*": (["", "arn:aws:sts::1:x/y"], ["a b"]),
    r"[\w+=,.@\:-]*": (["", "a:b@c"], ["a/b"]),
    r"[\w+=/:,.@-]*": (["", "arn:aws:iam::1:role/x"], ["a b"]),
    r"[\x21\x23-\x2B\x2D-\x5B\x5D-\x7E]+( [\x21\x23-\x2B\x2D-\x5B\x5D-\x7E]+)*": (
        ["access_token id_token"],
        ["", " a", "a  b", 'a"b', "a,b", "a\\b"],
    ),
}

IAM = API_VERSIONS["iam"]


def model_patterns() -> set[str]:
    patterns = set()
    for service in SERVICES:
        model = service_model(service)
        for name in model.shape_names:
            pattern = model.shape_for(name).metadata.get("pattern")
            if pattern is not None:
                patterns.add(pattern)
    return patterns


def iam(action: str, *pairs: tuple[str, str]) -> list[tuple[str, str]]:
    return [("Action", action), ("Version", IAM), *pairs]


def error_of(pairs: list[tuple[str, str]], service: str = "iam") -> IamError:
    with pytest.raises(IamError) as caught:
        parse_query(service, pairs)
    return caught.value


# -- the models and their patterns -----------------------------------------------------------


def test_models_metadata_match_the_constants() -> None:
    for service in SERVICES:
        metadata = service_model(service).metadata
        assert metadata["xmlNamespace"] == NAMESPACES[service]
        assert metadata["apiVersion"] == API_VERSIONS[service]
        assert metadata["protocol"] == "query"


def test_the_pattern_table_covers_exactly_the_model_patterns() -> None:
    assert model_patterns() == set(PATTERNS)


@pytest.mark.parametrize("pattern", sorted(PATTERNS))
def test_every_model_pattern_compiles_and_matches_as_java_would(pattern: str) -> None:
    compiled = compile_pattern(pattern)
    valid, invalid = PATTERNS[pattern]
    for text in valid:
        assert compiled.fullmatch(text), (pattern, text)
    for text in invalid:
        assert compiled.fullmatch(text) is None, (pattern, text)


def test_unicode_categories_translate_to_unicode_classes_and_separators() -> None:
    assert compile_pattern(r"\p{L}+").fullmatch("Ωmega")
    assert compile_pattern(r"\p{L}+").fullmatch("a1") is None
    assert compile_pattern(r"[\p{Z}]+").fullmatch("\u2028\u3000 ")
    assert compile_pattern(r"\p{Z}").fullmatch("\t") is None
    assert compile_pattern(r"[^a]+").fullmatch("bcd")


def test_every_unicode_separator_is_in_the_z_class() -> None:
    separators = {
        chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c))[0] == "Z"
    }
    z_class = compile_pattern(r"[\p{Z}]")
    assert {c for c in separators if z_class.fullmatch(c)} == separators
    assert z_class.fullmatch("\t") is None


@pytest.mark.parametrize(
    "pattern",
    [
        *[r"\p{Lu}", r"\P{L}", r"[^\p{L}]", r"[a[b]]", r"[a&&b]", r"\z", r"\Qa\E", r"[\p{N}]"],
        *["a\\", r"\p", r"\p{L", r"\x{zz}", r"\x{41", "[abc"],
    ],
)
def test_java_syntax_that_python_cannot_mirror_is_refused(pattern: str) -> None:
    with pytest.raises(UnsupportedPattern):
        translate_pattern(pattern)


def test_java_w_and_d_are_ascii_only() -> None:
    assert compile_pattern(r"[\w+=,.@-]+").fullmatch("josé") is None
    assert compile_pattern(r"\d+").fullmatch("١٢") is None
    assert compile_pattern(r"\x{41}").fullmatch("A")


def test_prepare_compiles_every_operation_of_both_services() -> None:
    for service in SERVICES:
        prepare(service)


# -- round trips through botocore's own serializer ----------------------------------------------


class InputGenerator:
    """A deterministic valid input for an input shape.

    ``variant``: "full" (every member, two-element collections), "required" (required members
    only) or "empty" (every member, collections as small as their min allows).
    """

    def __init__(self, variant: str) -> None:
        self.variant = variant

    def value(self, shape: Any, salt: int = 0, depth: int = 0) -> Any:
        kind = shape.type_name
        if kind == "structure":
            return self.structure(shape, depth)
        if kind == "list":
            count = self.count(shape)
            return [self.value(shape.member, salt + i, depth + 1) for i in range(count)]
        if kind == "map":
            return self.mapping(shape, depth)
        if kind == "string":
            return self.string(shape, salt)
        if kind in ("integer", "long"):
            low = shape.metadata.get("min", 0)
            high = shape.metadata.get("max", low + 100)
            return min(high, low + 3 + salt)
        if kind == "boolean":
            return salt % 2 == 0
        if kind == "timestamp":
            return datetime(2026, 11, 28, 4, 48, 17, tzinfo=UTC)
        if kind == "blob":
            return b"\x00\xffblob"
        raise AssertionError(f"no generator for {kind}")

    def count(self, shape: Any) -> int:
        low = shape.metadata.get("min", 0)
        high = shape.metadata.get("max", 2)
        wanted = low if self.variant == "empty" else 2
        return max(low, min(wanted, high))

    def structure(self, shape: Any, depth: int) -> dict[str, Any]:
        required = set(shape.required_members)
        names = list(shape.members)
        if shape.metadata.get("union"):
            names = names[:1]
        elif self.variant == "required" or depth > 5:
            # An empty structure does not reach the wire at all: keep one member.
            names = [name for name in names if name in required] or (names[:1] if depth else [])
        result = {}
        for salt, name in enumerate(names):
            member = shape.members[name]
            if member.type_name == "map" and self.variant == "empty" and name not in required:
                continue  # botocore sends nothing for an empty map
            result[name] = self.value(member, salt, depth + 1)
        return result

    def mapping(self, shape: Any, depth: int) -> dict[Any, Any]:
        count = max(1, self.count(shape))
        keys: list[Any] = []
        for salt in range(20):
            key = self.value(shape.key, salt, depth + 1)
            if key not in keys:
                keys.append(key)
            if len(keys) == count:
                break
        return {key: self.value(shape.value, i, depth + 1) for i, key in enumerate(keys)}

    def string(self, shape: Any, salt: int) -> str:
        enum = shape.metadata.get("enum")
        if enum:
            return str(enum[salt % len(enum)])
        low = shape.metadata.get("min", 0)
        high = shape.metadata.get("max", 10_000)
        pattern = shape.metadata.get("pattern")
        if pattern is None:
            return fit(f"plain &%+=/ é東 {salt}", low, high)
        compiled = compile_pattern(pattern)
        candidates = PATTERNS[pattern][0]
        for text in candidates[salt % len(candidates) :] + candidates:
            fitted = fit(text, low, high)
            if compiled.fullmatch(fitted):
                return fitted
        raise AssertionError(f"no example of {pattern!r} fits {low}..{high}: add one to PATTERNS")


def fit(text: str, low: int, high: int) -> str:
    """``text`` cut or padded (by repeating its last character) to a length in low..high."""
    if len(text) > high:
        return text[:high]
    if len(text) < low:
        return text + (text[-1:] or "a") * (low - len(text))
    return text


def form_pairs(service: str, operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """The decoded form fields of the request botocore's client sends for ``params``."""
    model = service_model(service).operation_model(operation)
    request = create_serializer("query").serialize_to_request(params, model)
    prepared = AWSRequest(
        method="POST",
        url=f"https://{service}.amazonaws.com/",
        data=request["body"],
        headers=request["headers"],
    ).prepare()
    body = prepared.body.decode() if isinstance(prepared.body, bytes) else prepared.body
    return urllib.parse.parse_qsl(body, keep_blank_values=True, strict_parsing=True)


OPERATIONS = [(s, op) for s in SERVICES for op in service_model(s).operation_names]


@pytest.mark.parametrize(("service", "operation"), OPERATIONS)
def test_every_operation_round_trips_through_botocore(service: str, operation: str) -> None:
    input_shape = service_model(service).operation_model(operation).input_shape
    for variant in ("full", "required", "empty"):
        params = InputGenerator(variant).value(input_shape) if input_shape is not None else {}
        parsed = parse_query(service, form_pairs(service, operation, params))
        assert parsed == ParsedCall(service, operation, params), variant


def test_a_typical_create_user_reads_as_expected() -> None:
    params = {
        "Path": "/division/",
        "UserName": "bob",
        "Tags": [{"Key": "team", "Value": "Grüße co"}, {"Key": "k=v", "Value": ""}],
    }
    pairs = form_pairs("iam", "CreateUser", params)
    assert ("Tags.member.2.Value", "") in pairs
    assert parse_query("iam", pairs).params == params


def test_an_empty_list_is_read_from_its_empty_value() -> None:
    pairs = form_pairs("iam", "CreateUser", {"UserName": "bob", "Tags": []})
    assert ("Tags", "") in pairs
    assert parse_query("iam", pairs).params == {"UserName": "bob", "Tags": []}


def test_maps_and_nested_lists_are_read() -> None:
    params = {
        "TemplateArn": "arn:aws:iam::123456789012:role-template/t",
        "ReplacementValues": {
            "Bucket": {"Values": ["a", "b"]},
            "Team": {"Values": ["blue"]},
        },
    }
    shape = service_model("iam").operation_model("AcquireRole").input_shape
    assert set(shape.members["ReplacementValues"].value.members) == {"Values"}
    pairs = form_pairs("iam", "AcquireRole", params)
    assert ("ReplacementValues.entry.2.key", "Team") in pairs
    assert parse_query("iam", pairs).params == params


def test_unknown_parameters_are_ignored() -> None:
    pairs = iam(
        "GetUser",
        ("UserName", "bob"),
        ("Foo", "bar"),
        ("UserName.Extra", "1"),
        ("X-Amz-Whatever", "x"),
        ("Tags.member.0.Key", "not a member of GetUser"),
    )
    assert parse_query("iam", pairs) == ParsedCall("iam", "GetUser", {"UserName": "bob"})


def test_an_operation_without_input_ignores_every_parameter() -> None:
    pairs = [("Action", "GetCallerIdentity"), ("Version", API_VERSIONS["sts"]), ("A", "b")]
    assert parse_query("sts", pairs) == ParsedCall("sts", "GetCallerIdentity", {})


def test_booleans_accept_any_case() -> None:
    pairs = iam("UpdateAccountPasswordPolicy", ("RequireSymbols", "TRUE"), ("HardExpiry", "False"))
    assert parse_query("iam", pairs).params == {"RequireSymbols": True, "HardExpiry": False}


# -- action and version ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pairs",
    [[], [("Version", IAM)], [("Action", ""), ("Version", IAM)], [("action", "GetUser")]],
)
def test_no_action_is_missing_action(pairs: list[tuple[str, str]]) -> None:
    error = error_of(pairs)
    assert isinstance(error, MissingAction)
    assert (error.code, error.message) == ("MissingAction", "Missing Action")


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (iam("Frobnicate"), "Could not find operation Frobnicate for version 2010-05-08"),
        (iam("AssumeRole"), "Could not find operation AssumeRole for version 2010-05-08"),
        (iam("getuser"), "Could not find operation getuser for version 2010-05-08"),
        (
            [("Action", "GetUser"), ("Version", "2011-06-15")],
            "Could not find operation GetUser for version 2011-06-15",
        ),
        (
            [("Action", "GetUser")],
            "Could not find operation GetUser for version NO_VERSION_SPECIFIED",
        ),
        (
            [("Action", "GetUser"), ("Version", "")],
            "Could not find operation GetUser for version NO_VERSION_SPECIFIED",
        ),
    ],
)
def test_an_unknown_action_or_version_is_invalid_action(
    pairs: list[tuple[str, str]], message: str
) -> None:
    error = error_of(pairs)
    assert isinstance(error, InvalidAction)
    assert (error.code, error.message) == ("InvalidAction", message)


def test_sts_actions_are_found_on_sts_only() -> None:
    pairs = [("Action", "GetCallerIdentity"), ("Version", API_VERSIONS["sts"])]
    assert parse_query("sts", pairs).operation == "GetCallerIdentity"
    assert error_of(pairs, "iam").message == (
        "Could not find operation GetCallerIdentity for version 2011-06-15"
    )


def test_a_huge_action_name_is_not_echoed_whole() -> None:
    error = error_of(iam("A" * 10_000))
    assert isinstance(error, InvalidAction)
    assert len(error.message) < 200


@pytest.mark.parametrize("name", ["Action", "Version"])
def test_a_repeated_action_or_version_is_refused(name: str) -> None:
    error = error_of([*iam("GetUser", ("UserName", "bob")), (name, "GetUser")])
    assert isinstance(error, InvalidQueryParameter)
    assert error.message == f"Parameter {name} is given more than once"


# -- constraint failures: ValidationError in AWS's words -----------------------------------------

ONE = "1 validation error detected: "


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (
            iam("CreateUser"),
            ONE + "Value null at 'userName' failed to satisfy constraint: Member must not be null",
        ),
        (
            iam("CreateUser", ("UserName", "x" * 65)),
            ONE + f"Value '{'x' * 65}' at 'userName' failed to satisfy constraint: "
            "Member must have length less than or equal to 64",
        ),
        (
            iam("CreateUser", ("UserName", "bob smith")),
            ONE + "Value 'bob smith' at 'userName' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: [\w+=,.@-]+",
        ),
        (
            iam("CreateUser", ("UserName", "")),
            "2 validation errors detected: "
            "Value '' at 'userName' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1; "
            "Value '' at 'userName' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: [\w+=,.@-]+",
        ),
        (
            iam("CreateUser", ("Path", "nope")),
            "2 validation errors detected: "
            "Value 'nope' at 'path' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: "
            r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F); "
            "Value null at 'userName' failed to satisfy constraint: Member must not be null",
        ),
        (
            iam("ListUsers", ("MaxItems", "0")),
            ONE + "Value '0' at 'maxItems' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1",
        ),
        (
            iam("ListUsers", ("MaxItems", "1001")),
            ONE + "Value '1001' at 'maxItems' failed to satisfy constraint: "
            "Member must have value less than or equal to 1000",
        ),
        (
            iam(
                "UpdateAccessKey",
                ("AccessKeyId", "AKIAIOSFODNN7EXAMPLE"),
                ("Status", "active"),
            ),
            ONE + "Value 'active' at 'status' failed to satisfy constraint: "
            "Member must satisfy enum value set: [Active, Inactive, Expired]",
        ),
        (
            iam("CreateUser", ("UserName", "bob"), ("Tags.member.1.Key", "team")),
            ONE + "Value null at 'tags.1.member.value' failed to satisfy constraint: "
            "Member must not be null",
        ),
        (
            iam(
                "CreateUser",
                ("UserName", "bob"),
                ("Tags.member.1.Key", "ok"),
                ("Tags.member.1.Value", "ok"),
                ("Tags.member.2.Key", "bad!"),
                ("Tags.member.2.Value", "ok"),
            ),
            ONE + "Value 'bad!' at 'tags.2.member.key' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+",
        ),
        (
            iam(
                "UntagUser",
                ("UserName", "bob"),
                ("TagKeys.member.1", "ok"),
                ("TagKeys.member.2", "bad!"),
            ),
            ONE + "Value '[ok, bad!]' at 'tagKeys' failed to satisfy constraint: "
            "Member must satisfy constraint: [Member must have length less than or equal to "
            "128, Member must have length greater than or equal to 1, Member must satisfy "
            r"regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+]",
        ),
        (
            iam("ListPoliciesGrantingServiceAccess", ("Arn", "a" * 20), ("ServiceNamespaces", "")),
            ONE + "Value '[]' at 'serviceNamespaces' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1",
        ),
    ],
)
def test_constraint_failures_are_validation_errors_in_aws_words(
    pairs: list[tuple[str, str]], message: str
) -> None:
    error = error_of(pairs)
    assert isinstance(error, ValidationError)
    assert (error.code, error.message) == ("ValidationError", message)


def test_too_many_tags_is_a_length_error_on_the_list() -> None:
    tags = [(f"Tags.member.{i}.{part}", f"k{i}") for i in range(1, 52) for part in ("Key", "Value")]
    error = error_of(iam("CreateUser", ("UserName", "bob"), *tags))
    assert isinstance(error, ValidationError)
    assert error.message.startswith(ONE + "Value '[{Key=k1, Value=k1}, {Key=k2, Value=k2}")
    assert error.message.endswith(
        "' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"
    )


def test_map_keys_and_values_are_checked_as_aws_does() -> None:
    entries = [
        (f"ReplacementValues.entry.{i}.{part}", value)
        for i in range(1, 32)
        for part, value in (("key", f"k{i}"), ("value.Values.member.1", "v"))
    ]
    error = error_of(iam("AcquireRole", ("TemplateArn", "a" * 20), *entries))
    assert isinstance(error, ValidationError)
    assert "at 'replacementValues' failed to satisfy constraint: " in error.message
    assert error.message.endswith("Member must have length less than or equal to 30")


def test_a_sensitive_value_is_never_echoed() -> None:
    secret = "S3cr3t-" + "x" * 200
    error = error_of(iam("CreateLoginProfile", ("UserName", "bob"), ("Password", secret)))
    assert isinstance(error, ValidationError)
    assert secret[:20] not in error.message
    assert error.message == (
        ONE + "Value at 'password' failed to satisfy constraint: "
        "Member must have length less than or equal to 128"
    )


def test_all_failures_of_a_request_are_reported_together() -> None:
    error = error_of(
        iam(
            "CreateUser",
            ("Path", "x"),
            ("Tags.member.1.Key", ""),
            ("Tags.member.1.Value", "v"),
        )
    )
    assert error.message.startswith("4 validation errors detected: ")
    assert error.message.count("; ") == 3


# -- malformed values and names -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (
            iam("ListUsers", ("MaxItems", "ten")),
            "Value 'ten' for parameter MaxItems is invalid: it must be an integer",
        ),
        (
            iam("ListUsers", ("MaxItems", "1.5")),
            "Value '1.5' for parameter MaxItems is invalid: it must be an integer",
        ),
        (
            iam("ListUsers", ("MaxItems", "٣")),
            "Value '٣' for parameter MaxItems is invalid: it must be an integer",
        ),
        (
            iam("ListUsers", ("MaxItems", "4294967296")),
            "Value '4294967296' for parameter MaxItems is invalid: it must be a 32-bit integer",
        ),
        (
            iam("UpdateAccountPasswordPolicy", ("RequireSymbols", "yes")),
            "Value 'yes' for parameter RequireSymbols is invalid: it must be true or false",
        ),
    ],
)
def test_unreadable_values_are_invalid_parameter_value(
    pairs: list[tuple[str, str]], message: str
) -> None:
    error = error_of(pairs)
    assert isinstance(error, InvalidParameterValue)
    assert (error.code, error.message) == ("InvalidParameterValue", message)


BOB = ("UserName", "bob")


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (
            iam("CreateUser", BOB, ("Tags.member.0.Key", "k"), ("Tags.member.0.Value", "v")),
            "Parameter Tags.member.0 has an invalid index: indexes are 1, 2, 3 ...",
        ),
        (
            iam("CreateUser", BOB, ("Tags.member.x.Key", "k")),
            "Parameter Tags.member.x has an invalid index: indexes are 1, 2, 3 ...",
        ),
        (
            iam("CreateUser", BOB, ("Tags.member.01.Key", "k")),
            "Parameter Tags.member.01 has an invalid index: indexes are 1, 2, 3 ...",
        ),
        (
            iam("CreateUser", BOB, ("Tags.member.١.Key", "k")),
            "Parameter Tags.member.١ has an invalid index: indexes are 1, 2, 3 ...",
        ),
        (
            iam("CreateUser", BOB, ("Tags.member.-1.Key", "k")),
            "Parameter Tags.member.-1 has an invalid index: indexes are 1, 2, 3 ...",
        ),
        (
            iam("CreateUser", BOB, ("Tags.member..Key", "k")),
            "Parameter Tags.member. has an invalid index: indexes are 1, 2, 3 ...",
        ),
        (
            iam(
                "CreateUser",
                BOB,
                ("Tags.member.1.Key", "a"),
                ("Tags.member.1.Value", "a"),
                ("Tags.member.3.Key", "c"),
                ("Tags.member.3.Value", "c"),
            ),
            "Parameter Tags.member has no member 2: indexes must run from 1 without gaps",
        ),
        (
            iam("CreateUser", BOB, ("Tags.member.99999999999999999999.Key", "k")),
            "Parameter Tags.member has no member 1: indexes must run from 1 without gaps",
        ),
        (
            iam("CreateUser", BOB, (f"Tags.member.{'9' * 5000}.Key", "k")),
            "Parameter Tags.member has no member 1: indexes must run from 1 without gaps",
        ),
        (
            iam("CreateUser", BOB, ("Tags", "team=blue")),
            "Parameter Tags is a list or map: give its members as Tags.member.N",
        ),
        (
            iam("CreateUser", BOB, ("Tags.member", "x")),
            "Parameter Tags.member must be followed by an index 1, 2, 3 ...",
        ),
        (
            iam("CreateUser", BOB, BOB),
            "Parameter UserName is given more than once",
        ),
        (
            iam(
                "CreateUser",
                BOB,
                ("Tags.member.1.Key", "a"),
                ("Tags.member.1.Key", "b"),
                ("Tags.member.1.Value", "v"),
            ),
            "Parameter Tags.member.1.Key is given more than once",
        ),
        (
            iam("AcquireRole", ("TemplateArn", "a" * 20), ("ReplacementValues.entry.1.key", "k")),
            "Map entry ReplacementValues.entry.1 has no value: "
            "give ReplacementValues.entry.1.value",
        ),
        (
            iam(
                "AcquireRole",
                ("TemplateArn", "a" * 20),
                ("ReplacementValues.entry.1.value.Values.member.1", "v"),
            ),
            "Map entry ReplacementValues.entry.1 has no key: give ReplacementValues.entry.1.key",
        ),
        (
            iam(
                "AcquireRole",
                ("TemplateArn", "a" * 20),
                ("ReplacementValues.entry.1.key", "k"),
                ("ReplacementValues.entry.1.value.Values.member.1", "v"),
                ("ReplacementValues.entry.2.key", "k"),
                ("ReplacementValues.entry.2.value.Values.member.1", "w"),
            ),
            "Parameter ReplacementValues.entry has the key 'k' more than once",
        ),
    ],
)
def test_malformed_names_are_invalid_query_parameter(
    pairs: list[tuple[str, str]], message: str
) -> None:
    error = error_of(pairs)
    assert isinstance(error, InvalidQueryParameter)
    assert (error.code, error.message) == ("InvalidQueryParameter", message)


def test_a_list_member_without_a_value_is_null() -> None:
    error = error_of(iam("UntagUser", BOB, ("TagKeys.member.1.Extra", "k")))
    assert error.message == (
        ONE + "Value null at 'tagKeys.1.member' failed to satisfy constraint: "
        "Member must not be null"
    )


# -- shapes the IAM and STS inputs do not use (a small model of our own) --------------------------

SYNTHETIC = {
    "metadata": {
        "apiVersion": "2020-01-01",
        "endpointPrefix": "example",
        "protocol": "query",
        "serviceId": "Example",
        "signatureVersion": "v4",
        "xmlNamespace": "https://example.com/doc/2020-01-01/",
    },
    "operations": {
        "Op": {
            "name": "Op",
            "http": {"method": "POST", "requestUri": "/"},
            "input": {"shape": "Everything"},
            "output": {"shape": "Everything", "resultWrapper": "OpResult"},
        }
    },
    "shapes": {
        "Everything": {
            "type": "structure",
            "members": {
                "When": {"shape": "Time"},
                "Data": {"shape": "Blob"},
                "Big": {"shape": "Long"},
                "Ratio": {"shape": "Double"},
                "Flag": {"shape": "Bool"},
                "Flat": {"shape": "FlatList"},
                "Named": {"shape": "NamedList", "locationName": "Renamed"},
                "FlatNamed": {"shape": "FlatNamedList"},
                "Dict": {"shape": "NamedMap"},
                "FlatDict": {"shape": "FlatMap"},
                "Choice": {"shape": "Choice"},
                "Tree": {"shape": "Node"},
            },
        },
        "Time": {"type": "timestamp"},
        "Blob": {"type": "blob"},
        "Long": {"type": "long"},
        "Double": {"type": "double"},
        "Bool": {"type": "boolean"},
        "Str": {"type": "string"},
        "FlatList": {"type": "list", "member": {"shape": "Str"}, "flattened": True},
        "NamedList": {"type": "list", "member": {"shape": "Str", "locationName": "item"}},
        "FlatNamedList": {
            "type": "list",
            "member": {"shape": "Str", "locationName": "Thing"},
            "flattened": True,
        },
        "NamedMap": {
            "type": "map",
            "key": {"shape": "Str", "locationName": "name"},
            "value": {"shape": "Str", "locationName": "val"},
        },
        "FlatMap": {
            "type": "map",
            "key": {"shape": "Str"},
            "value": {"shape": "Long"},
            "flattened": True,
        },
        "Choice": {
            "type": "structure",
            "union": True,
            "members": {"A": {"shape": "Str"}, "B": {"shape": "Long"}},
        },
        "Node": {
            "type": "structure",
            "members": {"Name": {"shape": "Str"}, "Child": {"shape": "Node"}},
        },
    },
}

SYNTHETIC_PARAMS = {
    "When": datetime(2026, 11, 28, 4, 48, 17, 123000, tzinfo=UTC),
    "Data": b"\x00\x01binary\xff",
    "Big": 2**40,
    "Ratio": 0.25,
    "Flag": False,
    "Flat": ["a", "b"],
    "Named": ["x", "y", "z"],
    "FlatNamed": ["t"],
    "Dict": {"k1": "v1", "k2": "v2"},
    "FlatDict": {"one": 1, "two": 2},
    "Choice": {"B": 7},
    "Tree": {"Name": "root", "Child": {"Name": "leaf", "Child": {"Name": "deeper"}}},
}


def synthetic_operation() -> Any:
    return botocore.model.ServiceModel(SYNTHETIC, "example").operation_model("Op")


def synthetic_pairs(params: dict[str, Any]) -> list[tuple[str, str]]:
    request = create_serializer("query").serialize_to_request(params, synthetic_operation())
    return [(key, str(value)) for key, value in request["body"].items()]


def test_other_types_flattened_and_renamed_collections_round_trip() -> None:
    pairs = synthetic_pairs(SYNTHETIC_PARAMS)
    keys = {key for key, _ in pairs}
    assert {"Flat.1", "Renamed.item.1", "Thing.1", "Dict.entry.1.name", "FlatDict.1.key"} <= keys
    assert OperationReader(synthetic_operation()).read(pairs) == SYNTHETIC_PARAMS


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-28T04:48:17Z", datetime(2026, 11, 28, 4, 48, 17, tzinfo=UTC)),
        ("2026-11-28T06:48:17.5+02:00", datetime(2026, 11, 28, 4, 48, 17, 500000, tzinfo=UTC)),
        ("2026-11-28T04:48:17", datetime(2026, 11, 28, 4, 48, 17, tzinfo=UTC)),
    ],
)
def test_timestamps_read_as_utc_datetimes(raw: str, expected: datetime) -> None:
    value = OperationReader(synthetic_operation()).read([("When", raw)])["When"]
    assert value == expected
    assert value.utcoffset() is not None
    assert not value.utcoffset()


@pytest.mark.parametrize(
    ("pair", "expected"),
    [
        (("When", "yesterday"), "it must be an ISO 8601 timestamp"),
        (("When", "0001-01-01T00:00:00+01:00"), "it must be an ISO 8601 timestamp"),
        (("Data", "not base64!"), "it must be base64"),
        (("Data", "é"), "it must be base64"),
        (("Big", str(2**63)), "it must be a 64-bit integer"),
        (("Ratio", "half"), "it must be a number"),
    ],
)
def test_unreadable_timestamps_blobs_and_numbers(pair: tuple[str, str], expected: str) -> None:
    with pytest.raises(InvalidParameterValue) as caught:
        OperationReader(synthetic_operation()).read([pair])
    assert (
        caught.value.message == f"Value '{pair[1]}' for parameter {pair[0]} is invalid: {expected}"
    )


def test_a_union_takes_one_member_only() -> None:
    with pytest.raises(ValidationError) as caught:
        OperationReader(synthetic_operation()).read([("Choice.A", "a"), ("Choice.B", "1")])
    assert caught.value.message == (
        ONE + "Value at 'choice' failed to satisfy constraint: "
        "Member must have exactly one member set"
    )


def test_an_empty_map_and_an_empty_flattened_list_read_from_empty_values() -> None:
    reader = OperationReader(synthetic_operation())
    assert reader.read([("Dict", ""), ("Flat", "")]) == {"Dict": {}, "Flat": []}


# -- whatever the input, only IamError ---------------------------------------------------------

SEGMENTS = st.sampled_from(
    ["UserName", "Tags", "member", "entry", "key", "value", "Key", "Value", "Path", "MaxItems",
     "Marker", "TagKeys", "ReplacementValues", "Values", "TemplateArn", "PolicyArn",
     "RequireSymbols", "DurationSeconds", "PolicyArns", "arn", "1", "2", "0", "01", "x", "",
     "١", "-1", "99999999999999999999"]
)  # fmt: skip
KEYS = st.one_of(st.lists(SEGMENTS, min_size=1, max_size=6).map(".".join), st.text(max_size=20))
VALUES = st.one_of(
    st.sampled_from(["", "true", "0", "-5", "1001", "bob", "a" * 70, "team", "/", "/a/"]),
    st.text(max_size=30),
)
ACTIONS = st.sampled_from(
    ["CreateUser", "UntagUser", "ListUsers", "AcquireRole", "UpdateAccountPasswordPolicy",
     "CreateLoginProfile", "AssumeRole", "GetSessionToken", "Nope", ""]
)  # fmt: skip


@settings(max_examples=150, deadline=None, database=None)
@given(
    service=st.sampled_from(SERVICES),
    action=ACTIONS,
    version=st.sampled_from(["iam", "sts", None, "bad"]),
    fields=st.lists(st.tuples(KEYS, VALUES), max_size=12),
)
def test_parse_query_never_raises_anything_but_iam_errors(
    service: str, action: str, version: str | None, fields: list[tuple[str, str]]
) -> None:
    pairs = [("Action", action)]
    if version is not None:
        pairs.append(("Version", API_VERSIONS.get(version, "2000-01-01")))
    pairs.extend(fields)
    outcome: ParsedCall | IamError
    try:
        outcome = parse_query(service, pairs)
    except IamError as error:
        outcome = error
    if isinstance(outcome, IamError):
        assert outcome.code
        assert isinstance(outcome.message, str)
    else:
        shape = service_model(service).operation_model(outcome.operation).input_shape
        assert set(outcome.params) <= set(shape.members if shape is not None else ())
