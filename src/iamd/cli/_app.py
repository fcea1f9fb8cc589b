"""The root `iamd` command: global options and the command groups."""

from __future__ import annotations

from typing import Annotated

import typer

from iamd import __version__

from ._accounts import account_app
from ._login import login
from ._operator import role_app, service_app
from ._policy import policy_app
from ._server import db_app, serve

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    help="iamd: a self-hosted, AWS-compatible IAM service.",
)
app.add_typer(policy_app, name="policy")
app.add_typer(account_app, name="account")
app.add_typer(db_app, name="db")
app.add_typer(service_app, name="service")
app.add_typer(role_app, name="role")
app.command("serve")(serve)
app.command("login")(login)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"iamd {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """iamd: a self-hosted, AWS-compatible IAM service."""
