"""`iamd policy evaluate --policies DIR_OR_FILE --action A --resource R ...`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer

from iamd.cli._policy import infer_principal_type, parse_context
from iamd.policy import PrincipalType
from tests.cli import (
    ACCOUNT,
    EXAMPLES,
    document,
    invoke,
    run_iamd,
    statement,
    write_json,
)

POLICIES = str(EXAMPLES / "policies")
REPORT = "arn:aws:s3:::example-bucket/report.csv"
SECRET = "arn:aws:s3:::example-bucket/secret/keys.txt"
PARTNER = "arn:aws:iam::210987654321:user/partner"
ROLE_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/session-1"


def evaluate(*args: str) -> Any:
    """Run evaluate with --json; return (exit code, decoded answer or None)."""
    result = invoke("policy", "evaluate", "--json", *args)
    answer = json.loads(result.stdout) if result.stdout else None
    return result.exit_code, answer


# --- human output and exit codes ----------------------------------------------------------


def test_an_allowed_request_prints_the_decision_and_matched_statements_exit_0() -> None:
    result = invoke(
        "policy",
        "evaluate",
        "--policies",
        POLICIES,
        "--action",
        "s3:GetObject",
        "--resource",
        REPORT,
    )

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "decision: Allow",
        "matched statements:",
        "  identity  read-reports.json  ReadReports  Allow",
    ]


def test_an_explicit_deny_names_the_denying_policy_type_exit_1() -> None:
    result = invoke(
        "policy",
        "evaluate",
        "--policies",
        POLICIES,
        "--action",
        "s3:GetObject",
        "--resource",
        SECRET,
    )

    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "decision: ExplicitDeny",
        "denied by: identity",
        "matched statements:",
        "  identity  deny-secrets.json  DenySecrets  Deny",
    ]


def test_an_implicit_deny_with_no_statement_says_none() -> None:
    result = invoke(
        "policy",
        "evaluate",
        "--policies",
        POLICIES,
        "--action",
        "s3:DeleteObject",
        "--resource",
        REPORT,
    )

    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "decision: ImplicitDeny",
        "denied by: identity",
        "matched statements: none",
    ]


def test_a_statement_without_sid_is_shown_by_its_index() -> None:
    result = invoke(
        "policy",
        "evaluate",
        "--policies",
        POLICIES,
        "--action",
        "s3:DeleteObject",
        "--resource",
        REPORT,
        "--context",
        "aws:MultiFactorAuthPresent=false",
    )

    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "  identity  deny-secrets.json  #1  Deny"


# --- JSON output ----------------------------------------------------------------------------


def test_json_output_is_a_check_answer_plus_denied_by() -> None:
    code, answer = evaluate(
        "--policies", POLICIES, "--action", "s3:GetObject", "--resource", SECRET
    )

    assert code == 1
    assert answer == {
        "decision": "ExplicitDeny",
        "matched": [
            {
                "policy_type": "identity",
                "policy": "deny-secrets.json",
                "sid": "DenySecrets",
                "index": 0,
                "effect": "Deny",
            }
        ],
        "denied_by": "identity",
    }


def test_json_output_of_an_allow_has_null_denied_by() -> None:
    code, answer = evaluate(
        "--policies",
        POLICIES,
        "--action",
        "s3:ListBucket",
        "--resource",
        "arn:aws:s3:::example-bucket",
    )

    assert code == 0
    assert answer["decision"] == "Allow"
    assert answer["denied_by"] is None


# --- policy files -----------------------------------------------------------------------------


def test_policies_in_a_directory_are_read_in_file_name_order(tmp_path: Path) -> None:
    for name in ("b.json", "a.json"):
        write_json(tmp_path / name, document(statement("Allow", "s3:GetObject")))
    write_json(tmp_path / "ignored.txt", document(statement("Deny", "*")))

    code, answer = evaluate("--policies", str(tmp_path), "--action", "s3:GetObject")

    assert code == 0
    assert [match["policy"] for match in answer["matched"]] == ["a.json", "b.json"]


def test_policies_may_be_one_file() -> None:
    code, answer = evaluate(
        "--policies",
        str(EXAMPLES / "policies" / "read-reports.json"),
        "--action",
        "s3:GetObject",
        "--resource",
        SECRET,
    )

    assert (code, answer["decision"]) == (0, "Allow")


def test_without_policies_a_user_is_implicitly_denied() -> None:
    code, answer = evaluate("--action", "s3:GetObject", "--resource", REPORT)

    assert (code, answer["decision"], answer["denied_by"]) == (1, "ImplicitDeny", "identity")


def test_a_directory_without_json_files_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("policy", "evaluate", "--policies", str(tmp_path), "--action", "s3:GetObject")

    assert result.exit_code == 2
    assert "no `*.json` file" in result.stderr


def test_invalid_policy_files_are_all_reported_and_exit_2(tmp_path: Path) -> None:
    bad_identity = write_json(tmp_path / "p" / "bad.json", document(statement("Permit", "s3:*")))
    missing_boundary = tmp_path / "missing.json"

    result = invoke(
        "policy",
        "evaluate",
        "--policies",
        str(bad_identity.parent),
        "--action",
        "s3:GetObject",
        "--boundary",
        str(missing_boundary),
    )

    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert f"{bad_identity}: invalid" in lines
    assert f"{missing_boundary}: invalid" in lines
    assert "  cannot read the file: No such file or directory" in lines
    assert any(line.startswith("  Statement[0].Effect: ") for line in lines)


def test_a_missing_action_is_a_usage_error() -> None:
    assert invoke("policy", "evaluate", "--policies", POLICIES).exit_code == 2


# --- the request context ------------------------------------------------------------------

TEAM = "aws:PrincipalTag/team"


def _conditional_policy(tmp_path: Path, condition: dict[str, Any]) -> str:
    policy = document(statement("Allow", "s3:GetObject", Condition=condition))
    return str(write_json(tmp_path / "conditional.json", policy))


@pytest.mark.parametrize(
    ("condition", "context_args", "decision"),
    [
        pytest.param(
            {"StringEquals": {TEAM: "reports"}},
            ["--context", f"{TEAM}=reports"],
            "Allow",
            id="a key given once is a single value",
        ),
        pytest.param(
            {"StringEquals": {TEAM: "reports"}},
            [],
            "ImplicitDeny",
            id="a key not given is absent",
        ),
        pytest.param(
            {"StringEquals": {TEAM: "a=b"}},
            ["--context", f"{TEAM}=a=b"],
            "Allow",
            id="the value is everything after the first equals sign",
        ),
        pytest.param(
            {"StringEquals": {TEAM: "reports"}},
            ["--context", "AWS:PRINCIPALTAG/TEAM=reports"],
            "Allow",
            id="key names are case-insensitive",
        ),
        pytest.param(
            {"StringEquals": {TEAM: "reports"}},
            ["--context", f"{TEAM}=reports", "--context", f"{TEAM}=other"],
            "ImplicitDeny",
            id="a key given twice is a list, which a plain operator never matches",
        ),
        pytest.param(
            {"ForAnyValue:StringEquals": {TEAM: "reports"}},
            ["--context", f"{TEAM}=other", "--context", f"{TEAM}=reports"],
            "Allow",
            id="a key given twice is a list that set operators read",
        ),
        pytest.param(
            {"StringEquals": {TEAM: "reports"}},
            ["--context-list", f"{TEAM}=reports"],
            "ImplicitDeny",
            id="context-list makes a one-value list",
        ),
        pytest.param(
            {"ForAnyValue:StringEquals": {TEAM: "reports"}},
            ["--context-list", f"{TEAM}=reports"],
            "Allow",
            id="context-list values are read by set operators",
        ),
        pytest.param(
            {"Null": {"aws:TagKeys": "false"}},
            ["--context-empty", "aws:TagKeys"],
            "Allow",
            id="context-empty makes the key present",
        ),
        pytest.param(
            {"Null": {"aws:TagKeys": "false"}},
            [],
            "ImplicitDeny",
            id="without context-empty the key is absent",
        ),
        pytest.param(
            {"ForAnyValue:StringEquals": {"aws:TagKeys": "a"}},
            ["--context-empty", "aws:TagKeys"],
            "ImplicitDeny",
            id="context-empty is an empty set for ForAnyValue",
        ),
    ],
)
def test_context_options_build_the_request_context(
    tmp_path: Path, condition: dict[str, Any], context_args: list[str], decision: str
) -> None:
    policy = _conditional_policy(tmp_path, condition)

    code, answer = evaluate("--policies", policy, "--action", "s3:GetObject", *context_args)

    assert answer["decision"] == decision
    assert code == (0 if decision == "Allow" else 1)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--context", "no-equals-sign"], id="context without equals sign"),
        pytest.param(["--context", "=value"], id="context with an empty key"),
        pytest.param(["--context-list", "nokey"], id="context-list without equals sign"),
        pytest.param(["--context-empty", "key=value"], id="context-empty with a value"),
        pytest.param(
            ["--context", "k=v", "--context-empty", "k"], id="a key both empty and valued"
        ),
    ],
)
def test_bad_context_syntax_is_a_usage_error(args: list[str]) -> None:
    result = invoke("policy", "evaluate", "--policies", POLICIES, "--action", "s3:GetObject", *args)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--context" in result.stderr


def test_parse_context_merges_the_three_options() -> None:
    context = parse_context(["a=1", "b=2", "b=3", "c=x"], ["c=y", "d=4"], ["e"])

    assert context == {"a": "1", "b": ("2", "3"), "c": ("x", "y"), "d": ("4",), "e": ()}


def test_parse_context_rejects_an_item_without_equals_sign() -> None:
    with pytest.raises(typer.BadParameter, match="KEY=VALUE"):
        parse_context(["a"], [], [])


# --- principals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        (f"arn:aws:iam::{ACCOUNT}:user/alice", PrincipalType.USER),
        (f"arn:aws:iam::{ACCOUNT}:user/division/alice", PrincipalType.USER),
        (ROLE_SESSION, PrincipalType.ROLE_SESSION),
        (f"arn:aws:sts::{ACCOUNT}:federated-user/bob", PrincipalType.FEDERATED),
        (f"arn:aws:iam::{ACCOUNT}:root", PrincipalType.ROOT),
        ("cloudtrail.amazonaws.com", PrincipalType.SERVICE),
        (f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.example.com", PrincipalType.IDP),
        (f"arn:aws:iam::{ACCOUNT}:saml-provider/Okta", PrincipalType.IDP),
        (f"arn:aws:iam::{ACCOUNT}:role/app", None),
        (f"arn:aws:iam::{ACCOUNT}:group/admins", None),
        ("alice", None),
    ],
)
def test_the_principal_type_is_inferred_from_the_arn(
    arn: str, expected: PrincipalType | None
) -> None:
    assert infer_principal_type(arn) == expected


def test_a_root_principal_is_allowed_in_its_own_account_without_policies() -> None:
    code, answer = evaluate(
        "--principal",
        f"arn:aws:iam::{ACCOUNT}:root",
        "--action",
        "s3:DeleteBucket",
        "--resource",
        REPORT,
    )

    assert (code, answer["decision"]) == (0, "Allow")


def test_an_arn_of_no_known_type_needs_principal_type() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/app"

    refused = invoke("policy", "evaluate", "--principal", role, "--action", "s3:GetObject")
    forced = invoke(
        "policy",
        "evaluate",
        "--principal",
        role,
        "--principal-type",
        "user",
        "--policies",
        POLICIES,
        "--action",
        "s3:GetObject",
        "--resource",
        REPORT,
    )

    assert refused.exit_code == 2
    assert "--principal-type" in refused.stderr
    assert forced.exit_code == 0, forced.output


def test_an_empty_principal_is_not_the_default_one() -> None:
    result = invoke("policy", "evaluate", "--principal", "", "--action", "s3:GetObject")

    assert result.exit_code == 2
    assert "--principal-type" in result.stderr


def test_principal_type_overrides_the_inferred_one() -> None:
    # As a role session the user's identity policies still apply; as a service they do not.
    code, answer = evaluate(
        "--policies",
        POLICIES,
        "--action",
        "s3:GetObject",
        "--resource",
        REPORT,
        "--principal-type",
        "service",
    )

    assert (code, answer["decision"], answer["denied_by"]) == (1, "ImplicitDeny", "resource")


def test_an_unknown_principal_type_is_a_usage_error() -> None:
    result = invoke("policy", "evaluate", "--principal-type", "robot", "--action", "s3:GetObject")

    assert result.exit_code == 2


def test_an_anonymous_caller_takes_no_arn() -> None:
    result = invoke(
        "policy",
        "evaluate",
        "--principal-type",
        "anonymous",
        "--principal",
        PARTNER,
        "--action",
        "s3:GetObject",
    )

    assert result.exit_code == 2
    assert "anonymous" in result.stderr


def test_an_anonymous_caller_is_allowed_only_by_the_resource_policy(tmp_path: Path) -> None:
    public = write_json(
        tmp_path / "public.json",
        document(
            statement("Allow", "s3:GetObject", "arn:aws:s3:::example-bucket/*", Principal="*")
        ),
    )
    common = ["--principal-type", "anonymous", "--action", "s3:GetObject", "--resource", REPORT]

    allowed = evaluate(*common, "--resource-policy", str(public))
    denied = evaluate(*common, "--policies", POLICIES)

    assert allowed[0] == 0
    assert allowed[1]["matched"][0]["policy_type"] == "resource"
    assert allowed[1]["matched"][0]["policy"] == "public.json"
    assert denied[0] == 1


# --- the other policy types ------------------------------------------------------------------


def test_cross_account_needs_the_resource_policy_and_the_callers_identity(tmp_path: Path) -> None:
    identity = write_json(tmp_path / "partner.json", document(statement("Allow", "s3:GetObject")))
    common = [
        "--principal",
        PARTNER,
        "--policies",
        str(identity),
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::example-bucket/shared/plan.pdf",
        "--resource-account",
        ACCOUNT,
    ]

    with_bucket_policy = evaluate(
        *common, "--resource-policy", str(EXAMPLES / "bucket-policy.json")
    )
    without = evaluate(*common)

    assert with_bucket_policy[0] == 0
    assert [m["policy"] for m in with_bucket_policy[1]["matched"]] == [
        "bucket-policy.json",
        "partner.json",
    ]
    assert (without[0], without[1]["denied_by"]) == (1, "resource")


def test_the_resource_policy_of_sts_assume_role_is_read_as_a_trust_policy(tmp_path: Path) -> None:
    trust = write_json(
        tmp_path / "trust.json",
        document(
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": "ec2.amazonaws.com"},
            }
        ),
    )

    code, answer = evaluate(
        "--principal",
        "ec2.amazonaws.com",
        "--action",
        "sts:AssumeRole",
        "--resource",
        f"arn:aws:iam::{ACCOUNT}:role/app",
        "--resource-policy",
        str(trust),
    )
    # ...and a Resource element, which a resource policy may have, makes it invalid.
    with_resource = _write(
        tmp_path,
        "with-resource.json",
        statement("Allow", "sts:AssumeRole", Principal={"Service": "ec2.amazonaws.com"}),
    )
    refused = invoke(
        "policy",
        "evaluate",
        "--principal",
        "ec2.amazonaws.com",
        "--action",
        "sts:AssumeRole",
        "--resource-policy",
        with_resource,
    )

    assert (code, answer["decision"]) == (0, "Allow")
    assert answer["matched"][0]["policy_type"] == "resource"
    assert refused.exit_code == 2
    assert "with-resource.json: invalid" in refused.stderr


def _write(tmp_path: Path, name: str, *statements: dict[str, Any]) -> str:
    return str(write_json(tmp_path / name, document(*statements)))


def test_scps_form_one_level_where_one_allow_is_enough(tmp_path: Path) -> None:
    ec2_only = _write(tmp_path, "ec2-only.json", statement("Allow", "ec2:*"))
    s3_too = _write(tmp_path, "s3-too.json", statement("Allow", "s3:*"))
    common = ["--policies", POLICIES, "--action", "s3:GetObject", "--resource", REPORT]

    one = evaluate(*common, "--scp", ec2_only)
    both = evaluate(*common, "--scp", ec2_only, "--scp", s3_too)

    assert (one[0], one[1]["decision"], one[1]["denied_by"]) == (1, "ImplicitDeny", "scp")
    assert (both[0], both[1]["decision"]) == (0, "Allow")


def test_an_scp_deny_is_an_explicit_deny(tmp_path: Path) -> None:
    scp = _write(tmp_path, "deny.json", statement("Allow", "*"), statement("Deny", "s3:Get*"))

    code, answer = evaluate(
        "--policies", POLICIES, "--action", "s3:GetObject", "--resource", REPORT, "--scp", scp
    )

    assert (code, answer["decision"], answer["denied_by"]) == (1, "ExplicitDeny", "scp")
    assert answer["matched"][0]["policy"] == "deny.json"


def test_an_rcp_deny_is_an_explicit_deny(tmp_path: Path) -> None:
    rcp = _write(tmp_path, "rcp.json", statement("Deny", "s3:*", Principal="*"))

    code, answer = evaluate(
        "--policies", POLICIES, "--action", "s3:GetObject", "--resource", REPORT, "--rcp", rcp
    )

    assert (code, answer["denied_by"]) == (1, "rcp")


def test_a_boundary_limits_what_identity_policies_allow(tmp_path: Path) -> None:
    boundary = _write(tmp_path, "boundary.json", statement("Allow", "ec2:*"))

    code, answer = evaluate(
        "--policies",
        POLICIES,
        "--action",
        "s3:GetObject",
        "--resource",
        REPORT,
        "--boundary",
        boundary,
    )

    assert (code, answer["decision"], answer["denied_by"]) == (1, "ImplicitDeny", "boundary")


def test_a_session_policy_limits_a_role_session(tmp_path: Path) -> None:
    session = _write(tmp_path, "session.json", statement("Allow", "s3:ListBucket"))
    common = [
        "--principal",
        ROLE_SESSION,
        "--policies",
        POLICIES,
        "--action",
        "s3:GetObject",
        "--resource",
        REPORT,
    ]

    limited = evaluate(*common, "--session-policy", session)
    unlimited = evaluate(*common)

    assert (limited[0], limited[1]["denied_by"]) == (1, "session")
    assert unlimited[0] == 0


# --- end to end, through the installed console script -------------------------------------


def test_end_to_end_allow_exits_0() -> None:
    result = run_iamd(
        "policy",
        "evaluate",
        "--policies",
        POLICIES,
        "--action",
        "s3:GetObject",
        "--resource",
        REPORT,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().splitlines()[0] == "decision: Allow"


def test_end_to_end_deny_exits_1_and_json_is_one_line() -> None:
    result = run_iamd(
        "policy",
        "evaluate",
        "--json",
        "--policies",
        POLICIES,
        "--action",
        "s3:GetObject",
        "--resource",
        SECRET,
    )

    assert result.returncode == 1
    [line] = result.stdout.decode().splitlines()
    assert json.loads(line)["decision"] == "ExplicitDeny"


def test_end_to_end_invalid_policy_exits_2() -> None:
    result = run_iamd(
        "policy",
        "evaluate",
        "--policies",
        str(EXAMPLES / "invalid-policy.json"),
        "--action",
        "s3:GetObject",
    )

    assert result.returncode == 2
    assert result.stdout == b""
    assert b"invalid-policy.json: invalid" in result.stderr
