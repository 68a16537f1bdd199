"""Bars: trades or quotes aggregated into OHLCV bars of every kind.

Time bars aligned to the UTC epoch (``1m``, ``250ms``, ``1d``), tick, volume
and value bars (``1000-tick``, ``50-volume``, ``1000000-value``), and
López de Prado's imbalance and run bars (``tick-imbalance``, ``volume-run``,
...). :func:`aggregate` turns columns into a polars DataFrame;
:mod:`ferrox.bars.stream` updates bars one trade at a time; both run the same
Rust state machine. See ``docs/bars.md``.
"""

from __future__ import annotations

from ferrox.bars import stream
from ferrox.bars._inputs import Clock, Source, TradesLike
from ferrox.bars.aggregate import (
    BAR_SCHEMA,
    PRICE_COLUMNS,
    SIZE_COLUMNS,
    aggregate,
    bar_precisions,
)
from ferrox.bars.spec import KINDS, BarSpec, parse_spec

__all__ = [
    "BAR_SCHEMA",
    "KINDS",
    "PRICE_COLUMNS",
    "SIZE_COLUMNS",
    "BarSpec",
    "Clock",
    "Source",
    "TradesLike",
    "aggregate",
    "bar_precisions",
    "parse_spec",
    "stream",
]
