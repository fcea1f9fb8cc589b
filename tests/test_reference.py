"""Sanity checks of the naive reference evaluator on the tricky rules (digest §8, decisions 0001).

The reference is the oracle of the differential test; these cases keep the oracle honest.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.reference import decide

A1 = "111111111111"
A2 = "222222222222"
ALICE = f"arn:aws:iam::{A1}:user/alice"
BOB = f"arn:aws:iam::{A2}:user/bob"
ROLE = f"arn:aws:iam::{A1}:role/admin"
SESSION = f"arn:aws:sts::{A1}:assumed-role/admin/s1"
FEDERATED = f"arn:aws:sts::{A1}:federated-user/carol"
OBJECT = "arn:aws:s3:::bucket/x"

USER = {"type": "user", "arn": ALICE}
ROLE_SESSION = {"type": "role-session", "arn": SESSION}
FEDERATED_SESSION = {"type": "federated", "arn": FEDERATED, "source_arn": ALICE}
ROOT = {"type": "root", "arn": f"arn:aws:iam::{A1}:root"}
ANONYMOUS = {"type": "anonymous"}
SERVICE = {"type": "service", "arn": "cloudtrail.amazonaws.com"}
IDP = {"type": "idp", "arn": "accounts.google.com"}


def stmt(effect: str = "Allow", action: Any = "*", resource: Any = "*", **extra: Any) -> dict:
    statement = {"Effect": effect, **extra}
    if action is not None:
        statement["Action"] = action
    if resource is not None:
        statement["Resource"] = resource
    return statement


def doc(*statements: dict, version: str | None = "2012-10-17") -> dict:
    document: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        document["Version"] = version
    return document


ALLOW_ALL = doc(stmt())


def line(principal: dict | None = None, action: str = "s3:GetObject", target: str = OBJECT,
         context: dict | None = None, resource_account: str | None = None,
         **policies: Any) -> dict:  # fmt: skip
    return {
        "principal": principal or USER,
        "action": action,
        "resource": target,
        "resource_account": resource_account,
        "context": context or {},
        "policies": policies,
    }


def when(condition: dict, effect: str = "Allow") -> dict:
    """A line whose only identity policy is one statement with ``condition``."""
    return doc(stmt(effect, Condition=condition))


def decision(request: dict) -> str:
    return decide(request)["decision"]


CASES = [
    # 1. NotAction + Resource "*" grants every other action; with an ARN only that resource.
    ("notaction-star-grants-other-services", "Allow",
     line(action="iam:CreateUser", target="*",
          identity=[doc(stmt(action=None, NotAction="s3:*"))])),
    ("notaction-arn-does-not-grant-star-resource", "ImplicitDeny",
     line(action="s3:ListAllMyBuckets", target="*",
          identity=[doc(stmt(action=None, NotAction="s3:DeleteBucket",
                             resource="arn:aws:s3:::*"))])),
    # 2. Only "*" matches the resource of a wildcard-only action.
    ("arn-pattern-never-matches-star-request", "ImplicitDeny",
     line(action="iam:ListUsers", target="*",
          identity=[doc(stmt(resource="arn:aws:*:*:*:*"))])),
    # 3. `*` crosses `/` in the resource field...
    ("resource-star-crosses-slash", "Allow",
     line(target="arn:aws:s3:::b/1///test///object.jpg",
          identity=[doc(stmt(resource="arn:aws:s3:::b/*/test/*"))])),
    ("resource-star-needs-the-literal-parts", "ImplicitDeny",
     line(target="arn:aws:s3:::b/1-test/object.jpg",
          identity=[doc(stmt(resource="arn:aws:s3:::b/*/test/*"))])),
    ("resource-star-does-not-cross-colon-in-account", "ImplicitDeny",
     line(action="iam:GetUser", target=f"arn:aws:iam::{A1}:user/alice",
          identity=[doc(stmt(resource="arn:aws:iam::*:1111:user/alice"))])),
    # ...but not `:` in ArnLike, while StringLike does.
    ("arnlike-star-stays-in-field", "ImplicitDeny",
     line(context={"aws:SourceArn": "arn:aws:iam::1:2:user/a"},
          identity=[when({"ArnLike": {"aws:SourceArn": "arn:aws:iam::*:user/a"}})])),
    ("stringlike-star-crosses-colon", "Allow",
     line(context={"aws:SourceArn": "arn:aws:iam::1:2:user/a"},
          identity=[when({"StringLike": {"aws:SourceArn": "arn:aws:iam::*:user/a"}})])),
    # 4. Negated operators: missing key is true; several values are NORed.
    ("negated-missing-key-denies", "ExplicitDeny",
     line(identity=[ALLOW_ALL,
                    when({"StringNotEquals": {"aws:PrincipalTag/team": "red"}}, "Deny")])),
    ("negated-values-nor", "ImplicitDeny",
     line(context={"aws:username": "a"},
          identity=[when({"StringNotEquals": {"aws:username": ["a", "b"]}})])),
    ("negated-values-nor-none-equal", "Allow",
     line(context={"aws:username": "c"},
          identity=[when({"StringNotEquals": {"aws:username": ["a", "b"]}})])),
    # 5. Set operators on absent keys and empty sets.
    ("forallvalues-missing-key-true", "Allow",
     line(identity=[when({"ForAllValues:StringEquals": {"aws:TagKeys": "a"}})])),
    ("foranyvalue-missing-key-false", "ImplicitDeny",
     line(identity=[when({"ForAnyValue:StringEquals": {"aws:TagKeys": "a"}})])),
    ("forallvalues-empty-set-true", "Allow",
     line(context={"aws:TagKeys": []},
          identity=[when({"ForAllValues:StringEquals": {"aws:TagKeys": "a"}})])),
    ("foranyvalue-empty-set-false", "ImplicitDeny",
     line(context={"aws:TagKeys": []},
          identity=[when({"ForAnyValue:StringEquals": {"aws:TagKeys": "a"}})])),
    ("forallvalues-one-outside", "ImplicitDeny",
     line(context={"aws:TagKeys": ["a", "b"]},
          identity=[when({"ForAllValues:StringEquals": {"aws:TagKeys": "a"}})])),
    ("foranyvalue-stringnotequals-some-other", "Allow",
     line(context={"aws:TagKeys": ["a", "z"]},
          identity=[when({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["a", "b"]}})])),
    ("set-operator-on-single-value", "Allow",
     line(context={"aws:username": "a"},
          identity=[when({"ForAnyValue:StringEquals": {"aws:username": "a"}})])),
    # 6. Null, IfExists.
    ("null-true-on-absent", "Allow",
     line(identity=[when({"Null": {"aws:SourceIp": "true"}})])),
    ("null-false-on-empty-list", "Allow",
     line(context={"aws:TagKeys": []}, identity=[when({"Null": {"aws:TagKeys": "false"}})])),
    ("ifexists-absent-true", "Allow",
     line(identity=[when({"StringEqualsIfExists": {"aws:username": "nobody"}})])),
    ("ifexists-present-evaluated", "ImplicitDeny",
     line(context={"aws:username": "alice"},
          identity=[when({"StringEqualsIfExists": {"aws:username": "nobody"}})])),
    # 7. Deny without MFA: BoolIfExists catches long-term keys, plain Bool does not.
    ("bool-false-misses-long-term-keys", "Allow",
     line(identity=[ALLOW_ALL,
                    when({"Bool": {"aws:MultiFactorAuthPresent": "false"}}, "Deny")])),
    ("boolifexists-false-catches-long-term-keys", "ExplicitDeny",
     line(identity=[ALLOW_ALL,
                    when({"BoolIfExists": {"aws:MultiFactorAuthPresent": False}}, "Deny")])),
    # 8. StringEquals treats `*` literally; ArnEquals does not.
    ("stringequals-star-literal", "ImplicitDeny",
     line(context={"aws:SourceArn": "arn:aws:s3:::b"},
          identity=[when({"StringEquals": {"aws:SourceArn": "arn:aws:s3:::*"}})])),
    ("arnequals-star-wildcard", "Allow",
     line(context={"aws:SourceArn": "arn:aws:s3:::b"},
          identity=[when({"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::*"}})])),
    # 9. Dates mix epoch and ISO; offsets matter.
    ("date-epoch-equals-iso", "Allow",
     line(context={"aws:CurrentTime": "2024-01-01T02:00:00+02:00"},
          identity=[when({"DateEquals": {"aws:CurrentTime": 1704067200}})])),
    ("date-offset-matters", "ImplicitDeny",
     line(context={"aws:CurrentTime": "2024-01-01T01:00:00-02:00"},
          identity=[when({"DateLessThan": {"aws:CurrentTime": "2024-01-01T02:00:00Z"}})])),
    ("date-unreadable-negated-true", "Allow",
     line(context={"aws:CurrentTime": "yesterday"},
          identity=[when({"DateNotEquals": {"aws:CurrentTime": "2024-01-01"}})])),
    # 10. Numbers compare numerically.
    ("numeric-decimal-equals-integer", "Allow",
     line(context={"s3:max-keys": "10.0"},
          identity=[when({"NumericEquals": {"s3:max-keys": 10}})])),
    ("numeric-not-string-compare", "Allow",
     line(context={"s3:max-keys": "10"},
          identity=[when({"NumericGreaterThan": {"s3:max-keys": "9"}})])),
    # 11. Variables.
    ("variable-2008-is-literal", "ImplicitDeny",
     line(context={"aws:username": "alice"},
          identity=[doc(stmt(resource="arn:aws:s3:::bucket/${aws:username}"),
                        version="2008-10-17")])),
    ("variable-2008-literal-text-matches-itself", "Allow",
     line(target="arn:aws:s3:::bucket/${aws:username}",
          identity=[doc(stmt(resource="arn:aws:s3:::bucket/${aws:username}"), version=None)])),
    ("variable-2012-substituted", "Allow",
     line(target="arn:aws:s3:::bucket/alice", context={"aws:username": "alice"},
          identity=[doc(stmt(resource="arn:aws:s3:::bucket/${aws:username}"))])),
    ("variable-missing-resource-matches-nothing", "ImplicitDeny",
     line(target="arn:aws:s3:::bucket/",
          identity=[doc(stmt(resource="arn:aws:s3:::bucket/${aws:username}"))])),
    ("variable-missing-notresource-excludes-nothing", "Allow",
     line(identity=[doc(stmt(resource=None, NotResource="arn:aws:s3:::bucket/${aws:username}"))])),
    ("variable-missing-negated-condition-matches", "Allow",
     line(identity=[when({"StringNotEquals": {"aws:username": "${aws:PrincipalTag/team}"}})])),
    ("variable-default", "Allow",
     line(target="arn:aws:s3:::bucket/none/x",
          identity=[doc(stmt(resource="arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'none'}/*"))])),
    ("variable-multivalued-uses-default", "Allow",
     line(target="arn:aws:s3:::bucket/none/x", context={"aws:PrincipalTag/team": ["a", "b"]},
          identity=[doc(stmt(resource="arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'none'}/*"))])),
    ("variable-key-case-insensitive", "Allow",
     line(target="arn:aws:s3:::bucket/alice", context={"AWS:UserName": "alice"},
          identity=[doc(stmt(resource="arn:aws:s3:::bucket/${aws:USERNAME}"))])),
    ("escape-star-is-literal", "ImplicitDeny",
     line(target="arn:aws:s3:::bucket/x",
          identity=[doc(stmt(resource="arn:aws:s3:::bucket/${*}"))])),
    ("escape-star-matches-star", "Allow",
     line(target="arn:aws:s3:::bucket/*",
          identity=[doc(stmt(resource="arn:aws:s3:::bucket/${*}"))])),
    ("substituted-text-is-not-a-wildcard", "ImplicitDeny",
     line(target="arn:aws:s3:::bucket/aXXb", context={"aws:username": "a*b"},
          identity=[doc(stmt(resource="arn:aws:s3:::bucket/${aws:username}"))])),
    ("variable-in-stringlike-keeps-policy-wildcards", "Allow",
     line(context={"aws:username": "alice", "s3:prefix": "home/alice/docs"},
          identity=[when({"StringLike": {"s3:prefix": "home/${aws:username}/*"}})])),
    # 12. Role ARN vs session ARN in a resource policy, with a boundary / session policy.
    ("role-arn-grant-limited-by-boundary", "ImplicitDeny",
     line(ROLE_SESSION, resource_account=A1, boundary=doc(stmt(action="iam:*")),
          resource=doc(stmt(Principal={"AWS": ROLE})))),
    ("session-arn-grant-not-limited-by-boundary", "Allow",
     line(ROLE_SESSION, resource_account=A1, boundary=doc(stmt(action="iam:*")),
          resource=doc(stmt(Principal={"AWS": SESSION})))),
    ("role-arn-grant-limited-by-session-policy", "ImplicitDeny",
     line(ROLE_SESSION, resource_account=A1, session=doc(stmt(action="iam:*")),
          resource=doc(stmt(Principal={"AWS": ROLE})))),
    ("role-arn-by-source-arn-with-path", "Allow",
     line({**ROLE_SESSION, "source_arn": f"arn:aws:iam::{A1}:role/ops/admin"},
          resource_account=A1,
          resource=doc(stmt(Principal={"AWS": f"arn:aws:iam::{A1}:role/ops/admin"})))),
    ("role-arn-by-name-ignores-path", "Allow",
     line(ROLE_SESSION, resource_account=A1,
          resource=doc(stmt(Principal={"AWS": f"arn:aws:iam::{A1}:role/ops/admin"})))),
    ("federated-via-user-needs-session-policy", "ImplicitDeny",
     line(FEDERATED_SESSION, resource_account=A1, resource=doc(stmt(Principal={"AWS": ALICE})))),
    ("federated-session-arn-direct", "Allow",
     line(FEDERATED_SESSION, resource_account=A1,
          resource=doc(stmt(Principal={"AWS": FEDERATED})))),
    # 13. A same-account user named in a resource policy needs nothing else; the account does.
    ("same-account-user-direct", "Allow",
     line(resource_account=A1, resource=doc(stmt(Principal={"AWS": ALICE})))),
    ("same-account-account-principal-needs-identity", "ImplicitDeny",
     line(resource_account=A1, resource=doc(stmt(Principal={"AWS": A1})))),
    ("same-account-root-arn-principal-plus-identity", "Allow",
     line(resource_account=A1, identity=[ALLOW_ALL],
          resource=doc(stmt(Principal={"AWS": f"arn:aws:iam::{A1}:root"})))),
    # 14. Trust and key policies must allow even within an account.
    ("trust-policy-required", "ImplicitDeny",
     line(action="sts:AssumeRole", target=ROLE, identity=[ALLOW_ALL])),
    ("trust-account-plus-identity", "Allow",
     line(action="sts:AssumeRole", target=ROLE, identity=[ALLOW_ALL],
          resource=doc(stmt(resource=None, Principal={"AWS": A1})))),
    ("trust-account-without-identity", "ImplicitDeny",
     line(action="sts:assumerole", target=ROLE,
          resource=doc(stmt(resource=None, Principal={"AWS": A1})))),
    ("kms-identity-alone-not-enough", "ImplicitDeny",
     line(action="kms:Decrypt", target=f"arn:aws:kms:us-east-1:{A1}:key/k",
          identity=[ALLOW_ALL])),
    # 15. Cross account needs both sides.
    ("cross-account-resource-only", "ImplicitDeny",
     line(resource_account=A2, resource=doc(stmt(Principal={"AWS": ALICE})))),
    ("cross-account-identity-only", "ImplicitDeny",
     line(resource_account=A2, identity=[ALLOW_ALL])),
    ("cross-account-both", "Allow",
     line(resource_account=A2, identity=[ALLOW_ALL], resource=doc(stmt(Principal={"AWS": A1})))),
    ("cross-account-boundary-blocks", "ImplicitDeny",
     line(resource_account=A2, identity=[ALLOW_ALL], boundary=doc(stmt(action="iam:*")),
          resource=doc(stmt(Principal={"AWS": ALICE})))),
    # 16. NotPrincipal.
    ("notprincipal-account-does-not-exempt-user", "ExplicitDeny",
     line(identity=[ALLOW_ALL],
          resource=doc(stmt("Deny", NotPrincipal={"AWS": A1})))),
    ("notprincipal-user-and-account-exempt", "Allow",
     line(identity=[ALLOW_ALL],
          resource=doc(stmt("Deny", NotPrincipal={"AWS": [ALICE, A1]})))),
    ("notprincipal-boundary-trap", "ExplicitDeny",
     line(identity=[ALLOW_ALL], boundary=ALLOW_ALL,
          resource=doc(stmt("Deny", NotPrincipal={"AWS": [ALICE, A1]})))),
    ("notprincipal-session-needs-role-too", "ExplicitDeny",
     line(ROLE_SESSION, identity=[ALLOW_ALL],
          resource=doc(stmt("Deny", NotPrincipal={"AWS": [SESSION, A1]})))),
    ("notprincipal-session-whole-chain", "Allow",
     line(ROLE_SESSION, identity=[ALLOW_ALL],
          resource=doc(stmt("Deny", NotPrincipal={"AWS": [SESSION, ROLE, A1]})))),
    ("notprincipal-anonymous-never-exempt", "ExplicitDeny",
     line(ANONYMOUS, resource=doc(stmt(Principal="*"),
                                  stmt("Deny", NotPrincipal={"AWS": [ALICE, A1]})))),
    ("notprincipal-star-exempts-everyone", "Allow",
     line(ANONYMOUS, resource=doc(stmt(Principal="*"),
                                  stmt("Deny", NotPrincipal={"AWS": "*"})))),
    ("notprincipal-star-boundary-trap", "ExplicitDeny",
     line(identity=[ALLOW_ALL], boundary=ALLOW_ALL,
          resource=doc(stmt("Deny", NotPrincipal={"AWS": "*"})))),
    # 17/18. Key names are case-insensitive, tag part included.
    ("key-case-insensitive-tag-part", "Allow",
     line(context={"aws:PrincipalTag/job-category": "iamuser-admin"},
          identity=[when({"StringEquals": {"AWS:principaltag/Job-Category": "iamuser-admin"}})])),
    ("value-case-sensitive", "ImplicitDeny",
     line(context={"aws:username": "Alice"},
          identity=[when({"StringEquals": {"aws:username": "alice"}})])),
    ("ignorecase-operator", "Allow",
     line(context={"aws:username": "Alice"},
          identity=[when({"StringEqualsIgnoreCase": {"aws:username": "alice"}})])),
    # 19. Actions are case-insensitive; resources and principal names are not.
    ("action-case-insensitive", "Allow",
     line(action="S3:getobject", identity=[doc(stmt(action="s3:GetOBJECT"))])),
    ("action-question-mark", "Allow",
     line(action="iam:GetUser", target="*", identity=[doc(stmt(action="iam:?etUser"))])),
    ("action-star-stays-in-service", "ImplicitDeny",
     line(action="sqs:GetQueueUrl", identity=[doc(stmt(action="s*:GetObject"))])),
    ("resource-case-sensitive", "ImplicitDeny",
     line(target="arn:aws:s3:::Bucket/x", identity=[doc(stmt(resource="arn:aws:s3:::bucket/*"))])),
    ("principal-user-case-sensitive", "ImplicitDeny",
     line(resource_account=A1,
          resource=doc(stmt(Principal={"AWS": f"arn:aws:iam::{A1}:user/Alice"})))),
    # 20. Empty Action / Resource arrays match nothing.
    ("empty-action-array", "ImplicitDeny", line(identity=[doc(stmt(action=[]))])),
    ("empty-resource-array", "ImplicitDeny", line(identity=[doc(stmt(resource=[]))])),
    # Decision 4: a plain operator on a list is false, negated and IfExists included.
    ("plain-operator-on-list-false", "ImplicitDeny",
     line(context={"aws:username": ["alice"]},
          identity=[when({"StringEquals": {"aws:username": "alice"}})])),
    ("plain-negated-on-list-false", "ImplicitDeny",
     line(context={"aws:username": ["x"]},
          identity=[when({"StringNotEqualsIfExists": {"aws:username": "alice"}})])),
    # IP and binary operators.
    ("ip-cidr", "Allow",
     line(context={"aws:SourceIp": "10.1.2.3"},
          identity=[when({"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "10.0.0.0/8"]}})])),
    ("ip-other-version", "ImplicitDeny",
     line(context={"aws:SourceIp": "2001:db8::1"},
          identity=[when({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})])),
    ("ipv6-hex-case", "Allow",
     line(context={"aws:SourceIp": "2001:DB8::1"},
          identity=[when({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}})])),
    ("notipaddress-unreadable-true", "Allow",
     line(context={"aws:SourceIp": "not-an-ip"},
          identity=[when({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}})])),
    ("binary-equals", "Allow",
     line(context={"iamd:blob": "aGVsbG8="},
          identity=[when({"BinaryEquals": {"iamd:Blob": "aGVsbG8="}})])),
    # SCPs and RCPs.
    ("scp-level-without-allow", "ImplicitDeny",
     line(identity=[ALLOW_ALL], scp_levels=[[ALLOW_ALL], [doc(stmt(action="iam:*"))]])),
    ("scp-every-level-allows", "Allow",
     line(identity=[ALLOW_ALL], scp_levels=[[ALLOW_ALL], [doc(stmt(action="s3:*"))]])),
    ("scp-does-not-apply-to-service", "Allow",
     line(SERVICE, scp=[doc(stmt(action="iam:*"))],
          resource=doc(stmt(Principal={"Service": "cloudtrail.amazonaws.com"})))),
    ("scp-deny-ignored-for-service", "Allow",
     line(SERVICE, scp=[doc(stmt("Deny", action="s3:*"))],
          resource=doc(stmt(Principal={"Service": "cloudtrail.amazonaws.com"})))),
    ("identity-deny-ignored-for-anonymous", "Allow",
     line(ANONYMOUS, identity=[doc(stmt("Deny"))], boundary=doc(stmt("Deny")),
          resource=doc(stmt(Principal="*")))),
    ("rcp-without-deny-is-full-access", "Allow",
     line(identity=[ALLOW_ALL],
          rcp=[doc(stmt("Deny", action="iam:*", Principal="*"))])),
    ("rcp-deny-applies-to-anonymous", "ExplicitDeny",
     line(ANONYMOUS, resource=doc(stmt(Principal="*")),
          rcp_levels=[[], [doc(stmt("Deny", action="s3:*", Principal="*"))]])),
    # Special callers.
    ("root-own-account-needs-nothing", "Allow", line(ROOT, identity=[when({}, "Deny")])),
    ("root-cross-account-needs-resource", "ImplicitDeny", line(ROOT, resource_account=A2)),
    ("root-own-account-still-needs-the-key-policy", "ImplicitDeny",
     line(ROOT, action="kms:Decrypt")),
    ("root-own-account-key-policy-naming-the-account", "Allow",
     line(ROOT, action="kms:Decrypt", resource=doc(stmt(Principal={"AWS": A1})))),
    ("root-boundary-and-session-ignored", "Allow",
     line(ROOT, boundary=doc(stmt("Deny")), session=doc(stmt(action="iam:*")))),
    ("root-boundary-ignored-by-notprincipal-trap", "Allow",
     line(ROOT, boundary=ALLOW_ALL, resource=doc(stmt("Deny", NotPrincipal={"AWS": A1})))),
    ("root-cross-account-identity-ignored", "Allow",
     line(ROOT, resource_account=A2, identity=[doc(stmt("Deny"))],
          resource=doc(stmt(Principal={"AWS": f"arn:aws:iam::{A1}:root"})))),
    ("root-cross-account-account-grant", "Allow",
     line(ROOT, resource_account=A2, resource=doc(stmt(Principal={"AWS": A1})))),
    ("root-still-subject-to-scp", "ImplicitDeny",
     line(ROOT, scp=[doc(stmt(action="iam:*"))])),
    ("anonymous-only-star", "ImplicitDeny",
     line(ANONYMOUS, identity=[ALLOW_ALL], resource=doc(stmt(Principal={"AWS": A1})))),
    ("anonymous-star", "Allow", line(ANONYMOUS, resource=doc(stmt(Principal={"AWS": "*"})))),
    ("service-principal", "Allow",
     line(SERVICE, resource=doc(stmt(Principal={"Service": "cloudtrail.amazonaws.com"})))),
    ("idp-trust", "Allow",
     line(IDP, action="sts:AssumeRoleWithWebIdentity", target=ROLE,
          resource=doc(stmt(resource=None, Principal={"Federated": "accounts.google.com"})))),
    ("federated-without-session-policy", "ImplicitDeny",
     line(FEDERATED_SESSION, identity=[ALLOW_ALL])),
    ("federated-with-session-policy", "Allow",
     line(FEDERATED_SESSION, identity=[ALLOW_ALL], session=doc(stmt(action="s3:*")))),
    ("role-session-without-session-policy", "Allow", line(ROLE_SESSION, identity=[ALLOW_ALL])),
]  # fmt: skip


@pytest.mark.parametrize(
    ("expected", "request_line"),
    [pytest.param(expected, request_line, id=name) for name, expected, request_line in CASES],
)
def test_decision(expected: str, request_line: dict) -> None:
    assert decision(request_line) == expected


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 30
    assert len({name for name, _, _ in CASES}) == len(CASES)


def test_explicit_deny_lists_every_deny_in_order() -> None:
    deny = doc(stmt("Deny", Sid="No"))
    result = decide(
        line(identity=[ALLOW_ALL, deny], boundary=deny, scp_levels=[[ALLOW_ALL], [deny]],
             resource=doc(stmt(Principal="*"), {**stmt("Deny", Principal="*"), "Sid": "R"}))
    )  # fmt: skip
    assert result["decision"] == "ExplicitDeny"
    assert result["denied_by"] == "scp"
    assert [(m["policy"], m["index"], m["sid"]) for m in result["matched"]] == [
        ("scp_levels[1][0]", 0, "No"),
        ("resource", 1, "R"),
        ("identity[1]", 0, "No"),
        ("boundary", 0, "No"),
    ]
    assert {m["effect"] for m in result["matched"]} == {"Deny"}


def test_allow_lists_every_allow_in_order() -> None:
    single = {"Version": "2012-10-17", "Statement": {"Sid": "One", "Effect": "Allow",
                                                     "Action": "*", "Resource": "*"}}  # fmt: skip
    result = decide(
        line(identity=[single, doc(stmt(action="iam:*"), stmt())], scp=[ALLOW_ALL],
             rcp=[doc(stmt("Deny", action="iam:*", Principal="*"))])
    )  # fmt: skip
    assert result == {
        "decision": "Allow",
        "denied_by": None,
        "matched": [
            {"policy_type": "scp", "policy": "scp[0]", "sid": None, "index": 0, "effect": "Allow"},
            {"policy_type": "identity", "policy": "identity[0]", "sid": "One", "index": 0,
             "effect": "Allow"},
            {"policy_type": "identity", "policy": "identity[1]", "sid": None, "index": 1,
             "effect": "Allow"},
        ],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("request_line", "denied_by"),
    [
        pytest.param(line(), "identity", id="nothing-allows"),
        pytest.param(line(scp=[doc(stmt(action="iam:*"))]), "scp", id="scp"),
        pytest.param(line(SERVICE), "resource", id="service-caller"),
        pytest.param(line(resource_account=A2, identity=[ALLOW_ALL]), "resource",
                     id="cross-account-no-resource-policy"),
        pytest.param(line(action="kms:Decrypt", identity=[ALLOW_ALL]), "resource",
                     id="must-allow-no-resource-policy"),
        pytest.param(line(resource=doc(stmt(Principal={"AWS": A1}))), "identity",
                     id="account-grant-without-identity"),
        pytest.param(line(identity=[ALLOW_ALL], boundary=doc(stmt(action="iam:*"))), "boundary",
                     id="boundary"),
        pytest.param(line(ROLE_SESSION, identity=[ALLOW_ALL], session=doc(stmt(action="iam:*"))),
                     "session", id="session"),
        pytest.param(line(FEDERATED_SESSION, identity=[ALLOW_ALL]), "session",
                     id="federated-no-session-policy"),
        pytest.param(line(ROOT, resource_account=A2), "resource", id="root-cross-account"),
    ],
)  # fmt: skip
def test_implicit_deny_names_the_deciding_policy_type(request_line: dict, denied_by: str) -> None:
    result = decide(request_line)
    assert result["decision"] == "ImplicitDeny"
    assert result["denied_by"] == denied_by
