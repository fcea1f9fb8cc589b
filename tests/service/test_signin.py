"""Sign-in: passwords and MFA codes to sessions, throttling, session callers and their limits."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import timedelta

import pytest

from iamd.crypto.passwords import Argon2Hasher, Argon2Parameters
from iamd.domain import errors
from iamd.domain.entities import (
    Account,
    ConsoleSession,
    LoginProfile,
    MFADevice,
    PasswordPolicy,
    SignInFailures,
    User,
)
from iamd.domain.identifiers import unique_id
from iamd.service import signin
from iamd.service.authn import Authenticator
from iamd.service.context import Call, Env, RequestInfo, SignInLimits
from iamd.service.credentials import current_step
from iamd.service.iam import principal_policies, users
from iamd.service.signin import (
    FAILED,
    MFA_REFUSED,
    InvalidSession,
    InvalidSignInRequest,
    MfaCodeRequired,
    PasswordExpired,
    SignInFailed,
    TooManyAttempts,
    sign_in,
)

from .conftest import ACCOUNT, NOW, Callers, FixedClock

PASSWORD = "Correct-horse-7"
HERE = RequestInfo(now=NOW, source_ip="192.0.2.10")
ELSEWHERE = RequestInfo(now=NOW, source_ip="198.51.100.20")
LIMITS = SignInLimits(max_failures_per_user=3, max_failures_per_address=5,
                      lockout=timedelta(minutes=15), session_duration=timedelta(hours=12))


@pytest.fixture
def limited(env: Env) -> Env:
    return replace(env, signin=LIMITS)


@pytest.fixture
def people(limited: Env) -> Callers:
    return Callers(limited)


def clock(env: Env) -> FixedClock:
    assert isinstance(env.clock, FixedClock)
    return env.clock


def with_password(
    env: Env, people: Callers, name: str, password: str = PASSWORD, *,
    reset_required: bool = False, changed_days_ago: int = 0,
) -> User:
    people.user(name)
    with env.store.write() as tx:
        user = tx.get(User, ACCOUNT, name)
        assert user is not None
        changed = NOW - timedelta(days=changed_days_ago)
        tx.add(LoginProfile(ACCOUNT, user.id, user.id, env.hasher.hash(password), changed,
                            changed, reset_required))
    return user


def with_device(env: Env, user_id: str | None, account_id: str = ACCOUNT) -> str:
    """An enabled virtual MFA device for the user (None: root); its seed."""
    seed = env.otp.new_seed()
    device_id = unique_id("AMFA", env.random)
    with env.store.write() as tx:
        tx.add(MFADevice(account_id, device_id, f"device-{device_id}", "/",
                         env.sealer.seal(seed.encode(), context=device_id.encode()), NOW,
                         user_id, enabled=NOW))
    return seed


def root_with_password(env: Env, email: str = "owner@example.com") -> None:
    with env.store.write() as tx:
        account = tx.account(ACCOUNT)
        assert account is not None
        tx.replace(replace(account, email=email))
        profile = LoginProfile(ACCOUNT, ACCOUNT, None, env.hasher.hash(PASSWORD), NOW, NOW)
        if tx.get_by_id(LoginProfile, ACCOUNT) is None:
            tx.add(profile)
        else:
            tx.replace(profile)


def code(env: Env, seed: str, offset: int = 0) -> str:
    return env.otp.code(seed, current_step(env) + offset)


def user_sign_in(env: Env, name: str, password: str = PASSWORD, *,
                 request: RequestInfo = HERE, mfa: str | None = None) -> signin.SignedIn:
    return sign_in(env, request, account=ACCOUNT, user_name=name, password=password,
                   mfa_code=mfa)


def failures(env: Env, key: str) -> SignInFailures | None:
    with env.store.read() as tx:
        row: SignInFailures | None = tx.get_by_id(SignInFailures, key)
        return row


# -- success ------------------------------------------------------------------------------------
def test_the_right_password_opens_a_session_whose_token_is_stored_only_as_a_hash(
    limited: Env, people: Callers
) -> None:
    user = with_password(limited, people, "alice")
    signed = user_sign_in(limited, "alice")
    view = signed.session
    assert (view.account_id, view.user_name, view.arn) == (ACCOUNT, "alice", user.arn)
    assert view.expires == NOW + LIMITS.session_duration
    assert view.mfa_authenticated is None
    assert not view.password_change_only
    with limited.store.read() as tx:
        stored = tx.get_by_id(ConsoleSession, view.session_id)
        stamped = tx.get_by_id(User, user.id)
    assert stored is not None
    assert stamped is not None
    assert stored.token_hash == hashlib.sha256(signed.token.encode()).digest()
    assert signed.token.split(".")[1] not in repr(stored)
    assert stamped.password_last_used == NOW


def test_an_account_alias_names_the_account(limited: Env, people: Callers) -> None:
    with_password(limited, people, "alice")
    with limited.store.write() as tx:
        tx.add_alias(ACCOUNT, "example-corp")
    signed = sign_in(limited, HERE, account="example-corp", user_name="ALICE", password=PASSWORD)
    assert signed.session.user_name == "alice"


def test_the_root_user_signs_in_with_the_account_email(limited: Env, people: Callers) -> None:
    root_with_password(limited)
    signed = sign_in(limited, HERE, email="Owner@Example.com", password=PASSWORD)
    assert (signed.session.user_name, signed.session.arn) == (None, f"arn:aws:iam::{ACCOUNT}:root")
    with limited.store.read() as tx:
        stamped: Account | None = tx.account(ACCOUNT)
    assert stamped is not None
    assert stamped.password_last_used == NOW
    with pytest.raises(SignInFailed, match=FAILED):
        sign_in(limited, HERE, email="owner@example.com", password="not-it-at-all")


def test_a_hash_made_with_older_parameters_is_redone_at_sign_in(
    limited: Env, people: Callers
) -> None:
    user = with_password(limited, people, "alice")
    weaker = Argon2Hasher(Argon2Parameters(time_cost=1, memory_kib=512, parallelism=1))
    with limited.store.write() as tx:
        profile = tx.get_by_id(LoginProfile, user.id)
        assert profile is not None
        tx.replace(replace(profile, password_hash=weaker.hash(PASSWORD)))
    user_sign_in(limited, "alice")
    with limited.store.read() as tx:
        redone = tx.get_by_id(LoginProfile, user.id)
    assert redone is not None
    assert not limited.hasher.needs_rehash(redone.password_hash)
    assert limited.hasher.verify(redone.password_hash, PASSWORD)


# -- failures and throttling -----------------------------------------------------------------
def test_a_wrong_password_and_an_unknown_user_get_one_answer(
    limited: Env, people: Callers
) -> None:
    with_password(limited, people, "alice")
    people.user("no-password")  # a user without a login profile
    attempts = [
        {"account": ACCOUNT, "user_name": "alice", "password": "wrong-password"},
        {"account": ACCOUNT, "user_name": "nobody", "password": PASSWORD},
        {"account": ACCOUNT, "user_name": "no-password", "password": PASSWORD},
        {"account": "999999999999", "user_name": "alice", "password": PASSWORD},
        {"account": "no-such-alias", "user_name": "alice", "password": PASSWORD},
        {"email": "nobody@example.com", "password": PASSWORD},
    ]
    answers = set()
    for number, attempt in enumerate(attempts):
        with pytest.raises(SignInFailed) as caught:
            sign_in(limited, RequestInfo(now=NOW, source_ip=f"192.0.2.{number}"), **attempt)
        answers.add((caught.value.code, caught.value.message, caught.value.delay))
    assert answers == {("SignInFailed", FAILED, 0.1)}


def test_after_n_failures_even_the_right_password_is_refused_until_the_lockout_ends(
    limited: Env, people: Callers
) -> None:
    with_password(limited, people, "alice")
    delays = []
    for _ in range(LIMITS.max_failures_per_user):
        with pytest.raises(SignInFailed) as caught:
            user_sign_in(limited, "alice", "wrong-password")
        delays.append(caught.value.delay)
    assert delays == [0.1, 0.2, 0.4]
    with pytest.raises(TooManyAttempts) as locked:
        user_sign_in(limited, "alice")
    assert locked.value.retry_after == 900
    clock(limited).moment = NOW + LIMITS.lockout - timedelta(seconds=1)
    with pytest.raises(TooManyAttempts):
        user_sign_in(limited, "alice")
    clock(limited).moment = NOW + LIMITS.lockout
    assert user_sign_in(limited, "alice").session.user_name == "alice"


def test_an_unknown_user_is_locked_out_the_same_way(limited: Env, people: Callers) -> None:
    with_password(limited, people, "alice")
    answers: dict[str, list[tuple[str, str, float]]] = {"alice": [], "nobody": []}
    for name in answers:
        for _ in range(LIMITS.max_failures_per_user):
            with pytest.raises(SignInFailed) as caught:
                user_sign_in(limited, name, "wrong-password", request=RequestInfo(
                    now=NOW, source_ip=f"203.0.113.{len(name)}"))
            answers[name].append((caught.value.code, caught.value.message, caught.value.delay))
    assert answers["alice"] == answers["nobody"]
    refusals = []
    for name in answers:
        with pytest.raises(TooManyAttempts) as locked:
            user_sign_in(limited, name)
        refusals.append((locked.value.message, locked.value.retry_after))
    assert refusals[0] == refusals[1]


def test_the_delay_doubles_and_stops_at_two_seconds() -> None:
    assert [signin.backoff(n) for n in range(1, 8)] == [0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0]


def test_failures_older_than_the_window_are_forgotten(limited: Env, people: Callers) -> None:
    with_password(limited, people, "alice")
    for _ in range(LIMITS.max_failures_per_user - 1):
        with pytest.raises(SignInFailed):
            user_sign_in(limited, "alice", "wrong-password")
    clock(limited).moment = NOW + LIMITS.lockout
    with pytest.raises(SignInFailed) as caught:
        user_sign_in(limited, "alice", "wrong-password")
    assert caught.value.delay == 0.1  # counting starts again
    assert user_sign_in(limited, "alice").session.user_name == "alice"


def test_stale_failure_rows_are_dropped_as_new_failures_come(
    limited: Env, people: Callers
) -> None:
    """Rows for names and addresses that never come back do not pile up."""
    stranger = RequestInfo(now=NOW, source_ip="192.0.2.7")
    with pytest.raises(SignInFailed):
        sign_in(limited, stranger, account="999999999999", user_name="ghost", password="x" * 9)
    assert failures(limited, "address:192.0.2.7") is not None
    clock(limited).moment = NOW + LIMITS.lockout + timedelta(seconds=1)
    with pytest.raises(SignInFailed):
        sign_in(limited, ELSEWHERE, account="999999999999", user_name="other", password="x" * 9)
    assert failures(limited, "address:192.0.2.7") is None
    assert failures(limited, "user:999999999999:ghost") is None
    assert failures(limited, "user:999999999999:other") is not None


def test_a_success_clears_the_user_failures_but_not_the_address_ones(
    limited: Env, people: Callers
) -> None:
    with_password(limited, people, "alice")
    for _ in range(2):
        with pytest.raises(SignInFailed):
            user_sign_in(limited, "alice", "wrong-password")
    user_sign_in(limited, "alice")
    assert failures(limited, f"user:{ACCOUNT}:alice") is None
    address = failures(limited, "address:192.0.2.10")
    assert address is not None
    assert address.failures == 2


def test_too_many_failures_from_one_address_lock_that_address_out(
    limited: Env, people: Callers
) -> None:
    with_password(limited, people, "alice")
    for number in range(LIMITS.max_failures_per_address):
        with pytest.raises(SignInFailed):
            user_sign_in(limited, f"guess-{number}", "wrong-password")
    with pytest.raises(TooManyAttempts):
        user_sign_in(limited, "alice")
    assert user_sign_in(limited, "alice", request=ELSEWHERE).session.user_name == "alice"


def test_malformed_input_is_refused_without_counting(limited: Env, people: Callers) -> None:
    with_password(limited, people, "alice")
    refused = [
        {"account": ACCOUNT, "user_name": "alice", "email": "a@example.com",
         "password": PASSWORD},
        {"account": ACCOUNT, "password": PASSWORD},
        {"account": ACCOUNT, "user_name": "alice", "password": "x" * 129},
        {"account": ACCOUNT, "user_name": "alice", "password": ""},
        {"account": ACCOUNT, "user_name": "a" * 65, "password": PASSWORD},
        {"account": ACCOUNT, "user_name": "alice", "password": PASSWORD, "mfa_code": "12ab56"},
    ]
    for attempt in refused:
        with pytest.raises(InvalidSignInRequest):
            sign_in(limited, HERE, **attempt)
    assert failures(limited, "address:192.0.2.10") is None


# -- MFA ------------------------------------------------------------------------------------------
def test_a_user_with_mfa_needs_a_valid_code_that_works_once(
    limited: Env, people: Callers
) -> None:
    user = with_password(limited, people, "alice")
    seed = with_device(limited, user.id)
    with pytest.raises(MfaCodeRequired):
        user_sign_in(limited, "alice")
    assert failures(limited, f"user:{ACCOUNT}:alice") is None  # not a failure
    with pytest.raises(MfaCodeRequired):  # the code is not asked for a wrong password...
        user_sign_in(limited, "alice")
    with pytest.raises(SignInFailed, match=FAILED):  # ...which fails as ever
        user_sign_in(limited, "alice", "wrong-password", mfa=code(limited, seed))
    wrong = f"{(int(code(limited, seed)) + 1) % 1_000_000:06d}"
    with pytest.raises(SignInFailed, match=MFA_REFUSED):
        user_sign_in(limited, "alice", mfa=wrong)
    counted = failures(limited, f"user:{ACCOUNT}:alice")
    assert counted is not None
    assert counted.failures == 2
    right = code(limited, seed)
    signed = user_sign_in(limited, "alice", mfa=right)
    assert signed.session.mfa_authenticated == NOW
    assert failures(limited, f"user:{ACCOUNT}:alice") is None
    with pytest.raises(SignInFailed, match=MFA_REFUSED):
        user_sign_in(limited, "alice", mfa=right)  # replayed
    with pytest.raises(SignInFailed, match=MFA_REFUSED):
        user_sign_in(limited, "alice", mfa=code(limited, seed, -1))  # older than the last one
    clock(limited).moment = NOW + timedelta(seconds=30)
    assert user_sign_in(limited, "alice", mfa=code(limited, seed)).session.mfa_authenticated


def test_the_root_user_with_mfa_needs_its_code(limited: Env, people: Callers) -> None:
    root_with_password(limited)
    seed = with_device(limited, None)
    with pytest.raises(MfaCodeRequired):
        sign_in(limited, HERE, email="owner@example.com", password=PASSWORD)
    signed = sign_in(limited, HERE, email="owner@example.com", password=PASSWORD,
                     mfa_code=code(limited, seed))
    assert signed.session.mfa_authenticated == NOW


# -- sessions -----------------------------------------------------------------------------------
def test_a_session_token_gives_its_caller_until_it_expires(
    limited: Env, people: Callers
) -> None:
    user = with_password(limited, people, "alice")
    signed = user_sign_in(limited, "alice")
    authn = Authenticator(limited)
    credential = authn.session(signed.token)
    assert credential.caller.user is not None
    assert credential.caller.user.id == user.id
    assert credential.caller.arn == user.arn
    assert credential.caller.session is not None
    assert credential.caller.session.issued == NOW
    assert credential.caller.access_key_id == signed.session.session_id
    clock(limited).moment = NOW + LIMITS.session_duration
    with pytest.raises(InvalidSession):
        authn.session(signed.token)
    with pytest.raises(InvalidSession):
        signin.describe_session(limited, signed.token)
    later = user_sign_in(limited, "alice")  # removes the user's expired sessions
    with limited.store.read() as tx:
        kept = [row.id for row in tx.find(ConsoleSession, ACCOUNT, user_id=user.id)]
    assert kept == [later.session.session_id]


def test_signing_out_revokes_the_session(limited: Env, people: Callers) -> None:
    with_password(limited, people, "alice")
    signed = user_sign_in(limited, "alice")
    other = user_sign_in(limited, "alice")
    assert signin.describe_session(limited, signed.token).user_name == "alice"
    signin.sign_out(limited, signed.token)
    with pytest.raises(InvalidSession):
        Authenticator(limited).session(signed.token)
    with pytest.raises(InvalidSession):
        signin.sign_out(limited, signed.token)
    assert Authenticator(limited).session(other.token).caller.user is not None


def test_tampered_or_forged_tokens_are_refused(limited: Env, people: Callers) -> None:
    with_password(limited, people, "alice")
    token = user_sign_in(limited, "alice").token
    session_id, secret, signature = token.split(".")
    flipped = "A" if secret[0] != "A" else "B"
    forged = [
        "",
        "not-a-token",
        f"{session_id}.{flipped}{secret[1:]}.{signature}",  # signature no longer matches
        f"{session_id}.{secret}.{signature[:-2]}",
        f"{session_id}.{secret}.!!!!",
        f"CSAAAAAAAAAAAAAAAAAAAA.{secret}.{signature}",
        token + "x" * 300,
    ]
    for candidate in forged:
        with pytest.raises(InvalidSession):
            Authenticator(limited).session(candidate)
    # A correctly signed token whose row holds another hash (e.g. a database restored over
    # a newer one) is refused too.
    with limited.store.write() as tx:
        row = tx.get_by_id(ConsoleSession, session_id)
        assert row is not None
        tx.replace(replace(row, token_hash=hashlib.sha256(b"other").digest()))
    with pytest.raises(InvalidSession):
        Authenticator(limited).session(token)


def test_a_deleted_user_session_stops_working(limited: Env, people: Callers) -> None:
    with_password(limited, people, "alice")
    token = user_sign_in(limited, "alice").token
    with limited.store.write() as tx:
        user = tx.get(User, ACCOUNT, "alice")
        assert user is not None
        tx.remove(User, user.id)
    with pytest.raises(InvalidSession):
        Authenticator(limited).session(token)


# -- passwords that must change ------------------------------------------------------------------
def set_policy(env: Env, **options: object) -> None:
    with env.store.write() as tx:
        tx.add(PasswordPolicy(ACCOUNT, ACCOUNT, **options))  # type: ignore[arg-type]


def test_a_password_marked_for_reset_gives_a_session_that_may_only_change_it(
    limited: Env, people: Callers
) -> None:
    with_password(limited, people, "alice", reset_required=True)
    people.user("bob")
    signed = user_sign_in(limited, "alice")
    assert signed.session.password_change_only
    credential = Authenticator(limited).session(signed.token)
    allowed = [("ChangePassword", None), ("GetAccountPasswordPolicy", None), ("GetUser", None),
               ("GetUser", "ALICE")]
    for operation, user_name in allowed:
        signin.check_password_change_only(credential.session, credential.caller, operation,
                                          user_name)
    for operation, user_name in [("ListUsers", None), ("GetUser", "bob"),
                                 ("CreateAccessKey", None)]:
        with pytest.raises(errors.AccessDenied, match="change it first"):
            signin.check_password_change_only(credential.session, credential.caller,
                                              operation, user_name)


def test_changing_the_password_in_the_session_lifts_the_restriction(
    limited: Env, people: Callers
) -> None:
    set_policy(limited, allow_users_to_change_password=True)
    with_password(limited, people, "alice", reset_required=True)
    signed = user_sign_in(limited, "alice")
    credential = Authenticator(limited).session(signed.token)
    call = Call(credential.caller, HERE)
    with pytest.raises(errors.AccessDenied):
        signin.change_password_in_session(limited, call, credential.session, "wrong", "N3w-pass!")
    assert signin.describe_session(limited, signed.token).password_change_only
    signin.change_password_in_session(limited, call, credential.session, PASSWORD, "N3w-pass!")
    assert not signin.describe_session(limited, signed.token).password_change_only
    assert not user_sign_in(limited, "alice", "N3w-pass!").session.password_change_only


def test_an_expired_password_may_only_be_changed_and_under_hard_expiry_not_even_that(
    limited: Env, people: Callers
) -> None:
    set_policy(limited, max_password_age=30)
    with_password(limited, people, "alice", changed_days_ago=30)
    with_password(limited, people, "fresh", changed_days_ago=29)
    assert user_sign_in(limited, "alice").session.password_change_only
    assert not user_sign_in(limited, "fresh").session.password_change_only
    with limited.store.write() as tx:
        tx.replace(PasswordPolicy(ACCOUNT, ACCOUNT, max_password_age=30, hard_expiry=True))
    with pytest.raises(PasswordExpired, match="administrator"):
        user_sign_in(limited, "alice")
    with pytest.raises(SignInFailed):  # a wrong password still says nothing more
        user_sign_in(limited, "alice", "wrong-password")


# -- MFA seen by policies ------------------------------------------------------------------------
MFA_POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                      "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},
    }],
})


def test_policies_see_whether_and_when_the_session_used_mfa(
    limited: Env, people: Callers
) -> None:
    user = with_password(limited, people, "alice")
    principal_policies.put_policy(limited, people.root(), users.POLICIES, "alice",
                                  "mfa-only", MFA_POLICY)
    seed = with_device(limited, user.id)
    with_mfa = user_sign_in(limited, "alice", mfa=code(limited, seed)).token
    with limited.store.write() as tx:  # a session from before the device, without MFA
        tx.remove(MFADevice, tx.find(MFADevice, ACCOUNT, user_id=user.id)[0].id)
    without = user_sign_in(limited, "alice").token
    authn = Authenticator(limited)

    def list_users_with(token: str) -> list[str]:
        call = Call(authn.session(token).caller, RequestInfo(now=clock(limited).now()))
        return [found.name for found in users.list_users(limited, call).items]

    assert "alice" in list_users_with(with_mfa)
    with pytest.raises(errors.AccessDenied, match="iam:ListUsers"):
        list_users_with(without)
    clock(limited).moment = NOW + timedelta(seconds=3599)
    assert "alice" in list_users_with(with_mfa)
    clock(limited).moment = NOW + timedelta(hours=1)  # aws:MultiFactorAuthAge is 3600 now
    with pytest.raises(errors.AccessDenied):
        list_users_with(with_mfa)
