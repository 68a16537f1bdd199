"""Running a backtest: data from the catalog (or frames), the engine, the results.

Three lines from Python::

    from ferrox.backtest import run_backtest
    result = run_backtest("backtest.toml")
    print(result.summary())

or, without a config file, :class:`Backtest` with frames in the catalog's
schemas (raw int64 prices at the instrument's precisions).
"""

from __future__ import annotations

import importlib.metadata
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ferrox import _core
from ferrox.analytics import backtest_stats
from ferrox.backtest.config import (
    BacktestConfig,
    LatencyConfig,
    VenueConfig,
    import_strategy_class,
    load_config,
)
from ferrox.backtest.results import BacktestResult, results_hash, round_trips
from ferrox.backtest.strategy import Strategy
from ferrox.data.catalog import Catalog
from ferrox.data.decimals import format_decimals
from ferrox.errors import CatalogError, ConfigError
from ferrox.model.instrument import Instrument
from ferrox.risk.pretrade import RiskConfig, risk_config_to_engine


def _i64(frame: pl.DataFrame, name: str) -> np.ndarray[Any, np.dtype[np.int64]]:
    return np.ascontiguousarray(frame[name].cast(pl.Int64).to_numpy())


class Backtest:
    """One engine: instruments and venue fixed at construction, data added, run once."""

    def __init__(
        self,
        instruments: list[Instrument],
        venue: VenueConfig | None = None,
        *,
        feed_latency: LatencyConfig | None = None,
        order_entry_latency: LatencyConfig | None = None,
        ack_latency: LatencyConfig | None = None,
        seed: int = 0,
        equity_interval: int = 0,
        risk: RiskConfig | None = None,
    ) -> None:
        if not instruments:
            raise ConfigError("a backtest needs at least one instrument")
        venue = venue or VenueConfig()
        self.instruments = list(instruments)
        self.venue = venue
        self._index = {inst.id: i for i, inst in enumerate(self.instruments)}
        self._engine = _core.BacktestEngine(
            [i.price_precision for i in self.instruments],
            [i.size_precision for i in self.instruments],
            # An instrument inferred from a file knows no currencies: it is
            # then quoted in the account's base currency.
            [i.quote_currency or venue.base_currency for i in self.instruments],
            [
                (i.base_currency or None) if venue.account_type == "cash" else None
                for i in self.instruments
            ],
            [venue.maker_fee] * len(self.instruments),
            [venue.taker_fee] * len(self.instruments),
            base_currency=venue.base_currency,
            starting_balances=[(venue.base_currency, venue.starting_balance)],
            account_type=venue.account_type,
            oms=venue.oms,
            leverage=venue.leverage,
            queue_model=venue.queue_model,
            queue_power=venue.queue_power,
            feed_latency=(feed_latency or LatencyConfig()).to_engine(),
            order_entry_latency=(order_entry_latency or LatencyConfig()).to_engine(),
            ack_latency=(ack_latency or LatencyConfig()).to_engine(),
            seed=seed,
            equity_interval=equity_interval,
            risk=None
            if risk is None
            else risk_config_to_engine(risk, [i.id for i in self.instruments]),
        )
        self._ran = False

    def index(self, instrument: str) -> int:
        """The engine index of an instrument id."""
        try:
            return self._index[instrument]
        except KeyError:
            raise ConfigError(
                f"instrument {instrument!r} is not in this backtest ({', '.join(self._index)})"
            ) from None

    def add(self, instrument: str, kind: str, frame: pl.DataFrame) -> None:
        """Adds one stream in the catalog schema of ``kind`` (trades/quotes/deltas/bars)."""
        i = self.index(instrument)
        e = self._engine
        if kind in ("trades", "agg_trades"):
            ids = frame["trade_id"].cast(pl.UInt64, strict=False).fill_null(0)
            e.add_trades(
                i,
                _i64(frame, "ts_init"),
                _i64(frame, "ts_event"),
                _i64(frame, "price"),
                _i64(frame, "size"),
                np.ascontiguousarray(frame["aggressor_side"].cast(pl.UInt8).to_numpy()),
                np.ascontiguousarray(ids.to_numpy()),
            )
        elif kind == "quotes":
            e.add_quotes(
                i,
                _i64(frame, "ts_init"),
                _i64(frame, "ts_event"),
                _i64(frame, "bid_price"),
                _i64(frame, "ask_price"),
                _i64(frame, "bid_size"),
                _i64(frame, "ask_size"),
            )
        elif kind == "deltas":
            e.add_deltas(
                i,
                _i64(frame, "ts_init"),
                _i64(frame, "ts_event"),
                np.ascontiguousarray(frame["action"].cast(pl.UInt8).to_numpy()),
                np.ascontiguousarray(frame["side"].cast(pl.UInt8).to_numpy()),
                _i64(frame, "price"),
                _i64(frame, "size"),
                np.ascontiguousarray(frame["flags"].cast(pl.UInt8).to_numpy()),
                np.ascontiguousarray(frame["sequence"].cast(pl.UInt64).to_numpy()),
            )
        elif kind == "bars":
            e.add_bars(
                i,
                _i64(frame, "ts_open"),
                _i64(frame, "ts_init"),
                _i64(frame, "open"),
                _i64(frame, "high"),
                _i64(frame, "low"),
                _i64(frame, "close"),
                _i64(frame, "volume"),
            )
        else:
            raise ConfigError(f"kind {kind!r} is not trades, quotes, deltas or bars")

    def run(
        self,
        strategy: Strategy | _core.RustStrategy,
        *,
        progress: Callable[[int], object] | None = None,
        config: dict[str, Any] | None = None,
    ) -> BacktestResult:
        """Runs ``strategy`` over the data added; returns the results."""
        if self._ran:
            raise ConfigError("a Backtest runs once; build a new one")
        self._ran = True
        if isinstance(strategy, Strategy):
            strategy._attach(self.instruments)
        total = self._engine.record_count()
        span = self._engine.time_range()
        self._engine.run(strategy, progress, max(total // 200, 1_000))
        return self._results(config or {}, span)

    def _results(self, config: dict[str, Any], span: tuple[int, int] | None) -> BacktestResult:
        e = self._engine
        ids = [inst.id for inst in self.instruments]
        precisions = [(inst.price_precision, inst.size_precision) for inst in self.instruments]

        def names(col: Any) -> pl.Series:
            return pl.Series([ids[int(i)] for i in col], dtype=pl.String)

        ev = e.order_events()
        orders = pl.DataFrame(
            {
                "ts": ev["ts"],
                "order_id": ev["order_id"],
                "instrument": names(ev["instrument"]),
                "event": ev["event"],
                "status": ev["status"],
                "code": ev["code"],
                "message": ev["message"],
            },
            schema_overrides={"ts": pl.Int64, "order_id": pl.UInt64},
        )
        f = e.fills()
        pp = np.array([precisions[int(i)][0] for i in f["instrument"]], dtype=np.int64)
        sp = np.array([precisions[int(i)][1] for i in f["instrument"]], dtype=np.int64)
        price_f = np.asarray(f["price"], dtype=np.float64) / 10.0**pp
        qty_f = np.asarray(f["quantity"], dtype=np.float64) / 10.0**sp
        fills = pl.DataFrame(
            {
                "ts": np.asarray(f["ts"], dtype=np.int64),
                "client_order_id": [str(i) for i in f["order_id"]],
                "instrument": names(f["instrument"]),
                "side": pl.Series(f["side"], dtype=pl.String),
                "price": _exact_text(f["instrument"], f["price"], [p for p, _ in precisions]),
                "quantity": _exact_text(f["instrument"], f["quantity"], [s for _, s in precisions]),
                "price_f": price_f,
                "quantity_f": qty_f,
                "notional": price_f * qty_f,
                "fee": pl.Series(f["fee"], dtype=pl.String),
                "fee_f": pl.Series(f["fee"], dtype=pl.String).cast(pl.Float64),
                "liquidity": pl.Series(f["liquidity"], dtype=pl.String),
            }
        )
        eq = e.equity()
        equity = pl.DataFrame(
            {k: eq[k] for k in ("ts", "equity", "cash", "gross_exposure")},
            schema_overrides={"ts": pl.Int64},
        )
        pos = e.positions()
        positions = pl.DataFrame(
            {
                "instrument": names(pos["instrument"]),
                "quantity": [
                    int(q) / 10 ** precisions[i][1] for i, q in enumerate(pos["quantity"])
                ],
                "avg_price": pos["avg_price"],
                "last_price": pos["last_price"],
                "realized_pnl": pos["realized_pnl"],
                "unrealized_pnl": pos["unrealized_pnl"],
                "fees": pos["fees"],
            }
        )
        account = pl.DataFrame(
            e.balances(), schema={"currency": pl.String, "balance": pl.String}, orient="row"
        )
        trades = round_trips(fills)
        stats = backtest_stats(equity, trades, fills) if equity.height > 1 else {}
        meta = {
            "ferrox_version": importlib.metadata.version("ferrox"),
            "config": config,
            "data": {
                "start_ns": span[0] if span else None,
                "end_ns": span[1] if span else None,
                "instruments": ids,
            },
            "base_currency": self.venue.base_currency,
            "records": e.records_processed(),
            "results_hash": results_hash(orders, fills, equity),
        }
        return BacktestResult(
            orders=orders,
            fills=fills,
            trades=trades,
            positions=positions,
            account=account,
            equity=equity,
            stats=stats,
            meta=meta,
        )


def _exact_text(instrument: Any, raw: Any, precisions: list[int]) -> pl.Series:
    """Raw values as exact decimal text at their instrument's precision."""
    frame = pl.DataFrame({"i": instrument, "raw": raw}, schema={"i": pl.Int64, "raw": pl.Int64})
    branches = [
        pl.when(pl.col("i") == i).then(format_decimals(pl.col("raw"), p))
        for i, p in enumerate(precisions)
    ]
    return frame.select(pl.coalesce(branches).alias("text"))["text"]


def _check_overlaps(
    catalog: Catalog, instrument: str, kind: str, start: int | None, end: int | None
) -> None:
    """Two sources covering the same instrument, kind and time would double the data."""
    spans: dict[str, tuple[int, int]] = {}
    for e in catalog.files(instrument, kind, start, end):
        lo, hi = spans.get(e.source, (e.ts_init_min, e.ts_init_max))
        spans[e.source] = (min(lo, e.ts_init_min), max(hi, e.ts_init_max))
    items = sorted(spans.items(), key=lambda kv: kv[1])
    for (a, (_, a_hi)), (b, (b_lo, _)) in itertools.pairwise(items):
        if b_lo <= a_hi:
            raise ConfigError(
                f"data overlap: {instrument} {kind} from {a} and from {b} cover the same time "
                f"(up to {a_hi} and from {b_lo}); narrow [data].start/end or remove one source"
            )


def build_backtest(config: BacktestConfig) -> tuple[Backtest, Strategy | _core.RustStrategy]:
    """Checks everything (strategy, catalog, instruments, data overlaps) and loads the data."""
    strategy: Strategy | _core.RustStrategy
    if config.strategy_path is not None:
        cls = import_strategy_class(config.strategy_path)
        try:
            strategy = cls(**config.strategy_params)
        except TypeError as exc:
            raise ConfigError(f"[strategy.params]: {config.strategy_path}: {exc}") from None
    root = Path(config.catalog)
    if not (root / "_manifest.json").exists():
        raise ConfigError(f"[data].catalog: {root} is not a ferrox catalog (no _manifest.json)")
    catalog = Catalog(root, must_exist=True)
    known = {inst.id: inst for inst in catalog.instruments()}
    missing = [i for i in config.instruments if i not in known]
    if missing:
        raise ConfigError(
            f"[data].instruments: {missing} not in the catalog {root} "
            f"(it holds: {', '.join(sorted(known)) or 'nothing'})"
        )
    instruments = [known[i] for i in config.instruments]
    if config.rust_strategy is not None:
        params = dict(config.strategy_params)
        if isinstance(params.get("instrument"), str):
            params["instrument"] = config.instruments.index(params["instrument"])
        strategy = _core.RustStrategy(config.rust_strategy, **params)
    bt = Backtest(
        instruments,
        config.venue,
        feed_latency=config.feed_latency,
        order_entry_latency=config.order_entry_latency,
        ack_latency=config.ack_latency,
        seed=config.seed,
        equity_interval=config.equity_interval,
        risk=config.risk,
    )
    loaded = 0
    for inst in config.instruments:
        for kind in config.kinds:
            _check_overlaps(catalog, inst, kind, config.start, config.end)
            try:
                frame = catalog.read(inst, kind, config.start, config.end)
            except CatalogError as exc:
                raise ConfigError(f"[data]: {exc}") from None
            if frame.height:
                bt.add(inst, kind, frame)
                loaded += frame.height
    if loaded == 0:
        raise ConfigError(
            f"[data]: no {config.kinds} rows for {config.instruments} in {root} "
            "within [data].start/end"
        )
    return bt, strategy


def run_backtest(
    config: BacktestConfig | str | Path,
    *,
    progress: Callable[[int], object] | None = None,
) -> BacktestResult:
    """Loads the config (a path or a :class:`BacktestConfig`), checks it, runs, returns results."""
    if not isinstance(config, BacktestConfig):
        config = load_config(config)
    bt, strategy = build_backtest(config)
    return bt.run(strategy, progress=progress, config=config.source)
