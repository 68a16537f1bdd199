"""Conversions shared by the batch functions, stream classes and polars expressions.

Inputs become contiguous float64 arrays (numpy arrays of any real dtype, lists,
pandas and polars Series; missing values become NaN), parameters are checked
for their kind here and for their range in the Rust core, and outputs come back
in the container of the first input, as ``talib`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from ferrox import _core
from ferrox.errors import ConfigError, DataError

Float64Array = npt.NDArray[np.float64]
"""A 1-D float64 numpy array."""


class MA_Type(IntEnum):  # noqa: N801 - talib's spelling, kept for drop-in use
    """TA-Lib's moving-average types for ``matype`` parameters (``talib.MA_Type``)."""

    SMA = 0
    EMA = 1
    WMA = 2
    DEMA = 3
    TEMA = 4
    TRIMA = 5
    KAMA = 6
    MAMA = 7
    T3 = 8


def _is_pandas_series(value: object) -> bool:
    return type(value).__module__.startswith("pandas") and hasattr(value, "index")


def as_float64(func: str, arg: str, value: object) -> Float64Array:
    """``value`` as a contiguous 1-D float64 array, or a DataError naming ``arg``."""
    if (
        type(value) is np.ndarray
        and value.dtype == np.float64
        and value.ndim == 1
        and value.flags.c_contiguous
    ):
        return value  # the common case, without the checks below
    try:
        if isinstance(value, pl.Series):
            if not (value.dtype.is_numeric() or value.dtype == pl.Boolean):
                raise TypeError(f"polars dtype {value.dtype}")
            array = value.cast(pl.Float64).to_numpy()
        elif _is_pandas_series(value):
            array = value.to_numpy(dtype=np.float64, na_value=np.nan)  # type: ignore[attr-defined]
        else:
            array = np.asarray(value)
            if array.dtype.kind not in "biuf":
                raise TypeError(f"dtype {array.dtype}")
            array = array.astype(np.float64, copy=False)
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"{func}: {arg} must be a 1-D series of real numbers castable to float64 ({exc})"
        ) from None
    if array.ndim != 1:
        raise DataError(f"{func}: {arg} must be 1-dimensional, got shape {array.shape}")
    return np.ascontiguousarray(array, dtype=np.float64)


def int_param(func: str, arg: str, value: object) -> float:
    """An integer parameter (its range is checked by the core)."""
    if type(value) is int:
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ConfigError(f"{func}: {arg} must be an integer, got {value!r}")
    return float(value)


def float_param(func: str, arg: str, value: object) -> float:
    """A real parameter (its range is checked by the core)."""
    if type(value) is float:
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ConfigError(f"{func}: {arg} must be a number, got {value!r}")
    return float(value)


def matype_param(func: str, arg: str, value: object) -> float:
    """A moving-average type: an ``MA_Type`` or its code 0..8."""
    return int_param(func, arg, value)


def columns(func: str, inputs: Sequence[tuple[str, object]]) -> list[Float64Array]:
    """Every input as float64, checked to have one length."""
    arrays = [as_float64(func, arg, value) for arg, value in inputs]
    lengths = {len(a) for a in arrays}
    if len(lengths) > 1:
        described = ", ".join(f"{arg}={len(a)}" for (arg, _), a in zip(inputs, arrays, strict=True))
        raise DataError(f"{func}: inputs must have the same length, got {described}")
    return arrays


def run(func: str, inputs: Sequence[tuple[str, object]], params: Sequence[float]) -> Any:
    """Computes ``func`` and returns its outputs shaped like ``talib``'s."""
    outputs = _core.ta_compute(func, columns(func, inputs), list(params))
    first = inputs[0][1]
    if type(first) is np.ndarray:
        wrapped: list[Any] = list(outputs)
    elif _is_pandas_series(first):
        import pandas as pd

        index = first.index  # type: ignore[attr-defined]
        wrapped = [pd.Series(o, index=index) for o in outputs]
    elif isinstance(first, pl.Series):
        wrapped = [pl.Series(first.name, o) for o in outputs]
    else:
        wrapped = list(outputs)
    return wrapped[0] if len(wrapped) == 1 else tuple(wrapped)


class Stream:
    """Base of the streaming classes: one bar in, the indicator's value out."""

    __slots__ = ("_inner",)

    def __init__(self, name: str, params: Sequence[float]) -> None:
        self._inner = _core.TaStream(name, list(params))

    @property
    def name(self) -> str:
        """The indicator's TA-Lib name."""
        return self._inner.name

    @property
    def lookback(self) -> int:
        """Number of leading bars whose output is NaN (TA-Lib's lookback)."""
        return self._inner.lookback

    def reset(self) -> None:
        """Forgets every bar seen, keeping the parameters."""
        self._inner.reset()

    def update_many(self, *series: object) -> Any:
        """Feeds whole series (one per input), continuing the stream.

        Returns arrays like the batch function's; fed from a fresh stream they
        equal the batch result exactly.
        """
        arrays = columns(self.name, [(f"input {k}", s) for k, s in enumerate(series)])
        outputs = self._inner.update_many(arrays)
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def _update(self, *values: float) -> Any:
        return self._inner.update(*(float(v) for v in values))

    def __repr__(self) -> str:
        return f"<ferrox.ta.stream.{self.name} lookback={self.lookback}>"


def expr(
    func: str,
    inputs: Sequence[tuple[str, pl.Expr | str]],
    params: Sequence[float],
    outputs: Sequence[str],
) -> pl.Expr:
    """A polars expression computing ``func`` batch-wise (per group under ``over``)."""
    exprs = [pl.col(e) if isinstance(e, str) else e for _, e in inputs]
    names = [f"_in{k}" for k in range(len(exprs))]
    packed = pl.struct([e.alias(n) for e, n in zip(exprs, names, strict=True)])
    param_list = list(params)

    def compute(batch: pl.Series) -> pl.Series:
        cols = [
            batch.struct.field(n).cast(pl.Float64).to_numpy().astype(np.float64, copy=False)
            for n in names
        ]
        values = _core.ta_compute(func, [np.ascontiguousarray(c) for c in cols], param_list)
        series = [
            pl.Series(name, v, nan_to_null=True) for name, v in zip(outputs, values, strict=True)
        ]
        if len(series) == 1:
            return series[0]
        return pl.struct(series, eager=True)

    if len(outputs) == 1:
        dtype: pl.DataType = pl.Float64()
    else:
        dtype = pl.Struct({name: pl.Float64 for name in outputs})
    return packed.map_batches(compute, return_dtype=dtype).alias(func.lower())


def example_bars(n: int = 200) -> dict[str, Float64Array]:
    """A small deterministic OHLCV sample (a random walk from an integer LCG).

    Used by the docstring examples; the same on every platform.

    >>> bars = example_bars(3)
    >>> sorted(bars)
    ['close', 'high', 'low', 'open', 'volume']
    >>> len(bars["close"])
    3
    """
    state = 20240808
    price = 100.0
    cols: dict[str, list[float]] = {k: [] for k in ("open", "high", "low", "close", "volume")}
    for _ in range(n):
        draws = []
        for _ in range(4):
            state = (state * 1103515245 + 12345) % 2**31
            draws.append(state / 2**31)
        open_ = price
        price = price + (draws[0] - 0.5) * 2.0
        cols["open"].append(open_)
        cols["close"].append(price)
        cols["high"].append(max(open_, price) + draws[1])
        cols["low"].append(min(open_, price) - draws[2])
        cols["volume"].append(1000.0 + 1000.0 * draws[3])
    return {k: np.asarray(v, dtype=np.float64) for k, v in cols.items()}
