"""What every use case receives: the environment it runs in and the call it serves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from iamd.domain.entities import ManagedPolicy, PolicyVersion, User
from iamd.domain.identifiers import RandomSource
from iamd.domain.quotas import DEFAULT_QUOTAS, Quotas
from iamd.policy import CompiledPolicySet, Principal, PrincipalType
from iamd.storage.api import Store

from .ports import Clock, KeyMaterial, OneTimePasswords, PasswordHasher, Sealer, TokenSigner
from .sts.claims import SessionClaims


@dataclass(frozen=True, slots=True)
class AwsPolicy:
    """An AWS managed policy from the catalogue, with its one (default) version."""

    policy: ManagedPolicy
    version: PolicyVersion


@dataclass(frozen=True, slots=True)
class SignInLimits:
    """How sign-in defends itself and how long its sessions last (settings)."""

    max_failures_per_user: int = 5  # failed sign-ins for one user name before a lockout
    max_failures_per_address: int = 20  # from one source address, whatever the user
    lockout: timedelta = timedelta(minutes=15)  # also how long failures are remembered
    session_duration: timedelta = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class Env:
    store: Store
    clock: Clock
    random: RandomSource
    sealer: Sealer
    key_material: KeyMaterial
    hasher: PasswordHasher
    otp: OneTimePasswords
    signer: TokenSigner
    aws_policies: Mapping[str, AwsPolicy] = field(default_factory=dict)  # by ARN
    quotas: Quotas = DEFAULT_QUOTAS
    signin: SignInLimits = SignInLimits()


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """The parts of the HTTP request that policies can see (global condition keys)."""

    now: datetime
    source_ip: str = "127.0.0.1"
    secure_transport: bool = False
    user_agent: str = ""
    region: str = "us-east-1"


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """What a caller signed in with a session (not a long-term key) carries: the context keys
    aws:TokenIssueTime, aws:MultiFactorAuthPresent and aws:MultiFactorAuthAge come from it."""

    issued: datetime
    mfa_authenticated: datetime | None = None


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated principal with the policies that apply to it, as of ``version``."""

    account_id: str
    principal: Principal
    user: User | None  # the IAM user; None for the root user and for role and federated sessions
    access_key_id: str
    policies: CompiledPolicySet
    context: Mapping[str, str | tuple[str, ...]]  # aws:username, aws:PrincipalTag/..., ...
    version: int
    session: SessionFacts | None = None  # None: a long-term access key
    claims: SessionClaims | None = None  # temporary credentials (STS): what their token says

    @property
    def arn(self) -> str:
        return self.principal.arn or ""

    @property
    def is_root(self) -> bool:
        return self.principal.type is PrincipalType.ROOT


@dataclass(frozen=True, slots=True)
class Call:
    caller: Caller
    request: RequestInfo

    @property
    def account_id(self) -> str:
        return self.caller.account_id
