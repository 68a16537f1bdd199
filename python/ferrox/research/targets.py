"""Ready-made sweep targets: ``f(params) -> statistics`` functions for ``ferrox sweep``.

``ema_cross_vectorized`` runs the EMA cross of :class:`ferrox.strategies.EMACross`
on bars through the vectorised simulator: the same crosses, market orders filled
at the next bar's open, so its trades equal the event engine's (see
tests/test_vectorized_engine.py) at a fraction of the cost per parameter set.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from ferrox.errors import ConfigError

_Bars = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64]]


@functools.lru_cache(maxsize=8)
def _catalog_bars(catalog: str, instrument: str, start: int | None, end: int | None) -> _Bars:
    from ferrox.data.catalog import Catalog

    store = Catalog(catalog, must_exist=True)
    price_precision, _ = store.precisions(instrument)
    bars = store.read(instrument, "bars", start, end)
    if bars.height == 0:
        raise ConfigError(f"ema_cross_vectorized: no bars for {instrument} in {catalog}")
    scale = 10.0**price_precision
    return (
        bars["open"].to_numpy() / scale,
        bars["close"].to_numpy() / scale,
        bars["ts_init"].cast(pl.Int64).to_numpy(),
    )


@functools.lru_cache(maxsize=8)
def _file_bars(path: str) -> _Bars:
    frame = pl.read_parquet(path) if path.endswith(".parquet") else pl.read_csv(path)
    missing = {"ts", "open", "close"} - set(frame.columns)
    if missing:
        raise ConfigError(f"ema_cross_vectorized: {path} lacks column(s) {sorted(missing)}")
    return (
        frame["open"].cast(pl.Float64).to_numpy(),
        frame["close"].cast(pl.Float64).to_numpy(),
        frame["ts"].cast(pl.Int64).to_numpy(),
    )


def ema_cross_signals(
    close: npt.NDArray[np.float64], fast: int, slow: int
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Entries and exits of ``EMACross``: a cross of ``EMA(fast)`` over ``EMA(slow)``,
    tracked from the first bar the slow EMA is ready."""
    import ferrox.ta as ta

    fast_ema, slow_ema = ta.EMA(close, fast), ta.EMA(close, slow)
    ready = ~np.isnan(slow_ema)
    above = fast_ema > slow_ema
    was_ready = np.concatenate([[False], ready[:-1]])
    was_above = np.concatenate([[False], above[:-1]])
    return ready & was_ready & above & ~was_above, ready & was_ready & ~above & was_above


def ema_cross_vectorized(params: Mapping[str, Any]) -> dict[str, float]:
    """The EMA cross on bars, vectorised: statistics of one ``(fast, slow)`` pair.

    Parameters (sweep them or fix them): ``fast``, ``slow`` (EMA periods);
    the bars, either ``catalog`` + ``instrument`` (+ optional ``start``/``end`` ns)
    or ``bars`` (a Parquet/CSV file with ``ts`` ns, ``open``, ``close``);
    ``quantity`` (units per trade, default 1), ``fees`` (fraction of notional,
    default 0), ``init_cash`` (default 100,000). Bars are read once per process.
    """
    from ferrox.research.vectorized import simulate_signals

    try:
        fast, slow = int(params["fast"]), int(params["slow"])
    except KeyError as exc:
        raise ConfigError(f"ema_cross_vectorized: parameter {exc} is missing") from None
    if not 1 < fast < slow:
        raise ConfigError(f"ema_cross_vectorized: expected 1 < fast < slow, got {fast}, {slow}")
    if "bars" in params:
        open_, close, ts = _file_bars(str(params["bars"]))
    elif "catalog" in params and "instrument" in params:
        open_, close, ts = _catalog_bars(
            str(Path(str(params["catalog"])).resolve()),
            str(params["instrument"]),
            params.get("start"),
            params.get("end"),
        )
    else:
        raise ConfigError("ema_cross_vectorized: give bars= or catalog= and instrument=")
    entries, exits = ema_cross_signals(close, fast, slow)
    result = simulate_signals(
        close, entries, exits, open=open_, price="next_open",
        size=float(params.get("quantity", 1.0)), fees=float(params.get("fees", 0.0)),
        init_cash=float(params.get("init_cash", 100_000.0)), ts=ts,
    )  # fmt: skip
    row = result.stats().row(0, named=True)
    return {name: float(value) for name, value in row.items() if name != "group"}
