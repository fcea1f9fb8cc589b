"""`iamd serve` and `iamd db upgrade`."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, Any

import typer

from iamd.settings import Settings

from ._options import DatabaseUrl, DataDir, fail, settings

if TYPE_CHECKING:
    from iamd.server.app import IamdApp
    from iamd.service import accounts

db_app = typer.Typer(no_args_is_help=True, help="The database schema.")


def serve(
    host: Annotated[str | None, typer.Option(
        help="Address to listen on [env IAMD_HOST; default 127.0.0.1]", show_default=False,
    )] = None,
    port: Annotated[int | None, typer.Option(help="Port [env IAMD_PORT; default 8400]",
                                             show_default=False)] = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    account_id: Annotated[str | None, typer.Option(
        help="The id of the account created on first start (default: random)")] = None,
    workers: Annotated[int | None, typer.Option(
        help="Server processes [env IAMD_WORKERS; default 1]", show_default=False)] = None,
) -> None:
    """Run the IAM API server; on first start, create an account and print its root password
    and key once."""
    import uvicorn

    from iamd import bootstrap
    from iamd.domain.errors import IamError
    from iamd.server.http import ApiHttpProtocol
    from iamd.server.logs import configure_logging
    from iamd.service import accounts

    config = settings(host=host, port=port, database_url=database_url, data_dir=data_dir,
                      workers=workers)
    configure_logging(config.log_level)
    services = bootstrap.build(config)
    try:
        if accounts.is_empty(services.env):
            made = accounts.create_account(services.env, account_id=account_id)
            _announce(made, config)
    except IamError as error:
        raise fail(error.message) from None
    finally:
        services.close()
    endpoint = f"http://{config.host}:{config.port}"
    typer.echo(f"iamd: serving the IAM API at {endpoint} ({_where(config)})", err=True)
    if config.workers > 1:
        os.environ.update(_as_environment(config))
        uvicorn.run("iamd.cli._server:worker_app", factory=True, workers=config.workers,
                    **_UVICORN, http=ApiHttpProtocol, host=config.host, port=config.port)
    else:
        uvicorn.run(bootstrap.app(bootstrap.build(config)), **_UVICORN, http=ApiHttpProtocol,
                    host=config.host, port=config.port)


# iamd reads X-Forwarded-For itself, and only from IAMD_TRUSTED_PROXIES: uvicorn's own proxy
# handling (which trusts 127.0.0.1 by default) would let a local client choose aws:SourceIp.
_UVICORN: dict[str, Any] = {
    "proxy_headers": False,
    "server_header": False,
    "log_level": "warning",
    "access_log": False,
}


def worker_app() -> IamdApp:
    """The app of one worker process of ``serve --workers N`` (settings from IAMD_*)."""
    from iamd import bootstrap
    from iamd.server.logs import configure_logging

    config = settings()
    configure_logging(config.log_level)
    return bootstrap.app(bootstrap.build(config))


def _as_environment(config: Settings) -> dict[str, str]:
    values = {"IAMD_HOST": config.host, "IAMD_PORT": str(config.port),
              "IAMD_DATA_DIR": str(config.data_dir), "IAMD_WORKERS": "1"}
    if config.database_url:
        values["IAMD_DATABASE_URL"] = config.database_url
    return values


def _where(config: Settings) -> str:
    if config.uses_data_dir_database:
        return f"SQLite in {config.data_dir}"
    return "database " + config.url.split("@")[-1]


def _announce(made: accounts.NewAccount, config: Settings) -> None:
    endpoint = f"http://{config.host}:{config.port}"
    typer.echo(
        f"iamd: created account {made.account.id} and its root user.\n"
        "Its root password and access key are shown this once and never again; keep them "
        "now:\n\n"
        f"  root email:    {made.account.email}\n"
        f"  root password: {made.root_password}\n\n"
        f"  export AWS_ACCESS_KEY_ID={made.root_access_key_id}\n"
        f"  export AWS_SECRET_ACCESS_KEY={made.root_secret_access_key}\n"
        "  export AWS_DEFAULT_REGION=us-east-1\n"
        f"  export AWS_ENDPOINT_URL={endpoint}\n\n"
        f"  aws --endpoint-url {endpoint} iam get-user\n"
    )


@db_app.command("upgrade")
def upgrade(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Apply pending schema migrations."""
    from iamd.storage.sql import migrate

    config = settings(database_url=database_url, data_dir=data_dir)
    if config.uses_data_dir_database:
        config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    before, after = migrate.upgrade(config.url)
    if before == after:
        typer.echo(f"iamd: the schema is up to date (revision {after})")
    else:
        typer.echo(f"iamd: upgraded the schema from {before or 'empty'} to {after}")
