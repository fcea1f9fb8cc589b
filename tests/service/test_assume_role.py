"""AssumeRole as a use case: trust decisions within one account and across two, session
policies and tags, role chaining, source identity, MFA, and the sessions it issues."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

import pyotp
import pytest

from iamd.domain import errors
from iamd.domain.entities import Role
from iamd.policy import PolicySet, Principal, PrincipalType, compile_policies
from iamd.service import accounts, credentials
from iamd.service.authn import Authenticator
from iamd.service.authz import decide
from iamd.service.context import Call, Caller, Env, RequestInfo
from iamd.service.iam import access_keys, mfa, policies, roles, users
from iamd.service.sts import assume_role as sts
from iamd.service.sts.authorization_messages import ENCODED_MARKER, decode_authorization_message
from iamd.service.sts.claims import SessionKind

from .conftest import ACCOUNT, Callers, FixedClock

OTHER = "210987654321"
ASSUME = "sts:AssumeRole"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(*actions: str, resource: str = "*", **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": list(actions), "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def trusts(principal: Any, *actions: str, **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow", "Principal": principal, "Action": list(actions or (ASSUME,)),
    }
    if condition:
        statement["Condition"] = condition
    return statement


def user_arn(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:user/{name}"


def role_arn(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


class World:
    """Two accounts (ACCOUNT from `callers`, and OTHER) and calls made as the server would."""

    def __init__(self, callers: Callers) -> None:
        self.env: Env = callers.env
        self.callers = callers
        self.authn: Authenticator = callers.authn
        self.other_root_key = accounts.create_account(self.env, account_id=OTHER).root_access_key_id
        self.tokens: dict[str, str] = {}  # session token by temporary key id

    def call(self, caller: Caller) -> Call:
        return Call(caller, RequestInfo(now=self.env.clock.now()))

    def root(self, account: str = ACCOUNT) -> Call:
        return self.callers.root() if account == ACCOUNT else self.key(self.other_root_key)

    def key(self, key_id: str) -> Call:
        credential = self.authn.credential(key_id)
        assert credential is not None
        return self.call(credential.caller)

    def user(self, name: str, *statements: dict[str, Any], account: str = ACCOUNT) -> Call:
        """A call by a new user with these identity statements (if any)."""
        root = self.root(account)
        users.create_user(self.env, root, name)
        if statements:
            users.put_user_policy(self.env, root, name, "own", document(*statements))
        return self.key(access_keys.create_access_key(self.env, root, name).key.id)

    def role(self, name: str, *trust: dict[str, Any], account: str = ACCOUNT,
             permissions: tuple[dict[str, Any], ...] = (allow("iam:ListUsers"),),
             max_session_duration: int | None = None) -> str:
        root = self.root(account)
        roles.create_role(self.env, root, name, document(*trust),
                          max_session_duration=max_session_duration)
        if permissions:
            roles.put_role_policy(self.env, root, name, "permissions", document(*permissions))
        return role_arn(name, account)

    def assume(self, call: Call, arn: str, session: str = "work", **options: Any
               ) -> sts.AssumedRole:
        return sts.assume_role(self.env, call, sts.AssumeRoleRequest(arn, session, **options))

    def session(self, assumed: sts.AssumedRole) -> Call:
        """A call made with the session's credentials, read back from its token."""
        issued = assumed.credentials
        credential = self.authn.temporary(issued.access_key_id, issued.session_token)
        assert credential.secret_access_key == issued.secret_access_key
        self.tokens[issued.access_key_id] = issued.session_token
        return self.call(credential.caller)

    def refresh(self, call: Call) -> Call:
        """The same caller with its current policies (as its next request would see them)."""
        claims = call.caller.claims
        if claims is None:
            return self.key(call.caller.access_key_id)
        token = self.tokens[claims.access_key_id]
        return self.call(self.authn.temporary(claims.access_key_id, token).caller)


def allowed(call: Call, action: str, resource: str = "*") -> bool:
    return decide(call, action, resource).allowed


def stated(message: str) -> str:
    """The message without its encoded authorization failure message, if it has one."""
    return message.split(ENCODED_MARKER)[0]


def denial(call: Call, arn: str, action: str = ASSUME) -> str:
    return f"User: {call.caller.arn} is not authorized to perform: {action} on resource: {arn}"


@pytest.fixture
def world(callers: Callers) -> World:
    return World(callers)


def advance(env: Env, seconds: int) -> None:
    clock = env.clock
    assert isinstance(clock, FixedClock)
    clock.moment += timedelta(seconds=seconds)


# -- same account ----------------------------------------------------------------------------
def test_a_user_the_trust_policy_names_gets_a_session_of_the_role(world: World) -> None:
    alice = world.user("alice")
    arn = world.role("reader", trusts({"AWS": user_arn("alice")}))
    assumed = world.assume(alice, arn, "alice-session")

    with world.env.store.read() as tx:
        role = tx.get(Role, ACCOUNT, "reader")
    assert role is not None
    issued = assumed.credentials
    assert issued.access_key_id.startswith("ASIA")
    assert issued.expiration == world.env.clock.now() + timedelta(hours=1)
    assert assumed.arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/reader/alice-session"
    assert assumed.assumed_role_id == f"{role.id}:alice-session"
    assert role.id.startswith("AROA")
    assert assumed.packed_policy_size is None
    session = world.session(assumed)
    assert session.caller.arn == assumed.arn
    assert session.caller.context["aws:userid"] == f"{role.id}:alice-session"
    assert allowed(session, "iam:ListUsers")  # the role's permission
    assert not allowed(session, "iam:CreateUser")
    assert not allowed(alice, "iam:ListUsers")  # which alice never had


def test_a_trust_policy_naming_the_account_also_needs_the_callers_identity_allow(
    world: World,
) -> None:
    arn = world.role("ops", trusts({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    bob = world.user("bob")
    with pytest.raises(errors.AccessDenied) as denied:
        world.assume(bob, arn)
    assert stated(denied.value.message) == denial(bob, arn)
    carol = world.user("carol", allow(ASSUME, resource=arn))
    assert world.assume(carol, arn).arn.endswith("assumed-role/ops/work")


def test_an_identity_allow_without_trust_is_not_enough(world: World) -> None:
    arn = world.role("closed", trusts({"AWS": user_arn("someone-else")}))
    dave = world.user("dave", allow(ASSUME))
    with pytest.raises(errors.AccessDenied) as denied:
        world.assume(dave, arn)
    assert stated(denied.value.message) == denial(dave, arn)


def test_an_unknown_role_is_denied_in_the_same_words_as_an_untrusting_one(world: World) -> None:
    erin = world.user("erin", allow(ASSUME))
    for arn in (role_arn("missing"), role_arn("missing", OTHER), "arn:aws:iam::999999999999:role/x",
                f"arn:aws:iam::{ACCOUNT}:user/erin"):
        with pytest.raises(errors.AccessDenied) as denied:
            world.assume(erin, arn)
        assert stated(denied.value.message) == denial(erin, arn)


def test_the_role_arn_must_name_the_roles_path(world: World) -> None:
    root = world.root()
    roles.create_role(world.env, root, "deep", document(trusts({"AWS": user_arn("fay")})),
                      path="/team/")
    fay = world.user("fay")
    with pytest.raises(errors.AccessDenied):
        world.assume(fay, role_arn("deep"))
    assert world.assume(fay, role_arn("team/deep")).arn.endswith("assumed-role/deep/work")


def test_the_root_user_cannot_assume_roles(world: World) -> None:
    arn = world.role("any", trusts({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    with pytest.raises(errors.AccessDenied) as denied:
        world.assume(world.root(), arn)
    assert denied.value.message == "Roles may not be assumed by root accounts."


def test_a_wildcard_principal_with_a_session_name_condition(world: World) -> None:
    arn = world.role("named", trusts("*", StringLike={"sts:RoleSessionName": "ci-*"}))
    gil = world.user("gil")
    with pytest.raises(errors.AccessDenied):
        world.assume(gil, arn, "manual")
    assert world.assume(gil, arn, "ci-42").arn.endswith("/named/ci-42")


def test_a_service_principal_is_judged_by_the_trust_policy_alone(world: World) -> None:
    arn = world.role("lambda-exec", trusts({"Service": "lambda.amazonaws.com"}))
    other = world.role("ec2-only", trusts({"Service": "ec2.amazonaws.com"}))

    def service(name: str) -> Call:
        caller = Caller(
            ACCOUNT, Principal(PrincipalType.SERVICE, arn=name), None, "AKIASERVICEKEY000001",
            compile_policies(PolicySet()),
            {"aws:PrincipalIsAWSService": "true", "aws:PrincipalServiceName": name}, 0,
        )
        return world.call(caller)

    lambda_ = service("lambda.amazonaws.com")
    assert world.assume(lambda_, arn).arn.endswith("assumed-role/lambda-exec/work")
    with pytest.raises(errors.AccessDenied) as denied:
        world.assume(lambda_, other)
    assert stated(denied.value.message) == denial(lambda_, other)


# -- across accounts -------------------------------------------------------------------------
def test_cross_account_needs_the_trust_the_external_id_and_the_callers_own_allow(
    world: World,
) -> None:
    arn = world.role(
        "partner", trusts({"AWS": OTHER}, StringEquals={"sts:ExternalId": "shared-secret"}),
        permissions=(allow("iam:ListRoles"),),
    )
    allowed_user = world.user("hal", allow(ASSUME, resource=arn), account=OTHER)
    plain_user = world.user("ida", account=OTHER)

    for external_id in ("wrong-secret", None):
        with pytest.raises(errors.AccessDenied) as denied:
            world.assume(allowed_user, arn, external_id=external_id)
        assert stated(denied.value.message) == denial(allowed_user, arn)
    with pytest.raises(errors.AccessDenied):
        world.assume(plain_user, arn, external_id="shared-secret")

    session = world.session(world.assume(allowed_user, arn, external_id="shared-secret"))
    assert session.caller.account_id == ACCOUNT
    assert session.caller.arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/partner/work"
    assert allowed(session, "iam:ListRoles", role_arn("partner"))
    assert not allowed(session, "iam:ListUsers")  # the role's permissions and nothing more
    roles.list_roles(world.env, session)  # and acts in the role's account
    with pytest.raises(errors.AccessDenied):
        users.list_users(world.env, session)


def test_cross_account_a_trust_naming_the_user_still_needs_its_identity_allow(
    world: World,
) -> None:
    arn = world.role("direct", trusts({"AWS": user_arn("jan", OTHER)}))
    jan = world.user("jan", account=OTHER)
    with pytest.raises(errors.AccessDenied):
        world.assume(jan, arn)
    root = world.root(OTHER)
    users.put_user_policy(world.env, root, "jan", "own", document(allow(ASSUME)))
    assert world.assume(world.refresh(jan), arn).arn.startswith(f"arn:aws:sts::{ACCOUNT}:")


def test_an_explicit_deny_in_the_callers_policy_wins_over_the_trust(world: World) -> None:
    arn = world.role("denied", trusts({"AWS": user_arn("kim")}))
    kim = world.user("kim", {"Effect": "Deny", "Action": ASSUME, "Resource": arn})
    with pytest.raises(errors.AccessDenied):
        world.assume(kim, arn)


# -- input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"role_arn": "not-an-arn-but-long-enough"}, "not-an-arn-but-long-enough is invalid"),
        ({"session_name": "has space"},
         "1 validation error detected: Value 'has space' at 'roleSessionName' failed to satisfy "
         "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"),
        ({"session_name": "x"},
         "1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy "
         "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"),
        ({"duration_seconds": 899},
         "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy "
         "constraint: Member must have value greater than or equal to 900"),
        ({"duration_seconds": 43_201},
         "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy "
         "constraint: Member must have value less than or equal to 43200"),
        ({"duration_seconds": 7_200},
         "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."),
        ({"policy": json.dumps({"Statement": [allow("s3:*")], "Padding": "x" * 2_100})},
         "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member "
         "must have length less than or equal to 2048"),
        ({"provided_contexts": True},
         "ProvidedContexts is not supported: iamd has no trusted context providers."),
    ],
)
def test_bad_input_gets_awss_validation_error(
    world: World, options: dict[str, Any], message: str
) -> None:
    arn = world.role("target", trusts({"AWS": user_arn("lee")}))
    lee = world.user("lee")
    request = {"role_arn": arn, "session_name": "work", **options}
    with pytest.raises(errors.ValidationError) as refused:
        sts.assume_role(world.env, lee, sts.AssumeRoleRequest(**request))
    assert refused.value.message == message


def test_durations_within_the_roles_maximum_are_granted(world: World) -> None:
    arn = world.role("long", trusts({"AWS": user_arn("max")}), max_session_duration=43_200)
    mx = world.user("max")
    now = world.env.clock.now()
    for seconds in (900, 43_200):
        assumed = world.assume(mx, arn, duration_seconds=seconds)
        assert assumed.credentials.expiration == now + timedelta(seconds=seconds)


def test_session_credentials_expire(world: World) -> None:
    arn = world.role("short", trusts({"AWS": user_arn("ned")}))
    issued = world.assume(world.user("ned"), arn, duration_seconds=900).credentials
    advance(world.env, 899)
    world.authn.temporary(issued.access_key_id, issued.session_token)
    advance(world.env, 1)
    with pytest.raises(errors.ExpiredToken):
        world.authn.temporary(issued.access_key_id, issued.session_token)


def test_deleting_the_role_ends_its_sessions(world: World) -> None:
    arn = world.role("doomed", trusts({"AWS": user_arn("oli")}))
    issued = world.assume(world.user("oli"), arn).credentials
    root = world.root()
    roles.delete_role_policy(world.env, root, "doomed", "permissions")
    roles.delete_role(world.env, root, "doomed")
    with pytest.raises(errors.InvalidClientTokenId):
        world.authn.temporary(issued.access_key_id, issued.session_token)


def test_a_tampered_token_is_refused(world: World) -> None:
    arn = world.role("sealed", trusts({"AWS": user_arn("pam")}))
    issued = world.assume(world.user("pam"), arn).credentials
    token = issued.session_token
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    with pytest.raises(errors.InvalidClientTokenId):
        world.authn.temporary(issued.access_key_id, flipped)


def test_assuming_a_role_records_its_last_use_at_most_once_a_minute(world: World) -> None:
    arn = world.role("used", trusts({"AWS": user_arn("quin")}))
    quin = world.user("quin")
    first = world.env.clock.now()
    world.assume(quin, arn)
    advance(world.env, 30)
    world.assume(world.refresh(quin), arn)
    view = roles.get_role(world.env, world.root(), "used").role
    assert (view.last_used_date, view.last_used_region) == (first, "us-east-1")
    advance(world.env, 31)
    world.assume(world.refresh(quin), arn)
    assert roles.get_role(world.env, world.root(), "used").role.last_used_date == (
        world.env.clock.now()
    )


# -- session policies ------------------------------------------------------------------------
def test_a_session_policy_narrows_and_never_widens(world: World) -> None:
    arn = world.role("broad", trusts({"AWS": user_arn("ray")}),
                     permissions=(allow("iam:ListUsers", "iam:ListRoles"),))
    narrow = document(allow("iam:ListUsers", "iam:CreateUser", "s3:*"))
    assumed = world.assume(world.user("ray"), arn, policy=narrow)
    assert assumed.packed_policy_size is not None
    assert 0 < assumed.packed_policy_size <= 100
    session = world.session(assumed)
    assert allowed(session, "iam:ListUsers")
    assert not allowed(session, "iam:ListRoles")  # narrowed away
    assert not allowed(session, "iam:CreateUser")  # the role never had it
    assert not allowed(session, "s3:GetObject", "arn:aws:s3:::bucket/key")


def test_managed_session_policies_narrow_and_must_exist(world: World) -> None:
    arn = world.role("managed", trusts({"AWS": user_arn("sam")}),
                     permissions=(allow("iam:ListUsers", "iam:ListRoles"),))
    root = world.root()
    made = policies.create_policy(world.env, root, "only-roles", document(allow("iam:ListRoles")))
    sam = world.user("sam")
    session = world.session(world.assume(sam, arn, policy_arns=[made.policy.arn]))
    assert allowed(session, "iam:ListRoles")
    assert not allowed(session, "iam:ListUsers")
    aws_read_only = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    assert allowed(world.session(world.assume(sam, arn, policy_arns=[aws_read_only])),
                   "iam:ListUsers")
    for missing in (f"arn:aws:iam::{ACCOUNT}:policy/nothing", "arn:aws:iam::aws:policy/Nope",
                    f"arn:aws:iam::{OTHER}:policy/only-roles"):
        with pytest.raises(errors.MalformedPolicyDocument) as refused:
            world.assume(sam, arn, policy_arns=[missing])
        assert refused.value.message == f"Policy {missing} does not exist or is not attachable."


def test_invalid_and_oversized_session_policies_are_refused(world: World) -> None:
    arn = world.role("strict", trusts({"AWS": user_arn("tia")}))
    tia = world.user("tia")
    with pytest.raises(errors.MalformedPolicyDocument):
        world.assume(tia, arn, policy='{"Version":"2012-10-17","Statement":[{"Effect":"Maybe"}]}')
    # Under 2048 characters, but random resource names do not compress: too large packed.
    resources = [f"arn:aws:s3:::{secrets.token_urlsafe(30)}" for _ in range(30)]
    dense = document(allow("s3:GetObject", resource=resources))  # type: ignore[arg-type]
    assert len(dense) <= 2048
    with pytest.raises(errors.PackedPolicyTooLarge) as refused:
        world.assume(tia, arn, policy=dense)
    assert refused.value.message.startswith("Packed policy consumes ")
    assert refused.value.message.endswith("% of allotted space, please use smaller policy.")


# -- session tags ----------------------------------------------------------------------------
def test_session_tags_need_tag_session_and_become_principal_tags(world: World) -> None:
    plain = world.role("untagged", trusts({"AWS": user_arn("uma")}))
    tagged = world.role(
        "tagged", trusts({"AWS": user_arn("uma")}, ASSUME, "sts:TagSession",
                         StringEquals={"aws:RequestTag/team": ["blue", "red"]}),
        permissions=(
            allow("iam:ListUsers", StringEquals={"aws:PrincipalTag/team": "blue"}),
        ),
    )
    uma = world.user("uma")
    blue = [{"Key": "team", "Value": "blue"}]
    with pytest.raises(errors.AccessDenied) as denied:
        world.assume(uma, plain, tags=blue)
    assert stated(denied.value.message) == denial(uma, plain, "sts:TagSession")
    with pytest.raises(errors.AccessDenied):
        world.assume(uma, tagged, tags=[{"Key": "team", "Value": "green"}])
    blue_session = world.session(world.assume(uma, tagged, tags=blue))
    assert blue_session.caller.context["aws:PrincipalTag/team"] == "blue"
    assert allowed(blue_session, "iam:ListUsers")
    red_session = world.session(world.assume(uma, tagged, tags=[{"Key": "team", "Value": "red"}]))
    assert not allowed(red_session, "iam:ListUsers")


def test_session_tag_rules(world: World) -> None:
    arn = world.role("tags", trusts({"AWS": user_arn("val")}, ASSUME, "sts:TagSession"))
    val = world.user("val")
    with pytest.raises(errors.InvalidParameterValue) as duplicate:
        world.assume(val, arn, tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])
    assert duplicate.value.message == (
        "Duplicate tag keys found. Please note that Tag keys are case insensitive."
    )
    with pytest.raises(errors.InvalidParameterValue) as stray:
        world.assume(val, arn, tags=[{"Key": "a", "Value": "1"}], transitive_tag_keys=["b"])
    assert stray.value.message == (
        "The specified transitive tag key must be included in the requested tags."
    )
    huge = [{"Key": f"k{i}-{secrets.token_hex(40)}", "Value": secrets.token_hex(100)}
            for i in range(50)]
    with pytest.raises(errors.PackedPolicyTooLarge) as packed:
        world.assume(val, arn, tags=huge)
    assert packed.value.message.startswith("Packed size of session tags consumes ")


# -- role chaining ---------------------------------------------------------------------------
def chain(world: World) -> tuple[Call, str]:
    """A session of role ``first`` (assumed by ``wes`` with a transitive tag and a source
    identity), and role ``second`` that trusts ``first`` for everything chaining needs."""
    first = world.role(
        "first", trusts({"AWS": user_arn("wes")}, ASSUME, "sts:TagSession",
                        "sts:SetSourceIdentity"),
        permissions=(allow(ASSUME),),
    )
    second = world.role(
        "second", trusts({"AWS": first}, ASSUME, "sts:TagSession", "sts:SetSourceIdentity"),
        permissions=(allow("iam:ListUsers",
                           StringEquals={"aws:PrincipalTag/project": "apollo",
                                         "aws:SourceIdentity": "wes"}),),
    )
    assumed = world.assume(
        world.user("wes"), first, tags=[{"Key": "project", "Value": "apollo"},
                                        {"Key": "scratch", "Value": "x"}],
        transitive_tag_keys=["project"], source_identity="wes",
    )
    assert assumed.source_identity == "wes"
    return world.session(assumed), second


def test_a_role_session_assumes_a_role_that_trusts_its_role(world: World) -> None:
    session, second = chain(world)
    chained = world.assume(session, second, "hop")
    assert chained.source_identity == "wes"
    hop = world.session(chained)
    claims = hop.caller.claims
    assert claims is not None
    assert claims.kind is SessionKind.ROLE
    assert claims.chained
    assert hop.caller.context["aws:PrincipalTag/project"] == "apollo"  # transitive
    assert "aws:PrincipalTag/scratch" not in hop.caller.context  # not transitive
    assert hop.caller.context["aws:SourceIdentity"] == "wes"
    assert allowed(hop, "iam:ListUsers")


def test_role_chaining_is_limited_to_one_hour(world: World) -> None:
    session, second = chain(world)
    root = world.root()
    roles.update_role(world.env, root, "second", max_session_duration=7_200)
    with pytest.raises(errors.ValidationError) as refused:
        world.assume(world.refresh(session), second, duration_seconds=3_601)
    assert refused.value.message == (
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
        "role chaining."
    )


def test_chaining_keeps_transitive_tags_and_the_source_identity(world: World) -> None:
    session, second = chain(world)
    with pytest.raises(errors.InvalidParameterValue) as conflict:
        world.assume(session, second, tags=[{"Key": "Project", "Value": "gemini"}])
    assert conflict.value.message == (
        "One of the specified transitive tag keys can't be set because it conflicts with a "
        "transitive tag key from the calling session."
    )
    with pytest.raises(errors.AccessDenied) as changed:
        world.assume(session, second, source_identity="mallory")
    assert stated(changed.value.message) == denial(session, second, "sts:SetSourceIdentity")
    assert world.assume(session, second, source_identity="wes").source_identity == "wes"


def test_a_chained_role_must_allow_the_carried_source_identity(world: World) -> None:
    session, _second = chain(world)
    third = world.role("third", trusts({"AWS": role_arn("first")}, ASSUME, "sts:TagSession"))
    with pytest.raises(errors.AccessDenied) as denied:
        world.assume(session, third)
    assert stated(denied.value.message) == denial(session, third, "sts:SetSourceIdentity")


def test_setting_a_source_identity_needs_set_source_identity(world: World) -> None:
    arn = world.role("audited", trusts({"AWS": user_arn("xan")}))
    xan = world.user("xan")
    with pytest.raises(errors.AccessDenied) as denied:
        world.assume(xan, arn, source_identity="xan")
    assert stated(denied.value.message) == denial(xan, arn, "sts:SetSourceIdentity")


def test_a_trust_policy_may_name_an_assumed_role_session(world: World) -> None:
    first = world.role("origin", trusts({"AWS": user_arn("yul")}), permissions=(allow(ASSUME),))
    session = world.session(world.assume(world.user("yul"), first, "exact"))
    target = world.role("by-session", trusts(
        {"AWS": f"arn:aws:sts::{ACCOUNT}:assumed-role/origin/exact"}))
    assert world.assume(session, target).arn.endswith("assumed-role/by-session/work")


# -- MFA ---------------------------------------------------------------------------------------
def enable_device(world: World, user: str) -> tuple[str, str]:
    """An MFA device enabled for ``user``: its serial number and seed."""
    root = world.root()
    made = mfa.create_virtual_mfa_device(world.env, root, f"{user}-phone")
    step = credentials.current_step(world.env)
    totp = pyotp.TOTP(made.base32_seed)
    mfa.enable_mfa_device(world.env, root, user, made.device.serial_number,
                          totp.at((step - 1) * 30), totp.at(step * 30))
    return made.device.serial_number, made.base32_seed


def test_a_trust_policy_requiring_mfa_accepts_a_fresh_code_once(world: World) -> None:
    arn = world.role("guarded", trusts({"AWS": user_arn("zed")},
                                       Bool={"aws:MultiFactorAuthPresent": "true"}))
    zed = world.user("zed")
    serial, seed = enable_device(world, "zed")
    with pytest.raises(errors.AccessDenied) as without:
        world.assume(zed, arn)
    assert stated(without.value.message) == denial(zed, arn)

    code = pyotp.TOTP(seed).at((credentials.current_step(world.env) + 1) * 30)
    assumed = world.assume(zed, arn, serial_number=serial, token_code=code)
    claims = world.session(assumed).caller.claims
    assert claims is not None
    assert claims.mfa_authenticated == world.env.clock.now()

    with pytest.raises(errors.AccessDenied) as replayed:
        world.assume(zed, arn, serial_number=serial, token_code=code)
    assert replayed.value.message == (
        "MultiFactorAuthentication failed with invalid MFA one time pass code."
    )


def test_mfa_needs_both_values_and_the_callers_own_device(world: World) -> None:
    arn = world.role("mfa", trusts({"AWS": user_arn("abe")}))
    abe = world.user("abe")
    world.user("bea")
    other_serial, seed = enable_device(world, "bea")
    with pytest.raises(errors.AccessDenied) as half:
        world.assume(abe, arn, serial_number=other_serial)
    assert half.value.message == (
        "MultiFactorAuthentication failed, must provide both MFA serial number and one time "
        "pass code."
    )
    code = pyotp.TOTP(seed).at((credentials.current_step(world.env) + 1) * 30)
    with pytest.raises(errors.AccessDenied) as foreign:
        world.assume(abe, arn, serial_number=other_serial, token_code=code)
    assert foreign.value.message.startswith(
        "MultiFactorAuthentication failed, unable to validate MFA code."
    )


def test_a_denied_request_does_not_use_up_the_mfa_code(world: World) -> None:
    closed = world.role("no", trusts({"AWS": user_arn("someone")}))
    open_ = world.role("yes", trusts({"AWS": user_arn("cy")}))
    cy = world.user("cy")
    serial, seed = enable_device(world, "cy")
    code = pyotp.TOTP(seed).at((credentials.current_step(world.env) + 1) * 30)
    with pytest.raises(errors.AccessDenied):
        world.assume(cy, closed, serial_number=serial, token_code=code)
    assert world.assume(cy, open_, serial_number=serial, token_code=code).arn


def test_a_denial_within_the_account_carries_a_message_that_decodes(world: World) -> None:
    arn = world.role("locked", trusts({"AWS": user_arn("someone-else")}))
    bob = world.user("bob", allow(ASSUME, "sts:DecodeAuthorizationMessage"))
    with pytest.raises(errors.AccessDenied) as denied:
        world.assume(bob, arn)
    head, marker, encoded = denied.value.message.partition(ENCODED_MARKER)
    assert (head, marker) == (denial(bob, arn), ENCODED_MARKER)
    decoded = json.loads(decode_authorization_message(world.env, bob, encoded))
    assert decoded["allowed"] is False
    assert decoded["context"]["action"] == ASSUME
    assert decoded["context"]["resource"] == arn


def test_a_denial_across_accounts_carries_no_message(world: World) -> None:
    arn = world.role("theirs", trusts({"AWS": user_arn("someone-else")}), account=OTHER)
    bob = world.user("bob", allow(ASSUME))
    with pytest.raises(errors.AccessDenied) as denied:
        world.assume(bob, arn)
    assert denied.value.message == denial(bob, arn)
