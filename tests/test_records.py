"""Columnar <-> per-event conversion is lossless for every kind."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrox import DataError, Price
from ferrox.model import DataKind, Instrument, InstrumentKind
from ferrox.model.records import TradeTick, from_table, to_table
from ferrox.model.schema import SCHEMAS, AggressorSide

INSTRUMENT = Instrument(
    "BTCUSDT.BINANCE-USDM", InstrumentKind.PERPETUAL, "0.10", "0.001", "BTC", "USDT", "USDT"
)

I64 = st.integers(-(2**62), 2**62)
U64 = st.integers(0, 2**64 - 1)
NONNEG = st.integers(0, 2**62)

COLUMN_VALUES = {
    "ts_event": I64,
    "ts_init": I64,
    "ts_open": I64,
    "price": I64,
    "bid_price": I64,
    "ask_price": I64,
    "open": I64,
    "high": I64,
    "low": I64,
    "close": I64,
    "size": NONNEG,
    "bid_size": NONNEG,
    "ask_size": NONNEG,
    "volume": NONNEG,
    "aggressor_side": st.integers(0, 2),
    "side": st.integers(0, 2),
    "action": st.integers(1, 4),
    "trade_id": st.text(max_size=12),
    "update_id": U64,
    "order_id": U64,
    "sequence": U64,
    "first_update_id": U64,
    "prev_update_id": U64,
    "flags": st.integers(0, 255),
}


@st.composite
def tables(draw: st.DrawFn, kind: DataKind) -> pa.Table:
    schema = SCHEMAS[kind]
    n = draw(st.integers(0, 8))
    data = {f.name: draw(st.lists(COLUMN_VALUES[f.name], min_size=n, max_size=n)) for f in schema}
    return pa.table(data, schema=schema)


@pytest.mark.parametrize("kind", list(DataKind))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_table_to_records_and_back_is_lossless(kind: DataKind, data: st.DataObject) -> None:
    table = data.draw(tables(kind))
    records = from_table(table, kind, INSTRUMENT)
    assert len(records) == table.num_rows
    assert to_table(records, kind, INSTRUMENT).equals(table)


def test_records_carry_exact_values() -> None:
    table = pa.table(
        {
            "ts_event": [1723161256322000000],
            "ts_init": [1723161255088176367],
            "price": [6180030],
            "size": [6],
            "aggressor_side": [1],
            "trade_id": ["5266583935"],
        }
    )
    [tick] = from_table(table, DataKind.TRADES, INSTRUMENT)
    assert isinstance(tick, TradeTick)
    assert str(tick.price) == "61800.30"
    assert str(tick.size) == "0.006"
    assert tick.aggressor_side is AggressorSide.BUYER


def test_a_price_finer_than_the_instrument_cannot_enter_the_table() -> None:
    table = pa.table(
        {
            "ts_event": [0],
            "ts_init": [0],
            "price": [6180030],
            "size": [6],
            "aggressor_side": [1],
            "trade_id": ["1"],
        }
    )
    [tick] = from_table(table, DataKind.TRADES, INSTRUMENT)
    assert isinstance(tick, TradeTick)
    finer = TradeTick(**{**_fields(tick), "price": Price("61800.305")})
    with pytest.raises(DataError, match="finer"):
        to_table([finer], DataKind.TRADES, INSTRUMENT)


def _fields(tick: TradeTick) -> dict[str, object]:
    return {name: getattr(tick, name) for name in tick.__slots__}
