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

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ferrox.data.decimals import format_decimals
from ferrox.data.loaders.base import Batch
from ferrox.data.timeparse import NANOS_PER_DAY, utc_day
from ferrox.errors import CatalogError, DataError
from ferrox.model.instrument import Instrument
from ferrox.model.schema import (
    PRICE_COLUMNS,
    SCHEMA_VERSION,
    SCHEMAS,
    SIZE_COLUMNS,
    DataKind,
    conform,
    empty_table,
)

MANIFEST_NAME = "_manifest.json"
LOCK_NAME = ".lock"
STAGING_DIR = ".staging"
QUARANTINE_DIR = "_quarantine"
_FORMAT_TAG = "ferrox-catalog"
_INT64_MAX = 2**63 - 1

#: Rows a partition buffers before writing them as one Parquet row group.
ROW_GROUP_ROWS = 256 * 1024
#: Rows all partitions of a transaction may buffer together before flushing.
MAX_BUFFERED_ROWS = 1024 * 1024


@dataclass(frozen=True)
class FileEntry:
    """One committed Parquet file, as the manifest lists it."""

    path: str
    instrument: str
    kind: DataKind
    day: str
    rows: int
    ts_event_min: int
    ts_event_max: int
    ts_init_min: int
    ts_init_max: int
    source: str
    price_precision: int
    size_precision: int
    bytes: int
    seq: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileEntry:
        """Reads :meth:`to_dict`'s output back."""
        return cls(**{**data, "kind": DataKind(data["kind"])})


@dataclass(frozen=True)
class SourceRecord:
    """A source file that was imported, identified by the sha256 of its bytes."""

    sha256: str
    path: str
    imported_at: str
    rows: int
    format: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceRecord:
        """Reads :meth:`to_dict`'s output back."""
        return cls(**data)


@dataclass(frozen=True)
class Manifest:
    """What the catalog holds: files, instruments, imported sources."""

    schema_version: int = SCHEMA_VERSION
    generation: int = 0
    next_seq: int = 0
    instruments: dict[str, Instrument] = field(default_factory=dict)
    sources: dict[str, SourceRecord] = field(default_factory=dict)
    files: tuple[FileEntry, ...] = ()

    def to_json(self) -> str:
        """The manifest file's text."""
        data = {
            "format": _FORMAT_TAG,
            "schema_version": self.schema_version,
            "generation": self.generation,
            "next_seq": self.next_seq,
            "instruments": {k: v.to_dict() for k, v in sorted(self.instruments.items())},
            "sources": {k: v.to_dict() for k, v in self.sources.items()},
            "files": [f.to_dict() for f in self.files],
        }
        return json.dumps(data, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str, where: Path) -> Manifest:
        """Parses a manifest file, refusing newer schema versions."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CatalogError(f"{where}: not valid JSON ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != _FORMAT_TAG:
            raise CatalogError(f"{where}: not a ferrox catalog manifest")
        version = data.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise CatalogError(
                f"{where}: catalog has schema version {version}; this ferrox reads "
                f"schema version {SCHEMA_VERSION} or older (upgrade ferrox)"
            )
        try:
            return cls(
                schema_version=version,
                generation=int(data["generation"]),
                next_seq=int(data["next_seq"]),
                instruments={k: Instrument.from_dict(v) for k, v in data["instruments"].items()},
                sources={k: SourceRecord.from_dict(v) for k, v in data["sources"].items()},
                files=tuple(FileEntry.from_dict(f) for f in data["files"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CatalogError(f"{where}: malformed manifest ({exc!r})") from None


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes (hex), read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
            table = _read_file(path, filters)
        except FileNotFoundError:
            raise CatalogError(
                f"{path}: listed in the manifest but missing (was the catalog changed "
                "while reading? read again)"
            ) from None
        _check_file_metadata(table.schema, entry, path)
        return table


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


# -- the transaction ------------------------------------------------------------


class _CatalogLock:
    """An exclusive ``flock`` on ``<root>/.lock`` (released when the process dies)."""

    def __init__(self, root: Path, timeout: float) -> None:
        self.path = root / LOCK_NAME
        self.timeout = timeout
        self._fd: int | None = None

    def __enter__(self) -> Self:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise CatalogError(
                        f"{self.root_display}: another import holds the catalog lock "
                        f"({self.path}); try again when it has finished"
                    ) from None
                time.sleep(0.05)
        self._fd = fd
        return self

    @property
    def root_display(self) -> str:
        return str(self.path.parent)

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


@dataclass
class _PendingSource:
    sha256: str
    path: str
    format: str | None
    rows: int = 0


@dataclass(frozen=True)
class _PartKey:
    source: str
    instrument: str
    kind: DataKind
    day: str
    price_precision: int
    size_precision: int


@dataclass
class _Part:
    """One Parquet file being staged: buffered tables, its writer, running stats."""

    key: _PartKey
    seq: int
    relpath: str
    staged: Path
    schema: pa.Schema
    buffered: list[pa.Table] = field(default_factory=list)
    buffered_rows: int = 0
    writer: pq.ParquetWriter | None = None
    rows: int = 0
    ts_event: tuple[int, int] = (_INT64_MAX, -_INT64_MAX - 1)
    ts_init: tuple[int, int] = (_INT64_MAX, -_INT64_MAX - 1)

    def add(self, table: pa.Table) -> None:
        self.buffered.append(table)
        self.buffered_rows += table.num_rows
        self.rows += table.num_rows
        for name in ("ts_event", "ts_init"):
            bounds = pc.min_max(table.column(name)).as_py()
            low, high = getattr(self, name)
            setattr(self, name, (min(low, bounds["min"]), max(high, bounds["max"])))

    def flush(self) -> None:
        if not self.buffered:
            return
        if self.writer is None:
            self.staged.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.staged, self.schema, compression="zstd")
        self.writer.write_table(pa.concat_tables(self.buffered), row_group_size=ROW_GROUP_ROWS)
        self.buffered = []
        self.buffered_rows = 0

    def close(self) -> None:
        self.flush()
        if self.writer is not None:
            self.writer.close()
            self.writer = None
            _fsync(self.staged)

    def abort(self) -> None:
        self.buffered = []
        if self.writer is not None:
            with contextlib.suppress(Exception):
                self.writer.close()
            self.writer = None

    def entry(self) -> FileEntry:
        return FileEntry(
            path=self.relpath,
            instrument=self.key.instrument,
            kind=self.key.kind,
            day=self.key.day,
            rows=self.rows,
            ts_event_min=self.ts_event[0],
            ts_event_max=self.ts_event[1],
            ts_init_min=self.ts_init[0],
            ts_init_max=self.ts_init[1],
            source=self.key.source,
            price_precision=self.key.price_precision,
            size_precision=self.key.size_precision,
            bytes=self.staged.stat().st_size,
            seq=self.seq,
        )


class Transaction:
    """One atomic import into a :class:`Catalog`; use it as a context manager.

    Every :meth:`write` is attributed to the source last opened with
    :meth:`begin_source` (or to an anonymous source of this transaction).
    Nothing is visible to readers until the context exits cleanly.
    """

    def __init__(self, catalog: Catalog, *, lock_timeout: float) -> None:
        self.catalog = catalog
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        self.txn_id = f"{stamp}-{os.getpid()}-{secrets.token_hex(4)}"
        self._lock = _CatalogLock(catalog.root, lock_timeout)
        self._base = Manifest()
        self._next_seq = 0
        self._sources: dict[str, _PendingSource] = {}
        self._current: _PendingSource | None = None
        self._replace: set[str] = set()
        self._instruments: dict[str, Instrument] = {}
        self._open: dict[_PartKey, _Part] = {}
        self._closed: list[_Part] = []
        self._buffered_rows = 0
        self._active = False

    @property
    def staging(self) -> Path:
        """This transaction's staging directory."""
        return self.catalog.root / STAGING_DIR / self.txn_id

    def __enter__(self) -> Self:
        root = self.catalog.root
        if not (root / MANIFEST_NAME).exists():
            self.catalog._check_can_create()
        root.mkdir(parents=True, exist_ok=True)
        self._lock.__enter__()
        try:
            self._base = self.catalog._refresh()
            self._next_seq = self._base.next_seq
            _remove_strays(self.catalog.root, self._base)
            self.staging.mkdir(parents=True)
        except BaseException:
            self._lock.__exit__()
            raise
        self._active = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._active:
            return
        if exc_type is None:
            self.commit()
        else:
            self.rollback()

    def _require_active(self) -> None:
        if not self._active:
            raise CatalogError("the transaction is not open (use it in a `with` block)")

    def begin_source(
        self,
        path: str | os.PathLike[str],
        *,
        sha256: str | None = None,
        replace: bool = False,
        fmt: str | None = None,
    ) -> str:
        """Starts writing the rows of one source file; returns its sha256.

        A source already in the catalog is refused unless ``replace`` is set,
        in which case its old files leave the catalog in the same commit.
        """
        self._require_active()
        sha = sha256 or file_sha256(Path(path))
        if sha in self._sources:
            raise CatalogError(f"{path}: the same source (sha256 {sha[:16]}…) twice in one import")
        if sha in self._base.sources:
            if not replace:
                raise CatalogError(
                    f"{path}: already imported (sha256 {sha[:16]}…); use force to replace it"
                )
            self._replace.add(sha)
        self._close_parts()
        self._current = _PendingSource(sha, str(path), fmt)
        self._sources[sha] = self._current
        return sha

    def add_instrument(self, instrument: Instrument) -> None:
        """Adds or updates an instrument definition.

        A definition read from the venue (``defined=True``) replaces an
        inferred one, never the other way round.
        """
        self._require_active()
        old = self._instruments.get(instrument.id) or self._base.instruments.get(instrument.id)
        if old is None or instrument.defined or not old.defined:
            self._instruments[instrument.id] = instrument

    def write(self, batch: Batch) -> None:
        """Stages a batch's rows (split by UTC day of ``ts_init``)."""
        self._require_active()
        if self._current is None:
            self._current = _PendingSource(
                hashlib.sha256(self.txn_id.encode()).hexdigest(), f"<api {self.txn_id}>", None
            )
            self._sources[self._current.sha256] = self._current
        source = self._current
        if batch.num_rows == 0:
            self.add_instrument(batch.instrument)
            return
        try:
            table = conform(batch.table, batch.kind)
        except (ValueError, pa.ArrowInvalid) as exc:
            raise DataError(
                f"{source.path}: {batch.kind} batch of {batch.instrument.id}: {exc}"
            ) from None
        for name in ("ts_event", "ts_init"):
            if table.column(name).null_count:
                raise DataError(
                    f"{source.path}: {batch.kind} batch of {batch.instrument.id}: "
                    f"missing {name} values"
                )
        self.add_instrument(batch.instrument)
        for day, part_table in _split_by_day(table):
            part = self._part(source, batch, day)
            part.add(part_table)
            self._buffered_rows += part_table.num_rows
            if part.buffered_rows >= ROW_GROUP_ROWS:
                self._buffered_rows -= part.buffered_rows
                part.flush()
        source.rows += table.num_rows
        if self._buffered_rows >= MAX_BUFFERED_ROWS:
            for part in self._open.values():
                part.flush()
            self._buffered_rows = 0

    def _part(self, source: _PendingSource, batch: Batch, day: str) -> _Part:
        inst = batch.instrument
        key = _PartKey(
            source.sha256, inst.id, batch.kind, day, inst.price_precision, inst.size_precision
        )
        part = self._open.get(key)
        if part is None:
            seq = self._next_seq
            self._next_seq += 1
            relpath = f"{batch.kind}/{inst.id}/date={day}/part-{source.sha256[:16]}-{seq}.parquet"
            metadata = {
                "ferrox.schema_version": str(SCHEMA_VERSION),
                "ferrox.instrument": inst.id,
                "ferrox.kind": str(batch.kind),
                "ferrox.price_precision": str(inst.price_precision),
                "ferrox.size_precision": str(inst.size_precision),
                "ferrox.source_sha256": source.sha256,
            }
            part = _Part(
                key=key,
                seq=seq,
                relpath=relpath,
                staged=self.staging / relpath,
                schema=SCHEMAS[batch.kind].with_metadata(metadata),
            )
            self._open[key] = part
        return part

    def _close_parts(self) -> None:
        for part in self._open.values():
            part.close()
            self._closed.append(part)
        self._open = {}
        self._buffered_rows = 0

    def commit(self) -> Manifest:
        """Publishes everything written: moves staged files in place, swaps the manifest."""
        self._require_active()
        root = self.catalog.root
        moved: list[Path] = []
        swapped = False
        try:
            self._close_parts()
            parts = [p for p in self._closed if p.rows]
            new_entries = [p.entry() for p in parts]
            now = datetime.now(UTC).isoformat(timespec="seconds")
            sources = {k: v for k, v in self._base.sources.items() if k not in self._replace}
            for pending in self._sources.values():
                sources[pending.sha256] = SourceRecord(
                    pending.sha256, pending.path, now, pending.rows, pending.format
                )
            kept = [f for f in self._base.files if f.source not in self._replace]
            manifest = Manifest(
                schema_version=SCHEMA_VERSION,
                generation=self._base.generation + 1,
                next_seq=self._next_seq,
                instruments={**self._base.instruments, **self._instruments},
                sources=sources,
                files=(*kept, *new_entries),
            )
            dirs: set[Path] = set()
            for part in parts:
                final = root / part.relpath
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(part.staged, final)
                moved.append(final)
                dirs.add(final.parent)
            for directory in dirs:
                _fsync(directory)
            _swap_manifest(root, manifest)
            swapped = True
            for entry in self._base.files:
                if entry.source in self._replace:
                    with contextlib.suppress(FileNotFoundError):
                        (root / entry.path).unlink()
            return manifest
        except BaseException:
            if not swapped:
                for path in moved:
                    with contextlib.suppress(OSError):
                        path.unlink()
            raise
        finally:
            self._finish()

    def rollback(self) -> None:
        """Drops everything written; the catalog stays as it was."""
        if not self._active:
            return
        for part in self._open.values():
            part.abort()
        self._open = {}
        self._finish()

    def _finish(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
        with contextlib.suppress(OSError):
            (self.catalog.root / STAGING_DIR).rmdir()
        self._active = False
        self._lock.__exit__()


def _split_by_day(table: pa.Table) -> Iterator[tuple[str, pa.Table]]:
    days = table.column("ts_init").to_numpy() // NANOS_PER_DAY
    first, last = int(days.min()), int(days.max())
    if first == last:
        yield utc_day(first * NANOS_PER_DAY), table
        return
    for day in np.unique(days):
        yield utc_day(int(day) * NANOS_PER_DAY), table.filter(pa.array(days == day))


def _swap_manifest(root: Path, manifest: Manifest) -> None:
    """The commit point: writes the manifest to a temp file and renames it over the old one."""
    target = root / MANIFEST_NAME
    temp = root / f"{MANIFEST_NAME}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        with open(temp, "w", encoding="utf-8") as handle:
            handle.write(manifest.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync(root)


def _remove_strays(root: Path, manifest: Manifest) -> None:
    # Runs under the lock: whatever no manifest lists was left by a failed import.
    shutil.rmtree(root / STAGING_DIR, ignore_errors=True)
    for temp in root.glob(f"{MANIFEST_NAME}.tmp-*"):
        with contextlib.suppress(OSError):
            temp.unlink()
    listed = {entry.path for entry in manifest.files}
    for kind in DataKind:
        base = root / kind.value
        if not base.is_dir():
            continue
        for path in base.rglob("*.parquet"):
            if path.relative_to(root).as_posix() not in listed:
                path.unlink()
        _remove_empty_dirs(base)


def _remove_empty_dirs(base: Path) -> None:
    for directory in sorted((p for p in base.rglob("*") if p.is_dir()), reverse=True):
        with contextlib.suppress(OSError):
            directory.rmdir()
    with contextlib.suppress(OSError):
        base.rmdir()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yields a temp path beside ``path``; renames it onto ``path`` when the block succeeds.

    Readers of ``path`` see the old file or the whole new one, never half of it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        yield temp
        _fsync(temp)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def write_atomic(path: Path, chunks: Iterable[bytes]) -> None:
    """Writes ``chunks`` to ``path`` through :func:`atomic_output`."""
    with atomic_output(path) as temp, open(temp, "wb") as handle:
        for chunk in chunks:
            handle.write(chunk)


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
