"""Tardis.dev CSV datasets -> trades, quotes or book deltas.

Every Tardis CSV starts with ``exchange,symbol,timestamp,local_timestamp``;
the remaining columns say which dataset it is:

- ``trades`` (``id,side,price,amount``) -> TRADES: ``side`` buy/sell/unknown
  is the aggressor (BUYER/SELLER/NO_AGGRESSOR), ``id`` the trade id.
- ``quotes`` (``ask_amount,ask_price,bid_price,bid_amount``) -> QUOTES. An
  empty side (Tardis leaves both its price and amount empty) means nothing is
  quoted there: it is stored as price 0 and size 0. ``update_id`` is 0.
- ``incremental_book_L2`` (``is_snapshot,side,price,amount``) -> DELTAS. A
  run of snapshot rows from one message (same timestamps) starts with a
  CLEAR, then ADDs flagged ``FLAG_SNAPSHOT``; update rows are UPDATEs, or
  DELETEs when the amount is 0. ``FLAG_LAST`` marks the last row of each
  message: where the next row's ``timestamp``, ``local_timestamp`` or
  ``is_snapshot`` differs, or at the end of the file.
- ``book_snapshot_N`` (``asks[i].price,asks[i].amount,bids[i].price,
  bids[i].amount``) -> DELTAS: each row becomes a CLEAR and one ADD per
  non-empty level (bids, then asks, best first), all flagged
  ``FLAG_SNAPSHOT``, the row's last delta also ``FLAG_LAST``. Chunks hold
  ``batch_rows / (2N + 1)`` rows so a batch stays near ``batch_rows`` deltas.

``timestamp`` (the exchange's time, µs) becomes ``ts_event`` and
``local_timestamp`` (when Tardis received it, µs) ``ts_init``, both in ns.
Tardis orders rows by ``local_timestamp``; a row whose ``local_timestamp``
goes backwards (per instrument) is a bad row. Exchange timestamps may go
backwards and are kept as they are.

The instrument id is ``SYMBOL.VENUE``, the venue mapped from ``exchange``
(:data:`VENUES`; any other exchange upper-cased, e.g. ``HUOBI-DM-SWAP``);
``options.venue`` or ``options.instrument`` override it. Increments come from
``options.instruments``, else they are inferred from the decimals the whole
file is written with (a first streaming pass over the file).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

import numpy as np
import polars as pl

from ferrox.data.loaders._chunks import (
    KEY_SEPARATOR,
    Chunk,
    InstrumentResolver,
    Int64Array,
    LevelBookState,
    RowCheck,
    group_codes,
    inferred_instrument,
    iter_csv,
    level_deltas,
    read_first_line,
    scan_decimals,
)
from ferrox.data.loaders.base import Batch, ErrorSink, LoaderOptions
from ferrox.errors import DataError
from ferrox.model.instrument import Instrument, InstrumentKind
from ferrox.model.schema import (
    FLAG_LAST,
    FLAG_SNAPSHOT,
    AggressorSide,
    BookAction,
    BookSide,
    DataKind,
    conform,
)

#: Tardis exchange name -> ferrox venue.
VENUES: dict[str, str] = {
    "binance": "BINANCE",
    "binance-futures": "BINANCE-USDM",
    "binance-delivery": "BINANCE-COINM",
    "bitmex": "BITMEX",
    "deribit": "DERIBIT",
}

#: The columns every Tardis CSV starts with.
COMMON = ("exchange", "symbol", "timestamp", "local_timestamp")


class Dataset(StrEnum):
    """The Tardis CSV datasets this loader reads."""

    TRADES = "trades"
    QUOTES = "quotes"
    INCREMENTAL_BOOK_L2 = "incremental_book_L2"
    BOOK_SNAPSHOT = "book_snapshot"


_COLUMNS: dict[Dataset, tuple[str, ...]] = {
    Dataset.TRADES: ("id", "side", "price", "amount"),
    Dataset.QUOTES: ("ask_amount", "ask_price", "bid_price", "bid_amount"),
    Dataset.INCREMENTAL_BOOK_L2: ("is_snapshot", "side", "price", "amount"),
}
_LEVEL = re.compile(r"(asks|bids)\[(\d+)\]\.(price|amount)")
_AGGRESSOR = {
    "buy": int(AggressorSide.BUYER),
    "sell": int(AggressorSide.SELLER),
    "unknown": int(AggressorSide.NO_AGGRESSOR),
}
_BOOK_SIDES = {"bid": int(BookSide.BID), "ask": int(BookSide.ASK)}
_BOOLS = {"true": 1, "false": 0}
_DERIVATIVE_HINTS = ("futures", "delivery", "swap", "-dm", "bitmex", "deribit", "bybit", "perp")


def venue_of(exchange: str) -> str:
    """The ferrox venue of a Tardis exchange name (``binance-futures`` -> ``BINANCE-USDM``)."""
    return VENUES.get(exchange, exchange.upper())


def detect(header: list[str]) -> tuple[Dataset, int]:
    """Which dataset a header belongs to, and its number of levels (book snapshots).

    Raises :class:`~ferrox.errors.DataError` describing the expected headers.
    """
    if tuple(header[:4]) == COMMON:
        rest = header[4:]
        for dataset, columns in _COLUMNS.items():
            if tuple(rest) == columns:
                return dataset, 0
        levels = len(rest) // 4
        expected = [
            f"{side}[{i}].{field}"
            for i in range(levels)
            for side in ("asks", "bids")
            for field in ("price", "amount")
        ]
        if levels and rest == expected:
            return Dataset.BOOK_SNAPSHOT, levels
    raise DataError(
        f"header {','.join(header)!r} is not a Tardis CSV this loader reads; expected "
        f"{','.join(COMMON)} followed by the columns of trades ({','.join(_COLUMNS[Dataset.TRADES])}), "
        f"quotes ({','.join(_COLUMNS[Dataset.QUOTES])}), incremental_book_L2 "
        f"({','.join(_COLUMNS[Dataset.INCREMENTAL_BOOK_L2])}) or book_snapshot_N "
        "(asks[0].price,asks[0].amount,bids[0].price,bids[0].amount,...)"
    )


def _price_size_columns(dataset: Dataset, header: list[str]) -> tuple[list[str], list[str]]:
    if dataset is Dataset.QUOTES:
        return ["ask_price", "bid_price"], ["ask_amount", "bid_amount"]
    if dataset is Dataset.BOOK_SNAPSHOT:
        return [c for c in header if c.endswith(".price")], [
            c for c in header if c.endswith(".amount")
        ]
    return ["price"], ["amount"]


def _make_instrument(key: str, inst_id: str, price: int, size: int) -> Instrument:
    exchange = key.split(KEY_SEPARATOR, 1)[0]
    derivative = any(hint in exchange for hint in _DERIVATIVE_HINTS)
    kind = InstrumentKind.PERPETUAL if derivative else InstrumentKind.SPOT
    return inferred_instrument(inst_id, price, size, kind=kind)


def load(path: Path, *, options: LoaderOptions, errors: ErrorSink) -> Iterator[Batch]:
    """Reads one Tardis CSV (plain or compressed) into batches per instrument and chunk."""
    path = Path(path)
    source = str(path)
    header = read_first_line(path)
    try:
        dataset, levels = detect(header)
    except DataError as exc:
        raise DataError(f"{source}:1: {exc}") from None
    price_columns, size_columns = _price_size_columns(dataset, header)
    batch_rows = options.batch_rows
    if dataset is Dataset.BOOK_SNAPSHOT:
        batch_rows = max(1, batch_rows // (2 * levels + 1))

    def chunks() -> Iterator[Chunk]:
        return iter_csv(path, names=header, has_header=True, batch_rows=batch_rows)

    resolver = InstrumentResolver(
        source=source,
        override=options.instrument,
        definitions=options.instruments,
        scan=lambda: scan_decimals(
            chunks(), ["exchange", "symbol"], price_columns, size_columns, source=source
        ),
        make=_make_instrument,
    )
    books: dict[str, LevelBookState] = {}
    last_local: dict[str, int | None] = {}
    for chunk in chunks():
        check = RowCheck(chunk, source)
        codes, keys = group_codes(chunk.frame, ["exchange", "symbol"])
        instruments: dict[int, Instrument] = {}
        for code, key in enumerate(keys):
            exchange, symbol = key.split(KEY_SEPARATOR)
            if exchange and symbol:
                venue = options.venue or venue_of(exchange)
                instruments[code] = resolver.resolve(key, f"{symbol}.{venue}")
            else:
                column = "symbol" if exchange else "exchange"
                check.flag(codes == code, f"column {column!r}: missing value")
        price_prec = np.zeros(chunk.height, dtype=np.int64)
        size_prec = np.zeros(chunk.height, dtype=np.int64)
        for code, inst in instruments.items():
            rows = codes == code
            price_prec[rows] = inst.price_precision
            size_prec[rows] = inst.size_precision
        ts_event = check.epoch("timestamp", "us")
        ts_init = check.epoch("local_timestamp", "us")
        if dataset is Dataset.TRADES:
            parsed = _parse_trades(check, price_prec, size_prec)
        elif dataset is Dataset.QUOTES:
            parsed = _parse_quotes(check, price_prec, size_prec)
        elif dataset is Dataset.INCREMENTAL_BOOK_L2:
            parsed = _parse_incremental(check, price_prec, size_prec)
        else:
            parsed = _parse_snapshot_levels(check, header, price_prec, size_prec)
        for code, inst in instruments.items():
            rows = np.flatnonzero(codes == code)
            last_local[inst.id] = check.not_backwards(
                ts_init, last_local.get(inst.id), label="local_timestamp", rows=rows
            )
        keep = check.finish(errors)
        for code, inst in instruments.items():
            rows = np.flatnonzero(keep & (codes == code))
            if len(rows) == 0:
                continue
            if dataset is Dataset.TRADES:
                yield _batch(inst, DataKind.TRADES, _trades(parsed, rows, ts_event, ts_init))
            elif dataset is Dataset.QUOTES:
                yield _batch(inst, DataKind.QUOTES, _quotes(parsed, rows, ts_event, ts_init))
            elif dataset is Dataset.BOOK_SNAPSHOT:
                snapshot = _snapshot_deltas(parsed, rows, ts_event, ts_init)
                yield _batch(inst, DataKind.DELTAS, snapshot)
            else:
                book = books.setdefault(inst.id, LevelBookState())
                released = _incremental_deltas(book, parsed, rows, ts_event, ts_init)
                if released is not None:
                    yield _batch(inst, DataKind.DELTAS, released)
    for inst_id, book in books.items():
        rest = book.pending.flush()
        if rest is not None:
            yield _batch(resolver.by_id[inst_id], DataKind.DELTAS, rest)


def _batch(inst: Instrument, kind: DataKind, frame: pl.DataFrame) -> Batch:
    return Batch(inst, kind, conform(frame.to_arrow(), kind))


_Parsed = dict[str, Int64Array | pl.Series]


def _parse_trades(check: RowCheck, price_prec: Int64Array, size_prec: Int64Array) -> _Parsed:
    # An empty side is read as "unknown", as Tardis writes it for venues without one.
    side = check.text("side")
    words = side.set(side.str.len_bytes() == 0, "unknown").str.to_lowercase()
    codes = words.replace_strict(
        list(_AGGRESSOR), list(_AGGRESSOR.values()), default=None, return_dtype=pl.Int64
    )
    check.flag(
        codes.is_null().to_numpy(),
        lambda i: (
            f"column 'side': expected one of 'buy', 'sell', 'unknown', "
            f"got {check.value('side', i)!r}"
        ),
    )
    price, _ = check.decimals("price", price_prec)
    size, _ = check.decimals("amount", size_prec, what="an amount")
    return {
        "price": price,
        "size": size,
        "aggressor_side": codes.fill_null(0).to_numpy(),
        "trade_id": check.text("id"),
    }


def _parse_quotes(check: RowCheck, price_prec: Int64Array, size_prec: Int64Array) -> _Parsed:
    parsed: _Parsed = {}
    for side in ("bid", "ask"):
        price, has_price = check.decimals(f"{side}_price", price_prec, optional=True)
        size, has_size = check.decimals(
            f"{side}_amount", size_prec, optional=True, what="an amount"
        )
        check.flag(
            has_price & ~has_size,
            f"column '{side}_amount': missing while {side}_price is given",
        )
        check.flag(
            has_size & ~has_price,
            f"column '{side}_price': missing while {side}_amount is given",
        )
        parsed[f"{side}_price"] = price
        parsed[f"{side}_size"] = size
    return parsed


def _parse_incremental(check: RowCheck, price_prec: Int64Array, size_prec: Int64Array) -> _Parsed:
    is_snapshot = check.choice("is_snapshot", _BOOLS)
    side = check.choice("side", _BOOK_SIDES)
    price, _ = check.decimals("price", price_prec)
    size, _ = check.decimals("amount", size_prec, what="an amount")
    return {"is_snapshot": is_snapshot, "side": side, "price": price, "size": size}


def _parse_snapshot_levels(
    check: RowCheck, header: list[str], price_prec: Int64Array, size_prec: Int64Array
) -> _Parsed:
    parsed: _Parsed = {}
    for column in header[4:]:
        match = _LEVEL.fullmatch(column)
        assert match is not None
        if match[3] == "price":
            values, present = check.decimals(column, price_prec, optional=True)
        else:
            values, present = check.decimals(column, size_prec, optional=True, what="an amount")
        parsed[column] = values
        parsed[column + "/present"] = present.astype(np.int64)
    for column in header[4:]:
        if column.endswith(".price"):
            other = column.removesuffix(".price") + ".amount"
            has_price = _arr(parsed, column + "/present").astype(np.bool_)
            has_size = _arr(parsed, other + "/present").astype(np.bool_)
            check.flag(has_price & ~has_size, f"column {other!r}: missing while {column} is given")
            check.flag(has_size & ~has_price, f"column {column!r}: missing while {other} is given")
    return parsed


def _trades(
    parsed: _Parsed, rows: Int64Array, ts_event: Int64Array, ts_init: Int64Array
) -> pl.DataFrame:
    trade_id = parsed["trade_id"]
    assert isinstance(trade_id, pl.Series)
    return pl.DataFrame(
        {
            "ts_event": ts_event[rows],
            "ts_init": ts_init[rows],
            "price": _arr(parsed, "price")[rows],
            "size": _arr(parsed, "size")[rows],
            "aggressor_side": _arr(parsed, "aggressor_side")[rows],
            "trade_id": trade_id.gather(rows),
        }
    )


def _quotes(
    parsed: _Parsed, rows: Int64Array, ts_event: Int64Array, ts_init: Int64Array
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "ts_event": ts_event[rows],
            "ts_init": ts_init[rows],
            "bid_price": _arr(parsed, "bid_price")[rows],
            "ask_price": _arr(parsed, "ask_price")[rows],
            "bid_size": _arr(parsed, "bid_size")[rows],
            "ask_size": _arr(parsed, "ask_size")[rows],
            "update_id": np.zeros(len(rows), dtype=np.int64),
        }
    )


def _incremental_deltas(
    book: LevelBookState,
    parsed: _Parsed,
    rows: Int64Array,
    ts_event: Int64Array,
    ts_init: Int64Array,
) -> pl.DataFrame | None:
    zeros = np.zeros(len(rows), dtype=np.int64)
    frame, first_key, last_key = level_deltas(
        book,
        keys=[ts_event[rows], ts_init[rows]],
        is_snapshot=_arr(parsed, "is_snapshot")[rows].astype(np.bool_),
        ts_event=ts_event[rows],
        ts_init=ts_init[rows],
        side=_arr(parsed, "side")[rows],
        price=_arr(parsed, "price")[rows],
        size=_arr(parsed, "size")[rows],
        sequence=zeros,
        first_update_id=zeros,
        prev_update_id=zeros,
    )
    return book.pending.push(frame, first_key, last_key)


def _snapshot_deltas(
    parsed: _Parsed, rows: Int64Array, ts_event: Int64Array, ts_init: Int64Array
) -> pl.DataFrame:
    n = len(rows)
    row_ids = np.arange(n, dtype=np.int64)
    parts = [
        pl.DataFrame(
            {
                "_row": row_ids,
                "_order": np.zeros(n, dtype=np.int64),
                "action": np.full(n, int(BookAction.CLEAR), dtype=np.int64),
                "side": np.full(n, int(BookSide.NO_SIDE), dtype=np.int64),
                "price": np.zeros(n, dtype=np.int64),
                "size": np.zeros(n, dtype=np.int64),
            }
        )
    ]
    level_columns = [c for c in parsed if c.endswith(".price")]
    for column in level_columns:
        match = _LEVEL.fullmatch(column)
        assert match is not None
        is_bid = match[1] == "bids"
        level = int(match[2])
        amount = column.removesuffix(".price") + ".amount"
        present = _arr(parsed, column + "/present")[rows].astype(np.bool_)
        order = 1 + level + (0 if is_bid else len(level_columns))
        parts.append(
            pl.DataFrame(
                {
                    "_row": row_ids[present],
                    "_order": np.full(int(present.sum()), order, dtype=np.int64),
                    "action": np.full(int(present.sum()), int(BookAction.ADD), dtype=np.int64),
                    "side": np.full(
                        int(present.sum()),
                        int(BookSide.BID if is_bid else BookSide.ASK),
                        dtype=np.int64,
                    ),
                    "price": _arr(parsed, column)[rows][present],
                    "size": _arr(parsed, amount)[rows][present],
                }
            )
        )
    deltas = pl.concat(parts).sort("_row", "_order")
    row_of = deltas["_row"].to_numpy()
    ends = np.ones(len(row_of), dtype=np.bool_)
    ends[:-1] = row_of[1:] != row_of[:-1]
    zeros = np.zeros(len(row_of), dtype=np.int64)
    return deltas.select(
        pl.Series("ts_event", ts_event[rows][row_of]),
        pl.Series("ts_init", ts_init[rows][row_of]),
        "action",
        "side",
        "price",
        "size",
        pl.Series("order_id", zeros),
        pl.Series("sequence", zeros),
        pl.Series("first_update_id", zeros),
        pl.Series("prev_update_id", zeros),
        pl.Series("flags", np.where(ends, FLAG_SNAPSHOT | FLAG_LAST, FLAG_SNAPSHOT)),
    )


def _arr(parsed: _Parsed, name: str) -> Int64Array:
    value = parsed[name]
    assert isinstance(value, np.ndarray)
    return value
