"""Against a benchmark: beta, alpha and the information ratio."""

from __future__ import annotations

import math

import numpy as np

from ferrox.analytics._inputs import (
    FloatArray,
    SeriesLike,
    TimesLike,
    as_floats,
    resolve_periods,
)
from ferrox.errors import DataError

NAN = float("nan")


def paired(returns: SeriesLike, benchmark: SeriesLike) -> tuple[FloatArray, FloatArray]:
    """Both series as float arrays, refused unless they are the same length."""
    r, b = as_floats(returns), as_floats(benchmark, "benchmark")
    if r.shape[0] != b.shape[0]:
        raise DataError(
            f"benchmark: expected one return per strategy return ({r.shape[0]}), "
            f"got {b.shape[0]}; align the two series on the same timestamps first"
        )
    return r, b


def alpha_beta(
    returns: SeriesLike,
    benchmark: SeriesLike,
    *,
    periods_per_year: float | None = None,
    timestamps: TimesLike | None = None,
) -> tuple[float, float]:
    """Annualised alpha and beta of ``returns`` against ``benchmark``.

    ``beta = cov(r, b) / var(b)`` (sample, ddof=1); ``alpha = (mean(r) -
    beta * mean(b)) * periods_per_year``: the regression intercept scaled to
    a year without compounding. NaN for both when the benchmark does not vary.

    >>> alpha, beta = alpha_beta([0.02, -0.01, 0.03], [0.01, -0.01, 0.01], periods_per_year=12)
    >>> round(alpha, 6), round(beta, 6)
    (0.09, 1.75)
    """
    r, b = paired(returns, benchmark)
    if r.shape[0] < 2:
        return NAN, NAN
    periods = resolve_periods(periods_per_year, timestamps, r.shape[0])
    cov = np.cov(r, b, ddof=1)
    if cov[1, 1] == 0.0:
        return NAN, NAN
    beta = float(cov[0, 1] / cov[1, 1])
    alpha = (float(np.mean(r)) - beta * float(np.mean(b))) * periods
    return alpha, beta


def information_ratio(returns: SeriesLike, benchmark: SeriesLike) -> float:
    """Per-period information ratio: ``mean(r - b) / std(r - b, ddof=1)`` (not annualised).

    Multiply by ``sqrt(periods_per_year)`` for the annual figure.

    >>> round(information_ratio([0.02, -0.01, 0.03], [0.01, -0.01, 0.01]), 6)
    1.0
    """
    r, b = paired(returns, benchmark)
    if r.shape[0] < 2:
        return NAN
    active = r - b
    std = float(np.std(active, ddof=1))
    if std == 0.0:
        return NAN
    return float(np.mean(active)) / std


def tracking_error(
    returns: SeriesLike,
    benchmark: SeriesLike,
    *,
    periods_per_year: float | None = None,
    timestamps: TimesLike | None = None,
) -> float:
    """Annualised standard deviation of the active return ``r - b``."""
    r, b = paired(returns, benchmark)
    if r.shape[0] < 2:
        return NAN
    periods = resolve_periods(periods_per_year, timestamps, r.shape[0])
    return float(np.std(r - b, ddof=1)) * math.sqrt(periods)


__all__ = ["alpha_beta", "information_ratio", "paired", "tracking_error"]
