"""Matching engines usable on their own: :class:`LimitOrderBook`, a full
order-against-order book with price-time priority and self-trade prevention."""

from __future__ import annotations

from ferrox.matching.lob import (
    Cancelled,
    CancelReason,
    Execution,
    Level,
    LimitOrderBook,
    LobEvent,
    Modified,
    QueuePosition,
    Rested,
    RestingOrder,
    Side,
    StpMode,
    TimeInForce,
)

__all__ = [
    "CancelReason",
    "Cancelled",
    "Execution",
    "Level",
    "LimitOrderBook",
    "LobEvent",
    "Modified",
    "QueuePosition",
    "Rested",
    "RestingOrder",
    "Side",
    "StpMode",
    "TimeInForce",
]
