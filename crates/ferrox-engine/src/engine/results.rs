//! What a run records: every order event, every fill, the equity curve.
//! Kept as flat rows so the bindings hand them to polars as columns.

use crate::orders::ClientOrderId;
use crate::types::UnixNanos;

/// One order event, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderEventRow {
    /// When the strategy learned of it.
    pub ts: UnixNanos,
    /// The order.
    pub order_id: ClientOrderId,
    /// Instrument index.
    pub instrument: u32,
    /// `ACCEPTED`, `FILLED`, ...
    pub event: &'static str,
    /// Status after the event.
    pub status: &'static str,
    /// Reason code for denials/rejections, else empty.
    pub code: &'static str,
    /// Human message for denials/rejections, else empty.
    pub message: Box<str>,
}

/// One fill, as logged: the report the strategy received.
pub type FillRow = super::core::FillReport;

/// One point of the equity curve, in the base currency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EquityRow {
    /// Sample time.
    pub ts: UnixNanos,
    /// Account value (balances + unrealised PnL), base currency.
    pub equity: f64,
    /// Cash balance of the base currency.
    pub cash: f64,
    /// Sum of |position market value|, base currency.
    pub gross_exposure: f64,
}

/// Everything a run recorded.
#[derive(Debug, Clone, Default)]
pub struct RunLog {
    /// Order events in the order the strategy saw them.
    pub order_events: Vec<OrderEventRow>,
    /// Fills in the order they were applied.
    pub fills: Vec<FillRow>,
    /// The equity curve.
    pub equity: Vec<EquityRow>,
    /// Market-data records processed.
    pub records: u64,
}
