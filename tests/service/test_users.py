"""Users and access keys, as use cases (no HTTP): the rules AWS applies."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from iamd.domain import errors
from iamd.domain.entities import ConsoleSession, UsedPassword
from iamd.domain.quotas import Quotas
from iamd.service import accounts
from iamd.service.iam import access_keys, account, users

from .conftest import ACCOUNT, NOW, Callers

ALLOW_ALL = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


def test_create_get_list_delete(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    made = users.create_user(env, root, "alice", "/team/", tags=[{"Key": "k", "Value": "v"}])
    assert made.user is not None
    assert made.user.arn == f"arn:aws:iam::{ACCOUNT}:user/team/alice"
    assert made.user.id.startswith("AIDA")
    assert len(made.user.id) == 21
    got = users.get_user(env, root, "ALICE")  # names are case-insensitive
    assert got.user == made.user
    assert [t.key for t in got.tags] == ["k"]
    with pytest.raises(errors.EntityAlreadyExists):
        users.create_user(env, root, "Alice")
    assert [u.name for u in users.list_users(env, root).items] == ["alice"]
    assert users.list_users(env, root, path_prefix="/other/").items == []
    users.delete_user(env, root, "alice")
    with pytest.raises(errors.NoSuchEntity, match="The user with name alice cannot be found"):
        users.get_user(env, root, "alice")


def test_create_user_at_the_quota_says_an_existing_name_exists(callers: Callers) -> None:
    env = replace(callers.env, quotas=Quotas(users_per_account=2))
    root = callers.root()
    users.create_user(env, root, "alice")
    with pytest.raises(errors.EntityAlreadyExists, match="User with name ALICE already exists"):
        users.create_user(env, root, "ALICE")
    users.create_user(env, root, "bob")
    with pytest.raises(errors.EntityAlreadyExists, match="User with name Bob already exists"):
        users.create_user(env, root, "Bob")
    with pytest.raises(errors.LimitExceeded, match="UsersPerAccount: 2"):
        users.create_user(env, root, "carol")
    assert [u.name for u in users.list_users(env, root).items] == ["alice", "bob"]


def test_delete_user_removes_its_password_history_and_console_sessions(
    callers: Callers,
) -> None:
    env, root = callers.env, callers.root()
    kept = users.create_user(env, root, "kept").user
    gone = users.create_user(env, root, "gone").user
    assert kept is not None
    assert gone is not None
    with env.store.write() as tx:
        for number, user in enumerate((kept, gone)):
            tx.add(UsedPassword(ACCOUNT, f"used-{number}", user.id, "hash", NOW))
            tx.add(ConsoleSession(ACCOUNT, f"session-{number}", user.id, b"hash", NOW, NOW))
    users.delete_user(env, root, "gone")  # neither is a conflict
    with env.store.read() as tx:
        assert tx.get_by_id(UsedPassword, "used-1") is None
        assert tx.get_by_id(ConsoleSession, "session-1") is None
        assert tx.get_by_id(UsedPassword, "used-0") is not None
        assert tx.get_by_id(ConsoleSession, "session-0") is not None


def test_new_user_can_do_nothing_and_gets_awss_message(callers: Callers) -> None:
    bob = callers.user("bob")
    with pytest.raises(errors.AccessDenied) as denied:
        users.list_users(callers.env, bob)
    assert denied.value.message == (
        f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: iam:ListUsers "
        f"on resource: arn:aws:iam::{ACCOUNT}:user/ because no identity-based policy allows "
        "the iam:ListUsers action"
    )


def test_inline_allow_then_explicit_deny(callers: Callers) -> None:
    env = callers.env
    users.create_user(env, callers.root(), "carol")
    users.put_user_policy(env, callers.root(), "carol", "all", ALLOW_ALL)
    assert users.list_users(env, callers.user("carol")).items
    deny = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*"}]})
    users.put_user_policy(env, callers.root(), "carol", "deny", deny)
    with pytest.raises(errors.AccessDenied, match="with an explicit deny in an identity-based"):
        users.list_users(env, callers.user("carol"))


def test_pagination(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    for index in range(7):
        users.create_user(env, root, f"u{index}")
    first = users.list_users(env, root, max_items_=3)
    assert [u.name for u in first.items] == ["u0", "u1", "u2"]
    assert first.is_truncated
    second = users.list_users(env, root, marker=first.marker, max_items_=3)
    third = users.list_users(env, root, marker=second.marker, max_items_=3)
    assert [u.name for u in second.items + third.items] == ["u3", "u4", "u5", "u6"]
    assert not third.is_truncated


def test_access_key_quota_and_secret_sealed(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "dave")
    first = access_keys.create_access_key(env, root, "dave")
    access_keys.create_access_key(env, root, "dave")
    with pytest.raises(errors.LimitExceeded, match="AccessKeysPerUser: 2"):
        access_keys.create_access_key(env, root, "dave")
    assert first.secret_access_key.encode() not in first.key.sealed_secret
    with pytest.raises(errors.DeleteConflict, match="must delete access keys first"):
        users.delete_user(env, root, "dave")


def test_deactivated_key_stops_authenticating(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "erin")
    key = access_keys.create_access_key(env, root, "erin").key
    assert callers.authn.credential(key.id) is not None
    access_keys.update_access_key(env, root, key.id, "Inactive", "erin")
    assert callers.authn.credential(key.id) is None


def test_policy_change_is_seen_on_next_call(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "frank")
    users.attach_user_policy(env, root, "frank", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    assert users.list_users(env, callers.user("frank")).items
    users.detach_user_policy(env, root, "frank", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    with pytest.raises(errors.AccessDenied):
        users.list_users(env, callers.user("frank"))


def test_tagging_a_missing_user_does_not_reveal_it(callers: Callers) -> None:
    nobody = callers.user("nosy")
    with pytest.raises(errors.AccessDenied):
        users.tag_user(callers.env, nobody, "ghost", [{"Key": "k", "Value": "v"}])
    with pytest.raises(errors.AccessDenied):
        users.untag_user(callers.env, nobody, "ghost", ["k"])
    with pytest.raises(errors.NoSuchEntity):
        users.tag_user(callers.env, callers.root(), "ghost", [{"Key": "k", "Value": "v"}])


def test_expired_is_not_a_status_a_caller_can_set(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "gina")
    key = access_keys.create_access_key(env, root, "gina").key
    with pytest.raises(errors.InvalidInput):
        access_keys.update_access_key(env, root, key.id, "Expired", "gina")


def test_another_accounts_policy_cannot_be_attached(callers: Callers) -> None:
    env, root = callers.env, callers.root()
    users.create_user(env, root, "hal")
    with pytest.raises(errors.NoSuchEntity, match="does not exist or is not attachable"):
        users.attach_user_policy(env, root, "hal", "arn:aws:iam::210987654321:policy/Theirs")
    with pytest.raises(errors.NoSuchEntity):
        users.put_user_permissions_boundary(
            env, root, "hal", "arn:aws:iam::210987654321:policy/Theirs"
        )


def test_the_user_quota_follows_creates_deletes_and_failed_creates(callers: Callers) -> None:
    """Quotas read the account's kept count (entity_counts): every way a user comes or goes
    moves it, and a refused create does not."""
    env = replace(callers.env, quotas=Quotas(users_per_account=3))
    root = callers.root()
    users.create_user(env, root, "a")
    users.create_user(env, root, "b")
    with pytest.raises(errors.EntityAlreadyExists):  # below the quota: the insert is refused
        users.create_user(env, root, "A")
    users.create_user(env, root, "c")
    with pytest.raises(errors.LimitExceeded):
        users.create_user(env, root, "d")
    users.delete_user(env, root, "a")
    users.create_user(env, root, "d")
    with env.store.read() as tx:
        assert tx.count(users.User, ACCOUNT) == 3
        assert tx.count(users.User, ACCOUNT, path="/") == 3  # counted row by row: the same
    assert account.get_account_summary(env, root)["Users"] == 3


def test_a_deleted_account_leaves_no_count_behind(callers: Callers) -> None:
    root = callers.root()
    for name in ("a", "b"):
        users.create_user(callers.env, root, name)
    accounts.delete_account(callers.env, ACCOUNT)
    accounts.create_account(callers.env, account_id=ACCOUNT)
    with callers.env.store.read() as tx:
        assert tx.count(users.User, ACCOUNT) == 0
