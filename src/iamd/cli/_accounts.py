"""`iamd account create|list|delete|reset-root-password`: accounts are the operator's, not the
IAM API's."""

from __future__ import annotations

from typing import Annotated

import typer

from ._options import DatabaseUrl, DataDir, fail, services_on

account_app = typer.Typer(no_args_is_help=True, help="Accounts and their root users.")


@account_app.command("create")
def create(
    account_id: Annotated[str | None, typer.Option(help="12 digits (default: random)")] = None,
    email: Annotated[str | None, typer.Option(
        help="The root user's email, its sign-in name (default: root@<account id>.invalid)")
    ] = None,
    root_password: Annotated[str | None, typer.Option(
        help="The root user's password (default: generated and printed once)")] = None,
    root_access_key_id: Annotated[str | None, typer.Option(
        help="Use this root access key id (with --root-secret-access-key), for reproducible "
        "dev and test setups")] = None,
    root_secret_access_key: Annotated[str | None, typer.Option(
        help="The secret of --root-access-key-id")] = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Create an account and its root user; print the root access key (and generated
    password) once."""
    from iamd.service import accounts

    with services_on(database_url, data_dir) as services:
        made = accounts.create_account(
            services.env, account_id=account_id, email=email, root_password=root_password,
            root_access_key_id=root_access_key_id, root_secret_access_key=root_secret_access_key,
        )
    typer.echo(f"account {made.account.id}")
    typer.echo(f"  root email: {made.account.email}")
    if made.root_password is not None:
        typer.echo(f"  root password: {made.root_password}")
    typer.echo(f"  export AWS_ACCESS_KEY_ID={made.root_access_key_id}")
    if root_secret_access_key is None:
        typer.echo(f"  export AWS_SECRET_ACCESS_KEY={made.root_secret_access_key}")


@account_app.command("list")
def list_(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """List the accounts: id, creation time, email and aliases."""
    from iamd.service import accounts

    with services_on(database_url, data_dir) as services:
        for summary in accounts.list_accounts(services.env):
            account = summary.account
            aliases = ",".join(summary.aliases) or "-"
            created = account.created.strftime("%Y-%m-%dT%H:%M:%SZ")
            typer.echo(f"{account.id}\t{created}\t{account.email or '-'}\t{aliases}")


@account_app.command("delete")
def delete(
    account_id: Annotated[str, typer.Option(help="The account to remove")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: removes everything in it")] = False,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Delete an account and everything in it (users, roles, policies, keys...)."""
    from iamd.service import accounts

    if not yes:
        raise fail("deleting an account removes everything in it; add --yes to confirm", 2)
    with services_on(database_url, data_dir) as services:
        accounts.delete_account(services.env, account_id)
    typer.echo(f"deleted account {account_id}")


@account_app.command("reset-root-password")
def reset_root_password(
    account_id: Annotated[str, typer.Option(help="The account whose root password to reset")],
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Give the root user a new generated password, printed once; its console sessions end."""
    from iamd.service import accounts

    with services_on(database_url, data_dir) as services:
        password = accounts.reset_root_password(services.env, account_id)
    typer.echo(f"account {account_id}")
    typer.echo(f"  root password: {password}")
