"""Every Alpha158 feature equals a plain pandas implementation of Qlib's definitions.

Two panels: hourly bars of the real BTC perpetual month (``bars/btc-perp-...``)
and a seeded synthetic universe with late listings, early delistings, missing
days and zero-volume days. The oracle (``factor_oracle.py``) follows Qlib
0.9.7's operator code with pandas; both sides compute in float64.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from factor_oracle import alpha158_pandas
from ferrox.factors import alpha158, compute

NAMES = list(alpha158())

# pandas' rolling corr is mean(xy) - mean(x)mean(y): for CORD (ratios near 1) the
# subtraction loses ~4 digits, so pandas itself is only good to ~1e-8 there
# (a two-point window of exactly -1 comes out as -1.0000000263).
RTOL = {"CORD": 1e-6}


def synthetic_universe(n_inst: int = 24, n_days: int = 200, seed: int = 158) -> pl.DataFrame:
    """Seeded daily OHLCV+vwap with gaps: late listings, early delistings, missing and
    zero-volume days (never two zero-volume days in a row)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2020-01-01", periods=n_days, freq="D")
    rows = []
    for k in range(n_inst):
        first = int(rng.integers(40, 90)) if k % 4 == 1 else 0
        last = int(rng.integers(110, 170)) if k % 4 == 2 else n_days
        close = 20 * np.exp(np.cumsum(rng.normal(0, 0.02, n_days)))
        open_ = close * np.exp(rng.normal(0, 0.01, n_days))
        high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.02, n_days))
        low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.02, n_days))
        volume = rng.lognormal(12, 1, n_days)
        zero = rng.random(n_days) < 0.03
        zero[1:] &= ~zero[:-1]
        volume[zero] = 0.0
        vwap = low + (high - low) * rng.uniform(0.2, 0.8, n_days)
        keep = rng.random(n_days) > 0.04
        for i in range(first, last):
            if keep[i] or i in (first, last - 1):
                rows.append(
                    (f"S{k:02d}", days[i], open_[i], high[i], low[i], close[i], volume[i], vwap[i])
                )
    return pl.DataFrame(
        rows,
        schema=["instrument", "ts", "open", "high", "low", "close", "volume", "vwap"],
        orient="row",
    )


def btc_hourly(path: Path) -> pl.DataFrame:
    """The real 1-minute BTC perpetual bars as hourly bars (vwap from the minute closes)."""
    minutes = pl.read_csv(path, try_parse_dates=True).sort("timestamp")
    hourly = minutes.group_by_dynamic("timestamp", every="1h").agg(
        pl.col("open").first(),
        pl.col("high").max(),
        pl.col("low").min(),
        pl.col("close").last(),
        pl.col("volume").sum(),
        ((pl.col("close") * pl.col("volume")).sum() / pl.col("volume").sum()).alias("vwap"),
    )
    return hourly.rename({"timestamp": "ts"}).with_columns(instrument=pl.lit("BTC-PERP"))


@pytest.fixture(scope="module", params=["btc-hourly", "synthetic"])
def both(request: pytest.FixtureRequest) -> tuple[pl.DataFrame, pd.DataFrame]:
    """(ferrox's Alpha158, the pandas oracle's) on one panel, rows in the same order."""
    if request.param == "synthetic":
        panel = synthetic_universe()
    else:
        data: Path = request.getfixturevalue("shared_data")
        panel = btc_hourly(data / "bars" / "btc-perp-20211231-20220201_1m.csv")
    ours = compute(panel, alpha158())
    theirs = alpha158_pandas(panel.to_pandas())
    return ours, theirs


def test_alpha158_has_qlibs_158_names() -> None:
    assert len(NAMES) == 158
    assert NAMES[:9] == ["KMID", "KLEN", "KMID2", "KUP", "KUP2", "KLOW", "KLOW2", "KSFT", "KSFT2"]
    assert NAMES[9:13] == ["OPEN0", "HIGH0", "LOW0", "VWAP0"]
    assert NAMES[-1] == "VSUMD60"


def test_rows_are_the_panels_rows(both: tuple[pl.DataFrame, pd.DataFrame]) -> None:
    ours, theirs = both
    assert ours["instrument"].to_list() == theirs["instrument"].tolist()
    assert ours["ts"].to_list() == list(pd.to_datetime(theirs["ts"]))


@pytest.mark.parametrize("name", NAMES)
def test_feature_equals_pandas(both: tuple[pl.DataFrame, pd.DataFrame], name: str) -> None:
    ours, theirs = both
    rtol = RTOL.get(name.rstrip("0123456789"), 1e-8)
    np.testing.assert_allclose(
        ours[name].to_numpy(), theirs[name].to_numpy(), rtol=rtol, atol=1e-12, equal_nan=True
    )


def test_zero_volume_day_gives_qlibs_huge_vma() -> None:
    panel = synthetic_universe()
    out = compute(panel, {"VMA5": alpha158()["VMA5"]}).join(
        panel.select("instrument", "ts", "volume"), on=["instrument", "ts"]
    )
    zero = out.filter(pl.col("volume") == 0)
    assert zero.height > 0
    # $volume + 1e-12 does not guard a zero volume: the mean volume over 1e-12.
    assert zero["VMA5"].min() > 1e15  # type: ignore[operator]
