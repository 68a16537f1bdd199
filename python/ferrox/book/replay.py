"""Batch replay of delta columns through a synced L2 book."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from ferrox._core import replay_l2, replay_l3
from ferrox.book.rules import check_rule, sync_rule_for
from ferrox.errors import ConfigError
from ferrox.model.instrument import Instrument

#: Sync state codes of the ``state`` column.
STATE_NAMES = {0: "synced", 1: "awaiting bridge", 2: "unsynced"}

_INPUT_COLUMNS = {
    "action": np.uint8,
    "side": np.uint8,
    "price": np.int64,
    "size": np.int64,
    "sequence": np.uint64,
    "first_update_id": np.uint64,
    "prev_update_id": np.uint64,
    "flags": np.uint8,
    "ts_event": np.int64,
    "ts_init": np.int64,
}


def _arrays(deltas: pl.DataFrame, columns: Mapping[str, type[object]]) -> dict[str, Any]:
    """The named columns of ``deltas`` as contiguous numpy arrays of the given dtypes."""
    missing = [c for c in columns if c not in deltas.columns]
    if missing:
        raise ConfigError(f"deltas: missing columns {missing}; expected the deltas schema")
    return {n: np.ascontiguousarray(deltas[n].to_numpy(), dtype=t) for n, t in columns.items()}


def replay(
    deltas: pl.DataFrame,
    instrument: Instrument,
    *,
    rule: str | None = None,
    levels: int = 1,
) -> pl.DataFrame:
    """Replays ``deltas`` (the catalog's deltas schema, raw values) through an L2 book.

    Returns one row per complete update (a delta flagged last-in-batch) and
    per sync-state change: ``row`` (index of that delta), ``sequence``,
    ``ts_event``, ``ts_init``, raw ``bid_price_i``/``bid_size_i``/
    ``ask_price_i``/``ask_size_i`` for ``i`` in ``0..levels`` (size 0 where
    the level is empty), ``state`` (0 synced, 1 awaiting bridge, 2 unsynced)
    and ``state_text`` (the reason where it changed, else null).
    """
    if levels < 1:
        raise ConfigError(f"levels: expected at least 1, got {levels}")
    arrays = _arrays(deltas, _INPUT_COLUMNS)
    chosen = check_rule(rule) if rule is not None else sync_rule_for(instrument.id)
    out = replay_l2(**arrays, rule=chosen, levels=levels)
    columns: dict[str, object] = {
        "row": out["row"],
        "sequence": out["sequence"],
        "ts_event": out["ts_event"],
        "ts_init": out["ts_init"],
    }
    for side in ("bid", "ask"):
        for i in range(levels):
            columns[f"{side}_price_{i}"] = out[f"{side}_price"][:, i]
            columns[f"{side}_size_{i}"] = out[f"{side}_size"][:, i]
    columns["state"] = out["state"]
    text: list[str | None] = [None] * len(out["row"])
    for index, reason in out["transitions"]:
        text[index] = reason
    columns["state_text"] = text
    return pl.DataFrame(columns)


def replay_mbo(deltas: pl.DataFrame) -> tuple[pl.DataFrame, list[tuple[int, str]]]:
    """Replays market-by-order ``deltas`` (with ``order_id``) through an L3 book.

    Returns a frame with one row per consistent point (a delta flagged
    ``F_LAST``): ``row``, ``ts_event``, raw best ``bid_price``/``bid_size``/
    ``ask_price``/``ask_size`` (0 where empty), ``order_count``,
    ``queued_orders`` (equal to ``order_count`` when the book is sound) and
    ``crossed`` (legitimate before an exchange's open); and the rows that did
    not fit the book, as ``(row, message)``, which were skipped.
    """
    columns = {
        "action": np.uint8,
        "side": np.uint8,
        "price": np.int64,
        "size": np.int64,
        "order_id": np.uint64,
        "flags": np.uint8,
        "ts_event": np.int64,
    }
    arrays = _arrays(deltas, columns)
    out = replay_l3(**arrays)
    errors: list[tuple[int, str]] = out.pop("errors")
    return pl.DataFrame(out), errors
