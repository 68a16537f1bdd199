"""The indicators beyond TA-Lib, against independent oracles (pandas, polars, talib)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pytest

import ferrox.ta as ta
from ferrox.errors import ConfigError
from ferrox.ta import stream

talib = pytest.importorskip("talib")

BARS = ta.example_bars(600)


def test_vwap_equals_cumulative_sums_restarted_each_utc_day() -> None:
    n = len(BARS["close"])
    start = np.datetime64("2024-03-01T20:00:00", "ns")
    ts = start + np.arange(n) * np.timedelta64(7, "m")
    frame = pd.DataFrame({k: BARS[k] for k in ("high", "low", "close", "volume")})
    frame["day"] = ts.astype("datetime64[D]")
    typical = (frame["high"] + frame["low"] + frame["close"]) / 3.0
    pv = (typical * frame["volume"]).groupby(frame["day"]).cumsum()
    vol = frame["volume"].groupby(frame["day"]).cumsum()
    expected = (pv / vol).to_numpy()
    out = ta.VWAP(BARS["high"], BARS["low"], BARS["close"], BARS["volume"], timestamps=ts)
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_vwap_session_labels_and_start_flags_anchor_alike() -> None:
    labels = np.repeat(["mon", "tue", "wed"], 200)
    starts = np.zeros(600, dtype=bool)
    starts[[200, 400]] = True
    h, lo, c, v = (BARS[k] for k in ("high", "low", "close", "volume"))
    np.testing.assert_array_equal(
        ta.VWAP(h, lo, c, v, session=labels), ta.VWAP(h, lo, c, v, session=starts)
    )


def test_vwap_takes_timestamps_or_session_not_both() -> None:
    with pytest.raises(ConfigError, match="not both"):
        ta.VWAP([1.0], [1.0], [1.0], [1.0], timestamps=[0], session=[1])


def test_vwap_stream_follows_the_utc_day_of_aware_datetimes() -> None:
    vwap = stream.VWAP()
    paris = dt.timezone(dt.timedelta(hours=1))
    first = vwap.update(2.0, 2.0, 2.0, 1.0, timestamp=dt.datetime(2024, 1, 2, 0, 30, tzinfo=paris))
    second = vwap.update(4.0, 4.0, 4.0, 1.0, timestamp=dt.datetime(2024, 1, 2, 1, 30, tzinfo=paris))
    assert (first, second) == (2.0, 4.0)  # 23:30 UTC on the 1st, then 00:30 UTC on the 2nd


def test_keltner_is_an_ema_plus_minus_atr_multiples() -> None:
    h, lo, c = BARS["high"], BARS["low"], BARS["close"]
    upper, middle, lower = ta.KELTNER(h, lo, c, timeperiod=20, atr_period=10, multiplier=2.0)
    ema = talib.EMA(c, 20)
    atr = talib.ATR(h, lo, c, 10)
    np.testing.assert_array_equal(middle, ema)
    np.testing.assert_allclose(upper, ema + 2.0 * atr, rtol=1e-12)
    np.testing.assert_allclose(lower, ema - 2.0 * atr, rtol=1e-12)


def test_donchian_is_the_rolling_high_low_and_midpoint() -> None:
    frame = pl.DataFrame({"high": BARS["high"], "low": BARS["low"]})
    expected = frame.select(
        pl.col("high").rolling_max(20).alias("up"), pl.col("low").rolling_min(20).alias("down")
    )
    upper, middle, lower = ta.DONCHIAN(BARS["high"], BARS["low"], timeperiod=20)
    up = expected["up"].fill_null(np.nan).to_numpy()
    down = expected["down"].fill_null(np.nan).to_numpy()
    np.testing.assert_array_equal(upper, up)
    np.testing.assert_array_equal(lower, down)
    np.testing.assert_array_equal(middle, (up + down) / 2.0)


def test_zscore_is_the_population_standard_score_of_the_latest_value() -> None:
    close = pd.Series(BARS["close"])
    window = close.rolling(20)
    expected = ((close - window.mean()) / window.std(ddof=0)).to_numpy()
    np.testing.assert_allclose(ta.ZSCORE(BARS["close"], timeperiod=20), expected, atol=1e-9)


def test_zscore_of_a_flat_window_is_zero() -> None:
    assert ta.ZSCORE(np.full(10, 3.25), timeperiod=5)[-1] == 0.0


@pytest.mark.parametrize("q", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_quantile_interpolates_linearly_like_pandas(q: float) -> None:
    expected = pd.Series(BARS["close"]).rolling(25).quantile(q).to_numpy()
    np.testing.assert_allclose(ta.QUANTILE(BARS["close"], 25, q), expected, rtol=1e-15)


def test_ewm_variance_is_pandas_adjust_false_biased_variance() -> None:
    expected = pd.Series(BARS["close"]).ewm(span=20, adjust=False).var(bias=True).to_numpy()
    np.testing.assert_allclose(ta.EWMVAR(BARS["close"], 20), expected, rtol=1e-10, atol=1e-15)
