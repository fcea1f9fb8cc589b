"""Encoded authorization failure messages, and DecodeAuthorizationMessage.

Some AccessDenied answers carry, after their text, ``Encoded authorization failure message:``
and an opaque blob (as EC2's do on AWS). The blob is the decision's details (who, what, on
which resource, the statements that decided, the request's condition keys), sealed under the
server key so that only a caller allowed ``sts:DecodeAuthorizationMessage`` in the same
account reads them. In iamd the STS operations that issue credentials under a policy decision
(GetFederationToken, AssumeRole) encode their denials; IAM's do not, as on AWS.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Mapping
from typing import Any

from iamd.domain.errors import AccessDenied, InvalidAuthorizationMessage
from iamd.policy import Decision, Outcome

from ..authz import ContextValue, authorize, decide, denial_message, request_context
from ..context import Call, Env
from ..ports import Unsealable

_CONTEXT = b"iamd authorization message"
ENCODED_MARKER = " Encoded authorization failure message: "
_INVALID = "The encoded authorization message is invalid or was not issued to this account."
MAX_ENCODED_CHARS = 10_240  # the model's limit of EncodedMessage


def encode_denial(
    env: Env, call: Call, action: str, resource: str, decision: Decision,
    extra: Mapping[str, ContextValue] | None = None,
) -> str:
    """The sealed, base64 (URL-safe) details of a denial, for DecodeAuthorizationMessage."""
    details = decoded_message(call, action, resource, decision, extra)
    encoded = _sealed(env, call.account_id, details)
    if len(encoded) > MAX_ENCODED_CHARS:  # too big to be decoded: keep all but the conditions
        details["context"]["conditions"] = {"items": []}
        encoded = _sealed(env, call.account_id, details)
    return encoded


def _sealed(env: Env, account_id: str, details: dict[str, Any]) -> str:
    payload = json.dumps({"account": account_id, "message": details},
                         separators=(",", ":")).encode()
    sealed = env.sealer.seal(zlib.compress(payload), context=_CONTEXT)
    return base64.urlsafe_b64encode(sealed).decode()


def denial_with_message(
    env: Env, call: Call, action: str, resource: str, decision: Decision,
    extra: Mapping[str, ContextValue] | None = None,
) -> str:
    """AWS's AccessDenied text followed by the encoded authorization failure message."""
    head = denial_message(call.caller, action, resource, decision)
    return head + ENCODED_MARKER + encode_denial(env, call, action, resource, decision, extra)


def authorize_encoded(
    env: Env, call: Call, action: str, resource: str,
    extra: Mapping[str, ContextValue] | None = None,
) -> None:
    """`authz.authorize`, with the encoded message in the AccessDenied it raises."""
    decision = decide(call, action, resource, extra)
    if decision.outcome is not Outcome.ALLOW:
        raise AccessDenied(denial_with_message(env, call, action, resource, decision, extra))


def decode_authorization_message(env: Env, call: Call, encoded: str) -> str:
    """The JSON details of an encoded message (AWS's ``DecodedMessage`` layout).

    Raises:
        AccessDenied: the caller is not allowed sts:DecodeAuthorizationMessage.
        InvalidAuthorizationMessage: not a message iamd encoded for the caller's account.
    """
    authorize(call, "sts:DecodeAuthorizationMessage", "*")
    try:
        sealed = base64.urlsafe_b64decode(encoded.strip().encode("ascii"))
        payload = json.loads(zlib.decompress(env.sealer.unseal(sealed, context=_CONTEXT)))
    except (Unsealable, binascii.Error, ValueError, zlib.error, UnicodeError):
        raise InvalidAuthorizationMessage(_INVALID) from None
    if not isinstance(payload, dict) or payload.get("account") != call.account_id:
        raise InvalidAuthorizationMessage(_INVALID)
    return json.dumps(payload["message"], separators=(",", ":"))


def decoded_message(
    call: Call, action: str, resource: str, decision: Decision,
    extra: Mapping[str, ContextValue] | None = None,
) -> dict[str, Any]:
    caller = call.caller
    context = {**request_context(call), **caller.context, **(extra or {})}
    principal: dict[str, str] = {"id": str(caller.context.get("aws:userid", caller.account_id))}
    if "aws:username" in caller.context:
        principal["name"] = str(caller.context["aws:username"])
    principal["arn"] = caller.arn
    return {
        "allowed": decision.outcome is Outcome.ALLOW,
        "explicitDeny": decision.outcome is Outcome.EXPLICIT_DENY,
        "matchedStatements": {"items": [
            {
                "statementId": statement.sid or "",
                "effect": statement.effect.value.upper(),
                "policyType": statement.policy_type.value,
                "policyName": statement.policy_name,
                "index": statement.index,
            }
            for statement in decision.statements
        ]},
        "failures": {"items": []},
        "context": {
            "principal": principal,
            "action": action,
            "resource": resource,
            "conditions": {"items": [
                {"key": key, "values": {"items": [{"value": value} for value in _values(v)]}}
                for key, v in sorted(context.items())
            ]},
        },
    }


def _values(value: ContextValue) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)
