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
    started = time.perf_counter()
    engine.run()
    seconds = time.perf_counter() - started
    fills = engine.trader.generate_fills_report()
    LAST_REPORTS["fills"] = fills
    LAST_REPORTS["orders"] = engine.trader.generate_order_fills_report()
    account = engine.trader.generate_account_report(Venue("BINANCE"))
    final = Decimal(str(account["total"].iloc[-1]))
    pnl = float(final - starting_usdt)
    n_fills = len(fills)
    engine.dispose()
    return seconds, (n_fills, pnl)
