"""``ferrox factors compute``: factor expressions (or the Alpha158 set) over a panel file."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from ferrox.cli._common import console, handles_errors
from ferrox.data.catalog import atomic_output
from ferrox.errors import ConfigError
from ferrox.factors import alpha158, compute, plan_size

app = typer.Typer(no_args_is_help=True, help="Factor expressions over an instrument x time panel.")

SETS = {"alpha158": alpha158}


def _read_panel(path: Path) -> pl.DataFrame:
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    if path.suffix == ".csv":
        return pl.read_csv(path, try_parse_dates=True)
    raise ConfigError(f"PANEL: expected a .parquet or .csv file, got {path.name!r}")


def _expressions(sets: list[str], exprs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in sets:
        if name not in SETS:
            raise ConfigError(f"--set: unknown set {name!r} (known: {', '.join(SETS)})")
        out.update(SETS[name]())
    for item in exprs:
        name, sep, text = item.partition("=")
        if not sep or not name.strip() or not text.strip():
            raise ConfigError(f"--expr: expected NAME=EXPRESSION, got {item!r}")
        out[name.strip()] = text.strip()
    if not out:
        raise ConfigError("nothing to compute: give --set alpha158 and/or --expr NAME=EXPRESSION")
    return out


@app.command("compute")
@handles_errors
def compute_command(
    panel_path: Annotated[
        Path,
        typer.Argument(
            metavar="PANEL", help="Panel .parquet or .csv: one row per instrument and time."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output .parquet or .csv file.")],
    sets: Annotated[
        list[str] | None, typer.Option("--set", help="A ready-made factor set: alpha158.")
    ] = None,
    exprs: Annotated[
        list[str] | None,
        typer.Option("--expr", "-e", help="NAME=EXPRESSION, e.g. 'ma5=Mean($close, 5)/$close'."),
    ] = None,
    instrument: Annotated[str, typer.Option(help="Instrument column.")] = "instrument",
    time_column: Annotated[str, typer.Option("--time", help="Time column.")] = "ts",
) -> None:
    """Compute factors over PANEL and write one column per factor beside instrument and time."""
    if out.suffix not in (".parquet", ".csv"):
        raise ConfigError(f"--out: expected a .parquet or .csv file, got {out.name!r}")
    expressions = _expressions(sets or [], exprs or [])
    panel = _read_panel(panel_path)
    say = console()
    n_inst = panel[instrument].n_unique() if instrument in panel.columns else 0
    n_times = panel[time_column].n_unique() if time_column in panel.columns else 0
    say.print(
        f"panel {panel_path.name}: {panel.height:,} rows, {n_inst:,} instruments, {n_times:,} times"
    )
    fields = [c for c in panel.columns if c not in (instrument, time_column)]
    started = time.perf_counter()
    with say.status(f"computing {len(expressions)} factors..."):
        result = compute(panel, expressions, instrument=instrument, time=time_column)
    seconds = time.perf_counter() - started
    tree, shared = plan_size(expressions, fields)
    with atomic_output(out) as temp:
        if out.suffix == ".csv":
            result.write_csv(temp)
        else:
            result.write_parquet(temp)
    say.print(
        f"{len(expressions)} factors ({shared:,} distinct operator nodes of {tree:,}) "
        f"computed in {seconds:.2f} s; {result.height:,} rows written to {out}"
    )
    nan_share = {name: result[name].is_nan().sum() / max(result.height, 1) for name in expressions}
    worst = sorted(nan_share.items(), key=lambda kv: -kv[1])[:3]
    if worst and worst[0][1] > 0:
        listing = ", ".join(f"{k} {v:.1%}" for k, v in worst)
        say.print(f"most missing values: {listing}")
