"""DecodeAuthorizationMessage: the details behind an encoded AccessDenied."""

from __future__ import annotations

from iamd.service.context import Call, Env
from iamd.service.sts import authorization_messages

from .._registry import Params, Result, operation


@operation("sts", "DecodeAuthorizationMessage")
def decode_authorization_message(env: Env, call: Call, p: Params) -> Result:
    decoded = authorization_messages.decode_authorization_message(env, call, p["EncodedMessage"])
    return {"DecodedMessage": decoded}
