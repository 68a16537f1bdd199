"""What a vectorised simulation hands back: tables, names, groups and statistics."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ferrox.analytics import backtest_stats
from ferrox.analytics.backtest import STAT_NAMES
from ferrox.research import simulate_signals, simulate_target

MINUTE = 60 * 10**9
CLOSE = np.array([[10.0, 50.0], [12.0, 45.0], [11.0, 40.0], [15.0, 44.0], [14.0, 48.0]])
ENTRIES = np.array([[1, 1], [0, 0], [1, 0], [0, 1], [0, 0]], dtype=bool)
EXITS = np.array([[0, 0], [1, 0], [0, 1], [1, 0], [0, 0]], dtype=bool)
TS = np.arange(5, dtype=np.int64) * MINUTE


def test_trades_have_the_results_folder_columns() -> None:
    trades = simulate_signals(CLOSE, ENTRIES, EXITS, ts=TS).trades
    assert trades.schema == pl.Schema(
        {
            "instrument": pl.String,
            "side": pl.String,
            "entry_ts": pl.Int64,
            "exit_ts": pl.Int64,
            "quantity": pl.Float64,
            "entry_price": pl.Float64,
            "exit_price": pl.Float64,
            "pnl": pl.Float64,
            "return": pl.Float64,
        }
    )


def test_a_round_trip_is_one_trade_with_its_pnl_and_return() -> None:
    trades = simulate_signals(CLOSE, ENTRIES, EXITS, ts=TS, fees=0.01).trades
    first = trades.row(0, named=True)
    units = 100.0 / 1.01 / 10.0
    pnl = units * 12.0 * 0.99 - 100.0
    assert first["instrument"] == "0"
    assert (first["side"], first["entry_ts"], first["exit_ts"]) == ("LONG", 0, MINUTE)
    assert first["pnl"] == pytest.approx(pnl)
    assert first["return"] == pytest.approx(pnl / (units * 10.0))


def test_polars_frames_name_the_columns_and_give_the_timestamps() -> None:
    close = pl.DataFrame({"ts": TS, "BTC": CLOSE[:, 0], "ETH": CLOSE[:, 1]})
    entries = pl.DataFrame({"BTC": ENTRIES[:, 0], "ETH": ENTRIES[:, 1]})
    exits = pl.DataFrame({"BTC": EXITS[:, 0], "ETH": EXITS[:, 1]})
    result = simulate_signals(close, entries, exits)
    assert result.equity.columns == ["ts", "BTC", "ETH"]
    assert result.equity["ts"].to_list() == TS.tolist()
    assert set(result.trades["instrument"].to_list()) == {"BTC", "ETH"}


def test_one_close_column_serves_every_signal_column() -> None:
    shared = simulate_signals(CLOSE[:, :1], ENTRIES, EXITS)
    repeated = simulate_signals(np.repeat(CLOSE[:, :1], 2, axis=1), ENTRIES, EXITS)
    np.testing.assert_array_equal(shared.equity_array, repeated.equity_array)


def test_groups_without_cash_sharing_add_their_columns_up() -> None:
    alone = simulate_signals(CLOSE, ENTRIES, EXITS)
    grouped = simulate_signals(CLOSE, ENTRIES, EXITS, group_by=["book", "book"])
    assert grouped.equity.columns == ["ts", "book"]
    np.testing.assert_allclose(grouped.equity_array[:, 0], alone.equity_array.sum(axis=1))
    np.testing.assert_allclose(grouped.cash_array[:, 0], alone.cash_array.sum(axis=1))


def test_a_cash_sharing_group_starts_with_one_balance() -> None:
    result = simulate_target(
        CLOSE, np.full(CLOSE.shape, 0.5), size_type="percent", cash_sharing=True, init_cash=1000.0
    )
    assert result.equity_array.shape == (5, 1)
    assert result.equity_array[0, 0] == pytest.approx(1000.0)
    held = result.position_array[0] * CLOSE[0]
    assert held == pytest.approx([500.0, 500.0])


def test_stats_are_backtest_stats_of_each_column() -> None:
    result = simulate_signals(CLOSE, ENTRIES, EXITS, ts=TS, fees=0.001)
    stats = result.stats()
    assert stats.columns == ["group", *STAT_NAMES]
    for col, name in enumerate(result.columns):
        equity = pl.DataFrame(
            {
                "ts": TS,
                "equity": result.equity_array[:, col],
                "gross_exposure": np.abs(result.position_array[:, col] * CLOSE[:, col]),
            }
        )
        trades = result.trades.filter(pl.col("instrument") == name)
        fills = result.fills.filter(pl.col("column") == name)
        expected = backtest_stats(equity, trades, fills)
        got = stats.row(col, named=True)
        assert got["group"] == name
        for stat in STAT_NAMES:
            assert got[stat] == pytest.approx(expected[stat], nan_ok=True), stat


def test_fills_say_why_they_happened() -> None:
    close = np.array([100.0, 101.0, 95.0, 96.0])
    result = simulate_signals(
        close, np.array([1, 0, 0, 0], dtype=bool), np.zeros(4, bool), sl_stop=0.04
    )
    assert result.fills["reason"].to_list() == ["signal", "stop_loss"]
    assert result.fills["position"].to_list() == [1.0, 0.0]
