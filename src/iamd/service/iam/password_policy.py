"""The account password policy (Update/Get/DeleteAccountPasswordPolicy) and the rules every new
password must meet: the policy's, or AWS's default rules when the account has none."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from iamd.domain import errors
from iamd.domain.entities import PasswordPolicy
from iamd.policy import Outcome

from ..authz import ContextValue, authorize, decide, denial_message
from ..context import Call, Env
from ..credentials import password_policy
from .common import reading, writing

ANY_RESOURCE = "*"

# The characters AWS counts as symbols (RequireSymbols, and the default rules).
SYMBOLS = frozenset("!@#$%^&*()_+-=[]{}|'")

# AWS's rules when no password policy is set: 8 to 128 characters, three of the four kinds of
# character, and not the user's name or the account's email.
DEFAULT_MINIMUM_LENGTH = 8
DEFAULT_KINDS_REQUIRED = 3


def no_policy(account_id: str) -> errors.NoSuchEntity:
    return errors.NoSuchEntity(
        f"The Password Policy with domain name {account_id} cannot be found."
    )


@dataclass(frozen=True, slots=True)
class _Kind:
    """A kind of character a password can be required to hold."""

    message: str
    is_one: Callable[[str], bool]

    def found_in(self, password: str) -> bool:
        return any(self.is_one(char) for char in password)


UPPER = _Kind("Password should have at least one uppercase letter", lambda c: "A" <= c <= "Z")
LOWER = _Kind("Password should have at least one lowercase letter", lambda c: "a" <= c <= "z")
NUMBER = _Kind("Password should have at least one number", lambda c: "0" <= c <= "9")
SYMBOL = _Kind("Password should have at least one symbol", SYMBOLS.__contains__)
KINDS = (UPPER, LOWER, NUMBER, SYMBOL)


def _too_short(minimum: int) -> str:
    return f"Password should have a minimum length of {minimum}"


def violations(
    policy: PasswordPolicy | None, password: str, *, names: tuple[str, ...] = ()
) -> list[str]:
    """What ``password`` breaks, in AWS's words (empty: it is acceptable).

    ``names``: the user name and the account's email, which the default rules refuse as
    passwords (compared without case)."""
    if policy is None:
        return _default_violations(password, names)
    broken = []
    if len(password) < policy.minimum_password_length:
        broken.append(_too_short(policy.minimum_password_length))
    required = [
        (policy.require_uppercase_characters, UPPER),
        (policy.require_lowercase_characters, LOWER),
        (policy.require_numbers, NUMBER),
        (policy.require_symbols, SYMBOL),
    ]
    broken += [kind.message for needed, kind in required if needed and not kind.found_in(password)]
    return broken


def _default_violations(password: str, names: tuple[str, ...]) -> list[str]:
    broken = []
    if len(password) < DEFAULT_MINIMUM_LENGTH:
        broken.append(_too_short(DEFAULT_MINIMUM_LENGTH))
    missing = [kind for kind in KINDS if not kind.found_in(password)]
    short_by = DEFAULT_KINDS_REQUIRED - (len(KINDS) - len(missing))
    if short_by > 0:
        listed = ", ".join(kind.message for kind in missing)
        broken.append(f"Password should meet {short_by} more of the following requirements: "
                      f"{listed}")
    if any(name and password.lower() == name.lower() for name in names):
        broken.append("Password should not be identical to the user name or email address")
    return broken


def check_password(
    policy: PasswordPolicy | None, password: str, *, names: tuple[str, ...] = ()
) -> None:
    """Raises PasswordPolicyViolation naming every rule ``password`` breaks."""
    broken = violations(policy, password, names=names)
    if broken:
        raise errors.PasswordPolicyViolation("; ".join(broken))


def self_service_allowed(policy: PasswordPolicy | None) -> bool:
    """AllowUsersToChangePassword: every IAM user may call ChangePassword on itself and
    GetAccountPasswordPolicy, without a policy granting it."""
    return policy is not None and policy.allow_users_to_change_password


def authorize_self_service(
    call: Call, action: str, resource: str, policy: PasswordPolicy | None,
    extra: Mapping[str, ContextValue] | None = None,
) -> None:
    """Authorize ``action``; when the account lets users manage their own password, an IAM
    user is allowed unless a policy explicitly denies it (the account-level grant stands in
    for an identity-based Allow)."""
    if call.caller.user is None or not self_service_allowed(policy):
        authorize(call, action, resource, extra)
        return
    decision = decide(call, action, resource, extra)
    if decision.outcome is Outcome.EXPLICIT_DENY:
        raise errors.AccessDenied(denial_message(call.caller, action, resource, decision))


# -- the operations ------------------------------------------------------------------------
def update_account_password_policy(
    env: Env, call: Call, *, minimum_password_length: int | None = None,
    require_symbols: bool | None = None, require_numbers: bool | None = None,
    require_uppercase_characters: bool | None = None,
    require_lowercase_characters: bool | None = None,
    allow_users_to_change_password: bool | None = None, max_password_age: int | None = None,
    password_reuse_prevention: int | None = None, hard_expiry: bool | None = None,
) -> PasswordPolicy:
    """Set the whole policy: as AWS does, an option left out takes its default value (it does
    not keep the value it had). Ranges are the model's (ValidationError before this)."""
    policy = PasswordPolicy(
        call.account_id, call.account_id,
        minimum_password_length=minimum_password_length or 6,
        require_symbols=bool(require_symbols),
        require_numbers=bool(require_numbers),
        require_uppercase_characters=bool(require_uppercase_characters),
        require_lowercase_characters=bool(require_lowercase_characters),
        allow_users_to_change_password=bool(allow_users_to_change_password),
        max_password_age=max_password_age or None,
        password_reuse_prevention=password_reuse_prevention or None,
        hard_expiry=bool(hard_expiry),
    )
    # The version moves: AllowUsersToChangePassword changes what callers may do.
    with writing(env, call) as tx:
        authorize(call, "iam:UpdateAccountPasswordPolicy", ANY_RESOURCE)
        if password_policy(tx, call.account_id) is None:
            tx.add(policy)
        else:
            tx.replace(policy)
    return policy


def get_account_password_policy(env: Env, call: Call) -> PasswordPolicy:
    with reading(env) as tx:
        policy = password_policy(tx, call.account_id)
    authorize_self_service(call, "iam:GetAccountPasswordPolicy", ANY_RESOURCE, policy)
    if policy is None:
        raise no_policy(call.account_id)
    return policy


def delete_account_password_policy(env: Env, call: Call) -> None:
    with writing(env, call) as tx:
        authorize(call, "iam:DeleteAccountPasswordPolicy", ANY_RESOURCE)
        if password_policy(tx, call.account_id) is None:
            raise no_policy(call.account_id)
        tx.remove(PasswordPolicy, call.account_id)
