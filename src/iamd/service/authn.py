"""Authentication: from an access key id to its secret and the `Caller` it stands for.

The signature itself is checked by the wire layer (`iamd.protocol.sigv4`) with the secret
returned here. Every request reads the key row (so a deactivated or deleted key stops at
once) and its account's version; the caller's compiled policies are reused only while that
version has not moved.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from iamd.domain.entities import AccessKey, KeyStatus, User
from iamd.policy import CompiledPolicySet, PolicySet, Principal, PrincipalType, compile_policies
from iamd.storage.api import Transaction

from .authz import principal_context, user_policies
from .context import Caller, Env

# How stale a key's "last used" stamp may get before a request writes it again.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Credential:
    secret_access_key: str
    caller: Caller
    last_used: datetime | None


class Authenticator:
    def __init__(self, env: Env, *, cache_size: int = 10_000) -> None:
        self._env = env
        self._cache: OrderedDict[str, tuple[int, str, Caller]] = OrderedDict()
        self._cache_size = cache_size
        self._compiled_sets: OrderedDict[
            tuple[object, ...], tuple[PolicySet, CompiledPolicySet]
        ] = OrderedDict()
        self._lock = threading.Lock()

    def credential(self, access_key_id: str) -> Credential | None:
        """The active key's secret and caller, or None (unknown, inactive or orphaned key)."""
        found = self._env.store.access_key(access_key_id)
        if found is None or found[0].status is not KeyStatus.ACTIVE:
            return None
        key, version = found
        cached = self._cached(access_key_id, version)
        if cached is not None:
            secret, caller = cached
            return Credential(secret, caller, key.last_used_date)
        with self._env.store.read() as tx:
            # Again inside the transaction: the caller is built from one snapshot, and
            # cached under the version of that snapshot.
            found = tx.access_key(access_key_id)
            if found is None or found[0].status is not KeyStatus.ACTIVE:
                return None
            key, version = found
            built = self._build(tx, key, version)
        if built is None:
            return None
        secret, caller = built
        with self._lock:
            self._cache[access_key_id] = (version, secret, caller)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return Credential(secret, caller, key.last_used_date)

    def record_use(self, credential: Credential, when: datetime, service: str, region: str) -> None:
        last = credential.last_used
        if last is None or when - last >= LAST_USED_RESOLUTION:
            self._env.store.record_key_use(
                credential.caller.access_key_id, when, service, region
            )

    def _cached(self, key_id: str, version: int) -> tuple[str, Caller] | None:
        with self._lock:
            entry = self._cache.get(key_id)
            if entry is None or entry[0] != version:
                return None
            self._cache.move_to_end(key_id)
            return entry[1], entry[2]

    def _build(
        self, tx: Transaction, key: AccessKey, version: int
    ) -> tuple[str, Caller] | None:
        secret = self._env.sealer.unseal(key.sealed_secret, context=key.id.encode()).decode()
        if key.user_id is None:
            principal = Principal(PrincipalType.ROOT, arn=f"arn:aws:iam::{key.account_id}:root")
            caller = Caller(
                key.account_id, principal, None, key.id, self._compiled(PolicySet()),
                principal_context(key.account_id, None, ()), version,
            )
            return secret, caller
        user = tx.get_by_id(User, key.user_id)
        if user is None:
            return None
        tags = tx.tags("user", user.id)
        caller = Caller(
            key.account_id, Principal(PrincipalType.USER, arn=user.arn), user, key.id,
            self._compiled(user_policies(self._env, tx, user)),
            principal_context(key.account_id, user, tags), version,
        )
        return secret, caller

    def _compiled(self, policies: PolicySet) -> CompiledPolicySet:
        """Compile once per distinct set: every write moves the account's version, but most
        leave a given caller's policies as they were. Parsed policies are shared objects
        (`authz.parsed` caches them by text), so their identities name the set."""
        key = (tuple(map(id, policies.identity)), id(policies.boundary))
        with self._lock:
            entry = self._compiled_sets.get(key)
            if entry is not None:
                self._compiled_sets.move_to_end(key)
                return entry[1]
        compiled = compile_policies(policies)
        with self._lock:
            # The set is kept in the entry so that the ids in its key stay valid.
            self._compiled_sets[key] = (policies, compiled)
            while len(self._compiled_sets) > self._cache_size:
                self._compiled_sets.popitem(last=False)
        return compiled
