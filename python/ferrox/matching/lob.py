"""A full order-against-order limit order book, for multi-agent simulations.

Every resting order is some agent's (``owner``) order. Matching is by price-time
priority, executions are at the resting order's price, and two orders of the same
owner never trade with each other unless the self-trade prevention mode is
``NONE``. The modes (the incoming order's own mode decides, else the book's):

- ``CANCEL_NEWEST`` (Binance ``EXPIRE_TAKER``, CME "cancel newest"): the incoming
  order's remaining quantity is cancelled; the resting order stays.
- ``CANCEL_OLDEST`` (Binance ``EXPIRE_MAKER``, CME "cancel oldest"): the resting
  order is cancelled; the incoming order goes on matching.
- ``CANCEL_BOTH`` (Binance ``EXPIRE_BOTH``): both are cancelled.
- ``DECREMENT_AND_CANCEL`` (FIX / Coinbase ``dc``): both are reduced by the
  smaller quantity; an order reduced to zero is gone, the incoming order goes on
  matching with what is left, a resting order keeps its place.

The matching is done in Rust (``ferrox-engine``'s ``matching::lob``); this
module turns exact :class:`~ferrox.Price` / :class:`~ferrox.Quantity` values into
the instrument's raw integers and the core's event tuples into dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

from ferrox._core import Lob, Price, Quantity
from ferrox.errors import ConfigError
from ferrox.model.instrument import Instrument


class Side(StrEnum):
    """An order's side."""

    BUY = "buy"
    SELL = "sell"


class TimeInForce(StrEnum):
    """How long an incoming order works (market orders never rest)."""

    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class StpMode(StrEnum):
    """Self-trade prevention mode (see the module docstring)."""

    NONE = "none"
    CANCEL_NEWEST = "cancel-newest"
    CANCEL_OLDEST = "cancel-oldest"
    CANCEL_BOTH = "cancel-both"
    DECREMENT_AND_CANCEL = "decrement-and-cancel"


class CancelReason(IntEnum):
    """Why quantity left the book without trading (the core's codes)."""

    REQUESTED = 1
    UNFILLED = 2
    FILL_OR_KILL = 3
    POST_ONLY = 4
    SELF_TRADE = 5


_SIDES = {1: Side.BUY, 2: Side.SELL}


@dataclass(frozen=True, slots=True)
class Execution:
    """A trade between a resting (maker) and an incoming (taker) order."""

    seq: int
    ts: int
    maker_id: int
    maker_owner: int
    taker_id: int
    taker_owner: int
    taker_side: Side
    price: Price
    size: Quantity


@dataclass(frozen=True, slots=True)
class Rested:
    """An order (or what is left of it) now rests at the back of its level."""

    seq: int
    ts: int
    id: int
    owner: int
    side: Side
    price: Price
    leaves: Quantity


@dataclass(frozen=True, slots=True)
class Cancelled:
    """``cancelled`` of an order's quantity left without trading; ``leaves`` is still open."""

    seq: int
    ts: int
    id: int
    owner: int
    side: Side
    cancelled: Quantity
    leaves: Quantity
    reason: CancelReason


@dataclass(frozen=True, slots=True)
class Modified:
    """A modify was applied (before any execution or resting it causes)."""

    seq: int
    ts: int
    id: int
    owner: int
    side: Side
    price: Price
    leaves: Quantity
    priority_kept: bool


LobEvent = Execution | Rested | Cancelled | Modified


@dataclass(frozen=True, slots=True)
class Level:
    """One price level: its total open quantity and number of orders."""

    price: Price
    quantity: Quantity
    orders: int


@dataclass(frozen=True, slots=True)
class RestingOrder:
    """A live order; ``seq_priority`` orders the queue (smaller = older)."""

    id: int
    owner: int
    side: Side
    price: Price
    leaves: Quantity
    filled: Quantity
    post_only: bool
    seq_priority: int
    ts_priority: int


@dataclass(frozen=True, slots=True)
class QueuePosition:
    """Orders, and their open quantity, ahead of an order at its price."""

    orders_ahead: int
    quantity_ahead: Quantity


class LimitOrderBook:
    """An order-against-order book for one instrument.

    Prices must be multiples of the instrument's price increment and quantities of
    its size increment (an instrument-less book takes any value at the given
    precisions). Every call returns the events it caused, in order; bad requests
    (unknown or duplicate id, bad price or quantity) raise
    :class:`~ferrox.errors.OrderRejected` and change nothing.

    >>> book = LimitOrderBook(price_precision=2, size_precision=0)
    >>> _ = book.submit(1, owner=7, side=Side.SELL, quantity=Quantity("5"), price=Price("10.00"))
    >>> [e.price for e in book.submit(2, owner=8, side=Side.BUY, quantity=Quantity("2"))]
    [Price('10.00')]
    >>> book.best_ask()
    Level(price=Price('10.00'), quantity=Quantity('3'), orders=1)
    """

    def __init__(
        self,
        instrument: Instrument | None = None,
        *,
        price_precision: int | None = None,
        size_precision: int | None = None,
        stp: StpMode = StpMode.CANCEL_NEWEST,
    ) -> None:
        if instrument is not None:
            self._pp = instrument.price_precision
            self._sp = instrument.size_precision
            tick = Price(instrument.price_increment, self._pp).raw
            lot = Quantity(instrument.size_increment, self._sp).raw
        elif price_precision is None or size_precision is None:
            raise ConfigError("LimitOrderBook: give an instrument or both precisions")
        else:
            self._pp, self._sp, tick, lot = price_precision, size_precision, 1, 1
        self.instrument = instrument
        self._book = Lob(tick, lot, StpMode(stp).value)

    @property
    def price_precision(self) -> int:
        """Decimals of raw prices."""
        return self._pp

    @property
    def size_precision(self) -> int:
        """Decimals of raw quantities."""
        return self._sp

    @property
    def stp(self) -> StpMode:
        """The book's default self-trade prevention mode."""
        return StpMode(self._book.stp)

    @property
    def last_seq(self) -> int:
        """Sequence number of the last event (0 before any)."""
        return self._book.last_seq

    def submit(
        self,
        id: int,
        *,
        owner: int,
        side: Side,
        quantity: Quantity,
        price: Price | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        post_only: bool = False,
        stp: StpMode | None = None,
        ts: int = 0,
    ) -> list[LobEvent]:
        """Enters an order (``price=None`` for a market order); returns its events."""
        return self.submit_raw(
            id,
            owner=owner,
            side=side,
            quantity=quantity.rescaled(self._sp).raw,
            price=None if price is None else price.rescaled(self._pp).raw,
            time_in_force=time_in_force,
            post_only=post_only,
            stp=stp,
            ts=ts,
        )

    def submit_raw(
        self,
        id: int,
        *,
        owner: int,
        side: Side,
        quantity: int,
        price: int | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        post_only: bool = False,
        stp: StpMode | None = None,
        ts: int = 0,
    ) -> list[LobEvent]:
        """:meth:`submit` with raw integers at the book's precisions."""
        raw = self._book.submit(
            id,
            owner,
            Side(side).value,
            quantity,
            price,
            TimeInForce(time_in_force).value,
            post_only,
            None if stp is None else StpMode(stp).value,
            ts,
        )
        return self._events(raw)

    def cancel(self, id: int, *, ts: int = 0) -> list[LobEvent]:
        """Cancels a live order's open quantity."""
        return self._events(self._book.cancel(id, ts))

    def modify(
        self,
        id: int,
        *,
        price: Price | None = None,
        quantity: Quantity | None = None,
        ts: int = 0,
    ) -> list[LobEvent]:
        """Sets a live order's price and/or open quantity.

        A decrease at the same price keeps the order's place in the queue; a price
        change or an increase sends it to the back, and a crossing price executes
        at once (a post-only order that would cross is cancelled).
        """
        return self.modify_raw(
            id,
            price=None if price is None else price.rescaled(self._pp).raw,
            quantity=None if quantity is None else quantity.rescaled(self._sp).raw,
            ts=ts,
        )

    def modify_raw(
        self, id: int, *, price: int | None = None, quantity: int | None = None, ts: int = 0
    ) -> list[LobEvent]:
        """:meth:`modify` with raw integers at the book's precisions."""
        return self._events(self._book.modify(id, price, quantity, ts))

    def best_bid(self) -> Level | None:
        """The best bid level."""
        return self._level(self._book.best_bid())

    def best_ask(self) -> Level | None:
        """The best ask level."""
        return self._level(self._book.best_ask())

    def depth(self, side: Side, levels: int = 10) -> list[Level]:
        """Up to ``levels`` levels of ``side`` (``BUY`` = bids), best first."""
        return [self._to_level(raw) for raw in self._book.depth(Side(side).value, levels)]

    def orders_at(self, side: Side, price: Price) -> list[int]:
        """Ids of the orders resting at ``price`` on ``side``, oldest first."""
        return self._book.orders_at(Side(side).value, price.rescaled(self._pp).raw)

    def order(self, id: int) -> RestingOrder | None:
        """The live order ``id``, or None (never entered, filled or cancelled)."""
        raw = self._book.order(id)
        if raw is None:
            return None
        owner, side, price, leaves, filled, post_only, seq_priority, ts_priority = raw
        return RestingOrder(
            id,
            owner,
            _SIDES[side],
            Price.from_raw(price, self._pp),
            Quantity.from_raw(leaves, self._sp),
            Quantity.from_raw(filled, self._sp),
            post_only,
            seq_priority,
            ts_priority,
        )

    def queue_position(self, id: int) -> QueuePosition:
        """Orders and open quantity ahead of live order ``id`` at its price."""
        orders, quantity = self._book.queue_position(id)
        return QueuePosition(orders, Quantity.from_raw(quantity, self._sp))

    def is_crossed(self) -> bool:
        """Whether best bid >= best ask (never true between calls)."""
        return self._book.is_crossed()

    def __len__(self) -> int:
        """Number of resting orders."""
        return len(self._book)

    def _to_level(self, raw: tuple[int, int, int]) -> Level:
        return Level(Price.from_raw(raw[0], self._pp), Quantity.from_raw(raw[1], self._sp), raw[2])

    def _level(self, raw: tuple[int, int, int] | None) -> Level | None:
        return None if raw is None else self._to_level(raw)

    def _events(
        self, raw: list[tuple[int, int, int, int, int, int, int, int, int, int]]
    ) -> list[LobEvent]:
        pp, sp = self._pp, self._sp
        events: list[LobEvent] = []
        for kind, seq, ts, a, b, c, d, e, f, g in raw:
            if kind == 0:
                events.append(
                    Execution(
                        seq,
                        ts,
                        a,
                        b,
                        c,
                        d,
                        _SIDES[e],
                        Price.from_raw(f, pp),
                        Quantity.from_raw(g, sp),
                    )
                )
            elif kind == 1:
                events.append(
                    Rested(
                        seq, ts, a, b, _SIDES[c], Price.from_raw(d, pp), Quantity.from_raw(e, sp)
                    )
                )
            elif kind == 2:
                events.append(
                    Cancelled(
                        seq,
                        ts,
                        a,
                        b,
                        _SIDES[c],
                        Quantity.from_raw(d, sp),
                        Quantity.from_raw(e, sp),
                        CancelReason(f),
                    )
                )
            else:
                events.append(
                    Modified(
                        seq,
                        ts,
                        a,
                        b,
                        _SIDES[c],
                        Price.from_raw(d, pp),
                        Quantity.from_raw(e, sp),
                        bool(f),
                    )
                )
        return events
