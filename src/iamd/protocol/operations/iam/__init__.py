"""Adapters of the IAM API (2010-05-08), by area; importing this registers them all."""

from . import (  # noqa: F401
    access_keys,
    account,
    certificates,
    groups,
    instance_profiles,
    policies,
    providers,
    roles,
    simulate,
    users,
)
