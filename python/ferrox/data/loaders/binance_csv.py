"""Binance depth CSV (the NautilusTrader test-data layout) -> book deltas.

The file has the header
``symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu``
(``pu`` only for futures). Rows become :data:`~ferrox.model.schema.DELTAS_SCHEMA`
rows:

- ``update_type`` ``snap``: a snapshot level. Each snapshot (a run of ``snap``
  rows with one ``last_update_id``) starts with a ``CLEAR`` delta, then one
  ``ADD`` per row; all are flagged ``FLAG_SNAPSHOT``.
- ``update_type`` ``set``: a diff level: ``UPDATE`` to the new quantity, or
  ``DELETE`` when the quantity is 0.
- ``sequence`` = ``last_update_id``, ``first_update_id`` as is,
  ``prev_update_id`` = ``pu`` (``-1``, "none", becomes 0).
- ``FLAG_LAST`` on the last row of each update-id group (the book is
  consistent after it), decided across chunk boundaries too.
- ``side`` ``b``/``a`` -> BID/ASK; ``order_id`` is 0 (levels, not orders).

``timestamp`` is the venue's event time in milliseconds; this format has no
local receive time, so ``ts_init`` equals ``ts_event`` (both in ns). Rows whose
timestamp goes backwards (per symbol) are bad rows.

Instrument: ``SYMBOL.BINANCE-USDM`` when the file has ``pu`` (USD-M futures),
``SYMBOL.BINANCE`` otherwise; ``options.venue`` replaces the venue and
``options.instrument`` the whole id (single-symbol files only). Increments
come from ``options.instruments``, else from the built-in Binance definitions
(:mod:`ferrox.data.venues.binance`), else they are inferred from the whole
file: a first streaming pass reads the decimals every price and quantity is
written with (bounded memory, the file is read twice), so no later value can
be finer than the inferred precision; kind and currencies are then read off
the symbol (:func:`ferrox.data.venues.binance.infer`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl

from ferrox.data.loaders._chunks import (
    InstrumentResolver,
    LevelBookState,
    RowCheck,
    group_codes,
    iter_csv,
    level_deltas,
    read_first_line,
    scan_decimals,
)
from ferrox.data.loaders.base import Batch, ErrorSink, LoaderOptions
from ferrox.data.venues import binance as binance_venue
from ferrox.errors import DataError
from ferrox.model.instrument import Instrument
from ferrox.model.schema import BookSide, DataKind, conform

#: The columns of the format, in order; ``pu`` is present for futures only.
COLUMNS = (
    "symbol",
    "timestamp",
    "first_update_id",
    "last_update_id",
    "side",
    "update_type",
    "price",
    "qty",
)
_SIDES = {"b": int(BookSide.BID), "a": int(BookSide.ASK)}
_TYPES = {"snap": 1, "set": 0}


def load(path: Path, *, options: LoaderOptions, errors: ErrorSink) -> Iterator[Batch]:
    """Reads a Binance depth CSV into DELTAS batches (one per instrument and chunk)."""
    path = Path(path)
    source = str(path)
    header = read_first_line(path)
    if tuple(header[: len(COLUMNS)]) != COLUMNS or header[len(COLUMNS) :] not in ([], ["pu"]):
        raise DataError(
            f"{source}:1: header {','.join(header)!r} is not a Binance depth CSV; "
            f"expected {','.join(COLUMNS)},pu (pu for futures only)"
        )
    futures = "pu" in header
    venue = options.venue or (binance_venue.USDM if futures else binance_venue.SPOT)
    instruments_of = InstrumentResolver(
        source=source,
        override=options.instrument,
        definitions=options.instruments,
        builtin=binance_venue.instrument,
        scan=lambda: scan_decimals(
            iter_csv(path, names=header, has_header=True, batch_rows=options.batch_rows),
            ["symbol"],
            ["price"],
            ["qty"],
            source=source,
        ),
        make=lambda _key, inst_id, price, size: binance_venue.infer(inst_id, price, size),
    )
    states: dict[str, LevelBookState] = {}
    for chunk in iter_csv(path, names=header, has_header=True, batch_rows=options.batch_rows):
        check = RowCheck(chunk, source)
        codes, keys = group_codes(chunk.frame, ["symbol"])
        instruments: dict[int, Instrument] = {}
        for code, symbol in enumerate(keys):
            if symbol:
                instruments[code] = instruments_of.resolve(symbol, f"{symbol}.{venue}")
            else:
                check.flag(codes == code, "column 'symbol': missing value")
        price_prec = np.zeros(chunk.height, dtype=np.int64)
        size_prec = np.zeros(chunk.height, dtype=np.int64)
        for code, inst in instruments.items():
            rows = codes == code
            price_prec[rows] = inst.price_precision
            size_prec[rows] = inst.size_precision
        ts = check.epoch("timestamp", "ms")
        first_id = check.integers("first_update_id", what="an update id")
        last_id = check.integers("last_update_id", what="an update id")
        if futures:
            prev_id = check.integers("pu", what="an update id or -1")
            check.flag(prev_id < -1, "column 'pu': expected an update id or -1")
            prev_id = np.where(prev_id == -1, 0, prev_id)
        else:
            prev_id = np.zeros(chunk.height, dtype=np.int64)
        check.flag(first_id < 0, "column 'first_update_id': expected an update id")
        check.flag(last_id < 0, "column 'last_update_id': expected an update id")
        side = check.choice("side", _SIDES)
        is_snap = check.choice("update_type", _TYPES).astype(np.bool_)
        price, _ = check.decimals("price", price_prec)
        qty, _ = check.decimals("qty", size_prec, what="a quantity")
        for code, inst in instruments.items():
            state = states.setdefault(inst.id, LevelBookState())
            rows = np.flatnonzero(codes == code)
            state.last_ts = check.not_backwards(ts, state.last_ts, label="timestamp", rows=rows)
        keep = check.finish(errors)
        for code, inst in instruments.items():
            rows = np.flatnonzero(keep & (codes == code))
            if len(rows) == 0:
                continue
            state = states[inst.id]
            frame, first_key, last_key = level_deltas(
                state,
                keys=[last_id[rows]],
                is_snapshot=is_snap[rows],
                ts_event=ts[rows],
                ts_init=ts[rows],
                side=side[rows],
                price=price[rows],
                size=qty[rows],
                sequence=last_id[rows],
                first_update_id=first_id[rows],
                prev_update_id=prev_id[rows],
            )
            released = state.pending.push(frame, first_key, last_key)
            if released is not None:
                yield _batch(inst, released)
    for inst_id, state in states.items():
        released = state.pending.flush()
        if released is not None:
            yield _batch(instruments_of.by_id[inst_id], released)


def _batch(inst: Instrument, frame: pl.DataFrame) -> Batch:
    return Batch(inst, DataKind.DELTAS, conform(frame.to_arrow(), DataKind.DELTAS))
