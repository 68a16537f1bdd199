"""Any CSV or Parquet file of trades, quotes or bars, described by options.

What the file holds is declared through :class:`~ferrox.data.loaders.base.LoaderOptions`:

- ``instrument`` (required, ``SYMBOL.VENUE``) and ``kind`` (trades, quotes or
  bars; bars when the Binance kline preset applies).
- ``columns``: schema column -> file column. A schema column that is not
  mapped is looked up by its own name and then by the aliases in
  :data:`ALIASES` (``timestamp``/``ts``/``time`` for ``ts_event``,
  ``qty``/``amount`` for ``size``, ...). Optional columns: ``ts_init``
  (default: ``ts_event``), ``aggressor_side`` (buy/sell words, default none),
  ``trade_id`` (default empty), ``update_id`` (default 0) and, for bars,
  ``volume`` (default 0, e.g. FX quote bars). ``columns={"preset":
  "binance-kline"}`` reads a Binance kline CSV; a headerless file of
  12 numeric fields is recognised as one on its own (open time, o, h, l, c,
  volume, close time, quote volume, trades, taker buy base, taker buy quote,
  ignore: bars labelled by their open time).
- ``ts_unit``: ``s``, ``ms``, ``us``, ``ns`` for numbers since the epoch
  (fractions are kept exactly down to the nanosecond) or ``iso`` for text
  such as ``2012-02-01 00:00:00+00:00``; without it the unit is guessed from
  the first value (text with ``-`` or ``:`` is ISO; a number's integer digits
  pick s/ms/us/ns). ``tz`` is the zone of ISO text without an offset
  (default UTC); a local time that is ambiguous or skipped by a clock change
  is a bad row. Parquet timestamp columns are read as they are.
- ``price_precision``/``size_precision``: declared decimals; a value finer
  than declared is a bad row naming line, column and text (never rounded).
  Undeclared, a precision is inferred from the whole file: a first streaming
  pass reads the decimals every price (size) column is written with, the
  second pass parses. A definition in ``options.instruments`` wins over both.
- Bars: ``bar_label`` ``open`` (the timestamp is the bar's open: ``ts_open`` =
  label, ``ts_event`` = label + interval) or ``close`` (``ts_event`` = label,
  ``ts_open`` = label - interval); ``bar_interval`` such as ``1m``, ``4h``,
  ``1d``, else the most common step between consecutive timestamps of the
  first chunk. ``ts_init`` = ``ts_event``.

A timestamp earlier than the row before it is a bad row (``ts_event``
must not decrease within a file). Parquet columns holding binary floats are
refused for prices and sizes: they cannot be read exactly. Error lines are
1-based file lines for CSV (the header is line 1) and 1-based row numbers for
Parquet.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from ferrox.data.loaders._chunks import (
    MAX_PRECISION,
    UNIT_NANOS,
    Chunk,
    Int64Array,
    RowCheck,
    check_inferred_precision,
    inferred_instrument,
    iter_csv,
    iter_parquet,
    read_first_line,
    scan_decimals,
)
from ferrox.data.loaders.base import Batch, ErrorSink, LoaderOptions
from ferrox.data.timeparse import DURATION_UNITS
from ferrox.errors import ConfigError, DataError
from ferrox.model.instrument import Instrument
from ferrox.model.schema import AggressorSide, DataKind, conform

#: Column names tried, in order, for each schema column that is not mapped.
ALIASES: dict[str, tuple[str, ...]] = {
    "ts_event": ("ts_event", "timestamp", "ts", "time", "datetime", "date", "ts_open", "open_time"),
    "ts_init": ("ts_init", "local_timestamp", "ts_recv"),
    "price": ("price", "px"),
    "size": ("size", "quantity", "qty", "amount"),
    "aggressor_side": ("aggressor_side", "side", "taker_side"),
    "trade_id": ("trade_id", "id", "tid"),
    "bid_price": ("bid_price", "bid", "bid_px"),
    "ask_price": ("ask_price", "ask", "ask_px"),
    "bid_size": ("bid_size", "bid_qty", "bid_amount", "bid_volume"),
    "ask_size": ("ask_size", "ask_qty", "ask_amount", "ask_volume"),
    "update_id": ("update_id", "sequence"),
    "open": ("open", "o"),
    "high": ("high", "h"),
    "low": ("low", "l"),
    "close": ("close", "c"),
    "volume": ("volume", "vol", "v"),
}

_REQUIRED: dict[DataKind, tuple[str, ...]] = {
    DataKind.TRADES: ("ts_event", "price", "size"),
    DataKind.QUOTES: ("ts_event", "bid_price", "ask_price", "bid_size", "ask_size"),
    DataKind.BARS: ("ts_event", "open", "high", "low", "close"),
}
_OPTIONAL: dict[DataKind, tuple[str, ...]] = {
    DataKind.TRADES: ("ts_init", "aggressor_side", "trade_id"),
    DataKind.QUOTES: ("ts_init", "update_id"),
    DataKind.BARS: ("volume",),
}
_PRICES = ("price", "bid_price", "ask_price", "open", "high", "low", "close")
_SIZES = ("size", "bid_size", "ask_size", "volume")

#: The Binance kline CSV layout (no header).
BINANCE_KLINE_COLUMNS = (
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_volume",
    "count",
    "taker_buy_base_volume",
    "taker_buy_quote_volume",
    "ignore",
)
PRESETS = ("binance-kline",)

_AGGRESSOR_WORDS = {
    "buy": AggressorSide.BUYER,
    "b": AggressorSide.BUYER,
    "buyer": AggressorSide.BUYER,
    "1": AggressorSide.BUYER,
    "sell": AggressorSide.SELLER,
    "s": AggressorSide.SELLER,
    "seller": AggressorSide.SELLER,
    "2": AggressorSide.SELLER,
    "": AggressorSide.NO_AGGRESSOR,
    "0": AggressorSide.NO_AGGRESSOR,
    "none": AggressorSide.NO_AGGRESSOR,
    "unknown": AggressorSide.NO_AGGRESSOR,
    "no_aggressor": AggressorSide.NO_AGGRESSOR,
}
_NUMBER = re.compile(r"[+-]?\d+(\.\d*)?")
_INTERVAL = re.compile(r"(\d+)\s*(ns|us|ms|s|m|min|h|d|w)")


def parse_interval(text: str) -> int:
    """A bar length such as ``1m``, ``15s``, ``4h`` or ``1d`` in nanoseconds.

    >>> parse_interval("1m")
    60000000000
    """
    match = _INTERVAL.fullmatch(text.strip())
    if match is None or int(match[1]) <= 0:
        raise ConfigError(
            f"bar interval {text!r}: expected a positive count and a unit of "
            "ns, us, ms, s, m, h, d or w, such as 1m"
        )
    return int(match[1]) * DURATION_UNITS[match[2]]


@dataclass(frozen=True)
class _Layout:
    """How the file is read: its columns and which of them fill the schema."""

    names: tuple[str, ...]
    has_header: bool
    parquet: bool
    kind: DataKind
    #: schema column -> file column
    columns: dict[str, str]
    preset: str | None


def _looks_numeric(fields: list[str]) -> bool:
    return bool(fields) and all(_NUMBER.fullmatch(f.strip()) for f in fields)


def _layout(path: Path, options: LoaderOptions) -> _Layout:
    source = str(path)
    preset = options.columns.get("preset")
    if preset is not None and preset not in PRESETS:
        raise ConfigError(f"unknown column preset {preset!r}; expected one of {list(PRESETS)}")
    parquet = path.suffix.lower() in (".parquet", ".pq")
    if parquet:
        names = tuple(pq.ParquetFile(str(path)).schema_arrow.names)
        has_header = True
    else:
        first = read_first_line(path)
        kline_shaped = len(first) == len(BINANCE_KLINE_COLUMNS) and _looks_numeric(first)
        if preset == "binance-kline" or (preset is None and kline_shaped):
            preset = "binance-kline"
            names = BINANCE_KLINE_COLUMNS
            has_header = not _looks_numeric(first)
        elif _looks_numeric(first):
            raise ConfigError(
                f"{source}:1: the first line holds numbers, not a header; give the file a "
                "header naming its columns (or use the binance-kline preset)"
            )
        else:
            names = tuple(first)
            has_header = True
    kind = options.kind or (DataKind.BARS if preset == "binance-kline" else None)
    if kind is None:
        raise ConfigError(f"{source}: say which kind of data the file holds (trades, quotes, bars)")
    if kind not in _REQUIRED:
        raise ConfigError(
            f"{source}: generic files hold trades, quotes or bars, not {kind}; "
            "book deltas come from the venue formats"
        )
    given = {k: v for k, v in options.columns.items() if k != "preset"}
    if "timestamp" in given:
        given.setdefault("ts_event", given.pop("timestamp"))
    if "ts_open" in given and kind is DataKind.BARS:
        given.setdefault("ts_event", given.pop("ts_open"))
    unknown = sorted(set(given) - set(_REQUIRED[kind]) - set(_OPTIONAL[kind]))
    if unknown:
        raise ConfigError(
            f"{source}: {kind} have no columns {unknown}; map some of "
            f"{[*_REQUIRED[kind], *_OPTIONAL[kind]]}"
        )
    columns: dict[str, str] = {}
    missing: list[str] = []
    for target in (*_REQUIRED[kind], *_OPTIONAL[kind]):
        if target in given:
            if given[target] not in names:
                raise ConfigError(
                    f"{source}: column {given[target]!r} (mapped to {target}) is not in the "
                    f"file; its columns are {list(names)}"
                )
            columns[target] = given[target]
            continue
        found = next((a for a in ALIASES.get(target, (target,)) if a in names), None)
        if found is not None and found not in columns.values():
            columns[target] = found
        elif target in _REQUIRED[kind]:
            missing.append(target)
    if missing:
        raise ConfigError(
            f"{source}: no column for {missing} among {list(names)}; map them with "
            "columns={schema column: file column}"
        )
    return _Layout(names, has_header, parquet, kind, columns, preset)


def _chunks(path: Path, layout: _Layout, batch_rows: int) -> Iterator[Chunk]:
    if layout.parquet:
        return iter_parquet(
            path, batch_rows=batch_rows, columns=sorted(set(layout.columns.values()))
        )
    return iter_csv(path, names=layout.names, has_header=layout.has_header, batch_rows=batch_rows)


def _refuse_floats(path: Path, layout: _Layout) -> None:
    if not layout.parquet:
        return
    schema = pq.ParquetFile(str(path)).schema_arrow
    for target, column in layout.columns.items():
        if target in _PRICES or target in _SIZES:
            dtype = schema.field(column).type
            if pa.types.is_floating(dtype):
                raise DataError(
                    f"{path}: column {column!r} holds binary floats ({dtype}); prices and "
                    "sizes must be stored as text, integers or decimals to be read exactly"
                )


def _instrument(path: Path, layout: _Layout, options: LoaderOptions) -> Instrument:
    assert options.instrument is not None
    defined = options.instruments.get(options.instrument)
    if defined is not None:
        return defined
    for name, value in (
        ("price_precision", options.price_precision),
        ("size_precision", options.size_precision),
    ):
        if value is not None and not 0 <= value <= MAX_PRECISION:
            raise ConfigError(f"{name} {value} is out of range 0..{MAX_PRECISION}")
    price, size = options.price_precision, options.size_precision
    if price is None or size is None:
        prices = [c for t, c in layout.columns.items() if t in _PRICES]
        sizes = [c for t, c in layout.columns.items() if t in _SIZES]
        found = scan_decimals(
            _chunks(path, layout, options.batch_rows), [], prices, sizes, source=str(path)
        )
        price_dec, size_dec = found.get("", (0, 0))
        if price is None:
            price = check_inferred_precision(price_dec, "price", str(path))
        if size is None:
            size = check_inferred_precision(size_dec, "size", str(path))
    return inferred_instrument(options.instrument, price, size)


def _guess_unit(chunk: Chunk, column: str) -> str:
    series = chunk.frame[column]
    if isinstance(series.dtype, pl.Datetime | pl.Date):
        return "native"
    text = series.cast(pl.String).drop_nulls().str.strip_chars()
    text = text.filter(text.str.len_bytes() > 0)
    if text.len() == 0:
        return "ns"
    first = str(text[0])
    if not _NUMBER.fullmatch(first):
        return "iso"
    digits = len(first.lstrip("+-").split(".")[0])
    if digits <= 11:
        return "s"
    if digits <= 14:
        return "ms"
    if digits <= 17:
        return "us"
    return "ns"


def _datetimes(check: RowCheck, column: str, tz: str) -> Int64Array:
    series = check.frame[column]
    if isinstance(series.dtype, pl.Datetime | pl.Date):
        parsed = series.cast(pl.Datetime("ns", getattr(series.dtype, "time_zone", None)))
        text = series.cast(pl.String).fill_null("")
    else:
        text = check.text(column)
        try:
            parsed = text.str.to_datetime(time_unit="ns", strict=False)
        except pl.exceptions.PolarsError:
            parsed = pl.Series(column, [None] * text.len(), dtype=pl.Datetime("ns"))
    unparsed = parsed.is_null().to_numpy()
    check.flag(
        unparsed,
        lambda i: (
            f"column {column!r}: expected a date-time such as 2012-02-01 00:00:00+00:00, "
            f"got {check.value(column, i)!r}"
        ),
    )
    dtype = parsed.dtype
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
        parsed = parsed.dt.replace_time_zone(tz, ambiguous="null", non_existent="null")
        check.flag(
            parsed.is_null().to_numpy() & ~unparsed,
            lambda i: (
                f"column {column!r}: {check.value(column, i)!r} is ambiguous or does "
                f"not exist in time zone {tz}"
            ),
        )
    del text
    return parsed.dt.epoch("ns").fill_null(0).to_numpy().astype(np.int64, copy=False)


def _timestamps(check: RowCheck, column: str, unit: str, tz: str) -> Int64Array:
    if unit in ("iso", "native"):
        return _datetimes(check, column, tz)
    return check.epoch(column, unit)


def _infer_interval(labels: Int64Array, source: str) -> int:
    steps = np.diff(labels)
    steps = steps[steps > 0]
    if len(steps) == 0:
        raise ConfigError(
            f"{source}: cannot infer the bar interval from fewer than two distinct "
            "timestamps; give bar_interval (e.g. 1m)"
        )
    values, counts = np.unique(steps, return_counts=True)
    return int(values[np.argmax(counts)])


def load(path: Path, *, options: LoaderOptions, errors: ErrorSink) -> Iterator[Batch]:
    """Reads trades, quotes or bars from a CSV or Parquet file as ``options`` describe it."""
    path = Path(path)
    source = str(path)
    if not options.instrument:
        raise ConfigError(
            f"{source}: a generic CSV/Parquet file needs an instrument id (SYMBOL.VENUE)"
        )
    if options.ts_unit is not None and options.ts_unit not in (*UNIT_NANOS, "iso"):
        raise ConfigError(
            f"timestamp unit {options.ts_unit!r}: expected one of s, ms, us, ns or iso"
        )
    try:
        zoneinfo.ZoneInfo(options.tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone {options.tz!r}") from None
    if options.bar_label not in ("open", "close"):
        raise ConfigError(f"bar label {options.bar_label!r}: expected open or close")
    layout = _layout(path, options)
    _refuse_floats(path, layout)
    inst = _instrument(path, layout, options)
    kind = layout.kind
    label = "open" if layout.preset == "binance-kline" else options.bar_label
    interval = parse_interval(options.bar_interval) if options.bar_interval else None
    unit = options.ts_unit
    last_ts: int | None = None
    cols = layout.columns
    for chunk in _chunks(path, layout, options.batch_rows):
        if chunk.height == 0 and not chunk.malformed:
            continue
        if unit is None and chunk.height:
            unit = _guess_unit(chunk, cols["ts_event"])
        check = RowCheck(chunk, source)
        ts = _timestamps(check, cols["ts_event"], unit or "ns", options.tz)
        data: dict[str, Int64Array | pl.Series] = {}
        for target in _REQUIRED[kind] + _OPTIONAL[kind]:
            if target not in cols or target == "ts_event":
                continue
            column = cols[target]
            if target in _PRICES:
                data[target], _ = check.decimals(
                    column, inst.price_precision, label=column, negative=True, what="a price"
                )
            elif target in _SIZES:
                data[target], _ = check.decimals(
                    column, inst.size_precision, label=column, what="a size"
                )
            elif target == "ts_init":
                data[target] = _timestamps(check, column, unit or "ns", options.tz)
            elif target == "aggressor_side":
                data[target] = check.choice(
                    column, {k: int(v) for k, v in _AGGRESSOR_WORDS.items()}
                )
            elif target == "update_id":
                data[target] = check.integers(column, what="an update id")
            elif target == "trade_id":
                data[target] = check.text(column)
        last_ts = check.not_backwards(ts, last_ts, label=cols["ts_event"])
        keep = check.finish(errors)
        rows = np.flatnonzero(keep)
        if len(rows) == 0:
            continue
        if kind is DataKind.BARS and interval is None:
            interval = _infer_interval(ts[rows], source)
        frame = _frame(kind, data, rows, ts, label, interval)
        yield Batch(inst, kind, conform(frame.to_arrow(), kind))


def _frame(
    kind: DataKind,
    data: dict[str, Int64Array | pl.Series],
    rows: Int64Array,
    ts: Int64Array,
    label: str,
    interval: int | None,
) -> pl.DataFrame:
    n = len(rows)
    zeros = np.zeros(n, dtype=np.int64)

    def col(name: str) -> Int64Array | pl.Series:
        value = data.get(name)
        if value is None:
            return zeros
        if isinstance(value, pl.Series):
            return value.gather(rows)
        return value[rows]

    ts_event = ts[rows]
    if kind is DataKind.BARS:
        assert interval is not None
        if label == "open":
            ts_open, ts_close = ts_event, ts_event + interval
        else:
            ts_open, ts_close = ts_event - interval, ts_event
        return pl.DataFrame(
            {
                "ts_open": ts_open,
                "ts_event": ts_close,
                "ts_init": ts_close,
                "open": col("open"),
                "high": col("high"),
                "low": col("low"),
                "close": col("close"),
                "volume": col("volume"),
            }
        )
    ts_init = col("ts_init") if "ts_init" in data else ts_event
    if kind is DataKind.TRADES:
        trade_id = data.get("trade_id")
        return pl.DataFrame(
            {
                "ts_event": ts_event,
                "ts_init": ts_init,
                "price": col("price"),
                "size": col("size"),
                "aggressor_side": col("aggressor_side"),
                "trade_id": trade_id.gather(rows)
                if isinstance(trade_id, pl.Series)
                else pl.Series([""] * n, dtype=pl.String),
            }
        )
    return pl.DataFrame(
        {
            "ts_event": ts_event,
            "ts_init": ts_init,
            "bid_price": col("bid_price"),
            "ask_price": col("ask_price"),
            "bid_size": col("bid_size"),
            "ask_size": col("ask_size"),
            "update_id": col("update_id"),
        }
    )
