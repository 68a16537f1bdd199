"""Type stubs for the compiled core, ``ferrox._core`` (kept in step with crates/ferrox-python)."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

__version__: str

_Decimalish = str | int | Decimal
Int64Array = npt.NDArray[np.int64]
UInt8Array = npt.NDArray[np.uint8]
UInt64Array = npt.NDArray[np.uint64]

# --- values.rs -------------------------------------------------------------

class Price:
    """An exact price: a fixed-point int64 raw value with a precision."""

    def __init__(self, value: _Decimalish, precision: int | None = None) -> None: ...
    @staticmethod
    def from_raw(raw: int, precision: int) -> Price: ...
    @property
    def raw(self) -> int: ...
    @property
    def precision(self) -> int: ...
    def as_decimal(self) -> Decimal: ...
    def rescaled(self, precision: int) -> Price: ...
    def __add__(self, other: Price) -> Price: ...
    def __sub__(self, other: Price) -> Price: ...
    def __float__(self) -> float: ...
    def __lt__(self, other: Price) -> bool: ...
    def __le__(self, other: Price) -> bool: ...
    def __gt__(self, other: Price) -> bool: ...
    def __ge__(self, other: Price) -> bool: ...
    def __hash__(self) -> int: ...

class Quantity:
    """An exact, non-negative quantity: a fixed-point int64 raw value with a precision."""

    def __init__(self, value: _Decimalish, precision: int | None = None) -> None: ...
    @staticmethod
    def from_raw(raw: int, precision: int) -> Quantity: ...
    @property
    def raw(self) -> int: ...
    @property
    def precision(self) -> int: ...
    def as_decimal(self) -> Decimal: ...
    def rescaled(self, precision: int) -> Quantity: ...
    def __add__(self, other: Quantity) -> Quantity: ...
    def __sub__(self, other: Quantity) -> Quantity: ...
    def __float__(self) -> float: ...
    def __lt__(self, other: Quantity) -> bool: ...
    def __le__(self, other: Quantity) -> bool: ...
    def __gt__(self, other: Quantity) -> bool: ...
    def __ge__(self, other: Quantity) -> bool: ...
    def __hash__(self) -> int: ...

class Money:
    """An exact amount of money in a currency."""

    def __init__(
        self, amount: _Decimalish, currency: str, precision: int | None = None
    ) -> None: ...
    @property
    def amount(self) -> Price: ...
    @property
    def currency(self) -> str: ...
    @property
    def raw(self) -> int: ...
    @property
    def precision(self) -> int: ...
    def as_decimal(self) -> Decimal: ...
    @staticmethod
    def notional(
        price: Price,
        quantity: Quantity,
        currency: str,
        precision: int,
        multiplier: Quantity | None = None,
    ) -> Money: ...
    def __add__(self, other: Money) -> Money: ...
    def __sub__(self, other: Money) -> Money: ...
    def __hash__(self) -> int: ...

class InstrumentId:
    """An instrument id written ``SYMBOL.VENUE``."""

    def __init__(self, text: str) -> None: ...
    @staticmethod
    def from_parts(symbol: str, venue: str) -> InstrumentId: ...
    @property
    def symbol(self) -> str: ...
    @property
    def venue(self) -> str: ...
    def __hash__(self) -> int: ...

def parse_fixed(text: str, precision: int) -> int: ...
def format_fixed(raw: int, precision: int) -> str: ...

# --- decimals.rs -----------------------------------------------------------

def parse_decimal_column(
    offsets: npt.NDArray[np.int64], data: npt.NDArray[np.uint8], precision: int
) -> npt.NDArray[np.int64]: ...
def max_decimals_column(offsets: npt.NDArray[np.int64], data: npt.NDArray[np.uint8]) -> int: ...

# --- book.rs ---------------------------------------------------------------

class L2Book:
    """A streaming L2 book following a venue's sync rule; prices and sizes raw."""

    def __init__(self, rule: str = "sequenced") -> None: ...
    def apply(
        self,
        action: int,
        side: int,
        price: int,
        size: int,
        sequence: int = 0,
        first_update_id: int = 0,
        prev_update_id: int = 0,
        flags: int = 0x80,
        ts_event: int = 0,
        ts_init: int = 0,
        order_id: int = 0,
    ) -> str: ...
    def best_bid(self) -> tuple[int, int] | None: ...
    def best_ask(self) -> tuple[int, int] | None: ...
    def spread(self) -> int | None: ...
    def mid(self) -> float | None: ...
    def microprice(self) -> float | None: ...
    def imbalance(self, levels: int = 1) -> float | None: ...
    def average_fill_price(self, side: str, size: int) -> float | None: ...
    def cumulative_depth(self, side: str, levels: int) -> int: ...
    def join_queue(self, order_id: int, side: str, price: int) -> int: ...
    def queue_ahead(self, order_id: int) -> int | None: ...
    def leave_queue(self, order_id: int) -> None: ...
    def levels(self, side: str, n: int) -> list[tuple[int, int]]: ...
    @property
    def state(self) -> str: ...
    @property
    def is_synced(self) -> bool: ...
    @property
    def last_update_id(self) -> int: ...

def replay_l2(
    action: npt.NDArray[np.uint8],
    side: npt.NDArray[np.uint8],
    price: npt.NDArray[np.int64],
    size: npt.NDArray[np.int64],
    sequence: npt.NDArray[np.uint64],
    first_update_id: npt.NDArray[np.uint64],
    prev_update_id: npt.NDArray[np.uint64],
    flags: npt.NDArray[np.uint8],
    ts_event: npt.NDArray[np.int64],
    ts_init: npt.NDArray[np.int64],
    rule: str = "sequenced",
    levels: int = 1,
) -> dict[str, Any]: ...

class L3Book:
    """A streaming L3 (market-by-order) book with per-order queue positions."""

    def __init__(self) -> None: ...
    def apply(
        self, action: int, side: int, price: int, size: int, order_id: int, flags: int = 0x80
    ) -> None: ...
    def best_bid(self) -> tuple[int, int] | None: ...
    def best_ask(self) -> tuple[int, int] | None: ...
    def queue_position(self, order_id: int) -> tuple[int, int, int] | None: ...
    @property
    def order_count(self) -> int: ...
    @property
    def is_crossed(self) -> bool: ...
    @property
    def consistent(self) -> bool: ...

def replay_l3(
    action: npt.NDArray[np.uint8],
    side: npt.NDArray[np.uint8],
    price: npt.NDArray[np.int64],
    size: npt.NDArray[np.int64],
    order_id: npt.NDArray[np.uint64],
    flags: npt.NDArray[np.uint8],
    ts_event: npt.NDArray[np.int64],
) -> dict[str, Any]: ...

# --- bars.rs ---------------------------------------------------------------

_BarTuple = tuple[
    tuple[int, int, int, int],
    tuple[int, int, int, int],
    tuple[int, int, int, int],
    tuple[float, float],
]

class BarAggregator:
    """A streaming bar aggregator: one trade (or quote) at a time, in time order."""

    def __init__(
        self,
        spec: str,
        source: str = "trades",
        price_precision: int | None = None,
        size_precision: int | None = None,
        empty_bars: bool = False,
    ) -> None: ...
    def update(
        self, ts: int, price: int, size: int, aggressor_side: int = 0
    ) -> list[_BarTuple]: ...
    def update_quote(
        self, ts: int, bid_price: int, ask_price: int, bid_size: int, ask_size: int
    ) -> list[_BarTuple]: ...
    def flush(self) -> _BarTuple | None: ...
    @property
    def spec(self) -> str: ...
    @property
    def source(self) -> str: ...

def parse_bar_spec(spec: str) -> tuple[str, str, int | None]: ...
def aggregate_trade_bars(
    spec: str,
    ts: npt.NDArray[np.int64],
    price: npt.NDArray[np.int64],
    size: npt.NDArray[np.int64],
    aggressor_side: npt.NDArray[np.uint8] | None = None,
    price_precision: int | None = None,
    size_precision: int | None = None,
    empty_bars: bool = False,
    ts_name: str = "ts_event",
) -> dict[str, npt.NDArray[Any]]: ...
def aggregate_quote_bars(
    spec: str,
    source: str,
    ts: npt.NDArray[np.int64],
    bid_price: npt.NDArray[np.int64],
    ask_price: npt.NDArray[np.int64],
    bid_size: npt.NDArray[np.int64],
    ask_size: npt.NDArray[np.int64],
    price_precision: int | None = None,
    size_precision: int | None = None,
    empty_bars: bool = False,
    ts_name: str = "ts_event",
) -> dict[str, npt.NDArray[Any]]: ...
def bars_stream_benchmark(
    spec: str,
    ts: npt.NDArray[np.int64],
    price: npt.NDArray[np.int64],
    size: npt.NDArray[np.int64],
    aggressor_side: npt.NDArray[np.uint8],
    price_precision: int | None = None,
    size_precision: int | None = None,
) -> tuple[int, float]: ...

# --- binance.rs ------------------------------------------------------------

class BinanceChunk:
    """Up to ``chunk_messages`` capture lines as numpy columns per kind.

    Every kind's dict has an ``instrument`` column (uint32) indexing
    ``instruments``; ``trades``/``agg_trades`` hold ``ts_event, ts_init, price,
    size, aggressor_side, trade_id``; ``quotes`` hold ``ts_event, ts_init,
    bid_price, ask_price, bid_size, ask_size, update_id``; ``deltas`` hold
    ``ts_event, ts_init, action, side, price, size, sequence, first_update_id,
    prev_update_id, flags`` (no ``order_id``: Binance depth is by level).
    """

    @property
    def trades(self) -> dict[str, npt.NDArray[Any]]: ...
    @property
    def agg_trades(self) -> dict[str, npt.NDArray[Any]]: ...
    @property
    def quotes(self) -> dict[str, npt.NDArray[Any]]: ...
    @property
    def deltas(self) -> dict[str, npt.NDArray[Any]]: ...
    @property
    def instruments(self) -> list[tuple[str, int | None, int | None, bool]]: ...
    @property
    def rejected(self) -> list[tuple[int, str, str | None]]: ...
    @property
    def last_line(self) -> int: ...

class BinanceReader:
    """Reads a Binance combined-stream capture (plain or gzip) chunk by chunk."""

    def __init__(
        self,
        path: str,
        on_error: str = "fail",
        instruments: list[tuple[str, str, str]] | None = None,
        venue: str | None = None,
        symbol: str | None = None,
        chunk_messages: int = 65536,
    ) -> None: ...
    def __iter__(self) -> BinanceReader: ...
    def __next__(self) -> BinanceChunk: ...
    @property
    def path(self) -> str: ...
    def instruments(self) -> list[tuple[str, int | None, int | None, bool]]: ...

# --- indicators.rs ---------------------------------------------------------

def ta_specs() -> list[dict[str, Any]]: ...
def ta_lookback(name: str, params: list[float]) -> int: ...
def ta_compute(
    name: str, inputs: list[npt.NDArray[np.float64]], params: list[float]
) -> list[npt.NDArray[np.float64]]: ...

class TaStream:
    """One indicator updated one bar at a time (same state machine as ta_compute)."""

    def __init__(self, name: str, params: list[float]) -> None: ...
    def update(self, *values: float) -> Any: ...
    def update_many(
        self, inputs: list[npt.NDArray[np.float64]]
    ) -> list[npt.NDArray[np.float64]]: ...
    def reset(self) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def lookback(self) -> int: ...
    @property
    def n_inputs(self) -> int: ...
    @property
    def n_outputs(self) -> int: ...

# --- vectorized.rs ---------------------------------------------------------

_F64 = npt.NDArray[np.float64]
_Prices = tuple[_F64, _F64 | None, _F64 | None, _F64 | None]
_Params = tuple[_F64, _F64, _F64, _F64, _F64, _F64, _F64]

_LobEvent = tuple[int, int, int, int, int, int, int, int, int, int]

class Lob:
    """A full order-against-order limit order book (price-time priority,
    self-trade prevention); prices and quantities raw."""

    def __init__(self, tick: int = 1, lot: int = 1, stp: str = "cancel-newest") -> None: ...
    def submit(
        self,
        id: int,
        owner: int,
        side: str,
        quantity: int,
        price: int | None = None,
        time_in_force: str = "GTC",
        post_only: bool = False,
        stp: str | None = None,
        ts: int = 0,
    ) -> list[_LobEvent]: ...
    def cancel(self, id: int, ts: int = 0) -> list[_LobEvent]: ...
    def modify(
        self, id: int, price: int | None = None, quantity: int | None = None, ts: int = 0
    ) -> list[_LobEvent]: ...
    def best_bid(self) -> tuple[int, int, int] | None: ...
    def best_ask(self) -> tuple[int, int, int] | None: ...
    def depth(self, side: str, n: int) -> list[tuple[int, int, int]]: ...
    def orders_at(self, side: str, price: int) -> list[int]: ...
    def order(self, id: int) -> tuple[int, int, int, int, int, bool, int, int] | None: ...
    def queue_position(self, id: int) -> tuple[int, int]: ...
    def is_crossed(self) -> bool: ...
    def __len__(self) -> int: ...
    @property
    def last_seq(self) -> int: ...
    @property
    def stp(self) -> str: ...

def vsim_signals(
    n_rows: int,
    prices: _Prices,
    entries: npt.NDArray[np.bool_],
    exits: npt.NDArray[np.bool_],
    short_entries: npt.NDArray[np.bool_] | None,
    short_exits: npt.NDArray[np.bool_] | None,
    params: _Params,
    size_type: str,
    price: str,
    group_lens: list[int],
    init_cash: _F64,
    record_all: bool = False,
) -> dict[str, Any]: ...
def vsim_target(
    n_rows: int,
    prices: _Prices,
    target: _F64,
    params: _Params,
    size_type: str,
    price: str,
    group_lens: list[int],
    init_cash: _F64,
    record_all: bool = False,
) -> dict[str, Any]: ...
def vsim_orders(
    n_rows: int,
    prices: _Prices,
    size: _F64,
    params: _Params,
    size_type: str,
    price: str,
    group_lens: list[int],
    init_cash: _F64,
    record_all: bool = False,
) -> dict[str, Any]: ...

# --- factors.rs ------------------------------------------------------------

def factor_fields(expressions: list[str]) -> list[tuple[str, int, int]]: ...
def factor_plan_size(expressions: list[str], fields: list[str]) -> tuple[int, int]: ...
def factor_operators() -> list[str]: ...
def factor_compute(
    expressions: list[str],
    field_names: list[str],
    fields: list[npt.NDArray[np.float64]],
    offsets: npt.NDArray[np.int64],
    time_pos: npt.NDArray[np.int64],
    n_times: int,
    dedup: bool = True,
) -> list[npt.NDArray[np.float64]]: ...

# --- risk.rs ---------------------------------------------------------------

def risk_quantile(values: npt.NDArray[np.float64], p: float, interpolation: str) -> float: ...
def risk_horizon_series(
    daily: npt.NDArray[np.float64], horizon: int, scaling: str, compound: bool
) -> npt.NDArray[np.float64]: ...
def risk_historical_var(
    daily: npt.NDArray[np.float64],
    confidence: float,
    horizon: int,
    scaling: str,
    compound: bool,
    interpolation: str,
) -> tuple[float, float]: ...
def risk_portfolio_moments(
    exposures: npt.NDArray[np.float64],
    mean: npt.NDArray[np.float64],
    covariance: npt.NDArray[np.float64],
) -> tuple[float, float]: ...
def risk_parametric_var(
    mu: float, sigma: float, confidence: float, horizon: int
) -> tuple[float, float]: ...
def risk_simulate_pnl(
    exposures: npt.NDArray[np.float64],
    mean: npt.NDArray[np.float64],
    covariance: npt.NDArray[np.float64],
    horizon: int,
    simulations: int,
    seed: int,
    revaluation: str,
) -> npt.NDArray[np.float64]: ...
def risk_monte_carlo_var(
    exposures: npt.NDArray[np.float64],
    mean: npt.NDArray[np.float64],
    covariance: npt.NDArray[np.float64],
    confidence: float,
    horizon: int,
    simulations: int,
    seed: int,
    revaluation: str,
    interpolation: str,
) -> tuple[float, float]: ...
def risk_covariance(columns: list[npt.NDArray[np.float64]]) -> npt.NDArray[np.float64]: ...
def risk_beta(returns: npt.NDArray[np.float64], benchmark: npt.NDArray[np.float64]) -> float: ...
def risk_correlation(
    returns: npt.NDArray[np.float64], benchmark: npt.NDArray[np.float64]
) -> float: ...

# ---- backtest (crates/ferrox-python/src/backtest.rs, strategies.rs) ----

class Bar:
    @property
    def instrument(self) -> int: ...
    @property
    def open(self) -> float: ...
    @property
    def high(self) -> float: ...
    @property
    def low(self) -> float: ...
    @property
    def close(self) -> float: ...
    @property
    def volume(self) -> float: ...
    @property
    def close_raw(self) -> int: ...
    @property
    def ts_open(self) -> int: ...
    @property
    def ts_event(self) -> int: ...

class Trade:
    @property
    def instrument(self) -> int: ...
    @property
    def price(self) -> float: ...
    @property
    def size(self) -> float: ...
    @property
    def price_raw(self) -> int: ...
    @property
    def size_raw(self) -> int: ...
    @property
    def aggressor_side(self) -> int: ...
    @property
    def ts_init(self) -> int: ...

class Quote:
    @property
    def instrument(self) -> int: ...
    @property
    def bid_price(self) -> float: ...
    @property
    def ask_price(self) -> float: ...
    @property
    def bid_size(self) -> float: ...
    @property
    def ask_size(self) -> float: ...
    @property
    def ts_init(self) -> int: ...

class OrderEvent:
    order_id: int
    event: str
    code: str
    message: str
    ts: int

class Fill:
    order_id: int
    instrument: int
    side: str
    price: float
    quantity: float
    price_raw: int
    quantity_raw: int
    liquidity: str
    ts: int

class EngineContext:
    def now(self) -> int: ...
    def submit(
        self,
        instrument: int,
        side: str,
        quantity: int,
        order_type: str = "MARKET",
        price: int | None = None,
        trigger_price: int | None = None,
        time_in_force: str = "GTC",
        expire_ts: int | None = None,
        post_only: bool = False,
        reduce_only: bool = False,
        trailing_offset: int | None = None,
        trailing_offset_type: str = "PRICE",
        limit_offset: int | None = None,
    ) -> int: ...
    def submit_oco(self, specs: list[dict[str, Any]]) -> list[int]: ...
    def submit_oto(
        self, parent: dict[str, Any], children: list[dict[str, Any]]
    ) -> tuple[int, list[int]]: ...
    def submit_bracket(
        self,
        entry: dict[str, Any],
        take_profit: int,
        stop_loss: int,
        stop_limit: int | None = None,
    ) -> tuple[int, int, int]: ...
    def start_twap(
        self,
        instrument: int,
        side: str,
        quantity: int,
        end: int,
        slices: int | None = None,
        interval: int | None = None,
        lot_size: int = 1,
        limit_offset: int | None = None,
        time_in_force: str = "GTC",
        reduce_only: bool = False,
    ) -> int: ...
    def cancel_twap(self, twap_id: int) -> None: ...
    def twap_state(self, twap_id: int) -> tuple[int, int, bool, list[int]]: ...
    def cancel(self, order_id: int) -> None: ...
    def cancel_all(self, instrument: int | None = None) -> None: ...
    def kill_switch(self, scope: str, who: str, why: str) -> int: ...
    def risk_state(self, scope: str) -> str: ...
    def modify(
        self,
        order_id: int,
        quantity: int | None = None,
        price: int | None = None,
        trigger_price: int | None = None,
    ) -> None: ...
    def order_status(self, order_id: int) -> str: ...
    def order_fill_state(self, order_id: int) -> tuple[int, int, float | None]: ...
    def open_orders(self, instrument: int | None = None) -> list[int]: ...
    def best_bid(self, instrument: int) -> tuple[int, int] | None: ...
    def best_ask(self, instrument: int) -> tuple[int, int] | None: ...
    def microprice(self, instrument: int) -> float | None: ...
    def mid(self, instrument: int) -> float | None: ...
    def net_quantity(self, instrument: int) -> int: ...
    def equity(self) -> float: ...
    def cash(self) -> float: ...
    def pnl(self, instrument: int) -> tuple[float, float]: ...
    def add_indicator(
        self, instrument: int, name: str, params: list[float], inputs: list[str] | None = None
    ) -> int: ...
    def indicator_value(self, handle: int, output: int = 0) -> float: ...
    def indicator_ready(self, handle: int) -> bool: ...
    def add_bar_builder(self, instrument: int, spec: str) -> None: ...
    def set_timer(self, at: int) -> int: ...

class BacktestEngine:
    def __init__(
        self,
        price_precisions: list[int],
        size_precisions: list[int],
        quote_currencies: list[str],
        base_currencies: list[str | None],
        maker_fees: list[str],
        taker_fees: list[str],
        *,
        base_currency: str,
        starting_balances: list[tuple[str, str]],
        account_type: str = "margin",
        oms: str = "netting",
        leverage: str = "1",
        queue_model: str = "conservative",
        queue_power: float = 2.0,
        feed_latency: tuple[str, int, float] = ("constant", 0, 0.0),
        order_entry_latency: tuple[str, int, float] = ("constant", 0, 0.0),
        ack_latency: tuple[str, int, float] = ("constant", 0, 0.0),
        seed: int = 0,
        equity_interval: int = 0,
        risk: list[tuple[str, str, str]] | None = None,
    ) -> None: ...
    def add_trades(
        self,
        instrument: int,
        ts_init: Int64Array,
        ts_event: Int64Array,
        price: Int64Array,
        size: Int64Array,
        aggressor_side: UInt8Array,
        trade_id: UInt64Array,
    ) -> None: ...
    def add_quotes(
        self,
        instrument: int,
        ts_init: Int64Array,
        ts_event: Int64Array,
        bid_price: Int64Array,
        ask_price: Int64Array,
        bid_size: Int64Array,
        ask_size: Int64Array,
    ) -> None: ...
    def add_deltas(
        self,
        instrument: int,
        ts_init: Int64Array,
        ts_event: Int64Array,
        action: UInt8Array,
        side: UInt8Array,
        price: Int64Array,
        size: Int64Array,
        flags: UInt8Array,
        sequence: UInt64Array,
    ) -> None: ...
    def add_bars(
        self,
        instrument: int,
        ts_open: Int64Array,
        ts_init: Int64Array,
        open: Int64Array,
        high: Int64Array,
        low: Int64Array,
        close: Int64Array,
        volume: Int64Array,
    ) -> None: ...
    def record_count(self) -> int: ...
    def time_range(self) -> tuple[int, int] | None: ...
    def run(
        self,
        strategy: object,
        progress: Callable[[int], object] | None = None,
        every: int = 100_000,
    ) -> None: ...
    def order_events(self) -> dict[str, Any]: ...
    def fills(self) -> dict[str, Any]: ...
    def equity(self) -> dict[str, Any]: ...
    def positions(self) -> dict[str, Any]: ...
    def balances(self) -> list[tuple[str, str]]: ...
    def records_processed(self) -> int: ...
    def risk_audit(self) -> dict[str, Any]: ...

def bench_pretrade_check(iterations: int = 1_000_000, open_orders: int = 10) -> float: ...

class RustStrategy:
    name: str
    def __init__(self, name: str, **params: int) -> None: ...
    @staticmethod
    def available() -> list[dict[str, Any]]: ...
    @property
    def params(self) -> dict[str, int]: ...
