"""One call for the whole set of figures over a returns series."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ferrox.analytics._inputs import SeriesLike, TimesLike, as_floats, as_times, resolve_periods
from ferrox.analytics.benchmark import alpha_beta, information_ratio
from ferrox.analytics.distribution import (
    conditional_value_at_risk,
    kurtosis,
    skew,
    tail_ratio,
    value_at_risk,
)
from ferrox.analytics.drawdown import max_drawdown, max_drawdown_duration
from ferrox.analytics.performance import (
    annual_return,
    calmar_ratio,
    omega_ratio,
    sharpe_ratio,
    sortino_ratio,
    total_return,
    volatility,
)
from ferrox.analytics.trades import expectancy, profit_factor, win_rate

NAN = float("nan")


@dataclass(frozen=True, slots=True)
class Summary:
    """The quantstats-style figures of one returns series (NaN where a figure is undefined)."""

    periods: int
    periods_per_year: float
    total_return: float
    annual_return: float
    volatility: float
    sharpe: float
    sortino: float
    calmar: float
    omega: float
    max_drawdown: float
    max_drawdown_duration_days: float
    value_at_risk: float
    conditional_value_at_risk: float
    skew: float
    kurtosis: float
    tail_ratio: float
    best: float
    worst: float
    alpha: float = NAN
    beta: float = NAN
    information_ratio: float = NAN
    win_rate: float = NAN
    profit_factor: float = NAN
    expectancy: float = NAN

    def as_dict(self) -> dict[str, float]:
        """The figures by name, as floats."""
        return {f.name: float(getattr(self, f.name)) for f in dataclasses.fields(self)}


def summarize(
    returns: SeriesLike,
    timestamps: TimesLike | None = None,
    *,
    periods_per_year: float | None = None,
    risk_free: float = 0.0,
    benchmark: SeriesLike | None = None,
    pnl: SeriesLike | None = None,
    confidence: float = 0.95,
) -> Summary:
    """Every figure of :mod:`ferrox.analytics` over ``returns``.

    ``benchmark`` (returns on the same timestamps) adds alpha, beta and the
    information ratio; ``pnl`` (one value per closed trade) adds win rate,
    profit factor and expectancy. VaR and CVaR are historical at ``confidence``.

    >>> s = summarize([0.01, -0.02, 0.03, 0.0], periods_per_year=365)
    >>> round(s.total_return, 6), round(s.max_drawdown, 6)
    (0.019494, -0.02)
    """
    r = as_floats(returns)
    times = None if timestamps is None else as_times(timestamps, r.shape[0])
    periods = resolve_periods(periods_per_year, times, r.shape[0])
    extra: dict[str, float] = {}
    if benchmark is not None:
        alpha, beta = alpha_beta(r, benchmark, periods_per_year=periods)
        extra.update(alpha=alpha, beta=beta, information_ratio=information_ratio(r, benchmark))
    if pnl is not None:
        extra.update(win_rate=win_rate(pnl), profit_factor=profit_factor(pnl))
        extra.update(expectancy=expectancy(pnl))
    return Summary(
        periods=r.shape[0],
        periods_per_year=periods,
        total_return=total_return(r),
        annual_return=annual_return(r, periods_per_year=periods),
        volatility=volatility(r, periods_per_year=periods),
        sharpe=sharpe_ratio(r, risk_free=risk_free, periods_per_year=periods),
        sortino=sortino_ratio(r, risk_free=risk_free, periods_per_year=periods),
        calmar=calmar_ratio(r, periods_per_year=periods),
        omega=omega_ratio(r, risk_free=risk_free, periods_per_year=periods),
        max_drawdown=max_drawdown(r),
        max_drawdown_duration_days=max_drawdown_duration(r, times, periods_per_year=periods),
        value_at_risk=value_at_risk(r, confidence),
        conditional_value_at_risk=conditional_value_at_risk(r, confidence),
        skew=skew(r),
        kurtosis=kurtosis(r),
        tail_ratio=tail_ratio(r),
        best=float(r.max()) if r.shape[0] else NAN,
        worst=float(r.min()) if r.shape[0] else NAN,
        **extra,
    )


__all__ = ["Summary", "summarize"]
