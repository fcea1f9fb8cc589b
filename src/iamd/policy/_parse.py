"""Placeholder: being written (parse_policy)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._model import Policy, PolicyKind


def parse_policy(
    document: str | bytes | Mapping[str, Any],
    kind: PolicyKind | str = PolicyKind.IDENTITY,
    *,
    name: str = "",
    max_size: int | None = -1,
) -> Policy:
    raise NotImplementedError
