"""A live `iamd serve` per backend (SQLite, PostgreSQL), real boto3, the real aws CLI.

Each xdist worker starts one server per backend for the session. Every test gets a fresh
account of its own (made through the CLI's code path on the same database, as an operator
would while servers run), so tests never see each other's users.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from iamd import bootstrap
from iamd.server.logs import REQUEST_LINE_DELAY_SECONDS
from iamd.service import accounts
from iamd.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
IAMD = str(Path(sys.executable).with_name("iamd"))
AWS_CLI = ROOT / ".venv-awscli" / "bin" / "aws"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ["sqlite", "postgresql"]
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"}, region_name="us-east-1")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Database:
    """Where a server keeps its data: a data directory, and a PostgreSQL schema if any."""

    data_dir: Path
    url: str | None = None  # None: SQLite in data_dir
    schema: str | None = None

    @classmethod
    def create(cls, backend: str, tmp: Path) -> Database:
        data_dir = tmp / f"data-{secrets.token_hex(4)}"
        if backend == "sqlite":
            return cls(data_dir)
        schema = f"iamd_test_{secrets.token_hex(6)}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
        url = (
            "postgresql+psycopg://postgres@127.0.0.1:5432/test"
            f"?options=-csearch_path%3D{schema}"
        )
        return cls(data_dir, url, schema)

    def drop(self) -> None:
        if self.schema:
            with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
                connection.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    def args(self) -> list[str]:
        args = ["--data-dir", str(self.data_dir)]
        if self.url:
            args += ["--database-url", self.url]
        return args

    def settings(self) -> Settings:
        return Settings(data_dir=self.data_dir, database_url=self.url)


@dataclass
class Server:
    """One running `iamd serve` process."""

    database: Database
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    stdout_path: Path

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, database: Database, tmp: Path, *extra: str,
              env: dict[str, str] | None = None) -> Server:
        port = free_port()
        tag = secrets.token_hex(3)
        log_path, stdout_path = tmp / f"server-{tag}.log", tmp / f"server-{tag}.out"
        with open(log_path, "wb") as log, open(stdout_path, "wb") as out:
            process = subprocess.Popen(
                [IAMD, "serve", "--port", str(port), *database.args(), *extra],
                stdout=out, stderr=log,
                env={**os.environ, "IAMD_LOG_LEVEL": "info", **(env or {})},
            )
        server = cls(database, port, process, log_path, stdout_path)
        server.wait_ready()
        return server

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"iamd serve exited:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"iamd serve did not start:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def log(self) -> str:
        """The server's log, once the lines of the requests made so far are written."""
        time.sleep(REQUEST_LINE_DELAY_SECONDS + 0.2)
        return self.log_path.read_text()


@dataclass
class Account:
    """A fresh account on a live server, with its root user's key."""

    server: Server
    id: str
    key_id: str
    secret: str
    clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    def client(self, key_id: str | None = None, secret: str | None = None,
               service: str = "iam") -> Any:
        key_id, secret = key_id or self.key_id, secret or self.secret
        cached = self.clients.get((service, key_id))
        if cached is None or (secret != self.secret and key_id == self.key_id):
            cached = boto3.client(
                service, endpoint_url=self.server.endpoint, aws_access_key_id=key_id,
                aws_secret_access_key=secret, config=NO_RETRIES,
            )
            self.clients[(service, key_id)] = cached
        return cached

    @property
    def iam(self) -> Any:
        return self.client()

    def user_with_key(self, name: str, *policy_arns: str) -> Any:
        """Create a user with an access key (and these managed policies); its IAM client."""
        self.iam.create_user(UserName=name)
        for arn in policy_arns:
            self.iam.attach_user_policy(UserName=name, PolicyArn=arn)
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        return self.client(key["AccessKeyId"], key["SecretAccessKey"])

    def aws(self, *args: str, key_id: str | None = None, secret: str | None = None,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run the real aws CLI (its own virtualenv) against this server as root."""
        env = {
            "PATH": os.environ.get("PATH", ""), "HOME": str(self.server.database.data_dir),
            "AWS_ACCESS_KEY_ID": key_id or self.key_id,
            "AWS_SECRET_ACCESS_KEY": secret or self.secret,
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": self.server.endpoint,
            "AWS_MAX_ATTEMPTS": "1", "AWS_PAGER": "",
        }
        done = subprocess.run(
            [str(AWS_CLI), *args, "--output", "json"], env=env, capture_output=True,
            text=True, check=False, timeout=60,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed: {done.stderr}")
        return done


def new_account(database: Database, server: Server) -> Account:
    key_id = "AKIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
    secret = secrets.token_urlsafe(30)
    services = bootstrap.build(database.settings())
    try:
        made = accounts.create_account(
            services.env, root_access_key_id=key_id, root_secret_access_key=secret
        )
    finally:
        services.close()
    return Account(server, made.account.id, key_id, secret)


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("integration")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def server(backend: str, session_tmp: Path) -> Iterator[Server]:
    database = Database.create(backend, session_tmp)
    live = Server.start(database, session_tmp)
    yield live
    live.stop()
    database.drop()


@pytest.fixture
def account(server: Server) -> Account:
    return new_account(server.database, server)


@pytest.fixture
def fresh_database(backend: str, tmp_path: Path) -> Iterator[Database]:
    """An empty database of the backend under test, for tests that start their own servers."""
    database = Database.create(backend, tmp_path)
    yield database
    database.drop()


def fails(code: str | set[str], call: Callable[..., Any], **params: Any) -> str:
    """Call, expect the AWS error ``code`` (or one of them) with a message; the message."""
    with pytest.raises(ClientError) as raised:
        call(**params)
    error = raised.value.response["Error"]
    assert error["Code"] in ({code} if isinstance(code, str) else code), error
    assert error["Message"]
    return str(error["Message"])


def credentials_client(server: Server, credentials: Mapping[str, Any], service: str = "iam",
                       config: Config = NO_RETRIES) -> Any:
    """A boto3 client signing with credentials as AWS returns them (AccessKeyId,
    SecretAccessKey, and SessionToken for temporary ones)."""
    return boto3.client(
        service, endpoint_url=server.endpoint, config=config,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials.get("SessionToken"),
    )
