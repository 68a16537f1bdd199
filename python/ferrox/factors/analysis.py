"""Factor analysis in the manner of alphalens: IC, quantile returns, spreads, turnover.

:func:`analyze` lines a factor up with forward returns from a price panel and
measures how well it ranks the instruments at each time. Everything is polars;
the definitions (and where they differ from alphalens) are in
``docs/factors.md``, section "Factor analysis".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ferrox.factors._analysis_inputs import (
    FACTOR,
    POS,
    QUANTILE,
    SLOT,
    align,
    check_options,
    forward,
)


def _stats(values: pl.Expr, prefix: str) -> list[pl.Expr]:
    """Mean, sample std, mean/std and the t statistic of a series (nulls skipped)."""
    mean, std, n = values.mean(), values.std(ddof=1), values.count()
    ok = (std > 0) & (n >= 2)
    return [
        n.cast(pl.Int64).alias(f"{prefix}periods"),
        mean.alias(f"{prefix}mean"),
        std.alias(f"{prefix}std"),
        pl.when(ok).then(mean / std).alias(f"{prefix}ir"),
        pl.when(ok).then(mean / std * n.cast(pl.Float64).sqrt()).alias(f"{prefix}t"),
    ]


@dataclass(frozen=True, slots=True)
class FactorAnalysis:
    """What :func:`analyze` measured; every table is a polars DataFrame.

    The per-time tables have the panel's time column; missing values are null.
    """

    factor: str
    """The analysed factor column."""
    instrument: str
    """The instrument column's name."""
    time: str
    """The time column's name."""
    horizons: tuple[int, ...]
    """Forward-return horizons, in periods of the price calendar."""
    quantiles: int
    """Number of quantile buckets."""
    group: str | None
    """The group column used for neutralisation, if any."""
    data: pl.DataFrame
    """Analysed rows: instrument, time, ``factor``, [``group``], ``quantile``, ``forward_<h>``."""
    ic: pl.DataFrame
    """Per time and horizon: ``n`` pairs, Pearson ``ic`` and Spearman ``rank_ic``."""
    ic_summary: pl.DataFrame
    """Per horizon: periods, mean, std, IR and t of the IC and of the rank IC."""
    quantile_returns: pl.DataFrame
    """Per time, horizon and quantile: ``names`` with a return and their ``mean_return``."""
    quantile_summary: pl.DataFrame
    """Per horizon and quantile: periods, mean, std, IR and t of the per-time mean returns."""
    spread: pl.DataFrame
    """Per time and horizon: top-minus-bottom ``spread`` and its ``cumulative`` growth."""
    spread_summary: pl.DataFrame
    """Per horizon: periods, mean, std, IR and t of the spread; final cumulative growth."""
    autocorrelation: pl.DataFrame
    """Per time: ``names`` in both cross-sections and the lag-1 ``rank_autocorrelation``."""
    turnover: pl.DataFrame
    """Per time and quantile: share of the bucket's names new to it since the previous time."""
    turnover_summary: pl.DataFrame
    """Per quantile: mean turnover."""

    @property
    def decay(self) -> pl.DataFrame:
        """Mean IC and mean rank IC by horizon (how fast the signal fades)."""
        return self.ic_summary.select("horizon", "ic_mean", "rank_ic_mean")

    def to_html(self, *, title: str | None = None) -> str:
        """The analysis as a self-contained HTML report (tables and inline SVG charts)."""
        # Imported here: the charts pull in ferrox.report, which plain analysis does not need.
        from ferrox.factors._analysis_report import render_factor_report

        return render_factor_report(self, title=title)

    def write_report(self, path: str | Path, *, title: str | None = None) -> Path:
        """Writes :meth:`to_html` to ``path`` atomically; returns the path."""
        from ferrox.factors._analysis_report import write_factor_report

        return write_factor_report(self, path, title=title)

    def summary(self) -> dict[str, Any]:
        """The summary tables as plain JSON-ready values (None where undefined)."""

        def rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
            return [
                {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                 for k, v in row.items()}
                for row in frame.iter_rows(named=True)
            ]  # fmt: skip

        autocorr = self.autocorrelation["rank_autocorrelation"].mean()
        return {
            "factor": self.factor,
            "horizons": list(self.horizons),
            "quantiles": self.quantiles,
            "group": self.group,
            "instruments": self.data[self.instrument].n_unique(),
            "times": self.data[self.time].n_unique(),
            "rows": self.data.height,
            "ic": rows(self.ic_summary),
            "quantile_returns": rows(self.quantile_summary),
            "spread": rows(self.spread_summary),
            "turnover": rows(self.turnover_summary),
            "rank_autocorrelation_mean": autocorr,
        }


def _ic(data: pl.DataFrame, time: str, horizons: Sequence[int], needed: int) -> pl.DataFrame:
    times = data.select(time).unique(maintain_order=True)
    parts = []
    for h in horizons:
        ret = forward(h)
        pairs = data.filter(pl.col(ret).is_not_null()).select(
            time,
            FACTOR,
            ret,
            pl.col(FACTOR).rank("average").over(time).alias("__fr"),
            pl.col(ret).rank("average").over(time).alias("__rr"),
        )
        per_time = pairs.group_by(time).agg(
            pl.len().alias("n"),
            pl.corr(FACTOR, ret).alias("ic"),
            pl.corr("__fr", "__rr").alias("rank_ic"),
        )
        enough = pl.col("n") >= needed
        parts.append(
            times.join(per_time, on=time, how="left").select(
                time,
                pl.lit(h, dtype=pl.Int64).alias("horizon"),
                pl.col("n").fill_null(0).cast(pl.Int64),
                *(
                    pl.when(enough).then(pl.col(c).fill_nan(None)).alias(c)
                    for c in ("ic", "rank_ic")
                ),
            )
        )
    return pl.concat(parts)


def _quantile_returns(data: pl.DataFrame, time: str, horizons: Sequence[int]) -> pl.DataFrame:
    parts = [
        data.group_by(time, QUANTILE)
        .agg(
            pl.col(forward(h)).count().cast(pl.Int64).alias("names"),
            pl.col(forward(h)).mean().alias("mean_return"),
        )
        .select(time, pl.lit(h, dtype=pl.Int64).alias("horizon"), QUANTILE, "names", "mean_return")
        for h in horizons
    ]
    return pl.concat(parts).sort("horizon", time, QUANTILE)


def _spread(
    data: pl.DataFrame, by_time: pl.DataFrame, time: str, horizons: Sequence[int], quantiles: int
) -> pl.DataFrame:
    """Top minus bottom bucket per time, and its growth held ``h`` periods at a time.

    The curve rebalances every ``h``-th period of the price calendar, starting at
    the first analysed time, so the holding periods do not overlap; a rebalance
    without a spread (no forward returns yet) leaves the curve flat.
    """
    calendar = data.group_by(time).agg(pl.col(POS).first()).sort(time)
    first = calendar[POS].drop_nulls()
    start = int(first[0]) if first.len() else 0
    parts = []
    for h in horizons:
        ends = by_time.filter(pl.col("horizon") == h).pivot(
            on=QUANTILE, index=time, values="mean_return"
        )
        top, bottom = str(quantiles), "1"
        frame = calendar.join(ends, on=time, how="left").sort(time)
        spread = (
            (pl.col(top) - pl.col(bottom))
            if top in frame.columns and bottom in frame.columns
            else pl.lit(None, dtype=pl.Float64)
        )
        rebalance = ((pl.col(POS) - start) % h == 0).fill_null(False)
        frame = frame.with_columns(spread.alias("spread"))
        parts.append(
            frame.select(
                time,
                pl.lit(h, dtype=pl.Int64).alias("horizon"),
                "spread",
                pl.when(rebalance)
                .then(1.0 + pl.col("spread").fill_null(0.0))
                .otherwise(1.0)
                .cum_prod()
                .alias("cumulative"),
            )
        )
    return pl.concat(parts)


def _autocorrelation(data: pl.DataFrame, instrument: str, time: str) -> pl.DataFrame:
    ranks = data.select(
        instrument, time, SLOT, pl.col(FACTOR).rank("average").over(time).alias("__rank")
    )
    previous = ranks.select(
        instrument, (pl.col(SLOT) + 1).alias(SLOT), pl.col("__rank").alias("__before")
    )
    pairs = ranks.join(previous, on=[instrument, SLOT], how="inner")
    per_time = pairs.group_by(SLOT).agg(
        pl.len().cast(pl.Int64).alias("names"),
        pl.corr("__rank", "__before").alias("rank_autocorrelation"),
    )
    times = data.group_by(SLOT).agg(pl.col(time).first())
    return (
        times.join(per_time, on=SLOT, how="left")
        .sort(SLOT)
        .select(
            time,
            pl.col("names").fill_null(0),
            pl.when(pl.col("names") >= 2)
            .then(pl.col("rank_autocorrelation").fill_nan(None))
            .alias("rank_autocorrelation"),
        )
    )


def _turnover(data: pl.DataFrame, instrument: str, time: str) -> pl.DataFrame:
    previous = data.select(
        instrument, (pl.col(SLOT) + 1).alias(SLOT), pl.col(QUANTILE).alias("__before")
    )
    joined = data.select(instrument, time, SLOT, QUANTILE).join(
        previous, on=[instrument, SLOT], how="left"
    )
    new = (pl.col("__before") != pl.col(QUANTILE)).fill_null(True)
    return (
        joined.group_by(time, SLOT, QUANTILE)
        .agg(new.mean().alias("turnover"))
        .with_columns(pl.when(pl.col(SLOT) > 0).then(pl.col("turnover")).alias("turnover"))
        .sort(time, QUANTILE)
        .select(time, QUANTILE, "turnover")
    )


def analyze(
    factors: pl.DataFrame,
    prices: pl.DataFrame,
    *,
    factor: str,
    price: str = "close",
    horizons: Sequence[int] = (1, 5, 10),
    quantiles: int = 5,
    group: str | None = None,
    instrument: str = "instrument",
    time: str = "ts",
    min_instruments: int | None = None,
) -> FactorAnalysis:
    """Measures how well ``factor`` ranks instruments by their forward returns.

    ``factors`` holds one row per instrument and time with the ``factor``
    column (e.g. the output of :func:`ferrox.factors.compute`); ``prices``
    holds one row per instrument and time with ``price`` (e.g. the panel).
    The forward return at horizon ``h`` is ``price[t + h] / price[t] - 1``,
    ``t + h`` counted on the price calendar (every distinct time of
    ``prices``); it is missing when either price is. A time is analysed when
    at least ``min_instruments`` (default ``quantiles``) instruments have a
    finite factor value there. ``group`` names a column (of either frame)
    whose groups the factor and the returns are demeaned within, per time.

    >>> import polars as pl
    >>> from ferrox.factors.analysis import analyze
    >>> panel = pl.DataFrame({
    ...     "instrument": ["A", "B", "C"] * 3,
    ...     "ts": [0, 0, 0, 1, 1, 1, 2, 2, 2],
    ...     "close": [10.0, 10.0, 10.0, 11.0, 10.0, 9.0, 12.0, 10.0, 8.0],
    ...     "signal": [3.0, 2.0, 1.0] * 3,
    ... })
    >>> result = analyze(panel, panel, factor="signal", horizons=[1], quantiles=3)
    >>> result.ic_summary["rank_ic_mean"].to_list()
    [1.0]
    """
    needed = check_options(horizons, quantiles, min_instruments)
    horizons = [int(h) for h in horizons]
    data = align(
        factors,
        prices,
        factor=factor,
        price=price,
        instrument=instrument,
        time=time,
        horizons=horizons,
        quantiles=quantiles,
        group=group,
        min_instruments=needed,
    )
    ic = _ic(data, time, horizons, needed)
    ic_summary = ic.group_by("horizon", maintain_order=True).agg(
        *_stats(pl.col("ic"), "ic_"), *_stats(pl.col("rank_ic"), "rank_ic_")[1:]
    )
    ic_summary = ic_summary.rename({"ic_periods": "periods"})
    by_time = _quantile_returns(data, time, horizons)
    quantile_summary = (
        by_time.group_by("horizon", QUANTILE)
        .agg(*_stats(pl.col("mean_return"), ""))
        .sort("horizon", QUANTILE)
    )
    spread = _spread(data, by_time, time, horizons, quantiles)
    spread_summary = spread.group_by("horizon", maintain_order=True).agg(
        *_stats(pl.col("spread"), ""), pl.col("cumulative").last()
    )
    turnover = _turnover(data, instrument, time)
    return FactorAnalysis(
        factor=factor,
        instrument=instrument,
        time=time,
        horizons=tuple(horizons),
        quantiles=quantiles,
        group=group,
        data=data.drop(POS, SLOT),
        ic=ic,
        ic_summary=ic_summary,
        quantile_returns=by_time,
        quantile_summary=quantile_summary,
        spread=spread,
        spread_summary=spread_summary,
        autocorrelation=_autocorrelation(data, instrument, time),
        turnover=turnover,
        turnover_summary=turnover.group_by(QUANTILE)
        .agg(pl.col("turnover").mean().alias("mean_turnover"))
        .sort(QUANTILE),
    )


__all__ = ["FactorAnalysis", "analyze"]
