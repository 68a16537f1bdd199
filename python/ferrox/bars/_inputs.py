"""Turning what users pass (Arrow, polars, dicts of arrays; instruments) into raw columns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeAlias, get_args

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from ferrox.errors import ConfigError, DataError
from ferrox.model.instrument import Instrument

#: What bars are built from: trade prints, or the bid, ask or mid of quotes.
Source: TypeAlias = Literal["trades", "bid", "ask", "mid"]
#: The clock bars are built on.
Clock: TypeAlias = Literal["ts_event", "ts_init"]
#: Trades (or quotes) in the catalog schema.
TradesLike: TypeAlias = pa.Table | pl.DataFrame | Mapping[str, Any]

SOURCES: tuple[str, ...] = get_args(Source)
CLOCKS: tuple[str, ...] = get_args(Clock)

_INT64_MAX = np.iinfo(np.int64).max


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    """ConfigError naming the argument unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ConfigError(f"{name}: expected one of {list(choices)}, got {value!r}")


def resolve_precisions(
    instrument: Instrument | None,
    precisions: tuple[int, int] | None,
    data: object = None,
) -> tuple[int, int] | None:
    """``(price_precision, size_precision)`` from the instrument, the tuple or Arrow metadata."""
    from_instrument = (
        (instrument.price_precision, instrument.size_precision) if instrument else None
    )
    if precisions is not None:
        if (
            not isinstance(precisions, tuple)
            or len(precisions) != 2
            or not all(isinstance(p, int) and 0 <= p <= 16 for p in precisions)
        ):
            raise ConfigError(
                f"precisions: expected (price_precision, size_precision), each 0..16, "
                f"got {precisions!r}"
            )
        if from_instrument is not None and from_instrument != precisions:
            raise ConfigError(
                f"precisions {precisions} disagree with instrument {instrument.id if instrument else ''}"
                f" {from_instrument}; pass one of them"
            )
        return precisions
    if from_instrument is not None:
        return from_instrument
    if isinstance(data, pa.Table) and data.schema.metadata:
        meta = {k.decode(): v.decode() for k, v in data.schema.metadata.items()}
        try:
            return int(meta["ferrox.price_precision"]), int(meta["ferrox.size_precision"])
        except (KeyError, ValueError):
            return None
    return None


def _names(data: TradesLike) -> list[str]:
    if isinstance(data, pa.Table):
        return list(data.column_names)
    if isinstance(data, pl.DataFrame):
        return list(data.columns)
    return list(data.keys())


def has_column(data: TradesLike, name: str) -> bool:
    """Whether ``data`` holds a column ``name``."""
    return name in _names(data)


def int_column(
    data: TradesLike, name: str, argument: str, *, dtype: type[np.integer[Any]] = np.int64
) -> npt.NDArray[Any]:
    """Column ``name`` as a contiguous numpy array of ``dtype``, checked, never via floats.

    Raises DataError naming the argument and column when it is missing, holds
    nulls, is not an integer column, or has values ``dtype`` cannot hold.
    """
    if not has_column(data, name):
        raise DataError(f"{argument}: no column {name!r} (columns: {_names(data)})")
    values: npt.NDArray[Any]
    if isinstance(data, pa.Table | pl.DataFrame):
        column: Any = data.column(name) if isinstance(data, pa.Table) else data[name].to_arrow()
        if column.null_count:
            first = int(pc.index(pc.is_null(column), True).as_py())
            raise DataError(f"{argument}: column {name!r} row {first}: missing value")
        if not pa.types.is_integer(column.type):
            raise DataError(
                f"{argument}: column {name!r} is {column.type}; expected integers "
                "(raw fixed-point values and int64 ns, never floats)"
            )
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
        values = column.to_numpy(zero_copy_only=False)
    else:
        try:
            values = np.asarray(data[name])
        except (TypeError, ValueError, OverflowError) as exc:
            raise DataError(
                f"{argument}: column {name!r} is not an integer array ({exc})"
            ) from None
        if values.ndim != 1:
            raise DataError(
                f"{argument}: column {name!r} has shape {values.shape}; expected one dimension"
            )
        if values.dtype.kind not in "iu":
            raise DataError(
                f"{argument}: column {name!r} has dtype {values.dtype}; expected integers "
                "(raw fixed-point values and int64 ns, never floats)"
            )
    return _cast(values, dtype, name, argument)


def _cast(
    values: npt.NDArray[Any], dtype: type[np.integer[Any]], name: str, argument: str
) -> npt.NDArray[Any]:
    if values.dtype == dtype:
        return np.ascontiguousarray(values)
    info = np.iinfo(dtype)
    # Python ints compare exactly whatever the two integer dtypes are.
    if len(values) and (int(values.min()) < int(info.min) or int(values.max()) > int(info.max)):
        if values.dtype.kind == "u":
            outside = values > np.uint64(info.max)
        else:
            outside = (values < max(int(info.min), -_INT64_MAX - 1)) | (
                values > min(int(info.max), _INT64_MAX)
            )
        bad = int(np.argmax(outside))
        raise DataError(
            f"{argument}: column {name!r} row {bad}: {values[bad]} does not fit {np.dtype(dtype)}"
        )
    return np.ascontiguousarray(values.astype(dtype))


__all__ = [
    "CLOCKS",
    "SOURCES",
    "Clock",
    "Source",
    "TradesLike",
    "check_choice",
    "has_column",
    "int_column",
    "resolve_precisions",
]
