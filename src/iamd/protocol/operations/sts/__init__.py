"""Adapters of the STS API (2011-06-15), by area; importing this registers them all."""

from . import identity  # noqa: F401
