"""Turning what users hand in (numpy, polars, lists) into checked float and ns arrays."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import polars as pl

from ferrox.errors import ConfigError, DataError

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]

#: A series of returns (or PnL): a numpy array, a polars Series or a plain sequence of floats.
SeriesLike: TypeAlias = pl.Series | npt.ArrayLike
#: Timestamps: int64 ns since the epoch (UTC), numpy ``datetime64`` or a polars Datetime Series.
TimesLike: TypeAlias = pl.Series | npt.ArrayLike

#: A 365-day year: crypto trades every day, so no exchange calendar thins it.
NS_PER_DAY = 86_400 * 10**9
NS_PER_YEAR = 365 * NS_PER_DAY


def as_floats(values: SeriesLike, name: str = "returns") -> FloatArray:
    """A 1-D float64 copy of ``values``; refuses nulls, NaN and infinities, naming the row."""
    try:
        if isinstance(values, pl.Series):
            array = values.cast(pl.Float64).to_numpy()
        else:
            array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError, pl.exceptions.PolarsError) as exc:
        raise DataError(f"{name}: expected numbers ({exc})") from None
    if array.ndim != 1:
        raise DataError(f"{name}: expected a 1-D series, got shape {array.shape}")
    bad = ~np.isfinite(array)
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(f"{name}: row {row} is {float(array[row])}; expected a finite number")
    return np.array(array, dtype=np.float64, copy=True)


def as_times(values: TimesLike, length: int, name: str = "timestamps") -> IntArray:
    """int64 ns timestamps, one per value and strictly increasing (first offending row named)."""
    try:
        if isinstance(values, pl.Series):
            if values.dtype == pl.Datetime:
                values = values.dt.cast_time_unit("ns").dt.replace_time_zone(None)
            array = values.cast(pl.Int64).to_numpy()
        else:
            raw = np.asarray(values)
            if np.issubdtype(raw.dtype, np.datetime64):
                raw = raw.astype("datetime64[ns]").view(np.int64)
            if raw.dtype.kind not in "iu":
                raise TypeError(f"dtype {raw.dtype}")
            array = raw.astype(np.int64)
    except (TypeError, ValueError, pl.exceptions.PolarsError) as exc:
        raise DataError(f"{name}: expected int64 ns or datetimes ({exc})") from None
    if array.ndim != 1 or array.shape[0] != length:
        raise DataError(f"{name}: expected {length} timestamps (one per value), got {array.shape}")
    steps = np.diff(array)
    if (steps <= 0).any():
        row = int(np.argmax(steps <= 0)) + 1
        raise DataError(
            f"{name}: row {row} ({array[row]}) is not after row {row - 1} ({array[row - 1]}); "
            "expected strictly increasing times"
        )
    return np.ascontiguousarray(array)


def infer_periods_per_year(timestamps: TimesLike) -> float:
    """Samples per 365-day year, from the median spacing of ``timestamps``.

    The median ignores the odd gap (an exchange outage, a missing bar).

    >>> infer_periods_per_year([0, 60 * 10**9, 120 * 10**9])  # one-minute samples
    525600.0
    """
    raw = timestamps if isinstance(timestamps, pl.Series) else np.asarray(timestamps)
    times = as_times(raw, len(raw))
    if times.shape[0] < 2:
        raise DataError("timestamps: need at least two to infer the sampling period")
    return NS_PER_YEAR / float(np.median(np.diff(times)))


def resolve_periods(
    periods_per_year: float | None, timestamps: TimesLike | None, length: int
) -> float:
    """An explicit ``periods_per_year`` wins; otherwise it is inferred from ``timestamps``."""
    if periods_per_year is not None:
        if not np.isfinite(periods_per_year) or periods_per_year <= 0:
            raise ConfigError(
                f"periods_per_year: expected a positive number, got {periods_per_year}"
            )
        return float(periods_per_year)
    if timestamps is None:
        raise ConfigError(
            "periods_per_year: give it (e.g. 365 for daily crypto returns, 252 for trading days) "
            "or pass timestamps to infer it from"
        )
    return infer_periods_per_year(as_times(timestamps, length))


def per_period_rate(annual_rate: float, periods_per_year: float) -> float:
    """The per-period rate that compounds to ``annual_rate`` over a year."""
    return float((1.0 + annual_rate) ** (1.0 / periods_per_year) - 1.0)
