"""Rich tables of a catalog and of an import, shared by ``ferrox data`` and ``ferrox demo``."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ferrox.data.catalog import Catalog
from ferrox.data.importer import ImportReport, SourceStatus
from ferrox.data.timeparse import format_time


def catalog_table(catalog: Catalog) -> Table:
    """Instruments and kinds with files, rows, first/last ``ts_init`` (ISO UTC, ns) and precisions."""
    table = Table(title=f"Catalog {catalog.root}")
    table.add_column("Instrument", no_wrap=True)
    table.add_column("Kind", no_wrap=True)
    table.add_column("Files", justify="right")
    table.add_column("Rows", justify="right")
    table.add_column("First ts_init (UTC)", no_wrap=True)
    table.add_column("Last ts_init (UTC)", no_wrap=True)
    table.add_column("Price dp", justify="right")
    table.add_column("Size dp", justify="right")
    for row in catalog.summary().iter_rows(named=True):
        table.add_row(
            row["instrument"],
            row["kind"],
            f"{row['files']:,}",
            f"{row['rows']:,}",
            format_time(row["first_ts_init"]),
            format_time(row["last_ts_init"]),
            str(row["price_precision"]),
            str(row["size_precision"]),
        )
    return table


def instruments_table(catalog: Catalog) -> Table:
    """The catalog's instrument definitions."""
    table = Table(title="Instruments")
    for name in ("Instrument", "Kind", "Price increment", "Size increment", "Definition"):
        table.add_column(name, no_wrap=True)
    for inst in catalog.instruments():
        table.add_row(
            inst.id,
            str(inst.kind),
            inst.price_increment,
            inst.size_increment,
            "defined" if inst.defined else "inferred",
        )
    return table


def print_import_report(console: Console, report: ImportReport) -> None:
    """Rows per instrument and kind, throughput, skipped sources and records, quarantine files."""
    table = Table(title="Imported rows")
    table.add_column("Instrument", no_wrap=True)
    table.add_column("Kind", no_wrap=True)
    table.add_column("Rows", justify="right")
    for (inst, kind), rows in sorted(report.counts.items()):
        table.add_row(inst, str(kind), f"{rows:,}")
    console.print(table)
    imported = [s for s in report.sources if s.status is not SourceStatus.DUPLICATE]
    rate = report.rows / report.seconds if report.seconds > 0 else 0.0
    console.print(
        f"{report.rows:,} rows from {len(imported)} file(s) in {report.seconds:.2f} s "
        f"({rate:,.0f} rows/s)"
    )
    if report.instruments:
        console.print(
            f"{len(report.instruments)} instrument definition(s) stored: "
            + ", ".join(report.instruments[:10])
            + (" ..." if len(report.instruments) > 10 else "")
        )
    for source in report.sources:
        if source.status is SourceStatus.DUPLICATE:
            console.print(f"[yellow]skipped[/yellow] {source.path}: {source.message} (use --force)")
        elif source.status is SourceStatus.REPLACED:
            console.print(f"replaced {source.path}")
    if report.skipped:
        console.print(f"[yellow]{report.skipped_records:,} record(s) left out:[/yellow]")
        for reason, count in report.skipped.most_common():
            console.print(f"  {count:,}  {reason}")
    for path in report.quarantine_files:
        console.print(f"rejected records written to {path}")
