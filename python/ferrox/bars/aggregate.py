"""Batch bar aggregation: trades or quotes in, a polars DataFrame of bars out.

The columns are handed to the Rust core as numpy arrays (no Python object per
row) and aggregated with the GIL released, by the same streaming state
machine that :mod:`ferrox.bars.stream` drives one trade at a time, so both
give the same bars.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from ferrox._core import aggregate_quote_bars, aggregate_trade_bars
from ferrox.bars._inputs import (
    CLOCKS,
    SOURCES,
    Clock,
    Source,
    TradesLike,
    check_choice,
    has_column,
    int_column,
    resolve_precisions,
)
from ferrox.errors import DataError
from ferrox.model.instrument import Instrument

#: Columns of a bars DataFrame, in order, with their polars types.
BAR_SCHEMA: dict[str, type[pl.DataType]] = {
    "ts_open": pl.Int64,
    "ts_close": pl.Int64,
    "open": pl.Int64,
    "high": pl.Int64,
    "low": pl.Int64,
    "close": pl.Int64,
    "volume": pl.Int64,
    "value": pl.Float64,
    "vwap": pl.Float64,
    "trade_count": pl.Int64,
    "buy_volume": pl.Int64,
    "sell_volume": pl.Int64,
    "ts_first": pl.Int64,
    "ts_last": pl.Int64,
}

#: Raw price columns of a bars DataFrame (at the bars' price precision).
PRICE_COLUMNS = ("open", "high", "low", "close")
#: Raw size columns of a bars DataFrame (at the bars' size precision).
SIZE_COLUMNS = ("volume", "buy_volume", "sell_volume")


def bar_precisions(source: Source, price_precision: int, size_precision: int) -> tuple[int, int]:
    """``(price, size)`` precisions of bars built from ``source`` over data at the given ones.

    Mid bars are exact at one more decimal of each: the raw mid is
    ``(bid + ask) * 5`` at ``price_precision + 1``.

    >>> bar_precisions("mid", 2, 3)
    (3, 4)
    >>> bar_precisions("trades", 2, 3)
    (2, 3)
    """
    check_choice("source", source, SOURCES)
    if source == "mid":
        return price_precision + 1, size_precision + 1
    return price_precision, size_precision


def aggregate(
    trades: TradesLike,
    spec: str,
    *,
    instrument: Instrument | None = None,
    precisions: tuple[int, int] | None = None,
    source: Source = "trades",
    empty_bars: bool = False,
    by: Clock = "ts_event",
) -> pl.DataFrame:
    """Aggregates trades (or quotes) into bars described by ``spec``.

    ``trades`` is an Arrow table, a polars DataFrame or a dict of numpy arrays
    in the catalog schema: raw int64 ``price``, ``size`` (and optionally
    ``aggressor_side``, 0 unknown, 1 buyer, 2 seller) and int64 ns ``ts_event``
    / ``ts_init``; for ``source="bid"|"ask"|"mid"``, quotes with
    ``bid_price``, ``ask_price``, ``bid_size``, ``ask_size``. Rows must be
    sorted by the clock ``by``.

    ``instrument`` or ``precisions=(price_precision, size_precision)`` give the
    precisions of the raw values (an Arrow table's ``ferrox.*_precision``
    metadata is used otherwise; for a frame read from a catalog pass
    ``precisions=catalog.precisions(id)``). Volume and value specs need them;
    without them ``value`` and ``vwap`` are null.

    Returns one row per bar (see ``BAR_SCHEMA``): exact raw ``open``,
    ``high``, ``low``, ``close`` (at one more decimal for ``mid``), raw
    ``volume``, ``buy_volume``, ``sell_volume``; float ``value`` (Σ price *
    size in quote units) and ``vwap`` (price units; null without volume);
    ``trade_count``; ``ts_first``/``ts_last`` (first/last trade, null for
    empty bars) and ``ts_open``/``ts_close`` (the aligned interval
    [start, end) for time bars, first/last trade otherwise). The last bar is
    the partial one still open when the data ends.

    Raises :class:`~ferrox.errors.ConfigError` for a bad spec or option and
    :class:`~ferrox.errors.DataError` for bad columns (naming the argument,
    column and row).

    >>> trades = {"ts_event": np.array([0, 30, 60, 61]) * 1_000_000_000,
    ...           "price": np.array([100, 103, 101, 99]), "size": np.array([5, 1, 2, 2]),
    ...           "aggressor_side": np.array([1, 2, 1, 2], dtype=np.uint8)}
    >>> bars = aggregate(trades, "1m", precisions=(0, 0))
    >>> bars.select("ts_open", "open", "high", "low", "close", "volume", "trade_count").rows()
    [(0, 100, 103, 100, 103, 6, 2), (60000000000, 101, 101, 99, 99, 4, 2)]
    """
    check_choice("source", source, SOURCES)
    check_choice("by", by, CLOCKS)
    resolved = resolve_precisions(instrument, precisions, trades)
    price_precision, size_precision = resolved if resolved else (None, None)
    ts = int_column(trades, by, "trades")
    try:
        if source == "trades":
            side = (
                int_column(trades, "aggressor_side", "trades", dtype=np.uint8)
                if has_column(trades, "aggressor_side")
                else None
            )
            columns = aggregate_trade_bars(
                spec,
                ts,
                int_column(trades, "price", "trades"),
                int_column(trades, "size", "trades"),
                side,
                price_precision,
                size_precision,
                empty_bars,
                by,
            )
        else:
            columns = aggregate_quote_bars(
                spec,
                source,
                ts,
                int_column(trades, "bid_price", "trades"),
                int_column(trades, "ask_price", "trades"),
                int_column(trades, "bid_size", "trades"),
                int_column(trades, "ask_size", "trades"),
                price_precision,
                size_precision,
                empty_bars,
                by,
            )
    except DataError as exc:
        message = str(exc)
        if message.startswith("trades: "):
            raise
        raise DataError(f"trades: {message}") from None
    return bars_frame(columns, known_precisions=resolved is not None)


def bars_frame(columns: dict[str, npt.NDArray[Any]], *, known_precisions: bool) -> pl.DataFrame:
    """The bars DataFrame from the core's columns: nulls where a value has no meaning."""
    frame = pl.DataFrame({name: columns[name] for name in BAR_SCHEMA}, schema=BAR_SCHEMA)
    empty = pl.col("trade_count") == 0
    return frame.with_columns(
        pl.when(empty).then(None).otherwise(pl.col("ts_first")).alias("ts_first"),
        pl.when(empty).then(None).otherwise(pl.col("ts_last")).alias("ts_last"),
        pl.col("value").fill_nan(None)
        if known_precisions
        else pl.lit(None, pl.Float64).alias("value"),
        pl.col("vwap").fill_nan(None),
    )


__all__ = [
    "BAR_SCHEMA",
    "PRICE_COLUMNS",
    "SIZE_COLUMNS",
    "aggregate",
    "bar_precisions",
    "bars_frame",
]
