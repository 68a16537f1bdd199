"""Vectorised portfolio simulation: many columns (instruments or parameter sets) at once.

The simulators take a time x column layout (numpy 2-D arrays or polars DataFrames,
one column per instrument or parameter combination) and run the Rust kernels in
``ferrox._core`` in parallel over columns with the GIL released. An input with one
column serves every column, so one price series can be tested against a thousand
signal columns without copying it. Semantics, options and a worked example:
docs/vectorized.md.

>>> import numpy as np
>>> close = np.array([10.0, 11.0, 12.0, 11.0])
>>> entries = np.array([True, False, False, False])
>>> exits = np.array([False, False, True, False])
>>> result = simulate_signals(close, entries, exits, init_cash=100.0)
>>> result.final_equity().tolist()
[120.0]
>>> result.trades["pnl"].to_list()
[20.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import polars as pl

from ferrox import _core
from ferrox.errors import ConfigError, DataError

#: A time x column input: numpy (1-D = one column), a polars DataFrame (a ``ts``
#: column, if any, is taken as the timestamps) or a polars Series.
Matrix: TypeAlias = npt.ArrayLike | pl.DataFrame | pl.Series
#: A per-column parameter: one number for all columns or one per column.
PerColumn: TypeAlias = float | Sequence[float] | npt.NDArray[np.floating[Any]] | pl.Series
SizeType: TypeAlias = Literal["amount", "value", "percent"]
PriceMode: TypeAlias = Literal["close", "next_open"]

F64: TypeAlias = npt.NDArray[np.float64]
_Params: TypeAlias = tuple[F64, F64, F64, F64, F64, F64, F64]

_REASONS = ("signal", "stop_loss", "trailing_stop", "take_profit")


@dataclass(frozen=True)
class _Layout:
    n_rows: int
    n_cols: int
    columns: list[str]
    ts: npt.NDArray[np.int64] | None


def _frame_ts(value: object) -> tuple[object, npt.NDArray[np.int64] | None]:
    """Splits a polars DataFrame's ``ts`` column off the data."""
    if isinstance(value, pl.DataFrame) and "ts" in value.columns:
        ts = value["ts"]
        if ts.dtype == pl.Datetime:
            ts = ts.dt.cast_time_unit("ns").dt.replace_time_zone(None)
        return value.drop("ts"), ts.cast(pl.Int64).to_numpy()
    return value, None


def _as_2d(name: str, value: object, dtype: type[np.generic]) -> npt.NDArray[Any]:
    value, _ = _frame_ts(value)
    array = value.to_numpy() if isinstance(value, pl.DataFrame | pl.Series) else np.asarray(value)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise DataError(
            f"{name}: expected a 1-D or 2-D time x column input, got shape {array.shape}"
        )
    if dtype is np.bool_:
        if array.dtype != np.bool_:
            raise DataError(f"{name}: expected booleans, got {array.dtype}")
    elif array.dtype.kind not in "fiu":
        raise DataError(f"{name}: expected numbers, got {array.dtype}")
    return array


def _names(value: object) -> list[str] | None:
    value, _ = _frame_ts(value)
    if isinstance(value, pl.DataFrame):
        return list(value.columns)
    if isinstance(value, pl.Series):
        return [value.name or "0"]
    return None


def _layout(inputs: dict[str, object], ts: object | None) -> tuple[_Layout, dict[str, Any]]:
    """Checks that every input has the rows of ``close`` and 1 or n columns."""
    arrays: dict[str, npt.NDArray[Any]] = {}
    for name, value in inputs.items():
        if value is None:
            continue
        kind: type[np.generic] = np.bool_ if name.endswith(("entries", "exits")) else np.float64
        arrays[name] = _as_2d(name, value, kind)
    n_rows = arrays["close"].shape[0]
    if n_rows == 0:
        raise DataError("close: no rows; a simulation needs at least one bar")
    n_cols = max(a.shape[1] for a in arrays.values())
    for name, array in arrays.items():
        if array.shape[0] != n_rows:
            raise DataError(f"{name}: expected {n_rows} rows (as close), got {array.shape[0]}")
        if array.shape[1] not in (1, n_cols):
            raise DataError(
                f"{name}: expected 1 or {n_cols} columns (as the widest input), got {array.shape[1]}"
            )
    columns: list[str] | None = None
    for value in inputs.values():
        names = _names(value)
        if names is not None and len(names) == n_cols:
            columns = names
            break
    frame_ts = _frame_ts(inputs["close"])[1]
    times = _times(ts if ts is not None else frame_ts, n_rows)
    flat = {
        name: np.asfortranarray(a, dtype=np.bool_ if a.dtype == np.bool_ else np.float64).ravel(
            order="F"
        )
        for name, a in arrays.items()
    }
    layout = _Layout(n_rows, n_cols, columns or [str(i) for i in range(n_cols)], times)
    return layout, flat


def _times(ts: object | None, n_rows: int) -> npt.NDArray[np.int64] | None:
    if ts is None:
        return None
    if isinstance(ts, pl.Series):
        if ts.dtype == pl.Datetime:
            ts = ts.dt.cast_time_unit("ns").dt.replace_time_zone(None)
        array = ts.cast(pl.Int64).to_numpy()
    else:
        raw = np.asarray(ts)
        if np.issubdtype(raw.dtype, np.datetime64):
            raw = raw.astype("datetime64[ns]").view(np.int64)
        if raw.dtype.kind not in "iu":
            raise DataError(f"ts: expected int64 ns or datetimes, got {raw.dtype}")
        array = raw.astype(np.int64)
    if array.shape != (n_rows,):
        raise DataError(f"ts: expected {n_rows} timestamps (one per row), got shape {array.shape}")
    steps = np.diff(array)
    if (steps <= 0).any():
        row = int(np.argmax(steps <= 0)) + 1
        raise DataError(
            f"ts: row {row} ({array[row]}) is not after row {row - 1}; expected increasing times"
        )
    return np.ascontiguousarray(array, dtype=np.int64)


def _per_column(name: str, value: PerColumn | None, n: int, what: str = "column") -> F64:
    if value is None:
        return np.full(n, np.nan)
    if isinstance(value, pl.Series):
        array = value.cast(pl.Float64).to_numpy()
    else:
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{name}: expected a number or one per {what} ({exc})") from None
    if array.ndim == 0:
        return np.full(n, float(array))
    if array.shape != (n,):
        raise ConfigError(
            f"{name}: expected a number or {n} values (one per {what}), got {array.shape[0] if array.ndim == 1 else array.shape}"
        )
    return np.ascontiguousarray(array, dtype=np.float64)


def _groups(
    group_by: Sequence[object] | None, cash_sharing: bool, columns: list[str]
) -> tuple[list[int], list[str]]:
    """Group lengths and names: contiguous runs of equal labels."""
    n = len(columns)
    if group_by is None:
        return ([n], ["group"]) if cash_sharing else ([1] * n, list(columns))
    labels = list(group_by)
    if len(labels) != n:
        raise ConfigError(f"group_by: expected {n} labels (one per column), got {len(labels)}")
    lens: list[int] = []
    names: list[str] = []
    for col, label in enumerate(labels):
        if names and str(label) == names[-1]:
            lens[-1] += 1
            continue
        if str(label) in names:
            raise ConfigError(
                f"group_by: column {col} ({columns[col]!r}) is in group {label!r}, which ended "
                "earlier; the columns of a group must be adjacent"
            )
        names.append(str(label))
        lens.append(1)
    return lens, names


def _steps(
    n_rows: int,
    n_series: int,
    series: npt.NDArray[np.int64],
    rows: npt.NDArray[np.int64],
    values: F64,
    initial: F64,
) -> F64:
    """Step functions: each series holds its last value as of each row (``initial`` before
    its first), from (series, row, value) records in time order per series."""
    out = np.empty((n_rows, n_series), order="F")
    order = np.argsort(series, kind="stable")
    series, rows, values = series[order], rows[order], values[order]
    bounds = np.searchsorted(series, np.arange(n_series + 1))
    grid = np.arange(n_rows)
    for s in range(n_series):
        lo, hi = bounds[s], bounds[s + 1]
        levels = np.concatenate([[initial[s]], values[lo:hi]])
        out[:, s] = levels[np.searchsorted(rows[lo:hi], grid, side="right")]
    return out


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{name}: expected one of {', '.join(map(repr, allowed))}, got {value!r}")


class VectorizedResult:
    """What a vectorised simulation produced, per column (instrument or parameter set).

    ``equity`` and ``cash`` have one column per cash group (per column unless
    ``cash_sharing``/``group_by`` grouped them), ``position`` one per column; each
    starts with ``ts`` (int64 ns, or the row number when no timestamps were given).
    ``fills`` lists every fill; ``trades`` every closed trade, with the columns of
    the backtest results folder's ``trades.parquet``.
    """

    def __init__(
        self,
        raw: dict[str, Any],
        layout: _Layout,
        group_lens: list[int],
        groups: list[str],
        sim_lens: list[int],
        sim_cash: F64,
        close: F64,
    ) -> None:
        self.columns = layout.columns
        self.groups = groups
        self.group_lens = group_lens
        self.init_cash = sim_cash
        self.has_ts = layout.ts is not None
        self.ts = layout.ts if layout.ts is not None else np.arange(layout.n_rows, dtype=np.int64)
        self._n_rows = layout.n_rows
        self._sim_lens = sim_lens
        equity = raw["equity"].reshape(len(sim_lens), layout.n_rows).T
        # Columns without shared cash simulate one account each; reporting
        # groups then add up their members.
        self._summed = len(sim_lens) != len(groups)
        self.equity_array: F64 = self._sum_groups(equity) if self._summed else equity
        self._raw_fills: dict[str, Any] = raw["fills"]
        self._raw_trades: dict[str, Any] = raw["trades"]
        self._close = close

    @cached_property
    def position_array(self) -> F64:
        """Position per column at each row's end (rows x columns), from the fills."""
        f = self._raw_fills
        return _steps(
            self._n_rows, len(self.columns), f["col"], f["row"], f["position"],
            np.zeros(len(self.columns)),
        )  # fmt: skip

    @cached_property
    def cash_array(self) -> F64:
        """Cash per group at each row's end (rows x groups), from the fills."""
        f = self._raw_fills
        account = np.repeat(np.arange(len(self._sim_lens)), self._sim_lens)[f["col"]]
        cash = _steps(
            self._n_rows, len(self._sim_lens), account, f["row"], f["cash"], self.init_cash
        )
        return self._sum_groups(cash) if self._summed else cash

    def _sum_groups(self, per_column: F64) -> F64:
        out = np.empty((per_column.shape[0], len(self.group_lens)))
        start = 0
        for g, length in enumerate(self.group_lens):
            out[:, g] = per_column[:, start : start + length].sum(axis=1)
            start += length
        return out

    def _table(self, array: F64, names: list[str]) -> pl.DataFrame:
        data = {"ts": self.ts, **{name: array[:, i] for i, name in enumerate(names)}}
        return pl.DataFrame(data, schema_overrides={"ts": pl.Int64})

    @cached_property
    def equity(self) -> pl.DataFrame:
        """Equity per group at each row's close: cash plus positions at the last known close."""
        return self._table(self.equity_array, self.groups)

    @cached_property
    def cash(self) -> pl.DataFrame:
        """Cash per group at each row's end."""
        return self._table(self.cash_array, self.groups)

    @cached_property
    def position(self) -> pl.DataFrame:
        """Position in units per column at each row's end."""
        return self._table(self.position_array, self.columns)

    @cached_property
    def fills(self) -> pl.DataFrame:
        """Every fill: ts, row, column, side (BUY/SELL), quantity, price (slippage included),
        notional, fee, reason (signal, stop_loss, trailing_stop, take_profit), and the
        column's position and its cash account's balance after the fill."""
        f = self._raw_fills
        rows = f["row"]
        names = np.array(self.columns, dtype=object)
        return pl.DataFrame(
            {
                "ts": self.ts[rows],
                "row": rows,
                "column": pl.Series(names[f["col"]], dtype=pl.String),
                "side": pl.Series(np.where(f["side"] > 0, "BUY", "SELL"), dtype=pl.String),
                "quantity": f["size"],
                "price": f["price"],
                "notional": f["size"] * f["price"],
                "fee": f["fee"],
                "reason": pl.Series(np.array(_REASONS, dtype=object)[f["reason"]], dtype=pl.String),
                "position": f["position"],
                "cash": f["cash"],
            },
            schema_overrides={"ts": pl.Int64, "row": pl.Int64},
        )

    @cached_property
    def trades(self) -> pl.DataFrame:
        """Closed trades, as the results folder's ``trades.parquet``: instrument (the column),
        side (LONG/SHORT), entry_ts, exit_ts, quantity, entry_price, exit_price, pnl (net of
        fees) and return (pnl over entry notional)."""
        t = self._raw_trades
        names = np.array(self.columns, dtype=object)
        return pl.DataFrame(
            {
                "instrument": pl.Series(names[t["col"]], dtype=pl.String),
                "side": pl.Series(np.where(t["side"] > 0, "LONG", "SHORT"), dtype=pl.String),
                "entry_ts": self.ts[t["entry_row"]],
                "exit_ts": self.ts[t["exit_row"]],
                "quantity": t["size"],
                "entry_price": t["entry_price"],
                "exit_price": t["exit_price"],
                "pnl": t["pnl"],
                "return": t["ret"],
            },
            schema_overrides={"entry_ts": pl.Int64, "exit_ts": pl.Int64},
        )

    def final_equity(self) -> F64:
        """Equity of each group at the last row."""
        return np.array(self.equity_array[-1, :], dtype=np.float64)

    def gross_exposure(self) -> F64:
        """Sum of |position x last known close| per group at each row."""
        close = self._close
        # Carry the last valid close forward, as the simulator values positions.
        valid = np.isfinite(close)
        index = np.where(valid, np.arange(close.shape[0])[:, None], 0)
        np.maximum.accumulate(index, axis=0, out=index)
        marks = np.take_along_axis(close, index, axis=0)
        marks = np.where(np.isfinite(marks), marks, 0.0)
        if marks.shape[1] == 1 and self.position_array.shape[1] != 1:
            marks = np.broadcast_to(marks, self.position_array.shape)
        return self._sum_groups(np.abs(self.position_array * marks))

    def stats(self, *, periods_per_year: float | None = None) -> pl.DataFrame:
        """The results-folder statistics per group (one row each, ``group`` first), computed by
        :func:`ferrox.analytics.backtest_stats` from the equity curve, trades and fills.

        Annualisation reads the timestamps; without ``ts`` give ``periods_per_year``.
        """
        if not self.has_ts and periods_per_year is None:
            raise ConfigError(
                "stats: the simulation has no timestamps; pass ts= to the simulator "
                "or periods_per_year= here"
            )
        exposure = self.gross_exposure()
        trades = self.trades
        fills = self.fills
        member = np.repeat(np.arange(len(self.groups)), self.group_lens)
        group_of = dict(zip(self.columns, (self.groups[g] for g in member), strict=True))
        trade_groups = trades["instrument"].replace_strict(group_of, return_dtype=pl.String)
        fill_groups = fills["column"].replace_strict(group_of, return_dtype=pl.String)
        rows: list[dict[str, float | str]] = []
        for g, name in enumerate(self.groups):
            equity = pl.DataFrame(
                {"ts": self.ts, "equity": self.equity_array[:, g], "gross_exposure": exposure[:, g]}
            )
            stats = _backtest_stats(
                equity,
                trades.filter(trade_groups == name),
                fills.filter(fill_groups == name),
                periods_per_year,
            )
            rows.append({"group": name, **stats})
        return pl.DataFrame(rows)


def _backtest_stats(
    equity: pl.DataFrame, trades: pl.DataFrame, fills: pl.DataFrame, periods: float | None
) -> dict[str, float]:
    """The one place the statistics are computed: the event engine's own function."""
    from ferrox.analytics import backtest_stats

    return backtest_stats(equity, trades, fills, periods_per_year=periods)


def _prices(flat: dict[str, Any]) -> tuple[F64, F64 | None, F64 | None, F64 | None]:
    return (flat["close"], flat.get("open"), flat.get("high"), flat.get("low"))


def _common(
    inputs: dict[str, object],
    *,
    ts: object | None,
    size: PerColumn | None,
    fees: PerColumn,
    fixed_fees: PerColumn,
    slippage: PerColumn,
    sl_stop: PerColumn | None,
    tp_stop: PerColumn | None,
    tsl_stop: PerColumn | None,
    init_cash: PerColumn,
    cash_sharing: bool,
    group_by: Sequence[object] | None,
    size_type: str,
    price: str,
) -> tuple[_Layout, dict[str, Any], _Params, list[int], list[str], list[int], F64]:
    _check_choice("size_type", size_type, ("amount", "value", "percent"))
    _check_choice("price", price, ("close", "next_open"))
    if price == "next_open" and inputs.get("open") is None:
        raise ConfigError(
            'open: price="next_open" fills at the next bar\'s open, so open is required'
        )
    if (inputs.get("high") is None) != (inputs.get("low") is None):
        raise ConfigError("high and low: give both (stops inside the bar) or neither")
    layout, flat = _layout(inputs, ts)
    n = layout.n_cols
    params: _Params = (
        _per_column("size", size if size is not None else np.inf, n),
        _per_column("fees", fees, n),
        _per_column("fixed_fees", fixed_fees, n),
        _per_column("slippage", slippage, n),
        _per_column("sl_stop", sl_stop, n),
        _per_column("tp_stop", tp_stop, n),
        _per_column("tsl_stop", tsl_stop, n),
    )
    for name, values in zip(("fees", "fixed_fees", "slippage"), params[1:4], strict=True):
        bad = ~(np.isfinite(values) & (values >= 0.0))
        if bad.any():
            col = int(np.argmax(bad))
            raise ConfigError(
                f"{name}: {values[col]} at column {col} ({layout.columns[col]!r}); "
                "expected a finite number >= 0"
            )
    group_lens, groups = _groups(group_by, cash_sharing, layout.columns)
    sim_lens = group_lens if cash_sharing else [1] * n
    if cash_sharing:
        cash = _per_column("init_cash", init_cash, len(group_lens), "group")
    else:
        cash = _per_column("init_cash", init_cash, n)
    return layout, flat, params, group_lens, groups, sim_lens, cash


def _result(
    raw: dict[str, Any],
    layout: _Layout,
    flat: dict[str, Any],
    group_lens: list[int],
    groups: list[str],
    sim_lens: list[int],
    cash: F64,
) -> VectorizedResult:
    close = flat["close"].reshape(-1, layout.n_rows).T
    return VectorizedResult(raw, layout, group_lens, groups, sim_lens, cash, close)


def simulate_signals(
    close: Matrix,
    entries: Matrix,
    exits: Matrix,
    *,
    open: Matrix | None = None,
    high: Matrix | None = None,
    low: Matrix | None = None,
    short_entries: Matrix | None = None,
    short_exits: Matrix | None = None,
    size: PerColumn = np.inf,
    size_type: SizeType = "amount",
    fees: PerColumn = 0.0,
    fixed_fees: PerColumn = 0.0,
    slippage: PerColumn = 0.0,
    sl_stop: PerColumn | None = None,
    tp_stop: PerColumn | None = None,
    tsl_stop: PerColumn | None = None,
    init_cash: PerColumn = 100.0,
    cash_sharing: bool = False,
    group_by: Sequence[object] | None = None,
    price: PriceMode = "close",
    ts: object | None = None,
) -> VectorizedResult:
    """Simulates long (and short) entry/exit signals per column.

    An entry opens a position when flat or reverses the opposite one; an exit
    closes its side; repeated entries do not add (no pyramiding); an entry and an
    exit of one side on the same bar cancel, as in vectorbt. ``size`` (default
    ``inf``: all the cash) is read per ``size_type``: units, value, or a fraction
    of equity. Stops are fractions of the entry price (``tsl_stop``: of the best
    price since entry), checked on ``high``/``low`` when given, else on the close.
    ``price="next_open"`` fills a signal of bar t at bar t+1's open, as the event
    engine fills market orders on bars.

    >>> import numpy as np
    >>> close = np.array([[10.0, 20.0], [11.0, 19.0], [12.0, 18.0]])
    >>> entries = np.array([[True, True], [False, False], [False, False]])
    >>> exits = np.zeros((3, 2), dtype=bool)
    >>> simulate_signals(close, entries, exits, init_cash=100.0).final_equity().tolist()
    [120.0, 90.0]
    """
    inputs: dict[str, object] = {
        "close": close,
        "open": open,
        "high": high,
        "low": low,
        "entries": entries,
        "exits": exits,
        "short_entries": short_entries,
        "short_exits": short_exits,
    }
    layout, flat, params, group_lens, groups, sim_lens, cash = _common(
        inputs,
        ts=ts,
        size=size,
        fees=fees,
        fixed_fees=fixed_fees,
        slippage=slippage,
        sl_stop=sl_stop,
        tp_stop=tp_stop,
        tsl_stop=tsl_stop,
        init_cash=init_cash,
        cash_sharing=cash_sharing,
        group_by=group_by,
        size_type=size_type,
        price=price,
    )
    raw = _core.vsim_signals(
        layout.n_rows, _prices(flat), flat["entries"], flat["exits"],
        flat.get("short_entries"), flat.get("short_exits"),
        params, size_type, price, sim_lens, cash,
    )  # fmt: skip
    return _result(raw, layout, flat, group_lens, groups, sim_lens, cash)


def simulate_target(
    close: Matrix,
    target: Matrix,
    *,
    open: Matrix | None = None,
    size_type: SizeType = "amount",
    fees: PerColumn = 0.0,
    fixed_fees: PerColumn = 0.0,
    slippage: PerColumn = 0.0,
    init_cash: PerColumn = 100.0,
    cash_sharing: bool = False,
    group_by: Sequence[object] | None = None,
    price: PriceMode = "close",
    ts: object | None = None,
) -> VectorizedResult:
    """Simulates a target position per cell (NaN = leave as is).

    ``size_type`` reads the target as units (``"amount"``), money (``"value"``) or
    a fraction of equity (``"percent"``: target weights; with ``cash_sharing`` the
    group's equity, so a row of weights rebalances a portfolio). Within a row of a
    cash-sharing group, sales fill before buys. Buys are cut down to the cash.

    >>> import numpy as np
    >>> close = np.array([[10.0, 10.0], [20.0, 5.0]])
    >>> weights = np.array([[0.5, 0.5], [np.nan, np.nan]])
    >>> result = simulate_target(close, weights, size_type="percent", cash_sharing=True)
    >>> result.final_equity().tolist()
    [125.0]
    """
    layout, flat, params, group_lens, groups, sim_lens, cash = _common(
        {"close": close, "open": open, "target": target}, ts=ts, size=None, fees=fees,
        fixed_fees=fixed_fees, slippage=slippage, sl_stop=None, tp_stop=None, tsl_stop=None,
        init_cash=init_cash, cash_sharing=cash_sharing, group_by=group_by,
        size_type=size_type, price=price,
    )  # fmt: skip
    raw = _core.vsim_target(
        layout.n_rows, _prices(flat), flat["target"], params, size_type, price, sim_lens, cash
    )
    return _result(raw, layout, flat, group_lens, groups, sim_lens, cash)


def simulate_orders(
    close: Matrix,
    size: Matrix,
    *,
    open: Matrix | None = None,
    size_type: SizeType = "amount",
    fees: PerColumn = 0.0,
    fixed_fees: PerColumn = 0.0,
    slippage: PerColumn = 0.0,
    init_cash: PerColumn = 100.0,
    cash_sharing: bool = False,
    group_by: Sequence[object] | None = None,
    price: PriceMode = "close",
    ts: object | None = None,
) -> VectorizedResult:
    """Simulates explicit orders: a signed size per cell (buy > 0, sell < 0, NaN = none).

    ``size_type`` reads sizes as units, money or a fraction of equity; ``inf``
    buys with all the cash and ``-inf`` sells the position and shorts with all
    the free cash. Buys are cut down to the cash; sales may go short.

    >>> import numpy as np
    >>> close = np.array([10.0, 12.0, 15.0])
    >>> orders = np.array([5.0, np.nan, -5.0])
    >>> simulate_orders(close, orders, init_cash=100.0).final_equity().tolist()
    [125.0]
    """
    layout, flat, params, group_lens, groups, sim_lens, cash = _common(
        {"close": close, "open": open, "size": size}, ts=ts, size=None, fees=fees,
        fixed_fees=fixed_fees, slippage=slippage, sl_stop=None, tp_stop=None, tsl_stop=None,
        init_cash=init_cash, cash_sharing=cash_sharing, group_by=group_by,
        size_type=size_type, price=price,
    )  # fmt: skip
    raw = _core.vsim_orders(
        layout.n_rows, _prices(flat), flat["size"], params, size_type, price, sim_lens, cash
    )
    return _result(raw, layout, flat, group_lens, groups, sim_lens, cash)


__all__ = [
    "Matrix",
    "PerColumn",
    "VectorizedResult",
    "simulate_orders",
    "simulate_signals",
    "simulate_target",
]
