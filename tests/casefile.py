"""Load table-driven test cases from JSON files with a strict schema.

A case file is ``{"cases": [{...}, ...]}``. Every case must carry the keys a test declares
required, may carry the optional ones, and nothing else: a typo in a key fails loudly instead
of silently testing nothing. Each case becomes a ``pytest.param`` whose id is its
``description``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

CASES_DIR = Path(__file__).parent / "policy" / "cases"


def load_cases(
    path: str | Path,
    *,
    required: Iterable[str],
    optional: Iterable[str] = (),
) -> list[Any]:
    """Read ``path`` (relative to tests/policy/cases) and return one pytest.param per case."""
    file = Path(path) if Path(path).is_absolute() else CASES_DIR / path
    data = json.loads(file.read_text(encoding="utf-8"))
    if set(data) != {"cases"}:
        raise ValueError(f"{file}: the top level must be {{'cases': [...]}}, got {sorted(data)}")
    required_keys = set(required) | {"description"}
    allowed = required_keys | set(optional) | {"source"}
    params = []
    seen: set[str] = set()
    for number, case in enumerate(data["cases"]):
        where = f"{file.name} case {number}"
        missing = required_keys - set(case)
        unknown = set(case) - allowed
        if missing or unknown:
            raise ValueError(f"{where}: missing {sorted(missing)}, unknown {sorted(unknown)}")
        description = case["description"]
        if description in seen:
            raise ValueError(f"{where}: duplicate description {description!r}")
        seen.add(description)
        params.append(pytest.param(case, id=description))
    return params
