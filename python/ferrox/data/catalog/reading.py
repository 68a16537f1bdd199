"""Reading catalog files: range filters, metadata checks, exact rescaling, decimal text."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ferrox.data.catalog.manifest import FileEntry
from ferrox.data.decimals import format_decimals
from ferrox.errors import CatalogError
from ferrox.model.schema import (
    PRICE_COLUMNS,
    SCHEMA_VERSION,
    SIZE_COLUMNS,
    DataKind,
)

_SUMMARY_SCHEMA = {
    "instrument": pl.String,
    "kind": pl.String,
    "files": pl.Int64,
    "rows": pl.Int64,
    "first_ts_init": pl.Int64,
    "last_ts_init": pl.Int64,
    "first_ts_event": pl.Int64,
    "last_ts_event": pl.Int64,
    "price_precision": pl.Int64,
    "size_precision": pl.Int64,
}


def _kind(kind: DataKind | str) -> DataKind:
    try:
        return DataKind(kind)
    except ValueError:
        raise CatalogError(
            f"unknown data kind {kind!r}; expected one of {[k.value for k in DataKind]}"
        ) from None


def _range_filter(start: int | None, end: int | None) -> list[tuple[str, str, int]]:
    filters = []
    if start is not None:
        filters.append(("ts_init", ">=", start))
    if end is not None:
        filters.append(("ts_init", "<", end))
    return filters


def _read_file(path: Path, filters: list[tuple[str, str, int]] | None) -> pa.Table:
    """Reads one catalog file (every read goes through here)."""
    return pq.read_table(path, filters=filters or None)


def _check_file_metadata(schema: pa.Schema, entry: FileEntry, path: Path) -> None:
    meta = {k.decode(): v.decode() for k, v in (schema.metadata or {}).items()}
    version = int(meta.get("ferrox.schema_version", "0"))
    if version > SCHEMA_VERSION:
        raise CatalogError(
            f"{path}: file has schema version {version}; this ferrox reads "
            f"schema version {SCHEMA_VERSION} or older"
        )
    expected = {
        "ferrox.instrument": entry.instrument,
        "ferrox.kind": str(entry.kind),
        "ferrox.price_precision": str(entry.price_precision),
        "ferrox.size_precision": str(entry.size_precision),
    }
    for key, value in expected.items():
        if meta.get(key) != value:
            raise CatalogError(
                f"{path}: metadata {key}={meta.get(key)!r} disagrees with the manifest ({value!r})"
            )


def _rescale(
    table: pa.Table, entry: FileEntry, kind: DataKind, price_precision: int, size_precision: int
) -> pa.Table:
    for columns, have, want in (
        (PRICE_COLUMNS[kind], entry.price_precision, price_precision),
        (SIZE_COLUMNS[kind], entry.size_precision, size_precision),
    ):
        if want == have:
            continue
        factor = pa.scalar(10 ** (want - have), pa.int64())
        for name in columns:
            index = table.schema.get_field_index(name)
            try:
                scaled = pc.multiply_checked(table.column(index), factor)
            except pa.ArrowInvalid:
                raise CatalogError(
                    f"{entry.path}: column {name!r} overflows int64 when rescaled from "
                    f"{have} to {want} decimals"
                ) from None
            table = table.set_column(index, name, scaled)
    # Metadata describes the stored precisions, not the rescaled ones.
    return table.replace_schema_metadata(None)


def decimal_text(
    frame: pl.DataFrame, kind: DataKind | str, price_precision: int, size_precision: int
) -> pl.DataFrame:
    """Replaces a kind's raw price and size columns by exact decimal strings.

    >>> frame = pl.DataFrame({"ts_event": [1], "ts_init": [1], "price": [6180030],
    ...                       "size": [5], "aggressor_side": [1], "trade_id": ["7"]})
    >>> decimal_text(frame, "trades", 2, 3).row(0)
    (1, 1, '61800.30', '0.005', 1, '7')
    """
    kind = _kind(kind)
    exprs = [format_decimals(pl.col(c), price_precision) for c in PRICE_COLUMNS[kind]]
    exprs += [format_decimals(pl.col(c), size_precision) for c in SIZE_COLUMNS[kind]]
    return frame.with_columns(exprs)
