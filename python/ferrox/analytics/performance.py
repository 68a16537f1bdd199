"""Return and risk-adjusted figures over a series of simple per-period returns.

Definitions follow quantstats (see docs/analytics.md): sample standard
deviation (ddof=1), an annual risk-free rate turned into a per-period rate by
compounding, and years counted as ``len(returns) / periods_per_year``.
"""

from __future__ import annotations

import math

import numpy as np

from ferrox.analytics._inputs import (
    FloatArray,
    SeriesLike,
    TimesLike,
    as_floats,
    per_period_rate,
    resolve_periods,
)
from ferrox.analytics.drawdown import max_drawdown
from ferrox.errors import DataError

NAN = float("nan")


def _excess(returns: FloatArray, risk_free: float, periods: float) -> FloatArray:
    if risk_free == 0.0:
        return returns
    return returns - per_period_rate(risk_free, periods)


def returns_from_equity(equity: SeriesLike) -> FloatArray:
    """Simple returns between consecutive equity values (one fewer than the values).

    >>> returns_from_equity([100.0, 110.0, 99.0]).round(6).tolist()
    [0.1, -0.1]
    """
    values = as_floats(equity, "equity")
    if values.shape[0] and (values <= 0).any():
        row = int(np.argmax(values <= 0))
        raise DataError(f"equity: row {row} is {values[row]}; returns need positive equity")
    return np.diff(values) / values[:-1]


def cumulative_returns(returns: SeriesLike) -> FloatArray:
    """Compounded return from the start to each period: ``prod(1 + r) - 1``.

    >>> cumulative_returns([0.1, -0.1]).round(6).tolist()
    [0.1, -0.01]
    """
    r = as_floats(returns)
    return np.asarray(np.cumprod(1.0 + r) - 1.0, dtype=np.float64)


def total_return(returns: SeriesLike) -> float:
    """Compounded return over the whole series (0.0 for an empty one).

    >>> round(total_return([0.1, -0.1]), 6)
    -0.01
    """
    r = as_floats(returns)
    return float(np.prod(1.0 + r) - 1.0)


def annual_return(
    returns: SeriesLike,
    *,
    periods_per_year: float | None = None,
    timestamps: TimesLike | None = None,
) -> float:
    """Compound annual growth rate (CAGR): ``(1 + total) ** (1 / years) - 1``.

    ``years`` is the number of returns divided by ``periods_per_year``.

    >>> round(annual_return([0.01] * 12, periods_per_year=12), 6)
    0.126825
    """
    r = as_floats(returns)
    if r.shape[0] == 0:
        return NAN
    periods = resolve_periods(periods_per_year, timestamps, r.shape[0])
    wealth = float(np.prod(1.0 + r))
    if wealth <= 0:
        return -1.0
    try:
        return math.pow(wealth, periods / r.shape[0]) - 1.0
    except OverflowError:
        # A short, profitable sample compounded to a year exceeds any float.
        return math.inf


def volatility(
    returns: SeriesLike,
    *,
    periods_per_year: float | None = None,
    timestamps: TimesLike | None = None,
) -> float:
    """Annualised standard deviation: ``std(r, ddof=1) * sqrt(periods_per_year)``.

    >>> round(volatility([0.01, -0.01, 0.01, -0.01], periods_per_year=365), 6)
    0.220605
    """
    r = as_floats(returns)
    if r.shape[0] < 2:
        return NAN
    periods = resolve_periods(periods_per_year, timestamps, r.shape[0])
    return float(np.std(r, ddof=1) * math.sqrt(periods))


def sharpe_ratio(
    returns: SeriesLike,
    *,
    risk_free: float = 0.0,
    periods_per_year: float | None = None,
    timestamps: TimesLike | None = None,
) -> float:
    """Annualised Sharpe ratio: ``mean(excess) / std(excess, ddof=1) * sqrt(periods_per_year)``.

    ``risk_free`` is an annual rate; each period's share is ``(1 + rf) ** (1 / ppy) - 1``.
    NaN when there are fewer than two returns or they do not vary.

    >>> round(sharpe_ratio([0.02, -0.01, 0.03, 0.0], periods_per_year=252), 4)
    8.6948
    """
    r = as_floats(returns)
    if r.shape[0] < 2:
        return NAN
    periods = resolve_periods(periods_per_year, timestamps, r.shape[0])
    excess = _excess(r, risk_free, periods)
    std = float(np.std(excess, ddof=1))
    if std == 0.0:
        return NAN
    return float(np.mean(excess) / std * math.sqrt(periods))


def downside_deviation(returns: FloatArray) -> float:
    """Root mean square of the negative returns over all periods (Red Rock Capital's form)."""
    if returns.shape[0] == 0:
        return NAN
    losses = np.minimum(returns, 0.0)
    return float(math.sqrt(float(np.sum(losses * losses)) / returns.shape[0]))


def sortino_ratio(
    returns: SeriesLike,
    *,
    risk_free: float = 0.0,
    periods_per_year: float | None = None,
    timestamps: TimesLike | None = None,
) -> float:
    """Annualised Sortino ratio: ``mean(excess) / downside_deviation(excess) * sqrt(ppy)``.

    The downside deviation divides the squared losses by *all* periods, not
    only the losing ones. NaN when no period lost.

    >>> round(sortino_ratio([0.02, -0.01, 0.03, 0.0], periods_per_year=252), 4)
    31.749
    """
    r = as_floats(returns)
    if r.shape[0] == 0:
        return NAN
    periods = resolve_periods(periods_per_year, timestamps, r.shape[0])
    excess = _excess(r, risk_free, periods)
    downside = downside_deviation(excess)
    if downside == 0.0:
        return NAN
    return float(np.mean(excess) / downside * math.sqrt(periods))


def calmar_ratio(
    returns: SeriesLike,
    *,
    periods_per_year: float | None = None,
    timestamps: TimesLike | None = None,
) -> float:
    """CAGR divided by the magnitude of the maximum drawdown (NaN without a drawdown).

    >>> round(calmar_ratio([0.1, -0.05, 0.1], periods_per_year=3), 4)
    2.99
    """
    r = as_floats(returns)
    depth = max_drawdown(r)
    if depth == 0.0 or r.shape[0] == 0:
        return NAN
    cagr = annual_return(r, periods_per_year=periods_per_year, timestamps=timestamps)
    return cagr / abs(depth)


def omega_ratio(
    returns: SeriesLike,
    *,
    required_return: float = 0.0,
    risk_free: float = 0.0,
    periods_per_year: float | None = None,
    timestamps: TimesLike | None = None,
) -> float:
    """Omega ratio: gains above a threshold over losses below it (sums of excess over it).

    ``required_return`` is annual and compounded down to one period, as is
    ``risk_free``. NaN when nothing falls below the threshold.

    >>> round(omega_ratio([0.02, -0.01, 0.03, -0.02], periods_per_year=252), 6)
    1.666667
    """
    r = as_floats(returns)
    if r.shape[0] < 2:
        return NAN
    periods = resolve_periods(periods_per_year, timestamps, r.shape[0])
    threshold = per_period_rate(required_return, periods)
    above = _excess(r, risk_free, periods) - threshold
    gains = float(np.sum(above[above > 0.0]))
    losses = -float(np.sum(above[above < 0.0]))
    if losses <= 0.0:
        return NAN
    return gains / losses


__all__ = [
    "annual_return",
    "calmar_ratio",
    "cumulative_returns",
    "downside_deviation",
    "omega_ratio",
    "returns_from_equity",
    "sharpe_ratio",
    "sortino_ratio",
    "total_return",
    "volatility",
]
