"""The credential checks that the IAM operations and sign-in share: MFA codes (each accepted
once), the account password policy, and when a password has expired."""

from __future__ import annotations

import hmac
from dataclasses import replace
from datetime import datetime, timedelta

from iamd.domain.entities import LoginProfile, MFADevice, PasswordPolicy
from iamd.storage.api import Transaction

from .context import Env

# Time steps either side of now whose code is accepted (one step: 30 seconds).
CODE_WINDOW = 1
# ResyncMFADevice looks further: a device whose clock drifted by up to 5 minutes either way.
RESYNC_WINDOW = 10


def password_policy(tx: Transaction, account_id: str) -> PasswordPolicy | None:
    policy: PasswordPolicy | None = tx.get_by_id(PasswordPolicy, account_id)
    return policy


def password_expires(policy: PasswordPolicy | None, profile: LoginProfile) -> datetime | None:
    """When the password expires under the policy's MaxPasswordAge (None: never)."""
    if policy is None or not policy.max_password_age:
        return None
    return profile.password_changed + timedelta(days=policy.max_password_age)


def password_expired(policy: PasswordPolicy | None, profile: LoginProfile, now: datetime) -> bool:
    expires = password_expires(policy, profile)
    return expires is not None and now >= expires


def enabled_devices(tx: Transaction, account_id: str, user_id: str | None) -> list[MFADevice]:
    """The MFA devices enabled for the user (``user_id`` None: the root user), oldest first.
    A user may have several (as on AWS, up to 8): a code from any of them is accepted."""
    return [device for device in tx.find(MFADevice, account_id, user_id=user_id)
            if device.enabled is not None]


def enabled_device(tx: Transaction, account_id: str, user_id: str | None) -> MFADevice | None:
    """The oldest MFA device enabled for the user, if any: for "has MFA?" questions only;
    codes are checked against every device (``accept_code_of_any``)."""
    devices = enabled_devices(tx, account_id, user_id)
    return devices[0] if devices else None


def seed_of(env: Env, device: MFADevice) -> str:
    return env.sealer.unseal(device.sealed_seed, context=device.id.encode()).decode()


def matching_step(env: Env, seed: str, code: str, steps: range) -> int | None:
    """The first time step in ``steps`` whose code is ``code`` (compared in constant time)."""
    found = None
    for step in steps:
        if hmac.compare_digest(env.otp.code(seed, step).encode(), code.encode()) and found is None:
            found = step
    return found


def consecutive_step(env: Env, seed: str, first: str, second: str, steps: range) -> int | None:
    """The first step in ``steps`` whose code is ``second`` while the step before gives
    ``first`` (both compared in constant time)."""
    found = None
    for step in steps:
        earlier, later = env.otp.code(seed, step - 1), env.otp.code(seed, step)
        matches = _same(earlier, first) & _same(later, second)
        if matches and found is None:
            found = step
    return found


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def current_step(env: Env) -> int:
    return int(env.clock.now().timestamp()) // env.otp.step_seconds


def accept_code(env: Env, tx: Transaction, device: MFADevice, code: str) -> bool:
    """Whether ``code`` is valid now for the device and was not accepted before; when it is,
    the device remembers its time step, so neither it nor an older code works again."""
    now = current_step(env)
    window = range(max(device.last_step + 1, now - CODE_WINDOW), now + CODE_WINDOW + 1)
    step = matching_step(env, seed_of(env, device), code, window)
    if step is None:
        return False
    tx.replace(replace(device, last_step=step))
    return True


def accept_code_of_any(
    env: Env, tx: Transaction, devices: list[MFADevice], code: str
) -> MFADevice | None:
    """The device among ``devices`` that accepts ``code`` (see ``accept_code``), if one does."""
    for device in devices:
        if accept_code(env, tx, device, code):
            return device
    return None


def accept_consecutive_codes(
    env: Env, tx: Transaction, device: MFADevice, first: str, second: str,
    window: int = CODE_WINDOW,
) -> MFADevice | None:
    """EnableMFADevice and ResyncMFADevice: ``first`` and ``second`` are the codes of two
    consecutive steps, the second within ``window`` steps of now, both newer than any code
    the device accepted before. On success the device (returned, and stored) remembers the
    second step, so neither code, nor any older one, works again."""
    now = current_step(env)
    # The first code's step must be after last_step too: the second's is at least two after.
    steps = range(max(device.last_step + 2, now - window), now + window + 1)
    step = consecutive_step(env, seed_of(env, device), first, second, steps)
    if step is None:
        return None
    accepted = replace(device, last_step=step)
    tx.replace(accepted)
    return accepted
