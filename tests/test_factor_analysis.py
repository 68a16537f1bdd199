"""Factor analysis (IC, quantiles, spread, turnover) against plain pandas written here."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from ferrox.errors import ConfigError, DataError
from ferrox.factors import FactorAnalysis, analyze, compute

HORIZONS = (1, 3, 5)
Q = 4


def synthetic_panel(seed: int = 7, names: int = 12, times: int = 90) -> pl.DataFrame:
    """Random walks with gaps (missing rows, a late listing, an early delisting) and a tied factor."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(names):
        close = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, times)))
        first = 15 if i == 0 else 0
        last = times - 20 if i == 1 else times
        for t in range(first, last):
            if rng.random() < 0.08:
                continue
            rows.append((f"I{i:02d}", t * 60_000_000_000, float(close[t]), i % 3))
    panel = pl.DataFrame(
        rows, schema=["instrument", "ts", "close", "sector"], orient="row"
    ).with_columns(pl.col("sector").cast(pl.Int64))
    noise = rng.normal(0, 1, panel.height)
    momentum = compute(panel, {"mom": "$close / Ref($close, 3) - 1"})
    panel = panel.join(momentum, on=["instrument", "ts"])
    # Rounded, so that many values tie; a few missing values besides the warm-up.
    signal = np.round(panel["mom"].fill_nan(None).fill_null(0.0).to_numpy() * 20 + noise, 1)
    signal[rng.random(panel.height) < 0.05] = np.nan
    return panel.with_columns(pl.Series("signal", signal)).drop("mom")


def qcut_first_ranks(x: pd.Series, q: int) -> pd.Series:
    """pd.qcut(x.rank(method="first"), q) + 1 with exact edges (pandas 3's result; pandas 2
    computes the edges in floats and can put a rank lying on an edge one bucket up)."""
    ranks = x.rank(method="first")
    n = len(x)
    bucket = pd.Series(1, index=x.index)
    for k in range(1, q):
        bucket += (q * (ranks - 1) > (n - 1) * k).astype(int)
    return bucket


@dataclass
class Oracle:
    """alphalens' steps, written with pandas."""

    data: pd.DataFrame
    ic: pd.DataFrame
    quantile_means: pd.DataFrame
    autocorr: pd.Series
    turnover: pd.DataFrame


def oracle(
    panel: pl.DataFrame,
    factor: str,
    horizons: tuple[int, ...] = HORIZONS,
    q: int = Q,
    group: str | None = None,
    min_names: int | None = None,
) -> Oracle:
    frame = panel.to_pandas()
    needed = min_names or q
    wide = frame.pivot(index="ts", columns="instrument", values="close").sort_index()
    data = frame[["instrument", "ts", factor] + ([group] if group else [])].copy()
    data = data[np.isfinite(data[factor])]
    for h in horizons:
        fwd = (wide.shift(-h) / wide - 1).reset_index().melt(id_vars="ts", value_name=f"f{h}")
        data = data.merge(fwd, on=["ts", "instrument"], how="left")
    data = data[data.groupby("ts")[factor].transform("size") >= needed]
    data = data.sort_values(["ts", "instrument"]).reset_index(drop=True)
    if group:
        for col in [factor, *(f"f{h}" for h in horizons)]:
            data[col] = data[col] - data.groupby(["ts", group])[col].transform("mean")
    data["q"] = data.groupby("ts")[factor].transform(lambda x: qcut_first_ranks(x, q))
    ics = []
    for h in horizons:
        sub = data.dropna(subset=[f"f{h}"])
        by = sub.groupby("ts")[[factor, f"f{h}"]]
        part = pd.DataFrame(
            {
                "n": by.size(),
                "ic": by.apply(lambda x, h=h: x[factor].corr(x[f"f{h}"])),
                "rank_ic": by.apply(lambda x, h=h: x[factor].corr(x[f"f{h}"], method="spearman")),
            }
        )
        part.loc[part["n"] < needed, ["ic", "rank_ic"]] = np.nan
        part["horizon"] = h
        ics.append(part.reset_index())
    means = pd.concat(
        data.groupby(["ts", "q"])[f"f{h}"].mean().rename("mean").reset_index().assign(horizon=h)
        for h in horizons
    )
    ranks = data.assign(r=data.groupby("ts")[factor].rank())
    rank_wide = ranks.pivot(index="ts", columns="instrument", values="r").sort_index()
    autocorr = rank_wide.corrwith(rank_wide.shift(1), axis=1)
    turnover = []
    for bucket in range(1, q + 1):
        sets = data[data["q"] == bucket].groupby("ts")["instrument"].apply(set)
        before = sets.shift(1)
        for ts, names in sets.items():
            prev = before[ts]
            share = np.nan if not isinstance(prev, set) else len(names - prev) / len(names)
            turnover.append((ts, bucket, share))
    return Oracle(
        data=data,
        ic=pd.concat(ics).set_index(["horizon", "ts"]).sort_index(),
        quantile_means=means.set_index(["horizon", "ts", "q"]).sort_index(),
        autocorr=autocorr,
        turnover=pd.DataFrame(turnover, columns=["ts", "q", "turnover"]).set_index(["ts", "q"]),
    )


@pytest.fixture(scope="module")
def panel() -> pl.DataFrame:
    return synthetic_panel()


@pytest.fixture(scope="module")
def result(panel: pl.DataFrame) -> FactorAnalysis:
    return analyze(panel, panel, factor="signal", horizons=HORIZONS, quantiles=Q)


@pytest.fixture(scope="module")
def expected(panel: pl.DataFrame) -> Oracle:
    return oracle(panel, "signal")


def ours_ic(result: FactorAnalysis) -> pd.DataFrame:
    return result.ic.to_pandas().set_index(["horizon", "ts"]).sort_index()


def test_forward_returns_count_periods_of_the_price_calendar(
    result: FactorAnalysis, expected: Oracle
) -> None:
    ours = result.data.to_pandas()
    assert list(ours["instrument"]) == list(expected.data["instrument"])
    assert list(ours["ts"]) == list(expected.data["ts"])
    for h in HORIZONS:
        np.testing.assert_allclose(
            ours[f"forward_{h}"].to_numpy(dtype=float),
            expected.data[f"f{h}"].to_numpy(dtype=float),
            rtol=1e-12,
        )


def test_a_gap_in_prices_makes_the_forward_return_missing() -> None:
    prices = pl.DataFrame(
        {"instrument": ["A"] * 3 + ["B"] * 4, "ts": [0, 2, 3, 0, 1, 2, 3],
         "close": [10.0, 12.0, 13.0, 5.0, 6.0, 7.0, 8.0]}
    )  # fmt: skip
    factors = prices.with_columns(f=pl.col("close"))
    result = analyze(factors, prices, factor="f", horizons=[1, 2], quantiles=2)
    a = result.data.filter(pl.col("instrument") == "A").sort("ts")
    # A has no price at ts=1: its 1-period return from 0 is missing, its 2-period one is 12/10.
    assert a["forward_1"].to_list()[0] is None
    assert a["forward_2"].to_list()[0] == pytest.approx(0.2)


def test_ic_per_time_equals_pandas_pearson(result: FactorAnalysis, expected: Oracle) -> None:
    ours, theirs = ours_ic(result), expected.ic
    ours = ours.loc[theirs.index]
    np.testing.assert_allclose(
        ours["ic"].to_numpy(dtype=float), theirs["ic"].to_numpy(dtype=float), rtol=1e-9, atol=1e-12
    )
    assert (ours["n"] == theirs["n"]).all()


def test_rank_ic_per_time_equals_pandas_spearman(result: FactorAnalysis, expected: Oracle) -> None:
    ours = ours_ic(result).loc[expected.ic.index]
    np.testing.assert_allclose(
        ours["rank_ic"].to_numpy(dtype=float),
        expected.ic["rank_ic"].to_numpy(dtype=float),
        rtol=1e-9,
        atol=1e-12,
    )


def test_times_without_forward_returns_have_no_ic(result: FactorAnalysis) -> None:
    last = result.ic.filter(pl.col("ts") == result.ic["ts"].max())
    assert last["ic"].null_count() == len(HORIZONS)


def test_ic_summary_is_mean_std_ir_and_t_of_the_ic_series(
    result: FactorAnalysis, expected: Oracle
) -> None:
    for h in HORIZONS:
        series = expected.ic.loc[h]["ic"].dropna()
        row = result.ic_summary.filter(pl.col("horizon") == h).row(0, named=True)
        mean, std = series.mean(), series.std()
        assert row["periods"] == len(series)
        assert row["ic_mean"] == pytest.approx(mean, rel=1e-9)
        assert row["ic_std"] == pytest.approx(std, rel=1e-9)
        assert row["ic_ir"] == pytest.approx(mean / std, rel=1e-9)
        assert row["ic_t"] == pytest.approx(mean / std * math.sqrt(len(series)), rel=1e-9)
        rank = expected.ic.loc[h]["rank_ic"].dropna()
        assert row["rank_ic_mean"] == pytest.approx(rank.mean(), rel=1e-9)


def test_decay_is_the_mean_ic_by_horizon(result: FactorAnalysis, expected: Oracle) -> None:
    decay = result.decay
    assert decay["horizon"].to_list() == list(HORIZONS)
    means = [expected.ic.loc[h]["ic"].mean() for h in HORIZONS]
    np.testing.assert_allclose(decay["ic_mean"].to_numpy(), means, rtol=1e-9)


def test_bucket_rule_equals_pandas_3_qcut_for_every_size() -> None:
    if int(pd.__version__.split(".")[0]) < 3:
        pytest.skip("pandas < 3 puts qcut edges with float error; the rule follows pandas 3")
    for q in (2, 3, 4, 5, 10):
        for n in range(q, 400):
            ranks = pd.Series(np.arange(1.0, n + 1))
            qcut = pd.qcut(ranks, q, labels=False).to_numpy() + 1
            assert qcut.tolist() == qcut_first_ranks(ranks, q).tolist(), (q, n)


def test_quantiles_equal_pandas_qcut_on_first_ranks(
    result: FactorAnalysis, expected: Oracle
) -> None:
    assert np.array_equal(result.data["quantile"].to_numpy(), expected.data["q"].to_numpy())


def test_the_panel_has_ties_so_the_tie_rule_is_exercised(panel: pl.DataFrame) -> None:
    per_time = (
        panel.drop_nulls("signal")
        .group_by("ts")
        .agg((pl.col("signal").len() - pl.col("signal").n_unique()).alias("ties"))
    )
    assert per_time["ties"].sum() > 20


def test_quantile_mean_returns_equal_pandas(result: FactorAnalysis, expected: Oracle) -> None:
    ours = (
        result.quantile_returns.to_pandas()
        .rename(columns={"quantile": "q"})
        .set_index(["horizon", "ts", "q"])
        .sort_index()
    )
    theirs = expected.quantile_means
    np.testing.assert_allclose(
        ours["mean_return"].to_numpy(dtype=float), theirs["mean"].to_numpy(dtype=float), rtol=1e-12
    )
    summary = result.quantile_summary.to_pandas().set_index(["horizon", "quantile"])
    per_bucket = theirs["mean"].groupby(level=["horizon", "q"]).agg(["mean", "std", "count"])
    np.testing.assert_allclose(summary["mean"], per_bucket["mean"], rtol=1e-12)
    np.testing.assert_allclose(summary["std"], per_bucket["std"], rtol=1e-9)
    assert (summary["periods"].to_numpy() == per_bucket["count"].to_numpy()).all()


def test_spread_is_top_minus_bottom_and_its_t(result: FactorAnalysis, expected: Oracle) -> None:
    for h in HORIZONS:
        wide = expected.quantile_means.loc[h]["mean"].unstack("q")
        spread = (wide[Q] - wide[1]).dropna()
        ours = result.spread.filter(pl.col("horizon") == h).drop_nulls("spread")
        assert ours["ts"].to_list() == spread.index.tolist()
        np.testing.assert_allclose(ours["spread"].to_numpy(), spread.to_numpy(), rtol=1e-12)
        row = result.spread_summary.filter(pl.col("horizon") == h).row(0, named=True)
        t = spread.mean() / spread.std() * math.sqrt(len(spread))
        assert row["t"] == pytest.approx(t, rel=1e-9)


def test_cumulative_spread_compounds_every_h_th_period(result: FactorAnalysis) -> None:
    for h in HORIZONS:
        curve = result.spread.filter(pl.col("horizon") == h).to_pandas()
        # The synthetic panel has a row at every minute, so calendar positions are ts / 1 min.
        pos = curve["ts"] // 60_000_000_000 - curve["ts"].iloc[0] // 60_000_000_000
        held = curve["spread"].where(pos % h == 0).fillna(0.0)
        np.testing.assert_allclose(curve["cumulative"], (1 + held).cumprod(), rtol=1e-12)


def test_rank_autocorrelation_equals_pandas_corrwith(
    result: FactorAnalysis, expected: Oracle
) -> None:
    ours = result.autocorrelation.to_pandas().set_index("ts")["rank_autocorrelation"]
    theirs = expected.autocorr.reindex(ours.index)
    np.testing.assert_allclose(ours.to_numpy(dtype=float), theirs.to_numpy(), rtol=1e-9, atol=1e-12)


def test_turnover_is_the_share_of_names_new_to_the_bucket(
    result: FactorAnalysis, expected: Oracle
) -> None:
    ours = (
        result.turnover.to_pandas().rename(columns={"quantile": "q"}).set_index(["ts", "q"])
    ).sort_index()
    theirs = expected.turnover.sort_index()
    assert ours.index.equals(theirs.index)
    np.testing.assert_allclose(
        ours["turnover"].to_numpy(dtype=float), theirs["turnover"].to_numpy(), rtol=1e-12
    )
    top = result.turnover_summary.filter(pl.col("quantile") == Q)["mean_turnover"][0]
    assert top == pytest.approx(theirs.xs(Q, level="q")["turnover"].mean(), rel=1e-12)


def test_group_neutralisation_demeans_factor_and_returns_per_group(panel: pl.DataFrame) -> None:
    ours = analyze(panel, panel, factor="signal", horizons=HORIZONS, quantiles=3, group="sector")
    theirs = oracle(panel, "signal", q=3, group="sector")
    data = ours.data.to_pandas()
    np.testing.assert_allclose(data["factor"], theirs.data["signal"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        data["forward_5"].to_numpy(dtype=float),
        theirs.data["f5"].to_numpy(dtype=float),
        rtol=1e-9,
        atol=1e-15,
    )
    ic = ours_ic(ours).loc[theirs.ic.index]
    np.testing.assert_allclose(
        ic["rank_ic"].to_numpy(dtype=float),
        theirs.ic["rank_ic"].to_numpy(dtype=float),
        rtol=1e-9,
        atol=1e-12,
    )
    assert np.array_equal(data["quantile"].to_numpy(), theirs.data["q"].to_numpy())


def test_a_factor_equal_to_the_forward_return_has_ic_1(panel: pl.DataFrame) -> None:
    first = analyze(panel, panel, factor="signal", horizons=[2], quantiles=Q)
    factors = first.data.select("instrument", "ts", pl.col("forward_2").alias("future"))
    result = analyze(factors, panel, factor="future", horizons=[2], quantiles=Q)
    ic = result.ic.drop_nulls("ic")
    assert ic.height > 50
    np.testing.assert_allclose(ic["ic"].to_numpy(), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ic["rank_ic"].to_numpy(), 1.0, rtol=0, atol=1e-12)


def test_a_random_factor_has_ic_near_0() -> None:
    rng = np.random.default_rng(3)
    names, times = 40, 250
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (times, names)), axis=0))
    panel = pl.DataFrame(
        {
            "instrument": np.tile(np.arange(names), times),
            "ts": np.repeat(np.arange(times), names),
            "close": close.ravel(),
            "noise": rng.normal(0, 1, names * times),
        }
    )
    result = analyze(panel, panel, factor="noise")
    summary = result.ic_summary
    # One IC has a standard error of about 1/sqrt(39) = 0.16; a mean of ~245 about 0.01.
    assert summary["ic_mean"].abs().max() < 0.04
    assert summary["rank_ic_mean"].abs().max() < 0.04
    assert summary["ic_std"].min() > 0.1


def test_times_with_fewer_instruments_than_required_are_left_out(panel: pl.DataFrame) -> None:
    sparse = panel.filter(~((pl.col("ts") == 0) & (pl.col("instrument") > "I03")))
    result = analyze(sparse, sparse, factor="signal", horizons=[1], quantiles=Q, min_instruments=6)
    assert 0 not in result.data["ts"].to_list()
    assert 0 not in result.ic["ts"].to_list()


def test_real_bars_perturbed_into_instruments_match_pandas(shared_data: Path) -> None:
    bars = pl.read_csv(shared_data / "bars" / "btc-perp-20211231-20220201_1m.csv")
    bars = bars.gather_every(30).select(
        pl.col("timestamp").str.to_datetime().dt.epoch("ns").alias("ts"),
        pl.col("close").cast(pl.Float64),
    )
    rng = np.random.default_rng(11)
    frames = []
    for i in range(7):
        drift = np.exp(np.cumsum(rng.normal(0, 0.002, bars.height)))
        keep = rng.random(bars.height) > 0.05
        frames.append(
            bars.with_columns(
                pl.lit(f"BTC{i}").alias("instrument"), pl.col("close") * drift
            ).filter(pl.Series(keep))
        )
    panel = pl.concat(frames).select("instrument", "ts", "close")
    factors = compute(panel, {"reversal": "Ref($close, 4) / $close - 1"})
    result = analyze(factors, panel, factor="reversal", horizons=(1, 4), quantiles=3)
    expected = oracle(panel.join(factors, on=["instrument", "ts"]), "reversal", (1, 4), 3)
    ours = ours_ic(result).loc[expected.ic.index]
    assert expected.ic["ic"].notna().sum() > 1000
    for col in ("ic", "rank_ic"):
        np.testing.assert_allclose(
            ours[col].to_numpy(dtype=float),
            expected.ic[col].to_numpy(dtype=float),
            rtol=1e-9,
            atol=1e-12,
        )
    assert np.array_equal(result.data["quantile"].to_numpy(), expected.data["q"].to_numpy())
    autocorr = result.autocorrelation.to_pandas().set_index("ts")["rank_autocorrelation"]
    np.testing.assert_allclose(
        autocorr.to_numpy(dtype=float),
        expected.autocorr.reindex(autocorr.index).to_numpy(),
        rtol=1e-9,
        atol=1e-12,
    )


# --- bad input -------------------------------------------------------------------------------


def small_panel() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "instrument": ["A", "B", "C"] * 2,
            "ts": [0, 0, 0, 1, 1, 1],
            "close": [1.0, 2.0, 3.0, 1.5, 2.5, 3.5],
            "f": [1.0, 2.0, 3.0, 1.0, 2.0, 3.0],
        }
    )


def test_a_duplicate_instrument_time_is_refused_naming_both_rows() -> None:
    panel = small_panel()
    dup = pl.concat([panel, panel.slice(4, 1)])
    with pytest.raises(DataError, match=r"factors row 6: duplicate .*'B', 1.* row 4"):
        analyze(dup, panel, factor="f", horizons=[1], quantiles=2)
    with pytest.raises(DataError, match=r"prices row 6: duplicate"):
        analyze(panel, dup, factor="f", horizons=[1], quantiles=2)


def test_a_missing_column_lists_the_columns_there_are() -> None:
    panel = small_panel()
    with pytest.raises(DataError, match=r"factors: no 'alpha' column \(columns: instrument, ts"):
        analyze(panel, panel, factor="alpha", horizons=[1], quantiles=2)
    with pytest.raises(DataError, match=r"prices: no 'vwap' column \(columns: instrument, ts"):
        analyze(panel, panel, factor="f", price="vwap", horizons=[1], quantiles=2)


def test_too_few_instruments_per_time_is_refused_with_the_largest_cross_section() -> None:
    panel = small_panel()
    with pytest.raises(
        DataError, match=r"largest cross-section .* has 3 instrument\(s\), expected at least 5"
    ):
        analyze(panel, panel, factor="f", horizons=[1], quantiles=5)


def test_a_non_positive_price_is_refused_naming_the_row() -> None:
    panel = small_panel().with_columns(
        pl.when(pl.col("close") == 2.5).then(0.0).otherwise(pl.col("close")).alias("close")
    )
    with pytest.raises(DataError, match=r"prices row 4: close=0.0 for instrument 'B'"):
        analyze(panel, panel, factor="f", horizons=[1], quantiles=2)


def test_times_in_different_units_are_refused() -> None:
    panel = small_panel()
    later = panel.with_columns(pl.col("ts") + 1_000)
    with pytest.raises(DataError, match="no factor time appears in the prices"):
        analyze(later, panel, factor="f", horizons=[1], quantiles=2)
    typed = panel.with_columns(pl.col("ts").cast(pl.Datetime("ns")))
    with pytest.raises(DataError, match=r"column 'ts' is Int64 in the factors but Datetime"):
        analyze(panel, typed, factor="f", horizons=[1], quantiles=2)


@pytest.mark.parametrize(
    ("horizons", "quantiles", "message"),
    [
        ([], 2, "at least one horizon"),
        ([0], 2, "whole numbers of periods >= 1"),
        ([1, 1], 2, "duplicates"),
        ([1], 1, "quantiles: expected a whole number >= 2"),
    ],
)
def test_bad_options_are_config_errors(horizons: list[int], quantiles: int, message: str) -> None:
    panel = small_panel()
    with pytest.raises(ConfigError, match=message):
        analyze(panel, panel, factor="f", horizons=horizons, quantiles=quantiles)


def test_numpy_integer_horizons_are_accepted() -> None:
    panel = small_panel()
    result = analyze(panel, panel, factor="f", horizons=np.array([1]), quantiles=2)
    assert result.horizons == (1,)
