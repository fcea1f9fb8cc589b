"""Virtual MFA devices: Create (the seed is returned this once), Enable, Resync, Deactivate,
Delete, Get, ListMFADevices (a user's), ListVirtualMFADevices (the account's) and tags.

A device is assigned when ``enabled`` is set: to ``user_id``, or to the root user when
``user_id`` is None. As on AWS, a user (or the root user) may have up to 8 devices in use;
sign-in accepts a code from any of them. In the calls whose UserName the model requires
(EnableMFADevice, ResyncMFADevice) the root user names itself by its account id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import quote, urlencode

from iamd.domain import errors
from iamd.domain.entities import MFADevice, Tag, User
from iamd.storage.api import Transaction

from ..authz import ContextValue, authorize
from ..context import Call, Env
from ..credentials import RESYNC_WINDOW, accept_consecutive_codes, enabled_devices
from .common import (
    MissingTarget,
    Page,
    account_arn,
    decode_marker,
    encode_marker,
    max_items,
    merge_tags,
    new_id,
    reading,
    request_tag_context,
    resource_tag_context,
    slice_page,
    tag_resource,
    tags_from,
    untag_resource,
    writing,
)
from .users import credential_owner, find_user

TAG_KIND = "mfa"
NAME_MAX_LENGTH = 226
ISSUER = "iamd"
# Device ids stay inside iamd (AWS shows only serial numbers); the prefix marks them when stored.
DEVICE_ID_PREFIX = "AMFA"


@dataclass(frozen=True, slots=True)
class NewDevice:
    """A created device with its secret: the only time the seed leaves the server."""

    device: MFADevice
    base32_seed: str = field(repr=False)
    qr_png: bytes = field(repr=False)
    tags: Sequence[Tag] = ()


@dataclass(frozen=True, slots=True)
class DeviceView:
    """A device and who it is assigned to: ``user``, else the root user when the device is
    enabled (``account_created`` is then the root user's creation date), else no one."""

    device: MFADevice
    user: User | None = None
    account_created: datetime | None = None

    @property
    def assigned_to_root(self) -> bool:
        return self.device.enabled is not None and self.device.user_id is None


def missing_device(serial_number: str) -> errors.NoSuchEntity:
    return errors.NoSuchEntity(
        f"VirtualMFADevice with serial number {serial_number} does not exist."
    )


def invalid_code() -> errors.InvalidAuthenticationCode:
    return errors.InvalidAuthenticationCode("Authentication code for device is not valid.")


# -- lookups ---------------------------------------------------------------------------------
def serial_arn(call: Call, serial_number: str) -> str:
    """The ARN to authorize a call on a device that may not exist."""
    if serial_number.startswith("arn:"):
        return serial_number
    return account_arn(call, f"mfa/{serial_number}")


def find_device(tx: Transaction, call: Call, serial_number: str) -> MFADevice | None:
    """The account's virtual device with this serial number (its ARN; the name part in any case)."""
    name = serial_number.rsplit("/", 1)[-1]
    device: MFADevice | None = tx.get(MFADevice, call.account_id, name)
    if device is None or len(device.name) != len(name):
        return None
    if device.serial_number[: -len(name)] != serial_number[: -len(name)]:
        return None
    return device


def _existing_device(tx: Transaction, call: Call, serial_number: str) -> MFADevice:
    device = find_device(tx, call, serial_number)
    if device is None:
        raise missing_device(serial_number)
    return device


def _owner(tx: Transaction, call: Call, action: str, user_name: str | None) -> User | None:
    """The user a call is about (None: the root user), authorized; the root caller may name
    itself by its account id (unless an IAM user has that name)."""
    if (user_name == call.account_id and call.caller.is_root
            and find_user(tx, call, user_name) is None):
        user_name = None
    return credential_owner(tx, call, action, user_name)


def _owned_device(
    tx: Transaction, call: Call, owner: User | None, serial_number: str
) -> MFADevice:
    """The device, which must be in use by ``owner`` (None: the root user)."""
    device = _existing_device(tx, call, serial_number)
    if device.enabled is None or device.user_id != (owner.id if owner else None):
        raise errors.NoSuchEntity("MFA Device invalid for user.")
    return device


def _device_context(tx: Transaction, device: MFADevice) -> dict[str, ContextValue]:
    return resource_tag_context(tx.tags(TAG_KIND, device.id))


# -- create and delete -----------------------------------------------------------------------
def create_virtual_mfa_device(
    env: Env, call: Call, name: str, path: str = "/",
    tags: Sequence[Mapping[str, str]] | None = None,
) -> NewDevice:
    """Raises: ValidationError (name too long), EntityAlreadyExists, LimitExceeded."""
    _check_name(name)
    new_tags = tags_from(tags)
    arn = account_arn(call, f"mfa{path}{name}")
    context = request_tag_context(new_tags) if new_tags else {}
    seed = env.otp.new_seed()
    with writing(env, call, authorization_unchanged=True) as tx:
        authorize(call, "iam:CreateVirtualMFADevice", arn, context)
        if new_tags:
            authorize(call, "iam:TagMFADevice", arn, context)
        if tx.get(MFADevice, call.account_id, name) is not None:
            raise errors.EntityAlreadyExists(
                "MFADevice entity at the same path and name already exists."
            )
        quota = env.quotas.virtual_mfa_devices_per_account
        if tx.count(MFADevice, call.account_id) >= quota:
            raise errors.LimitExceeded(f"Cannot exceed quota for MFADevices: {quota}")
        device_id = new_id(env, DEVICE_ID_PREFIX)
        sealed = env.sealer.seal(seed.encode(), context=device_id.encode())
        device = MFADevice(call.account_id, device_id, name, path, sealed, call.request.now)
        tx.add(device)
        if new_tags:
            merge_tags(env, tx, call, TAG_KIND, device.id, new_tags)
        account_name = next(iter(tx.aliases(call.account_id)), call.account_id)
    qr_png = env.otp.qr_png(otpauth_uri(name, account_name, seed))
    return NewDevice(device, seed, qr_png, new_tags)


def _check_name(name: str) -> None:
    if len(name) > NAME_MAX_LENGTH:
        raise errors.ValidationError(
            f"1 validation error detected: Value '{name}' at 'virtualMFADeviceName' failed to "
            f"satisfy constraint: Member must have length less than or equal to {NAME_MAX_LENGTH}"
        )


def otpauth_uri(device_name: str, account_name: str, seed: str) -> str:
    """The Key URI authenticator apps read: AWS's ``otpauth://totp/NAME@ACCOUNT?secret=...``,
    with the issuer (iamd) as the label's prefix and as a parameter."""
    label = quote(f"{ISSUER}:{device_name}@{account_name}", safe="@:")
    return f"otpauth://totp/{label}?{urlencode({'secret': seed, 'issuer': ISSUER})}"


def delete_virtual_mfa_device(env: Env, call: Call, serial_number: str) -> None:
    """Raises: NoSuchEntity, DeleteConflict (the device is still in use)."""
    action = "iam:DeleteVirtualMFADevice"
    with writing(env, call, authorization_unchanged=True) as tx:
        device = find_device(tx, call, serial_number)
        if device is None:
            authorize(call, action, serial_arn(call, serial_number))
            raise missing_device(serial_number)
        authorize(call, action, device.serial_number, _device_context(tx, device))
        if device.enabled is not None:
            raise errors.DeleteConflict("MFA VirtualDevice in use. Must deactivate first.")
        tx.clear_tags(TAG_KIND, device.id)
        tx.remove(MFADevice, device.id)


# -- assignment ------------------------------------------------------------------------------
def enable_mfa_device(
    env: Env, call: Call, user_name: str | None, serial_number: str, code1: str, code2: str
) -> None:
    """Assign the device to the user (None: the caller) once two consecutive codes prove it
    works. Raises: NoSuchEntity, EntityAlreadyExists (in use), LimitExceeded,
    InvalidAuthenticationCode."""
    with writing(env, call, authorization_unchanged=True) as tx:
        owner = _owner(tx, call, "iam:EnableMFADevice", user_name)
        device = _existing_device(tx, call, serial_number)
        if device.enabled is not None:
            raise errors.EntityAlreadyExists("MFA Device is already in use.")
        owner_id = owner.id if owner else None
        quota = env.quotas.mfa_devices_per_user
        if len(enabled_devices(tx, call.account_id, owner_id)) >= quota:
            raise errors.LimitExceeded(f"Cannot exceed quota for MFADevicesPerUser: {quota}")
        accepted = accept_consecutive_codes(env, tx, device, code1, code2)
        if accepted is None:
            raise invalid_code()
        tx.replace(replace(accepted, user_id=owner_id, enabled=call.request.now))


def resync_mfa_device(
    env: Env, call: Call, user_name: str | None, serial_number: str, code1: str, code2: str
) -> None:
    """Check two consecutive codes over a wider window (RESYNC_WINDOW steps either side).

    iamd keeps no per-device clock offset: codes are always checked against the server's
    clock, so a resync only proves the device works and moves its last accepted step.
    Raises: NoSuchEntity, InvalidAuthenticationCode."""
    with writing(env, call, authorization_unchanged=True) as tx:
        owner = _owner(tx, call, "iam:ResyncMFADevice", user_name)
        device = _owned_device(tx, call, owner, serial_number)
        if accept_consecutive_codes(env, tx, device, code1, code2, RESYNC_WINDOW) is None:
            raise invalid_code()


def deactivate_mfa_device(
    env: Env, call: Call, serial_number: str, user_name: str | None = None
) -> None:
    """Unassign the device (it stays, unassigned, until deleted). Raises: NoSuchEntity."""
    with writing(env, call, authorization_unchanged=True) as tx:
        owner = _owner(tx, call, "iam:DeactivateMFADevice", user_name)
        device = _owned_device(tx, call, owner, serial_number)
        tx.replace(replace(device, user_id=None, enabled=None))


# -- reading ---------------------------------------------------------------------------------
def get_mfa_device(
    env: Env, call: Call, serial_number: str, user_name: str | None = None
) -> DeviceView:
    with reading(env) as tx:
        owner = _owner(tx, call, "iam:GetMFADevice", user_name)
        device = _owned_device(tx, call, owner, serial_number)
        return _view(tx, call, device, owner)


def list_mfa_devices(
    env: Env, call: Call, user_name: str | None = None, marker: str | None = None,
    max_items_: int | None = None,
) -> Page[DeviceView]:
    """The devices in use by the user (None: the caller), oldest first."""
    with reading(env) as tx:
        owner = _owner(tx, call, "iam:ListMFADevices", user_name)
        devices = enabled_devices(tx, call.account_id, owner.id if owner else None)
        views = [_view(tx, call, device, owner) for device in devices]
    return slice_page(views, marker, max_items(max_items_))


def list_virtual_mfa_devices(
    env: Env, call: Call, assignment_status: str = "Any", marker: str | None = None,
    max_items_: int | None = None,
) -> Page[DeviceView]:
    """The account's virtual devices in name order, filtered by Assigned / Unassigned / Any."""
    keep = _assignment_filter(assignment_status)
    limit = max_items(max_items_)
    with reading(env) as tx:
        authorize(call, "iam:ListVirtualMFADevices", "*")
        devices, more = _filtered_page(tx, call.account_id, keep, decode_marker(marker), limit)
        views = [_view(tx, call, device) for device in devices]
    next_marker = encode_marker(devices[-1].name.lower()) if more else None
    return Page(views, next_marker)


def _assignment_filter(status: str) -> Callable[[MFADevice], bool]:
    if status == "Assigned":
        return lambda device: device.enabled is not None
    if status == "Unassigned":
        return lambda device: device.enabled is None
    return lambda device: True


def _filtered_page(
    tx: Transaction, account_id: str, keep: Callable[[MFADevice], bool], after: str | None,
    limit: int,
) -> tuple[list[MFADevice], bool]:
    """Up to ``limit`` devices that ``keep`` accepts, after the name key ``after``; and
    whether there are more."""
    found: list[MFADevice] = []
    while True:
        batch: list[MFADevice] = tx.page(MFADevice, account_id, after=after, limit=limit + 1)
        found += [device for device in batch if keep(device)]
        if len(found) > limit or len(batch) <= limit:
            return found[:limit], len(found) > limit
        after = batch[-1].name.lower()


def _view(
    tx: Transaction, call: Call, device: MFADevice, owner: User | None = None
) -> DeviceView:
    if device.enabled is None:
        return DeviceView(device)
    if device.user_id is None:
        account = tx.account(call.account_id)
        return DeviceView(device, None, account.created if account else None)
    user = owner if owner is not None else tx.get_by_id(User, device.user_id)
    return DeviceView(device, user)


# -- tags ------------------------------------------------------------------------------------
def tag_mfa_device(
    env: Env, call: Call, serial_number: str, tags: Sequence[Mapping[str, str]]
) -> None:
    tag_resource(
        env, call, "iam:TagMFADevice", TAG_KIND,
        lambda tx: find_device(tx, call, serial_number), lambda device: device.serial_number,
        tags, missing=_missing_target(call, serial_number),
    )


def untag_mfa_device(env: Env, call: Call, serial_number: str, tag_keys: Sequence[str]) -> None:
    untag_resource(
        env, call, "iam:UntagMFADevice", TAG_KIND,
        lambda tx: find_device(tx, call, serial_number), lambda device: device.serial_number,
        tag_keys, missing=_missing_target(call, serial_number),
    )


def list_mfa_device_tags(
    env: Env, call: Call, serial_number: str, marker: str | None = None,
    max_items_: int | None = None,
) -> Page[Tag]:
    action = "iam:ListMFADeviceTags"
    with reading(env) as tx:
        device = find_device(tx, call, serial_number)
        if device is None:
            authorize(call, action, serial_arn(call, serial_number))
            raise missing_device(serial_number)
        tags = tx.tags(TAG_KIND, device.id)
        authorize(call, action, device.serial_number, resource_tag_context(tags))
    return slice_page(tags, marker, max_items(max_items_))


def _missing_target(call: Call, serial_number: str) -> MissingTarget:
    return MissingTarget(serial_arn(call, serial_number), missing_device(serial_number))
