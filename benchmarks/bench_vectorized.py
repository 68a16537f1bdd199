"""Vectorised backtest speed: ferrox's simulator against vectorbt's ``Portfolio.from_signals``.

Input: ``--cols`` seeded geometric random walks of ``--bars`` bars each (default
1,000 x 100,000, float64, column-major) and the same entry/exit signals for both:
the crosses of a 20- and a 50-bar moving average of each column, computed with numpy
before any clock starts. Both simulate long-only, all-in (size = inf), 0.1 % fees,
100 of starting cash per column, fills at the close: vectorbt's defaults, and
ferrox's ``simulate_signals`` defaults.

Timed:

1. ferrox: ``simulate_signals(close, entries, exits, fees=0.001)`` — the whole call,
   input checks included, producing cash, equity and position for every cell plus
   fills and closed trades (Rust, parallel over columns on the box's cores).
2. vectorbt: ``Portfolio.from_signals`` with the same arguments on pandas frames built
   beforehand (numba compiled by a first run on a slice of the data before the clock
   starts), which produces the order records only, and then ``final_value()``, which
   computes the equity per column from them.

Correctness before the ratio: both give the same final equity per column (relative
difference under 1e-9) and the same number of fills.

Run: ``python benchmarks/bench_vectorized.py [--cols N] [--bars N] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def make_data(cols: int, bars: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random-walk closes and moving-average-cross signals, column-major."""
    rng = np.random.default_rng(seed)
    close = np.empty((bars, cols), order="F")
    entries = np.empty((bars, cols), dtype=bool, order="F")
    exits = np.empty((bars, cols), dtype=bool, order="F")
    fast, slow = 20, 50
    for c in range(cols):
        steps = rng.normal(0.0, 0.001, bars)
        close[:, c] = 100.0 * np.exp(np.cumsum(steps))
        sums = np.concatenate([[0.0], np.cumsum(close[:, c])])
        f = np.full(bars, np.nan)
        s = np.full(bars, np.nan)
        f[fast - 1 :] = (sums[fast:] - sums[:-fast]) / fast
        s[slow - 1 :] = (sums[slow:] - sums[:-slow]) / slow
        above = f > s
        prev = np.concatenate([[False], above[:-1]])
        entries[:, c] = above & ~prev
        exits[:, c] = ~above & prev & ~np.isnan(s)
    return close, entries, exits


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cols", type=int, default=1000)
    parser.add_argument("--bars", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    import pandas as pd
    import vectorbt as vbt

    from ferrox.research import simulate_signals

    close, entries, exits = make_data(args.cols, args.bars)
    cells = args.cols * args.bars
    print(
        f"vectorised backtest: {args.cols:,} columns x {args.bars:,} bars = {cells:,} cells, "
        f"{int(entries.sum()):,} entry signals; {os.cpu_count()} cores"
    )

    close_pd, entries_pd, exits_pd = pd.DataFrame(close), pd.DataFrame(entries), pd.DataFrame(exits)
    options = {"fees": 0.001, "init_cash": 100.0}
    # Compile vectorbt's numba kernels on a slice before timing.
    vbt.Portfolio.from_signals(
        close_pd.iloc[:500, :3], entries_pd.iloc[:500, :3], exits_pd.iloc[:500, :3], **options
    ).final_value()

    t_ferrox, ours = best_of(
        args.repeat, lambda: simulate_signals(close, entries, exits, **options)
    )
    t_vbt, pf = best_of(
        args.repeat,
        lambda: vbt.Portfolio.from_signals(close_pd, entries_pd, exits_pd, **options),
    )
    # vectorbt caches final_value on the portfolio, so only its first call counts.
    t_value, theirs = best_of(1, lambda: pf.final_value().to_numpy())

    mine = ours.final_equity()
    np.testing.assert_allclose(mine, theirs, rtol=1e-9)
    assert ours.fills.height == len(pf.orders.records), "fill counts differ"

    print(f"  agree: final equity of all {args.cols:,} columns, {ours.fills.height:,} fills")
    print(
        f"  ferrox simulate_signals            {t_ferrox:8.3f} s  {cells / t_ferrox / 1e6:8.1f} M cells/s"
    )
    print(
        f"  vectorbt from_signals              {t_vbt:8.3f} s  {cells / t_vbt / 1e6:8.1f} M cells/s"
    )
    print(f"  vectorbt from_signals+final_value  {t_vbt + t_value:8.3f} s")
    print(f"  ratio (vectorbt / ferrox): {t_vbt / t_ferrox:.1f}x from_signals alone, "
          f"{(t_vbt + t_value) / t_ferrox:.1f}x with final_value")  # fmt: skip


if __name__ == "__main__":
    main()
