"""Tests of the `iamd` command line, and the helpers its test modules share.

Most cases run the Typer app in-process (`invoke`); a few per command run the installed
`iamd` console script as a subprocess (`run_iamd`), end to end.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from iamd.cli import app

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples"
IAMD = Path(sys.executable).parent / "iamd"
ACCOUNT = "123456789012"
USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/example"


def invoke(*args: str, input: str | bytes | None = None) -> Result:
    """Run `iamd ARGS...` in this process; stdout and stderr are kept apart."""
    return CliRunner().invoke(app, list(args), input=input)


def run_iamd(
    *args: str, input: str | bytes | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    """Run the installed `iamd` console script."""
    data = input.encode() if isinstance(input, str) else input
    return subprocess.run(
        [str(IAMD), *args], input=data, capture_output=True, timeout=timeout, check=False
    )


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def statement(
    effect: str, action: str | list[str], resource: str | list[str] = "*", **elements: Any
) -> dict[str, Any]:
    """A statement; ``elements`` adds Sid, Principal, Condition... as written."""
    return {"Effect": effect, "Action": action, "Resource": resource, **elements}


def write_json(path: Path, value: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2), encoding="utf-8")
    return path


def json_lines(text: str | bytes) -> list[Any]:
    return [json.loads(line) for line in text.splitlines()]
