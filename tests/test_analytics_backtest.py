"""backtest_stats: the results-folder statistics, one definition each (docs/analytics.md)."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest

from ferrox import analytics
from ferrox.analytics import STAT_NAMES, backtest_stats
from ferrox.errors import DataError

MINUTE = 60 * 10**9
DAY = analytics.NS_PER_DAY

# The statistics names of the results-folder contract (shared with the engine, the
# vectorised simulator, sweeps and reports).
CONTRACT_NAMES = {
    "total_return",
    "annual_return",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "max_drawdown_duration_days",
    "calmar",
    "win_rate",
    "profit_factor",
    "expectancy",
    "turnover",
    "exposure",
    "trades",
}


def _equity(
    values: list[float], step: int = MINUTE, exposure: list[float] | None = None
) -> pl.DataFrame:
    n = len(values)
    return pl.DataFrame(
        {
            "ts": [1_640_995_200 * 10**9 + i * step for i in range(n)],
            "equity": values,
            "cash": values,
            "gross_exposure": exposure if exposure is not None else [0.0] * n,
        }
    )


def _trades(pnl: list[float]) -> pl.DataFrame:
    n = len(pnl)
    return pl.DataFrame(
        {
            "instrument": ["BTCUSDT-PERP.BINANCE"] * n,
            "side": ["LONG"] * n,
            "entry_ts": [0] * n,
            "exit_ts": [MINUTE] * n,
            "quantity": [0.5] * n,
            "entry_price": [100.0] * n,
            "exit_price": [102.0] * n,
            "pnl": pnl,
            "return": [0.0] * n,
        },
        schema_overrides={"pnl": pl.Float64, "entry_ts": pl.Int64, "exit_ts": pl.Int64},
    )


def _fills(notional: list[float]) -> pl.DataFrame:
    return pl.DataFrame({"ts": list(range(len(notional))), "notional": notional})


def _random_equity(n: int = 2_000) -> pl.DataFrame:
    rng = np.random.default_rng(11)
    values = 10_000.0 * np.cumprod(1.0 + rng.normal(0.00002, 0.001, size=n))
    exposure = np.where(rng.random(n) < 0.3, 0.0, 5_000.0)
    return _equity(values.tolist(), exposure=exposure.tolist())


def test_stats_are_exactly_the_results_contract_names() -> None:
    stats = backtest_stats(_random_equity(), _trades([1.0, -2.0]))
    assert set(stats) == CONTRACT_NAMES == set(STAT_NAMES)
    assert all(isinstance(v, float) for v in stats.values())


def test_sharpe_is_quantstats_sharpe_of_the_equity_pct_change() -> None:
    equity = _random_equity()
    returns = pd.Series(equity["equity"].to_numpy()).pct_change().dropna()
    import quantstats as qs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        expected = qs.stats.sharpe(returns, periods=525_600)
    assert backtest_stats(equity, _trades([]))["sharpe"] == pytest.approx(expected, rel=1e-9)


def test_periods_per_year_come_from_the_median_sample_spacing() -> None:
    equity = _random_equity()
    given = backtest_stats(equity, _trades([]), periods_per_year=525_600)
    inferred = backtest_stats(equity, _trades([]))
    assert inferred == given


def test_explicit_periods_per_year_rescale_volatility() -> None:
    equity = _random_equity()
    daily = backtest_stats(equity, _trades([]), periods_per_year=365)["volatility"]
    minutely = backtest_stats(equity, _trades([]))["volatility"]
    assert minutely == pytest.approx(daily * math.sqrt(24 * 60))


def test_figures_agree_with_the_returns_functions() -> None:
    equity = _random_equity()
    stats = backtest_stats(equity, _trades([]))
    returns = analytics.returns_from_equity(equity["equity"])
    ppy = 525_600
    assert stats["total_return"] == pytest.approx(analytics.total_return(returns), rel=1e-12)
    assert stats["annual_return"] == analytics.annual_return(returns, periods_per_year=ppy)
    assert stats["sortino"] == analytics.sortino_ratio(returns, periods_per_year=ppy)
    assert stats["max_drawdown"] == pytest.approx(analytics.max_drawdown(returns), rel=1e-12)
    assert stats["calmar"] == pytest.approx(stats["annual_return"] / -stats["max_drawdown"])


def test_max_drawdown_duration_is_peak_to_recovery_in_days() -> None:
    # Peak on day 1, under water on days 2-3, back above on day 4; later a 1-day dip.
    equity = _equity([100.0, 110.0, 99.0, 105.0, 111.0, 109.0, 112.0], step=DAY)
    stats = backtest_stats(equity, _trades([]))
    assert stats["max_drawdown_duration_days"] == pytest.approx(3.0)
    assert stats["max_drawdown"] == pytest.approx(99.0 / 110.0 - 1.0)


def test_unrecovered_drawdown_lasts_until_the_last_sample() -> None:
    equity = _equity([100.0, 90.0, 95.0, 97.0], step=DAY // 2)
    assert backtest_stats(equity, _trades([]))["max_drawdown_duration_days"] == pytest.approx(1.5)


def test_turnover_is_fill_notional_over_mean_equity() -> None:
    equity = _equity([100.0, 110.0, 120.0])
    stats = backtest_stats(equity, _trades([1.0]), _fills([200.0, 130.0]))
    assert stats["turnover"] == pytest.approx(330.0 / 110.0)


def test_turnover_without_fills_counts_each_round_trip_twice() -> None:
    equity = _equity([100.0, 110.0, 120.0])
    # Two trades of 0.5 at 100 in and 102 out: 2 * (50 + 51) of notional.
    stats = backtest_stats(equity, _trades([1.0, 1.0]))
    assert stats["turnover"] == pytest.approx(202.0 / 110.0)


def test_exposure_is_the_fraction_of_samples_holding_a_position() -> None:
    equity = _equity([100.0] * 5, exposure=[0.0, 10.0, 10.0, 0.0, 3.0])
    assert backtest_stats(equity, _trades([]))["exposure"] == pytest.approx(0.6)


def test_trade_statistics_come_from_closed_round_trips() -> None:
    stats = backtest_stats(_random_equity(), _trades([30.0, -10.0, 0.0, 20.0]))
    assert (stats["win_rate"], stats["profit_factor"], stats["expectancy"], stats["trades"]) == (
        0.5,
        5.0,
        10.0,
        4.0,
    )


def test_no_trades_leaves_trade_statistics_nan_and_counts_zero() -> None:
    stats = backtest_stats(_random_equity(), _trades([]))
    assert stats["trades"] == 0.0
    assert math.isnan(stats["win_rate"])
    assert math.isnan(stats["expectancy"])


def test_flat_equity_has_no_drawdown_and_undefined_ratios() -> None:
    stats = backtest_stats(_equity([100.0] * 10), _trades([]))
    assert (stats["total_return"], stats["max_drawdown"], stats["max_drawdown_duration_days"]) == (
        0.0,
        0.0,
        0.0,
    )
    assert math.isnan(stats["sharpe"])
    assert math.isnan(stats["calmar"])


def test_stats_survive_a_json_round_trip_with_nan_as_null() -> None:
    stats = backtest_stats(_random_equity(), _trades([]))
    text = json.dumps({k: (None if math.isnan(v) else v) for k, v in stats.items()})
    assert set(json.loads(text)) == CONTRACT_NAMES


def test_equity_without_gross_exposure_is_refused_naming_the_column() -> None:
    with pytest.raises(DataError, match=r"equity: missing column.*gross_exposure"):
        backtest_stats(_equity([1.0, 2.0]).drop("gross_exposure"), _trades([]))


def test_unsorted_equity_times_are_refused_naming_the_row() -> None:
    equity = _equity([100.0, 101.0, 102.0]).with_columns(pl.Series("ts", [0, 20, 10]))
    with pytest.raises(DataError, match=r"equity.ts: row 2"):
        backtest_stats(equity, _trades([]))


def test_non_positive_equity_is_refused_naming_the_row() -> None:
    with pytest.raises(DataError, match=r"equity.equity: row 1 is -5.0"):
        backtest_stats(_equity([100.0, -5.0, 3.0]), _trades([]))


def test_without_timestamps_durations_count_samples_at_the_given_rate() -> None:
    equity = _equity([100.0, 110.0, 99.0, 105.0, 111.0]).drop("ts")
    stats = backtest_stats(equity, _trades([]), periods_per_year=365 * 24)
    assert stats["max_drawdown_duration_days"] == pytest.approx(3 / 24)


def test_without_timestamps_or_periods_per_year_is_refused() -> None:
    with pytest.raises(DataError, match="missing column ts; without timestamps give periods"):
        backtest_stats(_equity([100.0, 101.0]).drop("ts"), _trades([]))
