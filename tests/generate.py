"""Seeded generators of random request lines in the ``iamd policy check`` format.

Everything is drawn from small vocabularies (two accounts, a handful of principals, actions,
ARNs and context keys) so that actions, resources, principals and conditions collide often:
a random line is as likely to be allowed as denied, and denies come from every kind of policy.
Every document is valid for the kind it is parsed as (``iamd.cli.checkformat`` parses the
resource policy of ``sts:AssumeRole*`` as a trust policy).

    generator = LineGenerator(seed)
    line = generator.line()

Stdlib only and independent of iamd, like tests/reference.py.
"""

from __future__ import annotations

import random
from typing import Any

A1 = "111111111111"
A2 = "222222222222"
ACCOUNTS = (A1, A2)

SERVICE_PRINCIPALS = ("cloudtrail.amazonaws.com", "lambda.amazonaws.com")
PROVIDERS = ("accounts.google.com", f"arn:aws:iam::{A1}:saml-provider/corp")
USERS = ("alice", "dev/bob")  # name, or path/name
ROLES = (("admin", ""), ("app", "svc/"))  # (name, path)

ACTIONS = {
    "s3": ("GetObject", "PutObject", "DeleteObject", "ListBucket", "ListAllMyBuckets",
           "GetBucketPolicy"),
    "iam": ("GetUser", "CreateUser", "DeleteUser", "ListUsers", "TagUser", "PassRole"),
    "sts": ("AssumeRole", "TagSession", "GetCallerIdentity", "AssumeRoleWithWebIdentity",
            "AssumeRoleWithSAML", "GetFederationToken"),
    "kms": ("Decrypt", "Encrypt"),
}  # fmt: skip
TRUST_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML")
ACTION_PATTERNS = (
    "*", "s3:*", "s3:Get*", "S3:getobject", "s3:*Object", "iam:?etUser", "iam:*User", "iam:*",
    "sts:AssumeRole*", "sts:*", "kms:*", "kms:Decrypt", "s3:List*",
)  # fmt: skip
BROAD_ACTIONS = ("*", "s3:*", "iam:*", "sts:*", "kms:*", "s3:Get*", ["s3:*", "sts:*"])
# An SCP wildcard may only end the name.
SCP_ACTION_PATTERNS = ("*", "s3:*", "s3:Get*", "S3:getobject", "iam:*", "sts:*", "kms:*",
                       "sts:AssumeRole*", "iam:Get*")  # fmt: skip

RESOURCE_PATTERNS = (
    "*", "arn:aws:s3:::bucket/*", "arn:aws:s3:::*/x?y", "arn:aws:s3:::bucket", "arn:aws:s3:::*",
    "arn:aws:s3:::bucket/${aws:username}/*", "arn:aws:s3:::bucket/${aws:username}",
    "arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'none'}/*", "arn:aws:s3:::bucket/${*}",
    "arn:aws:s3:::bucket/a*", f"arn:aws:iam::{A1}:user/*", "arn:aws:iam::*:user/alice",
    "arn:aws:iam::22222222222?:role/*", "arn:aws:*:*:*:*", f"arn:aws:kms:*:{A1}:key/*",
    "arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::*:role/admin",
    "arn:aws:s3:::bucket/${$}{aws:username}", "arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'a*b'}",
)  # fmt: skip

# Context keys: how each is generated. Values are chosen to collide with condition values.
STRING_VALUES = ("alice", "bob", "Alice", "a*b", "red", "blue", "none", "home/alice/docs",
                 "home/bob/", "x")  # fmt: skip
TAG_KEYS = ("env", "team", "cost")
DATES = ("2024-01-01T00:00:00Z", "2024-06-01T12:00:00+02:00", "2023-12-31", "1704067200",
         "2024-06-01T10:00Z", "yesterday")  # fmt: skip
CONTEXT_VALUES: dict[str, tuple[Any, ...]] = {
    "aws:username": ("alice", "bob", "a*b", "Alice"),
    "aws:PrincipalTag/team": ("red", "blue", "none"),
    "aws:SourceIp": ("10.1.2.3", "192.0.2.7", "2001:db8::1", "2001:DB8::2", "not-an-ip"),
    "aws:CurrentTime": DATES,
    "aws:EpochTime": ("1704067200", 1704067200, "1717236000", "1717236000.5"),
    "aws:MultiFactorAuthPresent": (True, False, "true", "false"),
    "s3:max-keys": ("10", "10.0", "9", "100", "ten", 10),
    "aws:SourceArn": ("arn:aws:s3:::bucket", f"arn:aws:iam::{A1}:user/alice",
                      "arn:aws:iam::1:2:user/a", f"arn:aws:iam::{A2}:user/bob", "not-an-arn"),
    "s3:prefix": ("home/alice/docs", "home/bob/", "public/x", "home/a*b/x"),
    "iamd:Blob": ("aGVsbG8=", "d29ybGQ=", "%%%"),
    "aws:PrincipalAccount": ACCOUNTS,
}  # fmt: skip
MULTIVALUED_KEYS = {
    "aws:TagKeys": TAG_KEYS,
    "aws:CalledVia": ("cloudformation.amazonaws.com", "athena.amazonaws.com"),
}
ALL_KEYS = (*CONTEXT_VALUES, *MULTIVALUED_KEYS)

STRING_OPERATORS = ("StringEquals", "StringNotEquals", "StringEqualsIgnoreCase",
                    "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike")  # fmt: skip
NUMERIC_OPERATORS = (
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
)
DATE_OPERATORS = ("DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
                  "DateGreaterThan", "DateGreaterThanEquals")  # fmt: skip
ARN_OPERATORS = ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike")
OPERATOR_VALUES: dict[str, tuple[Any, ...]] = {
    "String": (*STRING_VALUES, "a*", "*", "home/${aws:username}/*", "${aws:username}",
               "${aws:PrincipalTag/team, 'none'}", "ALICE", "${*}", "a${?}b", "cloud*"),
    "Numeric": ("10", 10, "9.5", 100, "-1"),
    "Date": ("2024-01-01T00:00:00Z", 1704067200, "2024-01-01", "2024-06-01T10:00:00Z",
             "2024-06-01T12:00:00+02:00", "1717236000", "2024-06-01T10:00:00.5Z"),
    "Bool": (True, False, "true", "false"),
    "BinaryEquals": ("aGVsbG8=", "d29ybGQ="),
    "Ip": ("10.0.0.0/8", "192.0.2.0/24", "2001:db8::/32", "10.1.2.3", "2001:DB8::1"),
    "Arn": ("arn:aws:s3:::bucket", "arn:aws:s3:::*", f"arn:aws:iam::{A1}:user/*",
            "arn:aws:iam::*:user/a", f"arn:aws:iam::{A1}:user/${{aws:username}}",
            "arn:aws:*:*:*:*", "arn:aws:iam::*:user/*${?}",
            "arn:aws:iam::${aws:PrincipalAccount}:user/*"),
    "Null": ("true", "false", True, False),
}  # fmt: skip
# The natural operator families of each key (another family is picked now and then).
KEY_FAMILIES = {
    "aws:username": ("String",),
    "aws:PrincipalTag/team": ("String",),
    "aws:SourceIp": ("Ip",),
    "aws:CurrentTime": ("Date",),
    "aws:EpochTime": ("Date", "Numeric"),
    "aws:MultiFactorAuthPresent": ("Bool",),
    "s3:max-keys": ("Numeric",),
    "aws:SourceArn": ("Arn", "String"),
    "s3:prefix": ("String",),
    "iamd:Blob": ("BinaryEquals",),
    "aws:TagKeys": ("String",),
    "aws:CalledVia": ("String",),
    "aws:PrincipalAccount": ("String",),
}
FAMILY_OPERATORS = {
    "String": STRING_OPERATORS,
    "Numeric": NUMERIC_OPERATORS,
    "Date": DATE_OPERATORS,
    "Bool": ("Bool",),
    "BinaryEquals": ("BinaryEquals",),
    "Ip": ("IpAddress", "NotIpAddress"),
    "Arn": ARN_OPERATORS,
    "Null": ("Null",),
}
VARIABLE_FAMILIES = ("String", "Arn")

PRINCIPAL_TYPES = ("user",) * 3 + ("role-session",) * 3 + ("federated",) * 2 + (
    "root", "service", "anonymous", "idp")  # fmt: skip
ACCOUNT_TYPES = ("user", "role-session", "federated", "root")


def random_case(rng: random.Random, text: str) -> str:
    return "".join(char.upper() if rng.random() < 0.5 else char.lower() for char in text)


class LineGenerator:
    """Random request lines from one seed: the same seed gives the same lines."""

    def __init__(self, seed: int, *, deny_rate: float = 0.3) -> None:
        self.rng = random.Random(seed)
        self.deny_rate = deny_rate
        self.focus_action = "s3:GetObject"  # the action of the line being built

    def lines(self, count: int) -> list[dict[str, Any]]:
        return [self.line(number) for number in range(count)]

    # -- the request ---------------------------------------------------------------------------

    def line(self, number: int = 0) -> dict[str, Any]:
        rng = self.rng
        principal = self.principal()
        action = self.action(principal)
        self.focus_action = action
        line: dict[str, Any] = {
            "id": number,
            "principal": principal,
            "action": action,
            "resource": self.request_resource(action, principal),
            "context": self.context(),
        }
        if rng.random() < 0.6:
            own = principal.get("account") or self.account_of(principal)
            line["resource_account"] = own if rng.random() < 0.6 or own is None else (
                rng.choice(ACCOUNTS))  # fmt: skip
        line["policies"] = self.policies(principal, action)
        return line

    def account_of(self, principal: dict[str, Any]) -> str | None:
        arn = principal.get("arn") or ""
        fields = arn.split(":")
        return fields[4] if principal["type"] in ACCOUNT_TYPES and len(fields) > 4 else None

    def principal(self) -> dict[str, Any]:
        rng = self.rng
        kind = rng.choice(PRINCIPAL_TYPES)
        account = rng.choice(ACCOUNTS)
        principal: dict[str, Any] = {"type": kind}
        if kind == "user":
            principal["arn"] = f"arn:aws:iam::{account}:user/{rng.choice(USERS)}"
        elif kind == "role-session":
            name, path = rng.choice(ROLES)
            principal["arn"] = f"arn:aws:sts::{account}:assumed-role/{name}/{rng.choice('ab')}"
            if rng.random() < 0.5:
                principal["source_arn"] = f"arn:aws:iam::{account}:role/{path}{name}"
        elif kind == "federated":
            principal["arn"] = f"arn:aws:sts::{account}:federated-user/carol"
            if rng.random() < 0.6:
                principal["source_arn"] = f"arn:aws:iam::{account}:user/{rng.choice(USERS)}"
        elif kind == "root":
            principal["arn"] = f"arn:aws:iam::{account}:root"
        elif kind == "service":
            principal["arn"] = rng.choice(SERVICE_PRINCIPALS)
        elif kind == "idp":
            principal["arn"] = rng.choice(PROVIDERS)
        if kind in ACCOUNT_TYPES and rng.random() < 0.2:
            principal["account"] = account
        return principal

    def action(self, principal: dict[str, Any]) -> str:
        rng = self.rng
        if principal["type"] == "idp":
            action = rng.choice(TRUST_ACTIONS[1:])
        elif rng.random() < 0.12:
            action = rng.choice(TRUST_ACTIONS)
        else:
            service = rng.choice(("s3", "s3", "iam", "sts", "kms"))
            action = f"{service}:{rng.choice(ACTIONS[service])}"
        return random_case(rng, action) if rng.random() < 0.15 else action

    def request_resource(self, action: str, principal: dict[str, Any]) -> str:
        rng = self.rng
        account = self.account_of(principal) or rng.choice(ACCOUNTS)
        if rng.random() < 0.3:
            account = rng.choice(ACCOUNTS)
        name = action.split(":")[1].lower()
        natural: tuple[str, ...]
        if name in ("listallmybuckets", "listusers", "getcalleridentity", "getfederationtoken"):
            natural = ("*",)
        elif action.lower().startswith("s3:"):
            natural = ("arn:aws:s3:::bucket", "arn:aws:s3:::bucket/x", "arn:aws:s3:::bucket/a/xzy",
                       "arn:aws:s3:::other/xay", "arn:aws:s3:::bucket/alice",
                       "arn:aws:s3:::bucket/none/f", "arn:aws:s3:::bucket/red/x",
                       "arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/${aws:username}",
                       "arn:aws:s3:::bucket/a*b", "arn:aws:s3:::bucket/a:b/xzy")  # fmt: skip
        elif action.lower().startswith("iam:"):
            natural = (f"arn:aws:iam::{account}:user/alice", f"arn:aws:iam::{account}:user/bob",
                       f"arn:aws:iam::{account}:role/admin")  # fmt: skip
        elif action.lower().startswith("kms:"):
            natural = (f"arn:aws:kms:us-east-1:{account}:key/k1",)
        else:
            natural = (f"arn:aws:iam::{account}:role/admin", f"arn:aws:iam::{account}:role/svc/app")
        if rng.random() < 0.8:
            return rng.choice(natural)
        return rng.choice(("*", "arn:aws:s3:::bucket/x", f"arn:aws:iam::{account}:user/alice",
                           f"arn:aws:kms:us-east-1:{account}:key/k1", "not-an-arn"))  # fmt: skip

    def context(self) -> dict[str, Any]:
        rng = self.rng
        context: dict[str, Any] = {}
        for key, values in CONTEXT_VALUES.items():
            if rng.random() < 0.5:
                continue
            spelled = random_case(rng, key) if rng.random() < 0.2 else key
            if rng.random() < 0.08:  # a single-valued key given several values
                context[spelled] = [str(value) for value in rng.sample(values, rng.randint(0, 2))]
            else:
                context[spelled] = rng.choice(values)
        for key, values in MULTIVALUED_KEYS.items():
            if rng.random() < 0.4:
                continue
            spelled = random_case(rng, key) if rng.random() < 0.2 else key
            if rng.random() < 0.1:
                context[spelled] = rng.choice(values)
            else:
                context[spelled] = rng.sample(values, rng.randint(0, len(values)))
        return context

    # -- the policies --------------------------------------------------------------------------

    def policies(self, principal: dict[str, Any], action: str) -> dict[str, Any]:
        rng = self.rng
        kind = principal["type"]
        policies: dict[str, Any] = {}
        if kind in ("user", "role-session", "federated"):
            count = rng.choice((0, 1, 1, 1, 2, 2, 3))
            policies["identity"] = [self.document("identity") for _ in range(count)]
            if rng.random() < 0.25:
                policies["boundary"] = self.document("boundary")
        elif rng.random() < 0.2:  # ignored for every other caller (0001 §23, §24)
            policies["identity"] = [self.document("identity")]
            if rng.random() < 0.4:
                policies["boundary"] = self.document("boundary")
            if rng.random() < 0.3:
                policies["session"] = self.document("session")
        if (kind == "role-session" and rng.random() < 0.3) or (
            kind == "federated" and rng.random() < 0.6
        ):
            policies["session"] = self.document("session")
        if rng.random() < (0.85 if kind in ("service", "anonymous", "idp") else 0.6):
            trust = action.lower() in {name.lower() for name in TRUST_ACTIONS}
            policies["resource"] = self.document("trust" if trust else "resource", principal)
        if rng.random() < (0.25 if kind in ACCOUNT_TYPES else 0.1):
            self.organization_policies(policies, "scp")
        if rng.random() < 0.15:
            self.organization_policies(policies, "rcp", principal)
        return policies

    def organization_policies(self, policies: dict[str, Any], kind: str,
                              principal: dict[str, Any] | None = None) -> None:  # fmt: skip
        rng = self.rng
        if rng.random() < 0.5:
            policies[kind] = [self.document(kind, principal) for _ in range(rng.randint(1, 2))]
        else:
            fewest = 0 if kind == "rcp" else 1  # an RCP level may be empty (full access)
            policies[f"{kind}_levels"] = [
                [self.document(kind, principal) for _ in range(rng.randint(fewest, 2))]
                for _ in range(rng.randint(1, 3))
            ]

    def document(self, kind: str, principal: dict[str, Any] | None = None) -> dict[str, Any]:
        """A valid policy document of ``kind`` (identity, boundary, session, resource, trust,
        scp, rcp); resource policies name principals close to ``principal``."""
        rng = self.rng
        document: dict[str, Any] = {}
        roll = rng.random()
        if kind == "rcp" or roll < 0.7:
            document["Version"] = "2012-10-17"
        elif roll < 0.85:
            document["Version"] = "2008-10-17"
        if kind in ("resource", "trust") and rng.random() < 0.2:
            document["Id"] = "doc"
        statements = []
        if kind == "scp" and rng.random() < 0.7:
            statements.append({"Effect": "Allow", "Action": "*", "Resource": "*"})  # FullAWSAccess
        if kind == "rcp" and rng.random() < 0.2:
            statements.append({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})
        if kind not in ("scp", "rcp") and rng.random() < 0.5:
            statements.append(self.statement(kind, principal, effect="Allow", broad=True))
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            statements.append(self.statement(kind, principal))
        rng.shuffle(statements)
        for number, statement in enumerate(statements):
            if rng.random() < 0.3:
                statement["Sid"] = f"S{number}"
        if len(statements) == 1 and rng.random() < 0.3:
            document["Statement"] = statements[0]
        else:
            document["Statement"] = statements
        return document

    def statement(self, kind: str, principal: dict[str, Any] | None = None,
                  effect: str | None = None, *, broad: bool = False) -> dict[str, Any]:  # fmt: skip
        """A valid statement for a policy of ``kind``; ``effect`` None draws one.

        ``broad``: whole services on every resource, to the caller, usually unconditional.
        """
        rng = self.rng
        if effect is None:
            deny = kind == "rcp" or rng.random() < self.deny_rate
            effect = "Deny" if deny else "Allow"
        statement: dict[str, Any] = {"Effect": effect}
        if kind == "rcp":
            statement["Principal"] = "*"
        elif kind in ("resource", "trust") and broad and principal and rng.random() < 0.5:
            statement["Principal"] = self.own_principal_element(principal)
        elif kind == "trust":
            statement["Principal"] = self.principal_element(principal)
        elif kind == "resource":
            if effect == "Deny" and rng.random() < 0.25:
                statement["NotPrincipal"] = self.not_principal_element(principal)
            else:
                statement["Principal"] = self.principal_element(principal)

        if broad:
            service = self.focus_action.split(":")[0]
            statement["Action"] = rng.choice(
                (*BROAD_ACTIONS, f"{service}:*", f"{service}:*", self.focus_action)
            )
            if kind != "trust":
                statement["Resource"] = "*"
            if rng.random() < 0.2:
                statement["Condition"] = self.condition()
            return statement
        patterns = SCP_ACTION_PATTERNS if kind == "scp" else ACTION_PATTERNS
        action_key = "NotAction" if kind != "rcp" and rng.random() < 0.15 else "Action"
        statement[action_key] = self.some(patterns, allow_empty=action_key == "Action")
        if kind != "trust" and (kind != "resource" or rng.random() < 0.9):
            resource_key = "NotResource" if rng.random() < 0.15 else "Resource"
            statement[resource_key] = self.some(
                RESOURCE_PATTERNS, allow_empty=resource_key == "Resource"
            )
        if rng.random() < 0.4:
            statement["Condition"] = self.condition()
        return statement

    def some(self, choices: tuple[str, ...], *, allow_empty: bool) -> str | list[str]:
        rng = self.rng
        roll = rng.random()
        if allow_empty and roll < 0.02:
            return []
        if roll < 0.5:
            return rng.choice(choices)
        return rng.sample(choices, rng.randint(1, 3))

    def own_principal_element(self, principal: dict[str, Any]) -> Any:
        """A Principal naming ``principal`` itself (or everyone)."""
        kind = principal["type"]
        if kind == "anonymous":
            return "*"
        key = {"service": "Service", "idp": "Federated"}.get(kind, "AWS")
        return {key: principal["arn"]}

    def principal_element(self, principal: dict[str, Any] | None) -> Any:
        rng = self.rng
        roll = rng.random()
        if roll < 0.1:
            return "*"
        if roll < 0.15:
            return {"AWS": "*"}
        entries = [self.principal_entry(principal) for _ in range(rng.choice((1, 1, 1, 2)))]
        element: dict[str, list[str]] = {}
        for key, value in entries:
            if value not in element.setdefault(key, []):
                element[key].append(value)
        return {key: values[0] if len(values) == 1 and rng.random() < 0.5 else values
                for key, values in element.items()}  # fmt: skip

    def principal_entry(self, principal: dict[str, Any] | None) -> tuple[str, str]:
        """One ``(type, value)`` of a Principal, usually about ``principal`` or its account."""
        rng = self.rng
        own = self.account_of(principal) if principal else None
        account = own if own and rng.random() < 0.7 else rng.choice(ACCOUNTS)
        name, path = rng.choice(ROLES)
        options = [
            ("AWS", account),
            ("AWS", f"arn:aws:iam::{account}:root"),
            ("AWS", f"arn:aws:iam::{account}:user/{rng.choice(USERS)}"),
            ("AWS", f"arn:aws:iam::{account}:role/{name}"),
            ("AWS", f"arn:aws:iam::{account}:role/{path}{name}"),
            ("AWS", f"arn:aws:sts::{account}:assumed-role/{name}/{rng.choice('ab')}"),
            ("AWS", f"arn:aws:sts::{account}:federated-user/carol"),
            ("Service", rng.choice(SERVICE_PRINCIPALS)),
            ("Federated", rng.choice(PROVIDERS)),
            ("CanonicalUser", "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"),
        ]
        if principal and principal.get("arn") and rng.random() < 0.4:
            kind = principal["type"]
            key = {"service": "Service", "idp": "Federated"}.get(kind, "AWS")
            return key, principal.get("source_arn") or principal["arn"]
        return rng.choice(options)

    def not_principal_element(self, principal: dict[str, Any] | None) -> dict[str, Any]:
        """A NotPrincipal listing some of the links of ``principal``'s chain."""
        rng = self.rng
        if principal is None or principal["type"] in ("anonymous", "idp"):
            return {"AWS": f"arn:aws:iam::{rng.choice(ACCOUNTS)}:root"}
        if principal["type"] == "service":
            return {"Service": rng.choice(SERVICE_PRINCIPALS)}
        account = self.account_of(principal) or A1
        links = [principal["arn"], rng.choice((account, f"arn:aws:iam::{account}:root"))]
        if principal["type"] == "role-session":
            role = principal["arn"].split(":")[5].split("/")[1]
            links.append(principal.get("source_arn") or f"arn:aws:iam::{account}:role/{role}")
        if principal["type"] == "root":
            links = links[1:]
        if rng.random() < 0.05:
            return {"AWS": "*"}
        chosen = [link for link in links if rng.random() < 0.75] or links[:1]
        return {"AWS": chosen}

    def condition(self) -> dict[str, Any]:
        rng = self.rng
        block: dict[str, dict[str, Any]] = {}
        for _ in range(rng.choice((1, 1, 2))):
            key = rng.choice(ALL_KEYS)
            family = rng.choice(KEY_FAMILIES[key]) if rng.random() < 0.8 else rng.choice(
                tuple(FAMILY_OPERATORS))  # fmt: skip
            if rng.random() < 0.08:
                family = "Null"
            operator = rng.choice(FAMILY_OPERATORS[family])
            if family != "Null" and rng.random() < 0.2:
                operator += "IfExists"
            roll = rng.random()
            if roll < 0.15:
                operator = f"ForAllValues:{operator}"
            elif roll < 0.3:
                operator = f"ForAnyValue:{operator}"
            keys = block.setdefault(operator, {})
            if any(existing.lower() == key.lower() for existing in keys):
                continue
            spelled = random_case(rng, key) if rng.random() < 0.15 else key
            keys[spelled] = self.condition_values(family)
        return block

    def condition_values(self, family: str) -> Any:
        rng = self.rng
        pool = OPERATOR_VALUES[family]
        if family in ("Bool", "Null") or rng.random() < 0.6:
            return rng.choice(pool)
        return rng.sample(pool, rng.randint(1, 2))
