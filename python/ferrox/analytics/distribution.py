"""The shape of the return distribution: tail risk, skew, kurtosis and tail ratio."""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Literal

import numpy as np

from ferrox.analytics._inputs import SeriesLike, as_floats
from ferrox.errors import ConfigError

NAN = float("nan")

VarMethod = Literal["historical", "parametric"]


def _check_confidence(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"confidence: expected a fraction between 0 and 1, got {confidence}")
    return confidence


def value_at_risk(
    returns: SeriesLike, confidence: float = 0.95, *, method: VarMethod = "historical"
) -> float:
    """The one-period return not undercut with probability ``confidence`` (negative for a loss).

    ``historical``: the ``1 - confidence`` quantile of the returns (linear
    interpolation, as numpy and pandas). ``parametric``: the same quantile of a
    normal distribution with the returns' mean and sample standard deviation.

    >>> round(value_at_risk([-0.05, -0.02, 0.0, 0.01, 0.03], confidence=0.8), 6)
    -0.026
    """
    r = as_floats(returns)
    alpha = 1.0 - _check_confidence(confidence)
    if r.shape[0] < 2:
        return NAN
    if method == "historical":
        return float(np.quantile(r, alpha))
    if method == "parametric":
        sigma = float(np.std(r, ddof=1))
        if sigma == 0.0:
            return float(np.mean(r))
        return NormalDist(float(np.mean(r)), sigma).inv_cdf(alpha)
    raise ConfigError(f"method: expected 'historical' or 'parametric', got {method!r}")


def conditional_value_at_risk(
    returns: SeriesLike, confidence: float = 0.95, *, method: VarMethod = "historical"
) -> float:
    """Expected shortfall: the mean return at or below the value at risk.

    ``historical`` averages the observed returns at or below the historical
    VaR; ``parametric`` is the normal distribution's closed form
    ``mu - sigma * pdf(ppf(alpha)) / alpha``.

    >>> round(conditional_value_at_risk([-0.05, -0.02, 0.0, 0.01, 0.03], confidence=0.8), 6)
    -0.05
    """
    r = as_floats(returns)
    alpha = 1.0 - _check_confidence(confidence)
    if r.shape[0] < 2:
        return NAN
    if method == "historical":
        cut = np.quantile(r, alpha)
        return float(np.mean(r[r <= cut]))
    if method == "parametric":
        mu, sigma = float(np.mean(r)), float(np.std(r, ddof=1))
        if sigma == 0.0:
            return mu
        unit = NormalDist()
        return mu - sigma * unit.pdf(unit.inv_cdf(alpha)) / alpha
    raise ConfigError(f"method: expected 'historical' or 'parametric', got {method!r}")


def skew(returns: SeriesLike) -> float:
    """Sample skewness, bias-corrected (adjusted Fisher-Pearson, as pandas ``Series.skew``).

    >>> round(skew([0.0, 0.0, 0.0, 1.0]), 6)
    2.0
    """
    r = as_floats(returns)
    n = r.shape[0]
    if n < 3:
        return NAN
    d = r - np.mean(r)
    m2, m3 = float(np.mean(d**2)), float(np.mean(d**3))
    if m2 == 0.0:
        return NAN
    return float(math.sqrt(n * (n - 1)) / (n - 2) * m3 / m2**1.5)


def kurtosis(returns: SeriesLike) -> float:
    """Sample excess kurtosis, bias-corrected (as pandas ``Series.kurt``; 0 for a normal).

    >>> round(kurtosis([0.0, 0.0, 0.0, 1.0]), 6)
    4.0
    """
    r = as_floats(returns)
    n = r.shape[0]
    if n < 4:
        return NAN
    d = r - np.mean(r)
    m2, m4 = float(np.mean(d**2)), float(np.mean(d**4))
    if m2 == 0.0:
        return NAN
    g2 = m4 / m2**2 - 3.0
    return float(((n + 1) * g2 + 6.0) * (n - 1) / ((n - 2) * (n - 3)))


def tail_ratio(returns: SeriesLike, cutoff: float = 0.95) -> float:
    """``|quantile(cutoff) / quantile(1 - cutoff)|``: right tail against left tail.

    >>> round(tail_ratio([-0.02, -0.01, 0.0, 0.01, 0.04], cutoff=0.75), 6)
    1.0
    """
    r = as_floats(returns)
    _check_confidence(cutoff)
    if r.shape[0] < 2:
        return NAN
    upper, lower = float(np.quantile(r, cutoff)), float(np.quantile(r, 1.0 - cutoff))
    if lower == 0.0:
        return NAN
    return abs(upper / lower)


__all__ = [
    "VarMethod",
    "conditional_value_at_risk",
    "kurtosis",
    "skew",
    "tail_ratio",
    "value_at_risk",
]
