"""Console sign-in: a password (and an MFA code) for a signed, expiring, revocable session.

An IAM user signs in with its account (id or alias), its user name and its password; the root
user with the account's email and password. Every attempt costs one Argon2 verification, the
same for an unknown user as for a wrong password, and both get the same answer. Failures are
counted per user key (whether the user exists or not) and per source address; past a limit,
the key is locked out for a while, even for the right password (see `SignInLimits`).

A session token is ``<session id>.<secret>.<signature>``: the signature (a server-key HMAC)
refuses a forged token before the database is asked; the database keeps only the token's
SHA-256, so a stolen database holds no usable token. Deleting the row revokes the session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import ClassVar

from iamd.domain import errors
from iamd.domain.entities import (
    ConsoleSession,
    LoginProfile,
    PasswordPolicy,
    SignInFailures,
    User,
)
from iamd.domain.identifiers import ID_ALPHABET
from iamd.storage.api import AccountGone, DuplicateEntity, Transaction

from .context import Call, Caller, Env, RequestInfo
from .credentials import accept_code_of_any, enabled_devices, password_expired, password_policy
from .iam.login_profiles import change_password

FAILED = "Your authentication information is incorrect. Please try again."
MFA_REQUIRED = "An MFA code is required: give the code your MFA device shows now."
MFA_REFUSED = "The MFA code is not valid, or it was already used. Wait for the next code."
LOCKED = "Too many failed sign-in attempts. Try again later."
HARD_EXPIRED = (
    "Your password has expired, and the account's password policy does not let you set a "
    "new one. Ask your administrator to reset it."
)
INVALID_SESSION = "The session is not valid, or it has expired. Sign in again."

# The slow-down after the n-th recent failure of a key: 0.1 s doubling, at most 2 s.
FIRST_DELAY = 0.1
MAX_DELAY = 2.0
_TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_SECRET_LENGTH = 43  # ~256 bits
_SESSION_PREFIX = "CS"
_ACCOUNT_ID = re.compile(r"\d{12}")
_MFA_CODE = re.compile(r"\d{6}")
# Longest values worth looking up (AWS's own limits); longer input is refused as malformed.
MAX_ACCOUNT = 63  # an alias
MAX_USER_NAME = 64
MAX_EMAIL = 254
MAX_PASSWORD = 128
MAX_TOKEN = 200
# What a session that may only change its password may call on the IAM API.
_PASSWORD_CHANGE_OPERATIONS = {"ChangePassword", "GetAccountPasswordPolicy", "GetUser"}


# -- errors ------------------------------------------------------------------------------------
class SignInError(Exception):
    """Base of sign-in's errors: ``code`` names the condition; ``delay`` is how long the
    server waits before answering (seconds)."""

    code: ClassVar[str] = "SignInError"

    def __init__(self, message: str, *, delay: float = 0.0) -> None:
        super().__init__(message)
        self.message = message
        self.delay = delay


class InvalidSignInRequest(SignInError):
    code = "InvalidRequest"


class SignInFailed(SignInError):
    """A wrong password, an unknown user or account, or a wrong MFA code."""

    code = "SignInFailed"


class MfaCodeRequired(SignInError):
    code = "MfaCodeRequired"


class TooManyAttempts(SignInError):
    code = "TooManyAttempts"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PasswordExpired(SignInError):
    code = "PasswordExpired"


class InvalidSession(SignInError):
    code = "InvalidSession"


# -- results -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SessionView:
    """What a session says about itself (never its token)."""

    session_id: str
    account_id: str
    user_name: str | None  # None: the root user
    arn: str
    created: datetime
    expires: datetime
    mfa_authenticated: datetime | None
    password_change_only: bool


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str = field(repr=False)  # shown once; only its hash is stored
    session: SessionView


@dataclass(frozen=True, slots=True)
class _Target:
    """Who the attempt claims to be, normalized; ``key`` names its failure counter."""

    key: str
    account: str | None = None  # an account id or alias (IAM user)
    user_name: str | None = None
    email: str | None = None  # the root user


@dataclass(frozen=True, slots=True)
class _Principal:
    account_id: str
    user: User | None  # None: the root user
    profile: LoginProfile | None
    has_mfa: bool
    policy: PasswordPolicy | None


class _CodeRefused(Exception):
    """Rolls back the session's transaction when the MFA code is refused."""


# -- sign-in -------------------------------------------------------------------------------------
def sign_in(
    env: Env, request: RequestInfo, *, password: str, mfa_code: str | None = None,
    account: str | None = None, user_name: str | None = None, email: str | None = None,
) -> SignedIn:
    """Sign an IAM user (``account`` and ``user_name``) or the root user (``email``) in.

    Raises:
        InvalidSignInRequest: malformed input (nothing is counted).
        TooManyAttempts: the user key or the source address is locked out.
        SignInFailed: wrong password, unknown user, account or email, wrong MFA code.
        MfaCodeRequired: the password is right and the principal has an MFA device.
        PasswordExpired: the password expired under a HardExpiry password policy.
    """
    target = _target(account, user_name, email)
    _check_length("password", password, MAX_PASSWORD)
    if mfa_code is not None and not _MFA_CODE.fullmatch(mfa_code):
        raise InvalidSignInRequest("mfaCode must be the six digits the MFA device shows.")
    now = env.clock.now()
    with env.store.read() as tx:
        principal = _principal(tx, target)
        keys = [(target.key, env.signin.max_failures_per_user),
                (_address_key(request.source_ip), env.signin.max_failures_per_address)]
        _refuse_if_locked(tx, [key for key, _ in keys], now)
    account_id = principal.account_id if principal else ""
    profile = principal.profile if principal else None
    if principal is None or profile is None:
        env.hasher.verify_nothing(password)
        raise _failure(env, account_id, keys, now, FAILED)
    if not env.hasher.verify(profile.password_hash, password):
        raise _failure(env, account_id, keys, now, FAILED)
    if principal.has_mfa and mfa_code is None:
        raise MfaCodeRequired(MFA_REQUIRED)
    expired = principal.user is not None and password_expired(principal.policy, profile, now)
    if expired and principal.policy is not None and principal.policy.hard_expiry:
        raise PasswordExpired(HARD_EXPIRED)
    rehashed = env.hasher.hash(password) if env.hasher.needs_rehash(profile.password_hash) else None
    change_only = profile.password_reset_required or expired
    try:
        return _open_session(env, principal, target.key, mfa_code, rehashed, change_only, now)
    except _CodeRefused:
        raise _failure(env, account_id, keys, now, MFA_REFUSED) from None


def _target(account: str | None, user_name: str | None, email: str | None) -> _Target:
    if email is not None:
        if account is not None or user_name is not None:
            raise InvalidSignInRequest(
                "Give either an account and a user name, or the root user's email; not both."
            )
        _check_length("email", email, MAX_EMAIL)
        normalized = email.strip().lower()
        return _Target(f"root:{normalized}", email=normalized)
    if account is None or user_name is None:
        raise InvalidSignInRequest(
            "Give an account (id or alias) and a user name, or the root user's email."
        )
    _check_length("account", account, MAX_ACCOUNT)
    _check_length("userName", user_name, MAX_USER_NAME)
    normalized = account.strip().lower()
    return _Target(f"user:{normalized}:{user_name.lower()}", normalized, user_name)


def _check_length(name: str, value: str, maximum: int) -> None:
    if not value or len(value) > maximum:
        raise InvalidSignInRequest(f"{name} must be 1 to {maximum} characters.")


def _principal(tx: Transaction, target: _Target) -> _Principal | None:
    """The principal the target names, if it exists (its login profile may not)."""
    if target.email is not None:
        account = tx.account_of_email(target.email)
        if account is None:
            return None
        return _Principal(account.id, None, tx.get_by_id(LoginProfile, account.id),
                          bool(enabled_devices(tx, account.id, None)), None)
    assert target.account is not None
    assert target.user_name is not None
    account_id = _account_id(tx, target.account)
    if account_id is None:
        return None
    user = tx.get(User, account_id, target.user_name)
    if user is None:
        return _Principal(account_id, None, None, False, None)
    return _Principal(account_id, user, tx.get_by_id(LoginProfile, user.id),
                      bool(enabled_devices(tx, account_id, user.id)),
                      password_policy(tx, account_id))


def _account_id(tx: Transaction, account: str) -> str | None:
    if _ACCOUNT_ID.fullmatch(account):
        return account if tx.account(account) is not None else None
    return tx.account_of_alias(account)


# -- throttling ----------------------------------------------------------------------------------
def _address_key(source_ip: str) -> str:
    return f"address:{source_ip}"


def _refuse_if_locked(tx: Transaction, keys: list[str], now: datetime) -> None:
    for key in keys:
        row = tx.get_by_id(SignInFailures, key)
        if row is not None and row.locked_until is not None and row.locked_until > now:
            retry_after = math.ceil((row.locked_until - now).total_seconds())
            raise TooManyAttempts(LOCKED, retry_after=retry_after)


def _failure(
    env: Env, account_id: str, keys: list[tuple[str, int]], now: datetime, message: str
) -> SignInFailed:
    """Count a failure under every key; the error to raise, slowed by the user key's count.

    The rows are written in a short transaction of their own: with the account's lock when the
    account exists, so that servers sharing a PostgreSQL database count each failure."""
    counts = _count_failures(env, account_id, keys, now)
    return SignInFailed(message, delay=backoff(counts[0]))


def backoff(failures: int) -> float:
    """Seconds to wait before answering the ``failures``-th recent failure of a key."""
    return min(FIRST_DELAY * 2.0 ** max(failures - 1, 0), MAX_DELAY)


def _count_failures(
    env: Env, account_id: str, keys: list[tuple[str, int]], now: datetime
) -> list[int]:
    def count(tx: Transaction) -> list[int]:
        return [_count_one(env, tx, account_id, key, maximum, now) for key, maximum in keys]

    if account_id:
        try:
            with env.store.write(account_id, authorization_unchanged=True) as tx:
                return count(tx)
        except AccountGone:
            account_id = ""
    with env.store.write() as tx:
        tx.forget_signin_failures(now, env.signin.lockout)
        return count(tx)


def _count_one(
    env: Env, tx: Transaction, account_id: str, key: str, maximum: int, now: datetime
) -> int:
    lockout = env.signin.lockout
    row = tx.get_by_id(SignInFailures, key)
    if row is None or _forgotten(row, now, lockout):
        failures, first = 1, now
    else:
        failures, first = row.failures + 1, row.first_failure
    locked_until = now + lockout if failures >= maximum else None
    counted = SignInFailures("" if key.startswith("address:") else account_id, key, failures,
                             first, locked_until)
    if row is not None:
        tx.replace(counted)
        return failures
    try:
        tx.add(counted)
    except DuplicateEntity:  # another server counted the key's first failure meanwhile
        return _count_one(env, tx, account_id, key, maximum, now)
    return failures


def _forgotten(row: SignInFailures, now: datetime, lockout: timedelta) -> bool:
    """Failures older than the lockout window no longer count (unless a lock still holds)."""
    still_locked = row.locked_until is not None and row.locked_until > now
    return not still_locked and now - row.first_failure >= lockout


# -- sessions ------------------------------------------------------------------------------------
def _open_session(
    env: Env, principal: _Principal, user_key: str, mfa_code: str | None,
    rehashed: str | None, change_only: bool, now: datetime,
) -> SignedIn:
    user_id = principal.user.id if principal.user else None
    session_id = _SESSION_PREFIX + env.random.text(ID_ALPHABET, 20)
    token = _token(env, session_id)
    with env.store.write(principal.account_id, authorization_unchanged=True) as tx:
        mfa_authenticated = None
        if principal.has_mfa:
            devices = enabled_devices(tx, principal.account_id, user_id)
            if mfa_code is None or accept_code_of_any(env, tx, devices, mfa_code) is None:
                raise _CodeRefused
            mfa_authenticated = now
        _stamp_password_use(tx, principal, rehashed, now)
        session = ConsoleSession(
            principal.account_id, session_id, user_id, _digest(token), now,
            now + env.signin.session_duration, mfa_authenticated, change_only,
        )
        _remove_expired_sessions(tx, principal.account_id, user_id, now)
        tx.add(session)
        tx.remove(SignInFailures, user_key)
    arn = principal.user.arn if principal.user else f"arn:aws:iam::{principal.account_id}:root"
    name = principal.user.name if principal.user else None
    return SignedIn(token, _view(session, name, arn))


def _remove_expired_sessions(
    tx: Transaction, account_id: str, user_id: str | None, now: datetime
) -> None:
    for old in tx.find(ConsoleSession, account_id, user_id=user_id):
        if old.expires <= now:
            tx.remove(ConsoleSession, old.id)


def _stamp_password_use(
    tx: Transaction, principal: _Principal, rehashed: str | None, now: datetime
) -> None:
    """Password last used (the user's or the root's), and the hash redone with today's
    parameters when they changed."""
    profile = principal.profile
    assert profile is not None
    if rehashed is not None:
        current = tx.get_by_id(LoginProfile, profile.id)
        if current is not None and current.password_hash == profile.password_hash:
            tx.replace(replace(current, password_hash=rehashed))
    if principal.user is not None:
        user = tx.get_by_id(User, principal.user.id)
        if user is not None:
            tx.replace(replace(user, password_last_used=now))
        return
    account = tx.account(principal.account_id)
    if account is not None:
        tx.replace(replace(account, password_last_used=now))


def _token(env: Env, session_id: str) -> str:
    body = f"{session_id}.{env.random.text(_TOKEN_ALPHABET, _SECRET_LENGTH)}"
    signature = base64.urlsafe_b64encode(env.signer.sign(body.encode())).rstrip(b"=").decode()
    return f"{body}.{signature}"


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _view(session: ConsoleSession, user_name: str | None, arn: str) -> SessionView:
    return SessionView(
        session.id, session.account_id, user_name, arn, session.created, session.expires,
        session.mfa_authenticated, session.password_change_only,
    )


def session_id_of(token: str) -> str | None:
    """The session id a token names (for logs), or None when the token is malformed."""
    parts = token.split(".")
    return parts[0] if len(parts) == 3 and parts[0].startswith(_SESSION_PREFIX) else None


def active_session(env: Env, tx: Transaction, token: str, now: datetime) -> ConsoleSession:
    """The live session of ``token``.

    Raises:
        InvalidSession: malformed, forged, revoked or expired token.
    """
    session_id = session_id_of(token) if len(token) <= MAX_TOKEN else None
    if session_id is None:
        raise InvalidSession(INVALID_SESSION)
    body, _, signature = token.rpartition(".")
    try:
        signature_bytes = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    except ValueError:
        raise InvalidSession(INVALID_SESSION) from None
    if not env.signer.verify(body.encode(), signature_bytes):
        raise InvalidSession(INVALID_SESSION)
    session: ConsoleSession | None = tx.get_by_id(ConsoleSession, session_id)
    if session is None or not hmac.compare_digest(session.token_hash, _digest(token)):
        raise InvalidSession(INVALID_SESSION)
    if now >= session.expires:
        raise InvalidSession(INVALID_SESSION)
    return session


def describe_session(env: Env, token: str) -> SessionView:
    """Who the session is, its MFA state and expiry. Raises InvalidSession."""
    with env.store.read() as tx:
        session = active_session(env, tx, token, env.clock.now())
        if session.user_id is None:
            return _view(session, None, f"arn:aws:iam::{session.account_id}:root")
        user = tx.get_by_id(User, session.user_id)
        if user is None:
            raise InvalidSession(INVALID_SESSION)
        return _view(session, user.name, user.arn)


def sign_out(env: Env, token: str) -> None:
    """Revoke the session: its token stops working on every server at once.
    Raises InvalidSession (already revoked, expired or not a token)."""
    with env.store.write() as tx:
        session = active_session(env, tx, token, env.clock.now())
        tx.remove(ConsoleSession, session.id)


def change_password_in_session(
    env: Env, call: Call, session: ConsoleSession, old_password: str, new_password: str
) -> None:
    """ChangePassword for the session's user (`login_profiles.change_password`, with its
    rules and errors); the session may then do everything its user may."""
    change_password(env, call, old_password, new_password)
    password_changed(env, session.id)


def password_changed(env: Env, session_id: str) -> None:
    """The session's principal changed its password: the session is a full one from now on."""
    with env.store.write() as tx:
        session = tx.get_by_id(ConsoleSession, session_id)
        if session is not None and session.password_change_only:
            tx.replace(replace(session, password_change_only=False))


def check_password_change_only(
    session: ConsoleSession, caller: Caller, operation: str, user_name: str | None
) -> None:
    """A session whose password expired or must be reset may only change it (and read the
    password policy and itself). Raises AccessDenied for anything else."""
    if not session.password_change_only:
        return
    on_itself = user_name is None or (
        caller.user is not None and user_name.lower() == caller.user.name.lower()
    )
    if operation in _PASSWORD_CHANGE_OPERATIONS and (operation != "GetUser" or on_itself):
        return
    raise errors.AccessDenied(
        f"User: {caller.arn} is not authorized to perform: iam:{operation} because its "
        "password has expired or must be reset: change it first (ChangePassword)."
    )
