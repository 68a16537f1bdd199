"""ferrox.analytics where its definitions differ from quantstats (docs/analytics.md),
checked against hand computations, plus its input checks."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from ferrox import analytics
from ferrox.errors import ConfigError, DataError

DAY = analytics.NS_PER_DAY


def test_drawdown_duration_runs_from_peak_to_recovery_in_days() -> None:
    # Equity 1.1 on day 1 (peak), 0.99 on day 2, 1.05 on day 3, 1.155 on day 4 (recovered).
    returns = [0.1, -0.1, 1.05 / 0.99 - 1.0, 0.1]
    ts = [DAY * d for d in (1, 2, 3, 4)]
    assert analytics.max_drawdown_duration(returns, ts) == pytest.approx(3.0)


def test_drawdown_still_under_water_is_measured_to_the_last_sample() -> None:
    returns = [0.1, -0.1, 0.01, 0.01]
    ts = [DAY * d for d in (1, 2, 3, 4)]
    episodes = analytics.drawdown_periods(returns, ts)
    assert episodes.row(0, named=True) == {
        "peak": 0,
        "valley": 1,
        "recovery": None,
        "depth": pytest.approx(-0.1),
        "periods": 3,
        "days": pytest.approx(3.0),
    }


def test_drawdown_duration_without_timestamps_counts_periods_in_days() -> None:
    returns = [0.1, -0.1, 0.01, 0.01]
    assert analytics.max_drawdown_duration(returns, periods_per_year=365 * 24) == pytest.approx(
        3 / 24
    )


def test_a_loss_in_the_first_period_is_a_drawdown_from_the_start() -> None:
    episodes = analytics.drawdown_periods([-0.1, 0.2])
    assert episodes.select("peak", "valley", "recovery").row(0) == (-1, 0, 1)


def test_longest_drawdown_of_real_bars_equals_a_plain_loop(shared_data: Path) -> None:
    bars = pl.read_csv(shared_data / "bars" / "btc-perp-20211231-20220201_1m.csv")
    close = bars["close"].to_numpy()
    stamps = (
        bars["timestamp"].str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_zone="UTC").dt.epoch("ns")
    )
    ts = stamps.to_numpy()
    returns = close[1:] / close[:-1] - 1.0
    # Oracle: walk the closes, remembering when the last high was set.
    longest, peak_value, peak_time = 0, close[0], ts[0]
    for price, time in zip(close[1:], ts[1:], strict=True):
        if price >= peak_value:
            longest = max(longest, time - peak_time)
            peak_value, peak_time = price, time
    longest = max(longest, ts[-1] - peak_time)
    got = analytics.max_drawdown_duration(returns, ts[1:])
    assert got == pytest.approx(longest / DAY, rel=1e-12)


def test_historical_var_interpolates_the_quantile_linearly() -> None:
    # Five returns, 20% tail: position 0.8 between the two lowest, -0.05 + 0.8 * 0.03.
    returns = [0.03, -0.05, 0.0, 0.01, -0.02]
    assert analytics.value_at_risk(returns, 0.8) == pytest.approx(-0.026)


def test_historical_cvar_averages_returns_at_or_below_the_var() -> None:
    returns = [0.03, -0.05, 0.0, 0.01, -0.02, -0.04]
    # 1/3 quantile of six returns sits at position 5/3: -0.04 + 2/3 * 0.02 = -0.02667.
    assert analytics.conditional_value_at_risk(returns, 2 / 3) == pytest.approx(-0.045)


def test_trade_win_rate_counts_break_even_trades_as_not_won() -> None:
    assert analytics.win_rate([10.0, 0.0, -5.0, 0.0]) == pytest.approx(0.25)


def test_expectancy_is_the_mean_pnl_per_trade() -> None:
    assert analytics.expectancy([10.0, 0.0, -5.0, 3.0]) == pytest.approx(2.0)


def test_profit_factor_without_a_losing_trade_is_infinite() -> None:
    assert analytics.profit_factor([1.0, 0.0, 2.0]) == math.inf


def test_trade_figures_without_trades_are_nan() -> None:
    assert all(
        math.isnan(f([]))
        for f in (analytics.win_rate, analytics.profit_factor, analytics.expectancy)
    )


def test_monthly_table_leaves_months_without_returns_null() -> None:
    jan, mar = np.datetime64("2022-01-15", "ns"), np.datetime64("2022-03-15", "ns")
    table = analytics.monthly_returns([0.1, -0.1], np.array([jan, mar]))
    row = table.row(0, named=True)
    assert (row["Jan"], row["Feb"], row["Mar"]) == (pytest.approx(0.1), None, pytest.approx(-0.1))
    assert row["total"] == pytest.approx(1.1 * 0.9 - 1.0)


def test_information_ratio_is_per_period_and_tracking_error_is_annual() -> None:
    r, b = [0.02, -0.01, 0.03], [0.01, -0.01, 0.01]
    active = [0.01, 0.0, 0.02]
    std = float(np.std(active, ddof=1))
    assert analytics.information_ratio(r, b) == pytest.approx(0.01 / std)
    assert analytics.tracking_error(r, b, periods_per_year=12) == pytest.approx(std * math.sqrt(12))


def test_explicit_periods_per_year_wins_over_timestamps() -> None:
    returns = [0.01, -0.02, 0.03, 0.01]
    ts = [DAY * d for d in range(4)]
    by_times = analytics.volatility(returns, timestamps=ts)
    given = analytics.volatility(returns, timestamps=ts, periods_per_year=252)
    assert given == pytest.approx(by_times * math.sqrt(252 / 365))


def test_periods_per_year_come_from_the_median_spacing() -> None:
    minute = 60 * 10**9
    ts = [0, minute, 2 * minute, 3 * minute, 60 * minute]  # one long gap
    assert analytics.infer_periods_per_year(ts) == pytest.approx(525_600)


def test_annualising_without_periods_or_timestamps_is_refused() -> None:
    with pytest.raises(ConfigError, match="periods_per_year"):
        analytics.sharpe_ratio([0.01, 0.02])


def test_nan_return_is_refused_naming_its_row() -> None:
    with pytest.raises(DataError, match=r"returns: row 2 is nan"):
        analytics.max_drawdown([0.01, 0.02, float("nan")])


def test_null_in_a_polars_series_is_refused_naming_its_row() -> None:
    with pytest.raises(DataError, match="row 1"):
        analytics.total_return(pl.Series([0.01, None, 0.02]))


def test_timestamps_out_of_order_are_refused_naming_the_row() -> None:
    with pytest.raises(DataError, match=r"row 2 \(5\) is not after row 1 \(10\)"):
        analytics.volatility([0.01, 0.02, 0.03], timestamps=[0, 10, 5])


def test_benchmark_of_another_length_is_refused() -> None:
    with pytest.raises(DataError, match="benchmark: expected one return per strategy return"):
        analytics.alpha_beta([0.01, 0.02, 0.03], [0.01, 0.02], periods_per_year=365)


def test_rolling_window_must_be_a_count_of_at_least_two() -> None:
    with pytest.raises(ConfigError, match="window"):
        analytics.rolling_volatility([0.01, 0.02], 1, periods_per_year=365)


def test_sharpe_of_returns_that_never_vary_is_nan() -> None:
    assert math.isnan(analytics.sharpe_ratio([0.01] * 5, periods_per_year=365))


def test_summary_holds_benchmark_and_trade_figures_when_given() -> None:
    returns = [0.02, -0.01, 0.03, 0.005]
    bench = [0.01, -0.01, 0.01, 0.0]
    summary = analytics.summarize(returns, periods_per_year=365, benchmark=bench, pnl=[5.0, -1.0])
    alpha, beta = analytics.alpha_beta(returns, bench, periods_per_year=365)
    assert (summary.alpha, summary.beta) == (alpha, beta)
    assert (summary.win_rate, summary.profit_factor, summary.expectancy) == (0.5, 5.0, 2.0)
    assert summary.as_dict()["sharpe"] == analytics.sharpe_ratio(returns, periods_per_year=365)
