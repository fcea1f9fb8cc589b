"""`iamd login`: sign in with a password (and an MFA code) and keep temporary credentials as
a named profile of the aws CLI's files (or print them as ``export`` lines).

It speaks to a running server over HTTP: ``POST /signin`` (the console's sign-in), then
``POST /session/credentials`` (the console session exchanged for GetSessionToken-style
credentials, MFA state included), then ``POST /signout``. The password is read without echo
and never printed; the credentials file is written with mode 0600.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from iamd.settings import DEFAULT_PORT

from ._options import fail

DEFAULT_PROFILE = "iamd"
DEFAULT_ENDPOINT = f"http://127.0.0.1:{DEFAULT_PORT}"
_PROFILE_NAME = re.compile(r"[A-Za-z0-9_.@+-]{1,64}")
_SECTION = re.compile(r"^\s*\[\s*(.+?)\s*\]\s*$")
_KEY = re.compile(r"^([^\s=#;\[][^=]*?)\s*=")  # a top-level key (not an indented sub-key)
_TIMEOUT = 30


class LoginFailed(Exception):
    """The server refused, or could not be reached: the message says why."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.message, self.code = message, code


@dataclass(frozen=True, slots=True)
class TemporaryCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: str


def login(
    profile: Annotated[str, typer.Option(help="The profile to write")] = DEFAULT_PROFILE,
    endpoint_url: Annotated[str, typer.Option(help="The iamd server")] = DEFAULT_ENDPOINT,
    account: Annotated[str | None, typer.Option(
        help="Account id or alias, or the root user's email (asked if not given)",
        show_default=False)] = None,
    user_name: Annotated[str | None, typer.Option(
        help="IAM user name (asked if not given)", show_default=False)] = None,
    duration_seconds: Annotated[int | None, typer.Option(
        help="How long the credentials last, 900 to 129600 (the root user's are cut to "
        "3600) [default 43200]", show_default=False)] = None,
    region: Annotated[str, typer.Option(help="The profile's region")] = "us-east-1",
    export: Annotated[bool, typer.Option(
        "--export", help="Print export lines for a shell instead of writing a profile")] = False,
) -> None:
    """Sign in with a password (and MFA code) and write temporary credentials as an aws CLI
    profile (~/.aws/credentials and ~/.aws/config), or print them as export lines."""
    if not _PROFILE_NAME.fullmatch(profile):
        raise fail("a profile name is 1 to 64 letters, digits and _.@+- characters", 2)
    endpoint = endpoint_url.rstrip("/")
    who = account or _ask("Account (id or alias, or the root user's email)")
    identity: dict[str, str] = {"email": who} if "@" in who else {
        "account": who, "userName": user_name or _ask("User name")}
    password = _ask_secret("Password")
    try:
        signed = _sign_in(endpoint, {**identity, "password": password})
        credentials = _exchange(endpoint, str(signed["token"]), duration_seconds)
    except LoginFailed as error:
        raise fail(error.message) from None
    if export:
        _print_exports(credentials, endpoint, region)
        return
    _write_profile(profile, credentials, endpoint, region)
    mfa = " with MFA" if signed.get("mfaAuthenticated") else ""
    typer.echo(f"Signed in as {signed.get('arn')}{mfa}; credentials written to profile "
               f"{profile}, valid until {credentials.expiration}.")
    typer.echo(f"Try: aws --profile {profile} sts get-caller-identity")


# -- input ---------------------------------------------------------------------------------------
def _ask(label: str) -> str:
    answer = str(typer.prompt(label, err=True)).strip()
    if not answer:
        raise fail(f"{label.split(' (')[0].lower()} is required")
    return answer


def _ask_secret(label: str) -> str:
    """Read without echo from a terminal; from a pipe, read one line (scripts, tests)."""
    if sys.stdin.isatty():
        return str(typer.prompt(label, hide_input=True, err=True))
    typer.echo(f"{label}: ", nl=False, err=True)
    line = sys.stdin.readline()
    typer.echo("", err=True)
    if not line:
        raise fail(f"no {label.lower()} given")
    return line.rstrip("\r\n")


# -- the server ----------------------------------------------------------------------------------
def _sign_in(endpoint: str, body: dict[str, str]) -> Mapping[str, Any]:
    """The sign-in answer; asks for the MFA code when the server says one is needed."""
    try:
        return _post(endpoint, "/signin", body)
    except LoginFailed as error:
        if error.code != "MfaCodeRequired":
            raise
    code = _ask("MFA code")
    return _post(endpoint, "/signin", {**body, "mfaCode": code})


def _exchange(endpoint: str, token: str, duration: int | None) -> TemporaryCredentials:
    """Temporary credentials for the console session, which is then signed out."""
    bearer = {"Authorization": f"Bearer {token}"}
    try:
        answer = _post(endpoint, "/session/credentials",
                       {} if duration is None else {"durationSeconds": duration}, bearer)
    finally:
        try:
            _post(endpoint, "/signout", None, bearer)
        except LoginFailed as error:
            typer.echo(f"iamd: could not sign the console session out: {error.message}",
                       err=True)
    return TemporaryCredentials(
        str(answer["accessKeyId"]), str(answer["secretAccessKey"]),
        str(answer["sessionToken"]), str(answer["expiration"]),
    )


def _post(
    endpoint: str, path: str, body: Mapping[str, object] | None,
    headers: Mapping[str, str] | None = None,
) -> Mapping[str, Any]:
    data = None if body is None else json.dumps(body).encode()
    sent = {"Content-Type": "application/json"} if data is not None else {}
    request = urllib.request.Request(endpoint + path, data=data, method="POST",
                                     headers={**sent, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
            return dict(json.loads(response.read()))
    except urllib.error.HTTPError as error:
        raise _refusal(error) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise LoginFailed(f"cannot reach {endpoint}: {reason}") from None
    except ValueError:
        raise LoginFailed(f"{endpoint}{path} did not answer with JSON; is it iamd?") from None


def _refusal(error: urllib.error.HTTPError) -> LoginFailed:
    try:
        detail = json.loads(error.read())["error"]
        return LoginFailed(str(detail["message"]), str(detail["code"]))
    except (ValueError, KeyError, TypeError):
        return LoginFailed(f"the server answered {error.code} {error.reason}")


# -- output --------------------------------------------------------------------------------------
def _print_exports(credentials: TemporaryCredentials, endpoint: str, region: str) -> None:
    for name, value in (
        ("AWS_ACCESS_KEY_ID", credentials.access_key_id),
        ("AWS_SECRET_ACCESS_KEY", credentials.secret_access_key),
        ("AWS_SESSION_TOKEN", credentials.session_token),
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_DEFAULT_REGION", region),
    ):
        typer.echo(f"export {name}={shlex.quote(value)}")
    typer.echo(f"iamd: the credentials are valid until {credentials.expiration}", err=True)


def _write_profile(
    profile: str, credentials: TemporaryCredentials, endpoint: str, region: str
) -> None:
    """The credentials in the shared credentials file, region and endpoint in the config
    file (the files the environment names, as the aws CLI reads them); other profiles and
    other keys of this one are kept."""
    credentials_file = _aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials")
    config_file = _aws_file("AWS_CONFIG_FILE", "config")
    _update_ini(credentials_file, profile, {
        "aws_access_key_id": credentials.access_key_id,
        "aws_secret_access_key": credentials.secret_access_key,
        "aws_session_token": credentials.session_token,
    })
    section = profile if profile == "default" else f"profile {profile}"
    _update_ini(config_file, section, {"region": region, "endpoint_url": endpoint})


def _aws_file(variable: str, name: str) -> Path:
    named = os.environ.get(variable)
    return Path(named).expanduser() if named else Path.home() / ".aws" / name


def _update_ini(path: Path, section: str, values: Mapping[str, str]) -> None:
    """Set ``values`` in ``section`` of the INI file (created if missing), written anew
    with mode 0600 in one step (a temporary file renamed over it)."""
    text = path.read_text() if path.exists() else ""
    updated = with_section(text, section, values)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w") as file:
            file.write(updated)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def with_section(text: str, section: str, values: Mapping[str, str]) -> str:
    """The INI text with ``values`` set in ``section``: existing keys replaced in place,
    missing ones appended to the section (or a new section at the end). Every other line,
    comments included, is kept."""
    out: list[str] = []
    remaining = dict(values)
    current: str | None = None
    found = False

    def add_remaining() -> None:
        blank_tail = []
        while out and not out[-1].strip():
            blank_tail.append(out.pop())
        out.extend(f"{key} = {value}" for key, value in remaining.items())
        remaining.clear()
        out.extend(blank_tail)

    for line in text.splitlines():
        header = _SECTION.match(line)
        if header:
            if current == section:
                add_remaining()
            current = header.group(1)
            found = found or current == section
        elif current == section and (key := _KEY.match(line)) and key.group(1) in values:
            name = key.group(1)
            if name in remaining:
                out.append(f"{name} = {remaining.pop(name)}")
            continue  # a repeated key is dropped
        out.append(line)
    if current == section:
        add_remaining()
    if not found:
        if out and out[-1].strip():
            out.append("")
        out.append(f"[{section}]")
        out.extend(f"{key} = {value}" for key, value in values.items())
    return "\n".join(out) + "\n"
