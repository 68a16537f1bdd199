"""The local Parquet catalog of market data.

Layout under the root directory::

    _manifest.json                                   the source of truth
    {kind}/{instrument_id}/date=YYYY-MM-DD/part-<source-sha>-<n>.parquet
    _quarantine/                                     rejected records of imports
    .staging/<txn-id>/...                            files of an import in progress
    .lock                                            held by the one writer

Files are partitioned by the UTC day of ``ts_init``, so a one-day query opens
only that day's files. Readers see exactly the files the manifest lists; an
import stages its files, moves them into place and then swaps in a new
manifest with one ``os.replace``, so a failed or killed import leaves the
catalog as it was. Files no manifest lists (left by a crash) are removed the
next time the catalog is opened for writing.

>>> import tempfile, pyarrow as pa
>>> from ferrox.data.loaders.base import Batch
>>> from ferrox.model.instrument import Instrument, InstrumentKind
>>> from ferrox.model.schema import DataKind
>>> inst = Instrument("BTCUSDT.BINANCE", InstrumentKind.SPOT, "0.01", "0.001", "BTC", "USDT", "USDT")
>>> table = pa.table({"ts_event": [1], "ts_init": [2], "price": [6180030], "size": [5],
...                   "aggressor_side": [1], "trade_id": ["7"]})
>>> catalog = Catalog(tempfile.mkdtemp())
>>> with catalog.transaction() as txn:
...     txn.write(Batch(inst, DataKind.TRADES, table))
>>> catalog.read("BTCUSDT.BINANCE", "trades")["price"].to_list()
[6180030]
"""

from __future__ import annotations

from ferrox.data.catalog.files import atomic_output, file_sha256, write_atomic
from ferrox.data.catalog.layout import MANIFEST_NAME, QUARANTINE_DIR
from ferrox.data.catalog.manifest import FileEntry, Manifest, SourceRecord
from ferrox.data.catalog.reading import decimal_text
from ferrox.data.catalog.store import Catalog
from ferrox.data.catalog.transaction import Transaction

__all__ = [
    "MANIFEST_NAME",
    "QUARANTINE_DIR",
    "Catalog",
    "FileEntry",
    "Manifest",
    "SourceRecord",
    "Transaction",
    "atomic_output",
    "decimal_text",
    "file_sha256",
    "write_atomic",
]
