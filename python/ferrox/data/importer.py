"""Imports source files into a catalog: all files of one call in one transaction.

The catalog ends up holding the whole import or none of it. A source already
imported (same sha256) is skipped unless ``force`` replaces it. Bad records
follow ``on_error``; under ``quarantine`` their raw text goes to
``<root>/_quarantine/<source-name>.<utc-time>.rejected.jsonl``.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from ferrox.data.catalog import QUARANTINE_DIR, Catalog, file_sha256, write_atomic
from ferrox.data.loaders import get_definitions_reader, get_loader
from ferrox.data.loaders.base import ErrorSink, LoaderOptions, OnError, RejectedRecord
from ferrox.errors import DataError
from ferrox.model.schema import DataKind


class SourceStatus(StrEnum):
    """What an import did with one source file."""

    IMPORTED = "imported"
    REPLACED = "replaced"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class SourceOutcome:
    """The result for one source file of an import."""

    path: Path
    sha256: str
    status: SourceStatus
    rows: int = 0
    skipped: int = 0
    message: str = ""


@dataclass
class ImportReport:
    """What an import wrote and what it left out."""

    #: Rows written per (instrument id, kind).
    counts: dict[tuple[str, DataKind], int] = field(default_factory=dict)
    #: Records left out, by reason (under ``skip`` and ``quarantine``).
    skipped: Counter[str] = field(default_factory=Counter)
    sources: list[SourceOutcome] = field(default_factory=list)
    #: Side files holding the rejected records (under ``quarantine``).
    quarantine_files: list[Path] = field(default_factory=list)
    #: Ids of the instruments defined by the sources (definition files).
    instruments: list[str] = field(default_factory=list)
    #: Wall time of the import, for throughput figures only.
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        """Rows written in total."""
        return sum(self.counts.values())

    @property
    def skipped_records(self) -> int:
        """Records left out in total."""
        return sum(self.skipped.values())


class ImportProgress(Protocol):
    """Receives progress of an import (the CLI draws a progress bar from it)."""

    def file_started(self, path: Path, index: int, total: int) -> None:
        """A source file (``index`` of ``total``, from 0) starts."""

    def rows_written(self, rows: int) -> None:
        """``rows`` more rows were staged."""


def import_files(
    paths: Sequence[str | Path],
    fmt: str,
    catalog: Catalog,
    *,
    on_error: OnError = OnError.FAIL,
    options: LoaderOptions | None = None,
    force: bool = False,
    progress: ImportProgress | None = None,
) -> ImportReport:
    """Reads ``paths`` with the ``fmt`` loader into ``catalog`` in one transaction.

    Raises :class:`~ferrox.errors.DataError` (naming file and line) under
    ``on_error=fail`` and leaves the catalog untouched; any other failure
    also leaves it untouched.
    """
    sources = [Path(p) for p in paths]
    for path in sources:
        if not path.is_file():
            raise DataError(f"{path}: no such file")
    loader = get_loader(fmt)
    read_definitions = get_definitions_reader(fmt)
    options = options or LoaderOptions()
    report = ImportReport()
    rejected: list[tuple[Path, list[RejectedRecord]]] = []
    started = time.perf_counter()
    with catalog.transaction() as txn:
        for definition in options.instruments.values():
            txn.add_instrument(definition)
        seen: set[str] = set()
        for index, path in enumerate(sources):
            if progress is not None:
                progress.file_started(path, index, len(sources))
            sha = file_sha256(path)
            if sha in seen or (catalog.has_source(sha) and not force):
                where = "earlier in this import" if sha in seen else "in the catalog"
                report.sources.append(
                    SourceOutcome(
                        path, sha, SourceStatus.DUPLICATE, message=f"already imported ({where})"
                    )
                )
                continue
            seen.add(sha)
            status = SourceStatus.REPLACED if catalog.has_source(sha) else SourceStatus.IMPORTED
            txn.begin_source(path, sha256=sha, replace=force, fmt=fmt)
            errors = ErrorSink(policy=on_error)
            rows = 0
            try:
                for instrument in (
                    read_definitions(path, options=options) if read_definitions else []
                ):
                    txn.add_instrument(instrument)
                    report.instruments.append(instrument.id)
                for batch in loader(path, options=options, errors=errors):
                    txn.write(batch)
                    key = (batch.instrument.id, batch.kind)
                    report.counts[key] = report.counts.get(key, 0) + batch.num_rows
                    rows += batch.num_rows
                    if progress is not None:
                        progress.rows_written(batch.num_rows)
            except DataError as exc:
                if path.name in str(exc):
                    raise
                raise DataError(f"{path}: {exc}") from exc
            report.skipped.update(errors.reasons)
            report.sources.append(SourceOutcome(path, sha, status, rows, errors.skipped))
            if errors.rejected:
                rejected.append((path, errors.rejected))
    # Written after the commit: a failed import has nothing to quarantine.
    for path, records in rejected:
        report.quarantine_files.append(_write_quarantine(catalog, path, records))
    report.seconds = time.perf_counter() - started
    return report


def _write_quarantine(catalog: Catalog, source: Path, records: Iterable[RejectedRecord]) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    directory = catalog.root / QUARANTINE_DIR
    target = directory / f"{source.name}.{stamp}.rejected.jsonl"
    counter = 1
    while target.exists():
        target = directory / f"{source.name}.{stamp}-{counter}.rejected.jsonl"
        counter += 1
    lines = (
        json.dumps(
            {"source": r.source, "line": r.line, "reason": r.reason, "text": r.text},
            ensure_ascii=False,
        ).encode()
        + b"\n"
        for r in records
    )
    write_atomic(target, lines)
    return target


__all__ = ["ImportProgress", "ImportReport", "SourceOutcome", "SourceStatus", "import_files"]
