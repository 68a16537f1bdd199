"""Properties every bar kind keeps, on random trade streams (hypothesis).

Volume and trades are conserved across bars (the flushed last bar included),
bars are ordered in time, OHLC is consistent, and the batch API gives exactly
the bars the streaming aggregator gives one trade at a time.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrox.bars import aggregate
from ferrox.bars.stream import BarAggregator

SPECS = [
    "1s",
    "250ms",
    "1m",
    "7-tick",
    "2.5-volume",
    "300-value",
    "tick-imbalance:expected=8,span=3",
    "volume-imbalance:expected=8,span=3,window=20",
    "value-imbalance:expected=5,min=2,max=40",
    "tick-run:expected=8,span=3",
    "volume-run:expected=6,window=10",
    "value-run:expected=10",
]

trade_rows = st.lists(
    st.tuples(
        st.integers(0, 3_000_000_000),  # gap to the previous trade, ns
        st.integers(9_000, 11_000),  # raw price
        st.integers(0, 5_000),  # raw size
        st.integers(0, 2),  # aggressor side
    ),
    max_size=200,
)


def columns(rows: list[tuple[int, int, int, int]]) -> dict[str, np.ndarray]:
    gaps, prices, sizes, sides = zip(*rows, strict=True) if rows else ((), (), (), ())
    return {
        "ts_event": 1_723_161_256_000_000_000 + np.cumsum(np.array(gaps, dtype=np.int64)),
        "price": np.array(prices, dtype=np.int64),
        "size": np.array(sizes, dtype=np.int64),
        "aggressor_side": np.array(sides, dtype=np.uint8),
    }


def streamed(trades: dict[str, np.ndarray], spec: str, empty_bars: bool) -> pl.DataFrame:
    aggregator = BarAggregator(spec, precisions=(2, 3), empty_bars=empty_bars)
    bars = []
    for ts, price, size, side in zip(*(trades[k].tolist() for k in trades), strict=True):
        bars.extend(aggregator.update(ts, price, size, side))
    last = aggregator.flush()
    bars.extend([last] if last else [])
    schema = aggregate(columns([]), spec, precisions=(2, 3)).schema
    return pl.DataFrame([dataclasses.asdict(b) for b in bars], schema=schema)


@settings(max_examples=60, deadline=None)
@given(rows=trade_rows, spec=st.sampled_from(SPECS), empty_bars=st.booleans())
def test_every_kind_conserves_volume_and_trades_in_ordered_consistent_bars(
    rows: list[tuple[int, int, int, int]], spec: str, empty_bars: bool
) -> None:
    trades = columns(rows)
    empty_bars = empty_bars and spec[0].isdigit() and spec[-1] in "sm"
    bars = aggregate(trades, spec, precisions=(2, 3), empty_bars=empty_bars)
    assert bars["volume"].sum() == trades["size"].sum()
    assert bars["buy_volume"].sum() == trades["size"][trades["aggressor_side"] == 1].sum()
    assert bars["sell_volume"].sum() == trades["size"][trades["aggressor_side"] == 2].sum()
    assert bars["trade_count"].sum() == len(rows)
    assert (bars["low"] <= bars["open"]).all()
    assert (bars["open"] <= bars["high"]).all()
    assert (bars["low"] <= bars["close"]).all()
    assert (bars["close"] <= bars["high"]).all()
    assert (bars["ts_open"] <= bars["ts_close"]).all()
    traded = bars.filter(pl.col("trade_count") > 0)
    assert traded["ts_first"].is_sorted()
    assert traded["ts_last"].is_sorted()
    assert (traded["ts_first"] <= traded["ts_last"]).all()
    assert (traded["ts_last"].head(-1) <= traded["ts_first"].tail(-1)).all()
    assert bars["ts_open"].is_sorted()
    if rows:
        assert bars["open"][0] == trades["price"][0]
        assert bars["close"][-1] == trades["price"][-1]


@settings(max_examples=60, deadline=None)
@given(rows=trade_rows, spec=st.sampled_from(SPECS), empty_bars=st.booleans())
def test_batch_equals_streaming(
    rows: list[tuple[int, int, int, int]], spec: str, empty_bars: bool
) -> None:
    trades = columns(rows)
    empty_bars = empty_bars and spec[0].isdigit() and spec[-1] in "sm"
    batch = aggregate(trades, spec, precisions=(2, 3), empty_bars=empty_bars)
    assert streamed(trades, spec, empty_bars).equals(batch, null_equal=True)


@settings(max_examples=30, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 2_000_000_000),
            st.integers(9_000, 10_000),
            st.integers(1, 50),
            st.integers(0, 500),
            st.integers(0, 500),
        ),
        max_size=100,
    ),
    source=st.sampled_from(["bid", "ask", "mid"]),
    spec=st.sampled_from(["1s", "5-tick", "0.5-volume", "tick-run:expected=4"]),
)
def test_quote_bars_batch_equals_streaming(
    rows: list[tuple[int, int, int, int, int]], source: str, spec: str
) -> None:
    gaps, bids, spreads, bid_sizes, ask_sizes = zip(*rows, strict=True) if rows else ((),) * 5
    quotes = {
        "ts_event": np.cumsum(np.array(gaps, dtype=np.int64)),
        "bid_price": np.array(bids, dtype=np.int64),
        "ask_price": np.array(bids, dtype=np.int64) + np.array(spreads, dtype=np.int64),
        "bid_size": np.array(bid_sizes, dtype=np.int64),
        "ask_size": np.array(ask_sizes, dtype=np.int64),
    }
    batch = aggregate(quotes, spec, source=source, precisions=(2, 3))  # type: ignore[arg-type]
    aggregator = BarAggregator(spec, source=source, precisions=(2, 3))  # type: ignore[arg-type]
    bars = []
    for row in zip(*(quotes[k].tolist() for k in quotes), strict=True):
        bars.extend(aggregator.update_quote(*row))
    last = aggregator.flush()
    bars.extend([last] if last else [])
    assert [dataclasses.asdict(b) for b in bars] == batch.to_dicts()
    assert batch["trade_count"].sum() == len(rows)
