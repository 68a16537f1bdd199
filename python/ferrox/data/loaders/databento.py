"""Databento DBN files (plain or zstd) -> deltas, quotes, trades, bars and instruments.

Decoding is ``databento_dbn.DBNDecoder`` fed 1 MiB reads; each decoded record
is laid into a numpy structured array with the record class's own layout, so
memory stays bounded by ``batch_rows`` records whatever the file size.

Per schema:

- **MBO** -> DELTAS with ``order_id`` (L3), plus TRADES.
  Add -> ADD; Modify -> UPDATE (the record carries the order's new price and
  size); Clear -> CLEAR. A Cancel's ``size`` is the size *removed* (it may be
  partial), so the loader tracks each open order's size through the file and
  stores UPDATE with the size left, or DELETE (size 0) when nothing is left.
  A Cancel of an order the file never added (its size is unknown) is stored
  as DELETE. Trade records become trades (aggressor from ``side``: B buyer,
  A seller); they and Fill records do not change the book, since Databento
  follows every fill with the Cancel or Modify that does. Fill records are
  *not* stored as trades: each restates, from the resting order's side, a
  trade its Trade record already reports, and storing both would count the
  volume twice. None records are left out. A snapshot (records flagged
  ``F_SNAPSHOT``) that does not start with a Clear gets one, flagged
  ``F_SNAPSHOT``, because it replaces the book rather than adding to it.
  ``flags`` is the DBN flags byte as is (``F_LAST`` 0x80 and ``F_SNAPSHOT``
  0x20 mean what ferrox's ``FLAG_LAST``/``FLAG_SNAPSHOT`` mean),
  ``sequence`` the venue sequence number.
- **MBP-1** (and TBBO) -> QUOTES of the top level after each book event,
  ``update_id`` = ``sequence``; Trade records -> TRADES instead of a quote.
- **MBP-10** -> QUOTES of the top level only, as MBP-1 (the ten-level book as
  deltas is left for a later change).
- **TRADES** -> TRADES. ``trade_id`` is the record's ``sequence`` as text.
- **OHLCV-1s/1m/1h/1d/eod** -> BARS: ``ts_open`` = the record's ``ts_event``
  (Databento labels bars by their open), ``ts_event`` = ``ts_init`` =
  ``ts_open`` + the interval.
- **DEFINITION** -> :func:`read_definitions` returns the instruments; ``load``
  yields no batches for a definitions file.
- Other records (status, statistics, imbalance, system, symbol mappings) are
  left out.

Times: ``ts_event`` is the record's ``ts_event`` and ``ts_init`` its
``ts_recv`` (the bars above excepted). A record whose ``ts_recv`` goes
backwards (per instrument) is a bad record; bad records are reported with
the record's 1-based number in the file (after the metadata) as the line.

Instruments: ``SYMBOL.VENUE`` with the venue from the dataset (``GLBX.MDP3``
-> ``GLBX``) unless ``options.venue`` is set, and the raw symbol from the
file's symbol mappings (else a definition, else the numeric instrument id).
Increments come from ``options.instruments``, else from definitions in a
DBN file beside the data (any ``*definition*.dbn*`` in the same folder),
else they are inferred per instrument from the first chunk it appears in
(the fewest decimals that hold every price there; 9 when it has none).
Prices are int64 in units of 1e-9: each is rescaled exactly to the
instrument's precision, and one that does not fit exactly is a bad record.
Sizes are whole numbers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import databento_dbn as dbn
import numpy as np
import numpy.typing as npt
import polars as pl

from ferrox.data.loaders._chunks import Chunk, Int64Array, RowCheck, inferred_instrument
from ferrox.data.loaders.base import Batch, ErrorSink, LoaderOptions
from ferrox.errors import ConfigError, DataError
from ferrox.model.instrument import Instrument, InstrumentKind
from ferrox.model.schema import (
    FLAG_SNAPSHOT,
    AggressorSide,
    BookAction,
    BookSide,
    DataKind,
    conform,
)

_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_READ_BYTES = 1 << 20
UNDEF_PRICE = int(dbn.UNDEF_PRICE)
_UNDEF_TS = int(dbn.UNDEF_TIMESTAMP)
_I32_MAX = 2**31 - 1
_I64_MAX = 2**63 - 1
_PRICE_DECIMALS = 9

_A, _B, _C, _F, _M, _N, _R, _T = (ord(c) for c in "ABCFMNRT")
_BOOK_SIDE = {_A: int(BookSide.ASK), _B: int(BookSide.BID)}
_AGGRESSOR = {_B: int(AggressorSide.BUYER), _A: int(AggressorSide.SELLER)}

_INSTRUMENT_KINDS = {
    "F": InstrumentKind.FUTURE,
    "S": InstrumentKind.FUTURE,
    "C": InstrumentKind.OPTION,
    "P": InstrumentKind.OPTION,
    "T": InstrumentKind.OPTION,
}


# --- reading ---------------------------------------------------------------


class _DbnFile:
    """A DBN file decoded in 1 MiB reads: its metadata, then blocks of records."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stream = path.open("rb")
        head = self._stream.read(4)
        # The stubs type Compression members as str; the decoder wants the enum.
        compression: Any = dbn.Compression.ZSTD if head == _ZSTD_MAGIC else dbn.Compression.NONE
        self._decoder = dbn.DBNDecoder(compression=compression)
        self._ready: list[Any] = []
        self.metadata: Any = None
        try:
            self._read_metadata(head)
        except BaseException:
            self._stream.close()
            raise

    def _read_metadata(self, head: bytes) -> None:
        path = self.path
        pending = head
        while self.metadata is None:
            data = pending or self._stream.read(_READ_BYTES)
            pending = b""
            if not data:
                raise DataError(f"{path}: not a DBN file (no metadata)")
            try:
                self._ready.extend(self._decoder.write_and_decode(data))
            except Exception as exc:  # the decoder raises its own DBNError
                raise DataError(f"{path}: not a DBN file: {exc}") from None
            if self._ready and isinstance(self._ready[0], dbn.Metadata):
                self.metadata = self._ready.pop(0)

    def close(self) -> None:
        """Closes the file."""
        self._stream.close()

    def records(self) -> Iterator[list[Any]]:
        """Decoded records, one list per read."""
        if self._ready:
            yield self._ready
            self._ready = []
        while data := self._stream.read(_READ_BYTES):
            try:
                records = self._decoder.write_and_decode(data)
            except Exception as exc:
                raise DataError(f"{self.path}: corrupt DBN data: {exc}") from None
            if records:
                yield records

    def blocks(self, batch_rows: int) -> Iterator[tuple[type, npt.NDArray[Any], Int64Array]]:
        """``(record class, structured array, 1-based record numbers)`` of up to ``batch_rows``."""
        parts: dict[type, list[tuple[bytes, Int64Array]]] = {}
        held = 0
        number = 0
        for records in self.records():
            kinds = set(map(type, records))
            if len(kinds) == 1:
                # One record type per read (the usual case): no Python work per record.
                (cls,) = kinds
                if cls in _HANDLED:
                    numbers = np.arange(number + 1, number + len(records) + 1, dtype=np.int64)
                    parts.setdefault(cls, []).append((b"".join(map(bytes, records)), numbers))
                    held += len(records)
                number += len(records)
            else:
                for record in records:
                    number += 1
                    cls = type(record)
                    if cls in _HANDLED:
                        one = np.array([number], dtype=np.int64)
                        parts.setdefault(cls, []).append((bytes(record), one))
                        held += 1
            if held >= batch_rows:
                yield from _flush(parts, batch_rows)
                parts = {}
                held = 0
        yield from _flush(parts, batch_rows)


def _flush(
    parts: dict[type, list[tuple[bytes, Int64Array]]], batch_rows: int
) -> Iterator[tuple[type, npt.NDArray[Any], Int64Array]]:
    for cls, pieces in parts.items():
        dtype = np.dtype(getattr(cls, "_dtypes"))  # noqa: B009  (the class's own C layout)
        data = b"".join(piece for piece, _ in pieces)
        numbers = np.concatenate([n for _, n in pieces])
        if len(data) != dtype.itemsize * len(numbers):
            raise DataError(f"{cls.__name__}: record size differs from its layout {dtype}")
        records = np.frombuffer(data, dtype=dtype)
        for start in range(0, len(records), batch_rows):
            stop = start + batch_rows
            yield cls, records[start:stop], numbers[start:stop]


_HANDLED: frozenset[type] = frozenset(
    {dbn.MBOMsg, dbn.MBP1Msg, dbn.MBP10Msg, dbn.TradeMsg, dbn.OHLCVMsg}
)


# --- definitions -------------------------------------------------------------


def venue_of(dataset: str) -> str:
    """The ferrox venue of a Databento dataset (``GLBX.MDP3`` -> ``GLBX``)."""
    return dataset.split(".", 1)[0] if dataset else "DATABENTO"


def _fixed9(value: int) -> str:
    """A 1e-9 fixed-point integer as plain decimal text (``250000000`` -> ``"0.25"``)."""
    text = format(Decimal(value).scaleb(-_PRICE_DECIMALS).normalize(), "f")
    return text


def _definition_instrument(record: Any, venue: str, dataset: str) -> Instrument | None:
    symbol = str(record.raw_symbol).strip()
    increment = int(record.min_price_increment)
    if not symbol or increment in (UNDEF_PRICE, 0) or increment < 0:
        return None
    lot = int(record.min_lot_size_round_lot)
    uom_qty = int(record.unit_of_measure_qty)
    contract_multiplier = int(record.contract_multiplier)
    if 0 < uom_qty < UNDEF_PRICE:
        multiplier = _fixed9(uom_qty)
    elif 0 < contract_multiplier < _I32_MAX:
        multiplier = str(contract_multiplier)
    else:
        multiplier = "1"
    currency = str(record.currency).strip()
    extra = {
        "databento_instrument_id": str(int(record.instrument_id)),
        "dataset": dataset,
        "exchange": str(record.exchange).strip(),
        "security_type": str(record.security_type).strip(),
        "cfi": str(record.cfi).strip(),
    }
    if int(record.expiration) != _UNDEF_TS:
        extra["expiration_ns"] = str(int(record.expiration))
    return Instrument(
        f"{symbol}.{venue}",
        _INSTRUMENT_KINDS.get(str(record.instrument_class), InstrumentKind.SPOT),
        _fixed9(increment),
        str(lot) if 0 < lot < _I32_MAX else "1",
        str(record.asset).strip() or symbol,
        currency,
        str(record.settl_currency).strip() or currency,
        multiplier=multiplier,
        extra=extra,
    )


def _read_definition_file(path: Path, venue: str | None = None) -> list[tuple[int, Instrument]]:
    file = _DbnFile(path)
    try:
        dataset = str(file.metadata.dataset or "")
        venue = venue or venue_of(dataset)
        found: list[tuple[int, Instrument]] = []
        for records in file.records():
            for record in records:
                if not hasattr(record, "min_price_increment"):
                    continue
                if str(record.security_update_action) == "D":
                    continue
                inst = _definition_instrument(record, venue, dataset)
                if inst is not None:
                    found.append((int(record.instrument_id), inst))
        return found
    finally:
        file.close()


def read_definitions(path: Path, *, venue: str | None = None) -> list[Instrument]:
    """The instruments of a DBN definition file (the last definition of each id wins).

    ``min_price_increment`` gives the price increment, ``min_lot_size_round_lot``
    the size increment (1 when unset), ``unit_of_measure_qty`` (else
    ``contract_multiplier``) the multiplier, ``currency`` the quote currency.
    """
    latest: dict[str, Instrument] = {}
    for _, inst in _read_definition_file(Path(path), venue):
        latest[inst.id] = inst
    return list(latest.values())


def definitions(path: Path, *, options: LoaderOptions) -> list[Instrument]:
    """The instruments a DBN file defines: those of a definition file, none otherwise.

    The importer stores them in the catalog, so that data imported later
    finds the real increments.
    """
    file = _DbnFile(Path(path))
    try:
        is_definition = file.metadata.schema == dbn.Schema.DEFINITION
    finally:
        file.close()
    return read_definitions(Path(path), venue=options.venue) if is_definition else []


def _nearby_definitions(
    path: Path, venue: str
) -> tuple[dict[int, Instrument], dict[str, Instrument]]:
    by_number: dict[int, Instrument] = {}
    by_id: dict[str, Instrument] = {}
    for other in sorted(path.parent.glob("*definition*.dbn*")):
        if other.resolve() == path.resolve() or not other.is_file():
            continue
        for number, inst in _read_definition_file(other, venue):
            by_number[number] = inst
            by_id[inst.id] = inst
    return by_number, by_id


# --- instruments of a data file ----------------------------------------------


def _symbol_map(metadata: Any) -> dict[int, str]:
    """Numeric instrument id -> raw symbol, from the metadata's symbol mappings.

    Only mappings between raw symbols and instrument ids name one instrument
    each; a parent or continuous symbol (``ES.FUT``, ``ES.c.0``) covers many,
    so those instruments take their symbol from a definition instead.
    """
    out: dict[int, str] = {}
    mappings = metadata.mappings or {}
    stype_in = str(metadata.stype_in or "")
    stype_out = str(metadata.stype_out or "")
    by_raw = (stype_in, stype_out) == ("raw_symbol", "instrument_id")
    by_id = (stype_in, stype_out) == ("instrument_id", "raw_symbol")
    for input_symbol, intervals in mappings.items():
        for interval in intervals:
            output = str(interval["symbol"])
            if by_raw and output.isdigit():
                out[int(output)] = str(input_symbol)
            elif by_id and output and str(input_symbol).isdigit():
                out[int(input_symbol)] = output
    return out


def fewest_decimals(prices: npt.NDArray[np.int64]) -> int:
    """The fewest decimals that hold every 1e-9 price exactly (9 when there are none)."""
    if len(prices) == 0:
        return _PRICE_DECIMALS
    for decimals in range(_PRICE_DECIMALS + 1):
        if not np.any(prices % (10 ** (_PRICE_DECIMALS - decimals))):
            return decimals
    return _PRICE_DECIMALS


@dataclass
class _Instruments:
    source: str
    options: LoaderOptions
    venue: str
    symbols: dict[int, str]
    defs_by_number: dict[int, Instrument]
    defs_by_id: dict[str, Instrument]
    decided: dict[int, Instrument] = field(default_factory=dict)

    def get(self, number: int, prices: npt.NDArray[np.int64]) -> Instrument:
        """The instrument of DBN instrument id ``number`` (``prices`` for inference)."""
        found = self.decided.get(number)
        if found is not None:
            return found
        override = self.options.instrument
        if override is not None and self.decided:
            raise ConfigError(
                f"{self.source}: holds several instruments (DBN ids "
                f"{sorted([*self.decided, number])}); the instrument override "
                f"{override!r} can name only one"
            )
        definition = self.defs_by_number.get(number)
        symbol = self.symbols.get(number)
        if symbol is None:
            symbol = definition.instrument_id.symbol if definition else str(number)
        inst_id = override or f"{symbol}.{self.venue}"
        inst = self.options.instruments.get(inst_id) or self.defs_by_id.get(inst_id)
        if inst is None and definition is not None and override is not None:
            inst = dataclasses.replace(definition, id=inst_id)
        if inst is None:
            kind = (
                InstrumentKind.FUTURE
                if self.venue in ("GLBX", "IFEU", "NDEX")
                else (InstrumentKind.SPOT)
            )
            inst = inferred_instrument(inst_id, fewest_decimals(prices), 0, kind=kind)
        self.decided[number] = inst
        return inst


# --- checks and conversions ---------------------------------------------------


class _RecordCheck(RowCheck):
    """Row checks over DBN records; the quarantine text names every field."""

    def row_text(self, row: int) -> str:
        values = self.frame.row(row, named=True)
        return " ".join(f"{k}={v}" for k, v in values.items())


def _frame(arr: npt.NDArray[Any], names: list[str]) -> pl.DataFrame:
    columns: dict[str, Any] = {}
    for name in names:
        values = arr[name]
        if values.dtype.kind == "S":
            columns[name] = values.astype("U")
        else:
            columns[name] = values
    return pl.DataFrame(columns)


def _codes(arr: npt.NDArray[Any], name: str) -> npt.NDArray[np.uint8]:
    return arr[name].view(np.uint8)


def _map_codes(codes: npt.NDArray[np.uint8], mapping: dict[int, int], default: int) -> Int64Array:
    table = np.full(256, default, dtype=np.int64)
    for code, value in mapping.items():
        table[code] = value
    return table[codes]


def _timestamps(check: RowCheck, arr: npt.NDArray[Any], name: str) -> Int64Array:
    raw = arr[name]
    check.flag(raw >= np.uint64(_I64_MAX), f"field {name!r}: undefined or out of range")
    return np.where(raw >= np.uint64(_I64_MAX), 0, raw).astype(np.int64)


def _rescale(
    check: RowCheck,
    prices: npt.NDArray[np.int64],
    precision: Int64Array,
    *,
    name: str,
    needed: npt.NDArray[np.bool_],
) -> Int64Array:
    """1e-9 prices -> raw at each row's precision; UNDEF -> 0 (a bad row where ``needed``)."""
    undefined = prices == UNDEF_PRICE
    check.flag(needed & undefined, f"field {name!r}: undefined price (UNDEF_PRICE)")
    px = np.where(undefined, 0, prices).astype(np.int64)
    out = np.zeros(len(px), dtype=np.int64)
    for p in np.unique(precision).tolist():
        rows = precision == p
        if p <= _PRICE_DECIMALS:
            divisor = 10 ** (_PRICE_DECIMALS - p)
            inexact = rows & (px % divisor != 0)
            out[rows] = px[rows] // divisor
        else:
            factor = 10 ** (p - _PRICE_DECIMALS)
            inexact = rows & (np.abs(px) > _I64_MAX // factor)
            out[rows & ~inexact] = px[rows & ~inexact] * factor
        check.flag(inexact & ~undefined, _too_fine(name, px, p))
    return np.where(undefined, 0, out)


def _too_fine(name: str, px: Int64Array, precision: int) -> Callable[[int], str]:
    def reason(row: int) -> str:
        return (
            f"field {name!r}: {_fixed9(int(px[row]))} does not fit the instrument's "
            f"precision {precision} exactly"
        )

    return reason


def _sizes(
    check: RowCheck, values: npt.NDArray[Any], precision: Int64Array, name: str
) -> Int64Array:
    """Whole-number DBN sizes -> raw sizes at each row's size precision."""
    big = values.astype(np.uint64) > np.uint64(_I64_MAX)
    check.flag(big, f"field {name!r}: too large for a 64-bit size")
    whole = np.where(big, 0, values).astype(np.int64)
    factor = np.power(10, precision, dtype=np.int64)
    over = np.abs(whole) > (_I64_MAX // factor)
    check.flag(over, f"field {name!r}: too large at the instrument's size precision")
    return np.where(over, 0, whole * factor)


@dataclass
class _Prepared:
    check: _RecordCheck
    numbers: Int64Array
    instruments: dict[int, Instrument]
    price_prec: Int64Array
    size_prec: Int64Array


def _prepare(
    ctx: _Instruments,
    arr: npt.NDArray[Any],
    numbers: Int64Array,
    names: list[str],
    price_fields: list[tuple[str, npt.NDArray[np.bool_]]],
) -> _Prepared:
    check = _RecordCheck(Chunk(_frame(arr, names), numbers), ctx.source)
    ids = arr["instrument_id"].astype(np.int64)
    instruments: dict[int, Instrument] = {}
    for number in dict.fromkeys(int(i) for i in ids):
        rows = ids == number
        seen = [
            arr[f][rows & used & (arr[f] != UNDEF_PRICE)].astype(np.int64)
            for f, used in price_fields
        ]
        instruments[number] = ctx.get(number, np.concatenate(seen))
    price_prec = np.zeros(len(arr), dtype=np.int64)
    size_prec = np.zeros(len(arr), dtype=np.int64)
    for number, inst in instruments.items():
        rows = ids == number
        price_prec[rows] = inst.price_precision
        size_prec[rows] = inst.size_precision
    return _Prepared(check, ids, instruments, price_prec, size_prec)


# --- loading ------------------------------------------------------------------


@dataclass
class _MboState:
    """An instrument's book state carried across chunks of an MBO file."""

    #: Open orders and their sizes, to turn partial cancels into updates.
    open_orders: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema={"oid": pl.UInt64, "left": pl.Int64})
    )
    in_snapshot: bool = False
    last_ts: int | None = None


def load(path: Path, *, options: LoaderOptions, errors: ErrorSink) -> Iterator[Batch]:
    """Reads one DBN file into batches per instrument, kind and chunk."""
    path = Path(path)
    source = str(path)
    file = _DbnFile(path)
    try:
        metadata = file.metadata
        venue = options.venue or venue_of(str(metadata.dataset or ""))
        defs_by_number, defs_by_id = _nearby_definitions(path, venue)
        ctx = _Instruments(
            source, options, venue, _symbol_map(metadata), defs_by_number, defs_by_id
        )
        mbo_states: dict[int, _MboState] = {}
        last_ts: dict[int, int | None] = {}
        for cls, arr, numbers in file.blocks(options.batch_rows):
            if cls is dbn.MBOMsg:
                yield from _load_mbo(ctx, arr, numbers, errors, mbo_states)
            elif cls is dbn.OHLCVMsg:
                yield from _load_bars(ctx, arr, numbers, errors, last_ts)
            else:
                yield from _load_mbp_or_trades(ctx, arr, numbers, errors, last_ts)
    finally:
        file.close()


def _batch(inst: Instrument, kind: DataKind, frame: pl.DataFrame) -> Batch:
    return Batch(inst, kind, conform(frame.to_arrow(), kind))


def _trades_frame(
    rows: Int64Array,
    ts_event: Int64Array,
    ts_init: Int64Array,
    price: Int64Array,
    size: Int64Array,
    side: npt.NDArray[np.uint8],
    sequence: npt.NDArray[Any],
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "ts_event": ts_event[rows],
            "ts_init": ts_init[rows],
            "price": price[rows],
            "size": size[rows],
            "aggressor_side": _map_codes(side[rows], _AGGRESSOR, int(AggressorSide.NO_AGGRESSOR)),
            "trade_id": pl.Series(sequence[rows].astype(np.int64)).cast(pl.String),
        }
    )


def _check_order(
    prep: _Prepared, ts: Int64Array, label: str, last_ts: dict[int, int | None]
) -> None:
    for number in prep.instruments:
        rows = np.flatnonzero(prep.numbers == number)
        last_ts[number] = prep.check.not_backwards(ts, last_ts.get(number), label=label, rows=rows)


def _load_mbo(
    ctx: _Instruments,
    arr: npt.NDArray[Any],
    numbers: Int64Array,
    errors: ErrorSink,
    states: dict[int, _MboState],
) -> Iterator[Batch]:
    action = _codes(arr, "action")
    side = _codes(arr, "side")
    priced = np.isin(action, [_A, _C, _M, _T])
    prep = _prepare(
        ctx,
        arr,
        numbers,
        [
            "ts_recv",
            "ts_event",
            "instrument_id",
            "action",
            "side",
            "price",
            "size",
            "order_id",
            "flags",
            "sequence",
        ],
        [("price", priced)],
    )
    check = prep.check
    check.flag(
        ~np.isin(action, [_A, _C, _M, _R, _T, _F, _N]),
        lambda i: f"field 'action': unknown MBO action {check.value('action', i)!r}",
    )
    ts_event = _timestamps(check, arr, "ts_event")
    ts_recv = _timestamps(check, arr, "ts_recv")
    book_side = np.isin(action, [_A, _C, _M])
    check.flag(
        book_side & ~np.isin(side, [_A, _B]),
        lambda i: (
            f"field 'side': expected 'A' or 'B' for action "
            f"{check.value('action', i)!r}, got {check.value('side', i)!r}"
        ),
    )
    price = _rescale(check, arr["price"], prep.price_prec, name="price", needed=priced)
    size = _sizes(check, arr["size"], prep.size_prec, "size")
    for number in prep.instruments:
        state = states.setdefault(number, _MboState())
        rows = np.flatnonzero(prep.numbers == number)
        state.last_ts = check.not_backwards(ts_recv, state.last_ts, label="ts_recv", rows=rows)
    keep = check.finish(errors)
    flags = arr["flags"].astype(np.int64)
    order_id = arr["order_id"]
    sequence = arr["sequence"].astype(np.int64)
    for number, inst in prep.instruments.items():
        mine = keep & (prep.numbers == number)
        book_rows = np.flatnonzero(mine & np.isin(action, [_A, _C, _M, _R]))
        if len(book_rows):
            frame = _mbo_deltas(
                states[number],
                action=action[book_rows],
                side=side[book_rows],
                price=price[book_rows],
                size=size[book_rows],
                order_id=order_id[book_rows],
                flags=flags[book_rows],
                sequence=sequence[book_rows],
                ts_event=ts_event[book_rows],
                ts_init=ts_recv[book_rows],
            )
            yield _batch(inst, DataKind.DELTAS, frame)
        trade_rows = np.flatnonzero(mine & (action == _T))
        if len(trade_rows):
            frame = _trades_frame(trade_rows, ts_event, ts_recv, price, size, side, arr["sequence"])
            yield _batch(inst, DataKind.TRADES, frame)


def _mbo_deltas(
    state: _MboState,
    *,
    action: npt.NDArray[np.uint8],
    side: npt.NDArray[np.uint8],
    price: Int64Array,
    size: Int64Array,
    order_id: npt.NDArray[np.uint64],
    flags: Int64Array,
    sequence: Int64Array,
    ts_event: Int64Array,
    ts_init: Int64Array,
) -> pl.DataFrame:
    n = len(action)
    snapshot = (flags & FLAG_SNAPSHOT) != 0
    previous = np.concatenate(([state.in_snapshot], snapshot[:-1]))
    # A snapshot replaces the book: give one that lacks a leading Clear its own.
    starts = snapshot & ~previous & (action != _R)
    state.in_snapshot = bool(snapshot[-1])
    records = pl.DataFrame(
        {
            "pos": np.arange(n, dtype=np.int64) * 2 + 1,
            "act": action.astype(np.int64),
            "side": side.astype(np.int64),
            "price": price,
            "size": size,
            "oid": order_id,
            "flags": flags,
            "sequence": sequence,
            "ts_event": ts_event,
            "ts_init": ts_init,
        }
    )
    clears = records.filter(pl.Series(starts)).with_columns(
        pl.col("pos") - 1,
        pl.lit(_R, pl.Int64).alias("act"),
        pl.lit(_N, pl.Int64).alias("side"),
        pl.lit(0, pl.Int64).alias("price"),
        pl.lit(0, pl.Int64).alias("size"),
        pl.lit(0, pl.UInt64).alias("oid"),
        pl.lit(FLAG_SNAPSHOT, pl.Int64).alias("flags"),
    )
    events = pl.concat([records, clears]).sort("pos")
    events = events.with_columns(_sizes_left(state, events))
    action_code = (
        pl.when(pl.col("act") == _A)
        .then(int(BookAction.ADD))
        .when(pl.col("act") == _M)
        .then(int(BookAction.UPDATE))
        .when(pl.col("act") == _R)
        .then(int(BookAction.CLEAR))
        .when(pl.col("left").is_not_null() & (pl.col("left") > 0))
        .then(int(BookAction.UPDATE))
        .otherwise(int(BookAction.DELETE))
    )
    size_out = (
        pl.when(pl.col("act") == _C)
        .then(pl.when(pl.col("left") > 0).then(pl.col("left")).otherwise(0))
        .when(pl.col("act") == _R)
        .then(0)
        .otherwise(pl.col("size"))
        .fill_null(0)
    )
    side_out = (
        pl.when(pl.col("side") == _B)
        .then(int(BookSide.BID))
        .when(pl.col("side") == _A)
        .then(int(BookSide.ASK))
        .otherwise(int(BookSide.NO_SIDE))
    )
    return events.select(
        "ts_event",
        "ts_init",
        action_code.alias("action"),
        side_out.alias("side"),
        "price",
        size_out.alias("size"),
        pl.col("oid").alias("order_id"),
        "sequence",
        pl.lit(0).alias("first_update_id"),
        pl.lit(0).alias("prev_update_id"),
        "flags",
    )


def _sizes_left(state: _MboState, events: pl.DataFrame) -> pl.Series:
    """For each Cancel, the order's size left after it (null when the order is unknown).

    An order's size is set by its Add or Modify and reduced by each Cancel;
    orders still open at the end of the chunk are carried in ``state``. A
    Clear forgets every order before it.
    """
    epoch = (events["act"] == _R).cum_sum()
    last_epoch = int(epoch[-1]) if len(epoch) else 0
    orders = (
        events.select("pos", "act", "oid", "size")
        .with_columns(epoch.alias("epoch"))
        .filter(pl.col("act").is_in([_A, _C, _M]))
        .sort("oid", "pos")
        .with_columns(
            pl.col("act").is_in([_A, _M]).cast(pl.Int64).cum_sum().over("oid").alias("seg")
        )
        .join(state.open_orders, on="oid", how="left")
    )
    cancelled = pl.when(pl.col("act") == _C).then(pl.col("size")).otherwise(0)
    base = (
        pl.when(pl.col("seg") > 0)
        .then(pl.col("size").first().over("oid", "seg"))
        .when(pl.col("epoch") == 0)
        .then(pl.col("left"))
        .otherwise(None)
    )
    orders = orders.with_columns((base - cancelled.cum_sum().over("oid", "seg")).alias("after"))
    # Orders open after the chunk: the last event of each in the last epoch.
    final = (
        orders.filter(pl.col("epoch") == last_epoch)
        .group_by("oid")
        .agg(pl.col("act").last(), pl.col("size").last(), pl.col("after").last())
        .with_columns(
            pl.when(pl.col("act") == _C)
            .then(pl.col("after"))
            .otherwise(pl.col("size"))
            .alias("left")
        )
    )
    carried = state.open_orders if last_epoch == 0 else state.open_orders.clear()
    state.open_orders = pl.concat(
        [
            carried.join(final.select("oid"), on="oid", how="anti"),
            final.filter(pl.col("left").is_not_null() & (pl.col("left") > 0)).select(
                "oid", pl.col("left").cast(pl.Int64)
            ),
        ]
    )
    left = events.select("pos").join(
        orders.filter(pl.col("act") == _C).select("pos", "after"), on="pos", how="left"
    )
    return left.sort("pos")["after"].alias("left")


def _load_mbp_or_trades(
    ctx: _Instruments,
    arr: npt.NDArray[Any],
    numbers: Int64Array,
    errors: ErrorSink,
    last_ts: dict[int, int | None],
) -> Iterator[Batch]:
    action = _codes(arr, "action")
    side = _codes(arr, "side")
    has_levels = "bid_px_00" in (arr.dtype.names or ())
    is_trade = (action == _T) if has_levels else np.ones(len(arr), dtype=np.bool_)
    is_quote = ~np.isin(action, [_T, _F]) if has_levels else np.zeros(len(arr), dtype=np.bool_)
    names = [
        "ts_recv",
        "ts_event",
        "instrument_id",
        "action",
        "side",
        "price",
        "size",
        "flags",
        "sequence",
    ]
    price_fields: list[tuple[str, npt.NDArray[np.bool_]]] = [("price", is_trade)]
    if has_levels:
        names += ["bid_px_00", "ask_px_00", "bid_sz_00", "ask_sz_00"]
        price_fields += [("bid_px_00", is_quote), ("ask_px_00", is_quote)]
    prep = _prepare(ctx, arr, numbers, names, price_fields)
    check = prep.check
    ts_event = _timestamps(check, arr, "ts_event")
    ts_recv = _timestamps(check, arr, "ts_recv")
    price = _rescale(check, arr["price"], prep.price_prec, name="price", needed=is_trade)
    size = _sizes(check, arr["size"], prep.size_prec, "size")
    if has_levels:
        bid = _rescale(check, arr["bid_px_00"], prep.price_prec, name="bid_px_00", needed=~is_quote)
        ask = _rescale(check, arr["ask_px_00"], prep.price_prec, name="ask_px_00", needed=~is_quote)
        # An empty side (UNDEF_PRICE) is stored as price 0 and size 0.
        bid_size = np.where(arr["bid_px_00"] == UNDEF_PRICE, 0, arr["bid_sz_00"])
        ask_size = np.where(arr["ask_px_00"] == UNDEF_PRICE, 0, arr["ask_sz_00"])
        bid_size = _sizes(check, bid_size, prep.size_prec, "bid_sz_00")
        ask_size = _sizes(check, ask_size, prep.size_prec, "ask_sz_00")
    _check_order(prep, ts_recv, "ts_recv", last_ts)
    keep = check.finish(errors)
    for number, inst in prep.instruments.items():
        mine = keep & (prep.numbers == number)
        if has_levels:
            rows = np.flatnonzero(mine & is_quote)
            if len(rows):
                quotes = pl.DataFrame(
                    {
                        "ts_event": ts_event[rows],
                        "ts_init": ts_recv[rows],
                        "bid_price": bid[rows],
                        "ask_price": ask[rows],
                        "bid_size": bid_size[rows],
                        "ask_size": ask_size[rows],
                        "update_id": arr["sequence"][rows].astype(np.int64),
                    }
                )
                yield _batch(inst, DataKind.QUOTES, quotes)
        rows = np.flatnonzero(mine & is_trade)
        if len(rows):
            frame = _trades_frame(rows, ts_event, ts_recv, price, size, side, arr["sequence"])
            yield _batch(inst, DataKind.TRADES, frame)


def _load_bars(
    ctx: _Instruments,
    arr: npt.NDArray[Any],
    numbers: Int64Array,
    errors: ErrorSink,
    last_ts: dict[int, int | None],
) -> Iterator[Batch]:
    fields = ["open", "high", "low", "close"]
    everything = np.ones(len(arr), dtype=np.bool_)
    prep = _prepare(
        ctx,
        arr,
        numbers,
        ["ts_event", "instrument_id", "rtype", *fields, "volume"],
        [(f, everything) for f in fields],
    )
    check = prep.check
    ts_open = _timestamps(check, arr, "ts_event")
    intervals = np.zeros(len(arr), dtype=np.int64)
    for rtype in np.unique(arr["rtype"]).tolist():
        try:
            interval = dbn.RType.from_int(rtype).interval()
        except Exception:  # not a record type this version knows
            interval = None
        seconds = int(interval.total_seconds()) if interval is not None else 0
        rows = arr["rtype"] == rtype
        if seconds <= 0:
            check.flag(rows, f"field 'rtype': {rtype} is not an OHLCV interval")
        intervals[rows] = seconds * 1_000_000_000
    values = {
        f: _rescale(check, arr[f], prep.price_prec, name=f, needed=everything) for f in fields
    }
    volume = _sizes(check, arr["volume"], prep.size_prec, "volume")
    _check_order(prep, ts_open, "ts_event", last_ts)
    keep = check.finish(errors)
    for number, inst in prep.instruments.items():
        rows = np.flatnonzero(keep & (prep.numbers == number))
        if len(rows) == 0:
            continue
        close_time = ts_open[rows] + intervals[rows]
        bars = pl.DataFrame(
            {
                "ts_open": ts_open[rows],
                "ts_event": close_time,
                "ts_init": close_time,
                **{f: values[f][rows] for f in fields},
                "volume": volume[rows],
            }
        )
        yield _batch(inst, DataKind.BARS, bars)
