"""Feed latency in the event engine: the venue sees each record at its ``ts_init``, the
strategy later by the feed latency, and orders it decides then can only fill at prices
from after they reach the venue."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from ferrox._core import Bar, Quote
from ferrox.backtest import Backtest, BacktestResult, LatencyConfig, Strategy, VenueConfig
from ferrox.model.instrument import Instrument, InstrumentKind
from ferrox.model.schema import BARS_SCHEMA, QUOTES_SCHEMA

INSTRUMENT = "TEST-PERP.SIM"
TEST = Instrument(INSTRUMENT, InstrumentKind.PERPETUAL, "0.01", "0.001", "TEST", "USDT", "USDT")
SECOND = 1_000_000_000
MINUTE = 60 * SECOND
T0 = 1_704_067_200 * SECOND  # 2024-01-01T00:00:00Z
N_BARS = 20


def minute_bars() -> pl.DataFrame:
    """1-minute bars; bar k opens at 100 + k, so a fill price names its bar."""
    rows = [
        {
            "ts_open": T0 + k * MINUTE,
            "ts_event": T0 + (k + 1) * MINUTE,
            "ts_init": T0 + (k + 1) * MINUTE,
            "open": (100 + k) * 100,
            "high": (100 + k) * 100 + 80,
            "low": (100 + k) * 100 - 20,
            "close": (100 + k) * 100 + 50,
            "volume": 1_000_000,
        }
        for k in range(N_BARS)
    ]
    return pl.DataFrame(rows, schema=pl.Schema(BARS_SCHEMA))


def second_quotes(n: int) -> pl.DataFrame:
    """Quotes one second apart whose bid rises by 0.01 each time."""
    rows = [
        {
            "ts_event": T0 + k * SECOND,
            "ts_init": T0 + k * SECOND,
            "bid_price": 10_000 + k,
            "ask_price": 10_010 + k,
            "bid_size": 1_000,
            "ask_size": 1_000,
            "update_id": k,
        }
        for k in range(n)
    ]
    return pl.DataFrame(rows, schema=pl.Schema(QUOTES_SCHEMA))


class BarWatcher(Strategy):
    """Records when each bar arrives; buys at market on the bars numbered in ``buy_on``."""

    def __init__(self, buy_on: set[int]) -> None:
        super().__init__()
        self.buy_on = buy_on
        self.arrivals: list[tuple[int, int]] = []
        self.decisions: list[int] = []

    def on_bar(self, bar: Bar) -> None:
        if len(self.arrivals) in self.buy_on:
            self.decisions.append(self.now())
            self.submit_order(INSTRUMENT, "BUY", "1")
        self.arrivals.append((bar.ts_event, self.now()))


class QuoteWatcher(Strategy):
    """Records each quote's ``ts_init`` next to the best bid the strategy's book shows then."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, Decimal | None]] = []

    def on_quote(self, quote: Quote) -> None:
        best = self.best_bid(INSTRUMENT)
        self.seen.append((quote.ts_init, None if best is None else best[0]))


def run(feed: str, data: pl.DataFrame, kind: str, strategy: Strategy) -> BacktestResult:
    backtest = Backtest(
        [TEST],
        VenueConfig(),
        feed_latency=LatencyConfig.parse(feed, "[latency].feed"),
    )
    backtest.add(INSTRUMENT, kind, data)
    return backtest.run(strategy)


def open_of_first_bar_opening_at_or_after(ts: int) -> Decimal:
    """The oracle: the open of the first bar that opened at or after ``ts``."""
    later = minute_bars().filter(pl.col("ts_open") >= ts).sort("ts_open")
    return Decimal(later["open"][0]) / 100


def test_with_a_5m_feed_latency_the_strategy_sees_each_bar_5_minutes_after_it_closed() -> None:
    watcher = BarWatcher(buy_on=set())
    run("5m", minute_bars(), "bars", watcher)
    assert len(watcher.arrivals) == N_BARS
    assert all(now == closed + 5 * MINUTE for closed, now in watcher.arrivals)


def test_without_feed_latency_the_strategy_sees_each_bar_when_it_closes() -> None:
    watcher = BarWatcher(buy_on=set())
    run("0ns", minute_bars(), "bars", watcher)
    assert all(now == closed for closed, now in watcher.arrivals)


def test_a_market_order_decided_late_fills_at_the_open_of_the_next_bar_after_the_decision() -> None:
    watcher = BarWatcher(buy_on={0, 4})
    result = run("5m", minute_bars(), "bars", watcher)
    prices = [Decimal(p) for p in result.fills.sort("client_order_id")["price"]]
    # Decided at 6m and 10m (bars 0 and 4 seen 5 minutes late), when bars 6 and 10 open:
    # never the opens of bars 1 and 5 that a strategy without latency would have had.
    assert watcher.decisions == [T0 + 6 * MINUTE, T0 + 10 * MINUTE]
    assert prices == [open_of_first_bar_opening_at_or_after(t) for t in watcher.decisions]
    assert prices == [Decimal("106.00"), Decimal("110.00")]


def test_a_decision_made_mid_bar_waits_for_the_next_bars_open() -> None:
    watcher = BarWatcher(buy_on={0})
    result = run("330s", minute_bars(), "bars", watcher)
    # Decided at 6.5m, inside bar 6: the fill is at bar 7's open.
    assert watcher.decisions == [T0 + 6 * MINUTE + 30 * SECOND]
    assert [Decimal(p) for p in result.fills["price"]] == [Decimal("107.00")]


def test_with_a_feed_latency_the_strategys_book_is_the_one_it_was_shown() -> None:
    quotes = second_quotes(30)
    bid_at = {ts: Decimal(bid) / 100 for ts, bid in quotes.select("ts_init", "bid_price").rows()}
    watcher = QuoteWatcher()
    run("2500ms", quotes, "quotes", watcher)
    # The venue is two quotes ahead; the strategy's book shows the quote just delivered.
    assert [ts for ts, _ in watcher.seen] == sorted(bid_at)
    assert all(best == bid_at[ts] for ts, best in watcher.seen)
