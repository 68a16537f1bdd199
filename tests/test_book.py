"""Order books: sync rules on hand-made feeds, and the real captures against bookTicker."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest

from ferrox import DataError, Price, Quantity
from ferrox._core import L3Book
from ferrox.book import OrderBook, replay, replay_mbo, sync_rule_for
from ferrox.model import FLAG_LAST, FLAG_SNAPSHOT, Instrument, InstrumentKind
from ferrox.model.schema import BookAction, BookSide

FUT = Instrument(
    "BTCUSDT.BINANCE-USDM", InstrumentKind.PERPETUAL, "0.10", "0.001", "BTC", "USDT", "USDT"
)
CAPTURES = [
    "binance-usdm/btcusdt_20240808.gz",
    "binance-usdm/ethusdt_20240808.gz",
    "binance-spot/btcusdt_20240808.gz",
    "binance-spot/ethusdt_20240808.gz",
]


def _deltas(rows: list[tuple[int, int, int, int, int, int, int, int]]) -> pl.DataFrame:
    names = ["action", "side", "price", "size", "sequence", "first_update_id", "prev_update_id"]
    frame = pl.DataFrame(
        [dict(zip([*names, "flags"], r, strict=True)) for r in rows],
        schema={n: pl.Int64 for n in [*names, "flags"]},
    )
    return frame.with_columns(ts_event=pl.int_range(pl.len()), ts_init=pl.int_range(pl.len()))


def _snapshot(
    last_id: int, bid: int, ask: int
) -> list[tuple[int, int, int, int, int, int, int, int]]:
    return [
        (BookAction.CLEAR, BookSide.NO_SIDE, 0, 0, last_id, 0, 0, FLAG_SNAPSHOT),
        (BookAction.ADD, BookSide.BID, bid, 1000, last_id, 0, 0, FLAG_SNAPSHOT),
        (BookAction.ADD, BookSide.ASK, ask, 1000, last_id, 0, 0, FLAG_SNAPSHOT | FLAG_LAST),
    ]


def test_futures_rule_is_chosen_from_the_venue() -> None:
    assert sync_rule_for("BTCUSDT.BINANCE-USDM") == "binance-futures"
    assert sync_rule_for("BTCUSDT.BINANCE") == "binance-spot"
    assert sync_rule_for("BTCUSD_PERP.BINANCE-COINM") == "binance-futures"


def test_replay_reports_a_gap_and_stays_unsynced_until_the_next_snapshot() -> None:
    rows = [
        *_snapshot(10, 6180000, 6180010),
        (BookAction.UPDATE, BookSide.BID, 6180001, 5, 11, 9, 8, FLAG_LAST),
        # pu=13 but the previous u was 11: a diff is missing.
        (BookAction.UPDATE, BookSide.BID, 6180002, 5, 15, 14, 13, FLAG_LAST),
        (BookAction.UPDATE, BookSide.BID, 6180003, 5, 17, 16, 15, FLAG_LAST),
        *_snapshot(20, 6180005, 6180010),
        (BookAction.UPDATE, BookSide.ASK, 6180009, 7, 21, 19, 17, FLAG_LAST),
    ]
    out = replay(_deltas(rows), FUT)
    states = out["state"].to_list()
    # Awaiting the first snapshot, awaiting its bridge, synced, gap, resnapshot, synced.
    assert states == [2, 1, 0, 2, 1, 0]
    assert out["state_text"].to_list()[3] == "unsynced (gap: expected id 11, got 13)"
    # Diffs held during the gap were older than the new snapshot: the last bid is its own.
    assert out["bid_price_0"].to_list()[-1] == 6180005
    assert out["ask_price_0"].to_list()[-1] == 6180009


def test_order_book_speaks_exact_prices() -> None:
    book = OrderBook(FUT, rule="sequenced")
    book.apply_raw(BookAction.UPDATE, BookSide.BID, 6180020, 2507)
    book.apply_raw(BookAction.UPDATE, BookSide.ASK, 6180030, 2510)
    book.apply_raw(BookAction.UPDATE, BookSide.ASK, 6180040, 1000)
    assert book.best_bid() == (Price("61800.20"), Quantity("2.507"))
    assert book.spread() == Price("0.10")
    assert book.average_fill_price(BookSide.ASK, Quantity("3.010")) == pytest.approx(
        (61800.30 * 2.510 + 61800.40 * 0.5) / 3.010
    )
    assert [str(p) for p, _ in book.levels(BookSide.ASK, 5)] == ["61800.30", "61800.40"]


def test_l3_book_tracks_queue_position_and_refuses_unknown_cancels() -> None:
    book = L3Book()
    for order_id, size in [(1, 5), (2, 3)]:
        book.apply(BookAction.ADD, BookSide.BID, 100, size, order_id)
    assert book.queue_position(2) == (1, 5, 3)
    with pytest.raises(DataError, match="unknown order 9"):
        book.apply(BookAction.DELETE, BookSide.BID, 100, 1, 9)


def test_replay_mbo_order_count_recovers_after_a_clear() -> None:
    rows = [
        (BookAction.ADD, BookSide.BID, 100, 1, 1, FLAG_LAST),
        (BookAction.ADD, BookSide.ASK, 101, 1, 2, FLAG_LAST),
        (BookAction.CLEAR, BookSide.NO_SIDE, 0, 0, 0, 0),
        (BookAction.ADD, BookSide.BID, 99, 2, 3, FLAG_LAST),
    ]
    frame = pl.DataFrame(
        rows, schema=["action", "side", "price", "size", "order_id", "flags"], orient="row"
    ).with_columns(ts_event=pl.int_range(pl.len()))
    out, errors = replay_mbo(frame)
    assert errors == []
    assert out["order_count"].to_list() == [1, 2, 1]
    assert (out["order_count"] == out["queued_orders"]).all()


# --- the real captures ----------------------------------------------------------


def _load(path: Path) -> tuple[Instrument, pl.DataFrame, pl.DataFrame]:
    from ferrox.data.loaders.base import ErrorSink, LoaderOptions
    from ferrox.data.loaders.binance import load

    deltas, quotes, instrument = [], [], None
    for batch in load(path, options=LoaderOptions(), errors=ErrorSink()):
        instrument = batch.instrument
        if batch.kind == "deltas":
            deltas.append(pl.from_arrow(batch.table))
        elif batch.kind == "quotes":
            quotes.append(pl.from_arrow(batch.table))
    assert instrument is not None
    return instrument, pl.concat(deltas), pl.concat(quotes)  # type: ignore[arg-type]


def _compare_with_book_ticker(
    instrument: Instrument, deltas: pl.DataFrame, quotes: pl.DataFrame
) -> int:
    book = replay(deltas, instrument)
    # Diffs before the capture's snapshot are buffered (unsynced, awaiting
    # snapshot); from the first synced update on, the book never loses sync.
    first_synced = int(book["state"].arg_min() or 0)
    assert book["state"][first_synced] == 0
    after = book[first_synced:]
    assert after.filter(pl.col("state") != 0).height == 0, after.filter(
        pl.col("state_text").is_not_null()
    )
    synced = book.filter(pl.col("state") == 0).select(
        update_id=pl.col("sequence"),
        bid=pl.col("bid_price_0"),
        bid_size=pl.col("bid_size_0"),
        ask=pl.col("ask_price_0"),
        ask_size=pl.col("ask_size_0"),
    )
    ticker = quotes.select(
        update_id=pl.col("update_id"),
        t_bid=pl.col("bid_price"),
        t_bid_size=pl.col("bid_size"),
        t_ask=pl.col("ask_price"),
        t_ask_size=pl.col("ask_size"),
    ).unique("update_id", keep="last")
    joined = synced.join(ticker, on="update_id", how="inner")
    mismatched = joined.filter(
        (pl.col("bid") != pl.col("t_bid"))
        | (pl.col("bid_size") != pl.col("t_bid_size"))
        | (pl.col("ask") != pl.col("t_ask"))
        | (pl.col("ask_size") != pl.col("t_ask_size"))
    )
    assert mismatched.height == 0, mismatched.head(5)
    return joined.height


@pytest.mark.parametrize("capture", CAPTURES)
def test_rebuilt_book_matches_every_comparable_book_ticker(shared_data: Path, capture: str) -> None:
    instrument, deltas, quotes = _load(shared_data / capture)
    compared = _compare_with_book_ticker(instrument, deltas, quotes)
    # Every comparable point matched; make sure there were many of them.
    assert compared > 100


def test_book_stays_synced_across_a_file_boundary(shared_data: Path, tmp_path: Path) -> None:
    # Consecutive captures continue each other's id chain; split one capture
    # into two files (the second without a snapshot) to check the hand-over.
    with gzip.open(shared_data / CAPTURES[0], "rt") as source:
        lines = source.read().splitlines(keepends=True)
    half = len(lines) // 2
    first, second = tmp_path / "day1.gz", tmp_path / "day2.gz"
    with gzip.open(first, "wt") as out:
        out.writelines(lines[:half])
    with gzip.open(second, "wt") as out:
        out.writelines(lines[half:])
    instrument, d1, q1 = _load(first)
    _, d2, q2 = _load(second)
    whole = _compare_with_book_ticker(instrument, pl.concat([d1, d2]), pl.concat([q1, q2]))
    assert whole > 100


def test_mbo_replay_of_the_cme_snapshot_is_sound(shared_data: Path) -> None:
    from ferrox.data.loaders.base import ErrorSink, LoaderOptions
    from ferrox.data.loaders.databento import load

    path = shared_data / "databento" / "esh4-glbx-mdp3-20231224.mbo.dbn.zst"
    frames = [
        pl.from_arrow(b.table)
        for b in load(path, options=LoaderOptions(), errors=ErrorSink())
        if b.kind == "deltas"
    ]
    deltas = pl.concat(frames)  # type: ignore[arg-type]
    out, errors = replay_mbo(deltas)
    assert errors == []
    assert out.height > 0
    # Every consistent point: levels hold exactly the resting orders.
    assert (out["order_count"] == out["queued_orders"]).all()
    adds = deltas.filter(
        (pl.col("action") == BookAction.ADD) & (pl.col("flags") & FLAG_SNAPSHOT != 0)
    ).height
    assert adds == 8725
    # The file is a session-start snapshot: one consistent point, after its
    # last add, holding all 8,725 resting orders, not crossed.
    assert out.height == 1
    assert out["order_count"].item() == 8725
    assert not out["crossed"].any()


def test_depth_and_queue_ahead_of_an_own_order() -> None:
    book = OrderBook(FUT, rule="sequenced")
    book.apply_raw(BookAction.UPDATE, BookSide.BID, 6180020, 2000)
    book.apply_raw(BookAction.UPDATE, BookSide.BID, 6180010, 1000)
    assert book.cumulative_depth(BookSide.BID, 2) == Quantity("3.000")
    assert book.join_queue(1, BookSide.BID, Price("61800.20")) == Quantity("2.000")
    book.apply_raw(BookAction.UPDATE, BookSide.BID, 6180020, 500)
    assert book.queue_ahead(1) == Quantity("0.5")
    # Size joining later queues behind us: it does not move us back.
    book.apply_raw(BookAction.UPDATE, BookSide.BID, 6180020, 4000)
    assert book.queue_ahead(1) == Quantity("0.5")
    book.leave_queue(1)
    assert book.queue_ahead(1) is None
