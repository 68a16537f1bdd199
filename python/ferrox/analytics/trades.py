"""Per-trade figures over closed round trips' PnL (net of fees, in account currency)."""

from __future__ import annotations

import numpy as np

from ferrox.analytics._inputs import SeriesLike, as_floats

NAN = float("nan")


def win_rate(pnl: SeriesLike) -> float:
    """Winning trades (PnL > 0) over all trades, break-even ones included (NaN without trades).

    >>> win_rate([10.0, -5.0, 0.0, 2.0])
    0.5
    """
    p = as_floats(pnl, "pnl")
    if p.shape[0] == 0:
        return NAN
    return float(np.count_nonzero(p > 0.0)) / float(p.shape[0])


def profit_factor(pnl: SeriesLike) -> float:
    """Gross profit over gross loss (``inf`` with profits and no loss, NaN with neither).

    >>> profit_factor([10.0, -5.0, 0.0, 2.0])
    2.4
    """
    p = as_floats(pnl, "pnl")
    gains = float(np.sum(p[p > 0.0]))
    losses = -float(np.sum(p[p < 0.0]))
    if losses == 0.0:
        return float("inf") if gains > 0.0 else NAN
    return gains / losses


def expectancy(pnl: SeriesLike) -> float:
    """Mean PnL per trade: what one more trade is expected to earn (NaN without trades).

    >>> expectancy([10.0, -5.0, 0.0, 2.0])
    1.75
    """
    p = as_floats(pnl, "pnl")
    if p.shape[0] == 0:
        return NAN
    return float(np.mean(p))


__all__ = ["expectancy", "profit_factor", "win_rate"]
