"""Time bars equal pandas ``resample(label="left", closed="left")`` OHLC, volume and count.

Raw int64 prices and sizes are compared exactly, on a seeded synthetic stream
and on the real Binance USD-M BTCUSDT trades of 2024-08-08 (read here with
plain ``json`` and ``decimal``, independently of ferrox's loaders).
"""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from ferrox.bars import aggregate

SECOND = 1_000_000_000
Trades = dict[str, npt.NDArray[np.int64] | npt.NDArray[np.uint8]]


def synthetic_trades(n: int = 20_000, seed: int = 7) -> Trades:
    """A random walk with bursts and multi-second gaps, so some buckets are empty."""
    rng = np.random.default_rng(seed)
    gaps = rng.choice(
        [0, 1_000, 3_000_000, 90_000_000, 4 * SECOND], size=n, p=[0.2, 0.3, 0.3, 0.17, 0.03]
    )
    return {
        "ts_event": 1_723_161_256 * SECOND + np.cumsum(gaps),
        # Received with a clock offset and jitter, in arrival order.
        "ts_init": np.maximum.accumulate(
            1_723_161_255_300_000_000 + np.cumsum(gaps) + rng.integers(0, 5_000_000, n)
        ),
        "price": 6_180_000 + np.cumsum(rng.integers(-5, 6, n)),
        "size": rng.integers(1, 3_000, n),
        "aggressor_side": rng.integers(1, 3, n).astype(np.uint8),
    }


def _raw(text: str, precision: int) -> int:
    value = Decimal(text).scaleb(precision)
    assert value == value.to_integral_value(), text
    return int(value)


def binance_trades(path: Path) -> tuple[Trades, int, int]:
    """Trades of a Binance capture as raw columns, at the finest precisions the file uses."""
    rows = []
    with gzip.open(path, "rt") as handle:
        for line in handle:
            local_ns, _, text = line.partition(" ")
            message = json.loads(text)
            if message.get("stream", "").endswith("@trade"):
                rows.append((int(local_ns), message["data"]))
    price_precision = max(-Decimal(d["p"]).normalize().as_tuple().exponent for _, d in rows)
    size_precision = max(-Decimal(d["q"]).normalize().as_tuple().exponent for _, d in rows)
    price_precision, size_precision = max(price_precision, 0), max(size_precision, 0)
    trades: Trades = {
        "ts_event": np.array([d["T"] * 1_000_000 for _, d in rows], dtype=np.int64),
        "ts_init": np.array([local for local, _ in rows], dtype=np.int64),
        "price": np.array([_raw(d["p"], price_precision) for _, d in rows], dtype=np.int64),
        "size": np.array([_raw(d["q"], size_precision) for _, d in rows], dtype=np.int64),
        # "m": the buyer is the maker, so the seller initiated.
        "aggressor_side": np.array([2 if d["m"] else 1 for _, d in rows], dtype=np.uint8),
    }
    return trades, price_precision, size_precision


def pandas_bars(trades: Trades, rule: str, by: str = "ts_event") -> pd.DataFrame:
    """pandas' OHLC, volume and count per left-closed, left-labelled bucket (empty ones NaN)."""
    frame = pd.DataFrame(
        {"price": trades["price"], "size": trades["size"]},
        index=pd.to_datetime(trades[by], unit="ns"),
    )
    resampled = frame.resample(rule, label="left", closed="left")
    bars = resampled["price"].ohlc()
    bars["volume"] = resampled["size"].sum()
    bars["trade_count"] = resampled["price"].count()
    bars["ts_open"] = bars.index.asi8
    return bars


def assert_same_ohlcv(ours: pl.DataFrame, theirs: pd.DataFrame) -> None:
    columns = ["ts_open", "open", "high", "low", "close", "volume", "trade_count"]
    expected = theirs[columns].astype(np.int64).reset_index(drop=True)
    got = ours.select(columns).to_pandas()
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


@pytest.mark.parametrize(
    ("spec", "rule"), [("250ms", "250ms"), ("1s", "1s"), ("5s", "5s"), ("1m", "1min"), ("1h", "1h")]
)
def test_time_bars_equal_pandas_resample_on_a_synthetic_stream(spec: str, rule: str) -> None:
    trades = synthetic_trades()
    ours = aggregate(trades, spec, precisions=(2, 3))
    assert_same_ohlcv(ours, pandas_bars(trades, rule).dropna(subset=["open"]))


def test_empty_time_bars_equal_pandas_with_the_close_carried_forward() -> None:
    trades = synthetic_trades()
    ours = aggregate(trades, "1s", precisions=(2, 3), empty_bars=True)
    theirs = pandas_bars(trades, "1s")
    close = theirs["close"].ffill()
    for column in ("open", "high", "low", "close"):
        theirs[column] = theirs[column].fillna(close)
    assert (theirs["trade_count"] == 0).any()
    assert_same_ohlcv(ours, theirs)
    empty = ours.filter(pl.col("trade_count") == 0)
    assert empty["ts_first"].null_count() == empty.height
    assert empty["vwap"].null_count() == empty.height
    assert (empty["value"] == 0).all()


def test_time_bars_can_be_built_on_ts_init() -> None:
    trades = synthetic_trades()
    ours = aggregate(trades, "1s", precisions=(2, 3), by="ts_init")
    assert_same_ohlcv(ours, pandas_bars(trades, "1s", by="ts_init").dropna(subset=["open"]))


def test_time_bar_period_is_the_aligned_interval_and_trade_times_are_within_it() -> None:
    trades = synthetic_trades()
    bars = aggregate(trades, "5s", precisions=(2, 3))
    assert (bars["ts_open"] % (5 * SECOND) == 0).all()
    assert (bars["ts_close"] - bars["ts_open"] == 5 * SECOND).all()
    assert (bars["ts_first"] >= bars["ts_open"]).all()
    assert (bars["ts_last"] < bars["ts_close"]).all()


def test_buy_sell_volume_value_and_vwap_match_a_group_by() -> None:
    trades = synthetic_trades()
    frame = pd.DataFrame({k: v for k, v in trades.items()})
    frame["bucket"] = frame["ts_event"] // SECOND * SECOND
    frame["buy"] = frame["size"].where(frame["aggressor_side"] == 1, 0)
    frame["sell"] = frame["size"].where(frame["aggressor_side"] == 2, 0)
    frame["notional"] = [
        Decimal(int(p)) * Decimal(int(s))
        for p, s in zip(frame["price"], frame["size"], strict=True)
    ]
    grouped = frame.groupby("bucket").agg(
        buy=("buy", "sum"),
        sell=("sell", "sum"),
        notional=("notional", "sum"),
        volume=("size", "sum"),
    )
    bars = aggregate(trades, "1s", precisions=(2, 3))
    assert bars["buy_volume"].to_list() == grouped["buy"].tolist()
    assert bars["sell_volume"].to_list() == grouped["sell"].tolist()
    value = [float(n / Decimal(10**5)) for n in grouped["notional"]]
    vwap = [
        float(n / v / Decimal(100))
        for n, v in zip(grouped["notional"], grouped["volume"], strict=True)
    ]
    np.testing.assert_allclose(bars["value"].to_numpy(), value, rtol=1e-12)
    np.testing.assert_allclose(bars["vwap"].to_numpy(), vwap, rtol=1e-12)


@pytest.fixture(scope="module")
def real_trades(shared_data: Path) -> tuple[Trades, int, int]:
    """The real capture's trades, parsed once for the module."""
    return binance_trades(shared_data / "binance-usdm" / "btcusdt_20240808.gz")


@pytest.mark.parametrize(
    ("spec", "rule"), [("250ms", "250ms"), ("1s", "1s"), ("1m", "1min"), ("1d", "1D")]
)
def test_time_bars_equal_pandas_on_real_binance_trades(
    real_trades: tuple[Trades, int, int], spec: str, rule: str
) -> None:
    trades, price_precision, size_precision = real_trades
    assert len(trades["price"]) > 20_000
    ours = aggregate(trades, spec, precisions=(price_precision, size_precision))
    assert_same_ohlcv(ours, pandas_bars(trades, rule).dropna(subset=["open"]))
    assert ours["volume"].sum() == trades["size"].sum()


def test_real_trades_through_the_binance_loader_give_the_same_bars(
    shared_data: Path, real_trades: tuple[Trades, int, int]
) -> None:
    binance = pytest.importorskip("ferrox.data.loaders.binance")
    from ferrox.data.loaders.base import ErrorSink, LoaderOptions
    from ferrox.model.schema import DataKind

    path = shared_data / "binance-usdm" / "btcusdt_20240808.gz"
    batches = [
        b
        for b in binance.load(path, options=LoaderOptions(), errors=ErrorSink())
        if b.kind == DataKind.TRADES
    ]
    table = pa.concat_tables([b.table for b in batches])
    instrument = batches[0].instrument
    loaded = aggregate(table, "1s", instrument=instrument)
    trades, price_precision, size_precision = real_trades
    ours = aggregate(trades, "1s", precisions=(price_precision, size_precision))

    def real(frame: pl.DataFrame, column: str, precision: int) -> list[Decimal]:
        return [Decimal(raw).scaleb(-precision) for raw in frame[column]]

    assert loaded["ts_open"].to_list() == ours["ts_open"].to_list()
    for column in ("open", "high", "low", "close"):
        assert real(loaded, column, instrument.price_precision) == real(
            ours, column, price_precision
        )
    assert real(loaded, "volume", instrument.size_precision) == real(ours, "volume", size_precision)
