"""What the operator does to an account from the command line, as its root user would over
the API: the same use cases, with a root `Call` built here instead of from a request."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from iamd.domain import errors
from iamd.policy import PolicySet, Principal, PrincipalType, compile_policies

from .authz import principal_context
from .context import Call, Caller, Env, RequestInfo
from .iam import roles

# The inline policy AWS's console puts on a role to "revoke active sessions".
REVOKE_POLICY_NAME = "AWSRevokeOlderSessions"


def root_call(env: Env, account_id: str) -> Call:
    """A call by the account's root user, now.

    Raises:
        NoSuchEntity: no such account.
    """
    with env.store.read() as tx:
        version = tx.account_version(account_id)
    if version is None:
        raise errors.NoSuchEntity(f"Account {account_id} does not exist.")
    principal = Principal(PrincipalType.ROOT, arn=f"arn:aws:iam::{account_id}:root")
    caller = Caller(account_id, principal, None, "", compile_policies(PolicySet()),
                    principal_context(account_id, None, ()), version)
    return Call(caller, RequestInfo(now=env.clock.now().replace(microsecond=0)))


def revoke_role_sessions(env: Env, account_id: str, role_name: str) -> datetime:
    """Refuse every session of the role issued until now, as AWS's console does: a Deny of
    everything on ``aws:TokenIssueTime`` earlier than the cut-off, in the role's inline policy
    ``AWSRevokeOlderSessions`` (put, or replaced with the new cut-off). Issue times are whole
    seconds, so the cut-off is the next second: a session issued in the second of the
    revocation is refused too; sessions issued from the cut-off on work. Returns the cut-off.

    Raises:
        NoSuchEntity: no such account or role.
    """
    call = root_call(env, account_id)
    cutoff = call.request.now + timedelta(seconds=1)
    roles.put_role_policy(env, call, role_name, REVOKE_POLICY_NAME, revoke_document(cutoff))
    return cutoff


def revoke_document(cutoff: datetime) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Deny",
            "Action": ["*"],
            "Resource": ["*"],
            "Condition": {
                "DateLessThan": {"aws:TokenIssueTime": cutoff.strftime("%Y-%m-%dT%H:%M:%SZ")}
            },
        }],
    })
