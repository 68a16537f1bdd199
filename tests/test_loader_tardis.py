"""The Tardis.dev CSV loader, checked against the csv module and Decimal."""

from __future__ import annotations

import csv
import gzip
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from ferrox.data.loaders import tardis
from ferrox.data.loaders.base import Batch, ErrorSink, LoaderOptions, OnError
from ferrox.errors import ConfigError, DataError
from ferrox.model.instrument import Instrument, InstrumentKind
from ferrox.model.schema import (
    FLAG_LAST,
    FLAG_SNAPSHOT,
    AggressorSide,
    BookAction,
    BookSide,
    DataKind,
)


def _load(path: Path, errors: ErrorSink | None = None, **options: object) -> list[Batch]:
    sink = errors if errors is not None else ErrorSink()
    return list(tardis.load(path, options=LoaderOptions(**options), errors=sink))


def _frame(batches: list[Batch]) -> pl.DataFrame:
    return pl.concat([pl.from_arrow(b.table) for b in batches])


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _raw(text: str, precision: int) -> int:
    value = Decimal(text) * 10**precision
    assert value == value.to_integral_value()
    return int(value)


def _decimals(texts: list[str]) -> int:
    return max(max(0, -Decimal(t).normalize().as_tuple().exponent) for t in texts if t)


@pytest.fixture
def tardis_dir(shared_data: Path) -> Path:
    return shared_data / "tardis"


def test_trades_keep_every_row_with_exact_prices_and_amounts(tardis_dir: Path) -> None:
    path = tardis_dir / "bitmex_trades_XBTUSD.csv"
    batches = _load(path)
    inst = batches[0].instrument
    frame = _frame(batches)
    rows = _rows(path)
    assert [b.kind for b in batches] == [DataKind.TRADES]
    assert frame["price"].to_list() == [_raw(r["price"], inst.price_precision) for r in rows]
    assert frame["size"].to_list() == [_raw(r["amount"], inst.size_precision) for r in rows]
    assert frame["trade_id"].to_list() == [r["id"] for r in rows]


def test_trade_side_is_the_aggressor(tmp_path: Path) -> None:
    path = tmp_path / "trades.csv"
    path.write_text(
        "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"
        "bitmex,XBTUSD,1,2,a,buy,1.5,1\n"
        "bitmex,XBTUSD,1,2,b,sell,1.5,1\n"
        "bitmex,XBTUSD,1,2,c,unknown,1.5,1\n"
    )
    sides = _frame(_load(path))["aggressor_side"].to_list()
    assert sides == [AggressorSide.BUYER, AggressorSide.SELLER, AggressorSide.NO_AGGRESSOR]


def test_microsecond_timestamps_become_ts_event_and_ts_init_in_ns(tardis_dir: Path) -> None:
    path = tardis_dir / "bitmex_trades_XBTUSD.csv"
    frame = _frame(_load(path))
    rows = _rows(path)
    assert frame["ts_event"].to_list() == [int(r["timestamp"]) * 1000 for r in rows]
    assert frame["ts_init"].to_list() == [int(r["local_timestamp"]) * 1000 for r in rows]


def test_instrument_id_maps_the_exchange_to_a_venue(tardis_dir: Path) -> None:
    ids = {
        "bitmex_trades_XBTUSD.csv": "XBTUSD.BITMEX",
        "huobi-dm-swap_quotes_BTC-USD.csv": "BTC-USD.HUOBI-DM-SWAP",
        "deribit_incremental_book_L2_BTC-PERPETUAL.csv": "BTC-PERPETUAL.DERIBIT",
        "binance-futures_book_snapshot_5_BTCUSDT.csv": "BTCUSDT.BINANCE-USDM",
    }
    for name, expected in ids.items():
        assert _load(tardis_dir / name)[0].instrument.id == expected


@pytest.mark.parametrize(
    ("exchange", "venue"),
    [
        ("binance", "BINANCE"),
        ("binance-futures", "BINANCE-USDM"),
        ("binance-delivery", "BINANCE-COINM"),
        ("bitmex", "BITMEX"),
        ("deribit", "DERIBIT"),
        ("okex-swap", "OKEX-SWAP"),
    ],
)
def test_venue_of_maps_known_exchanges_and_upper_cases_others(exchange: str, venue: str) -> None:
    assert tardis.venue_of(exchange) == venue


def test_precisions_are_inferred_from_the_decimals_written(tardis_dir: Path) -> None:
    path = tardis_dir / "huobi-dm-swap_quotes_BTC-USD.csv"
    inst = _load(path)[0].instrument
    rows = _rows(path)
    prices = [r[c] for r in rows for c in ("bid_price", "ask_price")]
    sizes = [r[c] for r in rows for c in ("bid_amount", "ask_amount")]
    assert (inst.price_precision, inst.size_precision) == (_decimals(prices), _decimals(sizes))
    assert inst.defined is False


def test_quotes_keep_both_sides_exactly(tardis_dir: Path) -> None:
    path = tardis_dir / "huobi-dm-swap_quotes_BTC-USD.csv"
    batches = _load(path)
    inst = batches[0].instrument
    frame = _frame(batches)
    rows = _rows(path)
    assert batches[0].kind is DataKind.QUOTES
    for column, source, precision in [
        ("bid_price", "bid_price", inst.price_precision),
        ("ask_price", "ask_price", inst.price_precision),
        ("bid_size", "bid_amount", inst.size_precision),
        ("ask_size", "ask_amount", inst.size_precision),
    ]:
        assert frame[column].to_list() == [_raw(r[source], precision) for r in rows]


def test_an_empty_quote_side_is_stored_as_price_and_size_zero(tmp_path: Path) -> None:
    path = tmp_path / "quotes.csv"
    path.write_text(
        "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount\n"
        "deribit,BTC-PERPETUAL,1,2,,,100.5,3\n"
        "deribit,BTC-PERPETUAL,3,4,7,101.0,,\n"
    )
    frame = _frame(_load(path))
    assert frame.select("bid_price", "bid_size", "ask_price", "ask_size").rows() == [
        (1005, 3, 0, 0),
        (0, 0, 1010, 7),
    ]


def test_a_quote_side_with_a_price_but_no_amount_is_a_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "quotes.csv"
    path.write_text(
        "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount\n"
        "deribit,BTC-PERPETUAL,1,2,,101.0,100.5,3\n"
    )
    with pytest.raises(DataError, match=r"quotes\.csv:2: column 'ask_amount': missing while"):
        _load(path)


def test_incremental_snapshot_starts_with_a_clear_and_ends_with_flag_last(
    tardis_dir: Path,
) -> None:
    path = tardis_dir / "deribit_incremental_book_L2_BTC-PERPETUAL.csv"
    batches = _load(path)
    inst = batches[0].instrument
    frame = _frame(batches)
    rows = _rows(path)
    assert frame["action"].to_list() == [BookAction.CLEAR] + [BookAction.ADD] * len(rows)
    assert frame["price"].to_list()[1:] == [_raw(r["price"], inst.price_precision) for r in rows]
    assert frame["size"].to_list()[1:] == [_raw(r["amount"], inst.size_precision) for r in rows]
    assert frame["side"].to_list()[1:] == [BookSide.ASK] * len(rows)
    flags = frame["flags"].to_list()
    assert flags == [FLAG_SNAPSHOT] * len(rows) + [FLAG_SNAPSHOT | FLAG_LAST]


L2 = (
    "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n"
    "deribit,BTC-PERPETUAL,10,11,true,bid,100,5\n"
    "deribit,BTC-PERPETUAL,10,11,true,ask,101,6\n"
    "deribit,BTC-PERPETUAL,20,21,false,bid,100,0\n"
    "deribit,BTC-PERPETUAL,20,21,false,bid,99.5,2\n"
    "deribit,BTC-PERPETUAL,30,31,false,ask,101,4\n"
    "deribit,BTC-PERPETUAL,40,41,true,bid,98,1\n"
    "deribit,BTC-PERPETUAL,40,41,true,ask,102,1\n"
)


@pytest.mark.parametrize("batch_rows", [1, 2, 3, 100])
def test_incremental_updates_and_a_later_snapshot_whatever_the_chunks(
    tmp_path: Path, batch_rows: int
) -> None:
    path = tmp_path / "l2.csv"
    path.write_text(L2)
    frame = _frame(_load(path, batch_rows=batch_rows))
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
    assert frame["size"].to_list() == [0, 5, 6, 0, 2, 4, 0, 1, 1]


@pytest.mark.parametrize("levels", [5, 25])
def test_book_snapshot_rows_become_a_clear_and_one_add_per_level(
    tardis_dir: Path, levels: int
) -> None:
    path = tardis_dir / f"binance-futures_book_snapshot_{levels}_BTCUSDT.csv"
    batches = _load(path)
    inst = batches[0].instrument
    frame = _frame(batches)
    rows = _rows(path)
    assert frame.height == len(rows) * (1 + 2 * levels)
    expected = []
    for row in rows:
        expected.append((BookAction.CLEAR, BookSide.NO_SIDE, 0, 0))
        for side, book_side in (("bids", BookSide.BID), ("asks", BookSide.ASK)):
            for i in range(levels):
                expected.append(
                    (
                        BookAction.ADD,
                        book_side,
                        _raw(row[f"{side}[{i}].price"], inst.price_precision),
                        _raw(row[f"{side}[{i}].amount"], inst.size_precision),
                    )
                )
    assert frame.select("action", "side", "price", "size").rows() == expected


def test_each_book_snapshot_row_ends_with_flag_last(tardis_dir: Path) -> None:
    path = tardis_dir / "binance-futures_book_snapshot_5_BTCUSDT.csv"
    frame = _frame(_load(path))
    per_row = [FLAG_SNAPSHOT] * 10 + [FLAG_SNAPSHOT | FLAG_LAST]
    assert frame["flags"].to_list() == per_row * len(_rows(path))
    rows = _rows(path)
    assert frame["ts_init"].unique(maintain_order=True).to_list() == [
        int(r["local_timestamp"]) * 1000 for r in rows
    ]


def test_empty_book_snapshot_levels_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "snap.csv"
    path.write_text(
        "exchange,symbol,timestamp,local_timestamp,"
        "asks[0].price,asks[0].amount,bids[0].price,bids[0].amount,"
        "asks[1].price,asks[1].amount,bids[1].price,bids[1].amount\n"
        "binance-futures,BTCUSDT,1,2,101.5,1,100.5,2,,,,\n"
    )
    frame = _frame(_load(path))
    assert frame.select("action", "side", "price").rows() == [
        (BookAction.CLEAR, BookSide.NO_SIDE, 0),
        (BookAction.ADD, BookSide.BID, 1005),
        (BookAction.ADD, BookSide.ASK, 1015),
    ]


def test_a_given_definition_fixes_the_precisions(tardis_dir: Path) -> None:
    inst = Instrument("XBTUSD.BITMEX", InstrumentKind.PERPETUAL, "0.50", "1", "XBT", "USD", "XBT")
    batches = _load(tardis_dir / "bitmex_trades_XBTUSD.csv", instruments={inst.id: inst})
    assert batches[0].instrument is inst
    assert _frame(batches)["price"][0] == 853150


def test_an_unknown_header_is_refused_naming_line_one(tmp_path: Path) -> None:
    path = tmp_path / "derivative_ticker.csv"
    path.write_text("exchange,symbol,timestamp,local_timestamp,funding_rate,mark_price\n")
    with pytest.raises(DataError, match=r"derivative_ticker\.csv:1: header .* not a Tardis CSV"):
        _load(path)


TRADES = (
    "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"
    "bitmex,XBTUSD,1000,2000,a,sell,8531.5,10\n"
    "bitmex,XBTUSD,1000,2001,b,sell,8531.5,20\n"
    "bitmex,XBTUSD,1000,2002,c,buy,8532.0,30\n"
)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "trades.csv"
    path.write_text(text)
    return path


def test_a_non_numeric_price_names_its_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, TRADES.replace("8531.5,20", "85x1.5,20"))
    with pytest.raises(DataError, match=r"trades\.csv:3: column 'price': expected a decimal"):
        _load(path)


def test_a_price_finer_than_the_definition_is_refused_not_rounded(tmp_path: Path) -> None:
    inst = Instrument("XBTUSD.BITMEX", InstrumentKind.PERPETUAL, "0.5", "1", "", "", "")
    path = _write(tmp_path, TRADES.replace("8532.0", "8532.25"))
    with pytest.raises(DataError, match=r"trades\.csv:4: column 'price': \"8532.25\" has 2"):
        _load(path, instruments={inst.id: inst})


def test_a_local_timestamp_going_backwards_is_a_bad_row(tmp_path: Path) -> None:
    path = _write(tmp_path, TRADES.replace("1000,2002", "1000,1999"))
    with pytest.raises(DataError, match=r"trades\.csv:4: column 'local_timestamp': timestamp go"):
        _load(path)


def test_skip_leaves_bad_rows_out_and_counts_them(tmp_path: Path) -> None:
    path = _write(tmp_path, TRADES.replace("8531.5,20", "x,20").replace(",buy,", ",maybe,"))
    errors = ErrorSink(policy=OnError.SKIP)
    frame = _frame(_load(path, errors))
    assert errors.skipped == 2
    assert frame["trade_id"].to_list() == ["a"]


def test_quarantine_keeps_the_line_and_text_of_each_bad_row(tmp_path: Path) -> None:
    path = _write(tmp_path, TRADES.replace("8531.5,20", "x,20"))
    errors = ErrorSink(policy=OnError.QUARANTINE)
    _load(path, errors)
    [record] = errors.rejected
    assert (record.line, record.text) == (3, "bitmex,XBTUSD,1000,2001,b,sell,x,20")


def test_a_gzipped_file_reads_like_the_plain_one(tardis_dir: Path, tmp_path: Path) -> None:
    plain = tardis_dir / "bitmex_trades_XBTUSD.csv"
    packed = tmp_path / "bitmex_trades_XBTUSD.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert _frame(_load(packed)).equals(_frame(_load(plain)))


def test_rows_of_several_symbols_become_batches_per_instrument(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        TRADES
        + "bitmex,ETHUSD,1001,2003,d,buy,150.05,7\n"
        + "bitmex,XBTUSD,1001,2004,e,buy,8533.0,40\n",
    )
    batches = _load(path)
    by_id = {b.instrument.id: pl.from_arrow(b.table) for b in batches}
    assert by_id["XBTUSD.BITMEX"]["trade_id"].to_list() == ["a", "b", "c", "e"]
    assert by_id["ETHUSD.BITMEX"]["price"].to_list() == [15005]
    assert by_id["XBTUSD.BITMEX"]["price"].to_list() == [85315, 85315, 85320, 85330]


def test_an_instrument_override_refuses_a_file_of_several_symbols(tmp_path: Path) -> None:
    path = _write(tmp_path, TRADES + "bitmex,ETHUSD,1001,2003,d,buy,150.05,7\n")
    with pytest.raises(ConfigError, match="holds several instruments"):
        _load(path, instrument="XBT.X")
