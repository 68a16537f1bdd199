"""Performance analytics: the quantstats/empyrical set over a series of returns.

Inputs are simple per-period returns as a numpy array, a polars Series or a
list; timestamps (int64 ns UTC) are optional and, when given, set the
periods per year (365-day year) unless ``periods_per_year`` is passed.
Results are floats, numpy arrays (rolling figures, the underwater curve) or
polars tables (drawdown periods, monthly and yearly returns). Definitions and
how they differ from quantstats: docs/analytics.md.

>>> import numpy as np
>>> from ferrox import analytics
>>> returns = np.array([0.01, -0.02, 0.015, 0.003])
>>> round(analytics.sharpe_ratio(returns, periods_per_year=365), 4)
2.4699
>>> round(analytics.max_drawdown(returns), 6)
-0.02
"""

from __future__ import annotations

from ferrox.analytics._inputs import (
    NS_PER_DAY,
    NS_PER_YEAR,
    SeriesLike,
    TimesLike,
    infer_periods_per_year,
)
from ferrox.analytics.backtest import STAT_NAMES, backtest_stats
from ferrox.analytics.benchmark import alpha_beta, information_ratio, tracking_error
from ferrox.analytics.distribution import (
    conditional_value_at_risk,
    kurtosis,
    skew,
    tail_ratio,
    value_at_risk,
)
from ferrox.analytics.drawdown import (
    drawdown_periods,
    max_drawdown,
    max_drawdown_duration,
    underwater,
)
from ferrox.analytics.performance import (
    annual_return,
    calmar_ratio,
    cumulative_returns,
    downside_deviation,
    omega_ratio,
    returns_from_equity,
    sharpe_ratio,
    sortino_ratio,
    total_return,
    volatility,
)
from ferrox.analytics.rolling import rolling_beta, rolling_sharpe, rolling_volatility
from ferrox.analytics.summary import Summary, summarize
from ferrox.analytics.tables import MONTHS, monthly_returns, yearly_returns
from ferrox.analytics.trades import expectancy, profit_factor, win_rate

__all__ = [
    "MONTHS",
    "NS_PER_DAY",
    "NS_PER_YEAR",
    "STAT_NAMES",
    "SeriesLike",
    "Summary",
    "TimesLike",
    "alpha_beta",
    "annual_return",
    "backtest_stats",
    "calmar_ratio",
    "conditional_value_at_risk",
    "cumulative_returns",
    "downside_deviation",
    "drawdown_periods",
    "expectancy",
    "infer_periods_per_year",
    "information_ratio",
    "kurtosis",
    "max_drawdown",
    "max_drawdown_duration",
    "monthly_returns",
    "omega_ratio",
    "profit_factor",
    "returns_from_equity",
    "rolling_beta",
    "rolling_sharpe",
    "rolling_volatility",
    "sharpe_ratio",
    "skew",
    "sortino_ratio",
    "summarize",
    "tail_ratio",
    "total_return",
    "tracking_error",
    "underwater",
    "value_at_risk",
    "volatility",
    "win_rate",
    "yearly_returns",
]
