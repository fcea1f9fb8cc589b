"""`iamd policy check [FILE]`: JSON Lines requests in, one JSON answer per request out."""

from __future__ import annotations

import json
import selectors
import subprocess
from pathlib import Path
from typing import Any

import pytest

from iamd.cli import checkformat
from iamd.cli.checkformat import Checker
from tests.cli import (
    ACCOUNT,
    EXAMPLES,
    IAMD,
    USER_ARN,
    document,
    invoke,
    json_lines,
    run_iamd,
    statement,
)

REQUESTS = EXAMPLES / "requests.jsonl"
REPORT = "arn:aws:s3:::example-bucket/report.csv"
USER = {"type": "user", "arn": USER_ARN}
ALLOW_GET = document(statement("Allow", "s3:GetObject", Sid="Get"))
DENY_GET = document(statement("Deny", "s3:GetObject"))


def line(**fields: Any) -> dict[str, Any]:
    """A valid request line (a user reading REPORT under ALLOW_GET), with ``fields`` changed."""
    request = {
        "id": "r1",
        "principal": USER,
        "action": "s3:GetObject",
        "resource": REPORT,
        "resource_account": None,
        "context": {},
        "policies": {"identity": [ALLOW_GET]},
    }
    request.update(fields)
    return request


def jsonl(*requests: Any) -> str:
    return "".join(json.dumps(request) + "\n" for request in requests)


def check(text: str | bytes) -> list[Any]:
    """Run check on stdin in-process; assert exit 0; return the decoded answers."""
    result = invoke("policy", "check", input=text)
    assert result.exit_code == 0, result.output
    return json_lines(result.stdout)


# --- answers --------------------------------------------------------------------------------


def test_an_answer_has_the_id_the_decision_and_the_matched_statements() -> None:
    [answer] = check(jsonl(line()))

    assert answer == {
        "id": "r1",
        "decision": "Allow",
        "matched": [
            {
                "policy_type": "identity",
                "policy": "identity[0]",
                "sid": "Get",
                "index": 0,
                "effect": "Allow",
            },
        ],
    }


def test_policies_are_named_by_their_place_in_the_line() -> None:
    policies = {
        "identity": [ALLOW_GET, DENY_GET],
        "scp_levels": [[document(statement("Allow", "*"))], [DENY_GET]],
    }

    [answer] = check(jsonl(line(policies=policies)))

    assert answer["decision"] == "ExplicitDeny"
    assert [(m["policy_type"], m["policy"]) for m in answer["matched"]] == [
        ("scp", "scp_levels[1][0]"),
        ("identity", "identity[1]"),
    ]


def test_each_outcome() -> None:
    requests = [
        line(id="allow"),
        line(id="explicit", policies={"identity": [ALLOW_GET, DENY_GET]}),
        line(id="implicit", action="s3:PutObject"),
    ]

    answers = check(jsonl(*requests))

    assert [(a["id"], a["decision"]) for a in answers] == [
        ("allow", "Allow"),
        ("explicit", "ExplicitDeny"),
        ("implicit", "ImplicitDeny"),
    ]
    assert answers[2]["matched"] == []


def test_the_id_is_echoed_as_given_and_null_when_absent() -> None:
    without_id = line()
    del without_id["id"]

    answers = check(jsonl(line(id=7), line(id={"batch": 1}), without_id))

    assert [answer["id"] for answer in answers] == [7, {"batch": 1}, None]


def test_unknown_keys_are_ignored() -> None:
    request = line(note="anything", principal={**USER, "tags": {"a": "b"}})
    request["policies"]["comment"] = "ignored"

    [answer] = check(jsonl(request))

    assert answer["decision"] == "Allow"


def test_optional_fields_have_defaults() -> None:
    minimal = {
        "principal": USER,
        "action": "s3:ListAllMyBuckets",
        "policies": {"identity": [document(statement("Allow", "s3:ListAllMyBuckets"))]},
    }

    [answer] = check(jsonl(minimal))

    assert answer == {"id": None, "decision": "Allow", "matched": answer["matched"]}
    assert len(answer["matched"]) == 1


def test_a_policy_may_be_given_as_a_string_holding_its_json() -> None:
    [answer] = check(jsonl(line(policies={"identity": [json.dumps(ALLOW_GET)]})))

    assert answer["decision"] == "Allow"


def test_scp_levels_replaces_scp_and_every_level_must_allow() -> None:
    allow_all = document(statement("Allow", "*"))
    policies = {
        "identity": [ALLOW_GET],
        "scp": [allow_all],
        "scp_levels": [[allow_all], [document(statement("Allow", "ec2:*"))]],
    }

    [answer] = check(jsonl(line(policies=policies)))

    assert answer["decision"] == "ImplicitDeny"


def test_an_empty_scp_list_means_not_governed_by_scps() -> None:
    [answer] = check(jsonl(line(policies={"identity": [ALLOW_GET], "scp": [], "scp_levels": []})))

    assert answer["decision"] == "Allow"


def test_a_resource_policy_for_assume_role_is_a_trust_policy() -> None:
    trust = document(
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"Service": "ec2.amazonaws.com"},
        }
    )
    request = line(
        principal={"type": "service", "arn": "ec2.amazonaws.com"},
        action="sts:AssumeRole",
        resource=f"arn:aws:iam::{ACCOUNT}:role/app",
        policies={"resource": trust},
    )

    with_resource = {
        **request,
        "id": "r2",
        "policies": {
            "resource": {**trust, "Statement": [{**trust["Statement"][0], "Resource": "*"}]}
        },
    }

    answer, refused = check(jsonl(request, with_resource))

    assert answer["decision"] == "Allow"
    assert answer["matched"][0]["policy"] == "resource"
    assert "policy `resource` is invalid" in refused["error"]


def test_the_context_reaches_the_engine_with_lists_and_empty_lists() -> None:
    tag_keys = document(
        statement(
            "Allow",
            "s3:GetObject",
            Condition={
                "ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]},
                "Null": {"aws:TagKeys": "false"},
            },
        ),
    )
    requests = [
        line(id="subset", context={"aws:TagKeys": ["a"]}, policies={"identity": [tag_keys]}),
        line(id="other", context={"aws:TagKeys": ["a", "c"]}, policies={"identity": [tag_keys]}),
        line(id="empty", context={"aws:TagKeys": []}, policies={"identity": [tag_keys]}),
        line(id="absent", context={}, policies={"identity": [tag_keys]}),
    ]

    answers = check(jsonl(*requests))

    assert [a["decision"] for a in answers] == ["Allow", "ImplicitDeny", "Allow", "ImplicitDeny"]


def test_output_is_compact_json_one_line_per_request() -> None:
    result = invoke("policy", "check", input=jsonl(line(), line(id="second")))

    lines = result.stdout.splitlines()
    assert len(lines) == 2
    for text in lines:
        assert text == json.dumps(json.loads(text), separators=(",", ":"))


def test_blank_lines_get_no_answer() -> None:
    text = "\n" + jsonl(line(id="a")) + "   \n\t\n" + jsonl(line(id="b")) + "\n"

    assert [answer["id"] for answer in check(text)] == ["a", "b"]


def test_crlf_line_endings_are_accepted() -> None:
    text = jsonl(line(id="a")).replace("\n", "\r\n")

    assert [answer["id"] for answer in check(text)] == ["a"]


def test_a_last_line_without_newline_is_answered() -> None:
    assert [answer["id"] for answer in check(json.dumps(line(id="last")))] == ["last"]


def test_empty_input_gives_no_output() -> None:
    assert check("") == []


# --- invalid lines: an error answer on that line, and the run goes on --------------------

LINES_WITHOUT_ID = [
    pytest.param(b"{not json", "not valid JSON", id="not JSON"),
    pytest.param(b'{"id": "x", "action": ', "not valid JSON", id="truncated JSON"),
    pytest.param(b'{"id": "x"} trailing', "not valid JSON", id="extra data after the object"),
    pytest.param(b"[1, 2]", "must be a JSON object", id="a list"),
    pytest.param(b'"text"', "must be a JSON object", id="a string"),
    pytest.param(b"42", "must be a JSON object", id="a number"),
    pytest.param(b"null", "must be a JSON object", id="null"),
    pytest.param(b'{"id": "caf\xe9"}', "not UTF-8", id="not UTF-8"),
    pytest.param(b'{"id": "x", "id": "y"}', "repeats the key `id`", id="a repeated key"),
    pytest.param(
        b'{"id": "x", "policies": {"identity": [{"Statement": [], "Statement": []}]}}',
        "repeats the key `Statement`",
        id="a repeated key inside a policy",
    ),
    pytest.param(b'{"id": "x", "context": {"n": NaN}}', "`NaN`", id="NaN"),
    pytest.param(b'{"id": "x", "context": {"n": -Infinity}}', "`-Infinity`", id="Infinity"),
]


@pytest.mark.parametrize(("raw", "message"), LINES_WITHOUT_ID)
def test_a_line_that_is_not_a_json_object_is_answered_with_a_null_id(
    raw: bytes, message: str
) -> None:
    answers = check(raw + b"\n" + jsonl(line(id="after")).encode())

    assert answers[0]["id"] is None
    assert set(answers[0]) == {"id", "error"}
    assert message in answers[0]["error"]
    assert answers[1] == {**answers[1], "id": "after", "decision": "Allow"}


BAD_FIELDS = [
    pytest.param({"action": None}, "`action` must be a non-empty string", id="missing action"),
    pytest.param({"action": ""}, "`action` must be a non-empty string", id="empty action"),
    pytest.param({"action": ["s3:GetObject"]}, "`action`", id="action not a string"),
    pytest.param({"principal": None}, "`principal` must be an object", id="missing principal"),
    pytest.param({"principal": "alice"}, "`principal` must be an object", id="principal text"),
    pytest.param(
        {"principal": {"type": "robot", "arn": USER_ARN}},
        "`principal.type` must be",
        id="bad principal type",
    ),
    pytest.param(
        {"principal": {"arn": USER_ARN}}, "`principal.type` must be", id="missing principal type"
    ),
    pytest.param(
        {"principal": {"type": "user"}}, "`principal.arn` is required", id="user without arn"
    ),
    pytest.param(
        {"principal": {"type": "user", "arn": 5}},
        "`principal.arn` must be a string",
        id="arn not a string",
    ),
    pytest.param(
        {"principal": {**USER, "source_arn": ["x"]}},
        "`principal.source_arn`",
        id="source_arn not a string",
    ),
    pytest.param({"resource": ""}, "`resource` must be a non-empty string", id="empty resource"),
    pytest.param({"resource": 3}, "`resource` must be", id="resource not a string"),
    pytest.param(
        {"resource_account": 123456789012},
        "`resource_account` must be",
        id="resource_account a number",
    ),
    pytest.param({"context": ["a"]}, "`context` must be an object", id="context a list"),
    pytest.param({"context": {"k": {"a": "b"}}}, "context key `k`", id="context value object"),
    pytest.param({"context": {"k": ["a", 1]}}, "context key `k`", id="context list of non-str"),
    pytest.param({"policies": []}, "`policies` must be an object", id="policies a list"),
    pytest.param(
        {"policies": {"identity": ALLOW_GET}},
        "`policies.identity` must be a list",
        id="identity not a list",
    ),
    pytest.param(
        {"policies": {"identity": [5]}},
        "policy `identity[0]` must be a JSON object",
        id="identity policy a number",
    ),
    pytest.param(
        {"policies": {"scp_levels": [ALLOW_GET]}},
        "`policies.scp_levels[0]`",
        id="scp_levels not a list of lists",
    ),
    pytest.param(
        {"policies": {"rcp_levels": "x"}}, "`policies.rcp_levels` must be", id="rcp_levels text"
    ),
    pytest.param(
        {"policies": {"identity": [ALLOW_GET, document(statement("Permit", "s3:*"))]}},
        "policy `identity[1]` is invalid",
        id="invalid identity document",
    ),
    pytest.param(
        {"policies": {"identity": ["{not json"]}},
        "policy `identity[0]` is invalid",
        id="a policy string that is not JSON",
    ),
    pytest.param(
        {"policies": {"boundary": document(statement("Allow", "s3:*", Principal="*"))}},
        "policy `boundary` is invalid",
        id="a boundary with a Principal",
    ),
]


@pytest.mark.parametrize(("fields", "message"), BAD_FIELDS)
def test_a_line_with_bad_fields_is_answered_with_its_id_and_an_error(
    fields: dict[str, Any], message: str
) -> None:
    answers = check(jsonl(line(id="bad", **fields), line(id="after")))

    assert set(answers[0]) == {"id", "error"}
    assert answers[0]["id"] == "bad"
    assert message in answers[0]["error"]
    assert answers[1]["id"] == "after"
    assert answers[1]["decision"] == "Allow"


def test_an_anonymous_principal_needs_no_arn() -> None:
    [answer] = check(jsonl(line(principal={"type": "anonymous", "arn": None})))

    assert answer["decision"] == "ImplicitDeny"


# --- files and exit codes -----------------------------------------------------------------


def test_file_argument_is_read(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    path.write_text(jsonl(line(id="from-file")), encoding="utf-8")

    result = invoke("policy", "check", str(path))

    assert result.exit_code == 0
    assert json_lines(result.stdout)[0]["id"] == "from-file"


def test_a_file_that_cannot_be_opened_exits_2(tmp_path: Path) -> None:
    result = invoke("policy", "check", str(tmp_path / "missing.jsonl"))

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "cannot open" in result.stderr


def test_errors_do_not_change_the_exit_code() -> None:
    result = invoke("policy", "check", input="garbage\n" + jsonl(line(action="")))

    assert result.exit_code == 0
    assert all("error" in answer for answer in json_lines(result.stdout))


# --- the policy cache ---------------------------------------------------------------------


@pytest.fixture
def compile_calls(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record every call the checker makes to compile_policies."""
    calls: list[object] = []
    real = checkformat.compile_policies

    def counting(policies: Any) -> Any:
        calls.append(policies)
        return real(policies)

    monkeypatch.setattr(checkformat, "compile_policies", counting)
    return calls


def test_repeated_policies_are_compiled_once(compile_calls: list[object]) -> None:
    checker = Checker()
    reordered = line(
        policies={"identity": [{"Statement": ALLOW_GET["Statement"], "Version": "2012-10-17"}]}
    )

    answers = [checker.decide(line(id=i)) for i in range(50)] + [checker.decide(reordered)]

    assert len(compile_calls) == 1
    assert all(answer["decision"] == "Allow" for answer in answers)


def test_the_cache_is_keyed_on_the_resource_policy_kind_too(compile_calls: list[object]) -> None:
    # Valid as a bucket policy; as a trust policy (for sts:AssumeRole) its Resource is refused.
    policies = {
        "resource": document(
            statement(
                "Allow",
                ["sts:AssumeRole", "s3:GetObject"],
                Principal={"Service": "ec2.amazonaws.com"},
            )
        )
    }
    service = {"type": "service", "arn": "ec2.amazonaws.com"}
    checker = Checker()

    as_resource = checker.decide(line(principal=service, policies=policies))
    as_trust = checker.decide(
        line(
            principal=service,
            action="sts:AssumeRole",
            resource=f"arn:aws:iam::{ACCOUNT}:role/app",
            policies=policies,
        )
    )
    again = checker.decide(line(principal=service, policies=policies))

    assert len(compile_calls) == 1  # the trust reading is refused before compiling
    assert as_resource["decision"] == again["decision"] == "Allow"
    assert "policy `resource` is invalid" in as_trust["error"]


def test_the_cache_is_bounded(compile_calls: list[object]) -> None:
    checker = Checker(cache_size=2)
    first, second, third = (
        line(policies={"identity": [document(statement("Allow", f"s3:{action}"))]})
        for action in ("GetObject", "PutObject", "ListBucket")
    )

    for request in (first, second, first, third, first, second):
        checker.decide(request)

    # first, second, (first cached), third evicts second, (first cached), second again.
    assert len(compile_calls) == 4


def test_invalid_policies_are_remembered_and_reported_each_time(
    compile_calls: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    parses: list[object] = []
    real_parse = checkformat.parse_policy

    def counting_parse(*args: Any, **kwargs: Any) -> Any:
        parses.append(args)
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(checkformat, "parse_policy", counting_parse)
    checker = Checker()
    bad = line(policies={"identity": [document(statement("Permit", "s3:*"))]})

    answers = [checker.decide({**bad, "id": i}) for i in range(3)]

    assert len(parses) == 1
    assert compile_calls == []
    assert [answer["id"] for answer in answers] == [0, 1, 2]
    assert len({answer["error"] for answer in answers}) == 1


def test_many_lines_with_a_few_policy_sets_are_answered_in_order() -> None:
    policy_sets = [{"identity": [ALLOW_GET]}, {"identity": [ALLOW_GET, DENY_GET]}, {}]
    requests = [line(id=i, policies=policy_sets[i % 3]) for i in range(3_000)]

    answers = check(jsonl(*requests))

    expected = ["Allow", "ExplicitDeny", "ImplicitDeny"]
    assert [a["id"] for a in answers] == list(range(3_000))
    assert [a["decision"] for a in answers] == [expected[i % 3] for i in range(3_000)]


# --- end to end, through the installed console script -------------------------------------


def test_end_to_end_the_example_file_in_input_order() -> None:
    result = run_iamd("policy", "check", str(REQUESTS))

    assert result.returncode == 0, result.stderr
    answers = json_lines(result.stdout)
    assert [a["id"] for a in answers] == ["report", "secret", "partner", "no-action", "anonymous"]
    assert [a.get("decision") for a in answers] == [
        "Allow",
        "ExplicitDeny",
        "Allow",
        None,
        "ImplicitDeny",
    ]
    assert "`action`" in answers[3]["error"]


@pytest.mark.parametrize("args", [[], ["-"]], ids=["no FILE", "FILE is -"])
def test_end_to_end_reads_stdin(args: list[str]) -> None:
    text = "not json\n" + jsonl(line(id="a"), line(id="b", action=""), line(id="c"))

    result = run_iamd("policy", "check", *args, input=text)

    assert result.returncode == 0
    answers = json_lines(result.stdout)
    assert [a["id"] for a in answers] == [None, "a", "b", "c"]
    assert ["error" in a for a in answers] == [True, False, True, False]


def test_end_to_end_missing_file_exits_non_zero() -> None:
    result = run_iamd("policy", "check", "/nonexistent/requests.jsonl")

    assert result.returncode == 2
    assert result.stdout == b""
    assert b"cannot open" in result.stderr


def test_end_to_end_answers_each_line_before_the_next_arrives() -> None:
    command = [str(IAMD), "policy", "check"]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as process:
        assert process.stdin is not None
        assert process.stdout is not None
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(process.stdout, selectors.EVENT_READ)
                for request_id in ("first", "second"):
                    process.stdin.write(jsonl(line(id=request_id)).encode())
                    process.stdin.flush()
                    assert selector.select(timeout=30), "no answer while the input stays open"
                    assert json.loads(process.stdout.readline())["id"] == request_id
            process.stdin.close()
            assert process.wait(timeout=30) == 0
        finally:
            process.kill()


def test_end_to_end_a_reader_that_goes_away_stops_the_run_quietly(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    path.write_text(jsonl(*(line(id=i) for i in range(5_000))), encoding="utf-8")
    command = [str(IAMD), "policy", "check", str(path)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        assert json.loads(process.stdout.readline())["id"] == 0
        process.stdout.close()
        assert process.wait(timeout=60) == 1
        assert process.stderr.read() == b""
