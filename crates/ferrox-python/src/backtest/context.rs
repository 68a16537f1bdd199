//! The engine as a Python strategy reaches it during a callback.

use std::cell::Cell;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyDictMethods};

use ferrox_engine::engine::{BarInput, EngineCore};
use ferrox_engine::orders::{
    Bracket, OrderRequest, OrderSide, OrderType, SliceStyle, TimeInForce, TrailingOffsetType,
    TwapParams, TwapSchedule,
};

use crate::errors::config_error;

use super::engine::position_floats;

// ---- the context ---------------------------------------------------------

/// The engine as a Python strategy reaches it during a callback.
///
/// Valid only while a callback runs (the engine lends itself for the call);
/// any use outside one raises `RuntimeError`.
#[pyclass(unsendable, name = "EngineContext", module = "ferrox._core")]
pub struct PyContext {
    pub(super) core: Cell<*mut EngineCore>,
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

pub(super) fn side_of(side: &str) -> PyResult<OrderSide> {
    match side {
        "BUY" | "buy" => Ok(OrderSide::Buy),
        "SELL" | "sell" => Ok(OrderSide::Sell),
        other => Err(config_error(format!(
            "side: expected BUY or SELL, got {other:?}"
        ))),
    }
}

pub(super) fn order_type_of(name: &str) -> PyResult<OrderType> {
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

pub(super) fn tif_of(name: &str) -> PyResult<TimeInForce> {
    Ok(match name.to_ascii_uppercase().as_str() {
        "GTC" => TimeInForce::Gtc,
        "IOC" => TimeInForce::Ioc,
        "FOK" => TimeInForce::Fok,
        "GTD" => TimeInForce::Gtd,
        "DAY" => TimeInForce::Day,
        other => return Err(config_error(format!("time_in_force: unknown {other:?}"))),
    })
}

pub(super) fn trailing_type_of(name: &str) -> PyResult<TrailingOffsetType> {
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
pub(super) fn request_of(spec: &Bound<'_, PyDict>) -> PyResult<OrderRequest> {
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
        Ok(self.core()?.portfolio().cash_base())
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
