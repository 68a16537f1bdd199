"""``ferrox backtest run CONFIG.toml``: a backtest from a config file, results to a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ferrox.backtest.config import load_config
from ferrox.backtest.runner import build_backtest
from ferrox.cli._common import console, counting_progress, handles_errors

app = typer.Typer(no_args_is_help=True, help="Event-driven backtests.")


@app.command("run")
@handles_errors
def run_command(
    config_path: Annotated[Path, typer.Argument(help="Backtest config (TOML).", metavar="CONFIG")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Results folder (default: results/<config name>)."),
    ] = None,
) -> None:
    """Check the config, load the data, run the strategy and write the results folder
    (orders, fills, trades, positions, account, equity, stats, meta)."""
    config = load_config(config_path)
    backtest, strategy = build_backtest(config)
    total = backtest._engine.record_count()
    with counting_progress("backtest") as bar:
        task = bar.add_task("run", total=total)
        result = backtest.run(
            strategy,
            progress=lambda n: bar.update(task, completed=n),
            config=config.source,
        )
    folder = result.save(out or Path("results") / config_path.stem)
    table = Table(title=f"backtest {config_path.name}", show_header=False)
    for key, value in result.stats.items():
        table.add_row(key, f"{value:,.6g}" if isinstance(value, float) else str(value))
    table.add_row("fills", f"{result.fills.height:,}")
    table.add_row("results hash", result.results_hash[:16])
    console().print(table)
    console().print(f"results in {folder}")
