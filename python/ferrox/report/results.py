"""Reading a backtest results folder (the contract in docs/analytics.md) with clear errors."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ferrox.errors import DataError

EQUITY_COLUMNS = ("ts", "equity", "cash", "gross_exposure")
TRADES_COLUMNS = ("instrument", "side", "entry_ts", "exit_ts", "quantity", "pnl")


@dataclass(frozen=True)
class Results:
    """One backtest's results: ``meta.json`` and the equity, trades and fills tables."""

    path: Path
    meta: dict[str, Any]
    equity: pl.DataFrame
    trades: pl.DataFrame | None = None
    fills: pl.DataFrame | None = None
    stats: dict[str, Any] = field(default_factory=dict)


def _read_parquet(path: Path, columns: tuple[str, ...]) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(missing)}; it has {', '.join(frame.columns)}"
        )
    return frame


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if not isinstance(value, dict):
        raise DataError(f"{path}: expected a JSON object, got {type(value).__name__}")
    return value


def load_results(results_dir: str | Path) -> Results:
    """Reads a results folder; ``meta.json`` and ``equity.parquet`` must be there.

    ``trades.parquet`` and ``fills.parquet`` are read when present.
    """
    root = Path(results_dir)
    if not root.is_dir():
        raise DataError(f"{root}: no such results folder (ferrox backtest run ... --out DIR)")
    missing = [name for name in ("meta.json", "equity.parquet") if not (root / name).is_file()]
    if missing:
        raise DataError(
            f"{root}: not a backtest results folder: no {' and no '.join(missing)} "
            "(ferrox backtest run CONFIG --out DIR writes them)"
        )
    meta = _read_json(root / "meta.json")
    equity = _read_parquet(root / "equity.parquet", EQUITY_COLUMNS).sort("ts")
    if equity.is_empty():
        raise DataError(f"{root / 'equity.parquet'}: no rows; the tearsheet needs an equity curve")
    trades_path, fills_path = root / "trades.parquet", root / "fills.parquet"
    trades = _read_parquet(trades_path, TRADES_COLUMNS) if trades_path.is_file() else None
    fills = _read_parquet(fills_path, ("ts", "notional")) if fills_path.is_file() else None
    stats = meta.get("stats")
    return Results(
        path=root,
        meta=meta,
        equity=equity,
        trades=trades,
        fills=fills,
        stats=stats if isinstance(stats, dict) else {},
    )


def read_benchmark(path: str | Path) -> pl.DataFrame:
    """A benchmark price series: ``ts`` (int64 ns or datetime) and ``close`` (or ``equity``/``price``).

    Parquet or CSV. Returns columns ``ts`` (int64 ns, sorted) and ``price``.
    """
    source = Path(path)
    if not source.is_file():
        raise DataError(f"{source}: no such benchmark file")
    try:
        frame = pl.read_csv(source) if source.suffix.lower() == ".csv" else pl.read_parquet(source)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise DataError(f"{source}: unreadable benchmark ({exc})") from None
    value = next((c for c in ("close", "equity", "price") if c in frame.columns), None)
    if "ts" not in frame.columns or value is None:
        raise DataError(
            f"{source}: a benchmark needs a ts column and a close (or equity, price) column; "
            f"it has {', '.join(frame.columns)}"
        )
    ts = pl.col("ts")
    if frame.schema["ts"] == pl.String:
        ts = ts.str.to_datetime(time_zone="UTC")
    frame = frame.select(ts.alias("ts"), pl.col(value).cast(pl.Float64).alias("price"))
    if isinstance(frame.schema["ts"], pl.Datetime):
        frame = frame.with_columns(pl.col("ts").dt.epoch("ns"))
    return frame.with_columns(pl.col("ts").cast(pl.Int64)).drop_nulls().sort("ts")


__all__ = ["EQUITY_COLUMNS", "TRADES_COLUMNS", "Results", "load_results", "read_benchmark"]
