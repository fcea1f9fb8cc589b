"""The AWS IAM policy language: parse, validate and decide, exactly as AWS does.

Pure: standard library only, no I/O, no clock (``aws:CurrentTime`` is a context value).
Parse documents with `parse_policy`, gather the policies that apply to a principal in a
`PolicySet`, `compile_policies` it once, and call ``.evaluate(request)`` as often as needed;
`evaluate` does both in one call. Compiled sets are immutable and safe to share between threads.
"""

from ._arn import Arn
from ._errors import PolicyValidationError
from ._evaluate import CompiledPolicySet, compile_policies, evaluate
from ._limits import policy_size
from ._model import Policy, PolicyKind
from ._parse import parse_policy
from ._request import Decision, Outcome, PolicySet, Principal, PrincipalType, Request

__all__ = [
    "Arn",
    "CompiledPolicySet",
    "Decision",
    "Outcome",
    "Policy",
    "PolicyKind",
    "PolicySet",
    "PolicyValidationError",
    "Principal",
    "PrincipalType",
    "Request",
    "compile_policies",
    "evaluate",
    "parse_policy",
    "policy_size",
]
