"""GetSessionToken, GetFederationToken, GetAccessKeyInfo and DecodeAuthorizationMessage, as
use cases: real sealing and tokens, a fixed clock, TOTP codes computed with pyotp."""

from __future__ import annotations

import json
from datetime import timedelta

import pyotp
import pytest

from iamd.domain import errors
from iamd.domain.identifiers import account_of_key_id
from iamd.policy import Outcome
from iamd.service import accounts
from iamd.service.authz import decide, request_context
from iamd.service.context import Call, RequestInfo
from iamd.service.iam import access_keys, users
from iamd.service.sts import authorization_messages, identity, keys, sessions
from iamd.service.sts.authorization_messages import ENCODED_MARKER
from iamd.service.sts.claims import SessionKind
from iamd.service.sts.tokens import IssuedCredentials

from .conftest import ACCOUNT, NOW, Callers
from .test_mfa import advance, enabled_for, step_now

ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def allow(*actions: str, resource: str = "*") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": list(actions), "Resource": resource}]})


def deny(*actions: str, sid: str = "NoWay") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": sid, "Effect": "Deny", "Action": list(actions), "Resource": "*"}]})


def user_with(callers: Callers, name: str, *documents: str) -> Call:
    root = callers.root()
    callers.user(name)
    for index, document in enumerate(documents):
        users.put_user_policy(callers.env, root, name, f"p{index}", document)
    return callers.user(name)


def session_call(callers: Callers, issued: IssuedCredentials) -> Call:
    credential = callers.authn.temporary(issued.access_key_id, issued.session_token)
    assert credential.secret_access_key == issued.secret_access_key
    return Call(credential.caller, RequestInfo(now=callers.env.clock.now()))


def allowed(call: Call, action: str, resource: str = "*") -> bool:
    return decide(call, action, resource).outcome is Outcome.ALLOW


def code_now(seed: str, callers: Callers) -> str:
    return pyotp.TOTP(seed).at(step_now(callers.env) * 30)


# -- GetSessionToken ---------------------------------------------------------------------------
def test_session_token_acts_as_the_user_for_twelve_hours_by_default(callers: Callers) -> None:
    alice = user_with(callers, "alice", allow("iam:ListUsers"))
    issued = sessions.get_session_token(callers.env, alice)
    assert issued.access_key_id.startswith("ASIA")
    assert account_of_key_id(issued.access_key_id) == ACCOUNT
    assert len(issued.secret_access_key) == 40
    assert issued.expiration == NOW + timedelta(hours=12)
    session = session_call(callers, issued)
    assert session.caller.arn == alice.caller.arn
    assert session.caller.claims is not None
    assert session.caller.claims.kind is SessionKind.USER
    assert session.caller.claims.mfa_authenticated is None
    assert allowed(session, "iam:ListUsers")
    assert not allowed(session, "iam:CreateUser")
    context = request_context(session)
    assert context["aws:MultiFactorAuthPresent"] == "false"
    assert "aws:MultiFactorAuthAge" not in context
    who = identity.caller_identity(session)
    assert (who.arn, who.account_id, who.user_id) == (alice.caller.arn, ACCOUNT,
                                                      alice.caller.context["aws:userid"])


def test_durations_users_choose_and_roots_are_cut_to_an_hour(callers: Callers) -> None:
    env, alice, root = callers.env, user_with(callers, "alice"), callers.root()
    assert sessions.get_session_token(env, alice, 900).expiration == NOW + timedelta(seconds=900)
    assert sessions.get_session_token(env, alice, 129_600).expiration == NOW + timedelta(hours=36)
    assert sessions.get_session_token(env, root).expiration == NOW + timedelta(hours=1)
    assert sessions.get_session_token(env, root, 129_600).expiration == NOW + timedelta(hours=1)
    assert sessions.get_session_token(env, root, 1_800).expiration == NOW + timedelta(minutes=30)
    made = sessions.get_federation_token(env, root, "bob", ALLOW_ALL, duration_seconds=7_200)
    assert made.credentials.expiration == NOW + timedelta(hours=1)
    made = sessions.get_federation_token(env, root, "bob", ALLOW_ALL)
    assert made.credentials.expiration == NOW + timedelta(hours=1)
    assert session_call(callers, made.credentials).caller.arn == (
        f"arn:aws:sts::{ACCOUNT}:federated-user/bob")


def test_mfa_session_carries_mfa_and_each_code_works_once(callers: Callers) -> None:
    env = callers.env
    alice = user_with(callers, "alice", allow("iam:*"))
    seed = enabled_for(callers, "alice", "alice-phone")
    serial = f"arn:aws:iam::{ACCOUNT}:mfa/alice-phone"
    advance(env, 60)  # past the codes spent enabling the device
    alice = callers.user("alice")
    code = code_now(seed, callers)
    issued = sessions.get_session_token(env, alice, serial_number=serial, token_code=code)
    session = session_call(callers, issued)
    assert session.caller.claims is not None
    assert session.caller.claims.mfa_authenticated == env.clock.now()
    context = request_context(session)
    assert context["aws:MultiFactorAuthPresent"] == "true"
    assert context["aws:MultiFactorAuthAge"] == "0"

    with pytest.raises(errors.AccessDenied) as again:
        sessions.get_session_token(env, alice, serial_number=serial, token_code=code)
    assert again.value.message == (
        "MultiFactorAuthentication failed with invalid MFA one time pass code.")
    advance(env, 30)
    wrong = "000000" if code_now(seed, callers) != "000000" else "111111"
    with pytest.raises(errors.AccessDenied, match="invalid MFA one time pass code"):
        sessions.get_session_token(env, alice, serial_number=serial, token_code=wrong)
    for only_one in ({"serial_number": serial}, {"token_code": code_now(seed, callers)}):
        with pytest.raises(errors.AccessDenied) as raised:
            sessions.get_session_token(env, alice, **only_one)
        assert raised.value.message == ("MultiFactorAuthentication failed, must provide both "
                                        "MFA serial number and one time pass code.")
    # A wrong code spends nothing: the current one still works.
    sessions.get_session_token(env, alice, serial_number=serial, token_code=code_now(seed, callers))


def test_mfa_serial_must_be_an_enabled_device_of_the_caller(callers: Callers) -> None:
    env = callers.env
    alice, bob = user_with(callers, "alice"), user_with(callers, "bob")
    seed = enabled_for(callers, "alice", "alice-phone")
    serial = f"arn:aws:iam::{ACCOUNT}:mfa/alice-phone"
    advance(env, 60)
    unknown = ("MultiFactorAuthentication failed, unable to validate MFA code.  Please verify "
               "your MFA serial number is valid and associated with this user.")
    for caller, given in ((bob, serial), (alice, f"arn:aws:iam::{ACCOUNT}:mfa/other")):
        with pytest.raises(errors.AccessDenied) as raised:
            sessions.get_session_token(env, caller, serial_number=given,
                                       token_code=code_now(seed, callers))
        assert raised.value.message == unknown
    root = callers.root()
    root_seed = enabled_for(callers, None, "root-phone")
    advance(env, 60)
    issued = sessions.get_session_token(
        env, root, serial_number=f"arn:aws:iam::{ACCOUNT}:mfa/root-phone",
        token_code=code_now(root_seed, callers))
    session = session_call(callers, issued)
    assert session.caller.is_root
    assert request_context(session)["aws:MultiFactorAuthPresent"] == "true"


def test_only_long_term_keys_get_sessions(callers: Callers) -> None:
    env, alice = callers.env, user_with(callers, "alice", ALLOW_ALL)
    session = session_call(callers, sessions.get_session_token(env, alice))
    federated = session_call(
        callers, sessions.get_federation_token(env, alice, "fed", ALLOW_ALL).credentials)
    for caller in (session, federated):
        with pytest.raises(errors.AccessDenied) as raised:
            sessions.get_session_token(env, caller)
        assert raised.value.message == "Cannot call GetSessionToken with session credentials"
        with pytest.raises(errors.AccessDenied) as raised:
            sessions.get_federation_token(env, caller, "again", ALLOW_ALL)
        assert raised.value.message == "Cannot call GetFederationToken with session credentials"


def test_what_each_session_may_call(callers: Callers) -> None:
    env = callers.env
    alice = user_with(callers, "alice", ALLOW_ALL)
    seed = enabled_for(callers, "alice", "alice-phone")
    advance(env, 60)
    plain = session_call(callers, sessions.get_session_token(env, alice)).caller
    with_mfa = session_call(callers, sessions.get_session_token(
        env, alice, serial_number=f"arn:aws:iam::{ACCOUNT}:mfa/alice-phone",
        token_code=code_now(seed, callers))).caller
    federated = session_call(
        callers, sessions.get_federation_token(env, alice, "fed", ALLOW_ALL).credentials).caller

    for caller in (alice.caller, with_mfa):
        sessions.check_session_call(caller, "iam", "CreateUser")
    for caller in (plain, federated):
        with pytest.raises(errors.InvalidClientTokenId):
            sessions.check_session_call(caller, "iam", "ListUsers")
    for caller in (alice.caller, plain, with_mfa, federated):
        sessions.check_session_call(caller, "sts", "GetCallerIdentity")
    for caller in (plain, with_mfa):
        sessions.check_session_call(caller, "sts", "AssumeRole")
    for caller, operation in ((plain, "GetAccessKeyInfo"), (with_mfa, "DecodeAuthorizationMessage"),
                              (federated, "AssumeRole"), (with_mfa, "GetSessionToken")):
        with pytest.raises(errors.AccessDenied) as raised:
            sessions.check_session_call(caller, "sts", operation)
        assert raised.value.message == f"Cannot call {operation} with session credentials"
    sessions.check_session_call(alice.caller, "sts", "GetFederationToken")


def test_expired_tampered_and_borrowed_tokens_are_refused(callers: Callers) -> None:
    env, alice = callers.env, user_with(callers, "alice")
    issued = sessions.get_session_token(env, alice, 900)
    other = sessions.get_session_token(env, alice, 900)
    token = issued.session_token
    tampered = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
    with pytest.raises(errors.InvalidClientTokenId):
        callers.authn.temporary(issued.access_key_id, tampered)
    with pytest.raises(errors.InvalidClientTokenId):
        callers.authn.temporary(other.access_key_id, token)
    advance(env, 899)
    session_call(callers, issued)
    advance(env, 1)
    with pytest.raises(errors.ExpiredToken) as raised:
        callers.authn.temporary(issued.access_key_id, token)
    assert raised.value.message == "The security token included in the request is expired"


def test_deleting_the_user_ends_its_sessions(callers: Callers) -> None:
    env, alice = callers.env, user_with(callers, "alice", ALLOW_ALL)
    issued = sessions.get_session_token(env, alice)
    federated = sessions.get_federation_token(env, alice, "fed", ALLOW_ALL).credentials
    root = callers.root()
    for key in access_keys.list_access_keys(env, root, "alice").items:
        access_keys.delete_access_key(env, root, key.key.id, "alice")
    users.delete_user_policy(env, root, "alice", "p0")
    users.delete_user(env, root, "alice")
    for gone in (issued, federated):
        with pytest.raises(errors.InvalidClientTokenId):
            callers.authn.temporary(gone.access_key_id, gone.session_token)


# -- GetFederationToken ------------------------------------------------------------------------
def test_federation_is_the_users_permissions_narrowed_by_the_session_policies(
    callers: Callers,
) -> None:
    env = callers.env
    alice = user_with(callers, "alice", allow("iam:List*", "iam:GetUser", "sts:*"))
    made = sessions.get_federation_token(env, alice, "bob@example.com",
                                         allow("iam:ListUsers", "iam:CreateUser"))
    assert made.federated_user_id == f"{ACCOUNT}:bob@example.com"
    assert made.arn == f"arn:aws:sts::{ACCOUNT}:federated-user/bob@example.com"
    assert 0 < made.packed_policy_size <= 100
    fed = session_call(callers, made.credentials)
    assert fed.caller.arn == made.arn
    assert fed.caller.context["aws:userid"] == made.federated_user_id
    assert allowed(fed, "iam:ListUsers")
    assert not allowed(fed, "iam:ListRoles")  # the user may; the session policy does not
    assert not allowed(fed, "iam:CreateUser")  # the session policy may; the user does not
    who = identity.caller_identity(fed)
    assert (who.arn, who.user_id) == (made.arn, made.federated_user_id)

    bare = session_call(callers, sessions.get_federation_token(env, alice, "nobody").credentials)
    assert not allowed(bare, "iam:ListUsers")

    managed = sessions.get_federation_token(
        env, alice, "reader", policy_arns=["arn:aws:iam::aws:policy/IAMReadOnlyAccess"])
    reader = session_call(callers, managed.credentials)
    assert allowed(reader, "iam:ListUsers")
    assert allowed(reader, "iam:GetUser")
    assert not allowed(reader, "iam:CreateUser")


def test_federation_needs_permission_and_its_denial_is_encoded(callers: Callers) -> None:
    env = callers.env
    alice = user_with(callers, "alice", allow("iam:ListUsers"))
    with pytest.raises(errors.AccessDenied) as raised:
        sessions.get_federation_token(env, alice, "bob", ALLOW_ALL)
    arn = f"arn:aws:sts::{ACCOUNT}:federated-user/bob"
    head, encoded = raised.value.message.split(ENCODED_MARKER)
    assert head == (f"User: {alice.caller.arn} is not authorized to perform: "
                    f"sts:GetFederationToken on resource: {arn} because no identity-based "
                    "policy allows the sts:GetFederationToken action")

    reader = user_with(callers, "auditor", allow("sts:DecodeAuthorizationMessage"))
    decoded = json.loads(authorization_messages.decode_authorization_message(env, reader, encoded))
    assert decoded["allowed"] is False
    assert decoded["explicitDeny"] is False
    assert decoded["matchedStatements"] == {"items": []}
    assert decoded["failures"] == {"items": []}
    context = decoded["context"]
    assert context["principal"] == {"id": alice.caller.context["aws:userid"], "name": "alice",
                                    "arn": alice.caller.arn}
    assert (context["action"], context["resource"]) == ("sts:GetFederationToken", arn)
    conditions = {item["key"]: [v["value"] for v in item["values"]["items"]]
                  for item in context["conditions"]["items"]}
    assert conditions["aws:username"] == ["alice"]
    assert conditions["aws:PrincipalType"] == ["User"]

    with pytest.raises(errors.AccessDenied):  # alice may not decode
        authorization_messages.decode_authorization_message(env, alice, encoded)


def test_an_explicit_deny_names_its_statement(callers: Callers) -> None:
    env = callers.env
    alice = user_with(callers, "alice", ALLOW_ALL, deny("sts:GetFederationToken", sid="NoFed"))
    with pytest.raises(errors.AccessDenied) as raised:
        sessions.get_federation_token(env, alice, "bob", ALLOW_ALL)
    encoded = raised.value.message.split(ENCODED_MARKER)[1]
    decoded = json.loads(authorization_messages.decode_authorization_message(env, alice, encoded))
    assert decoded["explicitDeny"] is True
    [statement] = decoded["matchedStatements"]["items"]
    assert (statement["statementId"], statement["effect"]) == ("NoFed", "DENY")
    assert statement["policyName"] == "p1"


def test_decoding_refuses_foreign_and_broken_messages(callers: Callers) -> None:
    env = callers.env
    alice = user_with(callers, "alice", allow("sts:DecodeAuthorizationMessage"))
    with pytest.raises(errors.AccessDenied) as raised:
        sessions.get_federation_token(env, alice, "bob")
    encoded = raised.value.message.split(ENCODED_MARKER)[1]
    for broken in ("not base64 at all!", "AAAA", encoded[:-8] + "AAAAAAAA"):
        with pytest.raises(errors.InvalidAuthorizationMessage):
            authorization_messages.decode_authorization_message(env, alice, broken)
    other = accounts.create_account(env, account_id="210987654321")
    foreign = callers.call_for_key(other.root_access_key_id)
    with pytest.raises(errors.InvalidAuthorizationMessage):
        authorization_messages.decode_authorization_message(env, foreign, encoded)


def test_session_tags_need_tag_session_and_become_principal_tags(callers: Callers) -> None:
    env = callers.env
    tags = [{"Key": "team", "Value": "blue"}]
    alice = user_with(callers, "alice", allow("sts:GetFederationToken", "iam:*"))
    with pytest.raises(errors.AccessDenied, match="sts:TagSession"):
        sessions.get_federation_token(env, alice, "bob", ALLOW_ALL, tags=tags)
    alice = user_with(callers, "alice", allow("sts:GetFederationToken", "sts:TagSession"))
    fed = session_call(callers, sessions.get_federation_token(
        env, alice, "bob", ALLOW_ALL, tags=tags).credentials)
    assert fed.caller.context["aws:PrincipalTag/team"] == "blue"
    for bad in ([{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}],
                [{"Key": "aws:team", "Value": "x"}]):
        with pytest.raises(errors.InvalidParameterValue):
            sessions.get_federation_token(env, alice, "bob", ALLOW_ALL, tags=bad)


def test_a_federated_session_carries_the_users_tags_unless_a_session_tag_overrides(
    callers: Callers,
) -> None:
    env = callers.env
    alice = user_with(callers, "alice", allow("sts:GetFederationToken", "sts:TagSession"))
    users.tag_user(env, callers.root(), "alice", [{"Key": "team", "Value": "red"},
                                                  {"Key": "site", "Value": "lyon"}])
    plain = session_call(callers, sessions.get_federation_token(
        env, alice, "bob", ALLOW_ALL).credentials).caller.context
    assert (plain["aws:PrincipalTag/team"], plain["aws:PrincipalTag/site"]) == ("red", "lyon")
    tagged = session_call(callers, sessions.get_federation_token(
        env, alice, "bob", ALLOW_ALL, tags=[{"Key": "Team", "Value": "blue"}]).credentials
    ).caller.context
    assert tagged["aws:PrincipalTag/Team"] == "blue"
    assert "aws:PrincipalTag/team" not in tagged
    assert tagged["aws:PrincipalTag/site"] == "lyon"


def test_bad_session_policies_get_awss_errors(callers: Callers) -> None:
    env = callers.env
    alice = user_with(callers, "alice", ALLOW_ALL)
    for document in ("{not json", json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:ListUsers"}]})):
        with pytest.raises(errors.MalformedPolicyDocument):
            sessions.get_federation_token(env, alice, "bob", document)
    with pytest.raises(errors.MalformedPolicyDocument, match="Invalid policy ARN"):
        sessions.get_federation_token(env, alice, "bob", policy_arns=["not-an-arn"])
    many = [f"arn:aws:iam::{ACCOUNT}:policy/p{index}" for index in range(11)]
    with pytest.raises(errors.MalformedPolicyDocument, match="more than 10"):
        sessions.get_federation_token(env, alice, "bob", policy_arns=many)
    big_tags = [{"Key": f"k{index:03d}" + "x" * 120, "Value": "v" * 256} for index in range(50)]
    with pytest.raises(errors.PackedPolicyTooLarge) as raised:
        sessions.get_federation_token(env, alice, "bob", ALLOW_ALL, tags=big_tags)
    assert raised.value.message.startswith("Packed policy consumes ")
    assert raised.value.message.endswith("% of allotted space, please use smaller policy.")


# -- GetAccessKeyInfo --------------------------------------------------------------------------
def test_access_key_info_names_the_account_of_any_key(callers: Callers) -> None:
    env = callers.env
    alice = user_with(callers, "alice", allow("sts:GetAccessKeyInfo"))
    other = accounts.create_account(env, account_id="210987654321")
    session = sessions.get_session_token(env, alice)
    assert keys.get_access_key_info(env, alice, alice.caller.access_key_id) == ACCOUNT
    assert keys.get_access_key_info(env, alice, session.access_key_id) == ACCOUNT
    assert keys.get_access_key_info(env, alice, other.root_access_key_id) == "210987654321"
    foreign = callers.call_for_key(other.root_access_key_id)
    foreign_session = sessions.get_session_token(env, foreign)
    assert keys.get_access_key_info(env, alice, foreign_session.access_key_id) == "210987654321"
    unknown = "AKIAIOSFODNN7EXAMPLE"  # decoded as AWS does, whether or not the key exists
    assert keys.get_access_key_info(env, alice, unknown) == account_of_key_id(unknown)
    with pytest.raises(errors.ValidationError):
        keys.get_access_key_info(env, alice, "AKIA0000000000000000")
    bob = user_with(callers, "bob")
    with pytest.raises(errors.AccessDenied, match="sts:GetAccessKeyInfo"):
        keys.get_access_key_info(env, bob, session.access_key_id)
