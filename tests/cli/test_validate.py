"""`iamd policy validate FILE... [--kind K] [--max-size N] [--json]`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import iamd
from tests.cli import (
    ACCOUNT,
    EXAMPLES,
    document,
    invoke,
    json_lines,
    run_iamd,
    statement,
    write_json,
)

READ_REPORTS = EXAMPLES / "policies" / "read-reports.json"
INVALID_EXAMPLE = EXAMPLES / "invalid-policy.json"

TRUST_POLICY = document(
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}
)


@pytest.fixture
def valid_file(tmp_path: Path) -> Path:
    return write_json(tmp_path / "valid.json", document(statement("Allow", "s3:GetObject")))


def test_a_valid_document_is_reported_valid_with_exit_0(valid_file: Path) -> None:
    result = invoke("policy", "validate", str(valid_file))

    assert result.exit_code == 0, result.output
    assert result.stdout == f"{valid_file}: valid\n"


def test_an_invalid_document_lists_each_problem_with_its_location(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "bad.json",
        document(statement("Allow", "s3:GetObject"), statement("Permit", "s3:GetObject")),
    )

    result = invoke("policy", "validate", str(path))

    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"{path}: invalid"
    assert lines[1].startswith("  Statement[1].Effect: ")
    assert "Permit" in lines[1]


def test_every_problem_of_a_document_is_printed_on_its_own_line() -> None:
    result = invoke("policy", "validate", str(INVALID_EXAMPLE))

    assert result.exit_code == 1
    problems = result.stdout.splitlines()[1:]
    assert len(problems) >= 2, result.stdout
    assert all(line.startswith("  ") and line.strip() for line in problems)


def test_any_invalid_document_makes_the_exit_code_1_and_the_others_are_still_checked(
    tmp_path: Path, valid_file: Path
) -> None:
    bad = write_json(tmp_path / "bad.json", document(statement("allow", "s3:GetObject")))

    result = invoke("policy", "validate", str(bad), str(valid_file))

    assert result.exit_code == 1
    assert f"{bad}: invalid" in result.stdout.splitlines()
    assert result.stdout.splitlines()[-1] == f"{valid_file}: valid"


def test_a_file_that_is_not_json_is_invalid_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"Version": "2012-10-17", "Statement": [', encoding="utf-8")

    result = invoke("policy", "validate", "--json", str(path))

    assert result.exit_code == 1
    [answer] = json_lines(result.stdout)
    assert answer["valid"] is False
    assert answer["errors"]
    assert all(error["message"] for error in answer["errors"])


def test_a_key_repeated_inside_one_object_is_invalid_and_named(tmp_path: Path) -> None:
    path = tmp_path / "duplicate.json"
    path.write_text(
        '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Effect": "Deny",'
        ' "Action": "s3:GetObject", "Resource": "*"}}',
        encoding="utf-8",
    )

    result = invoke("policy", "validate", str(path))

    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == f"{path}: invalid"
    assert "Effect" in result.stdout


def test_a_missing_file_is_invalid_and_does_not_stop_the_others(
    tmp_path: Path, valid_file: Path
) -> None:
    missing = tmp_path / "missing.json"

    result = invoke("policy", "validate", str(missing), str(valid_file))

    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{missing}: invalid",
        "  cannot read the file: No such file or directory",
        f"{valid_file}: valid",
    ]


def test_a_directory_is_not_a_readable_policy_file(tmp_path: Path) -> None:
    result = invoke("policy", "validate", "--json", str(tmp_path))

    assert result.exit_code == 1
    [answer] = json_lines(result.stdout)
    assert answer["errors"] == [{"path": "", "message": "cannot read the file: Is a directory"}]


def test_a_file_that_is_not_utf8_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"Statement": {"Sid": "caf\xe9"}}')

    result = invoke("policy", "validate", str(path))

    assert result.exit_code == 1
    assert "not UTF-8 text" in result.stdout


def test_json_output_is_one_object_per_file_in_order(tmp_path: Path, valid_file: Path) -> None:
    bad = write_json(tmp_path / "bad.json", document(statement("Permit", "s3:GetObject")))

    result = invoke("policy", "validate", "--json", str(valid_file), str(bad))

    assert result.exit_code == 1
    valid_answer, invalid_answer = json_lines(result.stdout)
    assert valid_answer == {"file": str(valid_file), "valid": True, "errors": []}
    assert set(invalid_answer) == {"file", "valid", "errors"}
    assert invalid_answer["file"] == str(bad)
    assert invalid_answer["valid"] is False
    assert invalid_answer["errors"][0]["path"] == "Statement[0].Effect"
    assert all(set(error) == {"path", "message"} for error in invalid_answer["errors"])


def test_json_output_exits_0_when_all_files_are_valid(valid_file: Path) -> None:
    result = invoke("policy", "validate", "--json", str(valid_file), str(READ_REPORTS))

    assert result.exit_code == 0
    assert [answer["valid"] for answer in json_lines(result.stdout)] == [True, True]


BUCKET_POLICY = document(
    statement("Allow", "s3:GetObject", "arn:aws:s3:::bucket/*", Principal={"AWS": f"{ACCOUNT}"})
)


@pytest.mark.parametrize(
    ("policy", "kind", "valid"),
    [
        pytest.param(TRUST_POLICY, "trust", True, id="a trust policy is valid as trust"),
        pytest.param(TRUST_POLICY, "identity", False, id="identity policies name no Principal"),
        pytest.param(BUCKET_POLICY, "resource", True, id="a bucket policy is valid as resource"),
        pytest.param(BUCKET_POLICY, "trust", False, id="a trust policy names no Resource"),
        pytest.param(BUCKET_POLICY, "scp", False, id="an SCP names no Principal"),
    ],
)
def test_kind_selects_the_rules(
    tmp_path: Path, policy: dict[str, object], kind: str, valid: bool
) -> None:
    path = write_json(tmp_path / "policy.json", policy)

    result = invoke("policy", "validate", "--kind", kind, str(path))

    assert result.exit_code == (0 if valid else 1), result.stdout
    assert result.stdout.startswith(f"{path}: {'valid' if valid else 'invalid'}\n")


def test_kind_defaults_to_identity(tmp_path: Path) -> None:
    path = write_json(tmp_path / "trust.json", TRUST_POLICY)

    assert invoke("policy", "validate", str(path)).exit_code == 1


def test_an_unknown_kind_is_a_usage_error() -> None:
    result = invoke("policy", "validate", "--kind", "bucket", str(READ_REPORTS))

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "bucket" in result.stderr


def test_no_file_is_a_usage_error() -> None:
    assert invoke("policy", "validate").exit_code == 2


def _policy_of_size_over(limit: int) -> dict[str, object]:
    resources = [f"arn:aws:s3:::bucket-{i:04d}/reports/*" for i in range(limit // 30 + 1)]
    return document(statement("Allow", "s3:GetObject", resources))


def test_the_kind_default_size_limit_applies_unless_max_size_lifts_it(tmp_path: Path) -> None:
    path = write_json(tmp_path / "big.json", _policy_of_size_over(6_144))

    default = invoke("policy", "validate", str(path))
    unlimited = invoke("policy", "validate", "--max-size", "0", str(path))
    raised = invoke("policy", "validate", "--max-size", "100000", str(path))

    assert default.exit_code == 1, default.stdout
    assert unlimited.exit_code == 0, unlimited.stdout
    assert raised.exit_code == 0, raised.stdout


def test_max_size_can_lower_the_limit(valid_file: Path) -> None:
    assert invoke("policy", "validate", "--max-size", "10", str(valid_file)).exit_code == 1
    assert invoke("policy", "validate", "--max-size", "-1", str(valid_file)).exit_code == 2


def test_dash_reads_the_document_from_stdin() -> None:
    text = json.dumps(document(statement("Allow", "iam:GetUser", f"arn:aws:iam::{ACCOUNT}:*")))

    result = invoke("policy", "validate", "-", input=text)

    assert result.exit_code == 0
    assert result.stdout == "-: valid\n"


# --- end to end, through the installed console script -------------------------------------


def test_end_to_end_human_output_and_exit_code() -> None:
    result = run_iamd("policy", "validate", str(READ_REPORTS), str(INVALID_EXAMPLE))

    assert result.returncode == 1
    lines = result.stdout.decode().splitlines()
    assert lines[0] == f"{READ_REPORTS}: valid"
    assert lines[1] == f"{INVALID_EXAMPLE}: invalid"
    assert all(line.startswith("  ") for line in lines[2:])
    assert len(lines) > 2


def test_end_to_end_json_output_and_exit_code_0() -> None:
    examples = sorted((EXAMPLES / "policies").glob("*.json"))

    result = run_iamd("policy", "validate", "--json", *map(str, examples))

    assert result.returncode == 0, result.stdout
    assert json_lines(result.stdout) == [
        {"file": str(path), "valid": True, "errors": []} for path in examples
    ]


def test_end_to_end_the_example_resource_policy_is_valid_as_resource() -> None:
    path = str(EXAMPLES / "bucket-policy.json")

    assert run_iamd("policy", "validate", "--kind", "resource", path).returncode == 0
    assert run_iamd("policy", "validate", path).returncode == 1


def test_end_to_end_usage_error_exits_2() -> None:
    result = run_iamd("policy", "validate", "--kind", "nope", str(READ_REPORTS))

    assert result.returncode == 2
    assert result.stdout == b""


def test_version_prints_the_package_version() -> None:
    result = invoke("--version")

    assert result.exit_code == 0
    assert result.stdout == f"iamd {iamd.__version__}\n"
