"""EMA cross: long when the fast EMA of closes crosses above the slow one, flat when it
crosses back below (market orders: on bars they fill at the next bar's open)."""

from __future__ import annotations

from ferrox._core import Bar
from ferrox.backtest.strategy import Indicator, Number, Strategy


class EMACross(Strategy):
    """Long-only EMA cross on one instrument's bars."""

    def __init__(
        self,
        instrument: str,
        fast: int = 10,
        slow: int = 30,
        quantity: Number = "1",
        bars: str | None = None,
    ) -> None:
        """``bars`` (e.g. ``"1s"``) builds bars of that spec from the instrument's
        trades; without it the strategy trades the bars in the data."""
        super().__init__()
        self.instrument = instrument
        self.bars = bars
        self.fast_period = fast
        self.slow_period = slow
        self.quantity = quantity
        self._above: bool | None = None
        self.fast: Indicator | None = None
        self.slow: Indicator | None = None

    def on_start(self) -> None:
        """Creates the two EMAs (updated by the engine before each ``on_bar``)."""
        if self.bars is not None:
            self.subscribe_bars(self.instrument, self.bars)
        self.fast = self.indicator("EMA", self.instrument, timeperiod=self.fast_period)
        self.slow = self.indicator("EMA", self.instrument, timeperiod=self.slow_period)

    def on_bar(self, bar: Bar) -> None:
        """Trades on a cross of the two EMAs."""
        if self.fast is None or self.slow is None or not self.slow.ready:
            return
        above = self.fast.value > self.slow.value
        crossed = self._above is not None and above != self._above
        self._above = above
        if not crossed:
            return
        position = self.position(self.instrument)
        if above and position == 0:
            self.buy(self.instrument, self.quantity)
        elif not above and position > 0:
            self.sell(self.instrument, position)
