"""Streaming equals batch, bit for bit, for every indicator (a property test).

Hypothesis draws a price path (with NaNs anywhere, leading ones included) and
parameters across each indicator's range; the stream class fed bar by bar,
and ``update_many``, must reproduce the batch function exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ferrox.ta as ta
from ferrox import _core
from ferrox.ta import stream

SPECS = {s["name"]: s for s in _core.ta_specs()}

# Float parameters are drawn from a practical sub-range of TA-Lib's (which is
# often +-3e37); integers up to 40 so that most windows fill on short paths.
FLOAT_RANGES = {
    "nbdevup": (-3.0, 3.0),
    "nbdevdn": (-3.0, 3.0),
    "nbdev": (-3.0, 3.0),
    "acceleration": (0.0, 0.5),
    "maximum": (0.0, 1.0),
    "multiplier": (-3.0, 3.0),
}


def param_strategy(p: dict[str, Any]) -> st.SearchStrategy[float]:
    if p["kind"] == "matype":
        return st.integers(0, 8).map(float)
    if p["kind"] == "int":
        return st.integers(int(p["min"]), min(int(p["max"]), 40)).map(float)
    lo, hi = FLOAT_RANGES.get(p["name"], (p["min"], p["max"]))
    return st.floats(lo, hi, allow_nan=False)


@st.composite
def bars(draw: st.DrawFn, n_inputs: int) -> list[np.ndarray]:
    """``n_inputs`` series along one random path, with NaNs sprinkled anywhere."""
    n = draw(st.integers(1, 250))
    steps = np.array(draw(st.lists(st.floats(-3.0, 3.0), min_size=n, max_size=n)))
    close = 100.0 + np.cumsum(steps)
    spread = np.abs(np.array(draw(st.lists(st.floats(0.0, 2.0), min_size=n, max_size=n))))
    columns = {
        0: close + spread,  # high-like
        1: close - spread,  # low-like
        2: close,
        3: 1000.0 + 100.0 * spread,  # volume-like
        4: np.floor(np.arange(n) / 37.0),  # session-like key
    }
    out = [columns[k % 5].copy() for k in range(n_inputs)]
    for col in out:
        for i in draw(st.lists(st.integers(0, n - 1), max_size=4)):
            col[i] = np.nan
    return out


def assert_bitwise_equal(a: np.ndarray, b: np.ndarray, what: str) -> None:
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=f"{what}: NaN positions")
    mask = ~np.isnan(a)
    assert np.array_equal(a[mask].view(np.int64), b[mask].view(np.int64)), what


@pytest.mark.parametrize("name", sorted(SPECS))
def test_streaming_equals_batch_bit_for_bit(name: str) -> None:
    spec = SPECS[name]

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        series=bars(len(spec["inputs"])),
        params=st.tuples(*[param_strategy(p) for p in spec["params"]]),
    )
    def check(series: list[np.ndarray], params: tuple[float, ...]) -> None:
        batch = _core.ta_compute(name, series, list(params))
        live = _core.TaStream(name, list(params))
        rows = [live.update(*row) for row in zip(*series, strict=True)]
        streamed = np.array(rows, dtype=np.float64).reshape(len(series[0]), -1)
        for k, out in enumerate(batch):
            assert_bitwise_equal(out, streamed[:, k], f"{name}{params} output {k}")
        again = _core.TaStream(name, list(params))
        for k, out in enumerate(again.update_many(series)):
            assert_bitwise_equal(out, batch[k], f"{name}{params} update_many output {k}")

    check()


@pytest.mark.parametrize("name", sorted(n for n in SPECS if n != "VWAP"))
def test_stream_class_reproduces_the_batch_function(name: str) -> None:
    bars_ = ta.example_bars(300)
    columns = {"real": "close", "real0": "high", "real1": "low"}
    series = [bars_[columns.get(i, i)] for i in SPECS[name]["inputs"]]
    batch = getattr(ta, name)(*series)
    batch = [batch] if isinstance(batch, np.ndarray) else list(batch)
    live = getattr(stream, name)()
    assert live.lookback == _core.ta_lookback(
        name, [float(p["default"]) for p in SPECS[name]["params"]]
    )
    rows = [live.update(*row) for row in zip(*series, strict=True)]
    streamed = np.array(rows, dtype=np.float64).reshape(300, -1)
    for k, out in enumerate(batch):
        assert_bitwise_equal(out, streamed[:, k], f"{name} output {k}")


def test_reset_forgets_every_bar() -> None:
    rsi = stream.RSI(timeperiod=3)
    first = [rsi.update(x) for x in (1.0, 2.0, 4.0, 3.0, 5.0)]
    rsi.reset()
    second = [rsi.update(x) for x in (1.0, 2.0, 4.0, 3.0, 5.0)]
    assert_bitwise_equal(np.array(first), np.array(second), "RSI after reset")


def test_leading_nans_are_skipped_until_the_first_complete_bar() -> None:
    sma = stream.SMA(timeperiod=2)
    out = [sma.update(x) for x in (np.nan, np.nan, 1.0, 3.0)]
    assert np.isnan(out[:3]).all()
    assert out[3] == 2.0
