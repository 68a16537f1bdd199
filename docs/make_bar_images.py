"""Draws one picture per bar kind on the real Binance USD-M BTCUSDT trades (docs/img/bars-*.png).

Run from the repository root (needs the ``docs`` extra, matplotlib)::

    .venv/bin/python docs/make_bar_images.py [path/to/btcusdt_20240808.gz]

Each picture shows the trade prices (grey), the bars as candles spanning
[ts_open, ts_close] (green up, red down) and, below, each bar's volume.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import polars as pl
import pyarrow as pa
from matplotlib.patches import Rectangle

from ferrox.bars import aggregate
from ferrox.data.loaders import binance
from ferrox.data.loaders.base import ErrorSink, LoaderOptions
from ferrox.model.schema import DataKind

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CAPTURE = ROOT.parent / "shared" / "data" / "binance-usdm" / "btcusdt_20240808.gz"
OUT = ROOT / "docs" / "img"

#: (file name, spec, caption) per bar kind. Parameters give readable pictures; volume
#: and value imbalance bars stay short on this data whatever they are (docs/bars.md).
KINDS = [
    ("time", "10s", "time bars, 10 s"),
    ("tick", "500-tick", "tick bars, 500 trades"),
    ("volume", "50-volume", "volume bars, 50 BTC"),
    ("value", "3000000-value", "value bars, 3,000,000 USDT"),
    (
        "tick-imbalance",
        "tick-imbalance:expected=500,span=3",
        "tick imbalance bars (expected=500, span=3)",
    ),
    (
        "volume-imbalance",
        "volume-imbalance:expected=2000,span=5,min=1000,max=5000",
        "volume imbalance bars (expected=2000, span=5, min=1000, max=5000)",
    ),
    (
        "value-imbalance",
        "value-imbalance:expected=2000,span=5,min=1000,max=5000",
        "value imbalance bars (expected=2000, span=5, min=1000, max=5000)",
    ),
    (
        "tick-run",
        "tick-run:expected=300,span=10,min=100,max=1000",
        "tick run bars (expected=300, span=10, min=100, max=1000)",
    ),
    (
        "volume-run",
        "volume-run:expected=300,span=10,min=100,max=1000",
        "volume run bars (expected=300, span=10, min=100, max=1000)",
    ),
    (
        "value-run",
        "value-run:expected=300,span=10,min=100,max=1000",
        "value run bars (expected=300, span=10, min=100, max=1000)",
    ),
]


def load_trades(path: Path) -> tuple[pl.DataFrame, tuple[int, int]]:
    """The capture's trades in the catalog schema, and their precisions."""
    batches = [
        b
        for b in binance.load(path, options=LoaderOptions(), errors=ErrorSink())
        if b.kind == DataKind.TRADES
    ]
    inst = batches[0].instrument
    trades = pl.DataFrame(pa.concat_tables([b.table for b in batches]))
    return trades, (inst.price_precision, inst.size_precision)


def to_datetime(ns: pl.Series) -> np.ndarray:
    """Epoch ns as matplotlib dates."""
    return mdates.date2num(ns.to_numpy().astype("datetime64[ns]"))


def draw(
    trades: pl.DataFrame, bars: pl.DataFrame, precision: tuple[int, int], title: str, out: Path
) -> None:
    """One figure: trade prices, bar candles, bar volumes."""
    price_scale, size_scale = 10.0 ** precision[0], 10.0 ** precision[1]
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(9, 4.6), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    top.plot(to_datetime(trades["ts_event"]), trades["price"] / price_scale, color="0.75", lw=0.6)
    starts, ends = to_datetime(bars["ts_open"]), to_datetime(bars["ts_close"])
    min_width = (ends.max() - starts.min()) / 600
    for i, row in enumerate(bars.iter_rows(named=True)):
        width = max(ends[i] - starts[i], min_width)
        o, h, lo, c = (row[k] / price_scale for k in ("open", "high", "low", "close"))
        color = "tab:green" if c >= o else "tab:red"
        middle = starts[i] + width / 2
        top.vlines(middle, lo, h, color=color, lw=0.8)
        top.add_patch(
            Rectangle((starts[i], min(o, c)), width, max(abs(c - o), 0.05), color=color, alpha=0.55)
        )
        bottom.add_patch(
            Rectangle((starts[i], 0), width, row["volume"] / size_scale, color=color, alpha=0.7)
        )
    bottom.set_ylim(0, bars["volume"].max() / size_scale * 1.1)
    top.set_ylabel("price (USDT)")
    bottom.set_ylabel("volume (BTC)")
    bottom.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S"))
    bottom.set_xlabel("UTC, 2024-08-08 — Binance USD-M BTCUSDT trades")
    top.set_title(f"{title}: {bars.height} bars from {trades.height:,} trades", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)


def main() -> None:
    """Draws every picture."""
    capture = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CAPTURE
    trades, precisions = load_trades(capture)
    OUT.mkdir(parents=True, exist_ok=True)
    for name, spec, caption in KINDS:
        bars = aggregate(trades, spec, precisions=precisions)
        out = OUT / f"bars-{name}.png"
        draw(trades, bars, precisions, caption, out)
        print(f"{out.relative_to(ROOT)}: {spec} -> {bars.height} bars")


if __name__ == "__main__":
    main()
