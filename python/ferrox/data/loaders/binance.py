"""Binance combined-stream captures (``LOCAL_RECV_NS JSON`` lines, plain or gzip).

The Rust core (``ferrox._core.BinanceReader``) parses the capture in chunks
with the GIL released; this module turns each chunk into one
:class:`~ferrox.data.loaders.base.Batch` per instrument and kind:

- ``trade`` -> :attr:`DataKind.TRADES`, ``aggTrade`` -> :attr:`DataKind.AGG_TRADES`
  (kept apart so a capture of both does not count a trade twice);
- ``bookTicker`` -> :attr:`DataKind.QUOTES` (spot bookTicker carries no venue
  time: ``ts_event`` is then the receive time);
- ``depthUpdate`` and the REST depth snapshot line -> :attr:`DataKind.DELTAS`
  (a snapshot is a CLEAR then ADDs flagged ``FLAG_SNAPSHOT``; a diff with no
  levels is one marker row carrying its update ids).

The rules in full (venue detection, precision inference, snapshot
attribution, the rows per message) are documented in the engine module
``ferrox_engine::data::binance``. Instruments come from ``options.instruments``,
else the built-in definitions (:mod:`ferrox.data.venues.binance`), else their
precision is inferred from how Binance writes the symbol's numbers.
``options.venue`` fixes the venue; ``options.instrument`` (``SYMBOL`` or
``SYMBOL.VENUE``) names the capture's symbol for its depth snapshot (needed
when a capture holds several symbols) and must be the instrument the capture
holds. A path ending in ``.csv`` is a Binance depth CSV, read by
:mod:`ferrox.data.loaders.binance_csv`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ferrox._core import BinanceChunk, BinanceReader
from ferrox.data.loaders.base import Batch, ErrorSink, LoaderOptions
from ferrox.data.venues import binance as venues
from ferrox.errors import DataError
from ferrox.model.instrument import Instrument
from ferrox.model.schema import DataKind, conform

#: Lines per chunk read by the core (each yields one batch per instrument and
#: kind); ``options.batch_rows`` lowers it.
CHUNK_MESSAGES = 65_536

_KINDS = (
    ("trades", DataKind.TRADES),
    ("agg_trades", DataKind.AGG_TRADES),
    ("quotes", DataKind.QUOTES),
    ("deltas", DataKind.DELTAS),
)

_Columns = dict[str, npt.NDArray[Any]]


def load(path: Path, *, options: LoaderOptions, errors: ErrorSink) -> Iterator[Batch]:
    """Reads a Binance capture into batches of trades, agg trades, quotes and deltas.

    Bad lines follow ``errors``: under ``fail`` the first raises
    :class:`~ferrox.errors.DataError` as ``path:line: reason``.
    """
    path = Path(path)
    if path.name.lower().endswith(".csv"):
        from ferrox.data.loaders import binance_csv

        yield from binance_csv.load(path, options=options, errors=errors)
        return
    source = str(path)
    definitions = {**venues.INSTRUMENTS, **options.instruments}
    symbol, named_venue = _named_instrument(options.instrument)
    reader = BinanceReader(
        source,
        on_error=errors.policy.value,
        instruments=[(i.id, i.price_increment, i.size_increment) for i in definitions.values()],
        venue=options.venue or named_venue,
        symbol=symbol,
        chunk_messages=max(1, min(CHUNK_MESSAGES, options.batch_rows)),
    )
    # Rows of an instrument whose precisions are not known yet (only empty
    # depth diffs so far: price and size 0) wait until they are.
    waiting: list[tuple[str, DataKind, pa.Table]] = []
    for chunk in reader:
        for line, reason, text in chunk.rejected:
            errors.reject(source, line, reason, text or "")
        _check_named(options.instrument, chunk, source)
        table = [_instrument(row, definitions) for row in chunk.instruments]
        known = {row[0]: inst for row, inst in zip(chunk.instruments, table, strict=True) if inst}
        yield from (Batch(known[i], kind, rows) for i, kind, rows in waiting if i in known)
        waiting = [(i, kind, rows) for i, kind, rows in waiting if i not in known]
        for name, kind in _KINDS:
            columns: _Columns = getattr(chunk, name)
            for index, rows in _split(columns, kind):
                inst = table[index]
                if inst is None:
                    waiting.append((chunk.instruments[index][0], kind, rows))
                else:
                    yield Batch(inst, kind, rows)
    for inst_id, kind, rows in waiting:
        # No value ever fixed the precisions; every waiting row is 0 at any precision.
        yield Batch(venues.infer(inst_id, 0, 0), kind, rows)


def _named_instrument(named: str | None) -> tuple[str | None, str | None]:
    if not named:
        return None, None
    symbol, dot, venue = named.rpartition(".")
    return (symbol, venue) if dot else (named, None)


def _check_named(named: str | None, chunk: BinanceChunk, source: str) -> None:
    if not named:
        return
    ids = [row[0] for row in chunk.instruments]
    unexpected = [i for i in ids if i != named and i.rpartition(".")[0] != named]
    if unexpected:
        raise DataError(
            f"{source}: the capture holds {', '.join(unexpected)}, not the named instrument "
            f"{named}; drop the instrument option or name the capture's own symbol"
        )


def _instrument(
    row: tuple[str, int | None, int | None, bool], definitions: dict[str, Instrument]
) -> Instrument | None:
    inst_id, price_precision, size_precision, defined = row
    if defined:
        return definitions[inst_id]
    if price_precision is None or size_precision is None:
        return None
    return venues.infer(inst_id, price_precision, size_precision)


def _split(columns: _Columns, kind: DataKind) -> Iterator[tuple[int, pa.Table]]:
    """One table per instrument index present in ``columns``, rows in file order."""
    instrument = columns["instrument"]
    if len(instrument) == 0:
        return
    first = int(instrument[0])
    if (instrument == first).all():
        yield first, _table(columns, kind, None)
        return
    for index in np.unique(instrument).tolist():
        yield int(index), _table(columns, kind, instrument == index)


def _table(columns: _Columns, kind: DataKind, rows: npt.NDArray[np.bool_] | None) -> pa.Table:
    data: dict[str, Any] = {}
    for name, values in columns.items():
        if name == "instrument":
            continue
        data[name] = values if rows is None else values[rows]
    if "trade_id" in data:
        # The schema keeps venue trade ids as text (other venues' ids are not numbers).
        data["trade_id"] = pa.array(data["trade_id"]).cast(pa.string())
    if kind is DataKind.DELTAS:
        data["order_id"] = np.zeros(len(data["price"]), dtype=np.uint64)
    return conform(pa.table(data), kind)
