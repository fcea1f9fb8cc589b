"""Virtual MFA devices, as use cases: TOTP codes computed from the seed with the fixed clock."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta

import pyotp
import pytest

from iamd.domain import errors
from iamd.domain.entities import MFADevice
from iamd.domain.quotas import Quotas
from iamd.service import credentials
from iamd.service.context import Env
from iamd.service.iam import mfa, users

from .conftest import ACCOUNT, Callers, FixedClock

SERIAL = f"arn:aws:iam::{ACCOUNT}:mfa/"


def allow(*actions: str, resource: str = "*") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": list(actions), "Resource": resource}]})


def step_now(env: Env) -> int:
    return credentials.current_step(env)


def codes(seed: str, step: int) -> tuple[str, str]:
    """The codes of ``step`` and ``step + 1``, computed independently with pyotp."""
    totp = pyotp.TOTP(seed)
    return totp.at(step * 30), totp.at((step + 1) * 30)


def advance(env: Env, seconds: int) -> None:
    clock = env.clock
    assert isinstance(clock, FixedClock)
    clock.moment += timedelta(seconds=seconds)


def stored(env: Env, name: str) -> MFADevice:
    with env.store.read() as tx:
        device = tx.get(MFADevice, ACCOUNT, name)
    assert device is not None
    return device


def enabled_for(callers: Callers, user: str | None, name: str) -> str:
    """Create the device and enable it for ``user`` (None: root); its seed."""
    env, root = callers.env, callers.root()
    made = mfa.create_virtual_mfa_device(env, root, name)
    first, second = codes(made.base32_seed, step_now(env) - 1)
    mfa.enable_mfa_device(env, root, user or ACCOUNT, made.device.serial_number, first, second)
    return made.base32_seed


def test_create_returns_the_seed_once_and_stores_it_sealed(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    made = mfa.create_virtual_mfa_device(env, root, "phone", "/team/",
                                         tags=[{"Key": "k", "Value": "v"}])
    assert made.device.serial_number == f"{SERIAL}team/phone"
    assert len(made.base32_seed) == 64
    pyotp.TOTP(made.base32_seed).now()  # valid Base32
    assert made.qr_png.startswith(b"\x89PNG\r\n\x1a\n")
    assert made.base32_seed.encode() not in made.device.sealed_seed
    assert credentials.seed_of(env, stored(env, "phone")) == made.base32_seed
    assert made.base32_seed not in repr(made)
    assert [tag.key for tag in mfa.list_mfa_device_tags(env, root, made.device.serial_number)
            .items] == ["k"]
    listed = mfa.list_virtual_mfa_devices(env, root).items
    assert [view.device.name for view in listed] == ["phone"]


def test_otpauth_uri_follows_awss_shape_with_the_issuer() -> None:
    uri = mfa.otpauth_uri("phone", "my-alias", "ABCDEF")
    assert uri == "otpauth://totp/iamd:phone@my-alias?secret=ABCDEF&issuer=iamd"
    seed = pyotp.random_base32()
    parsed = pyotp.parse_uri(mfa.otpauth_uri("a+b", "123456789012", seed))
    assert parsed.name == "a+b@123456789012"
    assert parsed.issuer == "iamd"
    assert parsed.secret == seed
    assert mfa.otpauth_uri("a+b", "123", "S") == "otpauth://totp/iamd:a%2Bb@123?secret=S&issuer=iamd"


def test_names_are_unique_regardless_of_case_and_path(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    mfa.create_virtual_mfa_device(env, root, "Phone")
    exists = "MFADevice entity at the same path and name already exists."
    with pytest.raises(errors.EntityAlreadyExists, match=re.escape(exists)):
        mfa.create_virtual_mfa_device(env, root, "phone", "/other/")
    with pytest.raises(errors.ValidationError, match="less than or equal to 226"):
        mfa.create_virtual_mfa_device(env, root, "x" * 227)
    mfa.create_virtual_mfa_device(env, root, "y" * 226)


def test_quota_of_virtual_devices_is_the_users_quota(callers: Callers) -> None:
    env = replace(callers.env, quotas=Quotas(users_per_account=2))
    root = callers.root()
    mfa.create_virtual_mfa_device(env, root, "one")
    mfa.create_virtual_mfa_device(env, root, "two")
    with pytest.raises(errors.LimitExceeded, match="MFADevices: 2"):
        mfa.create_virtual_mfa_device(env, root, "three")


def test_enable_needs_two_consecutive_current_codes(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "alice")
    made = mfa.create_virtual_mfa_device(env, root, "alice-phone")
    serial, seed, now = made.device.serial_number, made.base32_seed, step_now(env)
    first, second = codes(seed, now)
    refused = [
        (second, first),  # the wrong order
        (first, first),  # the same code twice
        codes(seed, now - 3),  # too old
        codes(seed, now + 2),  # too new
        ("000000", second) if first != "000000" else ("111111", second),
    ]
    for one, two in refused:
        with pytest.raises(errors.InvalidAuthenticationCode,
                           match=re.escape("Authentication code for device is not valid.")):
            mfa.enable_mfa_device(env, root, "alice", serial, one, two)
    assert stored(env, "alice-phone").enabled is None
    mfa.enable_mfa_device(env, root, "alice", serial, first, second)
    device = stored(env, "alice-phone")
    assert device.enabled == root.request.now
    assert device.last_step == now + 1
    in_use = re.escape("MFA Device is already in use.")
    with pytest.raises(errors.EntityAlreadyExists, match=in_use):
        mfa.enable_mfa_device(env, root, "alice", serial, *codes(seed, now + 1))


@pytest.mark.parametrize("offset", [-2, -1, 0])
def test_enable_accepts_pairs_ending_one_step_either_side_of_now(
    callers: Callers, offset: int
) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "alice")
    made = mfa.create_virtual_mfa_device(env, root, "dev")
    mfa.enable_mfa_device(env, root, "alice", made.device.serial_number,
                          *codes(made.base32_seed, step_now(env) + offset))
    assert stored(env, "dev").last_step == step_now(env) + offset + 1


def test_a_code_accepted_once_is_never_accepted_again(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "alice")
    seed = enabled_for(callers, "alice", "dev")
    serial, now = f"{SERIAL}dev", step_now(env)
    device = stored(env, "dev")
    with env.store.write(ACCOUNT) as tx:  # the sign-in check: the code of `now` was used
        assert not credentials.accept_code(env, tx, device, pyotp.TOTP(seed).at(now * 30))
    # Resync with the pair already accepted at enable: refused.
    with pytest.raises(errors.InvalidAuthenticationCode):
        mfa.resync_mfa_device(env, root, "alice", serial, *codes(seed, now - 1))
    advance(env, 30)
    later = step_now(env)
    root = callers.root()
    mfa.resync_mfa_device(env, root, "alice", serial, *codes(seed, later))
    with pytest.raises(errors.InvalidAuthenticationCode):  # replayed
        mfa.resync_mfa_device(env, root, "alice", serial, *codes(seed, later))
    device = stored(env, "dev")
    with env.store.write(ACCOUNT) as tx:
        assert not credentials.accept_code(env, tx, device, pyotp.TOTP(seed).at(later * 30))
        assert not credentials.accept_code(env, tx, device, pyotp.TOTP(seed).at((later + 1) * 30))


def test_resync_accepts_a_wider_drift_than_enable(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "alice")
    seed = enabled_for(callers, "alice", "dev")
    serial, now = f"{SERIAL}dev", step_now(env)
    with pytest.raises(errors.InvalidAuthenticationCode):
        mfa.resync_mfa_device(env, root, "alice", serial, *codes(seed, now + 10))  # 11 ahead
    mfa.resync_mfa_device(env, root, "alice", serial, *codes(seed, now + 9))
    assert stored(env, "dev").last_step == now + 10
    users.create_user(env, root, "bob")
    with pytest.raises(errors.NoSuchEntity, match=re.escape("MFA Device invalid for user.")):
        mfa.resync_mfa_device(env, root, "bob", serial, *codes(seed, now + 11))


def test_sign_in_codes_come_from_any_enabled_device(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "alice")
    first_seed = enabled_for(callers, "alice", "one")
    second_seed = enabled_for(callers, "alice", "two")
    alice = stored(env, "one").user_id
    advance(env, 30)
    now = step_now(env)
    with env.store.write(ACCOUNT) as tx:
        devices = credentials.enabled_devices(tx, ACCOUNT, alice)
        assert {device.name for device in devices} == {"one", "two"}
        accepted = credentials.accept_code_of_any(
            env, tx, devices, pyotp.TOTP(second_seed).at(now * 30))
        assert accepted is not None
        assert accepted.name == "two"
    with env.store.write(ACCOUNT) as tx:
        devices = credentials.enabled_devices(tx, ACCOUNT, alice)
        assert credentials.accept_code_of_any(
            env, tx, devices, pyotp.TOTP(second_seed).at(now * 30)) is None
        assert credentials.accept_code_of_any(
            env, tx, devices, pyotp.TOTP(first_seed).at(now * 30)) is not None


def test_at_most_eight_devices_in_use_per_user(callers: Callers) -> None:
    env = replace(callers.env, quotas=Quotas(mfa_devices_per_user=1))
    root = callers.root()
    users.create_user(env, root, "alice")
    for name in ("one", "two"):
        made = mfa.create_virtual_mfa_device(env, root, name)
    one = mfa.create_virtual_mfa_device(env, root, "three")
    mfa.enable_mfa_device(env, root, "alice", one.device.serial_number,
                          *codes(one.base32_seed, step_now(env)))
    with pytest.raises(errors.LimitExceeded, match="MFADevicesPerUser: 1"):
        mfa.enable_mfa_device(env, root, "alice", made.device.serial_number,
                              *codes(made.base32_seed, step_now(env)))
    mfa.enable_mfa_device(env, root, ACCOUNT, made.device.serial_number,  # the root's own
                          *codes(made.base32_seed, step_now(env)))
    assert Quotas().mfa_devices_per_user == 8


def test_lifecycle_deactivate_then_delete(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "alice")
    enabled_for(callers, "alice", "dev")
    serial = f"{SERIAL}dev"
    listed = mfa.list_mfa_devices(env, root, "alice").items
    assert [(view.user.name if view.user else None, view.device.serial_number)
            for view in listed] == [("alice", serial)]
    assert mfa.get_mfa_device(env, root, serial, "alice").device.enabled is not None
    with pytest.raises(errors.DeleteConflict, match="Cannot delete entity, must delete MFA"):
        users.delete_user(env, root, "alice")
    with pytest.raises(errors.DeleteConflict,
                       match=re.escape("MFA VirtualDevice in use. Must deactivate first.")):
        mfa.delete_virtual_mfa_device(env, root, serial)
    with pytest.raises(errors.NoSuchEntity, match=re.escape("MFA Device invalid for user.")):
        mfa.deactivate_mfa_device(env, root, serial)  # the root caller: not its device
    mfa.deactivate_mfa_device(env, root, serial, "alice")
    device = stored(env, "dev")
    assert device.user_id is None
    assert device.enabled is None
    assert mfa.list_mfa_devices(env, root, "alice").items == []
    assert [view.device.name for view in
            mfa.list_virtual_mfa_devices(env, root, "Unassigned").items] == ["dev"]
    users.delete_user(env, root, "alice")
    mfa.delete_virtual_mfa_device(env, root, serial)
    with pytest.raises(errors.NoSuchEntity,
                       match=f"VirtualMFADevice with serial number {serial} does not exist."):
        mfa.delete_virtual_mfa_device(env, root, serial)
    with pytest.raises(errors.NoSuchEntity):
        mfa.enable_mfa_device(env, root, ACCOUNT, serial, "123456", "654321")


def test_serial_numbers_must_match_the_path_and_account(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    mfa.create_virtual_mfa_device(env, root, "dev", "/team/")
    assert mfa.list_mfa_device_tags(env, root, f"{SERIAL}team/DEV").items == []
    for wrong in (f"{SERIAL}dev", f"{SERIAL}other/dev", f"{SERIAL}team/dev2", "GAHT12345678"):
        with pytest.raises(errors.NoSuchEntity):
            mfa.list_mfa_device_tags(env, root, wrong)
    with pytest.raises(errors.AccessDenied):  # another account's device
        mfa.list_mfa_device_tags(env, root, "arn:aws:iam::999999999999:mfa/team/dev")


def test_the_root_user_enables_its_own_device(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "alice")
    enabled_for(callers, None, "root-device")
    device = stored(env, "root-device")
    assert device.user_id is None
    assert device.enabled is not None
    own = mfa.list_mfa_devices(env, root).items
    assert [view.device.name for view in own] == ["root-device"]
    assert mfa.list_mfa_devices(env, root, "alice").items == []
    assigned = mfa.list_virtual_mfa_devices(env, root, "Assigned").items
    assert [(view.device.name, view.assigned_to_root) for view in assigned] == [
        ("root-device", True)]
    assert assigned[0].account_created is not None
    with env.store.read() as tx:
        assert credentials.enabled_device(tx, ACCOUNT, None) == device
    mfa.deactivate_mfa_device(env, root, f"{SERIAL}root-device")
    assert stored(env, "root-device").enabled is None


def test_the_account_id_names_the_root_user_only_for_the_root_caller(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    enabled_for(callers, None, "root-device")
    callers.user("bob")
    users.put_user_policy(env, root, "bob", "mfa", allow("iam:*"))
    with pytest.raises(errors.NoSuchEntity, match=f"The user with name {ACCOUNT} cannot"):
        mfa.list_mfa_devices(env, callers.user("bob"), ACCOUNT)
    # A user named like the account id is that user, even for the root caller.
    users.create_user(env, root, ACCOUNT)
    enabled_for(callers, ACCOUNT, "dev")
    assert stored(env, "dev").user_id is not None
    assert [view.device.name for view in mfa.list_mfa_devices(env, root, ACCOUNT).items] == [
        "dev"]


def test_list_virtual_devices_filters_and_pages(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "alice")
    for name in ("a", "b", "c", "d", "e"):
        mfa.create_virtual_mfa_device(env, root, name)
    for name in ("b", "d"):
        made_seed = credentials.seed_of(env, stored(env, name))
        mfa.enable_mfa_device(env, root, "alice", f"{SERIAL}{name}",
                              *codes(made_seed, step_now(env)))
    def names(status: str, limit: int | None = None, marker: str | None = None
              ) -> tuple[list[str], str | None]:
        page = mfa.list_virtual_mfa_devices(env, root, status, marker, limit)
        return [view.device.name for view in page.items], page.marker

    assert names("Any")[0] == ["a", "b", "c", "d", "e"]
    assert names("Assigned")[0] == ["b", "d"]
    assert names("Unassigned")[0] == ["a", "c", "e"]
    first, marker = names("Unassigned", 2)
    assert first == ["a", "c"]
    assert marker is not None
    assert names("Unassigned", 2, marker) == (["e"], None)
    assigned = mfa.list_virtual_mfa_devices(env, root, "Assigned").items
    assert {view.user.name for view in assigned if view.user} == {"alice"}


def test_authorization_on_awss_resources(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    bob = callers.user("bob")
    with pytest.raises(errors.AccessDenied, match=(
            f"iam:CreateVirtualMFADevice on resource: arn:aws:iam::{ACCOUNT}:mfa/bob-phone")):
        mfa.create_virtual_mfa_device(env, bob, "bob-phone")
    with pytest.raises(errors.AccessDenied, match=(
            f"iam:ListMFADevices on resource: arn:aws:iam::{ACCOUNT}:user/bob")):
        mfa.list_mfa_devices(env, bob)
    with pytest.raises(errors.AccessDenied, match="iam:ListVirtualMFADevices on resource: \\*"):
        mfa.list_virtual_mfa_devices(env, bob)
    # The self-service pattern: devices named after the user, codes for the user itself.
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"],
         "Resource": "arn:aws:iam::*:mfa/${aws:username}"},
        {"Effect": "Allow", "Action": ["iam:EnableMFADevice", "iam:ListMFADevices",
                                        "iam:DeactivateMFADevice", "iam:ResyncMFADevice"],
         "Resource": "arn:aws:iam::*:user/${aws:username}"}]})
    users.put_user_policy(env, root, "bob", "self", policy)
    bob = callers.user("bob")
    made = mfa.create_virtual_mfa_device(env, bob, "bob")
    with pytest.raises(errors.AccessDenied):
        mfa.create_virtual_mfa_device(env, bob, "someone-else")
    users.create_user(env, root, "carol")
    with pytest.raises(errors.AccessDenied, match="iam:EnableMFADevice on resource: "
                       f"arn:aws:iam::{ACCOUNT}:user/carol"):
        mfa.enable_mfa_device(env, bob, "carol", made.device.serial_number,
                              *codes(made.base32_seed, step_now(env)))
    mfa.enable_mfa_device(env, bob, "bob", made.device.serial_number,
                          *codes(made.base32_seed, step_now(env)))
    assert [view.device.name for view in mfa.list_mfa_devices(env, bob).items] == ["bob"]
    mfa.deactivate_mfa_device(env, bob, made.device.serial_number)
    mfa.delete_virtual_mfa_device(env, bob, made.device.serial_number)
    with pytest.raises(errors.AccessDenied, match=(
            f"iam:DeleteVirtualMFADevice on resource: arn:aws:iam::{ACCOUNT}:mfa/nothing")):
        mfa.delete_virtual_mfa_device(env, bob, f"{SERIAL}nothing")


def test_tags(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    made = mfa.create_virtual_mfa_device(env, root, "dev")
    serial = made.device.serial_number
    mfa.tag_mfa_device(env, root, serial, [{"Key": "team", "Value": "a"},
                                           {"Key": "env", "Value": "x"}])
    mfa.tag_mfa_device(env, root, serial, [{"Key": "TEAM", "Value": "b"}])
    tags = {tag.key.lower(): tag.value for tag in mfa.list_mfa_device_tags(env, root, serial).items}
    assert tags == {"team": "b", "env": "x"}
    mfa.untag_mfa_device(env, root, serial, ["env"])
    assert [tag.value for tag in mfa.list_mfa_device_tags(env, root, serial).items] == ["b"]
    with pytest.raises(errors.NoSuchEntity):
        mfa.tag_mfa_device(env, root, f"{SERIAL}nope", [{"Key": "k", "Value": "v"}])
    # Resource tags decide access to the device.
    bob = callers.user("bob")
    users.put_user_policy(env, root, "bob", "tags", json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "iam:ListMFADeviceTags", "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/team": "a"}}}]}))
    with pytest.raises(errors.AccessDenied):
        mfa.list_mfa_device_tags(env, callers.user("bob"), serial)
    mfa.tag_mfa_device(env, root, serial, [{"Key": "team", "Value": "a"}])
    assert mfa.list_mfa_device_tags(env, callers.user("bob"), serial).items
    mfa.delete_virtual_mfa_device(env, root, serial)
    with env.store.read() as tx:
        assert tx.tags(mfa.TAG_KIND, made.device.id) == []
    assert bob.caller.user is not None
