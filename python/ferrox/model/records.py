"""Per-event forms of the market-data kinds, converted to and from columns without loss.

The columnar form (:mod:`ferrox.model.schema`) is what loaders, the catalog and
batch kernels use; these records are what a strategy or a notebook reads one at
a time. Prices and sizes are exact :class:`~ferrox.Price` and
:class:`~ferrox.Quantity` values at the instrument's precisions, so
``to_table(from_table(t)) == t`` for every table.

>>> import pyarrow as pa
>>> from ferrox.model import Instrument, InstrumentKind
>>> inst = Instrument("BTCUSDT.BINANCE-USDM", InstrumentKind.PERPETUAL, "0.10", "0.001",
...                   "BTC", "USDT", "USDT")
>>> table = pa.table({"ts_event": [1], "ts_init": [2], "price": [6180030], "size": [6],
...                   "aggressor_side": [1], "trade_id": ["5266583935"]})
>>> [tick] = from_table(table, DataKind.TRADES, inst)
>>> tick.price, tick.size, tick.aggressor_side.name
(Price('61800.30'), Quantity('0.006'), 'BUYER')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import pyarrow as pa

from ferrox._core import Price, Quantity
from ferrox.model.instrument import Instrument
from ferrox.model.schema import (
    PRICE_COLUMNS,
    SCHEMAS,
    SIZE_COLUMNS,
    AggressorSide,
    BookAction,
    BookSide,
    DataKind,
    conform,
)


@dataclass(frozen=True, slots=True)
class TradeTick:
    """A trade print."""

    instrument_id: str
    ts_event: int
    ts_init: int
    price: Price
    size: Quantity
    aggressor_side: AggressorSide
    trade_id: str


@dataclass(frozen=True, slots=True)
class QuoteTick:
    """Best bid and offer; ``update_id`` is the venue's book update id (0 if none)."""

    instrument_id: str
    ts_event: int
    ts_init: int
    bid_price: Price
    ask_price: Price
    bid_size: Quantity
    ask_size: Quantity
    update_id: int


@dataclass(frozen=True, slots=True)
class BookDelta:
    """One change to an order book (L2 level or L3 order, see ``order_id``)."""

    instrument_id: str
    ts_event: int
    ts_init: int
    action: BookAction
    side: BookSide
    price: Price
    size: Quantity
    order_id: int
    sequence: int
    first_update_id: int
    prev_update_id: int
    flags: int


@dataclass(frozen=True, slots=True)
class Bar:
    """An OHLCV bar; ``ts_open`` opens it, ``ts_event`` closes it."""

    instrument_id: str
    ts_open: int
    ts_event: int
    ts_init: int
    open: Price
    high: Price
    low: Price
    close: Price
    volume: Quantity


Record = TradeTick | QuoteTick | BookDelta | Bar

RECORD_TYPES: dict[DataKind, type[Record]] = {
    DataKind.TRADES: TradeTick,
    DataKind.AGG_TRADES: TradeTick,
    DataKind.QUOTES: QuoteTick,
    DataKind.DELTAS: BookDelta,
    DataKind.BARS: Bar,
}

_ENUMS: dict[str, type[AggressorSide] | type[BookAction] | type[BookSide]] = {
    "aggressor_side": AggressorSide,
    "action": BookAction,
    "side": BookSide,
}


def from_table(table: pa.Table, kind: DataKind, instrument: Instrument) -> list[Record]:
    """The rows of a columnar ``table`` of ``kind`` as records of ``instrument``."""
    table = conform(table, kind)
    record_type = RECORD_TYPES[kind]
    price_cols, size_cols = set(PRICE_COLUMNS[kind]), set(SIZE_COLUMNS[kind])
    pp, sp = instrument.price_precision, instrument.size_precision
    columns: dict[str, list[Any]] = {}
    for name in table.column_names:
        values = table.column(name).to_pylist()
        if name in price_cols:
            values = [Price.from_raw(v, pp) for v in values]
        elif name in size_cols:
            values = [Quantity.from_raw(v, sp) for v in values]
        elif name in _ENUMS:
            values = [_ENUMS[name](v) for v in values]
        columns[name] = values
    names = list(columns)
    return [
        record_type(instrument.id, *row) for row in zip(*(columns[n] for n in names), strict=True)
    ]


def to_table(records: Sequence[Record], kind: DataKind, instrument: Instrument) -> pa.Table:
    """Records of ``instrument`` back to the columnar form of ``kind``.

    Values are rescaled exactly to the instrument's precisions; a value finer
    than the precision raises :class:`~ferrox.DataError`.
    """
    record_type = RECORD_TYPES[kind]
    schema = SCHEMAS[kind]
    price_cols, size_cols = set(PRICE_COLUMNS[kind]), set(SIZE_COLUMNS[kind])
    pp, sp = instrument.price_precision, instrument.size_precision
    columns: dict[str, list[Any]] = {f.name: [] for f in schema}
    names = [f.name for f in fields(record_type) if f.name != "instrument_id"]
    for rec in records:
        if not isinstance(rec, record_type):
            raise TypeError(f"expected {record_type.__name__}, got {type(rec).__name__}")
        for name in names:
            value = getattr(rec, name)
            if name in price_cols:
                value = value.rescaled(pp).raw
            elif name in size_cols:
                value = value.rescaled(sp).raw
            elif name in _ENUMS:
                value = int(value)
            columns[name].append(value)
    return pa.table(columns, schema=schema)
