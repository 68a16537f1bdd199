"""Drawdowns: the underwater curve, the deepest fall and how long the falls lasted."""

from __future__ import annotations

import numpy as np
import polars as pl

from ferrox.analytics._inputs import (
    NS_PER_DAY,
    FloatArray,
    IntArray,
    SeriesLike,
    TimesLike,
    as_floats,
    as_times,
    resolve_periods,
)

_EPISODE_SCHEMA = {
    "peak": pl.Int64,
    "valley": pl.Int64,
    "recovery": pl.Int64,
    "depth": pl.Float64,
    "periods": pl.Int64,
    "days": pl.Float64,
}


def _wealth(returns: FloatArray) -> FloatArray:
    # The account is worth 1.0 just before the first return, so a loss in the
    # very first period is a drawdown from that starting value.
    return np.concatenate(([1.0], np.cumprod(1.0 + returns)))


def equity_underwater(equity: FloatArray) -> FloatArray:
    """Each value's fall below the running peak of ``equity`` (0.0 at a new high, else < 0)."""
    if equity.shape[0] == 0:
        return equity.copy()
    peak = np.maximum.accumulate(equity)
    return np.asarray(equity / peak - 1.0, dtype=np.float64)


def underwater(returns: SeriesLike) -> FloatArray:
    """The drawdown curve of a returns series: one value per return, 0.0 at a new high.

    >>> underwater([0.1, -0.5, 0.5, 0.5]).round(4).tolist()
    [0.0, -0.5, -0.25, 0.0]
    """
    r = as_floats(returns)
    return equity_underwater(_wealth(r))[1:]


def max_drawdown(returns: SeriesLike) -> float:
    """The deepest drawdown as a negative fraction (0.0 when equity never fell).

    >>> round(max_drawdown([0.1, -0.5, 0.5, 0.5]), 4)
    -0.5
    """
    r = as_floats(returns)
    if r.shape[0] == 0:
        return 0.0
    return float(min(0.0, float(np.min(underwater(r)))))


def equity_episodes(equity: FloatArray, times: IntArray | None) -> pl.DataFrame:
    """Every drawdown of an equity curve, as rows of sample indices (and days when timed).

    A drawdown runs from its ``peak`` (the last sample at the high-water mark)
    through its ``valley`` to its ``recovery`` (the first sample back at the
    mark; null while still under water, when it is measured to the last sample).
    """
    dd = equity_underwater(equity)
    under = dd < 0.0
    rows: dict[str, list[int | float | None]] = {name: [] for name in _EPISODE_SCHEMA}
    n = dd.shape[0]
    i = 1
    while i < n:
        if not under[i]:
            i += 1
            continue
        peak = i - 1
        j = i
        while j < n and under[j]:
            j += 1
        recovery = j if j < n else None
        last = j if j < n else n - 1
        valley = i + int(np.argmin(dd[i:j]))
        rows["peak"].append(peak)
        rows["valley"].append(valley)
        rows["recovery"].append(recovery)
        rows["depth"].append(float(dd[valley]))
        rows["periods"].append(last - peak)
        rows["days"].append(
            None if times is None else float(times[last] - times[peak]) / NS_PER_DAY
        )
        i = j
    return pl.DataFrame(rows, schema=_EPISODE_SCHEMA)


def drawdown_periods(returns: SeriesLike, timestamps: TimesLike | None = None) -> pl.DataFrame:
    """Every drawdown of a returns series, deepest first.

    Columns: ``peak``, ``valley``, ``recovery`` (indices into the returns; -1
    is the starting value before the first return; ``recovery`` null while
    still under water), ``depth`` (negative fraction), ``periods`` (samples
    from peak to recovery or to the end) and ``days`` (from the timestamps;
    null without them). The starting value is placed one median spacing
    before the first timestamp.

    >>> drawdown_periods([0.1, -0.5, 0.5, 0.5, -0.1])["periods"].to_list()
    [3, 1]
    """
    r = as_floats(returns)
    times = None
    if timestamps is not None:
        stamps = as_times(timestamps, r.shape[0])
        step = int(np.median(np.diff(stamps))) if stamps.shape[0] > 1 else 0
        times = np.concatenate(([stamps[0] - step], stamps)) if stamps.shape[0] else stamps
    episodes = equity_episodes(_wealth(r), times)
    return episodes.with_columns(
        pl.col("peak") - 1, pl.col("valley") - 1, pl.col("recovery") - 1
    ).sort("depth", maintain_order=True)


def max_drawdown_duration(
    returns: SeriesLike,
    timestamps: TimesLike | None = None,
    *,
    periods_per_year: float | None = None,
) -> float:
    """The longest drawdown in days, peak to recovery (or to the last sample if not recovered).

    Days come from ``timestamps`` when given, else from ``periods * 365 / periods_per_year``.
    0.0 when equity never fell.

    >>> max_drawdown_duration([0.1, -0.5, 0.5, 0.5], periods_per_year=365)
    3.0
    """
    r = as_floats(returns)
    episodes = drawdown_periods(r, timestamps)
    if episodes.is_empty():
        return 0.0
    if timestamps is not None:
        return float(episodes["days"].max())  # type: ignore[arg-type]
    periods = resolve_periods(periods_per_year, None, r.shape[0])
    return float(episodes["periods"].max()) * 365.0 / periods  # type: ignore[arg-type]


__all__ = [
    "drawdown_periods",
    "equity_episodes",
    "equity_underwater",
    "max_drawdown",
    "max_drawdown_duration",
    "underwater",
]
