"""Where the examples find a Binance capture: ``$FERROX_DATA``, ``../shared/data``,
or a synthetic one ferrox generates (and says so)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ferrox.demo.synthetic import generate

REPO = Path(__file__).resolve().parent.parent


def binance_capture() -> Path:
    """A Binance USD-M capture to play with."""
    for root in (os.environ.get("FERROX_DATA"), REPO.parent / "shared" / "data"):
        if root and (Path(root) / "binance-usdm" / "btcusdt_20240808.gz").is_file():
            return Path(root) / "binance-usdm" / "btcusdt_20240808.gz"
    folder = Path(tempfile.mkdtemp(prefix="ferrox-synthetic-"))
    paths = generate(folder)
    print(f"no real data found: using a synthetic capture in {folder}")
    return paths[0]


def minute_bars() -> Path:
    """One-minute BTC bars: the shared real month, or a seeded synthetic one (said so)."""
    for root in (os.environ.get("FERROX_DATA"), REPO.parent / "shared" / "data"):
        path = Path(root or "") / "bars" / "btc-perp-20211231-20220201_1m.csv"
        if root and path.is_file():
            return path
    import numpy as np

    folder = Path(tempfile.mkdtemp(prefix="ferrox-synthetic-"))
    rng = np.random.default_rng(7)
    n = 20_000
    close = np.round(40_000 * np.exp(np.cumsum(rng.normal(0, 0.001, n))))
    open_ = np.concatenate([[close[0]], close[:-1]])
    high = np.maximum(open_, close) + np.round(rng.uniform(0, 20, n))
    low = np.minimum(open_, close) - np.round(rng.uniform(0, 20, n))
    volume = np.round(rng.uniform(1, 500, n), 4)
    start = np.datetime64("2022-01-01T00:00")
    path = folder / "synthetic_1m.csv"
    with path.open("w") as out:
        out.write("timestamp,open,high,low,close,volume\n")
        for i in range(n):
            ts = str(start + np.timedelta64(i, "m")).replace("T", " ")
            out.write(f"{ts},{open_[i]},{high[i]},{low[i]},{close[i]},{volume[i]}\n")
    print(f"no real bars found: using synthetic one-minute bars in {path}")
    return path
