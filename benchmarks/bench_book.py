"""L2 order-book replay speed: ferrox against NautilusTrader and hftbacktest, one process.

Input: the four Binance captures (``binance-usdm`` and ``binance-spot``, BTCUSDT and
ETHUSDT, 2024-08-08) under ``$FERROX_DATA`` (default ``../shared/data``), loaded with
``ferrox.data.loaders.binance`` into the catalog's deltas schema. Loading and every
conversion into a peer's own format happen before the clock starts; only applying
deltas and reading the best bid/ask is timed.

Two inputs per capture:

- **raw**: every delta row of the capture in file order, including the diffs that
  arrive before the REST snapshot and those it already contains. Only ferrox takes
  this: its replay applies Binance's synchronisation rules (buffer, drop stale,
  bridge, chain ``pu``/``U``), which the peers do not have.
- **applied**: what those rules end up applying, in order: the snapshot (a clear and
  its levels), then every diff not already in the snapshot (futures: ``u >=
  lastUpdateId``, spot: ``u > lastUpdateId``). All contenders replay this stream;
  ferrox with its ``sequenced`` rule (no id checks, crossed-book check kept).

Contenders (deltas/s = delta rows / best time, over all four captures):

1. ferrox batch: ``ferrox._core.replay_l2`` on numpy columns, GIL released, writing
   the best bid/ask (price and size) after every complete update (a row flagged
   ``F_LAST``) to its output arrays. Its inner loop is the engine's streaming API
   (``SyncedBook::apply`` per delta), so it is also the "streaming from Rust"
   figure: there is no separate pure-Rust entry point for the book.
2. ferrox streaming from Python: ``ferrox._core.L2Book.apply`` once per delta and
   ``best_bid()``/``best_ask()`` after each complete update, from a Python loop.
3. NautilusTrader ``OrderBook`` (``BookType.L2_MBP``): ``OrderBookDelta`` objects built
   up front; timed ``apply_delta`` per delta, or ``apply_deltas`` per message
   (``OrderBookDeltas``), with ``best_bid_price()``/``best_ask_price()`` after each
   message, from a Python loop (as a Nautilus data engine drives it).
4. hftbacktest: the applied stream as its 64-byte events (``DEPTH_SNAPSHOT_EVENT`` /
   ``DEPTH_EVENT`` with ``BUY_EVENT``/``SELL_EVENT``, one ``DEPTH_CLEAR_EVENT``;
   all ``LOCAL_EVENT`` only, so only the local processor keeps a book and the
   exchange side idles; ``px``/``qty`` floats; ``local_ts = exch_ts`` = message
   number so each message is one time step and the order is kept). Timed:

   - ``HashMapMarketDepthBacktest._goto_end()``: its Rust loop over every event to
     the end of the data (what ``create_last_snapshot`` uses) — the most direct way
     to apply depth events; its depth keeps the best bid/ask ticks current on every
     event, nothing is read out;
   - a numba ``@njit`` loop ``while hbt.elapse(1) == 0`` reading ``best_bid`` and
     ``best_ask`` of ``depth(0)`` after every message into arrays, for the hash-map
     and the ROI-vector depth (its fastest, a flat array over a price range set
     from the capture's min/max price). Numba compiles before the clock starts.

Correctness before timing: ferrox's final best bid/ask (raw capture, venue rule)
equals, as floats, the final best bid/ask of every peer, and ferrox's best bid/ask
after every message of the applied stream equals Nautilus's and hftbacktest's.

Run: ``.venv/bin/python benchmarks/bench_book.py [--repeat N]`` (after
``.venv/bin/pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ferrox._core import L2Book, replay_l2
from ferrox.book import sync_rule_for
from ferrox.data.loaders import binance
from ferrox.data.loaders.base import ErrorSink, LoaderOptions
from ferrox.model.instrument import Instrument
from ferrox.model.schema import BookAction, BookSide

DATA = Path(os.environ.get("FERROX_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
CAPTURES = [
    "binance-usdm/btcusdt_20240808.gz",
    "binance-usdm/ethusdt_20240808.gz",
    "binance-spot/btcusdt_20240808.gz",
    "binance-spot/ethusdt_20240808.gz",
]
FLAG_LAST = 0x80
FLAG_SNAPSHOT = 0x20
COLUMNS = {
    "action": np.uint8,
    "side": np.uint8,
    "price": np.int64,
    "size": np.int64,
    "sequence": np.uint64,
    "first_update_id": np.uint64,
    "prev_update_id": np.uint64,
    "flags": np.uint8,
    "ts_event": np.int64,
    "ts_init": np.int64,
}


@dataclass
class Capture:
    """One capture: its instrument, venue rule, raw deltas and the applied stream."""

    name: str
    instrument: Instrument
    rule: str
    raw: dict[str, np.ndarray]
    applied: dict[str, np.ndarray]

    @property
    def price_scale(self) -> float:
        """Raw price units per unit of price."""
        return float(10**self.instrument.price_precision)

    @property
    def size_scale(self) -> float:
        """Raw size units per unit of size."""
        return float(10**self.instrument.size_precision)


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def columns(frame: pl.DataFrame) -> dict[str, np.ndarray]:
    """The replay's input columns as contiguous numpy arrays."""
    return {n: np.ascontiguousarray(frame[n].to_numpy(), dtype=t) for n, t in COLUMNS.items()}


def load_capture(relative: str) -> Capture:
    """Loads a capture's deltas and derives the stream Binance's rules apply."""
    frames, instrument = [], None
    for batch in binance.load(DATA / relative, options=LoaderOptions(), errors=ErrorSink()):
        instrument = batch.instrument
        if batch.kind == "deltas":
            frames.append(pl.from_arrow(batch.table))
    assert instrument is not None, f"{relative}: no instrument"
    raw = pl.concat(frames)  # type: ignore[arg-type]
    rule = sync_rule_for(instrument.id)
    is_snapshot = (pl.col("flags") & FLAG_SNAPSHOT) != 0
    snapshot = raw.filter(is_snapshot)
    snapshot_id = int(snapshot["sequence"][0])
    assert (snapshot["sequence"] == snapshot_id).all(), f"{relative}: expected one snapshot"
    fresh = (
        pl.col("sequence") > snapshot_id
        if rule == "binance-spot"
        else pl.col("sequence") >= snapshot_id
    )
    applied = pl.concat([snapshot, raw.filter(~is_snapshot & fresh)])
    return Capture(relative, instrument, rule, columns(raw), columns(applied))


# --- ferrox -------------------------------------------------------------------


def ferrox_batch(cols: dict[str, np.ndarray], rule: str) -> dict[str, Any]:
    """Replays the columns in Rust, best bid/ask written after every update."""
    return replay_l2(**cols, rule=rule, levels=1)


def ferrox_python_rows(cols: dict[str, np.ndarray]) -> list[tuple[int, ...]]:
    """The rows as tuples of Python ints, in ``L2Book.apply``'s argument order."""
    names = list(COLUMNS)
    return list(zip(*(cols[n].tolist() for n in names), strict=True))


def ferrox_streaming(rows: list[tuple[int, ...]], rule: str) -> tuple[Any, Any]:
    """``L2Book.apply`` per delta from Python, best bid/ask after every update."""
    book = L2Book(rule)
    apply, best_bid, best_ask = book.apply, book.best_bid, book.best_ask
    bid = ask = None
    for row in rows:
        apply(*row)
        if row[7] & FLAG_LAST:
            bid, ask = best_bid(), best_ask()
    return bid, ask


# --- NautilusTrader -----------------------------------------------------------


def nautilus_deltas(capture: Capture) -> tuple[Any, list[Any], list[Any]]:
    """The applied stream as Nautilus objects: one list of deltas, and the deltas
    grouped per message (``OrderBookDeltas``, split at ``F_LAST``)."""
    from nautilus_trader.model.data import BookOrder, OrderBookDelta, OrderBookDeltas
    from nautilus_trader.model.enums import BookAction as NBookAction
    from nautilus_trader.model.enums import OrderSide
    from nautilus_trader.model.identifiers import InstrumentId
    from nautilus_trader.model.objects import FIXED_PRECISION, Price, Quantity

    instrument_id = InstrumentId.from_str(capture.instrument.id)
    price_precision = capture.instrument.price_precision
    size_precision = capture.instrument.size_precision
    price_mul = 10 ** (FIXED_PRECISION - price_precision)
    size_mul = 10 ** (FIXED_PRECISION - size_precision)
    actions = {
        BookAction.ADD: NBookAction.ADD,
        BookAction.UPDATE: NBookAction.UPDATE,
        BookAction.DELETE: NBookAction.DELETE,
    }
    sides = {BookSide.BID: OrderSide.BUY, BookSide.ASK: OrderSide.SELL}
    c = capture.applied
    deltas: list[Any] = []
    messages: list[Any] = []
    current: list[Any] = []
    for action, side, price, size, sequence, flags, ts_event, ts_init in zip(
        c["action"].tolist(),
        c["side"].tolist(),
        c["price"].tolist(),
        c["size"].tolist(),
        c["sequence"].tolist(),
        c["flags"].tolist(),
        c["ts_event"].tolist(),
        c["ts_init"].tolist(),
        strict=True,
    ):
        if action == BookAction.CLEAR:
            delta = OrderBookDelta.clear(instrument_id, sequence, ts_event, ts_init)
        else:
            order = BookOrder(
                sides[side],
                Price.from_raw(price * price_mul, price_precision),
                Quantity.from_raw(size * size_mul, size_precision),
                0,
            )
            delta = OrderBookDelta(
                instrument_id, actions[action], order, flags, sequence, ts_event, ts_init
            )
        deltas.append(delta)
        current.append(delta)
        if flags & FLAG_LAST:
            messages.append(OrderBookDeltas(instrument_id, current))
            current = []
    assert not current, f"{capture.name}: applied stream ends inside a message"
    return instrument_id, deltas, messages


def nautilus_per_delta(instrument_id: Any, deltas: list[Any]) -> list[tuple[Any, Any]]:
    """``apply_delta`` per delta, best bid/ask read after every message."""
    from nautilus_trader.model.book import OrderBook
    from nautilus_trader.model.enums import BookType

    book = OrderBook(instrument_id, BookType.L2_MBP)
    apply, best_bid, best_ask = book.apply_delta, book.best_bid_price, book.best_ask_price
    tops = []
    for delta in deltas:
        apply(delta)
        if delta.flags & FLAG_LAST:
            tops.append((best_bid(), best_ask()))
    return tops


def nautilus_per_message(instrument_id: Any, messages: list[Any]) -> list[tuple[Any, Any]]:
    """``apply_deltas`` per message, best bid/ask read after each."""
    from nautilus_trader.model.book import OrderBook
    from nautilus_trader.model.enums import BookType

    book = OrderBook(instrument_id, BookType.L2_MBP)
    apply, best_bid, best_ask = book.apply_deltas, book.best_bid_price, book.best_ask_price
    tops = []
    for message in messages:
        apply(message)
        tops.append((best_bid(), best_ask()))
    return tops


# --- hftbacktest ----------------------------------------------------------------


def hft_events(capture: Capture) -> np.ndarray:
    """The applied stream as hftbacktest events, one time step per message."""
    from hftbacktest import (
        BUY_EVENT,
        DEPTH_CLEAR_EVENT,
        DEPTH_EVENT,
        DEPTH_SNAPSHOT_EVENT,
        LOCAL_EVENT,
        SELL_EVENT,
    )
    from hftbacktest.types import event_dtype

    c = capture.applied
    n = len(c["action"])
    is_snapshot = (c["flags"] & FLAG_SNAPSHOT) != 0
    kind = np.where(is_snapshot, DEPTH_SNAPSHOT_EVENT, DEPTH_EVENT).astype(np.uint64)
    kind = np.where(c["action"] == BookAction.CLEAR, DEPTH_CLEAR_EVENT, kind).astype(np.uint64)
    side = np.select(
        [c["side"] == BookSide.BID, c["side"] == BookSide.ASK], [BUY_EVENT, SELL_EVENT], 0
    ).astype(np.uint64)
    # Rows of one message share a time step. The backtest starts its clock at the first
    # event's time and its first ``elapse(1)`` applies events up to one step later, so the
    # first message gets step 1 and message k >= 1 step k + 2: each ``elapse(1)`` applies
    # exactly one message.
    last = (c["flags"] & FLAG_LAST) != 0
    message = np.concatenate([[0], np.cumsum(last)[:-1]]).astype(np.int64)
    step = np.where(message == 0, 1, message + 2)
    events = np.zeros(n, dtype=event_dtype)
    events["ev"] = kind | side | np.uint64(LOCAL_EVENT)
    events["exch_ts"] = step
    events["local_ts"] = step
    events["px"] = c["price"] / capture.price_scale
    events["qty"] = c["size"] / capture.size_scale
    return events


def hft_backtest(capture: Capture, events: np.ndarray, depth: str) -> Any:
    """A fresh hftbacktest backtester over ``events`` with the chosen depth."""
    from hftbacktest import (
        BUY_EVENT,
        DEPTH_SNAPSHOT_EVENT,
        BacktestAsset,
        HashMapMarketDepthBacktest,
        ROIVectorMarketDepthBacktest,
    )

    tick = 1 / capture.price_scale
    asset = (
        BacktestAsset()
        .data(events)
        .linear_asset(1.0)
        .constant_order_latency(0, 0)
        .risk_adverse_queue_model()
        .no_partial_fill_exchange()
        .trading_value_fee_model(0.0, 0.0)
        .tick_size(tick)
        .lot_size(1 / capture.size_scale)
    )
    if depth == "roivec":
        # The region of interest: 10% either side of the snapshot's top. The top of book
        # stays well inside it during a capture; levels outside it are not kept, as the
        # ROI depth is meant to be used (the snapshot alone spans 5,000 to 100,000 USDT).
        snapshot = (events["ev"] & 0xFF) == DEPTH_SNAPSHOT_EVENT
        top = float(events["px"][snapshot & (events["ev"] & BUY_EVENT != 0)].max())
        asset = asset.roi_lb(round(top * 0.9, 0)).roi_ub(round(top * 1.1, 0))
        return ROIVectorMarketDepthBacktest([asset])
    return HashMapMarketDepthBacktest([asset])


def hft_goto_end(hbt: Any) -> tuple[float, float]:
    """Runs the backtester to the end of its data in Rust; returns the final top."""
    code = hbt._goto_end()
    assert code in (0, 1), f"hftbacktest _goto_end returned {code}"
    depth = hbt.depth(0)
    return depth.best_bid, depth.best_ask


def _hft_elapse_loop() -> Callable[[Any, int], tuple[np.ndarray, np.ndarray]]:
    from numba import njit

    @njit  # type: ignore[misc]
    def loop(hbt: Any, messages: int) -> tuple[np.ndarray, np.ndarray]:
        bids = np.empty(messages, np.float64)
        asks = np.empty(messages, np.float64)
        i = 0
        while i < messages:
            code = hbt.elapse(1)
            depth = hbt.depth(0)
            bids[i] = depth.best_bid
            asks[i] = depth.best_ask
            i += 1
            if code != 0:
                break
        return bids[:i], asks[:i]

    return loop  # type: ignore[no-any-return]


# --- the run --------------------------------------------------------------------


def mark(ok: bool) -> str:
    """A check mark for a passed comparison, a cross otherwise."""
    return "✓" if ok else "✗"


class Timer:
    """Best-of-N times, summed per contender over the captures."""

    def __init__(self, repeat: int) -> None:
        self.repeat = repeat
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str, fn: Callable[[], Any]) -> Any:
        """Times ``fn`` under ``name``; returns its last result."""
        seconds, result = best_of(self.repeat, fn)
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds
        return result


def run_capture(capture: Capture, timed: Timer, hft_loop: Callable[..., Any]) -> None:
    """Checks every contender's book on one capture and times them."""
    print(f"\n{capture.name} ({capture.instrument.id}, rule {capture.rule})")
    pp, ps = capture.instrument.price_precision, capture.price_scale
    messages = int(((capture.applied["flags"] & FLAG_LAST) != 0).sum())

    out_raw = timed(
        "ferrox batch, raw + venue rule", lambda: ferrox_batch(capture.raw, capture.rule)
    )
    out = timed("ferrox batch, applied stream", lambda: ferrox_batch(capture.applied, "sequenced"))
    assert (out_raw["state"][-1], out["state"][-1]) == (0, 0), "ferrox book not synced at the end"
    want = (out_raw["bid_price"][-1, 0] / ps, out_raw["ask_price"][-1, 0] / ps)
    # One output row per message, plus one where the state is first reported.
    complete = (capture.applied["flags"][out["row"]] & FLAG_LAST) != 0
    assert int(complete.sum()) == messages
    ferrox_bids = out["bid_price"][complete, 0] / ps
    ferrox_asks = out["ask_price"][complete, 0] / ps
    same = (ferrox_bids[-1], ferrox_asks[-1]) == want
    print(f"  ferrox final best bid/ask {want[0]} / {want[1]}; applied stream {mark(same)}")

    def every(bids: Any, asks: Any) -> bool:
        return bool(np.array_equal(bids, ferrox_bids) and np.array_equal(asks, ferrox_asks))

    rows = ferrox_python_rows(capture.raw)
    top = timed("ferrox streaming from Python", lambda: ferrox_streaming(rows, capture.rule))
    print(f"  ferrox L2Book from Python {mark((top[0][0] / ps, top[1][0] / ps) == want)}")

    instrument_id, deltas, grouped = nautilus_deltas(capture)
    tops = timed("nautilus apply_delta", lambda: nautilus_per_delta(instrument_id, deltas))
    # Nautilus keeps 16 binary decimals: 61800.2 reads back as 61800.19999999999.
    bids = np.round([b.as_double() for b, _ in tops], pp)
    asks = np.round([a.as_double() for _, a in tops], pp)
    ok = (bids[-1], asks[-1]) == want
    print(f"  Nautilus final {mark(ok)}, after every message {mark(every(bids, asks))}")
    tops = timed("nautilus apply_deltas", lambda: nautilus_per_message(instrument_id, grouped))
    ok = (round(tops[-1][0].as_double(), pp), round(tops[-1][1].as_double(), pp)) == want
    print(f"  Nautilus apply_deltas final {mark(ok)}")

    events = hft_events(capture)
    for depth in ("hashmap", "roivec"):
        # Numba compiles the loop for this backtester type before any clock runs.
        hft_loop(hft_backtest(capture, events[:2], depth), 0)
        backtesters = [hft_backtest(capture, events, depth) for _ in range(timed.repeat)]
        bids, asks = timed(
            f"hftbacktest {depth} elapse loop", lambda b=backtesters: hft_loop(b.pop(), messages)
        )
        # hftbacktest's price is tick number * tick size: 61659.700000000004.
        bids, asks = np.round(bids, pp), np.round(asks, pp)
        ok = (bids[-1], asks[-1]) == want
        print(
            f"  hftbacktest {depth} final {mark(ok)}, after every message {mark(every(bids, asks))}"
        )
    ends = [hft_backtest(capture, events, "hashmap") for _ in range(timed.repeat)]
    final = timed("hftbacktest hashmap _goto_end", lambda: hft_goto_end(ends.pop()))
    print(
        f"  hftbacktest _goto_end final {mark((round(final[0], pp), round(final[1], pp)) == want)}"
    )


def main() -> None:
    """Checks every contender's book, then times them and prints the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    args = parser.parse_args()

    loaded = [load_capture(c) for c in CAPTURES if (DATA / c).exists()]
    if not loaded:
        raise SystemExit(f"no Binance captures under {DATA} (set FERROX_DATA)")
    raw_total = sum(len(c.raw["action"]) for c in loaded)
    applied_total = sum(len(c.applied["action"]) for c in loaded)
    messages = sum(int(((c.applied["flags"] & FLAG_LAST) != 0).sum()) for c in loaded)
    print(
        f"{len(loaded)} captures: {raw_total:,} raw delta rows, "
        f"{applied_total:,} applied in {messages:,} messages"
    )
    timed = Timer(args.repeat)
    hft_loop = _hft_elapse_loop()
    for capture in loaded:
        run_capture(capture, timed, hft_loop)

    base = timed.seconds["ferrox batch, applied stream"]
    print(
        f"\nBest of {args.repeat}, one thread, captures summed; ratio = time / ferrox batch (applied)"
    )
    print(f"{'contender':38} {'deltas':>10} {'deltas/s':>12} {'ns/delta':>9} {'ratio':>7}")
    for name, seconds in timed.seconds.items():
        n = raw_total if "raw" in name or "Python" in name else applied_total
        rate, ns, ratio = n / seconds, seconds / n * 1e9, seconds / base
        print(f"{name:38} {n:>10,} {rate:>12,.0f} {ns:>9.1f} {ratio:>7.2f}")


if __name__ == "__main__":
    main()
