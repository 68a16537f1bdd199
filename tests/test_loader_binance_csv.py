"""The Binance depth CSV loader, checked against the csv module and Decimal."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from ferrox.data.loaders import binance_csv
from ferrox.data.loaders.base import Batch, ErrorSink, LoaderOptions, OnError
from ferrox.data.venues import binance as binance_venue
from ferrox.errors import DataError
from ferrox.model.instrument import Instrument, InstrumentKind
from ferrox.model.schema import FLAG_LAST, FLAG_SNAPSHOT, BookAction, BookSide, DataKind

HEADER = "symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu\n"


def _load(path: Path, errors: ErrorSink | None = None, **options: object) -> list[Batch]:
    sink = errors if errors is not None else ErrorSink()
    return list(binance_csv.load(path, options=LoaderOptions(**options), errors=sink))


def _frame(batches: list[Batch]) -> pl.DataFrame:
    return pl.concat([pl.from_arrow(b.table) for b in batches])


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _raw(text: str, precision: int) -> int:
    value = Decimal(text) * 10**precision
    assert value == value.to_integral_value()
    return int(value)


@pytest.fixture
def snap_csv(shared_data: Path) -> Path:
    return shared_data / "binance-usdm" / "nautilus-btcusdt-depth-snap.csv"


@pytest.fixture
def update_csv(shared_data: Path) -> Path:
    return shared_data / "binance-usdm" / "nautilus-btcusdt-depth-update.csv"


def test_snapshot_becomes_one_clear_then_an_add_per_row(snap_csv: Path) -> None:
    frame = _frame(_load(snap_csv))
    rows = _rows(snap_csv)
    assert frame.height == len(rows) + 1
    assert frame["action"].to_list() == [BookAction.CLEAR] + [BookAction.ADD] * len(rows)


def test_snapshot_rows_are_flagged_snapshot_and_only_the_last_is_flagged_last(
    snap_csv: Path,
) -> None:
    flags = _frame(_load(snap_csv))["flags"].to_list()
    assert all(f & FLAG_SNAPSHOT for f in flags)
    assert [f & FLAG_LAST for f in flags] == [0] * (len(flags) - 1) + [FLAG_LAST]


def test_snapshot_prices_and_sizes_equal_the_csv_text_exactly(snap_csv: Path) -> None:
    batches = _load(snap_csv)
    inst = batches[0].instrument
    adds = _frame(batches).filter(pl.col("action") == BookAction.ADD)
    rows = _rows(snap_csv)
    assert adds["price"].to_list() == [_raw(r["price"], inst.price_precision) for r in rows]
    assert adds["size"].to_list() == [_raw(r["qty"], inst.size_precision) for r in rows]
    sides = {"b": BookSide.BID, "a": BookSide.ASK}
    assert adds["side"].to_list() == [sides[r["side"]] for r in rows]


def test_built_in_binance_definitions_fix_the_precisions(snap_csv: Path) -> None:
    inst = _load(snap_csv)[0].instrument
    assert inst == binance_venue.instrument("BTCUSDT.BINANCE-USDM")
    assert inst.defined is True


def test_precision_is_inferred_from_the_decimals_written_without_a_definition(
    snap_csv: Path,
) -> None:
    inst = _load(snap_csv, venue="TESTNET")[0].instrument
    rows = _rows(snap_csv)
    price_decimals = max(-Decimal(r["price"]).normalize().as_tuple().exponent for r in rows)
    size_decimals = max(-Decimal(r["qty"]).normalize().as_tuple().exponent for r in rows)
    assert (inst.price_precision, inst.size_precision) == (price_decimals, size_decimals)
    assert (inst.id, inst.defined) == ("BTCUSDT.TESTNET", False)


def test_update_rows_with_zero_quantity_become_deletes_and_others_updates(
    update_csv: Path,
) -> None:
    frame = _frame(_load(update_csv))
    rows = _rows(update_csv)
    expected = [BookAction.DELETE if Decimal(r["qty"]) == 0 else BookAction.UPDATE for r in rows]
    assert frame["action"].to_list() == expected


def test_update_ids_fill_sequence_first_update_id_and_prev_update_id(update_csv: Path) -> None:
    frame = _frame(_load(update_csv))
    rows = _rows(update_csv)
    assert frame["sequence"].to_list() == [int(r["last_update_id"]) for r in rows]
    assert frame["first_update_id"].to_list() == [int(r["first_update_id"]) for r in rows]
    assert frame["prev_update_id"].to_list() == [int(r["pu"]) for r in rows]


def test_pu_of_minus_one_becomes_prev_update_id_zero(snap_csv: Path) -> None:
    frame = _frame(_load(snap_csv))
    assert set(frame["prev_update_id"].to_list()) == {0}


def test_timestamp_milliseconds_become_ts_event_and_ts_init_in_ns(update_csv: Path) -> None:
    frame = _frame(_load(update_csv))
    expected = [int(r["timestamp"]) * 1_000_000 for r in _rows(update_csv)]
    assert frame["ts_event"].to_list() == expected
    assert frame["ts_init"].to_list() == expected


def test_one_update_id_group_ends_with_flag_last(update_csv: Path) -> None:
    flags = _frame(_load(update_csv))["flags"].to_list()
    assert [f & FLAG_LAST for f in flags] == [0] * (len(flags) - 1) + [FLAG_LAST]


def test_instrument_is_the_usdm_perpetual_when_pu_is_present(update_csv: Path) -> None:
    inst = _load(update_csv)[0].instrument
    assert inst.id == "BTCUSDT.BINANCE-USDM"
    assert inst.kind is InstrumentKind.PERPETUAL


def test_instrument_is_spot_when_pu_is_absent(tmp_path: Path) -> None:
    path = tmp_path / "spot.csv"
    path.write_text(HEADER.removesuffix(",pu\n") + "\nBTCUSDT,1000,1,5,b,snap,100.01,1.5\n")
    inst = _load(path)[0].instrument
    assert (inst.id, inst.kind) == ("BTCUSDT.BINANCE", InstrumentKind.SPOT)


def test_venue_and_instrument_options_override_the_id(update_csv: Path) -> None:
    assert _load(update_csv, venue="TESTNET")[0].instrument.id == "BTCUSDT.TESTNET"
    assert _load(update_csv, instrument="BTC.X")[0].instrument.id == "BTC.X"


def test_a_given_definition_fixes_the_precisions(update_csv: Path) -> None:
    inst = Instrument(
        "BTCUSDT.BINANCE-USDM", InstrumentKind.PERPETUAL, "0.10", "0.001", "BTC", "USDT", "USDT"
    )
    batches = _load(update_csv, instruments={inst.id: inst})
    assert batches[0].instrument is inst
    first = _rows(update_csv)[0]
    assert _frame(batches)["price"][0] == _raw(first["price"], 2)


def _write(tmp_path: Path, body: str, name: str = "depth.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body)
    return path


GROUPS = (
    "BTCUSDT,1000,1,5,b,snap,100.0,1.0,-1\n"
    "BTCUSDT,1000,1,5,a,snap,101.0,2.0,-1\n"
    "BTCUSDT,1001,6,7,b,set,100.0,0.0,5\n"
    "BTCUSDT,1001,6,7,b,set,99.5,3.0,5\n"
    "BTCUSDT,1002,8,9,a,set,101.0,1.5,7\n"
    "BTCUSDT,1003,10,10,b,snap,98.0,1.0,-1\n"
    "BTCUSDT,1003,10,10,a,snap,102.0,1.0,-1\n"
)


@pytest.mark.parametrize("batch_rows", [1, 2, 3, 100])
def test_flags_and_clears_do_not_depend_on_chunk_boundaries(
    tmp_path: Path, batch_rows: int
) -> None:
    frame = _frame(_load(_write(tmp_path, GROUPS), batch_rows=batch_rows))
    clear, add, update, delete = (
        BookAction.CLEAR,
        BookAction.ADD,
        BookAction.UPDATE,
        BookAction.DELETE,
    )
    assert frame["action"].to_list() == [clear, add, add, delete, update, update, clear, add, add]
    snap, last = FLAG_SNAPSHOT, FLAG_LAST
    assert frame["flags"].to_list() == [
        snap,
        snap,
        snap | last,
        0,
        last,
        last,
        snap,
        snap,
        snap | last,
    ]


def test_a_header_of_another_format_is_refused_naming_line_one(tmp_path: Path) -> None:
    path = tmp_path / "trades.csv"
    path.write_text("id,price,qty,time\n1,100.0,1.0,1000\n")
    with pytest.raises(DataError, match=r"trades\.csv:1: header .* not a Binance depth CSV"):
        _load(path)


def test_a_non_numeric_price_names_its_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, GROUPS.replace("99.5", "99.x"))
    with pytest.raises(DataError, match=r"depth\.csv:5: column 'price': expected a decimal"):
        _load(path)


def test_a_price_finer_than_the_definition_is_refused_not_rounded(tmp_path: Path) -> None:
    inst = Instrument("BTCUSDT.BINANCE-USDM", InstrumentKind.PERPETUAL, "0.1", "0.1", "", "", "")
    path = _write(tmp_path, GROUPS.replace("99.5", "99.55"))
    with pytest.raises(DataError, match=r"depth\.csv:5: column 'price': \"99.55\" has 2"):
        _load(path, instruments={inst.id: inst})


def test_a_timestamp_going_backwards_is_a_bad_row(tmp_path: Path) -> None:
    path = _write(tmp_path, GROUPS.replace("BTCUSDT,1002,", "BTCUSDT,999,"))
    with pytest.raises(DataError, match=r"depth\.csv:6: column 'timestamp': timestamp goes back"):
        _load(path)


def test_an_unknown_side_or_update_type_is_a_bad_row(tmp_path: Path) -> None:
    path = _write(tmp_path, GROUPS.replace(",a,set,", ",x,set,"))
    with pytest.raises(DataError, match=r"depth\.csv:6: column 'side': expected one of 'b', 'a'"):
        _load(path)


def test_skip_leaves_bad_rows_out_and_counts_them(tmp_path: Path) -> None:
    body = GROUPS.replace("99.5", "oops").replace("BTCUSDT,1002,", "BTCUSDT,999,")
    errors = ErrorSink(policy=OnError.SKIP)
    frame = _frame(_load(_write(tmp_path, body), errors))
    assert errors.skipped == 2
    assert frame.height == 9 - 2
    times = frame["ts_event"].to_list()
    assert 999 * 1_000_000 not in times  # the row going backwards
    assert times.count(1001 * 1_000_000) == 1  # the other 1001 row had price "oops"


def test_quarantine_keeps_the_line_number_and_text_of_each_bad_row(tmp_path: Path) -> None:
    errors = ErrorSink(policy=OnError.QUARANTINE)
    _load(_write(tmp_path, GROUPS.replace("99.5", "oops")), errors)
    [record] = errors.rejected
    assert record.line == 5
    assert record.text == "BTCUSDT,1001,6,7,b,set,oops,3.0,5"
    assert "column 'price'" in record.reason


def test_fail_mode_reports_the_first_bad_line_of_the_file(tmp_path: Path) -> None:
    body = GROUPS.replace("101.0,1.5", "101.0,bad").replace("100.0,1.0,-1", "100.0,1.0,x")
    with pytest.raises(DataError, match=r"depth\.csv:2: "):
        _load(_write(tmp_path, body))


def test_a_line_with_missing_fields_is_a_bad_row_and_later_lines_keep_their_numbers(
    tmp_path: Path,
) -> None:
    body = GROUPS.replace("BTCUSDT,1001,6,7,b,set,100.0,0.0,5\n", "BTCUSDT,1001,6\n")
    body = body.replace("99.5", "oops")
    errors = ErrorSink(policy=OnError.QUARANTINE)
    _load(_write(tmp_path, body), errors)
    assert [(r.line, r.text) for r in errors.rejected] == [
        (4, "BTCUSDT,1001,6"),
        (5, "BTCUSDT,1001,6,7,b,set,oops,3.0,5"),
    ]


def test_batches_are_deltas_of_one_instrument(update_csv: Path) -> None:
    for batch in _load(update_csv, batch_rows=10):
        assert batch.kind is DataKind.DELTAS
        assert batch.instrument.id == "BTCUSDT.BINANCE-USDM"


def test_rows_of_two_symbols_keep_separate_books(tmp_path: Path) -> None:
    eth = GROUPS.replace("BTCUSDT", "ETHUSDT").replace("100.0", "10.00")
    lines = [*zip(GROUPS.splitlines(), eth.splitlines(), strict=True)]
    path = _write(tmp_path, "".join(f"{a}\n{b}\n" for a, b in lines))
    by_id: dict[str, list[pl.DataFrame]] = {}
    for batch in _load(path, batch_rows=3):
        by_id.setdefault(batch.instrument.id, []).append(pl.from_arrow(batch.table))
    alone = _frame(_load(_write(tmp_path, GROUPS, "btc.csv")))
    assert pl.concat(by_id["BTCUSDT.BINANCE-USDM"]).equals(alone)
    assert pl.concat(by_id["ETHUSDT.BINANCE-USDM"]).height == alone.height
