"""Adapters of the STS API (2011-06-15), by area; importing this registers them all."""

from . import (
    assume_role,  # noqa: F401
    identity,  # noqa: F401
    keys,  # noqa: F401
    messages,  # noqa: F401
    sessions,  # noqa: F401
)
