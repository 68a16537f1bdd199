"""The peers of ``bench_backtest.py``: NautilusTrader and hftbacktest set-ups.

Imported only when the peer is installed; each function builds a fresh engine, times
only its run and returns ``(seconds, result)``.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import polars as pl

# --- NautilusTrader: EMA cross on bars ------------------------------------------

_nautilus_bars: dict[int, Any] = {}
BYPASS = True
LAST_REPORTS: dict[str, Any] = {}


def _nautilus_setup() -> tuple[Any, Any]:
    """The Nautilus instrument and the strategy class (defined lazily: imports are heavy)."""
    from nautilus_trader.indicators import ExponentialMovingAverage
    from nautilus_trader.model.currencies import BTC, USDT
    from nautilus_trader.model.enums import OrderSide
    from nautilus_trader.model.identifiers import InstrumentId, Symbol, Venue
    from nautilus_trader.model.instruments import CryptoPerpetual
    from nautilus_trader.model.objects import Price, Quantity
    from nautilus_trader.trading.strategy import Strategy, StrategyConfig

    class EmaCrossConfig(StrategyConfig, frozen=True):
        """Settings of the Nautilus EMA cross."""

        instrument_id: InstrumentId
        bar_type: Any
        trade_size: Decimal
        fast: int
        slow: int

    class EmaCross(Strategy):  # type: ignore[misc]
        """Long-only EMA cross, same rule as ferrox's, on Nautilus indicators."""

        def __init__(self, config: EmaCrossConfig) -> None:
            super().__init__(config)
            self.fast = ExponentialMovingAverage(config.fast)
            self.slow = ExponentialMovingAverage(config.slow)
            self.above: bool | None = None
            self.instrument_id = config.instrument_id
            self.size: Any = None

        def on_start(self) -> None:
            """Registers the EMAs and subscribes to the bars."""
            self.size = self.cache.instrument(self.instrument_id).make_qty(self.config.trade_size)
            self.register_indicator_for_bars(self.config.bar_type, self.fast)
            self.register_indicator_for_bars(self.config.bar_type, self.slow)
            self.subscribe_bars(self.config.bar_type)

        def on_bar(self, bar: Any) -> None:
            """Buys on a cross above while flat; sells the position on a cross below."""
            if not self.slow.initialized:
                return
            above = self.fast.value > self.slow.value
            crossed = self.above is not None and above != self.above
            self.above = above
            if not crossed:
                return
            portfolio = self.portfolio
            if above and portfolio.is_flat(self.instrument_id):
                order = self.order_factory.market(self.instrument_id, OrderSide.BUY, self.size)
                self.submit_order(order)
            elif not above and portfolio.is_net_long(self.instrument_id):
                self.close_all_positions(self.instrument_id)

        def on_stop(self) -> None:
            """Leaves the last position open, as the ferrox strategies do."""

    instrument = CryptoPerpetual(
        instrument_id=InstrumentId(Symbol("BTC-PERP"), Venue("BINANCE")),
        raw_symbol=Symbol("BTCUSDT"),
        base_currency=BTC,
        quote_currency=USDT,
        settlement_currency=USDT,
        is_inverse=False,
        price_precision=3,
        price_increment=Price.from_str("0.001"),
        size_precision=6,
        size_increment=Quantity.from_str("0.000001"),
        max_quantity=None,
        min_quantity=None,
        max_notional=None,
        min_notional=None,
        max_price=None,
        min_price=None,
        margin_init=Decimal("0.05"),
        margin_maint=Decimal("0.025"),
        maker_fee=Decimal("0"),
        taker_fee=Decimal("0"),
        ts_event=0,
        ts_init=0,
    )
    return instrument, (EmaCross, EmaCrossConfig)


def nautilus_ema_cross(
    text: pl.DataFrame,
    fast: int,
    slow: int,
    maker_fee: str,
    taker_fee: str,
    starting_usdt: int,
) -> tuple[float, tuple[int, float]]:
    """One timed Nautilus run of the EMA cross: ``(seconds, (fills, pnl))``."""
    from nautilus_trader.backtest.engine import BacktestEngine
    from nautilus_trader.config import BacktestEngineConfig, LoggingConfig
    from nautilus_trader.model.currencies import USDT
    from nautilus_trader.model.data import BarType
    from nautilus_trader.model.enums import AccountType, OmsType
    from nautilus_trader.model.identifiers import Venue
    from nautilus_trader.model.objects import Money
    from nautilus_trader.persistence.wranglers import BarDataWrangler

    base, (strategy_class, config_class) = _nautilus_setup()
    instrument = base.__class__.from_dict(
        {**base.__class__.to_dict(base), "maker_fee": maker_fee, "taker_fee": taker_fee}
    )
    bar_type = BarType.from_str(f"{instrument.id}-1-MINUTE-LAST-EXTERNAL")
    key = id(text)
    if key not in _nautilus_bars:
        frame = text.with_columns(
            pl.col("timestamp").str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_zone="UTC"),
            *(pl.col(c).cast(pl.Float64) for c in ("open", "high", "low", "close", "volume")),
        ).to_pandas()
        frame = frame.set_index("timestamp")
        _nautilus_bars[key] = BarDataWrangler(bar_type, instrument).process(frame)
    bars = _nautilus_bars[key]

    engine = BacktestEngine(
        config=BacktestEngineConfig(
            logging=LoggingConfig(bypass_logging=BYPASS, log_level="WARNING")
        )
    )
    engine.add_venue(
        venue=Venue("BINANCE"),
        oms_type=OmsType.NETTING,
        account_type=AccountType.MARGIN,
        base_currency=USDT,
        starting_balances=[Money(starting_usdt, USDT)],
        bar_execution=True,
    )
    engine.add_instrument(instrument)
    engine.add_data(bars)
    engine.add_strategy(
        strategy_class(
            config_class(
                instrument_id=instrument.id,
                bar_type=bar_type,
                trade_size=Decimal(1),
                fast=fast,
                slow=slow,
            )
        )
    )
    # streaming=True leaves out end(): its post-run statistics (pandas, ~2 s here)
    # are not the event loop, and ferrox's run computes no statistics either.
    started = time.perf_counter()
    engine.run(streaming=True)
    seconds = time.perf_counter() - started
    engine.end()
    fills = engine.trader.generate_fills_report()
    LAST_REPORTS["fills"] = fills
    LAST_REPORTS["orders"] = engine.trader.generate_order_fills_report()
    account = engine.trader.generate_account_report(Venue("BINANCE"))
    final = Decimal(str(account["total"].iloc[-1]))
    pnl = float(final - starting_usdt)
    n_fills = len(fills)
    engine.dispose()
    return seconds, (n_fills, pnl)


# --- hftbacktest: market maker on the L2 capture ------------------------------


def hftbacktest_events(capture: str) -> Any:
    """The capture in hftbacktest's event format (its own Binance futures converter)."""
    import contextlib
    import io

    from hftbacktest.data.utils import binancefutures

    with contextlib.redirect_stdout(io.StringIO()):  # it prints its progress
        return binancefutures.convert(capture, combined_stream=True)


def _hbt_strategy() -> Any:
    """The njit market-maker loop (compiled on first call)."""
    import numpy as np
    from hftbacktest import GTX, LIMIT
    from hftbacktest.order import NEW, NONE, PARTIALLY_FILLED
    from numba import njit

    @njit  # type: ignore[misc]
    def market_maker(
        hbt: Any,
        half_spread_ticks: int,
        quantity: float,
        max_position: float,
        skew_ticks: int,
    ) -> tuple[int, int]:
        """ferrox's ``market_maker`` rule: quotes around the skewed microprice after every
        feed update, cancel-and-replace only when the target price changes."""
        depth = hbt.depth(0)
        tick = depth.tick_size
        next_id = 1
        bid_id = 0
        ask_id = 0
        bid_px = 0.0
        ask_px = 0.0
        updates = 0
        while True:
            r = hbt.wait_next_feed(False, 3_600_000_000_000)
            if r == 1:
                break
            if r != 2:
                continue
            updates += 1
            hbt.clear_inactive_orders(0)
            depth = hbt.depth(0)
            bb, ba = depth.best_bid, depth.best_ask
            bq, aq = depth.best_bid_qty, depth.best_ask_qty
            if not (np.isfinite(bb) and np.isfinite(ba)) or bb >= ba or bq + aq <= 0.0:
                continue
            micro = (bb * aq + ba * bq) / (bq + aq)
            position = hbt.position(0)
            fair = micro - position / quantity * skew_ticks * tick
            half = half_spread_ticks * tick
            bid = min(np.floor((fair - half) / tick) * tick, ba - tick)
            ask = max(np.ceil((fair + half) / tick) * tick, bb + tick)
            want_bid = position + quantity <= max_position + 1e-12
            want_ask = position - quantity >= -max_position - 1e-12
            orders = hbt.orders(0)
            # Bid side.
            working = False
            if bid_id != 0:
                o = orders.get(bid_id)
                working = (
                    o is not None
                    and (o.status == NEW or o.status == PARTIALLY_FILLED)
                    and o.req == NONE
                )
            if not (working and want_bid and abs(bid_px - bid) < tick / 2):
                if working:
                    hbt.cancel(0, bid_id, False)
                bid_id = 0
                if want_bid:
                    bid_id = next_id
                    next_id += 1
                    bid_px = bid
                    hbt.submit_buy_order(0, bid_id, bid, quantity, GTX, LIMIT, False)
            # Ask side.
            working = False
            if ask_id != 0:
                o = orders.get(ask_id)
                working = (
                    o is not None
                    and (o.status == NEW or o.status == PARTIALLY_FILLED)
                    and o.req == NONE
                )
            if not (working and want_ask and abs(ask_px - ask) < tick / 2):
                if working:
                    hbt.cancel(0, ask_id, False)
                ask_id = 0
                if want_ask:
                    ask_id = next_id
                    next_id += 1
                    ask_px = ask
                    hbt.submit_sell_order(0, ask_id, ask, quantity, GTX, LIMIT, False)
        return updates, next_id - 1

    return market_maker


_hbt_compiled: list[Any] = []


def hftbacktest_market_maker(
    events: Any,
    tick: float,
    lot: float,
    maker_fee: float,
    taker_fee: float,
    quantity: float,
    max_position: float,
) -> tuple[float, dict[str, float]]:
    """One timed hftbacktest run: ``(seconds, figures)``; compiles the loop first (untimed)."""
    from hftbacktest import BacktestAsset, HashMapMarketDepthBacktest

    if not _hbt_compiled:
        _hbt_compiled.append(_hbt_strategy())
    strategy = _hbt_compiled[0]

    def build(data: Any) -> Any:
        asset = (
            BacktestAsset()
            .data([data])
            .linear_asset(1.0)
            .constant_latency(0, 0)
            .risk_adverse_queue_model()
            .no_partial_fill_exchange()
            .trading_value_fee_model(maker_fee, taker_fee)
            .tick_size(tick)
            .lot_size(lot)
            .last_trades_capacity(0)
        )
        return HashMapMarketDepthBacktest([asset])

    if len(_hbt_compiled) == 1:  # numba compiles on the first call: off the clock
        warm = build(events[:1000])
        strategy(warm, 1, quantity, max_position, 1)
        warm.close()
        _hbt_compiled.append(True)
    hbt = build(events)
    started = time.perf_counter()
    updates, orders = strategy(hbt, 1, quantity, max_position, 1)
    seconds = time.perf_counter() - started
    state = hbt.state_values(0)
    depth = hbt.depth(0)
    mid = (depth.best_bid + depth.best_ask) / 2.0
    figures = {
        "updates": float(updates),
        "orders": float(orders),
        "fills": float(state.num_trades),
        "position": float(state.position),
        "pnl": float(state.balance + state.position * mid - state.fee),
    }
    hbt.close()
    return seconds, figures
