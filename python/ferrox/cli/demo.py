"""``ferrox demo``: runs the demo pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ferrox.cli._common import console, handles_errors
from ferrox.demo import DEFAULT_CATALOG, run_demo


@handles_errors
def demo_command(
    catalog: Annotated[
        Path, typer.Option("--catalog", "-c", help="Catalog directory, rebuilt from scratch.")
    ] = DEFAULT_CATALOG,
    data: Annotated[
        Path | None,
        typer.Option(help="Data folder laid out like ../shared/data (default: search for it)."),
    ] = None,
    synthetic: Annotated[
        bool, typer.Option(help="Generate synthetic Binance captures even if real data exists.")
    ] = False,
) -> None:
    """Import real market data (or synthetic data) into a fresh catalog and summarise it."""
    run_demo(catalog=catalog, data=data, synthetic=synthetic, console=console())
