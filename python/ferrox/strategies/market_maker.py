"""A market maker quoting one bid and one ask around the L2 book's microprice.

The fair price is the microprice skewed against inventory; quotes sit
``half_spread_ticks`` from it on the tick grid, post-only, and are replaced
only when their target price moves, so a resting quote keeps its place in the
queue while the market is still. Quoting stops on the side that would take
inventory beyond ``max_position``.
"""

from __future__ import annotations

import math
from decimal import Decimal

from ferrox.backtest.strategy import Number, Strategy


class MarketMaker(Strategy):
    """Quotes around the microprice of one instrument's book."""

    def __init__(
        self,
        instrument: str,
        tick: Number,
        quantity: Number,
        max_position: Number,
        half_spread_ticks: int = 1,
        skew_ticks: int = 1,
    ) -> None:
        super().__init__()
        self.instrument = instrument
        self.tick = Decimal(str(tick))
        self.quantity = Decimal(str(quantity))
        self.max_position = Decimal(str(max_position))
        self.half_spread_ticks = half_spread_ticks
        self.skew_ticks = skew_ticks
        self._quotes: dict[str, tuple[int, Decimal] | None] = {"BUY": None, "SELL": None}
        self.requotes = 0

    def on_book(self, instrument: int) -> None:
        """Re-centres the quotes on every consistent book update."""
        micro = self.microprice(self.instrument)
        bid, ask = self.best_bid(self.instrument), self.best_ask(self.instrument)
        if micro is None or bid is None or ask is None or bid[0] >= ask[0]:
            return
        position = self.position(self.instrument)
        tick = float(self.tick)
        fair = micro - float(position / self.quantity) * self.skew_ticks * tick
        half = self.half_spread_ticks * tick
        bid_px = min(Decimal(math.floor((fair - half) / tick)) * self.tick, ask[0] - self.tick)
        ask_px = max(Decimal(math.ceil((fair + half) / tick)) * self.tick, bid[0] + self.tick)
        self._requote("BUY", bid_px if position + self.quantity <= self.max_position else None)
        self._requote("SELL", ask_px if position - self.quantity >= -self.max_position else None)

    def _requote(self, side: str, target: Decimal | None) -> None:
        current = self._quotes[side]
        if current is not None and self.order_status(current[0]) not in (
            "SUBMITTED",
            "ACCEPTED",
            "PARTIALLY_FILLED",
        ):
            current = None
        if current is not None and target is not None and current[1] == target:
            return
        if current is not None:
            self.cancel(current[0])
        self._quotes[side] = None
        if target is not None:
            order_id = self.submit_order(
                self.instrument,
                side,
                self.quantity,
                order_type="LIMIT",
                price=target,
                post_only=True,
            )
            self._quotes[side] = (order_id, target)
            self.requotes += 1
