"""Columnar schemas of the market-data kinds, as stored in the catalog.

Prices and sizes are ``int64`` raw fixed-point values at the instrument's
precisions (``price_precision``, ``size_precision``), never floats; the
precisions travel in each table's schema metadata. Timestamps are ``int64``
nanoseconds since the Unix epoch (UTC): ``ts_event`` when it happened at the
source, ``ts_init`` when ferrox received it.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

import pyarrow as pa

#: Version of the column layout below; stored in every Parquet file and in the
#: catalog manifest. Bump it when a column changes meaning or type.
SCHEMA_VERSION = 1


class DataKind(StrEnum):
    """The kinds of market data the catalog stores."""

    TRADES = "trades"
    #: Aggregate trades (Binance ``aggTrade``), kept apart from ``trades`` so a
    #: capture of both streams does not count each trade twice.
    AGG_TRADES = "agg_trades"
    QUOTES = "quotes"
    DELTAS = "deltas"
    BARS = "bars"


class AggressorSide(IntEnum):
    """Who initiated a trade (``aggressor_side`` column)."""

    NO_AGGRESSOR = 0
    BUYER = 1
    SELLER = 2


class BookSide(IntEnum):
    """Side of a book delta (``side`` column)."""

    NO_SIDE = 0
    BID = 1
    ASK = 2


class BookAction(IntEnum):
    """What a book delta does (``action`` column)."""

    ADD = 1
    UPDATE = 2
    DELETE = 3
    CLEAR = 4


#: Delta flag: last record of a venue batch, the book is consistent after it (Databento F_LAST).
FLAG_LAST = 0x80
#: Delta flag: part of a snapshot rather than a live update (Databento F_SNAPSHOT).
FLAG_SNAPSHOT = 0x20

TRADES_SCHEMA = pa.schema(
    [
        ("ts_event", pa.int64()),
        ("ts_init", pa.int64()),
        ("price", pa.int64()),
        ("size", pa.int64()),
        ("aggressor_side", pa.uint8()),
        ("trade_id", pa.string()),
    ]
)

QUOTES_SCHEMA = pa.schema(
    [
        ("ts_event", pa.int64()),
        ("ts_init", pa.int64()),
        ("bid_price", pa.int64()),
        ("ask_price", pa.int64()),
        ("bid_size", pa.int64()),
        ("ask_size", pa.int64()),
        ("update_id", pa.uint64()),
    ]
)

DELTAS_SCHEMA = pa.schema(
    [
        ("ts_event", pa.int64()),
        ("ts_init", pa.int64()),
        ("action", pa.uint8()),
        ("side", pa.uint8()),
        ("price", pa.int64()),
        ("size", pa.int64()),
        ("order_id", pa.uint64()),
        ("sequence", pa.uint64()),
        ("first_update_id", pa.uint64()),
        ("prev_update_id", pa.uint64()),
        ("flags", pa.uint8()),
    ]
)

BARS_SCHEMA = pa.schema(
    [
        ("ts_open", pa.int64()),
        ("ts_event", pa.int64()),
        ("ts_init", pa.int64()),
        ("open", pa.int64()),
        ("high", pa.int64()),
        ("low", pa.int64()),
        ("close", pa.int64()),
        ("volume", pa.int64()),
    ]
)

SCHEMAS: dict[DataKind, pa.Schema] = {
    DataKind.TRADES: TRADES_SCHEMA,
    DataKind.AGG_TRADES: TRADES_SCHEMA,
    DataKind.QUOTES: QUOTES_SCHEMA,
    DataKind.DELTAS: DELTAS_SCHEMA,
    DataKind.BARS: BARS_SCHEMA,
}

#: Columns holding raw prices (at ``price_precision``), per kind.
PRICE_COLUMNS: dict[DataKind, tuple[str, ...]] = {
    DataKind.TRADES: ("price",),
    DataKind.AGG_TRADES: ("price",),
    DataKind.QUOTES: ("bid_price", "ask_price"),
    DataKind.DELTAS: ("price",),
    DataKind.BARS: ("open", "high", "low", "close"),
}

#: Columns holding raw sizes (at ``size_precision``), per kind.
SIZE_COLUMNS: dict[DataKind, tuple[str, ...]] = {
    DataKind.TRADES: ("size",),
    DataKind.AGG_TRADES: ("size",),
    DataKind.QUOTES: ("bid_size", "ask_size"),
    DataKind.DELTAS: ("size",),
    DataKind.BARS: ("volume",),
}


def empty_table(kind: DataKind) -> pa.Table:
    """An empty table with the schema of ``kind``."""
    return SCHEMAS[kind].empty_table()


def conform(table: pa.Table, kind: DataKind) -> pa.Table:
    """Casts and orders ``table``'s columns to the schema of ``kind``.

    Raises ``ValueError`` naming the missing column if one is absent; casts are
    safe (an int64 that does not fit uint8 raises instead of wrapping).
    """
    schema = SCHEMAS[kind]
    missing = [f.name for f in schema if f.name not in table.column_names]
    if missing:
        raise ValueError(f"{kind} table lacks columns {missing}; expected {schema.names}")
    return table.select(schema.names).cast(schema, safe=True)
