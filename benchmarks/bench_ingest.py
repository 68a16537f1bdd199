"""Ingest throughput, side by side in one run.

1. The four Binance captures (gzip, ``LOCAL_RECV_NS JSON`` lines):

   - plain Python: ``gzip`` + ``json.loads`` + ``Decimal`` of every price and
     quantity (the least a correct reader must do);
   - ferrox core: ``ferrox._core.BinanceReader``, numpy columns per chunk;
   - ferrox loader: ``ferrox.data.loaders.binance.load``, Arrow batches in
     the catalog schema (what an import does);
   - ferrox core on the same captures decompressed beforehand (plain files),
     which separates parsing from inflating.

   All are single-threaded; messages/s count capture lines.

2. Generic CSV: ``ferrox.data.loaders.generic`` (exact decimals, validated
   rows, catalog schema) against ``polars.read_csv`` (binary floats, no
   checks) on the real bar files.

Run: ``.venv/bin/python benchmarks/bench_ingest.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import polars as pl

from ferrox._core import BinanceReader
from ferrox.data.loaders import binance
from ferrox.data.loaders.base import ErrorSink, LoaderOptions, OnError
from ferrox.model.schema import DataKind

CAPTURES = [
    "binance-spot/btcusdt_20240808.gz",
    "binance-spot/ethusdt_20240808.gz",
    "binance-usdm/btcusdt_20240808.gz",
    "binance-usdm/ethusdt_20240808.gz",
]

#: (file, options). The BTC-PERP file has interpolated rows with float
#: artefacts: precisions are declared and those rows skipped, as the demo does.
CSV_FILES: list[tuple[str, LoaderOptions, OnError]] = [
    (
        "bars/btc-perp-20211231-20220201_1m.csv",
        LoaderOptions(
            instrument="BTC-PERP.SIM",
            kind=DataKind.BARS,
            ts_unit="iso",
            bar_interval="1m",
            price_precision=3,
            size_precision=4,
        ),
        OnError.SKIP,
    ),
    (
        "fx/gbpusd-m1-bid-2012.csv",
        LoaderOptions(instrument="GBPUSD.FXCM", kind=DataKind.BARS),
        OnError.FAIL,
    ),
]


def data_dir() -> Path:
    env = os.environ.get("FERROX_DATA")
    path = Path(env) if env else Path(__file__).resolve().parent.parent.parent / "shared" / "data"
    if not path.is_dir():
        raise SystemExit(f"real data folder not found at {path}; set FERROX_DATA")
    return path


def python_parse(path: Path) -> int:
    """The plain-Python baseline; returns the number of messages."""
    n = 0
    with gzip.open(path, "rt") as f:
        for line in f:
            ns_text, text = line.split(" ", 1)
            int(ns_text)
            msg = json.loads(text)
            n += 1
            if "stream" not in msg:
                for p, q in msg["bids"] + msg["asks"]:
                    Decimal(p), Decimal(q)
                continue
            data = msg["data"]
            stream = msg["stream"]
            if "@depth" in stream:
                for p, q in data["b"] + data["a"]:
                    Decimal(p), Decimal(q)
            elif stream.endswith("@bookTicker"):
                Decimal(data["b"]), Decimal(data["B"]), Decimal(data["a"]), Decimal(data["A"])
            else:
                Decimal(data["p"]), Decimal(data["q"])
    return n


def ferrox_core(path: Path) -> int:
    """Numpy chunks from the Rust reader; returns the number of lines read."""
    last = 0
    for chunk in BinanceReader(str(path)):
        last = chunk.last_line
    return last


def ferrox_loader(path: Path) -> int:
    """Arrow batches in the catalog schema; returns the number of rows."""
    return sum(b.num_rows for b in binance.load(path, options=LoaderOptions(), errors=ErrorSink()))


def best_time(fn: Callable[[Path], int], path: Path, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(path)
        best = min(best, time.perf_counter() - start)
    return best


def bench_binance(data: Path, repeat: int) -> None:
    print("Binance captures: messages/s (best of", repeat, "runs, one thread)")
    header = (
        f"{'capture':36} {'messages':>9} {'python':>10} {'core gz':>10} "
        f"{'loader gz':>10} {'core plain':>10} {'loader/py':>9} {'core/py':>8}"
    )
    print(header)
    print("-" * len(header))
    totals = dict.fromkeys(("python", "core", "loader", "plain"), 0.0)
    total_messages = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in CAPTURES:
            path = data / name
            plain = Path(tmp) / (path.stem + ".txt")
            with gzip.open(path, "rb") as src, plain.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            messages = python_parse(path)
            assert ferrox_core(path) == messages
            times = {
                "python": best_time(python_parse, path, repeat),
                "core": best_time(ferrox_core, path, repeat),
                "loader": best_time(ferrox_loader, path, repeat),
                "plain": best_time(ferrox_core, plain, repeat),
            }
            for key, seconds in times.items():
                totals[key] += seconds
            total_messages += messages
            rate = {key: messages / seconds for key, seconds in times.items()}
            print(
                f"{name:36} {messages:>9,} {rate['python']:>10,.0f} {rate['core']:>10,.0f} "
                f"{rate['loader']:>10,.0f} {rate['plain']:>10,.0f} "
                f"{rate['loader'] / rate['python']:>8.1f}x {rate['core'] / rate['python']:>7.1f}x"
            )
    rate = {key: total_messages / seconds for key, seconds in totals.items()}
    print(
        f"{'all four':36} {total_messages:>9,} {rate['python']:>10,.0f} {rate['core']:>10,.0f} "
        f"{rate['loader']:>10,.0f} {rate['plain']:>10,.0f} "
        f"{rate['loader'] / rate['python']:>8.1f}x {rate['core'] / rate['python']:>7.1f}x"
    )


def bench_generic_csv(data: Path, repeat: int) -> None:
    try:
        from ferrox.data.loaders import generic
    except ImportError:
        print("\nGeneric CSV: ferrox.data.loaders.generic is not available yet")
        return
    print(f"\nGeneric CSV bars: rows/s (best of {repeat} runs)")
    header = f"{'file':44} {'rows':>8} {'ferrox':>12} {'polars':>12} {'ferrox/polars':>13}"
    print(header)
    print("-" * len(header))
    for name, options, policy in CSV_FILES:
        path = data / name

        def ferrox_csv(p: Path, options: LoaderOptions = options, policy: OnError = policy) -> int:
            batches = generic.load(p, options=options, errors=ErrorSink(policy))
            return sum(b.num_rows for b in batches)

        def polars_csv(p: Path) -> int:
            return pl.read_csv(p).height

        rows = polars_csv(path)
        ours = best_time(ferrox_csv, path, repeat)
        theirs = best_time(polars_csv, path, repeat)
        print(
            f"{name:44} {rows:>8,} {rows / ours:>12,.0f} {rows / theirs:>12,.0f} "
            f"{theirs / ours:>12.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement")
    args = parser.parse_args()
    data = data_dir()
    bench_binance(data, args.repeat)
    bench_generic_csv(data, args.repeat)


if __name__ == "__main__":
    main()
