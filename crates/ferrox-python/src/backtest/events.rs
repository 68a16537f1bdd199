//! The event objects a Python strategy's callbacks receive (bars, trades,
//! quotes, order events, fills), with float views and exact raw values.

use pyo3::prelude::*;

use ferrox_engine::types::{Bar, QuoteTick, TradeTick};

// ---- event objects -------------------------------------------------------

/// A closed bar as a Python strategy sees it (prices as floats; `*_raw` exact).
#[pyclass(frozen, name = "Bar", module = "ferrox._core")]
pub struct PyBar {
    pub(super) bar: Bar,
    pub(super) scale: f64,
    pub(super) vscale: f64,
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
    pub(super) trade: TradeTick,
    pub(super) scale: f64,
    pub(super) vscale: f64,
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
    pub(super) quote: QuoteTick,
    pub(super) scale: f64,
    pub(super) vscale: f64,
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
    pub(super) order_id: u64,
    /// `ACCEPTED`, `FILLED`, `DENIED`, ...
    #[pyo3(get)]
    pub(super) event: &'static str,
    /// Reason code of a denial / rejection, else "".
    #[pyo3(get)]
    pub(super) code: &'static str,
    /// Message of a denial / rejection, else "".
    #[pyo3(get)]
    pub(super) message: String,
    /// When (ns).
    #[pyo3(get)]
    pub(super) ts: i64,
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
    pub(super) order_id: u64,
    /// Instrument index.
    #[pyo3(get)]
    pub(super) instrument: u32,
    /// `BUY` / `SELL`.
    #[pyo3(get)]
    pub(super) side: &'static str,
    /// Price.
    #[pyo3(get)]
    pub(super) price: f64,
    /// Quantity.
    #[pyo3(get)]
    pub(super) quantity: f64,
    /// Price raw (exact).
    #[pyo3(get)]
    pub(super) price_raw: i64,
    /// Quantity raw (exact).
    #[pyo3(get)]
    pub(super) quantity_raw: i64,
    /// `MAKER` / `TAKER`.
    #[pyo3(get)]
    pub(super) liquidity: &'static str,
    /// When (ns).
    #[pyo3(get)]
    pub(super) ts: i64,
}
