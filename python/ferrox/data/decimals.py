"""Exact decimal columns: text -> raw int64 and back, whole columns at a time.

Parsing hands the Arrow string buffers straight to the Rust core (no Python
object per row) and never goes through a float. Formatting writes exactly
``precision`` decimals, so a CSV export reads back to the same raw values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from ferrox._core import max_decimals_column, parse_decimal_column
from ferrox.errors import DataError

# pyarrow is untyped here: an Arrow (chunked) string array or a polars Series.
_StrLike = Any


def _large_string_buffers(values: _StrLike) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    if isinstance(values, pl.Series):
        values = values.cast(pl.String).to_arrow()
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.null_count:
        first = int(pc.index(pc.is_null(values), True).as_py())
        raise DataError(f"row {first}: missing value where a decimal was expected")
    arr = values.cast(pa.large_string())
    _, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    )
    return offsets, data


def parse_decimals(
    values: _StrLike, precision: int, *, name: str = "value"
) -> npt.NDArray[np.int64]:
    """Parses decimal text exactly into raw int64 values at ``precision``.

    Raises :class:`~ferrox.errors.DataError` naming the column (``name``), the
    row and the text of the first value that is not a decimal or is finer than
    ``precision``.

    >>> parse_decimals(pa.array(["61800.30", "0.1"]), 2).tolist()
    [6180030, 10]
    """
    offsets, data = _large_string_buffers(values)
    try:
        return parse_decimal_column(offsets, data, precision)
    except DataError as exc:
        raise DataError(f"column {name!r}: {exc}") from None


def max_decimals(values: _StrLike) -> int:
    """The number of decimals that holds every value of the column exactly.

    >>> max_decimals(pa.array(["46319.0", "43613.875"]))
    3
    """
    offsets, data = _large_string_buffers(values)
    return int(max_decimals_column(offsets, data))


def format_decimals(raw: pl.Expr, precision: int) -> pl.Expr:
    """A polars expression formatting raw int64 values with exactly ``precision`` decimals.

    >>> pl.DataFrame({"p": [6180030, -5]}).select(format_decimals(pl.col("p"), 2))["p"].to_list()
    ['61800.30', '-0.05']
    """
    name = raw.meta.output_name(raise_if_undetermined=False) or "value"
    if precision == 0:
        return raw.cast(pl.String).alias(name)
    scale = 10**precision
    magnitude = raw.abs()
    text = (
        pl.when(raw < 0).then(pl.lit("-")).otherwise(pl.lit(""))
        + (magnitude // scale).cast(pl.String)
        + pl.lit(".")
        + (magnitude % scale).cast(pl.String).str.zfill(precision)
    )
    result: pl.Expr = text.alias(name)
    return result
