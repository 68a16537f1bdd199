"""``ferrox demo``: runs the demo pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ferrox.cli._common import console, handles_errors


@handles_errors
def demo_command(
    catalog: Annotated[
        Path | None,
        typer.Option(
            "--catalog",
            "-c",
            help="Catalog directory, rebuilt from scratch [.ferrox/demo-catalog].",
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(help="Data folder laid out like ../shared/data (default: search for it)."),
    ] = None,
    synthetic: Annotated[
        bool, typer.Option("--synthetic", help="Generate synthetic Binance captures and use them.")
    ] = False,
) -> None:
    """Import real market data (or synthetic data) into a fresh catalog and summarise it."""
    # Imported when run: the demo pulls in every feature, other commands need not pay for it.
    from ferrox.demo import DEFAULT_CATALOG, run_demo

    run_demo(catalog=catalog or DEFAULT_CATALOG, data=data, synthetic=synthetic, console=console())
