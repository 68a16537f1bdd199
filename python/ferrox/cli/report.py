"""``ferrox report``: a backtest results folder -> a self-contained HTML tearsheet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ferrox.cli._common import console, handles_errors
from ferrox.report import write_tearsheet


@handles_errors
def report_command(
    results_dir: Annotated[
        Path,
        typer.Argument(help="Results folder of ferrox backtest run (meta.json, equity.parquet)."),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")] = Path(
        "report.html"
    ),
    benchmark: Annotated[
        Path | None,
        typer.Option(help="Benchmark prices: Parquet or CSV with ts and close columns."),
    ] = None,
    title: Annotated[str | None, typer.Option(help="Page title.")] = None,
) -> None:
    """Write an HTML tearsheet (statistics and charts) that opens without internet."""
    path = write_tearsheet(results_dir, out, benchmark=benchmark, title=title)
    console().print(f"tearsheet written to {path} ({path.stat().st_size:,} bytes)")
