"""The operator's side of STS: service principals and their keys, revoking a role's sessions,
and console sessions exchanged for temporary credentials (`iamd login`)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from iamd.domain import errors
from iamd.domain.entities import ConsoleSession
from iamd.policy import PrincipalType
from iamd.service import operator, service_principals
from iamd.service.authz import authorize
from iamd.service.console_credentials import exchange_console_session
from iamd.service.context import Call, Env, RequestInfo
from iamd.service.iam import roles
from iamd.service.sts.claims import SessionClaims, SessionKind
from iamd.service.sts.tokens import issue

from .conftest import ACCOUNT, NOW, Callers, FixedClock

ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}]})
TRUST_LAMBDA = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
     "Action": "sts:AssumeRole"}]})


# -- service principals ------------------------------------------------------------------------
def test_a_registered_service_authenticates_as_its_service_principal(callers: Callers) -> None:
    env = callers.env
    made = service_principals.register_service(env, "Lambda.AmazonAWS.com")
    assert made.credential.service_name == "lambda.amazonaws.com"
    assert made.credential.id.startswith("AKIA")
    assert made.secret_access_key.encode() not in made.credential.sealed_secret

    found = callers.authn.credential(made.credential.id)
    assert found is not None
    assert found.secret_access_key == made.secret_access_key
    caller = found.caller
    assert caller.principal.type is PrincipalType.SERVICE
    assert caller.arn == "lambda.amazonaws.com"
    assert caller.account_id == ""
    assert caller.user is None
    assert not caller.is_root
    assert caller.context["aws:PrincipalIsAWSService"] == "true"
    assert caller.context["aws:PrincipalServiceName"] == "lambda.amazonaws.com"
    # No identity policy: even a wildcard action is refused.
    with pytest.raises(errors.AccessDenied):
        authorize(Call(caller, RequestInfo(now=NOW)), "iam:ListUsers", "*")


def test_services_are_listed_unique_and_deleted(callers: Callers) -> None:
    env = callers.env
    first = service_principals.register_service(env, "lambda.amazonaws.com")
    second = service_principals.register_service(env, "builder.example.internal")
    with pytest.raises(errors.EntityAlreadyExists):
        service_principals.register_service(env, "LAMBDA.amazonaws.com")
    listed = [(c.service_name, c.id) for c in service_principals.list_services(env)]
    assert sorted(listed) == sorted([("lambda.amazonaws.com", first.credential.id),
                                     ("builder.example.internal", second.credential.id)])

    service_principals.delete_service(env, "lambda.amazonaws.com")
    assert callers.authn.credential(first.credential.id) is None
    assert callers.authn.credential(second.credential.id) is not None
    with pytest.raises(errors.NoSuchEntity):
        service_principals.delete_service(env, "lambda.amazonaws.com")
    # Deleting an account leaves the global services alone.
    assert [c.service_name for c in service_principals.list_services(env)] == [
        "builder.example.internal"]


@pytest.mark.parametrize("name", [
    "lambda", "", "-bad.example.com", "bad-.example.com", "a..b", "under_score.example.com",
    "x" * 64 + ".example.com", ".".join(["abc"] * 70), "lambda.amazonaws.com/extra",
])
def test_malformed_service_names_are_refused(env: Env, name: str) -> None:
    with pytest.raises(errors.ValidationError):
        service_principals.register_service(env, name)


@pytest.mark.parametrize(("service", "operation", "allowed"), [
    ("sts", "AssumeRole", True),
    ("sts", "GetCallerIdentity", True),
    ("sts", "GetSessionToken", False),
    ("sts", "GetFederationToken", False),
    ("iam", "ListUsers", False),
    ("iam", "CreateUser", False),
])
def test_a_service_principal_may_only_assume_roles_and_ask_who_it_is(
    callers: Callers, service: str, operation: str, allowed: bool
) -> None:
    made = service_principals.register_service(callers.env, "lambda.amazonaws.com")
    found = callers.authn.credential(made.credential.id)
    assert found is not None
    if allowed:
        service_principals.check_service_call(found.caller, service, operation)
    else:
        with pytest.raises(errors.AccessDenied, match=f"{service}:{operation}"):
            service_principals.check_service_call(found.caller, service, operation)
    # Every other caller goes on to its policies.
    service_principals.check_service_call(callers.root().caller, "iam", "CreateUser")


# -- revoking a role's sessions ------------------------------------------------------------------
def role_session(callers: Callers, role_id: str, issued: datetime) -> Call:
    claims = SessionClaims(
        kind=SessionKind.ROLE, account_id=ACCOUNT, access_key_id="", secret_access_key="",
        issued=issued, expires=issued + timedelta(hours=1), principal_id=role_id,
        session_name="worker",
    )
    made = issue(callers.env, claims)
    credential = callers.authn.temporary(made.access_key_id, made.session_token)
    return Call(credential.caller, RequestInfo(now=callers.env.clock.now()))


def test_revoking_refuses_sessions_issued_until_the_cut_off(callers: Callers) -> None:
    env = callers.env
    role = roles.create_role(env, callers.root(), "worker", TRUST_LAMBDA)
    roles.put_role_policy(env, callers.root(), "worker", "all", ALLOW_ALL)
    role_id = role.role.id
    earlier = role_session(callers, role_id, NOW - timedelta(minutes=5))
    authorize(earlier, "iam:ListUsers", "*")

    cutoff = operator.revoke_role_sessions(env, ACCOUNT, "worker")
    assert cutoff == NOW + timedelta(seconds=1)
    document = json.loads(
        roles.get_role_policy(env, callers.root(), "worker", "AWSRevokeOlderSessions").document
    )
    assert document["Statement"] == [{
        "Effect": "Deny", "Action": ["*"], "Resource": ["*"],
        "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2026-11-28T12:00:01Z"}},
    }]
    for issued in (NOW - timedelta(minutes=5), NOW):  # before, and in the same second
        with pytest.raises(errors.AccessDenied, match="explicit deny"):
            authorize(role_session(callers, role_id, issued), "iam:ListUsers", "*")
    authorize(role_session(callers, role_id, NOW + timedelta(seconds=1)), "iam:ListUsers", "*")

    # Revoking again moves the cut-off (the one policy is replaced).
    clock = env.clock
    assert isinstance(clock, FixedClock)
    clock.moment = NOW + timedelta(minutes=1)
    operator.revoke_role_sessions(env, ACCOUNT, "worker")
    names = roles.list_role_policies(env, callers.root(), "worker").items
    assert sorted(names) == ["AWSRevokeOlderSessions", "all"]
    with pytest.raises(errors.AccessDenied):
        authorize(role_session(callers, role_id, NOW + timedelta(seconds=1)), "iam:ListUsers",
                  "*")


def test_revoking_an_unknown_role_or_account_is_no_such_entity(callers: Callers) -> None:
    with pytest.raises(errors.NoSuchEntity, match="role"):
        operator.revoke_role_sessions(callers.env, ACCOUNT, "missing")
    with pytest.raises(errors.NoSuchEntity, match="Account 999999999999"):
        operator.revoke_role_sessions(callers.env, "999999999999", "worker")


# -- console sessions to temporary credentials --------------------------------------------------
def console_session(user_id: str | None, **changes: object) -> ConsoleSession:
    session = ConsoleSession(ACCOUNT, "CS1", user_id, b"", NOW, NOW + timedelta(hours=12))
    return replace(session, **changes)


def test_a_console_session_becomes_get_session_token_credentials(callers: Callers) -> None:
    env = callers.env
    user = callers.user("alice").caller.user
    assert user is not None
    mfa = NOW - timedelta(minutes=2)
    issued = exchange_console_session(env, console_session(user.id, mfa_authenticated=mfa))
    assert issued.access_key_id.startswith("ASIA")
    assert issued.expiration == NOW + timedelta(hours=12)
    claims = issued.claims
    assert (claims.kind, claims.principal_id, claims.mfa_authenticated) == (
        SessionKind.USER, user.id, mfa)
    caller = callers.authn.temporary(issued.access_key_id, issued.session_token).caller
    assert caller.arn == user.arn
    assert caller.session is not None
    assert caller.session.mfa_authenticated == mfa

    longest = exchange_console_session(env, console_session(user.id), 129_600)
    assert longest.expiration == NOW + timedelta(hours=36)
    for requested in (None, 7_200):  # the root user's sessions are cut to an hour
        root = exchange_console_session(env, console_session(None), requested)
        assert root.expiration == NOW + timedelta(hours=1)
        assert root.claims.principal_id is None


@pytest.mark.parametrize(("user_id", "duration"), [
    ("AIDAEXAMPLE", 899), ("AIDAEXAMPLE", 129_601), (None, 129_601), (None, 899),
])
def test_durations_out_of_range_are_refused(env: Env, user_id: str | None,
                                            duration: int) -> None:
    with pytest.raises(errors.ValidationError, match="durationSeconds"):
        exchange_console_session(env, console_session(user_id), duration)


def test_a_password_change_only_session_gets_no_credentials(env: Env) -> None:
    with pytest.raises(errors.AccessDenied, match="change it first"):
        exchange_console_session(env, console_session("AIDAEXAMPLE", password_change_only=True))
