"""Console passwords and the account password policy over HTTP, with boto3 and the aws CLI, on
both backends: the policy's rules and AWS's messages, reuse prevention, ChangePassword's
permission paths, and a password that never comes back."""

from __future__ import annotations

import json

import boto3
from botocore.config import Config

from .conftest import NO_RETRIES, Account, fails

CHANGE_OWN = "arn:aws:iam::aws:policy/IAMUserChangePassword"
FIRST = "First-Password-1"
SECOND = "Second-Password-2"



def test_password_policy_enforced_with_awss_messages(account: Account) -> None:
    iam = account.iam
    message = fails("NoSuchEntity", iam.get_account_password_policy)
    assert message == f"The Password Policy with domain name {account.id} cannot be found."
    account.aws("iam", "update-account-password-policy", "--minimum-password-length", "10",
                "--require-symbols", "--require-numbers", "--require-uppercase-characters",
                "--password-reuse-prevention", "2", "--allow-users-to-change-password")
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy == {
        "MinimumPasswordLength": 10, "RequireSymbols": True, "RequireNumbers": True,
        "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": True, "ExpirePasswords": False,
        "PasswordReusePrevention": 2, "HardExpiry": False,
    }
    iam.create_user(UserName="alice")
    refused = fails("PasswordPolicyViolation", iam.create_login_profile,
                    UserName="alice", Password="weakpass")
    assert refused == (
        "Password should have a minimum length of 10; "
        "Password should have at least one uppercase letter; "
        "Password should have at least one number; "
        "Password should have at least one symbol"
    )
    assert fails("PasswordPolicyViolation", iam.create_login_profile, UserName="alice",
                 Password="No-Digits-Here") == "Password should have at least one number"
    made = iam.create_login_profile(UserName="alice", Password=FIRST,
                                    PasswordResetRequired=True)["LoginProfile"]
    assert set(made) == {"UserName", "CreateDate", "PasswordResetRequired"}
    assert (made["UserName"], made["PasswordResetRequired"]) == ("alice", True)
    assert fails("EntityAlreadyExists", iam.create_login_profile, UserName="alice",
                 Password=SECOND) == "Login Profile for user alice already exists."
    unchecked = boto3.client(  # boto3 checks ranges itself: this one lets the server do it
        "iam", endpoint_url=account.server.endpoint, aws_access_key_id=account.key_id,
        aws_secret_access_key=account.secret,
        config=NO_RETRIES.merge(Config(parameter_validation=False)),
    )
    for ranges in ({"MinimumPasswordLength": 5}, {"MaxPasswordAge": 1096},
                   {"PasswordReusePrevention": 25}):
        fails("ValidationError", unchecked.update_account_password_policy, **ranges)
    assert "Member must not be null" in fails("ValidationError", iam.create_login_profile,
                                              UserName="alice")
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 10


def test_login_profile_never_shows_the_password_and_reuse_is_refused(account: Account) -> None:
    iam = account.iam
    iam.update_account_password_policy(PasswordReusePrevention=2)
    iam.create_user(UserName="bob")
    iam.create_login_profile(UserName="bob", Password=FIRST)
    got = iam.get_login_profile(UserName="bob")["LoginProfile"]
    assert set(got) == {"UserName", "CreateDate", "PasswordResetRequired"}
    shown = account.aws("iam", "get-login-profile", "--user-name", "bob").stdout
    assert json.loads(shown)["LoginProfile"]["UserName"] == "bob"
    assert FIRST not in shown
    message = fails("PasswordPolicyViolation", iam.update_login_profile, UserName="bob",
                    Password=FIRST)
    assert message == "Password should not be one of the last 2 passwords used"
    iam.update_login_profile(UserName="bob", Password=SECOND)
    fails("PasswordPolicyViolation", iam.update_login_profile, UserName="bob", Password=FIRST)
    account.aws("iam", "update-login-profile", "--user-name", "bob", "--password",
                "Third-Password-3", "--password-reset-required")
    assert iam.get_login_profile(UserName="bob")["LoginProfile"]["PasswordResetRequired"]
    assert fails("NotImplemented", iam.update_login_profile, UserName="bob",
                 MaxSigninSessionDuration=7200)
    iam.delete_login_profile(UserName="bob")
    assert fails("NoSuchEntity", iam.get_login_profile, UserName="bob") == (
        "Login Profile for User bob cannot be found."
    )
    for secret in (FIRST, SECOND, "Third-Password-3"):
        assert secret not in account.server.log()


def test_change_password_permission_paths(account: Account) -> None:
    iam = account.iam
    iam.create_user(UserName="carol")
    iam.create_login_profile(UserName="carol", Password=FIRST, PasswordResetRequired=True)
    key = iam.create_access_key(UserName="carol")["AccessKey"]
    carol = account.client(key["AccessKeyId"], key["SecretAccessKey"])
    denied = fails("AccessDenied", carol.change_password, OldPassword=FIRST, NewPassword=SECOND)
    assert denied.endswith("because no identity-based policy allows the iam:ChangePassword "
                           "action")
    iam.attach_user_policy(UserName="carol", PolicyArn=CHANGE_OWN)
    assert fails("AccessDenied", carol.change_password, OldPassword=SECOND,
                 NewPassword=FIRST) == "The old password is incorrect."
    carol.change_password(OldPassword=FIRST, NewPassword=SECOND)
    assert not iam.get_login_profile(UserName="carol")["LoginProfile"]["PasswordResetRequired"]
    fails("NoSuchEntity", carol.get_account_password_policy)  # allowed by the managed policy
    iam.detach_user_policy(UserName="carol", PolicyArn=CHANGE_OWN)
    fails("AccessDenied", carol.change_password, OldPassword=SECOND, NewPassword=FIRST)
    iam.update_account_password_policy(AllowUsersToChangePassword=True)
    carol.change_password(OldPassword=SECOND, NewPassword=FIRST)
    assert carol.get_account_password_policy()["PasswordPolicy"]["AllowUsersToChangePassword"]
    assert fails("InvalidUserType", iam.change_password, OldPassword=FIRST, NewPassword=SECOND)
    iam.delete_account_password_policy()
    fails("NoSuchEntity", iam.delete_account_password_policy)
