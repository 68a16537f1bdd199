"""A streaming L2 order book with exact prices, for one instrument."""

from __future__ import annotations

from ferrox._core import L2Book, Price, Quantity
from ferrox.book.rules import check_rule, sync_rule_for
from ferrox.model.instrument import Instrument
from ferrox.model.records import BookDelta
from ferrox.model.schema import BookSide

Level = tuple[Price, Quantity]


def _side_name(side: BookSide) -> str:
    """The core's name for a book side."""
    return "bid" if side is BookSide.BID else "ask"


class OrderBook:
    """An L2 book of ``instrument`` that applies deltas one at a time.

    The venue's synchronisation rule (Binance futures or spot id chains, or
    plain sequencing) is chosen from the instrument id unless ``rule`` is
    given; :attr:`state` says whether the book is exact right now.

    >>> from ferrox.model import Instrument, InstrumentKind
    >>> from ferrox.model.schema import BookAction
    >>> inst = Instrument("BTCUSDT.BINANCE-USDM", InstrumentKind.PERPETUAL, "0.10", "0.001",
    ...                   "BTC", "USDT", "USDT")
    >>> book = OrderBook(inst, rule="sequenced")
    >>> book.apply_raw(BookAction.UPDATE, BookSide.BID, 6180020, 2507)
    'applied'
    >>> book.best_bid()
    (Price('61800.20'), Quantity('2.507'))
    """

    def __init__(self, instrument: Instrument, *, rule: str | None = None) -> None:
        self.instrument = instrument
        self.rule = check_rule(rule) if rule is not None else sync_rule_for(instrument.id)
        self._book = L2Book(self.rule)
        self._pp = instrument.price_precision
        self._sp = instrument.size_precision

    def apply(self, delta: BookDelta) -> str:
        """Applies a :class:`~ferrox.model.records.BookDelta`; returns what happened to it
        (``applied``, ``stale``, or ``buffered`` while the book is unsynced)."""
        return self._book.apply(
            int(delta.action),
            int(delta.side),
            delta.price.rescaled(self._pp).raw,
            delta.size.rescaled(self._sp).raw,
            delta.sequence,
            delta.first_update_id,
            delta.prev_update_id,
            delta.flags,
            delta.ts_event,
            delta.ts_init,
            delta.order_id,
        )

    def apply_raw(
        self,
        action: int,
        side: int,
        price: int,
        size: int,
        *,
        sequence: int = 0,
        first_update_id: int = 0,
        prev_update_id: int = 0,
        flags: int = 0x80,
    ) -> str:
        """Applies a delta given as raw values at the instrument's precisions."""
        return self._book.apply(
            action, side, price, size, sequence, first_update_id, prev_update_id, flags
        )

    def _level(self, raw: tuple[int, int] | None) -> Level | None:
        if raw is None:
            return None
        return Price.from_raw(raw[0], self._pp), Quantity.from_raw(raw[1], self._sp)

    def best_bid(self) -> Level | None:
        """Best bid price and size."""
        return self._level(self._book.best_bid())

    def best_ask(self) -> Level | None:
        """Best ask price and size."""
        return self._level(self._book.best_ask())

    def spread(self) -> Price | None:
        """Best ask minus best bid."""
        raw = self._book.spread()
        return None if raw is None else Price.from_raw(raw, self._pp)

    def mid(self) -> float | None:
        """Mid price (float: half a tick is not always representable)."""
        raw = self._book.mid()
        return None if raw is None else raw / 10**self._pp

    def microprice(self) -> float | None:
        """Size-weighted mid: leans toward the side with less resting size."""
        raw = self._book.microprice()
        return None if raw is None else raw / 10**self._pp

    def imbalance(self, levels: int = 1) -> float | None:
        """(bid size - ask size) / (bid size + ask size) over the top ``levels``."""
        return self._book.imbalance(levels)

    def average_fill_price(self, side: BookSide, size: Quantity) -> float | None:
        """Average price of taking ``size`` from ``side`` (ASK for a buy); None if too thin."""
        name = _side_name(side)
        raw = self._book.average_fill_price(name, size.rescaled(self._sp).raw)
        return None if raw is None else raw / 10**self._pp

    def cumulative_depth(self, side: BookSide, levels: int) -> Quantity:
        """Total size of the best ``levels`` levels of ``side``."""
        name = _side_name(side)
        return Quantity.from_raw(self._book.cumulative_depth(name, levels), self._sp)

    def join_queue(self, order_id: int, side: BookSide, price: Price) -> Quantity:
        """Tracks an own order resting at ``price``; returns the size queued ahead of it."""
        name = _side_name(side)
        raw = self._book.join_queue(order_id, name, price.rescaled(self._pp).raw)
        return Quantity.from_raw(raw, self._sp)

    def queue_ahead(self, order_id: int) -> Quantity | None:
        """Estimated size still ahead of a tracked own order.

        An L2 feed does not say where at a level size left, so this is the
        conservative model: size arriving later queues behind the order, size
        leaving is taken from ahead of it first (the running minimum of the
        level's size since it joined).
        """
        raw = self._book.queue_ahead(order_id)
        return None if raw is None else Quantity.from_raw(raw, self._sp)

    def leave_queue(self, order_id: int) -> None:
        """Stops tracking an own order (filled or cancelled)."""
        self._book.leave_queue(order_id)

    def levels(self, side: BookSide, n: int) -> list[Level]:
        """Up to ``n`` levels of ``side``, best first."""
        name = _side_name(side)
        return [
            (Price.from_raw(p, self._pp), Quantity.from_raw(s, self._sp))
            for p, s in self._book.levels(name, n)
        ]

    @property
    def state(self) -> str:
        """``synced``, ``awaiting bridge`` or ``unsynced (reason)``."""
        return self._book.state

    @property
    def is_synced(self) -> bool:
        """Whether the book is exact now."""
        return self._book.is_synced
