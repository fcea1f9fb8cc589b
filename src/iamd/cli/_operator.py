"""`iamd service register|list|delete` (software that calls as a service principal) and
`iamd role revoke-sessions`: the operator's, on the database, not the IAM API's."""

from __future__ import annotations

from typing import Annotated

import typer

from ._options import DatabaseUrl, DataDir, services_on

service_app = typer.Typer(
    no_args_is_help=True,
    help="Services: software that assumes roles whose trust policy names it "
    '({"Service": "lambda.amazonaws.com"}).',
)
role_app = typer.Typer(no_args_is_help=True, help="Roles, as the account's root user.")

ServiceName = Annotated[str, typer.Argument(
    help="A DNS name, e.g. lambda.amazonaws.com", show_default=False)]


@service_app.command("register")
def register(name: ServiceName, database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Register software as the service NAME; print its access key (the secret once)."""
    from iamd.service import service_principals

    with services_on(database_url, data_dir) as services:
        made = service_principals.register_service(services.env, name)
    typer.echo(f"service {made.credential.service_name}")
    typer.echo(f"  export AWS_ACCESS_KEY_ID={made.credential.id}")
    typer.echo(f"  export AWS_SECRET_ACCESS_KEY={made.secret_access_key}")


@service_app.command("list")
def list_(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """List the registered services: name, access key id and registration time."""
    from iamd.service import service_principals

    with services_on(database_url, data_dir) as services:
        for credential in service_principals.list_services(services.env):
            created = credential.created.strftime("%Y-%m-%dT%H:%M:%SZ")
            typer.echo(f"{credential.service_name}\t{credential.id}\t{created}")


@service_app.command("delete")
def delete(name: ServiceName, database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Delete the service NAME: its access key stops working at once (role sessions it
    already has last until they expire)."""
    from iamd.service import service_principals

    with services_on(database_url, data_dir) as services:
        service_principals.delete_service(services.env, name)
    typer.echo(f"deleted service {name.strip().lower()}")


@role_app.command("revoke-sessions")
def revoke_sessions(
    account_id: Annotated[str, typer.Option(help="The role's account")],
    role_name: Annotated[str, typer.Option(help="The role whose sessions to revoke")],
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Refuse every session of the role issued until now, as AWS's console does: the role's
    inline policy AWSRevokeOlderSessions denies everything to sessions issued before the
    cut-off. Sessions issued afterwards work."""
    from iamd.service import operator

    with services_on(database_url, data_dir) as services:
        cutoff = operator.revoke_role_sessions(services.env, account_id, role_name)
    typer.echo(
        f"role {role_name}: sessions issued before {cutoff.strftime('%Y-%m-%dT%H:%M:%SZ')} are "
        f"refused (inline policy {operator.REVOKE_POLICY_NAME})"
    )
