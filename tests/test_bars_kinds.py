"""Tick, volume, value, imbalance and run bars; bars from quotes (bid, ask, exact mid).

Imbalance and run bars are checked against a direct transcription of López de
Prado's definitions (*Advances in Financial Machine Learning*, 2.3.2), written
here in plain Python with the same floating-point operations.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import numpy.typing as npt
import pandas as pd
import polars as pl
import pytest

from ferrox.bars import aggregate, bar_precisions
from ferrox.errors import ConfigError

Columns = dict[str, npt.NDArray[np.int64] | npt.NDArray[np.uint8]]


def trades_of(prices: list[int], sizes: list[int], sides: list[int] | None = None) -> Columns:
    n = len(prices)
    return {
        "ts_event": np.arange(n, dtype=np.int64) * 1_000,
        "price": np.array(prices, dtype=np.int64),
        "size": np.array(sizes, dtype=np.int64),
        "aggressor_side": np.array(sides or [1] * n, dtype=np.uint8),
    }


def random_trades(n: int, seed: int, *, unknown_sides: bool = False) -> Columns:
    rng = np.random.default_rng(seed)
    # Persistent order flow: sides come in runs, so imbalances build up.
    flips = rng.random(n) < 0.15
    sides = np.where(np.cumsum(flips) % 2 == 0, 1, 2).astype(np.uint8)
    if unknown_sides:
        sides[:] = 0
    return {
        "ts_event": np.cumsum(rng.integers(0, 10_000_000, n)),
        "price": 100_000 + np.cumsum(rng.integers(-2, 3, n)),
        "size": rng.integers(1, 2_000, n),
        "aggressor_side": sides,
    }


def counts(bars: pl.DataFrame) -> list[int]:
    return bars["trade_count"].to_list()


def test_tick_bars_hold_exactly_n_trades_but_the_last() -> None:
    trades = trades_of([100] * 10, [1] * 10)
    assert counts(aggregate(trades, "4-tick")) == [4, 4, 2]


def test_volume_bars_close_on_the_trade_that_reaches_the_threshold() -> None:
    # 1.5 units at size precision 3 is 1500 raw: trades of 0.6 close every third.
    trades = trades_of([100] * 7, [600] * 7)
    bars = aggregate(trades, "1.5-volume", precisions=(2, 3))
    assert counts(bars) == [3, 3, 1]
    assert bars["volume"].to_list() == [1800, 1800, 600]


def test_value_bars_count_price_times_size_in_quote_units() -> None:
    # price 2.00 x size 0.500 = 1 quote unit per trade.
    trades = trades_of([200] * 5, [500] * 5)
    bars = aggregate(trades, "2-value", precisions=(2, 3))
    assert counts(bars) == [2, 2, 1]
    assert bars["value"].to_list() == [2.0, 2.0, 1.0]
    assert bars["vwap"].to_list() == [2.0, 2.0, 2.0]


def test_a_threshold_finer_than_the_precision_is_refused_not_rounded() -> None:
    trades = trades_of([100], [1])
    with pytest.raises(ConfigError, match=r"0\.0005 has 4 decimals, finer than the precision 3"):
        aggregate(trades, "0.0005-volume", precisions=(2, 3))


def test_volume_and_value_bars_need_the_precisions() -> None:
    with pytest.raises(ConfigError, match="size precision"):
        aggregate(trades_of([100], [1]), "5-volume")


def test_non_time_bars_span_their_first_and_last_trade() -> None:
    trades = trades_of([100, 101, 102, 103], [1, 1, 1, 1])
    bars = aggregate(trades, "2-tick")
    assert bars.select("ts_open", "ts_close").rows() == [(0, 1_000), (2_000, 3_000)]
    assert bars["ts_open"].to_list() == bars["ts_first"].to_list()


def _tick_rule_signs(prices: npt.NDArray[np.int64], sides: npt.NDArray[np.uint8]) -> list[float]:
    signs, rule, last = [], 0, None
    for price, side in zip(prices.tolist(), sides.tolist(), strict=True):
        if last is not None and price != last:
            rule = 1 if price > last else -1
        last = price
        signs.append(1.0 if side == 1 else -1.0 if side == 2 else float(rule))
    return signs


def _measure(kind: str, price: int, size: int) -> float:
    return {"tick": 1.0, "volume": float(size), "value": float(price) * float(size)}[kind]


def reference_imbalance_bars(
    trades: Columns,
    measure: str,
    expected: float,
    span: float,
    window: float,
    low: float = 1.0,
    high: float = math.inf,
) -> list[int]:
    """Trade counts of imbalance bars: close when |Σ b·v| >= E0[T]·|E0[b·v]|."""
    alpha_bars, alpha_trades = 2 / (span + 1), 2 / (window + 1)
    expected_t, mean_bv, theta, threshold, count = expected, None, 0.0, None, 0
    closed = []
    signs = _tick_rule_signs(trades["price"], trades["aggressor_side"])
    for b, price, size in zip(
        signs, trades["price"].tolist(), trades["size"].tolist(), strict=True
    ):
        bv = b * _measure(measure, price, size)
        mean_bv = bv if mean_bv is None else (1 - alpha_trades) * mean_bv + alpha_trades * bv
        theta += bv
        count += 1
        if threshold is None:
            if count < expected_t:
                continue
            threshold = expected_t * abs(mean_bv)
        if abs(theta) >= threshold:
            closed.append(count)
            expected_t = min(max((1 - alpha_bars) * expected_t + alpha_bars * count, low), high)
            threshold = expected_t * abs(mean_bv)
            theta, count = 0.0, 0
    return closed + ([count] if count else [])


def reference_run_bars(
    trades: Columns, measure: str, expected: float, span: float, window: float
) -> list[int]:
    """Trade counts of run bars: close when max(Σ buy v, Σ sell v) >= E0[T]·max(P·v+, (1-P)·v-)."""
    alpha_bars, alpha_trades = 2 / (span + 1), 2 / (window + 1)

    def ewma(mean: float | None, x: float) -> float:
        return x if mean is None else (1 - alpha_trades) * mean + alpha_trades * x

    expected_t, p_buy, v_buy, v_sell = expected, None, None, None
    buys, sells, threshold, count = 0.0, 0.0, None, 0
    closed = []

    def next_threshold() -> float:
        p = p_buy or 0.0
        return expected_t * max(p * (v_buy or 0.0), (1 - p) * (v_sell or 0.0))

    signs = _tick_rule_signs(trades["price"], trades["aggressor_side"])
    for b, price, size in zip(
        signs, trades["price"].tolist(), trades["size"].tolist(), strict=True
    ):
        v = _measure(measure, price, size)
        p_buy = ewma(p_buy, 1.0 if b > 0 else 0.0)
        if b > 0:
            v_buy, buys = ewma(v_buy, v), buys + v
        elif b < 0:
            v_sell, sells = ewma(v_sell, v), sells + v
        count += 1
        if threshold is None:
            if count < expected_t:
                continue
            threshold = next_threshold()
        if max(buys, sells) >= threshold:
            closed.append(count)
            expected_t = max((1 - alpha_bars) * expected_t + alpha_bars * count, 1.0)
            threshold = next_threshold()
            buys, sells, count = 0.0, 0.0, 0
    return closed + ([count] if count else [])


@pytest.mark.parametrize("measure", ["tick", "volume", "value"])
@pytest.mark.parametrize("unknown_sides", [False, True])
def test_imbalance_bars_follow_lopez_de_prado(measure: str, unknown_sides: bool) -> None:
    trades = random_trades(5_000, seed=3, unknown_sides=unknown_sides)
    spec = f"{measure}-imbalance:expected=50,span=5,window=200"
    expected = reference_imbalance_bars(trades, measure, 50, 5, 200)
    assert len(expected) > 5
    assert counts(aggregate(trades, spec, precisions=(2, 3))) == expected


def test_imbalance_bars_keep_expected_trades_within_min_and_max() -> None:
    trades = random_trades(5_000, seed=5)
    spec = "tick-imbalance:expected=40,span=3,window=100,min=20,max=60"
    expected = reference_imbalance_bars(trades, "tick", 40, 3, 100, low=20, high=60)
    assert counts(aggregate(trades, spec)) == expected


@pytest.mark.parametrize("measure", ["tick", "volume", "value"])
@pytest.mark.parametrize("unknown_sides", [False, True])
def test_run_bars_follow_lopez_de_prado(measure: str, unknown_sides: bool) -> None:
    trades = random_trades(5_000, seed=11, unknown_sides=unknown_sides)
    spec = f"{measure}-run:expected=50,span=5,window=200"
    expected = reference_run_bars(trades, measure, 50, 5, 200)
    assert len(expected) > 5
    assert counts(aggregate(trades, spec, precisions=(2, 3))) == expected


def test_the_first_information_bar_waits_for_the_expected_number_of_trades() -> None:
    # All buys: E0[b] = 1 from the start, yet nothing closes before 30 trades.
    trades = trades_of([100] * 100, [1] * 100)
    assert counts(aggregate(trades, "tick-imbalance:expected=30,span=1"))[0] == 30


def test_expected_trades_per_bar_is_pandas_ewm_with_adjust_false() -> None:
    # All buys of size 1: E0[b·v] = 1, so each bar closes after ceil(E0[T]) trades and
    # the bar lengths reveal E0[T], which must be ewm(span, adjust=False) over
    # [expected, T1, T2, ...].
    trades = trades_of([100] * 400, [1] * 400)
    lengths = counts(aggregate(trades, "tick-imbalance:expected=10.3,span=4,window=5"))[:-1]
    means = pd.Series([10.3, *lengths]).ewm(span=4, adjust=False).mean()
    assert lengths == [math.ceil(m) for m in means[:-1]]


def _quotes() -> dict[str, npt.NDArray[np.int64]]:
    return {
        "ts_event": np.array([0, 1, 2, 3], dtype=np.int64),
        "bid_price": np.array([10001, 10003, 10002, 9999], dtype=np.int64),
        "ask_price": np.array([10002, 10004, 10004, 10001], dtype=np.int64),
        "bid_size": np.array([500, 7, 3, 10], dtype=np.int64),
        "ask_size": np.array([1, 2, 3, 5], dtype=np.int64),
    }


@pytest.mark.parametrize(("source", "column"), [("bid", "bid"), ("ask", "ask")])
def test_quote_bars_take_the_chosen_side(source: str, column: str) -> None:
    quotes = _quotes()
    bars = aggregate(quotes, "1m", source=source, precisions=(2, 3))  # type: ignore[arg-type]
    prices = quotes[f"{column}_price"]
    assert bars.select("open", "high", "low", "close").row(0) == (
        prices[0],
        prices.max(),
        prices.min(),
        prices[-1],
    )
    assert bars["volume"].item() == quotes[f"{column}_size"].sum()


def test_mid_bars_are_exact_at_one_more_decimal() -> None:
    quotes = _quotes()
    bars = aggregate(quotes, "2-tick", source="mid", precisions=(2, 3))
    price_precision, size_precision = bar_precisions("mid", 2, 3)
    mids = [
        (Decimal(int(b)) + Decimal(int(a))) / 2 / 100
        for b, a in zip(quotes["bid_price"], quotes["ask_price"], strict=True)
    ]
    opens = [Decimal(raw).scaleb(-price_precision) for raw in bars["open"]]
    closes = [Decimal(raw).scaleb(-price_precision) for raw in bars["close"]]
    assert opens == [mids[0], mids[2]]
    assert closes == [mids[1], mids[3]]
    mean_sizes = (quotes["bid_size"] + quotes["ask_size"]) / 2
    volume = [Decimal(raw).scaleb(-size_precision) for raw in bars["volume"]]
    assert volume == [
        Decimal(str(mean_sizes[0] + mean_sizes[1])) / 1000,
        Decimal(str(mean_sizes[2] + mean_sizes[3])) / 1000,
    ]


def test_quote_bars_have_no_aggressor_volume() -> None:
    bars = aggregate(_quotes(), "1m", source="bid", precisions=(2, 3))
    assert bars.select("buy_volume", "sell_volume").row(0) == (0, 0)
