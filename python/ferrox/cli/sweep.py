"""``ferrox sweep CONFIG.toml --grid fast=5,10,20 --grid slow=30,60``: a parameter sweep.

Runs across local processes (or on Ray with ``--ray``), shows a progress bar, keeps
every finished set in ``--out`` (default ``sweeps/<config name>``) so that a re-run
after Ctrl-C goes on where it stopped, writes ``DIR/results.parquet`` and prints the
best rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from ferrox.cli._common import console, counting_progress, fail, handles_errors
from ferrox.research._sweep_config import load_sweep
from ferrox.research.sweep import RESERVED, best, run_sweep

#: Statistics shown beside the sort key when the target reports them.
_SHOWN = ("total_return", "sharpe", "max_drawdown", "trades")


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.6g}"
    return "" if value is None else str(value)


@handles_errors
def sweep_command(
    config_path: Annotated[
        Path,
        typer.Argument(
            help="A backtest config, or a file with [sweep].target = 'module:function'.",
            metavar="CONFIG",
        ),
    ],
    grid: Annotated[
        list[str] | None,
        typer.Option(
            "--grid",
            "-g",
            help="NAME=V1,V2,... or NAME=LOW:HIGH[:STEP]; repeat per parameter "
            "(replaces that parameter of [sweep.grid]).",
        ),
    ] = None,
    random: Annotated[
        int | None, typer.Option("--random", help="Random search: N sets instead of the grid.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the random search.")] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", help="Processes (default: CPU count).")
    ] = None,
    ray: Annotated[
        str | None,
        typer.Option("--ray", help="Run on Ray: a cluster ADDRESS, or 'local'.", metavar="ADDRESS"),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Results folder (default: sweeps/<config name>)."),
    ] = None,
    sort: Annotated[
        str | None, typer.Option("--sort", help="Show the best rows by this statistic.")
    ] = None,
    ascending: Annotated[
        bool, typer.Option("--ascending", help="Lower is better for --sort.")
    ] = False,
    top: Annotated[int, typer.Option("--top", help="Rows to show.")] = 10,
) -> None:
    """Run a grid or random search of strategy parameters; one row per parameter set
    (parameters, statistics, status) in DIR/results.parquet."""
    plan = load_sweep(
        config_path, grid_options=grid, samples=random, seed=seed, workers=workers,
        ray=ray, out=out, sort=sort,
    )  # fmt: skip
    folder = plan.out or Path("sweeps") / config_path.stem
    sets = plan.parameter_sets()
    where = f"Ray ({plan.ray})" if plan.ray else f"{plan.workers or 'all'} worker processes"
    console().print(f"sweep: {len(sets):,} parameter sets on {where}; results in {folder}")
    resumed: list[int] = []
    try:
        with counting_progress("sweep") as bar:
            task = bar.add_task("sweep", total=len(sets))

            def progress(done: int, total: int) -> None:
                if not resumed:
                    resumed.append(done)
                bar.update(task, completed=done)

            table = run_sweep(
                plan.target, sets, max_workers=plan.workers, ray=plan.ray, out=folder,
                progress=progress,
            )  # fmt: skip
    except KeyboardInterrupt:
        raise fail(
            f"interrupted; the finished parameter sets are kept in {folder}: "
            "run the same command again to go on",
            130,
        ) from None
    if resumed and resumed[0]:
        console().print(f"resumed: {resumed[0]:,} sets were already done in {folder}")
    _print(table, list(plan.space), plan.sort, ascending, top)
    failed = table.filter(pl.col("status") != "ok")
    for row in failed.head(5).iter_rows(named=True):
        params = {k: v for k, v in row.items() if k in plan.space}
        console().print(f"[red]failed[/red] set {row['index']} {params}: {row['error']}")
    console().print(
        f"{table.height - failed.height:,} ok, {failed.height:,} failed; "
        f"table in {folder / 'results.parquet'}"
    )
    if failed.height == table.height:
        raise typer.Exit(1)


def _print(
    table: pl.DataFrame, params: list[str], sort: str | None, ascending: bool, top: int
) -> None:
    rows = best(table, sort, top, ascending=ascending) if sort else table.head(top)
    stats = [c for c in table.columns if c not in RESERVED and c not in params]
    shown = list(dict.fromkeys([*([sort] if sort else []), *(s for s in _SHOWN if s in stats)]))
    shown = shown or stats[:4]
    title = f"best {len(rows)} by {sort}" if sort else f"first {len(rows)}"
    view = Table(title=title)
    for name in ["index", *params, *shown, "status"]:
        view.add_column(name, justify="right" if name != "status" else "left")
    for row in rows.iter_rows(named=True):
        view.add_row(*(_cell(row[name]) for name in ["index", *params, *shown, "status"]))
    console().print(view)
