"""Reading and checking positions, prices and equity tables for the risk functions.

Every check names the source, the row and the field, and what was expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from ferrox._core import InstrumentId
from ferrox.errors import DataError

#: Columns of a normalised positions table.
POSITION_COLUMNS = ("instrument", "quantity", "price", "currency", "multiplier")


def _float_column(frame: pl.DataFrame, name: str, source: str, row_offset: int) -> pl.Series:
    """``frame[name]`` as Float64, or a DataError naming the first row that is not a number."""
    column = frame[name]
    if column.dtype == pl.Float64:
        converted = column
    elif column.dtype.is_numeric():
        converted = column.cast(pl.Float64)
    else:
        converted = column.cast(pl.Utf8).str.strip_chars().cast(pl.Float64, strict=False)
    bad = (converted.is_null() | converted.is_nan() | converted.is_infinite()).arg_true()
    if len(bad):
        row = int(bad[0])
        raise DataError(
            f"{source}: row {row + row_offset}, field {name!r}: expected a finite number, "
            f"got {column[row]!r}"
        )
    return converted


def _require(frame: pl.DataFrame, columns: tuple[str, ...], source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{source}: missing column(s) {', '.join(missing)} "
            f"(expected {', '.join(columns)}; found {', '.join(frame.columns) or 'none'})"
        )


def positions_frame(
    positions: pl.DataFrame | Mapping[str, Any],
    *,
    base_currency: str = "USD",
    source: str = "positions",
    row_offset: int = 0,
) -> pl.DataFrame:
    """A checked positions table: ``instrument, quantity, price, currency, multiplier``.

    ``price`` may be missing (null) when a price history will supply it;
    ``currency`` defaults to ``base_currency`` and ``multiplier`` to 1.
    Flat positions (quantity 0) are dropped; an instrument listed twice is an error.

    >>> positions_frame({"instrument": ["A.X"], "quantity": [2.0], "price": [10.0]}).row(0)
    ('A.X', 2.0, 10.0, 'USD', 1.0)
    """
    frame = positions if isinstance(positions, pl.DataFrame) else pl.DataFrame(dict(positions))
    _require(frame, ("instrument", "quantity"), source)
    n = frame.height
    instrument = frame["instrument"].cast(pl.Utf8)
    empty = (instrument.is_null() | (instrument.str.strip_chars() == "")).arg_true()
    if len(empty):
        raise DataError(
            f"{source}: row {int(empty[0]) + row_offset}, field 'instrument': expected an id, got nothing"
        )
    duplicated = instrument.is_duplicated().arg_true()
    if len(duplicated):
        row = int(duplicated[0])
        raise DataError(
            f"{source}: row {row + row_offset}, field 'instrument': {instrument[row]!r} is listed "
            "more than once (one row per instrument)"
        )
    columns: dict[str, pl.Series] = {
        "instrument": instrument,
        "quantity": _float_column(frame, "quantity", source, row_offset),
    }
    if "price" in frame.columns and frame["price"].null_count() < n:
        columns["price"] = _float_column(frame, "price", source, row_offset)
    else:
        columns["price"] = pl.Series("price", [None] * n, dtype=pl.Float64)
    columns["currency"] = (
        frame["currency"].cast(pl.Utf8).fill_null(base_currency)
        if "currency" in frame.columns
        else pl.Series("currency", [base_currency] * n, dtype=pl.Utf8)
    )
    columns["multiplier"] = (
        _float_column(frame, "multiplier", source, row_offset)
        if "multiplier" in frame.columns
        else pl.Series("multiplier", [1.0] * n, dtype=pl.Float64)
    )
    table = pl.DataFrame(columns).select(POSITION_COLUMNS)
    return table.filter(pl.col("quantity") != 0.0)


def prices_frame(
    prices: pl.DataFrame | Mapping[str, Any], *, source: str = "prices", row_offset: int = 0
) -> pl.DataFrame:
    """A checked long price table ``ts`` (int64 ns), ``instrument``, ``close`` (float64, > 0).

    >>> prices_frame({"ts": [1, 2], "instrument": ["A.X"] * 2, "close": ["10", "11"]})["close"].to_list()
    [10.0, 11.0]
    """
    frame = prices if isinstance(prices, pl.DataFrame) else pl.DataFrame(dict(prices))
    _require(frame, ("ts", "instrument", "close"), source)
    ts = frame["ts"]
    if ts.dtype == pl.Date:
        ts = ts.cast(pl.Datetime("ns")).dt.epoch("ns")
    elif ts.dtype == pl.Datetime:
        ts = ts.dt.epoch("ns")
    elif ts.dtype == pl.Utf8:
        ts = ts.str.strip_chars().cast(pl.Int64, strict=False)
    elif not ts.dtype.is_integer():
        raise DataError(
            f"{source}: field 'ts': expected int64 nanoseconds since the epoch (UTC), got {ts.dtype}"
        )
    bad_ts = ts.is_null().arg_true()
    if len(bad_ts):
        row = int(bad_ts[0])
        raise DataError(
            f"{source}: row {row + row_offset}, field 'ts': expected int64 nanoseconds since the "
            f"epoch (UTC), got {frame['ts'][row]!r}"
        )
    close = _float_column(frame, "close", source, row_offset)
    bad = (close <= 0.0).arg_true()
    if len(bad):
        row = int(bad[0])
        raise DataError(
            f"{source}: row {row + row_offset}, field 'close': expected a positive price "
            f"(returns are undefined otherwise), got {close[row]}"
        )
    table = pl.DataFrame(
        {"ts": ts.cast(pl.Int64), "instrument": frame["instrument"].cast(pl.Utf8), "close": close}
    )
    dup = table.select(pl.struct("ts", "instrument").is_duplicated()).to_series().arg_true()
    if len(dup):
        row = int(dup[0])
        raise DataError(
            f"{source}: row {row + row_offset}: instrument {table['instrument'][row]!r} has two "
            f"closes at ts {table['ts'][row]}"
        )
    return table


def resample_last(frame: pl.DataFrame, period: str, by: str | None = None) -> pl.DataFrame:
    """The last row of each ``period`` (polars duration, e.g. ``"1d"``) by ``ts``, per ``by``."""
    keyed = frame.with_columns(
        pl.col("ts").cast(pl.Datetime("ns", "UTC")).dt.truncate(period).alias("_bucket")
    ).sort("ts")
    keys = ["_bucket"] if by is None else [by, "_bucket"]
    last = keyed.group_by(keys, maintain_order=True).last()
    return last.drop("_bucket").sort("ts")


def read_table(path: Path, source: str) -> tuple[pl.DataFrame, int]:
    """A CSV (all text, checked later) or Parquet file, and the row offset of its first data row."""
    if not path.is_file():
        raise DataError(f"{source}: {path} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pl.read_parquet(path), 0
        if suffix in (".csv", ".txt"):
            # Line numbers: the header is line 1, so row 0 is line 2.
            return pl.read_csv(path, infer_schema=False), 2
    except pl.exceptions.PolarsError as exc:
        raise DataError(f"{source}: {path} could not be read: {exc}") from exc
    raise DataError(f"{source}: {path}: expected a .csv or .parquet file")


def read_positions(path: Path, *, base_currency: str = "USD") -> pl.DataFrame:
    """A positions file (``instrument,quantity[,price][,currency][,multiplier]``), checked."""
    frame, offset = read_table(path, str(path))
    return positions_frame(frame, base_currency=base_currency, source=str(path), row_offset=offset)


def read_prices(path: Path) -> pl.DataFrame:
    """A long prices file (``ts,instrument,close``), checked."""
    frame, offset = read_table(path, str(path))
    return prices_frame(frame, source=str(path), row_offset=offset)


def venue_of(instrument: str) -> str:
    """The venue of a ``SYMBOL.VENUE`` id (DataError naming the id otherwise).

    >>> venue_of("BTCUSDT.BINANCE")
    'BINANCE'
    """
    try:
        return InstrumentId(instrument).venue
    except ValueError as exc:
        raise DataError(
            f"instrument {instrument!r}: expected SYMBOL.VENUE to group by venue ({exc})"
        ) from exc


__all__ = [
    "POSITION_COLUMNS",
    "positions_frame",
    "prices_frame",
    "read_positions",
    "read_prices",
    "resample_last",
    "venue_of",
]
