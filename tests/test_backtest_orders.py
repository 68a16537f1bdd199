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
from ferrox.backtest import Backtest, BacktestResult, LatencyConfig, Strategy, VenueConfig
from ferrox.errors import ConfigError, DataError
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


def test_a_second_modify_while_one_is_pending_is_refused_and_the_run_goes_on() -> None:
    bars = bars_frame([FLAT[0]] * 4)
    refused: list[str] = []

    def modify_twice(s: Script) -> None:
        s.modify(s.ids[0], INSTRUMENT, price="98.00")
        try:
            s.modify(s.ids[0], INSTRUMENT, price="97.50")
        except ConfigError as exc:
            refused.append(str(exc))

    actions: dict[int, Action] = {
        0: lambda s: s.order("BUY", "1", order_type="LIMIT", price="98.50"),
        1: modify_twice,
        2: lambda s: s.modify(s.ids[0], INSTRUMENT, price="97.00"),
    }
    _, script = run(bars, "bars", actions)
    assert len(refused) == 1
    assert "already pending" in refused[0]
    assert script.events_of(script.ids[0]).count("UPDATED") == 2


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


# ---- the real Binance USD-M L2 capture ------------------------------------------

ENTRY = 1_000_000  # order-entry latency, ns


class Join(Strategy):
    """Every 150 book updates joins the best bid and the best ask (one lot each); every
    300th update also sends a one-lot market order, alternately buying and selling."""

    def __init__(self, instrument: str, market_orders: bool = False) -> None:
        super().__init__()
        self.instrument = instrument
        self.market_orders = market_orders
        self.updates = 0
        self.placed: dict[int, tuple[int, str, int]] = {}  # id -> (sent, side, raw price)
        self.last_fill: dict[int, int] = {}  # id -> ts
        self.position_after_fill: list[tuple[int, Decimal]] = []

    def on_book(self, instrument: int) -> None:
        self.updates += 1
        if self.updates % 150:
            return
        bid, ask = self.best_bid(self.instrument), self.best_ask(self.instrument)
        assert bid is not None
        assert ask is not None
        for side, level in (("BUY", bid), ("SELL", ask)):
            order_id = self.submit_order(
                self.instrument, side, "0.001", order_type="LIMIT", price=level[0]
            )
            self.placed[order_id] = (self.now(), side, int(level[0].scaleb(2)))
        if self.market_orders and self.updates % 300 == 0:
            side = "BUY" if self.updates % 600 else "SELL"
            self.submit_order(self.instrument, side, "0.001")

    def on_fill(self, fill: Fill) -> None:
        self.last_fill[fill.order_id] = fill.ts
        self.position_after_fill.append((fill.ts, self.position(self.instrument)))


@pytest.fixture(scope="module")
def capture(
    shared_data: Any, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Instrument, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The BTCUSDT capture's instrument, deltas, trades and its replayed book (20 levels)."""
    from ferrox.book.replay import replay
    from ferrox.data.catalog import Catalog
    from ferrox.data.importer import import_files

    catalog = Catalog(tmp_path_factory.mktemp("l2") / "catalog")
    import_files([shared_data / "binance-usdm" / "btcusdt_20240808.gz"], "binance", catalog)
    (instrument,) = catalog.instruments()
    deltas = catalog.read(instrument.id, "deltas")
    trades = catalog.read(instrument.id, "trades")
    book = replay(deltas, instrument, levels=20).filter(pl.col("state") == 0)
    return instrument, deltas, trades, book


def run_l2(
    capture: tuple[Instrument, pl.DataFrame, pl.DataFrame, pl.DataFrame],
    queue_model: str,
    market_orders: bool = False,
) -> tuple[BacktestResult, Join]:
    instrument, deltas, trades, _ = capture
    backtest = Backtest(
        [instrument],
        VenueConfig(queue_model=queue_model, maker_fee="0.0002", taker_fee="0.0005"),
        order_entry_latency=LatencyConfig("constant", ENTRY),
    )
    backtest.add(instrument.id, "deltas", deltas)
    backtest.add(instrument.id, "trades", trades)
    strategy = Join(instrument.id, market_orders)
    return backtest.run(strategy), strategy


def test_a_probabilistic_queue_fills_resting_orders_no_later_than_a_conservative_one(
    capture: tuple[Instrument, pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    _, conservative = run_l2(capture, "conservative")
    _, probabilistic = run_l2(capture, "probabilistic")
    assert conservative.placed.keys() == probabilistic.placed.keys()
    assert len(conservative.last_fill) > 20
    for order_id, ts in conservative.last_fill.items():
        assert probabilistic.last_fill[order_id] <= ts
    earlier = [o for o, ts in conservative.last_fill.items() if probabilistic.last_fill[o] < ts]
    assert earlier  # the model matters on real data


def test_a_resting_bid_fills_only_on_prints_at_or_through_its_price(
    capture: tuple[Instrument, pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    """Conservative queue: a bid the ask never crossed fills only once sellers have traded
    at its price at least its size (the queue ahead goes first), or traded below it."""
    _, _, trades, book = capture
    _, strategy = run_l2(capture, "conservative")
    sells = trades.filter(pl.col("aggressor_side") == 2)
    checked = 0
    for order_id, fill_ts in strategy.last_fill.items():
        sent, side, limit = strategy.placed[order_id]
        if side != "BUY":
            continue
        window = sells.filter(pl.col("ts_init").is_between(sent + ENTRY, fill_ts))
        ask = book.filter(pl.col("ts_init") <= fill_ts)["ask_price_0"][-1]
        if ask <= limit or (window["price"] < limit).any():
            continue  # filled by a cross or a print through the limit
        at_limit = window.filter(pl.col("price") == limit)["size"].sum()
        assert at_limit >= 1, f"order {order_id} filled with no sell print at {limit}"
        queue = book.filter(pl.col("ts_init") <= sent + ENTRY).row(-1, named=True)
        ahead = next(
            (queue[f"bid_size_{i}"] for i in range(20) if queue[f"bid_price_{i}"] == limit), 0
        )
        shrunk = (
            book.filter(pl.col("ts_init").is_between(sent + ENTRY, fill_ts))
            .select(
                pl.min_horizontal(
                    pl.when(pl.col(f"bid_price_{i}") == limit)
                    .then(pl.col(f"bid_size_{i}"))
                    .otherwise(None)
                    for i in range(20)
                )
            )
            .to_series()
            .min()
        )
        # The queue ahead only shrinks by prints at the limit or by the level shrinking below it.
        floor = min(ahead, shrunk) if shrunk is not None else ahead
        if floor == ahead:
            assert at_limit > ahead, f"order {order_id} jumped a queue of {ahead}"
        checked += 1
    assert checked > 5


def test_no_l2_fill_is_at_a_better_price_than_the_book_offered(
    capture: tuple[Instrument, pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    _, _, trades, book = capture
    result, _ = run_l2(capture, "probabilistic", market_orders=True)
    fills = result.fills.with_columns(
        (pl.col("price").str.replace(r"\.", "").cast(pl.Int64)).alias("raw")
    ).sort("ts")
    at = fills.join_asof(
        book.select("ts_init", "bid_price_0", "ask_price_0").sort("ts_init"),
        left_on="ts",
        right_on="ts_init",
        strategy="backward",
    )
    liquidity = set(at["liquidity"])
    assert liquidity == {"MAKER", "TAKER"}
    for row in at.iter_rows(named=True):
        raw, bid, ask = row["raw"], row["bid_price_0"], row["ask_price_0"]
        prints = trades.filter(pl.col("ts_init") == row["ts"])["price"]
        if row["liquidity"] == "TAKER":
            assert raw >= ask if row["side"] == "BUY" else raw <= bid, row
        elif row["side"] == "BUY":
            assert ask <= raw or (prints <= raw).any(), row
        else:
            assert bid >= raw or (prints >= raw).any(), row


def test_on_l2_the_position_is_always_the_sum_of_fills(
    capture: tuple[Instrument, pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    result, strategy = run_l2(capture, "probabilistic", market_orders=True)
    signed = [
        (1 if side == "BUY" else -1) * Decimal(q)
        for side, q in result.fills.select("side", "quantity").iter_rows()
    ]
    running = [sum(signed[: i + 1], Decimal(0)) for i in range(len(signed))]
    assert [p for _, p in strategy.position_after_fill] == running


# ---- latency ----------------------------------------------------------------------

STEPS = [(f"{p}.00", f"{p}.50", f"{p - 1}.50", f"{p}.00") for p in range(100, 106)]


class Clocked(Script):
    """Also records the engine time at which each order event reaches the strategy."""

    def __init__(self, actions: dict[int, Action]) -> None:
        super().__init__(actions)
        self.seen_at: list[tuple[str, int, int]] = []

    def on_order(self, event: OrderEvent) -> None:
        super().on_order(event)
        self.seen_at.append((event.event, event.ts, self.now()))


def run_with_latency(entry: int, ack: int) -> tuple[BacktestResult, Clocked]:
    backtest = Backtest(
        [TEST],
        VenueConfig(),
        order_entry_latency=LatencyConfig("constant", entry),
        ack_latency=LatencyConfig("constant", ack),
    )
    backtest.add(INSTRUMENT, "bars", bars_frame(STEPS))
    script = Clocked({0: lambda s: s.order("BUY", "1")})
    return backtest.run(script), script


def test_venue_events_reach_the_strategy_after_the_ack_latency() -> None:
    ack = 5_000_000
    _, script = run_with_latency(0, ack)
    venue_events = [(e, ts, now) for e, ts, now in script.seen_at if e in ("ACCEPTED", "FILLED")]
    assert [e for e, _, _ in venue_events] == ["ACCEPTED", "FILLED"]
    for _, ts, now in venue_events:
        assert now == ts + ack


def test_an_entry_latency_longer_than_a_bar_moves_the_fill_to_a_later_open() -> None:
    result, _ = run_with_latency(90 * 10**9, 0)
    # Sent at bar 0's close (1m), reaches the venue at 2.5m: no earlier than bar 2.
    assert fills_of(result)[0][1:3] in {("BUY", "102.00"), ("BUY", "103.00")}


def test_a_market_order_never_fills_at_a_price_from_before_it_reached_the_venue() -> None:
    result, _ = run_with_latency(30 * 10**9, 0)
    # Reaches the venue at 1.5m, inside bar 1 (opened 1m at 101.00): the next open is bar 2's.
    assert fills_of(result)[0][1:3] == ("BUY", "102.00")


def test_a_bad_aggressor_code_is_refused_naming_it() -> None:
    backtest = Backtest([TEST], VenueConfig())
    frame = pl.DataFrame(
        {
            "ts_event": [1, 2],
            "ts_init": [1, 2],
            "price": [100, 101],
            "size": [1, 1],
            "aggressor_side": [1, 7],
            "trade_id": ["1", "2"],
        }
    )
    with pytest.raises(DataError, match="7"):
        backtest.add(INSTRUMENT, "trades", frame)
