"""The order-against-order limit order book: hand-checkable scenarios for priority, order
types and each self-trade prevention mode, and a hypothesis run against a plain-Python oracle."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrox import DataError, OrderRejected, Price, Quantity
from ferrox.errors import ConfigError
from ferrox.matching import (
    Cancelled,
    CancelReason,
    Execution,
    LimitOrderBook,
    LobEvent,
    Modified,
    Rested,
    Side,
    StpMode,
    TimeInForce,
)
from ferrox.model import Instrument, InstrumentKind

BUY, SELL = Side.BUY, Side.SELL
INST = Instrument(
    "BTCUSDT.BINANCE-USDM", InstrumentKind.PERPETUAL, "0.10", "0.001", "BTC", "USDT", "USDT"
)


def _book(stp: StpMode = StpMode.CANCEL_NEWEST) -> LimitOrderBook:
    return LimitOrderBook(price_precision=2, size_precision=0, stp=stp)


def _p(text: str) -> Price:
    return Price(text, 2)


def _q(text: str) -> Quantity:
    return Quantity(text, 0)


def _fills(events: list[LobEvent]) -> list[tuple[int, str, str]]:
    """(maker id, price, size) of each execution, as text."""
    return [(e.maker_id, str(e.price), str(e.size)) for e in events if isinstance(e, Execution)]


def _cancels(events: list[LobEvent]) -> list[tuple[int, str, str, CancelReason]]:
    """(id, cancelled, leaves, reason) of each cancellation, as text."""
    return [
        (e.id, str(e.cancelled), str(e.leaves), e.reason)
        for e in events
        if isinstance(e, Cancelled)
    ]


def _rest(book: LimitOrderBook, oid: int, owner: int, side: Side, price: str, qty: str) -> None:
    events = book.submit(oid, owner=owner, side=side, quantity=_q(qty), price=_p(price))
    assert isinstance(events[-1], Rested)


# --- priority -------------------------------------------------------------------------------


def test_buy_takes_the_lowest_ask_first_and_the_oldest_order_within_it() -> None:
    book = _book()
    _rest(book, 1, 10, SELL, "10.01", "5")
    _rest(book, 2, 11, SELL, "10.00", "3")
    _rest(book, 3, 12, SELL, "10.00", "4")
    events = book.submit(4, owner=13, side=BUY, quantity=_q("10"), price=_p("10.01"))
    assert _fills(events) == [(2, "10.00", "3"), (3, "10.00", "4"), (1, "10.01", "3")]
    best = book.best_ask()
    assert best is not None
    assert (str(best.price), str(best.quantity)) == ("10.01", "2")


def test_execution_is_at_the_resting_price_not_the_incoming_limit() -> None:
    book = _book()
    _rest(book, 1, 1, BUY, "9.50", "2")
    events = book.submit(2, owner=2, side=SELL, quantity=_q("2"), price=_p("9.00"))
    assert _fills(events) == [(1, "9.50", "2")]


def test_size_decrease_keeps_the_queue_place() -> None:
    book = _book()
    for oid in (1, 2, 3):
        _rest(book, oid, oid, BUY, "10.00", "5")
    events = book.modify(2, quantity=_q("1"))
    assert isinstance(events[0], Modified)
    assert events[0].priority_kept
    assert book.orders_at(BUY, _p("10.00")) == [1, 2, 3]
    assert book.queue_position(3).quantity_ahead == _q("6")


def test_size_increase_goes_to_the_back_of_the_queue() -> None:
    book = _book()
    for oid in (1, 2, 3):
        _rest(book, oid, oid, BUY, "10.00", "5")
    book.modify(1, quantity=_q("6"))
    assert book.orders_at(BUY, _p("10.00")) == [2, 3, 1]
    position = book.queue_position(1)
    assert (position.orders_ahead, position.quantity_ahead) == (2, _q("10"))


def test_price_change_goes_to_the_back_of_the_new_level() -> None:
    book = _book()
    _rest(book, 1, 1, BUY, "10.00", "5")
    _rest(book, 2, 2, BUY, "9.99", "5")
    book.modify(1, price=_p("9.99"))
    assert book.orders_at(BUY, _p("9.99")) == [2, 1]


def test_modify_to_a_crossing_price_executes_at_once() -> None:
    book = _book()
    _rest(book, 1, 1, SELL, "10.00", "2")
    _rest(book, 2, 2, BUY, "9.90", "3")
    events = book.modify(2, price=_p("10.00"))
    assert _fills(events) == [(1, "10.00", "2")]
    order = book.order(2)
    assert order is not None
    assert (order.leaves, order.filled, order.price) == (_q("1"), _q("2"), _p("10.00"))


# --- order types ----------------------------------------------------------------------------


def test_market_order_walks_the_book_and_cancels_what_is_left() -> None:
    book = _book()
    _rest(book, 1, 1, SELL, "10.00", "2")
    _rest(book, 2, 1, SELL, "10.05", "2")
    events = book.submit(3, owner=2, side=BUY, quantity=_q("5"))
    assert _fills(events) == [(1, "10.00", "2"), (2, "10.05", "2")]
    assert _cancels(events) == [(3, "1", "0", CancelReason.UNFILLED)]
    assert book.best_ask() is None


def test_ioc_fills_what_crosses_and_never_rests() -> None:
    book = _book()
    _rest(book, 1, 1, SELL, "10.00", "2")
    _rest(book, 2, 1, SELL, "10.05", "2")
    events = book.submit(
        3, owner=2, side=BUY, quantity=_q("5"), price=_p("10.00"), time_in_force=TimeInForce.IOC
    )
    assert _fills(events) == [(1, "10.00", "2")]
    assert _cancels(events) == [(3, "3", "0", CancelReason.UNFILLED)]
    assert book.best_bid() is None


def test_fok_that_cannot_fill_in_full_changes_nothing() -> None:
    book = _book()
    _rest(book, 1, 1, SELL, "10.00", "2")
    _rest(book, 2, 1, SELL, "10.05", "2")
    events = book.submit(
        3, owner=2, side=BUY, quantity=_q("3"), price=_p("10.00"), time_in_force=TimeInForce.FOK
    )
    assert _cancels(events) == [(3, "3", "0", CancelReason.FILL_OR_KILL)]
    assert [(str(lv.price), str(lv.quantity)) for lv in book.depth(SELL)] == [
        ("10.00", "2"),
        ("10.05", "2"),
    ]


def test_fok_that_can_fill_fills_in_full() -> None:
    book = _book()
    _rest(book, 1, 1, SELL, "10.00", "2")
    _rest(book, 2, 1, SELL, "10.05", "2")
    events = book.submit(
        3, owner=2, side=BUY, quantity=_q("3"), price=_p("10.05"), time_in_force=TimeInForce.FOK
    )
    assert _fills(events) == [(1, "10.00", "2"), (2, "10.05", "1")]


def test_post_only_that_would_cross_is_refused() -> None:
    book = _book()
    _rest(book, 1, 1, SELL, "10.00", "2")
    events = book.submit(2, owner=2, side=BUY, quantity=_q("1"), price=_p("10.00"), post_only=True)
    assert _cancels(events) == [(2, "1", "0", CancelReason.POST_ONLY)]
    assert book.best_bid() is None


def test_post_only_that_does_not_cross_rests() -> None:
    book = _book()
    _rest(book, 1, 1, SELL, "10.00", "2")
    events = book.submit(2, owner=2, side=BUY, quantity=_q("1"), price=_p("9.99"), post_only=True)
    assert isinstance(events[0], Rested)
    order = book.order(2)
    assert order is not None
    assert order.post_only


def test_post_only_modified_to_a_crossing_price_is_cancelled() -> None:
    book = _book()
    _rest(book, 1, 1, SELL, "10.00", "2")
    book.submit(2, owner=2, side=BUY, quantity=_q("1"), price=_p("9.99"), post_only=True)
    events = book.modify(2, price=_p("10.00"))
    assert _cancels(events) == [(2, "1", "0", CancelReason.POST_ONLY)]
    assert book.order(2) is None


# --- self-trade prevention ------------------------------------------------------------------
# Owner 1 rests 5 @ 10.00 (order 1) ahead of owner 2's 5 @ 10.00 (order 2); owner 1 then
# sends a buy. Each mode's outcome can be checked by hand.


def _stp_book(mode: StpMode) -> LimitOrderBook:
    book = _book(mode)
    _rest(book, 1, 1, SELL, "10.00", "5")
    _rest(book, 2, 2, SELL, "10.00", "5")
    return book


def _own_buy(book: LimitOrderBook, qty: str) -> list[LobEvent]:
    return book.submit(3, owner=1, side=BUY, quantity=_q(qty), price=_p("10.00"))


def test_stp_cancel_newest_cancels_the_incoming_order_and_keeps_the_resting_one() -> None:
    book = _stp_book(StpMode.CANCEL_NEWEST)
    events = _own_buy(book, "4")
    assert _fills(events) == []
    assert _cancels(events) == [(3, "4", "0", CancelReason.SELF_TRADE)]
    assert book.orders_at(SELL, _p("10.00")) == [1, 2]


def test_stp_cancel_oldest_cancels_the_resting_order_and_goes_on_matching() -> None:
    book = _stp_book(StpMode.CANCEL_OLDEST)
    events = _own_buy(book, "4")
    assert _cancels(events) == [(1, "5", "0", CancelReason.SELF_TRADE)]
    assert _fills(events) == [(2, "10.00", "4")]
    assert book.orders_at(SELL, _p("10.00")) == [2]


def test_stp_cancel_both_cancels_both_orders() -> None:
    book = _stp_book(StpMode.CANCEL_BOTH)
    events = _own_buy(book, "4")
    assert _cancels(events) == [
        (1, "5", "0", CancelReason.SELF_TRADE),
        (3, "4", "0", CancelReason.SELF_TRADE),
    ]
    assert _fills(events) == []
    assert book.orders_at(SELL, _p("10.00")) == [2]


def test_stp_decrement_and_cancel_shrinks_the_larger_resting_order_in_place() -> None:
    book = _stp_book(StpMode.DECREMENT_AND_CANCEL)
    events = _own_buy(book, "4")
    assert _cancels(events) == [
        (1, "4", "1", CancelReason.SELF_TRADE),
        (3, "4", "0", CancelReason.SELF_TRADE),
    ]
    assert _fills(events) == []
    assert book.orders_at(SELL, _p("10.00")) == [1, 2]
    assert book.queue_position(2).quantity_ahead == _q("1")


def test_stp_decrement_and_cancel_lets_the_larger_incoming_order_go_on_matching() -> None:
    book = _stp_book(StpMode.DECREMENT_AND_CANCEL)
    events = _own_buy(book, "7")
    assert _cancels(events) == [
        (1, "5", "0", CancelReason.SELF_TRADE),
        (3, "5", "2", CancelReason.SELF_TRADE),
    ]
    assert _fills(events) == [(2, "10.00", "2")]


def test_stp_none_lets_an_owner_trade_with_itself() -> None:
    book = _stp_book(StpMode.NONE)
    events = _own_buy(book, "4")
    fill = next(e for e in events if isinstance(e, Execution))
    assert (fill.maker_owner, fill.taker_owner, fill.maker_id) == (1, 1, 1)


def test_the_incoming_orders_own_stp_mode_overrides_the_books() -> None:
    book = _stp_book(StpMode.CANCEL_NEWEST)
    events = book.submit(
        3,
        owner=1,
        side=BUY,
        quantity=_q("4"),
        price=_p("10.00"),
        stp=StpMode.CANCEL_OLDEST,
    )
    assert _fills(events) == [(2, "10.00", "4")]


# --- errors ---------------------------------------------------------------------------------


def test_cancel_of_an_unknown_order_names_it() -> None:
    with pytest.raises(OrderRejected, match="order 42: unknown"):
        _book().cancel(42)


def test_duplicate_live_id_is_refused() -> None:
    book = _book()
    _rest(book, 1, 1, BUY, "10.00", "1")
    with pytest.raises(OrderRejected, match="order 1: id already in use"):
        book.submit(1, owner=2, side=SELL, quantity=_q("1"), price=_p("11.00"))


def test_price_off_the_instruments_tick_is_refused_with_the_numbers() -> None:
    book = LimitOrderBook(INST)
    with pytest.raises(
        OrderRejected, match=r"price 6180025 must be a positive multiple of the tick size 10\b"
    ):
        book.submit(1, owner=1, side=BUY, quantity=Quantity("0.001"), price=Price("61800.25"))


def test_quantity_of_zero_is_refused() -> None:
    with pytest.raises(OrderRejected, match="quantity 0 must be a positive multiple"):
        _book().submit(1, owner=1, side=BUY, quantity=_q("0"), price=_p("1.00"))


def test_price_finer_than_the_precision_is_a_data_error() -> None:
    with pytest.raises(DataError, match="finer than precision 2"):
        _book().submit(1, owner=1, side=BUY, quantity=_q("1"), price=Price("1.005"))


def test_unknown_stp_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="not a valid StpMode"):
        LimitOrderBook(price_precision=2, size_precision=0, stp="cancel-all")  # type: ignore[arg-type]


def test_a_book_needs_an_instrument_or_both_precisions() -> None:
    with pytest.raises(ConfigError, match="both precisions"):
        LimitOrderBook(price_precision=2)


# --- random sequences through the wrapper ---------------------------------------------------

# (kind, owner or target id, side, price in cents or None for market, quantity, tif, stp)
_Op = tuple[str, int, Side, int | None, int, TimeInForce, StpMode]
_OP = st.tuples(
    st.sampled_from(["submit", "submit", "submit", "cancel", "modify"]),
    st.integers(0, 40),
    st.sampled_from([BUY, SELL]),
    st.one_of(st.none(), st.integers(95, 105)),
    st.integers(1, 6),
    st.sampled_from(list(TimeInForce)),
    st.sampled_from([s for s in StpMode if s is not StpMode.NONE]),
)


@settings(max_examples=150, deadline=None)
@given(ops=st.lists(_OP, max_size=60), book_stp=st.sampled_from(list(StpMode)))
def test_random_sequences_never_cross_self_trade_or_lose_quantity(
    ops: list[_Op], book_stp: StpMode
) -> None:
    book = LimitOrderBook(price_precision=2, size_precision=0, stp=book_stp)
    entered = Decimal(0)
    left = Decimal(0)  # 2 x executed + cancelled + modify decreases
    open_qty: dict[int, Decimal] = {}  # oracle: open quantity of every resting order
    for next_id, (kind, who, side, cents, qty, tif, stp) in enumerate(ops):
        if kind == "submit":
            events = book.submit(
                next_id,
                owner=who % 3,
                side=side,
                quantity=Quantity(str(qty), 0),
                price=None if cents is None else Price.from_raw(cents, 2),
                time_in_force=tif,
                stp=stp,
            )
            entered += qty
        elif who not in open_qty:
            with pytest.raises(OrderRejected):
                book.cancel(who)
            continue
        elif kind == "cancel":
            events = book.cancel(who)
        else:
            price = None if cents is None else Price.from_raw(cents, 2)
            events = book.modify(who, price=price, quantity=Quantity(str(qty), 0))
        for e in events:
            if isinstance(e, Execution):
                assert e.maker_owner != e.taker_owner, "self-trade"
                left += 2 * e.size.as_decimal()
                open_qty[e.maker_id] -= e.size.as_decimal()
            elif isinstance(e, Rested):
                open_qty[e.id] = e.leaves.as_decimal()
            elif isinstance(e, Cancelled):
                left += e.cancelled.as_decimal()
                if e.id in open_qty:
                    open_qty[e.id] = e.leaves.as_decimal()
            else:
                change = e.leaves.as_decimal() - open_qty.pop(e.id)
                entered += max(change, Decimal(0))
                left += max(-change, Decimal(0))
                if e.priority_kept:
                    open_qty[e.id] = e.leaves.as_decimal()
            open_qty = {k: v for k, v in open_qty.items() if v > 0}
        bid, ask = book.best_bid(), book.best_ask()
        if bid is not None and ask is not None:
            assert bid.price < ask.price, "book left crossed"
        assert entered == left + sum(open_qty.values(), Decimal(0))
        assert len(book) == len(open_qty)
