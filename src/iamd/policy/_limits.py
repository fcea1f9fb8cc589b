"""Size limits of policy documents, as AWS states them.

Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html (IAM and STS
character quotas), orgs_reference_limits.html (SCP and RCP: 5,120 characters) and the S3 bucket
policy limit (20 KB), which iamd applies to every resource-based policy.

AWS counts a policy's size in characters *without white space*. iamd counts every character of
the document except the four JSON white-space characters (space, tab, line feed, carriage
return), wherever they appear, inside strings included. A document given as a mapping is
measured on its compact JSON form (``json.dumps(..., separators=(",", ":"),
ensure_ascii=False)``).

The aggregate limits (all inline policies of one user, group or role together) and the raisable
trust-policy limit are not checked by `parse_policy`, which sees one document at a time; they are
here for the service layer.
"""

from __future__ import annotations

from typing import Final

from ._model import PolicyKind

#: ``max_size=DEFAULT`` asks `parse_policy` for the default limit of the policy kind.
DEFAULT: Final = -1

MANAGED_POLICY: Final = 6_144
"""A managed policy (also what a permissions boundary is)."""
USER_INLINE_AGGREGATE: Final = 2_048
"""All inline policies of one IAM user together."""
GROUP_INLINE_AGGREGATE: Final = 5_120
"""All inline policies of one IAM group together."""
ROLE_INLINE_AGGREGATE: Final = 10_240
"""All inline policies of one IAM role together."""
TRUST_POLICY: Final = 2_048
"""A role trust policy, by default."""
TRUST_POLICY_RAISED: Final = 4_096
"""A role trust policy, the most a quota increase allows."""
SESSION_POLICY: Final = 2_048
"""A session policy passed to AssumeRole* or GetFederationToken (plain text)."""
SERVICE_CONTROL_POLICY: Final = 5_120
RESOURCE_CONTROL_POLICY: Final = 5_120
RESOURCE_POLICY: Final = 20_480
"""A resource-based policy (the S3 bucket policy limit, 20 KB)."""

#: The default ``max_size`` of each policy kind.
DEFAULT_LIMITS: Final[dict[PolicyKind, int]] = {
    PolicyKind.IDENTITY: MANAGED_POLICY,
    PolicyKind.BOUNDARY: MANAGED_POLICY,
    PolicyKind.TRUST: TRUST_POLICY,
    PolicyKind.SESSION: SESSION_POLICY,
    PolicyKind.SCP: SERVICE_CONTROL_POLICY,
    PolicyKind.RCP: RESOURCE_CONTROL_POLICY,
    PolicyKind.RESOURCE: RESOURCE_POLICY,
}

#: How deeply JSON values may nest. A valid policy nests seven levels at most
#: (document, Statement list, statement, Condition, operator, key, value list).
MAX_NESTING: Final = 32

_WHITE_SPACE: Final = frozenset(" \t\n\r")


def policy_size(text: str) -> int:
    """The size of a policy document as AWS counts it: its characters except white space."""
    return len(text) - sum(text.count(char) for char in _WHITE_SPACE)
