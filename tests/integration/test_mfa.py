"""Virtual MFA devices on a live server, both backends, with boto3 and the aws CLI; codes are
computed with pyotp from the returned seed and the real clock."""

from __future__ import annotations

import json
import time
from pathlib import Path

import png
import pyotp

from .conftest import Account, fails

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"



def current_pair(seed: str) -> tuple[str, str]:
    """The codes of the steps before and at now: still valid if a step ends meanwhile."""
    totp, now = pyotp.TOTP(seed), int(time.time()) // 30
    return totp.at((now - 1) * 30), totp.at(now * 30)


def assert_png(data: bytes) -> None:
    assert data.startswith(PNG_SIGNATURE)
    width, height, rows, _ = png.Reader(bytes=data).read()
    assert width == height  # a QR code is square
    assert width >= 21  # version 1 has 21 modules
    assert len(list(rows)) == height


def test_device_lifecycle_with_boto3(account: Account) -> None:
    iam = account.iam
    iam.create_user(UserName="alice")
    made = iam.create_virtual_mfa_device(
        VirtualMFADeviceName="alice-phone", Path="/team/", Tags=[{"Key": "k", "Value": "v"}]
    )["VirtualMFADevice"]
    serial = made["SerialNumber"]
    assert serial == f"arn:aws:iam::{account.id}:mfa/team/alice-phone"
    seed = made["Base32StringSeed"].decode()
    assert len(seed) == 64
    assert pyotp.TOTP(seed).now()
    assert_png(made["QRCodePNG"])

    wrong = "000000" if current_pair(seed)[0] != "000000" else "111111"
    message = fails("InvalidAuthenticationCode", iam.enable_mfa_device, UserName="alice",
                    SerialNumber=serial, AuthenticationCode1=wrong,
                    AuthenticationCode2=current_pair(seed)[1])
    assert message == "Authentication code for device is not valid."
    first, second = current_pair(seed)
    iam.enable_mfa_device(UserName="alice", SerialNumber=serial,
                          AuthenticationCode1=first, AuthenticationCode2=second)

    listed = iam.list_mfa_devices(UserName="alice")["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in listed] == [("alice", serial)]
    assert listed[0]["EnableDate"]
    got = iam.get_mfa_device(SerialNumber=serial, UserName="alice")
    assert got["SerialNumber"] == serial
    assert got["UserName"] == "alice"
    virtual = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert [d["User"]["UserName"] for d in virtual] == ["alice"]
    assert all("Base32StringSeed" not in d and "QRCodePNG" not in d for d in virtual)
    assert iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"] == []
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "k", "Value": "v"}]

    fails("DeleteConflict", iam.delete_user, UserName="alice")
    assert fails("DeleteConflict", iam.delete_virtual_mfa_device, SerialNumber=serial) == (
        "MFA VirtualDevice in use. Must deactivate first.")
    assert fails("EntityAlreadyExists", iam.enable_mfa_device, UserName="alice",
                 SerialNumber=serial, AuthenticationCode1=first,
                 AuthenticationCode2=second) == "MFA Device is already in use."

    # A pair accepted once is refused afterwards: by resync, and by enable after deactivation.
    fails("InvalidAuthenticationCode", iam.resync_mfa_device, UserName="alice",
          SerialNumber=serial, AuthenticationCode1=first, AuthenticationCode2=second)
    iam.deactivate_mfa_device(UserName="alice", SerialNumber=serial)
    assert iam.list_mfa_devices(UserName="alice")["MFADevices"] == []
    fails("InvalidAuthenticationCode", iam.enable_mfa_device, UserName="alice",
          SerialNumber=serial, AuthenticationCode1=first, AuthenticationCode2=second)
    assert iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]

    iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "env", "Value": "prod"}])
    iam.untag_mfa_device(SerialNumber=serial, TagKeys=["k"])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [
        {"Key": "env", "Value": "prod"}]
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert fails("NoSuchEntity", iam.get_mfa_device, SerialNumber=serial, UserName="alice")
    assert fails("NoSuchEntity", iam.delete_virtual_mfa_device, SerialNumber=serial) == (
        f"VirtualMFADevice with serial number {serial} does not exist.")
    iam.delete_user(UserName="alice")
    assert seed not in account.server.log()


def test_names_are_unique_regardless_of_case(account: Account) -> None:
    account.iam.create_virtual_mfa_device(VirtualMFADeviceName="Phone")
    message = fails("EntityAlreadyExists", account.iam.create_virtual_mfa_device,
                    VirtualMFADeviceName="phone", Path="/x/")
    assert message == "MFADevice entity at the same path and name already exists."
    fails("ValidationError", account.iam.create_virtual_mfa_device,
          VirtualMFADeviceName="bad name")


def test_root_user_device(account: Account) -> None:
    iam = account.iam
    made = iam.create_virtual_mfa_device(VirtualMFADeviceName="root-device")["VirtualMFADevice"]
    seed = made["Base32StringSeed"].decode()
    first, second = current_pair(seed)
    iam.enable_mfa_device(UserName=account.id, SerialNumber=made["SerialNumber"],
                          AuthenticationCode1=first, AuthenticationCode2=second)
    own = iam.list_mfa_devices()["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in own] == [
        (account.id, made["SerialNumber"])]
    virtual = iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    assert virtual[0]["User"]["Arn"] == f"arn:aws:iam::{account.id}:root"
    assert virtual[0]["User"]["UserId"] == account.id
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["AccountMFAEnabled"] == 1
    assert summary["MFADevicesInUse"] == 1
    iam.deactivate_mfa_device(SerialNumber=made["SerialNumber"])
    assert iam.list_mfa_devices()["MFADevices"] == []


def test_a_user_manages_its_own_device(account: Account) -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:CreateVirtualMFADevice"],
         "Resource": "arn:aws:iam::*:mfa/${aws:username}"},
        {"Effect": "Allow", "Action": ["iam:EnableMFADevice", "iam:ListMFADevices"],
         "Resource": "arn:aws:iam::*:user/${aws:username}"}]}
    bob = account.user_with_key("bob")
    account.iam.put_user_policy(UserName="bob", PolicyName="self",
                                PolicyDocument=json.dumps(policy))
    fails("AccessDenied", bob.create_virtual_mfa_device, VirtualMFADeviceName="other")
    fails("AccessDenied", bob.list_virtual_mfa_devices)
    made = bob.create_virtual_mfa_device(VirtualMFADeviceName="bob")["VirtualMFADevice"]
    first, second = current_pair(made["Base32StringSeed"].decode())
    bob.enable_mfa_device(UserName="bob", SerialNumber=made["SerialNumber"],
                          AuthenticationCode1=first, AuthenticationCode2=second)
    assert [d["SerialNumber"] for d in bob.list_mfa_devices()["MFADevices"]] == [
        made["SerialNumber"]]


def test_aws_cli_create_with_outfile_and_enable(account: Account, tmp_path: Path) -> None:
    qr_file, seed_file = tmp_path / "qr.png", tmp_path / "seed.txt"
    created = json.loads(account.aws(
        "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "cli-qr",
        "--outfile", str(qr_file), "--bootstrap-method", "QRCodePNG").stdout)
    assert created["VirtualMFADevice"]["SerialNumber"].endswith(":mfa/cli-qr")
    assert_png(qr_file.read_bytes())
    account.aws("iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "cli-seed",
                "--outfile", str(seed_file), "--bootstrap-method", "Base32StringSeed")
    seed = seed_file.read_text().strip()
    assert len(seed) == 64
    account.aws("iam", "create-user", "--user-name", "carol")
    serial = f"arn:aws:iam::{account.id}:mfa/cli-seed"
    first, second = current_pair(seed)
    account.aws("iam", "enable-mfa-device", "--user-name", "carol", "--serial-number", serial,
                "--authentication-code1", first, "--authentication-code2", second)
    listed = json.loads(account.aws("iam", "list-mfa-devices", "--user-name", "carol").stdout)
    assert [d["SerialNumber"] for d in listed["MFADevices"]] == [serial]
    replay = account.aws("iam", "resync-mfa-device", "--user-name", "carol",
                         "--serial-number", serial, "--authentication-code1", first,
                         "--authentication-code2", second, check=False)
    assert replay.returncode != 0
    assert "InvalidAuthenticationCode" in replay.stderr
    assert seed not in account.server.log()
