"""The statistics of a backtest's results folder, shared by the event engine and the
vectorised simulator so that both report the same numbers for the same run."""

from __future__ import annotations

import numpy as np
import polars as pl

from ferrox.analytics._inputs import NS_PER_YEAR, FloatArray, as_floats, as_times
from ferrox.analytics.drawdown import equity_episodes
from ferrox.analytics.performance import annual_return, sharpe_ratio, sortino_ratio, volatility
from ferrox.analytics.trades import expectancy, profit_factor, win_rate
from ferrox.errors import ConfigError, DataError

NAN = float("nan")

#: The statistics every results folder carries, in this order (``stats.json``).
STAT_NAMES = (
    "total_return",
    "annual_return",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "max_drawdown_duration_days",
    "calmar",
    "win_rate",
    "profit_factor",
    "expectancy",
    "turnover",
    "exposure",
    "trades",
)


def _require(frame: pl.DataFrame, table: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{table}: missing column(s) {', '.join(missing)}; "
            f"it has {', '.join(frame.columns) or 'none'}"
        )


def _column(frame: pl.DataFrame, table: str, name: str) -> FloatArray:
    return as_floats(frame[name], f"{table}.{name}")


def _turnover_notional(trades: pl.DataFrame, fills: pl.DataFrame | None) -> float:
    if fills is not None:
        _require(fills, "fills", ("notional",))
        return float(np.sum(np.abs(_column(fills, "fills", "notional"))))
    # Without fills, each closed round trip traded its quantity twice.
    _require(trades, "trades", ("quantity", "entry_price", "exit_price"))
    qty = np.abs(_column(trades, "trades", "quantity"))
    entry = np.abs(_column(trades, "trades", "entry_price"))
    exit_ = np.abs(_column(trades, "trades", "exit_price"))
    return float(np.sum(qty * entry + qty * exit_))


def backtest_stats(
    equity: pl.DataFrame,
    trades: pl.DataFrame,
    fills: pl.DataFrame | None = None,
    *,
    periods_per_year: float | None = None,
) -> dict[str, float]:
    """The results-folder statistics (:data:`STAT_NAMES`) of one backtest.

    ``equity`` has ``ts`` (int64 ns, strictly increasing; may be left out
    when ``periods_per_year`` is given, durations then count samples),
    ``equity`` and ``gross_exposure``; ``trades`` has ``pnl`` (and ``quantity``,
    ``entry_price``, ``exit_price`` when ``fills`` is not given); ``fills`` has
    ``notional``. Returns are the equity's change per sample; the periods per
    year come from the median sample spacing over a 365-day year unless given.
    Figures that are undefined (no trades, no variation) are NaN. Definitions:
    docs/analytics.md.

    >>> minute = 60 * 10**9
    >>> equity = pl.DataFrame({"ts": [0, minute, 2 * minute], "equity": [100.0, 99.0, 101.0],
    ...                        "gross_exposure": [0.0, 50.0, 50.0]})
    >>> trades = pl.DataFrame({"pnl": [1.0]}, schema={"pnl": pl.Float64})
    >>> fills = pl.DataFrame({"notional": [50.0, 51.0]})
    >>> stats = backtest_stats(equity, trades, fills)
    >>> stats["total_return"], stats["max_drawdown"], stats["trades"]
    (0.010000000000000009, -0.010000000000000009, 1.0)
    """
    timed = "ts" in equity.columns
    if not timed and periods_per_year is None:
        raise DataError(
            "equity: missing column ts; without timestamps give periods_per_year "
            f"(it has {', '.join(equity.columns)})"
        )
    _require(equity, "equity", ("equity", "gross_exposure"))
    _require(trades, "trades", ("pnl",))
    values = _column(equity, "equity", "equity")
    times = as_times(equity["ts"], values.shape[0], "equity.ts") if timed else None
    if values.shape[0] == 0:
        raise DataError("equity: no samples; a backtest's equity curve needs at least one")
    if (values <= 0.0).any():
        row = int(np.argmax(values <= 0.0))
        raise DataError(f"equity.equity: row {row} is {values[row]}; expected positive equity")
    if periods_per_year is not None:
        if not np.isfinite(periods_per_year) or periods_per_year <= 0:
            raise ConfigError(
                f"periods_per_year: expected a positive number, got {periods_per_year}"
            )
        periods = float(periods_per_year)
    elif times is not None and values.shape[0] >= 2:
        periods = NS_PER_YEAR / float(np.median(np.diff(times)))
    else:
        periods = NAN
    returns = np.diff(values) / values[:-1]
    pnl = _column(trades, "trades", "pnl")
    exposure = _column(equity, "equity", "gross_exposure")

    episodes = equity_episodes(values, times)
    depth = float(episodes["depth"].min()) if episodes.height else 0.0  # type: ignore[arg-type]
    if not episodes.height:
        duration = 0.0
    elif times is not None:
        duration = float(episodes["days"].max())  # type: ignore[arg-type]
    else:
        duration = float(episodes["periods"].max()) * 365.0 / periods  # type: ignore[arg-type]
    has_returns = returns.shape[0] > 0 and np.isfinite(periods)
    cagr = annual_return(returns, periods_per_year=periods) if has_returns else NAN
    mean_equity = float(np.mean(values))

    return {
        "total_return": float(values[-1] / values[0] - 1.0),
        "annual_return": cagr,
        "volatility": volatility(returns, periods_per_year=periods) if has_returns else NAN,
        "sharpe": sharpe_ratio(returns, periods_per_year=periods) if has_returns else NAN,
        "sortino": sortino_ratio(returns, periods_per_year=periods) if has_returns else NAN,
        "max_drawdown": depth,
        "max_drawdown_duration_days": duration,
        "calmar": cagr / abs(depth) if depth < 0.0 else NAN,
        "win_rate": win_rate(pnl),
        "profit_factor": profit_factor(pnl),
        "expectancy": expectancy(pnl),
        "turnover": _turnover_notional(trades, fills) / mean_equity,
        "exposure": float(np.count_nonzero(exposure > 0.0)) / exposure.shape[0],
        "trades": float(pnl.shape[0]),
    }


__all__ = ["STAT_NAMES", "backtest_stats"]
