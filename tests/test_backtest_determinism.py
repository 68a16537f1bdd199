"""Determinism: the same inputs give the same results hash, in this process or another;
a random latency model depends only on its seed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl

from ferrox._core import Bar
from ferrox.backtest import Backtest, LatencyConfig, Strategy, VenueConfig
from ferrox.backtest.strategy import Indicator
from ferrox.model.instrument import Instrument, InstrumentKind

INSTRUMENT = "ETH-PERP.SIM"
ETH = Instrument(INSTRUMENT, InstrumentKind.PERPETUAL, "0.01", "0.001", "ETH", "USDT", "USDT")
MINUTE = 60_000_000_000
T0 = 1_700_000_000 * 10**9


def synthetic_bars(n: int = 3_000, seed: int = 11) -> pl.DataFrame:
    """A seeded random walk of 1-minute bars in the catalog's bar schema (raw cents)."""
    rng = np.random.default_rng(seed)
    close = 200_000 + np.cumsum(rng.integers(-150, 151, n))
    open_ = np.concatenate([[200_000], close[:-1]])
    high = np.maximum(open_, close) + rng.integers(0, 80, n)
    low = np.minimum(open_, close) - rng.integers(0, 80, n)
    ts_open = T0 + np.arange(n, dtype=np.int64) * MINUTE
    return pl.DataFrame(
        {
            "ts_open": ts_open,
            "ts_event": ts_open + MINUTE,
            "ts_init": ts_open + MINUTE,
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": rng.integers(1_000, 50_000, n),
        }
    ).cast(pl.Int64)


class Crossing(Strategy):
    """Flips between long and short on EMA crosses, with limit orders half the time."""

    def __init__(self) -> None:
        super().__init__()
        self.above: bool | None = None
        self.fast: Indicator | None = None
        self.slow: Indicator | None = None
        self.count = 0

    def on_start(self) -> None:
        self.fast = self.indicator("EMA", INSTRUMENT, timeperiod=5)
        self.slow = self.indicator("EMA", INSTRUMENT, timeperiod=20)

    def on_bar(self, bar: Bar) -> None:
        assert self.fast is not None
        assert self.slow is not None
        if not self.slow.ready:
            return
        above = self.fast.value > self.slow.value
        crossed = self.above is not None and above != self.above
        self.above = above
        if not crossed:
            return
        self.count += 1
        side = "BUY" if above else "SELL"
        if self.count % 2:
            self.submit_order(INSTRUMENT, side, "0.5")
        else:
            self.submit_order(INSTRUMENT, side, "0.5", order_type="LIMIT", price=bar.close)


def run_once(seed: int = 0, random_latency: bool = False) -> str:
    """One backtest over the synthetic bars; returns its results hash."""
    latency = LatencyConfig("uniform", 1_000_000, 90_000_000_000) if random_latency else None
    backtest = Backtest(
        [ETH],
        VenueConfig(maker_fee="0.0002", taker_fee="0.0005"),
        order_entry_latency=latency,
        ack_latency=latency,
        seed=seed,
    )
    backtest.add(INSTRUMENT, "bars", synthetic_bars())
    result = backtest.run(Crossing())
    assert result.fills.height > 50
    return result.results_hash


def test_two_runs_give_the_same_hash() -> None:
    assert run_once() == run_once()


def test_a_run_in_another_process_gives_the_same_hash() -> None:
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        "import test_backtest_determinism as t; print(t.run_once())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == run_once()


def test_random_latency_with_the_same_seed_gives_the_same_hash() -> None:
    assert run_once(seed=7, random_latency=True) == run_once(seed=7, random_latency=True)


def test_random_latency_with_another_seed_gives_another_hash() -> None:
    assert run_once(seed=7, random_latency=True) != run_once(seed=8, random_latency=True)


def test_the_hash_is_kept_by_a_saved_results_folder(tmp_path: Path) -> None:
    from ferrox.backtest import BacktestResult

    backtest = Backtest([ETH], VenueConfig())
    backtest.add(INSTRUMENT, "bars", synthetic_bars())
    result = backtest.run(Crossing())
    loaded = BacktestResult.load(result.save(tmp_path / "run"))
    assert loaded.results_hash == result.results_hash
    assert loaded.fills.equals(result.fills)


def test_the_cli_in_another_process_gives_the_hash_of_a_run_in_this_one(tmp_path: Path) -> None:
    from ferrox.backtest import run_backtest
    from ferrox.data.catalog import Catalog
    from ferrox.data.importer import import_files
    from ferrox.data.loaders.base import LoaderOptions
    from ferrox.model.schema import DataKind

    bars = synthetic_bars(600)
    csv = tmp_path / "bars.csv"
    bars.select(
        pl.from_epoch("ts_open", time_unit="ns")
        .dt.strftime("%Y-%m-%d %H:%M:%S")
        .alias("timestamp"),
        *(pl.col(c).map_elements(lambda v: f"{v / 100:.2f}", pl.String) for c in ("open", "high")),
        *(pl.col(c).map_elements(lambda v: f"{v / 100:.2f}", pl.String) for c in ("low", "close")),
        pl.col("volume").map_elements(lambda v: f"{v / 1000:.3f}", pl.String),
    ).write_csv(csv)
    options = LoaderOptions(
        instrument=INSTRUMENT,
        kind=DataKind.BARS,
        ts_unit="iso",
        bar_label="open",
        bar_interval="1m",
        price_precision=2,
        size_precision=3,
    )
    import_files([csv], "csv", Catalog(tmp_path / "catalog"), options=options)
    config = tmp_path / "run.toml"
    config.write_text(
        "[strategy]\npath = 'test_backtest_determinism:Crossing'\n"
        f"[data]\ncatalog = 'catalog'\ninstruments = ['{INSTRUMENT}']\n"
        "[venue]\ntaker_fee = '0.0005'\nmaker_fee = '0.0002'\n"
        "[latency]\nack = {model = 'uniform', low = '1ms', high = '30s'}\n[run]\nseed = 3\n"
    )
    here = str(Path(__file__).parent)
    sys.path.insert(0, here)
    try:
        expected = run_backtest(config)
    finally:
        sys.path.remove(here)
    assert expected.fills.height > 5
    cli = Path(sys.executable).parent / "ferrox"
    subprocess.run(
        [str(cli), "backtest", "run", str(config), "--out", str(tmp_path / "out")],
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": here},
    )
    meta = json.loads((tmp_path / "out" / "meta.json").read_text())
    assert meta["results_hash"] == expected.results_hash
