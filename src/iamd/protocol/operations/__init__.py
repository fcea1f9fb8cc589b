"""One small adapter per operation: wire params in, service call, output members out.

Adapters register themselves by operation name; `handler` finds them. An operation of the
model without an adapter answers NotImplemented (501), never a 500.
"""

from __future__ import annotations

from ._registry import HANDLERS, Handler


def handler(service: str, name: str) -> Handler | None:
    _load_adapters()
    return HANDLERS.get((service, name))


def implemented(service: str) -> list[str]:
    _load_adapters()
    return sorted(name for svc, name in HANDLERS if svc == service)


_loaded: list[bool] = []


def _load_adapters() -> None:
    """Import the adapter modules, which registers them (once)."""
    if not _loaded:
        from . import iam, sts  # noqa: F401

        _loaded.append(True)
