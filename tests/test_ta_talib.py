"""ferrox.ta equals TA-Lib (the ``talib`` wheel) on real bars and synthetic walks.

The oracle is ``talib`` itself: same NaN warm-up prefix, same values to 1e-9
relative (in practice bit for bit), for every function, with its defaults and
across parameter ranges, including NaNs inside the input and degenerate
stretches (flat prices, zeros, sub-tick noise).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

import ferrox.ta as ta
from ferrox import _core

talib = pytest.importorskip("talib")

SPECS = {s["name"]: s for s in _core.ta_specs() if s["talib"]}
NAMES = sorted(SPECS)
Bars = dict[str, np.ndarray]


def random_walk(seed: int, n: int = 5000) -> Bars:
    """OHLCV bars around a seeded Gaussian random walk."""
    rng = np.random.default_rng(seed)
    close = np.cumsum(rng.normal(size=n)) + 200.0
    open_ = close + rng.normal(size=n) * 0.3
    high = np.maximum(open_, close) + rng.random(n)
    low = np.minimum(open_, close) - rng.random(n)
    volume = rng.random(n) * 1000.0 + 1.0
    return {"open": open_, "high": high, "low": low, "close": close, "volume": volume}


def degenerate(seed: int, n: int = 1500) -> Bars:
    """A walk with flat stretches, exact zeros, sub-tick noise and a stuck range."""
    rng = np.random.default_rng(seed)
    close = np.cumsum(rng.normal(size=n)) + 100.0
    close[100:160] = close[100]
    close[300:360] = close[300] + rng.random(60) * 1e-9
    close[500:520] = 0.0
    close[700:760] = 50.0 + rng.random(60) * 1e-6
    open_ = close + rng.normal(size=n) * 0.3
    for a, b in ((100, 160), (300, 360), (500, 520), (700, 760)):
        open_[a:b] = close[a:b]
    high = np.maximum(open_, close) + rng.random(n)
    low = np.minimum(open_, close) - rng.random(n)
    for a, b in ((100, 160), (300, 360), (500, 520), (700, 760)):
        high[a:b] = np.maximum(open_[a:b], close[a:b])
        low[a:b] = np.minimum(open_[a:b], close[a:b])
    high[900:950] = high[900]
    low[900:950] = low[900]
    volume = rng.random(n) * 1000.0 + 1.0
    volume[1000:1050] = 0.0
    return {"open": open_, "high": high, "low": low, "close": close, "volume": volume}


def inputs_for(name: str, bars: Bars) -> list[np.ndarray]:
    """The series a function reads, by TA-Lib input name."""
    columns = {"real": "close", "real0": "high", "real1": "low"}
    return [bars[columns.get(i, i)] for i in SPECS[name]["inputs"]]


def as_list(result: Any) -> list[np.ndarray]:
    return [result] if isinstance(result, np.ndarray) else list(result)


def assert_matches_talib(name: str, bars: Bars, params: dict[str, Any] | None = None) -> None:
    """ferrox.ta.<name> and talib.<name> agree: NaN positions and values."""
    params = params or {}
    args = inputs_for(name, bars)
    ours = as_list(getattr(ta, name)(*args, **params))
    theirs = as_list(getattr(talib, name)(*args, **params))
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a.dtype == np.float64
        assert a.shape == b.shape
        np.testing.assert_array_equal(
            np.isnan(a), np.isnan(b), err_msg=f"{name}{params} output {k}: NaN positions"
        )
        mask = ~np.isnan(b)
        np.testing.assert_allclose(
            a[mask], b[mask], rtol=1e-9, atol=0, err_msg=f"{name}{params} output {k}"
        )


@pytest.fixture(scope="module")
def real_bars(shared_data: Path) -> Bars:
    """The 45,031 one-minute BTC perpetual bars, as floats."""
    df = pl.read_csv(shared_data / "bars" / "btc-perp-20211231-20220201_1m.csv")
    return {
        c: df[c].cast(pl.Float64).to_numpy() for c in ("open", "high", "low", "close", "volume")
    }


@pytest.mark.parametrize("name", NAMES)
def test_every_function_matches_talib_on_the_real_bars(name: str, real_bars: Bars) -> None:
    assert_matches_talib(name, real_bars)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", [1, 2])
def test_every_function_matches_talib_on_a_random_walk(name: str, seed: int) -> None:
    assert_matches_talib(name, random_walk(seed))


@pytest.mark.parametrize("name", NAMES)
def test_every_function_matches_talib_through_flat_zero_and_sub_tick_stretches(
    name: str,
) -> None:
    assert_matches_talib(name, degenerate(3))


@pytest.mark.parametrize("name", NAMES)
def test_nans_inside_the_input_propagate_as_in_talib(name: str) -> None:
    bars = {k: v.copy() for k, v in random_walk(4).items()}
    rng = np.random.default_rng(4)
    bars["close"][:3] = np.nan  # leading NaNs: talib starts at the first complete bar
    for column in bars.values():
        column[rng.choice(np.arange(100, 4900), 5, replace=False)] = np.nan
    bars["close"][2000:2004] = np.nan
    assert_matches_talib(name, bars)


MA_TYPES = range(9)

PARAMETER_CASES: list[tuple[str, dict[str, Any]]] = [
    *[("MA", {"timeperiod": p, "matype": m}) for p in (1, 2, 30) for m in MA_TYPES],
    *[
        (name, {"timeperiod": p})
        for name in ("SMA", "EMA", "WMA", "DEMA", "TEMA", "TRIMA", "KAMA")
        for p in (1, 2, 3, 4, 7, 50)
    ],
    *[("T3", {"timeperiod": p, "vfactor": v}) for p in (1, 2, 5) for v in (0.0, 0.3, 1.0)],
    ("MAMA", {"fastlimit": 0.9, "slowlimit": 0.1}),
    *[
        ("BBANDS", {"timeperiod": p, "nbdevup": 1.5, "nbdevdn": 2.5, "matype": m})
        for p in (2, 20, 40)
        for m in MA_TYPES
    ],
    ("SAR", {"acceleration": 0.05, "maximum": 0.5}),
    ("SAR", {"acceleration": 0.3, "maximum": 0.2}),
    *[
        ("STOCH", {"fastk_period": k, "slowk_matype": m, "slowd_period": d, "slowd_matype": m})
        for k in (1, 5, 14)
        for d in (1, 3)
        for m in MA_TYPES
    ],
    *[("STOCHF", {"fastk_period": 14, "fastd_period": 5, "fastd_matype": m}) for m in MA_TYPES],
    *[("STOCHRSI", {"timeperiod": 9, "fastk_period": 3, "fastd_matype": m}) for m in MA_TYPES],
    *[
        ("MACD", {"fastperiod": f, "slowperiod": s, "signalperiod": g})
        for f, s, g in ((26, 12, 9), (3, 40, 1), (2, 2, 2))
    ],
    *[
        (
            "MACDEXT",
            {"fastmatype": a, "slowperiod": 40, "slowmatype": b, "signalmatype": a},
        )
        for a in MA_TYPES
        for b in (0, 1, 7)
    ],
    *[
        (name, {"fastperiod": 26, "slowperiod": 12, "matype": m})
        for name in ("APO", "PPO")
        for m in MA_TYPES
    ],
    *[(name, {"timeperiod": p}) for name in ("MOM", "ROC", "ROCP", "ROCR") for p in (1, 2, 20)],
    *[
        (name, {"timeperiod": p})
        for name in ("RSI", "CMO", "CCI", "WILLR", "ADX", "ADXR", "DX", "AROON", "AROONOSC", "MFI")
        for p in (2, 3, 30)
    ],
    *[
        (name, {"timeperiod": p})
        for name in ("PLUS_DI", "MINUS_DI", "ATR", "NATR", "TRIX")
        for p in (1, 2, 30)
    ],
    *[
        ("ULTOSC", {"timeperiod1": a, "timeperiod2": b, "timeperiod3": c})
        for a, b, c in ((28, 7, 14), (1, 1, 1), (3, 3, 10))
    ],
    ("ADOSC", {"fastperiod": 10, "slowperiod": 3}),
    *[
        (name, {"timeperiod": p})
        for name in (
            "LINEARREG",
            "LINEARREG_SLOPE",
            "LINEARREG_INTERCEPT",
            "LINEARREG_ANGLE",
            "TSF",
        )
        for p in (2, 3, 100)
    ],
    *[("STDDEV", {"timeperiod": p, "nbdev": 2.5}) for p in (2, 30)],
    *[("VAR", {"timeperiod": p}) for p in (1, 2, 30)],
    *[(name, {"timeperiod": p}) for name in ("CORREL", "BETA") for p in (1, 2, 14)],
    *[
        (name, {"timeperiod": p})
        for name in ("MAX", "MIN", "SUM", "MIDPOINT", "MIDPRICE")
        for p in (2, 3, 50)
    ],
]


@pytest.mark.parametrize(("name", "params"), PARAMETER_CASES, ids=str)
def test_parameters_across_their_range_match_talib(name: str, params: dict[str, Any]) -> None:
    assert_matches_talib(name, random_walk(5, n=2000), params)
    assert_matches_talib(name, degenerate(6), params)


@pytest.mark.parametrize("name", NAMES)
def test_warm_up_length_is_talibs_lookback(name: str) -> None:
    from talib import abstract

    expected = abstract.Function(name).lookback
    fn: Callable[..., Any] = getattr(ta, name)
    result = as_list(fn(*inputs_for(name, random_walk(7, n=400))))
    assert int(np.argmax(~np.isnan(result[0]))) == expected
    assert _core.ta_lookback(name, [float(p["default"]) for p in SPECS[name]["params"]]) == expected
