"""Indicator speed: ferrox.ta against TA-Lib (and polars where it has the same
rolling statistic), side by side in one run, single-threaded.

For every indicator the batch function of each library is called on the same
float64 numpy arrays through its Python API (allocation of the outputs
included, as a user sees it) and timed as the best of ``--repeat`` calls; the
table shows ns per input point and the ratio ferrox/TA-Lib (below 1 means
ferrox is faster). Results are checked equal (NaN positions and values to
1e-9 relative) before timing. Inputs: a seeded OHLCV random walk of ``--n``
points (default 1,000,000) and the real 45,031 one-minute BTC perpetual bars.

Polars (``POLARS_MAX_THREADS=1``) is timed where it has the statistic:
``rolling_mean`` (SMA), ``ewm_mean`` (EMA; its seed differs, so speed only),
``rolling_std``/``rolling_var`` (STDDEV/VAR, ``ddof=0``), ``rolling_max``/
``rolling_min``, ``rolling_sum``, ``diff`` (MOM), ``pct_change`` (ROCP),
``rolling_quantile`` (QUANTILE), ``ewm_var`` (EWMVAR).

The last section times the streaming form: ``ferrox.ta.stream`` objects fed a
whole series through ``update_many`` (the per-bar state machine in a Rust
loop), and one Python ``update`` call.

Run: ``.venv/bin/python benchmarks/bench_indicators.py [--n N] [--repeat R]
[--only RSI,MACD]``.
"""

from __future__ import annotations

import os

os.environ["POLARS_MAX_THREADS"] = "1"

import argparse
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import talib

import ferrox.ta as ta
from ferrox import _core
from ferrox.ta import stream

DATA = Path(os.environ.get("FERROX_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
REAL_BARS = DATA / "bars" / "btc-perp-20211231-20220201_1m.csv"
Array = npt.NDArray[np.float64]
Bars = dict[str, Array]
Call = Callable[[], object]

#: polars equivalents: name -> (label, function of the bars).
POLARS: dict[str, tuple[str, Callable[[dict[str, pl.Series]], Any]]] = {
    "SMA": ("rolling_mean", lambda b: b["close"].rolling_mean(30)),
    "EMA": ("ewm_mean", lambda b: b["close"].ewm_mean(span=30, adjust=False)),
    "STDDEV": ("rolling_std", lambda b: b["close"].rolling_std(5, ddof=0)),
    "VAR": ("rolling_var", lambda b: b["close"].rolling_var(5, ddof=0)),
    "MAX": ("rolling_max", lambda b: b["close"].rolling_max(30)),
    "MIN": ("rolling_min", lambda b: b["close"].rolling_min(30)),
    "SUM": ("rolling_sum", lambda b: b["close"].rolling_sum(30)),
    "MOM": ("diff", lambda b: b["close"].diff(10)),
    "ROCP": ("pct_change", lambda b: b["close"].pct_change(10)),
    "QUANTILE": (
        "rolling_quantile",
        lambda b: b["close"].rolling_quantile(0.5, "linear", window_size=20),
    ),
    "EWMVAR": ("ewm_var", lambda b: b["close"].ewm_var(span=20, adjust=False, bias=True)),
}


def random_walk(n: int, seed: int = 42) -> Bars:
    rng = np.random.default_rng(seed)
    close = np.cumsum(rng.normal(size=n)) + 10_000.0
    open_ = close + rng.normal(size=n) * 0.3
    high = np.maximum(open_, close) + rng.random(n)
    low = np.minimum(open_, close) - rng.random(n)
    volume = rng.random(n) * 1000.0 + 1.0
    return {"open": open_, "high": high, "low": low, "close": close, "volume": volume}


def real_bars() -> Bars | None:
    if not REAL_BARS.exists():
        return None
    df = pl.read_csv(REAL_BARS)
    return {
        c: df[c].cast(pl.Float64).to_numpy() for c in ("open", "high", "low", "close", "volume")
    }


def args_for(spec: dict[str, Any], bars: Bars) -> list[Array]:
    columns = {"real": "close", "real0": "high", "real1": "low", "session": "close"}
    out = [bars[columns.get(i, i)] for i in spec["inputs"]]
    if spec["name"] == "VWAP":
        out[-1] = np.floor(np.arange(len(out[0])) / 1440.0)
    return out


def best_ns(calls: list[Call], repeat: int) -> list[float]:
    """Best time of each call, in ns; the calls take turns so that every one
    sees the same machine conditions (caches, clock, other load)."""
    best = [math.inf] * len(calls)
    for _ in range(repeat):
        for k, call in enumerate(calls):
            t0 = time.perf_counter_ns()
            call()
            best[k] = min(best[k], time.perf_counter_ns() - t0)
    return best


def bind(fn: Callable[..., object], *args: object, **kwargs: object) -> Call:
    """``fn`` with its arguments, ready to time."""
    return lambda: fn(*args, **kwargs)


def same(ours: Any, theirs: Any) -> bool:
    a = [ours] if isinstance(ours, np.ndarray) else list(ours)
    b = [theirs] if isinstance(theirs, np.ndarray) else list(theirs)
    for x, y in zip(a, b, strict=True):
        if not np.array_equal(np.isnan(x), np.isnan(y)):
            return False
        m = ~np.isnan(y)
        if not np.allclose(x[m], y[m], rtol=1e-9, atol=0.0):
            return False
    return True


def batch_table(bars: Bars, label: str, names: list[str], repeat: int) -> None:
    n = len(bars["close"])
    pl_bars = {k: pl.Series(k, v) for k, v in bars.items()}
    print(f"\n== batch, {label}: {n:,} points; ns per point (best of {repeat})")
    print(f"{'indicator':<20} {'ferrox':>9} {'talib':>9} {'ratio':>7}   {'polars':>9}  polars op")
    ratios = []
    for spec in _core.ta_specs():
        name = spec["name"]
        if name not in names:
            continue
        args = args_for(spec, bars)
        if name == "VWAP":  # the session key is a keyword in the Python API
            ours_call = bind(ta.VWAP, *args[:4], session=args[4])
        else:
            ours_call = bind(getattr(ta, name), *args)
        calls = [ours_call]
        if spec["talib"]:
            theirs_fn = getattr(talib, name)
            mark = "" if same(ours_call(), theirs_fn(*args)) else "  (differs!)"
            calls.append(bind(theirs_fn, *args))
        else:
            mark = ""
        if name in POLARS:
            op, fn = POLARS[name]
            calls.append(bind(fn, pl_bars))
        times = [t / n for t in best_ns(calls, repeat)]
        ours = times.pop(0)
        line = f"{name:<20} {ours:>9.2f}"
        if spec["talib"]:
            theirs = times.pop(0)
            ratios.append(ours / theirs)
            line += f" {theirs:>9.2f} {ours / theirs:>7.2f}"
        else:
            line += f" {'-':>9} {'-':>7}"
        if name in POLARS:
            line += f"   {times.pop(0):>9.2f}  {op}"
        print(line + mark)
    if ratios:
        geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        faster = sum(r <= 1.0 for r in ratios)
        print(
            f"ferrox/talib: geometric mean {geo:.2f}; ferrox at least as fast on "
            f"{faster}/{len(ratios)}"
        )


def feed_fresh(cls: Callable[[], Any], *series: Array) -> object:
    """A fresh stream fed whole series."""
    return cls().update_many(*series)


def stream_table(bars: Bars, names: list[str], repeat: int) -> None:
    n = len(bars["close"])
    print(f"\n== streaming, {n:,} bars fed one at a time; ns per bar")
    print(f"{'indicator':<12} {'update_many':>12} {'update (Python call)':>22}")
    specs = {s["name"]: s for s in _core.ta_specs()}
    for name in [x for x in ("SMA", "EMA", "RSI", "MACD", "ATR", "BBANDS", "STOCH") if x in names]:
        args = args_for(specs[name], bars)
        cls = getattr(stream, name)
        [many] = best_ns([bind(feed_fresh, cls, *args)], repeat)
        many /= n
        live = cls()
        rows = list(zip(*(a[:100_000].tolist() for a in args), strict=True))
        t0 = time.perf_counter_ns()
        for row in rows:
            live.update(*row)
        per_call = (time.perf_counter_ns() - t0) / len(rows)
        print(f"{name:<12} {many:>12.2f} {per_call:>22.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="points in the random walk")
    parser.add_argument("--repeat", type=int, default=5, help="best of this many calls")
    parser.add_argument("--only", default="", help="comma-separated indicator names")
    opts = parser.parse_args()
    names = [s["name"] for s in _core.ta_specs()]
    if opts.only:
        names = [n for n in opts.only.split(",") if n in names]
    c_version = getattr(talib, "__ta_version__", b"?").decode()
    print(f"ferrox.ta vs talib {talib.__version__} (TA-Lib C {c_version})")
    batch_table(random_walk(opts.n), "random walk", names, opts.repeat)
    real = real_bars()
    if real is not None:
        # Small enough to repeat many more times than the long walk.
        batch_table(real, "real BTC-PERP 1m bars", names, max(opts.repeat, 100))
    else:
        print(f"\n(real bars not found at {REAL_BARS}; set FERROX_DATA)")
    stream_table(random_walk(opts.n), names, opts.repeat)


if __name__ == "__main__":
    main()
