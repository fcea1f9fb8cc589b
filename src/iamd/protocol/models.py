"""The pinned botocore service models of IAM and STS, loaded once on first use.

Importing this module does no work; `service_model` loads a model the first time it is asked
for and keeps it for the life of the process.
"""

from __future__ import annotations

import functools

import botocore.session  # type: ignore[import-untyped]
from botocore.model import ServiceModel  # type: ignore[import-untyped]

SERVICES = ("iam", "sts")

NAMESPACES = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}

API_VERSIONS = {
    "iam": "2010-05-08",
    "sts": "2011-06-15",
}


@functools.cache
def service_model(service: str) -> ServiceModel:
    """The botocore model of ``service`` ("iam" or "sts")."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; expected one of {SERVICES}")
    return botocore.session.get_session().get_service_model(service)


@functools.cache
def operation_names(service: str) -> frozenset[str]:
    """The names of every operation of ``service``, for a fast membership test."""
    return frozenset(service_model(service).operation_names)
