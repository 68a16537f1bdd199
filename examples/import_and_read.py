"""Import a Binance capture into a catalog, then read trades back exactly.

Run: ``.venv/bin/python examples/import_and_read.py``
"""

from __future__ import annotations

import tempfile

import polars as pl

from _data import binance_capture
from ferrox.data.catalog import Catalog, decimal_text
from ferrox.data.importer import import_files


def main() -> None:
    """Imports one capture and prints what landed, with exact prices."""
    catalog = Catalog(tempfile.mkdtemp(prefix="ferrox-example-"))
    report = import_files([binance_capture()], "binance", catalog)
    print(catalog.summary().select("instrument", "kind", "rows"))
    (instrument_id, _), _ = next(iter(report.counts.items()))
    instrument = catalog.instrument(instrument_id)
    trades = catalog.read(instrument.id, "trades")
    # Raw integers in, exact decimal text out: no float ever touches a price.
    exact = decimal_text(trades.head(3), "trades", *catalog.precisions(instrument.id))
    print(exact.select("ts_event", "price", "size", "aggressor_side"))
    vwap = (trades["price"] * trades["size"]).sum() / trades["size"].sum()
    print(
        f"{instrument.id}: {trades.height:,} trades, VWAP {vwap / 10**instrument.price_precision:.2f}"
    )
    assert trades["ts_init"].is_sorted()
    assert trades.select(pl.col("size").min()).item() > 0


if __name__ == "__main__":
    main()
