"""Permissions boundaries: which managed policies may be one."""

from __future__ import annotations

import re

from iamd.domain import errors
from iamd.domain.entities import AWS_ACCOUNT, ManagedPolicy
from iamd.storage.api import Transaction

from ..context import Call, Env

_POLICY_ARN = re.compile(r"arn:aws:iam::(\d{12}|aws):policy(/|/[!-~]*/)([\w+=,.@-]+)")


def split_policy_arn(arn: str) -> tuple[str, str, str]:
    """(account, path, name) of a managed policy ARN; InvalidInput when it is not one."""
    match = _POLICY_ARN.fullmatch(arn)
    if match is None:
        raise errors.InvalidInput(f"ARN {arn} is not valid.")
    return match.group(1), match.group(2), match.group(3)


def managed_policy(env: Env, tx: Transaction, arn: str) -> ManagedPolicy | None:
    """The managed policy (customer or AWS) with this exact ARN, or None."""
    account, _path, name = split_policy_arn(arn)
    if account == AWS_ACCOUNT:
        aws = env.aws_policies.get(arn)
        return None if aws is None else aws.policy
    policy = tx.get(ManagedPolicy, account, name)
    return policy if policy is not None and policy.arn == arn else None


def usable_policy(env: Env, tx: Transaction, call: Call, arn: str) -> ManagedPolicy:
    """A policy the caller's account may attach or use as a boundary: an existing managed
    policy of AWS or of the caller's own account (never another account's)."""
    account, _path, _name = split_policy_arn(arn)
    policy = managed_policy(env, tx, arn) if account in (AWS_ACCOUNT, call.account_id) else None
    if policy is None:
        raise errors.NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
    return policy


def checked_boundary(env: Env, tx: Transaction, call: Call, arn: str) -> ManagedPolicy:
    return usable_policy(env, tx, call, arn)
