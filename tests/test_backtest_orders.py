"""Orders through the engine on small hand-checkable bars and quotes: fill prices and
times, order types and their codes, the events a strategy sees, and the books balancing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ferrox._core import Bar, Fill, OrderEvent, Quote
from ferrox.backtest import Backtest, BacktestResult, Strategy, VenueConfig
from ferrox.model.instrument import Instrument, InstrumentKind
from ferrox.model.schema import BARS_SCHEMA, QUOTES_SCHEMA

INSTRUMENT = "TEST-PERP.SIM"
TEST = Instrument(INSTRUMENT, InstrumentKind.PERPETUAL, "0.01", "0.001", "TEST", "USDT", "USDT")
MINUTE = 60_000_000_000
T0 = 1_704_067_200 * 10**9  # 2024-01-01T00:00:00Z
START = Decimal("100000")


def price(text: str) -> int:
    return int(Decimal(text) * 100)


def bars_frame(ohlc: list[tuple[str, str, str, str]]) -> pl.DataFrame:
    """1-minute bars from decimal text, in the catalog's bar schema."""
    rows = [
        {
            "ts_open": T0 + i * MINUTE,
            "ts_event": T0 + (i + 1) * MINUTE,
            "ts_init": T0 + (i + 1) * MINUTE,
            "open": price(o),
            "high": price(h),
            "low": price(lo),
            "close": price(c),
            "volume": 1_000_000,
        }
        for i, (o, h, lo, c) in enumerate(ohlc)
    ]
    return pl.DataFrame(rows, schema=pl.Schema(BARS_SCHEMA))


def quotes_frame(quotes: list[tuple[str, str, str, str]]) -> pl.DataFrame:
    """Quotes ``(bid, bid_size, ask, ask_size)`` one second apart, in the catalog schema."""
    rows = [
        {
            "ts_event": T0 + i * 10**9,
            "ts_init": T0 + i * 10**9,
            "bid_price": price(b),
            "ask_price": price(a),
            "bid_size": int(Decimal(bs) * 1000),
            "ask_size": int(Decimal(az) * 1000),
            "update_id": i,
        }
        for i, (b, bs, a, az) in enumerate(quotes)
    ]
    return pl.DataFrame(rows, schema=pl.Schema(QUOTES_SCHEMA))


Action = Callable[["Script"], None]


class Script(Strategy):
    """Runs ``actions[n]`` on the n-th bar or quote; records what it is told."""

    def __init__(self, actions: dict[int, Action]) -> None:
        super().__init__()
        self.actions = actions
        self.step = 0
        self.ids: list[int] = []
        self.events: list[tuple[int, str, str]] = []
        self.fills: list[Fill] = []
        self.positions_at_bar: list[Decimal] = []
        self.position_after_fill: list[Decimal] = []
        self.last_close = 0

    def _act(self) -> None:
        action = self.actions.get(self.step)
        self.step += 1
        if action is not None:
            action(self)

    def on_bar(self, bar: Bar) -> None:
        self.last_close = bar.close_raw
        self.positions_at_bar.append(self.position(INSTRUMENT))
        self._act()

    def on_quote(self, quote: Quote) -> None:
        self._act()

    def on_order(self, event: OrderEvent) -> None:
        self.events.append((event.order_id, event.event, event.code))

    def on_fill(self, fill: Fill) -> None:
        self.fills.append(fill)
        self.position_after_fill.append(self.position(INSTRUMENT))

    def order(self, side: str, quantity: str, **kw: Any) -> None:
        self.ids.append(self.submit_order(INSTRUMENT, side, quantity, **kw))

    def events_of(self, order_id: int) -> list[str]:
        return [event for oid, event, _ in self.events if oid == order_id]


def run(
    data: pl.DataFrame, kind: str, actions: dict[int, Action], **venue: Any
) -> tuple[BacktestResult, Script]:
    config = {"maker_fee": "0.0002", "taker_fee": "0.0005", "starting_balance": str(START)}
    backtest = Backtest([TEST], VenueConfig(**{**config, **venue}))
    backtest.add(INSTRUMENT, kind, data)
    script = Script(actions)
    return backtest.run(script), script


def fills_of(result: BacktestResult) -> list[tuple[int, str, str, str, str]]:
    """``(ts, side, price, quantity, liquidity)`` of every fill."""
    columns = ("ts", "side", "price", "quantity", "liquidity")
    return [
        (ts, side, str(Decimal(p)), str(Decimal(q)), liq)
        for ts, side, p, q, liq in result.fills.select(columns).iter_rows()
    ]


def at_close(bar: int) -> int:
    return T0 + (bar + 1) * MINUTE


FLAT = [("100.00", "100.50", "99.50", "100.00")] * 4


# ---- bars --------------------------------------------------------------------


def test_a_market_order_on_bars_fills_at_the_next_bars_open() -> None:
    bars = bars_frame([FLAT[0], ("101.25", "102.00", "101.00", "101.50"), FLAT[0]])
    result, _ = run(bars, "bars", {0: lambda s: s.order("BUY", "2")})
    # The fill is stamped when the venue sees that bar (its close).
    assert fills_of(result) == [(at_close(1), "BUY", "101.25", "2.000", "TAKER")]


def test_a_limit_buy_fills_at_its_limit_when_the_low_reaches_it() -> None:
    bars = bars_frame([FLAT[0], ("100.00", "100.40", "98.90", "99.50"), FLAT[0]])
    action = {0: lambda s: s.order("BUY", "1", order_type="LIMIT", price="99.00")}
    result, _ = run(bars, "bars", action)
    assert fills_of(result) == [(at_close(1), "BUY", "99.00", "1.000", "MAKER")]


def test_a_limit_buy_fills_at_the_open_when_the_bar_gaps_through_it() -> None:
    bars = bars_frame([FLAT[0], ("98.00", "98.50", "97.00", "98.20"), FLAT[0]])
    action = {0: lambda s: s.order("BUY", "1", order_type="LIMIT", price="99.00")}
    result, _ = run(bars, "bars", action)
    assert fills_of(result) == [(at_close(1), "BUY", "98.00", "1.000", "MAKER")]


def test_a_limit_buy_the_low_does_not_reach_stays_open() -> None:
    bars = bars_frame([FLAT[0], ("100.00", "100.40", "99.01", "99.50")])
    action = {0: lambda s: s.order("BUY", "1", order_type="LIMIT", price="99.00")}
    result, script = run(bars, "bars", action)
    assert result.fills.height == 0
    assert script.events_of(script.ids[0])[-1] == "ACCEPTED"


def test_a_limit_sell_fills_at_its_limit_when_the_high_reaches_it() -> None:
    bars = bars_frame([FLAT[0], ("100.00", "101.10", "99.90", "100.70"), FLAT[0]])
    action = {0: lambda s: s.order("SELL", "1", order_type="LIMIT", price="101.00")}
    result, _ = run(bars, "bars", action)
    assert fills_of(result) == [(at_close(1), "SELL", "101.00", "1.000", "MAKER")]


def test_a_buy_stop_market_triggers_at_its_trigger_and_fills_there() -> None:
    bars = bars_frame([FLAT[0], ("100.00", "101.60", "99.80", "101.40"), FLAT[0]])
    action = {0: lambda s: s.order("BUY", "1", order_type="STOP_MARKET", trigger_price="101.00")}
    result, script = run(bars, "bars", action)
    assert fills_of(result) == [(at_close(1), "BUY", "101.00", "1.000", "TAKER")]
    assert "TRIGGERED" in script.events_of(script.ids[0])


def test_a_buy_stop_market_fills_at_the_open_on_a_gap_above_the_trigger() -> None:
    bars = bars_frame([FLAT[0], ("102.00", "102.50", "101.80", "102.10"), FLAT[0]])
    action = {0: lambda s: s.order("BUY", "1", order_type="STOP_MARKET", trigger_price="101.00")}
    result, _ = run(bars, "bars", action)
    assert fills_of(result) == [(at_close(1), "BUY", "102.00", "1.000", "TAKER")]


def test_a_sell_stop_market_not_reached_does_not_trigger() -> None:
    bars = bars_frame([FLAT[0], FLAT[0], FLAT[0]])
    action = {0: lambda s: s.order("SELL", "1", order_type="STOP_MARKET", trigger_price="99.00")}
    result, script = run(bars, "bars", action)
    assert result.fills.height == 0
    assert "TRIGGERED" not in script.events_of(script.ids[0])


def test_an_order_cancelled_before_it_fills_is_cancelled_and_never_fills() -> None:
    bars = bars_frame([FLAT[0], FLAT[0], ("99.00", "99.50", "97.00", "98.00"), FLAT[0]])
    actions: dict[int, Action] = {
        0: lambda s: s.order("BUY", "1", order_type="LIMIT", price="98.50"),
        1: lambda s: s.cancel(s.ids[0]),
    }
    result, script = run(bars, "bars", actions)
    assert result.fills.height == 0
    assert script.events_of(script.ids[0])[-1] == "CANCELLED"


def test_a_reduce_only_order_that_would_open_a_position_is_denied() -> None:
    bars = bars_frame(FLAT)
    actions: dict[int, Action] = {0: lambda s: s.order("SELL", "1", reduce_only=True)}
    result, script = run(bars, "bars", actions)
    assert result.fills.height == 0
    assert (script.ids[0], "DENIED", "REDUCE_ONLY_WOULD_INCREASE") in script.events


def test_a_reduce_only_order_larger_than_the_position_is_denied() -> None:
    bars = bars_frame(FLAT)
    actions: dict[int, Action] = {
        0: lambda s: s.order("BUY", "1"),
        2: lambda s: s.order("SELL", "2", reduce_only=True),
    }
    result, script = run(bars, "bars", actions)
    assert (script.ids[1], "DENIED", "REDUCE_ONLY_WOULD_INCREASE") in script.events
    assert result.fills.height == 1


def test_a_reduce_only_order_within_the_position_fills() -> None:
    bars = bars_frame(FLAT)
    actions: dict[int, Action] = {
        0: lambda s: s.order("BUY", "2"),
        2: lambda s: s.order("SELL", "1.5", reduce_only=True),
    }
    result, _ = run(bars, "bars", actions)
    assert [f[1:4] for f in fills_of(result)] == [
        ("BUY", "100.00", "2.000"),
        ("SELL", "100.00", "1.500"),
    ]


def test_the_strategy_sees_every_order_event() -> None:
    bars = bars_frame([*FLAT, ("99.00", "99.50", "97.00", "98.00"), FLAT[0]])

    def four_orders(s: Script) -> None:
        s.order("BUY", "1")
        s.order("BUY", "1", order_type="LIMIT", price="98.00")
        s.order("SELL", "1", order_type="LIMIT", price="120.00")
        s.order("SELL", "1", reduce_only=True, order_type="LIMIT", price="150.00")

    actions: dict[int, Action] = {0: four_orders, 1: lambda s: s.cancel(s.ids[2])}
    result, script = run(bars, "bars", actions)
    logged = result.orders.select("order_id", "event", "code").rows()
    assert script.events == logged
    assert {e for _, e, _ in logged} >= {"SUBMITTED", "ACCEPTED", "FILLED", "CANCELLED", "DENIED"}


@pytest.mark.xfail(
    strict=True,
    reason="engine bug: run.rs dispatch() calls on_bar before draining the fill the venue "
    "made at that bar's open, even with zero ack latency",
)
def test_a_fill_at_a_bars_open_is_known_when_that_bar_closes() -> None:
    bars = bars_frame(FLAT)
    result, script = run(bars, "bars", {0: lambda s: s.order("BUY", "1")})
    assert result.fills.height == 1
    assert script.positions_at_bar == [Decimal(0), Decimal(1), Decimal(1), Decimal(1)]


# ---- quotes --------------------------------------------------------------------

QUOTES = [("100.00", "2", "100.10", "3")] * 3


def test_a_post_only_buy_that_would_take_the_ask_is_rejected_with_its_code() -> None:
    action = {0: lambda s: s.order("BUY", "1", order_type="LIMIT", price="100.10", post_only=True)}
    result, script = run(quotes_frame(QUOTES), "quotes", action)
    assert result.fills.height == 0
    assert (script.ids[0], "REJECTED", "POST_ONLY_WOULD_TAKE") in script.events


def test_a_post_only_buy_below_the_ask_rests() -> None:
    action = {0: lambda s: s.order("BUY", "1", order_type="LIMIT", price="100.05", post_only=True)}
    result, script = run(quotes_frame(QUOTES), "quotes", action)
    assert result.fills.height == 0
    assert script.events_of(script.ids[0])[-1] == "ACCEPTED"


def test_an_ioc_buy_takes_what_the_ask_shows_and_cancels_the_rest() -> None:
    action = {
        0: lambda s: s.order("BUY", "5", order_type="LIMIT", price="100.10", time_in_force="IOC")
    }
    result, script = run(quotes_frame(QUOTES), "quotes", action)
    assert [f[1:] for f in fills_of(result)] == [("BUY", "100.10", "3.000", "TAKER")]
    assert script.events_of(script.ids[0])[-1] == "CANCELLED"


def test_a_fok_buy_larger_than_the_ask_is_cancelled_without_a_fill() -> None:
    action = {
        0: lambda s: s.order("BUY", "5", order_type="LIMIT", price="100.10", time_in_force="FOK")
    }
    result, script = run(quotes_frame(QUOTES), "quotes", action)
    assert result.fills.height == 0
    assert script.events_of(script.ids[0])[-1] == "CANCELLED"


def test_a_fok_sell_within_the_bid_fills_whole() -> None:
    action = {
        0: lambda s: s.order("SELL", "2", order_type="LIMIT", price="99.90", time_in_force="FOK")
    }
    result, _ = run(quotes_frame(QUOTES), "quotes", action)
    assert [f[1:] for f in fills_of(result)] == [("SELL", "100.00", "2.000", "TAKER")]


# ---- balances (hypothesis) ------------------------------------------------------

ORDER = st.tuples(
    st.integers(0, 7),  # bar
    st.sampled_from(["BUY", "SELL"]),
    st.integers(1, 3_000).map(lambda q: str(Decimal(q).scaleb(-3))),
    st.one_of(st.none(), st.integers(-150, 150)),  # limit offset from the close, cents
    st.booleans(),  # reduce-only
)


@st.composite
def random_bars(draw: st.DrawFn) -> list[tuple[str, str, str, str]]:
    closes = draw(st.lists(st.integers(9_500, 10_500), min_size=10, max_size=10))
    rows = []
    previous = 10_000
    for close in closes:
        low = min(previous, close) - draw(st.integers(0, 200))
        high = max(previous, close) + draw(st.integers(0, 200))
        rows.append(tuple(str(Decimal(v).scaleb(-2)) for v in (previous, high, low, close)))
        previous = close
    return rows  # type: ignore[return-value]


def _submit(s: Script, side: str, quantity: str, offset: int | None, reduce: bool) -> None:
    if offset is None:
        s.order(side, quantity, reduce_only=reduce)
        return
    close = s.last_close
    s.order(
        side,
        quantity,
        order_type="LIMIT",
        price=str(Decimal(close + offset).scaleb(-2)),
        reduce_only=reduce,
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bars=random_bars(), orders=st.lists(ORDER, max_size=12))
def test_position_is_the_sum_of_fills_and_equity_reconciles(
    bars: list[tuple[str, str, str, str]], orders: list[tuple[int, str, str, int | None, bool]]
) -> None:
    actions: dict[int, list[tuple[str, str, int | None, bool]]] = {}
    for bar, side, quantity, offset, reduce in orders:
        actions.setdefault(bar, []).append((side, quantity, offset, reduce))

    def make(todo: list[tuple[str, str, int | None, bool]]) -> Action:
        def act(s: Script) -> None:
            for args in todo:
                _submit(s, *args)

        return act

    backtest = Backtest(
        [TEST],
        VenueConfig(maker_fee="0.0002", taker_fee="0.0005", starting_balance=str(START)),
    )
    backtest.add(INSTRUMENT, "bars", bars_frame(bars))
    script = Script({k: make(v) for k, v in actions.items()})
    result = backtest.run(script)

    # After every fill the strategy's position is the signed sum of the fills so far.
    running = Decimal(0)
    for fill, seen in zip(script.fills, script.position_after_fill, strict=True):
        running += (1 if fill.side == "BUY" else -1) * Decimal(fill.quantity_raw).scaleb(-3)
        assert seen == running
    signed = sum(
        (
            (1 if side == "BUY" else -1) * Decimal(q)
            for side, q in result.fills.select("side", "quantity").iter_rows()
        ),
        Decimal(0),
    )
    assert Decimal(repr(float(result.positions["quantity"].sum()))) == signed

    # Exact oracle: cash flows of the fills minus fees, plus the position at the last close.
    cash = START
    for side, p, q, fee in result.fills.select("side", "price", "quantity", "fee").iter_rows():
        cash -= (1 if side == "BUY" else -1) * Decimal(p) * Decimal(q) + Decimal(fee)
    last_close = Decimal(bars[-1][3])
    expected_equity = cash + signed * last_close
    balance = Decimal(dict(result.account.iter_rows())["USDT"])
    positions = result.positions.row(0, named=True)
    realized = Decimal(repr(positions["realized_pnl"]))
    unrealized = Decimal(repr(positions["unrealized_pnl"]))
    fees = Decimal(repr(positions["fees"]))
    cent = Decimal("0.01")
    assert (START + realized + unrealized - fees).quantize(cent) == expected_equity.quantize(cent)
    assert (balance + unrealized).quantize(cent) == expected_equity.quantize(cent)
    assert Decimal(repr(result.equity["equity"][-1])).quantize(cent) == expected_equity.quantize(
        cent
    )
