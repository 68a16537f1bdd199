"""What ``ferrox.bars.aggregate`` accepts (Arrow, polars, dicts of arrays) and what it refuses."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pytest

from ferrox.bars import BAR_SCHEMA, aggregate
from ferrox.bars.stream import BarAggregator, ImbalanceBars, TickBars, TimeBars, VolumeBars
from ferrox.errors import ConfigError, DataError
from ferrox.model.instrument import Instrument, InstrumentKind

BTC = Instrument("BTCUSDT.TEST", InstrumentKind.SPOT, "0.01", "0.001", "BTC", "USDT", "USDT")


def trades() -> dict[str, np.ndarray]:
    return {
        "ts_event": np.array([0, 10, 20, 1_000_000_000], dtype=np.int64),
        "ts_init": np.array([5, 15, 25, 1_000_000_005], dtype=np.int64),
        "price": np.array([6180030, 6180020, 6180040, 6180010], dtype=np.int64),
        "size": np.array([6, 2507, 10, 1], dtype=np.int64),
        "aggressor_side": np.array([1, 2, 1, 0], dtype=np.uint8),
        "trade_id": np.array(["1", "2", "3", "4"]),
    }


def test_arrow_polars_and_dicts_of_arrays_give_the_same_bars() -> None:
    expected = aggregate(trades(), "1s", instrument=BTC)
    table = pa.table(trades())
    assert aggregate(table, "1s", instrument=BTC).equals(expected)
    assert aggregate(pl.from_arrow(table), "1s", instrument=BTC).equals(expected)  # type: ignore[arg-type]
    chunked = pa.concat_tables([table.slice(0, 2), table.slice(2)])
    assert aggregate(chunked, "1s", instrument=BTC).equals(expected)


def test_the_result_has_the_documented_columns() -> None:
    bars = aggregate(trades(), "1s", instrument=BTC)
    assert dict(bars.schema) == {k: v() for k, v in BAR_SCHEMA.items()}


def test_precisions_come_from_instrument_tuple_or_arrow_metadata() -> None:
    by_instrument = aggregate(trades(), "1s", instrument=BTC)
    assert aggregate(trades(), "1s", precisions=(2, 3)).equals(by_instrument)
    table = pa.table(trades()).replace_schema_metadata(
        {"ferrox.price_precision": "2", "ferrox.size_precision": "3"}
    )
    assert aggregate(table, "1s").equals(by_instrument)
    # value = 61800.30 * 0.006 + 61800.20 * 2.507 + 61800.40 * 0.010
    assert by_instrument["value"][0] == pytest.approx(
        61800.30 * 0.006 + 61800.20 * 2.507 + 61800.40 * 0.010
    )


def test_without_precisions_value_and_vwap_are_null() -> None:
    bars = aggregate(trades(), "1s")
    assert bars["value"].null_count() == bars.height
    assert bars["vwap"].null_count() == bars.height


def test_conflicting_precisions_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="disagree"):
        aggregate(trades(), "1s", instrument=BTC, precisions=(1, 3))


def test_aggressor_side_is_optional() -> None:
    data = trades()
    del data["aggressor_side"]
    bars = aggregate(data, "1s", instrument=BTC)
    assert bars["buy_volume"].sum() == 0
    assert bars["volume"].sum() == data["size"].sum()


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (
            lambda d: d.update(price=d["price"][:3]),
            DataError,
            r"trades: column \"price\" has 3 rows but \"ts_event\" has 4",
        ),
        (
            lambda d: d.update(price=d["price"].astype(np.float64)),
            DataError,
            "trades: column 'price' has dtype float64; expected integers",
        ),
        (
            lambda d: d.update(size=np.array(["1", "2", "3", "4"])),
            DataError,
            "trades: column 'size' has dtype <U1",
        ),
        (
            lambda d: d.update(ts_event=d["ts_event"][::-1].copy()),
            DataError,
            r"trades: column \"ts_event\" is not sorted: row 1",
        ),
        (
            lambda d: d.update(aggressor_side=np.array([1, 2, 3, 0])),
            DataError,
            "row 2: 3 is not an aggressor side",
        ),
        (
            lambda d: d.update(aggressor_side=np.array([1, 2, 300, 0])),
            DataError,
            "column 'aggressor_side' row 2: 300 does not fit uint8",
        ),
        (lambda d: d.update(size=np.array([1, -2, 3, 4])), DataError, "row 1: size -2 is negative"),
        (
            lambda d: d.update(price=np.array([1, 2, 3, 2**63], dtype=np.uint64)),
            DataError,
            "column 'price' row 3: 9223372036854775808 does not fit int64",
        ),
        (lambda d: d.pop("size"), DataError, "trades: no column 'size'"),
    ],
)
def test_bad_columns_are_data_errors_naming_argument_column_and_row(
    change: object, error: type[Exception], match: str
) -> None:
    data = trades()
    change(data)  # type: ignore[operator]
    with pytest.raises(error, match=match):
        aggregate(data, "1s", instrument=BTC)


def test_nulls_and_float_columns_in_tables_are_refused() -> None:
    table = pa.table(trades()).set_column(2, "price", pa.array([1, None, 3, 4], pa.int64()))
    with pytest.raises(DataError, match="column 'price' row 1: missing value"):
        aggregate(table, "1s", instrument=BTC)
    frame = pl.DataFrame(trades()).with_columns(pl.col("size").cast(pl.Float64))
    with pytest.raises(DataError, match="column 'size' is double; expected integers"):
        aggregate(frame, "1s", instrument=BTC)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"source": "last"}, "source: expected one of"),
        ({"by": "ts_recv"}, "by: expected one of"),
        ({"empty_bars": True, "spec": "5-tick"}, "empty bars apply to time bars only"),
        ({"spec": "1mn"}, "at position 2"),
        ({"precisions": (2, 30)}, "precisions: expected"),
    ],
)
def test_bad_options_are_config_errors(kwargs: dict[str, object], match: str) -> None:
    spec = str(kwargs.pop("spec", "1s"))
    with pytest.raises(ConfigError, match=match):
        aggregate(trades(), spec, **kwargs)  # type: ignore[arg-type]


def test_quotes_need_their_columns() -> None:
    with pytest.raises(DataError, match="no column 'bid_price'"):
        aggregate(trades(), "1s", source="bid", instrument=BTC)


def test_streaming_refuses_trades_out_of_time_order() -> None:
    bars = TimeBars("1s")
    bars.update(10, 1, 1)
    with pytest.raises(DataError, match="ts 9 is earlier than the previous trade's 10"):
        bars.update(9, 1, 1)


def test_streaming_checks_the_side_and_the_kind_of_input() -> None:
    with pytest.raises(DataError, match="not an aggressor side"):
        TickBars(3).update(0, 1, 1, 7)
    with pytest.raises(ConfigError, match="call update_quote"):
        BarAggregator("1s", source="mid").update(0, 1, 1)
    with pytest.raises(ConfigError, match="call update"):
        BarAggregator("1s").update_quote(0, 1, 2, 1, 1)


def test_stream_classes_build_their_specs() -> None:
    assert VolumeBars("2.50", precisions=(2, 3)).spec == "2.5-volume"
    assert ImbalanceBars("volume", expected=100, span=5).spec.startswith(
        "volume-imbalance:expected=100,span=5,window=500"
    )
    with pytest.raises(ConfigError, match="not a time interval"):
        TimeBars("5-tick")
    with pytest.raises(ConfigError, match="positive decimal"):
        VolumeBars("-1", precisions=(2, 3))
    with pytest.raises(ConfigError, match="whole number of trades"):
        TickBars(0)
