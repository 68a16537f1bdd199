"""What every loader shares: the batches it yields, its options, its error policy.

A loader reads one source file and yields :class:`Batch` objects (one
instrument, one data kind, a table in the kind's schema), streaming with
constant memory whatever the file size. Bad records go to an
:class:`ErrorSink`, which raises, counts, or keeps them for quarantine
according to the user's ``--on-error`` choice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from ferrox.errors import DataError
from ferrox.model.instrument import Instrument
from ferrox.model.schema import DataKind


class OnError(StrEnum):
    """What to do with a record that cannot be read."""

    #: Stop the import with a DataError; the catalog is left untouched.
    FAIL = "fail"
    #: Leave the record out, count it and report the count.
    SKIP = "skip"
    #: Leave the record out and write its raw text to a side file.
    QUARANTINE = "quarantine"


@dataclass(frozen=True)
class Batch:
    """Rows of one data kind for one instrument, in the kind's schema."""

    instrument: Instrument
    kind: DataKind
    table: pa.Table

    @property
    def num_rows(self) -> int:
        """Number of rows."""
        return int(self.table.num_rows)


@dataclass(frozen=True)
class RejectedRecord:
    """A record a loader could not read."""

    source: str
    line: int
    reason: str
    text: str


@dataclass
class ErrorSink:
    """Receives bad records and applies the ``--on-error`` policy."""

    policy: OnError = OnError.FAIL
    skipped: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    rejected: list[RejectedRecord] = field(default_factory=list)

    def reject(self, source: str, line: int, reason: str, text: str = "") -> None:
        """Reports a bad record at ``source:line``.

        Raises :class:`DataError` under :attr:`OnError.FAIL`; otherwise counts
        it (and keeps its text for quarantine).
        """
        if self.policy is OnError.FAIL:
            raise DataError(f"{source}:{line}: {reason}")
        self.skipped += 1
        self.reasons[_reason_kind(reason)] += 1
        if self.policy is OnError.QUARANTINE:
            self.rejected.append(RejectedRecord(source, line, reason, text))


def _reason_kind(reason: str) -> str:
    # Group counts by the reason's leading clause ("field 'p': ..." -> "field 'p'").
    return reason.split(":", 1)[0][:80]


@dataclass(frozen=True)
class LoaderOptions:
    """Options a user may give a loader; each loader reads the ones it needs.

    ``instrument`` overrides the instrument id (generic CSV needs one);
    ``instruments`` supplies definitions (increments) by id, overriding
    built-in or inferred ones; ``columns`` maps schema column names to the
    file's column names for generic CSV/Parquet; ``ts_unit`` is one of
    ``s, ms, us, ns`` (or ``iso`` for text timestamps) and ``tz`` the zone of
    naive timestamps; ``bar_label`` says whether a bar's timestamp labels its
    ``open`` or ``close``; ``bar_interval`` is the bar length such as ``1m``.
    """

    instrument: str | None = None
    venue: str | None = None
    kind: DataKind | None = None
    instruments: dict[str, Instrument] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    ts_unit: str | None = None
    tz: str = "UTC"
    price_precision: int | None = None
    size_precision: int | None = None
    bar_label: str = "open"
    bar_interval: str | None = None
    batch_rows: int = 1_000_000


class DefinitionsReader(Protocol):
    """A function returning the instruments a source file defines (optional per format)."""

    def __call__(self, path: Path, *, options: LoaderOptions) -> list[Instrument]: ...


class Loader(Protocol):
    """A function reading one file into batches."""

    def __call__(
        self, path: Path, *, options: LoaderOptions, errors: ErrorSink
    ) -> Iterator[Batch]: ...
