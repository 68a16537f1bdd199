//! Bindings for the event-driven engine: `BacktestEngine` (data in as numpy
//! columns, results out as numpy columns), the strategy context handed to
//! Python strategies, and the event objects their callbacks receive.
//!
//! A Python strategy runs in the Rust loop through [`PyStrategyAdapter`]:
//! only the callbacks the strategy class overrides are called, so a bar
//! strategy never pays for book deltas crossing into Python. Built-in Rust
//! strategies run with the GIL released.

use std::cell::Cell;

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::exceptions::PyRuntimeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyDictMethods};

use ferrox_engine::engine::{
    BarInput, DataFeed, Engine, EngineConfig, EngineCore, FillReport, InstrumentInfo, LatencyModel,
    RunError, Strategy, StrategyError, StrategyResult, Stream, Subscriptions,
};
use ferrox_engine::matching::{ExchangeConfig, MatchingEngine, QueueModel, SimulatedExchange};
use ferrox_engine::orders::{
    Bracket, OrderEvent, OrderEventKind, OrderRequest, OrderSide, OrderType, SliceStyle,
    TimeInForce, TrailingOffsetType, TwapParams, TwapSchedule,
};
use ferrox_engine::portfolio::{
    AccountType, CurrencyTable, FeeModel, InstrumentSpec, Leverage, OmsType, Portfolio,
    PortfolioConfig,
};
use ferrox_engine::types::{
    AggressorSide, Bar, BookAction, BookDelta, BookSide, QuoteTick, TradeTick,
};

use crate::errors::{config_error, data_error};
use crate::strategies::builtin_strategy;
use ferrox_engine::portfolio::format_money;

// ---- event objects -------------------------------------------------------

/// A closed bar as a Python strategy sees it (prices as floats; `*_raw` exact).
#[pyclass(frozen, name = "Bar", module = "ferrox._core")]
pub struct PyBar {
    bar: Bar,
    scale: f64,
    vscale: f64,
}

#[pymethods]
impl PyBar {
    /// Instrument index in the engine's table.
    #[getter]
    fn instrument(&self) -> u32 {
        self.bar.instrument
    }
    /// Open price.
    #[getter]
    fn open(&self) -> f64 {
        self.bar.open as f64 / self.scale
    }
    /// High price.
    #[getter]
    fn high(&self) -> f64 {
        self.bar.high as f64 / self.scale
    }
    /// Low price.
    #[getter]
    fn low(&self) -> f64 {
        self.bar.low as f64 / self.scale
    }
    /// Close price.
    #[getter]
    fn close(&self) -> f64 {
        self.bar.close as f64 / self.scale
    }
    /// Volume.
    #[getter]
    fn volume(&self) -> f64 {
        self.bar.volume as f64 / self.vscale
    }
    /// Close price, raw at the instrument's price precision (exact).
    #[getter]
    fn close_raw(&self) -> i64 {
        self.bar.close
    }
    /// Time the bar opened (ns).
    #[getter]
    fn ts_open(&self) -> i64 {
        self.bar.ts_open
    }
    /// Time the bar closed (ns).
    #[getter]
    fn ts_event(&self) -> i64 {
        self.bar.ts_event
    }
    fn __repr__(&self) -> String {
        format!(
            "Bar(instrument={}, ts_event={}, open={}, high={}, low={}, close={}, volume={})",
            self.bar.instrument,
            self.bar.ts_event,
            self.open(),
            self.high(),
            self.low(),
            self.close(),
            self.volume()
        )
    }
}

/// A trade print as a Python strategy sees it.
#[pyclass(frozen, name = "Trade", module = "ferrox._core")]
pub struct PyTrade {
    trade: TradeTick,
    scale: f64,
    vscale: f64,
}

#[pymethods]
impl PyTrade {
    /// Instrument index.
    #[getter]
    fn instrument(&self) -> u32 {
        self.trade.instrument
    }
    /// Price.
    #[getter]
    fn price(&self) -> f64 {
        self.trade.price as f64 / self.scale
    }
    /// Size.
    #[getter]
    fn size(&self) -> f64 {
        self.trade.size as f64 / self.vscale
    }
    /// Price, raw (exact).
    #[getter]
    fn price_raw(&self) -> i64 {
        self.trade.price
    }
    /// Size, raw (exact).
    #[getter]
    fn size_raw(&self) -> i64 {
        self.trade.size
    }
    /// 0 unknown, 1 buyer, 2 seller.
    #[getter]
    fn aggressor_side(&self) -> u8 {
        self.trade.aggressor_side as u8
    }
    /// Receive time (ns).
    #[getter]
    fn ts_init(&self) -> i64 {
        self.trade.ts_init
    }
}

/// A quote as a Python strategy sees it.
#[pyclass(frozen, name = "Quote", module = "ferrox._core")]
pub struct PyQuote {
    quote: QuoteTick,
    scale: f64,
    vscale: f64,
}

#[pymethods]
impl PyQuote {
    /// Instrument index.
    #[getter]
    fn instrument(&self) -> u32 {
        self.quote.instrument
    }
    /// Best bid.
    #[getter]
    fn bid_price(&self) -> f64 {
        self.quote.bid_price as f64 / self.scale
    }
    /// Best ask.
    #[getter]
    fn ask_price(&self) -> f64 {
        self.quote.ask_price as f64 / self.scale
    }
    /// Size at the best bid.
    #[getter]
    fn bid_size(&self) -> f64 {
        self.quote.bid_size as f64 / self.vscale
    }
    /// Size at the best ask.
    #[getter]
    fn ask_size(&self) -> f64 {
        self.quote.ask_size as f64 / self.vscale
    }
    /// Receive time (ns).
    #[getter]
    fn ts_init(&self) -> i64 {
        self.quote.ts_init
    }
}

/// An order event as a Python strategy sees it.
#[pyclass(frozen, name = "OrderEvent", module = "ferrox._core")]
pub struct PyOrderEvent {
    /// Client order id.
    #[pyo3(get)]
    order_id: u64,
    /// `ACCEPTED`, `FILLED`, `DENIED`, ...
    #[pyo3(get)]
    event: &'static str,
    /// Reason code of a denial / rejection, else "".
    #[pyo3(get)]
    code: &'static str,
    /// Message of a denial / rejection, else "".
    #[pyo3(get)]
    message: String,
    /// When (ns).
    #[pyo3(get)]
    ts: i64,
}

#[pymethods]
impl PyOrderEvent {
    fn __repr__(&self) -> String {
        format!(
            "OrderEvent(order_id={}, event={:?}, code={:?}, message={:?}, ts={})",
            self.order_id, self.event, self.code, self.message, self.ts
        )
    }
}

/// A fill as a Python strategy sees it.
#[pyclass(frozen, name = "Fill", module = "ferrox._core")]
pub struct PyFill {
    /// Client order id.
    #[pyo3(get)]
    order_id: u64,
    /// Instrument index.
    #[pyo3(get)]
    instrument: u32,
    /// `BUY` / `SELL`.
    #[pyo3(get)]
    side: &'static str,
    /// Price.
    #[pyo3(get)]
    price: f64,
    /// Quantity.
    #[pyo3(get)]
    quantity: f64,
    /// Price raw (exact).
    #[pyo3(get)]
    price_raw: i64,
    /// Quantity raw (exact).
    #[pyo3(get)]
    quantity_raw: i64,
    /// `MAKER` / `TAKER`.
    #[pyo3(get)]
    liquidity: &'static str,
    /// When (ns).
    #[pyo3(get)]
    ts: i64,
}

// ---- the context ---------------------------------------------------------

/// The engine as a Python strategy reaches it during a callback.
///
/// Valid only while a callback runs (the engine lends itself for the call);
/// any use outside one raises `RuntimeError`.
#[pyclass(unsendable, name = "EngineContext", module = "ferrox._core")]
pub struct PyContext {
    core: Cell<*mut EngineCore>,
}

impl PyContext {
    #[allow(clippy::mut_from_ref)]
    fn core(&self) -> PyResult<&mut EngineCore> {
        let ptr = self.core.get();
        if ptr.is_null() {
            return Err(PyRuntimeError::new_err(
                "the engine context is only usable inside a strategy callback",
            ));
        }
        // SAFETY: the pointer is set by `PyStrategyAdapter::call` from the
        // `&mut EngineCore` the loop lends for exactly this callback, and reset
        // to null before the loop uses that borrow again. The class is
        // `unsendable` and the GIL is held, so no other thread can reach it.
        Ok(unsafe { &mut *ptr })
    }
}

fn side_of(side: &str) -> PyResult<OrderSide> {
    match side {
        "BUY" | "buy" => Ok(OrderSide::Buy),
        "SELL" | "sell" => Ok(OrderSide::Sell),
        other => Err(config_error(format!(
            "side: expected BUY or SELL, got {other:?}"
        ))),
    }
}

fn order_type_of(name: &str) -> PyResult<OrderType> {
    Ok(match name.to_ascii_uppercase().as_str() {
        "MARKET" => OrderType::Market,
        "LIMIT" => OrderType::Limit,
        "STOP_MARKET" => OrderType::StopMarket,
        "STOP_LIMIT" => OrderType::StopLimit,
        "MARKET_IF_TOUCHED" => OrderType::MarketIfTouched,
        "LIMIT_IF_TOUCHED" => OrderType::LimitIfTouched,
        "TRAILING_STOP_MARKET" => OrderType::TrailingStopMarket,
        "TRAILING_STOP_LIMIT" => OrderType::TrailingStopLimit,
        other => return Err(config_error(format!("order_type: unknown {other:?}"))),
    })
}

fn tif_of(name: &str) -> PyResult<TimeInForce> {
    Ok(match name.to_ascii_uppercase().as_str() {
        "GTC" => TimeInForce::Gtc,
        "IOC" => TimeInForce::Ioc,
        "FOK" => TimeInForce::Fok,
        "GTD" => TimeInForce::Gtd,
        "DAY" => TimeInForce::Day,
        other => return Err(config_error(format!("time_in_force: unknown {other:?}"))),
    })
}

fn trailing_type_of(name: &str) -> PyResult<TrailingOffsetType> {
    match name {
        "PRICE" | "price" => Ok(TrailingOffsetType::Price),
        "BASIS_POINTS" | "bps" | "basis_points" => Ok(TrailingOffsetType::BasisPoints),
        other => Err(config_error(format!(
            "trailing_offset_type: expected PRICE or BASIS_POINTS, got {other:?}"
        ))),
    }
}

/// An order request from a spec dict of raw values (the keys of
/// `EngineContext.submit`'s arguments; missing keys take its defaults).
fn request_of(spec: &Bound<'_, PyDict>) -> PyResult<OrderRequest> {
    let item = |key: &str| -> PyResult<Option<Bound<'_, PyAny>>> {
        Ok(spec.get_item(key)?.filter(|v| !v.is_none()))
    };
    let bad = |key: &str, e: PyErr| config_error(format!("order spec {key}: {e}"));
    let text = |key: &str, default: &str| -> PyResult<String> {
        match item(key)? {
            Some(v) => v.extract::<String>().map_err(|e| bad(key, e)),
            None => Ok(default.to_string()),
        }
    };
    let int = |key: &str| -> PyResult<Option<i64>> {
        item(key)?
            .map(|v| v.extract::<i64>().map_err(|e| bad(key, e)))
            .transpose()
    };
    let flag = |key: &str| -> PyResult<bool> {
        Ok(item(key)?
            .map(|v| v.extract::<bool>().map_err(|e| bad(key, e)))
            .transpose()?
            .unwrap_or(false))
    };
    let required = |key: &str| -> PyResult<i64> {
        int(key)?.ok_or_else(|| config_error(format!("order spec: {key} is required")))
    };
    let instrument = u32::try_from(required("instrument")?)
        .map_err(|_| config_error("order spec instrument: not an instrument index"))?;
    Ok(OrderRequest {
        instrument,
        strategy: 0,
        side: side_of(&text("side", "")?)?,
        order_type: order_type_of(&text("order_type", "MARKET")?)?,
        quantity: required("quantity")?,
        price: int("price")?,
        trigger_price: int("trigger_price")?,
        trailing_offset: int("trailing_offset")?,
        trailing_offset_type: trailing_type_of(&text("trailing_offset_type", "PRICE")?)?,
        limit_offset: int("limit_offset")?,
        time_in_force: tif_of(&text("time_in_force", "GTC")?)?,
        expire_ts: int("expire_ts")?,
        post_only: flag("post_only")?,
        reduce_only: flag("reduce_only")?,
    })
}

#[pymethods]
impl PyContext {
    /// Engine time (ns).
    fn now(&self) -> PyResult<i64> {
        Ok(self.core()?.now())
    }

    /// Sends an order (raw price/quantity at the instrument's precisions);
    /// returns its client order id. Denials arrive as order events.
    #[pyo3(signature = (instrument, side, quantity, order_type="MARKET", price=None, trigger_price=None, time_in_force="GTC", expire_ts=None, post_only=false, reduce_only=false, trailing_offset=None, trailing_offset_type="PRICE", limit_offset=None))]
    #[allow(clippy::too_many_arguments)]
    fn submit(
        &self,
        instrument: u32,
        side: &str,
        quantity: i64,
        order_type: &str,
        price: Option<i64>,
        trigger_price: Option<i64>,
        time_in_force: &str,
        expire_ts: Option<i64>,
        post_only: bool,
        reduce_only: bool,
        trailing_offset: Option<i64>,
        trailing_offset_type: &str,
        limit_offset: Option<i64>,
    ) -> PyResult<u64> {
        let request = OrderRequest {
            instrument,
            strategy: 0,
            side: side_of(side)?,
            order_type: order_type_of(order_type)?,
            quantity,
            price,
            trigger_price,
            trailing_offset,
            trailing_offset_type: trailing_type_of(trailing_offset_type)?,
            limit_offset,
            time_in_force: tif_of(time_in_force)?,
            expire_ts,
            post_only,
            reduce_only,
        };
        Ok(self.core()?.submit(request))
    }

    /// Sends an OCO group (spec dicts of raw values, see `submit`): a fill of
    /// one lowers the others, one done cancels the others. Returns the ids.
    fn submit_oco(&self, specs: Vec<Bound<'_, PyDict>>) -> PyResult<Vec<u64>> {
        let requests = specs.iter().map(request_of).collect::<PyResult<Vec<_>>>()?;
        self.core()?
            .submit_oco(&requests)
            .map_err(|e| config_error(e.to_string()))
    }

    /// Sends `parent`; the `children` are held until it fills, then released
    /// for what filled. Returns `(parent_id, child_ids)`.
    fn submit_oto(
        &self,
        parent: Bound<'_, PyDict>,
        children: Vec<Bound<'_, PyDict>>,
    ) -> PyResult<(u64, Vec<u64>)> {
        let parent = request_of(&parent)?;
        let children = children
            .iter()
            .map(request_of)
            .collect::<PyResult<Vec<_>>>()?;
        self.core()?
            .submit_oto(parent, &children)
            .map_err(|e| config_error(e.to_string()))
    }

    /// Sends a bracket: `entry` (spec dict), then a take-profit limit at
    /// `take_profit` and a stop-loss triggered at `stop_loss` (a stop-limit
    /// at `stop_limit` if given), raw prices. Returns `(entry, tp, sl)` ids.
    #[pyo3(signature = (entry, take_profit, stop_loss, stop_limit=None))]
    fn submit_bracket(
        &self,
        entry: Bound<'_, PyDict>,
        take_profit: i64,
        stop_loss: i64,
        stop_limit: Option<i64>,
    ) -> PyResult<(u64, u64, u64)> {
        let entry = request_of(&entry)?;
        let mut bracket =
            Bracket::new(entry, take_profit, stop_loss).map_err(|e| config_error(e.to_string()))?;
        if let Some(limit) = stop_limit {
            bracket = bracket.with_stop_limit(limit);
        }
        self.core()?
            .submit_bracket(bracket)
            .map_err(|e| config_error(e.to_string()))
    }

    /// Starts a TWAP from now to `end` (ns) in `slices` slices or one every
    /// `interval` ns; market children, or limit children `limit_offset` raw
    /// ticks through the far touch. Returns the TWAP id.
    #[pyo3(signature = (instrument, side, quantity, end, slices=None, interval=None, lot_size=1, limit_offset=None, time_in_force="GTC", reduce_only=false))]
    #[allow(clippy::too_many_arguments)]
    fn start_twap(
        &self,
        instrument: u32,
        side: &str,
        quantity: i64,
        end: i64,
        slices: Option<u32>,
        interval: Option<i64>,
        lot_size: i64,
        limit_offset: Option<i64>,
        time_in_force: &str,
        reduce_only: bool,
    ) -> PyResult<u64> {
        let schedule = match (slices, interval) {
            (Some(n), None) => TwapSchedule::Slices(n),
            (None, Some(iv)) => TwapSchedule::Interval(iv),
            _ => {
                return Err(config_error(
                    "twap: give exactly one of slices and interval",
                ))
            }
        };
        let style = match limit_offset {
            None => SliceStyle::Market,
            Some(offset) => SliceStyle::Limit {
                offset,
                time_in_force: tif_of(time_in_force)?,
            },
        };
        let core = self.core()?;
        let params = TwapParams {
            instrument,
            strategy: 0,
            side: side_of(side)?,
            quantity,
            start: core.now(),
            end,
            schedule,
            lot_size,
            style,
            reduce_only,
        };
        core.start_twap(params)
            .map_err(|e| config_error(e.to_string()))
    }

    /// Stops a TWAP and cancels its working children.
    fn cancel_twap(&self, twap_id: u64) -> PyResult<()> {
        self.core()?
            .cancel_twap(twap_id)
            .map_err(|e| config_error(e.to_string()))
    }

    /// `(filled_raw, remaining_raw, done, child_ids)` of a TWAP.
    fn twap_state(&self, twap_id: u64) -> PyResult<(i64, i64, bool, Vec<u64>)> {
        let core = self.core()?;
        let twap = core
            .twap(twap_id)
            .ok_or_else(|| config_error(format!("unknown TWAP id {twap_id}")))?;
        let children = core.twap_children(twap_id).unwrap_or_default().to_vec();
        Ok((twap.filled(), twap.remaining(), twap.is_done(), children))
    }

    /// Asks the venue to cancel an order.
    fn cancel(&self, order_id: u64) -> PyResult<()> {
        self.core()?
            .cancel(order_id)
            .map_err(|e| config_error(e.to_string()))
    }

    /// Cancels every open order (of one instrument, or all).
    #[pyo3(signature = (instrument=None))]
    fn cancel_all(&self, instrument: Option<u32>) -> PyResult<()> {
        self.core()?.cancel_all(instrument);
        Ok(())
    }

    /// Kill switch: cancels every working order of `scope` (`all`,
    /// `account`, `strategy:N`, `instrument:N`) and halts it, recorded with
    /// who and why. Returns the number of orders cancelled.
    fn kill_switch(&self, scope: &str, who: &str, why: &str) -> PyResult<u32> {
        let scope = crate::risk_pretrade::parse_scope(scope)?;
        Ok(self.core()?.kill_switch(scope, who, why))
    }

    /// Trading state of a risk scope: `ACTIVE`, `REDUCING` or `HALTED`.
    fn risk_state(&self, scope: &str) -> PyResult<&'static str> {
        let scope = crate::risk_pretrade::parse_scope(scope)?;
        Ok(self.core()?.risk().state(scope).as_str())
    }

    /// Asks the venue to change an order (raw values; None keeps a field).
    #[pyo3(signature = (order_id, quantity=None, price=None, trigger_price=None))]
    fn modify(
        &self,
        order_id: u64,
        quantity: Option<i64>,
        price: Option<i64>,
        trigger_price: Option<i64>,
    ) -> PyResult<()> {
        self.core()?
            .modify(order_id, quantity, price, trigger_price)
            .map_err(|e| config_error(e.to_string()))
    }

    /// Status name of an order.
    fn order_status(&self, order_id: u64) -> PyResult<&'static str> {
        let core = self.core()?;
        let order = core
            .order(order_id)
            .ok_or_else(|| config_error(format!("unknown order id {order_id}")))?;
        Ok(order.status.as_str())
    }

    /// `(filled_raw, leaves_raw, avg_px)` of an order.
    fn order_fill_state(&self, order_id: u64) -> PyResult<(i64, i64, Option<f64>)> {
        let core = self.core()?;
        let o = core
            .order(order_id)
            .ok_or_else(|| config_error(format!("unknown order id {order_id}")))?;
        Ok((o.filled_qty, o.leaves_qty(), o.avg_px()))
    }

    /// Ids of the open orders (of one instrument, or all), in id order.
    #[pyo3(signature = (instrument=None))]
    fn open_orders(&self, instrument: Option<u32>) -> PyResult<Vec<u64>> {
        Ok(self
            .core()?
            .open_orders()
            .filter(|o| instrument.is_none_or(|i| o.request.instrument == i))
            .map(|o| o.id)
            .collect())
    }

    /// Best bid `(price_raw, size_raw)` of an instrument's book.
    fn best_bid(&self, instrument: u32) -> PyResult<Option<(i64, i64)>> {
        Ok(self
            .core()?
            .book(instrument)
            .and_then(|b| b.best_bid())
            .map(|l| (l.price, l.size)))
    }

    /// Best ask `(price_raw, size_raw)`.
    fn best_ask(&self, instrument: u32) -> PyResult<Option<(i64, i64)>> {
        Ok(self
            .core()?
            .book(instrument)
            .and_then(|b| b.best_ask())
            .map(|l| (l.price, l.size)))
    }

    /// Microprice (raw units, float).
    fn microprice(&self, instrument: u32) -> PyResult<Option<f64>> {
        Ok(self.core()?.book(instrument).and_then(|b| b.microprice()))
    }

    /// Mid price (raw units, float).
    fn mid(&self, instrument: u32) -> PyResult<Option<f64>> {
        Ok(self.core()?.book(instrument).and_then(|b| b.mid()))
    }

    /// Net position of an instrument, raw.
    fn net_quantity(&self, instrument: u32) -> PyResult<i64> {
        Ok(self.core()?.portfolio().net_quantity(instrument))
    }

    /// Account value in the base currency.
    fn equity(&self) -> PyResult<f64> {
        Ok(self.core()?.portfolio().equity_base())
    }

    /// Base-currency cash balance.
    fn cash(&self) -> PyResult<f64> {
        Ok(ferrox_engine::engine::core::cash_base(
            self.core()?.portfolio(),
        ))
    }

    /// `(realized_pnl, unrealized_pnl)` of an instrument's position, quote currency.
    fn pnl(&self, instrument: u32) -> PyResult<(f64, f64)> {
        let r = position_floats(self.core()?.portfolio(), instrument)?;
        Ok((r.realized, r.unrealized))
    }

    /// Adds an indicator updated on every bar of `instrument`; returns its handle.
    #[pyo3(signature = (instrument, name, params, inputs=None))]
    fn add_indicator(
        &self,
        instrument: u32,
        name: &str,
        params: Vec<f64>,
        inputs: Option<Vec<String>>,
    ) -> PyResult<usize> {
        let inputs = match inputs {
            None => None,
            Some(v) => Some(
                v.iter()
                    .map(|s| match s.as_str() {
                        "open" => Ok(BarInput::Open),
                        "high" => Ok(BarInput::High),
                        "low" => Ok(BarInput::Low),
                        "close" => Ok(BarInput::Close),
                        "volume" => Ok(BarInput::Volume),
                        other => Err(config_error(format!(
                            "inputs: {other:?} is not open/high/low/close/volume"
                        ))),
                    })
                    .collect::<PyResult<Vec<_>>>()?,
            ),
        };
        self.core()?
            .add_indicator(instrument, name, &params, inputs)
            .map_err(|e| config_error(e.to_string()))
    }

    /// Current value of an indicator's output (NaN during warm-up).
    #[pyo3(signature = (handle, output=0))]
    fn indicator_value(&self, handle: usize, output: usize) -> PyResult<f64> {
        let core = self.core()?;
        core.indicator_values(handle)
            .and_then(|v| v.get(output).copied())
            .ok_or_else(|| config_error(format!("no indicator output {handle}/{output}")))
    }

    /// Whether an indicator is past its warm-up.
    fn indicator_ready(&self, handle: usize) -> PyResult<bool> {
        Ok(self.core()?.indicator_ready(handle))
    }

    /// Builds bars of `spec` from an instrument's trades.
    fn add_bar_builder(&self, instrument: u32, spec: &str) -> PyResult<()> {
        self.core()?
            .add_bar_builder(instrument, spec)
            .map_err(|e| config_error(e.to_string()))
    }

    /// Fires `on_timer(id)` at `at` (ns); returns the timer id.
    fn set_timer(&self, at: i64) -> PyResult<u64> {
        Ok(self.core()?.set_timer(at))
    }
}

// ---- the Python strategy adapter -----------------------------------------

/// Which callbacks a Python strategy class overrides.
#[derive(Debug, Clone, Copy, Default)]
struct Overrides {
    trade: bool,
    quote: bool,
    book: bool,
    bar: bool,
    timer: bool,
    order: bool,
    fill: bool,
    position: bool,
}

/// Runs a Python `ferrox.backtest.Strategy` inside the Rust loop.
struct PyStrategyAdapter {
    strategy: Py<PyAny>,
    ctx: Py<PyContext>,
    overrides: Overrides,
    scales: Vec<(f64, f64)>,
    error: Option<PyErr>,
}

impl PyStrategyAdapter {
    fn call<'py>(
        &mut self,
        py: Python<'py>,
        core: &mut EngineCore,
        name: &'static str,
        make_args: impl FnOnce(Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyTuple>>,
    ) -> StrategyResult {
        let ctx = self.ctx.bind(py).borrow();
        ctx.core.set(core as *mut EngineCore);
        let result = make_args(py)
            .and_then(|args| self.strategy.bind(py).call_method1(name, args).map(|_| ()));
        ctx.core.set(std::ptr::null_mut());
        result.map_err(|e| {
            let message = e.to_string();
            self.error = Some(e);
            StrategyError {
                callback: name,
                message,
            }
        })
    }

    fn scale(&self, instrument: u32) -> (f64, f64) {
        self.scales
            .get(instrument as usize)
            .copied()
            .unwrap_or((1.0, 1.0))
    }
}

impl Strategy for PyStrategyAdapter {
    fn subscriptions(&self) -> Subscriptions {
        Subscriptions {
            trades: self.overrides.trade,
            quotes: self.overrides.quote,
            book: self.overrides.book,
            bars: self.overrides.bar,
        }
    }

    fn on_start(&mut self, ctx: &mut EngineCore) -> StrategyResult {
        Python::attach(|py| {
            self.call(py, ctx, "on_start", |py| {
                Ok(pyo3::types::PyTuple::empty(py))
            })
        })
    }

    fn on_stop(&mut self, ctx: &mut EngineCore) -> StrategyResult {
        Python::attach(|py| self.call(py, ctx, "on_stop", |py| Ok(pyo3::types::PyTuple::empty(py))))
    }

    fn on_trade(&mut self, ctx: &mut EngineCore, trade: &TradeTick) -> StrategyResult {
        let (scale, vscale) = self.scale(trade.instrument);
        let trade = *trade;
        Python::attach(|py| {
            self.call(py, ctx, "on_trade", |py| {
                (Py::new(
                    py,
                    PyTrade {
                        trade,
                        scale,
                        vscale,
                    },
                )?,)
                    .into_pyobject(py)
            })
        })
    }

    fn on_quote(&mut self, ctx: &mut EngineCore, quote: &QuoteTick) -> StrategyResult {
        let (scale, vscale) = self.scale(quote.instrument);
        let quote = *quote;
        Python::attach(|py| {
            self.call(py, ctx, "on_quote", |py| {
                (Py::new(
                    py,
                    PyQuote {
                        quote,
                        scale,
                        vscale,
                    },
                )?,)
                    .into_pyobject(py)
            })
        })
    }

    fn on_book(&mut self, ctx: &mut EngineCore, delta: &BookDelta) -> StrategyResult {
        let instrument = delta.instrument;
        Python::attach(|py| self.call(py, ctx, "on_book", |py| (instrument,).into_pyobject(py)))
    }

    fn on_bar(&mut self, ctx: &mut EngineCore, bar: &Bar) -> StrategyResult {
        let (scale, vscale) = self.scale(bar.instrument);
        let bar = *bar;
        Python::attach(|py| {
            self.call(py, ctx, "on_bar", |py| {
                (Py::new(py, PyBar { bar, scale, vscale })?,).into_pyobject(py)
            })
        })
    }

    fn on_timer(&mut self, ctx: &mut EngineCore, timer_id: u64) -> StrategyResult {
        if !self.overrides.timer {
            return Ok(());
        }
        Python::attach(|py| self.call(py, ctx, "on_timer", |py| (timer_id,).into_pyobject(py)))
    }

    fn on_order(&mut self, ctx: &mut EngineCore, event: &OrderEvent) -> StrategyResult {
        if !self.overrides.order {
            return Ok(());
        }
        let (code, message) = match &event.kind {
            OrderEventKind::Denied { code, message }
            | OrderEventKind::Rejected { code, message } => (*code, message.to_string()),
            OrderEventKind::CancelRejected { message }
            | OrderEventKind::ModifyRejected { message } => ("", message.to_string()),
            _ => ("", String::new()),
        };
        let ev = PyOrderEvent {
            order_id: event.order_id,
            event: event.kind.name(),
            code,
            message,
            ts: event.ts,
        };
        Python::attach(|py| {
            self.call(py, ctx, "on_order", |py| {
                (Py::new(py, ev)?,).into_pyobject(py)
            })
        })
    }

    fn on_fill(&mut self, ctx: &mut EngineCore, fill: &FillReport) -> StrategyResult {
        if !self.overrides.fill {
            return Ok(());
        }
        let (scale, vscale) = self.scale(fill.instrument);
        let f = PyFill {
            order_id: fill.order_id,
            instrument: fill.instrument,
            side: fill.side.as_str(),
            price: fill.price as f64 / scale,
            quantity: fill.quantity as f64 / vscale,
            price_raw: fill.price,
            quantity_raw: fill.quantity,
            liquidity: fill.liquidity.as_str(),
            ts: fill.ts,
        };
        Python::attach(|py| {
            self.call(py, ctx, "on_fill", |py| {
                (Py::new(py, f)?,).into_pyobject(py)
            })
        })
    }

    fn on_position(&mut self, ctx: &mut EngineCore, instrument: u32) -> StrategyResult {
        if !self.overrides.position {
            return Ok(());
        }
        Python::attach(|py| self.call(py, ctx, "on_position", |py| (instrument,).into_pyobject(py)))
    }
}

// ---- the engine ----------------------------------------------------------

fn latency_of(spec: (String, i64, f64), what: &'static str) -> PyResult<LatencyModel> {
    let (kind, a, b) = spec;
    let model = match kind.as_str() {
        "constant" => LatencyModel::Constant(a),
        "uniform" => LatencyModel::Uniform {
            low: a,
            high: b as i64,
        },
        "lognormal" => LatencyModel::LogNormal {
            median: a,
            sigma: b,
        },
        other => {
            return Err(config_error(format!(
                "{what} latency: unknown model {other:?} (constant, uniform, lognormal)"
            )))
        }
    };
    model
        .validate(what)
        .map_err(|e| config_error(e.to_string()))?;
    Ok(model)
}

/// An event-driven backtest: instruments, venues and account set up at
/// construction; data added as numpy columns; `run` with a strategy.
#[pyclass(unsendable, name = "BacktestEngine", module = "ferrox._core")]
pub struct PyBacktestEngine {
    config: EngineConfig,
    infos: Vec<InstrumentInfo>,
    exchange_config: ExchangeConfig,
    fees: Vec<FeeModel>,
    portfolio: Option<Portfolio>,
    feed: DataFeed,
    core: Option<EngineCore>,
    risk: Option<ferrox_engine::risk::pretrade::RiskEngine>,
}

#[pymethods]
impl PyBacktestEngine {
    /// Sets up instruments (precisions, quote/base currencies), the account
    /// and the venue. Money and rates are exact decimal text.
    #[new]
    #[pyo3(signature = (price_precisions, size_precisions, quote_currencies, base_currencies, maker_fees, taker_fees, *, base_currency, starting_balances, account_type="margin", oms="netting", leverage="1", queue_model="conservative", queue_power=2.0, feed_latency=("constant".to_string(), 0, 0.0), order_entry_latency=("constant".to_string(), 0, 0.0), ack_latency=("constant".to_string(), 0, 0.0), seed=0, equity_interval=0, risk=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        price_precisions: Vec<u8>,
        size_precisions: Vec<u8>,
        quote_currencies: Vec<String>,
        base_currencies: Vec<Option<String>>,
        maker_fees: Vec<String>,
        taker_fees: Vec<String>,
        base_currency: &str,
        starting_balances: Vec<(String, String)>,
        account_type: &str,
        oms: &str,
        leverage: &str,
        queue_model: &str,
        queue_power: f64,
        feed_latency: (String, i64, f64),
        order_entry_latency: (String, i64, f64),
        ack_latency: (String, i64, f64),
        seed: u64,
        equity_interval: i64,
        risk: Option<Vec<(String, String, String)>>,
    ) -> PyResult<Self> {
        let n = price_precisions.len();
        for (name, len) in [
            ("size_precisions", size_precisions.len()),
            ("quote_currencies", quote_currencies.len()),
            ("base_currencies", base_currencies.len()),
            ("maker_fees", maker_fees.len()),
            ("taker_fees", taker_fees.len()),
        ] {
            if len != n {
                return Err(config_error(format!(
                    "{name}: {len} entries for {n} instruments"
                )));
            }
        }
        let mut currencies = CurrencyTable::new();
        let mut currency = |code: &str| -> PyResult<u16> {
            match currencies.id(code) {
                Some(id) => Ok(id),
                None => currencies
                    .add(code, 8)
                    .map_err(|e| config_error(e.to_string())),
            }
        };
        let base = currency(base_currency)?;
        let mut specs = Vec::with_capacity(n);
        let mut infos = Vec::with_capacity(n);
        let mut fees = Vec::with_capacity(n);
        for i in 0..n {
            let quote = currency(&quote_currencies[i])?;
            let base_ccy = match &base_currencies[i] {
                Some(code) => Some(currency(code)?),
                None => None,
            };
            specs.push(InstrumentSpec {
                price_precision: price_precisions[i],
                size_precision: size_precisions[i],
                multiplier: 1,
                quote_currency: quote,
                base_currency: base_ccy,
            });
            infos.push(InstrumentInfo {
                price_precision: price_precisions[i],
                size_precision: size_precisions[i],
            });
            fees.push(
                FeeModel::parse(&maker_fees[i], &taker_fees[i])
                    .map_err(|e| config_error(format!("instrument {i} fees: {e}")))?,
            );
        }
        let mut balances = Vec::new();
        for (code, amount) in &starting_balances {
            let id = currency(code)?;
            balances.push((id, amount.clone()));
        }
        let account_type = match account_type {
            "cash" => AccountType::Cash,
            "margin" => AccountType::Margin,
            other => {
                return Err(config_error(format!(
                    "account_type: expected cash or margin, got {other:?}"
                )))
            }
        };
        let oms = match oms {
            "netting" => OmsType::Netting,
            "hedging" => OmsType::Hedging,
            other => {
                return Err(config_error(format!(
                    "oms: expected netting or hedging, got {other:?}"
                )))
            }
        };
        let leverage = Leverage::parse(leverage).map_err(|e| config_error(e.to_string()))?;
        let portfolio = build_portfolio(
            account_type,
            oms,
            base,
            &balances,
            leverage,
            specs,
            currencies,
        )?;
        let queue_model = match queue_model {
            "conservative" => QueueModel::Conservative,
            "probabilistic" | "power" => QueueModel::PowerProb { n: queue_power },
            "log" => QueueModel::LogProb,
            other => {
                return Err(config_error(format!(
                    "queue_model: expected conservative or probabilistic, got {other:?}"
                )))
            }
        };
        let config = EngineConfig {
            feed_latency: latency_of(feed_latency, "feed")?,
            order_entry_latency: latency_of(order_entry_latency, "order entry")?,
            ack_latency: latency_of(ack_latency, "ack")?,
            seed,
            equity_interval,
        };
        let risk = match &risk {
            Some(settings) => Some(crate::risk_pretrade::build_risk(settings, &infos)?),
            None => None,
        };
        Ok(Self {
            risk,
            config,
            infos,
            exchange_config: ExchangeConfig {
                queue_model,
                ..ExchangeConfig::default()
            },
            fees,
            portfolio: Some(portfolio),
            feed: DataFeed::new(),
            core: None,
        })
    }

    /// Adds a trade stream (raw prices/sizes at the instrument's precisions).
    #[allow(clippy::too_many_arguments)]
    fn add_trades(
        &mut self,
        instrument: u32,
        ts_init: PyReadonlyArray1<'_, i64>,
        ts_event: PyReadonlyArray1<'_, i64>,
        price: PyReadonlyArray1<'_, i64>,
        size: PyReadonlyArray1<'_, i64>,
        aggressor_side: PyReadonlyArray1<'_, u8>,
        trade_id: PyReadonlyArray1<'_, u64>,
    ) -> PyResult<()> {
        self.check_instrument(instrument)?;
        let (a, b, c, d, e, f) = (
            ts_init.as_slice()?,
            ts_event.as_slice()?,
            price.as_slice()?,
            size.as_slice()?,
            aggressor_side.as_slice()?,
            trade_id.as_slice()?,
        );
        same_len(
            "trades",
            a.len(),
            &[b.len(), c.len(), d.len(), e.len(), f.len()],
        )?;
        let mut rows = Vec::with_capacity(a.len());
        for i in 0..a.len() {
            rows.push(TradeTick {
                instrument,
                price: c[i],
                size: d[i],
                aggressor_side: match e[i] {
                    1 => AggressorSide::Buyer,
                    2 => AggressorSide::Seller,
                    _ => AggressorSide::NoAggressor,
                },
                trade_id: f[i],
                ts_event: b[i],
                ts_init: a[i],
            });
        }
        self.feed
            .add(Stream::Trades(rows))
            .map_err(|e| data_error(e.to_string()))
    }

    /// Adds a quote stream.
    #[allow(clippy::too_many_arguments)]
    fn add_quotes(
        &mut self,
        instrument: u32,
        ts_init: PyReadonlyArray1<'_, i64>,
        ts_event: PyReadonlyArray1<'_, i64>,
        bid_price: PyReadonlyArray1<'_, i64>,
        ask_price: PyReadonlyArray1<'_, i64>,
        bid_size: PyReadonlyArray1<'_, i64>,
        ask_size: PyReadonlyArray1<'_, i64>,
    ) -> PyResult<()> {
        self.check_instrument(instrument)?;
        let (a, b, c, d, e, f) = (
            ts_init.as_slice()?,
            ts_event.as_slice()?,
            bid_price.as_slice()?,
            ask_price.as_slice()?,
            bid_size.as_slice()?,
            ask_size.as_slice()?,
        );
        same_len(
            "quotes",
            a.len(),
            &[b.len(), c.len(), d.len(), e.len(), f.len()],
        )?;
        let rows = (0..a.len())
            .map(|i| QuoteTick {
                instrument,
                bid_price: c[i],
                ask_price: d[i],
                bid_size: e[i],
                ask_size: f[i],
                update_id: 0,
                ts_event: b[i],
                ts_init: a[i],
            })
            .collect();
        self.feed
            .add(Stream::Quotes(rows))
            .map_err(|e| data_error(e.to_string()))
    }

    /// Adds a book-delta stream (actions 1 add, 2 update, 3 delete, 4 clear;
    /// sides 1 bid, 2 ask).
    #[allow(clippy::too_many_arguments)]
    fn add_deltas(
        &mut self,
        instrument: u32,
        ts_init: PyReadonlyArray1<'_, i64>,
        ts_event: PyReadonlyArray1<'_, i64>,
        action: PyReadonlyArray1<'_, u8>,
        side: PyReadonlyArray1<'_, u8>,
        price: PyReadonlyArray1<'_, i64>,
        size: PyReadonlyArray1<'_, i64>,
        flags: PyReadonlyArray1<'_, u8>,
        sequence: PyReadonlyArray1<'_, u64>,
    ) -> PyResult<()> {
        self.check_instrument(instrument)?;
        let (a, b, c, d, e, f, g, h) = (
            ts_init.as_slice()?,
            ts_event.as_slice()?,
            action.as_slice()?,
            side.as_slice()?,
            price.as_slice()?,
            size.as_slice()?,
            flags.as_slice()?,
            sequence.as_slice()?,
        );
        same_len(
            "deltas",
            a.len(),
            &[
                b.len(),
                c.len(),
                d.len(),
                e.len(),
                f.len(),
                g.len(),
                h.len(),
            ],
        )?;
        let mut rows = Vec::with_capacity(a.len());
        for i in 0..a.len() {
            let action = BookAction::from_code(c[i]).ok_or_else(|| {
                data_error(format!("deltas row {i}: action {} is not 1..=4", c[i]))
            })?;
            let side = BookSide::from_code(d[i])
                .ok_or_else(|| data_error(format!("deltas row {i}: side {} is not 0..=2", d[i])))?;
            rows.push(BookDelta {
                instrument,
                action,
                side,
                price: e[i],
                size: f[i],
                order_id: 0,
                sequence: h[i],
                first_update_id: 0,
                prev_update_id: 0,
                flags: g[i],
                ts_event: b[i],
                ts_init: a[i],
            });
        }
        self.feed
            .add(Stream::Deltas(rows))
            .map_err(|e| data_error(e.to_string()))
    }

    /// Adds a bar stream (bars are delivered at `ts_init`, their close).
    #[allow(clippy::too_many_arguments)]
    fn add_bars(
        &mut self,
        instrument: u32,
        ts_open: PyReadonlyArray1<'_, i64>,
        ts_init: PyReadonlyArray1<'_, i64>,
        open: PyReadonlyArray1<'_, i64>,
        high: PyReadonlyArray1<'_, i64>,
        low: PyReadonlyArray1<'_, i64>,
        close: PyReadonlyArray1<'_, i64>,
        volume: PyReadonlyArray1<'_, i64>,
    ) -> PyResult<()> {
        self.check_instrument(instrument)?;
        let (t0, t1, o, h, l, c, v) = (
            ts_open.as_slice()?,
            ts_init.as_slice()?,
            open.as_slice()?,
            high.as_slice()?,
            low.as_slice()?,
            close.as_slice()?,
            volume.as_slice()?,
        );
        same_len(
            "bars",
            t0.len(),
            &[t1.len(), o.len(), h.len(), l.len(), c.len(), v.len()],
        )?;
        let mut rows = Vec::with_capacity(t0.len());
        for i in 0..t0.len() {
            if !(l[i] <= o[i].min(c[i]) && h[i] >= o[i].max(c[i])) {
                return Err(data_error(format!(
                    "bars row {i}: low {} / high {} do not contain open {} and close {}",
                    l[i], h[i], o[i], c[i]
                )));
            }
            rows.push(Bar {
                instrument,
                open: o[i],
                high: h[i],
                low: l[i],
                close: c[i],
                volume: v[i],
                ts_open: t0[i],
                ts_event: t1[i],
                ts_init: t1[i],
            });
        }
        self.feed
            .add(Stream::Bars(rows))
            .map_err(|e| data_error(e.to_string()))
    }

    /// Number of records added.
    fn record_count(&self) -> usize {
        self.feed.len()
    }

    /// `(first, last)` ts_init of the data, if any.
    fn time_range(&self) -> Option<(i64, i64)> {
        self.feed.time_range()
    }

    /// Runs `strategy` (a `ferrox.backtest.Strategy` or a built-in Rust
    /// strategy spec) over the data. `progress(n)` is called every `every`
    /// records. An engine runs once.
    #[pyo3(signature = (strategy, progress=None, every=100_000))]
    fn run(
        &mut self,
        py: Python<'_>,
        strategy: &Bound<'_, PyAny>,
        progress: Option<Py<PyAny>>,
        every: u64,
    ) -> PyResult<()> {
        let portfolio = self
            .portfolio
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("this engine has already run"))?;
        let venues = (0..self.infos.len())
            .map(|i| {
                SimulatedExchange::new(i as u32, self.exchange_config)
                    .map(|v| Box::new(v) as Box<dyn MatchingEngine + Send>)
                    .map_err(|e| config_error(e.to_string()))
            })
            .collect::<PyResult<Vec<_>>>()?;
        let mut core = EngineCore::new(
            self.config.clone(),
            self.infos.clone(),
            venues,
            std::mem::take(&mut self.fees),
            portfolio,
        );
        if let Some(risk) = self.risk.take() {
            core.set_risk(risk);
        }
        let feed = std::mem::take(&mut self.feed);
        let mut callback = |n: u64| -> bool {
            match &progress {
                None => true,
                Some(p) => Python::attach(|py| p.call1(py, (n,)).is_ok()),
            }
        };
        if let Ok(spec) = strategy.extract::<PyRef<'_, crate::strategies::PyRustStrategy>>() {
            let rust = builtin_strategy(&spec)?;
            let mut engine = Engine::new(core, feed, rust);
            let result = py.detach(|| {
                let mut quiet = |_n: u64| true;
                engine.run(every, &mut quiet)
            });
            callback(engine.core.log().records);
            self.core = Some(engine.core);
            return result.map_err(run_error);
        }
        let overrides = overrides_of(strategy)?;
        let ctx = Py::new(
            py,
            PyContext {
                core: Cell::new(std::ptr::null_mut()),
            },
        )?;
        strategy.call_method1(intern!(py, "_bind"), (ctx.clone_ref(py),))?;
        let scales = self
            .infos
            .iter()
            .map(|i| {
                (
                    10f64.powi(i32::from(i.price_precision)),
                    10f64.powi(i32::from(i.size_precision)),
                )
            })
            .collect();
        let adapter = PyStrategyAdapter {
            strategy: strategy.clone().unbind(),
            ctx,
            overrides,
            scales,
            error: None,
        };
        let mut engine = Engine::new(core, feed, Box::new(adapter));
        let result = engine.run(every, &mut callback);
        let error = engine.strategy.error.take();
        self.core = Some(engine.core);
        match (result, error) {
            (Err(_), Some(e)) => Err(e),
            (Err(e), None) => Err(run_error(e)),
            (Ok(()), _) => Ok(()),
        }
    }

    /// Order events as columns.
    fn order_events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let log = self.log()?;
        let rows = &log.order_events;
        let d = PyDict::new(py);
        d.set_item("ts", PyArray1::from_iter(py, rows.iter().map(|r| r.ts)))?;
        d.set_item(
            "order_id",
            PyArray1::from_iter(py, rows.iter().map(|r| r.order_id)),
        )?;
        d.set_item(
            "instrument",
            PyArray1::from_iter(py, rows.iter().map(|r| r.instrument)),
        )?;
        d.set_item("event", rows.iter().map(|r| r.event).collect::<Vec<_>>())?;
        d.set_item("status", rows.iter().map(|r| r.status).collect::<Vec<_>>())?;
        d.set_item("code", rows.iter().map(|r| r.code).collect::<Vec<_>>())?;
        d.set_item(
            "message",
            rows.iter()
                .map(|r| r.message.to_string())
                .collect::<Vec<_>>(),
        )?;
        Ok(d)
    }

    /// Fills as columns (fees as exact decimal text in the quote currency).
    fn fills<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let core = self.core_ref()?;
        let rows = &core.log().fills;
        let d = PyDict::new(py);
        d.set_item("ts", PyArray1::from_iter(py, rows.iter().map(|r| r.ts)))?;
        d.set_item(
            "order_id",
            PyArray1::from_iter(py, rows.iter().map(|r| r.order_id)),
        )?;
        d.set_item(
            "instrument",
            PyArray1::from_iter(py, rows.iter().map(|r| r.instrument)),
        )?;
        d.set_item(
            "side",
            rows.iter().map(|r| r.side.as_str()).collect::<Vec<_>>(),
        )?;
        d.set_item(
            "price",
            PyArray1::from_iter(py, rows.iter().map(|r| r.price)),
        )?;
        d.set_item(
            "quantity",
            PyArray1::from_iter(py, rows.iter().map(|r| r.quantity)),
        )?;
        d.set_item(
            "fee",
            rows.iter()
                .map(|r| {
                    let p = core.portfolio();
                    let precision = p
                        .instruments()
                        .get(r.instrument as usize)
                        .and_then(|spec| p.money_precision(spec.quote_currency).ok())
                        .unwrap_or(8);
                    format_money(r.fee, precision)
                })
                .collect::<Vec<_>>(),
        )?;
        d.set_item(
            "liquidity",
            rows.iter()
                .map(|r| r.liquidity.as_str())
                .collect::<Vec<_>>(),
        )?;
        Ok(d)
    }

    /// The equity curve as columns.
    fn equity<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let rows = &self.log()?.equity;
        let d = PyDict::new(py);
        d.set_item("ts", PyArray1::from_iter(py, rows.iter().map(|r| r.ts)))?;
        d.set_item(
            "equity",
            PyArray1::from_iter(py, rows.iter().map(|r| r.equity)),
        )?;
        d.set_item("cash", PyArray1::from_iter(py, rows.iter().map(|r| r.cash)))?;
        d.set_item(
            "gross_exposure",
            PyArray1::from_iter(py, rows.iter().map(|r| r.gross_exposure)),
        )?;
        Ok(d)
    }

    /// Final positions per instrument: net quantity (raw), realised and
    /// unrealised PnL, fees (quote currency floats), last price (raw).
    fn positions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let core = self.core_ref()?;
        let p = core.portfolio();
        let n = core.instrument_count() as u32;
        let rows = (0..n)
            .map(|i| position_floats(p, i))
            .collect::<PyResult<Vec<_>>>()?;
        let d = PyDict::new(py);
        d.set_item("instrument", PyArray1::from_iter(py, 0..n))?;
        d.set_item(
            "quantity",
            PyArray1::from_iter(py, rows.iter().map(|r| r.quantity)),
        )?;
        d.set_item(
            "avg_price",
            PyArray1::from_iter(py, rows.iter().map(|r| r.avg_price)),
        )?;
        d.set_item(
            "realized_pnl",
            PyArray1::from_iter(py, rows.iter().map(|r| r.realized)),
        )?;
        d.set_item(
            "unrealized_pnl",
            PyArray1::from_iter(py, rows.iter().map(|r| r.unrealized)),
        )?;
        d.set_item("fees", PyArray1::from_iter(py, rows.iter().map(|r| r.fees)))?;
        d.set_item(
            "last_price",
            PyArray1::from_iter(py, rows.iter().map(|r| r.last_price)),
        )?;
        Ok(d)
    }

    /// Final balances: `{currency: exact decimal text}`.
    fn balances(&self) -> PyResult<Vec<(String, String)>> {
        let p = self.core_ref()?.portfolio();
        let mut out = Vec::new();
        for (id, c) in p.currencies().iter() {
            out.push((c.code.to_string(), format_money(p.balance(id), c.precision)));
        }
        Ok(out)
    }

    /// Number of market-data records processed.
    fn records_processed(&self) -> PyResult<u64> {
        Ok(self.log()?.records)
    }

    /// The pre-trade risk audit trail (counts, denials and state changes).
    fn risk_audit<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        crate::risk_pretrade::audit_dict(py, self.core_ref()?.risk())
    }
}

impl PyBacktestEngine {
    fn check_instrument(&self, instrument: u32) -> PyResult<()> {
        if instrument as usize >= self.infos.len() {
            return Err(config_error(format!(
                "instrument index {instrument} out of range (0..{})",
                self.infos.len()
            )));
        }
        Ok(())
    }

    fn core_ref(&self) -> PyResult<&EngineCore> {
        self.core
            .as_ref()
            .ok_or_else(|| PyRuntimeError::new_err("the engine has not run yet"))
    }

    fn log(&self) -> PyResult<&ferrox_engine::engine::RunLog> {
        Ok(self.core_ref()?.log())
    }
}

/// A position's numbers as floats (quote currency), for tables.
struct PositionFloats {
    quantity: i64,
    avg_price: f64,
    realized: f64,
    unrealized: f64,
    fees: f64,
    last_price: f64,
}

fn position_floats(p: &Portfolio, instrument: u32) -> PyResult<PositionFloats> {
    let r = p
        .position_report(instrument)
        .map_err(|e| config_error(e.to_string()))?;
    let money = 10f64.powi(i32::from(
        p.money_precision(r.quote_currency)
            .map_err(|e| config_error(e.to_string()))?,
    ));
    let pp = p
        .instruments()
        .get(instrument as usize)
        .map_or(0, |s| s.price_precision);
    let price = 10f64.powi(i32::from(pp));
    let avg = if r.net_quantity >= 0 {
        r.avg_long_price
    } else {
        r.avg_short_price
    };
    Ok(PositionFloats {
        quantity: r.net_quantity,
        avg_price: avg.map_or(f64::NAN, |a| a as f64 / price),
        realized: r.realized_pnl as f64 / money,
        unrealized: r.unrealized_pnl as f64 / money,
        fees: r.fees as f64 / money,
        last_price: r.mark_price.map_or(f64::NAN, |m| m as f64 / price),
    })
}

fn same_len(what: &str, n: usize, others: &[usize]) -> PyResult<()> {
    if let Some(bad) = others.iter().find(|&&m| m != n) {
        return Err(data_error(format!(
            "{what}: columns have different lengths ({n} and {bad})"
        )));
    }
    Ok(())
}

fn run_error(e: RunError) -> PyErr {
    PyRuntimeError::new_err(e.to_string())
}

fn overrides_of(strategy: &Bound<'_, PyAny>) -> PyResult<Overrides> {
    let py = strategy.py();
    let cls = strategy.get_type();
    let base = py.import("ferrox.backtest.strategy")?.getattr("Strategy")?;
    let differs = |name: &str| -> PyResult<bool> {
        let mine = cls.getattr(name)?;
        let theirs = base.getattr(name)?;
        Ok(!mine.is(&theirs))
    };
    Ok(Overrides {
        trade: differs("on_trade")?,
        quote: differs("on_quote")?,
        book: differs("on_book")?,
        bar: differs("on_bar")?,
        timer: differs("on_timer")?,
        order: differs("on_order")?,
        fill: differs("on_fill")?,
        position: differs("on_position")?,
    })
}

#[allow(clippy::too_many_arguments)]
fn build_portfolio(
    account_type: AccountType,
    oms: OmsType,
    base: u16,
    balances: &[(u16, String)],
    leverage: Leverage,
    specs: Vec<InstrumentSpec>,
    currencies: CurrencyTable,
) -> PyResult<Portfolio> {
    let mut starting = Vec::new();
    for (id, text) in balances {
        let precision = currencies.get(*id).map_or(8, |c| c.precision);
        let raw = ferrox_engine::types::parse_fixed(text, precision)
            .map_err(|e| config_error(format!("starting balance {text:?}: {e}")))?;
        starting.push((*id, i128::from(raw)));
    }
    let config = PortfolioConfig {
        account_type,
        oms,
        base_currency: base,
        starting_balances: starting,
        leverage,
    };
    Portfolio::new(config, specs, currencies).map_err(|e| config_error(e.to_string()))
}

/// Registers the backtest classes.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyBacktestEngine>()?;
    m.add_class::<PyContext>()?;
    m.add_class::<PyBar>()?;
    m.add_class::<PyTrade>()?;
    m.add_class::<PyQuote>()?;
    m.add_class::<PyOrderEvent>()?;
    m.add_class::<PyFill>()?;
    Ok(())
}
