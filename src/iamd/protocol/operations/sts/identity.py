"""GetCallerIdentity: who the credentials belong to (needs no permission)."""

from __future__ import annotations

from iamd.service.context import Call, Env
from iamd.service.sts import identity

from .._registry import Params, Result, operation


@operation("sts", "GetCallerIdentity")
def get_caller_identity(env: Env, call: Call, p: Params) -> Result:
    found = identity.caller_identity(call)
    return {"UserId": found.user_id, "Account": found.account_id, "Arn": found.arn}
