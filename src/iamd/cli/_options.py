"""Options shared by every command that touches the database, and settings from them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from iamd.settings import Settings

if TYPE_CHECKING:
    from iamd.bootstrap import Services

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db "
        "[env IAMD_DATABASE_URL; default: SQLite in the data directory]",
        show_default=False,
    ),
]
DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Directory for the SQLite database and the server key "
        "[env IAMD_DATA_DIR; default ~/.local/share/iamd]",
        show_default=False,
    ),
]


def settings(**flags: Any) -> Settings:
    """Settings from the given flags (None: not given), the environment, then defaults."""
    return Settings.load(flags, os.environ)


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"iamd: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def services_on(database_url: str | None, data_dir: Path | None) -> Iterator[Services]:
    """The services on the database the options (or environment) name, closed afterwards; an
    IAM error ends the command with its message."""
    from iamd import bootstrap
    from iamd.domain.errors import IamError

    services = bootstrap.build(settings(database_url=database_url, data_dir=data_dir))
    try:
        yield services
    except IamError as error:
        raise fail(error.message) from None
    finally:
        services.close()
