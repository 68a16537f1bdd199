"""``ferrox factors compute`` (factor expressions over a panel file) and ``ferrox factors analyze``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from ferrox.cli._common import console, handles_errors
from ferrox.data.catalog import atomic_output
from ferrox.errors import ConfigError
from ferrox.factors import FactorAnalysis, alpha158, analyze, compute, plan_size

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


def _horizons(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"--horizons: expected whole numbers like 1,5,10, got {text!r}") from None
    return values


def _cell(value: object, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, float):
        return f"{value * 100:.3f}%" if pct else f"{value:.4f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _print_analysis(result: FactorAnalysis) -> None:
    from rich.table import Table

    say = console()
    ic = Table(title=f"IC of {result.factor} (Pearson) and rank IC (Spearman) per horizon")
    for name in (
        "horizon",
        "periods",
        "IC mean",
        "IC std",
        "IC IR",
        "IC t",
        "rank IC mean",
        "rank IC std",
        "rank IC IR",
        "rank IC t",
    ):
        ic.add_column(name, justify="right")  # fmt: skip
    for values in result.ic_summary.iter_rows():
        ic.add_row(*(_cell(v) for v in values))
    say.print(ic)
    quant = Table(title="Mean forward return by quantile (per-time means, averaged over time)")
    quant.add_column("quantile", justify="right")
    for h in result.horizons:
        quant.add_column(f"{h}p mean", justify="right")
        quant.add_column(f"{h}p t", justify="right")
    for q in range(1, result.quantiles + 1):
        cells = [str(q)]
        for h in result.horizons:
            match = result.quantile_summary.filter(
                (pl.col("horizon") == h) & (pl.col("quantile") == q)
            )
            cells += [_cell(match["mean"].first(), pct=True), _cell(match["t"].first())]
        quant.add_row(*cells)
    cells = ["top-bottom"]
    for row in result.spread_summary.iter_rows(named=True):
        cells += [_cell(row["mean"], pct=True), _cell(row["t"])]
    quant.add_row(*cells)
    say.print(quant)
    turn = Table(title="Turnover: share of each bucket's names new to it since the previous time")
    turn.add_column("quantile", justify="right")
    turn.add_column("mean turnover", justify="right")
    for q, value in result.turnover_summary.iter_rows():
        turn.add_row(str(q), _cell(value, pct=True))
    say.print(turn)
    autocorr = result.summary()["rank_autocorrelation_mean"]
    say.print(f"mean rank autocorrelation (lag 1): {_cell(autocorr)}")


@app.command("analyze")
@handles_errors
def analyze_command(
    factors_path: Annotated[
        Path,
        typer.Argument(metavar="FACTORS", help="Factor .parquet or .csv (from factors compute)."),
    ],
    prices_path: Annotated[
        Path, typer.Option("--prices", help="Panel .parquet or .csv with the price column.")
    ],
    factor: Annotated[str, typer.Option("--factor", "-f", help="The factor column to analyse.")],
    horizons: Annotated[
        str, typer.Option(help="Forward-return horizons in periods, comma-separated.")
    ] = "1,5,10",
    quantiles: Annotated[int, typer.Option(help="Number of quantile buckets.")] = 5,
    price: Annotated[str, typer.Option(help="Price column of the panel.")] = "close",
    group: Annotated[
        str | None, typer.Option(help="Neutralise within this column's groups (e.g. sector).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the HTML report here.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the summary tables as JSON here.")
    ] = None,
    min_instruments: Annotated[
        int | None,
        typer.Option(help="Leave out times with fewer factor values (default: --quantiles)."),
    ] = None,
    instrument: Annotated[str, typer.Option(help="Instrument column.")] = "instrument",
    time_column: Annotated[str, typer.Option("--time", help="Time column.")] = "ts",
) -> None:
    """IC, rank IC, quantile returns, spread and turnover of one factor against forward returns."""
    if out is not None and out.suffix not in (".html", ".htm"):
        raise ConfigError(f"--out: expected an .html file, got {out.name!r}")
    result = analyze(
        _read_panel(factors_path),
        _read_panel(prices_path),
        factor=factor,
        price=price,
        horizons=_horizons(horizons),
        quantiles=quantiles,
        group=group,
        instrument=instrument,
        time=time_column,
        min_instruments=min_instruments,
    )
    _print_analysis(result)
    say = console()
    if out is not None:
        result.write_report(out)
        say.print(f"report written to {out}")
    if json_out is not None:
        with atomic_output(json_out) as temp:
            temp.write_text(json.dumps(result.summary(), indent=2) + "\n", encoding="utf-8")
        say.print(f"summary written to {json_out}")
