"""Policy-engine benchmark: iamd, the naive reference evaluator and moto on one seeded workload.

Run from the repository root (moto comes with the ``bench`` extra)::

    .venv/bin/python bench/engine.py            # the full workload, about a minute
    .venv/bin/python bench/engine.py --quick    # 10,000 requests, a smoke run

The workload: 1,000 IAM users, a pool of 500 managed policies of 1-20 statements (exact and
wildcard actions and ARNs, 15% Deny, 30% with one condition), 1-10 policies per user, and
100,000 requests. Every evaluator gets its own natural input, built before any timing:
iamd a compiled policy set and a `Request`, the reference a check-format line (documents as
dicts), moto its `IAMPolicy` objects and the (action, resource) pair.

Throughput is the median of ``--repeats`` tight loops over all requests (the reference and
moto, much slower, loop over the first 10,000); latency comes from a separate loop over every
request that times each call with ``time.perf_counter_ns`` (the timer's own cost is included,
nothing is subtracted; moto's loop stops at 10,000 too). Rates per CPU second of the process
are printed beside the wall-clock ones, since the machine may be shared. iamd must agree with
the reference on every request (outcome, matched statements, denied_by); the first
disagreement is printed as JSON and the script exits 1. The last line is the one-line summary.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "123456789012"
REGION = "us-east-1"

# ---------------------------------------------------------------------------------------
# Vocabulary: services, their actions, and the resources each action works on.
# An action's resource kind names a pool of ARNs below; "*" marks actions without
# resource-level permissions (list/describe), whose request resource is "*".

ACTIONS: dict[str, list[tuple[str, str]]] = {
    "s3": [
        ("GetObject", "object"), ("PutObject", "object"), ("DeleteObject", "object"),
        ("GetObjectAcl", "object"), ("PutObjectAcl", "object"),
        ("GetObjectTagging", "object"), ("ListBucket", "bucket"),
        ("GetBucketPolicy", "bucket"), ("PutBucketPolicy", "bucket"),
        ("GetBucketLocation", "bucket"), ("GetBucketVersioning", "bucket"),
        ("PutBucketTagging", "bucket"), ("CreateBucket", "bucket"),
        ("DeleteBucket", "bucket"), ("ListAllMyBuckets", "*"),
    ],
    "ec2": [
        ("DescribeInstances", "*"), ("DescribeVolumes", "*"), ("DescribeImages", "*"),
        ("DescribeSecurityGroups", "*"), ("DescribeSubnets", "*"), ("DescribeVpcs", "*"),
        ("RunInstances", "instance"), ("StartInstances", "instance"),
        ("StopInstances", "instance"), ("RebootInstances", "instance"),
        ("TerminateInstances", "instance"), ("CreateTags", "instance"),
        ("DeleteTags", "instance"), ("AttachVolume", "volume"), ("DetachVolume", "volume"),
    ],
    "iam": [
        ("GetUser", "user"), ("ListUsers", "*"), ("CreateUser", "user"),
        ("DeleteUser", "user"), ("UpdateUser", "user"), ("TagUser", "user"),
        ("CreateAccessKey", "user"), ("ListAccessKeys", "user"), ("GetRole", "role"),
        ("ListRoles", "*"), ("CreateRole", "role"), ("PassRole", "role"),
        ("AttachRolePolicy", "role"), ("GetPolicy", "policy"), ("ListPolicies", "*"),
    ],
    "dynamodb": [
        ("GetItem", "table"), ("PutItem", "table"), ("UpdateItem", "table"),
        ("DeleteItem", "table"), ("Query", "table"), ("Scan", "table"),
        ("BatchGetItem", "table"), ("BatchWriteItem", "table"), ("DescribeTable", "table"),
        ("CreateTable", "table"), ("DeleteTable", "table"), ("UpdateTable", "table"),
        ("ListTables", "*"), ("ListStreams", "*"), ("DescribeLimits", "*"),
    ],
    "sqs": [
        ("SendMessage", "queue"), ("SendMessageBatch", "queue"), ("ReceiveMessage", "queue"),
        ("DeleteMessage", "queue"), ("DeleteMessageBatch", "queue"),
        ("ChangeMessageVisibility", "queue"), ("GetQueueUrl", "queue"),
        ("GetQueueAttributes", "queue"), ("SetQueueAttributes", "queue"),
        ("CreateQueue", "queue"), ("DeleteQueue", "queue"), ("PurgeQueue", "queue"),
        ("TagQueue", "queue"), ("ListQueueTags", "queue"), ("ListQueues", "*"),
    ],
    "sns": [
        ("Publish", "topic"), ("Subscribe", "topic"), ("CreateTopic", "topic"),
        ("DeleteTopic", "topic"), ("GetTopicAttributes", "topic"),
        ("SetTopicAttributes", "topic"), ("ListSubscriptionsByTopic", "topic"),
        ("AddPermission", "topic"), ("RemovePermission", "topic"), ("TagResource", "topic"),
        ("ListTagsForResource", "topic"), ("ListTopics", "*"), ("ListSubscriptions", "*"),
        ("Unsubscribe", "*"), ("GetSubscriptionAttributes", "*"),
    ],
    "lambda": [
        ("InvokeFunction", "function"), ("GetFunction", "function"),
        ("CreateFunction", "function"), ("DeleteFunction", "function"),
        ("UpdateFunctionCode", "function"), ("UpdateFunctionConfiguration", "function"),
        ("GetFunctionConfiguration", "function"), ("PublishVersion", "function"),
        ("ListVersionsByFunction", "function"), ("AddPermission", "function"),
        ("RemovePermission", "function"), ("GetPolicy", "function"),
        ("TagResource", "function"), ("ListTags", "function"), ("ListFunctions", "*"),
    ],
    "kms": [
        ("Encrypt", "key"), ("Decrypt", "key"), ("GenerateDataKey", "key"),
        ("ReEncryptFrom", "key"), ("ReEncryptTo", "key"), ("DescribeKey", "key"),
        ("GetKeyPolicy", "key"), ("PutKeyPolicy", "key"), ("EnableKey", "key"),
        ("DisableKey", "key"), ("ScheduleKeyDeletion", "key"), ("TagResource", "key"),
        ("ListKeys", "*"), ("ListAliases", "*"), ("CreateKey", "*"),
    ],
    "logs": [
        ("CreateLogGroup", "log-group"), ("DeleteLogGroup", "log-group"),
        ("CreateLogStream", "log-group"), ("DescribeLogStreams", "log-group"),
        ("PutRetentionPolicy", "log-group"), ("FilterLogEvents", "log-group"),
        ("StartQuery", "log-group"), ("TagLogGroup", "log-group"),
        ("PutLogEvents", "log-stream"), ("GetLogEvents", "log-stream"),
        ("DeleteLogStream", "log-stream"), ("DescribeLogGroups", "*"),
        ("DescribeQueries", "*"), ("GetQueryResults", "*"), ("StopQuery", "*"),
    ],
    "cloudwatch": [
        ("PutMetricAlarm", "alarm"), ("DeleteAlarms", "alarm"),
        ("DescribeAlarmHistory", "alarm"), ("EnableAlarmActions", "alarm"),
        ("DisableAlarmActions", "alarm"), ("SetAlarmState", "alarm"),
        ("TagResource", "alarm"), ("ListTagsForResource", "alarm"),
        ("GetMetricData", "*"), ("GetMetricStatistics", "*"), ("PutMetricData", "*"),
        ("ListMetrics", "*"), ("DescribeAlarms", "*"), ("ListDashboards", "*"),
        ("GetDashboard", "*"),
    ],
}

POOL_SIZE = 24  # resources of each kind


def _resource_pools() -> dict[str, list[str]]:
    """The concrete ARNs requests name, by resource kind (deterministic, not seeded)."""
    n = range(POOL_SIZE)
    arn = f"{REGION}:{ACCOUNT}"
    prefixes = ("logs", "data", "reports")
    return {
        "object": [f"arn:aws:s3:::bucket-{i}/{prefixes[i % 3]}/part-{i * 7 % 5}.json" for i in n],
        "bucket": [f"arn:aws:s3:::bucket-{i}" for i in n],
        "instance": [f"arn:aws:ec2:{arn}:instance/i-{0x0ABC0000 + i:017x}" for i in n],
        "volume": [f"arn:aws:ec2:{arn}:volume/vol-{0x0DEF0000 + i:017x}" for i in n],
        "user": [f"arn:aws:iam::{ACCOUNT}:user/u{i}" for i in n],
        "role": [f"arn:aws:iam::{ACCOUNT}:role/app-{i}" for i in n],
        "policy": [f"arn:aws:iam::{ACCOUNT}:policy/pol-{i}" for i in n],
        "table": [f"arn:aws:dynamodb:{arn}:table/t{i}" for i in n],
        "queue": [f"arn:aws:sqs:{arn}:queue-{i}" for i in n],
        "topic": [f"arn:aws:sns:{arn}:topic-{i}" for i in n],
        "function": [f"arn:aws:lambda:{arn}:function:fn-{i}" for i in n],
        "key": [f"arn:aws:kms:{arn}:key/0000{i:04d}-1111-2222-3333-444455556666" for i in n],
        "log-group": [f"arn:aws:logs:{arn}:log-group:/app/svc-{i}" for i in n],
        "log-stream": [
            f"arn:aws:logs:{arn}:log-group:/app/svc-{i}:log-stream:s-{i % 4}" for i in n
        ],
        "alarm": [f"arn:aws:cloudwatch:{arn}:alarm:alarm-{i}" for i in n],
    }


def _wildcard_arns(kind: str, rng: random.Random) -> str:
    """A realistic wildcard ARN covering part (or all) of a resource kind."""
    digit = rng.randrange(1, 3)
    pick = rng.randrange(POOL_SIZE)
    arn = f"{REGION}:{ACCOUNT}"
    choices = {
        "object": [f"arn:aws:s3:::bucket-{pick}/*", f"arn:aws:s3:::bucket-{digit}*/logs/*",
                   "arn:aws:s3:::*/reports/*"],
        "bucket": [f"arn:aws:s3:::bucket-{digit}*", "arn:aws:s3:::bucket-*"],
        "instance": [f"arn:aws:ec2:{arn}:instance/*", f"arn:aws:ec2:*:{ACCOUNT}:instance/*"],
        "volume": [f"arn:aws:ec2:*:{ACCOUNT}:volume/*"],
        "user": [f"arn:aws:iam::{ACCOUNT}:user/*", f"arn:aws:iam::{ACCOUNT}:user/u{digit}*"],
        "role": [f"arn:aws:iam::{ACCOUNT}:role/app-*", f"arn:aws:iam::{ACCOUNT}:role/*"],
        "policy": [f"arn:aws:iam::{ACCOUNT}:policy/*"],
        "table": [f"arn:aws:dynamodb:{arn}:table/t{digit}*",
                  f"arn:aws:dynamodb:*:{ACCOUNT}:table/*"],
        "queue": [f"arn:aws:sqs:{arn}:queue-{digit}*", f"arn:aws:sqs:*:{ACCOUNT}:*"],
        "topic": [f"arn:aws:sns:{arn}:topic-*", f"arn:aws:sns:{arn}:topic-{digit}?"],
        "function": [f"arn:aws:lambda:{arn}:function:fn-{digit}*",
                     f"arn:aws:lambda:*:{ACCOUNT}:function:*"],
        "key": [f"arn:aws:kms:{arn}:key/*"],
        "log-group": [f"arn:aws:logs:{arn}:log-group:/app/*", f"arn:aws:logs:*:{ACCOUNT}:*"],
        "log-stream": [f"arn:aws:logs:{arn}:log-group:/app/svc-{pick}:log-stream:*"],
        "alarm": [f"arn:aws:cloudwatch:{arn}:alarm:alarm-{digit}*"],
    }
    return rng.choice(choices[kind])


TEAMS = ("platform", "data", "web", "security", "payments")
POLICY_CIDRS = (
    "10.0.0.0/8", "10.1.0.0/16", "192.168.0.0/16", "203.0.113.0/24", "198.51.100.0/24",
    "172.16.0.0/12",
)
# Request source networks; the last one is outside every policy CIDR.
SOURCE_NETWORKS = ("10.1.{}.{}", "10.200.{}.{}", "192.168.{}.{}", "203.0.113.{1}", "100.64.{}.{}")

# ---------------------------------------------------------------------------------------
# The workload


@dataclass(frozen=True, slots=True)
class User:
    arn: str
    name: str
    team: str
    policies: tuple[int, ...]  # indices into the pool


@dataclass(frozen=True, slots=True)
class Call:
    """One request of the workload, in plain data."""

    user: int
    action: str
    resource: str
    context: dict[str, str]


@dataclass(frozen=True, slots=True)
class Workload:
    seed: int
    pool: list[dict[str, Any]]  # policy documents
    pool_names: list[str]
    users: list[User]
    calls: list[Call]


def build_workload(seed: int, n_users: int, n_policies: int, n_requests: int) -> Workload:
    rng = random.Random(seed)
    resources = _resource_pools()
    pool = [_policy_document(rng, resources) for _ in range(n_policies)]
    pool_names = [f"arn:aws:iam::{ACCOUNT}:policy/bench-{i:03d}" for i in range(n_policies)]
    users = [
        User(
            arn=f"arn:aws:iam::{ACCOUNT}:user/u{i}",
            name=f"u{i}",
            team=rng.choice(TEAMS),
            policies=tuple(rng.sample(range(n_policies), rng.randint(1, min(10, n_policies)))),
        )
        for i in range(n_users)
    ]
    every_action = [(service, name, kind) for service, acts in ACTIONS.items()
                    for name, kind in acts]
    calls = []
    for _ in range(n_requests):
        user_index = rng.randrange(n_users)
        user = users[user_index]
        service, name, kind = rng.choice(every_action)
        resource = "*" if kind == "*" else rng.choice(resources[kind])
        network = rng.choice(SOURCE_NETWORKS)
        context = {
            "aws:PrincipalTag/team": user.team,
            "aws:SourceIp": network.format(rng.randrange(256), rng.randrange(1, 255)),
            "aws:username": user.name,
            "aws:PrincipalArn": user.arn,
            "aws:CurrentTime": f"2026-03-{rng.randint(1, 28):02d}T{rng.randrange(24):02d}:"
                               f"{rng.randrange(60):02d}:{rng.randrange(60):02d}Z",
        }
        if rng.random() < 0.5:
            context["aws:MultiFactorAuthPresent"] = rng.choice(("true", "false"))
        calls.append(Call(user_index, f"{service}:{name}", resource, context))
    return Workload(seed, pool, pool_names, users, calls)


MANAGED_POLICY_MAX_CHARS = 6144  # counted without white space


def _policy_document(rng: random.Random, resources: dict[str, list[str]]) -> dict[str, Any]:
    statements: list[dict[str, Any]] = []
    for index in range(rng.randint(1, 20)):
        statement = _statement(rng, resources, index)
        document = {"Version": "2012-10-17", "Statement": [*statements, statement]}
        if len(json.dumps(document, separators=(",", ":"))) > MANAGED_POLICY_MAX_CHARS:
            break
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}


def _statement(rng: random.Random, resources: dict[str, list[str]], index: int) -> dict[str, Any]:
    effect = "Deny" if rng.random() < 0.15 else "Allow"
    service = rng.choice(list(ACTIONS))
    service_actions = ACTIONS[service]
    actions: list[str] = []
    kinds: set[str] = set()
    for _ in range(rng.choice((1, 1, 2, 3, 4))):
        roll = rng.random()
        if roll < 0.01:
            actions.append("*")
            kinds.update(kind for _, kind in service_actions)
        elif roll < 0.15:
            actions.append(f"{service}:*")
            kinds.update(kind for _, kind in service_actions)
        elif roll < 0.40:
            verb = re.match(r"[A-Z][a-z]+", rng.choice(service_actions)[0])
            assert verb is not None
            actions.append(f"{service}:{verb.group()}*")
            kinds.update(kind for name, kind in service_actions if name.startswith(verb.group()))
        else:
            name, kind = rng.choice(service_actions)
            actions.append(f"{service}:{name}")
            kinds.add(kind)
    actions = list(dict.fromkeys(actions))
    arn_kinds = sorted(kinds - {"*"})
    patterns: list[str] = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        roll = rng.random()
        if roll < 0.25 or not arn_kinds:
            patterns.append("*")
        elif roll < 0.60:
            patterns.append(_wildcard_arns(rng.choice(arn_kinds), rng))
        else:
            patterns.append(rng.choice(resources[rng.choice(arn_kinds)]))
    patterns = list(dict.fromkeys(patterns))
    statement: dict[str, Any] = {}
    if rng.random() < 0.5:
        statement["Sid"] = f"Stmt{index}{service.capitalize()}"
    statement["Effect"] = effect
    statement["Action"] = actions[0] if len(actions) == 1 and rng.random() < 0.5 else actions
    statement["Resource"] = patterns[0] if len(patterns) == 1 and rng.random() < 0.5 else patterns
    if rng.random() < 0.30:
        statement["Condition"] = _condition(rng)
    return statement


def _condition(rng: random.Random) -> dict[str, Any]:
    kind = rng.randrange(3)
    if kind == 0:
        teams = rng.sample(TEAMS, rng.choice((1, 1, 2)))
        return {"StringEquals": {"aws:PrincipalTag/team": teams[0] if len(teams) == 1 else teams}}
    if kind == 1:
        cidrs = rng.sample(POLICY_CIDRS, rng.choice((1, 1, 2)))
        return {"IpAddress": {"aws:SourceIp": cidrs[0] if len(cidrs) == 1 else cidrs}}
    return {"Bool": {"aws:MultiFactorAuthPresent": "true" if rng.random() < 0.7 else "false"}}


# ---------------------------------------------------------------------------------------
# The evaluators: each one prepares (call, argument) pairs outside timing; a decision is
# normalised to the reference's answer shape {"decision", "matched", "denied_by"}.

Pairs = list[tuple[Callable[[Any], Any], Any]]


@dataclass
class Subject:
    name: str
    pairs: Pairs  # decided once each in the latency loop, which also gives the answers
    answer: Callable[[int, Any], Any]  # (request index, raw result) -> comparable answer
    setup_notes: list[str]
    timed: int | None = None  # the throughput loops use the first `timed` pairs (None: all)


def prepare_iamd(workload: Workload) -> Subject:
    from iamd.policy import (
        PolicySet,
        Principal,
        PrincipalType,
        Request,
        compile_policies,
        parse_policy,
    )

    started = time.perf_counter()
    pool = [
        parse_policy(document, "identity", name=name)
        for document, name in zip(workload.pool, workload.pool_names, strict=True)
    ]
    parsed = time.perf_counter()
    compiled = [
        compile_policies(PolicySet(identity=tuple(pool[i] for i in user.policies)))
        for user in workload.users
    ]
    done = time.perf_counter()
    principals = [Principal(type=PrincipalType.USER, arn=user.arn) for user in workload.users]
    pairs: Pairs = [
        (
            compiled[call.user].evaluate,
            Request(
                principal=principals[call.user],
                action=call.action,
                resource=call.resource,
                context=call.context,
            ),
        )
        for call in workload.calls
    ]
    # The reference names a principal's policies by position: identity[0], identity[1]...
    positions = [
        {workload.pool_names[p]: f"identity[{i}]" for i, p in enumerate(user.policies)}
        for user in workload.users
    ]

    def answer(index: int, decision: Any) -> dict[str, Any]:
        names = positions[workload.calls[index].user]
        matched = []
        for statement in decision.statements:
            entry = statement.to_dict()
            entry["policy"] = names.get(entry["policy"], entry["policy"])
            matched.append(entry)
        denied_by = decision.denied_by
        return {
            "decision": decision.outcome.value,
            "matched": matched,
            "denied_by": None if denied_by is None else denied_by.value,
        }

    notes = [
        f"parse {len(pool)} pool policies: {(parsed - started) * 1e3:.1f} ms",
        f"compile {len(compiled)} policy sets: {(done - parsed) * 1e3:.1f} ms "
        f"({(done - parsed) / len(compiled) * 1e6:.0f} us each)",
    ]
    return Subject("iamd", pairs, answer, notes)


def check_lines(workload: Workload) -> list[dict[str, Any]]:
    """The requests in the check format of `iamd policy check` (documents shared, as dicts)."""
    return [
        {
            "id": index,
            "principal": {"type": "user", "arn": workload.users[call.user].arn},
            "action": call.action,
            "resource": call.resource,
            "context": call.context,
            "policies": {
                "identity": [workload.pool[p] for p in workload.users[call.user].policies]
            },
        }
        for index, call in enumerate(workload.calls)
    ]


def prepare_reference(lines: list[dict[str, Any]], timed: int) -> Subject:
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from tests.reference import decide

    def answer(_index: int, result: dict[str, Any]) -> dict[str, Any]:
        return {key: result.get(key) for key in ("decision", "matched", "denied_by")}

    return Subject("reference", [(decide, line) for line in lines], answer, [], timed)


def prepare_moto(workload: Workload, limit: int) -> Subject:
    """moto's evaluator as its request authorization drives it.

    `IAMRequestBase.check_action_permitted` loads each of the caller's policies into an
    `IAMPolicy` and asks `is_action_permitted(action, resource)`: any DENIED denies, any
    PERMITTED allows. It passes no condition values, so every condition holds. Here the
    `IAMPolicy` objects are built once, and moto gets the concrete resource ARN (its own
    authorization mostly passes "*").
    """
    from moto.iam.access_control import IAMPolicy, PermissionResult

    denied, permitted = PermissionResult.DENIED, PermissionResult.PERMITTED
    pool = [IAMPolicy(json.dumps(document)) for document in workload.pool]

    def decider(policies: list[Any]) -> Callable[[tuple[str, str]], str]:
        def decide(action_resource: tuple[str, str]) -> str:
            action, resource = action_resource
            allowed = False
            for policy in policies:
                result = policy.is_action_permitted(action, resource)
                if result == denied:
                    return "ExplicitDeny"
                if result == permitted:
                    allowed = True
            return "Allow" if allowed else "ImplicitDeny"

        return decide

    deciders = [decider([pool[p] for p in user.policies]) for user in workload.users]
    pairs: Pairs = [
        (deciders[call.user], (call.action, call.resource)) for call in workload.calls[:limit]
    ]
    return Subject("moto", pairs, lambda _index, outcome: outcome, [])


# ---------------------------------------------------------------------------------------
# Timing


def measure_throughput(pairs: Pairs, repeats: int) -> tuple[list[float], list[float]]:
    """Decisions per second of ``repeats`` tight loops over every pair: wall clock, and CPU
    time of this process (which shows how much a busy machine took away)."""
    rates, cpu_rates = [], []
    for _ in range(repeats):
        gc.collect()
        cpu_started = time.process_time()
        started = time.perf_counter()
        for call, argument in pairs:
            call(argument)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        rates.append(len(pairs) / elapsed)
        cpu_rates.append(len(pairs) / cpu if cpu > 0 else math.inf)
    return rates, cpu_rates


def measure_latency(pairs: Pairs) -> tuple[list[Any], list[int]]:
    """Every result and the sorted per-call times in ns (timer cost included)."""
    results = []
    times = []
    clock = time.perf_counter_ns
    gc.collect()
    for call, argument in pairs:
        started = clock()
        result = call(argument)
        elapsed = clock() - started
        results.append(result)
        times.append(elapsed)
    times.sort()
    return results, times


def percentile_us(sorted_ns: Sequence[int], fraction: float) -> float:
    """Nearest-rank percentile, in microseconds."""
    rank = max(1, math.ceil(fraction * len(sorted_ns)))
    return sorted_ns[rank - 1] / 1000


@dataclass
class Measured:
    rates: list[float]
    cpu_rates: list[float]
    timed: int
    p50: float
    p99: float
    results: list[Any]

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)

    @property
    def cpu_rate(self) -> float:
        return statistics.median(self.cpu_rates)


def measure(subject: Subject, repeats: int) -> Measured:
    timed = subject.pairs[: subject.timed] if subject.timed is not None else subject.pairs
    rates, cpu_rates = measure_throughput(timed, repeats)
    results, times = measure_latency(subject.pairs)
    return Measured(
        rates, cpu_rates, len(timed), percentile_us(times, 0.50), percentile_us(times, 0.99),
        results,
    )


# ---------------------------------------------------------------------------------------
# Comparisons


def _glob(pattern: str, fields_bound: bool) -> re.Pattern[str]:
    """A glob as a regex; ``fields_bound``: ARN, where `*`/`?` stay within the first 5 fields."""
    if not fields_bound:
        body = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
        return re.compile(body, re.IGNORECASE)
    fields = pattern.split(":", 5)
    parts = []
    for position, field in enumerate(fields):
        any_run, one = (".*", ".") if position == 5 else ("[^:]*", "[^:]")
        parts.append(re.escape(field).replace(r"\*", any_run).replace(r"\?", one))
    return re.compile(":".join(parts))


def conditional_statements(workload: Workload) -> list[list[Any]]:
    """Per pool policy, the (action, resource) matchers of its statements with a Condition.

    A resource matcher is None for the pattern "*", the only one matching the resource "*".
    """
    matchers = []
    for document in workload.pool:
        found = []
        for statement in document["Statement"]:
            if "Condition" not in statement:
                continue
            actions = statement["Action"]
            resources = statement["Resource"]
            found.append((
                [_glob(a, False) for a in ([actions] if isinstance(actions, str) else actions)],
                [
                    None if r == "*" else _glob(r, True)
                    for r in ([resources] if isinstance(resources, str) else resources)
                ],
            ))
        matchers.append(found)
    return matchers


def involves_condition(workload: Workload, matchers: list[Any], call: Call) -> bool:
    """Does a statement with a Condition match the call's action and resource?"""
    for p in workload.users[call.user].policies:
        for actions, resources in matchers[p]:
            if not any(a.fullmatch(call.action) for a in actions):
                continue
            for resource in resources:
                if resource is None or (call.resource != "*" and resource.fullmatch(call.resource)):
                    return True
    return False


def compare_with_reference(
    subject: Subject, measured: Measured, reference: list[dict[str, Any]],
    lines: list[dict[str, Any]],
) -> int:
    """Count the requests where ``subject`` disagrees with the reference; show the first."""
    mismatches = 0
    for index, (raw, expected) in enumerate(zip(measured.results, reference, strict=False)):
        got = subject.answer(index, raw)
        if got == expected:
            continue
        mismatches += 1
        if mismatches == 1:
            print(f"\nMISMATCH {subject.name} vs reference on request {index}:")
            print(json.dumps(lines[index]))
            print(f"  {subject.name}:  {json.dumps(got)}")
            print(f"  reference: {json.dumps(expected)}")
    return mismatches


# ---------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--principals", type=int, default=1000)
    parser.add_argument("--policies", type=int, default=500)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--moto-requests", type=int, default=10_000,
                        help="moto is timed on the first N requests only (default 10,000)")
    parser.add_argument("--reference-requests", type=int, default=10_000,
                        help="the reference's throughput loops use the first N requests only "
                        "(default 10,000); it still decides every request once, for the check")
    parser.add_argument("--repeats", type=int, default=5, help="throughput loops per evaluator")
    parser.add_argument("--quick", action="store_true", help="10,000 requests, 3 repeats")
    parser.add_argument("--only", default="iamd,reference,moto",
                        help="comma-separated evaluators to run (default: all three)")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.repeats = 10_000, 3
    chosen = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = chosen - {"iamd", "reference", "moto"}
    if unknown:
        parser.error(f"unknown evaluator(s): {', '.join(sorted(unknown))}")

    started = time.perf_counter()
    workload = build_workload(args.seed, args.principals, args.policies, args.requests)
    statements = [s for document in workload.pool for s in document["Statement"]]
    print(f"python {sys.version.split()[0]} on {sys.platform}; seed {args.seed}")
    print(
        f"workload: {len(workload.users)} principals, {len(workload.pool)} policies "
        f"({len(statements)} statements: "
        f"{sum(s['Effect'] == 'Deny' for s in statements) / len(statements):.0%} Deny, "
        f"{sum('Condition' in s for s in statements) / len(statements):.0%} with a condition), "
        f"{statistics.mean(len(u.policies) for u in workload.users):.1f} policies per "
        f"principal, {len(workload.calls)} requests; built in "
        f"{time.perf_counter() - started:.1f} s"
    )

    lines = check_lines(workload)
    subjects: dict[str, Subject] = {}
    if "iamd" in chosen:
        subjects["iamd"] = prepare_iamd(workload)
    if "reference" in chosen:
        subjects["reference"] = prepare_reference(lines, args.reference_requests)
    if "moto" in chosen:
        subjects["moto"] = prepare_moto(workload, min(args.moto_requests, len(workload.calls)))
    gc.collect()
    gc.freeze()  # the workload is long-lived: keep it out of the collector's scans

    print(
        f"timing: throughput = median of {args.repeats} loops; latency = one more loop timing "
        "each call with perf_counter_ns (timer cost included, nothing subtracted); GC on"
    )
    measured: dict[str, Measured] = {}
    for name, subject in subjects.items():
        for note in subject.setup_notes:
            print(f"  {name}: {note}")
        measured[name] = result = measure(subject, args.repeats)
        runs = ", ".join(f"{rate:,.0f}" for rate in result.rates)
        print(
            f"  {name:<9} {result.rate:>9,.0f}/s  p50 {result.p50:6.1f} us  "
            f"p99 {result.p99:7.1f} us  (runs: {runs} on {result.timed:,} requests; "
            f"latency on {len(subject.pairs):,}; per CPU second {result.cpu_rate:,.0f}/s)"
        )
        share = result.rate / result.cpu_rate
        if share < 0.9:
            print(f"  WARNING: busy machine: {name} got {share:.0%} of a core while timed")

    status = 0
    reference_answers: list[dict[str, Any]] | None = None
    if "reference" in measured:
        reference_answers = [
            subjects["reference"].answer(i, raw)
            for i, raw in enumerate(measured["reference"].results)
        ]
        mix = Counter(answer["decision"] for answer in reference_answers)
        total = len(reference_answers)
        print("outcomes (reference): " + ", ".join(
            f"{outcome} {mix[outcome] / total:.1%}"
            for outcome in ("Allow", "ExplicitDeny", "ImplicitDeny")
        ))
    if "iamd" in measured and reference_answers is not None:
        mismatches = compare_with_reference(
            subjects["iamd"], measured["iamd"], reference_answers, lines
        )
        if mismatches:
            status = 1
            print(f"iamd DISAGREES with the reference on {mismatches:,} of "
                  f"{len(reference_answers):,} requests")
        else:
            print(f"iamd agrees with the reference on all {len(reference_answers):,} requests "
                  "(outcome, matched statements, denied_by)")
    elif "iamd" in measured:
        mix = Counter(decision.outcome.value for decision in measured["iamd"].results)
        total = len(measured["iamd"].results)
        print("outcomes (iamd, unchecked): " + ", ".join(
            f"{outcome} {mix[outcome] / total:.1%}"
            for outcome in ("Allow", "ExplicitDeny", "ImplicitDeny")
        ))
    if "moto" in measured and reference_answers is not None:
        report_moto(workload, measured["moto"].results, reference_answers)
    elif "moto" in measured:
        mix = Counter(measured["moto"].results)
        print("outcomes (moto, unchecked): " + ", ".join(
            f"{outcome} {mix[outcome] / len(measured['moto'].results):.1%}"
            for outcome in ("Allow", "ExplicitDeny", "ImplicitDeny")
        ))

    print(summary_line(measured))
    return status


def report_moto(workload: Workload, outcomes: list[str], reference: list[dict[str, Any]]) -> None:
    matchers = conditional_statements(workload)
    groups: dict[str, list[int]] = {}  # group -> [requests, disagreements]
    for call, outcome, expected in zip(workload.calls, outcomes, reference, strict=False):
        if involves_condition(workload, matchers, call):
            group = "a conditional statement matches action+resource"
        elif call.action.startswith("kms:"):
            group = "no condition involved, kms (needs a key policy)"
        else:
            group = "no condition involved, other services"
        counts = groups.setdefault(group, [0, 0])
        counts[0] += 1
        counts[1] += outcome != expected["decision"]
    total = sum(count for count, _ in groups.values())
    wrong = sum(bad for _, bad in groups.values())
    print(f"moto disagrees with the reference on {wrong:,} of {total:,} requests "
          f"({wrong / total:.1%}):")
    for group, (count, bad) in sorted(groups.items()):
        print(f"  {group}: {bad:,} of {count:,} ({bad / count:.1%})")


def summary_line(measured: dict[str, Measured]) -> str:
    def rate(name: str) -> str:
        return f"{measured[name].rate:.0f}/s" if name in measured else "n/a"

    def ratio(name: str) -> str:
        if "iamd" in measured and name in measured:
            return f"{measured['iamd'].rate / measured[name].rate:.1f}"
        return "n/a"

    iamd = measured.get("iamd")
    head = f"iamd {iamd.rate:.0f}/s p50 {iamd.p50:.1f} us p99 {iamd.p99:.1f} us" if iamd else (
        "iamd n/a"
    )
    return (
        f"{head} | reference {rate('reference')} | moto {rate('moto')} | "
        f"iamd/reference {ratio('reference')} | iamd/moto {ratio('moto')}"
    )


if __name__ == "__main__":
    sys.exit(main())
