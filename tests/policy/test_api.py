"""The public surface of iamd.policy: its names, and that it needs nothing but the stdlib."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import iamd.policy

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
