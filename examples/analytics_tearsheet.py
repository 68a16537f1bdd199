"""Analytics and a tearsheet for a moving-average trend strategy on one month of 1-minute BTC bars.

The strategy is run here in a few lines of numpy (long while SMA(60) > SMA(240),
0.04% fee per trade) and its results are written as a backtest results folder
(meta.json, equity/trades/fills parquet), the same layout ``ferrox backtest run``
writes. Then: ``backtest_stats``, the wider ``summarize`` set against buy-and-hold,
the monthly table, and ``ferrox report``'s HTML tearsheet.

Run: ``.venv/bin/python examples/analytics_tearsheet.py``
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from ferrox import __version__, analytics
from ferrox.report import write_tearsheet
from ferrox.ta import SMA

REPO = Path(__file__).resolve().parent.parent
BARS = Path("bars") / "btc-perp-20211231-20220201_1m.csv"
FEE = 0.0004
INSTRUMENT = "BTC-PERP.FTX"


def load_bars() -> pl.DataFrame:
    """The shared 1-minute bars (ts, close), or a seeded random walk when they are absent."""
    for root in (os.environ.get("FERROX_DATA"), REPO.parent / "shared" / "data"):
        if root and (Path(root) / BARS).is_file():
            bars = pl.read_csv(Path(root) / BARS)
            ts = pl.col("timestamp").str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_zone="UTC")
            return bars.select(ts.dt.epoch("ns").alias("ts"), pl.col("close").cast(pl.Float64))
    print("no real bars found: using a synthetic random walk")
    n = 45_000
    close = 46_000.0 * np.cumprod(1.0 + np.random.default_rng(1).normal(0.0, 0.0008, n))
    ts = 1_640_995_200 * 10**9 + np.arange(n, dtype=np.int64) * 60 * 10**9
    return pl.DataFrame({"ts": ts, "close": close})


def run_strategy(bars: pl.DataFrame, out: Path) -> None:
    """Writes the strategy's results folder to ``out``."""
    ts, close = bars["ts"].to_numpy(), bars["close"].to_numpy()
    fast, slow = SMA(close, timeperiod=60), SMA(close, timeperiod=240)
    signal = np.nan_to_num((fast > slow).astype(np.float64))  # decided at each bar's close
    held = np.concatenate(([0.0], signal[:-1]))  # and held over the next bar
    bar_return = np.concatenate(([0.0], close[1:] / close[:-1] - 1.0))
    traded = np.abs(np.diff(np.concatenate(([0.0], signal))))
    growth = (1.0 + held * bar_return) * (1.0 - FEE * traded)
    equity = 10_000.0 * np.cumprod(growth)
    out.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {"ts": ts, "equity": equity, "cash": np.where(signal > 0, 0.0, equity),
         "gross_exposure": signal * equity}
    ).write_parquet(out / "equity.parquet")  # fmt: skip

    changes = np.flatnonzero(traded)
    entries, exits = changes[::2], changes[1::2]
    entries = entries[: exits.shape[0]]  # closed round trips only
    before_entry = equity[entries] / (1.0 - FEE)
    quantity = before_entry / close[entries]
    pnl = equity[exits] - before_entry
    pl.DataFrame(
        {"instrument": INSTRUMENT, "side": "LONG", "entry_ts": ts[entries], "exit_ts": ts[exits],
         "quantity": quantity, "entry_price": close[entries], "exit_price": close[exits],
         "pnl": pnl, "return": pnl / before_entry}
    ).write_parquet(out / "trades.parquet")  # fmt: skip
    fill_at = np.sort(np.concatenate((entries, exits)))
    fill_qty = np.repeat(quantity, 2)
    pl.DataFrame(
        {"ts": ts[fill_at], "client_order_id": [f"O-{i}" for i in range(fill_at.shape[0])],
         "instrument": INSTRUMENT, "side": ["BUY", "SELL"] * entries.shape[0],
         "price": [f"{p:.1f}" for p in close[fill_at]], "quantity": [f"{q:.6f}" for q in fill_qty],
         "price_f": close[fill_at], "quantity_f": fill_qty, "notional": close[fill_at] * fill_qty,
         "fee": close[fill_at] * fill_qty * FEE, "liquidity": "TAKER"}
    ).write_parquet(out / "fills.parquet")  # fmt: skip

    stats = analytics.backtest_stats(
        pl.read_parquet(out / "equity.parquet"),
        pl.read_parquet(out / "trades.parquet"),
        pl.read_parquet(out / "fills.parquet"),
    )
    clean = {k: (v if np.isfinite(v) else None) for k, v in stats.items()}
    meta = {
        "ferrox_version": __version__,
        "config": {"strategy": {"name": "sma_trend", "fast": 60, "slow": 240, "fee": FEE}},
        "data": {"start_ns": int(ts[0]), "end_ns": int(ts[-1]), "instruments": [INSTRUMENT]},
        "base_currency": "USD",
        "results_hash": "",
        "stats": clean,
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    (out / "stats.json").write_text(json.dumps(clean, indent=2), encoding="utf-8")


def main() -> None:
    """Runs the strategy, prints its statistics, writes the tearsheet."""
    bars = load_bars()
    folder = Path(tempfile.mkdtemp(prefix="ferrox-tearsheet-"))
    run_strategy(bars, folder / "results")

    stats = json.loads((folder / "results" / "stats.json").read_text(encoding="utf-8"))
    print("backtest_stats (the results folder's stats.json):")
    for name in analytics.STAT_NAMES:
        value = stats[name]
        print(f"  {name:<28} {'n/a' if value is None else f'{value:,.4f}'}")

    equity = pl.read_parquet(folder / "results" / "equity.parquet")
    returns = analytics.returns_from_equity(equity["equity"])
    hold = analytics.returns_from_equity(bars["close"])
    summary = analytics.summarize(returns, equity["ts"][1:], benchmark=hold)
    print(
        f"against buy-and-hold: beta {summary.beta:.3f}, alpha {summary.alpha:.2%} a year; "
        f"VaR 95% {summary.value_at_risk:.4%} and CVaR {summary.conditional_value_at_risk:.4%} "
        f"a minute; {summary.periods_per_year:,.0f} periods a year"
    )
    print(analytics.monthly_returns(returns, equity["ts"][1:]).select("year", "Jan", "total"))

    benchmark = bars.rename({"close": "price"})
    page = write_tearsheet(folder / "results", folder / "report.html", benchmark=benchmark)
    print(f"tearsheet: {page} ({page.stat().st_size:,} bytes); open it in any browser, offline")


if __name__ == "__main__":
    main()
