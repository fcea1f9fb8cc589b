"""GetCallerIdentity: who the credentials of the call belong to. AWS answers it for every
valid credential, whatever the policies say (even an explicit Deny)."""

from __future__ import annotations

from dataclasses import dataclass

from ..context import Call


@dataclass(frozen=True, slots=True)
class CallerIdentity:
    user_id: str
    account_id: str
    arn: str


def caller_identity(call: Call) -> CallerIdentity:
    caller = call.caller
    user_id = str(caller.context.get("aws:userid", caller.account_id))
    return CallerIdentity(user_id, caller.account_id, caller.arn)
