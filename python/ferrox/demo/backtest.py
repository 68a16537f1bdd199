"""Demo step of the event engine: backtests on the catalog the demo built.

An EMA cross on the one-minute bars (when the data has them) and a market
maker on the first USD-M perpetual's L2 book, each with the Python strategy
and its compiled twin, with their summaries.
"""

from __future__ import annotations

import time

from rich.table import Table

from ferrox.backtest import Backtest, RustStrategy, VenueConfig
from ferrox.backtest.results import BacktestResult
from ferrox.backtest.strategy import Strategy
from ferrox.demo.pipeline import DemoContext
from ferrox.model.instrument import Instrument
from ferrox.model.schema import DataKind
from ferrox.strategies import EMACross, MarketMaker


def _run(
    context: DemoContext,
    instrument: Instrument,
    kinds: tuple[str, ...],
    venue: VenueConfig,
    strategy: Strategy | RustStrategy,
) -> tuple[BacktestResult, float]:
    catalog = context.require_catalog()
    bt = Backtest([instrument], venue)
    for kind in kinds:
        frame = catalog.read(instrument.id, kind)
        if frame.height:
            bt.add(instrument.id, kind, frame)
    started = time.perf_counter()
    result = bt.run(strategy)
    return result, time.perf_counter() - started


def run_backtests(context: DemoContext) -> None:
    """EMA cross on bars and a market maker on an L2 book, Python and Rust strategies."""
    catalog = context.require_catalog()
    table = Table(title="Backtests (event engine)")
    for name in (
        "strategy",
        "instrument",
        "events",
        "events/s",
        "fills",
        "PnL after fees",
        "return",
        "max drawdown",
        "hash",
    ):
        table.add_column(name, justify="left" if name in ("strategy", "instrument") else "right")
    runs: list[tuple[str, Instrument, tuple[str, ...], VenueConfig, Strategy | RustStrategy]] = []

    def rows(inst: Instrument, kind: DataKind) -> int:
        return sum(f.rows for f in catalog.files(inst.id, kind))

    bars = sorted(catalog.instruments(), key=lambda i: -rows(i, DataKind.BARS))
    if bars and rows(bars[0], DataKind.BARS) > 100:
        inst = bars[0]
        venue = VenueConfig(
            base_currency="USD", starting_balance="100000", maker_fee="0.0002", taker_fee="0.0004"
        )
        quantity = 10**inst.size_precision
        runs.append(("EMA cross (python)", inst, ("bars",), venue, EMACross(inst.id)))
        runs.append(
            (
                "EMA cross (rust)",
                inst,
                ("bars",),
                venue,
                RustStrategy("ema_cross", fast=10, slow=30, quantity=quantity),
            )
        )
    # Binance USD-M: L2 deltas with a trade stream (the L3 futures books are not quoted here).
    books = [
        i
        for i in catalog.instruments()
        if i.id.endswith(".BINANCE-USDM") and rows(i, DataKind.DELTAS)
    ]
    if books:
        inst = books[0]
        venue = VenueConfig(
            base_currency="USDT", starting_balance="100000", maker_fee="0.0002", taker_fee="0.0005"
        )
        tick = round(float(inst.price_increment) * 10**inst.price_precision)
        lot = max(10 ** (inst.size_precision - 3), 1)
        runs.append(
            (
                "market maker (python)",
                inst,
                ("deltas", "trades"),
                venue,
                MarketMaker(
                    inst.id,
                    tick=inst.price_increment,
                    quantity=lot / 10**inst.size_precision,
                    max_position=10 * lot / 10**inst.size_precision,
                ),
            )
        )
        runs.append(
            (
                "market maker (rust)",
                inst,
                ("deltas", "trades"),
                venue,
                RustStrategy("market_maker", tick=tick, quantity=lot, max_position=10 * lot),
            )
        )
        if not any(name.startswith("EMA") for name, *_ in runs):
            # No bar data (synthetic captures): the EMA cross on 1-second bars
            # the engine builds from the trades.
            runs.append(
                (
                    "EMA 3/8 cross on 1s bars from trades (python)",
                    inst,
                    ("deltas", "trades"),
                    venue,
                    EMACross(
                        inst.id, fast=3, slow=8, quantity=lot / 10**inst.size_precision, bars="1s"
                    ),
                )
            )
    if not runs:
        context.note("no bars or L2 books in the catalog: no backtest")
        return
    for name, inst, kinds, venue, strategy in runs:
        result, seconds = _run(context, inst, kinds, venue, strategy)
        s = result.stats
        pnl = float(result.equity["equity"][-1]) - float(venue.starting_balance)
        table.add_row(
            name,
            inst.id,
            f"{result.meta['records']:,}",
            f"{result.meta['records'] / seconds:,.0f}",
            f"{result.fills.height:,}",
            f"{pnl:,.2f} {venue.base_currency}",
            f"{s.get('total_return', float('nan')):+.3%}",
            f"{s.get('max_drawdown', float('nan')):.3%}",
            result.results_hash[:12],
        )
        context.results[f"backtest {name}"] = result
    context.console.print(table)
    context.note(
        "market orders on bars fill at the next bar's open; maker quotes fill only once the "
        "queue ahead of them is gone (conservative queue model)"
    )
