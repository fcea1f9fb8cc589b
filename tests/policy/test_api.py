"""The public surface of iamd.policy: its names, and that it needs nothing but the stdlib."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import iamd.policy
from iamd.policy import PolicySet, Principal, PrincipalType, Request, compile_policies
from iamd.policy import parse_policy as parse

POLICY_DIR = Path(iamd.policy.__file__).parent


def test_exported_names_are_the_documented_ones() -> None:
    assert sorted(iamd.policy.__all__) == [
        "Arn",
        "CompiledPolicySet",
        "Decision",
        "Outcome",
        "Policy",
        "PolicyKind",
        "PolicySet",
        "PolicyValidationError",
        "Principal",
        "PrincipalType",
        "Request",
        "compile_policies",
        "evaluate",
        "parse_policy",
        "policy_size",
    ]
    for name in iamd.policy.__all__:
        assert getattr(iamd.policy, name) is not None


def test_every_other_module_is_private() -> None:
    modules = {path.stem for path in POLICY_DIR.glob("*.py")} - {"__init__"}
    assert modules, "the policy package has modules"
    assert all(module.startswith("_") for module in modules), sorted(modules)


def test_the_engine_imports_only_the_standard_library_and_itself() -> None:
    for path in sorted(POLICY_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names, f"{path.name} imports {name}"


def test_a_compiled_set_takes_another_resource_policy() -> None:
    identity = parse({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}})
    bucket_policy = parse(
        {"Statement": {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}},
        "resource",
        name="bucket",
    )
    request = Request(
        Principal(PrincipalType.USER, "arn:aws:iam::111122223333:user/a"),
        "s3:GetObject",
        "arn:aws:s3:::b/k",
    )
    compiled = compile_policies(PolicySet(identity=[identity]))

    assert compiled.evaluate(request).allowed
    denied = compiled.with_resource_policy(bucket_policy).evaluate(request)
    assert denied.outcome == "ExplicitDeny"
    assert denied.denied_by == "resource"
    assert compiled.evaluate(request).allowed  # the original set is unchanged
