"""Every ferrox.analytics figure equals quantstats on the same returns where the
definitions agree: seeded synthetic daily returns and the real 1-minute BTC bars
(close-to-close). Where the definitions differ (docs/analytics.md), the tests in
test_analytics_definitions.py check ferrox's own against a hand computation."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

from ferrox import analytics

qs = pytest.importorskip("quantstats")

RTOL = 1e-9


@dataclass(frozen=True)
class Series:
    """One returns series as ferrox sees it (numpy + ns) and as quantstats does (pandas)."""

    returns: np.ndarray[Any, np.dtype[np.float64]]
    ts: np.ndarray[Any, np.dtype[np.int64]]
    benchmark: np.ndarray[Any, np.dtype[np.float64]]
    periods_per_year: float

    @property
    def pd(self) -> pd.Series:
        return pd.Series(self.returns, index=pd.to_datetime(self.ts, unit="ns"))

    @property
    def pd_benchmark(self) -> pd.Series:
        return pd.Series(self.benchmark, index=pd.to_datetime(self.ts, unit="ns"))


def quantstats(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Calls quantstats with its own deprecation chatter silenced (pytest treats warnings as errors)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        return function(*args, **kwargs)


def _synthetic() -> Series:
    rng = np.random.default_rng(20240601)
    n = 3 * 365 + 17
    market = rng.standard_t(df=4, size=n) * 0.012 + 0.0004
    strategy = 0.6 * market + rng.normal(0.0003, 0.008, size=n)
    start = np.datetime64("2020-01-01T00:00:00", "ns").astype(np.int64)
    ts = start + np.arange(n, dtype=np.int64) * analytics.NS_PER_DAY
    return Series(strategy, ts, market, 365.0)


def _real_bars(shared_data: Path) -> Series:
    bars = pl.read_csv(shared_data / "bars" / "btc-perp-20211231-20220201_1m.csv").with_columns(
        pl.col("timestamp").str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_zone="UTC")
    )
    close = bars["close"].to_numpy()
    ts = bars["timestamp"].dt.epoch("ns").to_numpy()[1:]
    returns = close[1:] / close[:-1] - 1.0
    # A benchmark that shares some of the market's moves: deterministic, so the test is too.
    rng = np.random.default_rng(7)
    benchmark = 0.8 * returns + rng.normal(0.0, 0.0005, size=returns.shape[0])
    return Series(returns, ts, benchmark, analytics.infer_periods_per_year(ts))


@pytest.fixture(params=["synthetic", "real_bars"])
def series(request: pytest.FixtureRequest) -> Series:
    if request.param == "synthetic":
        return _synthetic()
    shared_data: Path = request.getfixturevalue("shared_data")
    return _real_bars(shared_data)


def test_one_minute_bars_have_525600_periods_per_year(shared_data: Path) -> None:
    assert _real_bars(shared_data).periods_per_year == pytest.approx(365 * 24 * 60)


def test_total_return_equals_quantstats_comp(series: Series) -> None:
    expected = quantstats(qs.stats.comp, series.pd)
    assert analytics.total_return(series.returns) == pytest.approx(expected, rel=RTOL)


def test_cumulative_returns_equal_quantstats_compsum(series: Series) -> None:
    expected = quantstats(qs.stats.compsum, series.pd).to_numpy()
    np.testing.assert_allclose(analytics.cumulative_returns(series.returns), expected, rtol=RTOL)


def test_annual_return_equals_quantstats_cagr(series: Series) -> None:
    expected = quantstats(qs.stats.cagr, series.pd, periods=series.periods_per_year)
    got = analytics.annual_return(series.returns, timestamps=series.ts)
    assert got == pytest.approx(expected, rel=1e-7)


def test_volatility_equals_quantstats(series: Series) -> None:
    expected = quantstats(qs.stats.volatility, series.pd, periods=series.periods_per_year)
    got = analytics.volatility(series.returns, periods_per_year=series.periods_per_year)
    assert got == pytest.approx(expected, rel=RTOL)


@pytest.mark.parametrize("risk_free", [0.0, 0.04])
def test_sharpe_equals_quantstats(series: Series, risk_free: float) -> None:
    expected = quantstats(qs.stats.sharpe, series.pd, rf=risk_free, periods=series.periods_per_year)
    got = analytics.sharpe_ratio(
        series.returns, risk_free=risk_free, periods_per_year=series.periods_per_year
    )
    assert got == pytest.approx(expected, rel=RTOL)


@pytest.mark.parametrize("risk_free", [0.0, 0.04])
def test_sortino_equals_quantstats(series: Series, risk_free: float) -> None:
    expected = quantstats(
        qs.stats.sortino, series.pd, rf=risk_free, periods=series.periods_per_year
    )
    got = analytics.sortino_ratio(
        series.returns, risk_free=risk_free, periods_per_year=series.periods_per_year
    )
    assert got == pytest.approx(expected, rel=RTOL)


def test_calmar_equals_quantstats(series: Series) -> None:
    expected = quantstats(qs.stats.calmar, series.pd, periods=series.periods_per_year)
    got = analytics.calmar_ratio(series.returns, periods_per_year=series.periods_per_year)
    assert got == pytest.approx(expected, rel=1e-7)


@pytest.mark.parametrize("required_return", [0.0, 0.1])
def test_omega_equals_quantstats(series: Series, required_return: float) -> None:
    expected = quantstats(
        qs.stats.omega,
        series.pd,
        required_return=required_return,
        periods=series.periods_per_year,
    )
    got = analytics.omega_ratio(
        series.returns,
        required_return=required_return,
        periods_per_year=series.periods_per_year,
    )
    assert got == pytest.approx(expected, rel=RTOL)


def test_max_drawdown_equals_quantstats(series: Series) -> None:
    expected = quantstats(qs.stats.max_drawdown, series.pd)
    assert analytics.max_drawdown(series.returns) == pytest.approx(expected, rel=RTOL)


def test_underwater_curve_equals_quantstats_drawdown_series(series: Series) -> None:
    expected = quantstats(qs.stats.to_drawdown_series, series.pd).to_numpy()
    np.testing.assert_allclose(analytics.underwater(series.returns), expected, rtol=0, atol=1e-12)


def test_parametric_var_equals_quantstats_var(series: Series) -> None:
    expected = quantstats(qs.stats.value_at_risk, series.pd, confidence=0.95)
    got = analytics.value_at_risk(series.returns, 0.95, method="parametric")
    assert got == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("method", ["historical", "parametric"])
def test_cvar_equals_quantstats(series: Series, method: str) -> None:
    expected = quantstats(qs.stats.cvar, series.pd, confidence=0.95, method=method)
    got = analytics.conditional_value_at_risk(series.returns, 0.95, method=method)  # type: ignore[arg-type]
    assert got == pytest.approx(expected, rel=RTOL)


def test_skew_equals_quantstats(series: Series) -> None:
    expected = quantstats(qs.stats.skew, series.pd)
    assert analytics.skew(series.returns) == pytest.approx(expected, rel=1e-8)


def test_kurtosis_equals_quantstats(series: Series) -> None:
    expected = quantstats(qs.stats.kurtosis, series.pd)
    assert analytics.kurtosis(series.returns) == pytest.approx(expected, rel=1e-8)


def test_tail_ratio_equals_quantstats(series: Series) -> None:
    expected = quantstats(qs.stats.tail_ratio, series.pd)
    assert analytics.tail_ratio(series.returns) == pytest.approx(expected, rel=RTOL)


def test_alpha_and_beta_equal_quantstats_greeks(series: Series) -> None:
    expected = quantstats(
        qs.stats.greeks, series.pd, series.pd_benchmark, periods=series.periods_per_year
    )
    alpha, beta = analytics.alpha_beta(
        series.returns, series.benchmark, periods_per_year=series.periods_per_year
    )
    assert (alpha, beta) == pytest.approx((expected["alpha"], expected["beta"]), rel=1e-8)


def test_information_ratio_equals_quantstats(series: Series) -> None:
    expected = quantstats(qs.stats.information_ratio, series.pd, series.pd_benchmark)
    got = analytics.information_ratio(series.returns, series.benchmark)
    assert got == pytest.approx(expected, rel=RTOL)


def test_rolling_volatility_equals_quantstats(series: Series) -> None:
    window = 30
    expected = quantstats(
        qs.stats.rolling_volatility,
        series.pd,
        rolling_period=window,
        periods_per_year=series.periods_per_year,
    ).to_numpy()
    got = analytics.rolling_volatility(
        series.returns, window, periods_per_year=series.periods_per_year
    )
    np.testing.assert_allclose(got, expected, rtol=1e-7)


def test_rolling_sharpe_equals_quantstats(series: Series) -> None:
    window = 30
    expected = quantstats(
        qs.stats.rolling_sharpe,
        series.pd,
        rolling_period=window,
        periods_per_year=series.periods_per_year,
    ).to_numpy()
    got = analytics.rolling_sharpe(series.returns, window, periods_per_year=series.periods_per_year)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)


def test_rolling_beta_equals_quantstats_rolling_greeks(series: Series) -> None:
    window = 30
    expected = quantstats(qs.stats.rolling_greeks, series.pd, series.pd_benchmark, periods=window)[
        "beta"
    ].to_numpy()
    got = analytics.rolling_beta(series.returns, series.benchmark, window)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)


def test_monthly_returns_equal_quantstats_where_a_month_has_data(series: Series) -> None:
    expected = quantstats(qs.stats.monthly_returns, series.pd, eoy=True)
    table = analytics.monthly_returns(series.returns, series.ts)
    for row in table.iter_rows(named=True):
        year = str(row["year"])
        for month in analytics.MONTHS:
            if row[month] is not None:
                assert row[month] == pytest.approx(expected.loc[year, month.upper()], rel=RTOL)
        assert row["total"] == pytest.approx(expected.loc[year, "EOY"], rel=RTOL)


def test_yearly_returns_equal_quantstats_end_of_year_column(series: Series) -> None:
    expected = quantstats(qs.stats.monthly_returns, series.pd, eoy=True)["EOY"]
    table = analytics.yearly_returns(series.returns, series.ts)
    assert table["year"].cast(pl.String).to_list() == list(expected.index)
    np.testing.assert_allclose(table["return"].to_numpy(), expected.to_numpy(), rtol=RTOL)


def test_trade_win_rate_equals_quantstats_when_no_trade_breaks_even() -> None:
    pnl = np.random.default_rng(3).normal(5.0, 40.0, size=200)
    expected = quantstats(qs.stats.win_rate, pd.Series(pnl))
    assert analytics.win_rate(pnl) == pytest.approx(expected, rel=RTOL)


def test_trade_profit_factor_equals_quantstats() -> None:
    pnl = np.random.default_rng(4).normal(5.0, 40.0, size=200)
    pnl[::10] = 0.0
    expected = quantstats(qs.stats.profit_factor, pd.Series(pnl))
    assert analytics.profit_factor(pnl) == pytest.approx(expected, rel=RTOL)


def test_polars_series_input_gives_the_numpy_answer(series: Series) -> None:
    as_numpy = analytics.sharpe_ratio(series.returns, timestamps=series.ts)
    as_polars = analytics.sharpe_ratio(pl.Series(series.returns), timestamps=pl.Series(series.ts))
    assert as_polars == as_numpy
