"""Adapters of the IAM API (2010-05-08), by area; importing this registers them all."""

from . import (  # noqa: F401
    access_keys,
    account,
    certificates,
    credential_report,
    groups,
    instance_profiles,
    mfa,
    passwords,
    policies,
    providers,
    roles,
    simulate,
    users,
)
