"""Portfolio risk: VaR/ES against numpy/scipy, exposures, stress, beta and margin by hand."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from scipy import stats

from ferrox.errors import ConfigError, DataError
from ferrox.risk import (
    Portfolio,
    Scenario,
    beta,
    correlation,
    covariance,
    historical_var,
    load_scenarios,
    monte_carlo_var,
    parametric_var,
    scenarios_from_dict,
)
from ferrox.risk.stress import load_groups

DAY = 86_400_000_000_000
INTERPOLATIONS = ["linear", "lower", "higher", "nearest", "midpoint"]


@pytest.fixture
def returns() -> np.ndarray:
    """500 fat-tailed daily returns (Student t, 4 degrees of freedom), seeded."""
    return np.random.default_rng(7).standard_t(4, size=500) * 0.01


def numpy_var_es(pnl: np.ndarray, confidence: float, method: str = "linear") -> tuple[float, float]:
    """The oracle: VaR is minus numpy's (1-c) quantile, ES minus the mean at or below it."""
    q = np.quantile(pnl, 1 - confidence, method=method)  # type: ignore[call-overload]
    return -float(q), -float(pnl[pnl <= q].mean())


# --- historical ----------------------------------------------------------------------------


@pytest.mark.parametrize("method", INTERPOLATIONS)
def test_historical_var_and_es_equal_numpy_quantile_and_tail_mean(
    returns: np.ndarray, method: str
) -> None:
    est = historical_var(returns, 0.99, interpolation=method)  # type: ignore[arg-type]
    var, es = numpy_var_es(returns, 0.99, method)
    assert est.var == pytest.approx(var, rel=1e-12)
    assert est.es == pytest.approx(es, rel=1e-12)


def test_historical_var_scales_with_the_position_value(returns: np.ndarray) -> None:
    est = historical_var(returns, 0.95, value=250_000.0)
    var, es = numpy_var_es(returns * 250_000.0, 0.95)
    assert (est.var, est.es) == (pytest.approx(var, rel=1e-12), pytest.approx(es, rel=1e-12))


def test_overlapping_horizon_uses_every_rolling_window(returns: np.ndarray) -> None:
    est = historical_var(returns, 0.99, horizon=10)
    sums = sliding_window_view(returns, 10).sum(axis=1)
    assert est.observations == len(returns) - 9
    assert est.var == pytest.approx(numpy_var_es(sums, 0.99)[0], rel=1e-12)


def test_non_overlapping_horizon_uses_blocks_ending_at_the_latest_day(returns: np.ndarray) -> None:
    est = historical_var(returns, 0.95, horizon=7, scaling="non_overlapping")
    blocks = returns[len(returns) % 7 :].reshape(-1, 7).sum(axis=1)
    assert est.observations == len(returns) // 7
    assert (est.var, est.es) == tuple(
        pytest.approx(x, rel=1e-12) for x in numpy_var_es(blocks, 0.95)
    )


def test_compound_horizon_multiplies_gross_returns(returns: np.ndarray) -> None:
    est = historical_var(returns, 0.99, horizon=5, compound=True)
    compounded = np.prod(1 + sliding_window_view(returns, 5), axis=1) - 1
    assert est.var == pytest.approx(numpy_var_es(compounded, 0.99)[0], rel=1e-12)


def test_sqrt_time_scales_the_one_day_var_by_root_horizon(returns: np.ndarray) -> None:
    one = historical_var(returns, 0.99)
    nine = historical_var(returns, 0.99, horizon=9, scaling="sqrt_time")
    assert nine.var == pytest.approx(3 * one.var, rel=1e-12)
    assert nine.es == pytest.approx(3 * one.es, rel=1e-12)


# --- parametric and Monte Carlo --------------------------------------------------------------


@pytest.mark.parametrize(("confidence", "horizon", "mean"), [(0.99, 1, False), (0.95, 10, True)])
def test_parametric_var_and_es_equal_scipy_normal(
    returns: np.ndarray, confidence: float, horizon: int, mean: bool
) -> None:
    est = parametric_var(returns, confidence, horizon, value=1e6, mean=mean)
    mu = returns.mean() * horizon if mean else 0.0
    sigma = returns.std(ddof=1) * math.sqrt(horizon)
    dist = stats.norm(loc=mu * 1e6, scale=sigma * 1e6)
    var = -dist.ppf(1 - confidence)
    # ES as the conditional expectation of the tail, integrated by scipy.
    es = -dist.expect(lambda x: x, ub=-var, conditional=True)
    assert est.var == pytest.approx(var, rel=1e-12)
    assert est.es == pytest.approx(es, rel=1e-7)


def test_monte_carlo_var_converges_to_parametric_on_normal_returns() -> None:
    normal = np.random.default_rng(3).normal(0.0, 0.02, size=1_000)
    mc = monte_carlo_var(normal, 0.99, simulations=1_000_000, seed=42)
    exact = parametric_var(normal, 0.99)
    # The 1% quantile of n draws has standard error sigma*sqrt(p(1-p)/n)/phi(z)
    # = 0.0037 sigma for n = 1e6, 0.16% of the VaR (2.33 sigma); ES's is of the
    # same order. 1% is over six standard errors, so a seed cannot fail it by chance.
    assert mc.var == pytest.approx(exact.var, rel=0.01)
    assert mc.es == pytest.approx(exact.es, rel=0.01)


def test_monte_carlo_is_reproducible_from_its_seed(returns: np.ndarray) -> None:
    a = monte_carlo_var(returns, 0.99, simulations=10_000, seed=9)
    b = monte_carlo_var(returns, 0.99, simulations=10_000, seed=9)
    c = monte_carlo_var(returns, 0.99, simulations=10_000, seed=10)
    assert a == b
    assert a.var != c.var


def test_lognormal_monte_carlo_matches_the_lognormal_quantile() -> None:
    # One position of value v with log return r ~ N(0, s^2): P&L = v(e^r - 1) is
    # monotone in r, so its 1% quantile is v(exp(s * z_0.01) - 1) exactly.
    normal = np.random.default_rng(5).normal(0.0, 0.05, size=2_000)
    s = normal.std(ddof=1)
    mc = monte_carlo_var(
        normal, 0.99, value=100.0, simulations=1_000_000, seed=1, revaluation="lognormal"
    )
    exact = -100.0 * math.expm1(s * stats.norm.ppf(0.01))
    assert mc.var == pytest.approx(exact, rel=0.01)


# --- beta, correlation, covariance ------------------------------------------------------------


def test_beta_and_correlation_equal_scipy_linregress(returns: np.ndarray) -> None:
    noise = np.random.default_rng(1).normal(0, 0.005, size=len(returns))
    asset = 1.3 * returns + noise
    fit = stats.linregress(returns, asset)
    assert beta(asset, returns) == pytest.approx(fit.slope, rel=1e-12)
    assert correlation(asset, returns) == pytest.approx(fit.rvalue, rel=1e-12)


def test_covariance_equals_numpy_cov(returns: np.ndarray) -> None:
    other = np.roll(returns, 3) * 0.5 + 0.001
    assert covariance([returns, other]) == pytest.approx(np.cov(returns, other), rel=1e-12)


# --- a portfolio -------------------------------------------------------------------------------


def price_history(days: int = 300, seed: int = 11) -> pl.DataFrame:
    """Correlated daily closes of three instruments on two venues, long format."""
    rng = np.random.default_rng(seed)
    cov = np.array([[4e-4, 2e-4, 1e-4], [2e-4, 9e-4, 1.5e-4], [1e-4, 1.5e-4, 1e-4]])
    daily = rng.multivariate_normal(np.zeros(3), cov, size=days)
    start = np.array([50_000.0, 3_000.0, 400.0])
    closes = start * np.cumprod(1 + daily, axis=0)
    ids = ["BTCUSDT.BINANCE", "ETHUSDT.BINANCE", "SPY.XNAS"]
    return pl.DataFrame(
        {
            "ts": np.repeat(np.arange(days, dtype=np.int64) * DAY, 3),
            "instrument": ids * days,
            "close": closes.reshape(-1),
        }
    )


POSITIONS = {
    "instrument": ["BTCUSDT.BINANCE", "ETHUSDT.BINANCE", "SPY.XNAS"],
    "quantity": [2.0, -10.0, 100.0],
}


@pytest.fixture
def book() -> Portfolio:
    return Portfolio(POSITIONS, price_history())


def oracle_pnl(book: Portfolio) -> np.ndarray:
    """Daily P&L of the book, recomputed with polars and numpy from the price table."""
    wide = price_history().pivot(on="instrument", index="ts", values="close").sort("ts")
    closes = wide.select(POSITIONS["instrument"]).to_numpy()
    values = closes[-1] * np.array(POSITIONS["quantity"])
    return (closes[1:] / closes[:-1] - 1) @ values


def test_positions_without_a_price_are_valued_at_the_last_close(book: Portfolio) -> None:
    last = price_history().filter(pl.col("ts") == pl.col("ts").max())
    assert book.positions["price"].to_list() == last["close"].to_list()


def test_portfolio_historical_var_equals_numpy_on_the_pnl_history(book: Portfolio) -> None:
    est = book.value_at_risk(0.99)
    var, es = numpy_var_es(oracle_pnl(book), 0.99)
    assert (est.var, est.es) == (pytest.approx(var, rel=1e-10), pytest.approx(es, rel=1e-10))


def test_portfolio_multi_day_historical_var_holds_quantities_fixed(book: Portfolio) -> None:
    wide = price_history().pivot(on="instrument", index="ts", values="close").sort("ts")
    closes = wide.select(POSITIONS["instrument"]).to_numpy()
    r = closes[1:] / closes[:-1] - 1
    growth = np.prod(1 + sliding_window_view(r, 5, axis=0), axis=2) - 1
    pnl = growth @ (closes[-1] * np.array(POSITIONS["quantity"]))
    est = book.value_at_risk(0.95, horizon=5)
    assert est.var == pytest.approx(numpy_var_es(pnl, 0.95)[0], rel=1e-10)


def test_portfolio_parametric_var_equals_scipy_on_the_sample_covariance(book: Portfolio) -> None:
    wide = price_history().pivot(on="instrument", index="ts", values="close").sort("ts")
    closes = wide.select(POSITIONS["instrument"]).to_numpy()
    r = closes[1:] / closes[:-1] - 1
    w = closes[-1] * np.array(POSITIONS["quantity"])
    sigma = math.sqrt(w @ np.cov(r, rowvar=False) @ w)
    est = book.value_at_risk(0.99, horizon=4, method="parametric")
    assert est.var == pytest.approx(-stats.norm.ppf(0.01) * sigma * 2, rel=1e-10)
    tail = stats.norm(scale=sigma * 2).expect(lambda x: x, ub=-est.var, conditional=True)
    assert est.es == pytest.approx(-tail, rel=1e-7)


def test_portfolio_monte_carlo_var_converges_to_parametric(book: Portfolio) -> None:
    mc = book.value_at_risk(0.99, method="monte_carlo", simulations=1_000_000, seed=3)
    exact = book.value_at_risk(0.99, method="parametric")
    # Same standard-error argument as for one series: 1% is over six standard errors.
    assert mc.var == pytest.approx(exact.var, rel=0.01)
    assert mc.es == pytest.approx(exact.es, rel=0.01)


def test_beta_of_the_book_is_the_ols_slope_of_pnl_on_the_benchmark(book: Portfolio) -> None:
    spy = price_history().filter(pl.col("instrument") == "SPY.XNAS").sort("ts")["close"].to_numpy()
    bench = spy[1:] / spy[:-1] - 1
    fit = stats.linregress(bench, oracle_pnl(book))
    got = book.benchmark("SPY.XNAS")
    assert got.dollar_beta == pytest.approx(fit.slope, rel=1e-10)
    assert got.correlation == pytest.approx(fit.rvalue, rel=1e-10)
    assert got.beta == pytest.approx(fit.slope / book.totals()["net"], rel=1e-10)


# --- exposures, stress and margin by hand --------------------------------------------------


@pytest.fixture
def priced() -> Portfolio:
    return Portfolio(
        {
            "instrument": ["BTCUSDT.BINANCE", "ETHUSDT.BINANCE", "SAP.XETR", "SPY.XNAS"],
            "quantity": [2.0, -10.0, 100.0, -50.0],
            "price": [50_000.0, 3_000.0, 200.0, 500.0],
            "currency": ["USD", "USD", "EUR", "USD"],
        },
        fx={"EUR": 1.10},
        groups={"BTCUSDT.BINANCE": "crypto", "ETHUSDT.BINANCE": "crypto", "SPY.XNAS": "equity"},
    )


def test_exposures_by_instrument_are_quantity_times_price_in_base(priced: Portfolio) -> None:
    rows = {r["instrument"]: r for r in priced.exposures("instrument").to_dicts()}
    assert rows["SAP.XETR"] == {
        "instrument": "SAP.XETR",
        "long": 22_000.0,
        "short": 0.0,
        "gross": 22_000.0,
        "net": 22_000.0,
    }
    assert rows["ETHUSDT.BINANCE"]["short"] == 30_000.0
    assert rows["ETHUSDT.BINANCE"]["net"] == -30_000.0


def test_exposures_by_venue_currency_and_group_add_up_by_hand(priced: Portfolio) -> None:
    venue = {r["venue"]: (r["long"], r["short"]) for r in priced.exposures("venue").to_dicts()}
    assert venue == {
        "BINANCE": (100_000.0, 30_000.0),
        "XETR": (22_000.0, 0.0),
        "XNAS": (0.0, 25_000.0),
    }
    ccy = {r["currency"]: r["net"] for r in priced.exposures("currency").to_dicts()}
    assert ccy == {"EUR": 22_000.0, "USD": 45_000.0}
    group = {r["group"]: r["gross"] for r in priced.exposures("group").to_dicts()}
    assert group == {"crypto": 130_000.0, "equity": 25_000.0, "(ungrouped)": 22_000.0}
    assert priced.totals() == {
        "long": 122_000.0,
        "short": 55_000.0,
        "gross": 177_000.0,
        "net": 67_000.0,
    }


def test_stress_applies_instrument_shocks_over_group_shocks(priced: Portfolio) -> None:
    scenarios = [
        Scenario("crypto_crash", instruments={"ETHUSDT.BINANCE": -0.5}, groups={"crypto": -0.3}),
        Scenario("equity_rally", groups={"equity": 0.1}),
    ]
    table = {r["scenario"]: r["pnl"] for r in priced.stress(scenarios).to_dicts()}
    # BTC 100,000 * -0.3 + ETH -30,000 * -0.5 = -30,000 + 15,000
    assert table["crypto_crash"] == pytest.approx(-15_000.0)
    # SPY short 25,000 * +0.1
    assert table["equity_rally"] == pytest.approx(-2_500.0)


def test_scenarios_load_from_toml_with_their_groups(tmp_path: Path, priced: Portfolio) -> None:
    path = tmp_path / "scenarios.toml"
    path.write_text(
        '[groups]\ncrypto = ["BTCUSDT.BINANCE", "ETHUSDT.BINANCE"]\n\n'
        '[scenarios.crash]\ndescription = "crypto -20%"\ngroups = { crypto = -0.2 }\n'
        '[scenarios.sap]\ninstruments = { "SAP.XETR" = -0.1 }\n'
    )
    scenarios = load_scenarios(path)
    assert [s.name for s in scenarios] == ["crash", "sap"]
    assert load_groups(path) == {"BTCUSDT.BINANCE": "crypto", "ETHUSDT.BINANCE": "crypto"}
    pnl = priced.stress(scenarios)["pnl"].to_list()
    assert pnl == pytest.approx([-14_000.0, -2_200.0])


def test_margin_usage_is_exposure_times_rate_over_equity(priced: Portfolio) -> None:
    usage = priced.margin(50_000.0, rates={"BTCUSDT.BINANCE": 0.05}, default_rate=0.2)
    # 100,000*0.05 + (30,000 + 22,000 + 25,000)*0.2 = 5,000 + 15,400
    assert usage.margin == pytest.approx(20_400.0)
    assert usage.usage == pytest.approx(20_400.0 / 50_000.0)
    assert usage.free == pytest.approx(29_600.0)


# --- bad input names what is wrong -------------------------------------------------------------


def test_a_scenario_naming_an_instrument_not_held_is_an_error(priced: Portfolio) -> None:
    with pytest.raises(
        ConfigError, match=r"scenario 'typo': instrument XRPUSDT\.BINANCE is not held"
    ):
        priced.stress([Scenario("typo", instruments={"XRPUSDT.BINANCE": -0.5})])


def test_a_scenario_naming_an_unknown_group_is_an_error(priced: Portfolio) -> None:
    with pytest.raises(ConfigError, match=r"scenario 'x': group bonds has no position"):
        priced.stress(scenarios_from_dict({"x": {"groups": {"bonds": -0.1}}}))


def test_a_non_numeric_shock_is_an_error() -> None:
    with pytest.raises(
        ConfigError, match=r"scenario 'x' instruments\.A\.X: expected a finite shock"
    ):
        scenarios_from_dict({"x": {"instruments": {"A.X": "-10%"}}})


@pytest.mark.parametrize("confidence", [0.0, 1.0, 1.5, -0.2, 99.0])
def test_confidence_outside_zero_one_is_an_error(returns: np.ndarray, confidence: float) -> None:
    for compute in (historical_var, parametric_var, monte_carlo_var):
        with pytest.raises(
            ConfigError, match=rf"confidence: .*strictly between 0 and 1.*{confidence}"
        ):
            compute(returns, confidence)


def test_confidence_outside_zero_one_is_an_error_for_a_portfolio(book: Portfolio) -> None:
    with pytest.raises(ConfigError, match="confidence"):
        book.value_at_risk(1.0, method="parametric")


def test_an_empty_history_is_an_error() -> None:
    with pytest.raises(DataError, match="pnl: the history is empty"):
        historical_var([], 0.99)
    with pytest.raises(DataError, match="at least 2 observations, got 0"):
        parametric_var([], 0.99)


def test_a_history_shorter_than_the_horizon_is_an_error() -> None:
    with pytest.raises(DataError, match="needs at least 10 observations, got 3"):
        historical_var([0.01, -0.02, 0.0], 0.99, horizon=10)


def test_a_nan_in_the_history_is_an_error_naming_its_index() -> None:
    with pytest.raises(DataError, match="index 2 is NaN"):
        historical_var([0.01, -0.02, float("nan")], 0.9)


def test_a_held_instrument_without_price_history_is_an_error() -> None:
    prices = price_history().filter(pl.col("instrument") != "SPY.XNAS")
    with pytest.raises(DataError, match=r"no close for SPY\.XNAS"):
        Portfolio(POSITIONS, prices)


def test_a_portfolio_with_a_single_price_row_has_no_var() -> None:
    prices = price_history(days=1)
    with pytest.raises(DataError, match="at least 2 timestamps"):
        Portfolio(POSITIONS, prices).value_at_risk()


def test_a_currency_without_an_fx_rate_is_an_error() -> None:
    with pytest.raises(ConfigError, match="no rate to USD for currency JPY"):
        Portfolio({"instrument": ["X.T"], "quantity": [1.0], "price": [1.0], "currency": ["JPY"]})


def test_a_quantity_that_is_not_a_number_names_row_and_field() -> None:
    with pytest.raises(
        DataError, match=r"row 1, field 'quantity': expected a finite number, got '2,5'"
    ):
        Portfolio({"instrument": ["A.X", "B.X"], "quantity": ["1", "2,5"], "price": ["1", "2"]})


def test_a_position_without_a_margin_rate_is_an_error(priced: Portfolio) -> None:
    with pytest.raises(ConfigError, match=r"no rate for 'ETHUSDT\.BINANCE'"):
        priced.margin(1e6, rates={"BTCUSDT.BINANCE": 0.1, "SAP.XETR": 0.1, "SPY.XNAS": 0.1})
