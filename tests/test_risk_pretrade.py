"""Pre-trade risk controls in a backtest: for every control an order that
breaks it is denied with its reason code (the strategy sees ``DENIED``, the
venue never sees the order) and a compliant one passes; the kill switch; loss
limits moving the account to reducing then halted.

Synthetic 1-minute bars, prices at 2 decimals, sizes at 3, quoted in USDT, no
fees, so every number can be checked by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from ferrox import _core
from ferrox.backtest import Strategy
from ferrox.errors import ConfigError
from ferrox.model.instrument import Instrument, InstrumentKind
from ferrox.risk.pretrade import RiskConfig, RiskLimits, risk_config_to_engine

AAA, BBB, CCC = "AAA-PERP.SIM", "BBB-PERP.SIM", "CCC-PERP.SIM"
IDS = [AAA, BBB, CCC]
MINUTE = 60_000_000_000
T0 = 1_700_000_000_000_000_000

Action = Callable[["Scripted"], None]


class Scripted(Strategy):
    """Runs ``script[k]`` on the k-th bar of AAA (1-based); records order events."""

    def __init__(self, script: dict[int, Action]) -> None:
        super().__init__()
        self.script = script
        self.bar = 0
        self.events: list[tuple[int, str, str, str]] = []
        self.timer_actions: list[Action] = []
        self.states: list[str] = []
        self.ids: dict[str, int] = {}

    def on_bar(self, bar: Any) -> None:
        if bar.instrument != 0:
            return
        self.bar += 1
        action = self.script.get(self.bar)
        if action is not None:
            action(self)
        self.states.append(self.risk_state("account"))

    def on_timer(self, timer_id: int) -> None:
        while self.timer_actions:
            self.timer_actions.pop(0)(self)

    def on_order(self, event: Any) -> None:
        self.events.append((event.order_id, event.event, event.code, event.message))

    def seen(self, order_id: int) -> list[str]:
        """Event names the strategy saw for one order."""
        return [e for i, e, _, _ in self.events if i == order_id]

    def denial(self, order_id: int) -> str:
        """The reason code of the order's denial, or '' if it was not denied."""
        return next((c for i, e, c, _ in self.events if i == order_id and e == "DENIED"), "")


def _instrument(inst_id: str) -> Instrument:
    return Instrument(
        id=inst_id,
        kind=InstrumentKind.PERPETUAL,
        price_increment="0.01",
        size_increment="0.001",
        base_currency=inst_id.split("-")[0],
        quote_currency="USDT",
        settlement_currency="USDT",
    )


def run(
    script: dict[int, Action],
    risk: RiskConfig | None,
    *,
    closes: Sequence[str] = ("100",) * 8,
    balance: str = "100000",
) -> tuple[Scripted, Any]:
    """A backtest over AAA and BBB bars (CCC has no data) under ``risk``."""
    engine = _core.BacktestEngine(
        [2, 2, 2],
        [3, 3, 3],
        ["USDT"] * 3,
        [None] * 3,
        ["0"] * 3,
        ["0"] * 3,
        base_currency="USDT",
        starting_balances=[("USDT", balance)],
        risk=None if risk is None else risk_config_to_engine(risk, IDS),
    )
    close = np.array([int(Decimal(c) * 100) for c in closes], dtype=np.int64)
    opens = np.concatenate([close[:1], close[:-1]])
    n = len(close)
    ts_open = T0 + MINUTE * np.arange(n, dtype=np.int64)
    ts_close = ts_open + MINUTE
    volume = np.full(n, 1_000_000, dtype=np.int64)
    for i in (0, 1):
        engine.add_bars(
            i,
            ts_open,
            ts_close,
            opens,
            np.maximum(opens, close),
            np.minimum(opens, close),
            close,
            volume,
        )
    strategy = Scripted(script)
    strategy._attach([_instrument(i) for i in IDS])
    engine.run(strategy)
    return strategy, engine


def venue_saw(engine: Any, order_id: int) -> bool:
    """Whether any venue answer (accepted, rejected, filled) exists for the order."""
    ev = engine.order_events()
    venue = {"ACCEPTED", "REJECTED", "FILLED", "PARTIALLY_FILLED", "CANCELLED", "EXPIRED"}
    return any(
        int(i) == order_id and e in venue for i, e in zip(ev["order_id"], ev["event"], strict=True)
    )


def order(
    side: str,
    qty: str,
    price: str | None = None,
    inst: str = AAA,
    name: str = "",
    **kw: Any,
) -> Action:
    def act(s: Scripted) -> None:
        oid = (s.buy if side == "BUY" else s.sell)(inst, qty, price, **kw)
        s.ids[name or f"o{len(s.ids)}"] = oid

    return act


def seq(*actions: Action) -> Action:
    def act(s: Scripted) -> None:
        for a in actions:
            a(s)

    return act


def assert_denied(strategy: Scripted, engine: Any, name: str, code: str) -> None:
    oid = strategy.ids[name]
    assert strategy.denial(oid) == code
    assert strategy.seen(oid) == ["DENIED"]
    assert not venue_saw(engine, oid)


def assert_passed(strategy: Scripted, engine: Any, name: str) -> None:
    oid = strategy.ids[name]
    assert strategy.denial(oid) == ""
    assert "ACCEPTED" in strategy.seen(oid)
    assert venue_saw(engine, oid)


# (control, limits per scope, orders on bar 2 (the last one breaks the control),
#  the compliant order on bar 3)
Case = tuple[str, RiskConfig, list[Action], Action, str]


def acct(**kw: Any) -> RiskConfig:
    return RiskConfig(account=RiskLimits(**kw))


def inst(**kw: Any) -> RiskConfig:
    return RiskConfig(instruments={AAA: RiskLimits(**kw)})


CASES: list[Case] = [
    (
        "max_order_quantity",
        acct(max_order_quantity="1"),
        [order("BUY", "1.001", "99", name="bad")],
        order("BUY", "1", "99", name="good"),
        "MAX_ORDER_QUANTITY",
    ),
    (
        "min_order_quantity",
        acct(min_order_quantity="0.01"),
        [order("BUY", "0.009", "99", name="bad")],
        order("BUY", "0.01", "99", name="good"),
        "MIN_ORDER_QUANTITY",
    ),
    (
        "max_order_notional",
        acct(max_order_notional="1000"),
        [order("BUY", "10.102", "99", name="bad")],  # 1,000.098
        order("BUY", "10.101", "99", name="good"),  # 999.999
        "MAX_ORDER_NOTIONAL",
    ),
    (
        "min_order_notional",
        acct(min_order_notional="50"),
        [order("BUY", "0.5", "99", name="bad")],  # 49.5
        order("BUY", "0.506", "99", name="good"),  # 50.094
        "MIN_ORDER_NOTIONAL",
    ),
    (
        "tick_size",
        inst(tick_size="0.05"),
        [order("BUY", "1", "99.03", name="bad")],
        order("BUY", "1", "99.05", name="good"),
        "TICK_SIZE",
    ),
    (
        "lot_size",
        inst(lot_size="0.01"),
        [order("BUY", "0.015", "99", name="bad")],
        order("BUY", "0.02", "99", name="good"),
        "LOT_SIZE",
    ),
    (
        "price_band_pct",
        inst(price_band_pct="5"),
        [order("BUY", "1", "94.99", name="bad")],
        order("BUY", "1", "95", name="good"),
        "PRICE_COLLAR",
    ),
    (
        "price_band_ticks",
        inst(tick_size="0.1", price_band_ticks=10),
        [order("SELL", "1", "101.1", name="bad")],
        order("SELL", "1", "101", name="good"),
        "PRICE_COLLAR",
    ),
    (
        "price_band_reference",
        inst(price_reference="reference", reference_price="90", price_band_pct="5"),
        [order("BUY", "1", "95", name="bad")],
        order("BUY", "1", "94.5", name="good"),
        "PRICE_COLLAR",
    ),
    (
        "fat_finger_pct",
        inst(fat_finger_pct="2"),
        [order("BUY", "1", "102.01", name="bad")],
        order("BUY", "1", "102", name="good"),
        "FAT_FINGER",
    ),
    (
        "no_reference_price",
        RiskConfig(instruments={CCC: RiskLimits(price_band_pct="5")}),
        [order("BUY", "1", "99", inst=CCC, name="bad")],
        order("BUY", "1", "99", name="good"),
        "NO_REFERENCE_PRICE",
    ),
    (
        "max_long_quantity",
        inst(max_long_quantity="1"),
        [order("BUY", "0.6", "99"), order("BUY", "0.6", "98", name="bad")],
        order("BUY", "0.4", "98", name="good"),
        "MAX_LONG_QUANTITY",
    ),
    (
        "max_short_quantity",
        acct(max_short_quantity="1"),
        [order("SELL", "0.6", "101"), order("SELL", "0.5", "102", name="bad")],
        order("SELL", "0.4", "102", name="good"),
        "MAX_SHORT_QUANTITY",
    ),
    (
        "max_long_notional",
        acct(max_long_notional="100"),
        [order("BUY", "1.2", "90", name="bad")],  # 108
        order("BUY", "1.1", "90", name="good"),  # 99
        "MAX_LONG_NOTIONAL",
    ),
    (
        "max_short_notional",
        acct(max_short_notional="100"),
        [order("SELL", "1", "101", name="bad")],  # 101
        order("SELL", "0.99", "101", name="good"),  # 99.99
        "MAX_SHORT_NOTIONAL",
    ),
    (
        "max_gross_exposure",
        acct(max_gross_exposure="150"),
        [order("BUY", "1", "99"), order("SELL", "0.6", "101", inst=BBB, name="bad")],
        order("SELL", "0.5", "101", inst=BBB, name="good"),  # 99 + 50.5
        "MAX_GROSS_EXPOSURE",
    ),
    (
        "max_net_exposure",
        RiskConfig(strategies={0: RiskLimits(max_net_exposure="150")}),
        [order("BUY", "1", "99"), order("BUY", "0.6", "99", inst=BBB, name="bad")],
        order("SELL", "2", "101", inst=BBB, name="good"),  # net 99 - 202
        "MAX_NET_EXPOSURE",
    ),
    (
        "duplicate_window_ms",
        acct(duplicate_window_ms=1000),
        [order("BUY", "1", "99"), order("BUY", "1", "99", name="bad")],
        order("BUY", "1", "99", name="good"),  # a minute later
        "DUPLICATE_ORDER",
    ),
    (
        "self_trade_prevention",
        acct(self_trade_prevention=True),
        [order("SELL", "1", "101"), order("BUY", "1", "101", name="bad")],
        order("BUY", "1", "99", name="good"),
        "SELF_TRADE",
    ),
    (
        "max_orders_per_second",
        acct(max_orders_per_second=2),
        [order("BUY", "1", "97"), order("BUY", "1", "98"), order("BUY", "1", "99", name="bad")],
        order("BUY", "1", "99", name="good"),
        "ORDER_RATE",
    ),
    (
        "max_order_to_trade_ratio",
        acct(max_order_to_trade_ratio="2", order_to_trade_min_orders=0),
        [order("BUY", "1", "97"), order("BUY", "1", "98"), order("BUY", "1", "90", name="bad")],
        order("BUY", "1"),  # market buys fill: not in "good" (see the separate test)
        "ORDER_TO_TRADE_RATIO",
    ),
    (
        "instrument_halted",
        RiskConfig(instruments={BBB: RiskLimits(state="halted")}),
        [order("BUY", "1", "99", inst=BBB, name="bad")],
        order("BUY", "1", "99", name="good"),
        "TRADING_HALTED",
    ),
    (
        "account_reducing",
        acct(state="reducing"),
        [order("BUY", "1", "99", name="bad")],
        order("BUY", "1", "99", name="unused"),
        "TRADING_REDUCING",
    ),
]


@pytest.mark.parametrize(
    ("config", "bad", "code"),
    [pytest.param(c[1], c[2], c[4], id=c[0]) for c in CASES],
)
def test_an_order_breaking_a_control_is_denied_before_the_venue(
    config: RiskConfig, bad: list[Action], code: str
) -> None:
    strategy, engine = run({2: seq(*bad)}, config)
    assert_denied(strategy, engine, "bad", code)
    audit = engine.risk_audit()
    assert dict(audit["denied_by_code"]) == {code: 1}
    rec = audit["records"]
    assert rec["kind"] == ["DENIED"]
    assert rec["code"] == [code]
    assert rec["order_id"] == [strategy.ids["bad"]]


@pytest.mark.parametrize(
    ("config", "bad", "good"),
    [
        pytest.param(c[1], c[2], c[3], id=c[0])
        for c in CASES
        if c[0] not in {"max_order_to_trade_ratio", "account_reducing"}
    ],
)
def test_a_compliant_order_passes_the_same_control(
    config: RiskConfig, bad: list[Action], good: Action
) -> None:
    strategy, engine = run({2: seq(*bad), 3: good}, config)
    assert_passed(strategy, engine, "good")


def test_denial_message_names_the_numbers() -> None:
    strategy, _ = run(
        {2: order("BUY", "12500", "100", name="bad")}, acct(max_order_notional="1000000")
    )
    message = next(m for i, e, _, m in strategy.events if i == strategy.ids["bad"])
    assert message == (
        "notional 1,250,000 USDT exceeds max_order_notional 1,000,000 USDT (account)"
    )


def test_buying_power_denies_what_the_account_cannot_pay() -> None:
    config = acct(check_buying_power=True)
    strategy, engine = run(
        {2: order("BUY", "10.102", "99", name="bad"), 3: order("BUY", "10.1", "99", name="good")},
        config,
        balance="1000",
    )
    assert_denied(strategy, engine, "bad", "BUYING_POWER")
    assert_passed(strategy, engine, "good")


def test_order_to_trade_ratio_counts_fills() -> None:
    config = acct(max_order_to_trade_ratio="2", order_to_trade_min_orders=0)
    # Order 1 fills (market); order 2 makes 2 orders / 1 fill: passes; order 3: 3/1 > 2.
    strategy, engine = run(
        {
            2: order("BUY", "1", name="m"),
            4: order("BUY", "1", "90", name="good"),
            5: order("BUY", "1", "89", name="bad"),
        },
        config,
    )
    assert "FILLED" in strategy.seen(strategy.ids["m"])
    assert_passed(strategy, engine, "good")
    assert_denied(strategy, engine, "bad", "ORDER_TO_TRADE_RATIO")


def _cancel_all_then(action: Action) -> Action:
    def act(s: Scripted) -> None:
        s.cancel_all()
        s.timer_actions.append(action)
        s.set_timer(s.now())

    return act


def test_cancel_rate_denies_new_orders_but_never_cancels() -> None:
    config = acct(max_cancels_per_second=1)
    strategy, engine = run(
        {
            2: seq(order("BUY", "1", "97", name="a"), order("BUY", "1", "98", name="b")),
            3: _cancel_all_then(order("BUY", "1", "96", name="bad")),
            4: order("BUY", "1", "96", name="good"),
        },
        config,
    )
    assert "CANCELLED" in strategy.seen(strategy.ids["a"])
    assert "CANCELLED" in strategy.seen(strategy.ids["b"])
    assert_denied(strategy, engine, "bad", "CANCEL_RATE")
    assert_passed(strategy, engine, "good")


def test_kill_switch_cancels_every_working_order_and_halts() -> None:
    def kill(s: Scripted) -> None:
        s.ids["cancelled"] = s.kill_switch("all", who="ops@desk", why="runaway quoting")

    strategy, engine = run(
        {
            2: seq(
                order("BUY", "1", "97", name="a1"),
                order("SELL", "1", "103", name="a2"),
                order("BUY", "1", "97", inst=BBB, name="b1"),
                order("SELL", "1", "103", inst=BBB, name="b2"),
            ),
            3: seq(kill, order("BUY", "1", "97", name="after")),
            4: order("SELL", "1", "103", inst=BBB, name="later"),
        },
        None,
    )
    assert strategy.ids["cancelled"] == 4
    for name in ("a1", "a2", "b1", "b2"):
        assert strategy.seen(strategy.ids[name])[-1] == "CANCELLED"
    assert_denied(strategy, engine, "after", "TRADING_HALTED")
    assert_denied(strategy, engine, "later", "TRADING_HALTED")
    rec = engine.risk_audit()["records"]
    k = rec["kind"].index("STATE_CHANGE")
    assert (rec["scope"][k], rec["code"][k], rec["who"][k], rec["message"][k]) == (
        "all",
        "KILL_SWITCH",
        "ops@desk",
        "runaway quoting",
    )
    assert rec["state"][k] == "HALTED"
    assert rec["cancelled"][k] == 4
    assert strategy.states[-1] == "HALTED"


def test_kill_switch_on_one_instrument_leaves_the_others_trading() -> None:
    def kill(s: Scripted) -> None:
        s.kill_switch("instrument:1", who="ops", why="bad BBB feed")

    strategy, engine = run(
        {
            2: seq(order("BUY", "1", "97", name="a"), order("BUY", "1", "97", inst=BBB, name="b")),
            3: seq(
                kill,
                order("BUY", "1", "96", inst=BBB, name="b2"),
                order("BUY", "1", "96", name="a2"),
            ),
        },
        None,
    )
    assert strategy.seen(strategy.ids["b"])[-1] == "CANCELLED"
    assert "CANCELLED" not in strategy.seen(strategy.ids["a"])
    assert_denied(strategy, engine, "b2", "TRADING_HALTED")
    assert_passed(strategy, engine, "a2")


def test_loss_limits_move_the_account_to_reducing_then_halted() -> None:
    config = acct(reduce_at_drawdown="15", max_drawdown="30")
    # Long 1 from 100 (bar 3 open). Each bar from 4 the strategy tries to add
    # 0.1 and to cut 0.1 (market orders fill at the next bar's open).
    closes = ("100", "100", "100", "90", "80", "60", "50", "40")

    def add_and_cut(k: int) -> Action:
        return seq(order("BUY", "0.1", name=f"add{k}"), order("SELL", "0.1", name=f"cut{k}"))

    script: dict[int, Action] = {2: order("BUY", "1", name="open")}
    script.update({k: add_and_cut(k) for k in range(4, 8)})
    strategy, engine = run(script, config, closes=closes)
    # Bar 4 (close 90): drawdown 10, active: both pass.
    assert_passed(strategy, engine, "add4")
    # Bar 5 (close 80, long 1 again after +0.1 -0.1 at 90): drawdown 20 >= 15: reducing.
    assert_denied(strategy, engine, "add5", "TRADING_REDUCING")
    assert_passed(strategy, engine, "cut5")
    # Bar 6 (close 60, long 0.9 after the cut at 80): drawdown 20 + 18 = 38 >= 30:
    # halted; even the cut is denied.
    assert_denied(strategy, engine, "add6", "TRADING_HALTED")
    assert_denied(strategy, engine, "cut6", "TRADING_HALTED")
    assert strategy.states[3:6] == ["ACTIVE", "REDUCING", "HALTED"]
    rec = engine.risk_audit()["records"]
    changes = [
        (rec["code"][k], rec["state"][k], rec["who"][k])
        for k in range(len(rec["kind"]))
        if rec["kind"][k] == "STATE_CHANGE"
    ]
    assert changes == [
        ("DRAWDOWN_REDUCING", "REDUCING", "risk-engine"),
        ("MAX_DRAWDOWN", "HALTED", "risk-engine"),
    ]


def test_audit_counts_passes_and_keeps_denials() -> None:
    _strategy, engine = run(
        {2: seq(order("BUY", "1", "99"), order("BUY", "2", "99", name="bad"))},
        acct(max_order_quantity="1"),
    )
    audit = engine.risk_audit()
    assert (audit["passed"], audit["denied"], audit["dropped"]) == (1, 1, 0)


def test_audit_records_are_bounded() -> None:
    config = RiskConfig(account=RiskLimits(max_order_quantity="1"), max_audit_records=2)
    bad = [order("BUY", "2", "99") for _ in range(5)]
    _, engine = run({2: seq(*bad)}, config)
    audit = engine.risk_audit()
    assert (audit["denied"], len(audit["records"]["kind"]), audit["dropped"]) == (5, 2, 3)


def test_no_risk_config_lets_every_order_through() -> None:
    strategy, engine = run({2: order("BUY", "1000", "99", name="big")}, None)
    assert_passed(strategy, engine, "big")


# ---- configuration -------------------------------------------------------


def test_toml_risk_table_maps_to_engine_settings() -> None:
    config = RiskConfig.from_toml(
        """
[risk]
max_order_notional = 1000000.50
max_orders_per_second = 50

[risk.strategy.0]
max_drawdown = "5000"

[risk.instrument."AAA-PERP.SIM"]
tick_size = "0.05"
self_trade_prevention = true
"""
    )
    assert risk_config_to_engine(config, IDS) == [
        ("account", "max_order_notional", "1000000.50"),
        ("account", "max_orders_per_second", "50"),
        ("strategy:0", "max_drawdown", "5000"),
        ("instrument:0", "tick_size", "0.05"),
        ("instrument:0", "self_trade_prevention", "true"),
    ]


def test_unknown_risk_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"risk\.instrument\.AAA-PERP\.SIM: unknown risk key"):
        RiskConfig.from_dict({"instrument": {AAA: {"max_qty": "1"}}})


def test_float_limits_are_refused() -> None:
    with pytest.raises(ConfigError, match="float is not exact"):
        RiskLimits.from_dict({"max_order_notional": 1000.5})


def test_instrument_not_in_the_backtest_is_a_config_error() -> None:
    config = RiskConfig(instruments={"ZZZ.SIM": RiskLimits(tick_size="0.1")})
    with pytest.raises(ConfigError, match=r"ZZZ\.SIM: not an instrument of this backtest"):
        risk_config_to_engine(config, IDS)


def test_engine_refuses_a_bad_value_before_the_run() -> None:
    config = inst(tick_size="0.001")
    with pytest.raises(ConfigError, match="at most 2 decimal places"):
        _core.BacktestEngine(
            [2, 2, 2],
            [3, 3, 3],
            ["USDT"] * 3,
            [None] * 3,
            ["0"] * 3,
            ["0"] * 3,
            base_currency="USDT",
            starting_balances=[("USDT", "1000")],
            risk=risk_config_to_engine(config, IDS),
        )
