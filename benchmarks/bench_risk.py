"""Cost of the pre-trade risk checks.

1. The full check per order, measured in Rust (``_core.bench_pretrade_check``):
   every control on (collars, fat finger, size/notional/tick/lot, position and
   exposure limits with working orders, buying power, order/cancel/OTR
   throttles, duplicates, self-trade, states, loss limits), over passing orders
   with ``--open`` working orders resting. Target: <= 1 us per order.
2. A backtest with every control on against the same backtest with none, on the
   real BTC-PERP 1-minute bars (``../shared/data/bars``, one month, ~45k bars)
   with a Python strategy that quotes a limit order and cancels the previous one
   on every bar (about two risk-relevant messages per bar), best of
   ``--repeat`` runs. Target: <= 5 % of the run time. Both runs must give the
   same orders and fills (the limits are wide enough that nothing is denied).
   The same comparison with the compiled EMA cross, which sends orders only at
   crosses, shows the cost for a typical strategy.

Run: ``python benchmarks/bench_risk.py [--iterations N] [--open N] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

import polars as pl

from ferrox import _core
from ferrox.backtest import Strategy
from ferrox.model.instrument import Instrument, InstrumentKind
from ferrox.risk.pretrade import RiskConfig, RiskLimits, risk_config_to_engine

DATA = Path(
    os.environ.get("FERROX_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
BARS = DATA / "bars" / "btc-perp-20211231-20220201_1m.csv"
INST = "BTC-PERP.BINANCE"

ALL_ON = RiskConfig(
    account=RiskLimits(
        max_order_quantity="100",
        min_order_quantity="0.000001",
        max_order_notional="10000000",
        min_order_notional="1",
        max_position_quantity="1000",
        max_position_notional="100000000",
        max_gross_exposure="100000000",
        max_net_exposure="100000000",
        check_buying_power=True,
        max_orders_per_second=1000,
        max_cancels_per_second=1000,
        max_order_to_trade_ratio="1000000",
        duplicate_window_ms=1,
        self_trade_prevention=True,
        reduce_at_daily_loss="900000",
        max_daily_loss="950000",
        reduce_at_drawdown="900000",
        max_drawdown="950000",
    ),
    strategies={0: RiskLimits(max_order_notional="10000000", max_orders_per_second=1000)},
    instruments={
        INST: RiskLimits(
            tick_size="0.001",
            lot_size="0.000001",
            price_band_pct="20",
            fat_finger_pct="10",
            max_position_quantity="1000",
        )
    },
)


class Quoter(Strategy):
    """Every bar: cancel the previous bid, quote a new one 0.5 % below the close."""

    def __init__(self) -> None:
        super().__init__()
        self.last: int | None = None

    def on_bar(self, bar: Any) -> None:
        if self.last is not None and self.order_status(self.last) in {"ACCEPTED", "SUBMITTED"}:
            self.cancel(self.last)
        price = round(bar.close * 0.995, 3)
        self.last = self.buy(INST, "0.01", f"{price:.3f}")


def _engine(risk: RiskConfig | None, df: pl.DataFrame) -> Any:
    engine = _core.BacktestEngine(
        [3],
        [6],
        ["USDT"],
        ["BTC"],
        ["0.0002"],
        ["0.0004"],
        base_currency="USDT",
        starting_balances=[("USDT", "1000000")],
        risk=None if risk is None else risk_config_to_engine(risk, [INST]),
    )
    ts = df["ts"].to_numpy()
    raw = {
        c: (df[c] * 1000).round().cast(pl.Int64).to_numpy()
        for c in ("open", "high", "low", "close")
    }
    vol = (df["volume"] * 1_000_000).round().cast(pl.Int64).to_numpy()
    engine.add_bars(
        0, ts - 60_000_000_000, ts, raw["open"], raw["high"], raw["low"], raw["close"], vol
    )
    return engine


def _load() -> pl.DataFrame:
    df = pl.read_csv(BARS)
    col = df["timestamp"]
    if col.dtype == pl.String:
        ts = col.str.to_datetime(time_zone="UTC").dt.epoch("ns")
    else:
        ts = col.cast(pl.Int64) * 1_000_000
    return df.with_columns(ts.alias("ts"))


def _run(risk: RiskConfig | None, df: pl.DataFrame) -> tuple[float, Any]:
    engine = _engine(risk, df)
    strategy = Quoter()
    strategy._attach(
        [
            Instrument(
                id=INST,
                kind=InstrumentKind.PERPETUAL,
                price_increment="0.001",
                size_increment="0.000001",
                base_currency="BTC",
                quote_currency="USDT",
                settlement_currency="USDT",
            )
        ]
    )
    t = time.perf_counter()
    engine.run(strategy)
    return time.perf_counter() - t, engine


def _run_rust(risk: RiskConfig | None, df: pl.DataFrame) -> float:
    engine = _engine(risk, df)
    strategy = _core.RustStrategy("ema_cross", instrument=0, fast=10, slow=30, quantity=1_000_000)
    t = time.perf_counter()
    engine.run(strategy)
    return time.perf_counter() - t


def main() -> None:
    """Prints the per-order cost and the backtest overhead."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=2_000_000)
    parser.add_argument("--open", type=int, default=10, help="working orders during the check")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    ns = min(_core.bench_pretrade_check(args.iterations, args.open) for _ in range(args.repeat))
    print(
        f"full pre-trade check (Rust, every control on, {args.open} working orders): "
        f"{ns:,.0f} ns/order  (target <= 1,000 ns: {'OK' if ns <= 1000 else 'MISSED'})"
    )
    for n_open in (0, 100):
        ns_n = min(
            _core.bench_pretrade_check(args.iterations // 4, n_open) for _ in range(args.repeat)
        )
        print(f"  with {n_open} working orders: {ns_n:,.0f} ns/order")

    if not BARS.exists():
        print(f"no shared bars at {BARS}: backtest comparison skipped")
        return
    df = _load()
    off = on = float("inf")
    engine_off = engine_on = None
    for _ in range(args.repeat):
        t, engine_off = _run(None, df)
        off = min(off, t)
        t, engine_on = _run(ALL_ON, df)
        on = min(on, t)
    assert engine_off is not None
    assert engine_on is not None
    ev_off, ev_on = engine_off.order_events(), engine_on.order_events()
    assert list(ev_off["event"]) == list(ev_on["event"]), "controls changed the run"
    audit = engine_on.risk_audit()
    assert audit["denied"] == 0, audit["denied_by_code"]
    overhead = (on - off) / off * 100
    rust_off = rust_on = float("inf")
    for _ in range(args.repeat):
        rust_off = min(rust_off, _run_rust(None, df))
        rust_on = min(rust_on, _run_rust(ALL_ON, df))
    rust_overhead = (rust_on - rust_off) / rust_off * 100
    print(
        f"backtest, {len(df):,} bars, {audit['passed']:,} orders checked, "
        f"{len(ev_on['event']):,} order events:"
    )
    print(
        f"  controls off {off:.3f} s, every control on {on:.3f} s: overhead {overhead:+.1f} % "
        f"(target <= 5 %: {'OK' if overhead <= 5 else 'MISSED'})"
    )
    print(
        f"  Rust EMA cross (orders only at crosses): off {rust_off:.3f} s, "
        f"on {rust_on:.3f} s: overhead {rust_overhead:+.1f} %"
    )


if __name__ == "__main__":
    main()
