"""``ferrox data``: import source files into a catalog, list it, export from it."""

from __future__ import annotations

import json
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from ferrox.cli._common import console, handles_errors
from ferrox.cli.render import catalog_table, instruments_table, print_import_report
from ferrox.data.catalog import Catalog, atomic_output, decimal_text
from ferrox.data.importer import import_files
from ferrox.data.loaders import FORMATS
from ferrox.data.loaders.base import LoaderOptions, OnError
from ferrox.data.timeparse import parse_time
from ferrox.errors import ConfigError
from ferrox.model.instrument import Instrument
from ferrox.model.schema import PRICE_COLUMNS, SIZE_COLUMNS, DataKind

app = typer.Typer(no_args_is_help=True, help="Import, list and export market data.")


class TsUnit(StrEnum):
    """Units of numeric timestamps in generic files (``iso`` for text)."""

    S = "s"
    MS = "ms"
    US = "us"
    NS = "ns"
    ISO = "iso"


class BarLabel(StrEnum):
    """Whether a bar's timestamp labels its open or its close."""

    OPEN = "open"
    CLOSE = "close"


CatalogOption = Annotated[
    Path, typer.Option("--catalog", "-c", help="Catalog directory.", envvar="FERROX_CATALOG")
]


def parse_columns(text: str | None) -> dict[str, str]:
    """Reads ``--columns ts=timestamp,price=p`` into ``{"ts": "timestamp", "price": "p"}``."""
    if not text:
        return {}
    mapping: dict[str, str] = {}
    for item in text.split(","):
        name, sep, column = item.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise typer.BadParameter(
                f"{item!r} is not NAME=COLUMN (e.g. ts=timestamp,price=p)", param_hint="--columns"
            )
        mapping[name.strip()] = column.strip()
    return mapping


def read_definitions(path: Path) -> dict[str, Instrument]:
    """Instrument definitions from JSON: a list of instrument records, or a dict by id."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read instrument definitions ({exc})") from None
    records = list(data.values()) if isinstance(data, dict) and "id" not in data else data
    if isinstance(records, dict):
        records = [records]
    if not isinstance(records, list):
        raise ConfigError(f"{path}: expected a list of instrument records")
    definitions = {}
    for index, record in enumerate(records):
        try:
            inst = Instrument.from_dict(record)
        except (TypeError, ValueError, KeyError) as exc:
            raise ConfigError(f"{path}: instrument record {index}: {exc}") from None
        definitions[inst.id] = inst
    return definitions


def _check_format(value: str) -> str:
    if value not in FORMATS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(FORMATS)}")
    return value


def _time_option(text: str | None, name: str) -> int | None:
    if text is None:
        return None
    try:
        return parse_time(text)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc), param_hint=name) from None


class _ImportProgress:
    """A rich progress bar over files and rows, shown once an import passes one second."""

    def __init__(self) -> None:
        self._started = time.monotonic()
        self._progress: Progress | None = None
        self._task: Any = None
        self._files = 0
        self._index = 0
        self._rows = 0
        self._name = ""

    def file_started(self, path: Path, index: int, total: int) -> None:
        self._files, self._index, self._name = total, index, path.name
        self._update()

    def rows_written(self, rows: int) -> None:
        self._rows += rows
        self._update()

    def _update(self) -> None:
        if self._progress is None:
            if time.monotonic() - self._started < 1.0:
                return
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("files · {task.fields[rows]:,} rows"),
                TimeElapsedColumn(),
                console=console(),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("", total=self._files, rows=0)
        self._progress.update(
            self._task, completed=self._index, description=self._name, rows=self._rows
        )

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


@app.command("import")
@handles_errors
def import_command(
    paths: Annotated[list[Path], typer.Argument(help="Source files to import.")],
    catalog: CatalogOption,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            callback=_check_format,
            help=f"Source format: {', '.join(FORMATS)}.",
        ),
    ],
    on_error: Annotated[
        OnError, typer.Option(help="What to do with a record that cannot be read.")
    ] = OnError.FAIL,
    force: Annotated[
        bool,
        typer.Option("--force", help="Re-import sources already in the catalog, replacing them."),
    ] = False,
    instrument: Annotated[
        str | None, typer.Option(help="Instrument id SYMBOL.VENUE (generic CSV).")
    ] = None,
    venue: Annotated[str | None, typer.Option(help="Venue for instrument ids.")] = None,
    kind: Annotated[DataKind | None, typer.Option(help="Data kind (generic CSV).")] = None,
    columns: Annotated[
        str | None, typer.Option(help="Column mapping, e.g. ts=timestamp,price=p,size=q.")
    ] = None,
    ts_unit: Annotated[TsUnit | None, typer.Option(help="Unit of numeric timestamps.")] = None,
    tz: Annotated[str, typer.Option(help="Zone of timestamps written without one.")] = "UTC",
    price_precision: Annotated[
        int | None, typer.Option(min=0, max=18, help="Decimals of prices.")
    ] = None,
    size_precision: Annotated[
        int | None, typer.Option(min=0, max=18, help="Decimals of sizes.")
    ] = None,
    bar_label: Annotated[
        BarLabel, typer.Option(help="Whether bar timestamps label the open or the close.")
    ] = BarLabel.OPEN,
    bar_interval: Annotated[str | None, typer.Option(help="Bar length, e.g. 1m.")] = None,
    instruments: Annotated[
        Path | None, typer.Option(help="JSON file of instrument definitions.")
    ] = None,
) -> None:
    """Import source files into a catalog (all of them, or none on failure)."""
    options = LoaderOptions(
        instrument=instrument,
        venue=venue,
        kind=kind,
        instruments=read_definitions(instruments) if instruments else {},
        columns=parse_columns(columns),
        ts_unit=ts_unit.value if ts_unit else None,
        tz=tz,
        price_precision=price_precision,
        size_precision=size_precision,
        bar_label=bar_label.value,
        bar_interval=bar_interval,
    )
    target = Catalog(catalog)
    progress = _ImportProgress()
    try:
        report = import_files(
            paths,
            fmt,
            target,
            on_error=on_error,
            options=options,
            force=force,
            progress=progress,
        )
    finally:
        progress.close()
    print_import_report(console(), report)


@app.command("ls")
@handles_errors
def ls_command(catalog: CatalogOption) -> None:
    """List the catalog: instruments, kinds, rows, first/last ts_init (UTC), precisions."""
    target = Catalog(catalog, must_exist=True)
    out = console()
    out.print(catalog_table(target))
    out.print(instruments_table(target))
    out.print(f"{len(target.sources())} source file(s) imported")


@app.command("export")
@handles_errors
def export_command(
    catalog: CatalogOption,
    instrument: Annotated[str, typer.Option(help="Instrument id SYMBOL.VENUE.")],
    kind: Annotated[DataKind, typer.Option(help="Data kind.")],
    out: Annotated[Path, typer.Option(help="Output file: .csv or .parquet.")],
    start: Annotated[
        str | None,
        typer.Option(help="First ts_init included: ISO 8601, a date, or integer ns."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(help="First ts_init excluded: ISO 8601, a date, or integer ns."),
    ] = None,
) -> None:
    """Export one instrument and kind to CSV (exact decimal text) or Parquet (decimal128).

    CSV: prices and sizes as exact decimal strings, timestamps as integer ns
    plus a ``ts_event_iso`` column. Parquet: prices and sizes as exact
    ``decimal128(38, precision)`` columns, timestamps as int64 ns.
    """
    start_ns, end_ns = _time_option(start, "--start"), _time_option(end, "--end")
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise typer.BadParameter(f"{out}: expected a .csv or .parquet file", param_hint="--out")
    source = Catalog(catalog, must_exist=True)
    frame = source.read(instrument, kind, start_ns, end_ns)
    price_precision, size_precision = source.precisions(instrument)
    with atomic_output(out) as temp:
        if suffix == ".csv":
            text = decimal_text(frame, kind, price_precision, size_precision)
            iso = pl.from_epoch(pl.col("ts_event"), time_unit="ns").dt.to_string(
                "%Y-%m-%dT%H:%M:%S%.9fZ"
            )
            text.with_columns(iso.alias("ts_event_iso")).write_csv(temp)
        else:
            pq.write_table(
                decimal_table(frame, kind, instrument, price_precision, size_precision), temp
            )
    console().print(f"wrote {frame.height:,} {kind} rows of {instrument} to {out}")


def decimal_table(
    frame: pl.DataFrame,
    kind: DataKind,
    instrument: str,
    price_precision: int,
    size_precision: int,
) -> pa.Table:
    """An Arrow table with prices and sizes as exact ``decimal128(38, precision)`` columns."""
    table = frame.to_arrow()
    for columns, scale in (
        (PRICE_COLUMNS[kind], price_precision),
        (SIZE_COLUMNS[kind], size_precision),
    ):
        for name in columns:
            index = table.schema.get_field_index(name)
            table = table.set_column(index, name, _raw_to_decimal(table.column(index), scale))
    return table.replace_schema_metadata(
        {
            "ferrox.instrument": instrument,
            "ferrox.kind": str(kind),
            "ferrox.price_precision": str(price_precision),
            "ferrox.size_precision": str(size_precision),
        }
    )


def _raw_to_decimal(column: pa.ChunkedArray, scale: int) -> pa.Array:
    # A decimal128 is the raw unscaled integer as 16 little-endian bytes: the raw
    # int64 and its sign extension. No arithmetic, so no rounding.
    raw = column.to_numpy().astype(np.int64, copy=False)
    words = np.empty((len(raw), 2), dtype="<i8")
    words[:, 0] = raw
    words[:, 1] = raw >> 63
    return pa.Array.from_buffers(
        pa.decimal128(38, scale), len(raw), [None, pa.py_buffer(words.tobytes())]
    )
