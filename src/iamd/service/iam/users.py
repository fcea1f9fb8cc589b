"""Users: Create/Get/Update/Delete/List and their tags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from iamd.domain import errors
from iamd.domain.entities import (
    Account,
    ConsoleSession,
    InlinePolicy,
    PrincipalKind,
    Tag,
    UsedPassword,
    User,
)
from iamd.domain.identifiers import IdPrefix
from iamd.storage.api import DuplicateEntity, Transaction, UserHoldings

from ..authz import ContextValue, authorize
from ..context import Call, Env
from . import principal_policies
from .boundaries import checked_boundary
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

TAG_KIND = "user"


@dataclass(frozen=True, slots=True)
class UserView:
    """A user and its tags, or the root user (``user`` None) for GetUser without a name."""

    account_id: str
    user: User | None
    tags: Sequence[Tag] = ()
    root: Account | None = None  # the account, for the root user


def missing(name: str) -> errors.NoSuchEntity:
    return errors.NoSuchEntity(f"The user with name {name} cannot be found.")


def _already_exists(name: str) -> errors.EntityAlreadyExists:
    return errors.EntityAlreadyExists(f"User with name {name} already exists.")


def caller_user_name(call: Call) -> str:
    """The calling IAM user's name, for operations whose UserName defaults to the caller;
    ValidationError for role and federated sessions, which are no user."""
    if call.caller.user is None:
        raise errors.ValidationError("Must specify userName when calling with non-User credentials")
    return call.caller.user.name


def user_arn(call: Call, name: str) -> str:
    """The ARN used to authorize a call on a user that may not exist (path unknown)."""
    return account_arn(call, f"user/{name}")


def find_user(tx: Transaction, call: Call, name: str) -> User | None:
    return tx.get(User, call.account_id, name)


def existing_user(tx: Transaction, call: Call, name: str) -> User:
    user = find_user(tx, call, name)
    if user is None:
        raise missing(name)
    return user


def user_context(tx: Transaction, user: User, tags: Sequence[Tag] | None = None
                 ) -> dict[str, ContextValue]:
    """Condition keys describing an existing user: its tags and permissions boundary."""
    return _context_of(user, tx.tags(TAG_KIND, user.id) if tags is None else tags)


def _context_of(user: User, tags: Sequence[Tag]) -> dict[str, ContextValue]:
    context = resource_tag_context(tags)
    if user.permissions_boundary:
        context["iam:PermissionsBoundary"] = user.permissions_boundary
    return context


def authorize_on_user(
    tx: Transaction, call: Call, action: str, name: str,
    extra: Mapping[str, ContextValue] | None = None,
) -> User | None:
    """Authorize ``action`` on the named user (its real ARN when it exists) and return it."""
    user = find_user(tx, call, name)
    if user is None:
        authorize(call, action, user_arn(call, name), extra)
        return None
    authorize(call, action, user.arn, {**user_context(tx, user), **(extra or {})})
    return user


def create_user(
    env: Env, call: Call, user_name: str, path: str = "/",
    permissions_boundary: str | None = None, tags: Sequence[Mapping[str, str]] | None = None,
) -> UserView:
    new_tags = tags_from(tags)
    arn = account_arn(call, f"user{path}{user_name}")
    context: dict[str, ContextValue] = {}
    if new_tags:
        context.update(request_tag_context(new_tags))
    if permissions_boundary:
        context["iam:PermissionsBoundary"] = permissions_boundary
    with writing(env, call, authorization_unchanged=True) as tx:
        authorize(call, "iam:CreateUser", arn, context)
        if new_tags:
            authorize(call, "iam:TagUser", arn, context)
        if permissions_boundary:
            checked_boundary(env, tx, call, permissions_boundary)
        if tx.count(User, call.account_id) >= env.quotas.users_per_account:
            if find_user(tx, call, user_name) is not None:  # that error comes first
                raise _already_exists(user_name)
            raise errors.LimitExceeded(
                f"Cannot exceed quota for UsersPerAccount: {env.quotas.users_per_account}"
            )
        user = User(
            call.account_id, new_id(env, IdPrefix.USER), user_name, path, call.request.now,
            permissions_boundary,
        )
        try:
            tx.add(user)
        except DuplicateEntity:  # the unique name (writers of an account take turns)
            raise _already_exists(user_name) from None
        if new_tags:
            merge_tags(env, tx, call, TAG_KIND, user.id, new_tags)
    return UserView(call.account_id, user, new_tags)


def get_user(env: Env, call: Call, user_name: str | None = None) -> UserView:
    if user_name is None:
        if call.caller.is_root:
            with reading(env) as tx:
                return UserView(call.account_id, None, (), tx.account(call.account_id))
        user_name = caller_user_name(call)
    found = env.store.user_with_tags(call.account_id, user_name, TAG_KIND)
    if found is None:
        authorize(call, "iam:GetUser", user_arn(call, user_name))
        raise missing(user_name)
    user, tags = found
    authorize(call, "iam:GetUser", user.arn, _context_of(user, tags))
    return UserView(call.account_id, user, tags)


def update_user(
    env: Env, call: Call, user_name: str, new_path: str | None = None,
    new_user_name: str | None = None,
) -> None:
    with writing(env, call) as tx:
        user = authorize_on_user(tx, call, "iam:UpdateUser", user_name)
        if user is None:
            raise missing(user_name)
        renamed = replace(
            user, name=new_user_name or user.name, path=new_path or user.path
        )
        if new_user_name and new_user_name != user.name:
            authorize(call, "iam:UpdateUser", renamed.arn)
            other = find_user(tx, call, new_user_name)
            if other is not None and other.id != user.id:
                raise errors.EntityAlreadyExists(
                    f"User with name {new_user_name} already exists."
                )
        tx.replace(renamed)


def delete_user(env: Env, call: Call, user_name: str) -> None:
    # No version bump: a user can only be deleted once it holds no credentials and no
    # policies (see _refuse_if_in_use), so no cached caller is it or depends on it.
    with writing(env, call, authorization_unchanged=True) as tx:
        found = tx.user_with_tags(call.account_id, user_name, TAG_KIND)
        if found is None:
            authorize(call, "iam:DeleteUser", user_arn(call, user_name))
            raise missing(user_name)
        user, tags = found
        authorize(call, "iam:DeleteUser", user.arn, _context_of(user, tags))
        held = tx.user_holdings(call.account_id, user.id)
        _refuse_if_in_use(held)
        if tags:
            tx.clear_tags(TAG_KIND, user.id)
        if held.password_history:
            for used in tx.find(UsedPassword, call.account_id, user_id=user.id):
                tx.remove(UsedPassword, used.id)
        if held.console_sessions:
            for session in tx.find(ConsoleSession, call.account_id, user_id=user.id):
                tx.remove(ConsoleSession, session.id)
        tx.remove(User, user.id)


def _refuse_if_in_use(held: UserHoldings) -> None:
    """AWS refuses to delete a user that still has anything attached to it."""
    checks: list[tuple[bool, str]] = [
        (held.access_keys, "must delete access keys first"),
        (held.groups, "must remove users from group first"),
        (held.attached_policies, "must detach all policies first"),
        (held.inline_policies, "must delete policies first"),
        (held.signing_certificates, "must delete signing certificates first"),
        (held.ssh_public_keys, "must delete SSH public keys first"),
        (held.login_profile, "must delete login profile first"),
        (held.mfa_devices, "must delete MFA device first"),
    ]
    for in_use, what in checks:
        if in_use:
            raise errors.DeleteConflict(f"Cannot delete entity, {what}.")


def list_users(
    env: Env, call: Call, path_prefix: str = "/", marker: str | None = None,
    max_items_: int | None = None,
) -> Page[User]:
    limit = max_items(max_items_)
    with reading(env) as tx:
        authorize(call, "iam:ListUsers", account_arn(call, f"user{path_prefix}"))
        users = tx.page(
            User, call.account_id, path_prefix=path_prefix, after=decode_marker(marker),
            limit=limit + 1,
        )
    return page_of(users, limit, lambda user: user.name.lower())


def tag_user(env: Env, call: Call, user_name: str, tags: Sequence[Mapping[str, str]]) -> None:
    tag_resource(
        env, call, "iam:TagUser", TAG_KIND, lambda tx: find_user(tx, call, user_name),
        lambda user: user.arn, tags,
        missing=MissingTarget(user_arn(call, user_name), missing(user_name)),
    )


def untag_user(env: Env, call: Call, user_name: str, tag_keys: Sequence[str]) -> None:
    untag_resource(
        env, call, "iam:UntagUser", TAG_KIND, lambda tx: find_user(tx, call, user_name),
        lambda user: user.arn, tag_keys,
        missing=MissingTarget(user_arn(call, user_name), missing(user_name)),
    )


def list_user_tags(
    env: Env, call: Call, user_name: str, marker: str | None = None,
    max_items_: int | None = None,
) -> Page[Tag]:
    with reading(env) as tx:
        user = authorize_on_user(tx, call, "iam:ListUserTags", user_name)
        if user is None:
            raise missing(user_name)
        tags = tx.tags(TAG_KIND, user.id)
    return slice_page(tags, marker, max_items(max_items_))


def _authorized_user(
    tx: Transaction, call: Call, action: str, name: str,
    extra: Mapping[str, ContextValue] | None = None,
) -> User:
    user = authorize_on_user(tx, call, action, name, extra)
    if user is None:
        raise missing(name)
    return user


# -- the user's policies and boundary ------------------------------------------------------
POLICIES = principal_policies.Holder(
    PrincipalKind.USER, "User", _authorized_user, _authorized_user
)


def put_user_policy(
    env: Env, call: Call, user_name: str, policy_name: str, policy_document: str
) -> None:
    principal_policies.put_policy(env, call, POLICIES, user_name, policy_name, policy_document)


def get_user_policy(env: Env, call: Call, user_name: str, policy_name: str) -> InlinePolicy:
    return principal_policies.get_policy(env, call, POLICIES, user_name, policy_name)


def delete_user_policy(env: Env, call: Call, user_name: str, policy_name: str) -> None:
    principal_policies.delete_policy(env, call, POLICIES, user_name, policy_name)


def list_user_policies(
    env: Env, call: Call, user_name: str, marker: str | None = None,
    max_items_: int | None = None,
) -> Page[str]:
    return principal_policies.list_policies(env, call, POLICIES, user_name, marker, max_items_)


def attach_user_policy(env: Env, call: Call, user_name: str, policy_arn: str) -> None:
    principal_policies.attach_policy(env, call, POLICIES, user_name, policy_arn)


def detach_user_policy(env: Env, call: Call, user_name: str, policy_arn: str) -> None:
    principal_policies.detach_policy(env, call, POLICIES, user_name, policy_arn)


def list_attached_user_policies(
    env: Env, call: Call, user_name: str, path_prefix: str = "/", marker: str | None = None,
    max_items_: int | None = None,
) -> Page[principal_policies.AttachedPolicy]:
    return principal_policies.list_attached_policies(
        env, call, POLICIES, user_name, path_prefix, marker, max_items_
    )


def put_user_permissions_boundary(
    env: Env, call: Call, user_name: str, permissions_boundary: str
) -> None:
    with writing(env, call) as tx:
        user = _authorized_user(
            tx, call, "iam:PutUserPermissionsBoundary", user_name,
            {"iam:PermissionsBoundary": permissions_boundary},
        )
        checked_boundary(env, tx, call, permissions_boundary)
        tx.replace(replace(user, permissions_boundary=permissions_boundary))


def delete_user_permissions_boundary(env: Env, call: Call, user_name: str) -> None:
    with writing(env, call) as tx:
        user = _authorized_user(tx, call, "iam:DeleteUserPermissionsBoundary", user_name)
        tx.replace(replace(user, permissions_boundary=None))


def credential_owner(
    tx: Transaction, call: Call, action: str, user_name: str | None
) -> User | None:
    """The user a credential call is about: the named one, else the caller (None: root).

    Authorized on the user's ARN (the root's when the root calls about itself) before
    anything about the user is revealed.
    """
    if user_name is None:
        if call.caller.is_root:
            authorize(call, action, call.caller.arn)
            return None
        user_name = caller_user_name(call)
    user = authorize_on_user(tx, call, action, user_name)
    if user is None:
        raise missing(user_name)
    return user
