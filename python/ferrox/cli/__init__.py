"""The ``ferrox`` command line."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="ferrox: market data, research, backtests, trading.")


def main() -> None:
    """Entry point of the ``ferrox`` console script."""
    app()
