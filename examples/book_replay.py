"""Rebuild the L2 book of a Binance capture and look at its spread and microprice.

Run: ``.venv/bin/python examples/book_replay.py``
"""

from __future__ import annotations

import tempfile

import polars as pl

from _data import binance_capture
from ferrox.book import OrderBook, replay
from ferrox.data.catalog import Catalog
from ferrox.data.importer import import_files
from ferrox.model.records import BookDelta, from_table


def main() -> None:
    """Replays the book in batch, then streams the first updates one by one."""
    catalog = Catalog(tempfile.mkdtemp(prefix="ferrox-example-"))
    import_files([binance_capture()], "binance", catalog)
    instrument = next(i for i in catalog.instruments() if i.id.endswith("BINANCE-USDM"))
    deltas = catalog.read(instrument.id, "deltas")

    book = replay(deltas, instrument, levels=5)
    synced = book.filter(pl.col("state") == 0)
    spread = (synced["ask_price_0"] - synced["bid_price_0"]) / 10**instrument.price_precision
    print(f"{book.height:,} updates, {synced.height:,} synced; median spread {spread.median()}")
    for row in book.filter(pl.col("state_text").is_not_null()).iter_rows(named=True):
        print(f"  at update {row['sequence']}: {row['state_text']}")

    # The same book, one delta at a time, with exact prices.
    stream = OrderBook(instrument)
    for delta in from_table(deltas.head(20_000).to_arrow(), "deltas", instrument):
        assert isinstance(delta, BookDelta)
        stream.apply(delta)
    print(
        f"after 20,000 deltas: {stream.state}; best bid {stream.best_bid()}, "
        f"best ask {stream.best_ask()}, microprice {stream.microprice():.2f}"
    )


if __name__ == "__main__":
    main()
