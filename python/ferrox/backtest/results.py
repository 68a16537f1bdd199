"""Backtest results: tables, statistics, metadata and a hash that identifies them.

A results folder (``ferrox backtest run ... --out DIR``) holds ``meta.json``,
``stats.json`` and one Parquet file per table (``orders``, ``fills``,
``trades``, ``positions``, ``account``, ``equity``), the layout that
``ferrox report`` and ``ferrox risk report`` read.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

TABLES = ("orders", "fills", "trades", "positions", "account", "equity")


def _json_safe(value: Any) -> Any:
    """NaN/inf -> None so the files are valid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


@dataclass
class BacktestResult:
    """Everything a run produced."""

    orders: pl.DataFrame
    fills: pl.DataFrame
    trades: pl.DataFrame
    positions: pl.DataFrame
    account: pl.DataFrame
    equity: pl.DataFrame
    stats: dict[str, float]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def results_hash(self) -> str:
        """SHA-256 of the orders, fills and equity curve: same inputs, same hash."""
        return str(self.meta.get("results_hash", ""))

    def summary(self) -> str:
        """A few lines for a terminal."""
        s = self.stats
        lines = [
            f"records {self.meta.get('records', 0):,}  orders {self.orders['order_id'].n_unique():,}"
            f"  fills {self.fills.height:,}  trades {self.trades.height:,}",
            f"total return {s.get('total_return', float('nan')):+.4%}  sharpe "
            f"{s.get('sharpe', float('nan')):.2f}  max drawdown {s.get('max_drawdown', float('nan')):.2%}"
            f"  win rate {s.get('win_rate', float('nan')):.1%}",
            f"results hash {self.results_hash[:16]}",
        ]
        return "\n".join(lines)

    def save(self, folder: str | Path) -> Path:
        """Writes the results folder atomically (a temporary folder renamed into place)."""
        folder = Path(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
        for name in TABLES:
            getattr(self, name).write_parquet(tmp / f"{name}.parquet")
        (tmp / "stats.json").write_text(json.dumps(_json_safe(self.stats), indent=2))
        meta = {**self.meta, "stats": self.stats}
        (tmp / "meta.json").write_text(json.dumps(_json_safe(meta), indent=2, default=str))
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old")
            os.replace(folder, old)
            os.replace(tmp, folder)
            for p in old.iterdir():
                p.unlink()
            old.rmdir()
        else:
            os.replace(tmp, folder)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> BacktestResult:
        """Reads a results folder written by :meth:`save`."""
        folder = Path(folder)
        tables = {name: pl.read_parquet(folder / f"{name}.parquet") for name in TABLES}
        meta = json.loads((folder / "meta.json").read_text())
        stats = meta.pop("stats", {})
        return cls(**tables, stats=stats, meta=meta)


def results_hash(orders: pl.DataFrame, fills: pl.DataFrame, equity: pl.DataFrame) -> str:
    """SHA-256 over the canonical bytes of the tables that define a run's outcome."""
    digest = hashlib.sha256()
    for frame in (orders, fills, equity):
        for name in frame.columns:
            column = frame[name]
            digest.update(name.encode())
            if column.dtype == pl.String:
                digest.update("\x1f".join(column.to_list()).encode())
            else:
                digest.update(column.to_numpy().tobytes())
    return digest.hexdigest()


def round_trips(fills: pl.DataFrame) -> pl.DataFrame:
    """Closed trades from fills: a trade opens when a position leaves zero and closes
    when it returns to zero (a flip closes one trade and opens the next).

    PnL is net of the fees of every fill in the trade (a flip's fee is split
    in proportion to the closing and opening quantities).
    """
    rows: list[dict[str, Any]] = []
    state: dict[str, dict[str, float]] = {}
    for f in fills.iter_rows(named=True):
        inst = f["instrument"]
        sign = 1.0 if f["side"] == "BUY" else -1.0
        qty, price, fee = f["quantity_f"], f["price_f"], f["fee_f"]
        s = state.setdefault(inst, {"pos": 0.0, "cost": 0.0, "fees": 0.0, "entry": 0.0, "qty": 0.0})
        remaining = qty
        if s["pos"] != 0.0 and (s["pos"] > 0) != (sign > 0):
            closing = min(remaining, abs(s["pos"]))
            avg = s["cost"] / abs(s["pos"])
            pnl_part = (price - avg) * closing * (1.0 if s["pos"] > 0 else -1.0)
            s["fees"] += fee * closing / qty
            s.setdefault("pnl", 0.0)
            s["pnl"] = s.get("pnl", 0.0) + pnl_part
            s["cost"] -= avg * closing
            s["pos"] += sign * closing
            s["exit_value"] = s.get("exit_value", 0.0) + price * closing
            remaining -= closing
            if abs(s["pos"]) < 1e-12:
                pnl = s["pnl"] - s["fees"]
                entry_price = s["entry_value"] / s["qty"]
                rows.append(
                    {
                        "instrument": inst,
                        "side": "LONG" if sign < 0 else "SHORT",
                        "entry_ts": int(s["entry_ts"]),
                        "exit_ts": int(f["ts"]),
                        "quantity": s["qty"],
                        "entry_price": entry_price,
                        "exit_price": s["exit_value"] / s["qty"],
                        "pnl": pnl,
                        "return": pnl / (entry_price * s["qty"]) if entry_price else float("nan"),
                    }
                )
                state[inst] = s = {"pos": 0.0, "cost": 0.0, "fees": 0.0, "entry": 0.0, "qty": 0.0}
        if remaining > 0:
            if s["pos"] == 0.0:
                s.update(entry_ts=f["ts"], entry_value=0.0, qty=0.0, pnl=0.0, exit_value=0.0)
            s["pos"] += sign * remaining
            s["cost"] += price * remaining
            s["qty"] += remaining
            s["entry_value"] += price * remaining
            s["fees"] += fee * remaining / qty
    schema = {
        "instrument": pl.String,
        "side": pl.String,
        "entry_ts": pl.Int64,
        "exit_ts": pl.Int64,
        "quantity": pl.Float64,
        "entry_price": pl.Float64,
        "exit_price": pl.Float64,
        "pnl": pl.Float64,
        "return": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)
