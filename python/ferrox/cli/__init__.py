"""The ``ferrox`` command line: ``ferrox data import|ls|export`` and ``ferrox demo``.

Errors a user can fix (any :class:`~ferrox.errors.FerroxError`) print one red
line on stderr and exit with 1; usage errors exit with 2. ``--debug`` or
``FERROX_DEBUG=1`` shows the traceback instead.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ferrox import __version__
from ferrox.cli import backtest, book, data, factors, risk
from ferrox.cli._common import STATE
from ferrox.cli.bars import bars_command
from ferrox.cli.demo import demo_command
from ferrox.cli.report import report_command
from ferrox.cli.sweep import sweep_command

app = typer.Typer(
    no_args_is_help=True,
    help="ferrox: market data, research, backtests, trading.",
    pretty_exceptions_enable=False,
)
app.add_typer(data.app, name="data")
app.add_typer(book.app, name="book")
app.add_typer(backtest.app, name="backtest")
app.add_typer(risk.app, name="risk")
app.add_typer(factors.app, name="factors")
app.command("demo")(demo_command)
app.command("bars")(bars_command)
app.command("report")(report_command)
app.command("sweep")(sweep_command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ferrox {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks (also FERROX_DEBUG=1).")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """ferrox: market data, research, backtests, trading."""
    STATE.debug = debug


def main() -> None:
    """Entry point of the ``ferrox`` console script."""
    app()


__all__ = ["app", "main"]
