"""Reference strategies, written against the public :class:`ferrox.backtest.Strategy` API.

Configs name them by path (``ferrox.strategies.ema_cross:EMACross``); their
compiled twins run with ``RustStrategy("ema_cross", ...)`` /
``RustStrategy("market_maker", ...)``.
"""

from __future__ import annotations

from ferrox.strategies.ema_cross import EMACross
from ferrox.strategies.market_maker import MarketMaker

__all__ = ["EMACross", "MarketMaker"]
