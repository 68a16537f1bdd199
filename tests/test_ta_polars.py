"""``ferrox.ta.polars``: the indicators as expressions, equal to the batch form."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import ferrox.ta as ta
from ferrox import _core
from ferrox.ta import polars as tapl

SPECS = {s["name"]: s for s in _core.ta_specs() if s["name"] != "VWAP"}
COLUMNS = {"real": "close", "real0": "high", "real1": "low"}


def frame(n: int = 300) -> pl.DataFrame:
    return pl.DataFrame(ta.example_bars(n))


def batch(name: str, df: pl.DataFrame) -> list[np.ndarray]:
    args = [df[COLUMNS.get(i, i)].to_numpy() for i in SPECS[name]["inputs"]]
    out = getattr(ta, name)(*args)
    return [out] if isinstance(out, np.ndarray) else list(out)


def column_values(series: pl.Series) -> np.ndarray:
    """Floats with nulls as NaN, for comparison with the batch arrays."""
    return series.cast(pl.Float64).fill_null(np.nan).to_numpy()


@pytest.mark.parametrize("name", sorted(SPECS))
def test_expression_equals_the_batch_function(name: str) -> None:
    df = frame()
    args = [pl.col(COLUMNS.get(i, i)) for i in SPECS[name]["inputs"]]
    result = df.select(getattr(tapl, name)(*args))[name.lower()]
    expected = batch(name, df)
    if len(expected) == 1:
        np.testing.assert_array_equal(column_values(result), expected[0])
    else:
        fields = result.struct.unnest()
        assert fields.columns == SPECS[name]["outputs"]
        for col, exp in zip(fields.columns, expected, strict=True):
            np.testing.assert_array_equal(column_values(fields[col]), exp)


def test_warm_up_values_are_null() -> None:
    out = frame(20).select(tapl.SMA(timeperiod=5))["sma"]
    assert out.null_count() == 4
    assert out[4] is not None


def test_inputs_default_to_the_ohlcv_column_names() -> None:
    df = frame()
    explicit = df.select(tapl.ATR("high", "low", "close", timeperiod=7))
    default = df.select(tapl.ATR(timeperiod=7))
    assert explicit.equals(default)


def test_over_groups_computes_each_group_on_its_own() -> None:
    bars = ta.example_bars(400)
    df = pl.DataFrame({"symbol": ["A"] * 180 + ["B"] * 220, **bars})
    out = df.with_columns(tapl.RSI(timeperiod=14).over("symbol"))["rsi"]
    expected = np.concatenate([ta.RSI(bars["close"][:180]), ta.RSI(bars["close"][180:])])
    np.testing.assert_array_equal(column_values(out), expected)


def test_group_by_aggregation_gives_one_list_per_group() -> None:
    bars = ta.example_bars(100)
    df = pl.DataFrame({"symbol": ["A"] * 40 + ["B"] * 60, **bars})
    out = df.group_by("symbol", maintain_order=True).agg(tapl.SMA(timeperiod=5))
    np.testing.assert_array_equal(
        column_values(pl.Series(out["sma"][1])), ta.SMA(bars["close"][40:], timeperiod=5)
    )


def test_null_inputs_behave_like_nan() -> None:
    df = pl.DataFrame({"close": [None, 1.0, 3.0, None, 5.0]})
    out = df.select(tapl.SMA(timeperiod=2))["sma"]
    expected = ta.SMA(np.array([np.nan, 1.0, 3.0, np.nan, 5.0]), timeperiod=2)
    np.testing.assert_array_equal(column_values(out), expected)
    assert out.to_list()[:3] == [None, None, 2.0]


def test_vwap_expression_restarts_at_each_utc_day() -> None:
    ts = pl.datetime_range(
        pl.datetime(2024, 1, 1, 22), pl.datetime(2024, 1, 2, 2), "1h", eager=True
    )
    df = pl.DataFrame(
        {
            "ts": ts,
            "high": [1.0, 2.0, 3.0, 4.0, 5.0],
            "low": [1.0, 2.0, 3.0, 4.0, 5.0],
            "close": [1.0, 2.0, 3.0, 4.0, 5.0],
            "volume": [1.0, 1.0, 1.0, 1.0, 1.0],
        }
    )
    out = df.select(tapl.VWAP(timestamps="ts"))["vwap"].to_list()
    assert out == [1.0, 1.5, 3.0, 3.5, 4.0]
