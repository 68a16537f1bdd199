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


TRADES_SCHEMA = {
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


@dataclass
class _OpenTrade:
    """A position on its way from flat back to flat."""

    sign: float  # +1 long, -1 short
    entry_ts: int
    position: float = 0.0  # open quantity (unsigned)
    quantity: float = 0.0  # total quantity opened
    entry_value: float = 0.0  # sum of price x quantity opened
    exit_value: float = 0.0  # sum of price x quantity closed
    gross_pnl: float = 0.0
    fees: float = 0.0

    def close_row(self, instrument: str, exit_ts: int) -> dict[str, Any]:
        entry_price = self.entry_value / self.quantity
        pnl = self.gross_pnl - self.fees
        return {
            "instrument": instrument,
            "side": "LONG" if self.sign > 0 else "SHORT",
            "entry_ts": self.entry_ts,
            "exit_ts": exit_ts,
            "quantity": self.quantity,
            "entry_price": entry_price,
            "exit_price": self.exit_value / self.quantity,
            "pnl": pnl,
            "return": pnl / self.entry_value if self.entry_value else float("nan"),
        }


def round_trips(fills: pl.DataFrame) -> pl.DataFrame:
    """Closed trades from fills: a trade opens when a position leaves zero and closes
    when it returns to zero (a flip closes one trade and opens the next).

    PnL is net of the fees of every fill in the trade (a flip's fee is split
    in proportion to the closing and opening quantities); exits are valued
    against the trade's average entry price.
    """
    rows: list[dict[str, Any]] = []
    open_trades: dict[str, _OpenTrade] = {}
    for f in fills.iter_rows(named=True):
        inst, ts = f["instrument"], int(f["ts"])
        sign = 1.0 if f["side"] == "BUY" else -1.0
        qty, price, fee = f["quantity_f"], f["price_f"], f["fee_f"]
        left = qty
        trade = open_trades.get(inst)
        if trade is not None and trade.sign != sign:
            closing = min(left, trade.position)
            average = trade.entry_value / trade.quantity
            trade.gross_pnl += (price - average) * closing * trade.sign
            trade.exit_value += price * closing
            trade.fees += fee * closing / qty
            trade.position -= closing
            left -= closing
            if trade.position <= 1e-12 * trade.quantity:
                rows.append(trade.close_row(inst, ts))
                del open_trades[inst]
        if left > 0:
            trade = open_trades.setdefault(inst, _OpenTrade(sign=sign, entry_ts=ts))
            trade.position += left
            trade.quantity += left
            trade.entry_value += price * left
            trade.fees += fee * left / qty
    return pl.DataFrame(rows, schema=TRADES_SCHEMA)
