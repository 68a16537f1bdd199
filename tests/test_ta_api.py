"""The ``ferrox.ta`` surface: drop-in calling conventions, containers, errors.

Also checks that the generated modules match the catalogue and that every
docstring example runs.
"""

from __future__ import annotations

import doctest
import types

import numpy as np
import pandas as pd
import polars as pl
import pytest

import ferrox.ta as ta
from ferrox.errors import ConfigError, DataError, FerroxError
from ferrox.ta import _api, _generate, _vwap, functions, stream
from ferrox.ta import polars as tapl

REQUIRED = [
    *("SMA", "EMA", "WMA", "DEMA", "TEMA", "TRIMA", "KAMA", "T3", "MAMA", "BBANDS", "SAR"),
    *("MIDPOINT", "MIDPRICE", "RSI", "STOCH", "STOCHF", "STOCHRSI", "MACD", "MACDEXT"),
    *("PPO", "APO", "MOM", "ROC", "ROCP", "ROCR", "CMO", "CCI", "WILLR", "ADX", "ADXR", "DX"),
    *("PLUS_DI", "MINUS_DI", "AROON", "AROONOSC", "MFI", "BOP", "TRIX", "ULTOSC", "ATR"),
    *("NATR", "TRANGE", "OBV", "AD", "ADOSC", "LINEARREG", "LINEARREG_SLOPE"),
    *("LINEARREG_INTERCEPT", "LINEARREG_ANGLE", "TSF", "STDDEV", "VAR", "CORREL", "BETA"),
    *("MAX", "MIN", "SUM"),
]
EXTRAS = ["VWAP", "KELTNER", "DONCHIAN", "ZSCORE", "QUANTILE", "EWMVAR"]


def test_every_required_indicator_exists_in_all_three_forms() -> None:
    for name in [*REQUIRED, *EXTRAS]:
        assert callable(getattr(ta, name)), name
        assert isinstance(getattr(stream, name), type), name
        assert callable(getattr(tapl, name)), name
    assert set(REQUIRED) <= set(ta.get_functions())


def test_generated_modules_match_the_catalogue() -> None:
    for file, text in _generate.render().items():
        on_disk = (_generate.HERE / file).read_text()
        assert on_disk == text, f"{file} is stale: run python -m ferrox.ta._generate"


@pytest.mark.parametrize("module", [ta, functions, stream, tapl, _api, _vwap])
def test_docstring_examples_run(module: types.ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_a_list_and_an_int_array_give_the_float_array_result() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 5.0]
    expected = np.array([np.nan, np.nan, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(ta.SMA(values, timeperiod=3), expected)
    np.testing.assert_array_equal(ta.SMA(np.arange(1, 6), timeperiod=3), expected)


def test_a_pandas_series_comes_back_as_a_series_on_the_same_index() -> None:
    index = pd.date_range("2024-01-01", periods=5, freq="min")
    close = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0], index=index)
    out = ta.SMA(close, timeperiod=3)
    assert isinstance(out, pd.Series)
    assert out.index.equals(index)
    np.testing.assert_array_equal(out.to_numpy(), [np.nan, np.nan, 2.0, 3.0, 4.0])


def test_a_pandas_series_with_missing_values_reads_them_as_nan() -> None:
    close = pd.Series([None, 1, 2, None, 4], dtype="Int64")
    out = ta.SMA(close, timeperiod=2)
    np.testing.assert_array_equal(
        out.to_numpy(), ta.SMA(np.array([np.nan, 1.0, 2.0, np.nan, 4.0]), timeperiod=2)
    )
    assert out.iloc[2] == 1.5


def test_a_polars_series_comes_back_as_a_polars_series() -> None:
    out = ta.SMA(pl.Series("close", [1.0, 2.0, 3.0]), timeperiod=2)
    assert isinstance(out, pl.Series)
    assert out.name == "close"
    assert out.to_list()[1:] == [1.5, 2.5]


def test_several_outputs_come_back_as_a_tuple_in_talib_order() -> None:
    close = ta.example_bars()["close"]
    macd, signal, hist = ta.MACD(close)
    np.testing.assert_array_equal(hist, macd - signal)
    upper, middle, lower = ta.BBANDS(close)
    assert np.nanmin(upper - lower) >= 0.0
    np.testing.assert_array_equal(middle, ta.SMA(close, timeperiod=20))


def test_matype_accepts_the_ma_type_enum() -> None:
    close = ta.example_bars()["close"]
    np.testing.assert_array_equal(
        ta.MA(close, timeperiod=10, matype=ta.MA_Type.KAMA), ta.KAMA(close, timeperiod=10)
    )


def test_inputs_of_different_lengths_are_refused_naming_each_length() -> None:
    with pytest.raises(
        DataError, match=r"ATR: inputs must have the same length, got high=5, low=4, close=5"
    ):
        ta.ATR(np.ones(5), np.ones(4), np.ones(5))


def test_text_input_is_refused_naming_the_argument() -> None:
    with pytest.raises(DataError, match=r"RSI: real must be a 1-D series of real numbers"):
        ta.RSI(np.array(["1", "2", "3"]))


def test_a_polars_string_column_is_refused() -> None:
    with pytest.raises(DataError, match="SMA: real"):
        ta.SMA(pl.Series(["a", "b"]))


def test_a_two_dimensional_array_is_refused() -> None:
    with pytest.raises(DataError, match=r"must be 1-dimensional, got shape \(2, 2\)"):
        ta.SMA(np.ones((2, 2)))


def test_a_period_outside_talibs_range_names_the_parameter_and_the_range() -> None:
    with pytest.raises(
        ConfigError, match=r"RSI: timeperiod must be an integer in 2\.\.=100000, got 1"
    ):
        ta.RSI(np.ones(10), timeperiod=1)


def test_a_fractional_period_is_refused() -> None:
    with pytest.raises(ConfigError, match="timeperiod must be an integer"):
        ta.SMA(np.ones(10), timeperiod=2.5)


def test_a_boolean_parameter_is_refused() -> None:
    with pytest.raises(ConfigError, match="SMA: timeperiod must be an integer, got True"):
        ta.SMA(np.ones(10), timeperiod=True)


def test_an_unknown_moving_average_type_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"matype must be a moving-average type 0\.\.=8"):
        ta.BBANDS(np.ones(30), matype=11)


def test_a_float_parameter_outside_its_range_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"MAMA: fastlimit must be a number in 0\.01\.\.=0\.99"):
        ta.MAMA(np.ones(50), fastlimit=2.0)


def test_input_and_parameter_errors_are_value_errors_and_ferrox_errors() -> None:
    for error in (DataError, ConfigError):
        assert issubclass(error, ValueError)
        assert issubclass(error, FerroxError)


def test_stream_update_takes_one_value_per_input() -> None:
    atr = stream.ATR()
    with pytest.raises(TypeError):
        atr.update(1.0)  # type: ignore[call-arg]


def test_stream_parameters_are_checked_like_the_batch_ones() -> None:
    with pytest.raises(ConfigError, match="RSI: timeperiod"):
        stream.RSI(timeperiod=0)


def test_an_all_nan_input_gives_all_nan() -> None:
    assert np.isnan(ta.RSI(np.full(30, np.nan))).all()


def test_an_empty_input_gives_an_empty_result() -> None:
    assert ta.SMA(np.array([], dtype=np.float64)).shape == (0,)
