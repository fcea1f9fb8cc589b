"""AssumeRole: temporary credentials for a session of a role."""

from __future__ import annotations

from iamd.service.context import Call, Env
from iamd.service.sts import assume_role as service

from .._registry import Params, Result, operation


@operation("sts", "AssumeRole")
def assume_role(env: Env, call: Call, p: Params) -> Result:
    request = service.AssumeRoleRequest(
        role_arn=p["RoleArn"], session_name=p["RoleSessionName"],
        duration_seconds=p.get("DurationSeconds"), policy=p.get("Policy"),
        policy_arns=[item.get("arn", "") for item in p.get("PolicyArns") or ()],
        tags=p.get("Tags") or (), transitive_tag_keys=p.get("TransitiveTagKeys") or (),
        external_id=p.get("ExternalId"), serial_number=p.get("SerialNumber"),
        token_code=p.get("TokenCode"), source_identity=p.get("SourceIdentity"),
        provided_contexts=bool(p.get("ProvidedContexts")),
    )
    assumed = service.assume_role(env, call, request)
    credentials = assumed.credentials
    return {
        "Credentials": {
            "AccessKeyId": credentials.access_key_id,
            "SecretAccessKey": credentials.secret_access_key,
            "SessionToken": credentials.session_token,
            "Expiration": credentials.expiration,
        },
        "AssumedRoleUser": {"AssumedRoleId": assumed.assumed_role_id, "Arn": assumed.arn},
        "PackedPolicySize": assumed.packed_policy_size,
        "SourceIdentity": assumed.source_identity,
    }
