"""Brackets, OCO, OTO and TWAP through the engine on small hand-checkable 1-minute bars:
which orders work when, what fills at which price, and what the strategy is told."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from ferrox._core import Bar, Fill, OrderEvent
from ferrox.backtest import Backtest, BacktestResult, Strategy, VenueConfig
from ferrox.backtest.strategy import BracketIds, OrderSpec
from ferrox.errors import ConfigError
from ferrox.model.instrument import Instrument, InstrumentKind
from ferrox.model.schema import BARS_SCHEMA
from ferrox.risk.pretrade import RiskConfig

INSTRUMENT = "TEST-PERP.SIM"
TEST = Instrument(INSTRUMENT, InstrumentKind.PERPETUAL, "0.01", "0.001", "TEST", "USDT", "USDT")
MINUTE = 60_000_000_000
T0 = 1_704_067_200 * 10**9  # 2024-01-01T00:00:00Z

Ohlc = tuple[str, str, str, str]
FLAT: Ohlc = ("100.00", "100.50", "99.50", "100.00")


def bars_frame(ohlc: list[Ohlc]) -> pl.DataFrame:
    """1-minute bars from decimal text, in the catalog's bar schema."""
    rows = [
        {
            "ts_open": T0 + i * MINUTE,
            "ts_event": T0 + (i + 1) * MINUTE,
            "ts_init": T0 + (i + 1) * MINUTE,
            "open": int(Decimal(o) * 100),
            "high": int(Decimal(h) * 100),
            "low": int(Decimal(lo) * 100),
            "close": int(Decimal(c) * 100),
            "volume": 1_000_000,
        }
        for i, (o, h, lo, c) in enumerate(ohlc)
    ]
    return pl.DataFrame(rows, schema=pl.Schema(BARS_SCHEMA))


def at_close(bar: int) -> int:
    return T0 + (bar + 1) * MINUTE


Action = Callable[["Script"], None]


class Script(Strategy):
    """Runs ``actions[n]`` on the n-th bar; records every event, fill and timer it gets."""

    def __init__(self, actions: dict[int, Action]) -> None:
        super().__init__()
        self.actions = actions
        self.step = 0
        self.bracket: BracketIds | None = None
        self.ids: list[int] = []
        self.twap_id = 0
        self.events: list[tuple[int, str, str]] = []
        self.fills: list[Fill] = []
        self.timers: list[int] = []

    def on_bar(self, bar: Bar) -> None:
        action = self.actions.get(self.step)
        self.step += 1
        if action is not None:
            action(self)

    def on_order(self, event: OrderEvent) -> None:
        self.events.append((event.order_id, event.event, event.code))

    def on_fill(self, fill: Fill) -> None:
        self.fills.append(fill)

    def on_timer(self, timer_id: int) -> None:
        self.timers.append(timer_id)

    def events_of(self, order_id: int) -> list[str]:
        return [event for oid, event, _ in self.events if oid == order_id]

    def index_of(self, order_id: int, event: str) -> int:
        """Position of an order's event in the strategy's event stream."""
        return self.events.index(next(e for e in self.events if e[:2] == (order_id, event)))


def run(
    ohlc: list[Ohlc], actions: dict[int, Action], *, risk: RiskConfig | None = None
) -> tuple[BacktestResult, Script]:
    venue = VenueConfig(maker_fee="0", taker_fee="0", starting_balance="100000")
    backtest = Backtest([TEST], venue, risk=risk)
    backtest.add(INSTRUMENT, "bars", bars_frame(ohlc))
    script = Script(actions)
    return backtest.run(script), script


def fills_of(result: BacktestResult) -> list[tuple[int, int, str, str, str]]:
    """``(order_id, ts, side, price, quantity)`` of every fill, exact."""
    columns = ("client_order_id", "ts", "side", "price", "quantity")
    return [
        (int(oid), ts, side, str(Decimal(p)), str(Decimal(q)))
        for oid, ts, side, p, q in result.fills.select(columns).iter_rows()
    ]


def long_bracket(s: Script, **kw: Any) -> None:
    s.bracket = s.submit_bracket(INSTRUMENT, "BUY", "1", "102.00", "98.00", **kw)


# ---- brackets -------------------------------------------------------------------


def test_a_bracket_whose_take_profit_fills_cancels_its_stop_loss() -> None:
    ohlc = [
        FLAT,
        FLAT,  # the entry fills at this open
        ("100.00", "103.00", "99.50", "102.50"),  # take-profit reached
        ("102.00", "102.50", "97.00", "97.00"),  # the stop would trigger here
    ]
    result, s = run(ohlc, {0: long_bracket})
    assert s.bracket is not None
    entry, tp, sl = s.bracket
    assert fills_of(result) == [
        (entry, at_close(1), "BUY", "100.00", "1.000"),
        (tp, at_close(2), "SELL", "102.00", "1.000"),
    ]
    assert s.events_of(sl)[-1] == "CANCELLED"
    assert "FILLED" not in s.events_of(sl)


def test_a_bracket_whose_stop_loss_fills_cancels_its_take_profit() -> None:
    ohlc = [
        FLAT,
        FLAT,
        ("100.00", "100.50", "97.00", "97.50"),  # stop triggered at 98.00
        ("97.50", "103.00", "97.50", "102.50"),  # the take-profit would fill here
    ]
    result, s = run(ohlc, {0: long_bracket})
    assert s.bracket is not None
    entry, tp, sl = s.bracket
    assert fills_of(result) == [
        (entry, at_close(1), "BUY", "100.00", "1.000"),
        (sl, at_close(2), "SELL", "98.00", "1.000"),
    ]
    assert s.events_of(tp)[-1] == "CANCELLED"
    assert "FILLED" not in s.events_of(tp)


def test_a_bar_reaching_both_exits_fills_only_one_of_them() -> None:
    ohlc = [FLAT, FLAT, ("100.00", "103.00", "97.00", "100.00"), FLAT]
    result, s = run(ohlc, {0: long_bracket})
    assert s.bracket is not None
    _, tp, sl = s.bracket
    exits = [f for f in fills_of(result) if f[0] in (tp, sl)]
    assert len(exits) == 1
    assert sorted([s.events_of(tp)[-1], s.events_of(sl)[-1]]) == ["CANCELLED", "FILLED"]
    assert (
        sum(Decimal(q) if side == "BUY" else -Decimal(q) for _, _, side, _, q in fills_of(result))
        == 0
    )


def test_bracket_exits_are_held_until_the_entry_fills() -> None:
    # The take-profit's price is reached on bar 1, before the limit entry fills on bar 2.
    ohlc = [
        FLAT,
        ("100.00", "102.50", "99.50", "100.00"),
        ("99.50", "99.80", "98.90", "99.50"),
        FLAT,
    ]
    result, s = run(ohlc, {0: lambda s: long_bracket(s, entry_price="99.00")})
    assert s.bracket is not None
    entry, tp, sl = s.bracket
    assert fills_of(result) == [(entry, at_close(2), "BUY", "99.00", "1.000")]
    # Released only once the entry's fill was known, never before.
    assert s.index_of(tp, "SUBMITTED") > s.index_of(entry, "FILLED")
    assert s.index_of(sl, "SUBMITTED") > s.index_of(entry, "FILLED")
    assert s.events_of(tp)[-1] == s.events_of(sl)[-1] == "ACCEPTED"


def test_a_cancelled_bracket_entry_cancels_its_exits_which_never_work() -> None:
    ohlc = [FLAT, FLAT, FLAT, ("100.00", "103.00", "97.00", "100.00")]
    actions: dict[int, Action] = {
        0: lambda s: long_bracket(s, entry_price="99.00"),
        1: lambda s: s.cancel(s.bracket.entry if s.bracket else 0),
    }
    result, s = run(ohlc, actions)
    assert s.bracket is not None
    entry, tp, sl = s.bracket
    assert result.fills.height == 0
    assert s.events_of(entry)[-1] == "CANCELLED"
    assert s.events_of(tp) == ["CANCELLED"]
    assert s.events_of(sl) == ["CANCELLED"]


def test_a_bracket_entry_denied_by_risk_leaves_no_working_exit() -> None:
    risk = RiskConfig.from_dict({"max_order_notional": "50"})
    open_after: list[list[int]] = []

    def later(s: Script) -> None:
        open_after.append(s.open_orders())

    ohlc = [FLAT, FLAT, ("100.00", "103.00", "97.00", "100.00"), FLAT]
    result, s = run(ohlc, {0: lambda s: long_bracket(s, entry_price="99.00"), 2: later}, risk=risk)
    assert s.bracket is not None
    entry, tp, sl = s.bracket
    assert s.events_of(entry) == ["DENIED"]
    assert s.events_of(tp) == ["CANCELLED"]
    assert s.events_of(sl) == ["CANCELLED"]
    assert open_after == [[]]
    assert result.fills.height == 0


def test_a_bracket_with_prices_on_the_wrong_sides_is_refused() -> None:
    errors: list[str] = []

    def bad(s: Script) -> None:
        with pytest.raises(ConfigError) as info:
            s.submit_bracket(INSTRUMENT, "BUY", "1", "98.00", "102.00")
        errors.append(str(info.value))

    run([FLAT, FLAT], {0: bad})
    assert len(errors) == 1
    assert "bracket" in errors[0]


# ---- OCO and OTO ----------------------------------------------------------------


def test_an_oco_member_that_fills_cancels_the_other() -> None:
    ohlc = [
        FLAT,
        ("100.00", "100.50", "97.50", "99.00"),  # the buy limit at 98 fills
        ("99.00", "103.00", "99.00", "102.50"),  # the buy stop at 102 would trigger
    ]

    def oco(s: Script) -> None:
        s.ids = s.submit_oco(
            [
                OrderSpec(INSTRUMENT, "BUY", "1", "LIMIT", price="98.00"),
                OrderSpec(INSTRUMENT, "BUY", "1", "STOP_MARKET", trigger_price="102.00"),
            ]
        )

    result, s = run(ohlc, {0: oco})
    dip, breakout = s.ids
    assert fills_of(result) == [(dip, at_close(1), "BUY", "98.00", "1.000")]
    assert s.events_of(breakout)[-1] == "CANCELLED"
    assert "TRIGGERED" not in s.events_of(breakout)


def test_an_oto_child_works_only_after_its_parent_fills() -> None:
    ohlc = [
        FLAT,
        ("100.00", "101.50", "99.50", "100.00"),  # child's price reached, parent not filled
        ("99.00", "99.50", "97.50", "98.50"),  # the parent fills at 98
        ("98.50", "101.50", "98.50", "101.00"),  # the child fills at 101
    ]

    def oto(s: Script) -> None:
        parent, children = s.submit_oto(
            OrderSpec(INSTRUMENT, "BUY", "1", "LIMIT", price="98.00"),
            [OrderSpec(INSTRUMENT, "SELL", "1", "LIMIT", price="101.00")],
        )
        s.ids = [parent, *children]

    result, s = run(ohlc, {0: oto})
    parent, child = s.ids
    assert fills_of(result) == [
        (parent, at_close(2), "BUY", "98.00", "1.000"),
        (child, at_close(3), "SELL", "101.00", "1.000"),
    ]
    assert s.index_of(child, "SUBMITTED") > s.index_of(parent, "FILLED")


# ---- TWAP -----------------------------------------------------------------------


def rising(n: int) -> list[Ohlc]:
    """Bars opening at 100, 101, 102, ...: every open is distinct."""
    return [(f"{100 + k}.00", f"{100 + k}.50", f"{99 + k}.50", f"{100 + k}.25") for k in range(n)]


def start_twap(s: Script) -> None:
    s.twap_id = s.twap(INSTRUMENT, "BUY", "1.001", 4 * MINUTE, slices=4)


def test_a_twap_sends_its_slices_on_time_adding_up_exactly_to_the_quantity() -> None:
    result, _ = run(rising(7), {0: start_twap})
    fills = fills_of(result)
    # Started at bar 0's close (T0 + 1m): slices due at T0 + 1m, 2m, 3m, 4m, each filling
    # at the open of the bar opening then (bars 1..4), stamped at that bar's close.
    lots = 1001
    sizes = [Decimal(lots * (i + 1) // 4 - lots * i // 4) / 1000 for i in range(4)]
    assert [(ts, side, price) for _, ts, side, price, _ in fills] == [
        (at_close(k), "BUY", f"{100 + k}.00") for k in range(1, 5)
    ]
    assert [Decimal(q) for *_, q in fills] == sizes
    assert sum(Decimal(q) for *_, q in fills) == Decimal("1.001")
    assert max(sizes) - min(sizes) <= Decimal("0.001")


def test_twap_wakeups_never_reach_the_strategys_on_timer() -> None:
    _, s = run(rising(7), {0: start_twap})
    assert s.timers == []


def test_the_strategy_sees_every_order_event_of_contingencies_and_twaps() -> None:
    actions: dict[int, Action] = {0: start_twap, 1: long_bracket}
    result, s = run(rising(8), actions)
    logged = result.orders.select("order_id", "event", "code").rows()
    assert s.events == logged
    assert {e for _, e, _ in logged} >= {"SUBMITTED", "FILLED", "CANCELLED"}


def test_a_twap_child_fills_reach_on_fill() -> None:
    result, s = run(rising(7), {0: start_twap})
    assert [(f.order_id, f.price_raw, f.quantity_raw) for f in s.fills] == [
        (oid, int(Decimal(p) * 100), int(Decimal(q) * 1000)) for oid, _, _, p, q in fills_of(result)
    ]


def test_a_cancelled_twap_sends_no_further_slice() -> None:
    actions: dict[int, Action] = {0: start_twap, 2: lambda s: s.cancel_twap(s.twap_id)}
    result, _ = run(rising(7), actions)
    # Slices at T0 + 1m and 2m went out before the cancel at bar 2's close (T0 + 3m).
    assert [ts for _, ts, *_ in fills_of(result)] == [at_close(1), at_close(2)]


def test_a_twap_needs_exactly_one_of_slices_and_interval() -> None:
    errors: list[str] = []

    def bad(s: Script) -> None:
        with pytest.raises(ConfigError) as info:
            s.twap(INSTRUMENT, "BUY", "1", 4 * MINUTE, slices=4, interval_ns=MINUTE)
        errors.append(str(info.value))

    run([FLAT, FLAT], {0: bad})
    assert len(errors) == 1
