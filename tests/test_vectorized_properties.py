"""Invariants of the vectorised simulator on random inputs (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrox import _core
from ferrox.research import VectorizedResult, simulate_orders, simulate_signals

SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def markets(draw: st.DrawFn) -> dict[str, object]:
    """Random walks with random signals, orders and costs."""
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(2, 80))
    k = draw(st.integers(1, 4))
    rng = np.random.default_rng(seed)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0, 0.05, (n, k)), axis=0))
    p = draw(st.floats(0.02, 0.4))
    return {
        "close": close,
        "entries": rng.random((n, k)) < p,
        "exits": rng.random((n, k)) < p,
        "short_entries": rng.random((n, k)) < p / 2,
        "short_exits": rng.random((n, k)) < p / 2,
        "orders": np.where(rng.random((n, k)) < p, rng.normal(0, 2, (n, k)), np.nan),
        "fees": draw(st.sampled_from([0.0, 0.001, 0.01])),
        "fixed_fees": draw(st.sampled_from([0.0, 0.1, 5.0])),
        "slippage": draw(st.sampled_from([0.0, 0.002])),
        "cash_sharing": draw(st.booleans()),
    }


def _signals(m: dict[str, object], *, shorts: bool) -> VectorizedResult:
    extra = {"short_entries": m["short_entries"], "short_exits": m["short_exits"]} if shorts else {}
    return simulate_signals(
        m["close"], m["entries"], m["exits"], fees=m["fees"], fixed_fees=m["fixed_fees"],
        slippage=m["slippage"], cash_sharing=m["cash_sharing"], **extra,
    )  # type: ignore[arg-type]  # fmt: skip


def _orders(m: dict[str, object]) -> VectorizedResult:
    return simulate_orders(
        m["close"], m["orders"], fees=m["fees"], fixed_fees=m["fixed_fees"],
        slippage=m["slippage"], cash_sharing=m["cash_sharing"],
    )  # type: ignore[arg-type]  # fmt: skip


@SETTINGS
@given(markets())
def test_cash_is_never_negative_when_buys_are_sized_by_cash(m: dict[str, object]) -> None:
    for result in (_signals(m, shorts=False), _signals(m, shorts=True), _orders(m)):
        assert (result.cash_array >= 0.0).all()
        assert (result.fills["cash"].to_numpy() >= 0.0).all()


@SETTINGS
@given(markets())
def test_position_equals_the_sum_of_fills(m: dict[str, object]) -> None:
    for result in (_signals(m, shorts=True), _orders(m)):
        fills = result.fills
        signed = (
            np.where(fills["side"].to_numpy() == "BUY", 1.0, -1.0) * fills["quantity"].to_numpy()
        )
        flows = np.zeros(result.position_array.shape)
        cols = np.array([result.columns.index(c) for c in fills["column"].to_list()], dtype=int)
        np.add.at(flows, (fills["row"].to_numpy(), cols), signed)
        np.testing.assert_allclose(
            result.position_array, np.cumsum(flows, axis=0), rtol=1e-9, atol=1e-9
        )


@SETTINGS
@given(markets())
def test_equity_is_cash_plus_positions_at_the_close(m: dict[str, object]) -> None:
    for result in (_signals(m, shorts=True), _orders(m)):
        close = np.asarray(m["close"])
        held = result.position_array * close
        value = held.sum(axis=1, keepdims=True) if m["cash_sharing"] else held
        np.testing.assert_allclose(
            result.equity_array, result.cash_array + value, rtol=1e-9, atol=1e-9
        )


@SETTINGS
@given(markets())
def test_cash_and_position_rebuilt_from_fills_equal_the_kernels_own(m: dict[str, object]) -> None:
    close = np.asarray(m["close"])
    n, k = close.shape
    nan = np.full(k, np.nan)
    params = (
        np.full(k, np.inf), np.full(k, m["fees"]), np.full(k, m["fixed_fees"]),
        np.full(k, m["slippage"]), nan, nan, nan,
    )  # fmt: skip
    lens = [k] if m["cash_sharing"] else [1] * k
    raw = _core.vsim_orders(
        n, (close.ravel(order="F"), None, None, None), np.asarray(m["orders"]).ravel(order="F"),
        params, "amount", "close", lens, np.full(len(lens), 100.0), record_all=True,
    )  # fmt: skip
    result = _orders(m)
    np.testing.assert_array_equal(result.cash_array, raw["cash"].reshape(len(lens), n).T)
    np.testing.assert_array_equal(result.position_array, raw["position"].reshape(k, n).T)
    np.testing.assert_array_equal(result.equity_array, raw["equity"].reshape(len(lens), n).T)
