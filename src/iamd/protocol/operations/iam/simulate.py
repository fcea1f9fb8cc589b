"""SimulatePrincipalPolicy, SimulateCustomPolicy, GetContextKeysForPrincipalPolicy and
GetContextKeysForCustomPolicy."""

from __future__ import annotations

from typing import Any

from iamd.service.context import Call, Env
from iamd.service.iam import simulate
from iamd.service.iam.common import Page

from .. import views
from .._registry import Params, Result, operation


def _inputs(p: Params) -> simulate.SimulationInput:
    return simulate.SimulationInput(
        action_names=p["ActionNames"],
        policy_input_list=p.get("PolicyInputList") or (),
        permissions_boundary_policy_input_list=p.get("PermissionsBoundaryPolicyInputList") or (),
        resource_arns=p.get("ResourceArns"),
        resource_policy=p.get("ResourcePolicy"),
        resource_owner=p.get("ResourceOwner"),
        caller_arn=p.get("CallerArn"),
        context_entries=p.get("ContextEntries") or (),
        resource_handling_option=p.get("ResourceHandlingOption"),
        marker=p.get("Marker"),
        max_items=p.get("MaxItems"),
    )


def _position(place: simulate.Position) -> dict[str, int]:
    return {"Line": place.line, "Column": place.column}


def _statements(items: tuple[simulate.MatchedStatement, ...]) -> list[dict[str, Any]]:
    return [
        {
            "SourcePolicyId": item.source_policy_id,
            "SourcePolicyType": item.source_policy_type,
            "StartPosition": _position(item.start),
            "EndPosition": _position(item.end),
        }
        for item in items
    ]


def _boundary(allowed: bool | None) -> dict[str, bool] | None:
    return None if allowed is None else {"AllowedByPermissionsBoundary": allowed}


def _resource_result(result: simulate.ResourceResult) -> dict[str, Any]:
    return {
        "EvalResourceName": result.resource,
        "EvalResourceDecision": result.decision,
        "MatchedStatements": _statements(result.statements),
        "MissingContextValues": list(result.missing_context_values),
        "EvalDecisionDetails": result.details,
        "PermissionsBoundaryDecisionDetail": _boundary(result.boundary_allowed),
    }


def _evaluation_result(result: simulate.EvaluationResult) -> dict[str, Any]:
    view: dict[str, Any] = {
        "EvalActionName": result.action,
        "EvalResourceName": result.resource_name,
        "EvalDecision": result.decision,
        "MatchedStatements": _statements(result.statements),
        "MissingContextValues": list(result.missing_context_values),
        "PermissionsBoundaryDecisionDetail": _boundary(result.boundary_allowed),
        "EvalDecisionDetails": result.details,
    }
    if result.organizations_allowed is not None:
        view["OrganizationsDecisionDetail"] = {
            "AllowedByOrganizations": result.organizations_allowed
        }
    if result.resource_results is not None:
        view["ResourceSpecificResults"] = [
            _resource_result(item) for item in result.resource_results
        ]
    return view


def _simulation_page(page: Page[simulate.EvaluationResult]) -> dict[str, Any]:
    return views.paged(page, "EvaluationResults", [_evaluation_result(r) for r in page.items])


@operation("iam", "SimulatePrincipalPolicy")
def simulate_principal_policy(env: Env, call: Call, p: Params) -> Result:
    page = simulate.simulate_principal_policy(
        env, call, p["PolicySourceArn"], _inputs(p), p.get("PolicyExclusionList") or ()
    )
    return _simulation_page(page)


@operation("iam", "SimulateCustomPolicy")
def simulate_custom_policy(env: Env, call: Call, p: Params) -> Result:
    levels = [
        level.get("ServiceControlPolicyInputList") or ()
        for level in p.get("OrderedOrganizationPolicyInputList") or ()
    ]
    return _simulation_page(simulate.simulate_custom_policy(env, call, _inputs(p), levels))


@operation("iam", "GetContextKeysForPrincipalPolicy")
def get_context_keys_for_principal_policy(env: Env, call: Call, p: Params) -> Result:
    keys = simulate.get_context_keys_for_principal_policy(
        env, call, p["PolicySourceArn"], p.get("PolicyInputList") or ()
    )
    return {"ContextKeyNames": keys}


@operation("iam", "GetContextKeysForCustomPolicy")
def get_context_keys_for_custom_policy(env: Env, call: Call, p: Params) -> Result:
    keys = simulate.get_context_keys_for_custom_policy(env, call, p["PolicyInputList"])
    return {"ContextKeyNames": keys}
