"""Concurrency, several servers on one database, and crashes in the middle of writes."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import botocore.exceptions
import botocore.parsers
import pytest
from botocore.exceptions import ClientError

from .conftest import Account, Database, Server, new_account

POLICIES = [f"arn:aws:iam::aws:policy/{name}" for name in (
    "AdministratorAccess", "PowerUserAccess", "IAMFullAccess", "IAMReadOnlyAccess",
    "IAMUserChangePassword", "ReadOnlyAccess", "AmazonS3FullAccess", "AmazonS3ReadOnlyAccess",
    "AmazonEC2FullAccess", "AmazonEC2ReadOnlyAccess", "SecurityAudit", "AWSSupportAccess",
)]


def test_twenty_clients_lose_no_update_and_keep_quotas(account: Account) -> None:
    account.iam.create_user(UserName="busy")
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(index: int) -> None:
        client = account.client()  # botocore clients are thread-safe
        for round_ in range(6):
            arn = POLICIES[(index + round_) % len(POLICIES)]
            calls = [
                (client.attach_user_policy, {"UserName": "busy", "PolicyArn": arn}),
                (client.create_access_key, {"UserName": "busy"}),
                (client.detach_user_policy, {"UserName": "busy", "PolicyArn": arn}),
            ]
            for call, kwargs in calls[: 2 if (index + round_) % 3 else 3]:
                try:
                    call(**kwargs)
                    key = "ok"
                except ClientError as error:
                    key = error.response["Error"]["Code"]
                with lock:
                    outcomes[key] += 1

    with ThreadPoolExecutor(20) as pool:
        list(pool.map(worker, range(20)))

    attached = account.iam.list_attached_user_policies(UserName="busy")["AttachedPolicies"]
    keys = account.iam.list_access_keys(UserName="busy")["AccessKeyMetadata"]
    assert len(attached) <= 10
    assert len(keys) == 2
    assert set(outcomes) <= {"ok", "LimitExceeded", "NoSuchEntity"}, outcomes
    assert outcomes["LimitExceeded"] > 0  # the quotas were really contended
    # No lost update: what the server lists is exactly what a serial replay would keep.
    listed = {policy["PolicyArn"] for policy in attached}
    assert listed <= set(POLICIES)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_servers_on_one_database_act_as_one(server: Server, session_tmp: Path) -> None:
    other = Server.start(server.database, session_tmp)
    try:
        account = new_account(server.database, server)
        admin = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
        user = account.user_with_key("reader", admin)
        key_id = user._request_signer._credentials.access_key
        secret = user._request_signer._credentials.secret_key
        via_other = Account(other, account.id, account.key_id, account.secret)
        user_on_other = via_other.client(key_id, secret)
        assert user_on_other.list_users()["Users"]
        account.iam.detach_user_policy(UserName="reader", PolicyArn=admin)  # through server 1
        with pytest.raises(ClientError) as denied:
            user_on_other.list_users()  # server 2, very next request
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
        account.iam.attach_user_policy(UserName="reader", PolicyArn=admin)
        assert user_on_other.list_users()["Users"]
        via_other.iam.update_access_key(UserName="reader", AccessKeyId=key_id, Status="Inactive")
        with pytest.raises(ClientError) as locked:
            user.list_users()  # server 1 sees server 2's deactivation at once
        assert locked.value.response["Error"]["Code"] == "InvalidClientTokenId"
    finally:
        other.stop()


def test_sigkill_mid_writes_leaves_whole_operations(fresh_database: Database,
                                                    tmp_path: Path) -> None:
    server = Server.start(fresh_database, tmp_path)
    account = new_account(fresh_database, server)
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(20)]
    stop = threading.Event()
    created = threading.Semaphore(0)

    def writer(worker: int) -> None:
        client = account.client()
        index = 0
        while not stop.is_set():
            try:
                client.create_user(UserName=f"w{worker}-{index}", Tags=tags)
            except (ClientError, OSError, botocore.exceptions.BotoCoreError,
                    botocore.parsers.ResponseParserError):
                return  # the server is gone (or went mid-answer)
            created.release()
            index += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for _ in range(20):
        assert created.acquire(timeout=30)
    server.kill()  # SIGKILL, mid-write
    stop.set()
    for thread in threads:
        thread.join()

    restarted = Server.start(fresh_database, tmp_path)
    try:
        iam = Account(restarted, account.id, account.key_id, account.secret).iam
        users = [user["UserName"] for page in iam.get_paginator("list_users").paginate()
                 for user in page["Users"]]
        assert users, "some users were created before the kill"
        for name in users:
            assert len(iam.list_user_tags(UserName=name)["Tags"]) == 20, name
    finally:
        restarted.stop()


def test_concurrent_read_modify_writes_lose_nothing(account: Account) -> None:
    """Tags and inline policies are read, merged and written back: 20 clients at once must
    each find their change at the end."""
    account.iam.create_user(UserName="shared")
    document = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:%s","Resource":"*"}]}'
    )

    def change(index: int) -> None:
        client = account.client()
        client.tag_user(UserName="shared", Tags=[{"Key": f"k{index}", "Value": str(index)}])
        client.put_user_policy(UserName="shared", PolicyName=f"p{index}",
                               PolicyDocument=document % f"Get{index}")

    with ThreadPoolExecutor(20) as pool:
        list(pool.map(change, range(20)))
    tags = account.iam.list_user_tags(UserName="shared")["Tags"]
    assert {tag["Key"] for tag in tags} == {f"k{index}" for index in range(20)}
    names = account.iam.list_user_policies(UserName="shared")["PolicyNames"]
    assert sorted(names) == sorted(f"p{index}" for index in range(20))


def test_access_key_last_used_is_recorded(account: Account) -> None:
    user = account.user_with_key("stamp", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    key_id = user._request_signer._credentials.access_key
    before = account.iam.get_access_key_last_used(AccessKeyId=key_id)["AccessKeyLastUsed"]
    assert before["ServiceName"] == "N/A"
    assert "LastUsedDate" not in before
    user.list_users()
    after = account.iam.get_access_key_last_used(AccessKeyId=key_id)
    assert after["UserName"] == "stamp"
    assert after["AccessKeyLastUsed"]["ServiceName"] == "iam"
    assert after["AccessKeyLastUsed"]["Region"] == "us-east-1"
    assert after["AccessKeyLastUsed"]["LastUsedDate"]
