"""``ferrox risk report``: exposures, VaR/ES, stress and margin of a backtest or a positions file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ferrox.cli._common import console, handles_errors
from ferrox.errors import ConfigError
from ferrox.risk.report import ReportOptions, build_report, write_report
from ferrox.risk.stress import load_groups, load_scenarios

app = typer.Typer(no_args_is_help=True, help="Portfolio risk: exposures, VaR/ES, stress, margin.")


def _money(value: Any) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _var_table(title: str, estimates: dict[str, Any], currency: str) -> Table:
    table = Table(title=title)
    table.add_column("Method", no_wrap=True)
    table.add_column(f"VaR ({currency})", justify="right")
    table.add_column(f"ES ({currency})", justify="right")
    table.add_column("Observations", justify="right")
    for method, est in estimates.items():
        table.add_row(method, _money(est["var"]), _money(est["es"]), f"{est['observations']:,}")
    return table


def _exposure_table(title: str, key: str, rows: list[dict[str, Any]], currency: str) -> Table:
    table = Table(title=f"{title} ({currency})")
    table.add_column(key.capitalize(), no_wrap=True)
    for name in ("Long", "Short", "Gross", "Net"):
        table.add_column(name, justify="right")
    for row in rows:
        table.add_row(str(row[key]), *(_money(row[c]) for c in ("long", "short", "gross", "net")))
    return table


def print_report(report: dict[str, Any], out: Console) -> None:
    """Prints a report from :func:`ferrox.risk.report.build_report` as tables."""
    ccy = report["base_currency"]
    level = (
        f"{report['confidence']:.2%}, {report['horizon']} period(s) of {report['period'] or 'raw'}"
    )
    account = report.get("account")
    if account is not None:
        out.print(f"Account equity {_money(account['equity'])} {ccy}")
        out.print(_var_table(f"Account VaR / ES ({level})", account["var"], ccy))
    book = report.get("portfolio")
    if book is not None:
        totals = book["exposure"]
        out.print(
            f"Exposure: long {_money(totals['long'])}, short {_money(totals['short'])}, "
            f"gross {_money(totals['gross'])}, net {_money(totals['net'])} {ccy}"
        )
        for key, title in (
            ("instrument", "Exposure by instrument"),
            ("venue", "Exposure by venue"),
            ("currency", "Exposure by currency"),
            ("group", "Exposure by group"),
        ):
            rows = book.get(f"by_{key}")
            if rows:
                out.print(_exposure_table(title, key, rows, ccy))
        if "var" in book:
            out.print(_var_table(f"Portfolio VaR / ES ({level})", book["var"], ccy))
        if "benchmark" in book:
            b = book["benchmark"]
            out.print(
                f"Benchmark {b['benchmark']}: beta {b['beta']}, dollar beta "
                f"{_money(b['dollar_beta'])}, correlation {b['correlation']}"
            )
        if "stress" in book:
            table = Table(title=f"Stress scenarios ({ccy})")
            table.add_column("Scenario", no_wrap=True)
            table.add_column("P&L", justify="right")
            table.add_column("% of gross", justify="right")
            for row in book["stress"]:
                pct = row["pnl_pct_gross"]
                table.add_row(
                    row["scenario"], _money(row["pnl"]), "-" if pct is None else f"{pct:.2%}"
                )
            out.print(table)
        if "margin" in book:
            m = book["margin"]
            out.print(
                f"Margin {_money(m['margin'])} of equity {_money(m['equity'])} {ccy} "
                f"({m['usage']:.2%} used, {_money(m['free'])} free)"
                if m["usage"] is not None
                else f"Margin {_money(m['margin'])} {ccy}; equity is not positive"
            )
    for note in report["notes"]:
        out.print(f"[yellow]note:[/yellow] {note}")


@app.command("report")
@handles_errors
def report_command(
    results: Annotated[
        Path | None, typer.Argument(help="Backtest results folder (equity.parquet, ...).")
    ] = None,
    positions: Annotated[
        Path | None,
        typer.Option(help="Positions .csv/.parquet: instrument,quantity[,price][,currency]."),
    ] = None,
    prices: Annotated[
        Path | None, typer.Option(help="Prices .csv/.parquet, long: ts,instrument,close.")
    ] = None,
    confidence: Annotated[float, typer.Option(help="VaR confidence, in (0, 1).")] = 0.99,
    horizon: Annotated[int, typer.Option(min=1, help="Horizon in periods.")] = 1,
    period: Annotated[
        str, typer.Option(help="Resample prices and equity to this period first ('none': raw).")
    ] = "1d",
    scenarios: Annotated[
        Path | None, typer.Option(help="TOML with [scenarios.NAME] (and optional [groups]).")
    ] = None,
    benchmark: Annotated[
        str | None, typer.Option(help="Instrument of --prices to compute beta against.")
    ] = None,
    margin_rate: Annotated[
        float | None, typer.Option(help="Margin rate for every position (0.1 = 10x).")
    ] = None,
    equity: Annotated[
        float | None, typer.Option(help="Account equity for margin usage (positions mode).")
    ] = None,
    simulations: Annotated[int, typer.Option(min=1, help="Monte Carlo scenarios.")] = 100_000,
    seed: Annotated[int, typer.Option(min=0, help="Monte Carlo seed.")] = 0,
    base_currency: Annotated[str, typer.Option(help="Base currency (positions mode).")] = "USD",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the JSON here.")] = None,
) -> None:
    """Print exposures, VaR/ES (historical, parametric, Monte Carlo), stress and margin;
    optionally write them as JSON."""
    if (results is None) == (positions is None):
        raise ConfigError("give either a RESULTS folder or --positions FILE (not both)")
    if benchmark is not None and prices is None:
        raise ConfigError("--benchmark needs --prices (the benchmark's price history)")
    options = ReportOptions(
        confidence=confidence,
        horizon=horizon,
        period=None if period == "none" else period,
        simulations=simulations,
        seed=seed,
        scenarios=load_scenarios(scenarios) if scenarios is not None else (),
        groups=load_groups(scenarios) if scenarios is not None else {},
        benchmark=benchmark,
        margin_rate=margin_rate,
        equity=equity,
        base_currency=base_currency,
    )
    report = build_report(results=results, positions=positions, prices=prices, options=options)
    print_report(report, console())
    if out is not None:
        write_report(report, out)
        console().print(f"report written to {out}")
