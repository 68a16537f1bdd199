"""Alpha158 speed: ferrox.factors against a pandas group-by/rolling implementation.

The panel is a seeded synthetic universe of ``--instruments`` x ``--days``
(default 1,000 x 2,500 = 2.5 M rows; OHLCV + vwap random walks with a few
missing days and zero-volume days). ferrox computes all 158 features on the
whole panel (``ferrox.factors.compute``: polars in, polars out, every core).
The pandas side is the test suite's oracle (``tests/factor_oracle.py``):
Qlib's operators written with pandas ``rolling(N, min_periods=1)``,
``rolling.apply`` for IdxMax/IdxMin and per-window least squares for
Slope/Rsquare/Resi, per instrument. It is far too slow for the whole panel,
so it runs on the first ``--pandas-instruments`` instruments and its time is
scaled by the instrument count (the work is linear in instruments); the
output says so. Both sides are checked equal on that subset first.

pyqlib 0.9.7 installs on this Python (as a wheel) but needs its own binary
data layout and dependency set; ``benchmarks/bench_factors_qlib.py`` compares
and times it.

Run: ``.venv/bin/python benchmarks/bench_factors.py [--instruments N] [--days D]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from factor_oracle import alpha158_pandas
from ferrox.factors import alpha158, compute, plan_size


def universe(n_inst: int, n_days: int, seed: int = 2500) -> pl.DataFrame:
    """Seeded daily OHLCV + vwap for ``n_inst`` instruments, ~1% missing days."""
    rng = np.random.default_rng(seed)
    shape = (n_inst, n_days)
    close = 30 * np.exp(np.cumsum(rng.normal(0, 0.02, shape), axis=1))
    open_ = close * np.exp(rng.normal(0, 0.01, shape))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.02, shape))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.02, shape))
    volume = rng.lognormal(12, 1, shape)
    volume[rng.random(shape) < 0.005] = 0.0
    vwap = low + (high - low) * rng.uniform(0.2, 0.8, shape)
    keep = rng.random(shape) > 0.01
    keep[:, 0] = True
    frame = pl.DataFrame(
        {
            "instrument": np.repeat(np.arange(n_inst, dtype=np.int64), n_days),
            "ts": np.tile(np.arange(n_days, dtype=np.int64), n_inst),
            "open": open_.ravel(),
            "high": high.ravel(),
            "low": low.ravel(),
            "close": close.ravel(),
            "volume": volume.ravel(),
            "vwap": vwap.ravel(),
        }
    )
    return frame.filter(pl.Series(keep.ravel()))


def main() -> None:
    """Times both sides and prints seconds and the ratio."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instruments", type=int, default=1000)
    ap.add_argument("--days", type=int, default=2500)
    ap.add_argument("--pandas-instruments", type=int, default=8)
    args = ap.parse_args()
    features = alpha158()
    tree, shared = plan_size(features, ["open", "high", "low", "close", "volume", "vwap"])
    panel = universe(args.instruments, args.days)
    print(
        f"Alpha158 ({len(features)} features, {shared} operator nodes after sharing, "
        f"{tree} without) on {args.instruments:,} instruments x {args.days:,} days "
        f"= {panel.height:,} rows"
    )

    k = min(args.pandas_instruments, args.instruments)
    subset = panel.filter(pl.col("instrument") < k)
    started, cpu = time.perf_counter(), time.process_time()
    theirs = alpha158_pandas(subset.to_pandas())
    pandas_s, pandas_cpu = time.perf_counter() - started, time.process_time() - cpu
    ours_subset = compute(subset, features)
    worst = 0.0
    for name in features:
        a, b = ours_subset[name].to_numpy(), theirs[name].to_numpy()
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-12, equal_nan=True, err_msg=name)
        both = ~np.isnan(a) & ~np.isnan(b)
        if both.any():
            rel = np.abs(a[both] - b[both]) / np.maximum(np.abs(b[both]), 1e-12)
            worst = max(worst, float(rel.max()))
    print(f"checked equal on {k} instruments (largest relative difference {worst:.1e})")

    started, cpu = time.perf_counter(), time.process_time()
    result = compute(panel, features)
    ferrox_s, ferrox_cpu = time.perf_counter() - started, time.process_time() - cpu
    assert result.height == panel.height

    scale = args.instruments / k
    pandas_full, pandas_full_cpu = pandas_s * scale, pandas_cpu * scale
    # CPU seconds are printed beside wall seconds because a shared machine's
    # load inflates wall time; ferrox's CPU time over the core count is its
    # wall time on an idle machine.
    print(
        f"ferrox.factors  {ferrox_s:8.2f} s wall, {ferrox_cpu:8.2f} s CPU on {os.cpu_count()} cores "
        f"(whole panel, {result.width - 2} columns)"
    )
    print(
        f"pandas          {pandas_full:8.2f} s wall, {pandas_full_cpu:8.2f} s CPU (measured "
        f"{pandas_s:.2f} s on {k} instruments, scaled x{scale:g} to the panel)"
    )
    print(
        f"ratio ferrox/pandas {ferrox_s / pandas_full:.4f} wall, {ferrox_cpu / pandas_full_cpu:.4f} "
        f"CPU (pandas/ferrox {pandas_full / ferrox_s:.0f}x wall)"
    )
    target = "met" if ferrox_s < 30 and pandas_full / ferrox_s >= 20 else "NOT met"
    print(f"targets (< 30 s wall, >= 20x pandas): {target}")


if __name__ == "__main__":
    main()
