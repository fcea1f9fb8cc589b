"""CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey, GetAccessKeyLastUsed."""

from __future__ import annotations

from iamd.service.context import Call, Env
from iamd.service.iam import access_keys

from .. import views
from .._registry import Params, Result, operation


@operation("iam", "CreateAccessKey")
def create_access_key(env: Env, call: Call, p: Params) -> Result:
    made = access_keys.create_access_key(env, call, p.get("UserName"))
    return {
        "AccessKey": {
            "UserName": made.user_name or call.account_id,
            "AccessKeyId": made.key.id,
            "Status": made.key.status.value,
            "SecretAccessKey": made.secret_access_key,
            "CreateDate": made.key.created,
        }
    }


@operation("iam", "ListAccessKeys")
def list_access_keys(env: Env, call: Call, p: Params) -> Result:
    page = access_keys.list_access_keys(
        env, call, p.get("UserName"), p.get("Marker"), p.get("MaxItems")
    )
    items = [
        {"UserName": view.user_name, "AccessKeyId": view.key.id,
         "Status": view.key.status.value, "CreateDate": view.key.created}
        for view in page.items
    ]
    return views.paged(page, "AccessKeyMetadata", items)


@operation("iam", "UpdateAccessKey")
def update_access_key(env: Env, call: Call, p: Params) -> Result:
    access_keys.update_access_key(env, call, p["AccessKeyId"], p["Status"], p.get("UserName"))
    return None


@operation("iam", "DeleteAccessKey")
def delete_access_key(env: Env, call: Call, p: Params) -> Result:
    access_keys.delete_access_key(env, call, p["AccessKeyId"], p.get("UserName"))
    return None


@operation("iam", "GetAccessKeyLastUsed")
def get_access_key_last_used(env: Env, call: Call, p: Params) -> Result:
    used = access_keys.get_access_key_last_used(env, call, p["AccessKeyId"])
    return {
        "UserName": used.user_name,
        "AccessKeyLastUsed": {
            "LastUsedDate": used.date, "ServiceName": used.service, "Region": used.region,
        },
    }
