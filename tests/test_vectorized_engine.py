"""The vectorised simulator and the event engine agree on an EMA cross over the real bars.

The event engine runs ``ferrox.strategies.EMACross`` (market orders, which on bars
fill at the next bar's open, taker fee = rate x notional) on the shared month of
BTC 1-minute bars imported into a catalog; the vectorised simulator runs the same
crosses, computed with ``ferrox.ta.EMA`` from the bars the catalog holds, with
``price="next_open"``. Both must make the same fills, the same trades with the same
PnL, and the same equity curve.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

import ferrox.ta as ta
from ferrox.backtest import run_backtest
from ferrox.backtest.results import BacktestResult
from ferrox.data.catalog import Catalog
from ferrox.data.importer import import_files
from ferrox.data.loaders.base import LoaderOptions, OnError
from ferrox.model.schema import DataKind
from ferrox.research import VectorizedResult, simulate_signals

INSTRUMENT = "BTC-PERP.SIM"
FAST, SLOW, FEE, CASH = 10, 30, 0.0004, 100_000.0
PRICE_SCALE = 1_000.0  # the catalog's price precision is 3 decimals


@pytest.fixture(scope="module")
def both(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[BacktestResult, VectorizedResult]:
    work = tmp_path_factory.mktemp("ema")
    catalog = Catalog(work / "catalog")
    options = LoaderOptions(
        instrument=INSTRUMENT, kind=DataKind.BARS, ts_unit="iso", bar_label="open",
        bar_interval="1m", price_precision=3, size_precision=4,
    )  # fmt: skip
    # Rows with volumes finer than 4 decimals are skipped, never rounded; both
    # simulators then see the same bars, read back from the catalog.
    source = shared_data / "bars" / "btc-perp-20211231-20220201_1m.csv"
    import_files([source], "csv", catalog, options=options, on_error=OnError.SKIP)
    config = work / "ema.toml"
    config.write_text(
        f"""
[strategy]
path = "ferrox.strategies.ema_cross:EMACross"
[strategy.params]
instrument = "{INSTRUMENT}"
fast = {FAST}
slow = {SLOW}
quantity = "1"
[data]
catalog = "catalog"
instruments = ["{INSTRUMENT}"]
kinds = ["bars"]
[venue]
account_type = "margin"
base_currency = "USD"
starting_balance = "{CASH:.0f}"
maker_fee = "0.0002"
taker_fee = "{FEE}"
"""
    )
    event = run_backtest(config)

    bars = catalog.read(INSTRUMENT, "bars")
    close = bars["close"].to_numpy() / PRICE_SCALE
    open_ = bars["open"].to_numpy() / PRICE_SCALE
    fast, slow = ta.EMA(close, FAST), ta.EMA(close, SLOW)
    ready = ~np.isnan(slow)
    above = fast > slow
    # The strategy starts tracking the cross on the first bar the slow EMA is ready.
    was_ready = np.concatenate([[False], ready[:-1]])
    was_above = np.concatenate([[False], above[:-1]])
    entries = ready & was_ready & above & ~was_above
    exits = ready & was_ready & ~above & was_above
    vector = simulate_signals(
        close, entries, exits, open=open_, price="next_open", size=1.0, fees=FEE,
        init_cash=CASH, ts=bars["ts_init"],
    )  # fmt: skip
    return event, vector


def test_both_make_the_same_fills(both: tuple[BacktestResult, VectorizedResult]) -> None:
    event, vector = both
    assert event.fills.height > 1_000
    assert vector.fills["side"].to_list() == event.fills["side"].to_list()
    np.testing.assert_allclose(
        vector.fills["price"].to_numpy(), event.fills["price_f"].to_numpy(), rtol=1e-12
    )
    np.testing.assert_allclose(
        vector.fills["fee"].to_numpy(), event.fills["fee_f"].to_numpy(), rtol=1e-9
    )


def test_both_close_the_same_trades_with_the_same_pnl(
    both: tuple[BacktestResult, VectorizedResult],
) -> None:
    event, vector = both
    assert vector.trades.height == event.trades.height
    for name in ("entry_price", "exit_price", "quantity"):
        np.testing.assert_allclose(vector.trades[name].to_numpy(), event.trades[name].to_numpy())
    np.testing.assert_allclose(
        vector.trades["pnl"].to_numpy(), event.trades["pnl"].to_numpy(), rtol=1e-9, atol=1e-6
    )


def test_both_have_the_same_equity_curve(both: tuple[BacktestResult, VectorizedResult]) -> None:
    event, vector = both
    curve = pl.DataFrame({"ts": vector.ts, "vector": vector.equity_array[:, 0]}).join(
        event.equity.select("ts", "equity"), on="ts", how="inner"
    )
    assert curve.height >= 0.99 * event.equity.height
    np.testing.assert_allclose(curve["vector"].to_numpy(), curve["equity"].to_numpy(), rtol=1e-9)
