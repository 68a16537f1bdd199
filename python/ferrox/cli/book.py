"""``ferrox book replay``: rebuild an instrument's L2 book from the catalog, update by update."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from ferrox.book import STATE_NAMES, replay
from ferrox.book.rules import RULES
from ferrox.cli._common import console, handles_errors
from ferrox.data.catalog import Catalog, atomic_output
from ferrox.data.decimals import format_decimals
from ferrox.data.timeparse import parse_time
from ferrox.errors import ConfigError

app = typer.Typer(no_args_is_help=True, help="Order books: replay deltas from a catalog.")


@app.command("replay")
@handles_errors
def replay_command(
    catalog_dir: Annotated[
        Path, typer.Option("--catalog", "-c", help="Catalog directory.", envvar="FERROX_CATALOG")
    ],
    instrument: Annotated[str, typer.Option("--instrument", "-i", help="Instrument id.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output .csv or .parquet file.")],
    levels: Annotated[int, typer.Option("--levels", "-n", min=1, help="Levels per side.")] = 1,
    rule: Annotated[
        str | None,
        typer.Option(help=f"Sync rule, one of {', '.join(RULES)}; default from the venue."),
    ] = None,
    start: Annotated[str | None, typer.Option(help="First ts_init (ISO or ns).")] = None,
    end: Annotated[str | None, typer.Option(help="End ts_init, exclusive (ISO or ns).")] = None,
) -> None:
    """Write, for each applied update, its update id, ts_event, ts_init, the top bid/ask
    levels (exact decimals) and the book's sync state."""
    if out.suffix not in (".csv", ".parquet"):
        raise ConfigError(f"--out: expected a .csv or .parquet file, got {out.name!r}")
    catalog = Catalog(catalog_dir, must_exist=True)
    inst = catalog.instrument(instrument)
    deltas = catalog.read(
        instrument,
        "deltas",
        None if start is None else parse_time(start),
        None if end is None else parse_time(end),
    )
    frame = replay(deltas, inst, rule=rule, levels=levels)
    pp, sp = inst.price_precision, inst.size_precision
    exact = []
    for side in ("bid", "ask"):
        for i in range(levels):
            exact.append(format_decimals(pl.col(f"{side}_price_{i}"), pp))
            exact.append(format_decimals(pl.col(f"{side}_size_{i}"), sp))
    frame = frame.with_columns(
        exact, pl.col("state").replace_strict(STATE_NAMES, return_dtype=pl.String)
    ).rename({"sequence": "update_id"})
    with atomic_output(out) as temp:
        if out.suffix == ".csv":
            frame.write_csv(temp)
        else:
            frame.write_parquet(temp)
    synced = frame.filter(pl.col("state") == "synced").height
    console().print(
        f"{frame.height:,} updates of {instrument} ({synced:,} synced) written to {out}"
    )
    for row in frame.filter(pl.col("state_text").is_not_null()).iter_rows(named=True):
        console().print(f"  update {row['update_id']}: {row['state_text']}")
