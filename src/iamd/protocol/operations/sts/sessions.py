"""GetSessionToken and GetFederationToken: temporary credentials for long-term keys."""

from __future__ import annotations

from typing import Any

from iamd.service.context import Call, Env
from iamd.service.sts import sessions
from iamd.service.sts.tokens import IssuedCredentials

from .._registry import Params, Result, operation


def credentials(issued: IssuedCredentials) -> dict[str, Any]:
    """The ``Credentials`` structure of every STS operation that issues credentials."""
    return {
        "AccessKeyId": issued.access_key_id,
        "SecretAccessKey": issued.secret_access_key,
        "SessionToken": issued.session_token,
        "Expiration": issued.expiration,
    }


@operation("sts", "GetSessionToken")
def get_session_token(env: Env, call: Call, p: Params) -> Result:
    issued = sessions.get_session_token(
        env, call, p.get("DurationSeconds"), p.get("SerialNumber"), p.get("TokenCode")
    )
    return {"Credentials": credentials(issued)}


@operation("sts", "GetFederationToken")
def get_federation_token(env: Env, call: Call, p: Params) -> Result:
    made = sessions.get_federation_token(
        env, call, p["Name"], p.get("Policy"),
        [item["arn"] for item in p.get("PolicyArns") or () if "arn" in item],
        p.get("Tags"), p.get("DurationSeconds"),
    )
    return {
        "Credentials": credentials(made.credentials),
        "FederatedUser": {"FederatedUserId": made.federated_user_id, "Arn": made.arn},
        "PackedPolicySize": made.packed_policy_size,
    }
