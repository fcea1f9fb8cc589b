"""Console passwords, the account password policy and the root user's password, as use cases."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from iamd.domain import errors
from iamd.domain.entities import ConsoleSession, LoginProfile, UsedPassword
from iamd.service import accounts
from iamd.service.context import Call, Env, SessionFacts
from iamd.service.credentials import password_expired, password_expires
from iamd.service.iam import login_profiles, password_policy, users
from iamd.service.iam.login_profiles import HARD_EXPIRED, HISTORY_KEPT, WRONG_OLD_PASSWORD

from .conftest import ACCOUNT, NOW, Callers, FixedClock

GOOD = "Correct-Horse-9"
OTHER = "Battery-Staple-7"
CHANGE_OWN = "arn:aws:iam::aws:policy/IAMUserChangePassword"


def deny(action: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": action, "Resource": "*"}]})


def with_password(callers: Callers, name: str, password: str = GOOD) -> Call:
    """A user with a console password and an access key: its call."""
    call = callers.user(name)
    login_profiles.create_login_profile(callers.env, callers.root(), password, name)
    return call


def profile_of(env: Env, user_id: str) -> LoginProfile:
    with env.store.read() as tx:
        profile = tx.get_by_id(LoginProfile, user_id)
    assert profile is not None
    return profile


def user_id(env: Env, name: str) -> str:
    with env.store.read() as tx:
        user = tx.get(users.User, ACCOUNT, name)
    assert user is not None
    return user.id


def in_console(call: Call) -> Call:
    """The same user, signed in through the console (a session, not an access key)."""
    return Call(replace(call.caller, session=SessionFacts(issued=call.request.now)), call.request)


def later(callers: Callers, days: int) -> None:
    clock = callers.env.clock
    assert isinstance(clock, FixedClock)
    clock.moment = NOW + timedelta(days=days)


# -- the account password policy ---------------------------------------------------------
def test_policy_defaults_replace_and_delete(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    with pytest.raises(errors.NoSuchEntity) as none:
        password_policy.get_account_password_policy(env, root)
    assert none.value.message == f"The Password Policy with domain name {ACCOUNT} cannot be found."
    password_policy.update_account_password_policy(env, root)
    policy = password_policy.get_account_password_policy(env, root)
    assert policy.minimum_password_length == 6
    flags = (policy.require_symbols, policy.require_numbers, policy.hard_expiry,
             policy.require_uppercase_characters, policy.require_lowercase_characters,
             policy.allow_users_to_change_password)
    assert not any(flags)
    assert policy.max_password_age is None
    assert policy.password_reuse_prevention is None
    password_policy.update_account_password_policy(
        env, root, minimum_password_length=12, require_symbols=True, max_password_age=90,
        password_reuse_prevention=5, hard_expiry=True,
    )
    policy = password_policy.get_account_password_policy(env, root)
    assert (policy.minimum_password_length, policy.max_password_age) == (12, 90)
    assert policy.require_symbols
    assert policy.hard_expiry
    assert policy.password_reuse_prevention == 5
    # As AWS: each update sets the whole policy; what is left out goes back to its default.
    password_policy.update_account_password_policy(env, root, require_numbers=True)
    policy = password_policy.get_account_password_policy(env, root)
    assert policy.require_numbers
    assert not policy.require_symbols
    assert (policy.minimum_password_length, policy.max_password_age) == (6, None)
    password_policy.delete_account_password_policy(env, root)
    with pytest.raises(errors.NoSuchEntity, match="Password Policy with domain name"):
        password_policy.delete_account_password_policy(env, root)


def test_policy_operations_need_their_permissions(callers: Callers) -> None:
    env, bob = callers.env, callers.user("bob")
    with pytest.raises(errors.AccessDenied, match=r"UpdateAccountPasswordPolicy on resource: \*"):
        password_policy.update_account_password_policy(env, bob, minimum_password_length=20)
    with pytest.raises(errors.AccessDenied, match="iam:GetAccountPasswordPolicy"):
        password_policy.get_account_password_policy(env, bob)
    with pytest.raises(errors.AccessDenied, match="iam:DeleteAccountPasswordPolicy"):
        password_policy.delete_account_password_policy(env, bob)


POLICY_CASES = [
    ("Sh0rt!x", "Password should have a minimum length of 10"),
    ("no-upper-case-1", "Password should have at least one uppercase letter"),
    ("NO-LOWER-CASE-1", "Password should have at least one lowercase letter"),
    ("No-Numbers-Here", "Password should have at least one number"),
    ("NoSymbolsHere123", "Password should have at least one symbol"),
    # Only AWS's symbols count: a dot or a space is not one of them.
    ("No Symbols.Here1", "Password should have at least one symbol"),
    ("short", "Password should have a minimum length of 10; "
              "Password should have at least one uppercase letter; "
              "Password should have at least one number; "
              "Password should have at least one symbol"),
]


@pytest.mark.parametrize(("password", "message"), POLICY_CASES)
def test_each_rule_broken_is_named(callers: Callers, password: str, message: str) -> None:
    env, root = callers.env, callers.root()
    password_policy.update_account_password_policy(
        env, root, minimum_password_length=10, require_symbols=True, require_numbers=True,
        require_uppercase_characters=True, require_lowercase_characters=True,
    )
    users.create_user(env, root, "carol")
    with pytest.raises(errors.PasswordPolicyViolation) as refused:
        login_profiles.create_login_profile(env, root, password, "carol")
    assert refused.value.message == message
    with pytest.raises(errors.NoSuchEntity):
        login_profiles.get_login_profile(env, root, "carol")
    login_profiles.create_login_profile(env, root, "Long-Enough-1", "carol")


DEFAULT_CASES = [
    ("Ab1!xyz", "Password should have a minimum length of 8"),
    ("alllowercase", "Password should meet 2 more of the following requirements: "
                     "Password should have at least one uppercase letter, "
                     "Password should have at least one number, "
                     "Password should have at least one symbol"),
    ("Lower-and-upper", None),  # three kinds are enough
    ("lowerand123", "Password should meet 1 more of the following requirements: "
                    "Password should have at least one uppercase letter, "
                    "Password should have at least one symbol"),
]


@pytest.mark.parametrize(("password", "message"), DEFAULT_CASES)
def test_default_rules_without_a_policy(callers: Callers, password: str,
                                        message: str | None) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "Dave-The-User1")
    if message is None:
        login_profiles.create_login_profile(env, root, password, "Dave-The-User1")
        return
    with pytest.raises(errors.PasswordPolicyViolation) as refused:
        login_profiles.create_login_profile(env, root, password, "Dave-The-User1")
    assert refused.value.message == message


def test_default_rules_refuse_the_user_name_and_email(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "Dave-The-User1")
    for password in ("Dave-The-User1", "dave-the-USER1", f"root@{ACCOUNT}.invalid"):
        with pytest.raises(errors.PasswordPolicyViolation, match="identical to the user name"):
            login_profiles.create_login_profile(env, root, password, "Dave-The-User1")


# -- login profiles ----------------------------------------------------------------------
def test_login_profile_lifecycle(callers: Callers, tmp_path: Path) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "erin")
    with pytest.raises(errors.NoSuchEntity) as missing:
        login_profiles.get_login_profile(env, root, "erin")
    assert missing.value.message == "Login Profile for User erin cannot be found."
    made = login_profiles.create_login_profile(env, root, GOOD, "erin", True)
    assert (made.user_name, made.profile.password_reset_required) == ("erin", True)
    assert made.profile.created == NOW
    assert GOOD not in repr(made)
    with pytest.raises(errors.EntityAlreadyExists,
                       match="Login Profile for user erin already exists"):
        login_profiles.create_login_profile(env, root, OTHER, "erin")
    got = login_profiles.get_login_profile(env, root, "ERIN")
    assert got.profile == made.profile
    stored = profile_of(env, user_id(env, "erin")).password_hash
    assert stored.startswith("$argon2id$v=19$m=")
    assert GOOD not in stored
    assert login_profiles.verify_password(env, got.profile, GOOD)
    assert not login_profiles.verify_password(env, got.profile, OTHER)
    for path in tmp_path.glob("iamd.db*"):
        assert GOOD.encode() not in path.read_bytes()
    with pytest.raises(errors.DeleteConflict, match="must delete login profile first"):
        users.delete_user(env, root, "erin")
    login_profiles.delete_login_profile(env, root, "erin")
    with pytest.raises(errors.NoSuchEntity, match="Login Profile for User erin cannot be found"):
        login_profiles.delete_login_profile(env, root, "erin")
    users.delete_user(env, root, "erin")
    with pytest.raises(errors.NoSuchEntity, match="The user with name erin cannot be found"):
        login_profiles.create_login_profile(env, root, GOOD, "erin")


def test_login_profile_operations_are_authorized_on_the_user(callers: Callers) -> None:
    env = callers.env
    with_password(callers, "frank")
    bob = callers.user("bob")
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/frank"
    with pytest.raises(errors.AccessDenied, match=f"iam:GetLoginProfile on resource: {user_arn}"):
        login_profiles.get_login_profile(env, bob, "frank")
    with pytest.raises(errors.AccessDenied, match="iam:UpdateLoginProfile"):
        login_profiles.update_login_profile(env, bob, "frank", OTHER)
    with pytest.raises(errors.AccessDenied, match="iam:DeleteLoginProfile"):
        login_profiles.delete_login_profile(env, bob, "frank")
    # An unknown user is not revealed to a caller who may not ask.
    with pytest.raises(errors.AccessDenied, match="iam:CreateLoginProfile"):
        login_profiles.create_login_profile(env, bob, GOOD, "nobody")
    # Without a name, the caller's own.
    with pytest.raises(errors.AccessDenied, match="user/bob"):
        login_profiles.get_login_profile(env, bob)


def test_update_login_profile(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    with_password(callers, "gina")
    gina_id = user_id(env, "gina")
    later(callers, 3)
    login_profiles.update_login_profile(callers.env, callers.root(), "gina",
                                        password_reset_required=True)
    flagged = profile_of(env, gina_id)
    assert flagged.password_reset_required
    assert flagged.password_changed == NOW  # no new password: its age goes on
    assert login_profiles.verify_password(env, flagged, GOOD)
    later(callers, 5)
    login_profiles.update_login_profile(env, callers.root(), "gina", OTHER)
    changed = profile_of(env, gina_id)
    assert changed.password_changed == NOW + timedelta(days=5)
    assert changed.password_reset_required  # kept unless given
    assert login_profiles.verify_password(env, changed, OTHER)
    assert changed.created == NOW
    with pytest.raises(errors.NoSuchEntity, match="The user with name nobody cannot be found"):
        login_profiles.update_login_profile(env, root, "nobody", OTHER)
    users.create_user(env, root, "hank")
    with pytest.raises(errors.NoSuchEntity, match="Login Profile for User hank"):
        login_profiles.update_login_profile(env, root, "hank", OTHER)


def test_delete_login_profile_ends_console_sessions(callers: Callers) -> None:
    env = callers.env
    with_password(callers, "ivan")
    with_password(callers, "june")
    ivan, june = user_id(env, "ivan"), user_id(env, "june")
    with env.store.write() as tx:
        for session_id, owner in (("s-ivan-1", ivan), ("s-ivan-2", ivan), ("s-june", june)):
            tx.add(ConsoleSession(ACCOUNT, session_id, owner, b"hash", NOW,
                                  NOW + timedelta(hours=1)))
    login_profiles.delete_login_profile(env, callers.root(), "ivan")
    with env.store.read() as tx:
        left = [session.id for session in tx.find(ConsoleSession, ACCOUNT)]
    assert left == ["s-june"]


# -- reuse prevention and history ---------------------------------------------------------
def test_reuse_prevention_counts_the_current_password(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    password_policy.update_account_password_policy(env, root, password_reuse_prevention=3)
    with_password(callers, "kim", "Password-1")
    for password in ("Password-2", "Password-3"):
        login_profiles.update_login_profile(env, root, "kim", password)
    for reused in ("Password-3", "Password-2", "Password-1"):  # the current one and 2 before
        with pytest.raises(errors.PasswordPolicyViolation) as refused:
            login_profiles.update_login_profile(env, root, "kim", reused)
        assert refused.value.message == "Password should not be one of the last 3 passwords used"
    login_profiles.update_login_profile(env, root, "kim", "Password-4")
    login_profiles.update_login_profile(env, root, "kim", "Password-1")  # 4th from now: allowed
    users.put_user_policy(env, root, "kim", "own", json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": "*"}]}))
    kim = callers.user("kim")
    with pytest.raises(errors.PasswordPolicyViolation, match="last 3 passwords"):
        login_profiles.change_password(env, kim, "Password-1", "Password-4")


def test_reuse_prevention_survives_delete_and_recreate(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    password_policy.update_account_password_policy(env, root, password_reuse_prevention=1)
    with_password(callers, "lena")
    with pytest.raises(errors.PasswordPolicyViolation, match="last 1 passwords"):
        login_profiles.update_login_profile(env, root, "lena", GOOD)
    login_profiles.delete_login_profile(env, root, "lena")
    with pytest.raises(errors.PasswordPolicyViolation, match="last 1 passwords"):
        login_profiles.create_login_profile(env, root, GOOD, "lena")
    login_profiles.create_login_profile(env, root, OTHER, "lena")


def test_history_is_hashes_and_bounded(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    with_password(callers, "mia", "Password-0")
    for index in range(1, HISTORY_KEPT + 3):
        login_profiles.update_login_profile(env, root, "mia", f"Password-{index}")
    mia = user_id(env, "mia")
    with env.store.read() as tx:
        history = tx.find(UsedPassword, ACCOUNT, user_id=mia)
    assert len(history) == HISTORY_KEPT
    assert all(used.password_hash.startswith("$argon2id$") for used in history)
    # The newest earlier ones are kept, in order, although they were made in the same second.
    newest_first = sorted(history, key=lambda used: used.created, reverse=True)
    assert env.hasher.verify(newest_first[0].password_hash, f"Password-{HISTORY_KEPT + 1}")
    assert env.hasher.verify(newest_first[-1].password_hash, "Password-2")
    # The largest PasswordReusePrevention sees the current password and every kept one.
    password_policy.update_account_password_policy(env, root, password_reuse_prevention=24)
    with pytest.raises(errors.PasswordPolicyViolation):
        login_profiles.update_login_profile(env, root, "mia", "Password-2")
    login_profiles.update_login_profile(env, root, "mia", "Password-1")


class Interfering:
    """Argon2, but another administrator sets the password while the first hash is made
    (hashing runs outside any transaction)."""

    def __init__(self, env: Env, act: Callable[[], None]) -> None:
        self.inner, self.act = env.hasher, act

    def hash(self, password: str) -> str:
        act, self.act = self.act, lambda: None
        act()
        return self.inner.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        return self.inner.verify(password_hash, password)

    def verify_nothing(self, password: str) -> None:
        self.inner.verify_nothing(password)

    def needs_rehash(self, password_hash: str) -> bool:
        return self.inner.needs_rehash(password_hash)


def test_a_concurrent_change_is_not_lost(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    with_password(callers, "uma")
    racing = replace(env, hasher=Interfering(
        env, lambda: login_profiles.update_login_profile(env, root, "uma", "Winner-Pass-1")))
    with pytest.raises(errors.EntityTemporarilyUnmodifiable, match="retry"):
        login_profiles.update_login_profile(racing, root, "uma", OTHER)
    assert login_profiles.verify_password(env, profile_of(env, user_id(env, "uma")),
                                          "Winner-Pass-1")


# -- ChangePassword ------------------------------------------------------------------------
def test_change_password_needs_permission(callers: Callers) -> None:
    env = callers.env
    nina = with_password(callers, "nina")
    with pytest.raises(errors.AccessDenied) as denied:
        login_profiles.change_password(env, nina, GOOD, OTHER)
    assert denied.value.message == (
        f"User: arn:aws:iam::{ACCOUNT}:user/nina is not authorized to perform: "
        f"iam:ChangePassword on resource: arn:aws:iam::{ACCOUNT}:user/nina because no "
        "identity-based policy allows the iam:ChangePassword action"
    )
    users.attach_user_policy(env, callers.root(), "nina", CHANGE_OWN)
    nina = callers.user("nina")
    login_profiles.change_password(env, nina, GOOD, OTHER)
    profile = profile_of(env, user_id(env, "nina"))
    assert login_profiles.verify_password(env, profile, OTHER)
    # IAMUserChangePassword lets her read the policy too, but change nobody else's password.
    with pytest.raises(errors.NoSuchEntity):
        password_policy.get_account_password_policy(env, nina)
    with pytest.raises(errors.AccessDenied):
        login_profiles.update_login_profile(env, nina, "nina", GOOD)


def test_change_password_with_a_path_user_and_iam_user_change_password(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "oscar", "/staff/")
    login_profiles.create_login_profile(env, root, GOOD, "oscar")
    users.attach_user_policy(env, root, "oscar", CHANGE_OWN)
    login_profiles.change_password(env, callers.user("oscar"), GOOD, OTHER)


def test_allow_users_to_change_password(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    pia = with_password(callers, "pia")
    password_policy.update_account_password_policy(env, root, allow_users_to_change_password=True)
    pia = callers.user("pia")
    login_profiles.change_password(env, pia, GOOD, OTHER)
    assert password_policy.get_account_password_policy(env, pia).allow_users_to_change_password
    users.put_user_policy(env, root, "pia", "no", deny("iam:ChangePassword"))
    with pytest.raises(errors.AccessDenied, match="with an explicit deny"):
        login_profiles.change_password(env, callers.user("pia"), OTHER, GOOD)
    password_policy.update_account_password_policy(env, root)
    users.delete_user_policy(env, root, "pia", "no")
    with pytest.raises(errors.AccessDenied, match="no identity-based policy allows"):
        login_profiles.change_password(env, callers.user("pia"), OTHER, GOOD)


def test_change_password_checks(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    password_policy.update_account_password_policy(
        env, root, allow_users_to_change_password=True, require_numbers=True,
    )
    quinn = with_password(callers, "quinn")
    with pytest.raises(errors.AccessDenied) as wrong:
        login_profiles.change_password(env, quinn, OTHER, "Another-One-1")
    assert wrong.value.message == WRONG_OLD_PASSWORD
    with pytest.raises(errors.PasswordPolicyViolation,
                       match=r"^Password should have at least one number$"):
        login_profiles.change_password(env, quinn, GOOD, "No-Numbers-Here")
    with pytest.raises(errors.InvalidUserType):
        login_profiles.change_password(env, root, GOOD, OTHER)
    with pytest.raises(errors.NoSuchEntity, match="Login Profile for User rob cannot be found"):
        login_profiles.change_password(env, callers.user("rob"), GOOD, OTHER)


def test_change_password_clears_reset_and_restarts_age(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    password_policy.update_account_password_policy(
        env, root, allow_users_to_change_password=True, max_password_age=30,
    )
    users.create_user(env, root, "sara")
    login_profiles.create_login_profile(env, root, GOOD, "sara", password_reset_required=True)
    policy = password_policy.get_account_password_policy(env, root)
    profile = profile_of(env, user_id(env, "sara"))
    assert password_expires(policy, profile) == NOW + timedelta(days=30)
    later(callers, 31)
    assert password_expired(policy, profile, callers.env.clock.now())
    login_profiles.change_password(env, callers.user("sara"), GOOD, OTHER)
    changed = profile_of(env, user_id(env, "sara"))
    assert not changed.password_reset_required
    assert changed.password_changed == NOW + timedelta(days=31)
    assert not password_expired(policy, changed, callers.env.clock.now())


def test_hard_expiry(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    password_policy.update_account_password_policy(
        env, root, allow_users_to_change_password=True, max_password_age=10, hard_expiry=True,
    )
    with_password(callers, "tara")
    later(callers, 9)
    login_profiles.change_password(env, in_console(callers.user("tara")), GOOD, OTHER)
    later(callers, 20)  # 11 days after the change: expired
    with pytest.raises(errors.AccessDenied) as blocked:
        login_profiles.change_password(env, in_console(callers.user("tara")), OTHER, GOOD)
    assert blocked.value.message == HARD_EXPIRED
    # Only an administrator can reset it from there; its age restarts.
    login_profiles.update_login_profile(env, callers.root(), "tara", "Reset-By-Admin-1")
    login_profiles.change_password(env, in_console(callers.user("tara")), "Reset-By-Admin-1",
                                   GOOD)
    later(callers, 40)
    # As AWS documents: with iam:ChangePassword and an access key, the API still works.
    login_profiles.change_password(env, callers.user("tara"), GOOD, OTHER)


# -- the root user's email and password ----------------------------------------------------
def test_root_user_has_a_generated_password_and_default_email(callers: Callers) -> None:
    env = callers.env
    made = accounts.create_account(env, account_id="210987654321")
    assert made.account.email == "root@210987654321.invalid"
    password = made.root_password
    assert password is not None
    assert len(password) == 24
    assert any(c.isupper() for c in password)
    assert any(c.islower() for c in password)
    assert any(c.isdigit() for c in password)
    assert any(c in password_policy.SYMBOLS for c in password)
    with env.store.read() as tx:
        profile = tx.get_by_id(LoginProfile, "210987654321")
    assert profile is not None
    assert (profile.user_id, profile.account_id) == (None, "210987654321")
    assert profile.password_hash.startswith("$argon2id$")
    assert login_profiles.verify_password(env, profile, password)
    other = accounts.create_account(env, account_id="210987654322")
    assert other.root_password != password


def test_root_email_and_given_password(callers: Callers) -> None:
    env = callers.env
    made = accounts.create_account(env, email=" Ops@Example.COM ", root_password=GOOD)
    assert made.account.email == "ops@example.com"
    assert made.root_password is None
    with env.store.read() as tx:
        profile = tx.get_by_id(LoginProfile, made.account.id)
    assert profile is not None
    assert login_profiles.verify_password(env, profile, GOOD)
    with pytest.raises(errors.EntityAlreadyExists, match=r"ops@example\.com is already"):
        accounts.create_account(env, email="OPS@example.com")
    for bad in ("not-an-email", "two@@example.com", "a@b"):
        with pytest.raises(errors.ValidationError, match="is not an email address"):
            accounts.create_account(env, email=bad)
    with pytest.raises(errors.PasswordPolicyViolation, match="minimum length of 8"):
        accounts.create_account(env, root_password="Ab1!")
    with pytest.raises(errors.PasswordPolicyViolation, match="identical to the user name"):
        accounts.create_account(env, email="me@example.org", root_password="ME@example.org")
    listed = sorted(summary.account.id for summary in accounts.list_accounts(env))
    assert listed == sorted([ACCOUNT, made.account.id])


def test_root_login_profile_through_the_api(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    got = login_profiles.get_login_profile(env, root)
    assert got.user_name is None
    assert got.profile.id == ACCOUNT
    login_profiles.delete_login_profile(env, root)
    with pytest.raises(errors.NoSuchEntity, match=f"Login Profile for User {ACCOUNT}"):
        login_profiles.get_login_profile(env, root)
    login_profiles.create_login_profile(env, root, GOOD)
    assert login_profiles.verify_password(env, login_profiles.get_login_profile(env, root).profile,
                                          GOOD)


def test_reset_root_password(callers: Callers) -> None:
    env = callers.env
    with env.store.write() as tx:
        tx.add(ConsoleSession(ACCOUNT, "s-root", None, b"hash", NOW, NOW + timedelta(hours=1)))
    with env.store.read() as tx:
        before = tx.get_by_id(LoginProfile, ACCOUNT)
    password = accounts.reset_root_password(env, ACCOUNT)
    with env.store.read() as tx:
        after = tx.get_by_id(LoginProfile, ACCOUNT)
        sessions = tx.find(ConsoleSession, ACCOUNT)
    assert before is not None
    assert after is not None
    assert login_profiles.verify_password(env, after, password)
    assert after.password_hash != before.password_hash
    assert sessions == []
    with pytest.raises(errors.NoSuchEntity, match="Account 999999999999 does not exist"):
        accounts.reset_root_password(env, "999999999999")
