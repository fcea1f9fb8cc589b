"""What a temporary credential's session token says (see `tokens`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from iamd.domain.entities import Tag


class SessionKind(enum.StrEnum):
    ROLE = "assumed-role"  # AssumeRole: the role's permissions, narrowed by session policies
    FEDERATED = "federated-user"  # GetFederationToken: the user's, narrowed by the policy
    USER = "session"  # GetSessionToken: the user's (or root's) own, with MFA state


@dataclass(frozen=True, slots=True)
class SessionClaims:
    """What a session token says. ``principal_id``: the role's id (ROLE), or the IAM user's
    id (FEDERATED, USER; None for the root user)."""

    kind: SessionKind
    account_id: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    issued: datetime
    expires: datetime
    principal_id: str | None
    session_name: str | None = None  # the role session name, or the federated user's name
    mfa_authenticated: datetime | None = None
    policy: str | None = None  # the inline session policy document
    policy_arns: tuple[str, ...] = ()  # managed session policies
    tags: tuple[Tag, ...] = ()  # session tags
    transitive_tag_keys: tuple[str, ...] = ()
    source_identity: str | None = None
    chained: bool = False  # made from a role session's credentials (role chaining)

    @property
    def has_session_policy(self) -> bool:
        return self.policy is not None or bool(self.policy_arns)
