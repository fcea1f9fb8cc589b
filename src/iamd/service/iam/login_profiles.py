"""Console passwords: Create/Get/Update/DeleteLoginProfile, and ChangePassword (a user changes
its own, also through the sign-in helper).

A password is set in three steps so that no write lock is held while Argon2 runs (one hash
takes ~0.15 s, and reuse prevention verifies up to 24 earlier hashes): read and authorize;
check the rules and hash, outside any transaction; then write, once sure that the password
being replaced is still the one the checks were made against.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from iamd.domain import errors
from iamd.domain.entities import ConsoleSession, LoginProfile, PasswordPolicy, UsedPassword, User
from iamd.storage.api import Transaction

from ..context import Call, Env
from ..credentials import password_expired, password_policy
from .common import new_id, reading, writing
from .password_policy import authorize_self_service, check_password
from .users import credential_owner, missing, user_context

# Earlier passwords kept per user: with the current one, as many as the largest
# PasswordReusePrevention (24) can refuse.
HISTORY_KEPT = 23
USED_PASSWORD_PREFIX = "AUPW"

WRONG_OLD_PASSWORD = "The old password is incorrect."
HARD_EXPIRED = (
    "Your password has expired and the account password policy (HardExpiry) lets only an "
    "administrator reset it."
)


@dataclass(frozen=True, slots=True)
class ProfileView:
    user_name: str | None  # None: the root user
    profile: LoginProfile


@dataclass(frozen=True, slots=True)
class _Owner:
    """Whose password it is, and what checking a new one needs (read in one transaction)."""

    user: User | None  # None: the root user
    profile: LoginProfile | None
    policy: PasswordPolicy | None
    earlier: tuple[UsedPassword, ...]  # newest first
    email: str | None

    @property
    def user_id(self) -> str | None:
        return self.user.id if self.user else None

    def names(self) -> tuple[str, ...]:
        """What the default rules refuse as a password: the user name and account email."""
        return tuple(name for name in (self.user and self.user.name, self.email) if name)

    def recent_hashes(self, count: int) -> list[str]:
        """The last ``count`` passwords, the current one first."""
        current = [self.profile.password_hash] if self.profile else []
        return (current + [used.password_hash for used in self.earlier])[:count]


def missing_profile(name: str) -> errors.NoSuchEntity:
    return errors.NoSuchEntity(f"Login Profile for User {name} cannot be found.")


def verify_password(env: Env, profile: LoginProfile, password: str) -> bool:
    """Whether ``password`` is the profile's (Argon2id, constant time)."""
    return env.hasher.verify(profile.password_hash, password)


def _profile_id(call: Call, user: User | None) -> str:
    return user.id if user else call.account_id


def _display_name(call: Call, user: User | None) -> str:
    return user.name if user else call.account_id


def _owner(tx: Transaction, call: Call, user: User | None) -> _Owner:
    user_id = user.id if user else None
    earlier = sorted(tx.find(UsedPassword, call.account_id, user_id=user_id),
                     key=lambda used: used.created, reverse=True)
    account = tx.account(call.account_id)
    return _Owner(
        user, tx.get_by_id(LoginProfile, _profile_id(call, user)),
        password_policy(tx, call.account_id), tuple(earlier), account.email if account else None,
    )


def _hash_new_password(env: Env, owner: _Owner, password: str) -> str:
    """Raises PasswordPolicyViolation unless ``password`` meets the rules and is not reused."""
    check_password(owner.policy, password, names=owner.names())
    count = owner.policy.password_reuse_prevention if owner.policy else None
    if count:
        for earlier in owner.recent_hashes(count):
            if env.hasher.verify(earlier, password):
                raise errors.PasswordPolicyViolation(
                    f"Password should not be one of the last {count} passwords used"
                )
    return env.hasher.hash(password)


def _refuse_if_changed(call: Call, before: _Owner, now: _Owner) -> None:
    """Raises EntityTemporarilyUnmodifiable if the owner or its password changed since
    ``before`` was read (a concurrent change won: the caller retries)."""
    if before.user_id != now.user_id or before.profile != now.profile:
        raise errors.EntityTemporarilyUnmodifiable(
            f"Login Profile for User {_display_name(call, now.user)} changed while the new "
            "password was being checked; retry."
        )


def _remember(env: Env, tx: Transaction, call: Call, owner: _Owner, password_hash: str) -> None:
    """Add a replaced password to the owner's history, keeping the newest HISTORY_KEPT."""
    when = call.request.now
    if owner.earlier and when <= owner.earlier[0].created:
        # Strictly after the newest: two changes within one second keep their order.
        when = owner.earlier[0].created + timedelta(microseconds=1)
    tx.add(UsedPassword(call.account_id, new_id(env, USED_PASSWORD_PREFIX), owner.user_id,
                        password_hash, when))
    for stale in owner.earlier[HISTORY_KEPT - 1:]:
        tx.remove(UsedPassword, stale.id)


def _store(
    env: Env, tx: Transaction, call: Call, owner: _Owner, password_hash: str,
    reset_required: bool,
) -> None:
    """Make ``password_hash`` the owner's password (its age starts now)."""
    assert owner.profile is not None
    tx.replace(replace(owner.profile, password_hash=password_hash,
                       password_changed=call.request.now,
                       password_reset_required=reset_required))
    _remember(env, tx, call, owner, owner.profile.password_hash)


# -- the operations ------------------------------------------------------------------------
def create_login_profile(
    env: Env, call: Call, password: str, user_name: str | None = None,
    password_reset_required: bool = False,
) -> ProfileView:
    """A console password for the named user (else the caller). Raises EntityAlreadyExists,
    NoSuchEntity, PasswordPolicyViolation."""
    action = "iam:CreateLoginProfile"
    with reading(env) as tx:
        before = _owner(tx, call, credential_owner(tx, call, action, user_name))
    name = _display_name(call, before.user)
    if before.profile is not None:
        raise errors.EntityAlreadyExists(f"Login Profile for user {name} already exists.")
    password_hash = _hash_new_password(env, before, password)
    with writing(env, call, authorization_unchanged=True) as tx:
        owner = _owner(tx, call, credential_owner(tx, call, action, user_name))
        if owner.profile is not None:
            raise errors.EntityAlreadyExists(f"Login Profile for user {name} already exists.")
        _refuse_if_changed(call, before, owner)
        now = call.request.now
        profile = LoginProfile(
            call.account_id, _profile_id(call, owner.user), owner.user_id, password_hash,
            now, now, password_reset_required,
        )
        tx.add(profile)
    return ProfileView(owner.user.name if owner.user else None, profile)


def get_login_profile(env: Env, call: Call, user_name: str | None = None) -> ProfileView:
    """Raises NoSuchEntity when the user has no password (the password is never returned)."""
    with reading(env) as tx:
        user = credential_owner(tx, call, "iam:GetLoginProfile", user_name)
        profile = tx.get_by_id(LoginProfile, _profile_id(call, user))
    if profile is None:
        raise missing_profile(_display_name(call, user))
    return ProfileView(user.name if user else None, profile)


def update_login_profile(
    env: Env, call: Call, user_name: str, password: str | None = None,
    password_reset_required: bool | None = None,
) -> None:
    """An administrator sets a user's password (its age restarts) and/or whether it must be
    changed at the next sign-in. Raises NoSuchEntity, PasswordPolicyViolation."""
    action = "iam:UpdateLoginProfile"
    with reading(env) as tx:
        before = _owner(tx, call, credential_owner(tx, call, action, user_name))
    if before.profile is None:
        raise missing_profile(user_name)
    password_hash = None if password is None else _hash_new_password(env, before, password)
    with writing(env, call, authorization_unchanged=True) as tx:
        owner = _owner(tx, call, credential_owner(tx, call, action, user_name))
        _refuse_if_changed(call, before, owner)
        assert owner.profile is not None
        reset = owner.profile.password_reset_required if password_reset_required is None \
            else password_reset_required
        if password_hash is None:
            tx.replace(replace(owner.profile, password_reset_required=reset))
        else:
            _store(env, tx, call, owner, password_hash, reset)


def delete_login_profile(env: Env, call: Call, user_name: str | None = None) -> None:
    """Remove the password and end the owner's console sessions; the password stays in the
    history (reuse prevention still sees it). Raises NoSuchEntity."""
    # The version moves: servers drop what they cached about the sessions that end here.
    with writing(env, call) as tx:
        user = credential_owner(tx, call, "iam:DeleteLoginProfile", user_name)
        owner = _owner(tx, call, user)
        if owner.profile is None:
            raise missing_profile(_display_name(call, user))
        tx.remove(LoginProfile, owner.profile.id)
        _remember(env, tx, call, owner, owner.profile.password_hash)
        for session in tx.find(ConsoleSession, call.account_id, user_id=owner.user_id):
            tx.remove(ConsoleSession, session.id)


def change_password(env: Env, call: Call, old_password: str, new_password: str) -> None:
    """ChangePassword: the calling IAM user (``call.caller``, nothing else) replaces its own
    password; PasswordResetRequired is cleared and the password's age restarts.

    Allowed by iam:ChangePassword on the user's ARN, or for every user by the account's
    AllowUsersToChangePassword. Under HardExpiry an expired password cannot be changed from
    a console session (only an administrator can reset it); with an access key it can, as
    AWS documents. Raises InvalidUserType (root), AccessDenied (not allowed, wrong old
    password, hard expiry), NoSuchEntity (no password), PasswordPolicyViolation.
    """
    if call.caller.user is None:
        raise errors.InvalidUserType(
            "ChangePassword changes an IAM user's own password; the caller is not an IAM user."
        )
    with reading(env) as tx:
        before = _changing_owner(tx, call)
    assert before.profile is not None
    if not verify_password(env, before.profile, old_password):
        raise errors.AccessDenied(WRONG_OLD_PASSWORD)
    _refuse_if_hard_expired(call, before)
    password_hash = _hash_new_password(env, before, new_password)
    with writing(env, call, authorization_unchanged=True) as tx:
        owner = _changing_owner(tx, call)
        _refuse_if_changed(call, before, owner)
        _store(env, tx, call, owner, password_hash, reset_required=False)


def _changing_owner(tx: Transaction, call: Call) -> _Owner:
    caller = call.caller.user
    assert caller is not None
    user = tx.get_by_id(User, caller.id)
    if user is None:
        raise missing(caller.name)
    policy = password_policy(tx, call.account_id)
    authorize_self_service(call, "iam:ChangePassword", user.arn, policy, user_context(tx, user))
    owner = _owner(tx, call, user)
    if owner.profile is None:
        raise missing_profile(user.name)
    return owner


def _refuse_if_hard_expired(call: Call, owner: _Owner) -> None:
    policy, profile = owner.policy, owner.profile
    assert profile is not None
    if (
        policy is not None and policy.hard_expiry and call.caller.session is not None
        and password_expired(policy, profile, call.request.now)
    ):
        raise errors.AccessDenied(HARD_EXPIRED)
