"""API benchmark: iamd's HTTP server against moto's, signed IAM Query calls, in one run.

Run from the repository root (moto, with Flask for its server, comes with the ``bench`` extra)::

    .venv/bin/python bench/api.py                          # both servers, 5 s per figure, 3 runs
    .venv/bin/python bench/api.py --only moto --duration 2 --runs 1    # a smoke run
    .venv/bin/python bench/api.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Operations: GetUser, ListUsers returning 100 and 1,000 users (PathPrefix, MaxItems 1000),
CreateUser+DeleteUser (one pair is one operation), an AccessDenied call (a user without
policies calls GetUser: iamd answers 403 AccessDenied; moto, which authorizes nothing,
answers 200: both are shown, labelled), STS AssumeRole (the operator user assumes a role
whose trust policy names it; every call a new session) and GetUser signed with temporary
credentials (an assumed-role session whose role allows ``iam:*``: iamd opens the session
token and authorizes against the role's policies). The caller is an IAM user with an inline policy
allowing ``iam:*`` (``--caller root`` uses the root key instead), so iamd verifies every
signature and authorizes every call against a policy.

Each figure: 1 and 4 client processes (``--clients``), each with a keep-alive connection,
calling in a loop for ``--duration`` seconds after a short warm-up and a common start.
Two client kinds: ``boto3`` (what users run) and ``raw`` (a minimal SigV4 signer writing
HTTP/1.1 on a socket, which takes most of the client's CPU cost out of a 2-core machine). req/s is
every completed call over the common window; p50/p99 are nearest-rank percentiles of every
call's time (perf_counter_ns). Each figure is the median of ``--runs`` runs; iamd and moto
alternate run by run. The ratio is iamd req/s over moto req/s.

Client ceilings (when both servers run): GetUser, ListUsers and CreateUser+DeleteUser again,
against a replay server that answers each call at once with iamd's recorded answer to it.
What the clients reach there is the most any server could reach with them on this machine,
and its ratio to moto the highest ratio any server could show.

The scale test (``--database-url``, skipped without it or with ``--skip-scale``; alone with
``--scale-only``) creates a scratch PostgreSQL database on that server, runs a second iamd on
it, measures GetUser at 1,000 users, loads ``--scale`` users and ``--scale-policies`` policies
straight into the database with ``bench/bulk_load.py`` (or another ``--bulk-loader``; through
the API with many client processes with ``--load-through-api``), measures GetUser again and
drops the database. The last lines compare the results with the targets.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import hmac
import http.client
import json
import math
import multiprocessing
import os
import secrets
import shlex
import signal
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "123456789012"
REGION = "us-east-1"
HOST = "127.0.0.1"
IAM_VERSION = "2010-05-08"
STS_VERSION = "2011-06-15"
CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
SIGNED_HEADERS = "content-type;host;x-amz-date"
TOKEN_SIGNED_HEADERS = SIGNED_HEADERS + ";x-amz-security-token"

USERS = 1000
SMALL_LIST = 100  # users under SMALL_PREFIX; the rest under LARGE_PREFIX
SMALL_PREFIX = "/bench/p100/"
LARGE_PREFIX = "/bench/p900/"
LIST_PREFIX = "/bench/"
OPERATOR = "bench-operator"
DENIED = "bench-denied"
OPERATOR_POLICY = "bench-iam-full"
ALLOW_IAM = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}],
}
ROLE = "bench-role"
ROLE_SESSION_SECONDS = 43_200  # the temporary credentials outlast a full run

OPERATIONS = ("GetUser", "ListUsers100", "ListUsers1000", "CreateDeleteUser", "AccessDenied",
              "AssumeRole", "TemporaryGetUser")
LABELS = {
    "GetUser": "GetUser",
    "ListUsers100": "ListUsers 100",
    "ListUsers1000": "ListUsers 1,000",
    "CreateDeleteUser": "Create+DeleteUser",
    "AccessDenied": "AccessDenied call",
    "AssumeRole": "AssumeRole",
    "TemporaryGetUser": "GetUser temp creds",
}
UNITS = {"CreateDeleteUser": "pairs/s"}
KINDS = ("boto3", "raw")
WARMUP_CALLS = 10
OUTCOMES = {"ok": "allowed", "denied": "denied", "error": "ERRORS"}

# ---------------------------------------------------------------------------------------
# Credentials and the raw SigV4 client


@dataclass(frozen=True, slots=True)
class Credentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)  # temporary credentials


def random_credentials() -> Credentials:
    """A root key for a fresh iamd account (never printed)."""
    upper = string.ascii_uppercase + string.digits
    key_id = "AKIA" + "".join(secrets.choice(upper) for _ in range(16))
    alphabet = string.ascii_letters + string.digits + "+/"
    return Credentials(key_id, "".join(secrets.choice(alphabet) for _ in range(40)))


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


class SigV4Signer:
    """Signs IAM Query POSTs to ``/`` (AWS Signature Version 4), one fresh signature each."""

    def __init__(self, credentials: Credentials, host: str, region: str = REGION,
                 service: str = "iam") -> None:
        self._credentials = credentials
        self._host = host
        self._scope_tail = f"{region}/{service}/aws4_request"
        self._region, self._service = region, service
        self._day_key: tuple[str, bytes] = ("", b"")

    def _signing_key(self, day: str) -> bytes:
        if self._day_key[0] != day:
            key = _hmac(("AWS4" + self._credentials.secret_access_key).encode(), day)
            for part in (self._region, self._service, "aws4_request"):
                key = _hmac(key, part)
            self._day_key = (day, key)
        return self._day_key[1]

    def headers(self, body: bytes, now: datetime | None = None) -> dict[str, str]:
        amz_date = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
        day = amz_date[:8]
        token = self._credentials.session_token
        canonical_headers = [
            f"content-type:{CONTENT_TYPE}", f"host:{self._host}", f"x-amz-date:{amz_date}",
        ]
        if token is not None:
            canonical_headers.append(f"x-amz-security-token:{token}")
        signed_headers = SIGNED_HEADERS if token is None else TOKEN_SIGNED_HEADERS
        canonical = "\n".join((
            "POST", "/", "", *canonical_headers, "",
            signed_headers, hashlib.sha256(body).hexdigest(),
        ))
        scope = f"{day}/{self._scope_tail}"
        to_sign = "\n".join((
            "AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()
        ))
        signature = hmac.new(self._signing_key(day), to_sign.encode(), hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": CONTENT_TYPE,
            "Host": self._host,
            "X-Amz-Date": amz_date,
            "Authorization": (
                f"AWS4-HMAC-SHA256 Credential={self._credentials.access_key_id}/{scope}, "
                f"SignedHeaders={signed_headers}, Signature={signature}"
            ),
        }
        if token is not None:
            headers["X-Amz-Security-Token"] = token
        return headers


def check_signer() -> None:
    """Exit unless the raw signer agrees with botocore's SigV4 on sample requests (long-term
    and temporary credentials)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials

    plain = random_credentials()
    temporary = Credentials(plain.access_key_id, plain.secret_access_key, "token/with+chars=")
    host = f"{HOST}:8000"
    body = urllib.parse.urlencode({"Action": "GetUser", "Version": IAM_VERSION,
                                   "UserName": "a b+c"}).encode()
    now = datetime(2026, 3, 1, 12, 30, 5, tzinfo=UTC)
    for credentials in (plain, temporary):
        ours = SigV4Signer(credentials, host).headers(body, now)
        headers = {"Content-Type": CONTENT_TYPE, "X-Amz-Date": ours["X-Amz-Date"]}
        if credentials.session_token is not None:
            headers["X-Amz-Security-Token"] = credentials.session_token
        request = AWSRequest(method="POST", url=f"http://{host}/", data=body, headers=headers)
        request.context["timestamp"] = ours["X-Amz-Date"]
        auth = SigV4Auth(BotoCredentials(credentials.access_key_id,
                                         credentials.secret_access_key,
                                         credentials.session_token), "iam", REGION)
        expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)),
                                  request)
        if not ours["Authorization"].endswith(f"Signature={expected}"):
            sys.exit("the raw SigV4 signer disagrees with botocore; fix bench/api.py")


class KeepAliveConnection:
    """HTTP/1.1 on one socket: a request written in one send, its answer read by Content-Length
    (or chunked, or to the end). ``http.client`` parses headers with the email package and
    costs the client about 0.1 ms a call, more than this on a 2-core machine the server shares.
    Reconnects when the server closed the connection between calls."""

    def __init__(self, port: int, timeout: float = 60) -> None:
        self._address = (HOST, port)
        self._timeout = timeout
        self._socket: socket.socket | None = None
        self._buffer = bytearray()

    def request(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        for attempt in (1, 2):
            fresh = self._socket is None
            if self._socket is None:
                self._socket = socket.create_connection(self._address, self._timeout)
                self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._buffer.clear()
            try:
                self._socket.sendall(head + body)
                return self._response()
            except (ConnectionResetError, BrokenPipeError, EOFError):
                self.close()
                if fresh or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _fill(self) -> None:
        assert self._socket is not None
        chunk = self._socket.recv(262_144)
        if not chunk:
            raise EOFError("the server closed the connection")
        self._buffer += chunk

    def _take(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill()
        taken = bytes(self._buffer[:size])
        del self._buffer[:size]
        return taken

    def _line(self, end: bytes = b"\r\n") -> bytes:
        while (at := self._buffer.find(end)) < 0:
            self._fill()
        return self._take(at + len(end))[:-len(end)]

    def _response(self) -> tuple[int, bytes]:
        status_line, *lines = self._line(b"\r\n\r\n").decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = self._take(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while size := int(self._line().split(b";")[0], 16):
                parts.append(self._take(size))
                self._take(2)
            while self._line():  # trailers, up to the empty line
                pass
            body = b"".join(parts)
        else:  # the body runs to the end of the connection
            with contextlib.suppress(EOFError):
                while True:
                    self._fill()
            body = bytes(self._buffer)
            self.close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return int(status_line.split(" ", 2)[1]), body

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


class RawClient:
    """One keep-alive connection that sends signed IAM (or STS) Query requests."""

    def __init__(self, port: int, credentials: Credentials, service: str = "iam") -> None:
        self._signer = SigV4Signer(credentials, f"{HOST}:{port}", service=service)
        self._version = STS_VERSION if service == "sts" else IAM_VERSION
        self._connection = KeepAliveConnection(port)

    def call(self, action: str, **params: str) -> tuple[int, bytes]:
        body = urllib.parse.urlencode({"Action": action, "Version": self._version, **params})
        encoded = body.encode()
        headers = self._signer.headers(encoded)
        head = "".join(["POST / HTTP/1.1\r\n",
                        *(f"{name}: {value}\r\n" for name, value in headers.items()),
                        f"Content-Length: {len(encoded)}\r\n\r\n"])
        return self._connection.request(head.encode("latin-1"), encoded)

    def close(self) -> None:
        self._connection.close()


def boto3_client(port: int, credentials: Credentials, service: str = "iam") -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=f"http://{HOST}:{port}",
        region_name=REGION,
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        aws_session_token=credentials.session_token,
        config=Config(retries={"total_max_attempts": 1}, max_pool_connections=16),
    )


# ---------------------------------------------------------------------------------------
# Servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A server subprocess in its own process group (so that its workers stop with it)."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    root: Credentials

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def spawn(name: str, command: Sequence[str], log: Path, port: int, root: Credentials,
          env: dict[str, str] | None = None) -> Server:
    with log.open("ab") as sink:
        process = subprocess.Popen(
            list(command), stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env={**os.environ, **(env or {})},
        )
    return Server(name, port, process, log, root)


def wait_ready(server: Server, path: str, accept: Callable[[int], bool],
               timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited ({server.process.returncode}):\n"
                               f"{server.log_tail()}")
        connection = http.client.HTTPConnection(HOST, server.port, timeout=2)
        try:
            connection.request("GET", path)
            if accept(connection.getresponse().status):
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{server.name} not ready after {timeout:.0f} s:\n{server.log_tail()}")


def start_moto(workdir: Path) -> Server:
    port = free_port()
    command = [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)]
    server = spawn("moto", command, workdir / "moto.log", port, random_credentials())
    wait_ready(server, "/moto-api/", lambda status: status < 500)
    return server


def record_answers(server: Server, fixture: Fixture, workdir: Path) -> Path:
    """iamd's own answers to the measured calls, kept for `serve_replay` (a JSON file of
    {"Action PathPrefix": body})."""
    client = RawClient(server.port, fixture.caller)
    name = f"bench-replay-{secrets.token_hex(3)}"
    calls = {
        "GetUser": {"UserName": fixture.user_names[0]},
        "CreateUser": {"UserName": name},
        "DeleteUser": {"UserName": name},
        f"ListUsers {SMALL_PREFIX}": {"PathPrefix": SMALL_PREFIX, "MaxItems": "1000"},
        f"ListUsers {LIST_PREFIX}": {"PathPrefix": LIST_PREFIX, "MaxItems": "1000"},
    }
    answers = {}
    for key, params in calls.items():
        status, body = client.call(key.split(" ")[0], **params)
        if status != 200:
            raise RuntimeError(f"recording {key}: {status} {body[:200]!r}")
        answers[key] = body.decode()
    client.close()
    path = workdir / "answers.json"
    path.write_text(json.dumps(answers))
    return path


def serve_replay(port: int, answers_path: str) -> None:
    """A server that answers each call at once with iamd's recorded answer to it (httptools
    on uvloop, what iamd's server runs on): what the clients alone can reach."""
    import asyncio

    import httptools
    import uvloop

    answers = {
        key: (b"HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\ncontent-length: %d\r\n\r\n"
              % len(body.encode())) + body.encode()
        for key, body in json.loads(Path(answers_path).read_text()).items()
    }

    class Replay(asyncio.Protocol):
        def connection_made(self, transport: Any) -> None:
            self.transport = transport
            self.parser = httptools.HttpRequestParser(self)
            self.body = b""

        def data_received(self, data: bytes) -> None:
            self.parser.feed_data(data)

        def on_body(self, body: bytes) -> None:
            self.body += body

        def on_message_complete(self) -> None:
            form = urllib.parse.parse_qs(self.body.decode())
            self.body = b""
            action = form.get("Action", ["GetUser"])[0]
            prefix = form.get("PathPrefix", [""])[0]
            self.transport.write(answers.get(f"{action} {prefix}".strip(), answers["GetUser"]))

    async def run() -> None:
        server = await asyncio.get_running_loop().create_server(Replay, HOST, port)
        await server.serve_forever()

    uvloop.run(run())


def start_replay(workdir: Path, answers: Path) -> Server:
    port = free_port()
    command = [sys.executable, str(Path(__file__).resolve()), "--replay-server", str(port),
               str(answers)]
    server = spawn("replay", command, workdir / "replay.log", port, random_credentials())
    wait_ready(server, "/", lambda status: status == 200)
    return server


def iamd_executable(option: str | None) -> list[str]:
    if option:
        return shlex.split(option)
    script = Path(sys.executable).with_name("iamd")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from iamd.cli import main; main()"]


def start_iamd(args: argparse.Namespace, workdir: Path, database_url: str | None = None,
               label: str = "iamd") -> Server:
    """``iamd account create`` (a fresh account with a random root key), then ``iamd serve``.

    Adapt here if the CLI changes: these two command lines are the only contract.
    """
    iamd = iamd_executable(args.iamd_command)
    data_dir = workdir / f"{label}-data"
    data_dir.mkdir(exist_ok=True)
    storage = ["--data-dir", str(data_dir)]
    if database_url:
        storage += ["--database-url", database_url]
    root = random_credentials()
    log = workdir / f"{label}.log"
    create = [*iamd, "account", "create", *storage, "--account-id", ACCOUNT,
              "--root-access-key-id", root.access_key_id,
              "--root-secret-access-key", root.secret_access_key]
    with log.open("ab") as sink:
        done = subprocess.run(create, stdout=sink, stderr=subprocess.STDOUT, check=False,
                              stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise RuntimeError(f"`iamd account create` failed ({done.returncode}):\n{tail}")
    port = free_port()
    serve = [*iamd, "serve", *storage, "--port", str(port)]
    if args.iamd_workers:
        serve += ["--workers", str(args.iamd_workers)]
    serve += shlex.split(args.iamd_args or "")
    server = spawn(label, serve, log, port, root)
    wait_ready(server, "/healthz", lambda status: status == 200)
    return server


# ---------------------------------------------------------------------------------------
# Account setup through the API


@dataclass(frozen=True, slots=True)
class Fixture:
    """What a server holds for the benchmark, and who calls."""

    caller: Credentials
    denied: Credentials
    user_names: tuple[str, ...]  # GetUser targets
    assumer: Credentials  # the operator user: whom the role trusts (never root: AWS refuses)
    role_arn: str
    temporary: Credentials  # a session of the role (allowed iam:*)


def bench_user_names(count: int = USERS) -> list[tuple[str, str]]:
    """(name, path) of the listed users: the first SMALL_LIST under SMALL_PREFIX."""
    return [
        (f"bench-u{i:06d}", SMALL_PREFIX if i < SMALL_LIST else LARGE_PREFIX)
        for i in range(count)
    ]


def create_access_key(iam: Any, user: str) -> Credentials:
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"])


def set_up(server: Server, caller: str, threads: int = 6) -> Fixture:
    """The operator (an inline policy allowing ``iam:*``), the denied user, 1,000 users."""
    started = time.perf_counter()
    iam = boto3_client(server.port, server.root)
    iam.create_user(UserName=OPERATOR)
    iam.put_user_policy(UserName=OPERATOR, PolicyName=OPERATOR_POLICY,
                        PolicyDocument=json.dumps(ALLOW_IAM))
    operator = create_access_key(iam, OPERATOR)
    iam.create_user(UserName=DENIED)
    denied = create_access_key(iam, DENIED)
    users = bench_user_names()

    def create_slice(part: int) -> None:
        client = boto3_client(server.port, server.root)
        for name, path in users[part::threads]:
            client.create_user(UserName=name, Path=path)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(create_slice, range(threads)))
    role_arn, temporary = set_up_role(server, operator)
    print(f"  {server.name}: set up {len(users) + 2:,} users and a role in "
          f"{time.perf_counter() - started:.1f} s")
    return Fixture(server.root if caller == "root" else operator, denied,
                   tuple(name for name, _ in users), operator, role_arn, temporary)


def set_up_role(server: Server, assumer: Credentials) -> tuple[str, Credentials]:
    """A role that trusts the operator user and allows ``iam:*``, and one session of it."""
    iam = boto3_client(server.port, server.root)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/{OPERATOR}"},
        "Action": "sts:AssumeRole"}]}
    role_arn = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust),
                               MaxSessionDuration=ROLE_SESSION_SECONDS)["Role"]["Arn"]
    iam.put_role_policy(RoleName=ROLE, PolicyName=OPERATOR_POLICY,
                        PolicyDocument=json.dumps(ALLOW_IAM))
    sts = boto3_client(server.port, assumer, "sts")
    session = sts.assume_role(RoleArn=role_arn, RoleSessionName="bench-setup",
                              DurationSeconds=ROLE_SESSION_SECONDS)["Credentials"]
    return role_arn, Credentials(session["AccessKeyId"], session["SecretAccessKey"],
                                 session["SessionToken"])


def check_behaviour(server: Server, fixture: Fixture) -> list[str]:
    """One call of each operation through the raw client; what differs from iamd's contract."""
    client = RawClient(server.port, fixture.caller)
    notes = []
    status, body = client.call("GetUser", UserName=fixture.user_names[0])
    if status != 200:
        notes.append(f"GetUser answered {status}: {body[:200]!r}")
    for prefix, expected in ((SMALL_PREFIX, SMALL_LIST), (LIST_PREFIX, USERS)):
        status, body = client.call("ListUsers", PathPrefix=prefix, MaxItems="1000")
        listed = body.count(b"<UserName>")
        if status != 200 or listed != expected:
            notes.append(f"ListUsers {prefix} answered {status} with {listed} users, "
                         f"expected {expected}")
    client.close()
    denied = RawClient(server.port, fixture.denied)
    status, body = denied.call("GetUser", UserName=fixture.user_names[0])
    denied.close()
    if status == 200:
        notes.append("the AccessDenied call is allowed (200): this server authorizes nothing")
    elif status != 403 or b"AccessDenied" not in body:
        notes.append(f"the AccessDenied call answered {status}: {body[:200]!r}")
    sts = RawClient(server.port, fixture.assumer, "sts")
    status, body = sts.call("AssumeRole", RoleArn=fixture.role_arn, RoleSessionName="check")
    sts.close()
    if status != 200 or b"<SessionToken>" not in body:
        notes.append(f"AssumeRole answered {status}: {body[:200]!r}")
    temporary = RawClient(server.port, fixture.temporary)
    status, body = temporary.call("GetUser", UserName=fixture.user_names[0])
    temporary.close()
    if status != 200:
        notes.append(f"GetUser with temporary credentials answered {status}: {body[:200]!r}")
    return notes


# ---------------------------------------------------------------------------------------
# Client processes


@dataclass(frozen=True, slots=True)
class Job:
    """What one client process does."""

    port: int
    operation: str
    kind: str
    caller: Credentials
    denied: Credentials
    targets: tuple[str, ...]
    duration: float
    worker: int
    assumer: Credentials
    role_arn: str
    temporary: Credentials

    @property
    def credentials(self) -> Credentials:
        """Who calls for this job's operation."""
        return {"AccessDenied": self.denied, "AssumeRole": self.assumer,
                "TemporaryGetUser": self.temporary}.get(self.operation, self.caller)

    @property
    def service(self) -> str:
        return "sts" if self.operation == "AssumeRole" else "iam"


Call = Callable[[], str]  # one operation -> "ok" | "denied" | "error"


def _stride(job: Job) -> Iterator[str]:
    """GetUser targets: every worker walks the users in a different order."""
    count = len(job.targets)
    index = (job.worker * 7919) % count
    while True:
        yield job.targets[index]
        index = (index + 104729) % count


def raw_operation(job: Job) -> Call:
    client = RawClient(job.port, job.credentials, job.service)
    targets = _stride(job)
    names = (f"bench-cd-{job.worker}-{i}-{secrets.token_hex(3)}" for i in range(10**12))
    sessions = (f"bench-{job.worker}-{i}" for i in range(10**12))

    def outcome(status: int, body: bytes) -> str:
        if status == 200:
            return "ok"
        return "denied" if status == 403 and b"AccessDenied" in body else "error"

    def get_user() -> str:
        return outcome(*client.call("GetUser", UserName=next(targets)))

    def list_users(prefix: str) -> Call:
        return lambda: outcome(*client.call("ListUsers", PathPrefix=prefix, MaxItems="1000"))

    def create_delete() -> str:
        name = next(names)
        created = outcome(*client.call("CreateUser", UserName=name))
        if created != "ok":
            return created
        return outcome(*client.call("DeleteUser", UserName=name))

    def assume_role() -> str:
        return outcome(*client.call("AssumeRole", RoleArn=job.role_arn,
                                    RoleSessionName=next(sessions)))

    return {
        "GetUser": get_user,
        "ListUsers100": list_users(SMALL_PREFIX),
        "ListUsers1000": list_users(LIST_PREFIX),
        "CreateDeleteUser": create_delete,
        "AccessDenied": get_user,
        "AssumeRole": assume_role,
        "TemporaryGetUser": get_user,
    }[job.operation]


def boto3_operation(job: Job) -> Call:
    from botocore.exceptions import ClientError

    client = boto3_client(job.port, job.credentials, job.service)
    targets = _stride(job)
    names = (f"bench-cd-{job.worker}-{i}-{secrets.token_hex(3)}" for i in range(10**12))
    sessions = (f"bench-{job.worker}-{i}" for i in range(10**12))

    def guarded(call: Callable[[], object]) -> Call:
        def run() -> str:
            try:
                call()
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code")
                return "denied" if code == "AccessDenied" else "error"
            return "ok"

        return run

    def create_delete() -> None:
        name = next(names)
        client.create_user(UserName=name)
        client.delete_user(UserName=name)

    return guarded({
        "GetUser": lambda: client.get_user(UserName=next(targets)),
        "ListUsers100": lambda: client.list_users(PathPrefix=SMALL_PREFIX, MaxItems=1000),
        "ListUsers1000": lambda: client.list_users(PathPrefix=LIST_PREFIX, MaxItems=1000),
        "CreateDeleteUser": create_delete,
        "AccessDenied": lambda: client.get_user(UserName=next(targets)),
        "AssumeRole": lambda: client.assume_role(RoleArn=job.role_arn,
                                                 RoleSessionName=next(sessions)),
        "TemporaryGetUser": lambda: client.get_user(UserName=next(targets)),
    }[job.operation])


def client_process(job: Job, barrier: Any, results: Any) -> None:
    """Warm up, wait for the others, then call for ``job.duration`` seconds."""
    try:
        call = (raw_operation if job.kind == "raw" else boto3_operation)(job)
        for _ in range(WARMUP_CALLS if job.operation != "CreateDeleteUser" else 3):
            call()
        barrier.wait(timeout=120)
        clock = time.perf_counter_ns
        latencies: list[int] = []
        outcomes = dict.fromkeys(OUTCOMES, 0)
        started = time.monotonic()
        deadline = started + job.duration
        while True:
            before = clock()
            result = call()
            latencies.append(clock() - before)
            outcomes[result] += 1
            if time.monotonic() >= deadline:
                break
        results.put({"latencies": latencies, "outcomes": outcomes, "started": started,
                     "ended": time.monotonic()})
    except BaseException as error:  # reported by the parent, never a hang
        with contextlib.suppress(Exception):
            barrier.abort()
        results.put({"error": f"{type(error).__name__}: {error}"})


# ---------------------------------------------------------------------------------------
# Measurement


@dataclass
class Figure:
    """One run of one operation with N clients of one kind against one server."""

    rate: float
    p50_ms: float
    p99_ms: float
    calls: int
    outcomes: dict[str, int]


def process_context() -> Any:
    """Fork where it exists (cheap, and the parent holds no locks by then); else spawn."""
    return multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")


def percentile_ms(sorted_ns: Sequence[int], fraction: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    rank = max(1, math.ceil(fraction * len(sorted_ns)))
    return sorted_ns[rank - 1] / 1e6


def run_clients(jobs: Sequence[Job]) -> Figure:
    context = process_context()
    barrier = context.Barrier(len(jobs))
    results = context.Queue()
    processes = [context.Process(target=client_process, args=(job, barrier, results))
                 for job in jobs]
    for process in processes:
        process.start()
    reports = []
    try:
        for _ in processes:
            reports.append(results.get(timeout=jobs[0].duration + 180))
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join()
    failures = [report["error"] for report in reports if "error" in report]
    if failures:
        raise RuntimeError(f"client process failed: {failures[0]}")
    latencies = sorted(ns for report in reports for ns in report["latencies"])
    window = max(r["ended"] for r in reports) - min(r["started"] for r in reports)
    outcomes = {key: sum(r["outcomes"][key] for r in reports) for key in OUTCOMES}
    return Figure(len(latencies) / window, percentile_ms(latencies, 0.50),
                  percentile_ms(latencies, 0.99), len(latencies), outcomes)


def measure(server: Server, fixture: Fixture, operation: str, clients: int, kind: str,
            duration: float) -> Figure:
    jobs = [
        Job(server.port, operation, kind, fixture.caller, fixture.denied, fixture.user_names,
            duration, worker, fixture.assumer, fixture.role_arn, fixture.temporary)
        for worker in range(clients)
    ]
    return run_clients(jobs)


@dataclass
class Result:
    """The runs of one (operation, clients, kind) against one server, and their medians."""

    figures: list[Figure]

    @property
    def rate(self) -> float:
        return statistics.median(f.rate for f in self.figures)

    @property
    def p50_ms(self) -> float:
        return statistics.median(f.p50_ms for f in self.figures)

    @property
    def p99_ms(self) -> float:
        return statistics.median(f.p99_ms for f in self.figures)

    def outcome_note(self, operation: str) -> str:
        """Empty when every call succeeded as expected; else what the calls got."""
        total = {key: sum(f.outcomes[key] for f in self.figures) for key in OUTCOMES}
        if operation == "AccessDenied" and total["ok"] == total["error"] == 0:
            return "all denied"
        if operation == "AccessDenied" and total["denied"] == total["error"] == 0:
            return "all ALLOWED"
        if total["denied"] == total["error"] == 0:
            return ""
        return ", ".join(f"{total[key]:,} {label}" for key, label in OUTCOMES.items()
                         if total[key])


Key = tuple[str, int, str]  # operation, clients, kind


def describe(result: Result | None, operation: str) -> str:
    if result is None:
        return "n/a"
    unit = UNITS.get(operation, "req/s")
    note = result.outcome_note(operation)
    return (f"{result.rate:8,.1f} {unit:<7} p50 {result.p50_ms:7.2f} ms  "
            f"p99 {result.p99_ms:7.2f} ms" + (f" ({note})" if note else ""))


def ratio(iamd: Result | None, moto: Result | None) -> float | None:
    if iamd is None or moto is None or moto.rate == 0:
        return None
    return iamd.rate / moto.rate


def run_matrix(servers: dict[str, tuple[Server, Fixture]], args: argparse.Namespace,
               ) -> dict[Key, dict[str, Result]]:
    table: dict[Key, dict[str, Result]] = {}
    for operation in args.operations:
        for clients in args.clients:
            for kind in args.kinds:
                key = (operation, clients, kind)
                figures: dict[str, list[Figure]] = {name: [] for name in servers}
                for _ in range(args.runs):
                    for name, (server, fixture) in servers.items():
                        figures[name].append(
                            measure(server, fixture, operation, clients, kind, args.duration)
                        )
                table[key] = {name: Result(runs) for name, runs in figures.items()}
                print_line(key, table[key])
    return table


REPLAYED = ("GetUser", "ListUsers100", "ListUsers1000", "CreateDeleteUser")


def client_ceilings(table: dict[Key, dict[str, Result]], replay: Server, fixture: Fixture,
                    args: argparse.Namespace) -> None:
    """The calls against the replay server, which answers at once: the most any server could
    reach with these clients on this machine, and so the highest ratio to moto there is."""
    print("client ceilings: the same calls against a server that answers at once with "
          "iamd's recorded answers (serve_replay): the highest ratio to moto any server "
          "could reach with these clients here")
    for (operation, clients, kind), results in table.items():
        moto = results.get("moto")
        if operation not in REPLAYED or moto is None:
            continue
        ceiling = Result([measure(replay, fixture, operation, clients, kind, args.duration)
                          for _ in range(args.runs)])
        print(f"{LABELS[operation]:<18} {clients} client{'s' if clients > 1 else ' '} "
              f"{kind:<5} | replay {describe(ceiling, operation)} | "
              f"at most {ratio(ceiling, moto):.1f}x moto", flush=True)


def print_line(key: Key, results: dict[str, Result]) -> None:
    operation, clients, kind = key
    iamd, moto = results.get("iamd"), results.get("moto")
    factor = ratio(iamd, moto)
    head = f"{LABELS[operation]:<18} {clients} client{'s' if clients > 1 else ' '} {kind:<5}"
    parts = [head]
    if iamd is not None:
        parts.append(f"iamd {describe(iamd, operation)}")
    if moto is not None:
        parts.append(f"moto {describe(moto, operation)}")
    if factor is not None:
        parts.append(f"ratio {factor:5.1f}x")
    print(" | ".join(parts), flush=True)


# ---------------------------------------------------------------------------------------
# The scale test (PostgreSQL)


@contextlib.contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    """A fresh database on the server of ``admin_url``, dropped afterwards; yields its URL."""
    import psycopg

    parsed = urllib.parse.urlsplit(admin_url)
    plain = parsed._replace(scheme="postgresql").geturl()
    name = f"iamd_bench_{secrets.token_hex(4)}"
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield parsed._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def scale_user_names(total: int) -> list[str]:
    return [f"bench-s{i:06d}" for i in range(max(0, total - USERS - 2))]


def load_slice(port: int, credentials: Credentials, action: str, items: list[dict[str, str]],
               ) -> int:
    """Create ``items`` with one raw client (runs in a loader process); the failures."""
    client = RawClient(port, credentials)
    failures = 0
    for params in items:
        status, _ = client.call(action, **params)
        failures += status != 200
    client.close()
    return failures


def load_through_api(server: Server, users: int, policies: int, processes: int) -> None:
    """Create users and policies with ``processes`` raw clients in parallel."""
    user_items = [{"UserName": name, "Path": "/scale/"} for name in scale_user_names(users)]
    document = '{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow",' \
               '"Action":"s3:GetObject","Resource":"arn:aws:s3:::bench-{i}/*"}}]}}'
    policy_items = [{"PolicyName": f"bench-p{i:06d}", "PolicyDocument": document.format(i=i)}
                    for i in range(policies)]
    context = process_context()
    for action, items in (("CreateUser", user_items), ("CreatePolicy", policy_items)):
        started = time.perf_counter()
        slices = [(server.port, server.root, action, items[part::processes])
                  for part in range(processes)]
        with context.Pool(processes) as pool:
            failures = sum(pool.starmap(load_slice, slices))
        elapsed = time.perf_counter() - started
        print(f"  scale: {action} x {len(items):,} in {elapsed:.0f} s "
              f"({len(items) / elapsed:,.0f}/s), {failures:,} failed", flush=True)


DEFAULT_BULK_LOADER = shlex.join(
    [sys.executable, str(REPO_ROOT / "bench" / "bulk_load.py")]
) + " {database_url} {account_id} {users} {policies}"


def bulk_load(command: str, database_url: str, users: int, policies: int) -> None:
    """Run a loader that writes the scale data straight into the database.

    ``command`` is a command line template with {database_url}, {account_id}, {users} (names
    bench-sNNNNNN, path /scale/) and {policies} (names bench-pNNNNNN); each word is filled
    in after splitting, so the values need no quoting. Default: ``bench/bulk_load.py``.
    """
    values = {"database_url": database_url, "account_id": ACCOUNT,
              "users": len(scale_user_names(users)), "policies": policies}
    words = [word.format(**values) for word in shlex.split(command)]
    started = time.perf_counter()
    subprocess.run(words, check=True, stdin=subprocess.DEVNULL)
    print(f"  scale: bulk loader done in {time.perf_counter() - started:.0f} s")


def run_scale(args: argparse.Namespace, workdir: Path) -> dict[tuple[int, str], list[Result]]:
    """GetUser on PostgreSQL at 1,000 users, then at ``--scale`` users; results per key."""
    found: dict[tuple[int, str], list[Result]] = {}
    with scratch_database(args.database_url) as url:
        server = start_iamd(args, workdir, url, label="iamd-pg")
        try:
            fixture = set_up(server, args.caller)
            measure_scale(server, fixture, args, found, f"{USERS:,} users")
            if args.load_through_api:
                load_through_api(server, args.scale, args.scale_policies, args.load_processes)
            else:
                bulk_load(args.bulk_loader or DEFAULT_BULK_LOADER, url, args.scale,
                          args.scale_policies)
            everyone = fixture.user_names + tuple(scale_user_names(args.scale))
            grown = dataclasses.replace(fixture, user_names=everyone)
            measure_scale(server, grown, args, found, f"{args.scale:,} users, "
                          f"{args.scale_policies:,} policies")
        finally:
            server.stop()
    return found


def measure_scale(server: Server, fixture: Fixture, args: argparse.Namespace,
                  found: dict[tuple[int, str], list[Result]], label: str) -> None:
    for clients in args.clients:
        for kind in args.kinds:
            runs = [measure(server, fixture, "GetUser", clients, kind, args.duration)
                    for _ in range(args.runs)]
            result = Result(runs)
            found.setdefault((clients, kind), []).append(result)
            print(f"GetUser on PostgreSQL, {label}: {clients} client"
                  f"{'s' if clients > 1 else ''} {kind:<5} {describe(result, 'GetUser')}",
                  flush=True)


# ---------------------------------------------------------------------------------------
# Targets


def verdict(passed: bool | None) -> str:
    return "n/a" if passed is None else ("PASS" if passed else "FAIL")


def print_targets(table: dict[Key, dict[str, Result]],
                  scale: dict[tuple[int, str], list[Result]]) -> None:
    print("targets (iamd verifies signatures and authorizes every call; moto does neither):")
    checks: list[bool] = []
    for operation, floor in (("GetUser", 5), ("CreateDeleteUser", 5), ("ListUsers1000", 10)):
        parts = []
        for (op, clients, kind), results in table.items():
            factor = ratio(results.get("iamd"), results.get("moto"))
            if op != operation or factor is None:
                continue
            checks.append(factor >= floor)
            parts.append(f"{clients}c {kind} {factor:.1f}x {verdict(factor >= floor)}")
        print(f"  {LABELS[operation]} >= {floor}x moto: {', '.join(parts) or 'n/a'}")
    parts = []
    for (op, clients, kind), results in table.items():
        iamd = results.get("iamd")
        if op == "GetUser" and clients == 4 and iamd is not None:
            checks.append(iamd.p99_ms < 10)
            parts.append(f"{kind} {iamd.p99_ms:.2f} ms {verdict(iamd.p99_ms < 10)}")
    print(f"  GetUser p99 < 10 ms with 4 clients: {', '.join(parts) or 'n/a'}")
    parts = []
    for (clients, kind), (small, *large) in scale.items():
        if large:
            grown = large[-1].p99_ms / small.p99_ms
            checks.append(grown <= 2)
            parts.append(f"{clients}c {kind} {small.p99_ms:.2f} -> {large[-1].p99_ms:.2f} ms "
                         f"({grown:.2f}x) {verdict(grown <= 2)}")
    print(f"  GetUser p99 at scale within 2x of 1,000 users: {', '.join(parts) or 'n/a'}")
    if checks:
        print(f"summary: {sum(checks)} of {len(checks)} target checks met"
              + ("" if all(checks) else " (see FAIL above)"))
    else:
        print("summary: no target could be checked (iamd and moto were not both measured)")


# ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=float, default=5.0,
                        help="seconds each figure's clients call for (default 5)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; the median counts")
    parser.add_argument("--only", choices=("iamd", "moto", "both"), default="both")
    parser.add_argument("--clients", default="1,4", help="client process counts (default 1,4)")
    parser.add_argument("--kinds", default="boto3,raw", help="client kinds (default boto3,raw)")
    parser.add_argument("--operations", default=",".join(OPERATIONS),
                        help=f"comma-separated, from {', '.join(OPERATIONS)}")
    parser.add_argument("--caller", choices=("operator", "root"), default="operator",
                        help="who calls: an IAM user with iam:* (default) or the root key")
    parser.add_argument("--database-url", help="PostgreSQL server for the scale test; a "
                        "scratch database is created on it and dropped afterwards")
    parser.add_argument("--skip-scale", action="store_true", help="skip the scale test")
    parser.add_argument("--scale-only", action="store_true",
                        help="run only the scale test (needs --database-url)")
    parser.add_argument("--scale", type=int, default=100_000, help="users for the scale test")
    parser.add_argument("--scale-policies", type=int, default=20_000,
                        help="customer managed policies for the scale test")
    parser.add_argument("--bulk-loader", help="command template that loads the scale test "
                        "into the database (default: bench/bulk_load.py; see bulk_load)")
    parser.add_argument("--load-through-api", action="store_true",
                        help="load the scale test through the API instead (over an hour)")
    parser.add_argument("--load-processes", type=int, default=6,
                        help="client processes loading through the API (default 6)")
    parser.add_argument("--iamd-command", help="how to run iamd (default: the venv's `iamd`)")
    parser.add_argument("--iamd-workers", type=int, help="passed to `iamd serve --workers`")
    parser.add_argument("--iamd-args", help="extra arguments for `iamd serve`")
    parser.add_argument("--replay-server", nargs=2, metavar=("PORT", "ANSWERS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.clients = [int(n) for n in args.clients.split(",") if n.strip()]
    args.kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    args.operations = [o.strip() for o in args.operations.split(",") if o.strip()]
    if set(args.kinds) - set(KINDS):
        parser.error(f"--kinds: choose from {', '.join(KINDS)}")
    if set(args.operations) - set(OPERATIONS):
        parser.error(f"--operations: choose from {', '.join(OPERATIONS)}")
    if args.runs < 1 or args.duration <= 0 or not args.clients:
        parser.error("--runs, --duration and --clients must be positive")
    if args.scale_only and (args.skip_scale or not args.database_url or args.only == "moto"):
        parser.error("--scale-only needs --database-url, iamd, and no --skip-scale")
    if args.load_through_api and args.bulk_loader:
        parser.error("--load-through-api and --bulk-loader exclude each other")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.replay_server:
        serve_replay(int(args.replay_server[0]), args.replay_server[1])
        return 0
    check_signer()
    chosen = ("iamd", "moto") if args.only == "both" else (args.only,)
    matrix: tuple[str, ...] = () if args.scale_only else chosen
    print(f"python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs; "
          f"{args.duration:g} s per figure, median of {args.runs} run(s); caller: {args.caller}")
    print_load("load average before")
    started: list[Server] = []
    servers: dict[str, tuple[Server, Fixture]] = {}
    with tempfile.TemporaryDirectory(prefix="iamd-bench-") as scratch:
        workdir = Path(scratch)
        try:
            for name in matrix:
                server = start_iamd(args, workdir) if name == "iamd" else start_moto(workdir)
                started.append(server)
                servers[name] = (server, set_up(server, args.caller))
                for note in check_behaviour(*servers[name]):
                    print(f"  {name}: {note}")
            table = run_matrix(servers, args) if servers else {}
            if "moto" in servers and "iamd" in servers:
                answers = record_answers(*servers["iamd"], workdir)
                replay = start_replay(workdir, answers)
                started.append(replay)
                client_ceilings(table, replay, servers["iamd"][1], args)
        finally:
            for server in started:
                server.stop()
        scale: dict[tuple[int, str], list[Result]] = {}
        if "iamd" not in chosen or args.skip_scale:
            print("scale test: skipped")
        elif not args.database_url:
            print("scale test: skipped (no --database-url)")
        else:
            scale = run_scale(args, workdir)
    print_load("load average after")
    print_targets(table, scale)
    return 0


def print_load(label: str) -> None:
    """The 1-minute load average: another job on this shared machine skews every figure."""
    load = os.getloadavg()[0]
    busy = load > 0.5 * (os.cpu_count() or 1)
    print(f"{label}: {load:.2f}" + (" (WARNING: busy machine)" if busy else ""), flush=True)


if __name__ == "__main__":
    sys.exit(main())
