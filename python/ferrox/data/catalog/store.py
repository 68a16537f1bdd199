"""The :class:`Catalog`: opening, querying and reading a catalog directory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa

from ferrox.data.catalog import reading
from ferrox.data.catalog.layout import (
    LOCK_NAME,
    MANIFEST_NAME,
    QUARANTINE_DIR,
    STAGING_DIR,
)
from ferrox.data.catalog.manifest import FileEntry, Manifest, SourceRecord
from ferrox.data.catalog.reading import (
    _SUMMARY_SCHEMA,
    _check_file_metadata,
    _kind,
    _range_filter,
    _rescale,
)
from ferrox.errors import CatalogError
from ferrox.model.instrument import Instrument
from ferrox.model.schema import (
    DataKind,
    empty_table,
)

if TYPE_CHECKING:
    from ferrox.data.catalog.transaction import Transaction


class Catalog:
    """A local Parquet catalog of market data under ``root``.

    ``Catalog(root)`` opens the catalog at ``root``; when there is none yet
    it is empty, and the first committed :meth:`transaction` creates it on
    disk. ``must_exist=True`` raises CatalogError instead (for readers, so a
    mistyped path is an error rather than an empty catalog). A directory that
    holds other files and no manifest is never taken over. Reads need no
    lock; writes go through :meth:`transaction`.
    """

    def __init__(self, root: str | os.PathLike[str], *, must_exist: bool = False) -> None:
        self.root = Path(root)
        self._manifest = Manifest()
        self._manifest_stat: tuple[int, int, int] | None = None
        if self.manifest_path.exists():
            self._refresh()
        elif must_exist:
            raise CatalogError(f"no ferrox catalog at {self.root} (no {MANIFEST_NAME})")
        else:
            self._check_can_create()

    @property
    def manifest_path(self) -> Path:
        """Path of the manifest file."""
        return self.root / MANIFEST_NAME

    def _check_can_create(self) -> None:
        if not self.root.exists():
            return
        if not self.root.is_dir():
            raise CatalogError(f"{self.root} is a file, not a catalog directory")
        allowed = {LOCK_NAME, STAGING_DIR, QUARANTINE_DIR}
        others = sorted(p.name for p in self.root.iterdir() if p.name not in allowed)
        if others:
            raise CatalogError(
                f"{self.root} is not empty and holds no {MANIFEST_NAME}: refusing to "
                f"make a catalog there (found {others[:5]})"
            )

    def _refresh(self) -> Manifest:
        # Another process may have committed since we last looked: re-read the
        # manifest when its inode/size/mtime changed (os.replace gives a new inode).
        try:
            st = self.manifest_path.stat()
        except FileNotFoundError:
            if self._manifest_stat is None:
                return self._manifest  # nothing committed yet: empty
            raise CatalogError(f"{self.manifest_path} has disappeared") from None
        key = (st.st_ino, st.st_size, st.st_mtime_ns)
        if key != self._manifest_stat:
            text = self.manifest_path.read_text(encoding="utf-8")
            self._manifest = Manifest.from_json(text, self.manifest_path)
            self._manifest_stat = key
        return self._manifest

    @property
    def manifest(self) -> Manifest:
        """The committed manifest, as of now."""
        return self._refresh()

    # -- writing --------------------------------------------------------------

    def transaction(self, *, lock_timeout: float = 30.0) -> Transaction:
        """An atomic write: ``with catalog.transaction() as txn: txn.write(batch)``.

        Commits on a clean exit and rolls back on an exception. Waits up to
        ``lock_timeout`` seconds for another writer to finish.
        """
        from ferrox.data.catalog.transaction import Transaction

        return Transaction(self, lock_timeout=lock_timeout)

    # -- reading --------------------------------------------------------------

    def has_source(self, sha256: str) -> bool:
        """Whether a source file with this sha256 has been imported."""
        return sha256 in self._refresh().sources

    def sources(self) -> list[SourceRecord]:
        """The imported source files, oldest first."""
        return list(self._refresh().sources.values())

    def instruments(self) -> list[Instrument]:
        """The instruments the catalog holds, sorted by id."""
        manifest = self._refresh()
        return [manifest.instruments[k] for k in sorted(manifest.instruments)]

    def instrument(self, instrument_id: str) -> Instrument:
        """One instrument's definition; CatalogError listing the known ids if absent."""
        manifest = self._refresh()
        try:
            return manifest.instruments[instrument_id]
        except KeyError:
            known = ", ".join(sorted(manifest.instruments)) or "none"
            raise CatalogError(
                f"instrument {instrument_id!r} is not in the catalog at {self.root} "
                f"(known: {known})"
            ) from None

    def precisions(self, instrument_id: str) -> tuple[int, int]:
        """``(price_precision, size_precision)`` of the raw values :meth:`read` returns.

        The finest precision among the instrument's definition and every file
        stored for it, so reads of any range agree.
        """
        manifest = self._refresh()
        inst = self.instrument(instrument_id)
        price, size = inst.price_precision, inst.size_precision
        for entry in manifest.files:
            if entry.instrument == instrument_id:
                price = max(price, entry.price_precision)
                size = max(size, entry.size_precision)
        return price, size

    def files(
        self,
        instrument_id: str,
        kind: DataKind | str,
        start: int | None = None,
        end: int | None = None,
    ) -> list[FileEntry]:
        """Manifest entries of one instrument and kind whose ``ts_init`` overlaps [start, end)."""
        kind = _kind(kind)
        return [
            entry
            for entry in self._refresh().files
            if entry.instrument == instrument_id
            and entry.kind == kind
            and (start is None or entry.ts_init_max >= start)
            and (end is None or entry.ts_init_min < end)
        ]

    def summary(self) -> pl.DataFrame:
        """One row per instrument and kind: files, rows, first/last timestamps, precisions.

        ``first_ts_init``/``last_ts_init`` bound the receive times that
        ``start``/``end`` select on; ``*_ts_event`` bound the source times.
        """
        manifest = self._refresh()
        groups: dict[tuple[str, DataKind], list[FileEntry]] = {}
        for entry in manifest.files:
            groups.setdefault((entry.instrument, entry.kind), []).append(entry)
        rows = []
        for (inst, kind), entries in sorted(groups.items()):
            price, size = self.precisions(inst)
            rows.append(
                {
                    "instrument": inst,
                    "kind": str(kind),
                    "files": len(entries),
                    "rows": sum(e.rows for e in entries),
                    "first_ts_init": min(e.ts_init_min for e in entries),
                    "last_ts_init": max(e.ts_init_max for e in entries),
                    "first_ts_event": min(e.ts_event_min for e in entries),
                    "last_ts_event": max(e.ts_event_max for e in entries),
                    "price_precision": price,
                    "size_precision": size,
                }
            )
        return pl.DataFrame(rows, schema=_SUMMARY_SCHEMA)

    def read(
        self,
        instrument_id: str,
        kind: DataKind | str,
        start: int | None = None,
        end: int | None = None,
    ) -> pl.DataFrame:
        """Rows of one instrument and kind with ``start <= ts_init < end``, sorted stably by ``ts_init``.

        Prices and sizes are raw int64 at :meth:`precisions` (files written at
        coarser precisions are rescaled exactly); :func:`decimal_text` turns
        them into exact decimal strings.
        """
        kind = _kind(kind)
        price_precision, size_precision = self.precisions(instrument_id)
        entries = self.files(instrument_id, kind, start, end)
        tables = []
        for entry in sorted(entries, key=lambda e: (e.day, e.seq)):
            table = self._read_entry(entry, start, end)
            table = _rescale(table, entry, kind, price_precision, size_precision)
            tables.append(table)
        if not tables:
            return pl.DataFrame(empty_table(kind))
        frame = pl.DataFrame(pa.concat_tables(tables))
        if frame["ts_init"].is_sorted():
            return frame  # a stable sort would not move a row
        return frame.sort("ts_init", maintain_order=True)

    def _read_entry(self, entry: FileEntry, start: int | None, end: int | None) -> pa.Table:
        path = self.root / entry.path
        inside = (start is None or entry.ts_init_min >= start) and (
            end is None or entry.ts_init_max < end
        )
        filters = None if inside else _range_filter(start, end)
        try:
            table = reading._read_file(path, filters)
        except FileNotFoundError:
            raise CatalogError(
                f"{path}: listed in the manifest but missing (was the catalog changed "
                "while reading? read again)"
            ) from None
        _check_file_metadata(table.schema, entry, path)
        return table
