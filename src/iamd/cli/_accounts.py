"""`iamd account create|list|delete`: accounts are the operator's, not the IAM API's."""

from __future__ import annotations

from typing import Annotated

import typer

from ._options import DatabaseUrl, DataDir, fail, settings

account_app = typer.Typer(no_args_is_help=True, help="Accounts and their root users.")


@account_app.command("create")
def create(
    account_id: Annotated[str | None, typer.Option(help="12 digits (default: random)")] = None,
    email: Annotated[str | None, typer.Option(help="The root user's email")] = None,
    root_access_key_id: Annotated[str | None, typer.Option(
        help="Use this root access key id (with --root-secret-access-key), for reproducible "
        "dev and test setups")] = None,
    root_secret_access_key: Annotated[str | None, typer.Option(
        help="The secret of --root-access-key-id")] = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Create an account and its root user; print the root access key once."""
    from iamd import bootstrap
    from iamd.domain.errors import IamError
    from iamd.service import accounts

    services = bootstrap.build(settings(database_url=database_url, data_dir=data_dir))
    try:
        made = accounts.create_account(
            services.env, account_id=account_id, email=email,
            root_access_key_id=root_access_key_id, root_secret_access_key=root_secret_access_key,
        )
    except IamError as error:
        raise fail(error.message) from None
    finally:
        services.close()
    typer.echo(f"account {made.account.id}")
    typer.echo(f"  export AWS_ACCESS_KEY_ID={made.root_access_key_id}")
    if root_secret_access_key is None:
        typer.echo(f"  export AWS_SECRET_ACCESS_KEY={made.root_secret_access_key}")


@account_app.command("list")
def list_(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """List the accounts: id, creation time, email and aliases."""
    from iamd import bootstrap
    from iamd.service import accounts

    services = bootstrap.build(settings(database_url=database_url, data_dir=data_dir))
    try:
        for summary in accounts.list_accounts(services.env):
            account = summary.account
            aliases = ",".join(summary.aliases) or "-"
            created = account.created.strftime("%Y-%m-%dT%H:%M:%SZ")
            typer.echo(f"{account.id}\t{created}\t{account.email or '-'}\t{aliases}")
    finally:
        services.close()


@account_app.command("delete")
def delete(
    account_id: Annotated[str, typer.Option(help="The account to remove")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: removes everything in it")] = False,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Delete an account and everything in it (users, roles, policies, keys...)."""
    from iamd import bootstrap
    from iamd.domain.errors import IamError
    from iamd.service import accounts

    if not yes:
        raise fail("deleting an account removes everything in it; add --yes to confirm", 2)
    services = bootstrap.build(settings(database_url=database_url, data_dir=data_dir))
    try:
        accounts.delete_account(services.env, account_id)
    except IamError as error:
        raise fail(error.message) from None
    finally:
        services.close()
    typer.echo(f"deleted account {account_id}")
