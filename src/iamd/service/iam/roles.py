"""Roles: Create/Get/Update/Delete/List, their tags, trust policy, policies and boundary, and
service-linked roles (Create/Delete and the deletion task's status).

A service-linked role is one whose path starts with ``/aws-service-role/``: AWS refuses that
path to CreateRole, so only CreateServiceLinkedRole makes such roles, and the path alone marks
them. Like AWS, iamd lets callers change only their description and tags.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from iamd.domain import errors
from iamd.domain.entities import InlinePolicy, PrincipalKind, Relation, Role, Tag
from iamd.domain.identifiers import IdPrefix
from iamd.policy import PolicyKind
from iamd.storage.api import Transaction

from ..authz import ContextValue, authorize
from ..context import Call, Env
from . import principal_policies
from .boundaries import checked_boundary
from .common import (
    MissingTarget,
    Page,
    account_arn,
    checked_document,
    decode_marker,
    max_items,
    merge_tags,
    new_id,
    page_of,
    reading,
    request_tag_context,
    resource_tag_context,
    slice_page,
    tag_resource,
    tags_from,
    untag_resource,
    writing,
)

TAG_KIND = "role"
INSTANCE_PROFILE_ROLE = Relation.PROFILE_ROLE
SERVICE_ROLE_PATH = "/aws-service-role/"
DEFAULT_MAX_SESSION_DURATION = 3600


@dataclass(frozen=True, slots=True)
class RoleView:
    """A role and its tags."""

    role: Role
    tags: Sequence[Tag] = ()


def missing(name: str) -> errors.NoSuchEntity:
    return errors.NoSuchEntity(f"The role with name {name} cannot be found.")


def role_arn(call: Call, name: str) -> str:
    """The ARN used to authorize a call on a role that may not exist (path unknown)."""
    return account_arn(call, f"role/{name}")


def find_role(tx: Transaction, call: Call, name: str) -> Role | None:
    return tx.get(Role, call.account_id, name)


def existing_role(tx: Transaction, call: Call, name: str) -> Role:
    role = find_role(tx, call, name)
    if role is None:
        raise missing(name)
    return role


def is_service_linked(role: Role) -> bool:
    return role.path.startswith(SERVICE_ROLE_PATH)


def refuse_if_service_linked(role: Role) -> None:
    """AWS's answer to a change only the linked service may make."""
    if is_service_linked(role):
        raise errors.UnmodifiableEntity(
            f"Cannot perform the operation on the protected role '{role.name}' - "
            "this role is only modifiable by AWS"
        )


def role_context(tx: Transaction, role: Role) -> dict[str, ContextValue]:
    """Condition keys describing an existing role: its tags and permissions boundary."""
    context = resource_tag_context(tx.tags(TAG_KIND, role.id))
    if role.permissions_boundary:
        context["iam:PermissionsBoundary"] = role.permissions_boundary
    return context


def authorize_on_role(
    tx: Transaction, call: Call, action: str, name: str,
    extra: Mapping[str, ContextValue] | None = None,
) -> Role | None:
    """Authorize ``action`` on the named role (its real ARN when it exists) and return it."""
    role = find_role(tx, call, name)
    if role is None:
        authorize(call, action, role_arn(call, name), extra)
        return None
    authorize(call, action, role.arn, {**role_context(tx, role), **(extra or {})})
    return role


def authorized_role(
    tx: Transaction, call: Call, action: str, name: str,
    extra: Mapping[str, ContextValue] | None = None,
) -> Role:
    """`authorize_on_role`, then NoSuchEntity when the role does not exist."""
    role = authorize_on_role(tx, call, action, name, extra)
    if role is None:
        raise missing(name)
    return role


def _modifiable_role(
    tx: Transaction, call: Call, action: str, name: str,
    extra: Mapping[str, ContextValue] | None = None,
) -> Role:
    role = authorized_role(tx, call, action, name, extra)
    refuse_if_service_linked(role)
    return role


def checked_trust_policy(env: Env, document: str) -> str:
    """A trust policy valid for its kind and within AWS's ACLSizePerRole quota."""
    try:
        return checked_document(document, PolicyKind.TRUST, max_size=env.quotas.trust_policy_chars)
    except errors.LimitExceeded:
        raise errors.LimitExceeded(
            f"Cannot exceed quota for ACLSizePerRole: {env.quotas.trust_policy_chars}"
        ) from None


def _check_room_for_role(env: Env, tx: Transaction, call: Call) -> None:
    if tx.count(Role, call.account_id) >= env.quotas.roles_per_account:
        raise errors.LimitExceeded(
            f"Cannot exceed quota for RolesPerAccount: {env.quotas.roles_per_account}"
        )


def _refuse_reserved_path(path: str) -> None:
    if path.startswith(SERVICE_ROLE_PATH):
        raise errors.InvalidInput(
            f"Path prefix '{SERVICE_ROLE_PATH}' can only be used for AWS Service linked Roles"
        )


def _creation_context(
    new_tags: Sequence[Tag], permissions_boundary: str | None
) -> dict[str, ContextValue]:
    context: dict[str, ContextValue] = {}
    if new_tags:
        context.update(request_tag_context(new_tags))
    if permissions_boundary:
        context["iam:PermissionsBoundary"] = permissions_boundary
    return context


def create_role(
    env: Env, call: Call, role_name: str, assume_role_policy_document: str, path: str = "/",
    description: str | None = None, max_session_duration: int | None = None,
    permissions_boundary: str | None = None, tags: Sequence[Mapping[str, str]] | None = None,
) -> RoleView:
    """CreateRole. Raises EntityAlreadyExists, LimitExceeded, MalformedPolicyDocument,
    InvalidInput, NoSuchEntity (boundary) and AccessDenied."""
    new_tags = tags_from(tags)
    _refuse_reserved_path(path)
    arn = account_arn(call, f"role{path}{role_name}")
    context = _creation_context(new_tags, permissions_boundary)
    with writing(env, call) as tx:
        authorize(call, "iam:CreateRole", arn, context)
        if new_tags:
            authorize(call, "iam:TagRole", arn, context)
        if permissions_boundary:
            checked_boundary(env, tx, call, permissions_boundary)
        checked_trust_policy(env, assume_role_policy_document)
        if find_role(tx, call, role_name) is not None:
            raise errors.EntityAlreadyExists(f"Role with name {role_name} already exists.")
        _check_room_for_role(env, tx, call)
        role = Role(
            call.account_id, new_id(env, IdPrefix.ROLE), role_name, path, call.request.now,
            assume_role_policy_document, description,
            max_session_duration or DEFAULT_MAX_SESSION_DURATION, permissions_boundary,
        )
        tx.add(role)
        if new_tags:
            merge_tags(env, tx, call, TAG_KIND, role.id, new_tags)
    return RoleView(role, new_tags)


def get_role(env: Env, call: Call, role_name: str) -> RoleView:
    with reading(env) as tx:
        role = authorized_role(tx, call, "iam:GetRole", role_name)
        return RoleView(role, tx.tags(TAG_KIND, role.id))


def update_role(
    env: Env, call: Call, role_name: str, description: str | None = None,
    max_session_duration: int | None = None,
) -> None:
    """UpdateRole: a service-linked role's description may change, its duration may not."""
    with writing(env, call) as tx:
        role = authorized_role(tx, call, "iam:UpdateRole", role_name)
        if max_session_duration is not None:
            refuse_if_service_linked(role)
        tx.replace(replace(
            role,
            description=role.description if description is None else description,
            max_session_duration=max_session_duration or role.max_session_duration,
        ))


def update_role_description(
    env: Env, call: Call, role_name: str, description: str
) -> RoleView:
    with writing(env, call) as tx:
        role = authorized_role(tx, call, "iam:UpdateRoleDescription", role_name)
        updated = replace(role, description=description)
        tx.replace(updated)
        return RoleView(updated, tx.tags(TAG_KIND, role.id))


def update_assume_role_policy(
    env: Env, call: Call, role_name: str, policy_document: str
) -> None:
    with writing(env, call) as tx:
        role = _modifiable_role(tx, call, "iam:UpdateAssumeRolePolicy", role_name)
        checked_trust_policy(env, policy_document)
        tx.replace(replace(role, assume_role_policy=policy_document))


def delete_role(env: Env, call: Call, role_name: str) -> None:
    """DeleteRole. Raises DeleteConflict while anything is attached to the role, and
    UnmodifiableEntity for a service-linked role (DeleteServiceLinkedRole deletes those)."""
    with writing(env, call) as tx:
        role = _modifiable_role(tx, call, "iam:DeleteRole", role_name)
        _refuse_if_in_use(tx, role)
        _remove_role(tx, role)


def _refuse_if_in_use(tx: Transaction, role: Role) -> None:
    checks: list[tuple[bool, str]] = [
        (bool(tx.lefts(INSTANCE_PROFILE_ROLE, role.id)),
         "must remove roles from instance profile first"),
        (bool(tx.attached(PrincipalKind.ROLE, role.id)), "must detach all policies first"),
        (bool(tx.inline_policies(PrincipalKind.ROLE, role.id)), "must delete policies first"),
    ]
    for in_use, what in checks:
        if in_use:
            raise errors.DeleteConflict(f"Cannot delete entity, {what}.")


def _remove_role(tx: Transaction, role: Role) -> None:
    tx.clear_tags(TAG_KIND, role.id)
    tx.remove(Role, role.id)


def list_roles(
    env: Env, call: Call, path_prefix: str = "/", marker: str | None = None,
    max_items_: int | None = None,
) -> Page[Role]:
    limit = max_items(max_items_)
    with reading(env) as tx:
        authorize(call, "iam:ListRoles", account_arn(call, f"role{path_prefix}"))
        roles = tx.page(
            Role, call.account_id, path_prefix=path_prefix, after=decode_marker(marker),
            limit=limit + 1,
        )
    return page_of(roles, limit, lambda role: role.name.lower())


def tag_role(env: Env, call: Call, role_name: str, tags: Sequence[Mapping[str, str]]) -> None:
    tag_resource(
        env, call, "iam:TagRole", TAG_KIND, lambda tx: find_role(tx, call, role_name),
        lambda role: role.arn, tags,
        missing=MissingTarget(role_arn(call, role_name), missing(role_name)),
    )


def untag_role(env: Env, call: Call, role_name: str, tag_keys: Sequence[str]) -> None:
    untag_resource(
        env, call, "iam:UntagRole", TAG_KIND, lambda tx: find_role(tx, call, role_name),
        lambda role: role.arn, tag_keys,
        missing=MissingTarget(role_arn(call, role_name), missing(role_name)),
    )


def list_role_tags(
    env: Env, call: Call, role_name: str, marker: str | None = None,
    max_items_: int | None = None,
) -> Page[Tag]:
    with reading(env) as tx:
        role = authorized_role(tx, call, "iam:ListRoleTags", role_name)
        tags = tx.tags(TAG_KIND, role.id)
    return slice_page(tags, marker, max_items(max_items_))


# -- the role's policies and boundary ------------------------------------------------------
POLICIES = principal_policies.Holder(
    PrincipalKind.ROLE, "Role", authorized_role, _modifiable_role
)


def put_role_policy(
    env: Env, call: Call, role_name: str, policy_name: str, policy_document: str
) -> None:
    principal_policies.put_policy(env, call, POLICIES, role_name, policy_name, policy_document)


def get_role_policy(env: Env, call: Call, role_name: str, policy_name: str) -> InlinePolicy:
    return principal_policies.get_policy(env, call, POLICIES, role_name, policy_name)


def delete_role_policy(env: Env, call: Call, role_name: str, policy_name: str) -> None:
    principal_policies.delete_policy(env, call, POLICIES, role_name, policy_name)


def list_role_policies(
    env: Env, call: Call, role_name: str, marker: str | None = None,
    max_items_: int | None = None,
) -> Page[str]:
    return principal_policies.list_policies(env, call, POLICIES, role_name, marker, max_items_)


def attach_role_policy(env: Env, call: Call, role_name: str, policy_arn: str) -> None:
    principal_policies.attach_policy(env, call, POLICIES, role_name, policy_arn)


def detach_role_policy(env: Env, call: Call, role_name: str, policy_arn: str) -> None:
    principal_policies.detach_policy(env, call, POLICIES, role_name, policy_arn)


def list_attached_role_policies(
    env: Env, call: Call, role_name: str, path_prefix: str = "/", marker: str | None = None,
    max_items_: int | None = None,
) -> Page[principal_policies.AttachedPolicy]:
    return principal_policies.list_attached_policies(
        env, call, POLICIES, role_name, path_prefix, marker, max_items_
    )


def put_role_permissions_boundary(
    env: Env, call: Call, role_name: str, permissions_boundary: str
) -> None:
    with writing(env, call) as tx:
        role = _modifiable_role(
            tx, call, "iam:PutRolePermissionsBoundary", role_name,
            {"iam:PermissionsBoundary": permissions_boundary},
        )
        checked_boundary(env, tx, call, permissions_boundary)
        tx.replace(replace(role, permissions_boundary=permissions_boundary))


def delete_role_permissions_boundary(env: Env, call: Call, role_name: str) -> None:
    with writing(env, call) as tx:
        role = _modifiable_role(tx, call, "iam:DeleteRolePermissionsBoundary", role_name)
        tx.replace(replace(role, permissions_boundary=None))


# -- service-linked roles --------------------------------------------------------------------
# Each AWS service names its own service-linked role; these are the names of well-known ones.
# Any other service principal gets AWSServiceRoleFor + its first label in PascalCase.
SERVICE_LINKED_ROLE_NAMES: Mapping[str, str] = {
    "access-analyzer.amazonaws.com": "AWSServiceRoleForAccessAnalyzer",
    "acm.amazonaws.com": "AWSServiceRoleForCertificateManager",
    "autoscaling.amazonaws.com": "AWSServiceRoleForAutoScaling",
    "backup.amazonaws.com": "AWSServiceRoleForBackup",
    "batch.amazonaws.com": "AWSServiceRoleForBatch",
    "cloudtrail.amazonaws.com": "AWSServiceRoleForCloudTrail",
    "config.amazonaws.com": "AWSServiceRoleForConfig",
    "dynamodb.application-autoscaling.amazonaws.com":
        "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
    "ecs.amazonaws.com": "AWSServiceRoleForECS",
    "ecs.application-autoscaling.amazonaws.com":
        "AWSServiceRoleForApplicationAutoScaling_ECSService",
    "eks.amazonaws.com": "AWSServiceRoleForAmazonEKS",
    "eks-fargate.amazonaws.com": "AWSServiceRoleForAmazonEKSForFargate",
    "eks-nodegroup.amazonaws.com": "AWSServiceRoleForAmazonEKSNodegroup",
    "elasticache.amazonaws.com": "AWSServiceRoleForElastiCache",
    "elasticbeanstalk.amazonaws.com": "AWSServiceRoleForElasticBeanstalk",
    "elasticfilesystem.amazonaws.com": "AWSServiceRoleForAmazonElasticFileSystem",
    "elasticloadbalancing.amazonaws.com": "AWSServiceRoleForElasticLoadBalancing",
    "es.amazonaws.com": "AWSServiceRoleForAmazonElasticsearchService",
    "guardduty.amazonaws.com": "AWSServiceRoleForAmazonGuardDuty",
    "kafka.amazonaws.com": "AWSServiceRoleForKafka",
    "lexv2.amazonaws.com": "AWSServiceRoleForLexV2Bots",
    "opensearchservice.amazonaws.com": "AWSServiceRoleForAmazonOpenSearchService",
    "ops.apigateway.amazonaws.com": "AWSServiceRoleForAPIGateway",
    "organizations.amazonaws.com": "AWSServiceRoleForOrganizations",
    "rds.amazonaws.com": "AWSServiceRoleForRDS",
    "redshift.amazonaws.com": "AWSServiceRoleForRedshift",
    "securityhub.amazonaws.com": "AWSServiceRoleForSecurityHub",
    "spot.amazonaws.com": "AWSServiceRoleForEC2Spot",
    "spotfleet.amazonaws.com": "AWSServiceRoleForEC2SpotFleet",
    "ssm.amazonaws.com": "AWSServiceRoleForAmazonSSM",
    "sso.amazonaws.com": "AWSServiceRoleForSSO",
    "support.amazonaws.com": "AWSServiceRoleForSupport",
    "trustedadvisor.amazonaws.com": "AWSServiceRoleForTrustedAdvisor",
}
_SERVICE_PRINCIPAL = re.compile(r"([a-z0-9][a-z0-9-]*\.)+amazonaws\.com")
_MAX_ROLE_NAME = 64
_NAME = r"[\w+=,.@-]+"
_UUID = r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}"
_DELETION_TASK = re.compile(rf"task{SERVICE_ROLE_PATH}({_NAME})/({_NAME})/({_UUID})")


def service_linked_role_name(service: str, custom_suffix: str | None = None) -> str:
    """The name AWS gives the service-linked role of ``service`` (``_suffix`` appended)."""
    if _SERVICE_PRINCIPAL.fullmatch(service) is None:
        raise errors.InvalidInput(
            f"Invalid service name {service}: expected a service principal such as "
            "elasticbeanstalk.amazonaws.com."
        )
    name = SERVICE_LINKED_ROLE_NAMES.get(service)
    if name is None:
        label = service.split(".", 1)[0]
        name = "AWSServiceRoleFor" + "".join(part.capitalize() for part in label.split("-"))
    if custom_suffix:
        name = f"{name}_{custom_suffix}"
    if len(name) > _MAX_ROLE_NAME:
        raise errors.InvalidInput(
            f"Role name {name} is longer than {_MAX_ROLE_NAME} characters; use a shorter suffix."
        )
    return name


def service_trust_policy(service: str) -> str:
    """The trust policy of a service-linked role: the service may assume it."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole",
    }]}, separators=(",", ":"))


def create_service_linked_role(
    env: Env, call: Call, aws_service_name: str, description: str | None = None,
    custom_suffix: str | None = None,
) -> RoleView:
    """CreateServiceLinkedRole: the role ``/aws-service-role/SERVICE/AWSServiceRoleFor...``.
    Raises InvalidInput (bad service name, or the name is taken), LimitExceeded, AccessDenied."""
    name = service_linked_role_name(aws_service_name, custom_suffix)
    path = f"{SERVICE_ROLE_PATH}{aws_service_name}/"
    with writing(env, call) as tx:
        authorize(
            call, "iam:CreateServiceLinkedRole", account_arn(call, f"role{path}{name}"),
            {"iam:AWSServiceName": aws_service_name},
        )
        if find_role(tx, call, name) is not None:
            raise errors.InvalidInput(
                f"Service role name {name} has been taken in this account, please try a "
                "different suffix."
            )
        _check_room_for_role(env, tx, call)
        role = Role(
            call.account_id, new_id(env, IdPrefix.ROLE), name, path, call.request.now,
            service_trust_policy(aws_service_name), description,
        )
        tx.add(role)
    return RoleView(role)


def deletion_task_id(role: Role) -> str:
    """``task/aws-service-role/SERVICE/NAME/UUID``, AWS's format. The UUID is derived from the
    role's unique id, so the task needs no storage: its status follows from the role's."""
    return f"task{role.path}{role.name}/{_task_uuid(role.id)}"


def _task_uuid(role_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"iamd:service-linked-role:{role_id}"))


def delete_service_linked_role(env: Env, call: Call, role_name: str) -> str:
    """DeleteServiceLinkedRole: deletes the role at once and returns its deletion task id.
    Raises NoSuchEntity, InvalidInput (not a service-linked role), AccessDenied."""
    with writing(env, call) as tx:
        role = authorized_role(tx, call, "iam:DeleteServiceLinkedRole", role_name)
        if not is_service_linked(role):
            raise errors.InvalidInput(f"Role {role.name} is not a service-linked role.")
        _remove_role(tx, role)
        return deletion_task_id(role)


def get_service_linked_role_deletion_status(
    env: Env, call: Call, deletion_task_id_: str
) -> str:
    """SUCCEEDED once the task's role is gone. Deletion is immediate, so a task id naming a
    role that still exists was never issued for it: NoSuchEntity."""
    match = _DELETION_TASK.fullmatch(deletion_task_id_)
    if match is None:
        raise errors.InvalidInput(f"Invalid deletion task id: {deletion_task_id_}")
    service, name, task_uuid = match.groups()
    path = f"{SERVICE_ROLE_PATH}{service}/"
    with reading(env) as tx:
        authorize(
            call, "iam:GetServiceLinkedRoleDeletionStatus",
            account_arn(call, f"role{path}{name}"),
        )
        role = find_role(tx, call, name)
    if role is not None and role.path == path and _task_uuid(role.id) == task_uuid:
        raise errors.NoSuchEntity(f"Deletion task {deletion_task_id_} cannot be found.")
    return "SUCCEEDED"
