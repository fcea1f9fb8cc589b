"""Placeholder: being written."""

from __future__ import annotations

from ._request import Decision, PolicySet, Request


class CompiledPolicySet:
    def __init__(self, policies: PolicySet) -> None:
        self.policies = policies

    def evaluate(self, request: Request) -> Decision:
        raise NotImplementedError


def compile_policies(policies: PolicySet) -> CompiledPolicySet:
    return CompiledPolicySet(policies)


def evaluate(request: Request, policies: PolicySet | CompiledPolicySet) -> Decision:
    compiled = policies if isinstance(policies, CompiledPolicySet) else compile_policies(policies)
    return compiled.evaluate(request)
