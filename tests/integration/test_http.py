"""HTTP/1.1 on the API path, byte by byte: keep-alive, pipelining, Connection: close, HTTP/1.0,
chunked bodies, Expect: 100-continue and the body limit.

Most API requests are answered in place by `iamd.server.http.ApiHttpProtocol`; some go through
uvicorn's ASGI path (password hashing, 100-continue, anything behind an answer still on that
path). Each test mixes both and checks what a client sees.
"""

from __future__ import annotations

import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import Account, Database, Server, new_account
from .test_wire import NS, error_of, signed

GET_USER = {"Action": "GetUser", "Version": "2010-05-08"}
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: iamd\r\n\r\n"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def operation(self) -> str:
        """The XML root's name (``GetUserResponse``), or ``json`` for /healthz."""
        if self.headers.get("content-type", "").startswith("application/json"):
            return "json"
        return ET.fromstring(self.body).tag.removeprefix(NS)


class Connection:
    """One client connection that writes raw bytes and reads HTTP/1.1 answers."""

    def __init__(self, server: Server) -> None:
        self.socket = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        self._buffer = b""

    def send(self, *requests: bytes) -> None:
        self.socket.sendall(b"".join(requests))

    def _fill(self) -> bool:
        chunk = self.socket.recv(65536)
        self._buffer += chunk
        return bool(chunk)

    def read(self) -> Answer:
        while b"\r\n\r\n" not in self._buffer:
            assert self._fill(), "the server closed the connection"
        head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self._buffer) < length:
            assert self._fill(), "the server closed the connection mid-body"
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        return Answer(int(status_line.split(" ")[1]), headers, body)

    def closed_by_server(self) -> bool:
        """True when the server closes the connection with nothing more to read."""
        try:
            return not self._fill() and not self._buffer
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def connection(account: Account) -> Iterator[Connection]:
    opened = Connection(account.server)
    yield opened
    opened.close()


def api_request(account: Account, form: dict[str, str], *, version: str = "1.1",
                extra_headers: dict[str, str] | None = None, chunks: int = 0) -> bytes:
    """A signed POST / as bytes; its body sent in ``chunks`` chunks when ``chunks`` > 0."""
    body, headers = signed(account, form)
    headers = {"Host": f"127.0.0.1:{account.server.port}", **headers, **(extra_headers or {})}
    if chunks:
        headers["Transfer-Encoding"] = "chunked"
        size = -(-len(body) // chunks)
        parts = [body[at:at + size] for at in range(0, len(body), size)]
        payload = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"
    else:
        headers["Content-Length"] = str(len(body))
        payload = body
    head = f"POST / HTTP/{version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode("latin-1") + b"\r\n" + payload


def test_keep_alive_connection_answers_each_request_with_aws_headers(
    account: Account, connection: Connection,
) -> None:
    ids = set()
    for _ in range(3):
        connection.send(api_request(account, GET_USER))
        answer = connection.read()
        assert (answer.status, answer.operation) == (200, "GetUserResponse")
        assert answer.headers["content-type"] == "text/xml"
        assert answer.headers["content-length"] == str(len(answer.body))
        assert "date" in answer.headers
        assert "connection" not in answer.headers
        request_id = answer.headers["x-amzn-requestid"]
        assert ET.fromstring(answer.body).findtext(
            f"{NS}ResponseMetadata/{NS}RequestId") == request_id
        ids.add(request_id)
    assert len(ids) == 3


def test_pipelined_requests_are_answered_in_order(
    account: Account, connection: Connection,
) -> None:
    list_users = {"Action": "ListUsers", "Version": "2010-05-08"}
    connection.send(api_request(account, list_users), HEALTHZ, api_request(account, GET_USER),
                    HEALTHZ, api_request(account, list_users))
    got = [connection.read().operation for _ in range(5)]
    assert got == ["ListUsersResponse", "json", "GetUserResponse", "json", "ListUsersResponse"]


def test_a_password_change_pipelined_before_other_calls_keeps_their_order(
    account: Account, connection: Connection,
) -> None:
    """CreateLoginProfile hashes its password on a thread of its own (uvicorn's path); the
    calls behind it on the connection wait for its answer."""
    account.iam.create_user(UserName="pipelined")
    create_profile = {"Action": "CreateLoginProfile", "Version": "2010-05-08",
                      "UserName": "pipelined", "Password": "Pipelined-passw0rd!"}
    connection.send(api_request(account, create_profile), api_request(account, GET_USER),
                    HEALTHZ, api_request(account, GET_USER))
    got = [connection.read() for _ in range(4)]
    assert [answer.operation for answer in got] == [
        "CreateLoginProfileResponse", "GetUserResponse", "json", "GetUserResponse"]
    assert [answer.status for answer in got] == [200, 200, 200, 200]
    assert account.iam.get_login_profile(UserName="pipelined")["LoginProfile"]


def test_connection_close_is_honoured(account: Account, connection: Connection) -> None:
    connection.send(api_request(account, GET_USER, extra_headers={"Connection": "close"}))
    answer = connection.read()
    assert (answer.status, answer.headers.get("connection")) == (200, "close")
    assert connection.closed_by_server()


def test_http_1_0_gets_one_answer_and_the_connection_closed(
    account: Account, connection: Connection,
) -> None:
    connection.send(api_request(account, GET_USER, version="1.0"))
    answer = connection.read()
    assert (answer.status, answer.operation) == (200, "GetUserResponse")
    assert connection.closed_by_server()


def test_chunked_body(account: Account, connection: Connection) -> None:
    connection.send(api_request(account, {**GET_USER, "UserName": "nobody-chunked"}, chunks=3))
    answer = connection.read()
    assert (answer.status, error_of(ET.fromstring(answer.body))[0]) == (404, "NoSuchEntity")
    connection.send(api_request(account, GET_USER, chunks=2))
    assert connection.read().operation == "GetUserResponse"


def test_expect_100_continue(account: Account, connection: Connection) -> None:
    request = api_request(account, GET_USER, extra_headers={"Expect": "100-continue"})
    head, body = request.split(b"\r\n\r\n", 1)
    connection.send(head + b"\r\n\r\n")
    interim = connection.read()  # the body is sent only once the server asks for it
    assert interim.status == 100
    connection.send(body)
    answer = connection.read()
    assert (answer.status, answer.operation) == (200, "GetUserResponse")


@pytest.fixture
def tuned_server(fresh_database: Database, tmp_path: Path) -> Iterator[Server]:
    """A server with a 2 KiB body limit and a password hash of a second or more."""
    server = Server.start(fresh_database, tmp_path, env={
        "IAMD_MAX_BODY_BYTES": "2048", "IAMD_PASSWORD_HASH_TIME_COST": "40"})
    yield server
    server.stop()


def test_bodies_over_the_limit(fresh_database: Database, tuned_server: Server) -> None:
    account = new_account(fresh_database, tuned_server)
    padded = {**GET_USER, "Pad": "x" * 4096}
    connection = Connection(tuned_server)
    try:
        # Over the limit: read and dropped, a 413, and the connection still serves.
        connection.send(api_request(account, padded), api_request(account, GET_USER))
        answer = connection.read()
        assert (answer.status, error_of(ET.fromstring(answer.body))[0]) == (
            413, "RequestEntityTooLarge")
        assert connection.read().operation == "GetUserResponse"
        # Far over it (more than 16 times): answered at once, and the connection closed.
        connection.send(api_request(account, {**GET_USER, "Pad": "x" * 40_000}))
        answer = connection.read()
        assert (answer.status, answer.headers.get("connection")) == (413, "close")
        assert connection.closed_by_server()
    finally:
        connection.close()


def test_other_connections_are_answered_while_a_password_is_hashed(
    fresh_database: Database, tuned_server: Server,
) -> None:
    account = new_account(fresh_database, tuned_server)
    account.iam.create_user(UserName="slow-hash")
    hashing, other = Connection(tuned_server), Connection(tuned_server)
    try:
        hashing.send(api_request(account, {
            "Action": "CreateLoginProfile", "Version": "2010-05-08", "UserName": "slow-hash",
            "Password": "Slow-hash-passw0rd!"}))
        time.sleep(0.1)  # the hash (over a second here) has begun
        for _ in range(3):
            other.send(api_request(account, GET_USER))
            assert other.read().operation == "GetUserResponse"
        hashing.socket.setblocking(False)
        with pytest.raises(BlockingIOError):  # still hashing: nothing to read yet
            hashing.socket.recv(1)
        hashing.socket.setblocking(True)
        assert hashing.read().operation == "CreateLoginProfileResponse"
    finally:
        hashing.close()
        other.close()
