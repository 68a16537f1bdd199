"""Transactions: stage an import's files, then publish them with one manifest swap."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ferrox.data.catalog.files import _fsync, file_sha256
from ferrox.data.catalog.layout import (
    _INT64_MAX,
    LOCK_NAME,
    MANIFEST_NAME,
    MAX_BUFFERED_ROWS,
    ROW_GROUP_ROWS,
    STAGING_DIR,
)
from ferrox.data.catalog.manifest import FileEntry, Manifest, SourceRecord
from ferrox.data.loaders.base import Batch
from ferrox.data.timeparse import NANOS_PER_DAY, utc_day
from ferrox.errors import CatalogError, DataError
from ferrox.model.instrument import Instrument
from ferrox.model.schema import (
    SCHEMA_VERSION,
    SCHEMAS,
    DataKind,
    conform,
)

if TYPE_CHECKING:
    from ferrox.data.catalog.store import Catalog


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
