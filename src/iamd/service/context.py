"""What every use case receives: the environment it runs in and the call it serves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from iamd.domain.entities import ManagedPolicy, PolicyVersion, User
from iamd.domain.identifiers import RandomSource
from iamd.domain.quotas import DEFAULT_QUOTAS, Quotas
from iamd.policy import CompiledPolicySet, Principal
from iamd.storage.api import Store

from .ports import Clock, KeyMaterial, Sealer


@dataclass(frozen=True, slots=True)
class AwsPolicy:
    """An AWS managed policy from the catalogue, with its one (default) version."""

    policy: ManagedPolicy
    version: PolicyVersion


@dataclass(frozen=True, slots=True)
class Env:
    store: Store
    clock: Clock
    random: RandomSource
    sealer: Sealer
    key_material: KeyMaterial
    aws_policies: Mapping[str, AwsPolicy] = field(default_factory=dict)  # by ARN
    quotas: Quotas = DEFAULT_QUOTAS


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """The parts of the HTTP request that policies can see (global condition keys)."""

    now: datetime
    source_ip: str = "127.0.0.1"
    secure_transport: bool = False
    user_agent: str = ""
    region: str = "us-east-1"


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated principal with the policies that apply to it, as of ``version``."""

    account_id: str
    principal: Principal
    user: User | None  # None: the root user
    access_key_id: str
    policies: CompiledPolicySet
    context: Mapping[str, str | tuple[str, ...]]  # aws:username, aws:PrincipalTag/..., ...
    version: int

    @property
    def arn(self) -> str:
        return self.principal.arn or ""

    @property
    def is_root(self) -> bool:
        return self.user is None


@dataclass(frozen=True, slots=True)
class Call:
    caller: Caller
    request: RequestInfo

    @property
    def account_id(self) -> str:
        return self.caller.account_id
