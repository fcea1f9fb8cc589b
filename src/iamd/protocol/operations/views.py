"""Entities as the output members AWS names them (shared by the adapters)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from iamd.domain.entities import Tag, User
from iamd.service.iam.common import Page
from iamd.service.iam.principal_policies import AttachedPolicy


def tags(items: Sequence[Tag]) -> list[dict[str, str]]:
    return [{"Key": tag.key, "Value": tag.value} for tag in items]


def boundary(arn: str | None) -> dict[str, str] | None:
    if not arn:
        return None
    return {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn}


def user(
    entity: User, tag_list: Sequence[Tag] | None = None, *, full: bool = False
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "Path": entity.path,
        "UserName": entity.name,
        "UserId": entity.id,
        "Arn": entity.arn,
        "CreateDate": entity.created,
        "PasswordLastUsed": entity.password_last_used,
    }
    if full:
        view["PermissionsBoundary"] = boundary(entity.permissions_boundary)
        view["Tags"] = tags(tag_list or ()) or None
    return view


def paged(page: Page[Any], member: str, items: list[Any]) -> dict[str, Any]:
    """A list result with AWS's IsTruncated and Marker."""
    result: dict[str, Any] = {member: items, "IsTruncated": page.is_truncated}
    if page.marker is not None:
        result["Marker"] = page.marker
    return result


def document(text: str) -> str:
    """Policy documents go out URL-encoded, as AWS sends them (botocore decodes them)."""
    return quote(text, safe="")


def attached(items: Sequence[AttachedPolicy]) -> list[dict[str, str]]:
    return [{"PolicyName": item.name, "PolicyArn": item.arn} for item in items]
