"""The generic CSV/Parquet loader, checked against pandas, the csv module and Decimal."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ferrox.data.loaders import generic
from ferrox.data.loaders.base import Batch, ErrorSink, LoaderOptions, OnError
from ferrox.errors import ConfigError, DataError
from ferrox.model.schema import AggressorSide, DataKind

MINUTE = 60_000_000_000
BTC_PERP = "btc-perp-20211231-20220201_1m.csv"


def _load(path: Path, errors: ErrorSink | None = None, **options: object) -> list[Batch]:
    sink = errors if errors is not None else ErrorSink()
    return list(generic.load(path, options=LoaderOptions(**options), errors=sink))


def _frame(batches: list[Batch]) -> pl.DataFrame:
    return pl.concat([pl.from_arrow(b.table) for b in batches])


def _raw(values: pd.Series, precision: int) -> list[int]:
    out = []
    for text in values:
        value = Decimal(text) * 10**precision
        assert value == value.to_integral_value()
        out.append(int(value))
    return out


def _decimals(text: str) -> int:
    return max(0, -Decimal(text).normalize().as_tuple().exponent)


def _epoch_ns(values: pd.Series) -> list[int]:
    stamps = pd.to_datetime(values, utc=True)
    return [int(t.value) for t in stamps]


# --- real bar files -----------------------------------------------------------


@pytest.fixture(scope="module")
def btc_perp(shared_data: Path) -> tuple[list[Batch], ErrorSink, pd.DataFrame]:
    path = shared_data / "bars" / BTC_PERP
    errors = ErrorSink(policy=OnError.QUARANTINE)
    batches = _load(
        path,
        errors,
        instrument="BTC-PERP.FTX",
        kind=DataKind.BARS,
        price_precision=3,
        size_precision=4,
    )
    return batches, errors, pd.read_csv(path, dtype=str)


def test_btc_perp_leaves_out_exactly_the_volumes_finer_than_declared(
    btc_perp: tuple[list[Batch], ErrorSink, pd.DataFrame],
) -> None:
    batches, errors, table = btc_perp
    too_fine = [i + 2 for i, v in enumerate(table["volume"]) if _decimals(v) > 4]
    assert len(too_fine) == 14
    assert [r.line for r in errors.rejected] == too_fine
    assert all(r.reason.startswith("column 'volume'") for r in errors.rejected)
    assert _frame(batches).height == len(table) - len(too_fine) == 45017


def test_btc_perp_ohlcv_columns_equal_pandas_text_read_exactly(
    btc_perp: tuple[list[Batch], ErrorSink, pd.DataFrame],
) -> None:
    batches, _, table = btc_perp
    kept = table[[_decimals(v) <= 4 for v in table["volume"]]]
    frame = _frame(batches)
    for column in ("open", "high", "low", "close"):
        assert frame[column].to_list() == _raw(kept[column], 3)
    assert frame["volume"].to_list() == _raw(kept["volume"], 4)


def test_btc_perp_labels_are_bar_opens_one_minute_long(
    btc_perp: tuple[list[Batch], ErrorSink, pd.DataFrame],
) -> None:
    batches, _, table = btc_perp
    kept = table[[_decimals(v) <= 4 for v in table["volume"]]]
    frame = _frame(batches)
    opens = _epoch_ns(kept["timestamp"])
    assert frame["ts_open"].to_list() == opens
    assert frame["ts_event"].to_list() == [t + MINUTE for t in opens]
    assert frame["ts_init"].to_list() == frame["ts_event"].to_list()


def test_btc_perp_interpolated_prices_are_refused_at_a_coarser_precision(
    shared_data: Path, tmp_path: Path
) -> None:
    lines = (shared_data / "bars" / BTC_PERP).read_text().splitlines(keepends=True)
    excerpt = tmp_path / "excerpt.csv"
    excerpt.write_text(lines[0] + lines[17522] + lines[17523])
    assert "43613.875" in lines[17523]
    with pytest.raises(DataError, match=r"excerpt\.csv:3: column 'close': \"43613.875\" has 3"):
        _load(excerpt, instrument="BTC-PERP.FTX", kind=DataKind.BARS, price_precision=2)


def test_btc_perp_volumes_leave_no_precision_to_infer(shared_data: Path) -> None:
    with pytest.raises(DataError, match=r"size values need up to 11 decimals .*declare"):
        _load(shared_data / "bars" / BTC_PERP, instrument="BTC-PERP.FTX", kind=DataKind.BARS)


@pytest.mark.parametrize("side", ["bid", "ask"])
def test_fx_bars_load_every_row_exactly_with_no_volume(shared_data: Path, side: str) -> None:
    path = shared_data / "fx" / f"gbpusd-m1-{side}-2012.csv"
    batches = _load(path, instrument="GBPUSD.FXCM", kind=DataKind.BARS)
    frame = _frame(batches)
    table = pd.read_csv(path, dtype=str)
    precision = batches[0].instrument.price_precision
    assert precision == max(_decimals(v) for c in ("open", "close") for v in table[c])
    assert frame.height == len(table)
    for column in ("open", "high", "low", "close"):
        assert frame[column].to_list() == _raw(table[column], precision)
    assert set(frame["volume"].to_list()) == {0}


def test_fx_labels_are_open_times_with_their_offset(shared_data: Path) -> None:
    path = shared_data / "fx" / "gbpusd-m1-bid-2012.csv"
    frame = _frame(_load(path, instrument="GBPUSD.FXCM", kind=DataKind.BARS))
    opens = _epoch_ns(pd.read_csv(path, dtype=str)["timestamp"])
    assert frame["ts_open"].to_list() == opens
    assert frame["ts_event"].to_list() == [t + MINUTE for t in opens]


def test_a_close_label_ends_the_bar(shared_data: Path) -> None:
    path = shared_data / "fx" / "gbpusd-m1-bid-2012.csv"
    frame = _frame(_load(path, instrument="GBPUSD.FXCM", kind=DataKind.BARS, bar_label="close"))
    labels = _epoch_ns(pd.read_csv(path, dtype=str)["timestamp"])
    assert frame["ts_event"].to_list() == labels
    assert frame["ts_open"].to_list() == [t - MINUTE for t in labels]


def test_binance_klines_without_header_are_recognised(shared_data: Path) -> None:
    path = shared_data / "bars" / "ADABTC-1m-2021-11-27.csv"
    batches = _load(path, instrument="ADABTC.BINANCE")
    frame = _frame(batches)
    inst = batches[0].instrument
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    assert batches[0].kind is DataKind.BARS
    assert frame.height == len(rows) == 10
    for index, column in enumerate(("open", "high", "low", "close"), start=1):
        assert frame[column].to_list() == _raw(pd.Series([r[index] for r in rows]), 8)
    assert inst.price_precision == 8
    assert frame["volume"].to_list() == _raw(pd.Series([r[5] for r in rows]), inst.size_precision)
    assert frame["ts_open"].to_list() == [int(r[0]) * 1_000_000 for r in rows]
    # The close time is the last millisecond of the bar.
    assert frame["ts_event"].to_list() == [(int(r[6]) + 1) * 1_000_000 for r in rows]


# --- synthetic files -------------------------------------------------------------

TRADES = "time,px,qty,side,id\n1700000000000,100.5,0.25,buy,a\n1700000000001,100.0,1,sell,b\n"


def _write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_trades_follow_the_declared_column_mapping(tmp_path: Path) -> None:
    path = _write(tmp_path, TRADES)
    batches = _load(
        path,
        instrument="X.TEST",
        kind=DataKind.TRADES,
        columns={"price": "px", "trade_id": "id"},
        ts_unit="ms",
    )
    assert _frame(batches).rows() == [
        (1_700_000_000_000_000_000, 1_700_000_000_000_000_000, 1005, 25, AggressorSide.BUYER, "a"),
        (
            1_700_000_000_001_000_000,
            1_700_000_000_001_000_000,
            1000,
            100,
            AggressorSide.SELLER,
            "b",
        ),
    ]


def test_the_timestamp_unit_is_guessed_from_its_digits(tmp_path: Path) -> None:
    path = _write(tmp_path, TRADES)
    frame = _frame(_load(path, instrument="X.TEST", kind=DataKind.TRADES, columns={"price": "px"}))
    assert frame["ts_event"][0] == 1_700_000_000_000_000_000


def test_fractional_seconds_are_kept_to_the_nanosecond(tmp_path: Path) -> None:
    path = _write(tmp_path, "ts,price,size\n1700000000.123456789,1,1\n")
    frame = _frame(_load(path, instrument="X.TEST", kind=DataKind.TRADES, ts_unit="s"))
    assert frame["ts_event"][0] == 1_700_000_000_123_456_789


def test_naive_times_are_read_in_the_given_time_zone(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "timestamp,bid,ask,bid_size,ask_size\n"
        "2024-07-01 09:00:00,1.5,1.6,1,2\n"
        "2024-07-01 09:00:00.5,1.5,1.7,1,2\n",
    )
    frame = _frame(
        _load(path, instrument="X.TEST", kind=DataKind.QUOTES, ts_unit="iso", tz="Europe/London")
    )
    utc_8am = int(pd.Timestamp("2024-07-01 08:00:00", tz="UTC").value)
    assert frame["ts_event"].to_list() == [utc_8am, utc_8am + 500_000_000]
    assert frame.select("bid_price", "ask_price", "bid_size", "ask_size").rows() == [
        (15, 16, 1, 2),
        (15, 17, 1, 2),
    ]


def test_a_local_time_skipped_by_the_clock_change_is_a_bad_row(tmp_path: Path) -> None:
    path = _write(tmp_path, "timestamp,price,size\n2024-03-31 01:30:00,1,1\n")
    with pytest.raises(DataError, match=r"data\.csv:2: column 'timestamp': .* time zone"):
        _load(path, instrument="X.TEST", kind=DataKind.TRADES, tz="Europe/London")


def test_parquet_with_text_and_decimal_columns_loads_exactly(tmp_path: Path) -> None:
    path = tmp_path / "trades.parquet"
    table = pa.table(
        {
            "ts_event": pa.array([1, 2], pa.int64()),
            "price": pa.array([Decimal("100.25"), Decimal("100.50")], pa.decimal128(10, 2)),
            "size": pa.array(["0.001", "2"]),
        }
    )
    pq.write_table(table, path)
    frame = _frame(_load(path, instrument="X.TEST", kind=DataKind.TRADES, ts_unit="ns"))
    assert frame.select("ts_event", "price", "size").rows() == [(1, 10025, 1), (2, 10050, 2000)]


def test_parquet_float_prices_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "trades.parquet"
    pq.write_table(pa.table({"ts": [1], "price": [100.1], "size": ["1"]}), path)
    with pytest.raises(DataError, match=r"column 'price' holds binary floats"):
        _load(path, instrument="X.TEST", kind=DataKind.TRADES, ts_unit="ns")


def test_an_instrument_is_required(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs an instrument id"):
        _load(_write(tmp_path, TRADES), kind=DataKind.TRADES)


def test_a_missing_column_is_a_config_error_listing_the_file_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "time,last,qty\n1,2,3\n")
    with pytest.raises(ConfigError, match=r"no column for \['price'\] among \['time', 'last'"):
        _load(path, instrument="X.TEST", kind=DataKind.TRADES)


def test_a_headerless_file_that_is_not_klines_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"data\.csv:1: the first line holds numbers"):
        _load(_write(tmp_path, "1,2,3\n"), instrument="X.TEST", kind=DataKind.TRADES)


BARS = (
    "timestamp,open,high,low,close,volume\n"
    "2022-01-01 00:00:00,10.5,11,10,10.5,3\n"
    "2022-01-01 00:01:00,10.5,11,10,10.5,3\n"
    "2022-01-01 00:02:00,10.5,11,10,10.5,3\n"
)


def test_a_non_numeric_price_names_its_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, BARS.replace("00:01:00,10.5,11", "00:01:00,10.5,1l"))
    with pytest.raises(DataError, match=r"data\.csv:3: column 'high': expected a price, got '1l'"):
        _load(path, instrument="X.TEST", kind=DataKind.BARS)


def test_a_timestamp_going_backwards_is_a_bad_row(tmp_path: Path) -> None:
    path = _write(tmp_path, BARS.replace("00:02:00", "00:00:30"))
    with pytest.raises(DataError, match=r"data\.csv:4: column 'timestamp': timestamp goes back"):
        _load(path, instrument="X.TEST", kind=DataKind.BARS, bar_interval="1m")


def test_skip_counts_bad_rows_and_keeps_the_rest(tmp_path: Path) -> None:
    path = _write(tmp_path, BARS.replace("00:01:00,10.5", "00:01:00,x"))
    errors = ErrorSink(policy=OnError.SKIP)
    frame = _frame(_load(path, errors, instrument="X.TEST", kind=DataKind.BARS))
    assert errors.skipped == 1
    assert frame["ts_open"].to_list() == [
        int(pd.Timestamp(t, tz="UTC").value) for t in ("2022-01-01 00:00", "2022-01-01 00:02")
    ]


def test_quarantine_keeps_line_numbers_right_after_blank_and_short_lines(tmp_path: Path) -> None:
    body = BARS.replace("\n2022-01-01 00:01:00", "\n\n2022-01-01 00:00:30,1\n2022-01-01 00:01:00")
    path = _write(tmp_path, body.replace("00:02:00,10.5", "00:02:00,x"))
    errors = ErrorSink(policy=OnError.QUARANTINE)
    _load(path, errors, instrument="X.TEST", kind=DataKind.BARS, bar_interval="1m")
    assert [(r.line, r.text) for r in errors.rejected] == [
        (4, "2022-01-01 00:00:30,1"),
        (6, "2022-01-01 00:02:00,x,11,10,10.5,3"),
    ]


def test_parse_interval_reads_counts_and_units() -> None:
    assert generic.parse_interval("15s") == 15_000_000_000
    assert generic.parse_interval("4h") == 4 * 3600 * 1_000_000_000
    with pytest.raises(ConfigError, match="bar interval"):
        generic.parse_interval("fortnight")


def test_parquet_timestamp_columns_are_read_natively_in_the_given_zone(tmp_path: Path) -> None:
    path = tmp_path / "trades.parquet"
    times = pa.array([pd.Timestamp("2024-07-01 09:00:00").to_pydatetime()], pa.timestamp("us"))
    pq.write_table(pa.table({"time": times, "price": ["1.5"], "size": ["1"]}), path)
    frame = _frame(_load(path, instrument="X.TEST", kind=DataKind.TRADES, tz="Europe/London"))
    assert frame["ts_event"].to_list() == [int(pd.Timestamp("2024-07-01 08:00", tz="UTC").value)]
