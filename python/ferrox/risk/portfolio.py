"""Portfolio risk: exposures, VaR/ES, stress, beta/correlation and margin for a set of positions.

A :class:`Portfolio` holds positions (instrument, quantity, price) valued in
one base currency, and optionally a price history from which it builds each
instrument's per-period returns. Each period's P&L of today's positions is
``sum(market_value[i] * return[i])`` (historical simulation of the current book).

>>> import polars as pl
>>> book = Portfolio(
...     {"instrument": ["BTCUSDT.BINANCE", "ETHUSDT.BINANCE"], "quantity": [2.0, -10.0],
...      "price": [50_000.0, 3_000.0]},
...     groups={"BTCUSDT.BINANCE": "crypto", "ETHUSDT.BINANCE": "crypto"},
... )
>>> book.totals()
{'long': 100000.0, 'short': 30000.0, 'gross': 130000.0, 'net': 70000.0}
>>> book.stress([Scenario("crash", groups={"crypto": -0.2})])["pnl"].to_list()
[-14000.0]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl

from ferrox import _core
from ferrox.errors import ConfigError, DataError
from ferrox.risk.positions import positions_frame, prices_frame, resample_last, venue_of
from ferrox.risk.stress import Scenario
from ferrox.risk.var import (
    FloatArray,
    Interpolation,
    Method,
    Revaluation,
    RiskEstimate,
    Scaling,
    check_confidence,
    historical_var,
)

GroupBy = Literal["instrument", "venue", "currency", "group"]
UNGROUPED = "(ungrouped)"


@dataclass(frozen=True)
class MarginUsage:
    """Margin required by each position and in total, against account equity."""

    table: pl.DataFrame
    margin: float
    equity: float

    @property
    def usage(self) -> float:
        """Margin as a fraction of equity (inf when equity is not positive)."""
        return self.margin / self.equity if self.equity > 0 else float("inf")

    @property
    def free(self) -> float:
        """Equity left after margin."""
        return self.equity - self.margin

    def as_dict(self) -> dict[str, Any]:
        """The usage as a JSON-ready dict."""
        return {
            "margin": self.margin,
            "equity": self.equity,
            "usage": self.usage,
            "free": self.free,
            "positions": self.table.to_dicts(),
        }


@dataclass(frozen=True)
class BenchmarkStats:
    """How the portfolio moves with a benchmark.

    ``dollar_beta`` is the P&L per unit benchmark return (the OLS slope of P&L
    on benchmark returns); ``beta`` divides it by the net exposure (the beta of
    the return on net market value; NaN when the book is flat net);
    ``correlation`` is that of P&L with the benchmark.
    """

    benchmark: str
    beta: float
    dollar_beta: float
    correlation: float
    observations: int

    def as_dict(self) -> dict[str, float | int | str]:
        """The statistics as a JSON-ready dict."""
        return {
            "benchmark": self.benchmark,
            "beta": self.beta,
            "dollar_beta": self.dollar_beta,
            "correlation": self.correlation,
            "observations": self.observations,
        }


class Portfolio:
    """Positions valued in ``base_currency`` with an optional price history.

    ``positions``: ``instrument`` (``SYMBOL.VENUE``), ``quantity`` and ``price``
    (optional when ``prices`` gives a last close), and optionally ``currency``
    (of the price; default ``base_currency``) and ``multiplier`` (default 1).
    ``prices``: long table ``ts`` (int64 ns UTC), ``instrument``, ``close``.
    ``fx``: units of base currency per unit of each other currency.
    ``groups``: instrument -> user-defined group (others are ``(ungrouped)``).
    ``period``: resample prices to the last close per period (``"1d"``) first.
    """

    def __init__(
        self,
        positions: pl.DataFrame | Mapping[str, Any],
        prices: pl.DataFrame | Mapping[str, Any] | None = None,
        *,
        base_currency: str = "USD",
        fx: Mapping[str, float] | None = None,
        groups: Mapping[str, str] | None = None,
        period: str | None = None,
    ) -> None:
        self.base_currency = base_currency
        self.groups = dict(groups or {})
        table = positions_frame(positions, base_currency=base_currency)
        self.prices = None if prices is None else prices_frame(prices)
        if self.prices is not None and period is not None:
            self.prices = resample_last(self.prices, period, by="instrument")
        if table["price"].null_count():
            table = self._fill_last_prices(table)
        rates = dict(fx or {})
        rates[base_currency] = 1.0
        missing = sorted(set(table["currency"]) - set(rates))
        if missing:
            raise ConfigError(
                f"fx: no rate to {base_currency} for currency {', '.join(missing)} "
                f"(give fx={{'{missing[0]}': <{base_currency} per unit>}})"
            )
        self.positions = table.with_columns(
            pl.col("currency").replace_strict(rates, return_dtype=pl.Float64).alias("fx")
        ).with_columns(
            (pl.col("quantity") * pl.col("price") * pl.col("multiplier") * pl.col("fx")).alias(
                "market_value"
            )
        )
        self._returns: tuple[np.ndarray[Any, np.dtype[np.int64]], FloatArray] | None = None

    # --- exposures -------------------------------------------------------------------

    @property
    def instruments(self) -> list[str]:
        """The instruments held, in input order."""
        return self.positions["instrument"].to_list()

    def _keys(self, by: GroupBy) -> list[str]:
        if by == "instrument":
            return self.instruments
        if by == "venue":
            return [venue_of(i) for i in self.instruments]
        if by == "currency":
            return self.positions["currency"].to_list()
        if by == "group":
            return [self.groups.get(i, UNGROUPED) for i in self.instruments]
        raise ConfigError(f"by: expected 'instrument', 'venue', 'currency' or 'group', got {by!r}")

    def exposures(self, by: GroupBy = "instrument") -> pl.DataFrame:
        """Long, short (as a positive amount), gross and net market value per ``by`` key.

        ``gross = long + short`` and ``net = long - short``, in the base currency.
        """
        mv = pl.col("market_value")
        return (
            self.positions.with_columns(pl.Series(by, self._keys(by), dtype=pl.Utf8))
            .group_by(by, maintain_order=True)
            .agg(
                mv.clip(lower_bound=0.0).sum().alias("long"),
                (-mv).clip(lower_bound=0.0).sum().alias("short"),
            )
            .with_columns(
                (pl.col("long") + pl.col("short")).alias("gross"),
                (pl.col("long") - pl.col("short")).alias("net"),
            )
            .sort(by)
        )

    def totals(self) -> dict[str, float]:
        """Long, short, gross and net exposure of the whole book."""
        mv = self.positions["market_value"].to_numpy()
        long, short = float(mv[mv > 0].sum()), float(-mv[mv < 0].sum())
        return {"long": long, "short": short, "gross": long + short, "net": long - short}

    # --- history ---------------------------------------------------------------------

    def _fill_last_prices(self, table: pl.DataFrame) -> pl.DataFrame:
        if self.prices is None:
            row = int(table["price"].is_null().arg_true()[0])
            raise DataError(
                f"positions: row {row}, field 'price': missing, and no price history to take "
                f"the last close of {table['instrument'][row]!r} from"
            )
        last = self.prices.sort("ts").group_by("instrument").last().select("instrument", "close")
        filled = table.join(last, on="instrument", how="left").with_columns(
            pl.coalesce("price", "close").alias("price")
        )
        missing = filled.filter(pl.col("price").is_null())["instrument"].to_list()
        if missing:
            raise DataError(
                f"prices: no close for {', '.join(missing)} (needed for a position without a price)"
            )
        return filled.select(table.columns)

    def returns(self) -> tuple[np.ndarray[Any, np.dtype[np.int64]], FloatArray]:
        """``(ts, R)``: the end time of each period and the per-instrument simple returns.

        Only timestamps at which every held instrument has a close are used;
        ``R[t, i] = close[t, i] / close[t-1, i] - 1``, columns in the order of
        :attr:`instruments`.
        """
        if self._returns is not None:
            return self._returns
        if self.prices is None:
            raise DataError("prices: a price history is needed for VaR, beta and returns")
        held = self.instruments
        missing = sorted(set(held) - set(self.prices["instrument"].unique()))
        if missing:
            raise DataError(f"prices: no history for held instrument(s) {', '.join(missing)}")
        wide = (
            self.prices.filter(pl.col("instrument").is_in(held))
            .pivot(on="instrument", index="ts", values="close")
            .sort("ts")
            .drop_nulls()
        )
        if wide.height < 2:
            raise DataError(
                f"prices: need at least 2 timestamps at which every held instrument has a "
                f"close, got {wide.height}"
            )
        closes = wide.select(held).to_numpy().astype(np.float64)
        matrix = np.ascontiguousarray(closes[1:] / closes[:-1] - 1.0)
        ts = wide["ts"].to_numpy()[1:].astype(np.int64)
        self._returns = (ts, matrix)
        return self._returns

    def pnl_history(self) -> pl.DataFrame:
        """Per-period P&L of today's positions over the price history: ``ts, pnl``."""
        ts, matrix = self.returns()
        weights = self.positions["market_value"].to_numpy()
        return pl.DataFrame({"ts": ts, "pnl": matrix @ weights})

    # --- VaR -------------------------------------------------------------------------

    def value_at_risk(
        self,
        confidence: float = 0.99,
        horizon: int = 1,
        method: Method = "historical",
        *,
        scaling: Scaling = "overlapping",
        interpolation: Interpolation = "linear",
        mean: bool = False,
        simulations: int = 100_000,
        seed: int = 0,
        revaluation: Revaluation = "linear",
    ) -> RiskEstimate:
        """VaR and ES of the book over ``horizon`` periods, in the base currency.

        ``historical``: quantile of the P&L the current book would have made;
        over several periods each instrument's return is compounded over the
        window (``scaling`` as in :func:`ferrox.risk.historical_var`), so the
        quantities, not the market values, are held fixed.
        ``parametric``: normal with the sample covariance of returns (mean zero
        unless ``mean``). ``monte_carlo``: ``simulations`` seeded draws from that
        normal, revalued linearly or lognormally.
        """
        check_confidence(confidence)
        ts, matrix = self.returns()
        weights = np.ascontiguousarray(self.positions["market_value"].to_numpy(), dtype=np.float64)
        if method == "historical":
            if scaling == "sqrt_time" or horizon == 1:
                est = historical_var(
                    matrix @ weights,
                    confidence,
                    horizon,
                    scaling=scaling,
                    interpolation=interpolation,
                )
                return est
            columns = [
                _core.risk_horizon_series(
                    np.ascontiguousarray(matrix[:, i]), horizon, scaling, True
                )
                for i in range(matrix.shape[1])
            ]
            pnl = np.column_stack(columns) @ weights
            one = historical_var(pnl, confidence, 1, interpolation=interpolation)
            return RiskEstimate("historical", confidence, horizon, one.var, one.es, len(pnl))
        if method not in ("parametric", "monte_carlo"):
            raise ConfigError(
                f"method: expected 'historical', 'parametric' or 'monte_carlo', got {method!r}"
            )
        columns_r = [np.ascontiguousarray(matrix[:, i]) for i in range(matrix.shape[1])]
        cov = np.ascontiguousarray(_core.risk_covariance(columns_r))
        mu = (
            np.ascontiguousarray(matrix.mean(axis=0))
            if mean
            else np.zeros(len(weights), dtype=np.float64)
        )
        if method == "parametric":
            mu_p, sigma_p = _core.risk_portfolio_moments(weights, mu, cov)
            var, es = _core.risk_parametric_var(mu_p, sigma_p, confidence, horizon)
        else:
            var, es = _core.risk_monte_carlo_var(
                weights,
                mu,
                cov,
                confidence,
                horizon,
                simulations,
                seed,
                revaluation,
                interpolation,
            )
        return RiskEstimate(method, confidence, horizon, var, es, len(ts))

    # --- stress ----------------------------------------------------------------------

    def stress(self, scenarios: Iterable[Scenario]) -> pl.DataFrame:
        """P&L per scenario (base currency): ``scenario, pnl, pnl_pct_gross``.

        A position's shock is its instrument's, else its group's, else 0.
        An instrument or group a scenario names that the book does not hold is
        an error (a typo would otherwise pass as a zero shock).
        """
        held = self.instruments
        known_groups = {self.groups.get(i, UNGROUPED) for i in held}
        values = self.positions["market_value"].to_list()
        gross = self.totals()["gross"]
        rows: list[dict[str, Any]] = []
        for scenario in scenarios:
            unknown = sorted(set(scenario.instruments) - set(held))
            if unknown:
                raise ConfigError(
                    f"scenario {scenario.name!r}: instrument {', '.join(unknown)} is not held "
                    f"(positions: {', '.join(held)})"
                )
            unknown = sorted(set(scenario.groups) - known_groups)
            if unknown:
                raise ConfigError(
                    f"scenario {scenario.name!r}: group {', '.join(unknown)} has no position "
                    f"(groups: {', '.join(sorted(known_groups))})"
                )
            pnl = 0.0
            for instrument, value in zip(held, values, strict=True):
                shock = scenario.instruments.get(
                    instrument, scenario.groups.get(self.groups.get(instrument, UNGROUPED), 0.0)
                )
                pnl += value * shock
            rows.append(
                {
                    "scenario": scenario.name,
                    "pnl": pnl,
                    "pnl_pct_gross": pnl / gross if gross else float("nan"),
                }
            )
        return pl.DataFrame(
            rows, schema={"scenario": pl.Utf8, "pnl": pl.Float64, "pnl_pct_gross": pl.Float64}
        )

    # --- benchmark and margin ------------------------------------------------------------

    def benchmark(self, benchmark: str | pl.DataFrame) -> BenchmarkStats:
        """Beta and correlation of the book's P&L with a benchmark's returns.

        ``benchmark`` is an instrument of the price history or a frame
        ``ts, return`` (per-period returns, matched on ``ts``).
        """
        pnl = self.pnl_history()
        if isinstance(benchmark, str):
            if self.prices is None:
                raise DataError("prices: a price history is needed for the benchmark")
            bench = (
                self.prices.filter(pl.col("instrument") == benchmark)
                .sort("ts")
                .select("ts", (pl.col("close") / pl.col("close").shift(1) - 1.0).alias("return"))
                .drop_nulls()
            )
            name = benchmark
            if bench.is_empty():
                raise DataError(f"benchmark: {benchmark!r} has no price history")
        else:
            bench, name = benchmark.select("ts", "return"), "benchmark"
        joined = pnl.join(bench.with_columns(pl.col("ts").cast(pl.Int64)), on="ts", how="inner")
        r = np.ascontiguousarray(joined["pnl"].to_numpy(), dtype=np.float64)
        b = np.ascontiguousarray(joined["return"].to_numpy(), dtype=np.float64)
        dollar_beta = _core.risk_beta(r, b)
        net = self.totals()["net"]
        return BenchmarkStats(
            name,
            dollar_beta / net if net else float("nan"),
            dollar_beta,
            _core.risk_correlation(r, b),
            len(r),
        )

    def margin(
        self,
        equity: float,
        rates: Mapping[str, float] | None = None,
        default_rate: float | None = None,
    ) -> MarginUsage:
        """Margin per position (``|market value| * rate``) and its use of ``equity``.

        ``rates`` maps instruments to margin rates (0.1 = 10x leverage); others
        take ``default_rate``; an instrument with neither is an error.
        """
        rates = dict(rates or {})
        unknown = sorted(set(rates) - set(self.instruments))
        if unknown:
            raise ConfigError(f"margin rates: instrument {', '.join(unknown)} is not held")
        chosen: list[float] = []
        for instrument in self.instruments:
            rate = rates.get(instrument, default_rate)
            if rate is None:
                raise ConfigError(f"margin rates: no rate for {instrument!r} and no default rate")
            if not rate >= 0.0:
                raise ConfigError(f"margin rates: {instrument!r}: rate must be >= 0, got {rate}")
            chosen.append(float(rate))
        table = self.positions.select(
            "instrument", pl.col("market_value").abs().alias("exposure")
        ).with_columns(pl.Series("rate", chosen, dtype=pl.Float64))
        table = table.with_columns((pl.col("exposure") * pl.col("rate")).alias("margin"))
        return MarginUsage(table, float(table["margin"].sum()), float(equity))


__all__ = ["BenchmarkStats", "GroupBy", "MarginUsage", "Portfolio", "Scenario"]
