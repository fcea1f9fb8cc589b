"""The `iamd` command line (Typer). The only place settings are read.

May import: bootstrap, service, policy.
"""

from ._app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
