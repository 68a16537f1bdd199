"""The vectorised simulator agrees with a plain-Python loop written here, bar by bar.

The loop below is the specification in its simplest form: one account per cash
group, one row at a time, one column at a time, vectorbt's cash arithmetic for
buys and sales, stops checked before signals, sales before buys within a row.
Every mode and option is run on seeded random data and on the real 1-minute BTC
bars, and equity, cash, positions, fills and trades are compared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from ferrox.research import simulate_orders, simulate_signals, simulate_target

NAN = math.nan
INF = math.inf
REASONS = ("signal", "stop_loss", "trailing_stop", "take_profit")

# --- the oracle ---------------------------------------------------------------


@dataclass
class Col:
    position: float = 0.0
    debt: float = 0.0
    mark: float = NAN
    entry_row: int = 0
    entry_price: float = 0.0
    entry_fees: float = 0.0
    stop: dict[str, float] | None = None
    order: tuple[str, float, bool, str] | None = None  # (side, units, may_short, reason)


@dataclass
class Book:
    fills: list[tuple[int, int, str, float, float, float, str]] = field(default_factory=list)
    trades: list[tuple[int, str, int, int, float, float, float, float]] = field(
        default_factory=list
    )


def _nan(x: float) -> bool:
    return x != x


def oracle(
    close: np.ndarray,
    *,
    mode: str,
    data: dict[str, np.ndarray],
    open: np.ndarray | None = None,
    high: np.ndarray | None = None,
    low: np.ndarray | None = None,
    size: float = INF,
    size_type: str = "amount",
    fees: float = 0.0,
    fixed_fees: float = 0.0,
    slippage: float = 0.0,
    sl: float = NAN,
    tp: float = NAN,
    tsl: float = NAN,
    init_cash: float = 100.0,
    groups: list[list[int]] | None = None,
    price: str = "close",
) -> dict[str, Any]:
    """Plain-Python simulation; all inputs are full (rows, columns) arrays."""
    n, k = close.shape
    groups = groups or [[c] for c in range(k)]
    closes = close.tolist()
    opens = open.tolist() if open is not None else None
    highs = high.tolist() if high is not None else None
    lows = low.tolist() if low is not None else None
    cells = {name: a.tolist() for name, a in data.items()}
    position = [[0.0] * k for _ in range(n)]
    cash_out = [[0.0] * len(groups) for _ in range(n)]
    equity_out = [[0.0] * len(groups) for _ in range(n)]
    book = Book()
    has_stops = not (_nan(sl) and _nan(tp) and _nan(tsl))

    def run_group(g: int, members: list[int]) -> None:
        acct = {"cash": init_cash, "debt": 0.0}
        cols = {c: Col() for c in members}

        def execute(c: int, row: int, px: float, first_stop_row: int) -> None:
            st = cols[c]
            assert st.order is not None
            side, units, may_short, reason = st.order
            st.order = None
            before = st.position
            if side == "BUY":
                if _nan(units) or units <= 0 or acct["cash"] <= 0:
                    return
                adj = px * (1 + slippage)
                qty = units
                fee = qty * adj * fees + fixed_fees
                spent = qty * adj + fee
                if not spent <= acct["cash"]:
                    most = (acct["cash"] - fixed_fees) / (1 + fees)
                    if most <= 0:
                        return
                    qty, fee, spent = most / adj, acct["cash"] - most, acct["cash"]
                acct["cash"] = 0.0 if spent == acct["cash"] else acct["cash"] - spent
                if before < 0:
                    released = min(qty, -before) * (st.debt / -before)
                    st.debt -= released
                    acct["debt"] -= released
                st.position = before + qty
                if st.position >= 0:
                    acct["debt"] -= st.debt
                    st.debt = 0.0
            else:
                if _nan(units) or units <= 0:
                    return
                adj = px * (1 - slippage)
                if not may_short:
                    qty = min(units, max(before, 0.0))
                elif units == INF:
                    long = max(before, 0.0)
                    free = acct["cash"] - 2 * acct["debt"] + long * adj * (1 - fees)
                    if free <= 0:
                        qty = long
                    else:
                        qty = long + max((free - fixed_fees) / (adj * (1 + fees)), 0.0)
                else:
                    qty = units
                if qty <= 0:
                    return
                fee = qty * adj * fees + fixed_fees
                if qty * adj - fee < 0:
                    return
                acct["cash"] += qty * adj - fee
                after = before - qty
                if after < 0:
                    shorted = qty if before < 0 else -after
                    st.debt += shorted * adj
                    acct["debt"] += shorted * adj
                st.position = after
            book.fills.append((row, c, side, qty, adj, fee, reason))
            if _nan(st.mark):
                st.mark = px
            # Trades: the part of the fill against the position closes a trade.
            sign = 1.0 if side == "BUY" else -1.0
            opening = qty
            if before != 0 and math.copysign(1.0, before) != sign:
                closed = min(qty, abs(before))
                entry_fee = st.entry_fees * (closed / abs(before))
                exit_fee = fee * (closed / qty)
                d = math.copysign(1.0, before)
                pnl = d * (adj - st.entry_price) * closed - entry_fee - exit_fee
                book.trades.append(
                    (
                        c,
                        "LONG" if d > 0 else "SHORT",
                        st.entry_row,
                        row,
                        closed,
                        st.entry_price,
                        adj,
                        pnl,
                    )
                )
                st.entry_fees -= entry_fee
                opening = qty - closed
            if opening > 0:
                open_fee = fee * (opening / qty)
                held = abs(before) if before != 0 and math.copysign(1.0, before) == sign else 0.0
                if held == 0:
                    st.entry_row, st.entry_price, st.entry_fees = row, adj, open_fee
                else:
                    st.entry_price = (st.entry_price * held + adj * opening) / (held + opening)
                    st.entry_fees += open_fee
            # Stops arm on a new or reversed position and disarm when flat.
            if st.position == 0:
                st.stop = None
            elif has_stops and (
                before == 0 or math.copysign(1.0, before) != math.copysign(1.0, st.position)
            ):
                d = math.copysign(1.0, st.position)
                st.stop = {"dir": d, "anchor": px, "extreme": px, "first": first_stop_row}

        def units(value: float, px: float, equity: float) -> float:
            if math.isinf(value) or size_type == "amount":
                return value
            if size_type == "value":
                return value / px
            return value * equity / px

        def decide(c: int, row: int, equity: float) -> tuple[str, float, bool, str] | None:
            pos = cols[c].position
            px = closes[row][c]
            if mode == "signals":
                le = cells["entries"][row][c]
                lx = cells["exits"][row][c]
                se = cells["short_entries"][row][c] if "short_entries" in cells else False
                sx = cells["short_exits"][row][c] if "short_exits" in cells else False
                if le and lx:
                    le = lx = False
                if se and sx:
                    se = sx = False
                if le and se:
                    le = se = False
                if pos > 0:
                    if se:
                        return ("SELL", pos + units(size, px, equity), True, "signal")
                    if lx:
                        return ("SELL", pos, False, "signal")
                elif pos < 0:
                    if le:
                        return ("BUY", -pos + units(size, px, equity), False, "signal")
                    if sx:
                        return ("BUY", -pos, False, "signal")
                elif le:
                    return ("BUY", units(size, px, equity), False, "signal")
                elif se:
                    return ("SELL", units(size, px, equity), True, "signal")
                return None
            value = cells["values"][row][c]
            if _nan(value):
                return None
            delta = units(value, px, equity) - (pos if mode == "target" else 0.0)
            if delta > 0:
                return ("BUY", delta, False, "signal")
            if delta < 0:
                return ("SELL", -delta, True, "signal")
            return None

        def check_stop(c: int, row: int) -> tuple[float | None, str] | None:
            st = cols[c]
            s = st.stop
            if s is None or row < s["first"]:
                return None
            d = s["dir"]
            sl_level = s["anchor"] * (1 - d * sl)
            tsl_level = s["extreme"] * (1 - d * tsl)
            if _nan(sl_level) or (not _nan(tsl_level) and d * tsl_level > d * sl_level):
                stop, why = tsl_level, "trailing_stop"
            else:
                stop, why = sl_level, "stop_loss"
            tp_level = s["anchor"] * (1 + d * tp)
            o = opens[row][c] if opens is not None else NAN
            hi = highs[row][c] if highs is not None else NAN
            lo = lows[row][c] if lows is not None else NAN
            cl = closes[row][c]
            hit: tuple[float | None, str] | None = None
            if not _nan(hi) and not _nan(lo):
                worst, best = (lo, hi) if d > 0 else (hi, lo)
                if not _nan(o) and d * o <= d * stop:
                    hit = (o, why)
                elif not _nan(o) and d * o >= d * tp_level:
                    hit = (o, "take_profit")
                elif d * worst <= d * stop:
                    hit = (stop, why)
                elif d * best >= d * tp_level:
                    hit = (tp_level, "take_profit")
                extreme = best
            elif not _nan(cl):
                if d * cl <= d * stop:
                    hit = (None, why)
                elif d * cl >= d * tp_level:
                    hit = (None, "take_profit")
                extreme = cl
            else:
                return None
            if hit is None and d * extreme > d * s["extreme"]:
                s["extreme"] = extreme
            return hit

        pending = False
        for row in range(n):
            if pending:
                for side in ("SELL", "BUY"):
                    for c in members:
                        order = cols[c].order
                        if order is not None and order[0] == side:
                            execute(c, row, opens[row][c], row)  # type: ignore[index]
                pending = False
            for c in members:
                if math.isfinite(closes[row][c]):
                    cols[c].mark = closes[row][c]
            stopped = set()
            for c in members:
                st = cols[c]
                if st.position == 0 or st.stop is None:
                    continue
                hit = check_stop(c, row)
                if hit is None:
                    continue
                stopped.add(c)
                px, why = hit
                if st.position > 0:
                    st.order = ("SELL", st.position, False, why)
                else:
                    st.order = ("BUY", -st.position, False, why)
                if px is not None:
                    execute(c, row, px, row + 1)
            equity = acct["cash"] + sum(
                cols[c].position * cols[c].mark for c in members if cols[c].position != 0
            )
            for c in members:
                if c not in stopped:
                    cols[c].order = decide(c, row, equity)
            if any(cols[c].order is not None for c in members):
                if price == "next_open":
                    if row + 1 < n:
                        pending = True
                    else:
                        for c in members:
                            cols[c].order = None
                else:
                    for side in ("SELL", "BUY"):
                        for c in members:
                            order = cols[c].order
                            if order is not None and order[0] == side:
                                execute(c, row, closes[row][c], row + 1)
            value = acct["cash"]
            for c in members:
                if cols[c].position != 0:
                    value += cols[c].position * cols[c].mark
                position[row][c] = cols[c].position
            cash_out[row][g] = acct["cash"]
            equity_out[row][g] = value

    for g, members in enumerate(groups):
        run_group(g, members)
    return {
        "equity": np.array(equity_out),
        "cash": np.array(cash_out),
        "position": np.array(position),
        "fills": sorted(book.fills, key=lambda f: (f[1], f[0])),
        "trades": sorted(book.trades, key=lambda t: (t[0], t[3])),
    }


# --- comparison ---------------------------------------------------------------


def assert_same(result: Any, expected: dict[str, Any]) -> None:
    np.testing.assert_allclose(result.equity_array, expected["equity"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(result.cash_array, expected["cash"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(result.position_array, expected["position"], rtol=1e-12, atol=1e-9)
    fills = result.fills.sort(["column", "row"], maintain_order=True)
    names = result.columns
    got = list(
        zip(
            fills["row"].to_list(),
            [names.index(c) for c in fills["column"].to_list()],
            fills["side"].to_list(),
            fills["reason"].to_list(),
            strict=True,
        )
    )
    want = [(f[0], f[1], f[2], f[6]) for f in sorted(expected["fills"], key=lambda f: (f[1], f[0]))]
    assert got == want
    np.testing.assert_allclose(
        fills["quantity"].to_numpy(), [f[3] for f in expected["fills"]], rtol=1e-12
    )
    np.testing.assert_allclose(
        fills["price"].to_numpy(), [f[4] for f in expected["fills"]], rtol=1e-12
    )
    np.testing.assert_allclose(
        fills["fee"].to_numpy(), [f[5] for f in expected["fills"]], rtol=1e-9, atol=1e-12
    )
    trades = result.trades
    assert trades.height == len(expected["trades"])
    by_col = sorted(
        zip(
            [names.index(c) for c in trades["instrument"].to_list()],
            trades["exit_ts"].to_list(),
            trades["side"].to_list(),
            trades["entry_ts"].to_list(),
            trades["pnl"].to_list(),
            strict=True,
        )
    )
    want = sorted(expected["trades"], key=lambda t: (t[0], t[3], t[1], t[2]))
    for got_t, want_t in zip(by_col, want, strict=True):
        assert got_t[:4] == (want_t[0], want_t[3], want_t[1], want_t[2])
        assert got_t[4] == pytest.approx(want_t[7], rel=1e-9, abs=1e-9)


# --- data ---------------------------------------------------------------------


def random_bars(seed: int, n: int = 400, k: int = 4) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.02, (n, k)), axis=0))
    open_ = np.vstack([close[:1], close[:-1]]) * np.exp(rng.normal(0, 0.005, (n, k)))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.01, (n, k))))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.01, (n, k))))
    return {"close": close, "open": open_, "high": high, "low": low}


def random_signals(seed: int, shape: tuple[int, int], p: float = 0.05) -> np.ndarray:
    return np.random.default_rng(seed).random(shape) < p


# --- signals ------------------------------------------------------------------

SIGNAL_CASES = {
    "all_in_no_costs": {},
    "percent_fees": {"fees": 0.001},
    "fixed_fees_and_slippage": {"fixed_fees": 1.5, "slippage": 0.002, "init_cash": 1000.0},
    "fixed_units": {"size": 3.0, "init_cash": 1000.0, "fees": 0.0005},
    "value_sizing": {"size": 50.0, "size_type": "value", "fees": 0.001},
    "percent_of_equity": {"size": 0.5, "size_type": "percent", "fees": 0.001},
}


@pytest.mark.parametrize("case", SIGNAL_CASES)
def test_long_signals_agree_with_the_python_loop(case: str) -> None:
    bars = random_bars(1)
    shape = bars["close"].shape
    entries, exits = random_signals(2, shape), random_signals(3, shape)
    options = dict(SIGNAL_CASES[case])
    result = simulate_signals(bars["close"], entries, exits, **options)  # type: ignore[arg-type]
    expected = oracle(
        bars["close"], mode="signals", data={"entries": entries, "exits": exits}, **options
    )
    assert_same(result, expected)


@pytest.mark.parametrize("case", ["all_in_no_costs", "percent_fees", "fixed_units", "value_sizing"])
def test_long_and_short_signals_agree_with_the_python_loop(case: str) -> None:
    bars = random_bars(4)
    shape = bars["close"].shape
    data = {
        name: random_signals(10 + i, shape)
        for i, name in enumerate(["entries", "exits", "short_entries", "short_exits"])
    }
    options = dict(SIGNAL_CASES[case])
    result = simulate_signals(bars["close"], **data, **options)  # type: ignore[arg-type]
    expected = oracle(bars["close"], mode="signals", data=data, **options)
    assert (result.position_array < 0).any(), "the case must hold short positions"
    assert_same(result, expected)


STOP_CASES = {
    "stop_loss_on_close": ({"sl_stop": 0.03}, False),
    "take_profit_on_close": ({"tp_stop": 0.04}, False),
    "trailing_on_close": ({"tsl_stop": 0.03}, False),
    "all_stops_on_close": ({"sl_stop": 0.05, "tp_stop": 0.05, "tsl_stop": 0.03}, False),
    "stop_loss_intrabar": ({"sl_stop": 0.03}, True),
    "take_profit_intrabar": ({"tp_stop": 0.04}, True),
    "trailing_intrabar": ({"tsl_stop": 0.03}, True),
    "all_stops_intrabar": ({"sl_stop": 0.05, "tp_stop": 0.05, "tsl_stop": 0.03}, True),
}


@pytest.mark.parametrize("price", ["close", "next_open"])
@pytest.mark.parametrize("case", STOP_CASES)
def test_stops_agree_with_the_python_loop(case: str, price: str) -> None:
    bars = random_bars(5)
    shape = bars["close"].shape
    data = {
        "entries": random_signals(20, shape, 0.08),
        "exits": random_signals(21, shape, 0.01),
        "short_entries": random_signals(22, shape, 0.03),
        "short_exits": random_signals(23, shape, 0.01),
    }
    stops, intrabar = STOP_CASES[case]
    hl = {"high": bars["high"], "low": bars["low"]} if intrabar else {}
    result = simulate_signals(
        bars["close"], **data, open=bars["open"], **hl, price=price, fees=0.001, **stops
    )  # type: ignore[arg-type]
    expected = oracle(
        bars["close"],
        mode="signals",
        data=data,
        open=bars["open"],
        **hl,
        price=price,
        fees=0.001,
        sl=stops.get("sl_stop", NAN),
        tp=stops.get("tp_stop", NAN),
        tsl=stops.get("tsl_stop", NAN),
    )
    reasons = set(result.fills["reason"].to_list())
    assert reasons - {"signal"}, "the case must trigger stops"
    assert_same(result, expected)


@pytest.mark.parametrize("case", ["all_in_no_costs", "percent_fees", "fixed_fees_and_slippage"])
def test_next_open_signals_agree_with_the_python_loop(case: str) -> None:
    bars = random_bars(6)
    shape = bars["close"].shape
    entries, exits = random_signals(30, shape), random_signals(31, shape)
    options = dict(SIGNAL_CASES[case])
    result = simulate_signals(
        bars["close"], entries, exits, open=bars["open"], price="next_open", **options
    )  # type: ignore[arg-type]
    expected = oracle(
        bars["close"],
        mode="signals",
        data={"entries": entries, "exits": exits},
        open=bars["open"],
        price="next_open",
        **options,
    )
    assert_same(result, expected)


def test_next_open_fills_a_signal_at_the_next_bars_open_with_fee_on_notional() -> None:
    close = np.array([10.0, 11.0, 12.0, 13.0])
    open_ = np.array([9.5, 10.5, 11.5, 12.5])
    entries = np.array([True, False, False, False])
    exits = np.array([False, True, False, False])
    result = simulate_signals(
        close, entries, exits, open=open_, price="next_open", size=2.0, fees=0.01
    )
    fills = result.fills
    assert fills["row"].to_list() == [1, 2]
    assert fills["price"].to_list() == [10.5, 11.5]
    assert fills["fee"].to_list() == pytest.approx([0.01 * 2 * 10.5, 0.01 * 2 * 11.5])


def test_signals_on_the_last_bar_never_fill_at_next_open() -> None:
    close = np.array([10.0, 11.0])
    result = simulate_signals(
        close, np.array([False, True]), np.array([False, False]), open=close, price="next_open"
    )
    assert result.fills.height == 0


def test_grouped_signals_share_cash_as_the_python_loop() -> None:
    bars = random_bars(7, k=6)
    shape = bars["close"].shape
    entries, exits = random_signals(40, shape, 0.1), random_signals(41, shape, 0.05)
    group_by = ["a", "a", "a", "b", "b", "c"]
    result = simulate_signals(
        bars["close"],
        entries,
        exits,
        size=0.3,
        size_type="percent",
        fees=0.001,
        cash_sharing=True,
        group_by=group_by,
        init_cash=[1000.0, 500.0, 100.0],
    )
    groups = [[0, 1, 2], [3, 4], [5]]
    for g, members in enumerate(groups):
        sub = oracle(
            bars["close"][:, members],
            mode="signals",
            data={"entries": entries[:, members], "exits": exits[:, members]},
            size=0.3,
            size_type="percent",
            fees=0.001,
            init_cash=[1000.0, 500.0, 100.0][g],
            groups=[list(range(len(members)))],
        )
        np.testing.assert_allclose(result.equity_array[:, g], sub["equity"][:, 0], rtol=1e-12)
        np.testing.assert_allclose(result.position_array[:, members], sub["position"], rtol=1e-12)


# --- targets and orders -------------------------------------------------------


@pytest.mark.parametrize("size_type", ["amount", "value", "percent"])
@pytest.mark.parametrize("price", ["close", "next_open"])
def test_targets_agree_with_the_python_loop(size_type: str, price: str) -> None:
    bars = random_bars(8)
    n, k = bars["close"].shape
    rng = np.random.default_rng(50)
    scale = {"amount": 0.5, "value": 60.0, "percent": 0.4}[size_type]
    target = rng.uniform(-1.0, 1.0, (n, k)) * scale
    target[rng.random((n, k)) < 0.7] = np.nan
    options = {"size_type": size_type, "fees": 0.001, "fixed_fees": 0.01, "slippage": 0.001}
    result = simulate_target(bars["close"], target, open=bars["open"], price=price, **options)  # type: ignore[arg-type]
    expected = oracle(
        bars["close"],
        mode="target",
        data={"values": target},
        open=bars["open"],
        price=price,
        **options,
    )
    assert_same(result, expected)


def test_target_weights_rebalance_a_cash_sharing_portfolio_as_the_python_loop() -> None:
    bars = random_bars(9, k=5)
    n, k = bars["close"].shape
    rng = np.random.default_rng(51)
    weights = rng.dirichlet(np.ones(k), n) * 0.95
    weights[np.arange(n) % 20 != 0] = np.nan
    result = simulate_target(
        bars["close"], weights, size_type="percent", cash_sharing=True, fees=0.001
    )
    expected = oracle(
        bars["close"],
        mode="target",
        data={"values": weights},
        size_type="percent",
        fees=0.001,
        groups=[list(range(k))],
    )
    assert_same(result, expected)


@pytest.mark.parametrize("size_type", ["amount", "value", "percent"])
def test_orders_agree_with_the_python_loop(size_type: str) -> None:
    bars = random_bars(10)
    n, k = bars["close"].shape
    rng = np.random.default_rng(60)
    scale = {"amount": 0.3, "value": 30.0, "percent": 0.2}[size_type]
    orders = rng.uniform(-1.0, 1.0, (n, k)) * scale
    orders[rng.random((n, k)) < 0.8] = np.nan
    orders[5, 0], orders[50, 0] = np.inf, -np.inf
    options = {"size_type": size_type, "fees": 0.002, "fixed_fees": 0.05}
    result = simulate_orders(bars["close"], orders, **options)  # type: ignore[arg-type]
    expected = oracle(bars["close"], mode="orders", data={"values": orders}, **options)
    assert_same(result, expected)


# --- the real 1-minute bars ---------------------------------------------------


def _btc_bars(shared_data: Path) -> pl.DataFrame:
    return pl.read_csv(shared_data / "bars" / "btc-perp-20211231-20220201_1m.csv")


def _ema_cross(close: pl.Series, fast: int, slow: int) -> tuple[np.ndarray, np.ndarray]:
    f = close.ewm_mean(span=fast, adjust=False).to_numpy()
    s = close.ewm_mean(span=slow, adjust=False).to_numpy()
    above = f > s
    prev = np.concatenate([[False], above[:-1]])
    return above & ~prev, ~above & prev


@pytest.mark.parametrize("price", ["close", "next_open"])
def test_ema_cross_on_the_real_btc_bars_agrees_with_the_python_loop(
    shared_data: Path, price: str
) -> None:
    bars = _btc_bars(shared_data)
    close = bars["close"].cast(pl.Float64)
    pairs = [(10, 30), (20, 60), (50, 200)]
    crosses = [_ema_cross(close, f, s) for f, s in pairs]
    entries = np.column_stack([c[0] for c in crosses])
    exits = np.column_stack([c[1] for c in crosses])
    k = len(pairs)
    full = np.repeat(close.to_numpy()[:, None], k, axis=1)
    open_ = np.repeat(bars["open"].cast(pl.Float64).to_numpy()[:, None], k, axis=1)
    options = {"fees": 0.0004, "init_cash": 100_000.0}
    result = simulate_signals(
        close.to_numpy(),
        entries,
        exits,
        short_entries=exits,
        short_exits=entries,
        open=bars["open"].cast(pl.Float64).to_numpy(),
        price=price,
        **options,
    )  # type: ignore[arg-type]
    expected = oracle(
        full,
        mode="signals",
        data={"entries": entries, "exits": exits, "short_entries": exits, "short_exits": entries},
        open=open_,
        price=price,
        **options,
    )
    assert result.trades.height > 100
    assert_same(result, expected)


def test_stops_on_the_real_btc_bars_agree_with_the_python_loop(shared_data: Path) -> None:
    bars = _btc_bars(shared_data)
    cols = {
        c: bars[c].cast(pl.Float64).to_numpy()[:, None] for c in ("open", "high", "low", "close")
    }
    entries, exits = _ema_cross(bars["close"].cast(pl.Float64), 20, 60)
    stops = {"sl_stop": 0.004, "tp_stop": 0.012, "tsl_stop": 0.006}
    result = simulate_signals(
        cols["close"], entries, exits, open=cols["open"], high=cols["high"], low=cols["low"],
        fees=0.0004, **stops,
    )  # type: ignore[arg-type]  # fmt: skip
    expected = oracle(
        cols["close"], mode="signals", data={"entries": entries[:, None], "exits": exits[:, None]},
        open=cols["open"], high=cols["high"], low=cols["low"], fees=0.0004,
        sl=0.004, tp=0.012, tsl=0.006,
    )  # fmt: skip
    assert set(result.fills["reason"].to_list()) == set(REASONS)
    assert_same(result, expected)
