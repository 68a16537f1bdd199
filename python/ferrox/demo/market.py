"""Demo steps of the market-data engine: order books rebuilt and bars built from the catalog."""

from __future__ import annotations

import time

import polars as pl
from rich.table import Table

from ferrox import ta
from ferrox._core import format_fixed
from ferrox.bars import aggregate
from ferrox.book import replay, replay_mbo
from ferrox.demo.pipeline import DemoContext
from ferrox.model.schema import DataKind


def rebuild_books(context: DemoContext) -> None:
    """Rebuilds every instrument's book from its deltas; checks L2 books against bookTicker."""
    catalog = context.require_catalog()
    table = Table(title="Order books rebuilt from deltas")
    for name in (
        "instrument",
        "book",
        "deltas",
        "updates",
        "synced",
        "checked vs ticker",
        "agree",
        "deltas/s",
    ):
        table.add_column(name, justify="left" if name in ("instrument", "book") else "right")
    for inst in catalog.instruments():
        deltas = catalog.read(inst.id, DataKind.DELTAS)
        if not deltas.height:
            continue
        started = time.perf_counter()
        if (deltas["order_id"] != 0).any():
            book, errors = replay_mbo(deltas)
            rate = deltas.height / (time.perf_counter() - started)
            sound = int((book["order_count"] == book["queued_orders"]).sum())
            table.add_row(
                inst.id,
                "L3",
                f"{deltas.height:,}",
                f"{book.height:,}",
                f"{sound:,}",
                "",
                f"{len(errors)} errors",
                f"{rate:,.0f}",
            )
            continue
        book = replay(deltas, inst)
        rate = deltas.height / (time.perf_counter() - started)
        synced = book.filter(pl.col("state") == 0)
        quotes = catalog.read(inst.id, DataKind.QUOTES).filter(pl.col("update_id") != 0)
        joined = synced.join(
            quotes.unique("update_id", keep="last"), left_on="sequence", right_on="update_id"
        )
        agree = joined.filter(
            (pl.col("bid_price_0") == pl.col("bid_price"))
            & (pl.col("ask_price_0") == pl.col("ask_price"))
            & (pl.col("bid_size_0") == pl.col("bid_size"))
            & (pl.col("ask_size_0") == pl.col("ask_size"))
        ).height
        table.add_row(
            inst.id,
            "L2",
            f"{deltas.height:,}",
            f"{book.height:,}",
            f"{synced.height:,}",
            f"{joined.height:,}",
            f"{agree / joined.height:.1%}" if joined.height else "",
            f"{rate:,.0f}",
        )
        context.results.setdefault("books", {})[inst.id] = (joined.height, agree)
    context.console.print(table)


def build_bars(context: DemoContext) -> None:
    """Builds 1-minute and volume bars from every instrument's trades."""
    catalog = context.require_catalog()
    table = Table(title="Bars from trades")
    for name in ("instrument", "spec", "bars", "first open", "last close", "volume"):
        table.add_column(name, justify="left" if name in ("instrument", "spec") else "right")
    for inst in catalog.instruments():
        trades = catalog.read(inst.id, DataKind.TRADES)
        if trades.height < 100:
            continue
        precisions = catalog.precisions(inst.id)
        trades = trades.sort("ts_event", maintain_order=True)
        # A volume bar of about a fiftieth of the traded size.
        step = max(1, int(trades["size"].sum()) // 50)
        for spec in ("1m", f"{format_fixed(step, precisions[1])}-volume"):
            bars = aggregate(trades, spec, precisions=precisions)
            table.add_row(
                inst.id,
                spec,
                f"{bars.height:,}",
                format_fixed(int(bars["open"][0]), precisions[0]),
                format_fixed(int(bars["close"][-1]), precisions[0]),
                format_fixed(int(bars["volume"].sum()), precisions[1]),
            )
    context.console.print(table)


def compute_indicators(context: DemoContext) -> None:
    """Runs a few ``ferrox.ta`` indicators over every instrument's 1-minute bars."""
    catalog = context.require_catalog()
    table = Table(title="Indicators on 1-minute bars (last value)")
    for name in ("instrument", "bars", "close", "SMA(20)", "RSI(14)", "MACD hist", "ATR(14)", "µs"):
        table.add_column(name, justify="left" if name == "instrument" else "right")
    for inst in catalog.instruments():
        bars = catalog.read(inst.id, DataKind.BARS)
        if bars.height < 100:
            continue
        price_dp = catalog.precisions(inst.id)[0]
        close = bars["close"].to_numpy() / 10.0**price_dp
        high = bars["high"].to_numpy() / 10.0**price_dp
        low = bars["low"].to_numpy() / 10.0**price_dp
        started = time.perf_counter()
        sma = ta.SMA(close, timeperiod=20)
        rsi = ta.RSI(close, timeperiod=14)
        _, _, hist = ta.MACD(close)
        atr = ta.ATR(high, low, close, timeperiod=14)
        elapsed = (time.perf_counter() - started) * 1e6
        table.add_row(
            inst.id,
            f"{bars.height:,}",
            f"{close[-1]:.{price_dp}f}",
            f"{sma[-1]:.2f}",
            f"{rsi[-1]:.2f}",
            f"{hist[-1]:.4f}",
            f"{atr[-1]:.4f}",
            f"{elapsed:,.0f}",
        )
    context.console.print(table)
