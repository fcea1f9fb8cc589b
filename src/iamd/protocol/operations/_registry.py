"""The table of adapters, filled by `operation` as the adapter modules are imported."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from iamd.service.context import Call, Env

Params = dict[str, Any]
Result = Mapping[str, Any] | None
Handler = Callable[[Env, Call, Params], Result]

HANDLERS: dict[tuple[str, str], Handler] = {}


def operation(service: str, name: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        if (service, name) in HANDLERS:
            raise RuntimeError(f"{service}:{name} has two adapters")
        HANDLERS[(service, name)] = function
        return function

    return register
