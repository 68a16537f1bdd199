"""``ferrox bars``: aggregate an instrument's trades (or quotes) from a catalog into bars."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import typer

from ferrox.bars import PRICE_COLUMNS, SIZE_COLUMNS, aggregate, bar_precisions, parse_spec
from ferrox.cli._common import console, handles_errors
from ferrox.data.catalog import Catalog, atomic_output
from ferrox.data.decimals import format_decimals
from ferrox.data.timeparse import parse_time
from ferrox.errors import ConfigError, DataError


class BarSource(StrEnum):
    """What the bars are built from."""

    TRADES = "trades"
    BID = "bid"
    ASK = "ask"
    MID = "mid"


class BarClock(StrEnum):
    """The clock the bars are built on."""

    TS_EVENT = "ts_event"
    TS_INIT = "ts_init"


def _time_option(text: str | None, name: str) -> int | None:
    if text is None:
        return None
    try:
        return parse_time(text)
    except ConfigError as exc:
        raise ConfigError(f"{name}: {exc}") from None


@handles_errors
def bars_command(
    catalog_dir: Annotated[
        Path, typer.Option("--catalog", "-c", help="Catalog directory.", envvar="FERROX_CATALOG")
    ],
    instrument: Annotated[str, typer.Option("--instrument", "-i", help="Instrument id.")],
    spec: Annotated[
        str,
        typer.Option(
            "--spec",
            "-s",
            help="Bar spec: 1m, 250ms, 1000-tick, 50-volume, 1000000-value, "
            "tick-imbalance[:expected=..,span=..], volume-run, ... (docs/bars.md).",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output .csv or .parquet file.")],
    source: Annotated[
        BarSource, typer.Option(help="Trades, or the bid, ask or exact mid of quotes.")
    ] = BarSource.TRADES,
    start: Annotated[
        str | None, typer.Option(help="First ts_init included: ISO 8601, a date, or integer ns.")
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="First ts_init excluded: ISO 8601, a date, or integer ns.")
    ] = None,
    empty_bars: Annotated[
        bool,
        typer.Option(
            "--empty-bars", help="Time bars: also write intervals without trades (previous close)."
        ),
    ] = False,
    by: Annotated[BarClock, typer.Option(help="Clock the bars are built on.")] = BarClock.TS_EVENT,
) -> None:
    """Aggregate trades or quotes from a catalog into bars, written atomically.

    Rows are selected by ts_init (``--start``/``--end``, as the catalog stores
    them) and ordered by the ``--by`` clock. CSV holds prices and volumes as
    exact decimal text; Parquet as exact decimal128 columns. Value and VWAP
    are floats.
    """
    parsed = parse_spec(spec)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ConfigError(f"--out: expected a .csv or .parquet file, got {out.name!r}")
    if empty_bars and not parsed.is_time:
        raise ConfigError(f"--empty-bars applies to time bars only, not {parsed.kind} bars")
    start_ns, end_ns = _time_option(start, "--start"), _time_option(end, "--end")
    catalog = Catalog(catalog_dir, must_exist=True)
    catalog.instrument(instrument)  # a clear error listing the known instruments
    kind = "trades" if source is BarSource.TRADES else "quotes"
    frame = catalog.read(instrument, kind, start_ns, end_ns)
    if frame.is_empty():
        held = sorted(
            row["kind"]
            for row in catalog.summary().iter_rows(named=True)
            if row["instrument"] == instrument
        )
        raise DataError(
            f"no {kind} of {instrument} in {catalog_dir}"
            + (" in the selected time range" if start or end else "")
            + f" (the catalog holds {', '.join(held) or 'nothing'} for it)"
        )
    # The catalog orders rows by ts_init; bars need their own clock in order.
    frame = frame.sort(by.value, maintain_order=True)
    price_precision, size_precision = catalog.precisions(instrument)
    bars = aggregate(
        frame,
        parsed.text,
        precisions=(price_precision, size_precision),
        source=source.value,
        empty_bars=empty_bars,
        by=by.value,
    )
    bar_price, bar_size = bar_precisions(source.value, price_precision, size_precision)
    with atomic_output(out) as temp:
        if suffix == ".csv":
            exact = [format_decimals(pl.col(c), bar_price) for c in PRICE_COLUMNS]
            exact += [format_decimals(pl.col(c), bar_size) for c in SIZE_COLUMNS]
            iso = pl.from_epoch(pl.col("ts_open"), time_unit="ns").dt.to_string(
                "%Y-%m-%dT%H:%M:%S%.9fZ"
            )
            bars.with_columns(*exact, iso.alias("ts_open_iso")).write_csv(temp)
        else:
            pq.write_table(_decimal_table(bars, instrument, parsed.text, bar_price, bar_size), temp)
    console().print(
        f"wrote {bars.height:,} {parsed.text} bars of {instrument} "
        f"from {frame.height:,} {kind} ({source.value}) to {out}"
    )


def _decimal_table(
    bars: pl.DataFrame, instrument: str, spec: str, price_precision: int, size_precision: int
) -> pa.Table:
    table = bars.to_arrow()
    for columns, scale in ((PRICE_COLUMNS, price_precision), (SIZE_COLUMNS, size_precision)):
        for name in columns:
            index = table.schema.get_field_index(name)
            table = table.set_column(index, name, _raw_to_decimal(table.column(index), scale))
    return table.replace_schema_metadata(
        {
            "ferrox.instrument": instrument,
            "ferrox.bar_spec": spec,
            "ferrox.price_precision": str(price_precision),
            "ferrox.size_precision": str(size_precision),
        }
    )


def _raw_to_decimal(column: pa.ChunkedArray, scale: int) -> pa.Array:
    # A decimal128 is the unscaled integer as 16 little-endian bytes: the raw
    # int64 and its sign extension. No arithmetic, so no rounding.
    raw = column.to_numpy().astype(np.int64, copy=False)
    words = np.empty((len(raw), 2), dtype="<i8")
    words[:, 0] = raw
    words[:, 1] = raw >> 63
    return pa.Array.from_buffers(
        pa.decimal128(38, scale), len(raw), [None, pa.py_buffer(words.tobytes())]
    )


__all__ = ["bars_command"]
