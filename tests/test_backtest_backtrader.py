"""Cross-check with a peer: the EMA cross on the shared 1-minute bars in ferrox and in backtrader.

Both sides see the same bars (read back from the catalog, so rows the import
skipped are missing in both), express the same rule (fast 10 / slow 30 EMA of
closes seeded with the SMA; long 1 on a cross above while flat, flat on a cross
below), fill market orders at the next bar's open and charge 0.04% of notional.

Both decide on the position as it stands when the bar closes: an order that
filled at that bar's open is already in it (when a cross follows a cross on
the next bar, the second order sees the first one's fill).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from ferrox._core import Bar
from ferrox.backtest import Backtest, BacktestResult, Strategy, VenueConfig
from ferrox.backtest.strategy import Indicator
from ferrox.data.catalog import Catalog
from ferrox.data.importer import import_files
from ferrox.data.loaders.base import LoaderOptions, OnError
from ferrox.model.instrument import Instrument, InstrumentKind
from ferrox.model.schema import DataKind

bt = pytest.importorskip("backtrader")

INSTRUMENT = "BTC-PERP.SIM"
FEE = "0.0004"
START = Decimal("1000000")
BTC = Instrument(INSTRUMENT, InstrumentKind.PERPETUAL, "0.001", "0.0001", "BTC", "USDT", "USDT")
MINUTE = 60_000_000_000


@pytest.fixture(scope="module")
def bars(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    """The real 1-minute bars as the catalog holds them (bad rows skipped at import)."""
    catalog = Catalog(tmp_path_factory.mktemp("bt") / "catalog")
    options = LoaderOptions(
        instrument=INSTRUMENT,
        kind=DataKind.BARS,
        ts_unit="iso",
        bar_label="open",
        bar_interval="1m",
        price_precision=3,
        size_precision=4,
    )
    paths = sorted((shared_data / "bars").glob("btc-perp-*_1m.csv"))
    import_files(paths, "csv", catalog, on_error=OnError.SKIP, options=options)
    return catalog.read(INSTRUMENT, DataKind.BARS)


class FerroxEMACross(Strategy):
    """The rule, in ferrox."""

    def __init__(self) -> None:
        super().__init__()
        self.above: bool | None = None
        self.fast: Indicator | None = None
        self.slow: Indicator | None = None

    def on_start(self) -> None:
        self.fast = self.indicator("EMA", INSTRUMENT, timeperiod=10)
        self.slow = self.indicator("EMA", INSTRUMENT, timeperiod=30)

    def on_bar(self, bar: Bar) -> None:
        assert self.fast is not None
        assert self.slow is not None
        if not self.slow.ready:
            return
        above = self.fast.value > self.slow.value
        crossed = self.above is not None and above != self.above
        self.above = above
        if not crossed:
            return
        position = self.position(INSTRUMENT)
        if above and position == 0:
            self.buy(INSTRUMENT, "1")
        elif not above and position > 0:
            self.sell(INSTRUMENT, position)


class BacktraderEMACross(bt.Strategy):  # type: ignore[misc,name-defined]
    """The same rule, in backtrader (``next`` starts once the slow EMA has its 30 bars)."""

    def __init__(self) -> None:
        self.fast = bt.ind.EMA(self.data.close, period=10)
        self.slow = bt.ind.EMA(self.data.close, period=30)
        self.above: bool | None = None
        self.executed: list[tuple[dt.datetime, str, float, float]] = []

    def next(self) -> None:
        above = self.fast[0] > self.slow[0]
        crossed = self.above is not None and above != self.above
        self.above = above
        if not crossed:
            return
        position = self.position.size
        if above and position == 0:
            self.buy(size=1)
        elif not above and position > 0:
            self.sell(size=position)

    def notify_order(self, order: Any) -> None:
        if order.status == order.Completed:
            side = "BUY" if order.isbuy() else "SELL"
            when = bt.num2date(order.executed.dt)
            self.executed.append((when, side, order.executed.price, order.executed.comm))


def run_ferrox(bars: pl.DataFrame) -> BacktestResult:
    venue = VenueConfig(
        account_type="margin",
        base_currency="USDT",
        starting_balance=str(START),
        maker_fee=FEE,
        taker_fee=FEE,
    )
    backtest = Backtest([BTC], venue)
    backtest.add(INSTRUMENT, "bars", bars)
    return backtest.run(FerroxEMACross())


class RowsFeed(bt.feed.DataBase):  # type: ignore[misc,name-defined]
    """Bars from a list of ``(datetime, open, high, low, close, volume)`` (PandasData's
    per-cell pandas indexing would take most of the test's time)."""

    params = (("rows", ()),)

    def start(self) -> None:
        super().start()
        self._next = 0

    def _load(self) -> bool:
        if self._next >= len(self.p.rows):
            return False
        when, open_, high, low, close, volume = self.p.rows[self._next]
        self._next += 1
        self.lines.datetime[0] = bt.date2num(when)
        self.lines.open[0] = open_
        self.lines.high[0] = high
        self.lines.low[0] = low
        self.lines.close[0] = close
        self.lines.volume[0] = volume
        self.lines.openinterest[0] = 0.0
        return True


def run_backtrader(bars: pl.DataFrame) -> tuple[BacktraderEMACross, float]:
    scale = 10.0**BTC.price_precision
    rows = bars.select(
        # backtrader stamps a bar with its open time here, like the catalog's ts_open.
        pl.from_epoch("ts_open", time_unit="ns").alias("datetime"),
        *(pl.col(c) / scale for c in ("open", "high", "low", "close")),
        (pl.col("volume") / 10.0**BTC.size_precision).alias("volume"),
    ).rows()
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(RowsFeed(rows=rows))
    cerebro.addstrategy(BacktraderEMACross)
    cerebro.broker.setcash(float(START))
    cerebro.broker.setcommission(commission=float(FEE))
    (strategy,) = cerebro.run()
    return strategy, cerebro.broker.getvalue()


@pytest.fixture(scope="module")
def both(bars: pl.DataFrame) -> tuple[BacktestResult, BacktraderEMACross, float]:
    result = run_ferrox(bars)
    strategy, value = run_backtrader(bars)
    return result, strategy, value


def _fill_bar_open(ts: int, bars: pl.DataFrame) -> int:
    """The ts_open of the bar whose open a fill took: ferrox stamps the fill with the
    time the venue saw that bar (its ts_init, the close)."""
    closes = bars["ts_init"]
    index = int(closes.search_sorted(ts, side="left"))
    assert int(closes[index]) == ts, f"fill at {ts} is not at a bar's ts_init"
    return int(bars["ts_open"][index])


def test_same_trades_at_the_same_times_and_prices(
    both: tuple[BacktestResult, BacktraderEMACross, float], bars: pl.DataFrame
) -> None:
    result, strategy, _ = both
    ours = [
        (_fill_bar_open(ts, bars), side, Decimal(price))
        for ts, side, price in result.fills.select("ts", "side", "price").iter_rows()
    ]
    epoch = dt.datetime(1970, 1, 1)
    theirs = [
        (
            round((when - epoch).total_seconds() * 1e9 / MINUTE) * MINUTE,
            side,
            Decimal(repr(price)),
        )
        for when, side, price, _ in strategy.executed
    ]
    assert len(ours) > 100
    assert ours == theirs


def test_every_fill_is_at_the_open_of_the_bar_after_the_signal(
    both: tuple[BacktestResult, BacktraderEMACross, float], bars: pl.DataFrame
) -> None:
    result, _, _ = both
    opens = dict(zip(bars["ts_open"].to_list(), bars["open"].to_list(), strict=True))
    scale = Decimal(10) ** -BTC.price_precision
    for ts, price in result.fills.select("ts", "price").iter_rows():
        assert Decimal(price) == opens[_fill_bar_open(ts, bars)] * scale


def test_same_fees_to_the_cent(both: tuple[BacktestResult, BacktraderEMACross, float]) -> None:
    result, strategy, _ = both
    ours = sum((Decimal(f) for f in result.fills["fee"]), Decimal(0))
    theirs = sum((Decimal(repr(comm)) for *_, comm in strategy.executed), Decimal(0))
    assert ours.quantize(Decimal("0.01")) == theirs.quantize(Decimal("0.01"))


def test_same_final_pnl_to_the_cent(
    both: tuple[BacktestResult, BacktraderEMACross, float],
) -> None:
    result, _, value = both
    ours = Decimal(repr(float(result.equity["equity"][-1]))) - START
    theirs = Decimal(repr(value)) - START
    assert ours.quantize(Decimal("0.01")) == theirs.quantize(Decimal("0.01"))


def test_final_pnl_matches_the_exact_sum_of_fills(
    both: tuple[BacktestResult, BacktraderEMACross, float], bars: pl.DataFrame
) -> None:
    """Independent oracle: signed cash flows of the fills, minus fees, plus the open position
    marked at the last close, in exact decimals."""
    result, _, _ = both
    cash = Decimal(0)
    position = Decimal(0)
    for side, price, quantity, fee in result.fills.select(
        "side", "price", "quantity", "fee"
    ).iter_rows():
        sign = 1 if side == "BUY" else -1
        cash -= sign * Decimal(price) * Decimal(quantity) + Decimal(fee)
        position += sign * Decimal(quantity)
    last_close = Decimal(int(bars["close"][-1])).scaleb(-BTC.price_precision)
    expected = cash + position * last_close
    balance = Decimal(dict(result.account.iter_rows())["USDT"]) - START
    unrealized = Decimal(repr(float(result.positions["unrealized_pnl"].sum())))
    assert (balance + unrealized).quantize(Decimal("0.01")) == expected.quantize(Decimal("0.01"))
