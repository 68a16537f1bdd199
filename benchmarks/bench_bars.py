"""Bar aggregation throughput, side by side in one run, single-threaded.

1. Time bars (OHLCV + trade count) on the same trades through

   - ferrox: ``ferrox.bars.aggregate`` from a polars DataFrame (numpy columns
     handed to Rust, GIL released; it also computes value, VWAP and the
     buy/sell volumes);
   - polars: ``group_by_dynamic(every=..., closed="left", label="left")``
     with first/max/min/last/sum/len, on one thread (``POLARS_MAX_THREADS=1``
     is set before polars is imported);
   - pandas: ``resample(label="left", closed="left")`` ``ohlc()`` + ``sum`` +
     ``count`` on a DatetimeIndex built beforehand.

   The OHLCV of all three is checked equal before timing. Inputs: the real
   Binance USD-M BTCUSDT capture (loaded with ``ferrox.data.loaders.binance``)
   tiled to about 10M trades, timestamps shifted per copy so they stay
   ordered; and a synthetic 50M-trade random walk.

2. Streaming: trades pushed one at a time through each kind of streaming
   aggregator in a Rust loop (``ferrox._core.bars_stream_benchmark``), in
   trades/s.

Times are the best of ``--repeat`` runs. Run:
``.venv/bin/python benchmarks/bench_bars.py [--repeat N] [--no-50m]``.
"""

from __future__ import annotations

import os

# Same number of threads as ferrox's single-threaded aggregation.
os.environ["POLARS_MAX_THREADS"] = "1"

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa

from ferrox._core import bars_stream_benchmark
from ferrox.bars import aggregate
from ferrox.data.loaders import binance
from ferrox.data.loaders.base import ErrorSink, LoaderOptions
from ferrox.model.schema import DataKind

DATA = Path(os.environ.get("FERROX_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
CAPTURE = DATA / "binance-usdm" / "btcusdt_20240808.gz"
INTERVALS = [("1s", "1s", "1s"), ("1m", "1m", "1min")]  # ferrox, polars, pandas
#: Imbalance and run bars with E0[T] kept in [100, 1000]: with the unbounded
#: defaults they collapse to one-trade bars on this data (docs/bars.md), and
#: the benchmark would time the output of ten million bars instead of the rule.
STREAM_SPECS = [
    "1m",
    "1000-tick",
    "10-volume",
    "1000000-value",
    "tick-imbalance:expected=300,min=100,max=1000",
    "volume-imbalance:expected=300,min=100,max=1000",
    "value-imbalance:expected=300,min=100,max=1000",
    "tick-run:expected=300,min=100,max=1000",
    "volume-run:expected=300,min=100,max=1000",
    "value-run:expected=300,min=100,max=1000",
]


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def real_trades(target: int) -> tuple[pl.DataFrame, int, int]:
    """The capture's trades tiled to about ``target`` rows, ts_event kept ordered."""
    batches = [
        b
        for b in binance.load(CAPTURE, options=LoaderOptions(), errors=ErrorSink())
        if b.kind == DataKind.TRADES
    ]
    table = pa.concat_tables([b.table for b in batches])
    inst = batches[0].instrument
    base = pl.DataFrame(table).select("ts_event", "price", "size", "aggressor_side")
    base = base.sort("ts_event", maintain_order=True)
    span = int(base["ts_event"].max() - base["ts_event"].min()) + 1_000_000
    copies = max(1, -(-target // base.height))
    ts = base["ts_event"].to_numpy()
    tiled = pl.DataFrame(
        {
            "ts_event": np.concatenate([ts + i * span for i in range(copies)]),
            "price": np.tile(base["price"].to_numpy(), copies),
            "size": np.tile(base["size"].to_numpy(), copies),
            "aggressor_side": np.tile(base["aggressor_side"].to_numpy(), copies),
        }
    )
    return tiled, inst.price_precision, inst.size_precision


def synthetic_trades(n: int, seed: int = 42) -> pl.DataFrame:
    """A random walk at about 1,000 trades/s with Binance-like prices and sizes."""
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "ts_event": 1_723_161_256 * 10**9
            + np.cumsum(rng.integers(0, 2_000_000, n, dtype=np.int64)),
            "price": 618_000 + np.cumsum(rng.integers(-1, 2, n, dtype=np.int64)),
            "size": rng.integers(1, 5_000, n, dtype=np.int64),
            "aggressor_side": rng.integers(1, 3, n, dtype=np.uint8),
        }
    )


def polars_bars(frame: pl.DataFrame, every: str) -> pl.DataFrame:
    """OHLCV + count with ``group_by_dynamic``."""
    return frame.group_by_dynamic("ts", every=every, closed="left", label="left").agg(
        pl.col("price").first().alias("open"),
        pl.col("price").max().alias("high"),
        pl.col("price").min().alias("low"),
        pl.col("price").last().alias("close"),
        pl.col("size").sum().alias("volume"),
        pl.len().alias("trade_count"),
    )


def pandas_bars(frame: pd.DataFrame, rule: str) -> pd.DataFrame:
    """OHLCV + count with ``resample``."""
    resampled = frame.resample(rule, label="left", closed="left")
    bars = resampled["price"].ohlc()
    bars["volume"] = resampled["size"].sum()
    bars["trade_count"] = resampled["price"].count()
    return bars


def compare_time_bars(
    name: str, trades: pl.DataFrame, precisions: tuple[int, int], repeat: int, with_pandas: bool
) -> None:
    n = trades.height
    print(f"\n{name}: {n:,} trades")
    by_polars = trades.with_columns(pl.col("ts_event").cast(pl.Datetime("ns")).alias("ts"))
    by_polars = by_polars.set_sorted("ts")
    by_pandas = None
    if with_pandas:
        by_pandas = pd.DataFrame(
            {"price": trades["price"].to_numpy(), "size": trades["size"].to_numpy()},
            index=pd.DatetimeIndex(trades["ts_event"].to_numpy().view("datetime64[ns]")),
        )
    for spec, every, rule in INTERVALS:
        ours_s, ours = best_of(
            repeat, lambda spec=spec: aggregate(trades, spec, precisions=precisions)
        )
        theirs_s, theirs = best_of(repeat, lambda every=every: polars_bars(by_polars, every))
        columns = ["open", "high", "low", "close", "volume", "trade_count"]
        assert ours.select(columns).equals(theirs.select(columns).cast(pl.Int64)), "polars differs"
        line = (
            f"  {spec:>3} bars ({ours.height:>9,}): ferrox {ours_s * 1e3:8.1f} ms "
            f"({n / ours_s / 1e6:6.1f} M trades/s) | polars group_by_dynamic "
            f"{theirs_s * 1e3:8.1f} ms, ferrox/polars time {ours_s / theirs_s:.2f}"
        )
        if by_pandas is not None:
            pandas_s, pandas_result = best_of(
                max(1, repeat // 2), lambda rule=rule: pandas_bars(by_pandas, rule)
            )
            expected = pandas_result.dropna(subset=["open"])[columns].astype(np.int64)
            assert (ours.select(columns).to_numpy() == expected.to_numpy()).all(), "pandas differs"
            line += f" | pandas resample {pandas_s * 1e3:8.1f} ms, ferrox/pandas {ours_s / pandas_s:.3f}"
        print(line)


def streaming(trades: pl.DataFrame, precisions: tuple[int, int], repeat: int) -> None:
    n = trades.height
    print(f"\nStreaming, one trade at a time from Rust ({n:,} real trades, tiled):")
    columns = [trades[c].to_numpy() for c in ("ts_event", "price", "size", "aggressor_side")]
    for spec in STREAM_SPECS:
        best = float("inf")
        bars = 0
        for _ in range(repeat):
            bars, seconds = bars_stream_benchmark(spec, *columns, *precisions)
            best = min(best, seconds)
        print(f"  {spec:>46}: {n / best / 1e6:7.1f} M trades/s ({bars:,} bars)")


def main() -> None:
    """Runs the comparisons and prints the numbers and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-50m", action="store_true", help="skip the 50M synthetic stream")
    args = parser.parse_args()
    print(f"polars {pl.__version__} (threads: {pl.thread_pool_size()}), pandas {pd.__version__}")
    if CAPTURE.exists():
        real, price_precision, size_precision = real_trades(10_000_000)
        compare_time_bars(
            "Real Binance USD-M BTCUSDT trades, tiled",
            real,
            (price_precision, size_precision),
            args.repeat,
            with_pandas=True,
        )
        streaming(real, (price_precision, size_precision), args.repeat)
        del real
    else:
        print(f"(no real data at {CAPTURE}: skipping the real capture)")
    if not args.no_50m:
        synthetic = synthetic_trades(50_000_000)
        compare_time_bars(
            "Synthetic random walk", synthetic, (1, 3), max(1, args.repeat // 2), with_pandas=True
        )


if __name__ == "__main__":
    main()
