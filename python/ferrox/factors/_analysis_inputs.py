"""Factor analysis inputs: validation, forward returns on the price calendar, quantile buckets."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import polars as pl

from ferrox.errors import ConfigError, DataError

#: Column names of the aligned frame (beside the instrument and time columns).
FACTOR, GROUP, POS, SLOT, QUANTILE = "factor", "group", "__pos", "__slot", "quantile"


def forward(h: int) -> str:
    """The name of the forward-return column at horizon ``h``."""
    return f"forward_{h}"


def check_options(horizons: Sequence[int], quantiles: int, min_instruments: int | None) -> int:
    """Validates the options; returns the minimum cross-section size."""
    if not horizons:
        raise ConfigError("horizons: expected at least one horizon, got none")
    for h in horizons:
        if isinstance(h, bool) or not isinstance(h, numbers.Integral) or h < 1:
            raise ConfigError(f"horizons: expected whole numbers of periods >= 1, got {h!r}")
    if len(set(horizons)) != len(horizons):
        raise ConfigError(f"horizons: duplicates in {list(horizons)}")
    if isinstance(quantiles, bool) or not isinstance(quantiles, int) or quantiles < 2:
        raise ConfigError(f"quantiles: expected a whole number >= 2, got {quantiles!r}")
    needed = quantiles if min_instruments is None else min_instruments
    if needed < quantiles:
        raise ConfigError(
            f"min_instruments: {needed} is fewer than the {quantiles} quantiles; every "
            "analysed time needs at least one instrument per quantile"
        )
    return needed


def _require(frame: pl.DataFrame, what: str, columns: Sequence[str]) -> None:
    for col in columns:
        if col not in frame.columns:
            raise DataError(
                f"{what}: no {col!r} column (columns: {', '.join(frame.columns) or 'none'})"
            )


def _numeric(frame: pl.DataFrame, what: str, col: str) -> None:
    dtype = frame.schema[col]
    if not (dtype.is_numeric() or dtype == pl.Boolean):
        raise DataError(f"{what}: column {col!r} must be numeric, got {dtype}")


def _no_duplicates(frame: pl.DataFrame, what: str, instrument: str, time: str) -> None:
    for col in (instrument, time):
        nulls = frame[col].is_null().arg_true()
        if not nulls.is_empty():
            raise DataError(f"{what} row {int(nulls[0])}: {col!r} is null")
    first = pl.struct(instrument, time).is_first_distinct()
    repeats = frame.select(first.not_()).to_series().arg_true()
    if repeats.is_empty():
        return
    row = int(repeats[0])
    inst, ts = frame[instrument][row], frame[time][row]
    match = (frame[instrument] == inst) & (frame[time] == ts)
    earlier = int(match.arg_true()[0])
    raise DataError(
        f"{what} row {row}: duplicate (instrument, time) ({inst!r}, {ts}) first seen at row "
        f"{earlier}; expected one row per instrument and time"
    )


def _key_dtypes(
    factors: pl.DataFrame, prices: pl.DataFrame, instrument: str, time: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Integer times of either width join as Int64; other key types must match exactly."""
    for col in (instrument, time):
        left, right = factors.schema[col], prices.schema[col]
        if left == right:
            continue
        if left.is_integer() and right.is_integer():
            factors = factors.with_columns(pl.col(col).cast(pl.Int64))
            prices = prices.with_columns(pl.col(col).cast(pl.Int64))
            continue
        raise DataError(
            f"column {col!r} is {left} in the factors but {right} in the prices; "
            "expected the same type on both sides"
        )
    tdt = factors.schema[time]
    if not (tdt.is_integer() or tdt.is_temporal()):
        raise DataError(f"time column {time!r} must be integer or temporal, got {tdt}")
    return factors, prices


def _forward_returns(
    prices: pl.DataFrame, instrument: str, time: str, price: str, horizons: Sequence[int]
) -> pl.DataFrame:
    """``price[t + h] / price[t] - 1`` per instrument, ``t + h`` counted on the price calendar."""
    bad = (prices[price] <= 0).fill_null(False).arg_true()
    if not bad.is_empty():
        row = int(bad[0])
        raise DataError(
            f"prices row {row}: {price}={prices[price][row]} for instrument "
            f"{prices[instrument][row]!r} at {time}={prices[time][row]}; expected a positive price"
        )
    inst = pl.col(instrument)
    dtype = prices.schema[instrument]
    # One int64 key per (instrument, calendar position) joins much faster than the pair.
    code = (
        inst.cast(pl.Categorical).to_physical()
        if dtype == pl.String
        else inst.to_physical()
        if dtype in (pl.Categorical, pl.Enum)
        else inst.rank("dense")
    )
    stride = prices[time].n_unique() + max(horizons) + 1
    frame = prices.select(
        instrument,
        time,
        pl.col(price).cast(pl.Float64).fill_nan(None).alias("__price"),
        (pl.col(time).rank("dense").cast(pl.Int64) - 1).alias(POS),
    ).with_columns((code.cast(pl.Int64) * stride + pl.col(POS)).alias("__key"))
    for h in horizons:
        later = frame.select(
            (pl.col("__key") - h).alias("__key"), pl.col("__price").alias("__later")
        )
        frame = frame.join(later, on="__key", how="left").select(
            pl.exclude("__later"), (pl.col("__later") / pl.col("__price") - 1.0).alias(forward(h))
        )
    frame = frame.drop("__key")
    return frame.drop("__price")


def align(
    factors: pl.DataFrame,
    prices: pl.DataFrame,
    *,
    factor: str,
    price: str,
    instrument: str,
    time: str,
    horizons: Sequence[int],
    quantiles: int,
    group: str | None,
    min_instruments: int,
) -> pl.DataFrame:
    """The analysed rows: one per instrument and time with a finite factor value.

    Columns: instrument, time, ``factor``, ``group`` (when given), ``__pos`` (the
    time's position on the price calendar, null when prices lack that time),
    ``__slot`` (the position among analysed times), ``quantile`` and one
    forward-return column per horizon; sorted by time, then instrument.
    """
    _require(factors, "factors", [instrument, time, factor])
    _require(prices, "prices", [instrument, time, price])
    _numeric(factors, "factors", factor)
    _numeric(prices, "prices", price)
    _no_duplicates(factors, "factors", instrument, time)
    _no_duplicates(prices, "prices", instrument, time)
    factors, prices = _key_dtypes(factors, prices, instrument, time)
    keep = [instrument, time, pl.col(factor).cast(pl.Float64).alias(FACTOR)]
    data = factors.select(keep).filter(pl.col(FACTOR).is_finite())
    if group is not None:
        if group in factors.columns:
            source = factors.select(instrument, time, group)
        elif group in prices.columns:
            source = prices.select(instrument, time, group)
        else:
            raise DataError(
                f"no group column {group!r} in the factors ({', '.join(factors.columns)}) "
                f"or the prices ({', '.join(prices.columns)})"
            )
        data = data.join(source.rename({group: GROUP}), on=[instrument, time], how="left")
    returns = _forward_returns(prices, instrument, time, price, horizons)
    data = data.join(returns, on=[instrument, time], how="left")
    if data.height and data[POS].null_count() == data.height:
        raise DataError(
            f"no factor time appears in the prices' {time!r} column (factors "
            f"{factors[time].min()!s}..{factors[time].max()!s}, prices "
            f"{prices[time].min()!s}..{prices[time].max()!s}); are both in the same unit?"
        )
    sizes = data.group_by(time).len()
    largest = int(sizes["len"].max() or 0) if sizes.height else 0  # type: ignore[arg-type]
    if largest < min_instruments:
        raise DataError(
            f"too few instruments per time: the largest cross-section of finite {factor!r} "
            f"values has {largest} instrument(s), expected at least {min_instruments} "
            f"(at least one per quantile; quantiles={quantiles})"
        )
    data = data.sort(time, instrument)
    keys = pl.col(time) if group is None else [pl.col(time), pl.col(GROUP)]
    data = data.filter(pl.len().over(time) >= min_instruments)
    if group is not None:
        # Group neutralisation: factor and returns relative to their group's mean at each time.
        data = data.with_columns(
            (pl.col(c) - pl.col(c).mean().over(keys))
            for c in [FACTOR, *(forward(h) for h in horizons)]
        )
    data = data.with_columns(
        (pl.col(time).rank("dense").cast(pl.Int64) - 1).alias(SLOT),
        pl.col(FACTOR).rank("ordinal").over(time).cast(pl.Int64).alias("__rank"),
        pl.len().over(time).cast(pl.Int64).alias("__n"),
    )
    # pd.qcut on the ranks 1..n, in exact integer arithmetic: rank r is above
    # edge k (of q) when r > 1 + (n - 1) k / q, i.e. q (r - 1) > (n - 1) k.
    # (pandas >= 3 computes these edges exactly; pandas 2 computed them in
    # floats and sometimes put a rank on an edge into the next bucket.)
    bucket = pl.lit(1, dtype=pl.Int32)
    for k in range(1, quantiles):
        bucket = bucket + (quantiles * (pl.col("__rank") - 1) > (pl.col("__n") - 1) * k).cast(
            pl.Int32
        )
    data = data.with_columns(bucket.alias(QUANTILE))
    order = [instrument, time, FACTOR, *([GROUP] if group else []), POS, SLOT, QUANTILE]
    return data.select(*order, *(forward(h) for h in horizons))
