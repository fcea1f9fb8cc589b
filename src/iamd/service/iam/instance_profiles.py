"""Instance profiles: Create/Get/Delete/List, the role each holds (at most one, as on AWS),
and their tags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from iamd.domain import errors
from iamd.domain.entities import InstanceProfile, Role, Tag
from iamd.domain.identifiers import IdPrefix
from iamd.storage.api import Transaction

from ..authz import ContextValue, authorize
from ..context import Call, Env
from .common import (
    MissingTarget,
    Page,
    account_arn,
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
from .roles import INSTANCE_PROFILE_ROLE, authorized_role, refuse_if_service_linked

TAG_KIND = "instance-profile"
PASSED_TO_SERVICE = "ec2.amazonaws.com"


@dataclass(frozen=True, slots=True)
class ProfileView:
    """An instance profile with its roles (and its tags, where the operation returns them)."""

    profile: InstanceProfile
    roles: Sequence[Role] = ()
    tags: Sequence[Tag] = ()


def missing(name: str) -> errors.NoSuchEntity:
    return errors.NoSuchEntity(f"Instance Profile {name} cannot be found.")


def profile_arn(call: Call, name: str) -> str:
    """The ARN used to authorize a call on a profile that may not exist (path unknown)."""
    return account_arn(call, f"instance-profile/{name}")


def find_profile(tx: Transaction, call: Call, name: str) -> InstanceProfile | None:
    return tx.get(InstanceProfile, call.account_id, name)


def existing_profile(tx: Transaction, call: Call, name: str) -> InstanceProfile:
    profile = find_profile(tx, call, name)
    if profile is None:
        raise missing(name)
    return profile


def authorized_profile(
    tx: Transaction, call: Call, action: str, name: str
) -> InstanceProfile:
    """Authorize ``action`` on the named profile (its real ARN when it exists) and return it;
    NoSuchEntity when it does not exist."""
    profile = find_profile(tx, call, name)
    if profile is None:
        authorize(call, action, profile_arn(call, name))
        raise missing(name)
    authorize(call, action, profile.arn, resource_tag_context(tx.tags(TAG_KIND, profile.id)))
    return profile


def roles_of(tx: Transaction, profile: InstanceProfile) -> list[Role]:
    ids = tx.rights(INSTANCE_PROFILE_ROLE, profile.id)
    if not ids:
        return []
    return tx.page(Role, profile.account_id, ids=ids, limit=len(ids))


def create_instance_profile(
    env: Env, call: Call, instance_profile_name: str, path: str = "/",
    tags: Sequence[Mapping[str, str]] | None = None,
) -> ProfileView:
    """CreateInstanceProfile. Raises EntityAlreadyExists, LimitExceeded, InvalidInput and
    AccessDenied."""
    new_tags = tags_from(tags)
    arn = account_arn(call, f"instance-profile{path}{instance_profile_name}")
    context = request_tag_context(new_tags) if new_tags else {}
    with writing(env, call) as tx:
        authorize(call, "iam:CreateInstanceProfile", arn, context)
        if new_tags:
            authorize(call, "iam:TagInstanceProfile", arn, context)
        if find_profile(tx, call, instance_profile_name) is not None:
            raise errors.EntityAlreadyExists(
                f"Instance Profile {instance_profile_name} already exists."
            )
        quota = env.quotas.instance_profiles_per_account
        if tx.count(InstanceProfile, call.account_id) >= quota:
            raise errors.LimitExceeded(
                f"Cannot exceed quota for InstanceProfilesPerAccount: {quota}"
            )
        profile = InstanceProfile(
            call.account_id, new_id(env, IdPrefix.INSTANCE_PROFILE), instance_profile_name, path,
            call.request.now,
        )
        tx.add(profile)
        if new_tags:
            merge_tags(env, tx, call, TAG_KIND, profile.id, new_tags)
    return ProfileView(profile, (), new_tags)


def get_instance_profile(env: Env, call: Call, instance_profile_name: str) -> ProfileView:
    with reading(env) as tx:
        profile = authorized_profile(tx, call, "iam:GetInstanceProfile", instance_profile_name)
        return ProfileView(profile, roles_of(tx, profile), tx.tags(TAG_KIND, profile.id))


def delete_instance_profile(env: Env, call: Call, instance_profile_name: str) -> None:
    """DeleteInstanceProfile. Raises DeleteConflict while the profile holds a role."""
    with writing(env, call) as tx:
        profile = authorized_profile(
            tx, call, "iam:DeleteInstanceProfile", instance_profile_name
        )
        if tx.rights(INSTANCE_PROFILE_ROLE, profile.id):
            raise errors.DeleteConflict(
                "Cannot delete entity, must remove roles from instance profile first."
            )
        tx.clear_tags(TAG_KIND, profile.id)
        tx.remove(InstanceProfile, profile.id)


def list_instance_profiles(
    env: Env, call: Call, path_prefix: str = "/", marker: str | None = None,
    max_items_: int | None = None,
) -> Page[ProfileView]:
    limit = max_items(max_items_)
    with reading(env) as tx:
        authorize(
            call, "iam:ListInstanceProfiles", account_arn(call, f"instance-profile{path_prefix}")
        )
        profiles = tx.page(
            InstanceProfile, call.account_id, path_prefix=path_prefix,
            after=decode_marker(marker), limit=limit + 1,
        )
        views = [ProfileView(profile, roles_of(tx, profile)) for profile in profiles]
    return page_of(views, limit, lambda view: view.profile.name.lower())


def list_instance_profiles_for_role(
    env: Env, call: Call, role_name: str, marker: str | None = None,
    max_items_: int | None = None,
) -> Page[ProfileView]:
    limit = max_items(max_items_)
    with reading(env) as tx:
        role = authorized_role(tx, call, "iam:ListInstanceProfilesForRole", role_name)
        ids = tx.lefts(INSTANCE_PROFILE_ROLE, role.id)
        profiles = tx.page(
            InstanceProfile, call.account_id, after=decode_marker(marker), limit=limit + 1,
            ids=ids,
        ) if ids else []
        views = [ProfileView(profile, roles_of(tx, profile)) for profile in profiles]
    return page_of(views, limit, lambda view: view.profile.name.lower())


def add_role_to_instance_profile(
    env: Env, call: Call, instance_profile_name: str, role_name: str
) -> None:
    """AddRoleToInstanceProfile: needs iam:PassRole on the role too, as on AWS. Raises
    LimitExceeded when the profile already holds a role, UnmodifiableEntity for a
    service-linked role, NoSuchEntity, AccessDenied."""
    with writing(env, call) as tx:
        profile = authorized_profile(
            tx, call, "iam:AddRoleToInstanceProfile", instance_profile_name
        )
        role = authorized_role(tx, call, "iam:PassRole", role_name, _pass_role_context(call))
        refuse_if_service_linked(role)
        quota = env.quotas.roles_per_instance_profile
        if len(tx.rights(INSTANCE_PROFILE_ROLE, profile.id)) >= quota:
            raise errors.LimitExceeded(
                f"Cannot exceed quota for InstanceSessionsPerInstanceProfile: {quota}"
            )
        if not tx.link(INSTANCE_PROFILE_ROLE, call.account_id, profile.id, role.id):
            raise errors.EntityAlreadyExists(
                f"Role {role.name} is already in instance profile {profile.name}."
            )


def _pass_role_context(call: Call) -> dict[str, ContextValue]:
    """What AWS tells iam:PassRole when a role goes into an instance profile: EC2 instances."""
    return {
        "iam:PassedToService": PASSED_TO_SERVICE,
        "iam:AssociatedResourceArn": f"arn:aws:ec2:*:{call.account_id}:instance/*",
    }


def remove_role_from_instance_profile(
    env: Env, call: Call, instance_profile_name: str, role_name: str
) -> None:
    """RemoveRoleFromInstanceProfile. Raises NoSuchEntity when the role is not in the
    profile, UnmodifiableEntity for a service-linked role, AccessDenied."""
    with writing(env, call) as tx:
        profile = authorized_profile(
            tx, call, "iam:RemoveRoleFromInstanceProfile", instance_profile_name
        )
        role = tx.get(Role, call.account_id, role_name)
        if role is None:
            raise errors.NoSuchEntity(f"The role with name {role_name} cannot be found.")
        refuse_if_service_linked(role)
        if not tx.unlink(INSTANCE_PROFILE_ROLE, profile.id, role.id):
            raise errors.NoSuchEntity(
                f"The role {role.name} cannot be found in instance profile {profile.name}."
            )


def tag_instance_profile(
    env: Env, call: Call, instance_profile_name: str, tags: Sequence[Mapping[str, str]]
) -> None:
    tag_resource(
        env, call, "iam:TagInstanceProfile", TAG_KIND,
        lambda tx: find_profile(tx, call, instance_profile_name),
        lambda profile: profile.arn, tags,
        missing=MissingTarget(
            profile_arn(call, instance_profile_name), missing(instance_profile_name)
        ),
    )


def untag_instance_profile(
    env: Env, call: Call, instance_profile_name: str, tag_keys: Sequence[str]
) -> None:
    untag_resource(
        env, call, "iam:UntagInstanceProfile", TAG_KIND,
        lambda tx: find_profile(tx, call, instance_profile_name),
        lambda profile: profile.arn, tag_keys,
        missing=MissingTarget(
            profile_arn(call, instance_profile_name), missing(instance_profile_name)
        ),
    )


def list_instance_profile_tags(
    env: Env, call: Call, instance_profile_name: str, marker: str | None = None,
    max_items_: int | None = None,
) -> Page[Tag]:
    with reading(env) as tx:
        profile = authorized_profile(
            tx, call, "iam:ListInstanceProfileTags", instance_profile_name
        )
        tags = tx.tags(TAG_KIND, profile.id)
    return slice_page(tags, marker, max_items(max_items_))
