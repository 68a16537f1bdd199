"""A market maker on the Binance USD-M BTCUSDT L2 capture: queue position and latency.

Quotes around the microprice (``ferrox.strategies.MarketMaker``) are matched
against the historical book: a resting quote fills only once the queue ahead
of it is gone. The same strategy runs three times: with the conservative
queue model and no latency, with the probabilistic queue model, and with
5 ms of order-entry and acknowledgement latency.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _data import binance_capture
from ferrox.backtest import Backtest, LatencyConfig, RustStrategy, VenueConfig
from ferrox.data.catalog import Catalog
from ferrox.data.importer import import_files
from ferrox.strategies import MarketMaker

work = Path(tempfile.mkdtemp(prefix="ferrox-mm-"))
catalog = Catalog(work / "catalog")
import_files([binance_capture()], "binance", catalog)
instrument = next(i for i in catalog.instruments() if i.id.startswith("BTCUSDT"))
data = {kind: catalog.read(instrument.id, kind) for kind in ("deltas", "trades")}


def run(queue_model: str, latency_ms: int, rust: bool = False) -> None:
    venue = VenueConfig(
        base_currency="USDT",
        starting_balance="100000",
        maker_fee="0.0002",
        taker_fee="0.0005",
        queue_model=queue_model,
    )
    latency = LatencyConfig("constant", latency_ms * 1_000_000)
    bt = Backtest([instrument], venue, order_entry_latency=latency, ack_latency=latency)
    for kind, frame in data.items():
        bt.add(instrument.id, kind, frame)
    strategy: MarketMaker | RustStrategy
    if rust:
        tick = round(float(instrument.price_increment) * 10**instrument.price_precision)
        lot = 10 ** (instrument.size_precision - 3)  # 0.001 BTC
        strategy = RustStrategy(
            "market_maker", tick=tick, quantity=lot, max_position=10 * lot, half_spread_ticks=1
        )
    else:
        strategy = MarketMaker(
            instrument.id,
            tick=instrument.price_increment,
            quantity="0.001",
            max_position="0.01",
        )
    result = bt.run(strategy)
    makers = result.fills.filter(result.fills["liquidity"] == "MAKER").height
    pnl = result.positions["realized_pnl"].sum() + result.positions["unrealized_pnl"].sum()
    print(
        f"{'rust' if rust else 'python':6} {queue_model:13} latency {latency_ms:2} ms: "
        f"{result.meta['records']:,} events, {result.orders['order_id'].n_unique():,} orders, "
        f"{result.fills.height:,} fills ({makers:,} maker), PnL before fees {pnl:,.2f} USDT"
    )


run("conservative", 0)
run("probabilistic", 0)
run("conservative", 5)
run("conservative", 0, rust=True)
