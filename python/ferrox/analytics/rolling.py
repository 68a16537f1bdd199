"""Rolling windows: Sharpe, volatility and beta over the last ``window`` returns.

Each result has one value per return; the first ``window - 1`` are NaN.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from ferrox.analytics._inputs import (
    FloatArray,
    SeriesLike,
    TimesLike,
    as_floats,
    per_period_rate,
    resolve_periods,
)
from ferrox.analytics.benchmark import paired
from ferrox.errors import ConfigError


def _check_window(window: int) -> int:
    if isinstance(window, bool) or not isinstance(window, int) or window < 2:
        raise ConfigError(f"window: expected a whole number of returns >= 2, got {window!r}")
    return window


def _to_numpy(series: pl.Series) -> FloatArray:
    return series.fill_null(float("nan")).to_numpy().astype(np.float64, copy=False)


def rolling_volatility(
    returns: SeriesLike,
    window: int,
    *,
    periods_per_year: float | None = None,
    timestamps: TimesLike | None = None,
) -> FloatArray:
    """Annualised standard deviation (ddof=1) of each trailing window.

    >>> rolling_volatility([0.01, -0.01, 0.01], 2, periods_per_year=1).round(6).tolist()
    [nan, 0.014142, 0.014142]
    """
    r = as_floats(returns)
    periods = resolve_periods(periods_per_year, timestamps, r.shape[0])
    std = pl.Series(r).rolling_std(_check_window(window), min_samples=window)
    return _to_numpy(std) * math.sqrt(periods)


def rolling_sharpe(
    returns: SeriesLike,
    window: int,
    *,
    risk_free: float = 0.0,
    periods_per_year: float | None = None,
    timestamps: TimesLike | None = None,
) -> FloatArray:
    """Annualised Sharpe ratio of each trailing window (NaN where the window does not vary).

    >>> rolling_sharpe([0.01, 0.03, 0.02], 2, periods_per_year=1).round(6).tolist()
    [nan, 1.414214, 3.535534]
    """
    r = as_floats(returns)
    periods = resolve_periods(periods_per_year, timestamps, r.shape[0])
    if risk_free:
        r = r - per_period_rate(risk_free, periods)
    s = pl.Series(r)
    w = _check_window(window)
    mean = _to_numpy(s.rolling_mean(w, min_samples=w))
    std = _to_numpy(s.rolling_std(w, min_samples=w))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(std > 0.0, mean / std, np.nan)
    return np.asarray(ratio * math.sqrt(periods), dtype=np.float64)


def rolling_beta(returns: SeriesLike, benchmark: SeriesLike, window: int) -> FloatArray:
    """``cov(r, b) / var(b)`` of each trailing window (NaN where the benchmark is flat).

    >>> rolling_beta([0.02, -0.01, 0.03], [0.01, -0.01, 0.01], 2).round(6).tolist()
    [nan, 1.5, 2.0]
    """
    r, b = paired(returns, benchmark)
    w = _check_window(window)
    frame = pl.DataFrame({"r": r, "b": b})
    moments = frame.select(
        pl.rolling_cov("r", "b", window_size=w, min_samples=w).alias("cov"),
        pl.col("b").rolling_var(w, min_samples=w).alias("var"),
    )
    cov, var = _to_numpy(moments["cov"]), _to_numpy(moments["var"])
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = np.where(var > 0.0, cov / var, np.nan)
    return np.asarray(beta, dtype=np.float64)


__all__ = ["rolling_beta", "rolling_sharpe", "rolling_volatility"]
