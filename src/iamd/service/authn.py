"""Authentication: from an access key id (a user's, the root user's or a registered
service's) to its secret and the `Caller` it stands for, or from a console session token to
its `Caller`.

The signature itself is checked by the wire layer (`iamd.protocol.sigv4`) with the secret
returned here. Every request reads the key row (so a deactivated or deleted key stops at
once) and its account's version; the caller's compiled policies are reused only while that
version has not moved. A session's caller is built on each request from its session row
(so a revoked session stops at once); only its compiled policies come from the cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from iamd.domain.entities import AccessKey, ConsoleSession, KeyStatus, User
from iamd.domain.errors import InvalidClientTokenId
from iamd.policy import CompiledPolicySet, PolicySet, Principal, PrincipalType, compile_policies
from iamd.storage.api import Transaction

from .authz import principal_context, user_policies
from .context import Caller, Env, SessionFacts
from .service_principals import service_credential
from .signin import INVALID_SESSION, InvalidSession, active_session
from .sts.callers import temporary_caller
from .sts.tokens import open_token

_INVALID_TOKEN = "The security token included in the request is invalid."
# How stale a key's "last used" stamp may get before a request writes it again.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Credential:
    secret_access_key: str
    caller: Caller
    last_used: datetime | None


@dataclass(frozen=True, slots=True)
class SessionCredential:
    caller: Caller
    session: ConsoleSession


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
        if found is None:  # no such key: perhaps a registered service's
            with self._env.store.read() as tx:
                return self._service_credential(tx, access_key_id)
        if found[0].status is not KeyStatus.ACTIVE:
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

    def session(self, token: str) -> SessionCredential:
        """The caller of a live console session (`signin.sign_in`), with its session facts
        (issue time, MFA), for `aws:TokenIssueTime` and `aws:MultiFactorAuthPresent/Age`.

        Raises:
            InvalidSession: malformed, forged, revoked or expired token, or its user is gone.
        """
        with self._env.store.read() as tx:
            session = active_session(self._env, tx, token, self._env.clock.now())
            facts = SessionFacts(session.created, session.mfa_authenticated)
            caller = self._caller(tx, session.account_id, session.user_id, session.id, 0, facts)
        if caller is None:
            raise InvalidSession(INVALID_SESSION)
        return SessionCredential(caller, session)

    def temporary(self, access_key_id: str, session_token: str) -> Credential:
        """The secret and caller of temporary credentials (STS): the token is opened and
        checked (key, expiry), and its principal read as of the account's current version.

        Raises:
            InvalidClientTokenId: malformed or tampered token, unknown account, or the
                session's role or user is gone.
            ExpiredToken: the session has ended.
        """
        claims = open_token(self._env, access_key_id, session_token)
        with self._env.store.read() as tx:
            version = tx.account_version(claims.account_id)
            if version is None:
                raise InvalidClientTokenId(_INVALID_TOKEN)
            cache_key = f"{access_key_id}:{session_token}"
            cached = self._cached(cache_key, version)
            if cached is not None:
                return Credential(claims.secret_access_key, cached[1], None)
            caller = temporary_caller(self._env, tx, claims, version, self._compiled)
        with self._lock:
            self._cache[cache_key] = (version, claims.secret_access_key, caller)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return Credential(claims.secret_access_key, caller, None)

    def record_use(self, credential: Credential, when: datetime, service: str, region: str) -> None:
        if credential.caller.claims is not None or not credential.caller.account_id:
            return  # temporary credentials and service principals have no key row to stamp
        last = credential.last_used
        if last is None or when - last >= LAST_USED_RESOLUTION:
            self._env.store.record_key_use(
                credential.caller.access_key_id, when, service, region
            )

    def _service_credential(self, tx: Transaction, key_id: str) -> Credential | None:
        """A registered service's key (`service_principals`): read only when no access key
        has the id, so the common path keeps its one read."""
        found = service_credential(self._env, tx, key_id, self._compiled(PolicySet()))
        if found is None:
            return None
        secret, caller = found
        return Credential(secret, caller, None)

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
        caller = self._caller(tx, key.account_id, key.user_id, key.id, version)
        return None if caller is None else (secret, caller)

    def _caller(
        self, tx: Transaction, account_id: str, user_id: str | None, key_id: str, version: int,
        session: SessionFacts | None = None,
    ) -> Caller | None:
        """The root user (``user_id`` None) or the user, with its policies; None when the
        user is gone."""
        if user_id is None:
            principal = Principal(PrincipalType.ROOT, arn=f"arn:aws:iam::{account_id}:root")
            return Caller(
                account_id, principal, None, key_id, self._compiled(PolicySet()),
                principal_context(account_id, None, ()), version, session,
            )
        user = tx.get_by_id(User, user_id)
        if user is None:
            return None
        tags = tx.tags("user", user.id)
        return Caller(
            account_id, Principal(PrincipalType.USER, arn=user.arn), user, key_id,
            self._compiled(user_policies(self._env, tx, user)),
            principal_context(account_id, user, tags), version, session,
        )

    def _compiled(self, policies: PolicySet) -> CompiledPolicySet:
        """Compile once per distinct set: every write moves the account's version, but most
        leave a given caller's policies as they were. Parsed policies are shared objects
        (`authz.parsed` caches them by text), so their identities name the set."""
        key = (tuple(map(id, policies.identity)), id(policies.boundary), id(policies.session))
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
