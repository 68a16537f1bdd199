"""Value at risk and expected shortfall of one return (or P&L) series, and beta/correlation.

Every measure is computed by the Rust kernels in ``ferrox._core`` with the GIL
released. Losses come back as positive numbers: ``var=0.023`` at 99% means
"the loss over the horizon exceeds 2.3% on 1% of days".

>>> import numpy as np
>>> r = np.array([0.01, -0.02, 0.005, -0.01, 0.015, -0.03, 0.0, 0.02])
>>> round(historical_var(r, confidence=0.9).var, 6)
0.023
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from ferrox import _core
from ferrox.errors import ConfigError, DataError

Interpolation = Literal["linear", "lower", "higher", "nearest", "midpoint"]
Scaling = Literal["overlapping", "non_overlapping", "sqrt_time"]
Revaluation = Literal["linear", "lognormal"]
Method = Literal["historical", "parametric", "monte_carlo"]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RiskEstimate:
    """A VaR and expected shortfall (positive = loss) at a confidence and horizon."""

    method: str
    confidence: float
    horizon: int
    var: float
    es: float
    observations: int

    def as_dict(self) -> dict[str, float | int | str]:
        """The estimate as a JSON-ready dict."""
        return asdict(self)


def as_series(values: Sequence[float] | npt.ArrayLike, name: str = "returns") -> FloatArray:
    """``values`` as a contiguous float64 array; DataError when it is not one-dimensional."""
    array = np.ascontiguousarray(np.asarray(values, dtype=np.float64))
    if array.ndim != 1:
        raise DataError(f"{name}: expected a one-dimensional series, got shape {array.shape}")
    return array


def check_confidence(confidence: float) -> None:
    """ConfigError unless ``0 < confidence < 1``."""
    if not 0.0 < confidence < 1.0:
        raise ConfigError(
            f"confidence: expected a level strictly between 0 and 1 (e.g. 0.99), got {confidence}"
        )


def historical_var(
    returns: Sequence[float] | npt.ArrayLike,
    confidence: float = 0.99,
    horizon: int = 1,
    *,
    value: float = 1.0,
    scaling: Scaling = "overlapping",
    compound: bool = False,
    interpolation: Interpolation = "linear",
) -> RiskEstimate:
    """Historical-simulation VaR/ES of ``value`` held over ``horizon`` periods.

    ``returns`` are per-period returns (or P&L with ``value=1``). VaR is minus
    the ``1 - confidence`` quantile (numpy's ``interpolation``) of the
    ``horizon``-period P&L; ES is minus the mean of the P&L at or below it.
    ``scaling`` builds the horizon P&L from rolling windows (``overlapping``),
    disjoint blocks ending at the latest period (``non_overlapping``) or scales
    the one-period figures by ``sqrt(horizon)`` (``sqrt_time``); ``compound``
    multiplies gross returns instead of adding them.

    >>> historical_var([-0.03, 0.01, -0.01, 0.02], confidence=0.75, interpolation="lower").var
    0.03
    """
    check_confidence(confidence)
    series = as_series(returns)
    if scaling == "sqrt_time":
        var, es = _core.risk_historical_var(
            series * value, confidence, horizon, scaling, False, interpolation
        )
        count = len(series)
    else:
        sample = _core.risk_horizon_series(series, horizon, scaling, compound) * value
        var, es = _core.risk_historical_var(
            np.ascontiguousarray(sample), confidence, 1, "overlapping", False, interpolation
        )
        count = len(sample)
    return RiskEstimate("historical", confidence, horizon, var, es, count)


def _moments(series: FloatArray, mean: bool) -> tuple[float, float]:
    if len(series) < 2:
        raise DataError(f"returns: needs at least 2 observations, got {len(series)}")
    variance = float(_core.risk_covariance([series])[0])
    mu = float(series.mean()) if mean else 0.0
    return mu, variance


def parametric_var(
    returns: Sequence[float] | npt.ArrayLike,
    confidence: float = 0.99,
    horizon: int = 1,
    *,
    value: float = 1.0,
    mean: bool = False,
) -> RiskEstimate:
    """Normal (variance-covariance) VaR/ES of ``value`` held over ``horizon`` periods.

    ``sigma`` is the sample standard deviation (ddof 1) of ``returns``; with
    ``z = Phi^-1(confidence)``, ``VaR = z sigma sqrt(h) - mu h`` and
    ``ES = sigma sqrt(h) phi(z) / (1 - confidence) - mu h``, in units of ``value``. The mean
    ``mu`` is taken as zero unless ``mean=True`` (the usual short-horizon choice).

    >>> round(parametric_var([0.01, -0.01] * 50, confidence=0.99).var, 6)
    0.023381
    """
    check_confidence(confidence)
    series = as_series(returns)
    mu, variance = _moments(series, mean)
    w = np.array([value], dtype=np.float64)
    mu_p, sigma_p = _core.risk_portfolio_moments(
        w, np.array([mu], dtype=np.float64), np.array([variance], dtype=np.float64)
    )
    var, es = _core.risk_parametric_var(mu_p, sigma_p, confidence, horizon)
    return RiskEstimate("parametric", confidence, horizon, var, es, len(series))


def monte_carlo_var(
    returns: Sequence[float] | npt.ArrayLike,
    confidence: float = 0.99,
    horizon: int = 1,
    *,
    value: float = 1.0,
    mean: bool = False,
    simulations: int = 100_000,
    seed: int = 0,
    revaluation: Revaluation = "linear",
    interpolation: Interpolation = "linear",
) -> RiskEstimate:
    """Monte Carlo VaR/ES: ``simulations`` normal draws fitted to ``returns``, seeded.

    Horizon returns are drawn as ``N(muh, sigma^2 h)``; ``revaluation="lognormal"``
    treats them as log returns (P&L ``value * (exp(r) - 1)``). The same ``seed``
    gives the same result.

    >>> r = [0.01, -0.01] * 50
    >>> mc = monte_carlo_var(r, simulations=200_000, seed=1)
    >>> abs(mc.var / parametric_var(r).var - 1) < 0.02
    True
    """
    check_confidence(confidence)
    series = as_series(returns)
    mu, variance = _moments(series, mean)
    var, es = _core.risk_monte_carlo_var(
        np.array([value], dtype=np.float64),
        np.array([mu], dtype=np.float64),
        np.array([variance], dtype=np.float64),
        confidence,
        horizon,
        simulations,
        seed,
        revaluation,
        interpolation,
    )
    return RiskEstimate("monte_carlo", confidence, horizon, var, es, len(series))


def beta(
    returns: Sequence[float] | npt.ArrayLike, benchmark: Sequence[float] | npt.ArrayLike
) -> float:
    """Beta of ``returns`` to ``benchmark``: ``cov(r, b) / var(b)`` (the OLS slope).

    >>> beta([0.02, -0.04, 0.06], [0.01, -0.02, 0.03])
    2.0
    """
    return _core.risk_beta(as_series(returns), as_series(benchmark, "benchmark"))


def correlation(
    returns: Sequence[float] | npt.ArrayLike, benchmark: Sequence[float] | npt.ArrayLike
) -> float:
    """Pearson correlation of ``returns`` with ``benchmark``.

    >>> round(correlation([1.0, 2.0, 3.0], [3.0, 2.0, 1.0]), 12)
    -1.0
    """
    return _core.risk_correlation(as_series(returns), as_series(benchmark, "benchmark"))


def covariance(columns: Sequence[FloatArray]) -> FloatArray:
    """Sample covariance matrix (ddof 1) of equal-length return columns.

    >>> covariance([np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0])]).tolist()
    [[1.0, 2.0], [2.0, 4.0]]
    """
    cols = [as_series(c) for c in columns]
    flat = _core.risk_covariance(cols)
    return flat.reshape(len(cols), len(cols))


__all__ = [
    "Interpolation",
    "Method",
    "Revaluation",
    "RiskEstimate",
    "Scaling",
    "beta",
    "correlation",
    "covariance",
    "historical_var",
    "monte_carlo_var",
    "parametric_var",
]
