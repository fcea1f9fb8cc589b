"""GenerateCredentialReport and GetCredentialReport."""

from __future__ import annotations

from typing import Any

from iamd.service.context import Call, Env
from iamd.service.iam import credential_report

from .._registry import Params, Result, operation


@operation("iam", "GenerateCredentialReport")
def generate_credential_report(env: Env, call: Call, p: Params) -> Result:
    generation = credential_report.generate_credential_report(env, call)
    result: dict[str, Any] = {"State": generation.state.value}
    if generation.description is not None:
        result["Description"] = generation.description
    return result


@operation("iam", "GetCredentialReport")
def get_credential_report(env: Env, call: Call, p: Params) -> Result:
    report = credential_report.get_credential_report(env, call)
    return {
        "Content": report.content.encode(),  # a blob: base64 on the wire
        "ReportFormat": credential_report.REPORT_FORMAT,
        "GeneratedTime": report.generated,
    }
