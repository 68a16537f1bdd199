"""Evaluating factor expressions over a polars panel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from ferrox import _core
from ferrox.errors import ConfigError, DataError
from ferrox.factors.expr import Expr

Expressions = Mapping[str, str | Expr] | Sequence[str | Expr]
"""Expressions to compute: ``{name: expression}`` or a list (each named by its text)."""

_ROW = "__ferrox_row"


def _named(expressions: Expressions) -> tuple[list[str], list[str]]:
    if isinstance(expressions, str | Expr):
        raise ConfigError("expressions: expected a mapping or a list of expressions, got one")
    if isinstance(expressions, Mapping):
        items = [(str(k), str(v)) for k, v in expressions.items()]
    else:
        items = [(str(e), str(e)) for e in expressions]
    if not items:
        raise ConfigError("expressions: nothing to compute")
    names = [k for k, _ in items]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"expressions: duplicate names {dupes}")
    return names, [v for _, v in items]


def _fields(panel: pl.DataFrame, instrument: str, time: str) -> list[str]:
    """The panel columns an expression may use as ``$name``."""
    return [
        c
        for c, dt in panel.schema.items()
        if c not in (instrument, time) and (dt.is_numeric() or dt == pl.Boolean)
    ]


def _check_fields(names: list[str], texts: list[str], available: list[str]) -> list[str]:
    used = []
    for field, k, pos in _core.factor_fields(texts):
        if field not in available:
            listing = ", ".join(f"${f}" for f in available) or "(none)"
            raise ConfigError(
                f"unknown field ${field} at position {pos} in {texts[k]!r} ({names[k]}); "
                f"available fields: {listing}"
            )
        used.append(field)
    return used


def _first(mask: pl.Series) -> int | None:
    hits = mask.arg_true()
    return None if hits.is_empty() else int(hits[0])


def _prepare(panel: pl.DataFrame, instrument: str, time: str, used: list[str]) -> pl.DataFrame:
    """Rows grouped by instrument (stable), validated: times strictly increase."""
    for col in (instrument, time):
        if col not in panel.columns:
            raise DataError(f"panel: no {col!r} column (columns: {', '.join(panel.columns)})")
    tdt = panel.schema[time]
    if not (tdt.is_integer() or tdt.is_temporal()):
        raise DataError(f"panel: time column {time!r} must be integer or temporal, got {tdt}")
    frame = panel.select(instrument, time, *used).with_row_index(_ROW)
    for col in (instrument, time):
        row = _first(frame[col].is_null())
        if row is not None:
            raise DataError(f"panel row {row}: {col!r} is null")
    inst = frame[instrument]
    starts = inst.ne_missing(inst.shift(1)).fill_null(True)
    if int(starts.sum()) != inst.n_unique():
        # Instruments interleaved (e.g. time-major): group them, keeping each one's row order.
        frame = frame.sort(instrument, maintain_order=True)
    ticks = frame[time].to_physical().cast(pl.Int64)
    same = frame[instrument].eq_missing(frame[instrument].shift(1)).fill_null(False)
    step = ticks - ticks.shift(1)
    bad = _first(same & (step <= 0))
    if bad is not None:
        here = frame.row(bad, named=True)
        before = frame.row(bad - 1, named=True)
        what = "duplicate (instrument, time)" if step[bad] == 0 else "time goes backwards"
        raise DataError(
            f"panel row {here[_ROW]}: {what} for instrument {here[instrument]!r} at "
            f"{time}={here[time]} (previous row {before[_ROW]} has {time}={before[time]}); "
            "each instrument's rows must have strictly increasing times"
        )
    return frame


def compute(
    panel: pl.DataFrame,
    expressions: Expressions,
    *,
    instrument: str = "instrument",
    time: str = "ts",
    dedup: bool = True,
) -> pl.DataFrame:
    """Computes factor expressions over a panel of (instrument, time) rows.

    ``panel`` holds one row per instrument and time with numeric columns used
    as ``$name`` fields. Each instrument's rows must have strictly increasing
    times (a duplicate or backwards row is refused, naming it); instruments may
    come in any order. The result has ``instrument``, ``time`` and one float64
    column per expression, rows grouped by instrument in order of first
    appearance, each instrument's rows in time order.

    Windows count periods of the panel's calendar (every distinct time of the
    panel): a time an instrument lacks between its first and last row is a
    missing value inside its windows, as in Qlib. Sub-expressions shared by
    several expressions are computed once (``dedup=False`` turns that off, for
    testing).

    >>> import polars as pl
    >>> from ferrox.factors import F, compute
    >>> panel = pl.DataFrame({"instrument": ["A"] * 3, "ts": [1, 2, 3], "close": [1.0, 2.0, 6.0]})
    >>> compute(panel, {"ma2": "Mean($close, 2)", "up": F.close > F.close.ref(1)})["ma2"].to_list()
    [1.0, 1.5, 4.0]
    """
    names, texts = _named(expressions)
    clash = sorted({instrument, time} & set(names))
    if clash:
        raise ConfigError(f"expressions: names {clash} clash with the panel's key columns")
    used = _check_fields(names, texts, _fields(panel, instrument, time))
    frame = _prepare(panel, instrument, time, used)
    n = frame.height
    inst = frame[instrument]
    starts = inst.ne_missing(inst.shift(1)).fill_null(True).arg_true().to_numpy()
    offsets = np.append(starts, n).astype(np.int64) if n else np.zeros(1, dtype=np.int64)
    ranks = frame[time].to_physical().rank("dense")
    time_pos = (ranks.cast(pl.Int64) - 1).to_numpy() if n else np.zeros(0, dtype=np.int64)
    n_times = int(ranks.max() or 0) if n else 0  # type: ignore[arg-type]
    arrays = [
        np.ascontiguousarray(
            frame[f].cast(pl.Float64).fill_null(float("nan")).to_numpy(), dtype=np.float64
        )
        for f in used
    ]
    columns = _core.factor_compute(
        texts,
        used,
        arrays,
        np.ascontiguousarray(offsets, dtype=np.int64),
        np.ascontiguousarray(time_pos, dtype=np.int64),
        n_times,
        dedup,
    )
    out = frame.select(instrument, time)
    return out.with_columns(
        pl.Series(name, col, dtype=pl.Float64) for name, col in zip(names, columns, strict=True)
    )


def plan_size(expressions: Expressions, fields: Sequence[str]) -> tuple[int, int]:
    """Operator nodes the expressions need without and with shared sub-expressions.

    >>> from ferrox.factors import alpha158
    >>> tree, shared = plan_size(alpha158(), ["open", "high", "low", "close", "volume", "vwap"])
    >>> shared < tree
    True
    """
    _, texts = _named(expressions)
    return _core.factor_plan_size(texts, list(fields))


def operators() -> list[str]:
    """The operator names of the expression language."""
    return _core.factor_operators()


__all__ = ["Expressions", "compute", "operators", "plan_size"]
