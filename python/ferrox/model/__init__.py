"""The market-data model: schemas of each data kind, instruments, per-event records."""

from __future__ import annotations

from ferrox.model.instrument import Instrument, InstrumentKind, increment_for
from ferrox.model.schema import (
    FLAG_LAST,
    FLAG_SNAPSHOT,
    SCHEMA_VERSION,
    SCHEMAS,
    AggressorSide,
    BookAction,
    BookSide,
    DataKind,
)

__all__ = [
    "FLAG_LAST",
    "FLAG_SNAPSHOT",
    "SCHEMAS",
    "SCHEMA_VERSION",
    "AggressorSide",
    "BookAction",
    "BookSide",
    "DataKind",
    "Instrument",
    "InstrumentKind",
    "increment_for",
]
