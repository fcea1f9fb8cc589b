"""A console session exchanged for temporary credentials (`iamd login`).

The credentials are GetSessionToken's: the user's (or the root user's) own permissions, with
the MFA state of the sign-in (``aws:MultiFactorAuthPresent``/``Age`` in their policies).
Durations follow GetSessionToken: 900 s to 36 h (default 12 h), the root user's cut to 1 h.
They are not bounded by the console session, which `iamd login` ends right after the
exchange: signing in with a password (and MFA code) and calling GetSessionToken with the
user's keys give the same session, as on AWS; and, as on AWS, such a session without MFA
cannot call IAM (`sts.sessions.check_session_call`).
"""

from __future__ import annotations

from datetime import timedelta

from iamd.domain import errors
from iamd.domain.entities import ConsoleSession

from .context import Env
from .sts.claims import SessionClaims, SessionKind
from .sts.sessions import DEFAULT_DURATION, ROOT_MAX_DURATION
from .sts.tokens import IssuedCredentials, issue

MIN_DURATION = 900
MAX_DURATION = 129_600


def exchange_console_session(
    env: Env, session: ConsoleSession, duration_seconds: int | None = None
) -> IssuedCredentials:
    """Temporary credentials for the principal of a live console session.

    Raises:
        AccessDenied: the session may only change its password.
        ValidationError: ``duration_seconds`` outside the principal's range.
    """
    if session.password_change_only:
        raise errors.AccessDenied(
            "Your password has expired or must be reset: change it first (ChangePassword)."
        )
    duration = _duration(session, duration_seconds)
    now = env.clock.now().replace(microsecond=0)
    claims = SessionClaims(
        kind=SessionKind.USER, account_id=session.account_id, access_key_id="",
        secret_access_key="", issued=now, expires=now + timedelta(seconds=duration),
        principal_id=session.user_id, mfa_authenticated=session.mfa_authenticated,
        signed_in=True,
    )
    return issue(env, claims)


def _duration(session: ConsoleSession, requested: int | None) -> int:
    """GetSessionToken's bounds: 900 s to 36 h; the root user's sessions are cut to an hour,
    as AWS does, rather than refused."""
    chosen = DEFAULT_DURATION if requested is None else requested
    if chosen < MIN_DURATION:
        raise errors.ValidationError(
            f"1 validation error detected: Value '{chosen}' at 'durationSeconds' failed to "
            f"satisfy constraint: Member must have value greater than or equal to {MIN_DURATION}"
        )
    if chosen > MAX_DURATION:
        raise errors.ValidationError(
            f"1 validation error detected: Value '{chosen}' at 'durationSeconds' failed to "
            f"satisfy constraint: Member must have value less than or equal to {MAX_DURATION}"
        )
    return min(chosen, ROOT_MAX_DURATION) if session.user_id is None else chosen
