"""The demo's steps: find data, import it into a fresh catalog, summarise it."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from rich.table import Table

import ferrox
from ferrox._core import format_fixed
from ferrox.cli.render import catalog_table, print_import_report
from ferrox.data.catalog import MANIFEST_NAME, Catalog
from ferrox.data.importer import ImportReport, import_files
from ferrox.data.loaders.base import LoaderOptions, OnError
from ferrox.demo import synthetic
from ferrox.demo.backtest import run_backtests
from ferrox.demo.market import build_bars, compute_indicators, rebuild_books
from ferrox.demo.pipeline import DemoContext, Step
from ferrox.errors import ConfigError, FerroxError
from ferrox.model.schema import DataKind


def _candidates() -> list[tuple[Path, str]]:
    found = [(Path.cwd().parent / "shared" / "data", "../shared/data from the current directory")]
    repo = Path(ferrox.__file__).resolve().parents[2]
    if (repo / "pyproject.toml").is_file():
        found.append((repo.parent / "shared" / "data", "../shared/data beside the repository"))
    return found


def find_data(context: DemoContext) -> None:
    """Step 1: ``--data``, else ``$FERROX_DATA``, else ``../shared/data``, else synthetic data."""
    env = os.environ.get("FERROX_DATA")
    if context.data_option is not None:
        if not context.data_option.is_dir():
            raise ConfigError(f"--data {context.data_option}: no such directory")
        context.data_dir, context.data_origin = context.data_option, "--data"
    elif context.synthetic:
        context.data_origin = "synthetic (asked for)"
    elif env:
        if Path(env).is_dir():
            context.data_dir, context.data_origin = Path(env), "$FERROX_DATA"
        else:
            context.data_origin = f"synthetic ($FERROX_DATA={env} does not exist)"
    else:
        for path, origin in _candidates():
            if path.is_dir():
                context.data_dir, context.data_origin = path.resolve(), origin
                break
        else:
            context.data_origin = "synthetic (no real data found)"
    if context.data_dir is None:
        target = context.catalog_root.parent / "demo-data"
        shutil.rmtree(target, ignore_errors=True)
        paths = synthetic.generate(target)
        context.data_dir = target
        context.console.print(
            f"using [bold]synthetic[/bold] Binance USD-M captures in {target}: "
            f"{len(paths)} files, seed 7 — {context.data_origin}"
        )
    else:
        context.console.print(
            f"using [bold]real data[/bold] in {context.data_dir} ({context.data_origin})"
        )


@dataclass(frozen=True)
class DemoSource:
    """Files of one format the demo imports, with the options they need."""

    fmt: str
    patterns: tuple[str, ...]
    options: LoaderOptions = field(default_factory=LoaderOptions)
    on_error: OnError = OnError.FAIL
    #: Import all files in one transaction (else one per file, so one bad file
    #: does not hold back the rest).
    together: bool = True
    #: A failure stops the demo (else it is noted and the demo goes on).
    required: bool = False


#: What the demo imports from a data folder laid out like ``../shared/data``.
SOURCES: tuple[DemoSource, ...] = (
    DemoSource("binance", ("binance-usdm/*.gz", "binance-spot/*.gz"), required=True),
    DemoSource("tardis", ("tardis/*.csv",), together=False),
    DemoSource("databento", ("databento/*.mbo.dbn.zst",), together=False),
    DemoSource(
        "csv",
        ("bars/btc-perp-*_1m.csv",),
        LoaderOptions(
            instrument="BTC-PERP.SIM",
            kind=DataKind.BARS,
            ts_unit="iso",
            bar_label="open",
            bar_interval="1m",
            # Whole dollars and 4-decimal volumes, except two interpolated
            # stretches with float artefacts (203889.11713750003): those rows
            # are left out and counted, never rounded.
            price_precision=3,
            size_precision=4,
        ),
        on_error=OnError.SKIP,
    ),
    DemoSource(
        "csv",
        ("bars/ADABTC-1m-*.csv",),
        LoaderOptions(instrument="ADABTC.BINANCE", kind=DataKind.BARS),
    ),
)


def _fresh_catalog(root: Path) -> Catalog:
    if root.exists():
        if not root.is_dir() or (any(root.iterdir()) and not (root / MANIFEST_NAME).is_file()):
            raise ConfigError(
                f"--catalog {root}: exists and is not a ferrox catalog; refusing to replace it"
            )
        shutil.rmtree(root)
    return Catalog(root)


def import_data(context: DemoContext) -> None:
    """Step 2: imports every format found into a fresh catalog."""
    assert context.data_dir is not None
    catalog = _fresh_catalog(context.catalog_root)
    context.catalog = catalog
    context.console.print(f"fresh catalog at {catalog.root}")
    for source in SOURCES:
        paths = sorted({p for pattern in source.patterns for p in context.data_dir.glob(pattern)})
        if not paths:
            continue
        groups = [paths] if source.together else [[p] for p in paths]
        for group in groups:
            names = (p.relative_to(context.data_dir).as_posix() for p in group)
            label = f"{source.fmt}: {', '.join(names)}"
            try:
                report = import_files(
                    group, source.fmt, catalog, on_error=source.on_error, options=source.options
                )
            except FerroxError as exc:
                if source.required:
                    raise
                context.note(f"{label}: not imported ({exc})")
                continue
            _merge(context.imports, source.fmt, report)
            context.note(f"{label}: {report.rows:,} rows in {report.seconds:.2f} s")
    for fmt, report in context.imports.items():
        context.console.print(f"[bold]{fmt}[/bold]")
        print_import_report(context.console, report)


def _merge(reports: dict[str, ImportReport], fmt: str, report: ImportReport) -> None:
    total = reports.setdefault(fmt, ImportReport())
    for key, rows in report.counts.items():
        total.counts[key] = total.counts.get(key, 0) + rows
    total.skipped.update(report.skipped)
    total.sources.extend(report.sources)
    total.quarantine_files.extend(report.quarantine_files)
    total.seconds += report.seconds


def summarize(context: DemoContext) -> None:
    """Step 3: the catalog table, import throughput, and a market summary per instrument."""
    catalog = context.require_catalog()
    out = context.console
    out.print(catalog_table(catalog))
    rows = sum(r.rows for r in context.imports.values())
    seconds = sum(r.seconds for r in context.imports.values())
    if seconds > 0:
        out.print(f"imported {rows:,} rows in {seconds:.2f} s: {rows / seconds:,.0f} rows/s")
    market = market_summary(catalog)
    context.results["market_summary"] = market
    if market.height:
        out.print(_market_table(market))


def market_summary(catalog: Catalog) -> pl.DataFrame:
    """Per instrument with trades or quotes: trade count, volume, last price, spreads.

    Volume and prices are exact decimal text; the median spread is an exact
    raw difference; the mean spread in basis points is an analytics float.
    """
    rows = []
    for inst in catalog.instruments():
        price_dp, size_dp = catalog.precisions(inst.id)
        trades = catalog.read(inst.id, DataKind.TRADES)
        quotes = catalog.read(inst.id, DataKind.QUOTES)
        if not trades.height and not quotes.height:
            continue
        row: dict[str, object] = {"instrument": inst.id, "trades": trades.height}
        row["volume"] = _text(int(trades["size"].sum()), size_dp) if trades.height else ""
        row["last_price"] = _text(int(trades["price"][-1]), price_dp) if trades.height else ""
        row["quotes"] = quotes.height
        if quotes.height:
            spread = quotes["ask_price"] - quotes["bid_price"]
            mid = (quotes["ask_price"] + quotes["bid_price"]) / 2
            row["median_spread"] = _text(int(spread.sort()[(spread.len() - 1) // 2]), price_dp)
            relative = (spread / mid).mean()
            row["mean_spread_bps"] = round(float(relative) * 1e4, 3)  # type: ignore[arg-type]
            row["crossed_quotes"] = int((spread < 0).sum())
        else:
            row.update(median_spread="", mean_spread_bps=None, crossed_quotes=0)
        rows.append(row)
    return pl.DataFrame(rows)


def _text(raw: int, precision: int) -> str:
    return format_fixed(raw, precision)


def _market_table(frame: pl.DataFrame) -> Table:
    table = Table(title="Market summary")
    for name in frame.columns:
        table.add_column(name, justify="left" if name == "instrument" else "right", no_wrap=True)
    for values in frame.iter_rows():
        table.add_row(
            *("" if v is None else f"{v:,}" if isinstance(v, int) else str(v) for v in values)
        )
    return table


#: The demo, in order. Later features append their steps here.
STEPS: list[Step] = [
    Step("find data", find_data),
    Step("import into the catalog", import_data),
    Step("summary", summarize),
    Step("order books", rebuild_books),
    Step("bars", build_bars),
    Step("indicators", compute_indicators),
    Step("backtests", run_backtests),
]
