"""Chunked reading of tabular files and row checks, shared by the CSV/Parquet loaders.

A file is read in chunks of at most ``batch_rows`` rows (memory stays bounded
whatever the file size), every CSV value as text so that prices and sizes are
parsed exactly by :func:`~ferrox.data.decimals.parse_decimals` and never
through a float. Each chunk knows the 1-based line of each row (for Parquet:
the 1-based row number), counting the header, blank lines and rows the CSV
parser could not split, so an error points at the line a user opens in an
editor. Line numbers assume one record per line (no quoted line breaks).

:class:`RowCheck` parses a chunk's columns a whole column at a time and turns
each bad value into a problem of its row instead of failing the chunk; at the
end it hands the problems to the :class:`~ferrox.data.loaders.base.ErrorSink`
in line order (so ``--on-error fail`` names the first bad line of the file)
and returns which rows to keep.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ferrox._core import parse_fixed
from ferrox.data.decimals import max_decimals, parse_decimals
from ferrox.data.loaders.base import ErrorSink
from ferrox.errors import ConfigError, DataError
from ferrox.model.instrument import Instrument, InstrumentKind, increment_for
from ferrox.model.schema import FLAG_LAST, FLAG_SNAPSHOT, BookAction, BookSide

Int64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Largest number of decimals a raw int64 may carry (the engine's MAX_PRECISION).
MAX_PRECISION = 16

#: CSV parse block: small blocks parse fastest; a line may not be longer.
_BLOCK_BYTES = 1 << 20

#: Nanoseconds per timestamp unit, and the decimals of a value in that unit
#: that still fit a whole nanosecond.
UNIT_NANOS: dict[str, int] = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}
UNIT_DECIMALS: dict[str, int] = {"s": 9, "ms": 6, "us": 3, "ns": 0}
UNIT_WORDS: dict[str, str] = {
    "s": "seconds",
    "ms": "milliseconds",
    "us": "microseconds",
    "ns": "nanoseconds",
}


@dataclass
class Chunk:
    """Up to ``batch_rows`` rows of a file, with where each came from."""

    frame: pl.DataFrame
    #: 1-based line (CSV) or row number (Parquet) of each row of ``frame``.
    lines: Int64Array
    #: Lines the CSV parser could not split into the header's columns:
    #: ``(line, reason, text)``, reported with this chunk's problems.
    malformed: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def height(self) -> int:
        """Number of rows."""
        return int(self.frame.height)


def _open_text(path: Path) -> Any:
    # pyarrow picks the decompressor from the extension (.gz, .bz2, .zst, ...).
    return pa.input_stream(str(path), compression="detect")


def read_first_line(path: Path) -> list[str]:
    """The fields of the file's first line (its header, if it has one)."""
    with _open_text(path) as stream:
        head = stream.read(1 << 20)
    text = head.decode("utf-8-sig", errors="replace")
    line = text.splitlines()[0] if text else ""
    fields = next(csv.reader(io.StringIO(line)), [])
    return [f.strip() for f in fields]


def iter_csv(
    path: Path,
    *,
    names: Sequence[str],
    has_header: bool,
    batch_rows: int,
) -> Iterator[Chunk]:
    """Streams a CSV (optionally compressed) in chunks of text columns.

    ``names`` are the column names (the header's, or given for a headerless
    file). Lines with the wrong number of fields become ``Chunk.malformed``
    entries instead of stopping the read; blank lines are left out (and
    counted in the line numbers).
    """
    malformed: deque[tuple[int, str, str]] = deque()

    def on_invalid(row: Any) -> str:
        malformed.append(
            (
                int(row.number),
                f"expected {row.expected_columns} fields, found {row.actual_columns}",
                str(row.text),
            )
        )
        return "skip"

    # Threads would lose the line numbers the invalid-row handler gets; small
    # blocks parse fastest and are gathered into chunks of batch_rows rows.
    read_options = pacsv.ReadOptions(
        use_threads=False,
        block_size=_BLOCK_BYTES,
        column_names=list(names),
        skip_rows=1 if has_header else 0,
    )
    parse_options = pacsv.ParseOptions(
        invalid_row_handler=on_invalid, ignore_empty_lines=False, newlines_in_values=False
    )
    convert_options = pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    reader = pacsv.open_csv(
        str(path),
        read_options=read_options,
        parse_options=parse_options,
        convert_options=convert_options,
    )
    next_line = 2 if has_header else 1

    def chunk_of(table: pa.Table) -> Chunk:
        nonlocal next_line
        frame = pl.from_arrow(table, rechunk=True)
        assert isinstance(frame, pl.DataFrame)
        n = frame.height
        lines: Int64Array = np.arange(next_line, next_line + n, dtype=np.int64)
        taken: list[tuple[int, str, str]] = []
        # A skipped malformed line shifts every later row down by one.
        while malformed and n and malformed[0][0] <= lines[-1]:
            skip = malformed.popleft()
            lines[lines >= skip[0]] += 1
            taken.append(skip)
        next_line = int(lines[-1]) + 1 if n else next_line
        blank = _blank_rows(frame)
        if blank is not None:
            frame = frame.filter(~pl.Series(blank))
            lines = lines[~blank]
        return Chunk(frame, lines, taken)

    pending: list[pa.RecordBatch] = []
    held = 0
    for record_batch in reader:
        pending.append(record_batch)
        held += record_batch.num_rows
        while held >= batch_rows:
            table = pa.Table.from_batches(pending)
            yield chunk_of(table.slice(0, batch_rows))
            rest = table.slice(batch_rows)
            pending, held = rest.to_batches(), rest.num_rows
    if held:
        yield chunk_of(pa.Table.from_batches(pending))
    if malformed:
        empty = pl.DataFrame(schema=dict.fromkeys(names, pl.String))
        yield Chunk(empty, np.zeros(0, np.int64), list(malformed))


def _blank_rows(frame: pl.DataFrame) -> BoolArray | None:
    # With ignore_empty_lines off, a blank line arrives as a row of empty fields.
    if frame.height == 0 or frame.width == 0:
        return None
    empty = pl.all_horizontal(
        [pl.col(c).cast(pl.String).str.len_bytes().fill_null(0) == 0 for c in frame.columns]
    )
    mask = frame.select(empty.alias("blank")).to_series().to_numpy()
    return mask if mask.any() else None


def iter_parquet(
    path: Path, *, batch_rows: int, columns: Sequence[str] | None = None
) -> Iterator[Chunk]:
    """Streams a Parquet file in chunks; ``lines`` are 1-based row numbers."""
    parquet = pq.ParquetFile(str(path))
    row = 1
    for record_batch in parquet.iter_batches(batch_size=batch_rows, columns=columns):
        frame = pl.from_arrow(record_batch)
        assert isinstance(frame, pl.DataFrame)
        yield Chunk(frame, np.arange(row, row + frame.height, dtype=np.int64))
        row += frame.height


def column_max_decimals(series: pl.Series) -> int:
    """Decimals needed to hold every value of a text column exactly (non-decimals ignored)."""
    text = series.cast(pl.String).fill_null("")
    return max_decimals(text) if text.len() else 0


def check_inferred_precision(precision: int, what: str, source: str) -> int:
    """Refuses an inferred precision the int64 raw values cannot carry."""
    if precision > MAX_PRECISION:
        raise DataError(
            f"{source}: {what} values are written with {precision} decimals; at most "
            f"{MAX_PRECISION} fit a 64-bit fixed-point value: declare a coarser precision"
        )
    return precision


def inferred_instrument(
    instrument_id: str,
    price_precision: int,
    size_precision: int,
    *,
    kind: InstrumentKind = InstrumentKind.SPOT,
    base: str = "",
    quote: str = "",
    settlement: str = "",
) -> Instrument:
    """An instrument whose increments were read off the data (``defined=False``)."""
    return Instrument(
        instrument_id,
        kind,
        increment_for(price_precision),
        increment_for(size_precision),
        base,
        quote,
        settlement or quote,
        defined=False,
    )


class RowCheck:
    """Parses a chunk's columns, collecting one problem per bad row."""

    def __init__(self, chunk: Chunk, source: str) -> None:
        self.chunk = chunk
        self.frame = chunk.frame
        self.source = source
        self.bad: BoolArray = np.zeros(chunk.height, dtype=np.bool_)
        self._reasons: dict[int, str] = {}

    def flag(self, mask: BoolArray, reason: str | Callable[[int], str]) -> None:
        """Marks rows of ``mask`` bad (a row keeps the first reason it got)."""
        for i in np.flatnonzero(mask & ~self.bad).tolist():
            self._reasons[i] = reason(i) if callable(reason) else reason
            self.bad[i] = True

    def text(self, column: str) -> pl.Series:
        """A column as stripped text (missing values as empty text)."""
        return self.frame[column].cast(pl.String).fill_null("").str.strip_chars()

    def value(self, column: str, row: int) -> str:
        """The text of one cell, for messages."""
        value = self.frame[column][row]
        return "" if value is None else str(value)

    def decimals(
        self,
        column: str,
        precision: int | Int64Array,
        *,
        label: str | None = None,
        optional: bool = False,
        negative: bool = False,
        what: str = "a decimal",
    ) -> tuple[Int64Array, BoolArray]:
        """Raw values of a decimal text column at ``precision`` (one per row, or one for all).

        Returns ``(values, present)``: ``present`` is False for empty cells
        when ``optional`` (their value is 0); otherwise an empty cell is a bad
        row. A value that is not a decimal, is finer than the precision or
        (unless ``negative``) is below zero makes its row bad; its value is 0.
        """
        name = label or column
        text = self.text(column)
        present = (text.str.len_bytes() > 0).to_numpy()
        if not optional:
            self.flag(~present, f"column {name!r}: missing value, expected {what}")
        filled = text if present.all() else text.set(pl.Series(~present), "0")
        values = np.zeros(len(filled), dtype=np.int64)
        groups: list[tuple[int, npt.NDArray[np.intp]]]
        if isinstance(precision, int):
            groups = [(precision, np.arange(len(filled)))]
        else:
            groups = [(int(p), np.flatnonzero(precision == p)) for p in np.unique(precision)]
        for prec, rows in groups:
            part = filled if len(rows) == len(filled) else filled.gather(rows)
            try:
                values[rows] = parse_decimals(part, prec, name=name)
            except DataError:
                values[rows] = self._decimals_row_by_row(part, rows, prec, name, what)
        if not negative:
            self.flag(
                values < 0, lambda i: f"column {name!r}: {self.value(column, i)!r} is negative"
            )
        return values, present

    def _decimals_row_by_row(
        self, part: pl.Series, rows: npt.NDArray[np.intp], precision: int, name: str, what: str
    ) -> Int64Array:
        # Only a chunk holding a bad value comes here, to find every bad row in it.
        out = np.zeros(len(rows), dtype=np.int64)
        for k, text in enumerate(part.to_list()):
            try:
                out[k] = parse_fixed(text, precision)
            except DataError as exc:
                row = int(rows[k])
                if not self.bad[row]:
                    message = str(exc)
                    if "significant decimals" in message or "overflows" in message:
                        reason = f"column {name!r}: {message}"
                    else:
                        reason = f"column {name!r}: expected {what}, got {text!r}"
                    self._reasons[row] = reason
                    self.bad[row] = True
        return out

    def integers(
        self, column: str, *, label: str | None = None, what: str = "an integer"
    ) -> Int64Array:
        """A column of whole numbers as int64 (a bad cell makes its row bad, value 0)."""
        name = label or column
        parsed = self.text(column).str.to_integer(base=10, dtype=pl.Int64, strict=False)
        missing = parsed.is_null().to_numpy()
        self.flag(
            missing, lambda i: f"column {name!r}: expected {what}, got {self.value(column, i)!r}"
        )
        return parsed.fill_null(0).to_numpy().astype(np.int64, copy=False)

    def epoch(self, column: str, unit: str, *, label: str | None = None) -> Int64Array:
        """Timestamps written as numbers of ``unit`` since the epoch, as int64 nanoseconds.

        Fractions are kept exactly down to the nanosecond (``1.5`` seconds);
        anything finer, negative or not a number makes its row bad.
        """
        word = UNIT_WORDS[unit]
        values, _ = self.decimals(
            column,
            UNIT_DECIMALS[unit],
            label=label,
            what=f"a timestamp in {word} since the epoch",
        )
        return values

    def choice(
        self, column: str, mapping: dict[str, int], *, label: str | None = None
    ) -> npt.NDArray[np.int64]:
        """A column of words mapped to codes (case-insensitive); other words make the row bad."""
        name = label or column
        words = self.text(column).str.to_lowercase()
        codes = words.replace_strict(
            list(mapping), list(mapping.values()), default=None, return_dtype=pl.Int64
        )
        unknown = codes.is_null().to_numpy()
        expected = ", ".join(repr(k) for k in mapping)
        self.flag(
            unknown,
            lambda i: f"column {name!r}: expected one of {expected}, got {self.value(column, i)!r}",
        )
        return codes.fill_null(0).to_numpy().astype(np.int64, copy=False)

    def not_backwards(
        self,
        ts: Int64Array,
        last: int | None,
        *,
        label: str,
        rows: npt.NDArray[np.intp] | None = None,
    ) -> int | None:
        """Marks rows whose ``ts`` is earlier than a previous good row's; returns the new last.

        ``last`` is the latest timestamp of earlier chunks; ``rows`` limits
        the check to some rows (one instrument of a chunk holding several).
        """
        idx = np.arange(len(ts)) if rows is None else rows
        if len(idx) == 0:
            return last
        sub = ts[idx]
        ok = ~self.bad[idx]
        floor = np.iinfo(np.int64).min
        start = floor if last is None else last
        running = np.maximum.accumulate(np.concatenate(([start], np.where(ok, sub, floor))))
        before = running[:-1]
        backwards = ok & (sub < before)
        if backwards.any():
            mask = np.zeros(len(ts), dtype=np.bool_)
            mask[idx[backwards]] = True
            self.flag(
                mask,
                lambda i: (
                    f"column {label!r}: timestamp goes backwards "
                    f"({ts[i]} ns after {int(before[np.searchsorted(idx, i)])} ns)"
                ),
            )
        top = int(running[-1])
        return None if top == floor else top

    def row_text(self, row: int) -> str:
        """The row's fields joined by commas (the quarantine text)."""
        return ",".join("" if v is None else str(v) for v in self.frame.row(row))

    def finish(self, errors: ErrorSink) -> BoolArray:
        """Reports the chunk's problems in line order; returns the rows to keep."""
        found = [
            (int(self.chunk.lines[i]), reason, self.row_text(i))
            for i, reason in self._reasons.items()
        ]
        found.extend(self.chunk.malformed)
        found.sort(key=lambda item: item[0])
        for line, reason, text in found:
            errors.reject(self.source, line, reason, text)
        return ~self.bad


#: Joins the parts of a multi-column key (a unit separator occurs in no symbol).
KEY_SEPARATOR = "\x1f"


def group_codes(frame: pl.DataFrame, columns: Sequence[str]) -> tuple[Int64Array, list[str]]:
    """Per row, the index of its key (the stripped ``columns`` joined) in the returned keys.

    Keys are in first-seen order. One key for the whole chunk (the usual
    case, one instrument per file) costs a comparison, not a grouping.
    """
    keyed = frame.select(
        [pl.col(c).cast(pl.String).fill_null("").str.strip_chars() for c in columns]
    )
    codes = np.zeros(frame.height, dtype=np.int64)
    if frame.height == 0:
        return codes, []
    first = keyed.row(0)
    if all(bool((keyed[c] == v).all()) for c, v in zip(columns, first, strict=True)):
        return codes, [KEY_SEPARATOR.join(first)]
    groups = (
        keyed.with_row_index("_row")
        .group_by(list(columns), maintain_order=True)
        .agg(pl.col("_row"))
    )
    keys: list[str] = []
    for code, row in enumerate(groups.iter_rows()):
        codes[np.asarray(row[-1], dtype=np.int64)] = code
        keys.append(KEY_SEPARATOR.join(row[:-1]))
    return codes, keys


def column_integer_digits(series: pl.Series) -> int:
    """At most how many characters come before the decimal point in a text column.

    A sign or leading zero counts too, which errs on the safe side.
    """
    text = series.cast(pl.String).fill_null("").str.strip_chars()
    if text.len() == 0:
        return 0
    before = pl.select(
        pl.coalesce(text.str.find(".", literal=True), text.str.len_bytes()).max()
    ).item()
    return int(before) if isinstance(before, int) else 0


#: Decimal digits an int64 raw value always holds (9.2e18 > 10**18).
_SAFE_DIGITS = 18


def scan_decimals(
    chunks: Iterator[Chunk],
    key_columns: Sequence[str],
    price_columns: Sequence[str],
    size_columns: Sequence[str],
    *,
    source: str = "",
) -> dict[str, tuple[int, int]]:
    """First pass: per key (values of ``key_columns`` as :func:`group_codes` joins them,
    e.g. the symbol), the decimals of prices and of sizes as written.

    Values that are not decimals are ignored here; the second pass reports
    them. Raises :class:`~ferrox.errors.DataError` when the decimals needed
    and the largest values together overflow a 64-bit raw value (float
    artefacts such as ``203889.11713750003`` beside ``102949891.4118``): no
    precision holds every value, so the user has to declare one.
    """
    # key -> class -> [decimals, its column, integer digits, their column]
    found: dict[str, dict[str, list[Any]]] = {}
    classes = (("price", price_columns), ("size", size_columns))
    for chunk in chunks:
        frame = chunk.frame
        if frame.height == 0:
            continue
        codes, keys = group_codes(frame, key_columns) if key_columns else (None, [""])
        for code, k in enumerate(keys):
            sub = frame if codes is None or len(keys) == 1 else frame.filter(codes == code)
            stats = found.setdefault(k, {c: [0, "", 0, ""] for c, _ in classes})
            for what, columns in classes:
                for column in columns:
                    decimals = column_max_decimals(sub[column])
                    digits = column_integer_digits(sub[column])
                    if decimals > stats[what][0]:
                        stats[what][0:2] = [decimals, column]
                    if digits > stats[what][2]:
                        stats[what][2:4] = [digits, column]
    result: dict[str, tuple[int, int]] = {}
    for k, stats in found.items():
        for what, _ in classes:
            decimals, dec_column, digits, dig_column = stats[what]
            if decimals + digits > _SAFE_DIGITS:
                raise DataError(
                    f"{source}: {what} values need up to {decimals} decimals (column "
                    f"{dec_column!r}) and up to {digits} integer digits (column "
                    f"{dig_column!r}); no 64-bit fixed-point precision holds both: declare "
                    f"the {what} precision, and values finer than it become bad rows"
                )
        result[k] = (stats["price"][0], stats["size"][0])
    return result


class PendingLast:
    """Holds back one instrument's newest deltas until the next row is seen.

    Whether the last row of a chunk ends its update group (``FLAG_LAST``)
    depends on the first row of the next chunk; holding one chunk back keeps
    the flags right across chunk boundaries at the cost of one chunk of memory.
    """

    def __init__(self) -> None:
        self._frame: pl.DataFrame | None = None
        self._key: tuple[int, ...] | None = None

    def push(
        self, frame: pl.DataFrame, first_key: tuple[int, ...], last_key: tuple[int, ...]
    ) -> pl.DataFrame | None:
        """Queues ``frame`` (group keys of its first and last rows); returns the released one."""
        out = None
        if self._frame is not None:
            out = self._release(ends=first_key != self._key)
        self._frame, self._key = frame, last_key
        return out

    def flush(self) -> pl.DataFrame | None:
        """The held frame at the end of the file (its last row ends its group)."""
        return self._release(ends=True) if self._frame is not None else None

    def _release(self, *, ends: bool) -> pl.DataFrame:
        frame = self._frame
        assert frame is not None
        self._frame = None
        if ends:
            is_last = pl.int_range(pl.len()) == pl.len() - 1
            frame = frame.with_columns(
                pl.when(is_last)
                .then(pl.col("flags") | FLAG_LAST)
                .otherwise(pl.col("flags"))
                .alias("flags")
            )
        return frame


class InstrumentResolver:
    """Decides each instrument of a file once: from definitions, built in, or inferred.

    ``definitions`` (the user's, by id) win over ``builtin``; otherwise the
    increments are inferred from the decimals the whole file is written with,
    which ``scan`` computes (one extra streaming pass, run only when needed)
    per key such as the symbol.
    """

    def __init__(
        self,
        *,
        source: str,
        override: str | None,
        definitions: dict[str, Instrument],
        scan: Callable[[], dict[str, tuple[int, int]]],
        make: Callable[[str, str, int, int], Instrument],
        builtin: Callable[[str], Instrument | None] | None = None,
    ) -> None:
        self.source = source
        self.override = override
        self.definitions = definitions
        self.builtin = builtin
        self._scan = scan
        self._make = make
        self._decimals: dict[str, tuple[int, int]] | None = None
        self._by_key: dict[str, Instrument] = {}
        #: Every instrument decided so far, by id.
        self.by_id: dict[str, Instrument] = {}

    def resolve(self, key: str, instrument_id: str) -> Instrument:
        """The instrument of rows with ``key`` (``instrument_id`` unless overridden)."""
        found = self._by_key.get(key)
        if found is not None:
            return found
        if self.override is not None and self._by_key:
            keys = ", ".join(sorted([*self._by_key, key]))
            raise ConfigError(
                f"{self.source}: holds several instruments ({keys}); "
                f"the instrument override {self.override!r} can name only one"
            )
        inst_id = self.override or instrument_id
        inst = self.definitions.get(inst_id)
        if inst is None and self.builtin is not None:
            inst = self.builtin(inst_id)
        if inst is None:
            if self._decimals is None:
                self._decimals = self._scan()
            price, size = self._decimals.get(key, (0, 0))
            inst = self._make(
                key,
                inst_id,
                check_inferred_precision(price, "price", self.source),
                check_inferred_precision(size, "size", self.source),
            )
        self._by_key[key] = inst
        self.by_id[inst.id] = inst
        return inst


@dataclass
class LevelBookState:
    """What one instrument's next chunk of level (L2) rows needs from earlier chunks."""

    pending: PendingLast = field(default_factory=PendingLast)
    #: Key of the snapshot the previous row belonged to (None if it was an update).
    snapshot_key: tuple[int, ...] | None = None
    last_ts: int | None = None


def level_deltas(
    state: LevelBookState,
    *,
    keys: Sequence[Int64Array],
    is_snapshot: BoolArray,
    ts_event: Int64Array,
    ts_init: Int64Array,
    side: Int64Array,
    price: Int64Array,
    size: Int64Array,
    sequence: Int64Array,
    first_update_id: Int64Array,
    prev_update_id: Int64Array,
) -> tuple[pl.DataFrame, tuple[int, ...], tuple[int, ...]]:
    """L2 rows in file order -> deltas, with a CLEAR before each snapshot.

    ``keys`` identify a venue message (an update id, or timestamps): a
    snapshot row starts a new snapshot unless the previous row was a snapshot
    row with the same keys; ``FLAG_LAST`` goes on the last row of each run of
    equal ``(is_snapshot, *keys)`` except the chunk's final row, which the
    caller settles through ``state.pending`` (the returned first and last
    group keys are for that). Snapshot rows are ``ADD``s flagged
    ``FLAG_SNAPSHOT``; update rows are ``UPDATE``, or ``DELETE`` at size 0.
    """
    n = len(ts_event)
    group = np.stack([is_snapshot.astype(np.int64), *keys])
    same_as_prev = np.zeros(n, dtype=np.bool_)
    same_as_prev[1:] = (group[:, 1:] == group[:, :-1]).all(axis=0) & is_snapshot[:-1]
    if state.snapshot_key is not None:
        same_as_prev[0] = bool(is_snapshot[0]) and tuple(int(k[0]) for k in keys) == (
            state.snapshot_key
        )
    starts = is_snapshot & ~same_as_prev
    state.snapshot_key = tuple(int(k[-1]) for k in keys) if is_snapshot[-1] else None

    ends = np.zeros(n, dtype=np.bool_)
    ends[:-1] = (group[:, 1:] != group[:, :-1]).any(axis=0)
    action = np.where(
        is_snapshot,
        int(BookAction.ADD),
        np.where(size == 0, int(BookAction.DELETE), int(BookAction.UPDATE)),
    )
    flags = np.where(is_snapshot, FLAG_SNAPSHOT, 0) | np.where(ends, FLAG_LAST, 0)
    rows = pl.DataFrame(
        {
            "_order": np.arange(n, dtype=np.int64) * 2 + 1,
            "ts_event": ts_event,
            "ts_init": ts_init,
            "action": action.astype(np.int64),
            "side": side,
            "price": price,
            "size": size,
            "order_id": np.zeros(n, dtype=np.int64),
            "sequence": sequence,
            "first_update_id": first_update_id,
            "prev_update_id": prev_update_id,
            "flags": flags.astype(np.int64),
        }
    )
    clears = rows.filter(pl.Series(starts)).with_columns(
        (pl.col("_order") - 1).alias("_order"),
        pl.lit(int(BookAction.CLEAR), pl.Int64).alias("action"),
        pl.lit(int(BookSide.NO_SIDE), pl.Int64).alias("side"),
        pl.lit(0, pl.Int64).alias("price"),
        pl.lit(0, pl.Int64).alias("size"),
        pl.lit(FLAG_SNAPSHOT, pl.Int64).alias("flags"),
    )
    frame = pl.concat([rows, clears]).sort("_order").drop("_order")
    first_key = tuple(int(g) for g in group[:, 0])
    last_key = tuple(int(g) for g in group[:, -1])
    return frame, first_key, last_key
