"""Create/Get/Update/DeleteLoginProfile, ChangePassword and the account password policy
(Update/Get/DeleteAccountPasswordPolicy)."""

from __future__ import annotations

from typing import Any

from iamd.domain import errors
from iamd.domain.entities import PasswordPolicy
from iamd.service.context import Call, Env
from iamd.service.iam import login_profiles, password_policy
from iamd.service.iam.login_profiles import ProfileView

from .._registry import Params, Result, operation

# Console session lengths per user are a newer AWS feature iamd does not store: refused
# rather than silently dropped.
_UNSUPPORTED = ("MaxSigninSessionDuration", "ResetMaxSigninSessionDuration")


def _refuse_unsupported(p: Params, operation_name: str) -> None:
    named = [name for name in _UNSUPPORTED if p.get(name) is not None]
    if named:
        raise errors.NotImplementedOperation(
            f"iamd does not support {', '.join(named)} in {operation_name} yet."
        )


def _profile(call: Call, view: ProfileView) -> dict[str, Any]:
    return {
        "LoginProfile": {
            "UserName": view.user_name or call.account_id,
            "CreateDate": view.profile.created,
            "PasswordResetRequired": view.profile.password_reset_required,
        }
    }


@operation("iam", "CreateLoginProfile")
def create_login_profile(env: Env, call: Call, p: Params) -> Result:
    _refuse_unsupported(p, "CreateLoginProfile")
    if p.get("Password") is None:
        # Optional in the model only for AWS's root password recovery (AssumeRoot sessions).
        raise errors.ValidationError(
            "1 validation error detected: Value null at 'password' failed to satisfy "
            "constraint: Member must not be null"
        )
    made = login_profiles.create_login_profile(
        env, call, p["Password"], p.get("UserName"), bool(p.get("PasswordResetRequired"))
    )
    return _profile(call, made)


@operation("iam", "GetLoginProfile")
def get_login_profile(env: Env, call: Call, p: Params) -> Result:
    return _profile(call, login_profiles.get_login_profile(env, call, p.get("UserName")))


@operation("iam", "UpdateLoginProfile")
def update_login_profile(env: Env, call: Call, p: Params) -> Result:
    _refuse_unsupported(p, "UpdateLoginProfile")
    login_profiles.update_login_profile(
        env, call, p["UserName"], p.get("Password"), p.get("PasswordResetRequired")
    )
    return None


@operation("iam", "DeleteLoginProfile")
def delete_login_profile(env: Env, call: Call, p: Params) -> Result:
    login_profiles.delete_login_profile(env, call, p.get("UserName"))
    return None


@operation("iam", "ChangePassword")
def change_password(env: Env, call: Call, p: Params) -> Result:
    login_profiles.change_password(env, call, p["OldPassword"], p["NewPassword"])
    return None


def _policy(policy: PasswordPolicy) -> dict[str, Any]:
    return {
        "MinimumPasswordLength": policy.minimum_password_length,
        "RequireSymbols": policy.require_symbols,
        "RequireNumbers": policy.require_numbers,
        "RequireUppercaseCharacters": policy.require_uppercase_characters,
        "RequireLowercaseCharacters": policy.require_lowercase_characters,
        "AllowUsersToChangePassword": policy.allow_users_to_change_password,
        "ExpirePasswords": bool(policy.max_password_age),
        "MaxPasswordAge": policy.max_password_age,
        "PasswordReusePrevention": policy.password_reuse_prevention,
        "HardExpiry": policy.hard_expiry,
    }


@operation("iam", "UpdateAccountPasswordPolicy")
def update_account_password_policy(env: Env, call: Call, p: Params) -> Result:
    password_policy.update_account_password_policy(
        env, call,
        minimum_password_length=p.get("MinimumPasswordLength"),
        require_symbols=p.get("RequireSymbols"),
        require_numbers=p.get("RequireNumbers"),
        require_uppercase_characters=p.get("RequireUppercaseCharacters"),
        require_lowercase_characters=p.get("RequireLowercaseCharacters"),
        allow_users_to_change_password=p.get("AllowUsersToChangePassword"),
        max_password_age=p.get("MaxPasswordAge"),
        password_reuse_prevention=p.get("PasswordReusePrevention"),
        hard_expiry=p.get("HardExpiry"),
    )
    return None


@operation("iam", "GetAccountPasswordPolicy")
def get_account_password_policy(env: Env, call: Call, p: Params) -> Result:
    return {"PasswordPolicy": _policy(password_policy.get_account_password_policy(env, call))}


@operation("iam", "DeleteAccountPasswordPolicy")
def delete_account_password_policy(env: Env, call: Call, p: Params) -> Result:
    password_policy.delete_account_password_policy(env, call)
    return None
