"""GetAccessKeyInfo: the account of an access key id."""

from __future__ import annotations

from iamd.service.context import Call, Env
from iamd.service.sts import keys

from .._registry import Params, Result, operation


@operation("sts", "GetAccessKeyInfo")
def get_access_key_info(env: Env, call: Call, p: Params) -> Result:
    return {"Account": keys.get_access_key_info(env, call, p["AccessKeyId"])}
