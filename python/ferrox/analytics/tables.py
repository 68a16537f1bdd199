"""Calendar tables of compounded returns: by month and by year (UTC)."""

from __future__ import annotations

import polars as pl

from ferrox.analytics._inputs import SeriesLike, TimesLike, as_floats, as_times

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _dated(returns: SeriesLike, timestamps: TimesLike) -> pl.DataFrame:
    r = as_floats(returns)
    times = as_times(timestamps, r.shape[0])
    stamp = pl.from_epoch(pl.Series("ts", times), time_unit="ns")
    return pl.DataFrame({"ts": stamp, "r": r}).with_columns(
        pl.col("ts").dt.year().alias("year"), pl.col("ts").dt.month().alias("month")
    )


def _compound(column: str = "r") -> pl.Expr:
    return ((pl.col(column) + 1.0).product() - 1.0).alias("return")


def yearly_returns(returns: SeriesLike, timestamps: TimesLike) -> pl.DataFrame:
    """One row per calendar year with data: ``year`` and its compounded ``return``.

    A return belongs to the year of its timestamp (the end of its period).

    >>> day = 86_400 * 10**9
    >>> yearly_returns([0.1, 0.1], [0, 365 * day]).rows()
    [(1970, 0.10000000000000009), (1971, 0.10000000000000009)]
    """
    frame = _dated(returns, timestamps)
    return frame.group_by("year").agg(_compound()).sort("year")


def monthly_returns(returns: SeriesLike, timestamps: TimesLike) -> pl.DataFrame:
    """Years down, months across: compounded returns per calendar month, plus the year's total.

    Columns ``year``, ``Jan`` .. ``Dec`` and ``total``; a month without any
    return is null (quantstats shows 0.0 there). A return belongs to the month
    of its timestamp.

    >>> day = 86_400 * 10**9
    >>> table = monthly_returns([0.1, 0.1, -0.5], [0, day, 40 * day])
    >>> table.select("year", "Jan", "Feb", "Mar", "total").rows()
    [(1970, 0.2100000000000002, -0.5, None, -0.3949999999999999)]
    """
    frame = _dated(returns, timestamps)
    months = frame.group_by("year", "month").agg(_compound())
    wide = months.pivot(on="month", index="year", values="return")
    present = {str(m) for m in range(1, 13)} & set(wide.columns)
    columns = [
        (pl.col(str(m)) if str(m) in present else pl.lit(None, dtype=pl.Float64)).alias(name)
        for m, name in enumerate(MONTHS, start=1)
    ]
    table = wide.select(pl.col("year"), *columns)
    totals = yearly_returns(returns, timestamps).rename({"return": "total"})
    return table.join(totals, on="year", how="left").sort("year")


__all__ = ["MONTHS", "monthly_returns", "yearly_returns"]
