"""CreateVirtualMFADevice, EnableMFADevice, ResyncMFADevice, DeactivateMFADevice,
DeleteVirtualMFADevice, GetMFADevice, ListMFADevices, ListVirtualMFADevices, TagMFADevice,
UntagMFADevice, ListMFADeviceTags."""

from __future__ import annotations

from typing import Any

from iamd.service.context import Call, Env
from iamd.service.iam import mfa

from .. import views
from .._registry import Params, Result, operation


@operation("iam", "CreateVirtualMFADevice")
def create_virtual_mfa_device(env: Env, call: Call, p: Params) -> Result:
    made = mfa.create_virtual_mfa_device(
        env, call, p["VirtualMFADeviceName"], p.get("Path", "/"), p.get("Tags")
    )
    return {"VirtualMFADevice": {
        "SerialNumber": made.device.serial_number,
        "Base32StringSeed": made.base32_seed.encode(),
        "QRCodePNG": made.qr_png,
        "Tags": views.tags(made.tags) or None,
    }}


@operation("iam", "EnableMFADevice")
def enable_mfa_device(env: Env, call: Call, p: Params) -> Result:
    mfa.enable_mfa_device(
        env, call, p.get("UserName"), p["SerialNumber"],
        p["AuthenticationCode1"], p["AuthenticationCode2"],
    )
    return None


@operation("iam", "ResyncMFADevice")
def resync_mfa_device(env: Env, call: Call, p: Params) -> Result:
    mfa.resync_mfa_device(
        env, call, p.get("UserName"), p["SerialNumber"],
        p["AuthenticationCode1"], p["AuthenticationCode2"],
    )
    return None


@operation("iam", "DeactivateMFADevice")
def deactivate_mfa_device(env: Env, call: Call, p: Params) -> Result:
    mfa.deactivate_mfa_device(env, call, p["SerialNumber"], p.get("UserName"))
    return None


@operation("iam", "DeleteVirtualMFADevice")
def delete_virtual_mfa_device(env: Env, call: Call, p: Params) -> Result:
    mfa.delete_virtual_mfa_device(env, call, p["SerialNumber"])
    return None


@operation("iam", "GetMFADevice")
def get_mfa_device(env: Env, call: Call, p: Params) -> Result:
    view = mfa.get_mfa_device(env, call, p["SerialNumber"], p.get("UserName"))
    return _mfa_device(call, view)


@operation("iam", "ListMFADevices")
def list_mfa_devices(env: Env, call: Call, p: Params) -> Result:
    page = mfa.list_mfa_devices(env, call, p.get("UserName"), p.get("Marker"), p.get("MaxItems"))
    return views.paged(page, "MFADevices", [_mfa_device(call, view) for view in page.items])


@operation("iam", "ListVirtualMFADevices")
def list_virtual_mfa_devices(env: Env, call: Call, p: Params) -> Result:
    page = mfa.list_virtual_mfa_devices(
        env, call, p.get("AssignmentStatus", "Any"), p.get("Marker"), p.get("MaxItems")
    )
    return views.paged(page, "VirtualMFADevices", [_virtual(call, view) for view in page.items])


@operation("iam", "TagMFADevice")
def tag_mfa_device(env: Env, call: Call, p: Params) -> Result:
    mfa.tag_mfa_device(env, call, p["SerialNumber"], p["Tags"])
    return None


@operation("iam", "UntagMFADevice")
def untag_mfa_device(env: Env, call: Call, p: Params) -> Result:
    mfa.untag_mfa_device(env, call, p["SerialNumber"], p["TagKeys"])
    return None


@operation("iam", "ListMFADeviceTags")
def list_mfa_device_tags(env: Env, call: Call, p: Params) -> Result:
    page = mfa.list_mfa_device_tags(env, call, p["SerialNumber"], p.get("Marker"),
                                    p.get("MaxItems"))
    return views.paged(page, "Tags", views.tags(page.items))


def _mfa_device(call: Call, view: mfa.DeviceView) -> dict[str, Any]:
    """An MFADevice entry; the root user's devices carry the account id as UserName."""
    return {
        "UserName": view.user.name if view.user else call.account_id,
        "SerialNumber": view.device.serial_number,
        "EnableDate": view.device.enabled,
    }


def _virtual(call: Call, view: mfa.DeviceView) -> dict[str, Any]:
    """A VirtualMFADevice entry (never its seed); User for assigned devices, the root user
    as AWS shows it (its ARN and the account id, no name or path)."""
    entry: dict[str, Any] = {
        "SerialNumber": view.device.serial_number, "EnableDate": view.device.enabled,
    }
    if view.user is not None:
        entry["User"] = views.user(view.user)
    elif view.assigned_to_root:
        entry["User"] = {
            "UserId": call.account_id, "Arn": f"arn:aws:iam::{call.account_id}:root",
            "CreateDate": view.account_created,
        }
    return entry
