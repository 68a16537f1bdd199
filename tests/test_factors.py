"""ferrox.factors: the expression language, panel rules, cross-sectional and other operators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factor_oracle import idxmax
from ferrox import ConfigError, DataError
from ferrox.factors import F, compute, operators, plan_size


def small_panel(seed: int = 3, n_inst: int = 12, n_days: int = 40) -> pl.DataFrame:
    """A seeded panel with a missing day per instrument, NaN closes and a group column."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n_inst):
        close = 10 * np.exp(np.cumsum(rng.normal(0, 0.03, n_days)))
        volume = rng.lognormal(8, 1, n_days)
        skip = int(rng.integers(1, n_days - 1))
        for t in range(n_days):
            if t == skip:
                continue
            c = np.nan if rng.random() < 0.03 else close[t]
            rows.append((f"I{k:02d}", t, c, volume[t], float(k % 3)))
    return pl.DataFrame(
        rows, schema=["instrument", "ts", "close", "volume", "industry"], orient="row"
    )


def aligned(panel: pl.DataFrame) -> pd.DataFrame:
    """The panel with every instrument on its calendar span (missing days as NaN rows)."""
    from factor_oracle import on_calendar

    return on_calendar(panel.to_pandas())


def per_instrument(frame: pd.DataFrame, column: str, fn: Callable[[pd.Series], Any]) -> np.ndarray:
    """fn applied to each instrument's calendar-aligned series; values of present rows."""
    out = []
    for _, g in frame.groupby("instrument", sort=False):
        values = np.asarray(fn(g[column].reset_index(drop=True).astype(float)), dtype=float)
        out.append(values[g["present"].to_numpy()])
    return np.concatenate(out)


# --- expression language ----------------------------------------------------


def test_unclosed_call_reports_position_and_expected_token() -> None:
    with pytest.raises(ConfigError, match=r"expected '\)' at position 14 in \"Mean\(\$close, 5\""):
        compute(small_panel(), ["Mean($close, 5"])


def test_stray_character_reports_its_position() -> None:
    with pytest.raises(ConfigError, match="at position 7"):
        compute(small_panel(), ["$close # 2"])


def test_missing_operand_reports_what_was_expected() -> None:
    with pytest.raises(ConfigError, match=r"expected a number, \$field.* at position 8"):
        compute(small_panel(), ["$close +"])


def test_unknown_operator_lists_the_operators() -> None:
    with pytest.raises(ConfigError, match=r"unknown operator \"Mena\".*Mean"):
        compute(small_panel(), ["Mena($close, 5)"])


def test_wrong_argument_count_is_named() -> None:
    with pytest.raises(ConfigError, match=r"Corr expects 3 argument"):
        compute(small_panel(), ["Corr($close, 5)"])


def test_window_must_be_a_whole_number() -> None:
    with pytest.raises(ConfigError, match="whole window"):
        compute(small_panel(), ["Mean($close, 0)"])


def test_unknown_field_lists_the_available_fields() -> None:
    with pytest.raises(
        ConfigError, match=r"unknown field \$clse .*available fields: \$close, \$volume, \$industry"
    ):
        compute(small_panel(), {"x": "Mean($clse, 5)"})


def test_operator_list_covers_the_issue() -> None:
    wanted = {"Ref", "Mean", "Std", "Sum", "Max", "Min", "Delta", "Slope", "Rsquare", "Resi"}
    wanted |= {"Quantile", "Rank", "IdxMax", "IdxMin", "Corr", "Cov", "EMA", "WMA", "Abs"}
    wanted |= {"Log", "Sign", "Power", "Greater", "Less", "If", "CSRank", "CSZScore", "CSDemean"}
    assert wanted <= set(operators())


def test_builder_and_string_give_the_same_values() -> None:
    panel = small_panel()
    built = compute(panel, {"x": (F.close.mean(5) / F.close).cs_rank() + F.volume.std(3)})
    text = compute(panel, {"x": "CSRank(Mean($close, 5) / $close) + Std($volume, 3)"})
    np.testing.assert_array_equal(built["x"].to_numpy(), text["x"].to_numpy())


def test_shared_sub_expressions_are_planned_once() -> None:
    tree, shared = plan_size(["Mean($close, 5) / $close", "Std($close, 5) / $close"], ["close"])
    # $close, Mean, $close, Div, $close, Std, $close, Div -> $close, Mean, Div, Std, Div
    assert (tree, shared) == (8, 5)


# --- panel rules --------------------------------------------------------------


def test_duplicate_rows_are_refused_naming_the_row() -> None:
    panel = pl.DataFrame(
        {"instrument": ["A", "A", "B", "B"], "ts": [1, 2, 1, 1], "close": [1.0] * 4}
    )
    with pytest.raises(
        DataError, match=r"panel row 3: duplicate \(instrument, time\) for instrument 'B' at ts=1"
    ):
        compute(panel, ["$close"])


def test_backwards_time_is_refused_naming_the_row() -> None:
    panel = pl.DataFrame({"instrument": ["A", "A", "A"], "ts": [1, 3, 2], "close": [1.0] * 3})
    with pytest.raises(
        DataError, match=r"panel row 2: time goes backwards for instrument 'A' at ts=2"
    ):
        compute(panel, ["$close"])


def test_time_major_panels_are_accepted_and_grouped_by_instrument() -> None:
    panel = small_panel().sort("ts", "instrument")
    out = compute(panel, {"ma": "Mean($close, 3)"})
    expected = compute(small_panel(), {"ma": "Mean($close, 3)"})
    assert out.equals(expected)


def test_missing_key_column_is_named() -> None:
    with pytest.raises(DataError, match="no 'date' column"):
        compute(small_panel(), ["$close"], time="date")


def test_null_instrument_is_refused() -> None:
    panel = pl.DataFrame({"instrument": ["A", None], "ts": [1, 2], "close": [1.0, 2.0]})
    with pytest.raises(DataError, match="panel row 1: 'instrument' is null"):
        compute(panel, ["$close"])


def test_a_missing_day_is_a_gap_in_the_window() -> None:
    panel = pl.DataFrame(
        {
            "instrument": ["A", "A", "B", "B", "B"],
            "ts": [1, 3, 1, 2, 3],
            "close": [1.0, 3.0, 5.0, 6.0, 7.0],
        }
    )
    out = compute(panel, {"prev": "Ref($close, 1)", "cnt": "Count($close, 2)"})
    a = out.filter(pl.col("instrument") == "A")
    # A has no row at ts=2 although the calendar does: its previous close there is missing.
    assert np.isnan(a["prev"][1])
    assert a["cnt"].to_list() == [1.0, 1.0]


# --- cross-sectional operators -------------------------------------------------


@pytest.fixture(scope="module")
def cs() -> tuple[pd.DataFrame, pd.DataFrame]:
    panel = small_panel()
    ours = compute(
        panel,
        {
            "rank": "CSRank($close)",
            "z": "CSZScore($close)",
            "demean": "CSDemean($close)",
            "neutral": "CSNeutralize($close, $industry)",
            "wins": "CSWinsorize($close, 0.1)",
        },
    ).to_pandas()
    return ours, panel.to_pandas()


def test_cs_rank_equals_pandas_pct_rank_per_timestamp(
    cs: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    ours, panel = cs
    expected = panel.groupby("ts")["close"].rank(pct=True)
    np.testing.assert_allclose(ours["rank"], expected, rtol=1e-12, equal_nan=True)


def test_cs_zscore_equals_pandas_per_timestamp(cs: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ours, panel = cs
    g = panel.groupby("ts")["close"]
    expected = (panel["close"] - g.transform("mean")) / g.transform("std")
    np.testing.assert_allclose(ours["z"], expected, rtol=1e-10, equal_nan=True)


def test_cs_demean_equals_pandas_per_timestamp(cs: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ours, panel = cs
    expected = panel["close"] - panel.groupby("ts")["close"].transform("mean")
    np.testing.assert_allclose(ours["demean"], expected, rtol=1e-10, atol=1e-12, equal_nan=True)


def test_cs_neutralize_demeans_within_each_group(cs: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ours, panel = cs
    expected = panel["close"] - panel.groupby(["ts", "industry"])["close"].transform("mean")
    np.testing.assert_allclose(ours["neutral"], expected, rtol=1e-10, atol=1e-12, equal_nan=True)


def test_cs_winsorize_clips_to_quantiles(cs: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ours, panel = cs
    g = panel.groupby("ts")["close"]
    lo, hi = g.transform(lambda s: s.quantile(0.1)), g.transform(lambda s: s.quantile(0.9))
    expected = panel["close"].clip(lo, hi)
    np.testing.assert_allclose(ours["wins"], expected, rtol=1e-12, equal_nan=True)


def test_time_series_of_a_cross_section() -> None:
    panel = small_panel()
    ours = compute(panel, {"x": "Mean(CSRank($close), 5)"})
    ranked = panel.to_pandas()
    ranked["close"] = ranked.groupby("ts")["close"].rank(pct=True)
    expected = per_instrument(
        aligned(pl.from_pandas(ranked)), "close", lambda s: s.rolling(5, min_periods=1).mean()
    )
    np.testing.assert_allclose(ours["x"], expected, rtol=1e-12, equal_nan=True)


# --- other operators against pandas ------------------------------------------

WMA_W = 6


def _qlib_wma(x: np.ndarray) -> float:
    w = np.arange(len(x)) + 1
    w = w / w.sum()
    return float(np.nanmean(w * x))


def _mad(x: np.ndarray) -> float:
    x1 = x[~np.isnan(x)]
    return float(np.mean(np.abs(x1 - x1.mean())))


ORACLES = {
    "EMA($close, 10)": lambda s: s.ewm(span=10, min_periods=1).mean(),
    "EMA($close, 0.3)": lambda s: s.ewm(alpha=0.3, min_periods=1).mean(),
    f"WMA($close, {WMA_W})": lambda s: s.rolling(WMA_W, min_periods=1).apply(_qlib_wma, raw=True),
    "Med($close, 7)": lambda s: s.rolling(7, min_periods=1).median(),
    "Mad($close, 7)": lambda s: s.rolling(7, min_periods=1).apply(_mad, raw=True),
    "Var($close, 7)": lambda s: s.rolling(7, min_periods=1).var(),
    "Count($close, 4)": lambda s: s.rolling(4, min_periods=1).count(),
    "Delta($close, 2)": lambda s: s - s.shift(2),
    "Ref($close, -1)": lambda s: s.shift(-1),
    "Sign(Delta($close, 1))": lambda s: np.sign(s - s.shift(1)),
    "Power($close, 2)": lambda s: np.power(s, 2),
    "If($close > Mean($close, 3), $close, -$close)": lambda s: np.where(
        s > s.rolling(3, min_periods=1).mean(), s, -s
    ),
    "($close > 10) & ($close < 12)": lambda s: ((s > 10) & (s < 12)).astype(float),
    "($close > 12) | Not($close > 9)": lambda s: ((s > 12) | ~(s > 9)).astype(float),
    "IdxMax($close, 8)": lambda s: idxmax(s, 8),
    "Cov($close, Log($close), 6)": lambda s: s.rolling(6, min_periods=1).cov(np.log(s)),
}


@pytest.mark.parametrize("expression", list(ORACLES))
def test_operator_equals_pandas(expression: str) -> None:
    panel = small_panel()
    ours = compute(panel, [expression])[expression].to_numpy()
    expected = per_instrument(aligned(panel), "close", ORACLES[expression])
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-12, equal_nan=True)


# --- plan sharing is neutral ---------------------------------------------------

LEAVES = ["$close", "$volume", "Ref($close, 1)", "Log($volume + 1)"]
ROLLS = ["Mean", "Std", "Sum", "Max", "Min", "Slope", "Rsquare", "Resi", "Rank", "IdxMin", "Count"]


@st.composite
def expressions(draw: st.DrawFn, depth: int = 3) -> str:
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(LEAVES))
    kind = draw(st.sampled_from(["roll", "bin", "quantile", "corr", "cs"]))
    a = draw(expressions(depth - 1))
    if kind == "roll":
        return f"{draw(st.sampled_from(ROLLS))}({a}, {draw(st.integers(1, 6))})"
    if kind == "quantile":
        return f"Quantile({a}, {draw(st.integers(1, 6))}, {draw(st.sampled_from([0.2, 0.5, 0.8]))})"
    b = draw(expressions(depth - 1))
    if kind == "corr":
        return f"Corr({a}, {b}, {draw(st.integers(2, 6))})"
    if kind == "cs":
        return f"CSRank({a})"
    return f"({a} {draw(st.sampled_from(['+', '-', '*', '/', '>']))} {b})"


PANEL = small_panel(n_inst=5, n_days=25)


@settings(max_examples=40, deadline=None)
@given(st.lists(expressions(), min_size=1, max_size=6, unique=True))
def test_sharing_sub_expressions_does_not_change_results(exprs: list[str]) -> None:
    shared = compute(PANEL, exprs)
    alone = compute(PANEL, exprs, dedup=False)
    for e in exprs:
        np.testing.assert_array_equal(shared[e].to_numpy(), alone[e].to_numpy())
    for e in exprs:
        single = compute(PANEL, [e])[e].to_numpy()
        np.testing.assert_array_equal(shared[e].to_numpy(), single)
