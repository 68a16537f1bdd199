"""Cost of the pre-trade risk checks.

1. The full check per order, measured in Rust (``_core.bench_pretrade_check``):
   every control on (collars, fat finger, size/notional/tick/lot, position and
   exposure limits with working orders, buying power, order/cancel/OTR
   throttles, duplicates, self-trade, states, loss limits), over passing orders
   with 0, 10, 100 and 1,000 working orders resting. Target: <= 1 us per order
   whatever the number of working orders (they are aggregated as order events
   arrive, never scanned by a check).
2. The share of a backtest's time, every control on against none, best of
   ``--repeat`` runs of the engine loop in CPU time of the running thread
   (results tables not included, which makes the ratio larger, not smaller). Both runs must give the same order
   events (the limits are wide enough that nothing is denied). Target: <= 5 %.
   (a) the EMA cross as a Python strategy on the real BTC-PERP 1-minute bars
       (``../shared/data/bars``, one month, ~45k bars): orders only at crosses;
   (b) the market maker as a Rust strategy on the Binance USD-M BTCUSDT L2
       capture (``../shared/data/binance-usdm``): many orders and cancels, the
       realistic heavy case;
   (c) a stress case: a Python strategy that cancels its bid and quotes a new
       one on every bar of (a) (two risk-relevant messages per bar).

Run: ``python benchmarks/bench_risk.py [--iterations N] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from ferrox import _core
from ferrox.backtest import Strategy
from ferrox.model.instrument import Instrument, InstrumentKind
from ferrox.risk.pretrade import RiskConfig, RiskLimits, risk_config_to_engine
from ferrox.strategies.ema_cross import EMACross

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


def _bars_instrument() -> Instrument:
    return Instrument(
        id=INST,
        kind=InstrumentKind.PERPETUAL,
        price_increment="0.001",
        size_increment="0.000001",
        base_currency="BTC",
        quote_currency="USDT",
        settlement_currency="USDT",
    )


def _timed(engine: Any, strategy: Any) -> float:
    if isinstance(strategy, Strategy):
        strategy._attach([_bars_instrument()])
    # CPU time of this thread: the engine loop runs on it, and other jobs on a
    # shared machine do not count (wall-clock time moved by +-10 % there).
    t = time.thread_time()
    engine.run(strategy)
    return time.thread_time() - t


Case = tuple[float, float, int, int]


def _compare(
    build: Callable[[RiskConfig | None], Any],
    strategy: Callable[[], Any],
    risk: RiskConfig,
    repeat: int,
) -> Case:
    """Best engine-loop time without and with ``risk``; checked orders and events."""
    off = on = float("inf")
    engine_off = engine_on = None
    for _ in range(repeat):
        engine_off = build(None)
        off = min(off, _timed(engine_off, strategy()))
        engine_on = build(risk)
        on = min(on, _timed(engine_on, strategy()))
    assert engine_off is not None
    assert engine_on is not None
    ev_off, ev_on = engine_off.order_events(), engine_on.order_events()
    audit = engine_on.risk_audit()
    assert audit["denied"] == 0, audit["denied_by_code"]
    assert list(ev_off["event"]) == list(ev_on["event"]), "controls changed the run"
    return off, on, int(audit["passed"]), len(ev_on["event"])


def _print(label: str, case: Case) -> bool:
    off, on, checked, events = case
    overhead = (on - off) / off * 100
    ok = overhead <= 5
    print(
        f"  {label}: {checked:,} orders checked, {events:,} order events; "
        f"off {off:.3f} s, on {on:.3f} s, ratio {on / off:.3f}: overhead {overhead:+.1f} % "
        f"(target <= 5 %: {'OK' if ok else 'MISSED'})"
    )
    return ok


def _market_maker(repeat: int) -> Case | None:
    """(b): the Rust market maker on the USD-M L2 capture, every control on."""
    capture = DATA / "binance-usdm" / "btcusdt_20240808.gz"
    if not capture.exists():
        print(f"  no USD-M capture at {capture}: market maker skipped")
        return None
    from ferrox.backtest import Backtest, VenueConfig
    from ferrox.data.catalog import Catalog
    from ferrox.data.importer import import_files

    with tempfile.TemporaryDirectory(prefix="ferrox-bench-risk-") as work:
        catalog = Catalog(Path(work) / "catalog")
        import_files([capture], "binance", catalog)
        inst = next(i for i in catalog.instruments() if i.id.startswith("BTCUSDT"))
        data = {kind: catalog.read(inst.id, kind) for kind in ("deltas", "trades")}
    venue = VenueConfig(
        base_currency="USDT", starting_balance="100000", maker_fee="0.0002", taker_fee="0.0005"
    )
    risk = RiskConfig(
        account=ALL_ON.account,
        strategies=ALL_ON.strategies,
        instruments={
            inst.id: RiskLimits(
                tick_size=inst.price_increment,
                lot_size="0.001",
                price_band_pct="20",
                fat_finger_pct="10",
                max_position_quantity="1000",
            )
        },
    )

    def build(r: RiskConfig | None) -> Any:
        bt = Backtest([inst], venue, risk=r)
        for kind, frame in data.items():
            bt.add(inst.id, kind, frame)
        return bt._engine

    tick = round(float(inst.price_increment) * 10**inst.price_precision)
    lot = 10 ** (inst.size_precision - 3)  # 0.001 BTC

    def strategy() -> Any:
        return _core.RustStrategy(
            "market_maker", tick=tick, quantity=lot, max_position=10 * lot, half_spread_ticks=1
        )

    return _compare(build, strategy, risk, repeat)


def main() -> None:
    """Prints the per-order cost and the backtest overhead."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    print("full pre-trade check (Rust, every control on), best of --repeat:")
    for n_open in (0, 10, 100, 1_000):
        ns = min(_core.bench_pretrade_check(args.iterations, n_open) for _ in range(args.repeat))
        print(
            f"  {n_open:>5,} working orders: {ns:,.0f} ns/order  "
            f"(target <= 1,000 ns: {'OK' if ns <= 1000 else 'MISSED'})"
        )

    print("backtest overhead, every control on vs none (engine loop, best of --repeat):")
    if BARS.exists():
        df = _load()
        print(f"  bars: {len(df):,} one-minute bars of {INST}")
        _print(
            "(a) EMA cross, Python strategy, bars",
            _compare(
                lambda r: _engine(r, df),
                lambda: EMACross(INST, fast=10, slow=30, quantity="1"),
                ALL_ON,
                args.repeat,
            ),
        )
    else:
        print(f"  no shared bars at {BARS}: (a) and (c) skipped")
    mm = _market_maker(args.repeat)
    if mm is not None:
        _print("(b) market maker, Rust strategy, USD-M L2 capture", mm)
    if BARS.exists():
        _print(
            "(c) stress: Python cancel + new quote every bar",
            _compare(lambda r: _engine(r, df), Quoter, ALL_ON, args.repeat),
        )
        _print(
            "    Rust EMA cross, bars (orders only at crosses)",
            _compare(
                lambda r: _engine(r, df),
                lambda: _core.RustStrategy(
                    "ema_cross", instrument=0, fast=10, slow=30, quantity=1_000_000
                ),
                ALL_ON,
                args.repeat,
            ),
        )


if __name__ == "__main__":
    main()
