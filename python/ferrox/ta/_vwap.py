"""Session-anchored VWAP in its three forms (batch, stream, polars).

The Rust core restarts the sums whenever a numeric session key changes; these
wrappers build that key from what users have: timestamps (a new session at
each UTC midnight) or a session column (ids or labels, or booleans marking the
first bar of each session).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl

from ferrox.errors import ConfigError, DataError
from ferrox.ta import _api

_NS_PER_DAY = 86_400_000_000_000


def _day_keys(timestamps: object) -> _api.Float64Array:
    """UTC day numbers of nanosecond timestamps (ints or datetimes)."""
    if isinstance(timestamps, pl.Series):
        if timestamps.dtype == pl.Date:
            return timestamps.cast(pl.Int64).to_numpy().astype(np.float64)
        if isinstance(timestamps.dtype, pl.Datetime):
            return timestamps.dt.epoch("d").cast(pl.Float64).to_numpy()
        timestamps = timestamps.to_numpy()
    array = np.asarray(timestamps)
    if array.dtype.kind == "M":
        ns = array.astype("datetime64[ns]").astype(np.int64)
    elif array.dtype.kind in "iu":
        ns = array.astype(np.int64)
    else:
        raise DataError(
            f"VWAP: timestamps must be int64 nanoseconds since the epoch or datetimes, "
            f"got dtype {array.dtype}"
        )
    return np.floor_divide(ns, _NS_PER_DAY).astype(np.float64)


def _change_keys(session: object) -> _api.Float64Array:
    """A key that changes exactly where the session changes."""
    array = session.to_numpy() if isinstance(session, pl.Series) else np.asarray(session)
    if array.ndim != 1:
        raise DataError(f"VWAP: session must be 1-dimensional, got shape {array.shape}")
    if array.dtype == np.bool_:
        return np.cumsum(array).astype(np.float64)
    changed = np.empty(len(array), dtype=np.int64)
    if len(array):
        changed[0] = 0
        changed[1:] = array[1:] != array[:-1]
    return np.cumsum(changed).astype(np.float64)


def session_keys(n: int, timestamps: object, session: object) -> _api.Float64Array:
    """The numeric session key of each bar."""
    if timestamps is not None and session is not None:
        raise ConfigError("VWAP: give timestamps or session, not both")
    if timestamps is not None:
        keys = _day_keys(timestamps)
    elif session is not None:
        keys = _change_keys(session)
    else:
        return np.zeros(n, dtype=np.float64)
    if len(keys) != n:
        raise DataError(f"VWAP: anchor has {len(keys)} rows, the prices have {n}")
    return keys


def VWAP(  # noqa: N802 - indicator names are upper case, as in talib
    high: Any,
    low: Any,
    close: Any,
    volume: Any,
    timestamps: Any = None,
    session: Any = None,
) -> Any:
    """Volume-weighted average of the typical price ``(h+l+c)/3``, anchored to a session.

    The sums restart at each UTC day of ``timestamps`` (int64 ns or datetimes), or
    wherever ``session`` changes (ids or labels; booleans mark the first bar of a
    session), or never when neither is given. NaN until the session has volume.

    >>> import numpy as np
    >>> from ferrox.ta import VWAP
    >>> VWAP([3.0, 6.0, 9.0], [3.0, 6.0, 9.0], [3.0, 6.0, 9.0], [1.0, 2.0, 1.0],
    ...      session=[False, False, True]).tolist()
    [3.0, 5.0, 9.0]
    """
    n = len(_api.as_float64("VWAP", "high", high))
    keys = session_keys(n, timestamps, session)
    inputs = [("high", high), ("low", low), ("close", close), ("volume", volume), ("session", keys)]
    return _api.run("VWAP", inputs, [])


class StreamVWAP(_api.Stream):
    """Session-anchored VWAP, one bar at a time (see ``ferrox.ta.VWAP``).

    >>> from ferrox.ta import stream
    >>> vwap = stream.VWAP()
    >>> vwap.update(3.0, 3.0, 3.0, 1.0, session="a"), vwap.update(6.0, 6.0, 6.0, 2.0, session="a")
    (3.0, 5.0)
    >>> vwap.update(9.0, 9.0, 9.0, 1.0, session="b")
    9.0
    """

    __slots__ = ("_key", "_label")

    def __init__(self) -> None:
        super().__init__("VWAP", [])
        self._key = 0.0
        self._label: object = None

    def update(
        self,
        high: float,
        low: float,
        close: float,
        volume: float,
        timestamp: int | dt.datetime | np.datetime64 | None = None,
        session: object = None,
    ) -> float:
        """Feeds one bar; the VWAP of its session so far."""
        if timestamp is not None and session is not None:
            raise ConfigError("VWAP: give timestamp or session, not both")
        if timestamp is not None:
            self._key = float(_day_keys(np.asarray([_as_datetime64(timestamp)]))[0])
        elif session is not None and session != self._label:
            self._key += 1.0
            self._label = session
        return float(self._update(high, low, close, volume, self._key))

    def reset(self) -> None:
        """Forgets every bar seen."""
        super().reset()
        self._key = 0.0
        self._label = None


def _as_datetime64(value: int | dt.datetime | np.datetime64) -> np.datetime64:
    if isinstance(value, np.datetime64):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return np.datetime64(value, "ns")
    return np.datetime64(int(value), "ns")


def vwap_expr(
    high: pl.Expr | str = "high",
    low: pl.Expr | str = "low",
    close: pl.Expr | str = "close",
    volume: pl.Expr | str = "volume",
    timestamps: pl.Expr | str | None = None,
    session: pl.Expr | str | None = None,
) -> pl.Expr:
    """Session-anchored VWAP as a polars expression (see ``ferrox.ta.VWAP``).

    ``timestamps`` is a Datetime (or Date) column; ``session`` a column whose
    changes start a new session.

    >>> import polars as pl
    >>> from ferrox.ta import polars as tapl
    >>> df = pl.DataFrame({"high": [3.0, 6.0, 9.0], "low": [3.0, 6.0, 9.0],
    ...                    "close": [3.0, 6.0, 9.0], "volume": [1.0, 2.0, 1.0],
    ...                    "day": [1, 1, 2]})
    >>> df.select(tapl.VWAP(session="day"))["vwap"].to_list()
    [3.0, 5.0, 9.0]
    """
    if timestamps is not None and session is not None:
        raise ConfigError("VWAP: give timestamps or session, not both")
    if timestamps is not None:
        ts = pl.col(timestamps) if isinstance(timestamps, str) else timestamps
        key = ts.dt.epoch("d").cast(pl.Float64)
    elif session is not None:
        col = pl.col(session) if isinstance(session, str) else session
        key = (col != col.shift(1)).fill_null(False).cast(pl.Int64).cum_sum().cast(pl.Float64)
    else:
        key = pl.lit(0.0)
    inputs = [("high", high), ("low", low), ("close", close), ("volume", volume), ("session", key)]
    return _api.expr("VWAP", inputs, [], ["vwap"])
