"""`iamd policy ...`: validate documents, evaluate one request, check a stream of requests.

Exit codes: 0 success (for `evaluate`: allowed); 1 an invalid document (`validate`), a denied
request (`evaluate`) or an output closed early (`check`); 2 unusable input (a usage error, an
unreadable or invalid policy file for `evaluate`, a FILE `check` cannot open).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Annotated, Any, NamedTuple

import typer

from iamd.policy import (
    Decision,
    Policy,
    PolicyKind,
    PolicySet,
    PolicyValidationError,
    Principal,
    PrincipalType,
    Request,
    evaluate,
    parse_policy,
)

from .checkformat import Checker, decision_to_json, resource_policy_kind

EXIT_DENIED = 1
EXIT_INVALID_INPUT = 2
DEFAULT_PRINCIPAL = "arn:aws:iam::123456789012:user/example"

policy_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode="markdown",
    help="Validate IAM policy documents and evaluate requests against them.",
)


_COMPACT_ENCODER = json.JSONEncoder(separators=(",", ":"))


def _compact(answer: dict[str, Any]) -> str:
    return _COMPACT_ENCODER.encode(answer)


class FileProblem(NamedTuple):
    """One reason a file is invalid: where in the document (empty: the whole file) and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


# --- validate -------------------------------------------------------------------------------


@policy_app.command()
def validate(
    files: Annotated[
        list[str], typer.Argument(metavar="FILE", help="Policy documents; `-` is stdin.")
    ],
    kind: Annotated[
        PolicyKind, typer.Option(help="The rules to check the documents against.")
    ] = PolicyKind.IDENTITY,
    max_size: Annotated[
        int | None,
        typer.Option(
            min=0,
            metavar="N",
            help="Size limit in characters instead of the kind's own; 0 for none.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per file instead of text.")
    ] = False,
) -> None:
    """Check policy documents against the grammar and the rules of their kind.

    Prints each problem with its location. Exit 1 if any document is invalid.
    """
    all_valid = True
    for file in files:
        problems = _validate_file(file, kind, max_size)
        all_valid = all_valid and not problems
        if as_json:
            errors = [{"path": p.path, "message": p.message} for p in problems]
            typer.echo(_compact({"file": file, "valid": not problems, "errors": errors}))
        else:
            typer.echo(f"{file}: {'invalid' if problems else 'valid'}")
            for problem in problems:
                typer.echo(f"  {problem}")
    if not all_valid:
        raise typer.Exit(1)


def _validate_file(file: str, kind: PolicyKind, max_size: int | None) -> list[FileProblem]:
    try:
        text = _decode(sys.stdin.buffer.read()) if file == "-" else _read_text(Path(file))
    except _UnreadableFileError as error:
        return [FileProblem("", str(error))]
    try:
        if max_size is None:
            parse_policy(text, kind, name=file)
        else:
            parse_policy(text, kind, name=file, max_size=max_size or None)
    except PolicyValidationError as error:
        return _file_problems(error)
    return []


def _file_problems(error: PolicyValidationError) -> list[FileProblem]:
    return [FileProblem(problem.path, problem.message) for problem in error.problems]


class _UnreadableFileError(Exception):
    """A file that cannot be read as UTF-8 text; the message says why."""


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise _UnreadableFileError(f"cannot read the file: {error.strerror or error}") from None
    return _decode(data)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _UnreadableFileError(
            f"the file is not UTF-8 text: {error.reason} at byte {error.start}"
        ) from None


# --- evaluate -------------------------------------------------------------------------------

_INFERRED_TYPES = (
    (":user/", PrincipalType.USER),
    (":assumed-role/", PrincipalType.ROLE_SESSION),
    (":federated-user/", PrincipalType.FEDERATED),
    (":oidc-provider/", PrincipalType.IDP),
    (":saml-provider/", PrincipalType.IDP),
)


def infer_principal_type(arn: str) -> PrincipalType | None:
    """The principal type an ARN names, or None when it names none."""
    if arn.startswith("arn:"):
        if arn.endswith(":root"):
            return PrincipalType.ROOT
        for marker, principal_type in _INFERRED_TYPES:
            if marker in arn:
                return principal_type
        return None
    if arn.endswith(".amazonaws.com"):
        return PrincipalType.SERVICE
    return None


def parse_context(
    pairs: Iterable[str], list_pairs: Iterable[str], empty_keys: Iterable[str]
) -> dict[str, str | tuple[str, ...]]:
    """Build a request context from ``KEY=VALUE`` options.

    A key given once with ``pairs`` is a single value; given twice or more, or with
    ``list_pairs``, a list; ``empty_keys`` are present with an empty list.

    Raises:
        typer.BadParameter: an item without ``=`` or with an empty key, or a key both empty
            and given a value.
    """
    values: dict[str, list[str]] = {}
    forced_lists: set[str] = set()
    for option, items in (("--context", pairs), ("--context-list", list_pairs)):
        for item in items:
            key, equals, value = item.partition("=")
            if not equals or not key:
                raise typer.BadParameter(f"expected KEY=VALUE, got `{item}`", param_hint=option)
            values.setdefault(key, []).append(value)
            if option == "--context-list":
                forced_lists.add(key)
    context: dict[str, str | tuple[str, ...]] = {
        key: tuple(items) if len(items) > 1 or key in forced_lists else items[0]
        for key, items in values.items()
    }
    for key in empty_keys:
        if not key or "=" in key:
            raise typer.BadParameter(f"expected a KEY, got `{key}`", param_hint="--context-empty")
        if key in context:
            raise typer.BadParameter(
                f"`{key}` is also given a value with --context", param_hint="--context-empty"
            )
        context[key] = ()
    return context


class _PolicyFiles:
    """Reads policy files, collecting every problem so that all are reported at once."""

    def __init__(self) -> None:
        self.failures: list[tuple[str, list[FileProblem]]] = []

    def load(self, path: Path, kind: PolicyKind) -> Policy | None:
        try:
            text = _read_text(path)
            # Evaluation is not storage: size quotas belong to the place a policy is attached.
            return parse_policy(text, kind, name=path.name, max_size=None)
        except _UnreadableFileError as error:
            self.failures.append((str(path), [FileProblem("", str(error))]))
        except PolicyValidationError as error:
            self.failures.append((str(path), _file_problems(error)))
        return None

    def load_all(self, paths: Iterable[Path], kind: PolicyKind) -> tuple[Policy, ...]:
        loaded = (self.load(path, kind) for path in paths)
        return tuple(policy for policy in loaded if policy is not None)


def _identity_policy_paths(source: Path) -> list[Path]:
    if source.is_dir():
        paths = sorted(path for path in source.glob("*.json") if path.is_file())
        if not paths:
            raise typer.BadParameter(f"no `*.json` file in `{source}`", param_hint="--policies")
        return paths
    return [source]


@policy_app.command(name="evaluate")
def evaluate_command(
    action: Annotated[str, typer.Option(metavar="ACTION", help="The action, e.g. s3:GetObject.")],
    resource: Annotated[
        str,
        typer.Option(metavar="ARN", help="The resource ARN, or `*` for actions without resources."),
    ] = "*",
    policies: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR_OR_FILE",
            help="An identity policy file, or a directory of `*.json` identity policies.",
        ),
    ] = None,
    resource_policy: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="The resource-based policy (a trust policy for sts:AssumeRole*)."
        ),
    ] = None,
    boundary: Annotated[
        Path | None, typer.Option(metavar="FILE", help="The permissions boundary.")
    ] = None,
    session_policy: Annotated[
        Path | None, typer.Option(metavar="FILE", help="The session policy.")
    ] = None,
    scp: Annotated[
        list[Path] | None,
        typer.Option(metavar="FILE", help="An SCP governing the account; repeatable."),
    ] = None,
    rcp: Annotated[
        list[Path] | None,
        typer.Option(metavar="FILE", help="An RCP governing the resource; repeatable."),
    ] = None,
    principal: Annotated[
        str | None,
        typer.Option(
            metavar="ARN",
            help=f"The caller's ARN (a service name for a service). Default: {DEFAULT_PRINCIPAL}",
        ),
    ] = None,
    principal_type: Annotated[
        PrincipalType | None,
        typer.Option(metavar="TYPE", help="The caller's type, when its ARN does not say it."),
    ] = None,
    source_arn: Annotated[
        str | None,
        typer.Option(
            metavar="ARN", help="A role session's role ARN, or a federated session's user ARN."
        ),
    ] = None,
    resource_account: Annotated[
        str | None,
        typer.Option(
            metavar="ACCOUNT", help="The resource's account, when not the one in its ARN."
        ),
    ] = None,
    context: Annotated[
        list[str] | None,
        typer.Option(metavar="KEY=VALUE", help="A request context key; repeat a key for a list."),
    ] = None,
    context_list: Annotated[
        list[str] | None,
        typer.Option(metavar="KEY=VALUE", help="Like --context, but KEY is always a list."),
    ] = None,
    context_empty: Annotated[
        list[str] | None,
        typer.Option(metavar="KEY", help="KEY is present with an empty list of values."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the decision as one JSON object.")
    ] = False,
) -> None:
    """Decide one request: print the decision and the statements that decided it.

    Exit 0 when allowed, 1 when denied, 2 when the input is unusable.
    """
    request_context = parse_context(context or [], context_list or [], context_empty or [])
    caller = _principal(principal, principal_type, source_arn)
    request = Request(
        principal=caller,
        action=action,
        resource=resource,
        context=request_context,
        resource_account=resource_account,
    )
    files = _PolicyFiles()
    policy_set = PolicySet(
        identity=files.load_all(
            _identity_policy_paths(policies) if policies else [], PolicyKind.IDENTITY
        ),
        resource=files.load(resource_policy, resource_policy_kind(action))
        if resource_policy
        else None,
        boundary=files.load(boundary, PolicyKind.BOUNDARY) if boundary else None,
        session=files.load(session_policy, PolicyKind.SESSION) if session_policy else None,
        scp_levels=_one_level(files.load_all(scp or [], PolicyKind.SCP)),
        rcp_levels=_one_level(files.load_all(rcp or [], PolicyKind.RCP)),
    )
    if files.failures:
        for path, problems in files.failures:
            typer.echo(f"{path}: invalid", err=True)
            for problem in problems:
                typer.echo(f"  {problem}", err=True)
        raise typer.Exit(EXIT_INVALID_INPUT)
    decision = evaluate(request, policy_set)
    _print_decision(decision, as_json)
    if not decision.allowed:
        raise typer.Exit(EXIT_DENIED)


def _one_level(policies: tuple[Policy, ...]) -> tuple[tuple[Policy, ...], ...]:
    return (policies,) if policies else ()


def _principal(
    arn: str | None, principal_type: PrincipalType | None, source_arn: str | None
) -> Principal:
    if principal_type is PrincipalType.ANONYMOUS:
        if arn is not None:
            raise typer.BadParameter(
                "an anonymous caller has no ARN: leave out --principal",
                param_hint="--principal",
            )
        return Principal(type=PrincipalType.ANONYMOUS, source_arn=source_arn)
    arn = DEFAULT_PRINCIPAL if arn is None else arn
    resolved = principal_type or infer_principal_type(arn)
    if resolved is None:
        raise typer.BadParameter(
            f"cannot tell the principal type of `{arn}`; give --principal-type",
            param_hint="--principal",
        )
    return Principal(type=resolved, arn=arn, source_arn=source_arn)


def _print_decision(decision: Decision, as_json: bool) -> None:
    if as_json:
        answer = decision_to_json(decision)
        answer["denied_by"] = decision.denied_by.value if decision.denied_by else None
        typer.echo(_compact(answer))
        return
    typer.echo(f"decision: {decision.outcome.value}")
    if decision.denied_by is not None:
        typer.echo(f"denied by: {decision.denied_by.value}")
    if not decision.statements:
        typer.echo("matched statements: none")
        return
    typer.echo("matched statements:")
    for statement in decision.statements:
        sid = statement.sid if statement.sid is not None else f"#{statement.index}"
        typer.echo(
            f"  {statement.policy_type.value}  {statement.policy_name}  {sid}"
            f"  {statement.effect.value}"
        )


# --- check ----------------------------------------------------------------------------------


@policy_app.command()
def check(
    file: Annotated[
        str,
        typer.Argument(metavar="FILE", help="A JSON Lines file of requests; `-` or absent: stdin."),
    ] = "-",
) -> None:
    """Evaluate JSON Lines requests and print one JSON answer per request, in input order.

    An unusable line is answered with an error and the run goes on; exit 0 unless FILE
    cannot be opened (2).
    """
    if file == "-":
        _check_stream(sys.stdin.buffer, sys.stdout)
        return
    try:
        stream = open(file, "rb")  # noqa: SIM115 (closed below, after streaming)
    except OSError as error:
        typer.echo(f"error: cannot open `{file}`: {error.strerror or error}", err=True)
        raise typer.Exit(EXIT_INVALID_INPUT) from None
    with stream:
        _check_stream(stream, sys.stdout)


def _check_stream(lines: Iterable[bytes], output: IO[str]) -> None:
    checker = Checker()
    try:
        for answer in _answers(checker, lines):
            output.write(answer + "\n")
            output.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly. Point stdout at /dev/null so that
        # Python's final flush at exit does not fail again (the recipe of the `signal` docs).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, output.fileno())
        raise typer.Exit(1) from None


def _answers(checker: Checker, lines: Iterable[bytes]) -> Iterator[str]:
    for raw in lines:
        answer = checker.answer(raw)
        if answer is not None:
            yield _compact(answer)
