"""Parameter sweeps: a grid or a random search, run across processes or on Ray, one table out.

A target is a backtest config (the event engine; each set overrides
``[strategy.params]``), a ``"module:function"`` path, or an importable function
``f(params) -> dict[str, float]`` (``ferrox.research.targets:ema_cross_vectorized``
is a ready one). Local processes by default; ``ray="local"`` or a cluster address
runs the same sets on Ray and gives the same table. With ``out=DIR`` every finished
batch is kept on disk and a re-run skips the sets already done. Guide:
docs/sweeps.md.

>>> sets = grid({"fast": [5, 10], "slow": [20, 30]})
>>> len(sets), sets[0]
(4, {'fast': 5, 'slow': 20})
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl

from ferrox.errors import ConfigError
from ferrox.research._sweep_run import Item, Outcome, SweepError, run_local, run_ray
from ferrox.research._sweep_space import Range, Space, grid, random_search
from ferrox.research._sweep_store import SetResult, SweepStore
from ferrox.research._sweep_targets import (
    BacktestTarget,
    FunctionTarget,
    SweepTarget,
    resolve_target,
)

#: Columns every sweep table has besides the parameters and the statistics.
RESERVED = ("index", "status", "error")


def set_key(target_key: str, params: Mapping[str, Any]) -> str:
    """The stable identity of one parameter set of one target (the resume key)."""
    text = json.dumps({"target": target_key, "params": dict(params)}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _check_sets(params: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    sets = [dict(p) for p in params]
    if not sets:
        raise ConfigError("sweep: no parameter sets to run")
    for i, p in enumerate(sets):
        clash = [name for name in p if name in RESERVED]
        if clash:
            raise ConfigError(f"sweep: parameter set {i}: {clash} are reserved column names")
    return sets


def run_sweep(
    target: object,
    params: Sequence[Mapping[str, Any]],
    *,
    fixed: Mapping[str, Any] | None = None,
    max_workers: int | None = None,
    ray: str | None = None,
    out: str | os.PathLike[str] | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> pl.DataFrame:
    """Runs every parameter set of ``params`` on ``target``; one row per set, by index.

    ``fixed`` parameters are passed to every set (for a backtest: merged into
    ``[strategy.params]``). ``max_workers`` (default: the CPU count) processes, or
    Ray tasks on ``ray`` (an address, or ``"local"``). With ``out``, finished sets
    are appended to ``out/parts`` as they come, sets already there with status
    ``ok`` are not run again, and the table is written to ``out/results.parquet``.
    ``progress(done, total)`` is called as sets finish (first with what a resume
    found). A set that raises, or whose worker process dies, has status
    ``failed`` and its ``error``; the other sets go on.

    Columns: ``index``, the parameters, every statistic (Float64), ``status``
    (``ok``/``failed``), ``error``.
    """
    resolved = resolve_target(target, fixed=fixed)
    sets = _check_sets(params)
    keys = [set_key(resolved.key, p) for p in sets]
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key in first:
            raise ConfigError(f"sweep: parameter sets {first[key]} and {i} are the same: {sets[i]}")
        first[key] = i
    workers = max_workers or os.cpu_count() or 1
    if workers < 1:
        raise ConfigError(f"sweep: max_workers must be >= 1, got {workers}")
    store = SweepStore(out) if out is not None else None
    finished: dict[int, SetResult] = {}
    if store is not None:
        prior = store.load()
        for i, key in enumerate(keys):
            if key in prior and prior[key].status == "ok":
                finished[i] = prior[key]
    total = len(sets)

    def record(outcomes: list[Outcome]) -> None:
        results = []
        for index, stats, error in outcomes:
            status = "ok" if error is None else "failed"
            result = SetResult(keys[index], sets[index], stats, status, error)
            finished[index] = result
            results.append(result)
        if store is not None:
            store.append(results)
        if progress is not None:
            progress(len(finished), total)

    if progress is not None:
        progress(len(finished), total)
    todo: list[Item] = [(i, sets[i]) for i in range(total) if i not in finished]
    if todo and ray:
        run_ray(resolved, todo, ray, workers, record)
    elif todo:
        run_local(resolved, todo, workers, record)
    table = sweep_table(sets, [finished[i] for i in range(total)])
    if store is not None:
        store.write_table(table)
    return table


def sweep_table(sets: list[dict[str, Any]], results: list[SetResult]) -> pl.DataFrame:
    """One row per set: ``index``, parameters, statistics, ``status``, ``error``."""
    names = list(dict.fromkeys(name for p in sets for name in p))
    stats = list(dict.fromkeys(name for r in results if r.stats for name in r.stats))
    clash = [name for name in stats if name in names or name in RESERVED]
    if clash:
        raise ConfigError(f"sweep: statistic(s) {clash} have the name of a parameter or column")
    columns = [pl.Series("index", range(len(sets)), dtype=pl.Int64)]
    columns += [pl.Series(name, [p.get(name) for p in sets], strict=False) for name in names]
    columns += [
        pl.Series(name, [r.stats.get(name) if r.stats else None for r in results], pl.Float64)
        for name in stats
    ]
    columns.append(pl.Series("status", [r.status for r in results], pl.String))
    columns.append(pl.Series("error", [r.error for r in results], pl.String))
    return pl.DataFrame(columns)


def best(table: pl.DataFrame, by: str, n: int = 10, *, ascending: bool = False) -> pl.DataFrame:
    """The ``n`` best finished rows by ``by`` (highest first unless ``ascending``);
    NaN and failed rows go last.

    >>> t = pl.DataFrame({"index": [0, 1, 2], "fast": [5, 10, 20],
    ...                   "sharpe": [0.5, float("nan"), 1.5], "status": ["ok"] * 3})
    >>> best(t, "sharpe", 2)["fast"].to_list()
    [20, 5]
    """
    if by not in table.columns:
        raise ConfigError(f"sweep: cannot sort by {by!r}; columns: {', '.join(table.columns)}")
    key = pl.col(by).fill_nan(None) if table[by].dtype.is_float() else pl.col(by)
    failed = pl.col("status") != "ok" if "status" in table.columns else pl.lit(False)
    rows = (
        table.with_row_index("_row")
        .with_columns(_key=key, _failed=failed)
        .sort(["_failed", "_key"], descending=[False, not ascending], nulls_last=True)
        .head(n)["_row"]
    )
    return table[rows.to_list()]


__all__ = [
    "BacktestTarget",
    "FunctionTarget",
    "Range",
    "Space",
    "SweepError",
    "SweepTarget",
    "best",
    "grid",
    "random_search",
    "resolve_target",
    "run_sweep",
    "set_key",
    "sweep_table",
]
