"""The Databento DBN loader, checked against what databento_dbn decodes directly."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import databento_dbn as dbn
import polars as pl
import pytest

from ferrox.data.loaders import databento
from ferrox.data.loaders.base import Batch, ErrorSink, LoaderOptions, OnError
from ferrox.errors import DataError
from ferrox.model.instrument import InstrumentKind
from ferrox.model.schema import (
    FLAG_LAST,
    FLAG_SNAPSHOT,
    AggressorSide,
    BookAction,
    BookSide,
    DataKind,
)

ESH4 = "esh4-glbx-mdp3-20231224.mbo.dbn.zst"
DEFINITIONS = "definition-glbx-es-fut.dbn.zst"
SCALE = Decimal(10) ** -9


def _load(path: Path, errors: ErrorSink | None = None, **options: object) -> list[Batch]:
    sink = errors if errors is not None else ErrorSink()
    return list(databento.load(path, options=LoaderOptions(**options), errors=sink))


def _frame(batches: list[Batch], kind: DataKind) -> pl.DataFrame:
    return pl.concat([pl.from_arrow(b.table) for b in batches if b.kind is kind])


def _decode(path: Path) -> list[Any]:
    data = path.read_bytes()
    decoder = dbn.DBNDecoder(compression=dbn.Compression.ZSTD)
    return decoder.write_and_decode(data)[1:]


def _price(raw: int, precision: int) -> Decimal:
    return Decimal(raw).scaleb(-precision)


# --- the real ESH4 MBO file ---------------------------------------------------


@pytest.fixture(scope="module")
def esh4(shared_data: Path) -> tuple[list[Batch], list[Any]]:
    path = shared_data / "databento" / ESH4
    return _load(path), _decode(path)


def test_every_esh4_record_is_a_snapshot_add(esh4: tuple[list[Batch], list[Any]]) -> None:
    _, records = esh4
    assert Counter(str(r.action) for r in records) == {"A": 8725}
    assert all(r.flags & dbn.F_SNAPSHOT for r in records)


def test_esh4_becomes_a_clear_and_8725_snapshot_adds(esh4: tuple[list[Batch], list[Any]]) -> None:
    batches, records = esh4
    deltas = _frame(batches, DataKind.DELTAS)
    counts = Counter(deltas["action"].to_list())
    assert counts == {BookAction.ADD: len(records), BookAction.CLEAR: 1}
    assert deltas["action"][0] == BookAction.CLEAR
    snapshot_adds = deltas.filter(
        (pl.col("action") == BookAction.ADD) & ((pl.col("flags") & FLAG_SNAPSHOT) != 0)
    )
    assert snapshot_adds.height == 8725
    assert not [b for b in batches if b.kind is DataKind.TRADES]


def test_esh4_flags_are_the_dbn_flags_as_is(esh4: tuple[list[Batch], list[Any]]) -> None:
    batches, records = esh4
    adds = _frame(batches, DataKind.DELTAS)[1:]
    assert adds["flags"].to_list() == [r.flags for r in records]
    assert [f & FLAG_LAST for f in adds["flags"].to_list()] == [0] * 8724 + [FLAG_LAST]


@pytest.mark.parametrize("index", [0, 1, 2, 4000, 8723, 8724])
def test_esh4_rows_equal_what_databento_dbn_decodes(
    esh4: tuple[list[Batch], list[Any]], index: int
) -> None:
    batches, records = esh4
    inst = batches[0].instrument
    row = _frame(batches, DataKind.DELTAS)[1:].row(index, named=True)
    record = records[index]
    assert _price(row["price"], inst.price_precision) == Decimal(record.price) * SCALE
    assert row["size"] == record.size
    assert row["order_id"] == record.order_id
    assert row["sequence"] == record.sequence
    assert row["ts_event"] == record.ts_event
    assert row["ts_init"] == record.ts_recv
    assert row["side"] == {"A": BookSide.ASK, "B": BookSide.BID}[str(record.side)]


def test_esh4_instrument_comes_from_the_symbol_mappings(
    esh4: tuple[list[Batch], list[Any]],
) -> None:
    batches, records = esh4
    inst = batches[0].instrument
    assert inst.id == "ESH4.GLBX"
    # No definition of ESH4 lies beside it (the ES file defines ESM3): inferred.
    assert inst.defined is False
    decimals = max(
        max(0, -(Decimal(r.price) * SCALE).normalize().as_tuple().exponent) for r in records
    )
    assert inst.price_precision == decimals


def test_definitions_become_instruments(shared_data: Path) -> None:
    path = shared_data / "databento" / DEFINITIONS
    records = [r for r in _decode(path) if isinstance(r, dbn.InstrumentDefMsg)]
    [inst] = databento.read_definitions(path)
    record = records[-1]
    assert inst.id == f"{record.raw_symbol}.GLBX"
    assert Decimal(inst.price_increment) == Decimal(record.min_price_increment) * SCALE
    assert Decimal(inst.multiplier) == Decimal(record.unit_of_measure_qty) * SCALE
    assert inst.size_increment == "1"
    assert inst.quote_currency == record.currency
    assert inst.kind is InstrumentKind.FUTURE
    assert inst.defined is True


def test_a_definitions_file_yields_no_market_data(shared_data: Path) -> None:
    assert _load(shared_data / "databento" / DEFINITIONS) == []


# --- synthetic files ------------------------------------------------------------


def _metadata(schema: Any, symbol: str = "ESH4", number: int = 7) -> bytes:
    interval = SimpleNamespace(
        start_date=dt.date(2024, 1, 1), end_date=dt.date(2024, 1, 2), symbol=str(number)
    )
    metadata = dbn.Metadata(
        dataset="GLBX.MDP3",
        start=0,
        stype_in=dbn.SType.RAW_SYMBOL,
        stype_out=dbn.SType.INSTRUMENT_ID,
        schema=schema,
        symbols=[symbol],
        mappings=[SimpleNamespace(raw_symbol=symbol, intervals=[interval])],
    )
    return bytes(metadata.encode())


def _write(path: Path, schema: Any, records: list[Any]) -> Path:
    path.write_bytes(_metadata(schema) + b"".join(bytes(r) for r in records))
    return path


A, C, M, R, T, F = (
    dbn.Action.ADD,
    dbn.Action.CANCEL,
    dbn.Action.MODIFY,
    dbn.Action.CLEAR,
    dbn.Action.TRADE,
    dbn.Action.FILL,
)
BID, ASK, NONE = dbn.Side.BID, dbn.Side.ASK, dbn.Side.NONE
PX = 1_000_000_000  # one price unit in DBN


def _mbo(ts: int, oid: int, px: float | int, size: int, action: Any, side: Any, **kw: Any) -> Any:
    price = dbn.UNDEF_PRICE if px == -1 else int(Decimal(str(px)) * PX)
    return dbn.MBOMsg(
        publisher_id=1,
        instrument_id=7,
        ts_event=ts,
        order_id=oid,
        price=price,
        size=size,
        action=action,
        side=side,
        ts_recv=ts + 5,
        flags=kw.get("flags", FLAG_LAST),
        sequence=kw.get("sequence", ts),
    )


BOOK = [
    _mbo(1, 1, 4799.25, 10, A, BID, flags=FLAG_SNAPSHOT),
    _mbo(1, 2, 4800, 5, A, ASK, flags=FLAG_SNAPSHOT | FLAG_LAST),
    _mbo(2, 1, 4799.25, 3, C, BID),  # partial cancel: 7 left
    _mbo(3, 3, 4800, 2, T, BID),  # the trade
    _mbo(3, 2, 4800, 2, F, ASK),  # the resting order's fill: not a second trade
    _mbo(3, 2, 4800, 2, C, ASK),  # the cancel that follows the fill: 3 left
    _mbo(4, 1, 4799.5, 4, M, BID),  # modify: new price and size
    _mbo(5, 1, 4799.5, 4, C, BID),  # cancels the rest
    _mbo(6, 9, 4799.5, 4, C, BID),  # an order never added
    _mbo(7, 0, -1, 0, R, NONE),
    _mbo(8, 2, 4800, 3, C, ASK),  # forgotten by the clear
]


@pytest.mark.parametrize("batch_rows", [1, 2, 3, 100])
def test_mbo_actions_become_deltas_whatever_the_chunks(tmp_path: Path, batch_rows: int) -> None:
    path = _write(tmp_path / "book.mbo.dbn", dbn.Schema.MBO, BOOK)
    deltas = _frame(_load(path, batch_rows=batch_rows), DataKind.DELTAS)
    add, update, delete, clear = (
        BookAction.ADD,
        BookAction.UPDATE,
        BookAction.DELETE,
        BookAction.CLEAR,
    )
    assert deltas.select("ts_event", "action", "price", "size", "order_id").rows() == [
        (1, clear, 0, 0, 0),  # the snapshot had no leading Clear
        (1, add, 479925, 10, 1),
        (1, add, 480000, 5, 2),
        (2, update, 479925, 7, 1),
        (3, update, 480000, 3, 2),
        (4, update, 479950, 4, 1),
        (5, delete, 479950, 0, 1),
        (6, delete, 479950, 0, 9),
        (7, clear, 0, 0, 0),
        (8, delete, 480000, 0, 2),
    ]


def test_mbo_trade_records_become_trades_and_fills_do_not(tmp_path: Path) -> None:
    path = _write(tmp_path / "book.mbo.dbn", dbn.Schema.MBO, BOOK)
    trades = _frame(_load(path), DataKind.TRADES)
    assert trades.rows() == [(3, 8, 480000, 2, AggressorSide.BUYER, "3")]


def test_mbo_keeps_the_flags_byte_and_sequence(tmp_path: Path) -> None:
    path = _write(tmp_path / "book.mbo.dbn", dbn.Schema.MBO, BOOK)
    deltas = _frame(_load(path), DataKind.DELTAS)
    assert deltas["flags"].to_list()[:4] == [FLAG_SNAPSHOT, FLAG_SNAPSHOT, 0xA0, FLAG_LAST]
    assert deltas["sequence"].to_list()[1:4] == [1, 1, 2]


def _mbp1(ts: int, action: Any, side: Any, px: float, size: int, bid: float, ask: float) -> Any:
    level = dbn.BidAskPair(
        bid_px=int(Decimal(str(bid)) * PX) if bid else dbn.UNDEF_PRICE,
        ask_px=int(Decimal(str(ask)) * PX) if ask else dbn.UNDEF_PRICE,
        bid_sz=4 if bid else 0,
        ask_sz=6 if ask else 0,
    )
    return dbn.MBP1Msg(
        publisher_id=1,
        instrument_id=7,
        ts_event=ts,
        price=int(Decimal(str(px)) * PX),
        size=size,
        action=action,
        side=side,
        depth=0,
        ts_recv=ts + 1,
        flags=FLAG_LAST,
        sequence=100 + ts,
        levels=level,
    )


def test_mbp1_book_events_become_quotes_and_trade_events_trades(tmp_path: Path) -> None:
    records = [
        _mbp1(1, A, BID, 4799.0, 4, 4799.0, 4799.25),
        _mbp1(2, T, ASK, 4799.0, 2, 4799.0, 4799.25),
        _mbp1(3, C, ASK, 4799.25, 6, 4799.0, 0),
    ]
    batches = _load(_write(tmp_path / "top.mbp-1.dbn", dbn.Schema.MBP_1, records))
    quotes = _frame(batches, DataKind.QUOTES)
    trades = _frame(batches, DataKind.TRADES)
    assert quotes.rows() == [
        (1, 2, 479900, 479925, 4, 6, 101),
        (3, 4, 479900, 0, 4, 0, 103),  # no ask: price and size 0
    ]
    assert trades.rows() == [(2, 3, 479900, 2, AggressorSide.SELLER, "102")]


def test_mbp10_becomes_quotes_of_the_top_level(tmp_path: Path) -> None:
    levels = [
        dbn.BidAskPair(bid_px=(4799 - i) * PX, ask_px=(4800 + i) * PX, bid_sz=1 + i, ask_sz=2 + i)
        for i in range(10)
    ]
    record = dbn.MBP10Msg(
        publisher_id=1,
        instrument_id=7,
        ts_event=10,
        price=4799 * PX,
        size=1,
        action=A,
        side=BID,
        depth=0,
        ts_recv=11,
        flags=FLAG_LAST,
        sequence=5,
        levels=levels,
    )
    batches = _load(_write(tmp_path / "depth.mbp-10.dbn", dbn.Schema.MBP_10, [record]))
    assert _frame(batches, DataKind.QUOTES).rows() == [(10, 11, 4799, 4800, 1, 2, 5)]


def test_trades_schema_becomes_trades(tmp_path: Path) -> None:
    record = dbn.TradeMsg(
        publisher_id=1,
        instrument_id=7,
        ts_event=10,
        price=int(Decimal("4799.75") * PX),
        size=3,
        action=T,
        side=NONE,
        depth=0,
        ts_recv=12,
        flags=FLAG_LAST,
        sequence=9,
    )
    batches = _load(_write(tmp_path / "t.trades.dbn", dbn.Schema.TRADES, [record]))
    assert _frame(batches, DataKind.TRADES).rows() == [
        (10, 12, 479975, 3, AggressorSide.NO_AGGRESSOR, "9")
    ]


def test_ohlcv_bars_are_labelled_by_their_open(tmp_path: Path) -> None:
    minute = 60_000_000_000
    records = [
        dbn.OHLCVMsg(
            rtype=dbn.RType.OHLCV_1M,
            publisher_id=1,
            instrument_id=7,
            ts_event=minute * k,
            open=int(Decimal("4799.25") * PX),
            high=4800 * PX,
            low=4799 * PX,
            close=int(Decimal("4799.5") * PX),
            volume=100 + k,
        )
        for k in (1, 2)
    ]
    batches = _load(_write(tmp_path / "bars.ohlcv-1m.dbn", dbn.Schema.OHLCV_1M, records))
    assert _frame(batches, DataKind.BARS).rows() == [
        (minute, 2 * minute, 2 * minute, 479925, 480000, 479900, 479950, 101),
        (2 * minute, 3 * minute, 3 * minute, 479925, 480000, 479900, 479950, 102),
    ]


def _definition(symbol: str, number: int, increment: str) -> Any:
    return dbn.InstrumentDefMsg(
        publisher_id=1,
        instrument_id=number,
        ts_event=0,
        ts_recv=0,
        min_price_increment=int(Decimal(increment) * PX),
        display_factor=PX,
        raw_symbol=symbol,
        asset="ES",
        security_type="FUT",
        instrument_class=dbn.InstrumentClass.FUTURE,
        security_update_action=dbn.SecurityUpdateAction.ADD,
        unit_of_measure_qty=50 * PX,
        currency="USD",
    )


def test_a_definition_beside_the_data_fixes_the_instrument(tmp_path: Path) -> None:
    (tmp_path / "definition-es.dbn").write_bytes(
        _metadata(dbn.Schema.DEFINITION) + bytes(_definition("ESH4", 7, "0.25"))
    )
    path = _write(tmp_path / "book.mbo.dbn", dbn.Schema.MBO, BOOK[:2])
    inst = _load(path)[0].instrument
    assert (inst.id, inst.price_increment, inst.multiplier, inst.defined) == (
        "ESH4.GLBX",
        "0.25",
        "50",
        True,
    )


def test_a_price_off_the_defined_precision_is_a_bad_record(tmp_path: Path) -> None:
    (tmp_path / "definition-es.dbn").write_bytes(
        _metadata(dbn.Schema.DEFINITION) + bytes(_definition("ESH4", 7, "0.25"))
    )
    records = [*BOOK[:2], _mbo(2, 5, 4799.125, 1, A, BID)]
    path = _write(tmp_path / "book.mbo.dbn", dbn.Schema.MBO, records)
    with pytest.raises(DataError, match=r"book\.mbo\.dbn:3: field 'price': 4799.125 does not fit"):
        _load(path)


def test_a_ts_recv_going_backwards_is_a_bad_record(tmp_path: Path) -> None:
    records = [*BOOK[:3], _mbo(0, 1, 4799.25, 1, C, BID)]
    path = _write(tmp_path / "book.mbo.dbn", dbn.Schema.MBO, records)
    with pytest.raises(DataError, match=r"book\.mbo\.dbn:4: column 'ts_recv': timestamp goes back"):
        _load(path)


def test_skip_and_quarantine_leave_bad_records_out(tmp_path: Path) -> None:
    records = [*BOOK[:3], _mbo(0, 1, 4799.25, 1, C, BID), _mbo(9, 4, -1, 1, A, BID)]
    path = _write(tmp_path / "book.mbo.dbn", dbn.Schema.MBO, records)
    errors = ErrorSink(policy=OnError.QUARANTINE)
    deltas = _frame(_load(path, errors), DataKind.DELTAS)
    assert errors.skipped == 2
    assert [r.line for r in errors.rejected] == [4, 5]
    assert "field 'price': undefined price" in errors.rejected[1].reason
    assert "order_id=4" in errors.rejected[1].text
    assert deltas.height == 1 + 3


def test_a_file_that_is_not_dbn_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.dbn"
    path.write_bytes(b"symbol,price\nES,1\n")
    with pytest.raises(DataError, match=r"x\.dbn: not a DBN file"):
        _load(path)


def test_fewest_decimals_holds_every_price_exactly() -> None:
    prices = pl.Series([4799 * PX, 4799_250_000_000, 4799_500_000_000]).to_numpy()
    assert databento.fewest_decimals(prices) == 2
    assert databento.fewest_decimals(prices[:1]) == 0


def test_parent_symbology_takes_each_symbol_from_its_definition(tmp_path: Path) -> None:
    intervals = [
        SimpleNamespace(start_date=dt.date(2024, 1, 1), end_date=dt.date(2024, 1, 2), symbol=s)
        for s in ("7", "8")
    ]
    metadata = dbn.Metadata(
        dataset="GLBX.MDP3",
        start=0,
        stype_in=dbn.SType.PARENT,
        stype_out=dbn.SType.INSTRUMENT_ID,
        schema=dbn.Schema.MBO,
        symbols=["ES.FUT"],
        mappings=[SimpleNamespace(raw_symbol="ES.FUT", intervals=intervals)],
    )
    (tmp_path / "definition-es.dbn").write_bytes(
        _metadata(dbn.Schema.DEFINITION)
        + bytes(_definition("ESH4", 7, "0.25"))
        + bytes(_definition("ESM4", 8, "0.25"))
    )
    second = dbn.MBOMsg(
        publisher_id=1,
        instrument_id=8,
        ts_event=1,
        order_id=3,
        price=4850 * PX,
        size=1,
        action=A,
        side=BID,
        ts_recv=6,
        flags=FLAG_LAST,
        sequence=1,
    )
    path = tmp_path / "es.mbo.dbn"
    path.write_bytes(bytes(metadata.encode()) + bytes(BOOK[0]) + bytes(second))
    assert sorted({b.instrument.id for b in _load(path)}) == ["ESH4.GLBX", "ESM4.GLBX"]


def test_importing_a_definition_file_stores_its_instruments(
    shared_data: Path, tmp_path: Path
) -> None:
    from ferrox.data.catalog import Catalog
    from ferrox.data.importer import import_files

    catalog = Catalog(tmp_path / "cat")
    report = import_files(
        [shared_data / "databento" / "definition-glbx-es-fut.dbn.zst"], "databento", catalog
    )
    assert report.rows == 0
    assert report.instruments
    stored = {i.id: i for i in catalog.instruments()}
    assert set(report.instruments) <= set(stored)
    first = stored[report.instruments[0]]
    assert first.id.endswith(".GLBX")
    assert first.price_increment == "0.25"
